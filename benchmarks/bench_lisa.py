"""Time the national spatial statistics behind the Rural & hidden deprivation page: queen
weights on the full England boundary set and Local Moran's I (999 permutations) for every
LSOA, median of 3 runs each; then the service as the page meets it (from the build's cache
when the database has one, else computed on demand).

Local Moran's I side by side: ``esda.Moran_Local`` (without numba, its conditional
randomisation loops over the LSOAs in Python) and ``hidden.local_moran``'s vectorised
engine, cold (fresh weights, no cached draws: the first run of a build) and warm (the
weights' sparse matrix and the draws reused: the build's later runs), with the ratio
esda / engine and whether the results are identical. The floor is the permutation draws
alone (``esda.crand.vec_permutations``), which both must make. Then the build's LISAs of
one boundary vintage as ``spatial.national_lisas`` runs them (one after another) against a
forked process pool over the cores (the design the build had before the engine; kept here
for comparison only), on libpysal's ``W`` and on the ``SparseWeights`` the build uses
(``queen_matrix``; libpysal's ``W`` of the same neighbours is timed beside it).

    .venv/bin/python benchmarks/bench_lisa.py [DB]

The result decides the design: above about 2 s, the build caches the neighbours
(``lsoa_neighbour``) and the IMD and Income LISA (``lisa``), and the service reads them.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import shapely
from _common import median_time

from inequality import config, db, queries
from inequality.etl import spatial
from inequality.metrics import hidden as hm
from inequality.services import hidden

RELEASE_ON = {"lsoa11": "iod2019", "lsoa21": "iod2025"}
AREA = "E06000052"  # Cornwall: the largest rural unitary authority


def esda_local(y, w):
    """``esda.Moran_Local`` as ``local_moran`` called it before the vectorised engine."""
    import esda

    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.Moran_Local(y, w, transformation="r", permutations=spatial.PERMUTATIONS,
                                seed=spatial.SEED, keep_simulations=False, n_jobs=1)


def _pool_task(args) -> pd.DataFrame:
    return spatial._lisa_frame(*args)


def pooled_lisas(inputs, w, workers: int) -> list[pd.DataFrame]:
    """The build's former design: the LISAs of a vintage over a forked process pool."""
    tasks = [(v, b, w, spatial.PERMUTATIONS, spatial.SEED) for v, b in inputs]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(_pool_task, tasks))


def fresh_runs(fn, w, runs: int = 3) -> tuple[float, list[float]]:
    """Median time of ``fn(weights)`` on copies of ``w`` with nothing cached (no sparse
    matrix, no permutation draws), as a build meets them; the copies are made before the
    clock starts."""
    copies = []
    for _ in range(runs):
        c = copy.deepcopy(w)
        if isinstance(c, hm.SparseWeights):
            c.transform = "O"
        else:
            c._reset()
        copies.append(c)

    def once():
        hm._crand_ids.cache_clear()
        fn(copies.pop())

    return median_time(once, runs=runs)


def side_by_side(w, values: pd.Series, label: str) -> None:
    """esda vs the engine (cold and warm) on one national LISA, floor = the draws."""
    from esda.crand import vec_permutations

    y = values.reindex(w.id_order).to_numpy(dtype=float)
    w.transform = "r"
    max_card = int(max(w.cardinalities.values()))
    floor, runs_f = median_time(lambda: vec_permutations(max_card, w.n, spatial.PERMUTATIONS,
                                                         spatial.SEED), runs=3)
    held = {}
    med_e, runs_e = fresh_runs(lambda c: held.__setitem__("esda", esda_local(y, c)), w)

    def cold(c):
        held["ours"] = hm.local_moran(values, c, permutations=spatial.PERMUTATIONS,
                                      seed=spatial.SEED)

    med_c, runs_c = fresh_runs(cold, w)
    warm_w = copy.deepcopy(w)
    hm.local_moran(values, warm_w, permutations=spatial.PERMUTATIONS, seed=spatial.SEED)
    med_w, runs_w = median_time(lambda: hm.local_moran(
        values, warm_w, permutations=spatial.PERMUTATIONS, seed=spatial.SEED), runs=3)
    m, ours = held["esda"], held["ours"]
    r1 = spatial.PERMUTATIONS + 1
    same = (np.array_equal(np.rint(np.asarray(m.p_sim, float) * r1) / r1, ours["p_sim"])
            and np.array_equal(m.Is, ours["local_i"])
            and [hm.QUADRANTS[int(q)] for q in m.q] == ours["quadrant"].tolist())
    print(f"Local Moran's I {label} ({w.n:,} LSOAs, {spatial.PERMUTATIONS} permutations), "
          f"median of 3:\n"
          f"  floor: the permutation draws    {floor:6.2f} s  1.0x floor  "
          f"{[round(x, 2) for x in runs_f]}\n"
          f"  esda.Moran_Local                {med_e:6.2f} s  {med_e / floor:4.1f}x floor  "
          f"{[round(x, 2) for x in runs_e]}\n"
          f"  local_moran, cold               {med_c:6.2f} s  {med_c / floor:4.1f}x floor  "
          f"{[round(x, 2) for x in runs_c]}  esda / cold {med_e / med_c:4.1f}x\n"
          f"  local_moran, warm               {med_w:6.2f} s  {med_w / floor:4.1f}x floor  "
          f"{[round(x, 2) for x in runs_w]}  esda / warm {med_e / med_w:4.1f}x\n"
          f"  identical to esda (p_sim, local_i, quadrant of every LSOA): {same}")


