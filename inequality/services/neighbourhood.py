"""Your neighbourhood: a postcode's or an LSOA's (code or name, any vintage) 2021 LSOA, the
older LSOAs linked to it through the ONS best-fit lookups, and the deciles of every measure in
every release, with the authority's and England's decile distributions beside it."""

from __future__ import annotations

import duckdb
import pandas as pd

from .. import measures as measure_registry
from .. import queries
from ..etl.readers.places import normalise_postcode
from ..plain import plain
from ..queries import ENGLAND
from .places import (
    GSS,
    PlaceNotFound,
    bbox_of,
    describe,
    linked_lsoas,
    memo,
    release_table,
    search,
)
from .postcodes import check_postcodes

Con = duckdb.DuckDBPyConnection


def _anchor(con: Con, query: str) -> tuple[dict | None, str, str]:
    """(postcode row or None, LSOA code, its geography) for a postcode or an LSOA."""
    text = str(query or "").strip()
    pc = normalise_postcode(text)
    if pc:
        checked = check_postcodes(con, [text])["rows"].iloc[0]
        if checked["error"]:
            raise PlaceNotFound(f"postcode {text!r}: {checked['error']}")
        return checked.to_dict(), checked["lsoa21_code"], "lsoa21"
    code = text.replace(" ", "").upper()
    if code.startswith("E01") and GSS.match(code):
        found = queries.lsoa_geographies(con, [code])
        if found.empty:
            raise PlaceNotFound(f"LSOA {code} is not an English LSOA of 2001, 2011 or 2021; "
                                "check the code (E01 and six digits)")
        geo = sorted(found["geography"])[-1]  # the newest vintage the code exists on
        return None, code, geo
    named = queries.lsoa_by_name(con, text)
    if len(named) == 1:
        return None, named["lsoa_code"].iloc[0], "lsoa21"
    suggestions = search(con, text, limit=3, kinds=("LSOA", "postcode"))
    hint = ("; did you mean " + " or ".join(describe(r) for r in suggestions) + "?"
            if suggestions else "")
    raise PlaceNotFound(f"{text!r} is not a postcode or an LSOA code or name (such as "
                        f"TQ11 0AA, E01020196 or Teignbridge 017B){hint}", suggestions)


