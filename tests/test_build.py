"""The build: atomic replacement, failures that lose nothing, no-op re-runs, the HTTP path."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import FIXTURE_MIRROR, REPO, build_fixture_db, fixture_sources
from httpserver import LocalServer, send_bytes

from inequality import cli
from inequality import db as dbmod
from inequality.etl import build as build_module
from inequality.etl import derive as derive_module
from inequality.etl.build import BuildError, build


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def built(tmp_path) -> Path:
    path = tmp_path / "inequality.duckdb"
    build_fixture_db(path, tmp_path / "raw")
    return path


def damaged_mirror(tmp_path: Path, source_id: str, damage) -> Path:
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURE_MIRROR, mirror)
    path = next((mirror / source_id).iterdir())
    damage(path)
    return mirror


def assert_intact(path: Path, digest: str) -> None:
    assert sha(path) == digest, "the previous database was modified"
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM release").fetchone()[0] == 4
    assert not list(path.parent.glob("*.tmp-*")), "a temporary build file was left behind"


def test_fixture_build_has_every_table(built):
    with dbmod.connect(built) as con:
        report = dbmod.check(con)
    assert set(report["releases"]) == {"iod2010", "iod2015", "iod2019", "iod2025"}
    assert report["releases"]["iod2010"]["geography"] == "lsoa01"
    assert report["releases"]["iod2025"]["geography"] == "lsoa21"
    for geo in ("lsoa11", "lsoa21"):
        cov = report["coverage"][geo]
        assert cov["lsoas"] == cov["with_boundary"] == cov["with_current_lad"] == cov["with_region"]
    assert all(n > 0 for t, n in report["tables"].items())
    with duckdb.connect(str(built), read_only=True) as con:
        comments = con.execute("SELECT count(*) FROM duckdb_columns() WHERE comment IS NULL "
                               "AND database_name = current_database()").fetchone()[0]
    assert comments == 0, "every column carries a COMMENT"


def test_rerun_of_unchanged_build_does_nothing(built, tmp_path):
    digest, mtime = sha(built), built.stat().st_mtime_ns
    report = build_fixture_db(built, tmp_path / "raw")
    assert not report.changed and report.loaded == []
    assert sha(built) == digest and built.stat().st_mtime_ns == mtime


def test_force_rebuilds(built, tmp_path):
    import gc

    collecting = []  # the cyclic collector, as each derived step finishes
    report = build_fixture_db(built, tmp_path / "raw", force=True,
                              log=lambda m: m.startswith("derive ") and collecting.append(
                                  gc.isenabled()))
    assert report.changed and len(report.loaded) == len(fixture_sources())
    assert collecting and not any(collecting)  # paused while the database is written
    assert gc.isenabled()  # and on again after


def test_the_cyclic_collector_is_on_again_after_a_failed_build(built, tmp_path):
    import gc

    mirror = damaged_mirror(tmp_path, "iod2019_lsoa11", lambda p: p.write_text("x"))
    with pytest.raises(BuildError):
        build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert gc.isenabled()


def fails_and_keeps_the_database(built, tmp_path, source_id, damage, match) -> None:
    """A build from a mirror whose ``source_id`` file is damaged by ``damage`` fails with a
    message matching ``match``, and the previous database is left byte-identical."""
    digest = sha(built)
    mirror = damaged_mirror(tmp_path, source_id, damage)
    with pytest.raises(BuildError, match=match):
        build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert_intact(built, digest)


@pytest.mark.parametrize("source_id,damage,match", [
    ("iod2019_lsoa11",
     lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) * 2 // 3]),
     r"iod2019_lsoa11: .*File_7_-_All_IoD2019"),
    ("iod2015_lsoa11",
     lambda p: p.write_text(p.read_text().replace("LSOA code (2011)", "LSOA id", 1)),
     r"iod2015_lsoa11: .*required column\(s\) 'LSOA code \(2011\)' not found"),
    ("boundaries_lsoa21", lambda p: p.write_bytes(b"PAR1 truncated"),
     r"boundaries_lsoa21: .*lsoa21_boundaries_eng_bsc\.parquet"),
])
def test_failed_build_leaves_previous_database_intact(built, tmp_path, source_id, damage, match):
    fails_and_keeps_the_database(built, tmp_path, source_id, damage, match)


def test_missing_mirror_file_is_reported(built, tmp_path):
    fails_and_keeps_the_database(built, tmp_path, "ruc2021_lad24", lambda p: p.unlink(),
                                 "ruc2021_lad24")


def http_sources(port: int):
    return [dataclasses.replace(s, url=f"http://127.0.0.1:{port}/{s.id}/{s.file}",
                                live_format="file", live_file=None)
            for s in fixture_sources()]


def test_http_build_from_local_server(tmp_path):
    with LocalServer(FIXTURE_MIRROR) as server:
        report = build(tmp_path / "http.duckdb", mirror=None, raw_dir=tmp_path / "raw",
                       sources=http_sources(server.port), log=lambda _m: None, backoff=0)
        assert report.changed
        again = build(tmp_path / "http.duckdb", mirror=None, raw_dir=tmp_path / "raw",
                      sources=http_sources(server.port), log=lambda _m: None, backoff=0)
        assert not again.changed
    with dbmod.connect(tmp_path / "http.duckdb") as con:
        log = con.execute("SELECT count(*) FROM load_log WHERE message = 'from http'").fetchone()
    assert log[0] == len(fixture_sources())


def test_http_500_fails_and_keeps_previous_database(built, tmp_path):
    digest = sha(built)

    with LocalServer(FIXTURE_MIRROR) as server:
        src = next(s for s in fixture_sources() if s.id == "iod2025_lsoa21")
        server.routes[f"/{src.id}/{src.file}"] = lambda h: send_bytes(h, b"boom", status=500)
        with pytest.raises(BuildError, match=r"iod2025_lsoa21: .*HTTP 500.*127\.0\.0\.1"):
            build(built, mirror=None, raw_dir=tmp_path / "raw_http",
                  sources=http_sources(server.port), log=lambda _m: None, backoff=0, retries=1)
    assert_intact(built, digest)


def test_download_cut_short_fails_and_keeps_previous_database(built, tmp_path):
    digest = sha(built)

    def cut(handler):
        send_bytes(handler, b"LSOA code (2011),LSOA name (2011)\n",
                   headers={"Content-Length": "100000"})
        handler.close_connection = True

    with LocalServer(FIXTURE_MIRROR) as server:
        src = next(s for s in fixture_sources() if s.id == "iod2019_lsoa11")
        server.routes[f"/{src.id}/{src.file}"] = cut
        with pytest.raises(BuildError, match=r"iod2019_lsoa11: .*cut short"):
            build(built, mirror=None, raw_dir=tmp_path / "raw_cut",
                  sources=http_sources(server.port), log=lambda _m: None, backoff=0, retries=1)
    assert_intact(built, digest)
    assert not list((tmp_path / "raw_cut" / "iod2019_lsoa11").glob("File_7*.csv"))


def test_only_reloads_named_source(built, tmp_path):
    report = build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw",
                   sources=fixture_sources(), only=["ruc2021_lad24"], log=lambda _m: None)
    assert report.loaded == ["ruc2021_lad24"]
    with dbmod.connect(built) as con:
        assert con.execute("SELECT count(*) FROM release").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM lsoa").fetchone()[0] > 0


def test_only_with_unknown_id_names_the_choices(built, tmp_path):
    with pytest.raises(BuildError, match="unknown source id.*'nope'.*choose from: iod2010"):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw",
              sources=fixture_sources(), only=["nope"], log=lambda _m: None)


def test_interrupted_build_leaves_previous_database_intact(built, tmp_path, monkeypatch):
    digest = sha(built)
    from inequality.etl import build as build_module

    def interrupt(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setitem(build_module.LOADERS, "health", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert_intact(built, digest)


def test_loaders_run_side_by_side_and_a_failure_stops_the_queued_ones(built, tmp_path,
                                                                      monkeypatch):
    """Two IoD files load at once (each on its own cursor); when loaders fail, the build
    names the first source in catalogue order, the loaders of later sources not yet started
    never run, and the previous database is untouched."""
    digest = sha(built)
    monkeypatch.setattr(derive_module, "WORKERS", 2)
    meeting = threading.Barrier(2, timeout=30)  # broken unless two loaders meet at once
    real = build_module.LOADERS["iod"]
    started: list[str] = []

    def meet(con, source, path):
        started.append(source.id)
        if len(started) <= 2:
            meeting.wait()
        return real(con, source, path)

    monkeypatch.setitem(build_module.LOADERS, "iod", meet)
    report = build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw",
                   sources=fixture_sources(), force=True, log=lambda _m: None)
    assert report.loaded == [s.id for s in fixture_sources() if s.id in report.loaded]
    assert len(started) == 4 and not meeting.broken
    digest = sha(built)

    def fail(con, source, path):
        started.append(source.id)
        raise build_module.ReaderError(f"toy failure of {source.id}")

    started.clear()
    for kind in list(build_module.LOADERS):
        monkeypatch.setitem(build_module.LOADERS, kind, fail)
    first = fixture_sources()[0].id
    with pytest.raises(BuildError, match=f"^{first}: .*: toy failure of {first}$"):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    # the first source in catalogue order is named, whichever failed first; the loaders of
    # later sources stopped before they started, bar those running at the first failure
    assert first in started and len(started) < len(fixture_sources())
    assert_intact(built, digest)


def test_temporary_of_a_killed_build_is_cleaned_up(built, tmp_path):
    stale = built.with_name(f"{built.name}.tmp-999999999")
    stale.write_bytes(b"half a database")
    build_fixture_db(built, tmp_path / "raw", force=True)
    assert not stale.exists()


# --- corrupt values fail the build by name (issue 11, fault 2) -------------------------------

def edit_csv(column_of_code: str, code: str, column: str, value: str):
    """A damage function: set one cell of the row whose ``column_of_code`` is ``code``."""
    def damage(path: Path) -> None:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows = df[column_of_code] == code
        assert rows.sum() == 1, f"{code} not in {path.name}"
        df.loc[rows, column] = value
        df.to_csv(path, index=False)
    return damage


POP_2019 = "Total population: mid 2015 (excluding prisoners)"
IMD_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
FIX = r"re-download it with `python -m inequality build --force`"


@pytest.mark.parametrize("source_id,damage,match", [
    ("iod2019_lsoa11", edit_csv("LSOA code (2011)", "E01011950", POP_2019, "-1443"),
     r"iod2019_lsoa11: .*File_7_-_All_IoD2019.*: population 'Total population: mid 2015 "
     r"\(excluding prisoners\)' -1443 is negative at LSOA E01011950 \(data row 2; 1 value"
     rf".*{FIX}"),
    ("iod2019_lsoa11", edit_csv("LSOA code (2011)", "E01011950", POP_2019, "1443.5"),
     r"population 'Total population: mid 2015 \(excluding prisoners\)' 1443.5 is not a whole "
     rf"number at LSOA E01011950 .*counts people.*{FIX}"),
    ("iod2025_lsoa21", edit_csv("LSOA code (2021)", "E01011950", IMD_RANK, "84"),
     rf"iod2025_lsoa21: .*imd rank 84 is outside 1..83 at LSOA E01011950 .*{FIX}"),
    ("iod2015_lsoa11", edit_csv("LSOA code (2011)", "E01011950",
                                "Index of Multiple Deprivation (IMD) Score", "inf"),
     rf"iod2015_lsoa11: .*imd score has the value inf at LSOA E01011950 .*finite.*{FIX}"),
    ("iod2015_lsoa11", edit_csv("LSOA code (2011)", "E01011950",
                                "Index of Multiple Deprivation (IMD) Score", "n/a"),
     r"iod2015_lsoa11: .*column 'imd__score' holds non-numeric values \['n/a'\]"),
])
def test_corrupt_value_fails_the_build_naming_file_row_rule_and_fix(built, tmp_path, source_id,
                                                                    damage, match):
    fails_and_keeps_the_database(built, tmp_path, source_id, damage, match)


def test_lsoa_code_replaced_in_the_2021_lookup_names_both_codes_and_files(built, tmp_path):
    """Row count kept, one code swapped: the IoD LSOA would vanish and a phantom appear."""
    digest = sha(built)
    mirror = damaged_mirror(tmp_path, "lookup_lsoa21_msoa21_lad",
                            edit_csv("LSOA21CD", "E01011950", "LSOA21CD", "E01099999"))
    # without the postcode file, whose loader checks its own LSOAs against this lookup
    files = [s for s in fixture_sources() if s.kind != "postcode"]
    with pytest.raises(BuildError) as info:
        build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=files, force=True,
              log=lambda _m: None)
    message = str(info.value)
    assert re.search(r"iod2025_lsoa21 \(File_7_IoD2025\S*\.csv\) holds 'E01011950', which "
                     r"lookup_lsoa21_msoa21_lad \(lookup_lsoa21_msoa21_lad_eng\.csv\) lacks",
                     message), message
    assert re.search(r"lookup_lsoa21_msoa21_lad \(\S+\) holds 'E01099999', which "
                     r"iod2025_lsoa21 \(\S+\) lacks", message), message
    assert "Rule: every IoD LSOA must be in the lookup of its geography" in message
    assert "build --force" in message
    assert_intact(built, digest)


def test_lsoa_code_replaced_in_the_change_lookup_is_refused(built, tmp_path):
    fails_and_keeps_the_database(
        built, tmp_path, "lookup_lsoa11_lsoa21",
        edit_csv("LSOA21CD", "E01011950", "LSOA21CD", "E01099999"),
        r"lookup_lsoa11_lsoa21 \(\S+\) holds 'E01099999', which boundaries_lsoa21 \(\S+\) "
        r"lacks.*Rule: every LSOA21 the lookup leads to must exist")


def relabel_crs(crs: str):
    """Keep the coordinates, declare another CRS (lon/lat labelled British National Grid)."""
    def damage(path: Path) -> None:
        gdf = gpd.read_parquet(path)
        gdf.set_crs(crs, allow_override=True).to_parquet(path)
    return damage


def replace_first_ring(make):
    """Replace the largest ring of the first area by ``make(coords)``."""
    def damage(path: Path) -> None:
        gdf = gpd.read_parquet(path)
        parts = list(gdf.geometry.iloc[0].geoms)
        i = max(range(len(parts)), key=lambda k: parts[k].area)
        parts[i] = shapely.Polygon(make(list(parts[i].exterior.coords)))
        assert not shapely.is_valid(parts[i])  # the damage really is an invalid polygon
        gdf.loc[gdf.index[0], gdf.geometry.name] = shapely.MultiPolygon(parts)
        gdf.to_parquet(path)
    return damage


def bow_tie(c):
    """Swap two distant vertices: the ring folds over itself."""
    c = c[:]
    k = len(c) // 2
    c[1], c[k] = c[k], c[1]
    return c


def spike(c):
    """An out-and-back spike at the second vertex (a ring touching itself, no area)."""
    (x0, y0), (x1, y1) = c[0], c[1]
    return [c[0], c[1], (x1 - (y1 - y0) * 0.2, y1 + (x1 - x0) * 0.2)] + c[1:]


def test_lon_lat_boundaries_labelled_british_national_grid_are_refused(built, tmp_path):
    fails_and_keeps_the_database(
        built, tmp_path, "boundaries_lsoa21", relabel_crs("EPSG:27700"),
        r"boundaries_lsoa21: .*lsoa21_boundaries_eng_bsc\.parquet: area E01011949 lies at lon "
        r"-7\.\d\d\.\.-7\.\d\d.* declares \(EPSG:27700\), outside England.*83 of 83.*"
        r"longitude/latitude degrees.*Fix: re-download")


def test_self_intersecting_polygon_is_refused(built, tmp_path):
    fails_and_keeps_the_database(
        built, tmp_path, "boundaries_lsoa21", replace_first_ring(bow_tie),
        r"boundaries_lsoa21: .*area E01011949 has an invalid geometry \(Self-intersection"
        r"\[.*\]\) that repair would change by \d+% of its area.*Rule: boundaries must be "
        r"valid polygons.*queen neighbours.*Fix")


def test_small_geometry_defect_is_repaired_and_logged(built, tmp_path):
    mirror = damaged_mirror(tmp_path, "boundaries_lsoa21", replace_first_ring(spike))
    logs: list[str] = []
    build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
          force=True, log=logs.append)
    with dbmod.connect(built) as con:
        message = con.execute("SELECT message FROM load_log WHERE source_id = "
                              "'boundaries_lsoa21'").fetchone()[0]
        wkb = con.execute("SELECT geometry FROM boundary WHERE geography = 'lsoa21' "
                          "AND code = 'E01011949'").fetchone()[0]
    assert "repaired 1 invalid geometry with shapely make_valid" in message
    assert message.endswith("E01011949")
    assert any("note  boundaries_lsoa21: repaired 1" in m for m in logs)
    assert shapely.is_valid(shapely.from_wkb(wkb))


# --- a damaged database is named and rebuilt (fault 5) ---------------------------------------

def damage_database(path: Path, how: str) -> None:
    if how == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    elif how == "not duckdb":
        path.write_bytes(b"this is not a database\n" * 100)
    else:
        sql = {"dropped table": "DROP TABLE lad",
               "renamed column": "ALTER TABLE population RENAME COLUMN total TO total_people",
               "old schema": "UPDATE build_info SET value = '1' WHERE key = 'schema_version'"}
        with duckdb.connect(str(path)) as con:
            con.execute(sql[how])


DAMAGE = {"truncated": r"is truncated \([\d,]+ bytes of the [\d,]+ its [\d,]+ blocks need\)",
          "not duckdb": r"cannot be opened as a DuckDB database \(.*not a valid DuckDB "
                        r"database file!\)",
          "dropped table": r"lacks the table 'lad'",
          "renamed column": r"lacks the column\(s\) 'total' of table 'population'",
          "old schema": r"was built with schema version 1, and this version of the program "
                        r"needs version \d+"}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_damaged_database_is_named_with_the_fix(built, how, capsys):
    damage_database(built, how)
    sentence = rf"the database {re.escape(str(built))} {DAMAGE[how]}; rebuild it with " \
               r"`python -m inequality build`"
    assert re.fullmatch(sentence + r" \(offline: add --mirror DIR\)", dbmod.problem(built))
    with pytest.raises(dbmod.DatabaseDamaged, match=sentence):
        dbmod.connect(built)
    assert cli.main(["check", "--db", str(built)]) == 1
    out, err = capsys.readouterr()
    assert re.fullmatch(r"error: " + sentence + r".*\n", err) and out == ""


@pytest.mark.parametrize("how", list(DAMAGE))
def test_build_rebuilds_a_damaged_database(built, tmp_path, how):
    damage_database(built, how)
    logs: list[str] = []
    # the same raw folder as the first build: every file is unchanged, yet it must rebuild
    report = build_fixture_db(built, tmp_path / "raw", log=logs.append)
    assert report.changed and len(report.loaded) == len(fixture_sources())
    assert dbmod.problem(built) is None
    assert any(re.match(rf"rebuild: the database .* {DAMAGE[how]}", m) for m in logs), logs


def test_only_refuses_a_damaged_database(built, tmp_path):
    damage_database(built, "dropped table")
    digest = sha(built)
    with pytest.raises(BuildError, match=r"--only updates a sound database, but the database "
                                         r".* lacks the table 'lad'.*a full build \(without "
                                         r"--only\) replaces it"):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              only=["ruc2021_lad24"], log=lambda _m: None)
    assert sha(built) == digest and not list(built.parent.glob("*.tmp-*"))


# --- unreadable inputs and a full disk give messages, not tracebacks (fault 6) ---------------

@pytest.mark.parametrize("content,match", [
    (lambda text: b"", r"lookup_lad_rgn_eng\.csv: the file is empty \(0 bytes, no header row\)"
                       rf"; {FIX}"),
    (lambda text: bytes(range(256)) * 8, r"lookup_lad_rgn_eng\.csv: is binary, not a CSV text "
                                          r"file \(a zero byte at offset 0.*save it again as "
                                          r"\"CSV UTF-8\""),
    (lambda text: text.encode("utf-16"), r"lookup_lad_rgn_eng\.csv: is encoded as UTF-16 \(it "
                                         r"starts with a UTF-16 byte-order mark\), not UTF-8; "
                                         r"the official file is UTF-8 CSV"),
    (lambda text: text.replace("Hartlepool", "Hartlépool").encode("latin-1"),
     r"lookup_lad_rgn_eng\.csv: is not UTF-8: byte 0xE9 on line 2 .* so the file is probably "
     r"encoded as Latin-1 \(Windows-1252\)"),
])
def test_unreadable_lookup_names_the_file_and_its_encoding(built, tmp_path, content, match):
    fails_and_keeps_the_database(built, tmp_path, "lookup_lad_region",
                                 lambda p: p.write_bytes(content(p.read_text())),
                                 rf"lookup_lad_region: .*{match}")


def test_disk_full_while_copying_for_only(built, tmp_path, monkeypatch):
    digest = sha(built)

    def copy_until_full(src, dst, **_kw):
        Path(dst).write_bytes(Path(src).read_bytes()[: 1 << 20])  # a partial copy is left
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(build_module.shutil, "copy2", copy_until_full)
    with pytest.raises(BuildError, match=rf"^no space left on device in {re.escape(str(built.parent))}"
                                         r" while writing the new database inequality\.duckdb\."
                                         r"tmp-\d+: free space there \(the new copy needs about "
                                         r"\d+ MB, as big as the current database"):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              only=["ruc2021_lad24"], log=lambda _m: None)
    assert_intact(built, digest)


def test_disk_full_inside_duckdb(built, tmp_path, monkeypatch):
    digest = sha(built)

    def full(con, _log, *_geographies):
        raise duckdb.IOException('IO Error: Could not write file "x.duckdb.tmp-1": No space '
                                 "left on device")

    monkeypatch.setattr(derive_module, "derive_spatial", full)  # the spatial steps' writer
    with pytest.raises(BuildError, match=rf"^no space left on device in "
                                         rf"{re.escape(str(built.parent))} while writing"):
        build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert_intact(built, digest)


FSIZE_BUILD = """
import resource, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from conftest import FIXTURE_MIRROR, fixture_sources
from inequality.etl.build import BuildError, build
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
try:
    build(Path({db!r}), mirror=FIXTURE_MIRROR, raw_dir=Path({raw!r}), sources=fixture_sources(),
          only=["iod2019_lsoa11"], force=True, log=lambda _m: None)  # every step rewritten
