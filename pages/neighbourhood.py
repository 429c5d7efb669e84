"""Your neighbourhood: a postcode's (or an LSOA's) national deciles on the IMD and every
domain in every release, 2010 to 2025, carried across boundary changes by the ONS lookups,
with where it stands in its authority."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import charts, tables, text

cache.require_db()
widgets.page_header(
    "Your neighbourhood",
    "Type a postcode (or an LSOA code or name) in the search box and open it: its place among "
    "England's neighbourhoods on every measure, in every release. " + text.DECILE_NOTE)
state.place_search()
query = st.query_params.get("q", "").strip()
state.show_notices()
if not query:
    st.info("Start with a postcode, such as TQ11 0AA.", icon=":material/search:")
    widgets.footer()
    st.stop()
try:
    nb = data.neighbourhood(query)
except data.PlaceNotFound as exc:
    st.warning(text.plain(exc), icon=":material/search_off:")
    widgets.footer()
    st.stop()

lsoa, deciles = nb["lsoa"], nb["deciles"]
st.header(text.plain(f"{lsoa['lsoa_name']}, in {lsoa['msoa_name']} ({lsoa['lad24_name']})"))
facts = [f"Postcode {nb['postcode']['postcode']}" if nb.get("postcode") else None,
         f"LSOA {lsoa['lsoa_code']}", f"ward: {lsoa.get('ward_name') or 'not known'}",
         f"{lsoa['lad24_name']}, {lsoa['region_name']}",
         lsoa.get("ruc_name") and f"rural-urban class: {lsoa['ruc_name']}"]
st.caption(text.plain(" · ".join(f for f in facts if f)))
cards = st.columns(len(nb["imd"]))
for card, (release, decile) in zip(cards, nb["imd"].items()):
    low, high = nb["imd_range"].get(release, [decile, decile])
    card.metric(f"IMD decile, IoD {data.release_year(release)}",
                "n/a" if decile is None else (decile if low == high else f"{low}-{high}"),
                border=True, help="1 = among England's most deprived 10% of neighbourhoods.")
for note in nb["notes"]:
    st.caption(text.plain(note))

st.subheader("Every measure, every release")
grid = tables.neighbourhood_deciles(deciles)
widgets.chart(charts.decile_grid_chart(grid))
widgets.table(grid, f"neighbourhood_{lsoa['lsoa_code']}.csv",
              "National decile of each measure (1 = most deprived 10%). Older releases are "
              "on the 2001 and 2011 neighbourhoods this one came from (ONS best-fit lookups). "
              "A dash: the release's file as loaded has no decile for that measure (see Data "
              "& methods).")
st.subheader(f"Within {lsoa['lad24_name']}")
widgets.table(tables.neighbourhood_positions(deciles, lsoa["lad24_name"]),
              f"neighbourhood_{lsoa['lsoa_code']}_in_authority.csv",
              "Its place among the authority's neighbourhoods on the IMD (1st = the most "
              "deprived).")
st.markdown(f"[See it on the map of {text.plain(lsoa['lad24_name'])}]"
            f"({state.page_url('map.py', area=lsoa['lad24_code'], focus=lsoa['lsoa_code'])})")
widgets.footer()
