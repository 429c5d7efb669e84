"""N concurrent first visits over Streamlit's websocket protocol, against N blank-page sessions.

Issue 15: "20 concurrent first visits to 20 different authorities: overview and decile
tracking each within 5x the wall time of 20 blank-page sessions", and the app's RSS with 20
sessions under 600 MB. No browser: each session speaks the protocol itself (see
``benchmarks/_sessions.py``), so the times are server time plus the websocket traffic.

Scenarios, each run ``--runs`` times (a fresh server for every cold run, so the caches are
empty and the first visit pays for everything it computes):

* ``blank floor``: N sessions of ``benchmarks/floors/blank.py`` (a one-line page) on a
  server with Streamlit's default settings (started in an empty folder, so it reads no
  ``.streamlit/config.toml``): the floor the issue measured, a blank page as Streamlit
  serves it. The ratios (``x floor``) are to this floor;
* ``blank, app cfg``: the same blank page on a server with the app's own settings
  (``.streamlit/config.toml``: no full garbage collection after every script run, no file
  watching); its ratio column ``x app cfg`` says how much of the page cost is the app's
  pages rather than the framework's default per-run work;
* ``overview, cold``: N sessions, one authority each, of the overview (``/``,
  ``?area=CODE&release=RELEASE``) on a freshly started ``dashboard.py``;
* ``overview, warm``: the same N sessions again on that server (every authority visited);
* ``tracking, cold``: N sessions of ``/decile-tracking?area=CODE&release=RELEASE`` on another
  fresh server;
* ``overview, 1st`` / ``tracking, 1st``: the same N first visits on a fresh server that has
  served one earlier visit (England's page, not one of the N): the server's one-off start-up
  (importing pandas, Altair, pydeck; opening and checking the database; the release-wide
  caches) is paid before the clock starts, as on a server that has been up a while, while
  every one of the N authorities is still a first visit.

The authorities: N current (2024) authorities spread evenly over the sorted list of codes in
the database (the same list every run). Reported: the wall time until the last of the N
scripts finished (median of the runs), the per-session median and maximum (all runs), the
ratio of the wall time to the blank floor's, failures (an exception element, an ``st.error``,
page not found, a timeout), and the server's VmRSS (median) and VmHWM (maximum) read from
/proc while all N sessions are still connected.

    python benchmarks/bench_sessions.py [--sessions 20] [--runs 3] [--db PATH]
                                        [--release iod2019] [--port 8950] [--json FILE]

Servers bind to 127.0.0.1 only, on ``--port`` (app) and ``--port + 1`` (floor), and are
killed on exit. The database is opened read-only.

``--profile overview|tracking`` instead profiles first visits in this process
(``streamlit.testing.v1.AppTest`` of the page file, empty caches): the ``--area`` visit (cold
imports and caches), then the ``--then`` visit (another authority: only its own results are
uncached). For each visit it lists every cached service/query call the page made
(:mod:`inequality.app.cache`, in call order, nested calls indented, inclusive seconds, and
how far the process's peak RSS rose during a top-level call), then the cProfile functions of
``inequality`` with the most cumulative time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sessions import ROOT, Server, Visit, concurrent_visits

MAX_SESSIONS = 50
TARGET_RATIO, TARGET_RSS_MIB = 5.0, 600.0
OVERVIEW, TRACKING = "", "decile-tracking"  # page url paths (inequality.app.PAGES)


def authorities(db: Path, n: int) -> list[str]:
    """``n`` current authority codes spread evenly over the sorted codes in the database."""
    sys.path.insert(0, str(ROOT))
    from inequality import db as database
    from inequality import queries

    with database.connect(db, read_only=True) as con:
        areas = queries.areas(con)
    codes = sorted(areas.loc[areas["area_type"] == "lad", "area_code"])
    if n > len(codes):
        raise SystemExit(f"only {len(codes)} authorities in {db}")
    return [codes[round(i * (len(codes) - 1) / max(n - 1, 1))] for i in range(n)]


def _run(server: Server, specs, timeout: float) -> dict:
    wall, visits, memory = concurrent_visits(server.port, specs, timeout, server.memory_mib)
    return {"wall": wall, "visits": visits, "memory": memory}


def _summary(name: str, runs: list[dict], floor: float | None) -> dict:
    walls = [r["wall"] for r in runs]
    visits: list[Visit] = [v for r in runs for v in r["visits"]]
    seconds = [v.seconds for v in visits]
    failed = [v for v in visits if not v.ok]
    wall = statistics.median(walls)
    return {
        "scenario": name, "wall_median": wall, "walls": walls,
        "session_median": statistics.median(seconds), "session_max": max(seconds),
        "ratio": wall / floor if floor else None,
        "failures": len(failed), "sessions": len(visits),
        "failure_examples": sorted({f"{v.label}: {e}" for v in failed for e in v.errors})[:10],
        "rss_mib": statistics.median(r["memory"]["VmRSS"] for r in runs),
        "hwm_mib": max(r["memory"]["VmHWM"] for r in runs),
        "kib_sent_per_session": statistics.median(v.bytes for v in visits) / 1024,
        "headings": sorted({v.headings[0] for v in visits if v.headings})[:3],
    }


PAGE_FILES = {"overview": "overview.py", "tracking": "deciles.py"}
_PROFILED_PAGE = """import cProfile, os, runpy
_p = cProfile.Profile()
_p.enable()
try:
    runpy.run_path(os.environ["BENCH_PAGE"], run_name="__main__")
