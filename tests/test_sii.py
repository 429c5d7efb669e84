"""The Slope Index of Inequality against PHEindicatormethods' ``phe_sii``.

Golden values come from two places (see tests/data/sii/README.md):

* ``phe_testdata_sii.csv``: the package's own test data (tests/testthat/testdata_SII.xlsx),
  whose expected SII, RII, limits and intercepts come from PHE's Excel SII tool; the cases
  below mirror the calls in the package's tests/testthat/testSII.R;
* ``phe_sii_r_reference.csv``: ``phe_sii`` itself, run in R with 1,000,000 repetitions on
  the documentation example and on cases the Excel data do not cover (99.8% limits, quintile
  limits, multipliers with intercepts, counts, logit at 99.8%).

The SII, RII and intercept are deterministic and must agree to 1e-6 (relative). Simulated
limits cannot agree exactly (different random numbers), so they are compared within
``K_SD = 5`` standard deviations of the simulation noise of both runs: the order statistic
that estimates the ``p`` quantile of a statistic with spread ``sigma`` from ``n`` draws has
standard deviation ``sqrt(p (1 - p) / n) / f``, ``f`` the density there, approximated as
normal with ``sigma = (upper - lower) / (2 z)`` (from the reference limits). At 95% and
100,000 draws each side this is ``0.06 sigma``: for life expectancy with limits 3.1 to 10.8
years, 0.12 years; a real error (a wrong standard error or scale) moves limits by far more.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path
from statistics import NormalDist

import pandas as pd
import pytest

from inequality.metrics.health import slope_index_of_inequality
from inequality.metrics.sii import (
    SiiWarning,
    confidence_label,
    confidence_levels,
    phe_sii,
)

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "data" / "sii"
TD = pd.read_csv(FIX / "phe_testdata_sii.csv")
DOC = pd.read_csv(FIX / "phe_sii_doc_example.csv")
REF = pd.read_csv(FIX / "phe_sii_r_reference.csv")
GROUPS = ["Area", "Grouping1", "Grouping2"]
REPS = 100_000
K_SD = 5
R_REPS = 1_000_000
CL = {"lower_cl": "LowerCL", "upper_cl": "UpperCL"}


def records(first: int, last: int) -> pd.DataFrame:
    return TD[(TD["RecordNo"] >= first) & (TD["RecordNo"] <= last)]


def limit_tolerance(lower: float, upper: float, level: float, *reps: int) -> float:
    """K_SD standard deviations of the difference of two simulated limits (module doc)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    sigma = abs(upper - lower) / (2 * z)
    p = (1 - level) / 2
    density = NormalDist().pdf(z) / sigma
    return K_SD * math.sqrt(sum(p * (1 - p) / n for n in reps)) / density


def assert_limits(ours_lo, ours_hi, ref_lo, ref_hi, level, ref_reps, what):
    tol = limit_tolerance(ref_lo, ref_hi, level, ref_reps, REPS)
    assert ours_lo < ours_hi, what
    assert ours_lo == pytest.approx(ref_lo, abs=tol), f"{what} lower (tolerance {tol:.4g})"
    assert ours_hi == pytest.approx(ref_hi, abs=tol), f"{what} upper (tolerance {tol:.4g})"


# ------------------------------------------------------------------------------------------
# Golden: PHEindicatormethods' test data (expected values from PHE's Excel tool)
# ------------------------------------------------------------------------------------------

