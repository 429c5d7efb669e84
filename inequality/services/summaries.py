"""Area summaries and decile tracking: named queries in, pure metrics applied, plain data out.

This is the layer the CLI, the pages and the briefings share: it decides which LSOAs make up
an area and which measures a release can support, and says why when one cannot be computed.
The arithmetic lives in :mod:`inequality.metrics`.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .. import queries
from ..metrics import area as area_metrics
from ..metrics.deciles import (DECILES, RELATIVE_WARNING, decile_shares_by_area,
                              nearest_neighbours, transition_matrix)
from ..plain import plain
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection

__all__ = ["RELATIVE_WARNING", "UnknownArea", "all_summaries", "area_summary", "comparison",
           "decile_tracking", "transitions"]

SUMMARY_MEASURES = area_metrics.MEASURES
#: Measures that need the population denominators.
_WEIGHTED = ("avg_rank", "avg_score", "extent", "local_concentration")
DOMAIN_MEASURES = ("avg_rank", "avg_score", "prop_most_deprived_10", "extent",
                   "local_concentration")


def _release_info(con: Con, release: str) -> dict:
    out = queries.release(con, release)
    out["missing"] = dict(con.execute(
        "SELECT source_id, missing_columns FROM load_log").fetchall()).get(out["source_id"]) or []
    return out


def _availability(frame: pd.DataFrame, info: dict, measure: str) -> dict[str, str]:
    """Reasons, by summary measure, why ``measure`` cannot be summarised in this release."""
    rel = info["release"]
    missing = info["missing"]
    why: dict[str, str] = {}
    if frame["rank"].isna().all():
        return {m: f"{rel} as loaded has no {measure} ranks" for m in SUMMARY_MEASURES}
    pop_cols = [c for c in missing if "population" in c.lower()]
    if not info["has_population"]:
        reason = (f"not available for {rel}: the file as loaded has no population denominators"
                  + (f" (missing {', '.join(repr(c) for c in pop_cols)})" if pop_cols else
                     " (the IoD 2010 file publishes none)"))
        for m in _WEIGHTED + ("income_scale", "employment_scale"):
            why[m] = reason
    if frame["score"].isna().all() and "avg_score" not in why:
        why["avg_score"] = f"not available for {rel}: the file as loaded has no {measure} score"
    return why


def _measure_frame(long: pd.DataFrame, measure: str, area_col: str) -> pd.DataFrame:
    part = long[long["measure"] == measure]
    return pd.DataFrame({
        "area_code": part[area_col].to_numpy(),
        "rank": part["rank"].astype("float64").to_numpy(),
        "score": part["score"].astype("float64").to_numpy(),
        "decile": part["decile"].astype("float64").to_numpy(),
        "population": part["population"].astype("float64").to_numpy(),
        "lsoa_code": part["lsoa_code"].to_numpy(),
    })


def _summarise(frame: pd.DataFrame, n: int, wanted: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "lsoa_count"])
    return area_metrics.summarise_areas(frame.drop(columns="lsoa_code"), n=n, measures=wanted)


def _scales(long: pd.DataFrame, area_col: str, info: dict) -> tuple[pd.DataFrame, dict]:
    """Income and employment scale by area: income rate x total population and employment
    rate x working-age population, summed (IoD Technical Report, scale measures)."""
    base = long[long["measure"] == "imd"][["lsoa_code", area_col, "population", "working_age"]]
    frame = pd.DataFrame({"area_code": base[area_col].to_numpy(),
                          "lsoa_code": base["lsoa_code"].to_numpy(),
                          "population": base["population"].astype("float64").to_numpy(),
                          "working_age_population":
                              base["working_age"].astype("float64").to_numpy()})
    why: dict[str, str] = {}
    wanted = []
    for name, measure, pop_col in (("income_scale", "income", "population"),
                                   ("employment_scale", "employment", "working_age_population")):
        rates = long[long["measure"] == measure].set_index("lsoa_code")["score"]
        frame[f"{measure}_score"] = frame["lsoa_code"].map(rates).astype("float64")
        if frame[f"{measure}_score"].isna().all():
            why[name] = (f"not available for {info['release']}: the file as loaded has no "
                         f"{measure} score (rate)")
        elif frame[pop_col].isna().all():
            why[name] = (f"not available for {info['release']}: the file as loaded has no "
                         f"{'total' if pop_col == 'population' else 'working-age'} population")
        else:
            wanted.append(name)
    if not wanted:
        out = pd.DataFrame({"area_code": pd.unique(frame["area_code"])})
    else:
        out = area_metrics.summarise_areas(frame.drop(columns="lsoa_code"),
                                           n=int(info["lsoa_count"]), measures=wanted)
    for name in ("income_scale", "employment_scale"):
        if name not in out.columns:
            out[name] = np.nan
            out[f"rank_{name}"] = pd.NA
    return out[["area_code", "income_scale", "rank_income_scale", "employment_scale",
                "rank_employment_scale"]], why


def _summaries(con: Con, release: str, level: str) -> tuple[pd.DataFrame, dict]:
    """All areas of one level (published | current | region) for a release, one pass.

    Returns a frame (one row per area: headline IMD measures, scales, ranks and a
    ``domains`` column of dicts) and the ``unavailable`` reasons shared by every area.
    """
    info = _release_info(con, release)
    n = int(info["lsoa_count"])
    long = queries.all_measure_ranks(con, release)
    area_col = {"published": "published_lad_code", "current": "lad24_code",
                "region": "region_code"}[level]
    loaded = set(long["measure"].unique())
    present = [m for m in queries.measures(con)["measure"] if m in loaded]

    per_measure: dict[str, pd.DataFrame] = {}
    reasons: dict[str, dict[str, str]] = {}
    for measure in present:
        frame = _measure_frame(long, measure, area_col)
        why = _availability(frame, info, measure)
        wanted = [m for m in DOMAIN_MEASURES if m not in why]
        table = _summarise(frame, n, wanted)
        for m in DOMAIN_MEASURES:
            if m not in table.columns:
                table[m] = np.nan
                table[f"rank_{m}"] = pd.NA
        per_measure[measure] = table.set_index("area_code")
        reasons[measure] = {m: r for m, r in why.items() if m in DOMAIN_MEASURES}

    head = per_measure["imd"].reset_index()
    scales, scale_why = _scales(long, area_col, info)
    head = head.merge(scales, on="area_code", how="left")
    unavailable = {**reasons["imd"], **scale_why}

    domains_col = []
    for code in head["area_code"]:
        domains = {}
        for measure in present:
            if measure == "imd":
                continue
            row = per_measure[measure].loc[code] if code in per_measure[measure].index else None
            domains[measure] = _record(row, DOMAIN_MEASURES) | (
                {"unavailable": reasons[measure]} if reasons[measure] else {})
        domains_col.append(domains)
    head["domains"] = domains_col
    return head, unavailable


def _record(row, measures) -> dict:
    out = {}
    for m in measures:
        out[m] = plain(row[m]) if row is not None else None
        rank = plain(row[f"rank_{m}"]) if row is not None else None
        out[f"rank_{m}"] = int(rank) if rank is not None else None
    return out


def _names(con: Con, release: str, level: str) -> dict[str, str]:
    if level == "published":
        names = queries.lad_names(con, release)
    else:
        names = queries.areas(con)
    return dict(zip(names["area_code"], names["area_name"]))


def all_summaries(con: Con, release: str, *, current: bool = False) -> list[dict]:
    """Every authority's summary for a release, with ranks among authorities (1 = most deprived).

    ``current=False`` (the default) summarises the release for the authorities it was
    published with (LAD 2013 for IoD 2015, LAD 2019 for 2019, LAD 2024 for 2025, the
    post-2009 authorities for 2010), as MHCLG's File 10 does; ``current=True`` uses the
    April 2024 authorities through the ONS lookups, so releases can be compared.
    Proportions are fractions; a measure that cannot be computed is None with its reason
    under ``unavailable``.
    """
    level = "current" if current else "published"
    head, unavailable = _summaries(con, release, level)
    names = _names(con, release, level)
    n_areas = len(head)
    return [_summary_object(row, names, release, unavailable, n_areas)
            for _, row in head.iterrows()]


def _summary_object(row, names, release, unavailable, n_areas) -> dict:
    obj = {"area_code": row["area_code"], "area_name": names.get(row["area_code"]),
           "release": release, "lsoa_count": int(row["lsoa_count"])}
    obj.update(_record(row, SUMMARY_MEASURES))
    obj["n_areas"] = n_areas
    obj["domains"] = row["domains"]
    obj["unavailable"] = {m: r for m, r in unavailable.items() if obj.get(m) is None}
    return obj


def area_summary(con: Con, area_code: str, release: str, *, current: bool = True) -> dict:
    """One area's summary: a current (or, with ``current=False``, published) authority ranked
    among all authorities, a region ranked among regions, or England.
    """
    if area_code == ENGLAND:
        return _england(con, release)
    if area_code.startswith("E12"):
        head, unavailable = _summaries(con, release, "region")
        names = _names(con, release, "region")
        row = head[head["area_code"] == area_code]
        if row.empty:
            raise UnknownArea(f"region {area_code!r} is not an English region (E12000001 to "
                              "E12000009)")
        return _summary_object(row.iloc[0], names, release, unavailable, len(head))
    level = "current" if current else "published"
    head, unavailable = _summaries(con, release, level)
    row = head[head["area_code"] == area_code]
    if row.empty:
        hint = ("; use --current to summarise by today's (2024) authorities" if not current
                else "; run `python -m inequality summary --all --current --release "
                     f"{release} --json` to list codes")
        raise UnknownArea(f"{area_code!r} is not a{' published' if not current else ' current'} "
                          f"local authority of {release}{hint}")
    return _summary_object(row.iloc[0], _names(con, release, level), release, unavailable,
                           len(head))


def lsoa_set_summary(con: Con, release: str, codes=None) -> dict:
    """The summary measures of one set of LSOAs (all of England when ``codes`` is None):
    the IMD's measures, income and employment scale, and each domain's, computed from
    national ranks, with the reason for anything the release cannot support. No ranks."""
    info = _release_info(con, release)
    long = queries.all_measure_ranks(con, release)
    if codes is not None:
        long = long[long["lsoa_code"].isin(set(codes))]
    if long.empty:
        raise UnknownArea(f"none of the LSOAs given is in {release}")
    long = long.assign(group="set")
    n = int(info["lsoa_count"])
    out = {"release": release, "geography": info["geography"],
           "lsoa_count": int(long["lsoa_code"].nunique()), "domains": {}, "unavailable": {}}
    loaded = set(long["measure"].unique())
    for measure in [m for m in queries.measures(con)["measure"] if m in loaded]:
        frame = _measure_frame(long, measure, "group")
        why = _availability(frame, info, measure)
        wanted = [m for m in DOMAIN_MEASURES if m not in why]
        row = _summarise(frame, n, wanted).iloc[0] if wanted else pd.Series(dtype=float)
        values = {m: plain(row.get(m)) for m in DOMAIN_MEASURES}
        if measure == "imd":
            out.update(values)
            out["unavailable"].update({m: r for m, r in why.items() if m in DOMAIN_MEASURES})
        else:
            out["domains"][measure] = values | ({"unavailable": why} if why else {})
    scales, scale_why = _scales(long, "group", info)
    for m in ("income_scale", "employment_scale"):
        out[m] = plain(scales.iloc[0][m])
    out["unavailable"].update(scale_why)
    out["unavailable"] = {m: r for m, r in out["unavailable"].items() if out.get(m) is None}
    return out


def _england(con: Con, release: str) -> dict:
    """England as one area: the same measures over every LSOA (no rank)."""
    s = lsoa_set_summary(con, release)
    obj = {"area_code": ENGLAND, "area_name": "England", "release": release,
           "lsoa_count": s["lsoa_count"]}
    for m in SUMMARY_MEASURES:
        obj[m] = s[m]
        obj[f"rank_{m}"] = None
    obj["n_areas"] = 1
    obj["domains"] = {}
    obj["unavailable"] = s["unavailable"]
    return obj


# --- decile tracking ------------------------------------------------------------------------

def _area_counts(counts: pd.DataFrame, area_code: str) -> pd.DataFrame:
    if area_code == ENGLAND:
        sel = counts
    elif area_code.startswith("E12"):
        sel = counts[counts["region_code"] == area_code]
    else:
        sel = counts[counts["lad24_code"] == area_code]
    return sel.groupby(["release", "decile"], as_index=False)["n"].sum()


def decile_tracking(con: Con, area_code: str, measure: str = "imd") -> dict:
    """Count and share of an area's LSOAs in each national decile, for every release.

    Each release is counted on its own LSOA geography and assigned to current (2024)
    authorities through the ONS lookups. Where a release publishes no decile (2010), the
    decile is ceil(10 x rank / N), the rule the later releases follow.
    """
    place = queries.area(con, area_code)
    counts = _area_counts(queries.decile_counts(con, measure), area_code)
    rel = queries.releases(con).set_index("release")
    out = {"area_code": area_code, "area_name": place["area_name"], "measure": measure,
           "releases": {}, "boundary_notes": boundary_notes(con, area_code)}
    for release in rel.index:
        part = counts[counts["release"] == release]
        if part.empty:
            continue
        by = dict(zip(part["decile"].astype(int), part["n"].astype(int)))
        total = sum(by.values())
        out["releases"][release] = {
            "geography": rel.loc[release, "geography"],
            "decile_derived": bool(rel.loc[release, "decile_derived"]),
            "lsoa_count": total,
            "counts": {str(d): by.get(d, 0) for d in DECILES},
            "shares": {str(d): by.get(d, 0) / total for d in DECILES},
        }
    return out


def boundary_notes(con: Con, area_code: str) -> list[str]:
    """Plain-words notes where a current authority's LSOAs were published under other
    authorities in a release (mergers, boundary changes)."""
    if area_code == ENGLAND or area_code.startswith("E12"):
        return []
    notes = []
    changes = queries.lad_changes(con, area_code)
    for release, part in changes.groupby("release", sort=True):
        whole = part["lsoa_count"] == part["from_lsoa_count"]
        if len(part) == 1 and bool(whole.iloc[0]):
            continue  # one authority, same LSOAs: at most a change of code
        pieces = [f"{r.from_name} ({r.from_code})" + ("" if w else f": {int(r.lsoa_count)} of "
                                                      f"its {int(r.from_lsoa_count)} LSOAs")
                  for r, w in zip(part.itertuples(), whole)]
        notes.append(f"{release}: published for {', '.join(pieces)}; counted here by the LSOAs "
                     "that now lie in this authority.")
    return notes


def transitions(con: Con, area_code: str, from_release: str, to_release: str,
                measure: str = "imd") -> dict:
    """LSOA movement between the national deciles of two releases.

    Through the ONS LSOA lookups: unchanged (U) LSOAs count once; an LSOA that split (S) or
    was redrawn irregularly (X) counts 1/k towards each of its k successors; merged (M)
    LSOAs each count in full towards their shared successor. The matrix rows are the older
    release's decile, columns the newer's.
    """
    pairs = queries.lsoa_transitions(con, from_release, to_release, area_code, measure)
    complete = pairs.dropna(subset=["decile_from", "decile_to"])
    matrix = transition_matrix(complete, weight_col="weight")
    counts = pairs.groupby("chgind")["from_code"].count().to_dict()
    return {"area_code": area_code, "from_release": from_release, "to_release": to_release,
            "matrix": matrix, "pairs": pairs,
            "chgind_counts": {k: int(counts.get(k, 0)) for k in ("U", "S", "M", "X")},
            "unmatched": int(len(pairs) - len(complete))}


def comparison(con: Con, area_code: str, k: int = 5, measure: str = "imd") -> pd.DataFrame:
    """Decile shares of the area, its region, England and its ``k`` nearest-neighbour
    authorities (most similar decile distribution in the latest release), for every release.
    """
    place = queries.area(con, area_code)
    counts = queries.decile_counts(con, measure)
    releases = list(queries.releases(con)["release"])
    latest = counts[counts["release"] == releases[-1]]
    lad_shares = decile_shares_by_area(
        latest.loc[latest.index.repeat(latest["n"])], area_col="lad24_code")
    roles = [(area_code, "area")]
    if place["area_type"] == "lad":
        roles.append((place["region_code"], "region"))
        if k:
            near = nearest_neighbours(lad_shares, area_code, k=k)
            roles += [(code, "neighbour") for code in near["area_code"]]
    if area_code != ENGLAND:
        roles.append((ENGLAND, "england"))
    names = dict(zip(queries.areas(con)["area_code"], queries.areas(con)["area_name"]))
    rows = []
    for code, role in roles:
        c = _area_counts(counts, code)
        for release in releases:
            part = c[c["release"] == release]
            total = part["n"].sum()
            if not total:
                continue
            by = dict(zip(part["decile"].astype(int), part["n"]))
            row = {"area_code": code, "area_name": names.get(code, code), "role": role,
                   "release": release, "lsoa_count": int(total)}
            row.update({f"share_{d}": by.get(d, 0) / total for d in DECILES})
            row["share_decile_1"] = row["share_1"]
            rows.append(row)
    return pd.DataFrame(rows)
