"""Golden, hand-computed tests for the local-authority summary measures (inequality.metrics.area).

Every expected number is worked out by hand in the comments, from the definitions in the
English Indices of Deprivation 2019 Technical Report (section 3.8, Appendix N).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inequality.metrics import area
from inequality.metrics.area import (
    average_rank,
    average_score,
    extent,
    extent_weight,
    local_concentration,
    percentile_from_rank,
    proportion_most_deprived_10,
    scale,
    summarise_areas,
)

STEP = 0.9 / 19  # extent weight falls by (0.95 - 0.05) / 19 per percentile from the 11th


# --- percentiles and weights ---------------------------------------------------------------
def test_percentile_ceil_rule_on_boundaries():
    # n = 32,844: 100 * 3284 / 32844 = 9.9988 -> 10; 100 * 3285 / 32844 = 10.0018 -> 11
    # 100 * 9853 / 32844 = 29.9994 -> 30; 9854 -> 30.0024 -> 31
    got = percentile_from_rank([1, 328, 329, 3284, 3285, 9853, 9854, 32844], n=32844)
    assert got.tolist() == [1, 1, 2, 10, 11, 30, 31, 100]


def test_percentile_ntile_rule_matches_dplyr():
    # dplyr::ntile(x, 100) with 32,844 values: 44 groups of 329, then 56 groups of 328.
    # rank 329 -> 1, 330 -> 2, 14476 (= 44 * 329) -> 44, 14477 -> 45, 32844 -> 100
    got = percentile_from_rank([1, 329, 330, 3285, 14476, 14477, 32844], n=32844,
                               method="ntile")
    assert got.tolist() == [1, 1, 2, 10, 44, 45, 100]
    # brute force: equal-count bins with the remainder on the first groups
    n = 1234
    q, rem = divmod(n, 100)
    sizes = [q + 1] * rem + [q] * (100 - rem)
    expected = np.repeat(np.arange(1, 101), sizes)
    assert percentile_from_rank(np.arange(1, n + 1), n, method="ntile").tolist() == \
        expected.tolist()


@pytest.mark.parametrize("n", [32482, 32844, 33755])
def test_percentiles_1_to_10_are_exactly_published_decile_1(n):
    ranks = np.arange(1, n + 1)
    pct = percentile_from_rank(ranks, n)
    decile = np.ceil(10 * ranks / n)
    assert np.array_equal(pct <= 10, decile == 1)
    assert np.array_equal(pct <= 30, decile <= 3)


def test_percentile_missing_rank_is_nan_and_bad_method_rejected():
    assert np.isnan(percentile_from_rank([np.nan, 1], n=10)[0])
    with pytest.raises(ValueError, match="method='quantile' is not supported"):
        percentile_from_rank([1], n=10, method="quantile")


def test_extent_weights():
    # 1 for 1..10; 0.95 at 11; 0.95 - 4*STEP at 15; 0.05 at 30; 0 from 31
    got = extent_weight([1, 10, 11, 15, 25, 30, 31, 100])
    expected = [1, 1, 0.95, 0.95 - 4 * STEP, 0.95 - 14 * STEP, 0.05, 0, 0]
    assert got == pytest.approx(expected)
    assert np.isnan(extent_weight([np.nan])[0])


# --- single-area measures: golden numbers --------------------------------------------------
RANKS = [5, 15, 25, 60]
POPS = [100, 200, 300, 400]


def test_average_rank_golden():
    # n = 100, inverted ranks 96, 86, 76, 41
    # (100*96 + 200*86 + 300*76 + 400*41) / 1000 = (9600 + 17200 + 22800 + 16400) / 1000 = 66
    assert average_rank(RANKS, POPS, n=100) == pytest.approx(66.0)


def test_average_rank_most_deprived_counts_n():
    assert average_rank([1], [10], n=32844) == 32844
    assert average_rank([32844], [10], n=32844) == 1


def test_average_score_golden():
    # (100*50 + 200*40 + 300*30 + 400*10) / 1000 = (5000 + 8000 + 9000 + 4000) / 1000 = 26
    assert average_score([50, 40, 30, 10], POPS) == pytest.approx(26.0)


def test_proportion_most_deprived_10_unweighted():
    # n = 100: decile 1 is ranks 1..10 -> only rank 5 of four LSOAs: 1/4, whatever the pops
    assert proportion_most_deprived_10(RANKS, n=100) == 0.25
    # n = 32,844: rank 3,284 is decile 1, rank 3,285 decile 2
    assert proportion_most_deprived_10([3284, 3285], n=32844) == 0.5


def test_extent_golden():
    # n = 100 so percentile = rank. weights: rank 5 -> 1; 15 -> 0.95 - 4*0.9/19 = 14.45/19;
    # 25 -> 0.95 - 14*0.9/19 = 5.45/19; 60 -> 0.
    # extent = (100*1 + 200*14.45/19 + 300*5.45/19) / 1000 = (1900 + 2890 + 1635) / 19000
    #        = 6425 / 19000 = 0.33815789...
    assert extent(RANKS, POPS, n=100) == pytest.approx(6425 / 19000)


def test_extent_all_in_most_deprived_decile_is_one_and_none_is_zero():
    assert extent([1, 2, 10], [5, 6, 7], n=100) == pytest.approx(1.0)
    assert extent([31, 99], [5, 6], n=100) == 0.0


def test_extent_ceil_versus_ntile_percentile():
    # n = 32,844, rank 3,285: ceil rule -> percentile 11 (weight 0.95);
    # dplyr ntile -> percentile 10 (weight 1), as humaniverse/IMD would compute it
    assert extent([3285], [1], n=32844) == pytest.approx(0.95)
    assert extent([3285], [1], n=32844, percentile_method="ntile") == pytest.approx(1.0)


def test_local_concentration_cut_falls_mid_lsoa():
    # total 1000 -> the most deprived 100 people. Sorted by rank: rank 5 (pop 60, inv 96),
    # rank 15 (pop 200, inv 86), ... -> 60 people at 96 + 40 people at 86
    # (60*96 + 40*86) / 100 = (5760 + 3440) / 100 = 92
    assert local_concentration([25, 5, 15, 60], [300, 60, 200, 440], n=100) == \
        pytest.approx(92.0)


def test_local_concentration_cut_exactly_on_lsoa_boundary():
    # total 1000; the rank-5 LSOA holds exactly 100 people -> LC = its inverted rank 96
    assert local_concentration(RANKS, POPS, n=100) == pytest.approx(96.0)


def test_local_concentration_first_lsoa_bigger_than_ten_percent():
    # total 1000, rank-40 LSOA holds 500: the 100 people all come from it -> 61
    assert local_concentration([40, 70], [500, 500], n=100) == pytest.approx(61.0)


def test_local_concentration_three_lsoas_partial_last():
    # n = 1000, pops 30, 30, 940 (total 1000, target 100): 30 @ 999, 30 @ 998, 40 @ 801
    # ranks 2, 3, 200 -> inverted 999, 998, 801
    # (30*999 + 30*998 + 40*801) / 100 = (29970 + 29940 + 32040) / 100 = 919.5
    assert local_concentration([200, 2, 3], [940, 30, 30], n=1000) == pytest.approx(919.5)


def test_scale_golden():
    # income scale: 0.25*1000 + 0.10*2000 = 450 income-deprived people
    assert scale([0.25, 0.10], [1000, 2000]) == pytest.approx(450.0)


# --- missing inputs: NaN, never a guess ----------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: average_rank([1, 2], [10, np.nan], n=10),
        lambda: average_rank([1, np.nan], [10, 10], n=10),
        lambda: average_score([1.0, np.nan], [10, 10]),
        lambda: average_score([1.0, 2.0], [np.nan, 10]),
        lambda: extent([1, 2], [10, np.nan], n=10),
        lambda: local_concentration([1, 2], [np.nan, 10], n=10),
        lambda: proportion_most_deprived_10([1, np.nan], n=10),
        lambda: scale([0.1, np.nan], [10, 10]),
        lambda: scale([0.1, 0.2], [10, np.nan]),
        lambda: average_rank([1], [0], n=10),  # zero population: no average
        lambda: local_concentration([1], [0], n=10),
        lambda: average_rank([], [], n=10),
        lambda: proportion_most_deprived_10([], n=10),
    ],
)
def test_missing_inputs_give_nan(call):
    assert np.isnan(call())


def test_nullable_pandas_inputs_are_accepted():
    ranks = pd.Series([5, 15, 25, 60], dtype="Int64")
    pops = pd.Series([100, 200, 300, None], dtype="Int64")
    assert np.isnan(average_rank(ranks, pops, n=100))
    assert average_rank(ranks, pops.fillna(400), n=100) == pytest.approx(66.0)


# --- validation messages -------------------------------------------------------------------
def test_rank_outside_release_is_rejected():
    with pytest.raises(ValueError, match=r"rank 101 is not a national rank between 1 and n=100"):
        average_rank([101], [1], n=100)
    with pytest.raises(ValueError, match=r"rank 0 is not a national rank"):
        extent([0], [1], n=100)
    with pytest.raises(ValueError, match=r"rank 2\.5 is not a national rank"):
        local_concentration([2.5], [1], n=100)


def test_bad_n_and_lengths_and_negative_population():
    with pytest.raises(ValueError, match=r"n=0 is not a valid number of LSOAs"):
        average_rank([1], [1], n=0)
    with pytest.raises(ValueError, match=r"different lengths"):
        average_rank([1, 2], [1], n=10)
    with pytest.raises(ValueError, match=r"population has negative values"):
        average_score([1.0], [-5])


# --- summarise_areas -----------------------------------------------------------------------
def _random_lsoas(seed: int = 1, areas: int = 25, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ranks = rng.permutation(n) + 1
    codes = rng.integers(0, areas, size=n)
    return pd.DataFrame({
        "area_code": [f"E{c:08d}" for c in codes],
        "rank": ranks,
        "score": rng.gamma(2.0, 10.0, size=n),
        "decile": np.ceil(10 * ranks / n).astype(int),
        "population": rng.integers(800, 3000, size=n).astype(float),
        "income_score": rng.uniform(0, 0.5, size=n),
        "employment_score": rng.uniform(0, 0.4, size=n),
        "working_age_population": rng.integers(400, 2000, size=n).astype(float),
    })


def test_summarise_areas_matches_single_area_functions():
    n = 2000
    df = _random_lsoas(n=n)
    out = summarise_areas(df, n=n).set_index("area_code")
    assert list(out.index) == sorted(df["area_code"].unique())
    for code, g in df.groupby("area_code"):
        row = out.loc[code]
        assert row["lsoa_count"] == len(g)
        assert row["avg_rank"] == pytest.approx(average_rank(g["rank"], g["population"], n))
        assert row["avg_score"] == pytest.approx(average_score(g["score"], g["population"]))
        assert row["prop_most_deprived_10"] == pytest.approx(
            proportion_most_deprived_10(g["rank"], n))
        assert row["extent"] == pytest.approx(extent(g["rank"], g["population"], n))
        assert row["local_concentration"] == pytest.approx(
            local_concentration(g["rank"], g["population"], n))
        assert row["income_scale"] == pytest.approx(scale(g["income_score"], g["population"]))
        assert row["employment_scale"] == pytest.approx(
            scale(g["employment_score"], g["working_age_population"]))


def test_summarise_areas_subset_keeps_national_ranks():
    # Filtering to two areas must not change their values (rank nationally, filter later).
    n = 2000
    df = _random_lsoas(n=n)
    keep = sorted(df["area_code"].unique())[:2]
    full = summarise_areas(df, n=n).set_index("area_code").loc[keep]
    sub = summarise_areas(df[df["area_code"].isin(keep)], n=n).set_index("area_code")
    measures = ["avg_rank", "avg_score", "prop_most_deprived_10", "extent",
                "local_concentration"]
    pd.testing.assert_frame_equal(full[measures], sub[measures])


def test_summarise_areas_golden_and_columns():
    df = pd.DataFrame({
        "area_code": ["B", "A", "A", "A", "A", "B"],
        "rank": [90, 25, 5, 15, 60, 50],
        "score": [5.0, 30.0, 50.0, 40.0, 10.0, 12.0],
        "decile": [9, 3, 1, 2, 6, 5],
        "population": [500, 300, 60, 200, 440, 500],
    })
    out = summarise_areas(df, n=100)
    assert list(out.columns) == [
        "area_code", "lsoa_count", "avg_rank", "avg_score", "prop_most_deprived_10", "extent",
        "local_concentration", "rank_avg_rank", "rank_avg_score",
        "rank_prop_most_deprived_10", "rank_extent", "rank_local_concentration",
    ]
    a, b = out.iloc[0], out.iloc[1]
    assert (a["area_code"], b["area_code"]) == ("A", "B")
    # A: (60*96 + 200*86 + 300*76 + 440*41) / 1000 = (5760 + 17200 + 22800 + 18040) / 1000
    assert a["avg_rank"] == pytest.approx(63.8)
    # A: (60*50 + 200*40 + 300*30 + 440*10) / 1000 = (3000 + 8000 + 9000 + 4400) / 1000
    assert a["avg_score"] == pytest.approx(24.4)
    # A: (60 + 200*14.45/19 + 300*5.45/19) / 1000 = (1140 + 2890 + 1635) / 19000
    assert a["extent"] == pytest.approx(5665 / 19000)
    assert a["local_concentration"] == pytest.approx(92.0)  # 60 @ 96 + 40 @ 86
    # B: ranks 50, 90 -> inverted 51, 11, equal pops -> 31; LC: 100 people all at 51
    assert b["avg_rank"] == pytest.approx(31.0)
    assert b["local_concentration"] == pytest.approx(51.0)
    assert b["prop_most_deprived_10"] == 0.0
    assert b["extent"] == 0.0
    assert out["rank_avg_rank"].tolist() == [1, 2]
    assert str(out["rank_avg_rank"].dtype) == "Int64"


def test_summarise_areas_nan_population_and_score():
    df = pd.DataFrame({
        "area_code": ["A", "A", "B", "B", "C"],
        "rank": [5, 15, 25, 60, 8],
        "score": [50.0, np.nan, 30.0, 10.0, 45.0],
        "decile": [1, 2, 3, 6, 1],
        "population": [100, 200, np.nan, 400, 50],
    })
    out = summarise_areas(df, n=100).set_index("area_code")
    # A: score missing -> avg_score NaN; population complete -> avg_rank computed
    assert np.isnan(out.loc["A", "avg_score"])
    assert out.loc["A", "avg_rank"] == pytest.approx((100 * 96 + 200 * 86) / 300)
    # B: population missing -> every population-weighted measure NaN, not a partial sum
    for m in ["avg_rank", "avg_score", "extent", "local_concentration"]:
        assert np.isnan(out.loc["B", m]), m
        assert out.loc["B", f"rank_{m}"] is pd.NA
    # the unweighted proportion needs no population
    assert out.loc["B", "prop_most_deprived_10"] == 0.0
    # NaN areas are not ranked; the others are ranked among themselves
    assert out.loc["C", "rank_avg_rank"] == 1  # inverted 93 beats A's 89.33
    assert out.loc["A", "rank_avg_rank"] == 2
    assert out.loc["C", "rank_avg_score"] == 1
    assert out.loc["A", "rank_avg_score"] is pd.NA


def test_summarise_areas_missing_rank_and_decile():
    df = pd.DataFrame({
        "area_code": ["A", "A", "B"],
        "rank": [5, np.nan, 50],
        "population": [100, 100, 100],
    })
    out = summarise_areas(df, n=100).set_index("area_code")
    for m in ["avg_rank", "extent", "local_concentration", "prop_most_deprived_10"]:
        assert np.isnan(out.loc["A", m]), m
    assert out.loc["B", "avg_rank"] == 51.0


def test_summarise_areas_ties_rank_min():
    # A and B identical -> same values, both rank 1, C ranks 3 (method "min")
    df = pd.DataFrame({
        "area_code": ["A", "A", "B", "B", "C"],
        "rank": [5, 40, 5, 40, 90],
        "score": [30.0, 10.0, 30.0, 10.0, 2.0],
        "population": [100, 300, 100, 300, 100],
    })
    out = summarise_areas(df, n=100)
    assert out["rank_avg_rank"].tolist() == [1, 1, 3]
    assert out["rank_avg_score"].tolist() == [1, 1, 3]
    assert out["rank_extent"].tolist() == [1, 1, 3]
    # both A and B: 1 of 2 LSOAs in decile 1; C: none
    assert out["rank_prop_most_deprived_10"].tolist() == [1, 1, 3]


def test_summarise_areas_ties_on_zero_extent():
    # C and D have extent 0 (tied) -> both rank 2; nothing ranks 3
    df = pd.DataFrame({
        "area_code": ["A", "C", "D"],
        "rank": [5, 50, 80],
        "population": [100, 100, 100],
    })
    out = summarise_areas(df, n=100, measures=["extent"])
    assert list(out.columns) == ["area_code", "lsoa_count", "extent", "rank_extent"]
    assert out["rank_extent"].tolist() == [1, 2, 2]


def test_summarise_areas_derives_decile_from_rank_and_handles_no_population():
    # IoD 2010 style: ranks only, no deciles, no population denominators
    df = pd.DataFrame({"area_code": ["A", "A", "B"], "rank": [3248, 3249, 40000]})
    out = summarise_areas(df, n=40000)
    assert list(out.columns) == ["area_code", "lsoa_count", "prop_most_deprived_10",
                                 "rank_prop_most_deprived_10"]
    # n = 40,000: decile 1 is ranks 1..4000 -> A has 2 of 2, B 0 of 1
    assert out["prop_most_deprived_10"].tolist() == [1.0, 0.0]


def test_summarise_areas_custom_area_column():
    df = _random_lsoas(n=500).rename(columns={"area_code": "lad24cd"})
    out = summarise_areas(df, area_col="lad24cd", n=500, measures=["avg_rank"])
    assert out.columns[0] == "lad24cd"
    assert out["lsoa_count"].sum() == 500


def test_summarise_areas_errors():
    df = pd.DataFrame({"area_code": ["A"], "rank": [5], "population": [10]})
    with pytest.raises(ValueError, match=r"area column 'lad_code' not found"):
        summarise_areas(df, area_col="lad_code", n=100)
    with pytest.raises(ValueError, match=r"measure 'avg_score' needs column\(s\) \['score'\]"):
        summarise_areas(df, n=100, measures=["avg_score"])
    with pytest.raises(ValueError, match=r"unknown measure\(s\) \['gini'\]"):
        summarise_areas(df, n=100, measures=["gini"])
    with pytest.raises(ValueError, match=r"rank 5 is not a national rank between 1 and n=4"):
        summarise_areas(df, n=4)
    with pytest.raises(ValueError, match=r"1 LSOA\(s\) have no 'area_code'"):
        summarise_areas(pd.DataFrame({"area_code": [None, "A"], "rank": [1, 2]}), n=10)
    with pytest.raises(ValueError, match=r"no summary measure can be computed"):
        summarise_areas(pd.DataFrame({"area_code": ["A"]}), n=10)


def test_summarise_areas_national_scale_shape():
    # ~300 areas x 33,755 LSOAs: one row per area, every area ranked, values in range.
    # (Speed is measured in benchmarks/, not asserted here.)
    n = 33755
    rng = np.random.default_rng(7)
    ranks = rng.permutation(n) + 1
    df = pd.DataFrame({
        "area_code": [f"E{c:08d}" for c in rng.integers(0, 300, size=n)],
        "rank": ranks,
        "score": rng.gamma(2.0, 10.0, size=n),
        "decile": np.ceil(10 * ranks / n).astype(int),
        "population": rng.integers(1000, 3000, size=n).astype(float),
    })
    out = summarise_areas(df, n=n)
    assert len(out) == df["area_code"].nunique()
    assert out["extent"].between(0, 1).all()
    assert out["local_concentration"].between(1, n).all()
    assert out["rank_local_concentration"].notna().all()


# --- estimated scales: rounding to what rounded rates support ------------------------------

def test_rate_decimals_reads_the_published_precision():
    assert area.rate_decimals([0.247, 0.003, 0.609]) == 3
    assert area.rate_decimals([0.25, 0.1]) == 2
    assert area.rate_decimals([1.0, 0.0]) == 0


def test_scale_precision_covers_the_worst_rounding_error():
    # 3-decimal rates: each person's rate is within 0.0005 of MHCLG's, so a scale over
    # 200,000 people can be off by 100 -> nearest 100; 200,001 people -> nearest 1,000
    assert area.scale_precision(200_000, 3) == 100.0
    assert area.scale_precision(200_001, 3) == 1000.0
    assert area.scale_precision(1_000, 3) == 1.0  # bound 0.5 person: whole people
    assert np.isnan(area.scale_precision(float("nan"), 3))
    for denominator in (850.0, 7_400.0, 139_000.0, 560_000.0):
        unit = area.scale_precision(denominator, 3)
        assert unit >= 0.0005 * denominator and unit / 10 < max(0.0005 * denominator, 1)


def test_round_scale():
    assert area.round_scale(53_161.8, 1000.0) == 53_000.0
    assert area.round_scale(435.3, 10.0) == 440.0
    assert np.isnan(area.round_scale(float("nan"), 10.0))


@pytest.mark.parametrize("seed", [0, 1])
def test_area_then_rank_order_is_lexsorts(seed):
    """The local concentration's sort (two 16-bit radix sorts) gives np.lexsort's order
    exactly: ties (an LSOA with no rank counts as rank n), many areas, and ranks that are not
    whole numbers or too large for 16 bits (lexsort itself)."""
    rng = np.random.default_rng(seed)
    n = 33_755
    codes = rng.integers(0, 700, n)
    whole = rng.permutation(n).astype(float) + 1
    whole[rng.integers(0, n, 500)] = float(n)  # repeated ranks
    for rank in (whole, whole + 0.5, whole * 3):
        assert np.array_equal(area._by_area_then_rank(codes, rank), np.lexsort((rank, codes)))
    assert area._by_area_then_rank(codes[:0], whole[:0]).tolist() == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rank_descending_is_pandas_min_rank(seed):
    """The summaries' ranks (1 = most deprived, ties share the best rank, no value no rank)
    equal pandas' Series.rank(method="min", ascending=False) as Int64, value for value."""
    rng = np.random.default_rng(seed)
    v = np.round(rng.normal(size=650), 1)  # rounded: many ties
    v[rng.integers(0, 650, 40)] = np.nan
    v[:3] = [np.inf, -np.inf, -0.0]
    v[3] = 0.0
    expected = pd.Series(v).rank(method="min", ascending=False, na_option="keep").astype("Int64")
    got = pd.Series(area._rank_descending(v))
    pd.testing.assert_series_equal(got, expected)
    assert area._rank_descending([]).tolist() == []
    assert area._rank_descending([np.nan, np.nan]).tolist() == [pd.NA, pd.NA]