# (first record, last record, keyword arguments, confidence levels), as in testSII.R
EXCEL_CASES = [
    pytest.param(1, 20, {"se": "StandardError"}, [95], id="default-se"),
    pytest.param(1, 20, CL, [95], id="default-limits"),
    pytest.param(246, 265, {**CL, "intercept": True}, [95], id="default-intercept"),
    pytest.param(21, 40, CL, [0.99], id="default-99-decimal"),
    pytest.param(21, 40, {"se": "StandardError"}, [99], id="default-99-percent"),
    pytest.param(226, 245, {"se": "StandardError"}, [95, 99], id="default-95-and-99"),
    pytest.param(41, 60, {"se": "StandardError"}, [95], id="default-excel-10000-reps"),
    pytest.param(61, 70, {"se": "StandardError"}, [95], id="default-quintiles"),
    pytest.param(71, 90, {"se": "StandardError", "se_scale": "log"}, [95], id="rate-log-se"),
    pytest.param(71, 90, CL, [95], id="rate-limits"),
    pytest.param(266, 285, {**CL, "intercept": True}, [95], id="rate-intercept"),
    pytest.param(306, 325, {**CL, "intercept": True, "transform": True}, [95],
                 id="rate-log-transform"),
    pytest.param(386, 405, {**CL, "intercept": True, "transform": True, "multiplier": -1},
                 [95], id="rate-log-transform-negative-multiplier"),
    pytest.param(406, 425, {**CL, "intercept": True, "transform": True}, [98],
                 id="rate-log-transform-98"),
    pytest.param(366, 385, {**CL, "intercept": True, "transform": True}, [95, 98],
                 id="rate-log-transform-95-and-98"),
    pytest.param(426, 445, {**CL, "transform": True, "rii": False}, [95],
                 id="rate-log-transform-no-rii"),
    pytest.param(91, 110, {"se": "StandardError", "se_scale": "logit"}, [95],
                 id="proportion-logit-se"),
    pytest.param(91, 110, CL, [95], id="proportion-limits"),
    pytest.param(91, 110, {**CL, "count": "Count", "value": None}, [95],
                 id="proportion-value-from-count"),
    pytest.param(91, 110, {"count": "Count", "value": None}, [95],
                 id="proportion-se-from-count-wilson"),
    pytest.param(286, 305, {**CL, "intercept": True}, [95], id="proportion-intercept"),
    pytest.param(111, 130, {**CL, "multiplier": 100}, [95], id="proportion-multiplier-100"),
    pytest.param(131, 150, {**CL, "multiplier": -100}, [95],
                 id="proportion-multiplier-minus-100"),
    pytest.param(326, 345, {**CL, "intercept": True, "transform": True}, [95],
                 id="proportion-logit-transform"),
    pytest.param(346, 365, {**CL, "intercept": True, "transform": True, "multiplier": -1},
                 [95], id="proportion-logit-transform-negative-multiplier"),
    pytest.param(466, 485, {**CL, "intercept": True, "transform": True}, [98],
                 id="proportion-logit-transform-98"),
    pytest.param(446, 465, {**CL, "intercept": True, "transform": True, "rii": False}, [95],
                 id="proportion-logit-transform-no-rii"),
    pytest.param(486, 505, {**CL, "intercept": True, "transform": True}, [95, 98],
                 id="proportion-logit-transform-95-and-98"),
]


@pytest.mark.parametrize(("first", "last", "kwargs", "levels"), EXCEL_CASES)
def test_matches_phe_test_data(first, last, kwargs, levels):
    data = records(first, last)
    kwargs = {"value": "Value", "rii": True, **kwargs}
    value = kwargs.pop("value")
    out = phe_sii(data, "Quantile", "Population", value, groups=GROUPS,
                  value_type=int(data["ValueType"].iloc[0]), confidence=levels,
                  repetitions=REPS, seed=first, **kwargs)
    expected = data[data["sii"].notna()]
    assert len(out) == len(expected) == 2
    for (_, ours), (_, exp) in zip(out.iterrows(), expected.iterrows()):
        where = f"records {first}-{last}, {exp['Area']}"
        assert ours["Area"] == exp["Area"]
        assert ours["sii"] == pytest.approx(exp["sii"], rel=1e-6), where
        if kwargs["rii"]:
            assert ours["rii"] == pytest.approx(exp["rii"], rel=1e-6), where
        else:
            assert "rii" not in out.columns
        if kwargs.get("intercept"):
            assert ours["intercept"] == pytest.approx(exp["Intercept"], rel=1e-6), where
        if pd.isna(exp["sii_lowercl_1"]):   # quintiles: the Excel tool gave no limits
            continue
        for i, level in enumerate(confidence_levels(levels), start=1):
            lab = confidence_label(level)
            ref_reps = int(exp["Repetitions"])
            assert_limits(ours[f"sii_lower{lab}cl"], ours[f"sii_upper{lab}cl"],
                          exp[f"sii_lowercl_{i}"], exp[f"sii_uppercl_{i}"], level, ref_reps,
                          f"{where} SII {lab}")
            if kwargs["rii"] and not pd.isna(exp[f"rii_lowercl_{i}"]):
                assert_limits(ours[f"rii_lower{lab}cl"], ours[f"rii_upper{lab}cl"],
                              exp[f"rii_lowercl_{i}"], exp[f"rii_uppercl_{i}"], level,
                              ref_reps, f"{where} RII {lab}")


