"""Golden, hand-built tests for the hidden-deprivation metrics (inequality.metrics.hidden).

Spatial tests use grids of unit squares whose outliers are known by construction, and check
that the Local Moran's I step returns exactly what ``esda.Moran_Local`` returns when run
directly on the same values, weights, permutations and seed.
"""

from __future__ import annotations

import warnings

import esda
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W
from shapely.geometry import box

from inequality.metrics import hidden
from inequality.metrics.hidden import (
    ONS_PROFILES,
    deprived_outside_deprived_areas,
    fdr_q_values,
    global_moran,
    internal_disparity,
    local_deciles,
    local_moran,
    masked_pockets,
    profile_shape,
    queen_weights,
    rural_urban_split,
)

# --- hand-built grids ----------------------------------------------------------------------

def grid(n: int) -> tuple[list, list[str]]:
    """n x n unit squares, ids 'r{row}c{col}' (row-major)."""
    shapes = [box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)]
    ids = [f"r{r}c{c}" for r in range(n) for c in range(n)]
    return shapes, ids


def field(ids: list[str]) -> pd.Series:
    """An ordinary field: values 1.0, 1.1, 1.2 repeating (no spatial pattern)."""
    return pd.Series([1 + (i % 3) / 10 for i in range(len(ids))], index=ids, dtype=float)


CENTRE_RING = ["r1c1", "r1c2", "r1c3", "r2c1", "r2c3", "r3c1", "r3c2", "r3c3"]


def test_queen_weights_on_a_grid_count_corners_and_cross_borders():
    shapes, ids = grid(5)
    w, attached = queen_weights(shapes, ids)
    assert attached == {}
    assert sorted(w.neighbors["r2c2"]) == sorted(CENTRE_RING)  # queen: corners touch
    assert len(w.neighbors["r0c0"]) == 3 and len(w.neighbors["r0c2"]) == 5
    assert w.neighbors["r2c2"] == sorted(w.neighbors["r2c2"])  # canonical order


def test_queen_weights_attach_and_report_islands():
    shapes, ids = grid(3)
    shapes.append(box(10, 10, 11, 11))  # a far island, nearest to the top-right square
    ids.append("island")
    w, attached = queen_weights(shapes, ids)
    assert attached == {"island": "r2c2"}
    assert w.neighbors["island"] == ["r2c2"] and "island" in w.neighbors["r2c2"]
    assert w.islands == []
    with pytest.raises(ValueError, match="ids must be unique"):
        queen_weights(shapes[:2], ["a", "a"])


def test_one_deprived_square_ringed_by_the_least_deprived_is_a_flagged_hl_pocket():
    # 5 x 5 grid, an ordinary field (1.0-1.2); the centre is deprived (5.0) and its eight
    # queen neighbours are the least deprived squares of the grid (0.0). Under conditional
    # permutation no random set of eight other squares is as low, so the pseudo p-value is
    # the smallest possible, 1 / (999 + 1), and it survives BH over the 25 tests.
    shapes, ids = grid(5)
    w, _ = queen_weights(shapes, ids)
    y = field(ids)
    y[CENTRE_RING] = 0.0
    y["r2c2"] = 5.0
    out = local_moran(y, w, permutations=999, seed=12345)
    out["q"] = fdr_q_values(out["p_sim"])
    centre = out.loc["r2c2"]
    assert centre["quadrant"] == "HL"
    assert centre["local_i"] < 0
    assert centre["p_sim"] == 1 / 1000
    assert centre["neighbour_mean"] == 0.0
    assert centre["q"] <= 0.05  # flagged as a pocket at a 5% false discovery rate
    flagged = out[(out["quadrant"] == "HL") & (out["q"] <= 0.05)]
    assert flagged.index.tolist() == ["r2c2"]


