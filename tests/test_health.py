"""The health-gap service (inequality.services.health), its charts
(inequality.present.charts.health) and its page, on the fixture database, a copy of it with
small-area rows added, and (where present) the full offline mirror."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import altair as alt
import duckdb
import numpy as np
import pytest

from inequality import queries
from inequality.db import connect
from inequality.present.charts import health as charts
from inequality.queries import UnknownArea
from inequality.services import health

PAGE = Path(__file__).resolve().parent.parent / "pages" / "health_gap.py"
HARTLEPOOL, RUTLAND, ENGLAND = "E06000001", "E06000017", "E92000001"


@pytest.fixture()
def con(fixture_db):
    c = connect(fixture_db)
    yield c
    c.close()


# --- one area ------------------------------------------------------------------------------------

def test_profile_has_le_by_sex_for_area_region_and_england(con):
    p = health.area_profile(con, HARTLEPOOL)
    le = p["le"]
    assert set(le["sex"]) == {"Female", "Male"}
    assert set(le["role"]) == {"area", "region", "England"}
    fingertips = le[(le["indicator_id"] == health.LE) & (le["role"] == "area")]
    assert fingertips["period"].nunique() == 9          # every period loaded, 2015-17..2023-25
    ons = le[le["indicator_id"] == health.ONS_LE]
    assert ons["lci95"].notna().all() and (ons["lci95"] <= ons["value"]).all()
    assert set(ons["role"]) == {"area", "region", "England"}
    assert (le.loc[le["role"] == "region", "place"] == "North East").all()
    head = p["headline"]["Male"]
    assert head["le"]["period"] == "2023 - 25" and head["le"]["source"] == "Fingertips 90366"
    assert head["ons_le"]["lci95"] is not None
    assert p["predecessors"].empty


def test_years_in_poorer_health_is_le_minus_hle_for_the_same_period(con):
    hle = health.area_profile(con, HARTLEPOOL)["hle"]
    area = hle[hle["role"] == "area"]
    assert len(area) == 16                              # 8 periods x 2 sexes
    assert np.allclose(area["poorer_health_years"], area["le"] - area["hle"])
    rows = queries.health_rows(con, [health.LE, health.HLE], [HARTLEPOOL])
    r = rows[(rows["sex"] == "Female") & (rows["period"] == "2022 - 24")]
    le = r.loc[r["indicator_id"] == health.LE, "value"].item()
    hl = r.loc[r["indicator_id"] == health.HLE, "value"].item()
    got = area[(area["sex"] == "Female") & (area["period"] == "2022 - 24")]
    assert got["poorer_health_years"].item() == pytest.approx(le - hl)


def test_unpublished_sii_is_suppressed_not_zero(con):
    p = health.area_profile(con, RUTLAND)            # OHID publishes no SII for Rutland
    sii = p["sii"][p["sii"]["role"] == "area"]
    assert len(sii) == 16 and sii["value"].isna().all()
    assert (sii["status"] == "suppressed").all()
    assert p["headline"]["Female"]["sii"]["status"] == "suppressed"
    assert any("suppressed" in n and "not as zero" in n for n in p["notes"])


def test_profile_of_england_and_a_region(con):
    eng = health.area_profile(con, ENGLAND)
    assert set(eng["le"]["role"]) == {"area"}
    assert eng["headline"]["Female"]["sii"]["value"] == pytest.approx(8.0)
    region = health.area_profile(con, "E12000001")
    assert set(region["le"]["indicator_id"]) == {health.ONS_LE, health.LE}
    assert (region["le"].query("role == 'area'")["indicator_id"] == health.ONS_LE).all()
    assert any("2021 to 2023 (ONS) alone" in n for n in region["notes"])


def test_unknown_area_is_a_clear_error(con):
    with pytest.raises(UnknownArea, match="E99999999"):
        health.area_profile(con, "E99999999")


def test_code_map_from_the_database_includes_the_barnsley_sheffield_recode(con):
    cmap = health.code_map(con).set_index("from_code")
    assert cmap.loc["E08000039", "lad24_code"] == "E08000019"
    assert cmap.loc["E08000038", "relation"] == "recoded"


# --- the gradient --------------------------------------------------------------------------------

def test_gradient_across_authorities(con):
    options = health.gradient_options(con)
    keys = [o["key"] for o in options]
    assert keys[0] == "90366|2023 - 25" and "ons_le|2021 to 2023" in keys
    assert "iod2019_avg_score" in health.deprivation_options(con)
    g = health.gradient(con, "ons_le|2021 to 2023", "Male", "iod2019_avg_score",
                        n_sim=2000, seed=1)
    frame = g["frame"].set_index("area_code")
    assert set(frame.index) == {HARTLEPOOL, RUTLAND} and frame["included"].all()
    # Hartlepool is the more deprived, so it is group 1 (relative rank below Rutland's)
    assert frame.loc[HARTLEPOOL, "deprivation"] > frame.loc[RUTLAND, "deprivation"]
    assert frame.loc[HARTLEPOOL, "relative_rank"] < frame.loc[RUTLAND, "relative_rank"]
    sii = g["sii"]
    # two groups: the line passes through both, 0.5 apart on the relative rank
    gap = frame.loc[RUTLAND, "value"] - frame.loc[HARTLEPOOL, "value"]
    assert sii["sii"] == pytest.approx(2 * gap)
    assert sii["lci95"] < sii["sii"] < sii["uci95"]     # ONS gives CIs, so simulation ran
    assert len(g["lines"]) == 4
    chart = charts.gradient_chart(g, HARTLEPOOL)
    spec = chart.to_dict()
    assert "Life expectancy at birth, males" in str(spec) and g["x_title"] in str(spec)


def test_gradient_without_confidence_limits_says_why(con):
    g = health.gradient(con, "90366|2021 - 23", "Female", "iod2019_prop10")
    assert g["sii"]["lci95"] is None and "no confidence limits" in g["sii"]["ci_note"]
    assert g["england_sii"]["value"] == pytest.approx(8.3)   # OHID's England SII, 2021-23
    with pytest.raises(ValueError, match="indicator\\|period"):
        health.gradient(con, "2021 - 23", "Female")


# --- small areas ---------------------------------------------------------------------------------

def test_msoa_gap_when_not_loaded_says_so_and_names_the_live_source(con):
    out = health.msoa_gap(con, HARTLEPOOL, "Female")
    assert out["available"] is False
    for words in ("not loaded", "93283", "93285", "Local Health", "live Fingertips API"):
        assert words in out["message"]


@pytest.fixture()
def msoa_db(fixture_db, tmp_path) -> Path:
    """A copy of the fixture database with made-up MSOA life expectancy rows (for exercising
    the small-area code path only; the real rows come from the live Local Health API)."""
    db = tmp_path / "msoa.duckdb"
    shutil.copy(fixture_db, db)
    c = duckdb.connect(str(db))
    msoas = [r[0] for r in c.execute(
        "SELECT DISTINCT msoa_code FROM lsoa WHERE geography = 'lsoa11' AND lad24_code = ? "
        "ORDER BY 1", [HARTLEPOOL]).fetchall()]
    for i, code in enumerate(msoas):
        value = None if i == 0 else 72.0 + i * 0.5         # the first one suppressed
        c.execute("""INSERT INTO health_indicator (source_id, indicator_id, indicator_name,
                     area_code, area_name, area_type, sex, age, period, period_start,
                     period_end, value, lci95, uci95) VALUES
                     ('fingertips_93285_le_female_msoa', '93285', 'Life expectancy at birth',
                      ?, ?, 'MSOA', 'Female', 'All ages', '2016 - 20', 2016, 2020, ?, ?, ?)""",
                  [code, f"MSOA {i}", value, None if value is None else value - 1.5,
                   None if value is None else value + 1.5])
    c.close()
    return db


def test_msoa_gap_with_small_area_rows(msoa_db):
    c = connect(msoa_db)
    try:
        out = health.msoa_gap(c, HARTLEPOOL, "Female", n_sim=2000, seed=1)
    finally:
        c.close()
    assert out["available"] is True and out["geography"] == "msoa11"
    frame = out["frame"]
    assert len(frame) == 12 and frame["value"].isna().sum() == 1
    assert (frame["status"] == "suppressed").sum() == 1
    # ordered most deprived first; the gap is least minus most deprived of those with values
    assert frame["deprivation"].is_monotonic_decreasing
    ok = frame.dropna(subset=["value"])
    assert out["gap"]["gap"] == pytest.approx(ok["value"].iloc[-1] - ok["value"].iloc[0])
    assert out["sii"]["lci95"] < out["sii"]["sii"] < out["sii"]["uci95"]
    assert len(out["features"]) == 12
    assert {f["properties"]["status"] for f in out["features"]} >= {"suppressed", "published"}
    alt.Chart.from_dict(charts.msoa_map_chart(out["features"], "LE").to_dict())
    assert out["period_label"] == "2016–20"


# --- the charts (inequality.present.charts.health) ---------------------------------------------

def _dataset(spec: dict) -> list[dict]:
    """The one inline dataset of a chart's Vega-Lite spec."""
    (rows,) = spec["datasets"].values()
    return rows