# ------------------------------------------------------------------------------------------
# Golden: phe_sii itself, run in R (1,000,000 repetitions)
# ------------------------------------------------------------------------------------------

R_CASES = {
    "doc_type0_cl": (DOC, "area", {"value_type": 0, "lower_cl": "lowerCL",
                                   "upper_cl": "upperCL", "intercept": True}, [0.95]),
    "doc_type0_se": (DOC, "area", {"value_type": 0, "se": "StandardError"}, [0.95]),
    "doc_rate_log_95_998": (DOC, "area", {"value_type": 1, "transform": True,
                                          "lower_cl": "lowerCL", "upper_cl": "upperCL",
                                          "intercept": True}, [0.95, 0.998]),
    "td1_type0_se_95_998": (records(1, 20), "Area", {"value_type": 0, "se": "StandardError",
                                                     "intercept": True}, [95, 99.8]),
    "td61_quintiles_se": (records(61, 70), "Area", {"value_type": 0, "se": "StandardError"},
                          [0.95]),
    "td71_rate_cl_mult_neg1": (records(71, 90), "Area", {"value_type": 1, **CL,
                                                         "multiplier": -1,
                                                         "intercept": True}, [0.95]),
    "td111_prop_cl_mult100_intercept": (records(111, 130), "Area",
                                        {"value_type": 2, **CL, "multiplier": 100,
                                         "intercept": True}, [0.95]),
    "td91_prop_count_cl": (records(91, 110), "Area", {"value_type": 2, **CL,
                                                      "count": "Count", "value": None},
                           [0.95]),
    "td326_prop_logit_998": (records(326, 345), "Area", {"value_type": 2, **CL,
                                                         "transform": True,
                                                         "intercept": True}, [0.998]),
    "td486_prop_logit_95_98_neg100": (records(486, 505), "Area",
                                      {"value_type": 2, **CL, "transform": True,
                                       "multiplier": -100, "intercept": True}, [95, 98]),
}

#: Where this module deliberately differs from phe_sii (see inequality.metrics.sii):
#: without a transform phe_sii leaves the intercept unmultiplied; here it is in the
#: multiplied units, like the SII.
INTERCEPT_SCALE = {"td111_prop_cl_mult100_intercept": 100}


def run_r_case(case: str) -> pd.DataFrame:
    data, group, kwargs, levels = R_CASES[case]
    kwargs = {"value": "value" if group == "area" else "Value", "rii": True, **kwargs}
    value = kwargs.pop("value")
    quantile, pop = ("decile", "population") if group == "area" else ("Quantile", "Population")
    return phe_sii(data, quantile, pop, value, groups=group, confidence=levels,
                   repetitions=REPS, seed=7, **kwargs)


@pytest.mark.parametrize("case", sorted(R_CASES))
def test_matches_phe_sii_in_r(case):
    out = run_r_case(case)
    group = R_CASES[case][1]
    levels = confidence_levels(R_CASES[case][3])
    ref = REF[REF["case"] == case]
    assert set(ref["group"]) == set(out[group])
    assert set(ref["column"]) == set(out.columns) - {group}
    for _, ours in out.iterrows():
        r = ref[ref["group"] == ours[group]].set_index("column")["value"]
        where = f"{case} {ours[group]}"
        assert ours["sii"] == pytest.approx(r["sii"], rel=1e-6), where
        assert ours["rii"] == pytest.approx(r["rii"], rel=1e-6), where
        if "intercept" in r:
            scale = INTERCEPT_SCALE.get(case, 1)
            assert ours["intercept"] == pytest.approx(scale * r["intercept"], rel=1e-6), where
        for level in levels:
            lab = confidence_label(level)
            for stat in ("sii", "rii"):
                assert_limits(ours[f"{stat}_lower{lab}cl"], ours[f"{stat}_upper{lab}cl"],
                              r[f"{stat}_lower{lab}cl"], r[f"{stat}_upper{lab}cl"], level,
                              R_REPS, f"{where} {stat} {lab}")


