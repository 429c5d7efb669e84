"""The batch postcode check: up to :data:`MAX_POSTCODES` inputs, one row per input in input
order. A postcode is matched only after normalising case and white space; nothing is guessed,
and every input that does not match says why."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from .. import queries
from ..etl.readers.places import normalise_postcode
from ..plain import plain
from .places import (
    decile_table,
    lad_names,
    latest_measures,
    lsoa21_codes,
    lsoa21_table,
    lsoa_links,
    memo,
    objects,
    postcode_districts,
    release_table,
    require_tables,
    ward_names,
)

Con = duckdb.DuckDBPyConnection


#: The batch check's limit on inputs.
MAX_POSTCODES = 10_000


#: The batch check's limit on a file's size (10,000 rows of a wide CSV fit easily).
MAX_FILE_BYTES = 20 * 1024 * 1024


#: Catalogue id of the postcode lookup (for its load-log facts).
NSPL_SOURCE = "nspl21_lsoa21"


#: Postcode areas with no English postcode, and where they are (Royal Mail postcode areas;
#: checked against NSPL August 2024, which has no English postcode in any of them). Mixed
#: border areas (CH, DG, HR, LD, LL, NP, SY, TD) are not listed: an unknown postcode there is
#: reported as not found, never guessed to be Welsh or Scottish.
OUTSIDE_ENGLAND = {
    **{a: "Scotland" for a in ("AB", "DD", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY",
                                "ML", "PA", "PH", "ZE")},
    "CF": "Wales", "SA": "Wales", "BT": "Northern Ireland",
    "GY": "Guernsey", "JE": "Jersey", "IM": "the Isle of Man",
}


COUNTRY_NAMES = {"W92000004": "Wales", "S92000003": "Scotland",
                 "N92000002": "Northern Ireland", "L93000001": "the Channel Islands",
                 "M83000003": "the Isle of Man"}


class PostcodeInputError(ValueError):
    """A batch input that cannot be checked at all (too many postcodes, an unreadable file)."""


def read_postcode_file(data: bytes, name: str = "the file") -> list[str]:
    """The postcodes of an uploaded or given file, in order: a text file with one postcode a
    line (blank lines skipped), or a CSV with a ``postcode`` column (every data row kept, an
    empty cell included, so the output lines up with the file). UTF-8 (with or without a
    BOM) or UTF-16 with a BOM, as spreadsheet programs save.

    Raises :class:`PostcodeInputError` naming the file, the problem and the fix.
    """
    if len(data) > MAX_FILE_BYTES:
        raise PostcodeInputError(
            f"{name} is {len(data) / 1e6:.1f} MB; the batch check reads files of up to "
            f"{MAX_FILE_BYTES // 2**20} MB ({MAX_POSTCODES:,} postcodes): keep just the "
            "postcode column, or split the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PostcodeInputError(
            f"{name} is not UTF-8 text (byte {data[exc.start]:#04x} at position {exc.start} "
            "cannot be read); save it as UTF-8 (in Excel: CSV UTF-8) and try again") from None
    if "\x00" in text:
        raise PostcodeInputError(f"{name} holds binary data (NUL bytes), not text; give a "
                                 "text file with one postcode a line, or a CSV file")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    dialect_delims = ",;\t"
    header = None
    for delim in dialect_delims:
        cells = next(csv.reader([first], delimiter=delim), [])
        keys = [re.sub(r"[\s_]+", "", c).casefold() for c in cells]
        if "postcode" in keys:
            header = (delim, keys.index("postcode"))
            break
    if header is not None:
        delim, col = header
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        rows = list(reader)
        start = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
        out = []
        for line_no, row in enumerate(rows[start + 1:], start=start + 2):
            if not any(c.strip() for c in row):
                continue  # a blank line, not a row
            out.append(row[col] if col < len(row) else "")
        values = out
    else:
        if any(d in first for d in ",;\t") and len(next(csv.reader([first]), [])) > 1:
            raise PostcodeInputError(
                f"{name} looks like a table (its first line {first[:60]!r} has several "
                "columns) but none is called 'postcode'; name the postcode column 'postcode', "
                "or give one postcode a line")
        values = [ln for ln in lines if ln.strip()]
    if len(values) > MAX_POSTCODES:
        raise PostcodeInputError(
            f"{name} holds {len(values):,} postcodes; the batch check takes at most "
            f"{MAX_POSTCODES:,} at a time: split the file into parts of {MAX_POSTCODES:,} or "
            "fewer")
    return values


def check_postcodes(con: Con, inputs: Sequence[str]) -> dict:
    """The batch postcode check: one row per input, in input order.

    Returns ``{"rows": DataFrame, "summary": dict, "releases": [...], "latest": release,
    "measures": [...]}``. Columns of ``rows``: ``input, postcode`` (NSPL spelling, or None if
    the input is not shaped like a postcode), ``error_code`` (None, empty, malformed,
    outside_england, not_found, no_lsoa), ``error`` (the reason, in words), ``lsoa21_code,
    lsoa21_name, lsoa11_codes, lsoa01_codes`` (the older LSOAs linked through the ONS
    best-fit lookups, ";"-separated), ``lad24_code, lad24_name`` (the postcode's own
    authority), ``ward_code, ward_name, msoa21_code, msoa21_name`` (friendly), ``ruc21_code,
    ruc21_name, urban_rural, terminated``, ``<release>_imd_decile`` for every release (an
    older release's decile where every linked LSOA agrees, else empty with a note), then
    ``<latest>_<measure>_decile`` for the IMD's domains and supplementary indices in the
    latest release, and ``note``.

    ``summary``: ``inputs, matched, not_matched, by_error, release, with_decile,
    most_deprived_10, most_deprived_20, by_imd_decile`` and ``sentence`` ("412 of 500
    postcodes are in England's most deprived 20% ..."). More than :data:`MAX_POSTCODES`
    inputs raise :class:`PostcodeInputError`.
    """
    inputs = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
              for v in inputs]
    if len(inputs) > MAX_POSTCODES:
        raise PostcodeInputError(
            f"{len(inputs):,} postcodes given; the batch check takes at most "
            f"{MAX_POSTCODES:,} at a time: split them into parts of {MAX_POSTCODES:,} or fewer")
    require_tables(con)
    rel = release_table(con)
    releases = rel["release"].tolist()
    latest = releases[-1] if releases else None
    measure_ids = latest_measures(con, latest) if latest else []
    domain_ids = [m for m in measure_ids if m != "imd"]

    normalised = [normalise_postcode(v) for v in inputs]
    found = objects(queries.postcodes(con, sorted({p for p in normalised if p})))
    known = {r[0]: r for r in zip(*[found[c].tolist() for c in (
        "postcode", "lsoa21_code", "lad24_code", "ward_code", "country_code", "terminated")])}
    table, in_table = lsoa21_table(con), lsoa21_codes(con)
    lsoas = sorted({k[1] for k in known.values() if isinstance(k[1], str)} & in_table)
    sub = table.reindex(lsoas)
    attrs = {c: dict(zip(lsoas, sub[c].tolist())) for c in (
        "lsoa_name", "msoa_code", "msoa_name", "lad24_code", "ruc_code", "ruc_name",
        "urban_rural")}

    back = lsoa_links(con)["back"]
    older: dict[str, dict[str, list[str]]] = {"lsoa21": {c: [c] for c in lsoas},
                                              "lsoa11": {}, "lsoa01": {}}
    for c in lsoas:
        l11 = sorted({o for o, _ in back.get("lsoa21", {}).get(c, [])})
        older["lsoa11"][c] = l11
        older["lsoa01"][c] = sorted({o for x in l11 for o, _ in back.get("lsoa11", {}).get(x, [])})

    # Deciles: each release on its own geography, through the links.
    deciles, _ = decile_table(con)
    geo_of = dict(zip(rel["release"], rel["geography"]))
    imd: dict[str, dict[str, int | None]] = {}
    notes: dict[str, list[str]] = {}
    for r in releases:
        geo = geo_of[r]
        year = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}[geo]
        wanted = sorted({x for v in older[geo].values() for x in v})
        dec = deciles[r]["imd"].reindex(wanted).to_dict() if r in deciles else {}
        imd[r] = {}
        for code21, old in older[geo].items():
            ds = sorted({int(dec[o]) for o in old if _known(dec.get(o))})
            imd[r][code21] = ds[0] if len(ds) == 1 else None
            if len(ds) > 1:
                notes.setdefault(code21, []).append(
                    f"{r}: the linked {year} LSOAs {', '.join(old)} lie in IMD deciles "
                    f"{ds[0]} to {ds[-1]}; the postcode's own {year} LSOA is not known, so no "
                    "single decile is given")
    part = deciles[latest].reindex(lsoas) if latest in deciles else None
    latest_deciles = {m: (dict(zip(lsoas, part[m].tolist())) if part is not None else {})
                      for m in domain_ids}

    lads, wards = lad_names(con), ward_names(con)
    districts = None
    partial = "doterm" in memo(con, "nspl_missing", lambda: (
        queries.source_missing_columns(con, NSPL_SOURCE) or []))
    cols = (["input", "postcode", "error_code", "error", "lsoa21_code", "lsoa21_name",
             "lsoa11_codes", "lsoa01_codes", "lad24_code", "lad24_name", "ward_code",
             "ward_name", "msoa21_code", "msoa21_name", "ruc21_code", "ruc21_name",
             "urban_rural", "terminated"] + [f"{r}_imd_decile" for r in releases]
            + [f"{latest}_{m}_decile" for m in domain_ids] + ["note"])
    rows = []
    for raw, pc in zip(inputs, normalised):
        row = dict.fromkeys(cols)
        row["input"], row["postcode"] = raw, pc
        k = known.get(pc) if pc else None
        if k is not None and k[1] in attrs["lsoa_name"]:
            _, code21, lad, ward, _, term = k
            a = {c: attrs[c][code21] for c in attrs}
            row.update(lsoa21_code=code21, lsoa21_name=a["lsoa_name"],
                       lsoa11_codes=";".join(older["lsoa11"][code21]),
                       lsoa01_codes=";".join(older["lsoa01"][code21]),
                       lad24_code=lad, lad24_name=lads.get(lad), ward_code=ward,
                       ward_name=wards.get(ward), msoa21_code=a["msoa_code"],
                       msoa21_name=a["msoa_name"], ruc21_code=a["ruc_code"],
                       ruc21_name=a["ruc_name"], urban_rural=a["urban_rural"],
                       terminated=term if _known(term) else None)
            for r in releases:
                row[f"{r}_imd_decile"] = imd[r].get(code21)
            for m in domain_ids:
                v = latest_deciles[m].get(code21)
                row[f"{latest}_{m}_decile"] = int(v) if _known(v) else None
            note = []
            if row["terminated"]:
                t = row["terminated"]
                note.append(f"postcode terminated in {t[:4]}-{t[4:]}; shown where it was")
            if a["lad24_code"] != lad:
                note.append(f"the postcode lies in {lads.get(lad)} ({lad}) but its LSOA "
                            f"{code21} is counted in {lads.get(a['lad24_code'])} "
                            f"({a['lad24_code']})")
            row["note"] = "; ".join(note + notes.get(code21, [])) or None
        else:
            if k is None and pc and districts is None:
                districts = postcode_districts(con)
            row["error_code"], row["error"] = _why_not(raw, pc, k, districts, partial)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=cols, dtype=object)
    for col in cols:
        if col.endswith("_decile"):  # whole numbers 1-10, or missing
            frame[col] = pd.array([None if v is None else int(v) for v in frame[col]],
                                  dtype="Int64")
    return {"rows": frame, "summary": _summary(frame, latest), "releases": releases,
            "latest": latest, "measures": measure_ids}


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA


def _why_not(raw: str, pc: str | None, known: tuple | None, districts, partial: bool
             ) -> tuple[str, str]:
    """(error code, reason in words) for an input that has no neighbourhood."""
    shown = raw.strip()
    if not shown:
        return "empty", "no postcode given"
    if pc is None:
        return "malformed", (f"{shown!r} is not a UK postcode: it should be an outward code "
                             "such as TQ11 or M1, then an inward code of a digit and two "
                             "letters such as 0AA (case and spaces do not matter)")
    if known is not None:
        country = known[4]
        if country != "E92000001":
            return "outside_england", (f"{pc} is in {COUNTRY_NAMES.get(country, country)}, "
                                       "not England; the Indices of Deprivation cover England "
                                       "only")
        return "no_lsoa", (f"{pc} has no LSOA in NSPL (no grid reference), so it has no "
                           "deprivation decile")
    area = re.match(r"[A-Z]+", pc).group(0)
    if area in OUTSIDE_ENGLAND:
        return "outside_england", (f"{pc} is in {OUTSIDE_ENGLAND[area]} (postcode area "
                                   f"{area}), not England; the Indices of Deprivation cover "
                                   "England only")
    district = pc.split(" ")[0]
    reason = (f"{pc} is not in the ONS postcode lookup for England (NSPL, August 2024): it may "
              "be mistyped, newer than August 2024, or outside England")
    if districts is not None and district not in districts:
        reason += f"; no postcode of district {district} is loaded at all"
        if partial:
            reason += (" (the offline mirror's extract lacks central London districts whose "
                       "outward code ends in a letter, such as EC1A, WC2N, W1A and SW1A)")
    return "not_found", reason


def _summary(rows: pd.DataFrame, latest: str | None) -> dict:
    codes = rows["error_code"].tolist()
    deciles = ([d for d, c in zip(rows[f"{latest}_imd_decile"], codes) if c is None
                and d is not None] if latest else [])
    by_error: dict[str, int] = {}
    for c in codes:
        if c is not None:
            by_error[c] = by_error.get(c, 0) + 1
    unmatched = sum(by_error.values())
    n20 = sum(1 for d in deciles if d <= 2)
    n10 = sum(1 for d in deciles if d <= 1)
    n = len(deciles)
    year = latest[3:] if latest else ""
    sentence = (f"{n20:,} of {n:,} postcodes are in England's most deprived 20% of "
                f"neighbourhoods (IoD {year} IMD deciles 1 and 2); {n10:,} in the most "
                "deprived 10%.")
    if unmatched:
        sentence += (f" {unmatched:,} of the {len(codes):,} inputs could not be matched (see "
                     "the error column).")
    return {"inputs": len(codes), "matched": len(codes) - unmatched, "not_matched": unmatched,
            "by_error": by_error, "release": latest, "with_decile": n,
            "most_deprived_10": n10, "most_deprived_20": n20,
            "by_imd_decile": {str(d): deciles.count(d) for d in range(1, 11)},
            "sentence": sentence}


def batch_records(result: dict) -> list[dict]:
    """The batch check as JSON-ready objects, one per input in input order: ``input,
    postcode, lsoa21_code, lad24_code, ward_code, msoa21_name, imd_decile`` (release ->
    decile or None), ``error`` (None or the reason), and the other columns of the rows
    (``error_code, lsoa21_name, lsoa11_codes`` as a list, ..., ``deciles_latest`` (measure ->
    decile in the latest release), ``note``)."""
    rows = result["rows"]
    releases, latest = result["releases"], result["latest"]
    out = []
    for r in rows.to_dict("records"):
        obj = {"input": r["input"], "postcode": r["postcode"],
               "lsoa21_code": r["lsoa21_code"], "lad24_code": r["lad24_code"],
               "ward_code": r["ward_code"], "msoa21_name": r["msoa21_name"],
               "imd_decile": {rel: plain(r[f"{rel}_imd_decile"]) for rel in releases},
               "error": r["error"], "error_code": r["error_code"],
               "lsoa21_name": r["lsoa21_name"],
               "lsoa11_codes": r["lsoa11_codes"].split(";") if r["lsoa11_codes"] else [],
               "lsoa01_codes": r["lsoa01_codes"].split(";") if r["lsoa01_codes"] else [],
               "lad24_name": r["lad24_name"], "ward_name": r["ward_name"],
               "msoa21_code": r["msoa21_code"], "ruc21_code": r["ruc21_code"],
               "ruc21_name": r["ruc21_name"], "urban_rural": r["urban_rural"],
               "terminated": r["terminated"],
               "deciles_latest": {m: plain(r[f"{latest}_{m}_decile"] if m != "imd"
                                           else r[f"{latest}_imd_decile"])
                                  for m in result["measures"]},
               "note": r["note"]}
        out.append(plain(obj))
    return out
