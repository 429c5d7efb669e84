"""The command line: exit codes (0 ok, 1 failure, 2 usage) and messages, on the fixture DB."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURE_MIRROR, REPO

from inequality.cli import main
from inequality.etl import sources


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sources_lists_every_catalogue_entry(capsys):
    code, out, _ = run(capsys, "sources", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [s["id"] for s in listed] == [s.id for s in sources.SOURCES]
    assert all(s["url"].startswith("https://") and s["licence"] for s in listed)


def test_unknown_command_is_usage_error(capsys):
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_check_without_database_fails_with_the_fix(capsys, tmp_path):
    code, _, err = run(capsys, "check", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1
    assert "no database at" in err and "python -m inequality build" in err


def test_check_json_shape(capsys, fixture_db):
    code, out, _ = run(capsys, "check", "--db", str(fixture_db), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["releases"]["iod2019"]["geography"] == "lsoa11"
    assert report["releases"]["iod2019"]["lsoa_count"] == 81
    assert "Employment Score (rate)" in report["releases"]["iod2019"]["missing_columns"]
    assert report["tables"]["deprivation"] > 0 and isinstance(report["load_log"], list)


def test_build_failure_exits_1_naming_the_file(capsys, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURE_MIRROR, mirror)
    (mirror / "iod2010_lsoa01" / "1871702.csv").write_text("LSOA CODE\nE01000001\n")
    code, _, err = run(capsys, "build", "--db", str(tmp_path / "x.duckdb"), "--mirror",
                       str(mirror))
    assert code == 1
    assert "iod2010_lsoa01" in err and "1871702.csv" in err and "unchanged" in err
    assert not (tmp_path / "x.duckdb").exists()
    # the raw copy went to this test's own data folder (INEQUALITY_DATA_DIR), never data/
    raw = Path(os.environ["INEQUALITY_DATA_DIR"]) / "raw" / "iod2010_lsoa01" / "1871702.csv"
    assert raw.read_text() == "LSOA CODE\nE01000001\n"


def test_build_with_missing_mirror_dir(capsys, tmp_path):
    code, _, err = run(capsys, "build", "--db", str(tmp_path / "x.duckdb"), "--mirror",
                       str(tmp_path / "nowhere"))
    assert code == 1 and "mirror folder" in err and "does not exist" in err


def test_summary_of_an_authority(capsys, fixture_db):
    code, out, _ = run(capsys, "summary", "E06000001", "--release", "iod2019", "--db",
                       str(fixture_db), "--json")
    assert code == 0
    s = json.loads(out)
    assert s["area_name"] == "Hartlepool" and s["lsoa_count"] == 58
    assert 0 <= s["prop_most_deprived_10"] <= 1
    assert s["employment_scale"] is None and "employment" in s["unavailable"]["employment_scale"]


def test_summary_all_lists_every_authority_with_ranks(capsys, fixture_db):
    code, out, _ = run(capsys, "summary", "--all", "--release", "iod2015", "--db",
                       str(fixture_db), "--json")
    assert code == 0
    rows = json.loads(out)
    assert {r["area_code"] for r in rows} == {"E06000001", "E06000017"}
    keys = {"area_code", "area_name", "release", "lsoa_count", "avg_rank", "avg_score",
            "prop_most_deprived_10", "extent", "local_concentration", "income_scale",
            "employment_scale", "domains", "unavailable", "rank_avg_rank", "rank_extent"}
    assert keys <= set(rows[0])
    assert sorted(r["rank_avg_score"] for r in rows) == [1, 2]


def test_summary_unknown_area_is_usage_error(capsys, fixture_db):
    code, _, err = run(capsys, "summary", "E0600000", "--db", str(fixture_db))
    assert code == 2 and "'E0600000'" in err


def test_summary_needs_area_or_all(capsys, fixture_db):
    code, _, err = run(capsys, "summary", "--db", str(fixture_db))
    assert code == 2 and "--all" in err


def test_deciles_json(capsys, fixture_db):
    code, out, _ = run(capsys, "deciles", "E06000017", "--db", str(fixture_db), "--json")
    assert code == 0
    d = json.loads(out)
    assert d["area_name"] == "Rutland"
    assert set(d["releases"]) == {"iod2010", "iod2015", "iod2019", "iod2025"}
    for r in d["releases"].values():
        assert sum(r["counts"].values()) == r["lsoa_count"]
        assert sum(r["shares"].values()) == pytest.approx(1)
    assert d["releases"]["iod2010"]["geography"] == "lsoa01"


def test_deciles_text_carries_the_relative_warning(capsys, fixture_db):
    code, out, _ = run(capsys, "deciles", "E06000001", "--db", str(fixture_db))
    assert code == 0 and "relative measure" in out


# --- a newcomer's command line (issue 11) -----------------------------------------------------

def test_unknown_source_for_only_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "build", "--only", "nosuchsource", "--db",
                       str(tmp_path / "x.duckdb"))
    assert code == 2
    assert "argument --only: invalid choice: 'nosuchsource'" in err and "iod2019_lsoa11" in err


def test_reason_shared_by_several_measures_is_printed_once(capsys, fixture_db):
    """The fixture's IoD 2025 file has no population: four measures share one reason."""
    code, out, _ = run(capsys, "summary", "E06000001", "--release", "iod2025", "--db",
                       str(fixture_db))
    assert code == 0
    lines = out.splitlines()
    notes = [line for line in lines if re.match(r"\[\d+\] ", line)]
    assert notes[0].startswith("[1] average rank, average score, extent, local concentration: "
                               "not available for iod2025")
    for note in notes:
        assert out.count(note.split(": ", 1)[1]) == 1, "each reason is printed once"
    assert sum(line.rstrip().endswith("n/a  [1]") for line in lines) == 4


def test_report_to_a_missing_folder_is_refused_before_any_work(capsys, fixture_db, tmp_path):
    out = tmp_path / "no such folder" / "briefing.html"
    t = time.perf_counter()
    code, _, err = run(capsys, "report", "E06000001", "--db", str(fixture_db), "--out", str(out))
    assert code == 2 and time.perf_counter() - t < 2
    assert f"cannot write the briefing to {out}: the folder {out.parent} does not exist" in err
    assert not out.parent.exists()


def test_report_to_an_unwritable_folder_is_refused_before_any_work(capsys, fixture_db):
    folder = "/sys"  # refuses new files even to root
    try:
        os.close(os.open(f"{folder}/probe.html", os.O_CREAT | os.O_WRONLY))
        pytest.skip(f"{folder} is writable here")
    except OSError:
        pass
    code, _, err = run(capsys, "report", "E06000001", "--db", str(fixture_db), "--out",
                       f"{folder}/briefing.pdf")
    assert code == 2
    assert (f"cannot write the briefing to {folder}/briefing.pdf: Permission denied in "
            f"{folder}; choose another --out") in err


def test_project_declares_the_console_script_and_its_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"inequality": "inequality.cli:main"}
    data = project["tool"]["setuptools"]["package-data"]
    assert (REPO / "inequality" / "etl" / data["inequality.etl"][0]).is_file()
    assert list((REPO / "inequality" / "present").glob(data["inequality.present"][0]))
    assert "pip install --quiet --no-deps -e ." in (REPO / "Makefile").read_text()


def test_console_script_runs_from_any_folder(tmp_path):
    script = Path(sys.executable).parent / "inequality"
    if not script.exists():
        pytest.skip("the console script is installed by `make setup` (pip install -e .)")
    proc = subprocess.run([str(script), "build", "--only", "nosuchsource"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("usage: inequality build")
