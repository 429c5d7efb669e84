"""Exports of an area's LSOA data: CSV, GeoJSON and GeoPackage (with geometry), map PNG.

The LSOA table is the same wide table the map shows (every measure's score, rank and decile,
population, names, ward, rural-urban class); geometry is the published (generalised clipped)
boundary in EPSG:4326, not the display simplification.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from .. import queries
from .maps import BOUNDARY_GEOGRAPHY

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
    frame = lsoa_table(con, release, codes, area_code)
    geography = queries.releases(con).set_index("release").loc[release, "geography"]
    shapes = queries.geometries(con, BOUNDARY_GEOGRAPHY[geography], frame["lsoa_code"].tolist(),
                                "full")
    if BOUNDARY_GEOGRAPHY[geography] != geography:
        shapes = shapes.iloc[0:0]
    geoms = dict(zip(shapes["code"], shapely.from_wkb([bytes(b) for b in shapes["wkb"]])))
    return gpd.GeoDataFrame(frame, geometry=[geoms.get(c) for c in frame["lsoa_code"]],
                            crs="EPSG:4326")


def _clean_for_file(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for col in out.columns:
        if col != "geometry" and str(out[col].dtype) in ("string", "str", "object"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    """GeoJSON FeatureCollection (RFC 7946, EPSG:4326)."""
    return _clean_for_file(gdf).to_json(na="null", show_bbox=False).encode("utf-8")


def geopackage_bytes(gdf: gpd.GeoDataFrame, layer: str = "lsoas") -> bytes:
    """A GeoPackage (OGC) file holding one layer, as bytes for a download."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        _clean_for_file(gdf).to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()
