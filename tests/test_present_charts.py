"""Layered charts stay drawable: layers that colour by different fields keep separate colour
scales (Vega-Lite shares one scale across layers by default, and a quantitative fill with a
nominal label ink in one scale is an error that leaves the chart blank in the browser).

The first tests' inputs are small frames of the shapes the services return (a
decile-to-decile matrix of weighted LSOA counts; a measure-by-release grid of deciles), not
official figures; the page tests draw the fixture database's real rows.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

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


# --- every chart the pages draw is valid Vega-Lite ---------------------------------------
# The pages send charts without Altair's (slow) schema validation (inequality.app.widgets
# .chart); here every chart each page draws for real fixture data is validated instead.

PAGE_VISITS = [
    ("pages/overview.py", {"area": "E06000001", "release": "iod2019"}),
    ("pages/deciles.py", {"area": "E06000001", "release": "iod2019"}),
    ("pages/hidden.py", {"area": "E06000001", "release": "iod2025"}),
    ("pages/health_gap.py", {"area": "E06000001", "release": "iod2019"}),
    ("pages/neighbourhood.py", {"q": None}),  # a Hartlepool postcode of the fixtures
]


@pytest.mark.parametrize("path,params", PAGE_VISITS, ids=[p for p, _ in PAGE_VISITS])
def test_every_chart_a_page_draws_is_valid_vega_lite(app_db, monkeypatch, path, params):
    from apptest import ok, run_page

    from inequality.app import widgets

    drawn = []
    original = widgets.chart

    def validating(spec):
        spec.to_dict()  # validates against the Vega-Lite schema; raises if invalid
        drawn.append(spec)
        original(spec)

    monkeypatch.setattr(widgets, "chart", validating)
    if params.get("q", "") is None:
        with duckdb.connect(str(app_db), read_only=True) as con:
            params = {"q": con.execute("SELECT min(postcode) FROM postcode WHERE lad24_code "
                                       "= 'E06000001'").fetchone()[0]}
    ok(run_page(path, **params))
    assert drawn, f"{path} drew no chart"
    for spec in drawn:
        _assert_drawable(spec)
        # What the page sends (each DataFrame as a named dataset) is Altair's own dict with
        # the rows in place: no encoding relied on Altair reading the DataFrame's dtypes.
        assert _inlined(widgets.vega_lite(spec)) == _inlined(spec.to_dict())


def _inlined(spec: dict) -> str:
    """A Vega-Lite dict with every named dataset's rows put where it is referenced, as JSON
    (dataset names differ between Altair's dict and the page's)."""
    import json

    from altair.utils.data import to_values

    rows = {name: to_values(d)["values"] if isinstance(d, pd.DataFrame) else d
            for name, d in spec.get("datasets", {}).items()}

    def put(node):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and set(data) == {"name"} and data["name"] in rows:
                node = {**node, "data": {"values": rows[data["name"]]}}
            return {k: put(v) for k, v in node.items() if k != "datasets"}
        if isinstance(node, list):
            return [put(v) for v in node]
        return node

    return json.dumps(put(spec), sort_keys=True, default=str)
