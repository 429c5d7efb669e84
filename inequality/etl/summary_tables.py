"""Build step: every national table a page shows, computed once (``area``, ``summary``,
``summary_value``, ``decile_count``), and the computation of MHCLG's area summaries.

A summary of one authority needs every authority of England (its rank among them), so
computing it on a visit cost about 2 s of CPU per area (issue 15). The build computes, for
every release, the summary of every published and current authority, every region and
England (:func:`national_summaries`), and the decile counts that decile tracking,
comparisons and the domain profile read; :mod:`inequality.services.summaries` looks them
up. Custom areas (any set of LSOAs) are still summarised on demand
(:func:`lsoa_set_summary`, the same functions) and ranked against the stored authority
values.

How: each measure is weighted by its own population (:mod:`inequality.measures`), the
arithmetic is :func:`inequality.metrics.area.summarise_areas` (IoD 2019 Technical Report
section 3.8 and Appendix N), LSOAs count whole in one current authority by
:mod:`inequality.geography`'s one assignment, and a measure a release cannot support is
None with its reason.
"""

from __future__ import annotations

import functools
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from .. import geography, queries
from ..db import check_key
from ..measures import MEASURES as REGISTRY
from ..measures import POPULATION_LABELS
from ..metrics import area as area_metrics
from ..plain import plain
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection


SUMMARY_MEASURES = area_metrics.MEASURES


#: Measures that need the population denominators.
_WEIGHTED = ("avg_rank", "avg_score", "extent", "local_concentration")


DOMAIN_MEASURES = ("avg_rank", "avg_score", "prop_most_deprived_10", "extent",
                   "local_concentration")


#: Scale measure -> the measure whose rate it counts (weighted by that measure's population).
SCALES = {"income_scale": "income", "employment_scale": "employment"}


#: The one rank a page headlines, in every release, and its name.
HEADLINE_RANK_MEASURE = "avg_score"


HEADLINE_RANK_LABEL = "rank of average score"


def _release_info(con: Con, release: str) -> dict:
    out = queries.release(con, release)
    out["missing"] = dict(con.execute(
        "SELECT source_id, missing_columns FROM load_log").fetchall()).get(out["source_id"]) or []
    return out


def _weight(measure: str) -> str:
    """The ``population`` column weighting ``measure`` (:mod:`inequality.measures`)."""
    return REGISTRY[measure].population if measure in REGISTRY else "total"


@functools.lru_cache(maxsize=None)
def _population_headers(release: str) -> dict[str, str]:
    """canonical population column -> official File 7 header, for a release (the same for
    every call: cached; read only)."""
    from .readers.iod import columns_for  # only needed to word a reason
    try:
        cols = columns_for(release)
    except KeyError:
        return {}
    return {c.name[len("pop__"):]: c.headers[0] for c in cols if c.name.startswith("pop__")}


def _population_reason(info: dict, measure: str, subject: str | None = None) -> str:
    """Why ``measure``'s population-weighted figures cannot be computed, naming every
    population column the file as loaded lacks. ``subject`` words what is unavailable
    (default: the measure, "Employment is weighted by ...")."""
    rel, weight = info["release"], _weight(measure)
    label = REGISTRY[measure].short_label if measure in REGISTRY else measure
    headers = _population_headers(rel)
    absent = set(info["missing"])
    missing = [h for h in headers.values() if h in absent]
    if missing:
        detail = "missing population columns: " + ", ".join(repr(h) for h in missing)
    elif not headers:
        detail = f"the {rel} file publishes no population denominators"
    else:
        detail = f"its column {headers.get(weight, weight)!r} is empty"
    subject = subject or f"{label} is weighted by"
    return (f"not available for {rel}: {subject} the {POPULATION_LABELS[weight]}, which the "
            f"file as loaded lacks ({detail})")


def _availability(frame: pd.DataFrame, info: dict, measure: str) -> dict[str, str]:
    """Reasons, by summary measure, why ``measure`` cannot be summarised in this release."""
    rel = info["release"]
    if frame["rank"].isna().all():
        return {m: f"{rel} as loaded has no {measure} ranks" for m in DOMAIN_MEASURES}
    why: dict[str, str] = {}
    if frame["population"].isna().all():
        reason = _population_reason(info, measure)
        why.update({m: reason for m in _WEIGHTED})
    if frame["score"].isna().all() and "avg_score" not in why:
        why["avg_score"] = f"not available for {rel}: the file as loaded has no {measure} score"
    return why


