"""The measure registry and the population that weights each measure, with hand-worked goldens
where weighting by the total population and by the measure's own denominator disagree."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from inequality import measures
from inequality.metrics import area as m
from inequality.services import summaries


def test_registry_follows_the_technical_report_weights():
    weights = measures.population_weights()
    assert weights["employment"] == "working_age"
    assert weights["idaci"] == "children_0_15"
    assert weights["idaopi"] == "older_60_plus"
    for mid in ("imd", "income", "education", "health", "crime", "barriers",
                "living_environment"):
        assert weights[mid] == "total", mid
    assert measures.SUMMARY_MEASURE_IDS == (
        "imd", "income", "employment", "education", "health", "crime", "barriers",
        "living_environment", "idaci", "idaopi")


def test_registry_matches_the_reader_and_the_population_table(fixture_db):
    from inequality import db
    from inequality.etl.readers.iod import MEASURES as READER_MEASURES

    assert [(x.id, x.label, x.kind, x.parent) for x in measures.measures()] == [
        tuple(r) for r in READER_MEASURES]
    with db.connect(fixture_db) as con:
        columns = set(con.execute("SELECT column_name FROM duckdb_columns() "
                                  "WHERE table_name = 'population'").df()["column_name"])
    assert set(measures.POPULATION_COLUMNS) <= columns


def test_registry_rejects_unknown_values_by_name():
    with pytest.raises(ValueError, match="unknown measure 'imd2'; known measures: imd, income"):
        measures.get("imd2")
    with pytest.raises(ValueError, match="population 'adults' is not one of"):
        measures.Measure("x", "X", "X", "domain", population="adults")
    with pytest.raises(ValueError, match="measure kind 'sub' is not one of"):
        measures.measures("sub")
    with pytest.raises(dataclasses.FrozenInstanceError):
        measures.MEASURES["imd"].population = "working_age"


# --- hand-worked goldens ------------------------------------------------------------------
# n = 100 LSOAs nationally, so an LSOA's percentile is its rank. One area "A" of three LSOAs:
#   rank 10 (inverted 91): total 100, working age 10,  children 50, 60+ 5
#   rank 20 (inverted 81): total 100, working age 100, children 10, 60+ 30
#   rank 60 (inverted 41): total 800, working age 80,  children 40, 60+ 65
# Extent weights: rank 10 -> 1; rank 20 -> 0.95 - 9 x 0.9/19 = 0.5236842...; rank 60 -> 0.

W20 = 0.95 - 9 * 0.9 / 19


def _long(measure: str) -> pd.DataFrame:
    return pd.DataFrame({
        "lsoa_code": ["L1", "L2", "L3"], "measure": measure, "rank": [10, 20, 60],
        "score": [0.30, 0.20, 0.05], "decile": [1, 2, 6], "published_lad_code": "A",
        "total": [100.0, 100.0, 800.0], "working_age": [10.0, 100.0, 80.0],
        "children_0_15": [50.0, 10.0, 40.0], "older_60_plus": [5.0, 30.0, 65.0]})


def _summary(measure: str) -> pd.Series:
    frame = summaries.weighted_frame(_long(measure), measure, "published_lad_code")
    return m.summarise_areas(frame.drop(columns="lsoa_code"), n=100).iloc[0]


def test_total_population_weighting_by_hand():
    s = _summary("imd")
    assert s["avg_rank"] == pytest.approx((100 * 91 + 100 * 81 + 800 * 41) / 1000)  # 50.0
    assert s["avg_score"] == pytest.approx((100 * .30 + 100 * .20 + 800 * .05) / 1000)  # 0.09
    assert s["extent"] == pytest.approx((100 * 1 + 100 * W20) / 1000)  # 0.1523684
    # 10% of 1,000 people = 100, all in the rank-10 LSOA
    assert s["local_concentration"] == pytest.approx(91.0)
    assert s["prop_most_deprived_10"] == pytest.approx(1 / 3)


def test_employment_is_weighted_by_working_age_by_hand():
    s = _summary("employment")
    assert s["avg_rank"] == pytest.approx((10 * 91 + 100 * 81 + 80 * 41) / 190)  # 64.684
    assert s["avg_score"] == pytest.approx((10 * .30 + 100 * .20 + 80 * .05) / 190)
    assert s["extent"] == pytest.approx((10 * 1 + 100 * W20) / 190)  # 0.328255
    # 10% of 190 = 19 people: 10 from the rank-10 LSOA, 9 from the rank-20 LSOA
    assert s["local_concentration"] == pytest.approx((10 * 91 + 9 * 81) / 19)  # 86.263
    assert s["prop_most_deprived_10"] == pytest.approx(1 / 3)  # unweighted, as published
    assert s["avg_rank"] != pytest.approx(_summary("imd")["avg_rank"])


def test_idaci_and_idaopi_are_weighted_by_their_age_groups_by_hand():
    idaci = _summary("idaci")
    assert idaci["avg_rank"] == pytest.approx((50 * 91 + 10 * 81 + 40 * 41) / 100)  # 70.0
    assert idaci["extent"] == pytest.approx((50 * 1 + 10 * W20) / 100)
    # 10 of 100 children, all in the rank-10 LSOA
    assert idaci["local_concentration"] == pytest.approx(91.0)
    idaopi = _summary("idaopi")
    assert idaopi["avg_rank"] == pytest.approx((5 * 91 + 30 * 81 + 65 * 41) / 100)  # 55.5
    # 10 of 100 older people: 5 from the rank-10 LSOA, 5 from the rank-20 LSOA
    assert idaopi["local_concentration"] == pytest.approx((5 * 91 + 5 * 81) / 10)  # 86.0


def test_a_measure_unknown_to_the_registry_is_weighted_by_the_total_population():
    frame = summaries.weighted_frame(_long("new_domain"), "new_domain", "published_lad_code")
    assert frame["population"].tolist() == [100.0, 100.0, 800.0]
