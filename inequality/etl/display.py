"""Build step: the national display geometry of every LSOA (``boundary_display``).

The England-wide map draws all 33,000-odd LSOAs at once, at a zoom where one screen pixel is
about 0.007 degrees (700 m). Douglas-Peucker simplification of each polygon on its own (what the
map drew before issue 15) moves a shared edge differently on its two sides, leaving slivers and overlaps, and still keeps 571,000 vertices (13 MB of deck JSON,
issue 15). Here the LSOAs are simplified as one *coverage*: GEOS's coverage simplification
(``shapely.coverage_simplify``, Visvalingam-Whyatt area tolerance over the shared edges,
"arcs", of the polygonal coverage) simplifies each shared edge once, so neighbouring LSOAs
still meet exactly, no LSOA vanishes and no gap or overlap appears (Visvalingam & Whyatt,
1993, *The Cartographic Journal* 30(1); GEOS ``CoverageSimplifier``, 2023). No buffering.

Precomputed here at build time, not per request (design.md). The table's DDL is in
``etl/schema.sql``; :func:`derive_display` is the step's function (``display_<vintage>`` in
:data:`inequality.etl.derive.DERIVED_STEPS`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import shapely

from .. import db

Con = duckdb.DuckDBPyConnection

#: Tolerance of the national coverage simplification, in degrees (about 0.8 of a screen
#: pixel of the England-wide map on a desktop, 400 to 650 m on the ground).
OVERVIEW_TOLERANCE = 0.006
#: The LSOA boundary vintages simplified (those with boundaries of their own).
GEOGRAPHIES = ("lsoa11", "lsoa21")



def coverage_overview(geoms: np.ndarray, tolerance: float = OVERVIEW_TOLERANCE) -> np.ndarray:
    """Simplify a set of polygons that tile an area as one coverage: every shared edge is
    simplified once, so neighbours still share it (``shapely.coverage_simplify``).

    A polygon the simplification leaves invalid (a ring touching itself where an input
    edge was not noded exactly) is repaired with ``shapely.make_valid`` keeping its
    polygonal part; none is left empty.

    >>> from shapely.geometry import box
    >>> a, b = box(0, 0, 1, 1), box(1, 0, 2, 1)
    >>> out = coverage_overview(np.array([a, b]), 0.1)
    >>> bool(shapely.equals(shapely.intersection(out[0], out[1]),
    ...                     shapely.intersection(a, b)))
    True
    """
    out = shapely.coverage_simplify(geoms, tolerance)
    bad = ~shapely.is_valid(out)
    if bad.any():
        fixed = shapely.make_valid(out[bad])
        out[bad] = [_polygonal(f, g) for f, g in zip(fixed, geoms[bad])]
    lost = shapely.is_empty(out)
    out[lost] = geoms[lost]
    return out


def _polygonal(geom, original):
    """The polygonal part of a repaired geometry (the original when there is none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return original
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def derive_display(con: Con, log: Callable[[str], None] = lambda _m: None,
                   geographies: tuple[str, ...] = GEOGRAPHIES) -> None:
    """Replace the ``overview`` rows of ``boundary_display`` for ``geographies`` with the
    coverage-simplified LSOA boundaries of ``boundary`` (a vintage with no boundaries loaded
    gets no rows)."""
    t = time.perf_counter()
    for geography in geographies:
        g = time.perf_counter()
        frame = db.frame(con, "SELECT code, geometry FROM boundary WHERE geography = ? "
                         "ORDER BY code", [geography])
        con.execute("DELETE FROM boundary_display WHERE geography = ? AND level = 'overview'",
                    [geography])
        if frame.empty:
            continue
        shapes = coverage_overview(shapely.from_wkb([bytes(b) for b in frame["geometry"]]))
        rows = pd.DataFrame({"geography": geography, "code": frame["code"],
                             "level": "overview", "wkb": shapely.to_wkb(shapes)})
        con.execute("INSERT INTO boundary_display SELECT geography, code, level, wkb "
                    "FROM rows")
        log(f"display {geography}: {len(rows):,} LSOAs, "
            f"{int(shapely.get_num_coordinates(shapes).sum()):,} vertices "
            f"({time.perf_counter() - g:.1f}s)")
    log(f"display: done ({time.perf_counter() - t:.1f}s)")
