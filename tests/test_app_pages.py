"""Every dashboard page runs against the fixture database (Hartlepool and Rutland), its
pickers drive it, links reproduce it and unknown codes in a link fall back with a note.

Uses ``streamlit.testing.v1.AppTest``; INEQUALITY_DB points at the session's fixture database
and the Streamlit caches are cleared around each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest import ok, run_page, texts

from inequality.present import maps
from inequality.db import connect
from inequality.services.maps import map_data

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("pages/overview.py", "pages/map.py", "pages/deciles.py", "pages/data.py")
HARTLEPOOL, RUTLAND, ENGLAND, NORTH_EAST = "E06000001", "E06000017", "E92000001", "E12000001"




def page(path: str, **params) -> AppTest:
    """Run a page once with ``params`` in its URL."""
    return run_page(path, 60, **params)


def deck_spec(at: AppTest) -> dict:
    decks = at.get("deck_gl_json_chart")
    assert decks, "no map on the page"
    return json.loads(decks[0].proto.json)


# --- every page ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("area", [HARTLEPOOL, RUTLAND, NORTH_EAST, ENGLAND])
def test_every_page_runs_for_every_kind_of_area(app_db, path, area):
    at = ok(page(path, area=area))
    assert "Contains public sector information" in texts(at)


@pytest.mark.parametrize("release", ["iod2010", "iod2015", "iod2019", "iod2025"])
@pytest.mark.parametrize("path", ["pages/overview.py", "pages/map.py"])
def test_pages_run_for_every_release(app_db, path, release):
    at = ok(page(path, area=HARTLEPOOL, release=release))
    assert at.selectbox(key="release").value == release


def test_dashboard_navigates_to_every_page(app_db):
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    assert "where does your area stand" in texts(at)
    for path, title in zip(PAGES, ("where does your area stand", "Map of neighbourhood",
                                   "Decile tracking", "Data & methods")):
        ok(at.switch_page(path).run())
        assert title in texts(at), path


def test_choices_are_kept_when_switching_pages(app_db):
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    at.selectbox(key="area").set_value(RUTLAND).run()
    at.selectbox(key="release").set_value("iod2015").run()
    ok(at.switch_page("pages/map.py").run())
    assert at.selectbox(key="area").value == RUTLAND
    assert at.selectbox(key="release").value == "iod2015"
    assert at.query_params["area"] == RUTLAND


# --- overview -------------------------------------------------------------------------------

def test_overview_shows_headline_cards_and_changes_area(app_db):
    at = ok(page("pages/overview.py", area=HARTLEPOOL, release="iod2019"))
    labels = [m.label for m in at.metric]
    assert "Most deprived 10%" in labels and "Neighbourhoods (LSOAs)" in labels
    assert "Hartlepool, IoD 2019" in [h.value for h in at.header]
    assert "A decile is not an income" in texts(at)
    at.selectbox(key="area").set_value(RUTLAND).run()
    ok(at)
    assert "Rutland, IoD 2019" in [h.value for h in at.header]
    assert at.query_params["area"] == RUTLAND
    assert at.query_params["release"] == "iod2019"


def test_overview_says_why_a_measure_is_unavailable(app_db):
    # The fixture's IoD 2025 file, like the mirror's, has no population denominators.
    at = ok(page("pages/overview.py", area=RUTLAND, release="iod2025"))
    assert "population denominators" in texts(at) or "population" in " ".join(
        str(t.value) for t in at.table)


def test_every_chart_has_a_csv_download(app_db):
    at = ok(page("pages/overview.py", area=HARTLEPOOL, release="iod2019"))
    downloads = at.get("download_button")
    assert len(downloads) >= 3
    assert len(at.dataframe) + len(at.table) >= 3


# --- map --------------------------------------------------------------------------------------

def test_map_draws_every_lsoa_of_the_area(app_db):
    at = ok(page("pages/map.py", area=HARTLEPOOL, release="iod2019", measure="imd",
                 value="decile"))
    spec = deck_spec(at)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[0] == "lsoas" and "outline" in ids
    rows = spec["layers"][0]["data"]
    with connect(app_db) as con:
        n = con.execute("SELECT count(*) FROM lsoa WHERE geography = 'lsoa11' AND "
                        "lad24_code = ?", [HARTLEPOOL]).fetchone()[0]
    assert len({r["code"] for r in rows}) == n
    assert {"code", "name", "label", "c", "d_income"} <= set(rows[0])
    # no basemap: pydeck's sentinel, which Streamlit reads as "fetch no style or tiles"
    assert spec.get("mapStyle") == "__MAP_STYLE__" and "mapProvider" not in spec
    assert "Decile 1" in texts(at)  # the legend note says what decile 1 means


def test_map_measure_value_and_release_widgets(app_db):
    at = ok(page("pages/map.py", area=HARTLEPOOL, release="iod2019"))
    at.selectbox(key="measure").set_value("income").run()
    ok(at)
    at.radio(key="value").set_value("rank").run()
    ok(at)
    assert at.query_params["measure"] == "income" and at.query_params["value"] == "rank"
    assert "Income: national rank" in texts(at)
    # IoD 2015 as loaded has no income domain: the map falls back to the IMD and says so.
    at.selectbox(key="release").set_value("iod2015").run()
    ok(at)
    assert at.selectbox(key="measure").value == "imd"
    assert "not available" in texts(at)
    assert at.query_params["release"] == "iod2015"


def test_map_offers_only_what_the_release_holds(app_db):
    at = ok(page("pages/map.py", area=RUTLAND, release="iod2015"))
    with connect(app_db) as con:
        held = set(con.execute("SELECT DISTINCT measure FROM deprivation WHERE release = "
                               "'iod2015'").df()["measure"])
    assert len(at.selectbox(key="measure").options) == len(held)
    assert "Not available for IoD 2015" in texts(at)  # the release in words


def test_map_of_2010_uses_unchanged_lsoas_and_says_so(app_db):
    at = ok(page("pages/map.py", area=HARTLEPOOL, release="iod2010"))
    assert "2001 LSOAs" in texts(at) and "unchanged" in texts(at)
    assert deck_spec(at)["layers"][0]["data"]


def test_map_of_england_is_minimal(app_db):
    at = ok(page("pages/map.py", area=ENGLAND, release="iod2025"))
    rows = deck_spec(at)["layers"][0]["data"]
    assert set(rows[0]) == {"p", "n", "k", "l", "c"}  # rings, name, code, label, palette index
    assert "England-wide view" in texts(at)


def test_a_long_map_table_is_listed_on_request_and_its_csv_always(app_db, monkeypatch):
    """England's 33,000 neighbourhoods are not put in a table unless asked (the fixture's
    England is small, so the limit is lowered here); the CSV is offered either way, and a
    link carries the choice."""
    with connect() as con:
        n = len(map_data(con, "iod2025", ENGLAND, "imd", "decile").values)
    monkeypatch.setattr(maps, "TABLE_INLINE_ROWS", n - 1)
    at = ok(page("pages/map.py", area=ENGLAND, release="iod2025"))
    assert not at.dataframe and at.toggle(key="table").value is False
    assert f"{n:,} LSOAs: switch the table on" in texts(at)
    assert "table" not in at.query_params
    at.toggle(key="table").set_value(True).run()
    ok(at)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == n
    assert at.query_params["table"] == "1"
    linked = ok(page("pages/map.py", area=ENGLAND, release="iod2025", table="1"))
    assert len(linked.dataframe) == 1
    small = ok(page("pages/map.py", area=HARTLEPOOL, release="iod2025", table="1"))
    assert len(small.dataframe) == 1 and "table" not in small.query_params


def test_map_toggles_msoa_outlines_and_basemap(app_db):
    at = ok(page("pages/map.py", area=RUTLAND, release="iod2019", msoa="1"))
    assert "msoa" in [layer["id"] for layer in deck_spec(at)["layers"]]
    at.toggle(key="basemap").set_value(True).run()
    ok(at)
    assert deck_spec(at).get("mapProvider") == "carto"
    assert at.query_params["basemap"] == "1" and at.query_params["msoa"] == "1"


# --- URL state ------------------------------------------------------------------------------

def test_a_link_reproduces_area_release_measure_and_value(app_db):
    params = {"area": RUTLAND, "release": "iod2019", "measure": "health", "value": "rank"}
    at = ok(page("pages/map.py", **params))
    assert at.selectbox(key="area").value == RUTLAND
    assert at.selectbox(key="release").value == "iod2019"
    assert at.selectbox(key="measure").value == "health"
    assert at.radio(key="value").value == "rank"
    assert {k: at.query_params[k] for k in params} == params
    assert not at.info or "link asks for" not in texts(at)


def test_area_in_a_link_may_be_a_name_or_lower_case_code(app_db):
    assert ok(page("pages/overview.py", area="rutland")).selectbox(key="area").value == RUTLAND
    assert ok(page("pages/overview.py", area="e06000001")).selectbox(
        key="area").value == HARTLEPOOL


@pytest.mark.parametrize("path", PAGES)
def test_unknown_codes_in_a_link_fall_back_with_a_note(app_db, path):
    at = ok(page(path, area="E0800002", release="iod1999", measure="bogus", value="x"))
    notes = texts(at)
    assert "'E0800002'" in notes and "showing England" in notes
    assert at.query_params["area"] == ENGLAND
    if path != "pages/data.py":
        assert at.selectbox(key="area").value == ENGLAND
    if path in ("pages/overview.py", "pages/map.py"):
        assert "'iod1999'" in notes
        assert at.selectbox(key="release").value == "iod2025"
    if path == "pages/map.py":
        assert "'bogus'" in notes and at.selectbox(key="measure").value == "imd"


# --- decile tracking and data ----------------------------------------------------------------

def test_decile_tracking_shows_every_release_and_movements(app_db):
    at = ok(page("pages/deciles.py", area=HARTLEPOOL))
    assert [m.label for m in at.metric][:4] == ["IoD 2010", "IoD 2015", "IoD 2019", "IoD 2025"]
    assert "relative measure" in texts(at)
    assert "Unchanged LSOAs" in [m.label for m in at.metric]
    pairs = at.selectbox(key="pair")
    pairs.set_value(pairs.options and ("iod2010", "iod2015")).run()
    ok(at)
    assert "Between IoD 2010 and IoD 2015" in texts(at)


def test_data_page_lists_every_source_with_its_load(app_db):
    from inequality.etl.sources import SOURCES
    at = ok(page("pages/data.py"))
    sources = at.dataframe[0].value
    assert list(sources["source"]) == [s.id for s in SOURCES]
    live = sources[sources["live only"] != ""]["source"].tolist()
    assert live == [s.id for s in SOURCES if not s.in_mirror]
    assert sources.loc[sources["source"] == "iod2019_lsoa11", "sha256"].str.len().iloc[0] == 64
    assert "Open Government Licence" in texts(at)


def test_missing_database_gives_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setenv("INEQUALITY_DB", str(tmp_path / "none.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    for path in PAGES:
        at = ok(page(path))
        assert at.error and "not been built" in at.error[0].value
        assert "python -m inequality build" in at.code[0].value


# --- maps without streamlit -------------------------------------------------------------------

def test_deck_json_is_compact_and_complete(fixture_db):
    with connect(fixture_db) as con:
        m = maps.choropleth(map_data(con, "iod2019", RUTLAND, "imd", "score"))
    text = maps.deck(m).to_json()
    assert "\n" not in text
    spec = json.loads(text)
    assert len(spec["layers"][0]["data"]) >= m.feature_count
    geo = json.loads(m.geojson())
    assert len(geo["features"]) == m.feature_count
    assert geo["features"][0]["properties"]["code"].startswith("E01")


def test_classify_puts_decile_one_darkest_and_missing_grey():
    import pandas as pd
    colours, legend = maps.classify(pd.Series([1, 5, 10, None]), "decile", 100)
    assert colours[0].tolist() == maps.hex_to_rgb(maps.VIRIDIS_10[0])
    assert colours[3].tolist() == maps.hex_to_rgb(maps.NO_VALUE)
    assert legend.steps[0][1].startswith("1 most deprived")
    scores, legend = maps.classify(pd.Series([0.5, 0.1, 0.9, 0.3]), "score", 100)
    assert scores[2].tolist() == maps.hex_to_rgb(maps.VIRIDIS_10[0])  # highest = darkest
