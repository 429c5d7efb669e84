"""Altair charts of deciles and places (the map's viridis palette, decile 1 darkest).

Layers that draw the same rows are built without data and given it once, at the top
(``alt.layer(..., data=frame)``): ``chart_a + chart_b`` with the same DataFrame in both makes
Altair hash each layer's JSON, rows included, to name it (a third of a chart's cost).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..maps import VIRIDIS_10
from ..text import decile_axis_label


def decile_colour_scale() -> alt.Scale:
    """The map's palette for deciles, so charts and map agree."""
    return alt.Scale(domain=[decile_axis_label(d) for d in range(1, 11)],
                     range=list(VIRIDIS_10))


_DECILE_TITLE = "National decile (1 = most deprived 10%)"


#: Legends sit under the plot and wrap (never beside it, where a phone has no room; no label
#: cut short). Vega-Lite does not wrap a legend to the width it has, and it starts the legend
#: at the plot's left edge: four columns of "10 least deprived" ran off a half-width chart
#: and a phone (screenshots), so two columns, and one under bars whose long labels (the
#: domains' names) leave the plot narrow.
def _decile_legend(columns: int) -> alt.Legend:
    return alt.Legend(orient="bottom", columns=columns, symbolType="square", labelLimit=0,
                      title="National decile")


_DECILE_LEGEND = _decile_legend(2)
_DECILE_LEGEND_NARROW = _decile_legend(1)


def decile_distribution_chart(frame: pd.DataFrame) -> alt.Chart:
    """Bars of the share of an area's LSOAs in each national decile, with England's 10%."""
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("decile:O", title=_DECILE_TITLE, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="Share of the area's LSOAs", axis=alt.Axis(format="%")),
        color=alt.Color("decile_label:N", scale=decile_colour_scale(), legend=None),
        tooltip=[alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")])
    rule = alt.Chart(pd.DataFrame({"share": [0.1], "what": ["England: 10% in every decile"]})
                     ).mark_rule(strokeDash=[5, 4], color="#222").encode(
        y=alt.Y("share:Q"), tooltip=alt.Tooltip("what:N", title=""))
    return (bars + rule).properties(height=300)


def stacked_deciles_chart(frame: pd.DataFrame, y: str, y_title: str, y_sort=None,
                          horizontal: bool = True, height: int = 300) -> alt.Chart:
    """100% stacked bars of decile shares (decile 1 first, darkest), one bar per ``y``."""
    order = [decile_axis_label(d) for d in range(1, 11)]
    share = dict(field="share", type="quantitative", title="Share of LSOAs",
                 axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    if horizontal:
        enc = {"x": alt.X(**share),
               "y": alt.Y(f"{y}:N", title=y_title, sort=y_sort,
                          axis=alt.Axis(labelLimit=220))}
    else:
        enc = {"y": alt.Y(**share),
               "x": alt.X(f"{y}:N", title=y_title, sort=y_sort, axis=alt.Axis(labelAngle=0))}
    return alt.Chart(frame).mark_bar().encode(
        **enc,
        color=alt.Color("decile_label:N", scale=decile_colour_scale(), sort=order,
                        legend=_DECILE_LEGEND_NARROW if horizontal else _DECILE_LEGEND),
        order=alt.Order("decile:Q", sort="ascending"),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title),
                 alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs", format=",.0f"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")]
    ).properties(height=height)


_ROLES = ["this area", "its region", "England", "similar authority"]


_NEIGHBOUR_COLOURS = ("#1b9e77", "#17becf", "#7570b3", "#e7298a", "#66a61e", "#a6761d",
                      "#e6ab02")


def _place_colours(frame: pd.DataFrame) -> alt.Scale:
    """The area dark blue, its region orange, England black, similar authorities muted."""
    fixed = {"this area": "#3e4a89", "its region": "#c44e00", "England": "#111111"}
    labels = frame.drop_duplicates("label")[["label", "role"]]
    colours, spare = [], iter(_NEIGHBOUR_COLOURS * 3)
    for role in labels["role"]:
        colours.append(fixed.get(role) or next(spare))
    return alt.Scale(domain=labels["label"].tolist(), range=colours)


