"""Data & methods: every source in the catalogue, what this database loaded from it
(rows, checksum, when, missing optional columns), the licence and how the numbers are made."""

import streamlit as st

from inequality import app

app.require_db()
app.page_header("Data & methods",
                "Every figure in this dashboard comes from the official files listed below, "
                "loaded into a local database by `python -m inequality build`.")
app.set_url(area=app.current_area(), release=app.current_release())
app.show_notices()
st.info(app.ATTRIBUTION, icon=":material/copyright:")

info = app.build_info()
st.caption("Database: built " + info.get("built_at", "at an unknown time") + " from "
           + info.get("origin", "an unknown origin") + "; schema version "
           + info.get("schema_version", "?") + ".")

st.subheader("Sources")
sources = app.sources_table()
loaded = (sources["status"] == "loaded").sum()
st.markdown(f"{loaded} of {len(sources)} sources loaded. Sources marked *live only* are not in "
            "the offline mirror and are fetched only when building from the internet.")
app.table(sources, "sources.csv", height=460)

st.subheader("Optional columns missing from the files as loaded")
gaps = sources[sources["optional columns missing"] != ""][["source", "release",
                                                           "optional columns missing"]]
if gaps.empty:
    st.markdown("None: every optional column was present.")
else:
    st.markdown("Measures that need these columns are shown as *not available* for the "
                "release, with the reason, wherever they would appear.")
    app.table(gaps, "missing_columns.csv")

st.subheader("Releases")
app.table(app.releases(), "releases.csv")
st.markdown(app.METHODS)
app.footer()
