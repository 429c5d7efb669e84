"""Places people know: the ONS National Statistics Postcode Lookup (NSPL) and the House of
Commons Library's friendly MSOA names.

NSPL is published as a zip whose ``Data/`` folder holds one CSV of every UK postcode (2.6M rows,
about 40 columns). It is streamed out of the zip straight into Arrow (nothing is extracted to
disk) and only the columns used are parsed. The offline mirror keeps four of them (``pcds,
laua, ward, lsoa21``) for English postcodes; the live-only columns are optional:

* ``ctry`` (country): rows outside England are kept with their country only, so a Welsh or
  Scottish postcode is reported as "not in England" rather than "unknown";
* ``doterm`` (the month a postcode was terminated): kept, so terminated postcodes are
  flagged, not dropped (a list of service users' old addresses still has a place).

Values are validated, not only headers: postcode format (``pcds``: outward code, one space,
inward code), GSS code patterns, one row per postcode, the row count. The cross-file check
(every ``lsoa21`` known to the ONS LSOA 2021 lookup) needs the database and is made by the
build's loader.
"""

from __future__ import annotations

import csv
import re
import zipfile
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..sources import Source
from .base import (LAD_CODE, LSOA_CODE, MSOA_CODE, Column, ReaderError, check_codes,
                   check_rows, check_unique, match_headers, read_csv_mapped)

#: A postcode as NSPL's ``pcds`` writes it: outward code (area letters, district), one space,
#: inward code (sector digit, unit letters). Royal Mail's format, e.g. TQ11 0AA, M1 1AE.
PCDS = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
WARD_CODE = re.compile(r"^[EW]05\d{6}$")
ENGLAND = "E92000001"
#: ONS pseudo codes NSPL uses where a postcode has no such area (e.g. no grid reference).
PSEUDO = re.compile(r"^[A-Z]99999999$")
#: First letter of a GSS code -> country (ONS Code History Database).
COUNTRY_OF_PREFIX = {"E": ENGLAND, "W": "W92000004", "S": "S92000003", "N": "N92000002",
                     "L": "L93000001", "M": "M83000003"}

NSPL_COLUMNS = [
    Column("postcode", ("pcds",), True),
    Column("lad24_code", ("laua",), True),
    Column("ward_code", ("ward",), True),
    Column("lsoa21_code", ("lsoa21",), True),
    Column("country_code", ("ctry",)),
    Column("terminated", ("doterm",)),
]


