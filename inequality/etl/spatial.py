"""Build step: national queen neighbours and the Local Moran's I cache (``lsoa_neighbour``,
``lisa``).

Spatial statistics are national: Local Moran's I is computed once for all of England on
queen-contiguity weights of the national boundary set of each LSOA vintage (so neighbours
across an authority border count), with q-values over all of England. The build stores the
neighbours and the IMD and Income LISA of every release on a boundary vintage because they
take seconds (see ``benchmarks/bench_lisa.py``).

:func:`boundary_weights` and :func:`compute_national_lisa` only read the database: the
hidden-deprivation service (:mod:`inequality.services.hidden`) calls them for domains the
cache does not hold, so the cached and the on-demand figures come from one function.
:func:`derive_spatial` is the one writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from .. import queries
from ..db import check_key, insert_frame
from ..geography import BOUNDARY_GEOGRAPHIES
from ..metrics import hidden as hm

Con = duckdb.DuckDBPyConnection

#: The DDL of every table (``schema.sql`` beside this module, as ``build`` reads it).
SCHEMA_SQL = Path(__file__).with_name("schema.sql")

#: Conditional permutations and the fixed seed of every Local Moran's I run.
PERMUTATIONS = 999
SEED = 12345
#: Measures whose national LISA the build caches.
CACHED_MEASURES = ("imd", "income")


def boundary_weights(con: Con, geography: str, *, libpysal: bool = True):
    """Queen-contiguity weights on every stored boundary of ``geography``, islands joined to
    their nearest LSOA: ``(w, attached)``, ``w`` a ``libpysal.weights.W``
    (:func:`inequality.metrics.hidden.queen_weights`) or, with ``libpysal=False``, the same
    weights as :class:`inequality.metrics.hidden.SparseWeights` (what the build uses)."""
    import shapely

    geo = queries.geometries(con, geography, None, "full")
    if geo.empty:
        raise LookupError(f"no {geography} boundaries in the database")
    shapes = shapely.from_wkb([bytes(b) for b in geo["wkb"]])
    make = hm.queen_weights if libpysal else hm.queen_matrix
    return make(shapes, geo["code"].tolist(), crs="EPSG:4326")


def neighbour_pairs(w, attached: dict[str, str], codes=None) -> pd.DataFrame:
    """The links of :class:`inequality.metrics.hidden.SparseWeights` ``w`` as the
    ``lsoa_neighbour`` table holds them: ``lsoa_code, neighbour_code, attached`` (the link
    joins an island to its nearest LSOA, ``attached`` of :func:`boundary_weights`), both
    ways, each LSOA's neighbours sorted; only the LSOAs ``codes`` when given."""
    lsoa_code, neighbour_code = w.pairs()
    pairs = pd.DataFrame({"lsoa_code": lsoa_code, "neighbour_code": neighbour_code})
    if codes is not None:
        pairs = pairs[pairs["lsoa_code"].isin(list(codes))].reset_index(drop=True)
    pairs["attached"] = (pairs["lsoa_code"].isin(list(attached))
                         | pairs["neighbour_code"].isin(list(attached)))
    return pairs


def _lisa_input(con: Con, release: str, measure: str, n: int) -> tuple[pd.Series, str]:
    """National values tested for ``measure`` (higher = more deprived) and their basis."""
    ranks = queries.national_ranks(con, release, measure)
    if ranks.empty or ranks["rank"].isna().all():
        raise LookupError(f"{release} as loaded has no {measure} ranks")
    if ranks["score"].notna().all():
        return pd.Series(ranks["score"].astype(float).to_numpy(), index=ranks["lsoa_code"]), \
            "score"
    return pd.Series((n + 1 - ranks["rank"].astype(float)).to_numpy(),
                     index=ranks["lsoa_code"]), "inverted_rank"


def _lisa_frame(values: pd.Series, basis: str, w, permutations: int, seed: int
                ) -> pd.DataFrame:
    """One national LISA: :func:`inequality.metrics.hidden.local_moran` on ``w`` (restricted
    to the LSOAs with a value), q-values over all of England, in ``w.id_order``."""
    missing = [c for c in w.id_order if c not in values.index]
    if missing:
        keep = [c for c in w.id_order if c in values.index]
        if isinstance(w, hm.SparseWeights):
            w = w.subset(keep)
        else:
            from libpysal.weights import w_subset
            w = w_subset(w, keep, silence_warnings=True)
    out = hm.local_moran(values, w, permutations=permutations, seed=seed)
    out["q_value"] = hm.fdr_q_values(out["p_sim"])
    out.insert(0, "basis", basis)
    return out.rename_axis("lsoa_code").reset_index()


def compute_national_lisa(con: Con, release: str, measure: str, w, *,
                          permutations: int = PERMUTATIONS, seed: int = SEED) -> pd.DataFrame:
    """Local Moran's I of every LSOA of England for one release and measure on the national
    weights ``w`` (a ``libpysal`` W or :class:`inequality.metrics.hidden.SparseWeights` of the
    release's vintage; no cache).

    Returns ``lsoa_code, basis, value, neighbour_mean, local_i, quadrant, p_sim, q_value``
    (q over all of England), in LSOA-code order.
    """
    info = queries.release(con, release)
    values, basis = _lisa_input(con, release, measure, int(info["lsoa_count"]))
    return _lisa_frame(values, basis, w, permutations, seed)


