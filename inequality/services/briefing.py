"""The figures of a briefing, read from the database as plain data.

A briefing is about a :class:`Place`: an authority, a region, England, a ward or a custom set
of LSOAs (:func:`resolve`). :func:`gather` collects every figure it quotes: the headline
summary beside England's, the decile tracking with its comparators, the hidden-deprivation
report, the health profile, the map's boundaries and deciles, and when the data were built.
:mod:`inequality.present.report` turns them into sentences, figures, HTML and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import queries
from . import custom_areas, health, hidden, summaries
from .maps import boundary_geography

Con = duckdb.DuckDBPyConnection


class ReportError(ValueError):
    """A briefing that cannot be produced as asked; the message says how to fix it."""


@dataclass
class Place:
    """What a briefing is about: an official area, or a custom set of LSOAs."""

    name: str
    kind: str  # england | region | lad | ward | custom
    area_code: str | None = None
    area: custom_areas.CustomArea | None = None
    home: dict | None = None  # the authority holding most of a custom area


def resolve(con: Con, area: str | None, lsoas: list[str] | None = None,
            name: str | None = None) -> Place:
    """An authority/region/England code, a ward code (E05...), or explicit LSOA codes."""
    if lsoas:
        ca = custom_areas.make_area(con, name or area or "Custom area", lsoas)
        return Place(ca.name, "custom", area=ca, home=custom_areas.home_authority(con, ca))
    if not area:
        raise ReportError("name an area (an authority, region, E92000001 or a ward code) or "
                          "give --lsoas CODE ...")
    if area.startswith("E05"):
        codes = queries.lsoas_of_ward(con, area)
        wards = queries.wards(con)
        row = wards[wards["ward_code"] == area]
        if not codes or row.empty:
            raise ReportError(f"ward {area!r} has no LSOAs in the database (wards are the 2024 "
                              "wards of the LSOA21 lookup); check the code")
        ward_name = f"{row.iloc[0]['ward_name']} ward, {row.iloc[0]['lad24_name']}"
        ca = custom_areas.CustomArea(name or ward_name, "lsoa21", tuple(codes))
        return Place(ca.name, "ward", area=ca, home=custom_areas.home_authority(con, ca))
    try:
        found = queries.area(con, area)
    except queries.UnknownArea as exc:
        raise ReportError(str(exc)) from exc
    return Place(found["area_name"], found["area_type"], area_code=area)


def latest_with_boundaries(con: Con) -> str:
    """The latest loaded release on a geography with boundaries (not 2001 LSOAs)."""
    rel = queries.releases(con)
    return rel[rel["geography"] != "lsoa01"]["release"].iloc[-1]


def map_shapes(con: Con, release: str, codes: list[str]) -> tuple[pd.DataFrame, dict]:
    """The display boundaries of the given LSOAs (``code, name, wkb, min_lon, ...``) and
    their national IMD deciles (code -> decile) for a static map."""
    geography, boundary_geo = boundary_geography(con, release)
    values = queries.lsoa_deciles(con, release, codes)
    if boundary_geo != geography:  # 2001 LSOAs have no boundaries
        raise ReportError(f"{release} is on 2001 LSOAs, which have no boundaries; choose a "
                          "later release for the map")
    shapes = queries.geometries(con, boundary_geo, codes, "display")
    if shapes.empty:
        raise ReportError(f"no boundaries for the area's LSOAs in {release}")
    return shapes, dict(zip(values["lsoa_code"], values["decile"]))


def tracking_series(con: Con, place: Place, tracking: dict) -> pd.DataFrame:
    """Share of the place's LSOAs in decile 1 by release (role ``area``) beside its
    comparators: for an authority its region and England, for a ward or custom area its
    home authority (role ``home``) and England, for a region England.

    Columns ``label, role, year, share_1``.
    """
    rows = []
    loaded = queries.releases(con)
    years = dict(zip(loaded["release"], loaded["year"].astype(int)))
    for rel, r in tracking["releases"].items():
        rows.append({"label": place.name, "role": "area", "year": years[rel],
                     "share_1": r["shares"]["1"]})
    comps = []
    if place.kind == "lad":
        comp = summaries.comparison(con, place.area_code, k=0)
        comps = [(c, g) for c, g in comp.groupby("role") if c in ("region", "england")]
    elif place.kind in ("ward", "custom") and place.home:
        comp = summaries.comparison(con, place.home["area_code"], k=0)
        comp.loc[comp["role"] == "area", "role"] = "home"
        comps = [(c, g) for c, g in comp.groupby("role") if c in ("home", "england")]
    elif place.kind == "region":
        comp = summaries.comparison(con, place.area_code, k=0)
        comps = [(c, g) for c, g in comp.groupby("role") if c == "england"]
    for role, g in comps:
        for _, row in g.iterrows():
            rows.append({"label": row["area_name"], "role": role, "year": years[row["release"]],
                         "share_1": row["share_1"]})
    return pd.DataFrame(rows)


def gather(con: Con, place: Place, release: str | None = None) -> dict:
    """Every figure a briefing quotes, as plain data.

    Keys: ``place``, ``release`` (the one asked for, or the latest with boundaries),
    ``summary`` and ``england`` (:func:`summaries.area_summary` or the custom-area summary),
    ``tracking`` (decile tracking), ``series`` (:func:`tracking_series`), ``map``
    (``{"shapes": ..., "deciles": ...}``, see :func:`map_shapes`), ``hidden`` (the
    hidden-deprivation report of an authority, ward or custom area; None otherwise),
    ``health`` (the health profile, None without an area to take it from) and
    ``health_name`` (the area it describes), ``built`` (when the database was built).
    """
    release = release or latest_with_boundaries(con)
    if release not in set(queries.releases(con)["release"]):
        raise ReportError(f"release {release!r} is not loaded")
    geography, _ = boundary_geography(con, release)
    if place.kind in ("ward", "custom"):
        summary = custom_areas.summary(con, place.area, release)
        tracking = custom_areas.deciles(con, place.area)
        codes = custom_areas.codes_on(con, place.area, geography)
        hidden_rep = hidden.report(con, None, release, lsoa_codes=codes, label=place.name)
        health_code = place.home["area_code"] if place.home else None
    else:
        summary = summaries.area_summary(con, place.area_code, release)
        tracking = summaries.decile_tracking(con, place.area_code)
        codes = queries.lsoa_values(con, release, place.area_code)["lsoa_code"].tolist()
        hidden_rep = hidden.report(con, place.area_code, release) if place.kind == "lad" else None
        health_code = place.area_code
    england = summaries.area_summary(con, queries.ENGLAND, release)
    shapes, deciles = map_shapes(con, release, codes)
    series = tracking_series(con, place, tracking)
    profile = health.area_profile(con, health_code) if health_code else None
    health_name = place.name if place.kind not in ("ward", "custom") else (
        place.home["area_name"] if place.home else None)
    return {"place": place, "release": release, "summary": summary, "england": england,
            "tracking": tracking, "series": series,
            "map": {"shapes": shapes, "deciles": deciles},
            "hidden": hidden_rep, "health": profile, "health_name": health_name,
            "built": queries.build_info(con).get("built_at", "?")}