def test_log_transform_with_a_multiplier_below_one_keeps_the_limits_in_order():
    """phe_sii swaps a log-transformed SII's limits for any multiplier below 1 (its rate code
    tests ``multiplier < 1``, its proportion code ``< 0``): with 0.5 its lower limit is above
    its upper and its RII limits are inverted, so they do not contain its own RII. Here only
    a negative multiplier swaps them."""
    r = REF[REF["case"] == "td306_rate_log_mult_half"]
    out = phe_sii(records(306, 325), "Quantile", "Population", "Value", groups="Area",
                  value_type=1, transform=True, multiplier=0.5, rii=True, intercept=True,
                  repetitions=REPS, seed=3, **CL)
    for _, ours in out.iterrows():
        ref = r[r["group"] == ours["Area"]].set_index("column")["value"]
        assert ref["sii_lower95_0cl"] > ref["sii_upper95_0cl"]          # phe_sii's swap
        assert not ref["rii_lower95_0cl"] < ref["rii"] < ref["rii_upper95_0cl"]
        assert ours["sii"] == pytest.approx(ref["sii"], rel=1e-6)
        assert ours["rii"] == pytest.approx(ref["rii"], rel=1e-6)
        assert ours["intercept"] == pytest.approx(ref["intercept"], rel=1e-6)
        assert_limits(ours["sii_lower95_0cl"], ours["sii_upper95_0cl"],
                      ref["sii_upper95_0cl"], ref["sii_lower95_0cl"], 0.95, R_REPS,
                      "SII with multiplier 0.5")
        assert_limits(ours["rii_lower95_0cl"], ours["rii_upper95_0cl"],
                      1 / ref["rii_upper95_0cl"], 1 / ref["rii_lower95_0cl"], 0.95, R_REPS,
                      "RII with multiplier 0.5")
        assert ours["rii_lower95_0cl"] < ours["rii"] < ours["rii_upper95_0cl"]


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

