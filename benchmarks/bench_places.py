"""Find your place: timings against a floor measured in the same run (medians and ratios).

    .venv/bin/python benchmarks/bench_places.py [DB] [--no-build]

1. A postcode answered, warm (aim: under 50 ms): ``places.search`` of a postcode typed in a
   messy spelling and ``postcodes.check_postcodes`` of one postcode, against the floor of a plain
   DuckDB point lookup of the same postcodes; ``neighbourhood.neighbourhood`` (the whole "your
   neighbourhood" profile) for information.
2. 10,000 postcodes (aim: under 2 s): ``postcodes.check_postcodes`` of 10,000 real postcodes in
   messy spellings, warm and in a fresh process (cold: the in-memory tables are built
   first), against the floor of one DuckDB join of the same postcodes plus one plain pandas
   merge with the 2021 LSOA table.
3. The NSPL load (aim: under 10 s of the build): reading the zip (floor: a plain pyarrow read
   of its CSV, no validation), reading with validation, and the whole load into a scratch
   database (the insert and the cross-check against the LSOA lookup); then,
   unless --no-build, a full mirror build into a temporary folder, reporting the NSPL and
   MSOA-name loads' share of it.

DB defaults to INEQUALITY_DB / data/inequality.duckdb and must have been built with the
postcode table (a build of this version).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import MIRROR, median_time, require_mirror, run_child

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from inequality import config, queries
from inequality.etl import build as build_mod
from inequality.etl import sources
from inequality.etl.readers import READERS
from inequality.services import neighbourhood, places, postcodes


def messy(pc: str, i: int) -> str:
    compact = pc.replace(" ", "")
    return [pc.lower(), compact, f"  {pc} ", compact[:-3] + "  " + compact[-3:]][i % 4]


def medians(fn, items, repeat: int = 1) -> float:
    times = []
    for item in items:
        for _ in range(repeat):
            t = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def ms(x: float) -> str:
    return f"{1000 * x:.1f} ms"


def single(con, sample: list[str]) -> None:
    print("1. A postcode answered (warm; median over "
          f"{len(sample)} real postcodes)")
    point = "SELECT * FROM postcode WHERE postcode = ?"
    t = time.perf_counter()
    places.warm(con)  # build the search index and lookup tables: "warm" from here on
    print(f"   places.warm (once per database file)       {time.perf_counter() - t:8.2f} s")
    floor = medians(lambda p: con.execute(point, [p]).fetchall(), sample)
    print(f"   floor: plain DuckDB point lookup            {ms(floor):>10}")
    for label, fn in (
            ("places.search(messy postcode)", lambda p_i: places.search(con, messy(*p_i))),
            ("postcodes.check_postcodes([one])", lambda p_i: postcodes.check_postcodes(
                con, [messy(*p_i)]))):
        t = medians(fn, [(p, i) for i, p in enumerate(sample)])
        print(f"   {label:<42} {ms(t):>10}  = {t / floor:5.1f} x floor   aim < 50 ms: "
              f"{'met' if t < 0.05 else 'NOT met'}")
    t = medians(lambda p: neighbourhood.neighbourhood(con, p), sample[:10])
    print(f"   {'neighbourhood (whole profile)':<42} {ms(t):>10}  = {t / floor:5.1f} x "
          "floor   (for information)")


def batch(con, db_path: str, postcodes: list[str]) -> None:
    inputs = [messy(p, i) for i, p in enumerate(postcodes)]
    print(f"2. {len(inputs):,} postcodes (median of 3 warm runs)")
    lsoa = queries.lsoa_records(con, geography="lsoa21")

    def floor_fn():
        found = con.execute("SELECT * FROM postcode WHERE postcode IN "
                            "(SELECT unnest(?::VARCHAR[]))", [postcodes]).df()
        return found.merge(lsoa, left_on="lsoa21_code", right_on="lsoa_code", how="left")

    floor, _ = median_time(floor_fn)
    print(f"   floor: one DuckDB join + one pandas merge   {floor:8.3f} s")
    postcodes.check_postcodes(con, inputs[:10])  # warm
    warm, runs = median_time(lambda: postcodes.check_postcodes(con, inputs))
    print(f"   postcodes.check_postcodes, warm                {warm:8.3f} s  = {warm / floor:5.1f} x "
          f"floor   aim < 2 s: {'met' if warm < 2 else 'NOT met'}  (runs "
          f"{[round(r, 3) for r in runs]})")
    listing = Path(tempfile.mkdtemp()) / "postcodes.txt"
    listing.write_text("\n".join(inputs) + "\n")
    code = (f"import time, duckdb\nfrom inequality.services import postcodes\n"
            f"con = duckdb.connect({db_path!r}, read_only=True)\n"
            f"inputs = open({str(listing)!r}).read().splitlines()\n"
            "t = time.perf_counter(); postcodes.check_postcodes(con, inputs)\n"
            "print('COLD', time.perf_counter() - t)")
    _, peak, out = run_child(code)
    cold = float(next(ln for ln in out.splitlines() if ln.startswith("COLD")).split()[1])
    print(f"   postcodes.check_postcodes, fresh process       {cold:8.3f} s  (builds its in-memory "
          f"tables first; peak RSS {peak:.0f} MiB)")
    seconds, _, _ = run_child(f"from inequality.cli import main\nimport sys\n"
                              f"main(['postcodes', {str(listing)!r}, '--db', {db_path!r}, "
                              f"'--out', {str(listing.with_suffix('.csv'))!r}])")
    print(f"   CLI `postcodes FILE --out FILE.csv`, cold   {seconds:8.3f} s  (whole process, "
          "imports included)")


def nspl_load(con) -> None:
    mirror = require_mirror()
    source = sources.get("nspl21_lsoa21")
    path = mirror / source.id / source.file
    print("3. The NSPL load")

    def plain_read():
        with zipfile.ZipFile(path) as z, z.open(source.options["member"]) as f:
            return pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in ("pcds", "laua", "ward", "lsoa21")}))

    floor, _ = median_time(plain_read)
    print(f"   floor: plain pyarrow read of the zipped CSV {floor:8.2f} s")
    read, _ = median_time(lambda: READERS["postcode"](source, path))
    print(f"   read_nspl (read + validate)                 {read:8.2f} s  = {read / floor:4.1f} x "
          "floor")

    def load():
        with tempfile.TemporaryDirectory() as d:
            scratch = duckdb.connect(str(Path(d) / "scratch.duckdb"))
            scratch.execute(build_mod.SCHEMA_SQL.read_text())
            area = con.execute("SELECT * FROM area_lookup WHERE geography = 'lsoa21'").df()
            scratch.register("_a", area)
            scratch.execute("INSERT INTO area_lookup SELECT * FROM _a")
            t = time.perf_counter()
            build_mod.LOADERS["postcode"](scratch, source, path)
            seconds = time.perf_counter() - t
            scratch.close()
            return seconds

    loads = [load() for _ in range(3)]
    print(f"   whole load (read, validate, insert, cross-check) {statistics.median(loads):.2f} s"
          f"  = {statistics.median(loads) / floor:4.1f} x floor   aim < 10 s: "
          f"{'met' if statistics.median(loads) < 10 else 'NOT met'}")


def full_build() -> None:
    mirror = require_mirror()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        build_mod.build(Path(d) / "b.duckdb", mirror=mirror, raw_dir=Path(d) / "raw",
                        log=lines.append)
        total = time.perf_counter() - t
    loads = {ln.split()[1].rstrip(":"): float(ln.rsplit("(", 1)[1].rstrip("s)"))
             for ln in lines if ln.startswith("load  ")}
    ours = {k: v for k, v in loads.items() if k in ("nspl21_lsoa21", "msoa_names_2021",
                                                     "msoa_names_2011")}
    print(f"   full mirror build: {total:.1f} s; NSPL load {ours.get('nspl21_lsoa21', 0):.1f} s "
          f"({100 * ours.get('nspl21_lsoa21', 0) / total:.0f}% of the build), MSOA names "
          f"{ours.get('msoa_names_2021', 0) + ours.get('msoa_names_2011', 0):.1f} s; every "
          f"source's load: {sum(loads.values()):.1f} s")


def main(argv: list[str]) -> None:
    skip_build = "--no-build" in argv
    args = [a for a in argv if a != "--no-build"]
    db_path = args[0] if args else str(config.db_path())
    with duckdb.connect(db_path, read_only=True) as con:
        if not queries.has_table(con, "postcode"):
            sys.exit(f"{db_path} has no postcode table: build it with this version first")
        rng = random.Random(13)
        every = [r[0] for r in con.execute(
            "SELECT postcode FROM postcode WHERE lsoa21_code IS NOT NULL").fetchall()]
        single(con, rng.sample(every, 50))
        batch(con, db_path, rng.sample(every, 10_000))
        nspl_load(con)
    if not skip_build:
        full_build()
    print(f"(mirror {MIRROR}; machine load varies: compare the ratios)")


if __name__ == "__main__":
    main(sys.argv[1:])
