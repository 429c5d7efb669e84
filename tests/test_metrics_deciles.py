"""Tests for decile tracking across releases (inequality.metrics.deciles)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from inequality.metrics.deciles import (
    RELATIVE_WARNING,
    decile_distribution,
    decile_from_rank,
    decile_shares_by_area,
    nearest_neighbours,
    transition_matrix,
)


# --- decile_from_rank ----------------------------------------------------------------------
def test_decile_boundaries_when_n_divisible_by_ten():
    # n = 1000: rank n/10 = 100 -> 1, n/10 + 1 = 101 -> 2, n -> 10
    assert decile_from_rank([1, 100, 101, 200, 201, 999, 1000], n=1000).tolist() == \
        [1, 1, 2, 2, 3, 10, 10]


@pytest.mark.parametrize(
    ("n", "last_in_decile_1"),
    [(32482, 3248), (32844, 3284), (33755, 3375)],  # floor(n / 10): 3248.2, 3284.4, 3375.5
)
def test_decile_boundaries_for_each_release(n, last_in_decile_1):
    got = decile_from_rank([1, last_in_decile_1, last_in_decile_1 + 1, n], n=n)
    assert got.tolist() == [1, 1, 2, 10]
    assert got.dtype == np.int64


def test_decile_groups_are_near_equal():
    n = 32844
    counts = np.bincount(decile_from_rank(np.arange(1, n + 1), n))[1:]
    assert counts.sum() == n
    assert set(counts.tolist()) <= {3284, 3285}


def test_decile_from_rank_accepts_series_and_rejects_bad_input():
    assert decile_from_rank(pd.Series([1, 10], dtype="Int64"), n=10).tolist() == [1, 10]
    with pytest.raises(ValueError, match=r"1 rank\(s\) are missing"):
        decile_from_rank([1, np.nan], n=10)
    with pytest.raises(ValueError, match=r"rank 11 is not a national rank between 1 and n=10"):
        decile_from_rank([11], n=10)
    with pytest.raises(ValueError, match=r"n=-5 is not a valid number of LSOAs"):
        decile_from_rank([1], n=-5)


# --- decile_distribution -------------------------------------------------------------------
def test_decile_distribution_includes_all_ten_with_zeros():
    dist = decile_distribution([1, 1, 1, 4, 10])
    assert dist["decile"].tolist() == list(range(1, 11))
    assert dist["count"].tolist() == [3, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert dist["share"].tolist() == pytest.approx([0.6, 0, 0, 0.2, 0, 0, 0, 0, 0, 0.2])


def test_decile_distribution_missing_and_empty():
    dist = decile_distribution(pd.Series([1, None, 2], dtype="Int64"))
    assert dist["count"].sum() == 2
    assert dist.loc[0, "share"] == 0.5
    empty = decile_distribution([])
    assert empty["count"].tolist() == [0] * 10
    assert empty["share"].isna().all()
    with pytest.raises(ValueError, match=r"deciles value 11 is not a decile"):
        decile_distribution([1, 11])


def test_decile_shares_by_area():
    df = pd.DataFrame({"area_code": ["B", "A", "A", "B"], "decile": [3, 1, 2, 3]})
    shares = decile_shares_by_area(df)
    assert shares.index.tolist() == ["A", "B"]
    assert shares.columns.tolist() == list(range(1, 11))
    assert shares.loc["A", 1] == 0.5 and shares.loc["A", 2] == 0.5
    assert shares.loc["B", 3] == 1.0
    assert np.allclose(shares.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match=r"column\(s\) \['decile'\] not found"):
        decile_shares_by_area(df.drop(columns="decile"))


def test_decile_shares_by_area_from_counts_equal_those_from_lsoas():
    df = pd.DataFrame({"area_code": ["B", "A", "A", "B", None], "decile": [3, 1, 2, 3, 4]})
    counts = pd.DataFrame({"lad": ["A", "A", "B", "B", None], "decile": [1, 2, 3, 7, 4],
                           "n": [1, 1, 2, 0, 5]})
    by_counts = decile_shares_by_area(counts, area_col="lad", count_col="n")
    assert by_counts.to_numpy().tolist() == decile_shares_by_area(df).to_numpy().tolist()
    assert by_counts.index.tolist() == ["A", "B"] and by_counts.index.name == "lad"
    with pytest.raises(ValueError, match=r"n value 1.5 is not a count of LSOAs"):
        decile_shares_by_area(counts.assign(n=[1, 1.5, 2, 0, 5]), area_col="lad",
                              count_col="n")


# --- transition_matrix ---------------------------------------------------------------------
def test_transition_matrix_counts_and_shape():
    pairs = pd.DataFrame({
        "decile_from": [1, 1, 1, 2, 10],
        "decile_to":   [1, 1, 2, 1, 9],
    })
    m = transition_matrix(pairs)
    assert m.shape == (10, 10)
    assert m.index.tolist() == list(range(1, 11)) and m.columns.tolist() == list(range(1, 11))
    assert m.index.name == "decile_from" and m.columns.name == "decile_to"
    assert m.loc[1, 1] == 2 and m.loc[1, 2] == 1 and m.loc[2, 1] == 1 and m.loc[10, 9] == 1
    assert m.to_numpy().sum() == 5
    assert m.to_numpy().dtype == np.int64
    # rows: where the earlier release's LSOAs went; 2 of 3 decile-1 LSOAs stayed
    assert m.loc[1, 1] / m.loc[1].sum() == pytest.approx(2 / 3)


def test_transition_matrix_weights_for_split_lsoas():
    # LSOA x (decile 1) split into two successors in deciles 1 and 2: weight 1/2 each;
    # LSOA y (decile 3) unchanged: weight 1. Total weight = number of earlier LSOAs = 2.
    pairs = pd.DataFrame({
        "from": [1, 1, 3], "to": [1, 2, 3], "w": [0.5, 0.5, 1.0],
    })
    m = transition_matrix(pairs, from_col="from", to_col="to", weight_col="w")
    assert m.loc[1, 1] == 0.5 and m.loc[1, 2] == 0.5 and m.loc[3, 3] == 1.0
    assert m.to_numpy().sum() == pytest.approx(2.0)


def test_transition_matrix_missing_pairs_dropped_and_errors():
    pairs = pd.DataFrame({"decile_from": [1, 2, np.nan], "decile_to": [1, np.nan, 3]})
    assert transition_matrix(pairs).to_numpy().sum() == 1
    with pytest.raises(ValueError, match=r"column\(s\) \['w'\] not found"):
        transition_matrix(pairs, weight_col="w")
    with pytest.raises(ValueError, match=r"decile_to value 0 is not a decile"):
        transition_matrix(pd.DataFrame({"decile_from": [1], "decile_to": [0]}))
    with pytest.raises(ValueError, match=r"missing or negative weights"):
        transition_matrix(pd.DataFrame({"decile_from": [1], "decile_to": [1], "w": [-1.0]}),
                          weight_col="w")


# --- nearest_neighbours --------------------------------------------------------------------
def _shares() -> pd.DataFrame:
    rows = {
        "A": [0.5, 0.5] + [0.0] * 8,
        "B": [0.0, 1.0] + [0.0] * 8,           # A -> B: move 0.5 one decile: W1 = 0.5
        "C": [0.5] + [0.0] * 8 + [0.5],        # A -> C: move 0.5 eight deciles: W1 = 4.0
        "D": [0.4, 0.6] + [0.0] * 8,           # A -> D: move 0.1 one decile: W1 = 0.1
        "E": [0.0] * 9 + [1.0],                # A -> E: 0.5*9 + 0.5*8 = 8.5
        "F": [np.nan] * 10,                    # missing: never a neighbour
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=range(1, 11))


def test_nearest_neighbours_wasserstein_golden():
    got = nearest_neighbours(_shares(), "A", k=3)
    assert got.columns.tolist() == ["area_code", "distance"]
    assert got["area_code"].tolist() == ["D", "B", "C"]
    assert got["distance"].tolist() == pytest.approx([0.1, 0.5, 4.0])


def test_nearest_neighbours_other_metrics():
    tv = nearest_neighbours(_shares(), "A", k=4, metric="total_variation")
    # TV(A, D) = 0.5 * (0.1 + 0.1) = 0.1; TV(A, B) = TV(A, C) = 0.5; TV(A, E) = 1.0
    assert tv["area_code"].tolist() == ["D", "B", "C", "E"]  # B, C tied: by area code
    assert tv["distance"].tolist() == pytest.approx([0.1, 0.5, 0.5, 1.0])
    eu = nearest_neighbours(_shares(), "A", k=1, metric="euclidean")
    assert eu["distance"].tolist() == pytest.approx([np.sqrt(0.02)])


def test_nearest_neighbours_excludes_self_and_missing_and_caps_k():
    got = nearest_neighbours(_shares(), "A", k=50)
    assert "A" not in got["area_code"].tolist()
    assert "F" not in got["area_code"].tolist()
    assert len(got) == 4


def test_nearest_neighbours_accepts_string_columns_from_shares_builder():
    shares = _shares().rename(columns=str)
    assert nearest_neighbours(shares, "A", k=1)["area_code"].tolist() == ["D"]


def test_nearest_neighbours_errors():
    with pytest.raises(ValueError, match=r"area_code 'Z' is not in the shares table"):
        nearest_neighbours(_shares(), "Z")
    with pytest.raises(ValueError, match=r"area_code 'F' has missing decile shares"):
        nearest_neighbours(_shares(), "F")
    with pytest.raises(ValueError, match=r"lacks decile column\(s\) \[10\]"):
        nearest_neighbours(_shares().drop(columns=10), "A")
    counts = _shares() * 10
    with pytest.raises(ValueError, match=r"sum to 10, not 1"):
        nearest_neighbours(counts, "A")
    with pytest.raises(ValueError, match=r"metric='cosine' is not supported"):
        nearest_neighbours(_shares(), "A", metric="cosine")
    with pytest.raises(ValueError, match=r"k=0 is not a positive whole number"):
        nearest_neighbours(_shares(), "A", k=0)


def test_relative_warning_says_relative_not_absolute():
    text = RELATIVE_WARNING.lower()
    assert "relative" in text
    assert "decile 1" in text
    assert "not necessarily" in text and "absolute" in text