def _split(long: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """:func:`queries.all_measure_ranks` split by measure (one pass, shared by both bases)."""
    return {m: part for m, part in long.groupby("measure", sort=False)}


def weighted_frame(part: pd.DataFrame, measure: str, area_col: str) -> pd.DataFrame:
    """The input of :func:`inequality.metrics.area.summarise_areas` for one measure: its LSOAs
    (``part``, rows of :func:`queries.all_measure_ranks` for ``measure``) with ``population``
    set to the population that weights it (:attr:`inequality.measures.Measure.population`).
    Columns: ``area_code, rank, score, decile, population, lsoa_code``."""
    return pd.DataFrame({
        "area_code": part[area_col].array,  # no round trip through Python strings
        "rank": part["rank"].astype("float64").to_numpy(),
        "score": part["score"].astype("float64").to_numpy(),
        "decile": part["decile"].astype("float64").to_numpy(),
        "population": part[_weight(measure)].astype("float64").to_numpy(),
        "lsoa_code": part["lsoa_code"].array,
    })


def _summarise(frame: pd.DataFrame, n: int, wanted: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "lsoa_count"])
    return area_metrics.summarise_areas(frame, n=n, measures=wanted)


def _scales(parts: dict[str, pd.DataFrame], area_col: str, info: dict
            ) -> tuple[pd.DataFrame, dict]:
    """Income and employment scale by area, estimated: the measure's published rate x its
    own population (income: total, employment: working-age), summed (IoD Technical Report,
    scale measures), ranked unrounded, then rounded to the precision the rounded rates
    support (:func:`inequality.metrics.area.scale_precision`). File 7 publishes rates, not
    the counts, so every scale here is an estimate (``<scale>_estimated``)."""
    base = parts["imd"]
    frame = pd.DataFrame({"area_code": base[area_col].to_numpy(),
                          "lsoa_code": base["lsoa_code"].to_numpy()})
    why: dict[str, str] = {}
    wanted, decimals, denominators = [], {}, {}
    columns = {"income_scale": ("income_score", "population"),
               "employment_scale": ("employment_score", "working_age_population")}
    for name, measure in SCALES.items():
        rate_col, pop_col = columns[name]
        weight = _weight(measure)
        frame[pop_col] = base[weight].astype("float64").to_numpy()
        if measure in parts:
            rates = parts[measure].set_index("lsoa_code")["score"]
            frame[rate_col] = frame["lsoa_code"].map(rates).astype("float64")
        else:
            frame[rate_col] = np.nan
        if frame[rate_col].isna().all():
            why[name] = (f"not available for {info['release']}: the file as loaded has no "
                         f"{measure} score (rate)")
        elif frame[pop_col].isna().all():
            why[name] = _population_reason(
                info, measure, f"the {name.replace('_', ' ')} multiplies the {measure} rate by")
        else:
            wanted.append(name)
            decimals[name] = area_metrics.rate_decimals(frame[rate_col])
            ok = frame[rate_col].notna() & frame[pop_col].notna()
            denominators[name] = frame[pop_col].where(ok).groupby(frame["area_code"]).sum()
    if not wanted:
        out = pd.DataFrame({"area_code": pd.unique(frame["area_code"])})
    else:
        out = area_metrics.summarise_areas(frame, n=int(info["lsoa_count"]), measures=wanted)
    for name in SCALES:
        if name not in out.columns:
            out[name] = np.nan
            out[f"rank_{name}"] = pd.NA
            out[f"{name}_precision"] = np.nan
            continue
        precision = out["area_code"].map(denominators[name]).map(
            lambda d, k=decimals[name]: area_metrics.scale_precision(d, k))
        out[f"{name}_precision"] = precision.where(out[name].notna())
        out[name] = [area_metrics.round_scale(v, p) for v, p in zip(out[name], precision)]
    cols = ["area_code"]
    for name in SCALES:
        cols += [name, f"rank_{name}", f"{name}_precision"]
    return out[cols], why


@dataclass
class _Level:
    """Every area of one level (published | current | region) of a release, summarised."""

    n: int
    head: dict[str, dict]                       # area code -> IMD measures, scales, ranks
    domains: dict[str, dict[str, dict]]         # measure -> area code -> measures, ranks
    reasons: dict[str, dict[str, str]]          # measure -> summary measure -> reason
    unavailable: dict[str, str]                 # the IMD's and the scales' reasons
    names: dict[str, str] = field(default_factory=dict)