def _member(path: Path, source: Source) -> str:
    """The CSV inside the NSPL zip: the catalogue's member name, else the one big
    ``Data/NSPL*.csv`` (the live zip also holds Data/multi_csv/ parts and documents)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        wanted = source.options.get("member")
        if wanted in names:
            return wanted
        candidates = [i for i in z.infolist() if i.filename.lower().endswith(".csv")
                      and "/multi_csv/" not in i.filename.lower()
                      and Path(i.filename).name.upper().startswith("NSPL")]
        if not candidates:
            raise ReaderError(
                f"{path.name}: no Data/NSPL*.csv inside the zip (it holds "
                f"{', '.join(names[:6])}{' ...' if len(names) > 6 else ''}); download the "
                f"NSPL zip again from {source.landing_page}")
        return max(candidates, key=lambda i: i.file_size).filename


def _open_csv(path: Path, source: Source, stack: ExitStack):
    """A binary stream of the NSPL CSV (from the zip, or a CSV given directly), and its name."""
    if zipfile.is_zipfile(path):
        member = _member(path, source)
        z = stack.enter_context(zipfile.ZipFile(path))
        return stack.enter_context(z.open(member)), f"{path.name}:{member}"
    if path.suffix.lower() == ".zip":
        raise ReaderError(f"{path.name}: is not a readable zip file (truncated or corrupt); "
                          "re-download it with `python -m inequality build --force`")
    return stack.enter_context(open(path, "rb")), path.name


def read_nspl(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Postcode -> LSOA 2021, authority, ward (and country, termination where published).

    Returns one row per postcode: ``postcode, lsoa21_code, lad24_code, ward_code,
    country_code, terminated`` and the official headers of the optional columns absent.
    """
    path = Path(path)
    with ExitStack() as stack:
        try:
            stream, name = _open_csv(path, source, stack)
        except zipfile.BadZipFile as exc:
            raise ReaderError(f"{path.name}: not a readable zip file ({exc}); re-download it "
                              "with `python -m inequality build --force`") from exc
        first = stream.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
        header = next(csv.reader([first]), [])
        if not header:
            raise ReaderError(f"{name}: the file is empty; re-download it with "
                              "`python -m inequality build --force`")
        rename, missing = match_headers(header, NSPL_COLUMNS, name)
        try:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=header, block_size=1 << 24),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(rename), column_types={h: pa.string() for h in rename},
                    strings_can_be_null=True, null_values=[""]),
                parse_options=pacsv.ParseOptions(newlines_in_values=False))
        except (pa.ArrowInvalid, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ReaderError(f"{name}: cannot be parsed as CSV ({exc}); the file may be "
                              "truncated or corrupt, so re-download it with "
                              "`python -m inequality build --force`") from exc
    table = table.rename_columns([rename[c] for c in table.column_names])
    live = "terminated" in rename.values()  # doterm: the complete live layout
    table = _tidy(table)
    frame = _validate(table, source, name, live)
    return frame, missing


def _tidy(table: pa.Table) -> pa.Table:
    """Add the optional columns the file lacks as NULL (the country is derived in SQL)."""
    for col in ("country_code", "terminated"):
        if col not in table.column_names:
            table = table.append_column(col, pa.nulls(len(table), pa.string()))
    return table


#: Every value check in one pass (DuckDB, multi-threaded: about 10x faster than pyarrow's
#: single-threaded regex kernels on 2.6M rows). Each check counts its failures and keeps one
#: failing postcode and value to name in the message.
_CHECKS = (
    ("no_country", "country_code IS NULL", "lsoa21_code",
     "has no country: no ctry column, and its lsoa21 {value!r} is not a GSS code such as "
     "E01000001"),
    ("postcode", "english AND NOT coalesce(regexp_full_match(postcode, $pcds), FALSE)",
     "postcode", "is not written as outward code, one space, inward code (e.g. TQ11 0AA) in "
                 "column pcds"),
    ("lsoa21", "english AND NOT ({ok:lsoa21_code})", "lsoa21_code",
     "has lsoa21 (LSOA 2021) code {value!r}, not a GSS code such as E01000001"),
    ("laua", "english AND NOT ({ok:lad24_code})", "lad24_code",
     "has laua (local authority) code {value!r}, not a GSS code such as E08000026"),
    ("ward", "english AND NOT ({ok:ward_code})", "ward_code",
     "has ward code {value!r}, not a GSS code such as E05011893"),
    ("doterm", "terminated IS NOT NULL AND NOT regexp_full_match(terminated, '\\d{6}')",
     "terminated", "has doterm {value!r}, not a year and month (YYYYMM)"),
)
_PATTERNS = {"lsoa21_code": LSOA_CODE, "lad24_code": LAD_CODE, "ward_code": WARD_CODE}


def _ok(column: str, live: bool) -> str:
    """SQL: the column holds a valid code (or, in the complete live file, a pseudo code or
    nothing: NSPL's marks for a postcode without a grid reference)."""
    valid = f"coalesce(regexp_full_match({column}, '{_PATTERNS[column].pattern[1:-1]}'), FALSE)"
    if live:
        pseudo = PSEUDO.pattern[1:-1]
        return f"{valid} OR {column} IS NULL OR regexp_full_match({column}, '{pseudo}')"
    return valid


def _validate(table: pa.Table, source: Source, name: str, live: bool) -> pd.DataFrame:
    """Check the values; ``live`` (the file has doterm) allows pseudo or empty area codes,
    which the complete NSPL uses for postcodes without a grid reference."""
    if len(table) == 0:
        raise ReaderError(f"{name}: no postcode rows; re-download it with "
                          "`python -m inequality build --force`")
    prefix = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in COUNTRY_OF_PREFIX.items())
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.register("raw", table)
        con.execute(f"""
            CREATE TEMP VIEW v AS
            SELECT * REPLACE (coalesce(country_code, CASE left(lsoa21_code, 1) {prefix} END)
                              AS country_code),
                   coalesce(country_code, CASE left(lsoa21_code, 1) {prefix} END)
                       = '{ENGLAND}' AS english
            FROM raw""")
        flags, selects = [], []
        for key, cond, col, _ in _CHECKS:
            cond = cond.replace("$pcds", f"'{PCDS.pattern[1:-1]}'")
            for c in _PATTERNS:
                cond = cond.replace(f"{{ok:{c}}}", _ok(c, live))
            flags.append(f"({cond}) AS bad_{key}")  # each rule evaluated once per row
            selects += [f"count(*) FILTER (WHERE bad_{key}) AS n_{key}",
                        f"arg_min(postcode, postcode) FILTER (WHERE bad_{key}) AS p_{key}",
                        f"arg_min({col}, postcode) FILTER (WHERE bad_{key}) AS v_{key}"]
        selects += ["count(*) FILTER (WHERE english) AS n_english",
                    # hashes first (fast); an exact count only if two hashes coincide
                    "count(*) - count(DISTINCT hash(postcode)) AS n_dup"]
        cur = con.execute(f"SELECT {', '.join(selects)} FROM "
                          f"(SELECT *, {', '.join(flags)} FROM v)")
        res = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
        for key, _, _, message in _CHECKS:
            if res[f"n_{key}"]:
                raise ReaderError(
                    f"{name}: postcode {res[f'p_{key}']!r} "
                    + message.format(value=res[f"v_{key}"])
                    + f" ({res[f'n_{key}']:,} bad row(s)); check the file is the official NSPL "
                      "and re-download it with `python -m inequality build --force`")
        dup = res["n_dup"] and con.execute(
            "SELECT postcode FROM raw GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
        ).fetchall()
        if dup:
            dup = dup[0][0]
            raise ReaderError(f"{name}: postcode {dup!r} appears more than once; each "
                              "postcode must appear once (check the file is the official NSPL)")
        n = res["n_english"]
        if source.expected_rows is not None:
            if live and n < source.expected_rows:
                raise ReaderError(
                    f"{name}: {n:,} English postcodes, fewer than the "
                    f"{source.expected_rows:,} of the August 2024 edition; the file may be "
                    "truncated, so re-download it with `python -m inequality build --force`")
            if not live and n != source.expected_rows:
                raise ReaderError(
                    f"{name}: expected {source.expected_rows:,} rows, found {n:,}; the file "
                    "may be truncated or the wrong edition, so re-download it with "
                    "`python -m inequality build --force`")
        # Outside England only the postcode and the country are kept (so that a Welsh or
        # Scottish postcode is reported as "not in England", not "unknown"); pseudo codes
        # become NULL (a known postcode without that area).
        pseudo = PSEUDO.pattern[1:-1]
        everyone_english = res["n_english"] == len(table)
        if everyone_english and not live:  # the mirror's layout: nothing to rewrite
            country = pc.fill_null(table["country_code"], ENGLAND)
            out = table.set_column(table.column_names.index("country_code"), "country_code",
                                   country).select(["postcode", *_PATTERNS, "country_code",
                                                    "terminated"])
            return out.to_pandas(types_mapper=pd.ArrowDtype)
        if live:
            area = ("CASE WHEN english AND NOT coalesce(regexp_full_match({c}, '" + pseudo
                    + "'), FALSE) THEN {c} END AS {c}")
        else:
            area = "{c}" if everyone_english else "CASE WHEN english THEN {c} END AS {c}"
        out = con.sql(f"""
            SELECT postcode, {', '.join(area.format(c=c) for c in _PATTERNS)},
                   country_code, terminated
            FROM v
            {"WHERE english OR regexp_full_match(postcode, '" + PCDS.pattern[1:-1] + "')"
             if not everyone_english else ""}""").to_arrow_table()
    return out.to_pandas(types_mapper=pd.ArrowDtype)


