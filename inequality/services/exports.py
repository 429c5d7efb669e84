"""What an area's data download holds, read from the database: the wide LSOA table and the
LSOAs' published boundaries.

The LSOA table is the same wide table the map shows (every measure's score, rank and decile,
population, names, ward, rural-urban class); geometry is the published (generalised clipped)
boundary in EPSG:4326, not the display simplification. The bytes of each file format are
made by :mod:`inequality.present.exports`.

This is the fetching half of the exports (one module per half, so the download of an
official area and of a custom area share it); custom areas themselves are defined and
summarised in :mod:`inequality.services.custom_areas`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import shapely

from .. import queries
from .maps import boundary_geography

if TYPE_CHECKING:
    import geopandas as gpd

Con = duckdb.DuckDBPyConnection


def lsoa_table(con: Con, release: str, codes: list[str] | None = None,
               area_code: str | None = None) -> pd.DataFrame:
    """The wide LSOA table of an area (``area_code``) or of a list of LSOA codes."""
    frame = queries.lsoa_values(con, release, area_code)
    if codes is not None:
        frame = frame[frame["lsoa_code"].isin(set(codes))].reset_index(drop=True)
    return frame


def lsoa_geodataframe(con: Con, release: str, codes: list[str] | None = None,
                      area_code: str | None = None) -> gpd.GeoDataFrame:
    """:func:`lsoa_table` with each LSOA's boundary (EPSG:4326). IoD 2010 is on 2001 LSOAs,
    which have no published boundaries here: those rows keep an empty geometry."""
    import geopandas as gpd  # only the geometry downloads need it

    frame = lsoa_table(con, release, codes, area_code)
    geography, boundary_geo = boundary_geography(con, release)
    shapes = queries.geometries(con, boundary_geo, frame["lsoa_code"].tolist(), "full")
    if boundary_geo != geography:
        shapes = shapes.iloc[0:0]
    geoms = dict(zip(shapes["code"], shapely.from_wkb([bytes(b) for b in shapes["wkb"]])))
    return gpd.GeoDataFrame(frame, geometry=[geoms.get(c) for c in frame["lsoa_code"]],
                            crs="EPSG:4326")