def _records(table: pd.DataFrame) -> dict[str, dict]:
    """area code -> {column: plain value} (one pass, no per-row indexing)."""
    cols = list(table.columns)
    out = {}
    for code, values in zip(table.index, table.itertuples(index=False, name=None)):
        out[code] = {c: plain(v) for c, v in zip(cols, values)}
    return out


def _level(parts: dict[str, pd.DataFrame], info: dict, area_col: str, order: list[str]
           ) -> _Level:
    """All areas of one level for a release, one pass per measure."""
    n = int(info["lsoa_count"])
    parts = {m: (p if p[area_col].notna().all() else p[p[area_col].notna()])
             for m, p in parts.items()}
    present = [m for m in order if m in parts]
    tables: dict[str, pd.DataFrame] = {}
    reasons: dict[str, dict[str, str]] = {}
    for measure in present:
        frame = weighted_frame(parts[measure], measure, area_col)
        why = _availability(frame, info, measure)
        wanted = [m for m in DOMAIN_MEASURES if m not in why]
        table = _summarise(frame, n, wanted)
        for m in DOMAIN_MEASURES:
            if m not in table.columns:
                table[m] = np.nan
                table[f"rank_{m}"] = pd.NA
        tables[measure] = table.set_index("area_code")
        reasons[measure] = why
    scales, scale_why = _scales(parts, area_col, info)
    head = tables["imd"].join(scales.set_index("area_code"), how="left")
    return _Level(n=len(head), head=_records(head),
                  domains={m: _records(t) for m, t in tables.items() if m != "imd"},
                  reasons=reasons, unavailable={**reasons["imd"], **scale_why})


def _ranks(row: dict | None, measures) -> dict[str, int | None] | None:
    if row is None:
        return None
    return {m: (int(row[f"rank_{m}"]) if row.get(f"rank_{m}") is not None else None)
            for m in measures}


class _Release:
    """One release summarised on both bases (its published authorities and today's), with
    the pairing of the two; built once per request."""

    def __init__(self, con: Con, release: str, levels=("published", "current"),
                 long: pd.DataFrame | None = None):
        self.release = release
        self.info = _release_info(con, release)
        self.order = list(queries.measures(con)["measure"])
        if long is None:
            long = queries.all_measure_ranks(con, release)
        parts = _split(long)
        cols = {"published": "published_lad_code", "current": "lad24_code",
                "region": "region_code"}
        self.levels = {lv: _level(parts, self.info, cols[lv], self.order) for lv in levels}
        for lv, level in self.levels.items():
            level.names = _names(con, release, lv)
        if "published" in levels and "current" in levels:
            self.overlaps = geography.authority_overlaps(con, release)
            pairs = geography.counterparts(self.overlaps)
            self.p2c = dict(zip(pairs["published_code"], pairs["lad24_code"]))
            self.c2p = dict(zip(pairs["lad24_code"], pairs["published_code"]))
            self.moved = geography.moved_lsoas(con, release)
            self.notes = geography.notes_by_authority(release, self.overlaps, self.moved)

    def authority(self, code: str, basis: str) -> dict:
        """The summary object of one authority on one basis (published | current)."""
        level = self.levels[basis]
        row = level.head[code]
        obj = {"area_code": code, "area_name": level.names.get(code),
               "release": self.release, "lsoa_count": int(row["lsoa_count"])}
        obj.update(_record(row, SUMMARY_MEASURES))
        for name in SCALES:
            obj[f"{name}_estimated"] = True if obj[name] is not None else None
            obj[f"{name}_precision"] = row.get(f"{name}_precision")
        obj["n_areas"] = level.n
        obj["rank_basis"] = basis
        pub = code if basis == "published" else self.c2p.get(code)
        cur = code if basis == "current" else self.p2c.get(code)
        obj.update(self._cross(pub, cur, None))
        obj["headline_rank_measure"] = HEADLINE_RANK_MEASURE
        obj["headline_rank_label"] = HEADLINE_RANK_LABEL
        domains = {}
        for measure, table in level.domains.items():
            d = _record(table.get(code), DOMAIN_MEASURES)
            d.update(self._cross(pub, cur, measure, keys=False))
            reasons = self.levels[basis].reasons.get(measure)
            if reasons:
                d["unavailable"] = reasons
            domains[measure] = d
        obj["domains"] = domains
        obj["unavailable"] = {m: r for m, r in level.unavailable.items() if obj.get(m) is None}
        obj["notes"] = list(self.notes[basis].get(code, []))
        return obj

    def _cross(self, pub: str | None, cur: str | None, measure: str | None,
               keys: bool = True) -> dict:
        """Ranks of the same place on both bases (for the IMD when ``measure`` is None)."""
        out = {}
        for basis, code in (("published", pub), ("current", cur)):
            level = self.levels[basis]
            if measure is None:
                row, measures = level.head.get(code), SUMMARY_MEASURES
            else:
                row, measures = level.domains.get(measure, {}).get(code), DOMAIN_MEASURES
            if keys:
                out[f"{basis}_code"] = code
                out[f"{basis}_name"] = level.names.get(code) if code else None
            out[f"ranks_{basis}"] = _ranks(row, measures)
            out[f"n_{basis}"] = level.n
        return out


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