# --- House of Commons Library MSOA names ------------------------------------------------------

def read_msoa_names(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Friendly MSOA names, one row per English MSOA: ``msoa_code, name, name_welsh,
    ons_name``. The file's council name column is not kept (it predates the 2023 mergers;
    the current council comes from the ONS lookups, joined on the code)."""
    y = source.geography[4:]  # 21 or 11
    cols = [Column("msoa_code", (f"msoa{y}cd",), True),
            Column("ons_name", (f"msoa{y}nm",)),
            Column("name", (f"msoa{y}hclnm",), True),
            Column("name_welsh", (f"msoa{y}hclnmw",))]
    mapped = read_csv_mapped(Path(path), cols)
    df = mapped.frame
    df = df[df["msoa_code"].str.startswith("E").fillna(False)].reset_index(drop=True)
    check_rows(df, source.expected_rows, path)
    check_codes(df["msoa_code"], MSOA_CODE, f"MSOA {y} code", path, "E02004217")
    check_unique(df["msoa_code"], f"MSOA {y} code", path)
    blank = df["name"].isna() | (df["name"] == "")
    if blank.any():
        raise ReaderError(f"{Path(path).name}: MSOA {df.loc[blank, 'msoa_code'].iloc[0]} has no "
                          f"name in column msoa{y}hclnm ({int(blank.sum())} row(s)); check the "
                          "file is the House of Commons Library's MSOA Names file")
    return df.reindex(columns=["msoa_code", "name", "name_welsh", "ons_name"]), mapped.missing


def normalise_postcode(text: str) -> str | None:
    """The postcode in NSPL's ``pcds`` spelling, or None if it is not shaped like one.

    Only case and white space are changed; nothing is guessed (no O/0 swaps).

    >>> normalise_postcode(" tq11  0aa ")
    'TQ11 0AA'
    >>> normalise_postcode("TQ110AA")
    'TQ11 0AA'
    >>> normalise_postcode("TQ11 0A") is None
    True
    """
    compact = "".join(str(text).split()).upper()
    if not 5 <= len(compact) <= 7:
        return None
    spaced = f"{compact[:-3]} {compact[-3:]}"
    return spaced if PCDS.match(spaced) else None


__all__ = ["PCDS", "normalise_postcode", "read_msoa_names", "read_nspl"]
