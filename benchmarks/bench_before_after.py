"""Before/after: the server time of every page's first visit, on two checkouts of the code.

Each page runs in ``streamlit.testing.v1.AppTest`` (the whole script: pickers, services,
charts, tables; no browser), in a fresh Python per (checkout, page) so caches start empty,
for several authorities in turn: every visit is a first visit of that authority (the
release-wide caches fill on the first one, as on a server that has been up a while). The
floor, run in the same process, is the blank one-line page ``benchmarks/floors/blank.py``.

    .venv/bin/python benchmarks/bench_before_after.py \\
        --before /tmp/before --before-db /tmp/before.duckdb \\
        [--after .] [--after-db data/inequality.duckdb] [--runs 3]

``--before`` is a checkout of the older code (``git worktree add /tmp/before <commit>``)
with a database its own build made (the schema differs between versions). Reported per
page: the median first-visit seconds over the authorities (median of ``--runs`` passes),
before, after, after/before, and after/blank.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from _common import ROOT

#: (page file, extra query parameters) measured; the area and release are added per visit.
PAGES = (
    ("overview.py", {}),
    ("deciles.py", {}),
    ("hidden.py", {}),
    ("briefing.py", {}),
    ("health_gap.py", {}),
    ("map.py", {"measure": "imd", "value": "decile"}),
)
#: Authorities visited (current LAD24 codes that exist on every release's geography).
AREAS = ("E08000026", "E06000052", "E08000025", "E09000030", "E07000045", "E06000009")
RELEASE = "iod2019"

CHILD = r"""
import json, logging, os, sys, time
os.environ["INEQUALITY_DB"] = {db!r}
sys.path.insert(0, {root!r})
logging.getLogger("streamlit").setLevel(logging.ERROR)
from streamlit.testing.v1 import AppTest
times = []
for i, area in enumerate([None] + {areas!r}):
    at = AppTest.from_file({script!r}, default_timeout=300)
    if area is not None:
        at.query_params.update(dict(area=area, release={release!r}, **{extra!r}))
    t = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t
    if at.exception:
        raise SystemExit(f"{script}: {{at.exception[0].value}}")
    if i:  # the first run imports the modules; not a visit
        times.append(dt)
print("TIMES", json.dumps(times))
"""


def visit_times(root: Path, db: Path, script: Path, extra: dict) -> list[float]:
    code = CHILD.format(db=str(db), root=str(root), areas=list(AREAS), script=str(script),
                        release=RELEASE, extra=extra)
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=False)  # the failure is reported below
    if out.returncode:
        raise SystemExit(f"{script} failed in {root}:\n{out.stderr[-2000:]}{out.stdout[-500:]}")
    line = [x for x in out.stdout.splitlines() if x.startswith("TIMES ")][-1]
    return json.loads(line[len("TIMES "):])


def median_visit(root: Path, db: Path, script: Path, extra: dict, runs: int) -> float:
    return statistics.median(statistics.median(visit_times(root, db, script, extra))
                             for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--before-db", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--after-db", type=Path, default=ROOT / "data" / "inequality.duckdb")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="*", help="page files to run (default: all)")
    args = parser.parse_args(argv)
    for path in (args.before_db, args.after_db):
        if not path.is_file():
            print(f"no database at {path}", file=sys.stderr)
            return 1
    blank = ROOT / "benchmarks" / "floors" / "blank.py"
    floor = median_visit(args.after.resolve(), args.after_db.resolve(), blank, {}, args.runs)
    header = (f"{'page':<16} {'before s':>9} {'after s':>9} {'after/before':>13} "
              f"{'after/blank':>12}")
    print(f"median first-visit server time over {len(AREAS)} authorities, {RELEASE}, "
          f"median of {args.runs} passes; blank page {floor:.3f} s\n{header}\n"
          f"{'-' * len(header)}")
    for page, extra in PAGES:
        if args.pages and page not in args.pages:
            continue
        before = median_visit(args.before.resolve(), args.before_db.resolve(),
                              args.before.resolve() / "pages" / page, extra, args.runs)
        after = median_visit(args.after.resolve(), args.after_db.resolve(),
                             args.after.resolve() / "pages" / page, extra, args.runs)
        print(f"{page:<16} {before:>9.3f} {after:>9.3f} {after / before:>13.2f} "
              f"{after / floor:>12.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
