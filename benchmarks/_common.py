"""Shared helpers for the benchmark scripts (medians over several runs, peak memory)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
MIRROR = Path(os.environ.get("INEQUALITY_MIRROR") or ROOT.parent / "shared" / "data" / "raw")


def median_time(fn, runs: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def run_child(code: str) -> tuple[float, float, str]:
    """Run ``code`` in a fresh Python; return (seconds, that process's peak RSS in MiB, what
    it printed)."""
    probe = "\nimport resource as _r; print('PEAK', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code + probe], check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    seconds = time.perf_counter() - t
    peak_kib = int(out.strip().splitlines()[-1].split()[1])
    return seconds, peak_kib / 1024, out


def require_mirror() -> Path:
    if not MIRROR.is_dir():
        sys.exit(f"mirror {MIRROR} not found: set INEQUALITY_MIRROR to the offline mirror")
    return MIRROR