def neighbourhood(con: Con, query: str) -> dict:
    """"Your neighbourhood": a postcode's or an LSOA's deciles in every release.

    Returns a dict:

    * ``query``; ``postcode`` (the batch row of the postcode, see :func:`check_postcodes`,
      or None);
    * ``lsoa``: the LSOA the page centres on (a postcode's LSOA 2021, or the LSOA given) with
      ``geography, lsoa_code, lsoa_name, msoa_code, msoa_name`` (friendly), ``msoa_ons_name,
      ward_code, ward_name, lad24_code, lad24_name, region_code, region_name, ruc_code,
      ruc_name, urban_rural, bbox, centroid``;
    * ``linked``: DataFrame of the LSOAs of every vintage linked to it through the ONS
      best-fit lookups, ``geography, lsoa_code, lsoa_name, relation`` (this | earlier |
      later), ``chgind`` (U unchanged, S split, M merged, X irregular);
    * ``deciles``: DataFrame, one row per release, linked LSOA of that release's geography
      and measure: ``release, year, geography, lsoa_code, lsoa_name, measure, label, kind,
      score, rank, decile, lsoa_count`` (LSOAs ranked nationally), ``authority_position``
      (1 = the most deprived of the authority's LSOAs, by national rank) and
      ``authority_lsoa_count``;
    * ``context``: DataFrame of the decile distribution of the authority and of England,
      ``area, area_code, area_name, release, measure, lsoa_count, share_1 .. share_10``;
    * ``imd``: release -> the IMD decile (an int where every linked LSOA agrees, else None),
      with ``imd_range`` release -> [lowest, highest];
    * ``notes``: plain-words notes (several predecessors, postcode across a boundary, ...).
    """
    postcode_row, code, geo = _anchor(con, query)
    recs = queries.lsoa_records(con, [code])
    rec = recs[recs["geography"] == geo].iloc[0].to_dict()
    lsoa = {k: plain(rec[k]) for k in ("geography", "lsoa_code", "lsoa_name", "msoa_code",
                                        "msoa_name", "msoa_ons_name", "ward_code", "ward_name",
                                        "lad24_code", "lad24_name", "region_code",
                                        "region_name", "ruc_code", "ruc_name", "urban_rural")}
    lsoa["bbox"] = bbox_of(rec)
    lsoa["centroid"] = (None if rec.get("centroid_lon") is None or pd.isna(rec["centroid_lon"])
                        else [float(rec["centroid_lon"]), float(rec["centroid_lat"])])
    linked = pd.DataFrame([(geo, code, "this", None)] + linked_lsoas(con, code, geo),
                          columns=["geography", "lsoa_code", "relation", "chgind"])
    names = queries.lsoa_records(con, linked["lsoa_code"].unique().tolist())
    name_of = {(g, c): plain(n) for g, c, n in zip(names["geography"], names["lsoa_code"],
                                                   names["lsoa_name"])}
    linked["lsoa_name"] = [name_of.get((g, c)) for g, c in zip(linked["geography"],
                                                               linked["lsoa_code"])]
    linked = linked[["geography", "lsoa_code", "lsoa_name", "relation", "chgind"]]
    linked = linked.astype(object).where(linked.notna(), None)

    rel = release_table(con)
    by_release = {r.release: linked.loc[linked["geography"] == r.geography, "lsoa_code"].tolist()
                  for r in rel.itertuples()}
    values = queries.lsoa_measure_values(con, by_release)
    lad = lsoa["lad24_code"]
    deciles = values.merge(rel, on="release").merge(
        linked[["geography", "lsoa_code", "lsoa_name"]], on=["geography", "lsoa_code"],
        how="left")
    reg = measure_registry.MEASURES
    deciles["label"] = deciles["measure"].map(lambda m: reg[m].label if m in reg else m)
    deciles["kind"] = deciles["measure"].map(lambda m: reg[m].kind if m in reg else None)
    order = {m: i for i, m in enumerate(measure_registry.MEASURE_IDS)}
    if lad:
        ranks = queries.area_measure_ranks(con, lad)
        pos = []
        for r in deciles.itertuples():
            pool = ranks[(ranks["release"] == r.release) & (ranks["measure"] == r.measure)]
            pos.append((int((pool["rank"] < r.rank).sum()) + 1 if pd.notna(r.rank) else None,
                        len(pool)))
        deciles["authority_position"] = pd.array([p[0] for p in pos], dtype="Int64")
        deciles["authority_lsoa_count"] = pd.array([p[1] for p in pos], dtype="Int64")
    else:
        deciles["authority_position"] = pd.array([None] * len(deciles), dtype="Int64")
        deciles["authority_lsoa_count"] = pd.array([None] * len(deciles), dtype="Int64")
    deciles = deciles.assign(_o=deciles["measure"].map(order)).sort_values(
        ["year", "_o", "lsoa_code"]).drop(columns="_o").reset_index(drop=True)
    deciles = deciles[["release", "year", "geography", "lsoa_code", "lsoa_name", "measure",
                       "label", "kind", "score", "rank", "decile", "lsoa_count",
                       "authority_position", "authority_lsoa_count"]]

    context = [_distribution(queries.measure_decile_counts(con, lad), "authority", lad,
                             lsoa["lad24_name"])] if lad else []
    context.append(memo(con, "england_distribution", lambda: _distribution(
        queries.measure_decile_counts(con, None), "england", ENGLAND, "England")))
    imd = deciles[deciles["measure"] == "imd"]
    imd_by = {r: imd.loc[imd["release"] == r, "decile"].dropna().astype(int).tolist()
              for r in rel["release"]}
    notes = _neighbourhood_notes(linked, imd_by, geo, postcode_row, lsoa)
    return {
        "query": query,
        "postcode": plain(postcode_row) if postcode_row is not None else None,
        "lsoa": lsoa, "linked": linked, "deciles": deciles,
        "context": pd.concat(context, ignore_index=True),
        "imd": {r: (v[0] if v and min(v) == max(v) else None) for r, v in imd_by.items()},
        "imd_range": {r: ([min(v), max(v)] if v else None) for r, v in imd_by.items()},
        "notes": notes,
    }


def _distribution(counts: pd.DataFrame, area: str, code: str, name: str) -> pd.DataFrame:
    if counts.empty:
        return pd.DataFrame(columns=["area", "area_code", "area_name", "release", "measure",
                                     "lsoa_count"] + [f"share_{d}" for d in range(1, 11)])
    wide = counts.pivot_table(index=["release", "measure"], columns="decile", values="n",
                              aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(1, 11), fill_value=0)
    total = wide.sum(axis=1)
    out = wide.div(total, axis=0)
    out.columns = [f"share_{d}" for d in range(1, 11)]
    out = out.reset_index()
    out.insert(2, "lsoa_count", total.to_numpy().astype(int))
    out.insert(0, "area_name", name)
    out.insert(0, "area_code", code)
    out.insert(0, "area", area)
    return out


def _neighbourhood_notes(linked: pd.DataFrame, imd_by: dict, geo: str, postcode_row,
                         lsoa: dict) -> list[str]:
    notes = []
    for g, part in linked[linked["relation"] != "this"].groupby("geography", sort=False):
        if len(part) > 1:
            codes = ", ".join(part["lsoa_code"])
            year = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}[g]
            notes.append(f"{lsoa['lsoa_code']} is linked to {len(part)} {year} LSOAs ({codes}) "
                         "by the ONS best-fit lookups, so releases on that geography show "
                         "each of them.")
    for release, v in imd_by.items():
        if len(v) > 1 and min(v) != max(v):
            notes.append(f"{release}: the linked LSOAs lie in IMD deciles {min(v)} to "
                         f"{max(v)}.")
    if postcode_row is not None and postcode_row.get("note"):
        notes.append(str(postcode_row["note"]))
    return notes
