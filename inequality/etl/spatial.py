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


def boundary_weights(con: Con, geography: str):
    """Queen-contiguity weights on every stored boundary of ``geography``, islands joined to
    their nearest LSOA (:func:`inequality.metrics.hidden.queen_weights`): ``(w, attached)``."""
    import shapely

    geo = queries.geometries(con, geography, None, "full")
    if geo.empty:
        raise LookupError(f"no {geography} boundaries in the database")
    shapes = shapely.from_wkb([bytes(b) for b in geo["wkb"]])
    return hm.queen_weights(shapes, geo["code"].tolist(), crs="EPSG:4326")


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


def compute_national_lisa(con: Con, release: str, measure: str, w, *,
                          permutations: int = PERMUTATIONS, seed: int = SEED) -> pd.DataFrame:
    """Local Moran's I of every LSOA of England for one release and measure on the national
    weights ``w`` (a ``libpysal`` W of the release's vintage; no cache).

    Returns ``lsoa_code, basis, value, neighbour_mean, local_i, quadrant, p_sim, q_value``
    (q over all of England), in LSOA-code order.
    """
    info = queries.release(con, release)
    values, basis = _lisa_input(con, release, measure, int(info["lsoa_count"]))
    missing = [c for c in w.id_order if c not in values.index]
    if missing:
        from libpysal.weights import w_subset
        keep = [c for c in w.id_order if c in values.index]
        w = w_subset(w, keep, silence_warnings=True)
    out = hm.local_moran(values, w, permutations=permutations, seed=seed)
    out["q_value"] = hm.fdr_q_values(out["p_sim"])
    out.insert(0, "basis", basis)
    return out.rename_axis("lsoa_code").reset_index()


def derive_spatial(con: Con, log: Callable[[str], None] | None = None) -> None:
    """Build step: national queen neighbours of each boundary vintage and the IMD and Income
    Local Moran's I of each release on them (replaces ``lsoa_neighbour`` and ``lisa``)."""
    log = log or (lambda _m: None)
    _ensure_tables(con)
    con.execute("DELETE FROM lsoa_neighbour")
    con.execute("DELETE FROM lisa")
    rel = queries.releases(con)
    for geography in BOUNDARY_GEOGRAPHIES:
        on_geo = rel[rel["geography"] == geography]
        if on_geo.empty:
            continue
        t = time.perf_counter()
        try:
            w, attached = boundary_weights(con, geography)
        except LookupError:
            log(f"lisa  {geography}: no boundaries, skipped")
            continue
        rows = [(geography, i, j, i in attached or j in attached)
                for i in w.id_order for j in w.neighbors[i]]
        pairs = pd.DataFrame(rows, columns=["geography", "lsoa_code", "neighbour_code",
                                            "attached"])
        _insert(con, "lsoa_neighbour", pairs)
        log(f"lisa  {geography}: queen neighbours of {w.n:,} LSOAs, "
            f"{len(attached)} island(s) attached ({time.perf_counter() - t:.1f}s)")
        held = set(queries.measures(con)["measure"])
        for release in on_geo["release"]:
            for measure in CACHED_MEASURES:
                if measure not in held:
                    continue
                t = time.perf_counter()
                try:
                    frame = compute_national_lisa(con, release, measure, w)
                except LookupError:
                    continue
                _insert(con, "lisa", frame.assign(release=release, measure=measure,
                                                  permutations=PERMUTATIONS, seed=SEED))
                log(f"lisa  {release} {measure}: {len(frame):,} LSOAs, "
                    f"{PERMUTATIONS} permutations ({time.perf_counter() - t:.1f}s)")


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


def _insert(con: Con, table: str, frame: pd.DataFrame) -> None:
    cols = ", ".join(frame.columns)
    con.register("_spatial_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _spatial_frame")
    finally:
        con.unregister("_spatial_frame")