#: The levels the build stores (:func:`national_summaries`), in the ``summary`` table's
#: ``basis`` column: the release's published authorities, today's (April 2024) authorities,
#: the regions and England.
BASES = ("published", "current", "region", "england")


def national_summaries(con: Con, release: str) -> dict[str, list[dict]]:
    """Every area's summary object of a release, by basis (:data:`BASES`): what
    :func:`area_summary` and :func:`all_summaries` return, computed in one pass over the
    release's LSOAs. The build (:mod:`inequality.etl.summary_tables`) stores them, so a page,
    the CLI or a briefing looks a summary up instead of computing it."""
    long = queries.all_measure_ranks(con, release)
    rel = _Release(con, release, levels=("published", "current", "region"), long=long)
    out = {basis: [rel.authority(code, basis) for code in rel.levels[basis].head]
           for basis in ("published", "current")}
    out["region"] = [_region_object(rel, code) for code in rel.levels["region"].head]
    out["england"] = [_england_object(release, lsoa_set_summary(con, release, long=long))]
    return out


def encode_summary(obj: dict) -> bytes:
    """A summary object as the build stores it: JSON text (no NaN), zlib-compressed (about
    1.5 kB instead of 17 kB, so fetching one from the ``summary`` table reads little)."""
    return zlib.compress(json.dumps(obj, allow_nan=False).encode("utf-8"), 6)


def decode_summary(body: bytes) -> dict:
    """The summary object :func:`encode_summary` stored."""
    return json.loads(zlib.decompress(body))


def summary_values(obj: dict) -> list[tuple]:
    """One stored summary object as tidy rows ``(measure, statistic, value, rank)``: the
    IMD's summary measures and scales, then each domain's (the build's ``summary_value``
    table, which analysts can query and :func:`rank_among_authorities` ranks against)."""
    rows = [("imd", m, obj.get(m), obj.get(f"rank_{m}")) for m in SUMMARY_MEASURES]
    for measure, d in (obj.get("domains") or {}).items():
        rows += [(measure, m, d.get(m), d.get(f"rank_{m}")) for m in DOMAIN_MEASURES]
    return rows


def _no_cross() -> dict:
    return {"published_code": None, "published_name": None, "ranks_published": None,
            "n_published": None, "current_code": None, "current_name": None,
            "ranks_current": None, "n_current": None,
            "headline_rank_measure": HEADLINE_RANK_MEASURE,
            "headline_rank_label": HEADLINE_RANK_LABEL}


def _region_object(rel: _Release, code: str) -> dict:
    level = rel.levels["region"]
    row = level.head[code]
    obj = {"area_code": code, "area_name": level.names.get(code), "release": rel.release,
           "lsoa_count": int(row["lsoa_count"])}
    obj.update(_record(row, SUMMARY_MEASURES))
    for name in SCALES:
        obj[f"{name}_estimated"] = True if obj[name] is not None else None
        obj[f"{name}_precision"] = row.get(f"{name}_precision")
    obj["n_areas"] = level.n
    obj["rank_basis"] = "region"
    obj.update(_no_cross())
    obj["domains"] = {}
    for measure, table in level.domains.items():
        d = _record(table.get(code), DOMAIN_MEASURES)
        if level.reasons.get(measure):
            d["unavailable"] = level.reasons[measure]
        obj["domains"][measure] = d
    obj["unavailable"] = {m: r for m, r in level.unavailable.items() if obj.get(m) is None}
    obj["notes"] = []
    return obj


