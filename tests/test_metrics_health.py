"""Golden tests of the health-gap metrics: hand-built cases with answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inequality.metrics import health as hm
from inequality.metrics.health import slope_index_of_inequality as sii

EQUAL = [1] * 10


# --- relative rank -----------------------------------------------------------------------------

def test_relative_rank_is_the_midpoint_of_each_groups_population_share():
    # 12% then 10% then 78%: midpoints 0.06, 0.12 + 0.05, 0.22 + 0.39
    assert hm.relative_rank([12, 10, 78]) == pytest.approx([0.06, 0.17, 0.61])


@pytest.mark.parametrize("pop", [[1, 0, 1], [1, -2, 1], [1, float("nan")], []])
def test_relative_rank_needs_positive_populations(pop):
    with pytest.raises(ValueError, match="positive numbers"):
        hm.relative_rank(pop)


# --- SII: golden values ------------------------------------------------------------------------

def test_perfectly_linear_gradient_gives_its_slope():
    # equal deciles, +1 year per decile from 70 to 79: y = 69.5 + 10 x, so SII = 10 years
    r = sii(np.arange(70, 80), EQUAL)
    assert r["sii"] == pytest.approx(10.0)
    assert r["fitted_most_deprived"] == pytest.approx(69.5)
    assert r["fitted_least_deprived"] == pytest.approx(79.5)
    assert r["rii"] == pytest.approx(79.5 / 69.5)
    assert r["n_groups"] == 10


def test_linear_in_relative_rank_gives_the_slope_whatever_the_populations():
    pop = [5, 1, 3, 8, 2, 2, 7, 4, 1, 6]
    x = hm.relative_rank(pop)
    r = sii(72.0 + 9.5 * x, pop)
    assert r["sii"] == pytest.approx(9.5)
    assert r["fitted_most_deprived"] == pytest.approx(72.0)


def test_equal_values_give_zero():
    r = sii([80.0] * 10, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], se=[0.4] * 10, n_sim=5000, seed=7)
    assert r["sii"] == pytest.approx(0.0, abs=1e-12)
    assert r["rii"] == pytest.approx(1.0)
    assert r["lci95"] < 0 < r["uci95"]


def test_weights_matter_hand_worked_three_groups():
    # equal thirds: x = 1/6, 1/2, 5/6 -> slope = (8/3) / (2/9) = 12
    assert sii([70, 76, 78], [1, 1, 1])["sii"] == pytest.approx(12.0)
    # first group twice as large: a = .5,.25,.25; x = .25,.625,.875 -> slope = .9375/.0703125
    assert sii([70, 76, 78], [2, 1, 1])["sii"] == pytest.approx(40 / 3)


def test_two_groups_line_passes_through_both():
    # x always 0.5 apart for two groups, so SII = 2 x the difference
    assert sii([75, 80], [3, 1])["sii"] == pytest.approx(10.0)


def test_sign_convention_least_minus_most_deprived():
    # a death rate higher where deprivation is worse gives a negative SII
    assert sii(np.arange(10, 0, -1), EQUAL)["sii"] == pytest.approx(-10.0)


def test_point_estimate_matches_weighted_least_squares():
    # PHE's worked-example deciles (PHEindicatormethods phe_sii, "Area1")
    pop = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
    value = [75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3]
    a = np.array(pop) / sum(pop)
    slope, intercept = np.polyfit(hm.relative_rank(pop), value, 1, w=np.sqrt(a))
    r = sii(value, pop)
    assert r["sii"] == pytest.approx(slope)
    assert r["fitted_most_deprived"] == pytest.approx(intercept)
    assert r["weights"] == pytest.approx(a.tolist())


# --- SII: confidence interval by simulation ---------------------------------------------------

PHE_AREA1 = dict(
    values=[75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3],
    population=[7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534],
    lci=[72.7, 75.3, 80.9, 80.2, 77.1, 78, 79, 81.4, 75.8, 83.2],
    uci=[79.1, 81.4, 86.8, 87.1, 83.8, 84.2, 84.4, 86.9, 85.4, 89.4])


def test_ci_contains_the_estimate_and_is_reproducible_with_a_seed():
    a = sii(**PHE_AREA1, n_sim=20_000, seed=42)
    b = sii(**PHE_AREA1, n_sim=20_000, seed=42)
    c = sii(**PHE_AREA1, n_sim=20_000, seed=43)
    assert a["lci95"] < a["sii"] < a["uci95"]
    assert (a["lci95"], a["uci95"]) == (b["lci95"], b["uci95"])
    assert (a["lci95"], a["uci95"]) != (c["lci95"], c["uci95"])
    assert a["lci95"] == pytest.approx(c["lci95"], abs=0.1)   # simulation noise is small
    assert a["rii_lci95"] < a["rii"] < a["rii_uci95"]
    assert a["n_sim"] == 20_000 and "simulation" in a["ci_method"]


def test_ci_matches_the_normal_theory_width_for_a_linear_statistic():
    # the SII is linear in the values, so its simulated sd is sqrt(sum(coef^2 se^2))
    se = hm.se_from_ci(PHE_AREA1["lci"], PHE_AREA1["uci"])
    r = sii(PHE_AREA1["values"], PHE_AREA1["population"], se=se, n_sim=200_000, seed=1)
    pop = np.array(PHE_AREA1["population"], float)
    a = pop / pop.sum()
    x = hm.relative_rank(pop)
    coef = a * (x - 0.5) / (a * (x - 0.5) ** 2).sum()
    half = hm.Z95 * math.sqrt(((coef * se) ** 2).sum())
    assert r["uci95"] - r["sii"] == pytest.approx(half, rel=0.02)
    assert r["sii"] - r["lci95"] == pytest.approx(half, rel=0.02)


def test_se_and_confidence_limits_give_the_same_interval():
    se = hm.se_from_ci(PHE_AREA1["lci"], PHE_AREA1["uci"])
    by_ci = sii(**PHE_AREA1, n_sim=5000, seed=3)
    by_se = sii(PHE_AREA1["values"], PHE_AREA1["population"], se=se, n_sim=5000, seed=3)
    assert by_ci["lci95"] == pytest.approx(by_se["lci95"])
    assert by_ci["uci95"] == pytest.approx(by_se["uci95"])


def test_zero_standard_errors_give_a_degenerate_interval():
    r = sii(np.arange(70, 80), EQUAL, se=[0.0] * 10, n_sim=1000, seed=0)
    assert r["lci95"] == pytest.approx(10.0) and r["uci95"] == pytest.approx(10.0)


def test_without_errors_there_is_no_interval_and_it_says_why():
    r = sii(np.arange(70, 80), EQUAL)
    assert r["lci95"] is None and r["uci95"] is None and r["n_sim"] == 0
    assert "no standard errors" in r["ci_note"]


# --- SII: bad input names the problem ----------------------------------------------------------

def test_missing_value_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match=r"group\(s\) \[3\] are missing.*never with zero"):
        sii([70, 71, None, 73], [1, 1, 1, 1])


def test_bad_inputs():
    with pytest.raises(ValueError, match="values has 3 groups and population 2"):
        sii([70, 71, 72], [1, 1])
    with pytest.raises(ValueError, match="at least 2 groups"):
        sii([70], [1])
    with pytest.raises(ValueError, match="either se or lci/uci"):
        sii([70, 72], [1, 1], se=[1, 1], lci=[69, 71], uci=[71, 73])
    with pytest.raises(ValueError, match="both lci and uci"):
        sii([70, 72], [1, 1], lci=[69, 71])
    with pytest.raises(ValueError, match="at least 1,000"):
        sii([70, 72], [1, 1], se=[1, 1], n_sim=10)
    with pytest.raises(ValueError, match="non-negative"):
        sii([70, 72], [1, 1], se=[1, float("nan")])
    with pytest.raises(ValueError, match="upper confidence limit must not be below"):
        hm.se_from_ci([70, 72], [71, 71.5])


# --- other metrics -----------------------------------------------------------------------------

def test_years_in_poorer_health_keeps_missing_missing():
    out = hm.years_in_poorer_health([79.1, np.nan, 80.0], [61.5, 60.0, np.nan])
    assert out[0] == pytest.approx(17.6)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_weighted_linear_fit_uses_the_weights():
    # three points, the heavy one pulls the line
    flat = hm.weighted_linear_fit([0, 1, 2], [0, 0, 3])
    heavy = hm.weighted_linear_fit([0, 1, 2], [0, 0, 3], [1, 100, 1])
    assert flat["slope"] == pytest.approx(1.5)
    assert heavy["slope"] == pytest.approx(1.5)  # symmetric weights leave the slope...
    assert heavy["intercept"] != pytest.approx(flat["intercept"])  # ...but move the line
    assert math.isnan(hm.weighted_linear_fit([1, 1], [2, 3])["slope"])


def test_small_area_gap_orders_by_deprivation_and_skips_suppressed():
    g = hm.small_area_gap(["A", "B", "C", "D"], [74.0, None, 79.0, 82.5],
                          [45.0, 50.0, 20.0, 5.0])
    assert (g["most_deprived"], g["least_deprived"]) == ("A", "D")
    assert g["gap"] == pytest.approx(8.5)
    assert g["n"] == 3 and g["n_missing"] == 1
    assert hm.small_area_gap(["A"], [70.0], [1.0])["gap"] is None


# --- code harmonisation ------------------------------------------------------------------------

CURRENT = ["E06000063", "E06000064", "E06000062", "E07000177", "E08000016", "E08000019",
           "E06000001", "E07000241", "E07000240"]

CHANGES = pd.DataFrame([
    # release, from_code, from_name, lad24_code, lsoa_count, from_lsoa_count
    ("iod2015", "E07000026", "Allerdale", "E06000063", 60, 60),
    ("iod2019", "E07000026", "Allerdale", "E06000063", 60, 60),
    ("iod2019", "E07000027", "Barrow-in-Furness", "E06000064", 49, 49),
    ("iod2019", "E07000155", "South Northamptonshire", "E06000062", 50, 51),
    ("iod2019", "E07000155", "South Northamptonshire", "E07000177", 1, 51),
    # a current authority that lost one LSOA to a neighbour stays itself
    ("iod2019", "E07000241", "Welwyn Hatfield", "E07000241", 66, 67),
    ("iod2019", "E07000241", "Welwyn Hatfield", "E07000240", 1, 67),
    ("iod2019", "E06000001", "Hartlepool", "E06000001", 58, 58),
    ("iod2010", "00EB", "Hartlepool", "E06000001", 58, 58),
], columns=["release", "from_code", "from_name", "lad24_code", "lsoa_count",
            "from_lsoa_count"])


def test_code_map_is_derived_from_lsoa_counts_plus_documented_recodes():
    m = hm.lad_code_map(CHANGES, CURRENT).set_index("from_code")
    assert list(m.index) == ["E07000026", "E07000027", "E07000155", "E08000038", "E08000039"]
    assert m.loc["E07000026", ["lad24_code", "relation"]].tolist() == ["E06000063", "merged"]
    assert m.loc["E07000155", ["lad24_code", "relation"]].tolist() == ["E06000062", "split"]
    assert m.loc["E07000155", "share"] == pytest.approx(50 / 51)
    assert "1 in E07000177" in m.loc["E07000155", "evidence"]
    # Barnsley and Sheffield: ONS's 2025 codes map to the LAD24 codes, with the source
    assert m.loc["E08000038", ["lad24_code", "relation"]].tolist() == ["E08000016", "recoded"]
    assert m.loc["E08000039", "lad24_code"] == "E08000019"
    assert "SI 2024/1328" in m.loc["E08000039", "evidence"]
    # current codes and non-GSS (IoD 2010 "00EB") codes are not in the map
    assert "E07000241" not in m.index and "00EB" not in m.index


def _published() -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": ["E08000039", "E08000038", "E07000026", "E06000063", "E09000001",
                      "E92000001", "E12000001", "E10000017", "E07000155"],
        "area_name": ["Sheffield", "Barnsley", "Allerdale", "Cumberland", "City of London",
                      "England", "North East", "Lancashire", "South Northamptonshire"],
        "period": ["2021 to 2023"] * 2 + ["2015 - 17"] * 2 + ["2023 - 25"] * 5,
        "value": [78.4, 76.6, 78.0, 78.9, np.nan, 79.1, 77.0, 78.6, 81.0],
        "value_note": [None] * 9,
    })


def test_harmonise_barnsley_and_sheffield():
    cmap = hm.lad_code_map(CHANGES, CURRENT)
    out = hm.harmonise_area_codes(_published(), cmap, CURRENT,
                                  names={"E08000019": "Sheffield", "E08000016": "Barnsley"})
    sheff = out[out["area_code"] == "E08000039"].iloc[0]
    assert sheff["lad24_code"] == "E08000019" and sheff["code_status"] == "recoded"
    assert "Sheffield (E08000019)" in sheff["code_note"] and "SI 2024/1328" in sheff["code_note"]
    assert out.loc[out["area_code"] == "E08000038", "lad24_code"].item() == "E08000016"


def test_harmonise_merged_district_keeps_its_own_row_and_value():
    cmap = hm.lad_code_map(CHANGES, CURRENT)
    rows = _published()
    out = hm.harmonise_area_codes(rows, cmap, CURRENT, names={"E06000063": "Cumberland"})
    assert len(out) == len(rows)                       # nothing combined
    pd.testing.assert_series_equal(out["value"], rows["value"])  # nothing changed
    allerdale = out[out["area_code"] == "E07000026"].iloc[0]
    assert allerdale["lad24_code"] == "E06000063" and allerdale["code_status"] == "merged"
    assert "not averaged" in allerdale["code_note"] and "Cumberland" in allerdale["code_note"]
    cumberland = out[out["area_code"] == "E06000063"].iloc[0]
    assert cumberland["code_status"] == "current" and cumberland["code_note"] == ""
    split = out[out["area_code"] == "E07000155"].iloc[0]
    assert split["code_status"] == "split" and "98%" in split["code_note"]
    status = dict(zip(out["area_code"], out["code_status"]))
    assert status["E92000001"] == "england" and status["E12000001"] == "region"
    assert status["E10000017"] == "other"
    assert out.loc[out["area_code"] == "E10000017", "lad24_code"].item() is None


def test_suppressed_values_stay_missing_and_say_suppressed():
    out = hm.mark_suppressed(hm.harmonise_area_codes(
        _published(), hm.lad_code_map(CHANGES, CURRENT), CURRENT + ["E09000001"]))
    city = out[out["area_code"] == "E09000001"].iloc[0]
    assert math.isnan(city["value"]) and city["status"] == "suppressed"
    assert "suppressed" in city["status_note"]
    assert (out.loc[out["area_code"] != "E09000001", "status"] == "published").all()
    assert not (out["value"] == 0).any()


def test_source_notes_on_suppression_are_kept():
    out = hm.mark_suppressed(pd.DataFrame({"value": [None, 80.0],
                                           "value_note": ["Value suppressed for disclosure "
                                                          "control", None]}))
    assert out["status_note"].tolist() == ["Value suppressed for disclosure control", ""]