def test_time_series_charts_draw_the_published_rows_of_one_sex(con):
    p = health.area_profile(con, HARTLEPOOL)
    le = p["le"][p["le"]["sex"] == "Female"]
    spec = charts.le_chart(le, "Life expectancy, females").to_dict()
    rows = _dataset(spec)
    assert len(rows) == (le["status"] == "published").sum()
    assert {r["who"] for r in rows} == {"Hartlepool", "North East (region)", "England"}
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour["range"][colour["domain"].index("Hartlepool")] == "#440154"
    sii = p["sii"][p["sii"]["sex"] == "Male"]
    rows = _dataset(charts.sii_chart(sii).to_dict())
    assert len(rows) == (sii["status"] == "published").sum()
    assert {r["place"] for r in rows} == {"Hartlepool", "England"}


def test_hle_chart_stacks_good_and_poorer_health_for_the_latest_period(con):
    hle = health.area_profile(con, HARTLEPOOL)["hle"]
    rows = _dataset(charts.hle_chart(hle).to_dict())
    latest = hle.dropna(subset=["hle"])
    latest = latest[latest["period_start"] == latest["period_start"].max()]
    assert len(rows) == 2 * len(latest)            # HLE and LE - HLE, per place and sex
    for r in latest.itertuples():
        who = f"{r.place}, {r.sex.lower()}"
        parts = {x["part"]: x["years"] for x in rows if x["who"] == who}
        assert sum(parts.values()) == pytest.approx(r.le)
    empty = charts.hle_chart(hle.iloc[0:0]).to_dict()
    assert empty["mark"]["type"] == "bar"