def test_a_deprived_block_is_a_flagged_hh_cluster():
    # A 3 x 3 deprived block (5.0) in the corner of the ordinary field: the block's centre
    # r1c1 has all eight neighbours deprived, the highest possible spatial lag: HH.
    shapes, ids = grid(5)
    w, _ = queen_weights(shapes, ids)
    y = field(ids)
    block = [f"r{r}c{c}" for r in range(3) for c in range(3)]
    y[block] = 5.0
    out = local_moran(y, w, permutations=999, seed=12345)
    out["q"] = fdr_q_values(out["p_sim"])
    assert out.loc["r1c1", "quadrant"] == "HH"
    assert out.loc["r1c1", "p_sim"] == 1 / 1000
    assert out.loc["r1c1", "q"] <= 0.05
    assert not ((out["quadrant"] == "HL") & (out["q"] <= 0.05)).any()


def test_a_lone_high_value_in_a_uniform_field_is_not_significant():
    # The permutation test asks whether the neighbours are unusual *for this map*: if every
    # other square is alike, the neighbours are not, and nothing should be claimed.
    shapes, ids = grid(5)
    w, _ = queen_weights(shapes, ids)
    y = field(ids)
    y["r2c2"] = 5.0
    out = local_moran(y, w, permutations=999, seed=12345)
    assert out.loc["r2c2", "quadrant"] == "HL"
    assert out.loc["r2c2", "p_sim"] > 0.05


@pytest.mark.parametrize("seed", [1, 12345])
def test_local_moran_equals_esda_run_directly(seed):
    rng = np.random.default_rng(7)
    w = lat2W(7, 7, rook=False)
    y = pd.Series(rng.gamma(2.0, 10.0, 49))
    ours = local_moran(y, w, permutations=999, seed=seed)
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = esda.Moran_Local(y.to_numpy(), w, permutations=999, seed=seed)
    assert np.array_equal(ours["local_i"].to_numpy(), direct.Is)
    assert np.array_equal(ours["p_sim"].to_numpy(), direct.p_sim)  # bit for bit
    assert ours["quadrant"].tolist() == [hidden.QUADRANTS[q] for q in direct.q]


