"""Shared fixtures: the tiny official-format mirror in tests/data and databases built from it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from inequality.etl import sources
from inequality.etl.build import build

TESTS = Path(__file__).resolve().parent
FIXTURE_MIRROR = TESTS / "data" / "mirror"
FIXTURE_ROWS = json.loads((TESTS / "data" / "mirror_rows.json").read_text())
#: The full offline mirror beside the repository (CI always has it).
FULL_MIRROR = TESTS.parent.parent / "shared" / "data" / "raw"


REPO = TESTS.parent
#: Folders whose files no test may create, change or delete (the data cache and the fixtures).
WATCHED = ("data", "tests/data")
#: Outputs a test may leave in the tree on purpose (git-ignored): the browser test's
#: screenshots, kept for CI to upload.
ALLOWED = ("tests/artifacts/",)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    """Every test runs with its own empty data folder: nothing reaches the repository's
    data/ (a CLI build without --db or a raw folder writes under INEQUALITY_DATA_DIR), and
    no INEQUALITY_DB or INEQUALITY_MIRROR of the developer's shell leaks in."""
    monkeypatch.setenv("INEQUALITY_DATA_DIR", str(tmp_path_factory.mktemp("data_dir")))
    monkeypatch.delenv("INEQUALITY_DB", raising=False)
    monkeypatch.delenv("INEQUALITY_MIRROR", raising=False)


def tree_state() -> tuple[dict[str, tuple[int, int]], set[str]]:
    """Size and modification time of every file under :data:`WATCHED`, and the files git
    reports as untracked or ignored (collapsed to folders, caches left out)."""
    files = {}
    for top in WATCHED:
        for path in sorted((REPO / top).rglob("*")):
            # documentation and scripts (.md, .py) are people's edits, not test output
            if (path.is_file() and "__pycache__" not in path.parts
                    and path.suffix not in (".md", ".py", ".pyc")):
                st = path.stat()
                files[path.relative_to(REPO).as_posix()] = (st.st_size, st.st_mtime_ns)
    out = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO,
                         capture_output=True, text=True, check=False).stdout
    loose = {line[3:] for line in out.splitlines() if line[:2] in ("??", "!!")}
    caches = ("__pycache__/", ".pytest_cache/", ".venv/", ".egg-info/")
    loose = {p for p in loose if not any(c in p for c in caches) and not p.endswith(".pyc")}
    return files, loose


def tree_changes(before, after) -> list[str]:
    """What changed between two :func:`tree_state` snapshots (files a test wrote)."""
    (files0, loose0), (files1, loose1) = before, after
    changes = [f"changed {p}" for p in sorted(files0.keys() & files1.keys())
               if files0[p] != files1[p]]
    changes += [f"deleted {p}" for p in sorted(files0.keys() - files1.keys())]
    changes += [f"created {p}" for p in sorted(files1.keys() - files0.keys())]
    # New loose files elsewhere; source files (.py, .md) are people's work in progress.
    changes += [f"created {p}" for p in sorted(loose1 - loose0)
                if not p.startswith(WATCHED + ALLOWED) and not p.endswith((".py", ".md"))]
    return changes


@pytest.fixture(scope="session", autouse=True)
def tree_stays_clean():
    """After the whole run, the repository is as it was: no test wrote into data/, the
    fixtures or anywhere else in the tree (the teardown fails the run if one did)."""
    before = tree_state()
    yield
    changes = tree_changes(before, tree_state())
    assert not changes, ("tests wrote into the repository (use tmp_path): "
                         + "; ".join(changes[:20]))


def fixture_sources() -> list[sources.Source]:
    """The catalogue with each source's expected row count set to its fixture's."""
    return [dataclasses.replace(s, expected_rows=FIXTURE_ROWS[s.id])
            for s in sources.SOURCES if s.id in FIXTURE_ROWS]


def build_fixture_db(db: Path, raw: Path, **kw):
    kw.setdefault("log", lambda _m: None)
    return build(db, mirror=FIXTURE_MIRROR, raw_dir=raw, sources=fixture_sources(), **kw)


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> Path:
    """A database built once from the fixtures (read it, do not write it)."""
    d = tmp_path_factory.mktemp("fixture_db")
    build_fixture_db(d / "inequality.duckdb", d / "raw")
    return d / "inequality.duckdb"


@pytest.fixture(scope="session")
def full_mirror() -> Path:
    if not FULL_MIRROR.is_dir():
        pytest.skip(f"full mirror {FULL_MIRROR} not found (CI has ../shared/data/raw beside "
                    "the repository)")
    return FULL_MIRROR


@pytest.fixture(scope="session")
def mirror_db(full_mirror, tmp_path_factory) -> Path:
    """A database built once from the full mirror (about 20 s)."""
    d = tmp_path_factory.mktemp("mirror_db")
    build(d / "inequality.duckdb", mirror=full_mirror, raw_dir=d / "raw", log=lambda _m: None)
    return d / "inequality.duckdb"


@pytest.fixture
def app_db(fixture_db, monkeypatch):
    """The fixture database as the app's database (INEQUALITY_DB), with fresh Streamlit
    caches around the test."""
    import streamlit as st

    monkeypatch.setenv("INEQUALITY_DB", str(fixture_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield fixture_db
    st.cache_data.clear()
    st.cache_resource.clear()


#: Fixtures that make a test slow: Streamlit pages (AppTest) and the full offline mirror.
_SLOW_FIXTURES = {"app_db", "full_mirror", "mirror_db"}
#: Modules whose every test runs pages or a browser.
_SLOW_MODULES = {"test_app_pages.py", "test_briefing_page.py", "test_map_browser.py"}


def pytest_collection_modifyitems(config, items):
    """Mark page, browser and full-mirror tests ``slow`` so ``pytest -m "not slow"`` is a
    quick loop (``make test`` runs everything)."""
    for item in items:
        if (_SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.path.name in _SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
