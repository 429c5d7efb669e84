"""Time the full mirror build (median of 3, peak memory) against a plain read of the same raw
files with pandas/geopandas (the floor), and report the ratio.

    .venv/bin/python benchmarks/bench_build.py [runs]

Each run is a fresh process: the build runs with --force into a temporary database; the floor
reads every raw file the build reads (pd.read_csv / gpd.read_parquet) and nothing else.
"""

from __future__ import annotations

import statistics
import sys
import tempfile

from _common import require_mirror, run_child

BUILD = """
import re, time
from pathlib import Path
from inequality.etl.build import build
spatial = []
def log(m):
    found = re.match(r"lisa .*\\(([0-9.]+)s\\)$", m)
    if found:
        spatial.append(float(found.group(1)))
build(Path({db!r}), mirror=Path({mirror!r}), raw_dir=Path({raw!r}), force=True, log=log)
print("SPATIAL", sum(spatial))
"""

FLOOR = """
from pathlib import Path
import geopandas as gpd, pandas as pd
from inequality.etl.sources import SOURCES
for s in SOURCES:
    if not s.in_mirror:
        continue
    p = Path({mirror!r}) / s.id / s.file
    gpd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str)
"""


def main(runs: int = 3) -> None:
    mirror = str(require_mirror())
    with tempfile.TemporaryDirectory() as tmp:
        builds, floors, peaks, floor_peaks, spatial = [], [], [], [], []
        for i in range(runs):
            secs, peak, out = run_child(BUILD.format(db=f"{tmp}/b{i}.duckdb", mirror=mirror,
                                                     raw=f"{tmp}/raw"))
            builds.append(secs)
            peaks.append(peak)
            spatial.append(float(out.split("SPATIAL")[-1].split()[0]))
            secs, peak, _ = run_child(FLOOR.format(mirror=mirror))
            floors.append(secs)
            floor_peaks.append(peak)
    b, f = statistics.median(builds), statistics.median(floors)
    sp = statistics.median(spatial)
    print(f"full mirror build   median {b:6.1f} s  runs {[round(x, 1) for x in builds]}  "
          f"peak RSS {max(peaks):,.0f} MiB")
    print(f"  of which the spatial cache (queen weights + LISA)  median {sp:6.1f} s; "
          f"the ETL without it {b - sp:6.1f} s ({(b - sp) / f:.2f}x the raw read)")
    print(f"plain raw read      median {f:6.1f} s  runs {[round(x, 1) for x in floors]}  "
          f"peak RSS {max(floor_peaks):,.0f} MiB")
    print(f"ratio build / read  {b / f:.2f}x   (aim: under 3x; peak memory under 3 GB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
