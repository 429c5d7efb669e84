"""The bytes of an area's data downloads: CSV (formula-safe), GeoJSON and GeoPackage.

No database here: :mod:`inequality.services.exports` reads the LSOA table and boundaries;
these functions only write them.

CSV cells a visitor may have typed (an area's name, an uploaded label) are data, never
formulas: :func:`csv_bytes` prefixes a text cell (header cells included) that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return with an apostrophe, so a spreadsheet
shows it as text (OWASP, "CSV Injection"). Numbers are never touched: -3.5 stays -3.5.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # geopandas is imported by whoever made the frame
    import geopandas as gpd

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """A text value that a spreadsheet would run as a formula, prefixed with ``'``; anything
    else (numbers, missing values, ordinary text) as it is.

    >>> formula_safe("=SUM(A1:A9)"), formula_safe("-3.5"), formula_safe(-3.5)
    ("'=SUM(A1:A9)", "'-3.5", -3.5)
    >>> formula_safe("Hartlepool 001A")
    'Hartlepool 001A'
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_label(label):
    if isinstance(label, tuple):
        return tuple(formula_safe(x) for x in label)
    return formula_safe(label)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV without its index, every text cell and header formula-safe
    (see :func:`formula_safe`); numeric, boolean and date columns are written as they are.

    Float columns holding only whole numbers (deciles with gaps, counts) are written as
    integers. Lines end in ``\\n``; when a text cell holds a carriage return they end in ``\\r\\n``
    (RFC 4180), which makes the writer quote that cell so the row stays one row.
    """
    out = frame.copy()
    out.columns = out.columns.map(_safe_label)
    has_cr = any("\r" in str(c) for c in out.columns)
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_float_dtype(col) and col.notna().any() and \
                (col.dropna() % 1 == 0).all():
            out.isetitem(i, col.astype("Int64"))  # whole numbers (deciles, counts) as 3, not 3.0
            continue
        if (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
                or pd.api.types.is_datetime64_any_dtype(col)):
            continue
        safe = col.astype(object).map(formula_safe)
        has_cr = has_cr or any(isinstance(v, str) and "\r" in v for v in safe)
        out.isetitem(i, safe)
    return out.to_csv(index=False, lineterminator="\r\n" if has_cr else "\n").encode("utf-8")


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