except BuildError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""


@pytest.mark.parametrize("extra", [-(1 << 20), 2 << 20])  # the copy, or DuckDB's own writes
def test_file_size_limit_gives_a_message(built, tmp_path, extra):
    """Under `ulimit -f` (RLIMIT_FSIZE) a write fails with EFBIG (Python ignores SIGXFSZ)."""
    digest = sha(built)
    limit = built.stat().st_size + extra
    code = FSIZE_BUILD.format(tests=str(REPO / "tests"), limit=limit, db=str(built),
                              raw=str(tmp_path / "raw"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO),
                               "INEQUALITY_DATA_DIR": str(tmp_path / "data")})
    assert proc.returncode == 1, proc.stderr
    assert re.search(rf"the file size limit \(ulimit -f: {limit:,} bytes\) stopped a write in "
                     rf"{re.escape(str(built.parent))} while writing the new database "
                     r"inequality\.duckdb\.tmp-\d+: raise the limit", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
    assert_intact(built, digest)


def test_read_only_database_folder_fails_before_any_work(built, tmp_path, monkeypatch):
    digest = sha(built)
    folder = built.parent
    if os.geteuid() == 0:  # root writes anywhere: make the folder's write test fail as it would
        def denied(probe):
            raise PermissionError(errno.EACCES, "Permission denied", str(probe))
        monkeypatch.setattr(build_module, "_touch", denied)
    folder.chmod(0o555)
    try:
        with pytest.raises(BuildError, match=rf"cannot write in the database folder "
                                             rf"{re.escape(str(folder))} \(permission denied on "
                                             r".*\), where the build writes inequality\.duckdb: "
                                             r"make the folder writable, or point --db"):
            build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw_ro",
                  sources=fixture_sources(), force=True, log=lambda _m: None)
    finally:
        folder.chmod(0o755)
    assert not (tmp_path / "raw_ro").exists(), "the check must come before the downloads"
    assert_intact(built, digest)