def test_local_moran_aligns_values_to_the_weights_and_rejects_gaps():
    shapes, ids = grid(3)
    w, _ = queen_weights(shapes, ids)
    y = field(ids)
    shuffled = y.sample(frac=1.0, random_state=3)
    a = local_moran(y, w, permutations=99, seed=1)
    b = local_moran(shuffled, w, permutations=99, seed=1)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="have no value"):
        local_moran(y.drop("r0c0"), w)
    y2 = y.copy()
    y2["r0c0"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        local_moran(y2, w)
    with pytest.raises(ValueError, match="pandas Series"):
        local_moran(y.to_numpy(), w)


def test_global_moran_equals_esda_and_is_reproducible():
    w = lat2W(6, 6, rook=False)
    y = pd.Series(np.repeat([3.0, 1.0], 18))  # top half deprived, bottom half not
    r = global_moran(y, w, permutations=999, seed=4)
    w.transform = "r"
    np.random.seed(4)
    direct = esda.Moran(y.to_numpy(), w, permutations=999)
    assert r["I"] == pytest.approx(direct.I) and r["p_sim"] == direct.p_sim
    assert r["I"] > 0.5 and r["p_sim"] == 0.001 and r["n"] == 36
    assert global_moran(y, w, permutations=999, seed=4) == r
    tiny = lat2W(1, 2)
    assert global_moran(pd.Series([1.0, 2.0]), tiny)["I"] is None


# --- q-values ---------------------------------------------------------------------------------

def test_benjamini_hochberg_by_hand():
    # p sorted: 0.005 (k=1), 0.01 (2), 0.03 (3), 0.04 (4), 0.5 (5); m = 5
    # raw p*m/k: 0.025, 0.025, 0.05, 0.05, 0.5; step-up minimum from the top keeps them.
    q = fdr_q_values([0.04, 0.005, 0.5, 0.01, 0.03])
    assert q.round(6).tolist() == [0.05, 0.025, 0.5, 0.025, 0.05]
    with pytest.raises(ValueError, match="between 0 and 1"):
        fdr_q_values([1.5])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benjamini_hochberg_equals_scipy_exactly(seed):
    """fdr_q_values does scipy.stats.false_discovery_control's arithmetic without importing
    it: equal bit for bit, with ties (pseudo p-values of 999 permutations tie often), ones
    and missing values."""
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(seed)
    p = np.r_[(rng.integers(1, 1001, 5000) / 1000.0), rng.uniform(size=5000), 1.0, 1.0]
    rng.shuffle(p)
    assert np.array_equal(fdr_q_values(p), false_discovery_control(p, method="bh"))
    with_gaps = p.copy()
    with_gaps[::7] = np.nan
    ok = ~np.isnan(with_gaps)
    out = fdr_q_values(with_gaps)
    assert np.isnan(out[~ok]).all()
    assert np.array_equal(out[ok], false_discovery_control(with_gaps[ok], method="bh"))


# --- deprived people outside deprived places ----------------------------------------------

def test_deprived_outside_deprived_areas_by_hand():
    # deprived people: 0.30*2000=600 (decile 1), 0.20*1500=300 (2), 0.10*1000=100 (3),
    # 0.05*2000=100 (9): total 1,100; outside decile 1: 500 (45.45%); outside 1-2: 200 (18.18%)
    out = deprived_outside_deprived_areas([0.3, 0.2, 0.1, 0.05], [2000, 1500, 1000, 2000],
                                          [1, 2, 3, 9]).set_index("max_decile")
    assert out.loc[1, "deprived_total"] == pytest.approx(1100)
    assert out.loc[1, "deprived_outside"] == pytest.approx(500)
    assert out.loc[1, "share_outside"] == pytest.approx(500 / 1100)
    assert out.loc[2, "deprived_inside"] == pytest.approx(900)
    assert out.loc[2, "share_outside"] == pytest.approx(200 / 1100)
    assert out.loc[2, "label"] == "outside the most deprived 20%"


def test_deprived_outside_needs_every_value():
    with pytest.raises(ValueError, match="population value"):
        deprived_outside_deprived_areas([0.1, 0.2], [100, None], [1, 2])
    with pytest.raises(ValueError, match="lengths"):
        deprived_outside_deprived_areas([0.1], [100, 200], [1, 2])
    zero = deprived_outside_deprived_areas([0.0], [100], [5])
    assert zero["share_outside"].isna().all()


# --- rural and urban --------------------------------------------------------------------------

def test_rural_urban_split_by_class():
    lsoas = pd.DataFrame({
        "ruc_code": ["E1", "E1", "D1", "C1", "C1", None],
        "ruc_name": ["Village", "Village", "Town and fringe", "City and town",
                     "City and town", None],
        "urban_rural": ["Rural", "Rural", "Rural", "Urban", "Urban", None],
        "imd_decile": [2, 6, 1, 1, 10, 5],
        "pop_total": [1000, 1000, 1000, 2000, 2000, 1000],
        "income_score": [0.2, 0.1, 0.3, 0.25, 0.05, 0.1]})
    out = rural_urban_split(lsoas)
    classes = out[out["level"] == "class"].set_index("ruc_code")
    broad = out
    broad = broad[broad["level"] == "broad"].set_index("urban_rural")
    assert broad.index.tolist() == ["Rural", "Urban", "Unclassified"]
    # rural: deciles 2, 6, 1 -> 2 of 3 in the worst 20%; 200 + 100 + 300 = 600 deprived
    assert broad.loc["Rural", "share_most_deprived_20"] == pytest.approx(2 / 3)
    assert broad.loc["Rural", "income_deprived"] == pytest.approx(600)
    assert broad.loc["Rural", "population"] == 3000
    # all: 600 + 500 + 100 + 100 = 1,300
    assert broad.loc["Rural", "share_of_income_deprived"] == pytest.approx(600 / 1300)
    assert broad.loc["Urban", "d1"] == 1 and broad.loc["Urban", "d10"] == 1
    assert classes.loc["E1", "lsoa_count"] == 2 and classes.loc["E1", "median_decile"] == 4.0
    assert classes.loc["-", "urban_rural"] == "Unclassified"


def test_rural_urban_split_without_population_gives_nan_people():
    lsoas = pd.DataFrame({"ruc_code": ["E1"], "ruc_name": ["Village"],
                          "urban_rural": ["Rural"], "imd_decile": [3]})
    out = rural_urban_split(lsoas)
    assert out["income_deprived"].isna().all() and out["lsoa_count"].tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="imd_decile"):
        rural_urban_split(lsoas.drop(columns="imd_decile"))


