"""Time `summary --all` (every authority, every domain, one pass over the database) per
release: median of 5 warm runs in-process, plus one cold CLI run.

    .venv/bin/python benchmarks/bench_summary.py [DB]
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import ROOT, median_time

from inequality.services import summaries
from inequality import config, db


def main(path: str | None = None) -> None:
    path = path or str(config.db_path())
    with db.connect(path) as con:
        for release in ("iod2010", "iod2015", "iod2019", "iod2025"):
            med, runs = median_time(lambda r=release: summaries.all_summaries(con, r), runs=5)
            n = len(summaries.all_summaries(con, release))
            print(f"summary --all {release}: median {med:.2f} s over 5 runs "
                  f"({n} authorities; runs {[round(x, 2) for x in runs]})  aim < 2 s")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inequality", "summary", "--all", "--release",
                    "iod2019", "--json", "--db", path], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    print(f"cold CLI `summary --all --release iod2019 --json`: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