def lsoa_set_summary(con: Con, release: str, codes=None, *,
                     long: pd.DataFrame | None = None) -> dict:
    """The summary measures of one set of LSOAs (all of England when ``codes`` is None):
    the IMD's measures, income and employment scale (estimated, rounded, flagged), and each
    domain's, computed from national ranks with each measure weighted by its own population,
    with the reason for anything the release cannot support. No ranks. ``long``:
    :func:`queries.all_measure_ranks` of the release, when the caller has it already."""
    info = _release_info(con, release)
    if long is None:
        long = queries.all_measure_ranks(con, release)
    if codes is not None:
        long = long[long["lsoa_code"].isin(set(codes))]
    if long.empty:
        raise UnknownArea(f"none of the LSOAs given is in {release}")
    long = long.assign(group="set")
    n = int(info["lsoa_count"])
    out = {"release": release, "geography": info["geography"],
           "lsoa_count": int(long["lsoa_code"].nunique()), "domains": {}, "unavailable": {}}
    parts = _split(long)
    for measure in [m for m in queries.measures(con)["measure"] if m in parts]:
        frame = weighted_frame(parts[measure], measure, "group")
        why = _availability(frame, info, measure)
        wanted = [m for m in DOMAIN_MEASURES if m not in why]
        row = _summarise(frame, n, wanted).iloc[0] if wanted else pd.Series(dtype=float)
        values = {m: plain(row.get(m)) for m in DOMAIN_MEASURES}
        if measure == "imd":
            out.update(values)
            out["unavailable"].update(why)
        else:
            out["domains"][measure] = values | ({"unavailable": why} if why else {})
    scales, scale_why = _scales(parts, "group", info)
    for m in SCALES:
        out[m] = plain(scales.iloc[0][m])
        out[f"{m}_estimated"] = True if out[m] is not None else None
        out[f"{m}_precision"] = plain(scales.iloc[0][f"{m}_precision"])
    out["unavailable"].update(scale_why)
    out["unavailable"] = {m: r for m, r in out["unavailable"].items() if out.get(m) is None}
    return out


def _england_object(release: str, s: dict) -> dict:
    """England as one area (a :func:`lsoa_set_summary` of every LSOA): the same measures,
    no rank."""
    obj = {"area_code": ENGLAND, "area_name": "England", "release": release,
           "lsoa_count": s["lsoa_count"]}
    for m in SUMMARY_MEASURES:
        obj[m] = s[m]
        obj[f"rank_{m}"] = None
    for m in SCALES:
        obj[f"{m}_estimated"] = s[f"{m}_estimated"]
        obj[f"{m}_precision"] = s[f"{m}_precision"]
    obj["n_areas"] = 1
    obj["rank_basis"] = None
    obj.update(_no_cross())
    obj["domains"] = {}
    obj["unavailable"] = s["unavailable"]
    obj["notes"] = []
    return obj


# --- the build step ---------------------------------------------------------------------------

def _rows(release: str, by_basis: dict[str, list[dict]]) -> tuple[list, list]:
    """(``summary`` rows, ``summary_value`` rows) of one release."""
    objects, values = [], []
    for basis, items in by_basis.items():
        for obj in items:
            code, name = obj["area_code"], obj.get("area_name")
            objects.append([release, basis, code, name, encode_summary(obj)])
            n = int(obj.get("n_areas") or 1)
            values += [[release, basis, code, name, measure, statistic, value, rank, n]
                       for measure, statistic, value, rank in summary_values(obj)]
    return objects, values


def derive_summaries(con: Con, log: Callable[[str], None] = lambda _m: None) -> None:
    """Fill ``area``, ``summary``, ``summary_value`` and ``decile_count`` from the loaded
    releases and the derived ``lsoa`` table (replacing what they held)."""
    t = time.perf_counter()
    con.execute("DELETE FROM area; DELETE FROM summary; DELETE FROM summary_value; "
                "DELETE FROM decile_count")
    con.execute(f"INSERT INTO area {queries.AREAS_SQL}")
    con.execute(f"INSERT INTO decile_count {queries.DECILE_COUNT_SQL}")
    for release in queries.releases(con)["release"]:
        r = time.perf_counter()
        objects, values = _rows(release, national_summaries(con, release))
        stored = pd.DataFrame(objects, columns=["release", "basis", "area_code", "area_name",
                                                "body"])
        tidy = pd.DataFrame(values, columns=["release", "basis", "area_code", "area_name",
                                             "measure", "statistic", "value", "rank",
                                             "n_areas"]
                            ).astype({"value": "float64", "rank": "Int32", "n_areas": "int32"})
        con.from_df(stored).insert_into("summary")
        con.from_df(tidy).insert_into("summary_value")
        log(f"summaries {release}: {len(objects):,} areas ({time.perf_counter() - r:.1f}s)")
    check_key(con, "summary_value", ("release", "basis", "area_code", "measure", "statistic"))
    log(f"summaries: done ({time.perf_counter() - t:.1f}s)")