# --- masked pockets, local deciles ------------------------------------------------------------

def test_masked_pockets_thresholds():
    lsoas = pd.DataFrame({
        "imd_decile":      [3, 4, 4, 9, 6],
        "income_decile":   [1, 1, 3, 2, 5],
        "employment_decile": [1, 3, 2, 7, 5],
        "health_decile":   [2, 5, 5, 5, None],
        "education_decile": [1, 4, 4, 1, 5],
        "geographical_barriers_decile": [1, 9, 9, 9, 2]})
    out = masked_pockets(lsoas)
    # IMD decile 3 is not "middling": not masked even with every domain in decile 1-2
    assert out["masked"].tolist() == [False, True, True, True, True]
    assert out.loc[1, "masked_domains"] == ["income"]
    assert out.loc[2, "masked_domains"] == ["employment"]
    assert out.loc[3, "masked_domains"] == ["income", "education"]
    assert out.loc[4, "masked_domains"] == ["geographical_barriers"]
    # a release without a domain's deciles just skips it
    assert masked_pockets(lsoas[["imd_decile", "income_decile"]])["masked"].sum() == 2
    with pytest.raises(ValueError, match="imd_decile"):
        masked_pockets(lsoas.drop(columns="imd_decile"))


def test_local_deciles_rank_within_the_place():
    # 20 LSOAs: two per local decile; a decile-5 LSOA can be local decile 1
    ranks = [16000 + 10 * i for i in range(20)]
    out = local_deciles(ranks)
    assert out.tolist() == [float(d) for d in np.repeat(np.arange(1, 11), 2)]
    assert local_deciles([5.0, np.nan, 1.0]).tolist()[0] == 10.0
    assert np.isnan(local_deciles([5.0, np.nan, 1.0])[1])


# --- profile --------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(ONS_PROFILES))
def test_each_ons_template_is_its_own_nearest(key):
    shares = np.asarray(ONS_PROFILES[key][1]) / 100
    r = profile_shape(shares)
    assert r["profile"] == key and r["distance"] == 0.0
    assert list(r["distances"])[0] == key


def test_ons_templates_are_distributions():
    for name, values in ONS_PROFILES.values():
        assert len(values) == 10 and sum(values) == pytest.approx(100, abs=0.05), name


def test_profile_shape_distance_by_hand():
    # all LSOAs in decile 1: distance to 'more deprived' is
    # sqrt(80^2 + 17.8^2 + 15.6^2 + 13.3^2 + 11.1^2 + 8.9^2 + 6.7^2 + 4.4^2 + 2.2^2)
    expected = np.sqrt(80 ** 2 + sum(v ** 2 for v in (17.8, 15.6, 13.3, 11.1, 8.9, 6.7, 4.4,
                                                      2.2)))
    r = profile_shape([1] + [0] * 9)
    assert r["profile"] == "more_deprived"
    assert r["distance"] == pytest.approx(round(expected, 2))
    with pytest.raises(ValueError, match="10 numbers"):
        profile_shape([0.5, 0.5])


def test_internal_disparity():
    assert internal_disparity([0.05, 0.41, 0.12]) == pytest.approx(0.36)
    assert np.isnan(internal_disparity([np.nan]))
