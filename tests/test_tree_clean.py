"""The tree-clean guard (tests/conftest.py): a test that writes into the repository's data/, the
fixtures or anywhere else in the tree fails the run. Checked here on a scratch git repository."""

from __future__ import annotations

import shutil
import subprocess

import conftest
import pytest


@pytest.fixture()
def scratch_repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "data" / "raw" / "iod2010_lsoa01").mkdir(parents=True)
    (repo / "tests" / "data").mkdir(parents=True)
    (repo / ".gitignore").write_text("data/raw/\ntests/artifacts/\n")
    (repo / "data" / "raw" / "iod2010_lsoa01" / "1871702.csv").write_text("LSOA CODE\n")
    (repo / "tests" / "data" / "rows.json").write_text("{}\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.setattr(conftest, "REPO", repo)
    return repo


def test_untouched_tree_reports_nothing(scratch_repo):
    before = conftest.tree_state()
    assert conftest.tree_changes(before, conftest.tree_state()) == []


def test_overwritten_data_file_is_reported(scratch_repo):
    before = conftest.tree_state()
    (scratch_repo / "data" / "raw" / "iod2010_lsoa01" / "1871702.csv").write_text("broken\n")
    assert conftest.tree_changes(before, conftest.tree_state()) == [
        "changed data/raw/iod2010_lsoa01/1871702.csv"]


def test_new_and_deleted_files_are_reported_but_artifacts_allowed(scratch_repo):
    before = conftest.tree_state()
    (scratch_repo / "briefing.html").write_text("<html>")
    (scratch_repo / "data" / "inequality.duckdb").write_bytes(b"db")
    (scratch_repo / "tests" / "data" / "rows.json").unlink()
    (scratch_repo / "tests" / "artifacts").mkdir()
    (scratch_repo / "tests" / "artifacts" / "map.png").write_bytes(b"png")
    assert conftest.tree_changes(before, conftest.tree_state()) == [
        "deleted tests/data/rows.json", "created data/inequality.duckdb",
        "created briefing.html"]
