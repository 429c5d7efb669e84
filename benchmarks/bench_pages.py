"""Time the map page: how long until it is completely rendered, and how big its deck is.

For a single authority (Coventry, Cornwall) and for all of England, on the 2011 (IoD 2019)
and 2021 (IoD 2025) boundaries:

* ``build``: building the map from the database (``services.maps.map_data``, then
  ``present.maps.choropleth``) and serialising the deck (``deck.to_json()``), uncached;
  median of ``--runs``;
* ``page cold`` / ``page warm``: ``streamlit.testing.v1.AppTest`` running ``pages/map.py``
  (the whole page: pickers, queries, map, table, downloads) with empty caches, then the
  median of ``--runs`` runs with the caches the first run filled, as a returning reader sees;
* ``payload``: the deck JSON Streamlit sends to the browser (``deck.to_json()`` length).

Targets: an authority under 1 s warm and 2 MB; England under 5 s and 15 MB.

    python benchmarks/bench_pages.py [--db PATH] [--runs 3]

Uses ``INEQUALITY_DB`` or /tmp/idata/inequality.duckdb.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = (("Coventry", "E08000026"), ("Cornwall", "E06000052"), ("England", "E92000001"))
RELEASES = ("iod2019", "iod2025")
TARGETS = {"authority": (1.0, 2.0), "england": (5.0, 15.0)}  # (seconds warm, MB)


def _median_time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_build(db: Path, release: str, code: str, runs: int) -> tuple[float, int]:
    from inequality.db import connect
    from inequality.present import maps
    from inequality.services.maps import map_data

    with connect(db) as con:
        def build():
            return maps.deck(maps.choropleth(map_data(con, release, code, "imd",
                                                      "decile"))).to_json()
        seconds, text = _median_time(build, runs)
    return seconds, len(text)


def bench_page(release: str, code: str, runs: int) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def run():
        at = AppTest.from_file(str(ROOT / "pages" / "map.py"), default_timeout=120)
        at.query_params.update({"area": code, "release": release, "measure": "imd",
                                "value": "decile"})
        at.run()
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        return at

    st.cache_data.clear()
    st.cache_resource.clear()
    cold, _ = _median_time(run, 1)
    warm, _ = _median_time(run, runs)
    return cold, warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(
        os.environ.get("INEQUALITY_DB", "/tmp/idata/inequality.duckdb")))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}; build one with `python -m inequality build` or "
              "pass --db", file=sys.stderr)
        return 1
    os.environ["INEQUALITY_DB"] = str(args.db)
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    header = (f"{'map':<10} {'release':<8} {'build s':>8} {'page cold s':>12} "
              f"{'page warm s':>12} {'payload MB':>11}  target")
    print(f"database: {args.db}; medians of {args.runs} runs\n{header}\n{'-' * len(header)}")
    failed = False
    for name, code in CASES:
        kind = "england" if name == "England" else "authority"
        seconds_target, mb_target = TARGETS[kind]
        for release in RELEASES:
            build, size = bench_build(args.db, release, code, args.runs)
            cold, warm = bench_page(release, code, args.runs)
            mb = size / 1e6
            ok = warm < seconds_target and mb < mb_target
            failed |= not ok
            print(f"{name:<10} {release:<8} {build:>8.2f} {cold:>12.2f} {warm:>12.2f} "
                  f"{mb:>11.2f}  <{seconds_target:g} s, <{mb_target:g} MB "
                  f"{'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
