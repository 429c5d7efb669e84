"""Where it stands: an area's headline figures, its spread across the national deciles and
its domain profile, with plain-English notes on what the IMD can and cannot say."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import charts, tables, text

cache.require_db()
widgets.page_header(
    "Deprivation in England: where does your area stand?",
    "Pick a local authority (type its name or code), a region or England, and a release of "
    "the English Indices of Deprivation. " + text.DECILE_NOTE)
place, release = state.place_and_release()
state.set_url(area=place["area_code"], release=release)
state.show_notices()

code, name = place["area_code"], place["area_name"]
year = data.release_year(release)
summary = data.area_summary(code, release)
tracking = data.decile_tracking(code)["releases"].get(release)
peers = {"lad": "authorities", "region": "regions"}.get(place["area_type"])

st.header(f"{name}, IoD {year}")
widgets.briefing_download(place, release)
cards = st.columns(4)
share = summary.get("prop_most_deprived_10")
cards[0].metric("Most deprived 10%", text.fmt_pct(share), border=True,
                help="Share of the area's neighbourhoods (LSOAs) among England's most deprived 10% "
                     "(national decile 1).")
if tracking:
    cards[0].caption(f"{tracking['counts']['1']:,} of {tracking['lsoa_count']:,} "
                     "neighbourhoods (England: 10% by definition).")
score = summary.get("avg_score")
cards[1].metric("Average IMD score", text.fmt_num(score) if score is not None else "n/a",
                border=True, help=text.SUMMARY_TEXT["avg_score"][1])
cards[1].caption("Population-weighted; higher = more deprived." if score is not None else
                 text.short_reason(summary.get("unavailable", {}).get("avg_score")) + ".")
published, _ = text.rank_of(summary, "avg_score")
ranks = text.rank_sentence(summary, "avg_score", f"IoD {year}")
cards[2].metric("Rank of average score", published or "not ranked",
                border=True,
                help="1 = most deprived. The rank MHCLG publishes: among the local "
                     "authorities (or regions) of the release, by population-weighted average "
                     "IMD score.")
if ranks:
    cards[2].caption(ranks)
elif summary.get("avg_score") is None and code != data.ENGLAND:
    cards[2].caption(text.short_reason(summary.get("unavailable", {}).get("avg_score")) + ".")
else:
    cards[2].caption("England is the benchmark every area is compared with.")
cards[3].metric("Neighbourhoods (LSOAs)", f"{summary['lsoa_count']:,}", border=True,
                help="Lower-layer Super Output Areas: about 1,500 residents each.")
for note in summary.get("notes") or []:
    st.caption(note)

left, right = st.columns(2)
with left:
    st.subheader("Spread across England's deciles")
    if tracking:
        dist = tables.decile_frame(tracking["counts"])
        widgets.chart_with_table(
            charts.decile_distribution_chart(dist),
            dist.rename(columns={"decile_label": "national decile", "lsoas": "LSOAs"})
                [["national decile", "LSOAs", "share"]],
            f"deciles_{code}_{release}.csv",
            "Decile 1 = most deprived 10% in England. Dashed line: England has 10% of its "
            "neighbourhoods in every decile.", percent=("share",))
    else:
        st.info(f"No IMD deciles for {name} in {release}.")
with right:
    st.subheader("Domain profile")
    profile = data.domain_profile(release, code)
    if profile.empty:
        st.info("This release holds no domain deciles.")
    else:
        order = profile.drop_duplicates("label").sort_values("order")["label"].tolist()
        widgets.chart(charts.stacked_deciles_chart(profile, "label", "Measure", order,
                                            height=30 * len(order)))
        wide = tables.domain_profile_wide(profile)
        widgets.table(wide, f"domain_profile_{code}_{release}.csv",
                  "Share of the area's neighbourhoods in each national decile, by measure.",
                  percent=tuple(c for c in wide.columns if c.startswith("decile")))
    held, missing = data.available_measures(release)
    if missing:
        st.caption(missing)

st.subheader("Summary measures")
st.markdown(f"The IoD's standard ways of summarising an area, with its rank among the "
            f"{peers} (1 = most deprived): the rank MHCLG publishes among the authorities of "
            f"IoD {year}, and the rank among today's authorities." if peers else
            "The IoD's standard ways of summarising an area; England is not ranked.")
widgets.table(tables.summary_table(summary, f"IoD {year}",
                                   data.summary_fallbacks(code, release)),
              f"summary_{code}_{release}.csv", static=True)

with st.expander("What each measure means"):
    labels = data.measures().set_index("measure")["label"]
    st.markdown("\n".join(f"* **{labels.get(m, m)}**: {meaning}"
                          for m, meaning in text.MEASURE_TEXT.items()))
st.markdown(text.CANNOT_SAY)
widgets.footer()
