"""Choropleth maps of LSOAs as pydeck decks: palettes, classes, legends, view fitting.

No streamlit and no database here: :func:`inequality.services.maps.map_data` reads what a map
needs; :func:`choropleth` turns that into plain data (polygon rows as JSON text, a legend, a
view, a tooltip, notes), and :func:`deck` turns that into a :class:`pydeck.Deck`. The app
caches both; the benchmarks and tests call them directly.

Palette: *viridis* in ten classes (van der Walt & Smith, 2015, as in matplotlib), which is
perceptually uniform, readable by people with the common forms of colour-blindness and in
greyscale. Dark purple is always the most deprived end (decile 1, rank 1, highest score),
yellow the least deprived, so the map reads the same for every measure and with no basemap.

Payload: geometry is the simplified display or overview column precomputed at build time,
sent as whole numbers of 10 m from the area's middle (England: of about 100 m from its own),
which the layer scales back on the GPU (:func:`flat_rows`, :func:`grid_layer_props`), and
serialised without indentation (pydeck's own ``to_json`` indents every number onto its own
line, which would triple the size).

Drawing order: the first frame holds the fill alone; the LSOA borders, the area's outline,
MSOA lines and names and any orange outline are layers whose data is a ``data:`` URL
(:func:`later`), drawn a moment later, once deck.gl has loaded it.
"""

from __future__ import annotations

import html
import json
import math
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from ..services.maps import MapData

PALETTE_NAME = "viridis, 10 classes (colour-blind safe; dark purple = most deprived)"

