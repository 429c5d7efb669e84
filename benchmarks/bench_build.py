"""Time the mirror build in its five shapes against a plain read of the same raw files (the
floor), median of N runs each, with each child's peak memory and CPU time (user + system, all
threads). The CPU time divided by the cores is the least wall time that work can take here,
however well its parts overlap: it says how far better scheduling alone could go.

    .venv/bin/python benchmarks/bench_build.py [runs]

Every measurement is a fresh Python process (``_common.run_child``), interleaved round by
round so that the machine's load falls on all of them alike:

* ``plain read``      every raw file the build reads, with pandas/geopandas, nothing else
* ``from scratch``    ``build(force=True)``: every file loaded, every derived step computed
* ``full, reuse``     a full build (every file loaded) with a sound previous database whose
                      derived steps' inputs are unchanged: they are copied, not recomputed.
                      To make the build run at all, the previous database's load log is
                      told that one file no step reads (ruc2021_lad24) had another checksum
* ``--only same``     ``--only ruc2021_lad24`` with that file unchanged
* ``--only IoD``      ``--only iod2025_lsoa21`` as if the file were a new edition (the
                      previous database's derive_log is told the steps reading it had other
                      keys): the core and lsoa21 spatial steps rerun, lsoa11's is kept

The --only runs start from a copy of the from-scratch database (the copy is not timed).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb
from _common import require_mirror, run_child

from inequality.etl import derive

BUILD = """
import time
from pathlib import Path
from inequality.etl.build import build
import re
steps, summaries = [], [0.0]
def log(m):
    if m.startswith(("derive ", "reuse ")):
        steps.append(m.split()[0] + ":" + m.split()[1])
    found = re.match(r"summaries: done \\(([0-9.]+)s\\)", m)
    if found:  # the national summaries step, when it runs
        summaries[0] = float(found.group(1))
build(Path({db!r}), mirror=Path({mirror!r}), raw_dir=Path({raw!r}), force={force},
      only={only!r}, log=log)
print("STEPS", " ".join(steps))
print("SUMMARIES", summaries[0])
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

#: Appended to every child: the CPU time of all its threads (user + system).
CPU_PROBE = """
import resource as _r
_u = _r.getrusage(_r.RUSAGE_SELF)
print("CPU", _u.ru_utime + _u.ru_stime)
"""

UNRELATED = "ruc2021_lad24"  # read by no derived step
IOD = "iod2025_lsoa21"


def pretend_changed(db: Path, source_id: str) -> None:
    """Make the load log of ``db`` say ``source_id`` had another checksum, so that a build
    without --force runs in full (and finds every derived step's inputs unchanged)."""
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE load_log SET sha256 = 'changed' WHERE source_id = ?", [source_id])


def pretend_stale(db: Path, source_id: str) -> None:
    """Make ``db`` record other keys for the derived steps that read ``source_id``, as if it
    had been built from another edition of that file: ``--only source_id`` reruns them."""
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE derive_log SET input_key = 'stale' WHERE list_contains(inputs, ?)",
                    [source_id])


def main(runs: int = 3) -> None:
    mirror = str(require_mirror())
    cases = ["plain read", "from scratch", "full, reuse", "--only same", "--only IoD"]
    secs: dict[str, list[float]] = {c: [] for c in cases}
    peaks: dict[str, list[float]] = {c: [] for c in cases}
    summ: dict[str, list[float]] = {c: [] for c in cases}
    cpu: dict[str, list[float]] = {c: [] for c in cases}
    steps: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        raw = f"{tmp}/raw"
        from inequality.etl import fetch  # copy the mirror once, untimed
        from inequality.etl.sources import SOURCES
        for source in SOURCES:
            if source.in_mirror:
                fetch.fetch_source(source, Path(raw), Path(mirror))

        def child(case: str, code: str) -> None:
            s, peak, out = run_child(code + CPU_PROBE)
            secs[case].append(s)
            peaks[case].append(peak)
            cpu[case].append(float(re.search(r"^CPU ([0-9.]+)$", out, re.M).group(1)))
            if "STEPS" in out:
                steps[case] = out.split("STEPS", 1)[1].splitlines()[0].strip()
                summ[case].append(float(out.split("SUMMARIES", 1)[1].split()[0]))

        for i in range(runs):
            child("plain read", FLOOR.format(mirror=mirror))
            base = Path(tmp) / f"scratch{i}.duckdb"
            child("from scratch", BUILD.format(db=str(base), mirror=mirror, raw=raw,
                                               force=True, only=None))
            reuse = Path(tmp) / f"reuse{i}.duckdb"
            shutil.copy2(base, reuse)
            pretend_changed(reuse, UNRELATED)
            child("full, reuse", BUILD.format(db=str(reuse), mirror=mirror, raw=raw,
                                              force=False, only=None))
            for case, source in (("--only same", UNRELATED), ("--only IoD", IOD)):
                db = Path(tmp) / f"only{i}.duckdb"
                shutil.copy2(base, db)
                if case == "--only IoD":
                    pretend_stale(db, source)
                child(case, BUILD.format(db=str(db), mirror=mirror, raw=raw, force=False,
                                         only=[source]))
                db.unlink()
            base.unlink()
            reuse.unlink()
    floor = statistics.median(secs["plain read"])
    cores = os.cpu_count() or 1
    print(f"{'':14} {'median s':>9} {'x floor':>8} {'CPU s':>6} {'CPU/cores x floor':>18} "
          f"{'peak RSS MiB':>13} {'summaries s':>12}   runs (s)")
    for case in cases:
        med, work = statistics.median(secs[case]), statistics.median(cpu[case])
        sm = f"{statistics.median(summ[case]):12.1f}" if summ[case] else f"{'':12}"
        print(f"{case:14} {med:9.1f} {med / floor:8.2f} {work:6.1f} "
              f"{work / cores / floor:18.2f} {max(peaks[case]):13,.0f} "
              f"{sm}   {[round(x, 1) for x in secs[case]]}")
    print(f"CPU s: user + system time of all the process's threads (median); CPU/cores: the "
          f"least wall time that work can take on the {cores} core(s) here, however well it "
          "overlaps, as a multiple of the floor")
    print("summaries s: of the median, the national summaries step (derive_summaries; 0 "
          "where it was reused)")
    print("peak RSS: the build process (the derived steps run in it, "
          f"{derive.WORKERS} at a time)")
    print("aim: full build within 3x the plain read, peak memory under 3 GB, an unchanged "
          "--only in seconds")
    for case, done in steps.items():
        print(f"  {case}: {done}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
