"""Area summaries and decile tracking: named queries in, pure metrics applied, plain data out.

This is the layer the CLI, the pages and the briefings share: it decides which LSOAs make up
an area, which population weights each measure and which measures a release can support,
and says why when one cannot be computed. The arithmetic lives in :mod:`inequality.metrics`;
which population weights which measure in :mod:`inequality.measures`; which current
authority an LSOA counts in, in :mod:`inequality.geography`.

Every authority summary carries two rankings, labelled: the rank among the authorities the
release was published for (MHCLG's own, e.g. 317 in 2019) and the rank among today's (April
2024) authorities, with the authority of each basis that is the same place
(``published_code``, ``current_code``) and notes where their LSOAs differ. The headline rank
is the same measure in every release: :data:`HEADLINE_RANK_MEASURE` ("rank of average
score").
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from .. import geography, queries
from ..measures import MEASURES as REGISTRY
from ..measures import POPULATION_LABELS
from ..metrics import area as area_metrics
from ..metrics.deciles import DECILES, RELATIVE_WARNING, nearest_neighbours, transition_matrix
from ..plain import plain
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection

__all__ = ["ASSIGNMENT_RULE", "HEADLINE_RANK_LABEL", "HEADLINE_RANK_MEASURE",
           "RELATIVE_WARNING", "UnknownArea", "all_summaries", "area_summary", "comparison",
           "decile_tracking", "lsoa_set_summary", "rank_among_authorities", "transitions",
           "weighted_frame"]

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
#: How LSOAs are counted in today's authorities (for pages and notes).
ASSIGNMENT_RULE = geography.ASSIGNMENT_RULE


def _release_info(con: Con, release: str) -> dict:
    out = queries.release(con, release)
    out["missing"] = dict(con.execute(
        "SELECT source_id, missing_columns FROM load_log").fetchall()).get(out["source_id"]) or []
    return out


def _weight(measure: str) -> str:
    """The ``population`` column weighting ``measure`` (:mod:`inequality.measures`)."""
    return REGISTRY[measure].population if measure in REGISTRY else "total"


def _population_headers(release: str) -> dict[str, str]:
    """canonical population column -> official File 7 header, for a release."""
    from ..etl.readers.iod import columns_for  # only needed to word a reason
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
    missing = [h for h in headers.values() if h in set(info["missing"])]
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
    return area_metrics.summarise_areas(frame.drop(columns="lsoa_code"), n=n, measures=wanted)


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
        out = area_metrics.summarise_areas(frame.drop(columns="lsoa_code"),
                                           n=int(info["lsoa_count"]), measures=wanted)
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
    parts = {m: p[p[area_col].notna()] for m, p in parts.items()}
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


# --- every national summary, computed once at build time -------------------------------------

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


def _stored(con: Con, release: str) -> None:
    """Raise a clear error when the release is not loaded, or when the database holds no
    stored summaries for it (built by a program that did not store them)."""
    queries.release(con, release)  # UnknownArea naming the loaded releases
    if not queries.summary_count(con, release):
        from ..db import DatabaseDamaged, REBUILD
        raise DatabaseDamaged(f"the database holds no stored summaries for {release}; rebuild "
                              f"it with {REBUILD}")


def all_summaries(con: Con, release: str, *, current: bool = False) -> list[dict]:
    """Every authority's summary for a release, with ranks among authorities (1 = most deprived).

    ``current=False`` (the default) summarises the release for the authorities it was
    published with (LAD 2013 for IoD 2015, LAD 2019 for 2019, LAD 2024 for 2025, the
    post-2009 authorities for 2010), as MHCLG's File 10 does; ``current=True`` uses the
    April 2024 authorities, each LSOA counted whole in one of them by
    :data:`ASSIGNMENT_RULE`, so releases can be compared.

    Each measure is weighted by its own population (:mod:`inequality.measures`: Employment
    by the working-age population, IDACI by children aged 0-15, IDAOPI by people aged 60+,
    the rest by the total population). Proportions are fractions; a measure that cannot be
    computed is None with its reason under ``unavailable``.

    Keys of each summary (besides the measures ``avg_rank`` ... ``employment_scale``):

    * ``rank_<measure>``, ``n_areas``: rank among the authorities of ``rank_basis``
      (``"published"`` or ``"current"``, the basis asked for);
    * ``published_code``, ``published_name``, ``ranks_published`` (``{measure: rank}``),
      ``n_published``: the release's own authority that is the same place and MHCLG's
      ranking (None where it did not exist, e.g. Cumberland before 2023);
    * ``current_code``, ``current_name``, ``ranks_current``, ``n_current``: the same for
      today's (April 2024) authorities (None where the published one was merged away);
    * ``headline_rank_measure`` (``"avg_score"``) and ``headline_rank_label``;
    * ``income_scale_estimated`` / ``employment_scale_estimated`` (True: rate x population,
      File 7 publishes no counts) and ``<scale>_precision`` (the unit it is rounded to);
    * ``notes``: sentences where the published and today's authority hold different LSOAs;
    * ``domains``: each domain's measures, ``rank_<measure>``, ``ranks_published``,
      ``n_published``, ``ranks_current``, ``n_current`` and ``unavailable``.

    The summaries are computed once, at build time (:func:`national_summaries`); this reads
    them.
    """
    _stored(con, release)
    basis = "current" if current else "published"
    return [decode_summary(body) for body in queries.stored_summaries(con, release, basis)]


def area_summary(con: Con, area_code: str, release: str, *, current: bool = True) -> dict:
    """One area's summary: a current (or, with ``current=False``, published) authority ranked
    among all authorities on both bases (see :func:`all_summaries` for the keys), a region
    ranked among regions, or England. A lookup of what the build stored
    (:func:`national_summaries`).
    """
    if area_code == ENGLAND:
        basis = "england"
    elif area_code.startswith("E12"):
        basis = "region"
    else:
        basis = "current" if current else "published"
    body = queries.stored_summary(con, release, basis, area_code)
    if body is not None:
        return decode_summary(body)
    _stored(con, release)
    if basis == "region":
        raise UnknownArea(f"region {area_code!r} is not an English region (E12000001 to "
                          "E12000009)")
    hint = ("; use --current to summarise by today's (2024) authorities" if not current
            else "; run `python -m inequality summary --all --current --release "
                 f"{release} --json` to list codes")
    raise UnknownArea(f"{area_code!r} is not a{' published' if not current else ' current'} "
                      f"local authority of {release}{hint}")


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

def rank_among_authorities(con: Con, release: str, values: dict) -> dict:
    """Where an area with these IMD summary values (e.g. a custom area's
    :func:`lsoa_set_summary`) would rank among the release's published authorities and among
    today's: ``ranks_published``, ``n_published``, ``ranks_current``, ``n_current`` (1 = most
    deprived; an area equal to an authority shares its rank). Ranked against the stored
    authority summaries (the ``summary_value`` table)."""
    _stored(con, release)
    stored = queries.authority_values(con, release, "imd")
    out = {}
    for basis in ("published", "current"):
        part = stored[stored["basis"] == basis]
        ranks = {}
        for m in SUMMARY_MEASURES:
            v = values.get(m)
            col = part.loc[part["statistic"] == m, "value"].dropna()
            ranks[m] = int((col > v).sum()) + 1 if v is not None and len(col) else None
        out[f"ranks_{basis}"] = ranks
        out[f"n_{basis}"] = int(part["area_code"].nunique())
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

    Each release is counted on its own LSOA geography, each LSOA whole in one current (2024)
    authority by :data:`ASSIGNMENT_RULE` (returned as ``assignment_rule``). Where a release
    publishes no decile (2010), the decile is ceil(10 x rank / N), the rule the later releases
    follow.
    """
    place = queries.area(con, area_code)
    counts = _area_counts(queries.decile_counts(con, measure, area_code), area_code)
    rel = queries.releases(con).set_index("release")
    out = {"area_code": area_code, "area_name": place["area_name"], "measure": measure,
           "releases": {}, "boundary_notes": boundary_notes(con, area_code),
           "assignment_rule": ASSIGNMENT_RULE}
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

    The unit is the older release's LSOA, counted whole in the one current authority
    :data:`ASSIGNMENT_RULE` gives it, exactly as decile tracking counts it: the matrix rows
    (the older release's decile) add up to the area's LSOAs in decile tracking for the older
    release, less any without a decile on both sides (``unmatched``). Through the ONS LSOA
    lookups: an unchanged (U) LSOA counts once in its successor's decile; an LSOA that split
    (S) or was redrawn irregularly (X) shares its one count equally among its k successors'
    deciles (1/k each), wherever they lie; merged (M) LSOAs each count once towards their
    shared successor's decile. The columns are the newer release's decile; their totals
    need not equal the newer release's tracking counts, since newer LSOAs are not the unit.
    """
    pairs = queries.lsoa_transitions(con, from_release, to_release, area_code, measure)
    complete = pairs.dropna(subset=["decile_from", "decile_to"])
    matrix = transition_matrix(complete, weight_col="weight")
    counts = pairs.groupby("chgind")["from_code"].count().to_dict()
    return {"area_code": area_code, "from_release": from_release, "to_release": to_release,
            "matrix": matrix, "pairs": pairs,
            "chgind_counts": {k: int(counts.get(k, 0)) for k in ("U", "S", "M", "X")},
            "unmatched": int(len(pairs) - len(complete))}


def _shares_by_authority(counts: pd.DataFrame) -> pd.DataFrame:
    """Stored decile counts (``lad24_code, decile, n``) as each authority's share of LSOAs
    per decile: the frame :func:`inequality.metrics.deciles.decile_shares_by_area` gives from
    one row per LSOA (index sorted by code, columns 1..10)."""
    counts = counts[counts["lad24_code"].notna()]
    codes, labels = pd.factorize(counts["lad24_code"], sort=True)
    matrix = np.zeros((len(labels), len(DECILES)))
    np.add.at(matrix, (codes, counts["decile"].astype(int).to_numpy() - 1),
              counts["n"].astype(float).to_numpy())
    return pd.DataFrame(matrix / matrix.sum(axis=1, keepdims=True),
                        index=pd.Index(labels, name="lad24_code"), columns=list(DECILES))


def comparison(con: Con, area_code: str, k: int = 5, measure: str = "imd") -> pd.DataFrame:
    """Decile shares of the area, its region, England and its ``k`` nearest-neighbour
    authorities (most similar decile distribution in the latest release), for every release.
    """
    place = queries.area(con, area_code)
    counts = queries.decile_counts(con, measure)
    releases = list(queries.releases(con)["release"])
    latest = counts[counts["release"] == releases[-1]]
    roles = [(area_code, "area")]
    if place["area_type"] == "lad":
        roles.append((place["region_code"], "region"))
        if k:
            near = nearest_neighbours(_shares_by_authority(latest), area_code, k=k)
            roles += [(code, "neighbour") for code in near["area_code"]]
    if area_code != ENGLAND:
        roles.append((ENGLAND, "england"))
    listed = queries.areas(con)
    names = dict(zip(listed["area_code"], listed["area_name"]))
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
