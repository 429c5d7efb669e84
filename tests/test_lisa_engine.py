"""The vectorised Local Moran's I engine (``inequality.metrics.hidden.local_moran``) against
``esda.Moran_Local`` run directly: the same statistic, quadrant and pseudo p-value, exactly.

esda keeps its p-values in float64 only when it keeps the simulations, so the direct runs
here use ``keep_simulations=True`` (the draws and the counts are the same either way) and
every comparison is ``==``, not a tolerance.
"""

from __future__ import annotations

import warnings

import duckdb
import esda
import numpy as np
import pandas as pd
import pytest
from esda.crand import vec_permutations
from libpysal.weights import W, lat2W

from inequality.etl import spatial
from inequality.metrics import hidden
from inequality.metrics.hidden import QUADRANTS, local_moran


def esda_direct(y: np.ndarray, w, permutations: int, seed: int):
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.Moran_Local(y, w, transformation="r", permutations=permutations,
                                seed=seed, keep_simulations=True, n_jobs=1)


def assert_equals_esda(y: np.ndarray, w, permutations: int, seed: int) -> pd.DataFrame:
    m = esda_direct(y, w, permutations, seed)
    out = local_moran(pd.Series(y, index=w.id_order), w, permutations=permutations, seed=seed)
    assert out["local_i"].to_numpy().tobytes() == np.asarray(m.Is, float).tobytes()
    assert out["quadrant"].tolist() == [QUADRANTS[int(q)] for q in m.q]
    p = out["p_sim"].to_numpy()
    mismatch = np.flatnonzero(p != m.p_sim)
    assert mismatch.size == 0, (f"{mismatch.size} p-value(s) differ, e.g. area "
                                f"{mismatch[0]}: {p[mismatch[0]]} vs esda {m.p_sim[mismatch[0]]}")
    return out


@pytest.mark.parametrize("rows, cols, rook", [(5, 5, False), (12, 9, True), (30, 40, False)])
@pytest.mark.parametrize("permutations, seed", [(99, 1), (999, 12345), (17, 2024), (1, 7)])
def test_grids_equal_esda(rows, cols, rook, permutations, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=rows * cols)
    assert_equals_esda(y, lat2W(rows, cols, rook=rook), permutations, seed)


@pytest.mark.parametrize("seed", [3, 12345])
def test_tied_values_equal_esda(seed):
    """Integer values (deciles) give random statistics exactly equal to the observed one:
    the count ``>=`` must treat them as esda does."""
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 4, size=400).astype(float)
    out = assert_equals_esda(y, lat2W(20, 20, rook=False), 999, seed)
    assert out["p_sim"].nunique() > 10


def irregular_weights(n: int, seed: int) -> W:
    """Random neighbour lists (cardinalities 0 to 30, in no particular order, asymmetric),
    with islands, string ids and unequal weights (row-standardised into unequal shares)."""
    rng = np.random.default_rng(seed)
    ids = [f"a{i:03d}" for i in rng.permutation(n)]
    neighbors, weights = {}, {}
    for i, name in enumerate(ids):
        k = 0 if i % 17 == 0 else int(rng.choice([1, 2, 3, 5, 8, 13, 30]))
        others = [j for j in rng.permutation(n)[:k + 1] if j != i][:k]
        neighbors[name] = [ids[j] for j in others]
        weights[name] = rng.uniform(0.5, 3.0, size=len(others)).tolist()
    return W(neighbors, weights, id_order=ids, silence_warnings=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("permutations", [99, 999])
def test_irregular_weights_with_islands_equal_esda(seed, permutations):
    w = irregular_weights(300, seed)
    assert 0 in set(w.cardinalities.values()) and max(w.cardinalities.values()) == 30
    y = np.random.default_rng(seed + 100).lognormal(size=w.n)
    assert_equals_esda(y, w, permutations, seed)


def test_blocks_do_not_change_the_result(monkeypatch):
    """Blocks of one area (a gemv per call) and the default blocks give the same p-values."""
    w = irregular_weights(200, 5)
    y = np.random.default_rng(5).normal(size=w.n)
    s = pd.Series(y, index=w.id_order)
    default = local_moran(s, w, permutations=99, seed=5)["p_sim"]
    monkeypatch.setattr(hidden, "_CRAND_BLOCK", 1)
    single = local_moran(s, w, permutations=99, seed=5)["p_sim"]
    pd.testing.assert_series_equal(default, single)


@pytest.mark.parametrize("max_card, n, permutations, seed", [(8, 1000, 999, 12345),
                                                              (3, 5, 50, 0), (1, 2, 9, 9)])
def test_draws_are_esdas_and_leave_the_global_generator_alone(max_card, n, permutations,
                                                              seed):
    np.random.seed(99)
    before = np.random.get_state()[1].copy()
    ids = hidden._crand_ids(max_card, n, permutations, seed)
    assert np.array_equal(np.random.get_state()[1], before)
    assert np.array_equal(ids, vec_permutations(max_card, n, permutations, seed))
    assert not ids.flags.writeable


def test_weights_are_not_modified_and_repeat_runs_agree():
    w = lat2W(8, 8, rook=False)
    y = pd.Series(np.random.default_rng(8).normal(size=64))
    a = local_moran(y, w, permutations=199, seed=4)
    sparse = w.sparse.copy()
    b = local_moran(y, w, permutations=199, seed=4)
    assert (w.sparse != sparse).nnz == 0 and w.transform == "R"
    pd.testing.assert_frame_equal(a, b)


def test_a_national_lisa_equals_esda(mirror_db):
    """The full mirror: the build's IMD 2025 LISA on the national queen weights (33,755
    LSOAs) equals esda's exactly, statistic, quadrant and p-value of every LSOA."""
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        w, _attached = spatial.boundary_weights(con, "lsoa21")
        n = int(con.execute("SELECT lsoa_count FROM release WHERE release = 'iod2025'")
                .fetchone()[0])
        values, _basis = spatial._lisa_input(con, "iod2025", "imd", n)
    y = values.reindex(w.id_order).astype(float).to_numpy()
    out = assert_equals_esda(y, w, spatial.PERMUTATIONS, spatial.SEED)
    assert len(out) == 33_755