# --- temporaries of killed builds go at the start of every run (fault 7) ---------------------

def test_temporaries_of_killed_builds_are_removed_even_when_nothing_changed(built, tmp_path):
    dead = f"{built.name}.tmp-999999999"
    stale = [built.with_name(dead), built.with_name(dead + ".wal"),
             built.with_name(dead + ".probe")]
    for path in stale:
        path.write_bytes(b"half a database")
    spill = built.with_name(dead + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_block-1.block").write_bytes(b"x" * 1000)
    alive = built.with_name(f"{built.name}.tmp-{os.getppid()}")  # a build still running
    alive.write_bytes(b"in progress")
    logs: list[str] = []
    report = build_fixture_db(built, tmp_path / "raw", log=logs.append)
    assert not report.changed, "nothing changed, so nothing was rebuilt"
    assert not any(p.exists() for p in stale + [spill])
    assert alive.exists(), "the temporary of a running build is left alone"
    assert any(m.startswith("clean 4 temporary file(s) of killed builds removed") for m in logs)
    alive.unlink()


# --- derived steps recomputed only when their inputs change (issue 15) ---------------------

#: Columns that say when something ran, not what it holds.
VOLATILE = {"load_log": {"loaded_at"}, "derive_log": {"seconds", "built_at"},
            "build_info": set()}


def table_differences(a: Path, b: Path) -> list[str]:
    """Tables (all of them) whose rows differ between two databases, compared with EXCEPT
    both ways (``build_info``'s build time and the run times of the logs left out)."""
    out = []
    with duckdb.connect(str(a), read_only=True) as con:
        con.execute("ATTACH ? AS other (READ_ONLY)", [str(b)])
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY 1").fetchall()]
        other = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                           "database_name = 'other'").fetchall()}
        assert set(tables) == other
        for table in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND table_name = ? ORDER BY column_index", [table]
            ).fetchall() if c not in VOLATILE.get(table, set())]
            where = " WHERE key <> 'built_at'" if table == "build_info" else ""
            sel = ", ".join(cols)
            n = con.execute(f"""SELECT (SELECT count(*) FROM (SELECT {sel} FROM {table}{where}
                                        EXCEPT ALL SELECT {sel} FROM other.{table}{where})),
                                       (SELECT count(*) FROM (SELECT {sel} FROM other.{table}{where}
                                        EXCEPT ALL SELECT {sel} FROM {table}{where})),
                                       (SELECT count(*) FROM {table})""").fetchone()
            if n[0] or n[1]:
                out.append(f"{table}: {n[0]} row(s) only in {a.name}, {n[1]} only in {b.name}")
    return out