def test_same_seed_same_limits_other_seed_other_limits():
    kw = {"se": "StandardError", "rii": True, "repetitions": 2000}
    a = phe_sii(DOC, "decile", "population", "value", groups="area", seed=11, **kw)
    b = phe_sii(DOC, "decile", "population", "value", groups="area", seed=11, **kw)
    c = phe_sii(DOC, "decile", "population", "value", groups="area", seed=12, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert (a["sii_lower95_0cl"] != c["sii_lower95_0cl"]).all()
    assert (a["sii"] == c["sii"]).all()


def test_confidence_as_fraction_or_percentage_and_its_column_names():
    assert confidence_levels([0.95, 99.8, 95]) == [0.95, 0.998]
    kw = {"se": "StandardError", "groups": "area", "repetitions": 2000, "seed": 1}
    a = phe_sii(DOC, "decile", "population", "value", confidence=[95, 99.8], **kw)
    b = phe_sii(DOC, "decile", "population", "value", confidence=[0.95, 0.998], **kw)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["area", "sii", "sii_lower95_0cl", "sii_upper95_0cl",
                               "sii_lower99_8cl", "sii_upper99_8cl"]
    assert (a["sii_lower99_8cl"] < a["sii_lower95_0cl"]).all()
    assert (a["sii_upper99_8cl"] > a["sii_upper95_0cl"]).all()


def test_natural_scale_se_of_a_rate_is_converted_not_misused():
    """A log-scale SE times the rate is the natural-scale SE (delta method): both give the
    same answer once the scale is stated; passing one for the other is what phe_sii would
    silently do."""
    data = records(71, 90).assign(se_natural=lambda d: d["StandardError"] * d["Value"])
    kw = {"groups": GROUPS, "value_type": 1, "rii": True, "repetitions": 5000, "seed": 5}
    by_log = phe_sii(data, "Quantile", "Population", "Value", se="StandardError",
                     se_scale="log", **kw)
    by_natural = phe_sii(data, "Quantile", "Population", "Value", se="se_natural",
                         se_scale="natural", **kw)
    pd.testing.assert_frame_equal(by_log, by_natural, rtol=1e-9)
    misused = phe_sii(data, "Quantile", "Population", "Value", se="se_natural",
                      se_scale="log", **kw)
    width = by_log["sii_upper95_0cl"] - by_log["sii_lower95_0cl"]
    assert ((misused["sii_upper95_0cl"] - misused["sii_lower95_0cl"]) > 2 * width).all()


def test_natural_scale_se_of_a_proportion_is_converted():
    data = records(91, 110).assign(
        se_natural=lambda d: d["StandardError"] * d["Value"] * (1 - d["Value"]))
    kw = {"groups": GROUPS, "value_type": 2, "transform": True, "repetitions": 5000,
          "seed": 5}
    a = phe_sii(data, "Quantile", "Population", "Value", se="StandardError",
                se_scale="transformed", **kw)
    b = phe_sii(data, "Quantile", "Population", "Value", se="se_natural",
                se_scale="natural", **kw)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


def test_transform_with_a_log_scale_se_equals_transform_with_limits():
    """phe_sii refuses se with transform=True; with the scale stated it is well defined."""
    kw = {"groups": GROUPS, "value_type": 1, "transform": True, "rii": True,
          "repetitions": 5000, "seed": 9}
    data = records(306, 325)
    a = phe_sii(data, "Quantile", "Population", "Value", **CL, **kw)
    b = phe_sii(data, "Quantile", "Population", "Value", se="StandardError", se_scale="log",
                **kw)
    pd.testing.assert_frame_equal(a, b, rtol=1e-4)   # the Excel SEs are rounded limits


def test_row_order_does_not_matter_and_quantile_1_is_most_deprived():
    kw = {"se": "StandardError", "groups": "area", "repetitions": 2000, "seed": 4}
    a = phe_sii(DOC, "decile", "population", "value", **kw)
    shuffled = DOC.sample(frac=1, random_state=0)
    b = phe_sii(shuffled, "decile", "population", "value", **kw)
    b = b.set_index("area").loc[a["area"]].reset_index()
    pd.testing.assert_frame_equal(a, b)
    reversed_ = DOC.assign(decile=11 - DOC["decile"])
    c = phe_sii(reversed_, "decile", "population", "value", **kw)
    assert (c["sii"] < 0).all() and (a["sii"] > 0).all()


def test_agrees_with_the_existing_slope_index_of_inequality():
    for area, part in DOC.groupby("area"):
        ours = phe_sii(part, "decile", "population", "value", se="StandardError",
                       rii=True, intercept=True, repetitions=1000, seed=1).iloc[0]
        old = slope_index_of_inequality(part["value"], part["population"])
        assert ours["sii"] == pytest.approx(old["sii"], rel=1e-12), area
        assert ours["rii"] == pytest.approx(old["rii"], rel=1e-12), area
        assert ours["intercept"] == pytest.approx(old["fitted_most_deprived"], rel=1e-12)


def test_ungrouped_data_gives_one_row():
    out = phe_sii(records(1, 10), "Quantile", "Population", "Value", se="StandardError",
                  repetitions=1000, seed=1)
    assert len(out) == 1 and out.columns[0] == "sii"
    assert out["sii"].iloc[0] == pytest.approx(TD["sii"].iloc[0], rel=1e-6)


def test_reliability_stat_keeps_the_first_limits_and_adds_mad():
    kw = {"se": "StandardError", "groups": "area", "rii": True, "repetitions": 2000,
          "seed": 8, "confidence": [95, 99.8]}
    plain = phe_sii(DOC, "decile", "population", "value", **kw)
    rel = phe_sii(DOC, "decile", "population", "value", reliability_stat=True, **kw)
    pd.testing.assert_frame_equal(rel[plain.columns], plain)
    for col in ("sii_mad95_0", "rii_mad95_0", "sii_mad99_8", "rii_mad99_8"):
        assert (rel[col] > 0).all()
    width = plain["sii_upper95_0cl"] - plain["sii_lower95_0cl"]
    assert (rel["sii_mad95_0"] < 0.1 * width).all()


def test_parameters_are_recorded():
    out = phe_sii(records(306, 325), "Quantile", "Population", "Value", groups="Area",
                  value_type=1, transform=True, repetitions=1000, seed=2, **CL)
    assert out.attrs["transform"] == "log" and out.attrs["repetitions"] == 1000
    assert out.attrs["confidence"] == [0.95] and out.attrs["seed"] == 2


# ------------------------------------------------------------------------------------------
# Errors and warnings (the cases of testSII.R, plus those phe_sii lets through)
# ------------------------------------------------------------------------------------------

def call(data, **kw):
    args = {"value": "Value", "se": "StandardError", "groups": GROUPS, "repetitions": 1000,
            "seed": 1, **kw}
    value = args.pop("value")
    return phe_sii(data, "Quantile", args.pop("population", "Population"), value, **args)


@pytest.mark.parametrize(("data", "kw", "match"), [
    pytest.param(records(151, 160), {"population": "Grouping1"},
                 r"'Grouping1' \(the population\) must hold numbers; 'group A'",
                 id="non-numeric"),
    pytest.param(records(151, 160), {},
                 r"'Population' \(the population\) must be positive.*data row 2.*Quantile=2"
                 r".*merge", id="negative-population"),
    pytest.param(records(161, 165), {},
                 r"'StandardError' \(the standard error\) must not be negative.*Quantile=3",
                 id="negative-se"),
    pytest.param(records(191, 200), {}, r"'StandardError' \(the standard error\) is missing"
                 r".*never fill with zero", id="missing-se"),
    pytest.param(records(191, 200), {"se": None, **CL},
                 r"'LowerCL' \(the lower confidence limit\) is missing", id="missing-limits"),
    pytest.param(records(201, 210), {}, r"'Population' \(the population\) is missing",
                 id="missing-population"),
    pytest.param(records(1, 20).assign(Value=lambda d: d["Value"].where(d["RecordNo"] != 5)),
                 {}, r"'Value' \(the value\) is missing at data row 5", id="missing-value"),
    pytest.param(records(166, 170), {"value": None, "count": "Count", "value_type": 2,
                                     "se": None},
                 r"'Count' \(the count\) must be positive", id="zero-count"),
    pytest.param(records(1, 20), {"value_type": 2, "se_scale": "logit"},
                 r"'Value' \(the value of a proportion\) must lie between 0 and 1.*look "
                 r"like percentages.*multiplier=100", id="proportion-above-1"),
    pytest.param(records(171, 175), {"value_type": 2, "se": None, **CL},
                 r"'UpperCL' \(the upper limit of a proportion\) must lie between 0 and 1",
                 id="upper-limit-above-1"),
    pytest.param(records(176, 180), {"value_type": 2, "se": None, **CL},
                 r"'LowerCL' \(the lower limit of a proportion\) must lie between 0 and 1",
                 id="lower-limit-above-1"),
    pytest.param(records(1, 3), {}, r"3 distinct quantiles; the SII needs 5 to 100",
                 id="too-few-quantiles"),
    pytest.param(records(1, 20), {"value": "Nope"},
                 r"column 'Nope' \(the value\) is not in the data", id="missing-column"),
    pytest.param(records(1, 20), {"groups": ["Area", "Nope"]},
                 r"column 'Nope' \(a group column\) is not in the data", id="missing-group"),
    pytest.param(records(1, 20), {"transform": True},
                 r"transform=True needs value_type 1 \(rate.*\) or 2", id="transform-type-0"),
    pytest.param(records(71, 90), {"value_type": 1},
                 r"se_scale='log' if they are standard errors of the log rate",
                 id="rate-se-without-scale"),
    pytest.param(records(91, 110), {"value_type": 2},
                 r"se_scale='logit' if they are standard errors of the logit proportion",
                 id="proportion-se-without-scale"),
    pytest.param(records(71, 90), {"value_type": 1, "se_scale": "logit"},
                 r"se_scale='logit' does not fit value_type 1", id="wrong-scale"),
    pytest.param(records(1, 20), {"se_scale": "log"}, r"value_type 0 is not transformed",
                 id="scale-for-type-0"),
    pytest.param(records(1, 20), {**CL}, r"give either se .* or lower_cl/upper_cl, not both",
                 id="se-and-limits"),
    pytest.param(records(1, 20), {"se": None, "lower_cl": "LowerCL"},
                 r"give both lower_cl and upper_cl", id="one-limit"),
    pytest.param(records(1, 20), {"se": None}, r"give se, or lower_cl and upper_cl",
                 id="no-errors"),
    pytest.param(records(1, 20), {"confidence": 0.5}, r"between 0.9 and 1 or between 90 and "
                 r"100", id="confidence-too-low"),
    pytest.param(records(1, 20), {"confidence": 135}, r"between 0.9 and 1 or between 90 and "
                 r"100", id="confidence-too-high"),
    pytest.param(records(1, 20), {"confidence": 100}, r"100% interval has no finite limits",
                 id="confidence-100"),
    pytest.param(records(1, 20), {"repetitions": 999}, r"at least 1,000", id="few-reps"),
    pytest.param(records(1, 20), {"repetitions": 1000, "confidence": 0.9995},
                 r"too few for a 99.95% interval", id="reps-too-few-for-level"),
    pytest.param(records(1, 20), {"value_type": 3}, r"give 0 \(other", id="value-type"),
    pytest.param(records(1, 20), {"multiplier": 0}, r"other than 0", id="zero-multiplier"),
    pytest.param(pd.concat([records(1, 10), records(1, 1)]), {},
                 r"one row per quantile of 'Quantile'.*repeats a quantile", id="duplicate"),
])
def test_bad_input_is_an_error_naming_column_rule_and_fix(data, kw, match):
    with pytest.raises(ValueError, match=match):
        call(data, **kw)


def test_rate_must_be_positive():
    data = records(71, 90).copy()
    data.loc[data.index[3], "Value"] = 0.0
    with pytest.raises(ValueError, match=r"'Value' \(the value of a rate\) must be positive"):
        call(data, value_type=1, se=None, **CL)


def test_more_than_100_quantiles_is_an_error():
    data = pd.DataFrame({"q": range(1, 102), "pop": 10.0, "v": 1.0, "se": 0.1})
    with pytest.raises(ValueError, match=r"101 distinct quantiles; the SII needs 5 to 100"):
        phe_sii(data, "q", "pop", "v", se="se", repetitions=1000)


def test_more_than_10_quantiles_warns():
    with pytest.warns(SiiWarning, match=r"15 quantiles.*unstable"):
        out = call(records(211, 225), se=None, **CL)
    assert len(out) == 1


def test_a_group_without_every_quantile_is_left_out_with_a_warning():
    data = pd.concat([records(1, 15), records(17, 20)])
    with pytest.warns(SiiWarning, match=r"1 group\(s\) left out.*area2"):
        out = call(data, se=None, **CL)
    assert out["Area"].tolist() == ["area1"]
    assert out.attrs["groups_left_out"] == [("area2", "group A", "group C")]


def test_five_to_ten_quantiles_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(records(1, 20))


# ------------------------------------------------------------------------------------------
# Command line: python -m inequality sii
# ------------------------------------------------------------------------------------------

def sii_cli(*argv, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "inequality", "sii", *map(str, argv)],
                          capture_output=True, text=True, cwd=cwd, timeout=120,
                          check=False)


