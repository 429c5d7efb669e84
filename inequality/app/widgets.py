"""Rendering helpers shared by the pages: a header, tables with their CSV download, charts
that fit their column, the map legend and the footer."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ..etl.sources import ATTRIBUTION
from ..present import exports, maps


def page_header(title: str, intro: str | None = None) -> None:
    st.title(title)
    if intro:
        st.markdown(intro)


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV") -> None:
    """A CSV download of exactly the table shown (formula-safe: see
    :func:`inequality.present.exports.csv_bytes`), written only when it is clicked (writing
    every table's CSV on every visit was half of a tracking page's drawing time)."""
    st.download_button(label, data=lambda: exports.csv_bytes(frame),
                       file_name=file_name, mime="text/csv", on_click="ignore",
                       key=f"dl_{file_name}", icon=":material/download:")


def table(frame: pd.DataFrame, file_name: str, caption: str | None = None,
          height: int | str = "auto", percent: tuple[str, ...] = (),
          static: bool = False, select_key: str | None = None) -> None:
    """A table with its CSV download (every chart gets one, for accessibility).

    ``percent`` names columns holding fractions, shown as percentages (the CSV keeps the
    fractions); ``static`` renders a plain, wrapping table for text-heavy rows;
    ``select_key`` lets a visitor pick one row (read it from ``st.session_state[select_key]``).
    """
    if caption:
        st.caption(caption)
    if static:
        st.table(frame.set_index(frame.columns[0]))
    else:
        config = {c: st.column_config.NumberColumn(format="percent") for c in percent
                  if c in frame.columns}
        pick = ({"key": select_key, "on_select": "rerun", "selection_mode": "single-row"}
                if select_key else {})
        st.dataframe(frame, hide_index=True, width="stretch", height=height,
                     column_config=config, placeholder="–", **pick)
    download_csv(frame, file_name)


def fast_charts() -> None:
    """Altair without its "debug mode", which checks every schema object (an axis, a scale, a
    tooltip) against the Vega-Lite schema as it is made: a few milliseconds a chart on every
    visit. The running app turns it off (``dashboard.py``); the charts the pages draw are
    validated whole in the tests instead (``tests/test_present_charts.py``), which run with
    it on."""
    alt.utils.schemapi.disable_debug_mode()


def chart(spec: alt.TopLevelMixin) -> None:
    """An altair chart that stretches across its column; its height is the plot's own
    (legends are added around it, never squeezed into it).

    Sent as its Vega-Lite dict, converted without Altair's JSON-schema validation: validating
    every chart on every visit was a fifth of a page's server time, and the charts are
    validated where they are made (``tests/test_present_charts.py`` validates every chart
    function's output)."""
    spec_dict = vega_lite(spec)
    spec_dict["autosize"] = {"type": "fit-x", "contains": "padding"}
    st.vega_lite_chart(spec_dict, width="stretch")


#: Parts of an Altair chart that hold further charts (layers, concatenations, a facet's spec).
_CHILDREN = ("layer", "hconcat", "vconcat", "concat", "spec")


def vega_lite(spec: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite dict, with every DataFrame it holds sent as a named dataset (the
    DataFrame itself, which Streamlit turns into Arrow) instead of the JSON rows Altair
    writes: Altair's rows, which Streamlit then turned back into a table for Arrow, were
    half of a chart's server time. The chart is left as it was; the dict equals
    ``spec.to_dict()`` but for the datasets' names and form (``tests/test_present_charts.py``
    checks this for every chart the pages draw), so every encoding must state its type.
    Without validation: see :func:`chart`."""
    frames: dict[str, pd.DataFrame] = {}
    names: dict[int, str] = {}
    swapped: list[tuple[object, pd.DataFrame]] = []

    def detach(node) -> None:
        data = getattr(node, "data", alt.Undefined)
        if isinstance(data, pd.DataFrame):
            name = names.setdefault(id(data), f"data-{len(names)}")
            frames[name] = data
            swapped.append((node, data))
            node.data = alt.NamedData(name=name)
        for part in _CHILDREN:
            child = getattr(node, part, alt.Undefined)
            for sub in (child if isinstance(child, list) else [child]):
                if isinstance(sub, alt.SchemaBase):
                    detach(sub)

    try:
        detach(spec)
        out = spec.to_dict(validate=False)
    finally:
        for node, data in swapped:
            node.data = data
    if frames:
        out["datasets"] = {**out.get("datasets", {}), **frames}
    return out


def chart_with_table(spec: alt.TopLevelMixin, frame: pd.DataFrame, file_name: str,
                     caption: str | None = None, percent: tuple[str, ...] = ()) -> None:
    chart(spec)
    table(frame, file_name, caption, percent=percent)


def map_legend(legend: maps.Legend) -> None:
    st.html(maps.legend_html(legend))


def footer() -> None:
    st.divider()
    st.caption(ATTRIBUTION)


def briefing_download(place: dict, release: str, container=None) -> None:
    """One click for a printable one-page briefing of an authority (built only when
    clicked); briefings for wards and custom areas are on Your area & briefing."""
    from . import data

    if place.get("area_type") != "lad":
        return
    brief_release, _note = data.briefing_release(release)
    stem = f"briefing_{place['area_code']}_{brief_release}"
    (container or st).download_button(
        "Briefing for this area (PDF)", key=f"brief_quick_{place['area_code']}_{release}",
        data=lambda: data.briefing(("area", place["area_code"]), brief_release)["pdf"],
        file_name=f"{stem}.pdf", mime="application/pdf", on_click="ignore",
        icon=":material/picture_as_pdf:",
        help="A one-page briefing for a meeting: key points, a map, the headline measures "
             "with their ranks, and one source line. The annex is on Your area & briefing.")
