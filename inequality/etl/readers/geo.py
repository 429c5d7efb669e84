"""ONS boundary files: GeoParquet (the offline mirror) or GeoJSON (the live feature service).

Rows are reduced to England (codes starting E), reprojected to EPSG:4326 if needed, validated
(GSS code pattern, uniqueness, row count) and given simplified display geometry, precomputed
here at build time rather than per request.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..sources import Source
from .base import (LSOA_CODE, MSOA_CODE, Column, ReaderError, check_codes, check_rows,
                   check_unique, map_frame)

CRS = "EPSG:4326"
#: Simplification tolerances in degrees (about 15 m and 100 m at England's latitude).
DISPLAY_TOLERANCE = 0.0002
OVERVIEW_TOLERANCE = 0.001

_PATTERN = {"lsoa": (LSOA_CODE, "E01000001"), "msoa": (MSOA_CODE, "E02000001")}


def _columns(geography: str) -> list[Column]:
    level, year = geography[:4], geography[4:]
    up = level.upper()
    return [Column("code", (f"{up}{year}CD", f"{level}{year}cd"), True),
            Column("name", (f"{up}{year}NM", f"{level}{year}nm"), False)]


def simplified(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification for display; an area it would erase keeps its shape."""
    out = shapely.simplify(geoms, tolerance, preserve_topology=False)
    lost = shapely.is_empty(out) | ~shapely.is_valid(out)
    out[lost] = geoms[lost]
    return out


def read_boundaries(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a boundary file into ``code, name, geometry, geometry_display, ...`` (WKB)."""
    try:
        if path.suffix == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path)
    except Exception as exc:  # pyarrow / GDAL raise many types for a corrupt file
        raise ReaderError(f"{path.name}: cannot be read as a boundary file ({exc}); it may be "
                          "truncated, so re-download it with `python -m inequality build "
                          "--force`") from exc
    if gdf.crs is None:
        raise ReaderError(f"{path.name}: the boundary file states no coordinate reference "
                          "system; the official files are EPSG:4326 or EPSG:27700")
    mapped = map_frame(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), _columns(source.geography),
                       path)
    frame = mapped.frame
    geom = gdf.geometry.to_crs(CRS) if gdf.crs.to_string() != CRS else gdf.geometry
    english = frame["code"].str.startswith("E").fillna(False).to_numpy()
    frame = frame[english].reset_index(drop=True)
    geoms = np.asarray(geom.values[english])
    check_rows(frame, source.expected_rows, path)
    pattern, example = _PATTERN[source.geography[:4]]
    check_codes(frame["code"], pattern, f"{source.geography.upper()} code", path, example)
    check_unique(frame["code"], f"{source.geography.upper()} code", path)
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ReaderError(f"{path.name}: {int((shapely.is_missing(geoms) | shapely.is_empty(geoms)).sum())} "
                          "area(s) have no geometry; re-download the file")
    frame = frame.assign(
        geometry=shapely.to_wkb(geoms),
        geometry_display=shapely.to_wkb(simplified(geoms, DISPLAY_TOLERANCE)),
        geometry_overview=shapely.to_wkb(simplified(geoms, OVERVIEW_TOLERANCE)),
        crs=CRS,
    )
    point = shapely.point_on_surface(geoms)
    bounds = shapely.bounds(geoms)
    frame["centroid_lon"] = shapely.get_x(point)
    frame["centroid_lat"] = shapely.get_y(point)
    frame["min_lon"], frame["min_lat"] = bounds[:, 0], bounds[:, 1]
    frame["max_lon"], frame["max_lat"] = bounds[:, 2], bounds[:, 3]
    if "name" not in frame.columns:
        frame["name"] = pd.NA
    return frame, mapped.missing