@pytest.fixture
def doc_csv(tmp_path) -> Path:
    path = tmp_path / "le by decile.csv"
    DOC.to_csv(path, index=False)
    return path


def test_cli_json_has_one_object_per_group_with_the_asked_for_keys(doc_csv):
    r = sii_cli(doc_csv, "--quantile", "decile", "--population", "population", "--value",
                "value", "--group", "area", "--lower", "lowerCL", "--upper", "upperCL",
                "--confidence", "95", "99.8", "--rii", "--intercept", "--reps", "20000",
                "--seed", "3", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["area"] for row in rows] == ["Area1", "Area2"]
    assert set(rows[0]) == {
        "area", "sii", "sii_lower95_0cl", "sii_upper95_0cl", "sii_lower99_8cl",
        "sii_upper99_8cl", "rii", "rii_lower95_0cl", "rii_upper95_0cl", "rii_lower99_8cl",
        "rii_upper99_8cl", "intercept"}
    ref = REF[REF["case"] == "doc_type0_cl"].set_index(["group", "column"])["value"]
    assert rows[0]["sii"] == pytest.approx(ref["Area1", "sii"], rel=1e-6)
    assert rows[1]["intercept"] == pytest.approx(ref["Area2", "intercept"], rel=1e-6)
    again = sii_cli(doc_csv, "--quantile", "decile", "--population", "population", "--value",
                    "value", "--group", "area", "--lower", "lowerCL", "--upper", "upperCL",
                    "--confidence", "0.95", "0.998", "--rii", "--intercept", "--reps",
                    "20000", "--seed", "3", "--json")
    assert json.loads(again.stdout) == rows