def reordered(path: Path) -> None:
    """The same data in another byte order (new checksum, same content): CSV data rows
    reversed, a GeoParquet file rewritten with its rows reversed."""
    if path.suffix == ".parquet":
        gdf = gpd.read_parquet(path)
        gdf.iloc[::-1].to_parquet(path)
    else:
        head, *rows = path.read_text().splitlines(keepends=True)
        rows[-1] = rows[-1] if rows[-1].endswith("\n") else rows[-1] + "\n"
        path.write_text(head + "".join(reversed(rows)))


STEPS = {s.name for s in derive_module.DERIVED_STEPS}


def step_log(logs: list[str]) -> tuple[set[str], set[str]]:
    computed = {m.split()[1] for m in logs if m.startswith("derive ")}
    reused = {m.split()[1] for m in logs if m.startswith("reuse ")}
    return computed, reused


def test_unchanged_only_reuses_every_derived_step(built, tmp_path):
    before = tmp_path / "before.duckdb"
    shutil.copy2(built, before)
    logs: list[str] = []
    report = build(built, mirror=FIXTURE_MIRROR, raw_dir=tmp_path / "raw",
                   sources=fixture_sources(), only=["iod2019_lsoa11"], log=logs.append)
    assert report.loaded == ["iod2019_lsoa11"]
    computed, reused = step_log(logs)
    assert computed == set() and reused == STEPS, logs
    assert "reuse spatial_lsoa11 (inputs unchanged)" in logs
    assert table_differences(built, before) == []


