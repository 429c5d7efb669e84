"""The national display geometry (inequality/etl/display.py) and the England map's compact
encoding (present/maps.py: flat_rows, palette_of): simplified LSOAs still tile the country,
every LSOA is drawn, and the England deck stays under 5 MB."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from inequality import queries
from inequality.etl import display
from inequality.present import maps


def _wobbly_grid(n: int = 6) -> np.ndarray:
    """An n x n grid of cells (0.01 degrees) whose shared edges carry many small zigzags,
    as real LSOA boundaries do: a coverage with something to simplify."""
    def edge(a, b, vertical):
        t = np.linspace(0, 1, 25)[1:-1]
        wiggle = 0.0004 * np.sin(t * 40 + a[0] * 100 + a[1] * 100)
        pts = [a + (b - a) * s for s in t]
        return [(p[0] + w, p[1]) if vertical else (p[0], p[1] + w) for p, w in zip(pts, wiggle)]

    step = 0.01
    cells = []
    for i in range(n):
        for j in range(n):
            c = [np.array([i * step, j * step]), np.array([(i + 1) * step, j * step]),
                 np.array([(i + 1) * step, (j + 1) * step]), np.array([i * step, (j + 1) * step])]
            ring = []
            for k in range(4):
                a, b = c[k], c[(k + 1) % 4]
                # the same points for both cells sharing an edge: generate from the lower corner
                lo, hi = (a, b) if tuple(a) <= tuple(b) else (b, a)
                pts = edge(lo, hi, vertical=(a[0] == b[0]))
                ring += [tuple(a)] + (pts if tuple(a) <= tuple(b) else pts[::-1])
            cells.append(Polygon(ring))
    return np.array(cells)


def test_the_grid_is_a_valid_coverage():
    grid = _wobbly_grid()
    assert shapely.coverage_is_valid(grid)


def test_coverage_overview_keeps_every_area_and_the_shared_edges():
    grid = _wobbly_grid()
    out = display.coverage_overview(grid, 0.002)
    assert len(out) == len(grid) and not shapely.is_empty(out).any()
    assert shapely.is_valid(out).all()
    assert shapely.get_num_coordinates(out).sum() < 0.5 * shapely.get_num_coordinates(grid).sum()
    # still a coverage: no overlaps (areas add up to the union's), no gaps (the union is one
    # polygon without holes), the outline moved by less than the tolerance
    assert shapely.coverage_is_valid(out)
    union = shapely.union_all(out)
    assert abs(shapely.area(out).sum() - shapely.area(union)) < 1e-12
    assert union.geom_type == "Polygon" and not union.interiors
    assert shapely.hausdorff_distance(union, shapely.union_all(grid)) < 0.002
    # every pair of neighbours still shares an edge (a line, not a point)
    tree = shapely.STRtree(grid)
    left, right = tree.query(grid, predicate="touches")
    for a, b in zip(left, right):
        if shapely.length(shapely.intersection(grid[a], grid[b])) > 0:
            assert shapely.length(shapely.intersection(out[a], out[b])) > 0.5 * 0.01, (a, b)


def test_flat_rows_round_trip_to_the_grid():
    square = box(-1.5, 52.0, -1.49, 52.01)
    holed = Polygon(box(0.1, 51.0, 0.2, 51.1).exterior.coords,
                    [box(0.14, 51.04, 0.16, 51.06).exterior.coords])
    rows = json.loads(maps.flat_rows(np.array([square, holed]), [{"c": 0}, {"c": 1}]))
    assert [r["c"] for r in rows] == [0, 1]
    flat = np.array(rows[0]["p"]).reshape(-1, 2) / 1000 + maps.GRID_ORIGIN
    assert len(flat) == 4  # no closing vertex
    assert np.allclose(np.sort(flat, axis=0),
                       np.sort(np.array(square.exterior.coords[:-1]), axis=0), atol=6e-4)
    outer, hole = rows[1]["p"]  # nested rings where there is a hole
    assert len(outer) == 4 and len(hole) == 4
    props = maps.grid_layer_props()
    assert props["coordinate_origin"] == list(maps.GRID_ORIGIN)
    assert props["model_matrix"][0] == props["model_matrix"][5] == 0.001


def test_palette_of_gives_back_every_colour():
    colours = np.array([[68, 1, 84], [253, 231, 37], [68, 1, 84]], dtype=np.uint8)
    palette, index = maps.palette_of(colours)
    assert np.array_equal(np.array(palette)[index], colours)


def _with_display(fixture_db, tmp_path) -> duckdb.DuckDBPyConnection:
    """A copy of the fixture database whose boundary_display the step has (re)written."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, db)
    con = duckdb.connect(str(db))
    display.derive_display(con)
    return con


def test_derive_display_writes_every_lsoa_of_every_vintage(fixture_db, tmp_path):
    con = _with_display(fixture_db, tmp_path)
    missing = con.execute("""SELECT b.geography, b.code FROM boundary b
        LEFT JOIN boundary_display d ON d.geography = b.geography AND d.code = b.code
                                     AND d.level = 'overview'
        WHERE b.geography IN ('lsoa11', 'lsoa21') AND d.code IS NULL""").fetchall()
    assert not missing
    frame = con.execute("SELECT wkb FROM boundary_display").df()
    shapes = shapely.from_wkb([bytes(b) for b in frame["wkb"]])
    assert len(shapes) and shapely.is_valid(shapes).all() and not shapely.is_empty(shapes).any()
    # the step replaces its rows: a second run leaves the same number
    display.derive_display(con)
    assert con.execute("SELECT count(*) FROM boundary_display").fetchone()[0] == len(shapes)


def test_the_national_geometry_missing_is_named(fixture_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE IF EXISTS boundary_display")
        with pytest.raises(LookupError, match="boundary_display.*inequality build"):
            queries.geometries(con, "lsoa11", None, "overview")


def test_england_deck_is_under_5_mb_and_neighbours_share_edges(mirror_db):
    from inequality.services.maps import map_data

    with duckdb.connect(str(mirror_db), read_only=True) as con:
        for release in ("iod2019", "iod2025"):
            for kind in ("decile", "rank", "score"):
                m = maps.choropleth(map_data(con, release, queries.ENGLAND, "imd", kind))
                size = len(maps.deck(m).to_json())
                assert size < 5e6, (release, kind, size)
        n = con.execute("SELECT count(*) FROM boundary WHERE geography = 'lsoa21'").fetchone()[0]
        frame = con.execute("SELECT code, wkb FROM boundary_display WHERE geography = 'lsoa21' "
                            "AND level = 'overview' ORDER BY code").df()
        assert len(frame) == n
        shapes = shapely.from_wkb([bytes(b) for b in frame["wkb"]])
        # queen neighbours of the published boundaries (the spatial step) that share an edge
        # there share one in the simplified coverage too, for all but a handful (the
        # published file is not noded exactly everywhere)
        pairs = con.execute("""SELECT n.lsoa_code, n.neighbour_code FROM lsoa_neighbour n
                               WHERE n.geography = 'lsoa21' AND n.lsoa_code < n.neighbour_code
                               USING SAMPLE 2000 ROWS""").fetchall()
    at = {c: i for i, c in enumerate(frame["code"])}
    a = shapes[[at[p[0]] for p in pairs]]
    b = shapes[[at[p[1]] for p in pairs]]
    shared = shapely.length(shapely.intersection(a, b)) > 0
    overlap = shapely.area(shapely.intersection(a, b))
    assert shared.mean() > 0.9
    assert (overlap < 1e-7).mean() > 0.99
