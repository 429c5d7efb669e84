"""Maps in two halves: :func:`inequality.services.maps.map_data` reads what a map needs (against
the fixture database), :func:`inequality.present.maps.choropleth` draws it without one (on
small hand-made inputs)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from inequality import db
from inequality.present import maps
from inequality.queries import ENGLAND, UnknownArea
from inequality.services.maps import MapData, map_data

HARTLEPOOL, RUTLAND = "E06000001", "E06000017"
LABELS = {"imd": "Index of Multiple Deprivation (IMD)", "income": "Income"}


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def _wkb(*geoms) -> list[bytes]:
    return [shapely.to_wkb(g) for g in geoms]


def hand_made(area_code: str = "E06000099", geography: str = "lsoa21", kind: str = "decile",
              msoa: pd.DataFrame | None = None) -> MapData:
    """Three LSOAs of a made-up authority, two of them with boundaries (two unit squares)."""
    values = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002", "E01000003"],
                           "lsoa_name": ["A 001A", None, "A 001C"],
                           "imd_decile": [1, 10, 5], "imd_rank": [1, 100, 50],
                           "imd_score": [40.0, 2.5, 20.0],
                           "income_decile": [2, None, 4]})
    a, b = box(-1.2, 54.6, -1.1, 54.7), box(-1.1, 54.6, -1.0, 54.7)
    geo = pd.DataFrame({"code": ["E01000001", "E01000002"], "name": ["A 001A", "A 001B"],
                        "wkb": _wkb(a, b), "min_lon": [-1.2, -1.1], "min_lat": [54.6, 54.6],
                        "max_lon": [-1.1, -1.0], "max_lat": [54.7, 54.7]})
    drawn = values.assign(boundary_code=values["lsoa_code"]).merge(
        geo, left_on="boundary_code", right_on="code", how="inner")
    return MapData(release="iod2025", area_code=area_code, area_name="Somewhere",
                   geography=geography, n_national=100, measure="imd",
                   measure_label=LABELS["imd"], labels=LABELS, kind=kind,
                   level="overview" if area_code == ENGLAND else "display", values=values,
                   drawn=drawn, notes=["a note from the service"], msoa=msoa)


# --- the builder, without a database ---------------------------------------------------------

def test_choropleth_colours_each_drawn_lsoa_by_its_decile():
    m = maps.choropleth(hand_made())
    assert m.feature_count == 2 and m.level == "display" and m.area_name == "Somewhere"
    by_code = {p["code"]: p for p in m.properties}
    assert by_code["E01000001"]["c"] == maps.hex_to_rgb(maps.decile_colour(1))
    assert by_code["E01000002"]["c"] == maps.hex_to_rgb(maps.decile_colour(10))
    assert by_code["E01000001"]["label"] == "1 of 10" and by_code["E01000001"]["value"] == 1
    # a missing name falls back to the code; a missing domain decile shows a dash
    assert by_code["E01000002"]["name"] == "E01000002"
    assert by_code["E01000002"]["d_income"] == "–" and by_code["E01000001"]["d_income"] == 2
    rows = json.loads(m.rows)
    assert [r["code"] for r in rows] == ["E01000001", "E01000002"]
    # whole numbers of 10 m from the area's middle (the layer's model matrix scales them)
    corners = np.array(rows[0]["p"]).reshape(-1, 2) / 10_000 + m.origin
    assert {tuple(c) for c in corners.round(4).tolist()} == {
        (-1.2, 54.6), (-1.1, 54.6), (-1.1, 54.7), (-1.2, 54.7)}
    layer = json.loads(maps.deck(m).to_json())["layers"][0]
    assert layer["coordinateOrigin"] == list(m.origin) and layer["modelMatrix"][0] == 0.0001


def test_choropleth_table_lists_every_lsoa_and_the_tooltip_every_domain():
    m = maps.choropleth(hand_made())
    assert m.table["lsoa_code"].tolist() == ["E01000001", "E01000002", "E01000003"]
    assert list(m.table.columns) == ["lsoa_code", "lsoa_name", "imd_decile", "income_decile"]
    assert "on_map" not in m.table.columns
    assert "<td>IMD</td><td>{d_imd}</td>" in m.tooltip_html
    assert "<td>Income</td><td>{d_income}</td>" in m.tooltip_html
    assert m.notes == ["a note from the service"]


def test_choropleth_outlines_the_area_and_fits_the_view_to_it():
    m = maps.choropleth(hand_made())
    outline = json.loads(m.outline)["features"][0]["geometry"]
    assert shapely.from_geojson(json.dumps(outline)).length == pytest.approx(0.6, abs=0.01)
    assert m.view.longitude == pytest.approx(-1.1) and 54.6 < m.view.latitude < 54.7


def test_choropleth_of_2001_lsoas_marks_the_lsoas_not_drawn():
    m = maps.choropleth(hand_made(geography="lsoa01"))
    assert m.table["on_map"].tolist() == [True, True, False]


def test_choropleth_of_england_is_minimal():
    m = maps.choropleth(hand_made(area_code=ENGLAND, kind="rank"))
    assert m.outline is None and m.msoa is None
    assert set(m.properties[0]) == {"code", "name", "label", "c"}
    assert m.properties[1]["label"] == "100 of 100"
    assert m.notes[0] == "a note from the service" and m.notes[1].startswith("England-wide")
    # the deck's rows: short keys, a colour index into the palette, whole-number flat rings
    assert m.tooltip_html.endswith("<b>{l}</b> of 100")
    rows = json.loads(m.rows)
    assert set(rows[0]) == {"p", "n", "k", "l", "c"} and rows[1]["l"] == 100
    assert all(isinstance(x, int) for x in rows[0]["p"])
    assert [m.palette[r["c"]] for r in rows] == [p["c"] for p in m.properties]
    layer = json.loads(maps.deck(m).to_json())["layers"][0]
    assert layer["positionFormat"] == "XY" and layer["coordinateSystem"] == "lnglat-offsets"
    assert layer["getFillColor"].startswith("@@=c<")


def test_choropleth_draws_msoa_lines_it_is_given():
    msoa = pd.DataFrame({"code": ["E02000001"], "name": ["A 001"],
                         "wkb": _wkb(box(-1.2, 54.6, -1.0, 54.7))})
    m = maps.choropleth(hand_made(msoa=msoa))
    feature = json.loads(m.msoa)["features"][0]
    assert feature["properties"] == {"code": "E02000001", "name": "A 001"}
    assert feature["geometry"]["type"] == "LineString"
    assert maps.msoa_lines(None) is None
    assert [layer["id"] for layer in json.loads(maps.deck(m).to_json())["layers"]] == [
        "lsoas", "borders", "msoa", "outline-halo", "outline"]


def test_choropleth_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match=r"map value kind 'bogus' is not one of"):
        maps.choropleth(hand_made(kind="bogus"))


# --- the service, against the fixture database -----------------------------------------------

def test_map_data_of_an_authority_reads_values_and_boundaries(con):
    d = map_data(con, "iod2019", HARTLEPOOL, "imd", "decile", msoa=True)
    assert d.area_name == "Hartlepool" and d.geography == "lsoa11" and d.level == "display"
    assert d.n_national == int(con.execute(
        "SELECT lsoa_count FROM release WHERE release = 'iod2019'").fetchone()[0])
    assert len(d.values) == 58 and set(d.drawn["lsoa_code"]) == set(d.values["lsoa_code"])
    assert {"wkb", "min_lon", "max_lat", "boundary_code"} <= set(d.drawn.columns)
    assert d.msoa is not None and d.msoa["code"].str.startswith("E02").all()
    assert d.notes == [] and d.labels["imd"] == d.measure_label


def test_map_data_of_2001_lsoas_draws_the_unchanged_ones_and_says_how_many(con):
    d = map_data(con, "iod2010", HARTLEPOOL, "imd", "decile", msoa=True)
    assert d.geography == "lsoa01" and d.msoa is None
    assert 0 < len(d.drawn) <= len(d.values)
    assert (f"the {len(d.drawn):,} of {len(d.values):,} LSOAs that the ONS lookup marks "
            "unchanged") in d.notes[0]
    m = maps.choropleth(d)
    assert m.table["on_map"].sum() == len(d.drawn) == m.feature_count


def test_map_data_of_england_uses_the_overview_geometry(con):
    d = map_data(con, "iod2025", ENGLAND, "imd", "score", msoa=True)
    assert d.level == "overview" and d.msoa is None and d.england
    assert list(d.values.columns[:2]) == ["lsoa_code", "lsoa_name"]
    assert "imd_score" in d.values.columns


def test_map_data_names_what_is_wrong(con):
    with pytest.raises(ValueError, match=r"map value kind 'bogus' is not one of"):
        map_data(con, "iod2019", HARTLEPOOL, "imd", "bogus")
    with pytest.raises(UnknownArea, match=r"release 'iod2099' is not loaded; loaded: iod2010"):
        map_data(con, "iod2099", HARTLEPOOL)
    with pytest.raises(LookupError, match=r"measure 'nope' is not one of imd, income"):
        map_data(con, "iod2019", HARTLEPOOL, "nope")
    with pytest.raises(LookupError, match=r"iod2010 holds no score for Income Deprivation "
                                          r"Affecting Children"):
        map_data(con, "iod2010", HARTLEPOOL, "idaci", "score")


def test_selection_outline_of_a_built_map(con):
    m = maps.choropleth(map_data(con, "iod2025", RUTLAND))
    codes = [p["code"] for p in m.properties[:3]]
    outline, on_map = maps.selection_outline(m, codes + ["E01999999"])
    assert on_map == 3 and json.loads(outline)["features"]
    assert maps.selection_outline(m, ["E01999999"]) == (None, 0)
    assert np.asarray(m.shapes).shape == (m.feature_count,)
