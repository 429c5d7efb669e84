"""Briefings in two halves: :mod:`inequality.services.briefing` gathers the figures from the
database, :mod:`inequality.present.report` writes them without one."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import shapely
from PIL import Image
from shapely.geometry import box

from inequality import db
from inequality.measures import SUMMARY_MEASURES
from inequality.present import report
from inequality.services import briefing, summaries

HARTLEPOOL, RUTLAND, NORTH_EAST = "E06000001", "E06000017", "E12000001"


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def rutland_codes(con, n=6) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND lad24_code = ? "
        "ORDER BY 1 LIMIT ?", [RUTLAND, n]).fetchall()]


# --- present: the static map, on hand-made shapes ----------------------------------------------

def hand_made_shapes() -> pd.DataFrame:
    squares = [box(-0.7, 52.6, -0.6, 52.7), box(-0.6, 52.6, -0.5, 52.7),
               box(-0.5, 52.6, -0.4, 52.7)]
    return pd.DataFrame({"code": ["E01000001", "E01000002", "E01000003"],
                         "wkb": [shapely.to_wkb(g) for g in squares],
                         "min_lon": [-0.7, -0.6, -0.5], "min_lat": [52.6] * 3,
                         "max_lon": [-0.6, -0.5, -0.4], "max_lat": [52.7] * 3})


def test_map_png_draws_the_shapes_it_is_given_and_describes_them():
    png, alt = report.map_png(hand_made_shapes(), {"E01000001": 1, "E01000002": 1,
                                                   "E01000003": 10}, "Somewhere, IoD 2025")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(png)).size[0] > 400
    assert alt.startswith("Map of the 3 neighbourhoods (LSOAs) of Somewhere, IoD 2025")
    assert alt.endswith("2 are in decile 1 and 1 in decile 10.")


def test_map_png_colours_a_missing_decile_grey():
    png, alt = report.map_png(hand_made_shapes(), {"E01000001": None, "E01000002": 3},
                              "Somewhere")
    assert "0 are in decile 1 and 0 in decile 10." in alt
    colours = {rgb for _, rgb in Image.open(io.BytesIO(png)).convert("RGB").getcolors(1 << 24)}
    assert tuple(int(report.NO_VALUE[i:i + 2], 16) for i in (1, 3, 5)) in colours


def test_check_output_names_the_bad_file(tmp_path):
    assert report.check_output(tmp_path / "a.PDF").name == "a.PDF"
    with pytest.raises(report.ReportError, match=r"output 'a.docx' must end in .html or .pdf"):
        report.check_output(tmp_path / "a.docx")


# --- service: the figures ---------------------------------------------------------------------

def test_gather_collects_every_figure_of_an_authority(con):
    place = briefing.resolve(con, HARTLEPOOL)
    assert (place.name, place.kind, place.area_code) == ("Hartlepool", "lad", HARTLEPOOL)
    f = briefing.gather(con, place, "iod2019")
    assert f["release"] == "iod2019" and f["summary"]["lsoa_count"] == 58
    assert f["summary"] == summaries.area_summary(con, HARTLEPOOL, "iod2019")
    assert f["england"]["area_code"] == "E92000001"
    assert len(f["map"]["shapes"]) == len(f["map"]["deciles"]) == 58
    assert f["hidden"] is not None and f["health_name"] == "Hartlepool"
    assert f["built"] != "?"
    roles = f["series"].groupby("role")["year"].apply(list).to_dict()
    assert set(roles) == {"area", "region", "england"}
    assert roles["area"] == [2010, 2015, 2019, 2025]


def test_gather_for_a_custom_area_compares_it_with_its_home_authority(con):
    place = briefing.resolve(con, None, rutland_codes(con), "Our patch")
    assert place.kind == "custom" and place.home["area_code"] == RUTLAND
    f = briefing.gather(con, place)
    assert f["release"] == briefing.latest_with_boundaries(con)
    assert set(f["series"]["role"]) == {"area", "home", "england"}
    assert f["health_name"] == "Rutland" and len(f["map"]["deciles"]) == 6


def test_gather_for_a_region_has_no_hidden_report(con):
    f = briefing.gather(con, briefing.resolve(con, NORTH_EAST), "iod2015")
    assert f["hidden"] is None and set(f["series"]["role"]) == {"area", "england"}


def test_the_service_names_what_is_wrong(con):
    with pytest.raises(briefing.ReportError, match=r"name an area .* or give --lsoas"):
        briefing.resolve(con, None)
    with pytest.raises(briefing.ReportError, match=r"ward 'E05999999' has no LSOAs"):
        briefing.resolve(con, "E05999999")
    with pytest.raises(briefing.ReportError, match=r"area code 'E0600000' is not England"):
        briefing.resolve(con, "E0600000")
    place = briefing.resolve(con, HARTLEPOOL)
    with pytest.raises(briefing.ReportError, match=r"release 'iod2099' is not loaded"):
        briefing.gather(con, place, "iod2099")
    with pytest.raises(briefing.ReportError, match=r"iod2010 is on 2001 LSOAs, which have no "
                                                   r"boundaries; choose a later release"):
        briefing.gather(con, place, "iod2010")


# --- present: the briefing from gathered figures, with the database closed --------------------

def test_briefing_is_written_from_the_figures_alone(fixture_db, tmp_path):
    with db.connect(fixture_db) as c:
        f = briefing.gather(c, briefing.resolve(c, HARTLEPOOL), "iod2019")
    b = report.build_briefing(f)  # the connection is closed: present needs none
    assert b["title"] == "Hartlepool: deprivation and health briefing"
    assert b["release_label"] == "IoD 2019" and b["built"] == f["built"]
    assert b["sentences"][0].startswith(
        f"In the IoD 2019, {100 * f['summary']['prop_most_deprived_10']:.1f}% of Hartlepool's "
        "58 neighbourhoods")
    assert b["tracking"]["table"].loc["Hartlepool", 2019] == pytest.approx(
        round(100 * f["tracking"]["releases"]["iod2019"]["shares"]["1"], 1))
    assert [m["label"] for m in b["measures"]] == [
        m.briefing_label for m in SUMMARY_MEASURES.values()]
    out = tmp_path / "h.html"
    assert report.write_report(f, out, annex=True)["title"] == b["title"]
    html = out.read_text()
    assert html.count('<img src="data:image/png;base64,') == 2
    assert 'alt="Map of the 58 neighbourhoods (LSOAs) of Hartlepool, IoD 2019' in html


def test_briefing_table_names_both_ranks_and_marks_estimates():
    summary = {"release": "iod2019", "lsoa_count": 195, "area_code": "E08000026",
               "prop_most_deprived_10": 0.1436, "income_scale": 53162.4,
               "income_scale_estimated": True, "rank_basis": "current",
               "ranks_published": {"prop_most_deprived_10": 64, "income_scale": 22},
               "n_published": 317, "ranks_current": {"prop_most_deprived_10": 63},
               "n_current": 296, "unavailable": {}}
    assert report._fmt("income_scale", summary, estimated_as="about ") == "about 53,162"
    assert report._fmt("prop_most_deprived_10", summary) == "14.4%"
    sentences = report.headline_sentences("Coventry", summary, {"releases": {}}, {})
    assert "64th of 317 among the local authorities of the IoD 2019 as MHCLG publishes it" \
        in sentences[0]
    assert "estimated from the published income domain rate" in sentences[1]


def test_key_points_lead_with_the_most_striking():
    summary = {"release": "iod2019", "lsoa_count": 94, "area_code": "E06000009",
               "prop_most_deprived_10": 0.415, "avg_score": 45.0, "rank_basis": "current",
               "ranks_published": {"avg_score": 1, "prop_most_deprived_10": 6},
               "n_published": 317, "ranks_current": {}, "n_current": 296, "unavailable": {}}
    tracking = {"releases": {
        "iod2015": {"shares": {"1": 0.383}, "geography": "lsoa11"},
        "iod2019": {"shares": {"1": 0.415}, "geography": "lsoa11"}}}
    points = report.key_points("Blackpool", summary, tracking, {"avg_score": 21.7},
                               ["22% of the income-deprived live outside the most deprived"],
                               ["Healthy life expectancy for men was 50.9 years"])
    assert points[0].startswith("On average IMD score Blackpool ranks 1st of 317")
    assert points[1].startswith("In the IoD 2019, 41.5%")
    assert points[-1].startswith("Healthy life expectancy")


def test_a_rural_place_does_not_lead_with_none_in_the_most_deprived_tenth():
    summary = {"release": "iod2019", "lsoa_count": 10, "area_code": None,
               "prop_most_deprived_10": 0.0, "unavailable": {}}
    tracking = {"releases": {"iod2015": {"shares": {"1": 0.0}, "geography": "lsoa11"},
                             "iod2019": {"shares": {"1": 0.0}, "geography": "lsoa11"}}}
    points = report.key_points("Buckfastleigh", summary, tracking, {},
                               ["3 neighbourhoods are in the most deprived 20% for barriers"],
                               [])
    assert points[0].startswith("3 neighbourhoods")
    assert "none of" in points[-2] and "was unchanged" in points[-1]