def headline_series_chart(frame: pd.DataFrame) -> alt.Chart:
    """Lines of the share of LSOAs in the most deprived 10%, one per place, over releases;
    the area thick, its region and England dashed, similar authorities thin."""
    frame = frame[["year", "share_decile_1", "label", "role"]]  # only what is drawn
    base = alt.Chart().encode(
        x=alt.X("year:O", title="Release (IoD year)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share_decile_1:Q", title="Share of LSOAs in England's most deprived 10%",
                axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        color=alt.Color("label:N", title="Place", scale=_place_colours(frame),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
        strokeDash=alt.StrokeDash("role:N", scale=alt.Scale(
            domain=_ROLES, range=[[1, 0], [8, 4], [3, 3], [1, 0]]), legend=None),
        strokeWidth=alt.StrokeWidth("role:N", scale=alt.Scale(
            domain=_ROLES, range=[4, 2.5, 2.5, 1.3]), legend=None),
        tooltip=[alt.Tooltip("label:N", title="Place"), alt.Tooltip("year:O", title="IoD"),
                 alt.Tooltip("share_decile_1:Q", title="Share in decile 1", format=".1%")])
    return alt.layer(base.mark_line(), base.mark_point(filled=True, size=50), data=frame,
                     height=340)


def transition_chart(matrix: pd.DataFrame, from_label: str, to_label: str) -> alt.Chart:
    """Heat map of LSOAs moving from one release's decile (rows) to the next's (columns)."""
    long = (matrix.rename_axis(index="from", columns="to").stack().rename("lsoas")
            .reset_index())
    long["from"] = long["from"].astype(int)
    long["to"] = long["to"].astype(int)
    top = max(float(long["lsoas"].max()), 1.0)
    long["ink"] = np.where(long["lsoas"] > top * 0.5, "#fff", "#111")  # legible on the cell
    base = alt.Chart().encode(
        x=alt.X("to:O", title=f"Decile in {to_label} (1 = most deprived)",
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("from:O", title=f"Decile in {from_label} (1 = most deprived)"))
    rect = base.mark_rect(stroke="#fff").encode(
        color=alt.Color("lsoas:Q", title="LSOAs", scale=alt.Scale(scheme="greys",
                                                                   domain=[0, top])),
        tooltip=[alt.Tooltip("from:O", title=f"Decile {from_label}"),
                 alt.Tooltip("to:O", title=f"Decile {to_label}"),
                 alt.Tooltip("lsoas:Q", title="LSOAs", format=",.0f")])
    text = base.transform_filter(alt.datum.lsoas > 0).mark_text(fontSize=12).encode(
        text=alt.Text("lsoas:Q", format=",.1~f"),
        color=alt.Color("ink:N", scale=None, legend=None))
    # the labels' ink (scale=None) must not share the cells' colour scale
    return alt.layer(rect, text, data=long, height=380).resolve_scale(color="independent")


def decile_grid_chart(frame: pd.DataFrame) -> alt.Chart:
    """A neighbourhood's decile of each measure (rows) in each release (columns), coloured as
    on the map; ``frame``: :func:`inequality.present.tables.neighbourhood_deciles`."""
    long = frame.melt(id_vars="measure", var_name="release", value_name="decile").dropna()
    long["decile"] = long["decile"].astype(int)
    long["decile_label"] = long["decile"].map(decile_axis_label)
    long["ink"] = np.where(long["decile"] <= 5, "#fff", "#111")  # legible on the cell
    base = alt.Chart().encode(
        x=alt.X("release:O", title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("measure:N", title=None, sort=list(frame["measure"]),
                axis=alt.Axis(labelLimit=220)))
    cells = base.mark_rect(stroke="#fff").encode(
        color=alt.Color("decile_label:N", scale=decile_colour_scale(),
                        sort=[decile_axis_label(d) for d in range(1, 11)],
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=140,
                                          title="National decile")),
        tooltip=[alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("release:O", title="Release"),
                 alt.Tooltip("decile_label:N", title="Decile")])
    labels = base.mark_text(fontSize=13).encode(
        text=alt.Text("decile:Q"), color=alt.Color("ink:N", scale=None, legend=None))
    # the labels' ink (scale=None) must not share the cells' colour scale
    return alt.layer(cells, labels, data=long, height=30 * len(frame)).resolve_scale(
        color="independent")