finally:
    _p.disable()
    _p.dump_stats(os.environ["BENCH_PSTATS"])
"""


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:  # "5" resets VmHWM to the current RSS (Linux >= 4.0, proc(5))
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def profile(page: str, codes: list[str], release: str, db: Path, top: int) -> None:
    """Profile first visits of ``page`` for each code in turn (see the module docstring)."""
    import cProfile  # noqa: F401  (used by the wrapper page)
    import pstats
    import time

    os.environ["INEQUALITY_DB"] = str(db)
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    from inequality.app import cache, data  # noqa: F401  (registers the cached calls)
    print(f"import inequality.app.data (pandas, altair, pydeck, ...): "
          f"{time.perf_counter() - start:.2f} s, RSS {_status_mib('VmRSS'):.0f} MiB")

    calls: list[dict] = []
    depth = [0]

    def timed(name, fn):
        def call(con, *args):
            row = {"name": name.removeprefix("inequality."), "args": args,
                   "depth": depth[0], "seconds": None, "peak": None}
            calls.append(row)
            if depth[0] == 0:
                _reset_peak()
                rss = _status_mib("VmRSS")
            depth[0] += 1
            t = time.perf_counter()
            try:
                return fn(con, *args)
            finally:
                row["seconds"] = time.perf_counter() - t
                depth[0] -= 1
                if depth[0] == 0:
                    row["peak"] = _status_mib("VmHWM") - rss
        return call

    registry = getattr(cache, "_FUNCTIONS", None)
    if registry is None:
        print("inequality.app.cache has no _FUNCTIONS registry: cached calls not listed")
    else:
        for name, fn in list(registry.items()):
            registry[name] = timed(name, fn)

    tmp = Path(tempfile.mkdtemp(prefix="bench_sessions_profile_"))
    wrapper = tmp / "profiled_page.py"
    wrapper.write_text(_PROFILED_PAGE)
    os.environ["BENCH_PAGE"] = str(ROOT / "pages" / PAGE_FILES[page])
    for n, code in enumerate(codes):
        calls.clear()
        os.environ["BENCH_PSTATS"] = str(tmp / f"visit{n}.pstats")
        at = AppTest.from_file(str(wrapper), default_timeout=600)
        at.query_params.update({"area": code, "release": release})
        t = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - t
        errors = [e.value for e in at.exception] + [e.value for e in at.error]
        print(f"\n== {page}, {code}, {release}: visit {n + 1} "
              f"({'imports and caches cold' if n == 0 else 'only this area uncached'}): "
              f"{seconds:.2f} s, RSS now {_status_mib('VmRSS'):.0f} MiB"
              + (f", ERRORS: {errors}" if errors else ""))
        print(f"   {'seconds':>8} {'peak+MiB':>8}  cached call (args)")
        for row in calls:
            peak = f"{row['peak']:8.0f}" if row["peak"] is not None else " " * 8
            args = ", ".join(repr(a) for a in row["args"])
            print(f"   {row['seconds']:8.3f} {peak}  {'  ' * row['depth']}{row['name']}"
                  f"({args})")
        total = sum(r["seconds"] for r in calls if r["depth"] == 0)
        print(f"   {total:8.3f}           all top-level cached calls "
              f"({seconds - total:.2f} s elsewhere: page, charts, tables, imports)")
        stats = pstats.Stats(str(tmp / f"visit{n}.pstats"))
        rows = [(ct, nc, f"{Path(fn).name}:{line} {func}")
                for (fn, line, func), (_, nc, _, ct, _) in stats.stats.items()
                if "/inequality/" in fn or "duckdb" in func or "execute" in func]
        print(f"   cProfile, top {top} by cumulative seconds (inequality code, duckdb):")
        for ct, nc, where in sorted(rows, reverse=True)[:top]:
            print(f"   {ct:8.3f} {nc:6d}x  {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=Path(
        os.environ.get("INEQUALITY_DB") or ROOT / "data" / "inequality.duckdb"))
    parser.add_argument("--release", default="iod2019")
    parser.add_argument("--port", type=int, default=8950)
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds one scenario may take before its sessions fail")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--log-dir", type=Path, help="server logs (default: a temporary dir)")
    parser.add_argument("--profile", choices=sorted(PAGE_FILES),
                        help="profile first visits of this page instead (no server)")
    parser.add_argument("--area", default="E08000026", help="--profile: first authority")
    parser.add_argument("--then", default="E06000052", help="--profile: second authority")
    parser.add_argument("--top", type=int, default=25, help="--profile: cProfile rows")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, [args.area, args.then], args.release, args.db, args.top)
        return 0
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1..{MAX_SESSIONS}")
    if not args.db.is_file():
        parser.error(f"no database at {args.db}")

    codes = authorities(args.db, args.sessions)
    print(f"{args.sessions} sessions, {args.runs} runs, {args.release}, {args.db}")
    print("authorities:", " ".join(codes))
    logs = args.log_dir or Path(tempfile.mkdtemp(prefix="bench_sessions_"))
    logs.mkdir(parents=True, exist_ok=True)
    env = {"INEQUALITY_DB": str(args.db)}

    def specs(page: str) -> list[tuple[str, str, str]]:
        return [(code, page, urlencode({"area": code, "release": args.release}))
                for code in codes]

    def app() -> Server:
        return Server(ROOT / "dashboard.py", args.port, env, self_starting=True,
                      log=logs / "app.log")

    results: dict[str, list[dict]] = {"blank": [], "blank_app": [], "overview_cold": [],
                                      "overview_warm": [],
                                      "tracking_cold": [], "overview_first": [],
                                      "tracking_first": []}
    england = urlencode({"area": "E92000001", "release": args.release})
    blank_specs = [(f"blank{i}", "", "") for i in range(args.sessions)]
    defaults = Path(tempfile.mkdtemp(prefix="bench_sessions_defaults_"))  # no config.toml
    for run in range(args.runs):
        with Server(ROOT / "benchmarks" / "floors" / "blank.py", args.port + 1,
                    log=logs / "blank.log", cwd=defaults) as floor:
            results["blank"].append(_run(floor, blank_specs, args.timeout))
        with Server(ROOT / "benchmarks" / "floors" / "blank.py", args.port + 1,
                    log=logs / "blank_app.log") as floor:
            results["blank_app"].append(_run(floor, blank_specs, args.timeout))
        with app() as server:
            results["overview_cold"].append(_run(server, specs(OVERVIEW), args.timeout))
            results["overview_warm"].append(_run(server, specs(OVERVIEW), args.timeout))
        with app() as server:
            results["tracking_cold"].append(_run(server, specs(TRACKING), args.timeout))
        for page, key in ((OVERVIEW, "overview_first"), (TRACKING, "tracking_first")):
            with app() as server:
                _run(server, [("E92000001", page, england)], args.timeout)  # start-up, untimed
                results[key].append(_run(server, specs(page), args.timeout))
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s"
                                             for k, v in results.items()), flush=True)

    floor = statistics.median(r["wall"] for r in results["blank"])
    app_floor = statistics.median(r["wall"] for r in results["blank_app"])
    names = {"blank": "blank floor", "blank_app": "blank, app cfg",
             "overview_cold": "overview, cold",
             "overview_warm": "overview, warm", "tracking_cold": "tracking, cold",
             "overview_first": "overview, 1st", "tracking_first": "tracking, 1st"}
    rows = [_summary(names[k], v, floor) for k, v in results.items()]

    print(f"\n{'scenario':16} {'wall s':>7} {'x floor':>7} {'x app cfg':>9} {'sess med':>8} "
          f"{'sess max':>8} {'fail':>6} {'RSS MiB':>8} {'HWM MiB':>8} {'KiB/sess':>8}  walls")
    for r in rows:
        r["ratio_app_cfg"] = r["wall_median"] / app_floor
        print(f"{r['scenario']:16} {r['wall_median']:7.2f} {r['ratio']:7.1f} "
              f"{r['ratio_app_cfg']:9.1f} "
              f"{r['session_median']:8.2f} {r['session_max']:8.2f} "
              f"{r['failures']:>3}/{r['sessions']:<3}{r['rss_mib']:8.0f} {r['hwm_mib']:8.0f} "
              f"{r['kib_sent_per_session']:8.1f}  "
              + " ".join(f"{w:.2f}" for w in r["walls"]))
    for r in rows:
        for example in r["failure_examples"]:
            print(f"  FAILED {r['scenario']}: {example}")
    print(f"\ntargets: overview and tracking cold within {TARGET_RATIO:g}x the floor (a blank "
          f"page, Streamlit's defaults); RSS with {args.sessions} sessions under "
          f"{TARGET_RSS_MIB:g} MB")
    for r in rows[2:]:
        ok = r["ratio"] <= TARGET_RATIO and r["rss_mib"] < TARGET_RSS_MIB and not r["failures"]
        print(f"  {r['scenario']:16} {'met' if ok else 'NOT met'} ({r['ratio']:.1f}x, "
              f"{r['rss_mib']:.0f} MiB RSS, {r['failures']} failures)")
    print(f"server logs: {logs}")
    if args.json:
        args.json.write_text(json.dumps({"sessions": args.sessions, "runs": args.runs,
                                         "release": args.release, "authorities": codes,
                                         "rows": rows}, indent=2))
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