def test_cli_default_columns_and_readable_table(doc_csv):
    r = sii_cli(doc_csv, "--quantile", "decile", "--population", "population", "--value",
                "value", "--group", "area", "--se", "StandardError", "--reps", "1000",
                "--seed", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)[0]) == {"area", "sii", "sii_lower95_0cl",
                                            "sii_upper95_0cl"}
    table = sii_cli(doc_csv, "--quantile", "decile", "--population", "population", "--value",
                    "value", "--group", "area", "--se", "StandardError", "--reps", "1000",
                    "--seed", "1")
    assert table.returncode == 0, table.stderr
    assert "Area1" in table.stdout and "sii_lower95_0cl" in table.stdout
    assert "1 = most deprived" in table.stdout and "1,000 repetitions" in table.stdout


def test_cli_rate_with_transform_and_negative_multiplier(tmp_path):
    path = tmp_path / "rates.csv"
    records(386, 405).to_csv(path, index=False)
    r = sii_cli(path, "--quantile", "Quantile", "--population", "Population", "--value",
                "Value", "--group", "Area", "Grouping1", "--lower", "LowerCL", "--upper",
                "UpperCL", "--value-type", "1", "--transform", "--multiplier", "-1", "--rii",
                "--reps", "5000", "--seed", "1", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(row["Area"], row["Grouping1"]) for row in rows] == [("area1", "group A"),
                                                                ("area2", "group A")]
    expected = records(386, 405).dropna(subset=["sii"])       # PHE's Excel tool
    assert [row["sii"] for row in rows] == pytest.approx(expected["sii"].tolist(), rel=1e-6)
    assert [row["rii"] for row in rows] == pytest.approx(expected["rii"].tolist(), rel=1e-6)


