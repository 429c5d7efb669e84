"""Layered charts stay drawable: layers that colour by different fields keep separate colour
scales (Vega-Lite shares one scale across layers by default, and a quantitative fill with a
nominal label ink in one scale is an error that leaves the chart blank in the browser).

The inputs are small frames of the shapes the services return (a decile-to-decile matrix of
weighted LSOA counts; a measure-by-release grid of deciles), not official figures.
"""

from __future__ import annotations

import pandas as pd

from inequality.present import charts


def _colour_fields(spec: dict) -> set[tuple]:
    out = set()
    for layer in spec.get("layer", []):
        colour = layer.get("encoding", {}).get("color")
        if colour and "field" in colour:
            out.add((colour["field"], colour.get("type")))
    return out


def _independent(spec: dict) -> bool:
    return spec.get("resolve", {}).get("scale", {}).get("color") == "independent"


def _assert_drawable(chart) -> None:
    spec = chart.to_dict()
    fields = _colour_fields(spec)
    assert len(fields) <= 1 or _independent(spec), fields


def test_transition_heat_map_labels_keep_their_own_ink():
    matrix = pd.DataFrame([[26.0, 1.5, 0.0], [7.5, 11.0, 2.0], [1.0, 10.5, 16.0]],
                          index=[1, 2, 3], columns=[1, 2, 3])
    chart = charts.transition_chart(matrix, "IoD 2019", "IoD 2025")
    _assert_drawable(chart)
    spec = chart.to_dict()
    inks = {row["ink"] for rows in spec["datasets"].values() for row in rows}
    assert inks == {"#fff", "#111"}  # light on the darkest cells, dark elsewhere


def test_decile_grid_labels_keep_their_own_ink():
    frame = pd.DataFrame({"measure": ["IMD (overall)", "Income"],
                          "IoD 2019": [4, 3], "IoD 2025": [3, 8]})
    _assert_drawable(charts.decile_grid_chart(frame))