def vintage(con, geography: str, release: str) -> None:
    """Weights, esda vs the engine, and the build's LISAs of one boundary vintage."""
    geo = queries.geometries(con, geography, None, "full")
    shapes = shapely.from_wkb([bytes(b) for b in geo["wkb"]])
    codes = geo["code"].tolist()
    vertices = int(shapely.get_num_coordinates(shapes).sum())
    holder = {}

    def weights():
        holder["w"] = hm.queen_weights(shapes, codes, crs="EPSG:4326")

    def matrix():
        holder["m"] = hm.queen_matrix(shapes, codes, crs="EPSG:4326")

    med, runs = median_time(weights, runs=3)
    w, attached = holder["w"]
    print(f"queen weights {geography}: median {med:.2f} s over 3 runs "
          f"({len(codes):,} LSOAs, {vertices:,} vertices, {len(attached)} island(s) "
          f"attached; runs {[round(x, 2) for x in runs]})")
    med_m, runs = median_time(matrix, runs=3)
    sw = holder["m"][0]
    print(f"  the same as SparseWeights (queen_matrix, what the build uses): median "
          f"{med_m:.2f} s (runs {[round(x, 2) for x in runs]}); libpysal's W costs "
          f"{med / med_m:.1f}x")
    rel = queries.releases(con)
    lisa_runs, inputs = spatial.lisa_inputs(con, rel[rel["geography"] == geography],
                                       set(queries.measures(con)["measure"]))
    names = [f"{r} {m}" for r, m in lisa_runs]
    side_by_side(w, spatial._lisa_input(con, release, "imd", len(codes))[0],
                 f"{release} imd")
    workers = os.cpu_count() or 1
    cases = {"national_lisas (one after another)":
             (lambda c: spatial.national_lisas(inputs, c), w),
             f"forked pool of {workers} (former design)":
             (lambda c: pooled_lisas(inputs, c, workers), w),
             "national_lisas on SparseWeights (the build)":
             (lambda c: spatial.national_lisas(inputs, c), sw)}
    meds = {}
    for case, (fn, weights_used) in cases.items():
        meds[case], runs = fresh_runs(fn, weights_used)
        print(f"{len(inputs)} LISAs of {geography} ({', '.join(names)}), {case}: "
              f"median {meds[case]:.2f} s over 3 runs (runs {[round(x, 2) for x in runs]})")
    serial, pooled, build = meds.values()
    print(f"  pool / one after another: {pooled / serial:.2f}x; on SparseWeights / on "
          f"libpysal's W: {build / serial:.2f}x")
    for measure in spatial.CACHED_MEASURES:
        med, runs = median_time(
            lambda m=measure: spatial.compute_national_lisa(con, release, m, w),
            runs=3)
        print(f"compute_national_lisa {release} {measure} (weights warm): median "
              f"{med:.2f} s over 3 runs ({spatial.PERMUTATIONS} permutations; runs "
              f"{[round(x, 2) for x in runs]})")


def main(path: str | None = None) -> None:
    path = path or str(config.db_path())
    with db.connect(path) as con:
        cached = queries.has_table(con, "lisa") and bool(
            con.execute("SELECT count(*) FROM lisa").fetchone()[0])
        print(f"database {path} ({'with' if cached else 'without'} the build's LISA cache)")
        for geography, release in RELEASE_ON.items():
            vintage(con, geography, release)
        for release in RELEASE_ON.values():
            hidden._MEMO.clear()
            t = time.perf_counter()
            hidden.report(con, AREA, release)
            first = time.perf_counter() - t
            med, runs = median_time(lambda r=release: hidden.report(con, AREA, r), runs=3)
            print(f"report({AREA}, {release}): first call {first:.2f} s, then median "
                  f"{med:.2f} s over 3 runs (runs {[round(x, 2) for x in runs]})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