@pytest.mark.parametrize(("setup", "args", "message"), [
    pytest.param(None, ["--population", "pop"], "column 'pop' (the population) is not in the "
                 "data", id="missing-column"),
    pytest.param(lambda d: d.assign(population=d["population"].astype(object).where(
        d.index != 4, "1,234")), [], "must hold numbers; '1,234'", id="non-numeric"),
    pytest.param(lambda d: d.assign(population=d["population"].where(d.index != 2, -5)), [],
                 "must be positive", id="negative-population"),
    pytest.param(None, ["--value-type", "1"], "--se-scale 'log'", id="se-scale-needed"),
    pytest.param(None, ["--value-type", "2", "--se-scale", "logit"],
                 "look like percentages", id="percentages-as-proportions"),
])
def test_cli_bad_input_exits_1_with_the_column_rule_and_fix(tmp_path, setup, args, message):
    data = DOC if setup is None else setup(DOC.copy())
    path = tmp_path / "in.csv"
    data.to_csv(path, index=False)
    base = {"--quantile": "decile", "--population": "population", "--value": "value",
            "--se": "StandardError"}
    for flag, col in zip(args[::2], args[1::2]):
        base[flag] = col
    argv = [x for kv in base.items() for x in kv] + ["--group", "area", "--reps", "1000"]
    r = sii_cli(path, *argv)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_cli_missing_file_exits_1(tmp_path):
    r = sii_cli(tmp_path / "none.csv", "--quantile", "q", "--population", "p", "--value", "v",
                "--se", "s")
    assert r.returncode == 1 and "no file at" in r.stderr


@pytest.mark.parametrize("argv", [
    pytest.param(["--population", "population", "--value", "value"], id="no-quantile"),
    pytest.param(["--quantile", "decile", "--population", "population", "--value", "value",
                  "--value-type", "3"], id="bad-value-type"),
    pytest.param(["--quantile", "decile", "--population", "population", "--value", "value",
                  "--se", "StandardError", "--lower", "lowerCL", "--upper", "upperCL"],
                 id="se-and-limits"),
    pytest.param(["--quantile", "decile", "--population", "population", "--value", "value",
                  "--lower", "lowerCL"], id="one-limit"),
    pytest.param(["--quantile", "decile", "--population", "population", "--se",
                  "StandardError"], id="no-value"),
    pytest.param(["--quantile", "decile", "--population", "population", "--value", "value",
                  "--se", "StandardError", "--reps", "many"], id="reps-not-a-number"),
])
def test_cli_usage_errors_exit_2(doc_csv, argv):
    r = sii_cli(doc_csv, *argv)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr


def test_cli_warning_goes_to_stderr(tmp_path):
    path = tmp_path / "fifteen.csv"
    records(211, 225).to_csv(path, index=False)
    r = sii_cli(path, "--quantile", "Quantile", "--population", "Population", "--value",
                "Value", "--lower", "LowerCL", "--upper", "UpperCL", "--reps", "1000",
                "--json")
    assert r.returncode == 0, r.stderr
    assert "warning: 15 quantiles" in r.stderr and len(json.loads(r.stdout)) == 1
