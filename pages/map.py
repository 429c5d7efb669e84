"""Map: a choropleth of every neighbourhood (LSOA) of the chosen area for any measure the
release holds, as a national decile, national rank or score, with a table and downloads."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import maps, text

cache.require_db()
widgets.page_header("Map of neighbourhood deprivation",
                "Each shape is a neighbourhood (LSOA, about 1,500 residents). "
                + text.DECILE_NOTE)
place, release = state.place_and_release(on_map=True)
left, right = st.columns([3, 2])
measure, kind, row = state.measure_picker(release, left)
msoa = state.url_toggle("msoa", "Show neighbourhood names and MSOA outlines",
                        "Middle-layer Super Output Areas (groups of about five LSOAs) with their "
                        "House of Commons Library names, such as Ashburton & Buckfastleigh: "
                        "the names grow as you zoom in, and nothing is fetched.", right)
basemap = state.url_toggle("basemap", "Show basemap (needs internet)", "Streets and places "
                         "from CARTO under the shapes. Off: nothing is fetched from the "
                         "internet and the map still reads on its own.", right)
code = place["area_code"]
focus = state.focus_on(code)
try:
    chart, problem = data.choropleth(release, code, measure, kind, msoa), None
except LookupError as exc:
    chart, problem = None, exc
long_table = chart is not None and len(chart.table) > maps.TABLE_INLINE_ROWS
state.set_url(area=code, release=release, measure=measure, value=kind,
              msoa=1 if msoa else None, basemap=1 if basemap else None,
              focus=focus["code"] if focus else None,
              table=1 if long_table and state.url_flag("table") else None)
state.show_notices()
if chart is None:
    st.warning(f"Nothing to draw: {problem}")
    st.stop()

year = data.release_year(release)
st.subheader(f"{chart.measure_label}: {maps.KINDS[kind].lower()}, {chart.area_name}, "
             f"IoD {year}")
for note in chart.notes:
    st.info(note, icon=":material/info:")
widgets.map_legend(chart.legend)
picked = st.session_state.get("map_rows", {}).get("selection", {}).get("rows", [])
if picked and picked[0] < len(chart.table):  # a row of the table below: zoom to that LSOA
    row_code = chart.table.iloc[picked[0]]["lsoa_code"]
    shown_focus = {"label": f"{chart.table.iloc[picked[0]]['lsoa_name']} ({row_code})",
                   "geography": data.release_geography(release), "codes": (row_code,)}
else:
    shown_focus = focus
if shown_focus:
    st.caption(f"Outlined in orange and zoomed to: {shown_focus['label']}.")
zoom = state.map_zoom(f"{code}_{release}", st.columns([1, 1, 1, 3]))
st.pydeck_chart(data.deck(release, code, measure, kind, msoa, basemap,
                          shown_focus["codes"] if shown_focus else (),
                          shown_focus["geography"] if shown_focus else "lsoa21", zoom),
                height=560, width="stretch")
st.caption(f"Colours: {maps.PALETTE_NAME}. " + text.map_hint(chart) + " The mouse wheel "
           "scrolls the page; zoom with the buttons, a double click, a pinch, or + and - "
           "after clicking the map.")

st.subheader("The neighbourhoods on the map")
listed = chart.table.rename(columns=lambda c: c.replace("_", " "))
csv_name = f"map_{code}_{release}_{measure}_{kind}.csv"
if not long_table or state.url_toggle(
        "table", f"Show all {len(listed):,} neighbourhoods as a table",
        "A table this long takes a few seconds to appear; the CSV holds the same rows."):
    widgets.table(listed, csv_name,
                  f"{len(listed):,} LSOAs; deciles: 1 = most deprived 10% in England. "
                  "Pick a row to outline that neighbourhood on the map and zoom to it.",
                  height=400, select_key="map_rows")
else:
    st.caption(f"{len(listed):,} LSOAs: switch the table on to list them here, or download "
               "them as CSV.")
    widgets.download_csv(listed, csv_name)
st.download_button("Download the map as GeoJSON", data=chart.geojson,
                   file_name=f"map_{code}_{release}_{measure}_{kind}.geojson",
                   mime="application/geo+json", on_click="ignore",
                   icon=":material/download:", key="dl_geojson")
widgets.footer()