@pytest.mark.parametrize("source_id,dependents", [
    ("iod2025_lsoa21", {"core", "summaries", "spatial_lsoa21"}),
    ("boundaries_lsoa11", {"spatial_lsoa11", "display_lsoa11"}),
    ("lookup_lsoa21_msoa21_lad", {"core", "summaries"}),
    ("fingertips_90366_le_ltla", set()),
])
def test_a_changed_input_reruns_exactly_the_steps_that_read_it(built, tmp_path, source_id,
                                                                dependents):
    mirror = damaged_mirror(tmp_path, source_id, reordered)
    with duckdb.connect(str(built), read_only=True) as con:
        keys = dict(con.execute("SELECT step, input_key FROM derive_log").fetchall())
    logs: list[str] = []
    build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
          only=[source_id], log=logs.append)
    computed, reused = step_log(logs)
    assert computed == dependents and reused == STEPS - dependents, logs
    with duckdb.connect(str(built), read_only=True) as con:
        after = dict(con.execute("SELECT step, input_key FROM derive_log").fetchall())
    assert {s for s in STEPS if after[s] != keys[s]} == dependents
    # the same content in another order: the recomputed tables equal a fresh build's
    fresh = tmp_path / "fresh.duckdb"
    build(fresh, mirror=mirror, raw_dir=tmp_path / "raw3", sources=fixture_sources(),
          log=lambda _m: None)
    assert table_differences(built, fresh) == []


