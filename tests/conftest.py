"""Shared fixtures: the tiny official-format mirror in tests/data and databases built from it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from inequality.etl import sources
from inequality.etl.build import build

TESTS = Path(__file__).resolve().parent
FIXTURE_MIRROR = TESTS / "data" / "mirror"
FIXTURE_ROWS = json.loads((TESTS / "data" / "mirror_rows.json").read_text())
#: The full offline mirror beside the repository (CI always has it).
FULL_MIRROR = TESTS.parent.parent / "shared" / "data" / "raw"


def fixture_sources() -> list[sources.Source]:
    """The catalogue with each source's expected row count set to its fixture's."""
    return [dataclasses.replace(s, expected_rows=FIXTURE_ROWS[s.id])
            for s in sources.SOURCES if s.id in FIXTURE_ROWS]


def build_fixture_db(db: Path, raw: Path, **kw):
    return build(db, mirror=FIXTURE_MIRROR, raw_dir=raw, sources=fixture_sources(),
                 log=lambda _m: None, **kw)


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