def national_lisas(inputs: list[tuple[pd.Series, str]], w, *,
                   permutations: int = PERMUTATIONS, seed: int = SEED) -> list[pd.DataFrame]:
    """Several national LISAs on one set of weights, one after another.

    Each ``(values, basis)`` of ``inputs`` is one Local Moran's I run (:func:`_lisa_frame`)
    with the same fixed ``seed``; the runs are independent. They run in this process:
    with :func:`inequality.metrics.hidden.local_moran`'s vectorised engine a national run
    takes about 0.3 s, and the runs after the first reuse the weights' sparse matrix and
    the permutation draws, which a worker process would have to make again (and the
    weights would be pickled to it). A process pool over two cores measured 1.5-2x slower
    than this loop for the three lsoa11 and the two lsoa21 runs of the build
    (``benchmarks/bench_lisa.py``). Returns the frames in the order of ``inputs``.
    """
    return [_lisa_frame(values, basis, w, permutations, seed) for values, basis in inputs]


def lisa_inputs(con: Con, releases: pd.DataFrame, held: set[str]
                ) -> tuple[list[tuple[str, str]], list[tuple[pd.Series, str]]]:
    """The national LISAs the build caches for ``releases`` (rows of
    :func:`inequality.queries.releases` on one boundary vintage): ``(release, measure)`` of
    each of :data:`CACHED_MEASURES` the database ``held`` and the release has values for,
    and the matching :func:`_lisa_input` of each, for :func:`national_lisas`."""
    runs, inputs = [], []
    for release, n in zip(releases["release"], releases["lsoa_count"]):
        for measure in CACHED_MEASURES:
            if measure not in held:
                continue
            try:
                inputs.append(_lisa_input(con, release, measure, int(n)))
            except LookupError:
                continue
            runs.append((release, measure))
    return runs, inputs


def derive_spatial(con: Con, log: Callable[[str], None] | None = None,
                   geographies: tuple[str, ...] = BOUNDARY_GEOGRAPHIES) -> None:
    """Build step: national queen neighbours of each boundary vintage in ``geographies`` and
    the IMD and Income Local Moran's I of each release on them (replaces their rows of
    ``lsoa_neighbour`` and ``lisa``; the LISAs by :func:`national_lisas`)."""
    log = log or (lambda _m: None)
    _ensure_tables(con)
    rel = queries.releases(con)
    held = set(queries.measures(con)["measure"])
    for geography in geographies:
        on_geo = rel[rel["geography"] == geography]
        con.execute("DELETE FROM lsoa_neighbour WHERE geography = ?", [geography])
        con.execute("DELETE FROM lisa WHERE release IN (SELECT unnest(?::VARCHAR[]))",
                    [on_geo["release"].tolist()])
        if on_geo.empty:
            continue
        t = time.perf_counter()
        try:
            w, attached = boundary_weights(con, geography, libpysal=False)
        except LookupError:
            log(f"lisa  {geography}: no boundaries, skipped")
            continue
        pairs = neighbour_pairs(w, attached)
        pairs.insert(0, "geography", geography)
        insert_frame(con, "lsoa_neighbour", pairs)
        log(f"lisa  {geography}: queen neighbours of {w.n:,} LSOAs, "
            f"{len(attached)} island(s) attached ({time.perf_counter() - t:.1f}s)")
        t = time.perf_counter()
        runs, inputs = lisa_inputs(con, on_geo, held)
        frames = national_lisas(inputs, w)
        for (release, measure), frame in zip(runs, frames):
            insert_frame(con, "lisa", frame.assign(release=release, measure=measure,
                                                   permutations=PERMUTATIONS, seed=SEED))
        log(f"lisa  {geography}: {', '.join(f'{r} {m}' for r, m in runs)}: "
            f"{w.n:,} LSOAs, {PERMUTATIONS} permutations ({time.perf_counter() - t:.1f}s)")
    check_key(con, "lsoa_neighbour", ("geography", "lsoa_code", "neighbour_code"))
    check_key(con, "lisa", ("release", "lsoa_code", "measure"))


def _ensure_tables(con: Con) -> None:
    """Create ``lsoa_neighbour`` and ``lisa`` (with their comments) in a database built
    before they existed (``build --only`` copies the old database)."""
    for table in ("lsoa_neighbour", "lisa"):
        if queries.has_table(con, table):
            continue
        for stmt in SCHEMA_SQL.read_text().split(";"):
            body = " ".join(line for line in stmt.splitlines()
                            if not line.lstrip().startswith("--")).strip()
            if body.startswith((f"CREATE TABLE {table} ", f"COMMENT ON TABLE {table} ",
                                f"COMMENT ON COLUMN {table}.")):
                con.execute(body)