#: viridis sampled at ten even steps, dark (most deprived) to light (least deprived).
VIRIDIS_10: tuple[str, ...] = ("#440154", "#482878", "#3e4a89", "#31688e", "#26828e",
                               "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
NO_VALUE = "#bdbdbd"

#: A map's table is drawn under it when it has at most this many rows (every authority and
#: region); England's 33,000 neighbourhoods are listed on request (a table that long took
#: 0.8 s of the page's drawing in the browser, benchmarks/bench_browser.py), their CSV always.
TABLE_INLINE_ROWS = 10_000

#: How a measure can be shown, in the order offered.
KINDS: dict[str, str] = {"decile": "National decile (1 = most deprived 10%)",
                         "rank": "National rank (1 = most deprived)",
                         "score": "Score (higher = more deprived)"}

#: Measures whose score is a rate (share of people), shown as a percentage.
RATE_MEASURES = frozenset({"income", "employment", "idaci", "idaopi"})

#: The index and the seven domains, whose deciles every tooltip lists.
PROFILE_MEASURES = ("imd", "income", "employment", "education", "health", "crime",
                    "barriers", "living_environment")

_DECIMALS = 4
_ENGLAND_BOUNDS = (-6.4, 49.9, 1.8, 55.8)


def hex_to_rgb(colour: str) -> list[int]:
    """``#rrggbb`` to ``[r, g, b]``.

    >>> hex_to_rgb("#440154")
    [68, 1, 84]
    """
    c = colour.lstrip("#")
    return [int(c[i:i + 2], 16) for i in (0, 2, 4)]


def decile_colour(decile: int) -> str:
    """Colour of a national decile (1 = most deprived = darkest).

    >>> decile_colour(1), decile_colour(10)
    ('#440154', '#fde725')
    """
    return VIRIDIS_10[int(decile) - 1]


# --- classes and legends ---------------------------------------------------------------------

@dataclass
class Legend:
    """What the colours mean: a title, (colour, label) steps, or a gradient, and a note."""

    title: str
    steps: list[tuple[str, str]] = field(default_factory=list)
    gradient: tuple[str, str] | None = None  # labels at the dark and light ends
    note: str = ""


def classify(values: pd.Series, kind: str, n_national: int) -> tuple[np.ndarray, Legend]:
    """Colour every value and describe the colours.

    ``decile``: the ten national deciles. ``rank``: a continuous scale over the national
    rank 1..N (comparable between areas). ``score``: ten classes, each a tenth of the LSOAs
    shown (quantiles), the highest scores darkest. Missing values are grey.

    Returns an ``(n, 3)`` uint8 RGB array and the :class:`Legend`.

    >>> colours, legend = classify(pd.Series([1, 10, None]), "decile", 100)
    >>> colours.tolist()
    [[68, 1, 84], [253, 231, 37], [189, 189, 189]]
    """
    vals = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    palette = np.array([hex_to_rgb(c) for c in VIRIDIS_10], dtype=float)
    out = np.tile(np.array(hex_to_rgb(NO_VALUE), dtype=float), (len(vals), 1))
    ok = ~np.isnan(vals)
    if kind == "decile":
        idx = np.clip(vals[ok].astype(int) - 1, 0, 9)
        out[ok] = palette[idx]
        legend = Legend("National decile", [(c, _decile_label(i + 1))
                                            for i, c in enumerate(VIRIDIS_10)],
                        note="Decile 1 = the most deprived 10% of LSOAs in England.")
    elif kind == "rank":
        t = np.clip((vals[ok] - 1) / max(n_national - 1, 1), 0, 1) * 9
        lo = np.floor(t).astype(int)
        hi = np.minimum(lo + 1, 9)
        frac = (t - lo)[:, None]
        out[ok] = palette[lo] * (1 - frac) + palette[hi] * frac
        legend = Legend("National rank", gradient=("1 (most deprived)",
                                                   f"{n_national:,} (least deprived)"),
                        note=f"Rank among all {n_national:,} LSOAs in England.")
    elif kind == "score":
        legend = Legend("Score", note="Higher score = more deprived. Classes are tenths of "
                                      "the LSOAs on this map, not national deciles.")
        if ok.any():
            edges = np.unique(np.quantile(vals[ok], np.linspace(0, 1, 11)))
            # class 0 = highest scores = darkest
            cls = np.clip(np.searchsorted(edges, vals[ok], side="right") - 1, 0,
                          len(edges) - 2 if len(edges) > 1 else 0)
            n_cls = max(len(edges) - 1, 1)
            colour_idx = _spread(n_cls)[::-1]
            out[ok] = palette[colour_idx[cls]]
            legend.steps = [(VIRIDIS_10[colour_idx[i]],
                             f"{edges[i]:.3g} to {edges[min(i + 1, len(edges) - 1)]:.3g}")
                            for i in reversed(range(n_cls))]
    else:
        raise ValueError(f"map value kind {kind!r} is not one of {sorted(KINDS)}")
    if (~ok).any():
        legend.steps.append((NO_VALUE, "No value"))
    return out.round().astype(np.uint8), legend


def _spread(n: int) -> np.ndarray:
    """Palette indices for ``n`` classes spread over the ten colours."""
    return np.round(np.linspace(0, 9, n)).astype(int) if n > 1 else np.array([0])


def _decile_label(d: int) -> str:
    return {1: "1 most deprived", 10: "10 least deprived"}.get(d, str(d))


def legend_html(legend: Legend) -> str:
    """The legend as a small, self-contained HTML block (escaped text)."""
    title = f"<div style='font-weight:600;margin-bottom:4px'>{html.escape(legend.title)}</div>"
    body = ""
    if legend.gradient:
        ramp = ", ".join(VIRIDIS_10)
        lo, hi = (html.escape(x) for x in legend.gradient)
        body += (f"<div style='height:14px;width:100%;max-width:420px;border:1px solid #888;"
                 f"background:linear-gradient(to right, {ramp})'></div>"
                 f"<div style='display:flex;justify-content:space-between;max-width:420px;"
                 f"font-size:0.85em'><span>{lo}</span><span>{hi}</span></div>")
    items = "".join(
        f"<span style='display:inline-flex;align-items:center;margin:2px 10px 2px 0'>"
        f"<span style='display:inline-block;width:16px;height:16px;background:{c};"
        f"border:1px solid #555;margin-right:4px'></span>{html.escape(label)}</span>"
        for c, label in legend.steps)
    note = (f"<div style='font-size:0.85em;color:#555;margin-top:2px'>"
            f"{html.escape(legend.note)}</div>" if legend.note else "")
    return f"<div role='img' aria-label='Map legend'>{title}{body}<div>{items}</div>{note}</div>"


# --- values shown -----------------------------------------------------------------------------

def format_value(value, kind: str, measure: str, n_national: int) -> str:
    """A value as the tooltip and tables show it.

    >>> format_value(3, "decile", "imd", 100), format_value(12, "rank", "imd", 32844)
    ('3 of 10', '12 of 32,844')
    >>> format_value(0.1234, "score", "income", 1)
    '12.3%'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "no value"
    if kind == "decile":
        return f"{int(value)} of 10"
    if kind == "rank":
        return f"{int(value):,} of {n_national:,}"
    return f"{float(value):.1%}" if measure in RATE_MEASURES else f"{float(value):.2f}"


# --- geometry -------------------------------------------------------------------------------

def _shapes(wkb: pd.Series) -> np.ndarray:
    return shapely.from_wkb([bytes(b) for b in wkb])


def _rounded(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, _DECIMALS))


def feature_collection(geoms: np.ndarray, properties: list[dict]) -> str:
    """A GeoJSON FeatureCollection as compact text (coordinates rounded to about 10 m),
    built without re-parsing geometry."""
    parts = [f'{{"type":"Feature","geometry":{g},"properties":{_compact(p)}}}'
             for g, p in zip(shapely.to_geojson(_rounded(geoms)), properties)]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


#: What :func:`later` puts before a layer's JSON.
LATER_PREFIX = "data:application/json,"


def later(payload: str) -> str:
    """A layer's data (JSON text) as a ``data:`` URL, which deck.gl loads after it has drawn
    the first frame instead of with it; nothing is fetched from any network.

    Every layer but a map's fill is given this way. In headless Chromium's software WebGL
    (the probe of ``benchmarks/bench_browser.py``, on a page holding only Coventry's deck),
    a first frame holding the fill and the line layers (LSOA borders, the area's outline)
    took about 0.9 s longer than the fill alone, and the lines loaded this way were all
    drawn 0.8 s sooner than inline: the whole map in 1.2 s instead of 2.0 s, pixel for pixel
    the same. Only ``%`` and ``#`` need escaping.

    >>> later('[{"t":"5% #1"}]')
    'data:application/json,[{"t":"5%25 %231"}]'
    """
    return LATER_PREFIX + payload.replace("%", "%25").replace("#", "%23")


def layer_data(data):
    """A layer's data as deck.gl reads it: inline data as it is, a :func:`later` URL parsed.

    >>> layer_data(later('[{"t":"5% #1"}]'))
    [{'t': '5% #1'}]
    """
    if isinstance(data, str) and data.startswith(LATER_PREFIX):
        return json.loads(urllib.parse.unquote(data[len(LATER_PREFIX):]))
    return data


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


#: Decimal places of the England-wide map (0.001 degrees, 70 to 110 m: a sixth of a screen
#: pixel at the zoom that shows England).
NATIONAL_DECIMALS = 3


#: The England-wide map's coordinates are whole numbers of thousandths of a degree counted
#: from this origin, England's middle (fewer characters than decimal degrees); the layer's
#: LNGLAT_OFFSETS coordinate system and model matrix turn them back into degrees on the GPU.
#: deck.gl projects such offsets to second order around the origin: over England's +-3
#: degrees of latitude the third-order error is under a screen pixel at the national zoom.
GRID_ORIGIN = (-2.3, 52.85)


def grid_layer_props(decimals: int = NATIONAL_DECIMALS,
                     origin: tuple[float, float] = GRID_ORIGIN) -> dict:
    """The PolygonLayer settings that read :func:`flat_rows`' whole-number coordinates.

    >>> grid_layer_props(3)["model_matrix"][:6]
    [0.001, 0, 0, 0, 0, 0.001]
    """
    scale = 10.0 ** -decimals
    return {"coordinate_system": pdk.types.String("lnglat-offsets"),  # deck.gl 9
            "coordinate_origin": list(origin),
            "model_matrix": [scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
            "position_format": pdk.types.String("XY")}


def area_origin(shapes: np.ndarray) -> tuple[float, float]:
    """The middle of the shapes' bounds to 0.01 degree: the origin of an area map's
    whole-number coordinates (:func:`flat_rows`), near enough to every vertex that deck.gl's
    second-order projection of the offsets is exact to well under a pixel at an area's zoom.

    >>> from shapely.geometry import box
    >>> area_origin(np.array([box(-1.61, 52.36, -1.42, 52.46)]))
    (-1.52, 52.41)
    """
    west, south, east, north = shapely.total_bounds(shapes)
    return round(float(west + east) / 2, 2), round(float(south + north) / 2, 2)


def flat_rows(geoms: np.ndarray, properties: list[dict], decimals: int = NATIONAL_DECIMALS,
              origin: tuple[float, float] = GRID_ORIGIN) -> str:
    """PolygonLayer data for many small polygons, as compact JSON text: one row per polygon
    part, its coordinates whole numbers of ``10**-decimals`` degrees from ``origin``
    (:data:`GRID_ORIGIN`; read with :func:`grid_layer_props`), without the closing vertex or
    vertices repeated by the rounding; a polygon without holes as one flat array
    ``[x0, y0, x1, y1, ...]`` (``positionFormat`` "XY"), one with holes as nested rings.
    Half the characters of GeoJSON-style nested rings for the national map, which Streamlit
    parses character by character.

    >>> from shapely.geometry import box
    >>> flat_rows(np.array([box(-2.3, 52.85, -2.298, 52.851)]), [{"c": 3}])
    '[{"p":[2,0,2,1,0,1,0,0],"c":3}]'
    """
    return rows_json(*flat_geometries(geoms, decimals, origin), properties)


def rows_json(geometries: list[str], index: np.ndarray, properties: list[dict]) -> str:
    """PolygonLayer rows: each geometry text of :func:`flat_geometries` under ``p``, with
    the properties of the feature it is a part of (``index``)."""
    props = [_compact(p)[1:-1] for p in properties]
    return "[" + ",".join('{"p":' + g + ("," + props[i] if props[i] else "") + "}"
                          for g, i in zip(geometries, index)) + "]"


def _rings(geometries: list[str], keep: np.ndarray | None = None) -> str:
    """The polygon parts of :func:`flat_geometries` (those ``keep`` marks) as one JSON
    array: the data of a :func:`_borders` layer."""
    chosen = geometries if keep is None else [g for g, k in zip(geometries, keep) if k]
    return "[" + ",".join(chosen) + "]"


def flat_geometries(geoms: np.ndarray, decimals: int = NATIONAL_DECIMALS,
                    origin: tuple[float, float] = GRID_ORIGIN) -> tuple[list[str], np.ndarray]:
    """The polygon parts of ``geoms`` as :func:`flat_rows` writes them (JSON text, one per
    part), and the index of the geometry each part belongs to.

    >>> from shapely.geometry import box
    >>> flat_geometries(np.array([box(-2.3, 52.85, -2.298, 52.851)]))[0]
    ['[2,0,2,1,0,1,0,0]']
    """
    parts, index = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    parts, index = parts[polygon], index[polygon]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    coords = np.round((coords - np.array(origin)) * 10 ** decimals).astype(np.int64)
    same_ring = ring_of[1:] == ring_of[:-1]
    repeated = np.r_[False, same_ring & (coords[1:] == coords[:-1]).all(axis=1)]
    closing = np.r_[~same_ring, True]
    starts = np.r_[0, np.flatnonzero(~same_ring) + 1]
    keep = ~repeated & ~closing
    ring_coords = np.split(coords, starts[1:])
    ring_keep = np.split(keep, starts[1:])
    texts = []
    for c, k in zip(ring_coords, ring_keep):
        kept = c[k] if k.sum() >= 3 else c[:-1]
        texts.append(kept)
    geometries = []
    first = np.r_[0, np.flatnonzero(ring_part[1:] != ring_part[:-1]) + 1, len(ring_part)]
    for a, b in zip(first[:-1], first[1:]):
        if b - a == 1:
            geometries.append(json.dumps(texts[a].ravel().tolist(), separators=(",", ":")))
        else:
            geometries.append(json.dumps([t.tolist() for t in texts[a:b]],
                                         separators=(",", ":")))
    return geometries, index[ring_part[first[:-1]]]


def palette_expression(palette: list[list[int]], lo: int = 0, hi: int | None = None) -> str:
    """A deck.gl JSON accessor expression giving ``palette[c]``: a balanced tree of
    comparisons (the expression parser of Streamlit's deck.gl reads ``[...][c]`` as two
    arrays, so an index into an array literal is not possible).

    >>> palette_expression([[1, 1, 1], [2, 2, 2], [3, 3, 3]])
    'c<1?[1,1,1]:c<2?[2,2,2]:[3,3,3]'
    """
    hi = len(palette) if hi is None else hi
    if hi - lo == 1:
        return _compact(palette[lo])
    mid = (lo + hi) // 2
    left = palette_expression(palette, lo, mid)
    right = palette_expression(palette, mid, hi)
    return f"c<{mid}?{left if mid - lo == 1 else '(' + left + ')'}:{right}"


def palette_of(colours: np.ndarray, levels: int = 64) -> tuple[list[list[int]], np.ndarray]:
    """The distinct colours of a map and each feature's index among them, so that a feature
    carries one small number instead of an RGB triple; more than ``levels`` distinct
    colours (a continuous scale) are first snapped to ``levels`` steps of each channel.

    >>> palette, idx = palette_of(np.array([[1, 2, 3], [4, 5, 6], [1, 2, 3]], dtype=np.uint8))
    >>> palette, idx.tolist()
    ([[1, 2, 3], [4, 5, 6]], [0, 1, 0])
    """
    unique, inverse = np.unique(colours, axis=0, return_inverse=True)
    if len(unique) > levels:
        step = 256 / levels
        snapped = (np.floor(colours / step) * step + step / 2).clip(0, 255).astype(np.uint8)
        unique, inverse = np.unique(snapped, axis=0, return_inverse=True)
    return unique.astype(int).tolist(), inverse.ravel()


#: Holes smaller than this (square degrees, about 0.7 km2) in a dissolved area are gaps
#: between simplified LSOA boundaries, not enclaves, and are filled.
_MIN_HOLE = 1e-4


def dissolve(geoms: np.ndarray):
    """The union of LSOAs with the slivers between their simplified boundaries filled.

    >>> from shapely.geometry import box
    >>> round(dissolve(np.array([box(0, 0, 1, 1), box(1.0001, 0, 2, 1)])).area, 3)
    2.0
    """
    union = shapely.union_all(geoms)
    if shapely.is_empty(union):
        return union
    union = shapely.buffer(shapely.buffer(union, 0.00005, join_style="mitre"), -0.00005,
                           join_style="mitre")
    parts = [shapely.Polygon(p.exterior, [r for r in p.interiors
                                          if shapely.Polygon(r).area > _MIN_HOLE])
             for p in shapely.get_parts(union) if p.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def _lines(geom) -> str | None:
    """The boundary of a (multi)polygon as GeoJSON FeatureCollection text."""
    if geom is None or shapely.is_empty(geom):
        return None
    return feature_collection(np.array([shapely.boundary(geom)]), [{}])


def fit_view(bounds: tuple[float, float, float, float], width: int = 760,
             height: int = 560, padding: float = 0.92) -> pdk.ViewState:
    """The Web Mercator view that fits ``(west, south, east, north)`` in a viewport
    (deck.gl's 512-pixel world tiles).

    >>> v = fit_view((-1.61, 52.36, -1.42, 52.46))
    >>> round(v.latitude, 2), round(v.longitude, 2), 10 < v.zoom < 13
    (52.41, -1.52, True)
    """
    west, south, east, north = bounds
    lon_span = max(east - west, 1e-4)

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    y_span = max(merc(north) - merc(south), 1e-6)
    zoom_x = math.log2(width * padding * 360 / (512 * lon_span))
    zoom_y = math.log2(height * padding * 2 * math.pi / (512 * y_span))
    mid_y = (merc(north) + merc(south)) / 2
    lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    return pdk.ViewState(latitude=lat, longitude=(west + east) / 2,
                         zoom=round(min(zoom_x, zoom_y, 15), 2), pitch=0, bearing=0)


# --- the map --------------------------------------------------------------------------------

@dataclass
class Choropleth:
    """Everything one map shows, as plain data (cacheable, serialisable)."""

    release: str
    area_code: str
    area_name: str
    measure: str
    measure_label: str
    kind: str
    level: str
    rows: str  # PolygonLayer data, JSON text
    feature_count: int
    legend: Legend
    view: pdk.ViewState
    tooltip_html: str
    outline: str | None = None
    msoa: str | None = None
    msoa_labels: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    shapes: np.ndarray | None = None
    properties: list[dict] = field(default_factory=list)
    palette: list[list[int]] = field(default_factory=list)  # rows' "c" indexes it (England)
    borders: str | None = None  # the rows' rings alone, JSON text (None: England, unbordered)
    #: ``rows``' coordinates: whole numbers of ``10**-decimals`` degrees from ``origin``
    decimals: int = NATIONAL_DECIMALS
    origin: tuple[float, float] = GRID_ORIGIN

    def geojson(self) -> str:
        """What the map shows (LSOAs, their values and colours) as GeoJSON text."""
        return feature_collection(self.shapes, self.properties)


def choropleth(data: MapData) -> Choropleth:
    """Build the map of one measure for an area's LSOAs in one release from what
    :func:`inequality.services.maps.map_data` read.

    England is drawn from the overview geometry with minimal properties (code, name, value);
    a region or authority from the display geometry, with every domain's decile in the
    tooltip and the area's outline. IoD 2010 is on 2001 LSOAs, for which no boundaries are
    published: its values are drawn on the 2011 boundaries of the LSOAs the ONS lookup marks
    unchanged (U) between 2001 and 2011, and the notes say how many could not be drawn.
    """
    kind, measure, n_national = data.kind, data.measure, data.n_national
    if kind not in KINDS:
        raise ValueError(f"map value kind {kind!r} is not one of {sorted(KINDS)}")
    england = data.england
    column = f"{measure}_{kind}"
    values = data.drawn
    shapes = _shapes(values["wkb"])
    colours, legend = classify(values[column], kind, n_national)
    profile = [] if england else [m for m in PROFILE_MEASURES
                                  if f"{m}_decile" in values.columns
                                  and values[f"{m}_decile"].notna().any()]
    props = _properties(values, column, kind, measure, n_national, colours, profile,
                        minimal=england)
    outline = None if england else _lines(dissolve(shapes))
    bounds = (_ENGLAND_BOUNDS if england else
              (values["min_lon"].min(), values["min_lat"].min(),
               values["max_lon"].max(), values["max_lat"].max()))
    notes = list(data.notes)
    if england:
        notes.append("England-wide view: simplified boundaries (about 500 m) and a short "
                     "tooltip; pick an authority or region for every domain's decile.")
    friendly = ["msoa_friendly_name"] if "msoa_friendly_name" in data.values.columns else []
    table_cols = ["lsoa_code", "lsoa_name", *friendly, column] + [
        f"{m}_decile" for m in profile if f"{m}_decile" != column]
    table = (data.values[table_cols].reset_index(drop=True)
             .rename(columns={"msoa_friendly_name": "neighbourhood"}))
    if data.geography == "lsoa01":
        table["on_map"] = table["lsoa_code"].isin(values["lsoa_code"])
    palette: list[list[int]] = []
    if england:  # 33,000 polygons: flat rounded rings, short keys, a colour index
        decimals, origin = NATIONAL_DECIMALS, GRID_ORIGIN
        palette, index = palette_of(colours)
        short = [p["label"] for p in props]
        if kind != "score":  # "7", the tooltip adds " of 10" (a decile) or " of 32,844"
            short = [int(v) if v == v else "no value" for v in values[column]]
        rows = flat_rows(shapes, [{"n": p["name"], "k": p["code"], "l": v, "c": int(i)}
                                  for p, v, i in zip(props, short, index)], decimals, origin)
        borders = None
    else:  # whole numbers of 10 m from the area's middle; the borders are the same rings
        decimals, origin = _DECIMALS, area_origin(shapes)
        geometries, part_of = flat_geometries(shapes, decimals, origin)
        rows, borders = rows_json(geometries, part_of, props), _rings(geometries)
    return Choropleth(
        release=data.release, area_code=data.area_code, area_name=data.area_name,
        measure=measure, measure_label=data.measure_label, kind=kind, level=data.level,
        rows=rows, feature_count=len(props), legend=legend,
        view=fit_view(bounds),
        tooltip_html=_tooltip(data.measure_label, kind, profile, data.labels,
                              short=england, n_national=n_national),
        outline=outline, msoa=msoa_lines(data.msoa), msoa_labels=msoa_labels(data.msoa),
        notes=notes, table=table,
        shapes=shapes, properties=props, palette=palette, borders=borders,
        decimals=decimals, origin=origin)


def _properties(values: pd.DataFrame, column: str, kind: str, measure: str, n_national: int,
                colours: np.ndarray, profile: list[str], *, minimal: bool = False
                ) -> list[dict]:
    """Per-feature properties: code, name, value (number and text), colour, domain deciles;
    ``minimal`` (England) keeps only code, name, the value's text and the colour."""
    names = values["lsoa_name"].fillna(values["lsoa_code"])
    if "msoa_friendly_name" in values.columns:  # "Teignbridge 017D, Ashburton & Buckfastleigh"
        friendly = values["msoa_friendly_name"]
        names = names.where(friendly.isna(), names + ", " + friendly.astype(str))
    names = names.tolist()
    raw = values[column].astype("float64").tolist()
    out = []
    deciles = {m: values[f"{m}_decile"].tolist() for m in profile}
    for i, (code, name, v) in enumerate(zip(values["lsoa_code"], names, raw)):
        p = {"code": code, "name": name, "label": format_value(v, kind, measure, n_national),
             "c": colours[i].tolist()}
        if not minimal:
            p["value"] = None if math.isnan(v) else (int(v) if kind != "score" else v)
        for m in profile:
            d = deciles[m][i]
            p[f"d_{m}"] = "–" if pd.isna(d) else int(d)
        out.append(p)
    return out


def _tooltip(label: str, kind: str, profile: list[str], labels: dict[str, str],
             short: bool = False, n_national: int = 0) -> str:
    """Tooltip template: the LSOA, the value shown and (not for England) every domain's
    decile; ``{name}`` etc. are filled in from each polygon's properties (``short``: the
    England map's one-letter keys ``{n}``, ``{k}``, and ``{l}``, a decile or rank without
    its " of 10" or " of N")."""
    name, code, value = ("n", "k", "l") if short else ("name", "code", "label")
    out_of = {"decile": " of 10", "rank": f" of {n_national:,}"}.get(kind, "") if short else ""
    head = (f"<b>{{{name}}}</b><br/>{{{code}}}<br/>{html.escape(label)} "
            f"{html.escape(kind)}: <b>{{{value}}}</b>{out_of}")
    if not profile:
        return head
    rows = "".join(f"<tr><td>{html.escape(_short(labels[m]))}</td><td>{{d_{m}}}</td></tr>"
                   for m in profile)
    return (head + "<br/><span style='font-size:0.85em'>National deciles "
            "(1 = most deprived):</span><table style='font-size:0.85em'>" + rows + "</table>")


def _short(label: str) -> str:
    return "IMD" if label.startswith("Index of Multiple") else label


def msoa_lines(msoa: pd.DataFrame | None) -> str | None:
    """Outlines of MSOAs (``code, name, wkb``) as GeoJSON text; None without a frame."""
    if msoa is None:
        return None
    lines = shapely.boundary(_shapes(msoa["wkb"]))
    return feature_collection(lines, [{"code": c, "name": n}
                                      for c, n in zip(msoa["code"], msoa["name"])])


def msoa_labels(msoa: pd.DataFrame | None) -> list[dict]:
    """Name labels for MSOAs (``code, label, wkb`` and bounds): each at a point inside its
    MSOA, sized in metres so that it fits the MSOA's width. Labels then grow and shrink with
    the zoom and never overlap a neighbour's: too small to read at England's scale, legible
    over a town, the context a basemap would give, drawn offline.

    >>> frame = pd.DataFrame({"code": ["E02004217"], "label": ["Ashburton & Buckfastleigh"],
    ...     "wkb": [shapely.to_wkb(shapely.box(-3.85, 50.45, -3.70, 50.52))],
    ...     "min_lon": [-3.85], "max_lon": [-3.70], "min_lat": [50.45], "max_lat": [50.52]})
    >>> label = msoa_labels(frame)[0]
    >>> label["t"], 200 < label["s"] < 800
    ('Ashburton & Buckfastleigh', True)
    """
    if msoa is None or "label" not in msoa.columns:
        return []
    named = msoa[msoa["label"].notna()]
    points = shapely.point_on_surface(_shapes(named["wkb"]))
    mid_lat = np.radians((named["min_lat"] + named["max_lat"]) / 2)
    width_m = (named["max_lon"] - named["min_lon"]) * 111_320 * np.cos(mid_lat)
    size = np.clip(width_m / (0.55 * named["label"].str.len()), 40, 1200)
    return [{"p": [round(pt.x, _DECIMALS), round(pt.y, _DECIMALS)], "t": t, "s": round(float(z))}
            for pt, t, z in zip(points, named["label"], size)]


# --- the deck ------------------------------------------------------------------------------

class CompactDeck(pdk.Deck):
    """A :class:`pydeck.Deck` whose JSON is compact, carries GeoJSON text verbatim and is
    computed once (Streamlit calls ``to_json`` on every render)."""

    def __init__(self, *args, raw: dict[str, str] | None = None, keep: tuple = (),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self._raw = raw or {}
        self._keep = keep  # what serves the layers given by URL (see deck's ``publish``)
        self._json: str | None = None

    @property
    def served(self) -> tuple:
        """What ``publish`` returned for the layers this deck gives by URL (none when they
        are inline); the deck holds them so that the app's route keeps serving them."""
        return self._keep

    def to_json(self) -> str:
        if self._json is None:
            text = json.dumps(self, sort_keys=True, default=_serialise, separators=(",", ":"))
            for token, payload in self._raw.items():
                text = text.replace(json.dumps(token), payload)
            self._json = text
        return self._json


def _serialise(o):
    out = default_serialize(o)
    if isinstance(out, dict):
        for private in ("_raw", "_json", "_keep"):
            out.pop(private, None)
    return out


BASEMAP_STYLE = "light"


def _shapes_of(m: Choropleth, codes) -> np.ndarray:
    """The map's LSOA shapes whose code is in ``codes``."""
    wanted = set(codes)
    return np.array([s for s, p in zip(m.shapes, m.properties) if p["code"] in wanted])


def selection_outline(m: Choropleth, codes) -> tuple[str | None, int]:
    """The outer boundary (GeoJSON) of the map's LSOAs whose code is in ``codes``, and how
    many of them the map holds; ``(None, 0)`` when it holds none."""
    inside = _shapes_of(m, codes)
    if not len(inside):
        return None, 0
    line = shapely.boundary(dissolve(inside))
    return feature_collection(np.array([line]), [{}]), len(inside)


def focus_view(m: Choropleth, codes, height: int = 560) -> pdk.ViewState | None:
    """The view that fits the map's LSOAs whose code is in ``codes`` (None when it holds
    none of them): how the map zooms to a place found by search or picked in the table."""
    inside = _shapes_of(m, codes)
    if not len(inside):
        return None
    west, south, east, north = shapely.total_bounds(inside)
    return fit_view((west, south, east, north), height=height, padding=0.6)


def deck(m: Choropleth, *, basemap: bool = False, height: int = 560,
         selection: str | None = None, view: pdk.ViewState | None = None,
         zoom_by: float = 0, publish: Callable[[str], object] | None = None) -> CompactDeck:
    """The pydeck deck for a :class:`Choropleth`.

    Without ``basemap`` no tiles or styles are requested at all: the LSOAs, the area outline
    and the legend stand on their own, offline. With it, CARTO's light
    basemap is drawn under the polygons when it loads. ``selection`` (GeoJSON, see
    :func:`selection_outline`) is drawn as a thick orange line (layer id ``custom-area``);
    ``view`` (see :func:`focus_view`) replaces the view that fits the whole area, and
    ``zoom_by`` zooms it in (positive) or out (the page's zoom buttons).

    ``publish`` (the app's :func:`inequality.app.served.publish`) may take the fill's JSON
    and return an object whose ``url`` the browser fetches it from (or None: the fill stays
    inline); the deck keeps that object for as long as it lives.
    """
    raw = {"__LSOAS__": m.rows}
    served = publish(m.rows) if publish else None
    if served is not None:  # fetched and parsed by deck.gl, not inside Streamlit's message
        raw = {"__LSOAS__": json.dumps(served.url)}
    colour = palette_expression(m.palette) if m.palette else "c"  # England: palette index
    fill = pdk.Layer("PolygonLayer", data="__LSOAS__", id="lsoas", pickable=True,
                     stroked=False, filled=True, opacity=0.9, get_polygon="p",
                     auto_highlight=True, highlight_color=[255, 128, 0, 220],
                     get_fill_color=colour, **grid_layer_props(m.decimals, m.origin))
    layers = [fill]  # the first frame; every other layer's data comes later (see later())
    if m.borders:  # England's 33,000 LSOAs are drawn without borders
        layers.append(_borders(m.borders, m.decimals, m.origin, opacity=0.9))
    if m.msoa:
        layers.append(pdk.Layer("GeoJsonLayer", data=later(m.msoa), id="msoa", stroked=True,
                                filled=False, get_line_color=[90, 90, 90, 220],
                                line_width_min_pixels=1.2, pickable=False))
    if m.msoa_labels:
        layers.append(pdk.Layer("TextLayer", data=later(_compact(m.msoa_labels)),
                                id="msoa-names", get_position="p", get_text="t", get_size="s",
                                size_units=pdk.types.String("meters"), size_max_pixels=22,
                                get_color=[20, 20, 20, 235],
                                font_family=pdk.types.String("DejaVu Sans, sans-serif"),
                                outline_width=3, outline_color=[255, 255, 255, 220],
                                font_settings={"sdf": True},
                                pickable=False))
    if m.outline:
        layers += [pdk.Layer("GeoJsonLayer", data=later(m.outline), id="outline-halo",
                             stroked=True, filled=False, get_line_color=[255, 255, 255, 255],
                             line_width_min_pixels=5, pickable=False),
                   pdk.Layer("GeoJsonLayer", data=later(m.outline), id="outline",
                             stroked=True, filled=False, get_line_color=[20, 20, 20, 255],
                             line_width_min_pixels=2, pickable=False)]
    if selection:
        layers.append(pdk.Layer("GeoJsonLayer", data=later(selection), id="custom-area",
                                stroked=True, filled=False, pickable=False,
                                get_line_color=[255, 94, 0, 255], line_width_min_pixels=4))
    tooltip = {"html": m.tooltip_html,
               "style": {"backgroundColor": "#222", "color": "#fff", "fontSize": "13px"}}
    view = view or m.view
    if zoom_by:
        view = pdk.ViewState(latitude=view.latitude, longitude=view.longitude,
                             zoom=view.zoom + zoom_by, pitch=0, bearing=0)
    return CompactDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                       height=height, raw=raw, keep=(served,) if served else (),
                       views=map_views(), **basemap_options(basemap))


def _borders(rings: str, decimals: int, origin: tuple[float, float], opacity: float,
             layer_id: str = "borders", colour: tuple[int, ...] = (255, 255, 255),
             width: float = 0.5) -> pdk.Layer:
    """Polygon outlines (by default the LSOAs' white borders), drawn over the fill once
    loaded (:func:`later`); ``rings``: JSON text of :func:`flat_geometries` parts."""
    return pdk.Layer("PolygonLayer", data=later(rings), id=layer_id, stroked=True,
                     filled=False, get_polygon="-", get_line_color=list(colour),
                     line_width_min_pixels=width, opacity=opacity, pickable=False,
                     **grid_layer_props(decimals, origin))


def map_views() -> list[pdk.View]:
    """One map view whose wheel does not zoom: over a map the page keeps scrolling, and the
    map zooms with a double click, a pinch, the + and - keys once clicked, or the page's zoom
    buttons."""
    return [pdk.View("MapView", controller={"scrollZoom": False, "doubleClickZoom": True,
                                            "touchZoom": True, "dragPan": True,
                                            "keyboard": True})]


def basemap_options(basemap: bool) -> dict:
    """The deck's basemap settings: CARTO's light style when asked for; otherwise none, and
    nothing fetched. No ``map_style`` at all: pydeck then writes its "__MAP_STYLE__"
    sentinel, which Streamlit reads as "no basemap" (``map_style=None`` would make Streamlit
    fetch its own CARTO style).

    >>> basemap_options(False)
    {'map_provider': None}
    """
    if basemap:
        return {"map_provider": "carto", "map_style": BASEMAP_STYLE}
    return {"map_provider": None}


# --- hidden deprivation ----------------------------------------------------------------------

#: Outline of the strongest flags (deprived, hidden by the overall index, pocket, cluster).
FLAG_COLOUR = [255, 94, 0]
#: Outline of the other flags (far from services, locally most deprived).
WEAK_FLAG_COLOUR = [255, 192, 138]


def hidden_deck(frame: pd.DataFrame, n_national: int, *, basemap: bool = False,
                height: int = 560) -> tuple[CompactDeck, str]:
    """The hidden-deprivation map: every LSOA coloured by national IMD decile (viridis, dark =
    most deprived), flagged LSOAs outlined in orange (thick: ``strong``), the reasons in the
    tooltip.

    ``frame`` is :func:`inequality.services.hidden.map_frame`'s (the report's LSOAs with their
    display geometry); ``n_national`` the number of LSOAs in England in the release. Returns
    ``(deck, legend_html)``.
    """
    shapes = _shapes(frame["wkb"])
    colours, legend = classify(frame["imd_decile"], "decile", n_national)
    props = []
    for i, r in enumerate(frame.itertuples(index=False)):
        reasons = list(r.reasons) if isinstance(r.reasons, list) else []
        # the tooltip renderer escapes values itself: plain text, one reason per line
        props.append({
            "code": r.lsoa_code, "name": str(r.lsoa_name or r.lsoa_code),
            "ward": str(r.ward_name) if isinstance(r.ward_name, str) else "–",
            "ruc": str(r.ruc_name) if isinstance(r.ruc_name, str) else "–",
            "imd": "–" if pd.isna(r.imd_decile) else int(r.imd_decile),
            "local": "–" if pd.isna(r.local_decile) else int(r.local_decile),
            "why": ("\n".join("• " + t for t in reasons) if reasons else "Not flagged."),
            "c": colours[i].tolist()})
    flagged = np.array([bool(x) for x in frame["flagged"]])
    strong = np.array([bool(x) for x in frame["strong"]])
    # one encoding for every layer, as the map page's: whole numbers of 10 m from the middle
    origin = area_origin(shapes)
    geometries, part_of = flat_geometries(shapes, _DECIMALS, origin)
    grid = grid_layer_props(_DECIMALS, origin)
    fill = pdk.Layer("PolygonLayer", data="__HLSOAS__", id="hidden-lsoas", pickable=True,
                     stroked=False, filled=True, opacity=0.85, get_polygon="p",
                     get_fill_color="c", auto_highlight=True,
                     highlight_color=[255, 128, 0, 200], **grid)
    raw = {"__HLSOAS__": rows_json(geometries, part_of, props)}
    layers = [fill, _borders(_rings(geometries), _DECIMALS, origin, 0.85)]
    weak = flagged & ~strong
    if weak.any():  # the borders, as every line, come after the first frame
        layers.append(_borders(_rings(geometries, weak[part_of]), _DECIMALS, origin, 1.0,
                               "flagged-other", (*WEAK_FLAG_COLOUR, 255), 1.5))
    if strong.any():
        chosen = strong[part_of]
        flags = later(rows_json([g for g, k in zip(geometries, chosen) if k], part_of[chosen],
                                [{"code": c} for c in frame["lsoa_code"]]))
        layers += [
            pdk.Layer("PolygonLayer", data=flags, id="flag-halo", pickable=False,
                      stroked=True, filled=False, get_polygon="p",
                      get_line_color=[0, 0, 0, 255], line_width_min_pixels=5, **grid),
            pdk.Layer("PolygonLayer", data=flags, id="flagged", pickable=False,
                      stroked=True, filled=False, get_polygon="p",
                      get_line_color=FLAG_COLOUR + [255], line_width_min_pixels=3, **grid)]
    bounds = (frame["min_lon"].min(), frame["min_lat"].min(), frame["max_lon"].max(),
              frame["max_lat"].max())
    tooltip = {"html": "<b>{name}</b> ({code})<br/>Ward: {ward}<br/>{ruc}<br/>"
                       "IMD decile in England: <b>{imd}</b> of 10; within the place: "
                       "<b>{local}</b> of 10<br/><div style='max-width:280px;"
                       "white-space:pre-line;font-size:0.9em'>{why}</div>",
               "style": {"backgroundColor": "#222", "color": "#fff", "fontSize": "13px"}}
    view = fit_view(bounds)
    deck = CompactDeck(layers=layers, initial_view_state=view, tooltip=tooltip,
                       height=height, raw=raw, views=map_views(), **basemap_options(basemap))
    legend.steps.append(("#ff5e00", ("Thick orange outline: deprived, hidden by the overall "
                                     "index, or a pocket or cluster")))
    legend.steps.append(("#ffc08a", ("Thin outline: flagged only as far from services or "
                                     "locally most deprived")))
    legend.title = "National IMD decile"
    return deck, legend_html(legend)
