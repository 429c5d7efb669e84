"""Finding your place in the app (issue 13): the search box every page shares, "your
neighbourhood", the map outlining and zooming to a place, and the batch postcode page, on the
fixture database (real rows for Hartlepool and Rutland; see tests/data/README)."""

from __future__ import annotations

import json

import duckdb
import pytest
from apptest import ok, run_page, seen, texts

from inequality.present import maps

HARTLEPOOL, RUTLAND = "E06000001", "E06000017"


@pytest.fixture(scope="module")
def hartlepool_postcode(fixture_db) -> tuple[str, str, str]:
    """A real Hartlepool postcode of the fixtures, its LSOA 2021 code and name."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        return con.execute(
            "SELECT p.postcode, p.lsoa21_code, l.lsoa_name FROM postcode p JOIN lsoa l "
            "ON l.geography = 'lsoa21' AND l.lsoa_code = p.lsoa21_code "
            "WHERE l.lad24_code = ? ORDER BY 1 LIMIT 1", [HARTLEPOOL]).fetchone()


@pytest.fixture(scope="module")
def hartlepool_msoa(fixture_db) -> tuple[str, list[str]]:
    """A 2021 MSOA of Hartlepool and its LSOAs."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        code = con.execute("SELECT min(msoa_code) FROM lsoa WHERE geography = 'lsoa21' "
                           "AND lad24_code = ?", [HARTLEPOOL]).fetchone()[0]
        lsoas = [r[0] for r in con.execute(
            "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND msoa_code = ? "
            "ORDER BY 1", [code]).fetchall()]
    return code, lsoas


def test_the_search_box_opens_an_authority_by_name(app_db):
    at = ok(run_page("pages/overview.py"))
    ok(at.text_input(key="find").set_value("rutland").run())
    pick = at.selectbox(key="find_pick")
    assert "Rutland" in pick.format_func(pick.value) and "local authority" in \
        pick.format_func(pick.value)
    ok(at.button(key="find_open").click().run())
    assert at.selectbox(key="area").value == RUTLAND
    assert "Rutland, IoD" in " ".join(h.value for h in at.header)


def test_a_search_that_finds_nothing_says_why(app_db):
    at = ok(run_page("pages/overview.py"))
    ok(at.text_input(key="find").set_value("ZZ99 9ZZ").run())
    assert "find_pick" not in [s.key for s in at.selectbox]
    assert "ZZ99 9ZZ" in texts(at)


def test_a_postcode_in_any_spelling_opens_your_neighbourhood(app_db, hartlepool_postcode):
    postcode, lsoa_code, lsoa_name = hartlepool_postcode
    messy = postcode.lower().replace(" ", "")
    at = ok(run_page("pages/neighbourhood.py", q=messy))
    assert lsoa_name in seen(at.header[0].value) and "Hartlepool" in seen(at.header[0].value)
    assert f"Postcode {postcode}" in texts(at) and lsoa_code in texts(at)
    grid = at.dataframe[0].value
    assert list(grid["measure"])[0] == "IMD (overall)"
    assert {"IoD 2010", "IoD 2015", "IoD 2019", "IoD 2025"} <= set(grid.columns)
    assert grid["IoD 2025"].dropna().between(1, 10).all()


def test_an_unknown_postcode_gets_a_reason_not_a_guess(app_db):
    at = ok(run_page("pages/neighbourhood.py", q="ZZ99 9ZZ"))
    assert at.warning and "ZZ99 9ZZ" in seen(at.warning[0].value)
    assert not at.dataframe


def test_the_map_outlines_and_zooms_to_a_place_in_the_link(app_db, hartlepool_msoa):
    msoa, lsoas = hartlepool_msoa
    plain = json.loads(ok(run_page("pages/map.py", area=HARTLEPOOL))
                       .get("deck_gl_json_chart")[0].proto.json)
    at = ok(run_page("pages/map.py", area=HARTLEPOOL, focus=msoa))
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "custom-area" in [layer["id"] for layer in spec["layers"]]
    assert spec["initialViewState"]["zoom"] > plain["initialViewState"]["zoom"]
    assert "Outlined in orange and zoomed to" in texts(at)
    assert at.query_params["focus"] == msoa


def test_the_postcode_page_checks_a_list_in_order(app_db, hartlepool_postcode):
    postcode = hartlepool_postcode[0]
    at = ok(run_page("pages/postcodes.py"))
    pasted = "\n".join([postcode.lower(), "=HYPERLINK(\"http://evil.example\")", "ZZ99 9ZZ"])
    ok(at.text_area(key="pc_paste").set_value(pasted).run())
    assert at.success and "could not be matched" in seen(at.success[0].value)
    table = at.dataframe[0].value
    assert list(table["you typed"]) == pasted.splitlines()
    assert table["postcode"].iloc[0] == postcode
    assert table["error"].isna().iloc[0] and table["error"].iloc[1]


def test_the_map_names_neighbourhoods_with_the_msoa_outlines(app_db, fixture_db):
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        names = {r[0] for r in con.execute(
            "SELECT n.name FROM msoa_names n JOIN lsoa l ON l.geography = 'lsoa21' AND "
            "l.msoa_code = n.msoa_code AND n.geography = 'msoa21' WHERE l.lad24_code = ?",
            [HARTLEPOOL]).fetchall()}
    spec = json.loads(ok(run_page("pages/map.py", area=HARTLEPOOL, release="iod2025", msoa="1"))
                      .get("deck_gl_json_chart")[0].proto.json)
    labels = next(layer for layer in spec["layers"] if layer["id"] == "msoa-names")
    assert {d["t"] for d in maps.layer_data(labels["data"])} == names and len(names) > 3
    assert labels["sizeUnits"] == "meters" and labels["fontFamily"].startswith("DejaVu")


def test_the_map_zooms_with_buttons_and_leaves_the_wheel_to_the_page(app_db):
    at = ok(run_page("pages/map.py", area=HARTLEPOOL))
    before = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    controller = before["views"][0]["controller"]
    assert controller["scrollZoom"] is False and controller["doubleClickZoom"] is True
    zoom_in = next(b for b in at.button if b.label == "Zoom in")
    ok(zoom_in.click().run())
    after = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert after["initialViewState"]["zoom"] == pytest.approx(
        before["initialViewState"]["zoom"] + 1)
    ok(next(b for b in at.button if b.label == "Reset").click().run())
    reset = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert reset["initialViewState"]["zoom"] == before["initialViewState"]["zoom"]
