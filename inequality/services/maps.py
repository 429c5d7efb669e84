"""What a choropleth of one measure needs from the database, as plain data.

:func:`map_data` reads, for one release, area and measure: the national LSOA count (for
ranks), the area's name, the measure labels, every LSOA's values, the boundaries they are
drawn on (the release's boundary vintage; IoD 2010's 2001 LSOAs are drawn on the 2011
boundaries of the LSOAs the ONS lookup marks unchanged) and, when asked, the MSOAs' outlines.
It returns a :class:`MapData`; :func:`inequality.present.maps.choropleth` turns that into the
map (classes, colours, tooltips, GeoJSON). Geometry stays as WKB, as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from .. import queries
from ..geography import BOUNDARY_GEOGRAPHY, MSOA_GEOGRAPHY
from ..queries import ENGLAND

Con = duckdb.DuckDBPyConnection


#: How a measure's value can be shown (score, rank or national decile).
VALUE_KINDS = ("decile", "rank", "score")


@dataclass
class MapData:
    """Everything the database says about one map, before any drawing decision.

    ``values`` holds every LSOA of the area (the table under the map), with columns
    ``lsoa_code, lsoa_name`` and ``{measure}_{score|rank|decile}`` (for an authority or
    region every measure's); ``drawn`` the LSOAs that have a boundary, with
    ``boundary_code`` and the boundary's ``code, name, wkb, min_lon, min_lat, max_lon,
    max_lat`` (``level``: ``overview`` geometry for England, ``display`` otherwise);
    ``msoa`` the MSOAs' ``code, name, wkb`` (display), or None.
    """

    release: str
    area_code: str
    area_name: str
    geography: str
    n_national: int
    measure: str
    measure_label: str
    labels: dict[str, str]
    kind: str
    level: str
    values: pd.DataFrame
    drawn: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    msoa: pd.DataFrame | None = None

    @property
    def england(self) -> bool:
        return self.area_code == ENGLAND

    @property
    def column(self) -> str:
        return f"{self.measure}_{self.kind}"


def map_data(con: Con, release: str, area_code: str, measure: str = "imd",
             kind: str = "decile", *, msoa: bool = False) -> MapData:
    """Read what the map of one measure for an area's LSOAs in one release needs.

    Raises ``ValueError`` for an unknown ``kind``, :class:`queries.UnknownArea` for a release
    not loaded or an unknown area, ``LookupError`` for an unknown measure, a measure the
    release holds no such value of, or an area with no boundaries to draw.
    """
    if kind not in VALUE_KINDS:
        raise ValueError(f"map value kind {kind!r} is not one of {sorted(VALUE_KINDS)}")
    rel = queries.releases(con).set_index("release")
    if release not in rel.index:
        raise queries.UnknownArea(f"release {release!r} is not loaded; loaded: "
                                  f"{', '.join(rel.index)}")
    geography = rel.loc[release, "geography"]
    n_national = int(rel.loc[release, "lsoa_count"])
    place = queries.area(con, area_code)
    labels = measure_labels(con)
    if measure not in labels:
        raise LookupError(f"measure {measure!r} is not one of {', '.join(labels)}")
    label = labels[measure]
    england = area_code == ENGLAND
    level = "overview" if england else "display"

    values = area_values(con, release, area_code, measure)
    column = f"{measure}_{kind}"
    if column not in values.columns or values[column].isna().all():
        raise LookupError(f"{release} holds no {kind} for {label}; choose another measure "
                          "or value")
    notes: list[str] = []
    drawn, boundary_geo = on_boundaries(con, values, geography, notes)
    geo = queries.geometries(con, boundary_geo, drawn["boundary_code"].tolist(), level)
    drawn = drawn.merge(geo, left_on="boundary_code", right_on="code", how="inner")
    if drawn.empty:
        raise LookupError(f"no boundaries to draw for {place['area_name']} in {release}")
    return MapData(
        release=release, area_code=area_code, area_name=place["area_name"],
        geography=geography, n_national=n_national, measure=measure, measure_label=label,
        labels=labels, kind=kind, level=level, values=values, drawn=drawn, notes=notes,
        msoa=msoa_geometries(con, geography, area_code) if msoa and not england else None)


def area_values(con: Con, release: str, area_code: str, measure: str) -> pd.DataFrame:
    """Every LSOA's values: for England one measure's (``{measure}_score`` etc.), for an
    authority or region every measure's (the wide LSOA table)."""
    if area_code == ENGLAND:
        v = queries.measure_values(con, release, measure)
        return v.rename(columns={"score": f"{measure}_score", "rank": f"{measure}_rank",
                                 "decile": f"{measure}_decile"})
    return queries.lsoa_values(con, release, area_code)


def on_boundaries(con: Con, values: pd.DataFrame, geography: str, notes: list[str]
                  ) -> tuple[pd.DataFrame, str]:
    """Attach the boundary code each LSOA is drawn with (2001 LSOAs: unchanged ones only,
    with a note saying how many are not drawn)."""
    boundary_geo = BOUNDARY_GEOGRAPHY[geography]
    if geography != "lsoa01":
        return values.assign(boundary_code=values["lsoa_code"]), boundary_geo
    same = queries.unchanged_lsoas(con, "lsoa01", "lsoa11")
    mapped = values.merge(same, left_on="lsoa_code", right_on="from_code", how="inner")
    notes.append(
        f"IoD 2010 is published on 2001 LSOAs, for which no boundaries exist. The map shows "
        f"its values on the 2011 boundaries of the {len(mapped):,} of {len(values):,} LSOAs "
        f"that the ONS lookup marks unchanged between 2001 and 2011; the "
        f"{len(values) - len(mapped):,} that were split, merged or redrawn are not drawn "
        "(the table below lists every LSOA).")
    return (mapped.drop(columns=["from_code"]).rename(columns={"to_code": "boundary_code"}),
            boundary_geo)


def measure_labels(con: Con) -> dict[str, str]:
    """Measure id to official name."""
    table = queries.measures(con)
    return dict(zip(table["measure"], table["label"]))


def msoa_geometries(con: Con, geography: str, area_code: str) -> pd.DataFrame | None:
    """The MSOAs an area's LSOAs belong to (``code, name, wkb``, display geometry, bounds and
    ``label``, the House of Commons Library name); None for 2001 LSOAs or an area with
    none."""
    msoa_geo = MSOA_GEOGRAPHY.get(geography)
    if msoa_geo is None:
        return None
    codes = queries.msoa_codes(con, geography, area_code)
    if not codes:
        return None
    shapes = queries.geometries(con, msoa_geo, codes, "display")
    friendly = queries.msoa_friendly_names(con, msoa_geo, codes)
    return shapes.merge(friendly.rename(columns={"msoa_code": "code", "name": "label"}),
                        on="code", how="left")


def boundary_geography(con: Con, release: str) -> tuple[str, str]:
    """The release's LSOA geography and the geography of the boundaries drawn for it."""
    geography = queries.releases(con).set_index("release").loc[release, "geography"]
    return geography, BOUNDARY_GEOGRAPHY[geography]
