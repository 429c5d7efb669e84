"""Data & methods: every source in the catalogue, what this database loaded from it
(rows, checksum, when, missing optional columns), the licence and how the numbers are made."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import tables, text

cache.require_db()
widgets.page_header("Data & methods",
                "Every figure in this dashboard comes from the official files listed below, "
                "loaded into a local database by `python -m inequality build`.")
state.set_url(area=state.current_area(), release=state.current_release())
state.show_notices()
st.info(widgets.ATTRIBUTION, icon=":material/copyright:")

info = data.build_info()
st.caption("Database: built " + info.get("built_at", "at an unknown time") + " from "
           + text.origin_words(info.get("origin")) + "; schema version "
           + info.get("schema_version", "?") + ".")

st.subheader("Sources")
sources = data.sources_table()
loaded = (sources["status"] == "loaded").sum()
st.markdown(f"{loaded} of {len(sources)} sources loaded. Sources marked *live only* are not in "
            "the offline mirror and are fetched only when building from the internet.")
widgets.table(sources, "sources.csv", height=460)

st.subheader("Optional columns missing from the files as loaded")
gaps = sources[sources["optional columns missing"] != ""][["source", "release",
                                                           "optional columns missing"]]
if gaps.empty:
    st.markdown("None: every optional column was present.")
else:
    st.markdown("Measures that need these columns are shown as *not available* for the "
                "release, with the reason, wherever they would appear.")
    widgets.table(gaps, "missing_columns.csv")

st.subheader("Releases")
widgets.table(tables.releases_table(data.releases()), "releases.csv")
st.markdown(text.METHODS)
st.subheader("Glossary")
st.markdown("\n".join(f"* **{term}**: {meaning}" for term, meaning in text.GLOSSARY.items()))
widgets.footer()
