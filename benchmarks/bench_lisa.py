"""Time the national spatial statistics behind the Rural & hidden deprivation page: queen
weights on the full England boundary set and Local Moran's I (999 permutations) for every
LSOA, median of 3 runs each; the LISAs of a release serially and over a process pool
(``spatial.national_lisas``), and esda's own ``n_jobs``; then the service as the page meets
it (from the build's cache when the database has one, else computed on demand).

    .venv/bin/python benchmarks/bench_lisa.py [DB]

The result decides the design: above about 2 s, the build caches the neighbours
(``lsoa_neighbour``) and the IMD and Income LISA (``lisa``), and the service reads them.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import shapely
from _common import median_time

from inequality import config, db, queries
from inequality.etl import spatial
from inequality.metrics import hidden as hm
from inequality.services import hidden

RELEASE_ON = {"lsoa11": "iod2019", "lsoa21": "iod2025"}
AREA = "E06000052"  # Cornwall: the largest rural unitary authority


def esda_local(y, w, n_jobs: int):
    """esda's own parallelism (joblib chunks of one run), for comparison with the pool."""
    import esda

    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.Moran_Local(y, w, transformation="r", permutations=spatial.PERMUTATIONS,
                                seed=spatial.SEED, keep_simulations=False, n_jobs=n_jobs)


def main(path: str | None = None) -> None:
    path = path or str(config.db_path())
    with db.connect(path) as con:
        cached = queries.has_table(con, "lisa") and bool(
            con.execute("SELECT count(*) FROM lisa").fetchone()[0])
        print(f"database {path} ({'with' if cached else 'without'} the build's LISA cache)")
        for geography, release in RELEASE_ON.items():
            geo = queries.geometries(con, geography, None, "full")
            shapes = shapely.from_wkb([bytes(b) for b in geo["wkb"]])
            codes = geo["code"].tolist()
            vertices = int(shapely.get_num_coordinates(shapes).sum())
            holder = {}

            def weights():
                holder["w"] = hm.queen_weights(shapes, codes, crs="EPSG:4326")

            med, runs = median_time(weights, runs=3)
            w, attached = holder["w"]
            print(f"queen weights {geography}: median {med:.2f} s over 3 runs "
                  f"({len(codes):,} LSOAs, {vertices:,} vertices, {len(attached)} island(s) "
                  f"attached; runs {[round(x, 2) for x in runs]})")
            inputs = [spatial._lisa_input(con, release, m, len(codes))
                      for m in spatial.CACHED_MEASURES]
            for workers in (1, os.cpu_count() or 1):
                med, runs = median_time(
                    lambda k=workers: spatial.national_lisas(inputs, w, workers=k), runs=3)
                print(f"{len(inputs)} LISAs of {release}, {workers} process(es): median "
                      f"{med:.2f} s over 3 runs (runs {[round(x, 2) for x in runs]})")
            y = inputs[0][0].reindex(w.id_order).to_numpy()
            for n_jobs in (1, 2):
                med, runs = median_time(lambda k=n_jobs: esda_local(y, w, k), runs=3)
                print(f"esda.Moran_Local n_jobs={n_jobs} (one LISA): median {med:.2f} s "
                      f"(runs {[round(x, 2) for x in runs]})")
            for measure in spatial.CACHED_MEASURES:
                med, runs = median_time(
                    lambda m=measure: spatial.compute_national_lisa(con, release, m, w),
                    runs=3)
                print(f"Local Moran's I {release} {measure}: median {med:.2f} s over 3 runs "
                      f"({spatial.PERMUTATIONS} permutations; runs "
                      f"{[round(x, 2) for x in runs]})")
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