def test_msoa_scatter_chart_with_small_area_rows(msoa_db):
    c = connect(msoa_db)
    try:
        out = health.msoa_gap(c, HARTLEPOOL, "Female", n_sim=2000, seed=1)
    finally:
        c.close()
    spec = charts.msoa_scatter_chart(out["frame"], "LE").to_dict()
    assert len(_dataset(spec)) == out["frame"]["value"].notna().sum()
    assert len(spec["layer"]) == 3                  # 95% limits, points, fitted line


# --- the page ------------------------------------------------------------------------------------

def _apptest(monkeypatch, db):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("INEQUALITY_DB", str(db))
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    return at


def test_page_runs_and_follows_the_area_picker(monkeypatch, fixture_db):
    at = _apptest(monkeypatch, fixture_db)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith("Health gap")
    assert any("Slope Index of Inequality" in m.value for m in at.markdown)
    at.selectbox(key="area").set_value(HARTLEPOOL).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Hartlepool"
    women, men = at.metric[:4], at.metric[4:8]  # one row of cards per sex, under its heading
    assert [h.value for h in at.subheader][:2] == ["Women", "Men"]
    assert [m.label for m in women] == [m.label for m in men] == [
        "Life expectancy at birth", "Gap within the area (SII)", "Healthy life expectancy",
        "Years in poorer health"]
    assert men[0].value.endswith(" years")
    assert any(c.value == "Period 2023–25." for c in at.caption)  # the period, in full
    assert any("Local Health" in i.value for i in at.info)          # MSOA data not loaded
    at.selectbox(key="area").set_value(RUTLAND).run()
    assert not at.exception
    assert at.metric[1].label == "Gap within the area (SII)"
    assert at.metric[1].value == "suppressed"
    at.radio(key="sex").set_value("Male").run()
    at.radio(key="axis").set_value("relative_rank").run()
    at.selectbox(key="le").set_value("ons_le|2021 to 2023").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "SII across authorities" for m in at.metric)
    assert at.query_params["area"] == [RUTLAND] or at.query_params["area"] == RUTLAND


def test_page_with_small_area_rows(monkeypatch, msoa_db):
    at = _apptest(monkeypatch, msoa_db)
    at.query_params["area"] = HARTLEPOOL
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label.startswith("Gap, least minus most deprived MSOA") for m in at.metric)


