"""The build: atomic replacement, failures that lose nothing, no-op re-runs, the HTTP path."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURE_MIRROR, build_fixture_db, fixture_sources
from httpserver import LocalServer, send_bytes

from inequality import db as dbmod
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
    report = build_fixture_db(built, tmp_path / "raw", force=True)
    assert report.changed and len(report.loaded) == len(fixture_sources())


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
    digest = sha(built)
    mirror = damaged_mirror(tmp_path, source_id, damage)
    with pytest.raises(BuildError, match=match):
        build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert_intact(built, digest)


def test_missing_mirror_file_is_reported(built, tmp_path):
    digest = sha(built)
    mirror = damaged_mirror(tmp_path, "ruc2021_lad24", lambda p: p.unlink())
    with pytest.raises(BuildError, match="ruc2021_lad24"):
        build(built, mirror=mirror, raw_dir=tmp_path / "raw2", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert_intact(built, digest)


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


def test_temporary_of_a_killed_build_is_cleaned_up(built, tmp_path):
    stale = built.with_name(f"{built.name}.tmp-999999999")
    stale.write_bytes(b"half a database")
    build_fixture_db(built, tmp_path / "raw", force=True)
    assert not stale.exists()
