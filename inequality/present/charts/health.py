"""Altair charts of the health gap (life expectancy, healthy life expectancy, the Slope Index
of Inequality, the gradient across authorities, MSOAs), drawn from the results of
:mod:`inequality.services.health`, and the plain-words explanation of the SII shown beside
them."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ...services.health import LE, ONS_LE, by_role

#: What the Slope Index of Inequality means, in plain words (shown above the SII charts).
SII_PLAIN = (
    "The **Slope Index of Inequality (SII)** measures how much life expectancy changes "
    "across the whole social gradient, from the most deprived to the least deprived. "
    "Everyone is lined up from most to least deprived (in groups such as tenths of "
    "neighbourhoods, each counted by its population); a straight line is fitted through the "
    "groups' life expectancy, and the SII is how far that line rises from the most deprived "
    "end to the least deprived end. An SII of 10 years means that, on that line, people at "
    "the least deprived end can expect to live about 10 years longer than people at the most "
    "deprived end. Unlike a simple gap between two groups, it uses every group and allows "
    "for their sizes. It is positive when the less deprived live longer.")

#: How the SII is calculated, with its sources (shown under the gradient and in the method).
SII_METHOD = (
    "Method: groups ordered most deprived first; each gets a relative rank, the midpoint of "
    "its share of the cumulative population (0 = most deprived end, 1 = least deprived "
    "end); the indicator is regressed on that rank, weighted by population share; the SII is "
    "the slope (fitted least deprived minus fitted most deprived). Confidence intervals by "
    "simulation from each group's standard error (Low & Low 2004, Journal of Public Health "
    "26:388-395; PHE/UKHSA PHEindicatormethods phe_sii), as OHID does for Fingertips 92901.")

#: Colours of the area, its region and England in the time series.
_ROLE_COLOURS = {"area": "#440154", "region": "#21918c", "England": "#909090"}


def le_chart(le: pd.DataFrame, title: str = "Life expectancy at birth (years)") -> alt.Chart:
    """Life expectancy over time for one sex (pass that sex's rows): the area, its region and
    England as lines (Fingertips) and ONS 2021-23 as points with 95% confidence intervals."""
    data = by_role(le[le["status"] == "published"])
    data["who"] = data["place"] + np.where(data["role"] == "region", " (region)", "")
    order = sorted(data["period_label"].unique())
    roles = list(dict.fromkeys(data["role"]))
    colour = alt.Color("who:N", title=None, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=list(dict.fromkeys(data["who"])),
                                       range=[_ROLE_COLOURS[r] for r in roles]))
    x = alt.X("period_label:O", title="Period (three years pooled)", sort=order,
              axis=alt.Axis(labelAngle=-40))
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=False))
    base = alt.Chart(data)
    lines = base.transform_filter(alt.datum.indicator_id == LE).mark_line(point=True).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("who:N", title="Area"), alt.Tooltip("sex:N"),
                 alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title="Years", format=".1f"),
                 alt.Tooltip("source:N")])
    ons = base.transform_filter(alt.datum.indicator_id == ONS_LE)
    ticks = ons.mark_rule(strokeWidth=2).encode(x=x, y=alt.Y("lci95:Q"), y2=alt.Y2("uci95:Q"),
                                                    color=colour)
    pts = ons.mark_point(shape="diamond", size=70, filled=True).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("who:N", title="Area"), alt.Tooltip("sex:N"),
                 alt.Tooltip("value:Q", title="Years (ONS)", format=".1f"),
                 alt.Tooltip("lci95:Q", title="95% CI lower", format=".1f"),
                 alt.Tooltip("uci95:Q", title="95% CI upper", format=".1f")])
    return (lines + ticks + pts).properties(height=280)


def sii_chart(sii: pd.DataFrame, title: str = "SII: years between least and most deprived"
              ) -> alt.Chart:
    """OHID's SII in life expectancy over time for one sex (pass that sex's rows), for the
    area and England, with 95% limits where the file gives them."""
    data = by_role(sii[sii["status"] == "published"])
    order = sorted(data["period_label"].unique())
    has_ci = data["lci95"].notna().any()
    x = alt.X("period_label:O", title="Period (three years pooled)", sort=order,
              axis=alt.Axis(labelAngle=-40))
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=True))
    colour = alt.Color("place:N", title=None, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=list(dict.fromkeys(data["place"])),
                                       range=[_ROLE_COLOURS[r]
                                              for r in dict.fromkeys(data["role"])]))
    base = alt.Chart(data)
    layer = base.mark_line(point=True).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("place:N"), alt.Tooltip("sex:N"), alt.Tooltip("period:N"),
                 alt.Tooltip("value:Q", title="SII (years)", format=".1f")])
    if has_ci:
        layer = layer + base.mark_rule().encode(x=x, y=alt.Y("lci95:Q"), y2=alt.Y2("uci95:Q"),
                                                    color=colour)
    return layer.properties(height=260)


def hle_chart(hle: pd.DataFrame) -> alt.Chart:
    """Healthy life expectancy and the years in poorer health, stacked to life expectancy,
    for the area and England (latest period), by sex."""
    data = hle.dropna(subset=["hle"]).copy()
    if data.empty:
        return alt.Chart(pd.DataFrame({"x": []})).mark_bar()
    latest = data["period_start"].max()
    data = data[data["period_start"] == latest]
    long = pd.concat([
        data.assign(part="Years in good health (HLE)", years=data["hle"], order=1),
        data.assign(part="Years in poorer health (LE − HLE)",
                    years=data["poorer_health_years"], order=2)], ignore_index=True)
    long = long.dropna(subset=["years"])
    long["who"] = long["place"] + ", " + long["sex"].str.lower()
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("who:N", title=None),
        x=alt.X("years:Q", title=f"Years of life expected at birth, {data['period_label'].iloc[0]}",
                stack="zero"),
        color=alt.Color("part:N", title=None,
                        legend=alt.Legend(orient="bottom", labelLimit=400),
                        scale=alt.Scale(range=["#35b779", "#440154"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("place:N"), alt.Tooltip("sex:N"), alt.Tooltip("part:N"),
                 alt.Tooltip("years:Q", format=".1f")],
    ).properties(height=40 * long["who"].nunique() + 40)


def gradient_chart(g: dict, area_code: str | None, axis: str = "deprivation") -> alt.LayerChart:
    """Scatter of life expectancy against deprivation across authorities, the chosen authority
    highlighted and labelled, with the fitted line (``axis='deprivation'``: population-weighted
    least squares on the deprivation measure; ``'relative_rank'``: the SII line)."""
    frame = g["frame"][g["frame"]["included"]].copy()
    frame["chosen"] = frame["area_code"] == area_code
    if axis == "relative_rank":
        xfield, xtitle = "relative_rank", ("Relative rank by deprivation: 0 = most deprived end, "
                                           "1 = least deprived end (population-weighted)")
    else:
        xfield, xtitle = "deprivation", g["x_title"]
    prop = g["deprivation"].endswith("prop10")
    fmt = ".0%" if prop else ".1f"
    ytitle = f"Life expectancy at birth, {g['sex'].lower()}s, {g['period_label']} (years)"
    base = alt.Chart(frame)
    tooltip = [alt.Tooltip("area_name:N", title="Authority"),
               alt.Tooltip("region_name:N", title="Region"),
               alt.Tooltip("value:Q", title="Life expectancy", format=".1f"),
               alt.Tooltip("deprivation:Q", title="Deprivation", format=fmt),
               alt.Tooltip("population:Q", title="Population", format=",.0f")]
    points = base.mark_circle(opacity=0.55).encode(
        x=alt.X(f"{xfield}:Q", title=xtitle,
                scale=alt.Scale(zero=False) if axis == "deprivation" else alt.Scale(
                    domain=[0, 1]),
                axis=alt.Axis(format=(".0%" if prop else ".0f"), tickCount=10)
                if axis == "deprivation" else alt.Axis(
                    format=".1f", values=[i / 10 for i in range(11)])),
        y=alt.Y("value:Q", title=ytitle, scale=alt.Scale(zero=False)),
        size=alt.Size("population:Q", title="Population", legend=None,
                      scale=alt.Scale(range=[15, 220])),
        color=alt.ColorValue("#31688e"), tooltip=tooltip)
    lines = g["lines"][g["lines"]["axis"] == axis]
    fitted = alt.Chart(lines).mark_line(color="#fde725", strokeWidth=3).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q")) + alt.Chart(lines).mark_line(
            color="#440154", strokeDash=[6, 3]).encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    chosen = frame[frame["chosen"]]
    layers = [points, fitted]
    if len(chosen):
        hl = alt.Chart(chosen)
        layers.append(hl.mark_circle(size=260, color="#d62728", stroke="black",
                                     strokeWidth=1.5, opacity=1).encode(
            x=alt.X(f"{xfield}:Q"), y=alt.Y("value:Q"), tooltip=tooltip))
        layers.append(hl.mark_text(align="left", dx=12, dy=-10, fontSize=13, fontWeight="bold"
                                   ).encode(x=alt.X(f"{xfield}:Q"), y=alt.Y("value:Q"),
                                           text=alt.Text("area_name:N")))
    return alt.layer(*layers).properties(height=420)


def msoa_map_chart(features: list[dict], title: str) -> alt.Chart:
    """Choropleth of MSOA life expectancy (darker = shorter lives, matching the deprivation
    maps where darker = more deprived); grey = no value."""
    data = alt.Data(values=features)
    return alt.Chart(data).mark_geoshape(stroke="white", strokeWidth=0.4).encode(
        color=alt.Color("properties.value:Q", title=title,
                        scale=alt.Scale(scheme="viridis"),
                        legend=alt.Legend(orient="bottom", gradientLength=260)),
        tooltip=[alt.Tooltip("properties.msoa_name:N", title="MSOA"),
                 alt.Tooltip("properties.msoa_code:N", title="Code"),
                 alt.Tooltip("properties.value:Q", title="Life expectancy", format=".1f"),
                 alt.Tooltip("properties.deprivation:Q", title="IMD score", format=".1f"),
                 alt.Tooltip("properties.status:N", title="Status")],
    ).project(type="mercator").properties(height=420)


def msoa_scatter_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """MSOA life expectancy against the MSOA's IMD score, with its 95% limits."""
    data = frame.dropna(subset=["value"])
    base = alt.Chart(data)
    x = alt.X("deprivation:Q", title="IMD score of the MSOA (population-weighted; higher = more "
                                     "deprived)", scale=alt.Scale(zero=False))
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=False))
    layer = base.mark_circle(size=60, color="#31688e").encode(
        x=x, y=y, tooltip=[alt.Tooltip("msoa_name:N"), alt.Tooltip("msoa_code:N"),
                           alt.Tooltip("value:Q", format=".1f"),
                           alt.Tooltip("deprivation:Q", format=".1f")])
    if data["lci95"].notna().any():
        layer = base.mark_rule(color="#31688e", opacity=0.5).encode(
            x=x, y=alt.Y("lci95:Q"), y2=alt.Y2("uci95:Q")) + layer
    return (layer + base.transform_regression("deprivation", "value").mark_line(
        color="#440154", strokeDash=[6, 3])).properties(height=320)