# --- the full mirror (skipped without ../shared/data/raw) ----------------------------------------

@pytest.fixture(scope="module")
def mirror(mirror_db):
    c = connect(mirror_db)
    yield c
    c.close()


#: Published figures (Fingertips 90366 2023-25, 92901 and 90362 2022-24, ONS 2021-23) as loaded.
MIRROR_FIGURES = {
    # code: {sex: (LE 2023-25, SII 2022-24, HLE 2022-24, LE-HLE 2022-24)}
    "E06000009": {"Male": (74.2, 13.8, 50.9, 22.8), "Female": (79.3, 9.2, 51.8, 27.3)},
    "E08000026": {"Male": (77.7, 11.7, 59.2, 18.2), "Female": (81.9, 10.6, 58.9, 22.9)},
}


@pytest.mark.parametrize("code", sorted(MIRROR_FIGURES))
def test_mirror_figures(mirror, code):
    p = health.area_profile(mirror, code)
    for sex, (le, sii, hle, poorer) in MIRROR_FIGURES[code].items():
        h = p["headline"][sex]
        assert h["le"]["value"] == pytest.approx(le) and h["le"]["period"] == "2023 - 25"
        assert h["sii"]["value"] == pytest.approx(sii) and h["sii"]["period"] == "2022 - 24"
        assert h["hle"]["value"] == pytest.approx(hle)
        assert h["hle"]["poorer_health"] == pytest.approx(poorer)


def test_mirror_sheffield_by_either_code(mirror):
    by_ons = health.area_profile(mirror, "E08000039")
    by_lad24 = health.area_profile(mirror, "E08000019")
    assert by_ons["place"]["area_code"] == "E08000019" and "SI 2024/1328" in \
        by_ons["place"]["alias_note"]
    ons = by_lad24["le"][(by_lad24["le"]["indicator_id"] == health.ONS_LE)
                         & (by_lad24["le"]["role"] == "area")]
    assert set(ons["area_code"]) == {"E08000039"}            # as ONS published it
    assert (ons["code_status"] == "recoded").all()
    assert ons.loc[ons["sex"] == "Male", "value"].item() == pytest.approx(78.4)
    assert by_lad24["headline"]["Female"]["le"]["value"] == pytest.approx(82.4)
    assert any("E08000039" in n and "E08000019" in n for n in by_lad24["notes"])


def test_mirror_merged_districts_are_listed_not_averaged(mirror):
    p = health.area_profile(mirror, "E06000063")                # Cumberland
    pred = p["predecessors"]
    assert set(pred["area_code"]) == {"E07000026", "E07000028", "E07000029"}
    assert (pred["code_status"] == "merged").all()
    own = p["le"][(p["le"]["role"] == "area") & (p["le"]["indicator_id"] == health.LE)]
    assert set(own["area_code"]) == {"E06000063"} and own["period"].nunique() == 9
    # every non-current authority code Fingertips uses is in the derived map
    rows = health.harmonised_rows(mirror, [health.LE, health.SII, health.HLE])
    assert not (rows["code_status"] == "other").any()


def test_mirror_city_of_london_and_scilly_are_suppressed(mirror):
    for code in ("E09000001", "E06000053"):
        p = health.area_profile(mirror, code)
        le = p["le"][(p["le"]["role"] == "area") & (p["le"]["indicator_id"] == health.LE)]
        assert len(le) == 18 and le["value"].isna().all()
        assert (le["status"] == "suppressed").all()
        for sex in ("Female", "Male"):
            assert p["headline"][sex]["le"]["status"] == "suppressed"
            assert p["headline"][sex]["le"]["value"] is None
            assert p["headline"][sex]["hle"]["status"] == "suppressed"
    g = health.gradient(mirror, "90366|2023 - 25", "Male", "iod2019_avg_score")
    left = g["frame"].set_index("area_code")
    assert left.loc["E09000001", "reason"] == "suppressed by the source"
    assert not left.loc["E09000001", "included"]
    assert g["sii"]["n_groups"] == 294 and g["sii"]["sii"] > 0
    assert math.isfinite(g["fit"]["r"]) and g["fit"]["slope"] < 0


def test_mirror_page_opens_sheffield_from_its_ons_code(monkeypatch, mirror_db):
    at = _apptest(monkeypatch, mirror_db)
    at.query_params["area"] = "E08000039"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Sheffield"
    assert any("SI 2024/1328" in i.value for i in at.info)
