"""ONS boundary files: GeoParquet (the offline mirror) or GeoJSON (the live feature service).

Rows are reduced to England (codes starting E), reprojected to EPSG:4326 if needed, validated
(GSS code pattern, uniqueness, row count, every area inside England for the CRS the file
declares, valid geometry) and given simplified display geometry, precomputed here at build time
rather than per request.

Invalid geometry: ONS publishes valid polygons (every one of the 80,246 in the offline mirror
is), so an invalid one means a damaged or altered file. A defect that ``shapely.make_valid``
repairs while changing the area by at most :data:`REPAIR_TOLERANCE` (a ring touching itself, a
sliver left by generalisation) is repaired and reported in the load log; a larger one (a
polygon folded into a bow-tie, whose repair would move the area's edges and change its
neighbours) fails the build naming the area, because no repair can know the true boundary.
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
#: Simplification tolerance of the display geometry in degrees (about 15 m in England).
DISPLAY_TOLERANCE = 0.0002
#: England in EPSG:4326 with a margin (the official boundaries span lon -6.42..1.77,
#: lat 49.86..55.82). Degrees read as British National Grid metres land near the grid's false
#: origin (lon -7.56, lat 49.77), outside it; metres read as degrees land far outside.
ENGLAND_LON = (-7.0, 2.1)
ENGLAND_LAT = (49.7, 56.0)
#: Largest relative change of area a geometry repair may make and still be accepted.
REPAIR_TOLERANCE = 0.01

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


def _check_inside_england(codes: pd.Series, geoms: np.ndarray, raw: np.ndarray, crs,
                          path: Path) -> None:
    """Every area's bounds (EPSG:4326) inside England: catches a wrong CRS label."""
    b = shapely.bounds(geoms)
    inside = ((b[:, 0] >= ENGLAND_LON[0]) & (b[:, 2] <= ENGLAND_LON[1])
              & (b[:, 1] >= ENGLAND_LAT[0]) & (b[:, 3] <= ENGLAND_LAT[1]))
    if inside.all():
        return
    i = int(np.flatnonzero(~inside)[0])
    rb = shapely.bounds(raw)
    degrees = bool(np.nanmax(np.abs(rb)) <= 180)
    declared = crs.to_string()
    if crs.is_geographic and not degrees:
        hint = ("its coordinates are too large for degrees: they look like metres (British "
                "National Grid, EPSG:27700?)")
    elif not crs.is_geographic and degrees:
        hint = ("its coordinates are all within -180..180: they look like longitude/latitude "
                "degrees (EPSG:4326?) labelled with a projected CRS")
    else:
        hint = "the file's CRS label does not match its coordinates, or it is not of England"
    where = (f"lon {b[i, 0]:.2f}..{b[i, 2]:.2f}, lat {b[i, 1]:.2f}..{b[i, 3]:.2f}"
             if np.isfinite(b[i]).all() else "no finite position")
    raise ReaderError(
        f"{path.name}: area {codes.iloc[i]} lies at {where} when read in the CRS the file "
        f"declares ({declared}), outside England (lon {ENGLAND_LON[0]:g}..{ENGLAND_LON[1]:g}, "
        f"lat {ENGLAND_LAT[0]:g}..{ENGLAND_LAT[1]:g}); {int((~inside).sum()):,} of "
        f"{len(geoms):,} areas are outside. Rule: coordinates must lie in England for the "
        f"declared CRS, and {hint}. Fix: re-download the official file with "
        "`python -m inequality build --force`, or correct the CRS the file declares")


def _valid_geometries(codes: pd.Series, geoms: np.ndarray,
                      path: Path) -> tuple[np.ndarray, list[str]]:
    """Repair small geometry defects (``make_valid``), reject large ones (see module doc).

    Returns the geometries and the codes that were repaired.
    """
    valid = shapely.is_valid(geoms)
    if valid.all():
        return geoms, []
    idx = np.flatnonzero(~valid)
    bad = geoms[idx]
    fixed = shapely.make_valid(bad, method="structure", keep_collapsed=False)
    before, after = shapely.area(bad), shapely.area(fixed)
    change = np.abs(after - before) / np.where(after > 0, after, np.nan)
    polygonal = np.isin(shapely.get_type_id(fixed), (3, 6))  # Polygon, MultiPolygon
    rejected = ~polygonal | shapely.is_empty(fixed) | ~(change <= REPAIR_TOLERANCE)
    if rejected.any():
        j = int(np.flatnonzero(rejected)[0])
        pct = "an empty shape" if not np.isfinite(change[j]) else f"{change[j]:.0%}"
        raise ReaderError(
            f"{path.name}: area {codes.iloc[idx[j]]} has an invalid geometry "
            f"({shapely.is_valid_reason(bad[j])}) that repair would change by {pct} of its "
            f"area ({int(rejected.sum())} such area(s)). Rule: boundaries must be valid "
            f"polygons (a repair may change an area by at most {REPAIR_TOLERANCE:.0%}), "
            "or the map and the queen neighbours are wrong. Fix: re-download the official "
            "file with `python -m inequality build --force`")
    out = geoms.copy()
    out[idx] = fixed
    return out, [str(c) for c in codes.iloc[idx]]


def read_boundaries(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a boundary file into ``code, name, geometry, geometry_display, ...`` (WKB).

    ``frame.attrs["notes"]`` lists what was repaired (for the load log).
    """
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
    english = frame["code"].str.startswith("E").fillna(False).to_numpy()
    frame = frame[english].reset_index(drop=True)
    raw = np.asarray(gdf.geometry.values[english])
    geom = gdf.geometry.to_crs(CRS) if gdf.crs.to_string() != CRS else gdf.geometry
    geoms = np.asarray(geom.values[english])
    check_rows(frame, source.expected_rows, path)
    pattern, example = _PATTERN[source.geography[:4]]
    check_codes(frame["code"], pattern, f"{source.geography.upper()} code", path, example)
    check_unique(frame["code"], f"{source.geography.upper()} code", path)
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ReaderError(f"{path.name}: {int((shapely.is_missing(geoms) | shapely.is_empty(geoms)).sum())} "
                          "area(s) have no geometry; re-download the file")
    _check_inside_england(frame["code"], geoms, raw, gdf.crs, path)
    geoms, repaired = _valid_geometries(frame["code"], geoms, path)
    frame = frame.assign(
        geometry=shapely.to_wkb(geoms),
        geometry_display=shapely.to_wkb(simplified(geoms, DISPLAY_TOLERANCE)),
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
    if repaired:
        frame.attrs["notes"] = [
            f"repaired {len(repaired)} invalid geometr{'y' if len(repaired) == 1 else 'ies'} "
            f"with shapely make_valid (area changed by at most {REPAIR_TOLERANCE:.0%}): "
            f"{', '.join(repaired[:10])}{' ...' if len(repaired) > 10 else ''}"]
    return frame, mapped.missing
