"""The build's spatial step: vectorised queen contiguity equals libpysal's, and the LISAs run
one after another on shared weights give exactly the results of each run alone
(inequality.metrics.hidden.queen_weights, inequality.etl.spatial.national_lisas)."""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from inequality import queries
from inequality.etl import spatial
from inequality.metrics import hidden
from inequality.metrics.hidden import queen_pairs, queen_weights


def libpysal_queen(shapes, ids, crs=None) -> dict[str, list[str]]:
    """Neighbours as libpysal builds them: ``Queen.from_dataframe``, islands joined to their
    nearest representative point (``KNN`` k = 1, British National Grid) by
    ``attach_islands`` -- the construction queen_weights replaced."""
    from libpysal import weights

    gdf = gpd.GeoDataFrame({"id": ids}, geometry=list(shapes), crs=crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = weights.Queen.from_dataframe(gdf, ids=ids, use_index=False, silence_warnings=True)
        if w.islands:
            points = gdf.set_geometry(gdf.representative_point())
            if points.crs is not None and points.crs.is_geographic:
                points = points.to_crs(27700)
            knn = weights.KNN.from_dataframe(points, k=1, ids=ids, use_index=False,
                                             silence_warnings=True)
            w = weights.attach_islands(w, knn, silence_warnings=True)
    # as sets: attach_islands lists a neighbour twice when two islands are each other's nearest
    return {str(i): sorted({str(j) for j in w.neighbors[i]}) for i in ids}


def assert_same_neighbours(shapes, ids, crs=None) -> None:
    w, _ = queen_weights(shapes, ids, crs=crs)
    expected = libpysal_queen(shapes, ids, crs)
    assert list(w.id_order) == list(ids)
    differ = [i for i in ids if w.neighbors[i] != expected[i]]
    assert not differ, (f"{len(differ)} of {len(ids)} neighbour sets differ, e.g. {differ[0]}: "
                        f"{w.neighbors[differ[0]]} vs libpysal {expected[differ[0]]}")


def test_shared_vertices_holes_multipolygons_and_islands_match_libpysal():
    ring = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    shapes = [
        ring,                                   # a square with a hole ...
        box(1, 1, 2, 2),                        # ... and the area filling it (touches the hole)
        box(3, 0, 4, 1),                        # edge-to-edge with the ring
        box(4, 1, 5, 2),                        # corner only (queen, not rook)
        MultiPolygon([box(6, 0, 7, 1), box(5, 2, 6, 3)]),  # second part touches box(4,1,5,2)
        box(3.5, 3, 4.5, 4),                    # near the ring's corner, no shared vertex
        box(20, 20, 21, 21),                    # two islands, each the other's nearest
        box(30, 30, 31, 31),
    ]
    ids = ["ring", "hole", "east", "corner", "multi", "no_vertex", "island", "far"]
    assert_same_neighbours(shapes, ids)
    w, attached = queen_weights(shapes, ids)
    assert w.neighbors["ring"] == ["east", "hole"]
    assert w.neighbors["corner"] == ["east", "multi", "no_vertex"]  # no_vertex attached
    assert attached == {"no_vertex": "corner", "island": "far", "far": "island"}
    assert w.neighbors["island"] == ["far"] and w.neighbors["far"] == ["island"]
    # the same weights without libpysal, ids not in sorted order
    sw, sw_attached = hidden.queen_matrix(shapes, ids)
    assert sw_attached == attached and sw.to_libpysal().neighbors == w.neighbors
    assert list(zip(*sw.pairs())) == [(i, j) for i in ids for j in w.neighbors[i]]
    assert_same_matrix(sw.sparse, w.sparse)


def test_pairs_are_symmetric_unique_and_sorted():
    shapes = [box(c, r, c + 1, r + 1) for r in range(4) for c in range(4)]
    i, j = queen_pairs(shapes)
    pairs = list(zip(i.tolist(), j.tolist()))
    assert pairs == sorted(set(pairs)) and all(a != b for a, b in pairs)
    assert set(pairs) == {(b, a) for a, b in pairs}
    assert len(pairs) == 2 * (2 * 4 * 3 + 2 * 3 * 3)  # rook edges + both diagonals


def test_negative_zero_is_the_same_vertex_as_zero():
    # on the Greenwich meridian a vertex may be written -0.0 on one side: == (and libpysal's
    # dictionary of vertex tuples) treats it as 0.0, so the two areas touch
    west = shapely.Polygon([(-1, 51), (-0.0, 51), (-0.0, 52), (-1, 52)])
    east = shapely.Polygon([(0.0, 52), (0.0, 51), (1, 51), (1, 52)])
    far = box(5, 5, 6, 6)
    i, j = queen_pairs([west, east, far])
    assert (i.tolist(), j.tolist()) == ([0, 1], [1, 0])
    assert_same_neighbours([west, east, far], ["w", "e", "f"])


@pytest.mark.parametrize("geography", ["lsoa11", "lsoa21"])
def test_fixture_boundaries_match_libpysal(fixture_db, geography):
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        geo = queries.geometries(con, geography, None, "full")
    shapes = shapely.from_wkb([bytes(b) for b in geo["wkb"]])
    assert_same_neighbours(shapes, geo["code"].tolist(), crs="EPSG:4326")


@pytest.mark.parametrize("source_id,column", [("boundaries_lsoa11", "LSOA11CD"),
                                              ("boundaries_lsoa21", "LSOA21CD")])
def test_every_lsoa_of_the_full_mirror_has_libpysals_neighbours(full_mirror, source_id,
                                                                  column):
    path = next((Path(full_mirror) / source_id).glob("*.parquet"))
    gdf = gpd.read_parquet(path)
    gdf = gdf[gdf[column].str.startswith("E")].to_crs("EPSG:4326")
    assert len(gdf) > 32_000
    assert_same_neighbours(gdf.geometry.to_numpy(), gdf[column].tolist(), crs="EPSG:4326")


def test_lisas_in_sequence_equal_each_run_alone(fixture_db):
    """national_lisas reuses the weights (their sparse matrix, row-standardised once) and the
    cached permutation draws from run to run; each result equals a run on fresh weights
    with nothing cached."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        w, _ = spatial.boundary_weights(con, "lsoa11")
        n = int(queries.release(con, "iod2019")["lsoa_count"])
        inputs = [spatial._lisa_input(con, "iod2019", m, n) for m in ("imd", "income")]
        inputs.append(spatial._lisa_input(con, "iod2015", "imd", n))
        alone = []
        for values, basis in inputs:
            hidden._crand_ids.cache_clear()
            fresh, _ = spatial.boundary_weights(con, "lsoa11")
            alone.append(spatial._lisa_frame(values, basis, fresh, spatial.PERMUTATIONS,
                                             spatial.SEED))
    hidden._crand_ids.cache_clear()
    together = spatial.national_lisas(inputs, w)
    assert len(together) == len(alone) == 3
    for a, b in zip(together, alone):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert together[0]["p_sim"].nunique() > 1  # a real result, not a constant


def assert_same_matrix(a, b) -> None:
    """Two CSR matrices equal entry for entry and in layout (the order of the sums)."""
    a, b = a.tocsr(), b.tocsr()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data) and a.data.dtype == b.data.dtype


@pytest.mark.parametrize("geography", ["lsoa11", "lsoa21"])
def test_sparse_weights_are_libpysals_weights(fixture_db, geography):
    """The build's weights (SparseWeights, no libpysal) are libpysal's W of the same
    neighbours: the same matrix binary and row-standardised, the same subset, the same
    neighbour lists, and the links in the order the neighbour table stores them."""
    from libpysal.weights import w_subset

    with duckdb.connect(str(fixture_db), read_only=True) as con:
        w, attached = spatial.boundary_weights(con, geography)
        sw, sw_attached = spatial.boundary_weights(con, geography, libpysal=False)
    assert isinstance(sw, hidden.SparseWeights) and attached == sw_attached
    assert sw.id_order == list(w.id_order) and sw.n == w.n
    assert sw.to_libpysal().neighbors == w.neighbors
    lsoa, neighbour = sw.pairs()
    assert list(zip(lsoa, neighbour)) == [(i, j) for i in w.id_order for j in w.neighbors[i]]
    assert_same_matrix(sw.sparse, w.sparse)
    w.transform, sw.transform = "r", "r"
    assert sw.transform == "R"
    assert_same_matrix(sw.sparse, w.sparse)
    keep = w.id_order[::3]  # two LSOAs in three dropped: links to them go
    assert_same_matrix(sw.subset(keep).sparse, w_subset(w, keep, silence_warnings=True).sparse)
    assert sw.subset(keep).id_order == keep
    assert (sw.cardinalities() > 0).all() and sw.sparse.nnz == sum(w.cardinalities.values())


def test_a_lisa_on_sparse_weights_equals_one_on_libpysals(fixture_db):
    """The build's LISA (SparseWeights) equals the one on libpysal's W exactly, with every
    LSOA valued and with some left out (the subset)."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        n = int(queries.release(con, "iod2019")["lsoa_count"])
        values, basis = spatial._lisa_input(con, "iod2019", "income", n)
        w, _ = spatial.boundary_weights(con, "lsoa11")
        sw, _ = spatial.boundary_weights(con, "lsoa11", libpysal=False)
    for given in (values, values.iloc[::2]):
        a = spatial._lisa_frame(given, basis, w, spatial.PERMUTATIONS, spatial.SEED)
        b = spatial._lisa_frame(given, basis, sw, spatial.PERMUTATIONS, spatial.SEED)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a["p_sim"].nunique() > 1


def test_weights_from_the_neighbour_table_are_the_boundaries_weights(fixture_db):
    """The hidden page's national weights, rebuilt from the build's lsoa_neighbour table
    (SparseWeights.from_pairs), are the queen weights of the boundaries; pairs listed one
    way only are refused."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        for geography in ("lsoa11", "lsoa21"):
            pairs = queries.neighbour_pairs(con, geography)
            table = hidden.SparseWeights.from_pairs(pairs["lsoa_code"], pairs["neighbour_code"])
            boundaries, _ = spatial.boundary_weights(con, geography, libpysal=False)
            assert table.id_order == boundaries.id_order
            assert_same_matrix(table.sparse, boundaries.sparse)
    with pytest.raises(ValueError, match="both ways"):
        hidden.SparseWeights.from_pairs(["a", "b"], ["b", "c"])


def test_neighbours_without_the_table_are_the_tables(fixture_db, tmp_path):
    """A database whose neighbour table holds nothing (or that has none, built before it):
    the hidden page's pairs of an authority's LSOAs come from weights computed from the
    boundaries, and are the rows the table would give."""
    from inequality.services import hidden as service

    copy = tmp_path / "old.duckdb"
    copy.write_bytes(Path(fixture_db).read_bytes())
    with duckdb.connect(str(copy)) as con:
        codes = con.execute("SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa11' AND "
                            "lad24_code = 'E06000017' ORDER BY 1").fetchall()
        codes = [c for (c,) in codes][::2]  # half of Rutland: links leave the set
        expected = queries.neighbour_pairs(con, "lsoa11", codes)
        con.execute("DELETE FROM lsoa_neighbour")
        service._MEMO.clear()
        got = service._pairs(con, "lsoa11", codes)
    key = ["lsoa_code", "neighbour_code"]
    expected = expected[key + ["attached"]].sort_values(key).reset_index(drop=True)
    got = got[key + ["attached"]].sort_values(key).reset_index(drop=True)
    assert len(got) > len(codes) and not got["neighbour_code"].isin(codes).all()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
