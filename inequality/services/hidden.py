"""Rural and hidden deprivation: the service behind `python -m inequality hidden` and the page.

It decides which LSOAs make up the place (an authority, a ward or any set of LSOAs), which
measures the release can support (and says why when one cannot be computed), runs the pure
functions of :mod:`inequality.metrics.hidden` and puts every reason an LSOA is flagged into
plain words a community group can quote. Plain results only: the page's map, charts and
tables are drawn by :mod:`inequality.present` (``maps.hidden_deck``, ``charts.hidden``,
``present.hidden``).

Spatial statistics are national: Local Moran's I is computed once for all of England on
queen-contiguity weights of the national boundary set (so neighbours across an authority
border count), then filtered to the place; q-values are recomputed over the place's own
LSOAs, the family of tests it reports. The build caches the neighbours (``lsoa_neighbour``)
and the IMD and Income LISA (``lisa``) because they take seconds (see
:mod:`inequality.etl.spatial` and ``benchmarks/bench_lisa.py``); other domains, or a database
built before those tables existed, are computed on demand by the same functions and memoised
per process.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from .. import queries
from ..etl import spatial
from ..etl.spatial import PERMUTATIONS, SEED
from ..geography import BOUNDARY_GEOGRAPHIES
from ..measures import POPULATION_LABELS, population_column
from ..metrics import hidden as hm
from ..metrics.deciles import decile_distribution
from ..plain import plain
from ..queries import UnknownArea

Con = duckdb.DuckDBPyConnection

__all__ = ["ALPHA", "BOUNDARY_GEOGRAPHIES", "DEFAULT_DOMAINS", "LISA_DOMAINS", "PERMUTATIONS",
           "REASON_TAGS", "SEED", "SHORT", "STRONG_TAGS", "UnknownArea", "Weights",
           "compute_national_lisa", "flagged_table", "map_frame", "national_lisa",
           "national_weights", "quotable", "report", "to_json", "wards"]

#: False discovery rate at which a Local Moran's I result counts as a discovery.
ALPHA = 0.05
#: Domains a reader can ask to test for spatial outliers besides the IMD.
LISA_DOMAINS = ("income", "employment", "education", "health", "crime", "barriers",
                "living_environment", "geographical_barriers", "idaci", "idaopi")
DEFAULT_DOMAINS = ("income",)

#: Plain names used in the reasons.
PLAIN = {
    "imd": "the Index of Multiple Deprivation", "income": "income deprivation",
    "employment": "employment deprivation", "education": "education, skills and training",
    "health": "health deprivation and disability", "crime": "crime",
    "barriers": "barriers to housing and services", "living_environment":
    "living environment", "geographical_barriers":
    "distance to services (geographical barriers)", "idaci":
    "income deprivation affecting children", "idaopi":
    "income deprivation affecting older people",
}
SHORT = {"imd": "IMD", "income": "Income", "employment": "Employment",
         "education": "Education", "health": "Health", "crime": "Crime",
         "barriers": "Barriers", "living_environment": "Living environment",
         "geographical_barriers": "Geographical barriers", "idaci": "IDACI",
         "idaopi": "IDAOPI"}


# --- per-process memo for on-demand national computations --------------------------------------

_MEMO: dict = {}
_MEMO_LOCK = threading.Lock()
_MEMO_MAX = 12


def _db_key(con: Con) -> tuple | None:
    """(path, mtime) of the database file, or None for an in-memory database."""
    try:
        path = con.execute("SELECT path FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchone()[0]
    except duckdb.Error:
        return None
    if not path or not os.path.exists(path):
        return None
    return path, os.stat(path).st_mtime


def _memoised(con: Con, key: tuple, compute: Callable):
    db = _db_key(con)
    if db is None:
        return compute()
    full = (db, *key)
    with _MEMO_LOCK:
        if full in _MEMO:
            return _MEMO[full]
    value = compute()
    with _MEMO_LOCK:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[full] = value
    return value


# --- national weights and LISA ------------------------------------------------------------

@dataclass
class Weights:
    """National queen-contiguity weights of one boundary vintage."""

    geography: str
    w: hm.SparseWeights  # binary; libpysal's W of the same: w.to_libpysal()
    attached: dict[str, str]  # island -> the nearest LSOA it was joined to
    source: str  # "build" (lsoa_neighbour table) or "boundaries" (computed now)


def _weights_from_boundaries(con: Con, geography: str) -> Weights:
    w, attached = spatial.boundary_weights(con, geography, libpysal=False)
    return Weights(geography, w, attached, "boundaries")


def _weights_from_table(pairs: pd.DataFrame, geography: str) -> Weights:
    w = hm.SparseWeights.from_pairs(pairs["lsoa_code"].to_numpy(),
                                    pairs["neighbour_code"].to_numpy())
    attached_rows = pairs[pairs["attached"]]
    # an island's row lists exactly its one attached neighbour
    counts = pairs.groupby("lsoa_code").size()
    attached = {r.lsoa_code: r.neighbour_code for r in attached_rows.itertuples()
                if counts[r.lsoa_code] == 1}
    return Weights(geography, w, attached, "build")


def national_weights(con: Con, geography: str) -> Weights:
    """Queen weights on every LSOA boundary of ``geography``: from the build's
    ``lsoa_neighbour`` table where present, else computed from the boundaries (memoised)."""
    if geography not in BOUNDARY_GEOGRAPHIES:
        raise LookupError(f"{geography} has no published boundaries (only "
                          f"{', '.join(BOUNDARY_GEOGRAPHIES)} do)")

    def compute() -> Weights:
        if queries.has_table(con, "lsoa_neighbour"):
            pairs = queries.neighbour_pairs(con, geography)
            if not pairs.empty:
                return _weights_from_table(pairs, geography)
        return _weights_from_boundaries(con, geography)

    return _memoised(con, ("weights", geography), compute)


def compute_national_lisa(con: Con, release: str, measure: str, weights: Weights | None = None,
                          *, permutations: int = PERMUTATIONS, seed: int = SEED
                          ) -> pd.DataFrame:
    """Local Moran's I of every LSOA of England for one release and measure (no cache), on
    ``weights`` or the national weights of the release's vintage
    (:func:`inequality.etl.spatial.compute_national_lisa`, the build's own computation).

    Returns ``lsoa_code, basis, value, neighbour_mean, local_i, quadrant, p_sim, q_value``
    (q over all of England), in LSOA-code order.
    """
    weights = weights or national_weights(con, queries.release(con, release)["geography"])
    return spatial.compute_national_lisa(con, release, measure, weights.w,
                                         permutations=permutations, seed=seed)


def national_lisa(con: Con, release: str, measure: str) -> tuple[pd.DataFrame, str]:
    """National LISA for a release and measure and where it came from (``build`` or
    ``computed``): the build's ``lisa`` table when it holds it, else computed now."""
    if queries.has_table(con, "lisa"):
        cached = queries.lisa_values(con, release, measure)
        if not cached.empty:
            return cached.drop(columns=["permutations", "seed"]), "build"
    frame = _memoised(con, ("lisa", release, measure),
                      lambda: compute_national_lisa(con, release, measure))
    return frame, "computed"


# --- the place ----------------------------------------------------------------------------------

def wards(con: Con, release: str, area_code: str | None = None) -> pd.DataFrame:
    """Wards of a release's geography with their authority and LSOA count (for the ward
    search): ``ward_code, ward_name, lad24_code, lad24_name, lsoa_count, ward_source``."""
    info = queries.release(con, release)
    w = queries.ward_lsoas(con, info["geography"], area_code)
    if w.empty:
        return pd.DataFrame(columns=["ward_code", "ward_name", "lad24_code", "lad24_name",
                                     "lsoa_count", "ward_source"])
    return (w.groupby(["ward_code", "ward_name", "lad24_code", "lad24_name", "ward_source"],
                      as_index=False, dropna=False)
            .agg(lsoa_count=("lsoa_code", "count"))
            .sort_values(["ward_name", "lad24_name"]).reset_index(drop=True)
            [["ward_code", "ward_name", "lad24_code", "lad24_name", "lsoa_count",
              "ward_source"]])


def _place(con: Con, info: dict, area_code: str | None, lsoa_codes: Sequence[str] | None,
           label: str | None) -> tuple[dict, pd.DataFrame]:
    """The place's identity and its LSOAs (``queries.lsoa_values`` rows)."""
    release, geography = info["release"], info["geography"]
    if area_code and area_code.startswith("E05"):
        ward_rows = queries.ward_lsoas(con, geography)
        ward_rows = ward_rows[ward_rows["ward_code"] == area_code]
        if ward_rows.empty:
            raise UnknownArea(f"ward {area_code!r} has no LSOAs in {release} ({geography}); "
                              "ward names and codes are the 2024 wards (E05...); search them "
                              "on the Rural & hidden deprivation page")
        lad = ward_rows["lad24_code"].iloc[0]
        codes = ward_rows["lsoa_code"].tolist()
        frame = queries.lsoa_values(con, release, lad)
        frame = frame[frame["lsoa_code"].isin(codes)]
        name = label or f"{ward_rows['ward_name'].iloc[0]} ward, {ward_rows['lad24_name'].iloc[0]}"
        return {"area_code": area_code, "area_name": name, "area_type": "ward",
                "lad24_code": lad, "lad24_name": ward_rows["lad24_name"].iloc[0]}, frame
    if area_code is not None:
        if area_code[:3] not in ("E06", "E07", "E08", "E09"):
            raise UnknownArea(f"{area_code!r} is not a current (2024) local authority (E06, E07, "
                              "E08 or E09 code) or a ward (E05 code): hidden deprivation is "
                              "measured within one authority or ward; run `python -m "
                              "inequality summary --all --current --json` to list authorities")
        try:
            place = queries.area(con, area_code)
        except UnknownArea as exc:
            raise UnknownArea(f"{area_code!r} is not a current (2024) local authority in this "
                              "database; run `python -m inequality summary --all --current "
                              "--json` to list authority codes") from exc
        frame = queries.lsoa_values(con, release, area_code)
        if lsoa_codes is not None:
            frame = frame[frame["lsoa_code"].isin(list(lsoa_codes))]
        return {"area_code": area_code, "area_name": label or place["area_name"],
                "area_type": "lad" if lsoa_codes is None else "custom",
                "lad24_code": area_code, "lad24_name": place["area_name"]}, frame
    if not lsoa_codes:
        raise UnknownArea("give an authority code, a ward code or a list of LSOA codes")
    lads = queries.lsoa_authorities(con, geography, list(lsoa_codes))
    unknown = sorted(set(lsoa_codes) - set(lads["lsoa_code"]))
    if unknown:
        raise UnknownArea(f"LSOA code(s) {', '.join(unknown[:3])} are not {geography} LSOAs "
                          f"of {release}")
    parts = [queries.lsoa_values(con, release, lad) for lad in sorted(lads["lad24_code"].unique())]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["lsoa_code"].isin(list(lsoa_codes))]
    return {"area_code": None, "area_name": label or f"{len(lsoa_codes)} chosen LSOAs",
            "area_type": "custom", "lad24_code": None, "lad24_name": None}, frame


