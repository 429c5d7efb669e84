"""Decile tracking: the share of an area's neighbourhoods among England's most deprived 10%
in every release (the measure a "Marmot City" reports), all ten deciles over time, LSOA
movements between releases and comparison with England, the region and similar authorities."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import charts, tables, text

cache.require_db()
widgets.page_header("Decile tracking",
                "How many of the area's neighbourhoods (LSOAs) sit in each national decile, "
                "release by release. " + text.DECILE_NOTE)
state.place_search()
place = state.area_picker()
code, name = place["area_code"], place["area_name"]
widgets.briefing_download(place, state.current_release())
state.set_url(area=code, release=state.current_release())
state.show_notices()
st.warning(data.RELATIVE_WARNING, icon=":material/warning:")

tracking = data.decile_tracking(code)
long, wide = data.tracking_frames(tracking)
compared, compared_wide = data.comparison_frames(data.comparison(code))

st.header(f"{name}: neighbourhoods among England's most deprived 10%")
series = wide.set_index("release")["share in decile 1"]
cols = st.columns(len(series))
for col, (release, share) in zip(cols, series.items()):
    col.metric(release, text.fmt_pct(share), border=True)
widgets.chart_with_table(
    charts.headline_series_chart(compared), compared_wide, f"decile1_share_{code}.csv",
    "Share of neighbourhoods in national decile 1, by release. Similar authorities: the "
    "closest decile distribution in the latest release.",
    percent=tuple(c for c in compared_wide.columns if c.startswith("IoD")))

st.subheader("All ten deciles over time")
widgets.chart(charts.stacked_deciles_chart(long, "year", "Release (IoD year)", horizontal=False,
                                    height=320))
widgets.table(wide, f"deciles_over_time_{code}.csv", percent=("share in decile 1",),
          caption="LSOAs per national decile. Each release is counted on its own LSOA boundaries "
          "(2001 for IoD 2010, 2011 for 2015 and 2019, 2021 for 2025); IoD 2010 publishes no "
          "deciles, so they are derived as ceil(10 x rank / N).")
beyond = tables.beyond_decile_1(tracking)
flat = (beyond["in the most deprived 10%"] == 0).all()
with st.expander("Beyond the most deprived 10%: the most deprived 20% and the area's most "
                 "deprived neighbourhood", expanded=bool(flat)):
    st.markdown(("None of the area's neighbourhoods has been in England's most deprived 10% "
                 "in any release, so the measure above stays at 0% and says little. " if flat
                 else "") + "The share in the most deprived 20% and the decile of the area's "
                "most deprived neighbourhood show change the 10% line misses; the domain "
                "profile on Where it stands shows which kinds of deprivation lie behind them.")
    widgets.table(beyond, f"beyond_decile_1_{code}.csv",
                  percent=("in the most deprived 10%", "in the most deprived 20%"))
for note in tracking.get("boundary_notes", []):
    st.caption(f"Boundary change: {note}")
if tracking.get("assignment_rule"):
    with st.expander("Which authority each neighbourhood counts in"):
        st.markdown(tracking["assignment_rule"])

st.subheader("Movements between releases")
rel = list(data.releases()["release"])
pairs = list(zip(rel[:-1], rel[1:]))
chosen = st.selectbox("Compare", pairs, index=len(pairs) - 1, key="pair",
                      format_func=lambda p: f"IoD {data.release_year(p[0])} to "
                                            f"IoD {data.release_year(p[1])}")
moves = data.transitions(code, *chosen)
a, b = (f"IoD {data.release_year(r)}" for r in chosen)
kinds = st.columns(4)
for col, (key, (label, meaning)) in zip(kinds, text.CHANGE_TYPES.items()):
    col.metric(f"{label} LSOAs", f"{moves['chgind_counts'].get(key, 0):,}", help=meaning)
st.caption("LSOA changes from the ONS lookup between the two releases' boundaries "
           "(U unchanged, S split, M merged, X irregular).")
moved = tables.transition_summary(moves["matrix"])
st.markdown(f"Between {a} and {b}, **{moved['same']:,.0f}** LSOAs stayed in the same national "
            f"decile, **{moved['more']:,.0f}** moved to a more deprived decile and "
            f"**{moved['less']:,.0f}** to a less deprived one (relative to the rest of "
            "England).")
matrix = moves["matrix"].round(2)
matrix_table = matrix.rename_axis(index=f"decile {a}", columns=None).reset_index()
matrix_table.columns = [str(c) if i == 0 else f"{b} decile {c}"
                        for i, c in enumerate(matrix_table.columns)]
widgets.chart_with_table(charts.transition_chart(moves["matrix"], a, b), matrix_table,
                     f"transitions_{code}_{chosen[0]}_{chosen[1]}.csv",
                     "Rows: decile in the earlier release; columns: decile in the later one.")
if moves.get("unmatched"):
    st.caption(f"{moves['unmatched']:,} lookup pairs have a decile in only one of the two "
               "releases and are left out of the table.")
widgets.download_csv(moves["pairs"], f"lsoa_pairs_{code}_{chosen[0]}_{chosen[1]}.csv",
                 "Download every LSOA pair (CSV)")

st.subheader("Compared with England, the region and similar authorities")
shares = tables.comparison_decile_shares(compared, rel[-1])
places = list(dict.fromkeys(shares["place"]))
widgets.chart(charts.stacked_deciles_chart(shares, "place", "Place", places,
                                           height=30 * len(places)))
table = tables.comparison_table(compared)
widgets.table(table, f"comparison_{code}.csv",
          f"Decile shares for every release (chart: IoD {data.release_year(rel[-1])}).",
          percent=tuple(text.decile_axis_label(d) for d in range(1, 11)))
widgets.footer()