def test_full_build_reusing_the_previous_database_equals_a_build_from_scratch(built, tmp_path):
    # one file changed (same rows, new checksum): a full build loads every file again and
    # copies the derived tables from the previous database, as none of them reads that file
    mirror = damaged_mirror(tmp_path, "ruc2021_lad24", reordered)
    logs: list[str] = []
    report = build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
                   log=logs.append)
    assert len(report.loaded) == len(fixture_sources())
    computed, reused = step_log(logs)
    assert computed == set() and reused == STEPS, logs
    scratch = tmp_path / "scratch.duckdb"
    build(scratch, mirror=mirror, raw_dir=tmp_path / "raw3", sources=fixture_sources(),
          force=True, log=lambda _m: None)
    assert table_differences(built, scratch) == []
    with duckdb.connect(str(built), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM lisa").fetchone()[0] > 0


def test_force_recomputes_every_derived_step(built, tmp_path):
    logs: list[str] = []
    build_fixture_db(built, tmp_path / "raw", force=True, log=logs.append)
    assert step_log(logs) == (STEPS, set())


def _toy_steps(run_a, run_b, run_c, after_b=("a",)):
    """Three derived steps over one catalogue source: b after a, c independent."""
    def step(name, run, after=()):
        return derive_module.DerivedStep(name=name, inputs=lambda s: s.id == "iod2019_lsoa11",
                                         tables=(), run=run, after=after)
    return (step("a", run_a), step("b", run_b, after_b), step("c", run_c))


def test_independent_derived_steps_run_at_once_and_dependents_wait(built):
    meeting = threading.Barrier(2, timeout=30)  # broken unless two steps meet at once
    order: list[str] = []

    def a(con, _log):
        meeting.wait()  # meets c: both run at the same time
        con.execute("CREATE TABLE toy_a AS SELECT 42 AS x")
        order.append("a")

    def b(con, _log):  # runs after a, on its own cursor, and sees a's table
        order.append(f"b saw {con.execute('SELECT x FROM toy_a').fetchone()[0]}")

    def c(con, _log):
        meeting.wait()
        order.append("c")

    with duckdb.connect(str(built)) as con:
        computed, reused = derive_module.run_steps(
            con, fixture_sources(), lambda _m: None, recompute=True,
            steps=_toy_steps(a, b, c), workers=2)
        logged = dict(con.execute("SELECT step, seconds >= 0 FROM derive_log WHERE step IN "
                                  "('a', 'b', 'c')").fetchall())
    assert sorted(computed) == ["a", "b", "c"] and reused == []
    assert order.index("b saw 42") > order.index("a") and logged == dict.fromkeys("abc", True)


def test_a_free_worker_starts_the_first_ready_step_in_priority_order(built):
    # c is ready from the start and b only after a; with one worker b still comes before c,
    # because the steps' order is their priority (a queue in readiness order gave a, c, b)
    started: list[str] = []

    def record(name):
        return lambda _con, _log: started.append(name)

    with duckdb.connect(str(built)) as con:
        derive_module.run_steps(con, fixture_sources(), lambda _m: None, recompute=True,
                                steps=_toy_steps(record("a"), record("b"), record("c")),
                                workers=1)
    assert started == ["a", "b", "c"]


def test_a_failing_derived_step_fails_the_run_and_a_missing_one_is_named(built):
    def fail(_con, _log):
        raise derive_module.DeriveError("toy step c cannot be built from iod2019_lsoa11")

    def fine(_con, _log):
        return None

    with duckdb.connect(str(built)) as con:
        with pytest.raises(derive_module.DeriveError, match="toy step c cannot be built"):
            derive_module.run_steps(con, fixture_sources(), lambda _m: None, recompute=True,
                                    steps=_toy_steps(fine, fine, fail), workers=2)
        with pytest.raises(derive_module.DeriveError,
                           match="wait for steps that never run: b"):
            derive_module.run_steps(con, fixture_sources(), lambda _m: None, recompute=True,
                                    steps=_toy_steps(fine, fine, fine, after_b=("z",)))


def test_a_new_step_version_reruns_only_that_step(built, tmp_path, monkeypatch):
    steps = tuple(dataclasses.replace(s, version="2") if s.name == "spatial_lsoa21" else s
                  for s in derive_module.DERIVED_STEPS)
    monkeypatch.setattr(derive_module, "DERIVED_STEPS", steps)
    logs: list[str] = []
    report = build_fixture_db(built, tmp_path / "raw", log=logs.append)
    assert report.changed and report.loaded == []
    assert "unchanged files, but the derived step(s) spatial_lsoa21 changed; recomputing " \
           "them" in logs
    assert step_log(logs) == ({"spatial_lsoa21"}, STEPS - {"spatial_lsoa21"})
    again = build_fixture_db(built, tmp_path / "raw", log=logs.append)
    assert not again.changed