def _has(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].notna().any()


def _complete(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and len(frame) > 0 and frame[column].notna().all()


# --- the report ---------------------------------------------------------------------------

def report(con: Con, area_code: str | None = None, release: str | None = None, *,
           lsoa_codes: Sequence[str] | None = None, domains: Sequence[str] = DEFAULT_DOMAINS,
           alpha: float = ALPHA, label: str | None = None) -> dict:
    """Every hidden-deprivation measure of a place in one release, and its flagged LSOAs.

    ``area_code`` is a current (2024) authority or a ward (E05, the 2024 wards); with
    ``lsoa_codes`` (and no area) any set of LSOAs of the release. ``domains`` are tested for
    spatial outliers besides the IMD. Returns a dict of plain values and DataFrames (see
    :func:`to_json` for the JSON form): ``area_*``, ``release``, ``geography``,
    ``lsoa_count``, ``parameters``, ``notes``, ``unavailable`` (measure -> reason),
    ``rural_urban``, ``outside``, ``profile``, ``lisa``, ``summary``, ``lsoas`` (every LSOA
    with every column) and ``flagged`` (:func:`flagged_table`).
    """
    rel = queries.releases(con)
    release = release or rel["release"].iloc[-1]
    info = queries.release(con, release)
    geography = info["geography"]
    n_national = int(info["lsoa_count"])
    place, frame = _place(con, info, area_code, lsoa_codes, label)
    if frame.empty:
        raise UnknownArea(f"{place['area_name']} has no LSOAs in {release}")
    frame = frame.sort_values("lsoa_code").reset_index(drop=True)
    notes: list[str] = []
    unavailable: dict[str, str] = {}
    labels = dict(zip(*queries.measures(con)[["measure", "label"]].T.values))

    frame = _attach_wards(con, frame, geography, notes)

    # local vs national
    frame["local_decile"] = hm.local_deciles(frame["imd_rank"]) if _has(frame, "imd_rank") \
        else np.nan

    # rural / urban
    if _has(frame, "ruc_code"):
        rural_urban = hm.rural_urban_split(frame, population_col="pop_total",
                                           rate_col="income_score")
        if not _complete(frame, "pop_total") or not _complete(frame, "income_score"):
            unavailable["rural_urban_people"] = _people_reason(info, frame, "income_score",
                                                               "pop_total", labels)
    else:
        rural_urban = None
        unavailable["rural_urban"] = (
            f"not available for {release}: its {geography} LSOAs have no Rural-Urban "
            "Classification (the classification exists for 2011 and 2021 LSOAs only)")

    outside = {m: _outside(frame, info, m, labels) for m in ("income", "employment")}
    for m, o in outside.items():
        if not o["available"]:
            unavailable[f"outside_{m}"] = o["reason"]

    masked = hm.masked_pockets(frame)
    frame["masked"] = masked["masked"].to_numpy()
    frame["masked_domains"] = masked["masked_domains"].to_numpy()
    skipped = [m for m in hm.POCKET_DOMAINS if not _has(frame, f"{m}_decile")]
    if skipped:
        checked = ", ".join(SHORT[m] for m in hm.POCKET_DOMAINS if m not in skipped)
        notes.append(f"Hidden pockets are checked on {checked}"
                     f"; {release} as loaded has no decile for "
                     f"{', '.join(labels.get(m, m) for m in skipped)}.")

    lisa_info = _lisa_columns(con, frame, info, ["imd", *[d for d in domains if d != "imd"]],
                              alpha, labels, notes, unavailable)
    neighbours = _neighbour_deciles(con, frame, info, notes)
    frame = frame.merge(neighbours, on="lsoa_code", how="left") if neighbours is not None \
        else frame.assign(neighbour_count=np.nan, neighbour_median_decile=np.nan)

    profile = _profile(con, frame, info, labels, notes, unavailable)

    reasons, tags = _reasons(frame, place, lisa_info, alpha, labels)
    frame["reasons"] = reasons
    frame["reason_tags"] = tags
    frame["flagged"] = frame["reasons"].map(bool)
    flagged = flagged_table(frame)
    summary = {
        "flagged_count": int(frame["flagged"].sum()),
        "strong_count": int(frame["reason_tags"].map(
            lambda t: any(x in STRONG_TAGS for x in t)).sum()),
        "by_reason": {t: int(frame["reason_tags"].map(lambda x, t=t: t in x).sum())
                      for t in REASON_TAGS},
        "lsoa_count": len(frame),
        "most_deprived_20_count": int((frame["imd_decile"] <= 2).sum())
        if _has(frame, "imd_decile") else None,
        "masked_count": int(frame["masked"].sum()),
        "local_decile_1_national_4plus": int(((frame["local_decile"] == 1)
                                              & (frame["imd_decile"] >= 4)).sum()),
    }
    for m, li in lisa_info.items():
        summary[f"{m}_hl_count"] = li.get("hl_count")
        summary[f"{m}_hh_count"] = li.get("hh_count")
    return {
        **place, "release": release, "year": int(info["year"]), "geography": geography,
        "lsoa_count": len(frame), "n_national": n_national,
        "parameters": {"permutations": PERMUTATIONS, "seed": SEED, "alpha": alpha,
                       "weights": "queen contiguity on the national boundary set, "
                                  "row-standardised, islands joined to their nearest LSOA",
                       "domains": [d for d in domains if d != "imd"]},
        "notes": notes, "unavailable": unavailable, "rural_urban": rural_urban,
        "outside": outside, "profile": profile, "lisa": lisa_info, "summary": summary,
        "lsoas": frame, "flagged": flagged,
    }


def _attach_wards(con: Con, frame: pd.DataFrame, geography: str, notes: list[str]
                  ) -> pd.DataFrame:
    if geography == "lsoa21":
        frame["ward_source"] = np.where(frame["ward_name"].notna(), "WD24 best fit", None)
        return frame
    if geography == "lsoa11":
        w = queries.ward_lsoas(con, geography)
        w = w[w["lsoa_code"].isin(frame["lsoa_code"])][["lsoa_code", "ward_code", "ward_name",
                                                         "ward_source"]]
        out = frame.drop(columns=[c for c in ("ward_code", "ward_name") if c in frame.columns])
        out = out.merge(w, on="lsoa_code", how="left")
        if out["ward_name"].notna().any():
            notes.append("Ward names are the 2024 wards of each 2011 LSOA's 2021 successor "
                         "(ONS LSOA 2011 to 2021 lookup), as the 2011 lookup in this database "
                         "gives ward codes without names.")
        return out
    notes.append("IoD 2010 is on 2001 LSOAs, for which there is no ward lookup.")
    return frame.assign(ward_name=None, ward_source=None)


def _people_reason(info: dict, frame: pd.DataFrame, rate_col: str, pop_col: str,
                   labels: dict) -> str:
    rel = info["release"]
    measure = rate_col.removesuffix("_score")
    if not _has(frame, f"{measure}_rank"):
        return (f"not available for {rel}: the file as loaded has no "
                f"{labels.get(measure, measure)} domain")
    if not _complete(frame, rate_col):
        return (f"not available for {rel}: the file as loaded has no "
                f"{labels.get(measure, measure)} score (the rate of deprived people)")
    what = POPULATION_LABELS[pop_col.removeprefix("pop_")]
    return (f"not available for {rel}: the file as loaded has no {what} denominators "
            "(counts of deprived people are rate x population)")


def _outside(frame: pd.DataFrame, info: dict, measure: str, labels: dict) -> dict:
    """Deprived people outside the most deprived 10% / 20% of LSOAs (IMD deciles)."""
    rate_col = f"{measure}_score"
    pop_col = f"pop_{population_column(measure)}"
    who = ("income-deprived people" if measure == "income"
           else "employment-deprived people of working age")
    out = {"measure": measure, "who": who, "place_measure": "imd", "available": False,
           "reason": None, "table": None}
    if not _complete(frame, "imd_decile"):
        out["reason"] = f"not available for {info['release']}: IMD deciles are missing"
        return out
    if _complete(frame, rate_col) and _complete(frame, pop_col):
        out["available"] = True
        out["table"] = hm.deprived_outside_deprived_areas(
            frame[rate_col], frame[pop_col], frame["imd_decile"])
        return out
    # No population, no count: never a guess (e.g. equal populations) in its place.
    out["reason"] = _people_reason(info, frame, rate_col, pop_col, labels)
    return out


def _lisa_columns(con: Con, frame: pd.DataFrame, info: dict, measures: list[str],
                  alpha: float, labels: dict, notes: list[str], unavailable: dict) -> dict:
    """Filter the national LISA of each measure to the place; q over the place's LSOAs."""
    release, geography = info["release"], info["geography"]
    result: dict[str, dict] = {}
    if geography not in BOUNDARY_GEOGRAPHIES:
        reason = (f"not available for {release}: it is published on 2001 LSOAs, for which no "
                  "boundaries exist, so neighbours cannot be found")
        for m in measures:
            unavailable[f"lisa_{m}"] = reason
            _empty_lisa(frame, m)
        return result
    for m in measures:
        if not _has(frame, f"{m}_rank"):
            unavailable[f"lisa_{m}"] = (f"not available for {release}: the file as loaded has "
                                        f"no {labels.get(m, m)} ranks")
            _empty_lisa(frame, m)
            continue
        try:
            national, source = national_lisa(con, release, m)
        except LookupError as exc:
            unavailable[f"lisa_{m}"] = f"not available for {release}: {exc}"
            _empty_lisa(frame, m)
            continue
        part = national.set_index("lsoa_code").reindex(frame["lsoa_code"])
        q_local = hm.fdr_q_values(part["p_sim"].to_numpy())
        frame[f"{m}_lisa_quadrant"] = part["quadrant"].to_numpy()
        frame[f"{m}_lisa_i"] = part["local_i"].to_numpy()
        frame[f"{m}_lisa_p"] = part["p_sim"].to_numpy()
        frame[f"{m}_lisa_q"] = q_local
        frame[f"{m}_lisa_q_england"] = part["q_value"].to_numpy()
        frame[f"{m}_neighbour_mean"] = part["neighbour_mean"].to_numpy()
        basis = str(national["basis"].iloc[0]) if len(national) else "score"
        sig = frame[f"{m}_lisa_q"] <= alpha
        entry = {"measure": m, "label": labels.get(m, m), "basis": basis, "source": source,
                 "hl_count": int((sig & (frame[f"{m}_lisa_quadrant"] == "HL")).sum()),
                 "hh_count": int((sig & (frame[f"{m}_lisa_quadrant"] == "HH")).sum()),
                 "hl_suggestive": int((~sig & (frame[f"{m}_lisa_p"] <= alpha)
                                       & (frame[f"{m}_lisa_quadrant"] == "HL")).sum()),
                 "tested": int(part["p_sim"].notna().sum())}
        if basis == "inverted_rank":
            entry["note"] = (f"{release} as loaded has no {labels.get(m, m)} scores, so Local "
                             f"Moran's I is computed on the inverted national rank "
                             f"(N + 1 - rank; higher = more deprived) instead")
            notes.append(entry["note"] + ".")
        result[m] = entry
    return result


def _empty_lisa(frame: pd.DataFrame, m: str) -> None:
    for suffix in ("quadrant", "i", "p", "q", "q_england"):
        frame[f"{m}_lisa_{suffix}"] = np.nan if suffix != "quadrant" else None
    frame[f"{m}_neighbour_mean"] = np.nan


def _neighbour_deciles(con: Con, frame: pd.DataFrame, info: dict, notes: list[str]
                       ) -> pd.DataFrame | None:
    """Number of neighbours and their median national IMD decile (in or out of the place)."""
    if info["geography"] not in BOUNDARY_GEOGRAPHIES:
        return None
    codes = frame["lsoa_code"].tolist()
    pairs = _pairs(con, info["geography"], codes)
    if pairs is None or pairs.empty:
        return None
    deciles = queries.national_ranks(con, info["release"], "imd").set_index("lsoa_code")["decile"]
    pairs = pairs.assign(decile=pairs["neighbour_code"].map(deciles).astype(float))
    islands = pairs[pairs["attached"]]["lsoa_code"].unique()
    attached_here = [c for c in islands if (pairs["lsoa_code"] == c).sum() == 1]
    if attached_here:
        notes.append(f"{len(attached_here)} LSOA(s) here ({', '.join(attached_here)}) touch no "
                     "other LSOA (an island); for the spatial statistics each is joined to its "
                     "nearest LSOA.")
    return (pairs.groupby("lsoa_code")
            .agg(neighbour_count=("neighbour_code", "count"),
                 neighbour_median_decile=("decile", "median"))
            .reset_index())


def _pairs(con: Con, geography: str, codes: list[str]) -> pd.DataFrame | None:
    if queries.has_table(con, "lsoa_neighbour"):
        pairs = queries.neighbour_pairs(con, geography, codes)
        if not pairs.empty:
            return pairs
    try:
        weights = national_weights(con, geography)
    except LookupError:
        return None
    return spatial.neighbour_pairs(weights.w, weights.attached, codes)


def _profile(con: Con, frame: pd.DataFrame, info: dict, labels: dict, notes: list[str],
             unavailable: dict) -> dict:
    """ONS profile shape, internal disparity and global Moran's I of the place."""
    release = info["release"]
    measure = "income" if _complete(frame, "income_decile") else "imd"
    out: dict = {"measure": measure, "label": labels.get(measure, measure)}
    if measure != "income":
        out["note"] = (f"{release} as loaded has no Income domain, so the profile uses the IMD "
                       "instead of the ONS's income deprivation")
        notes.append(out["note"] + ".")
    dist = decile_distribution(frame[f"{measure}_decile"])
    out["deciles"] = dist
    shape = hm.profile_shape(dist["share"].to_numpy())
    out.update({"profile": shape["profile"], "profile_label": shape["label"],
                "distance": shape["distance"], "distances": shape["distances"]})
    imd_dist = decile_distribution(frame["imd_decile"]) if _complete(frame, "imd_decile") else None
    out["imd_deciles"] = imd_dist
    if imd_dist is not None:
        out["imd_profile"] = hm.profile_shape(imd_dist["share"].to_numpy())
    # internal disparity
    score_measure = measure if _complete(frame, f"{measure}_score") else (
        "imd" if _complete(frame, "imd_score") else None)
    if score_measure is None:
        out["internal_disparity"] = None
        unavailable["internal_disparity"] = f"not available for {release}: no scores loaded"
    else:
        out["internal_disparity"] = hm.internal_disparity(frame[f"{score_measure}_score"])
        out["disparity_measure"] = score_measure
        out["disparity_unit"] = ("percentage points" if score_measure in ("income", "employment")
                                 else "IMD score points")
        lo = frame.loc[frame[f"{score_measure}_score"].idxmin()]
        hi = frame.loc[frame[f"{score_measure}_score"].idxmax()]
        out["disparity_lowest"] = {"lsoa_code": lo["lsoa_code"], "lsoa_name": lo["lsoa_name"],
                                   "score": float(lo[f"{score_measure}_score"])}
        out["disparity_highest"] = {"lsoa_code": hi["lsoa_code"], "lsoa_name": hi["lsoa_name"],
                                    "score": float(hi[f"{score_measure}_score"])}
    # global Moran's I within the place (the ONS's within-authority contiguity)
    out["global_moran"] = None
    if info["geography"] not in BOUNDARY_GEOGRAPHIES:
        unavailable["global_moran"] = (f"not available for {release}: 2001 LSOAs have no "
                                       "boundaries")
        return out
    pairs = _pairs(con, info["geography"], frame["lsoa_code"].tolist())
    if pairs is None:
        unavailable["global_moran"] = f"not available for {release}: no boundaries loaded"
        return out
    codes = frame["lsoa_code"].tolist()
    inside = pairs[pairs["neighbour_code"].isin(codes) & ~pairs["attached"]]
    from libpysal import weights as lw
    lists = (inside.sort_values(["lsoa_code", "neighbour_code"])
             .groupby("lsoa_code", sort=False)["neighbour_code"].agg(list))
    nb = {c: lists.get(c, []) for c in codes}
    w = lw.W(nb, id_order=codes, silence_warnings=True)
    if _complete(frame, f"{measure}_score"):
        y, basis = frame.set_index("lsoa_code")[f"{measure}_score"].astype(float), "score"
    else:
        y = (int(info["lsoa_count"]) + 1 - frame.set_index("lsoa_code")[f"{measure}_rank"]
             ).astype(float)
        basis = "inverted_rank"
    gm = hm.global_moran(y, w, permutations=PERMUTATIONS, seed=SEED)
    gm["basis"] = basis
    out["global_moran"] = gm
    if gm["I"] is None:
        unavailable["global_moran"] = "not available: fewer than 3 neighbouring LSOAs here"
    return out


# --- reasons in plain words ---------------------------------------------------------------------

def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


#: Kinds of reason, their plain label and weight in the ordering of the flagged list.
REASON_TAGS = {
    "deprived_place": ("in the most deprived 20% of England", 5),
    "pocket": ("pocket: more deprived than its neighbours (Local Moran's I)", 4),
    "hidden_domain": ("hidden by the overall index (a domain in the worst 20%)", 3),
    "cluster": ("part of a deprived cluster (Local Moran's I)", 2),
    "remote_services": ("far from services (geographical barriers in the worst 20%)", 1),
    "local_worst": ("among the most deprived tenth of the place", 1),
}
#: Reasons of the strongest evidence (the map's thick outline; the others: far from services,
#: locally worst).
STRONG_TAGS = ("deprived_place", "pocket", "hidden_domain", "cluster")
_CORE_POCKET_DOMAINS = tuple(m for m in hm.POCKET_DOMAINS if m != "geographical_barriers")


def _reasons(frame: pd.DataFrame, place: dict, lisa_info: dict, alpha: float,
             labels: dict) -> tuple[list[list[str]], list[list[str]]]:
    """Every reason each LSOA is flagged, in plain words, and the kind of each reason."""
    where = place["area_name"] if place["area_type"] != "custom" else "this set of LSOAs"
    all_reasons, all_tags = [], []
    for _, r in frame.iterrows():
        reasons: list[str] = []
        tags: list[str] = []
        d = r.get("imd_decile")
        if pd.notna(d) and d <= 2:
            reasons.append(f"In the most deprived {10 * int(d)}% of neighbourhoods in England "
                           f"on the Index of Multiple Deprivation (national decile {int(d)}).")
            tags.append("deprived_place")
        for m in lisa_info:
            quad, q, p = r.get(f"{m}_lisa_quadrant"), r.get(f"{m}_lisa_q"), r.get(f"{m}_lisa_p")
            if quad not in ("HL", "HH") or pd.isna(q) or q > alpha:
                continue
            what = "deprived" if m == "imd" else f"deprived on {PLAIN.get(m, m)}"
            stats = (f"Local Moran's I {quad}, p = {_fmt_p(p)}, q = {q:.3f} after "
                     "false-discovery-rate control")
            if quad == "HL":
                nb = r.get("neighbour_median_decile")
                around = (f"; its neighbours' median IMD decile is {nb:g}"
                          if m == "imd" and pd.notna(nb) else "")
                reasons.append(f"A pocket: more {what} than the neighbourhoods around it"
                               f"{around} ({stats}).")
                tags.append("pocket")
            else:
                reasons.append(f"Part of a cluster of {what} neighbourhoods ({stats}).")
                tags.append("cluster")
        if r.get("masked"):
            core = [m for m in r["masked_domains"] if m in _CORE_POCKET_DOMAINS]
            if core:
                parts = [f"{PLAIN.get(m, m)} (decile {int(r[f'{m}_decile'])})" for m in core]
                reasons.append(f"Hidden by the overall index: IMD decile {int(d)}, but in the "
                               f"most deprived 20% in England for {_join(parts)}.")
                tags.append("hidden_domain")
            if "geographical_barriers" in r["masked_domains"]:
                gd = int(r["geographical_barriers_decile"])
                reasons.append("Far from essential services: in the most deprived 20% in "
                               f"England for distance to GP, school, shop and post office "
                               f"(geographical barriers decile {gd}), though its IMD decile "
                               f"is {int(d)}.")
                tags.append("remote_services")
        ld = r.get("local_decile")
        if pd.notna(ld) and ld == 1 and pd.notna(d) and d >= 4:
            reasons.append(f"Among the most deprived tenth of neighbourhoods in {where} (local "
                           f"decile 1), though only in national IMD decile {int(d)}.")
            tags.append("local_worst")
        all_reasons.append(reasons)
        all_tags.append(tags)
    return all_reasons, all_tags


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


FLAGGED_COLUMNS = ["lsoa_code", "lsoa_name", "ward_name", "ruc_class", "imd_decile", "reasons",
                   "lisa_quadrant", "lisa_p", "lisa_q", "local_decile", "reason_tags",
                   "ruc_code", "urban_rural", "lisa_q_england", "msoa_friendly_name"]


def flagged_table(lsoas: pd.DataFrame) -> pd.DataFrame:
    """The flagged LSOAs of a report's ``lsoas`` frame, strongest evidence first (weights of
    :data:`REASON_TAGS` summed), then most deprived: ``lsoa_code, lsoa_name, ward_name,
    ruc_class, imd_decile, reasons (list), lisa_quadrant, lisa_p, lisa_q, local_decile,
    reason_tags (list), ruc_code, urban_rural, lisa_q_england, msoa_friendly_name`` (the
    neighbourhood's House of Commons Library name; the LISA columns are the
    IMD's; ``lisa_q`` over the place's LSOAs, ``lisa_q_england`` over England's)."""
    part = lsoas[lsoas["reasons"].map(bool)].copy()
    part["_weight"] = part["reason_tags"].map(lambda t: sum(REASON_TAGS[x][1] for x in t))
    part["ruc_class"] = part.get("ruc_name")
    part["lisa_quadrant"] = part.get("imd_lisa_quadrant")
    part["lisa_p"] = part.get("imd_lisa_p")
    part["lisa_q"] = part.get("imd_lisa_q")
    part["lisa_q_england"] = part.get("imd_lisa_q_england")
    for c in FLAGGED_COLUMNS:
        if c not in part.columns:
            part[c] = None
    part = part.sort_values(["_weight", "imd_rank"], ascending=[False, True])
    out = part[FLAGGED_COLUMNS].reset_index(drop=True)
    for c in ("imd_decile", "local_decile"):
        out[c] = out[c].astype("Int64")
    return out


# --- sentences to quote -----------------------------------------------------------------------

def _n(x: float) -> str:
    return f"{x:,.0f}"


def _share(x: float) -> str:
    return f"{100 * x:.0f}%"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def quotable(rep: dict) -> list[str]:
    """Plain sentences, each with its figure and its source, that a community group can put
    in a funding bid or a letter to the council."""
    area, year, n = rep["area_name"], rep["year"], rep["lsoa_count"]
    src = f"English Indices of Deprivation {year}, MHCLG"
    s = rep["summary"]
    out = []
    d20 = s.get("most_deprived_20_count")
    if d20 is not None:
        out.append(f"{d20} of the {n} neighbourhoods (LSOAs) in {area} "
                   f"{'is' if d20 == 1 else 'are'} among the most deprived 20% in England on "
                   f"the Index of Multiple Deprivation ({src}).")
    inc = rep["outside"]["income"]
    if inc["available"]:
        t = inc["table"].set_index("max_decile")
        out.append(f"{_share(t.loc[2, 'share_outside'])} of {area}'s income-deprived people "
                   f"(about {_n(t.loc[2, 'deprived_outside'])} of "
                   f"{_n(t.loc[2, 'deprived_total'])}) live outside the most deprived 20% of "
                   "neighbourhoods in England, so help aimed only at those neighbourhoods "
                   f"would miss them ({src}: Income domain rate x population).")
    core = rep["lsoas"]["reason_tags"].map(lambda t: "hidden_domain" in t).sum()
    if core:
        verb = "is" if core == 1 else "are"
        out.append(f"{_count(core, 'neighbourhood')} in {area} whose overall IMD is in decile "
                   f"4 or above {verb} in the most deprived 20% in England for income, "
                   f"employment, health or education: deprivation the headline index hides "
                   f"({src}).")
    remote = s["by_reason"].get("remote_services", 0)
    if remote:
        verb = "does" if remote == 1 else "do"
        be = "is" if remote == 1 else "are"
        out.append(f"{_count(remote, 'neighbourhood')} in {area} that {verb} not look deprived "
                   f"overall {be} in the worst 20% in England for distance to a GP, school, "
                   f"supermarket and post office ({src}, geographical barriers sub-domain).")
    ru = rep.get("rural_urban")
    if ru is not None:
        rural = ru[(ru["level"] == "broad") & (ru["urban_rural"] == "Rural")]
        if not rural.empty:
            r = rural.iloc[0]
            text = (f"{int(r['lsoa_count'])} of {area}'s {n} neighbourhoods are rural")
            if not math.isnan(r["share_of_income_deprived"]):
                text += (f", and they are home to {_share(r['share_of_income_deprived'])} of "
                         "its income-deprived people")
            out.append(text + f" ({src}; ONS Rural-Urban Classification).")
    li = rep["lisa"].get("imd")
    if li:
        method = (f"Local Moran's I, {rep['parameters']['permutations']} permutations, "
                  f"{_share(rep['parameters']['alpha'])} false discovery rate")
        if li["hl_count"]:
            one = li["hl_count"] == 1
            be = ("is a statistically significant pocket" if one
                  else "are statistically significant pockets")
            out.append(f"{_count(li['hl_count'], 'neighbourhood')} in {area} {be}: markedly "
                       f"more deprived than the neighbourhoods around {'it' if one else 'them'} "
                       f"({method}; {src}).")
        else:
            out.append(f"No neighbourhood in {area} stands out as a statistically significant "
                       "pocket against its immediate neighbours once the number of tests is "
                       f"allowed for ({method}); the evidence rests on the national deciles.")
    prof = rep["profile"]
    out.append(f"The spread of {area}'s neighbourhoods across England's {prof['label']} "
               f"deciles is closest to the ONS {prof['profile_label'].lower()} "
               "(ONS, Exploring local income deprivation, 2021).")
    return out


# --- JSON --------------------------------------------------------------------------------------

def to_json(rep: dict, *, with_lsoas: bool = False) -> dict:
    """The report as JSON-ready plain values: the authority measures and the flagged list
    (every LSOA too with ``with_lsoas``)."""
    keys = ["area_code", "area_name", "area_type", "lad24_code", "lad24_name", "release",
            "year", "geography", "lsoa_count", "parameters", "summary", "quotable", "notes",
            "unavailable", "rural_urban", "outside", "profile", "lisa"]
    out = {k: plain(rep.get(k)) for k in keys}
    out["quotable"] = quotable(rep)
    flagged = rep["flagged"].copy()
    out["flagged"] = plain(flagged)
    if with_lsoas:
        out["lsoas"] = plain(rep["lsoas"])
    return out


# --- the map's data ------------------------------------------------------------------------------

def _on_boundaries(con: Con, frame: pd.DataFrame, geography: str, notes: list[str]
                   ) -> tuple[pd.DataFrame, str]:
    """The boundary each LSOA is drawn with: its own (2011, 2021 LSOAs), or for 2001 LSOAs
    the 2011 boundary of those the ONS lookup marks unchanged."""
    if geography in BOUNDARY_GEOGRAPHIES:
        return frame.assign(boundary_code=frame["lsoa_code"]), geography
    same = queries.unchanged_lsoas(con, "lsoa01", "lsoa11")
    mapped = frame.merge(same, left_on="lsoa_code", right_on="from_code", how="inner")
    notes.append(f"IoD 2010 is on 2001 LSOAs, which have no published boundaries: the map "
                 f"draws the {len(mapped):,} of {len(frame):,} that are unchanged in 2011 on "
                 "their 2011 boundaries; the table lists every LSOA.")
    return (mapped.drop(columns=["from_code"]).rename(columns={"to_code": "boundary_code"}),
            "lsoa11")


def map_frame(con: Con, rep: dict) -> tuple[pd.DataFrame, list[str]]:
    """What the hidden-deprivation map draws (:func:`inequality.present.maps.hidden_deck`):
    every LSOA of the report that has a boundary, with its display geometry (``wkb``,
    ``min_lon, min_lat, max_lon, max_lat``), ``boundary_code`` and ``strong`` (flagged for
    a reason in :data:`STRONG_TAGS`) beside the report's columns; and notes for the reader.

    IoD 2010 (2001 LSOAs) is drawn on the 2011 boundaries of the LSOAs that did not change,
    as on the Map page. Raises LookupError when nothing can be drawn.
    """
    notes: list[str] = []
    values, boundary_geo = _on_boundaries(con, rep["lsoas"], rep["geography"], notes)
    geo = queries.geometries(con, boundary_geo, values["boundary_code"].tolist(), "display")
    values = values.merge(geo[["code", "wkb", "min_lon", "min_lat", "max_lon", "max_lat"]],
                          left_on="boundary_code", right_on="code", how="inner")
    if values.empty:
        raise LookupError(f"no boundaries to draw for {rep['area_name']} in {rep['release']}")
    values["strong"] = [any(t in STRONG_TAGS for t in tags) for tags in values["reason_tags"]]
    return values, notes
