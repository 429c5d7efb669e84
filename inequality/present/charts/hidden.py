"""Altair charts of rural and hidden deprivation, drawn from the frames of
:mod:`inequality.present.hidden` (the map's viridis palette, decile 1 darkest)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..text import decile_axis_label
from . import decile_colour_scale


def rural_urban_chart(long: pd.DataFrame) -> alt.Chart:
    """100% stacked bars of national IMD deciles, one bar per rural/urban group."""
    order = list(dict.fromkeys(long["group"]))
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("share:Q", title="Share of LSOAs", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("group:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("decile_label:N", scale=decile_colour_scale(),
                        sort=[decile_axis_label(d) for d in range(1, 11)],
                        legend=alt.Legend(orient="top", columns=5, title="National IMD decile")),
        order=alt.Order("decile:Q", sort="ascending"),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")]
    ).properties(height=max(120, 34 * len(order)))


def outside_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars: deprived people inside and outside the nationally most deprived LSOAs."""
    frame = frame.assign(part=np.where(frame["where"].str.startswith("inside"), "inside",
                                       "outside"))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("share:Q", title="Share of the area's deprived people",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("threshold:N", title="Deprived places = the nationally", sort=None),
        color=alt.Color("part:N", title="They live",
                        scale=alt.Scale(domain=["inside", "outside"],
                                        range=["#440154", "#ff5e00"]),
                        legend=alt.Legend(orient="top")),
        order=alt.Order("part:N", sort="ascending"),
        tooltip=[alt.Tooltip("where:N", title="Live"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")]
        + ([alt.Tooltip("people:Q", title="People", format=",.0f")]
           if "people" in frame.columns else [])
    ).properties(height=110)


def profile_chart(frame: pd.DataFrame, template_label: str) -> alt.LayerChart:
    """Bars of the place's decile shares, the nearest ONS template as a dashed line."""
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("decile:O", title="National decile (1 = most deprived 10%)",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="Share of the place's LSOAs", axis=alt.Axis(format="%")),
        color=alt.Color("decile_label:N", scale=decile_colour_scale(), legend=None),
        tooltip=[alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs"),
                 alt.Tooltip("share:Q", title="Share", format=".1%"),
                 alt.Tooltip("template:Q", title=f"ONS {template_label}", format=".1%")])
    line = alt.Chart(frame.assign(what=f"ONS template: {template_label}")).mark_line(
        color="#ff5e00", strokeDash=[6, 3], strokeWidth=2.5,
        point=alt.OverlayMarkDef(color="#ff5e00", size=40)).encode(
        x=alt.X("decile:O"), y=alt.Y("template:Q"),
        tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("template:Q", format=".1%")])
    return (bars + line).properties(height=260)
