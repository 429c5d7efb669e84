"""Your area & briefing: a community's own patch (wards, pasted or uploaded LSOA codes, or
LSOAs clicked on the map), named, saved, shared by link, with every measure beside its
authority and England, and a one-page briefing (HTML and PDF) for an authority, a ward or
the patch, with the area's data to download."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import charts, hidden, tables, text
from inequality.present.charts import hidden as hidden_charts
from inequality.services import custom_areas

cache.require_db()
lib = custom_areas
widgets.page_header(
    "Your area & briefing",
    "Your patch rarely matches an official boundary. Make it from wards, from a list of "
    "neighbourhood (LSOA) codes, or by clicking neighbourhoods on the map; see every measure "
    "for it beside its local authority and England; and take away a one-page briefing. "
    + text.DECILE_NOTE)
link_problem = state.restore_custom_from_url()
place, release = state.place_and_release()
code, area_type = place["area_code"], place["area_type"]
is_lad = area_type == "lad"
if link_problem:
    st.error(link_problem, icon=":material/link_off:")
area = state.custom_area()

# --- 1. define ---------------------------------------------------------------------------------
st.header("1. Define your area")
METHODS = {"wards": "Wards", "codes": "Paste or upload LSOA codes",
           "map": "Click LSOAs on the map", "saved": "Open a saved area"}
method = st.radio("Make it from", list(METHODS), format_func=METHODS.get, key="brief_method",
                  horizontal=True)
codes, suggestion = [], None
pick_authority = ("Pick a local authority above (type its name, e.g. Teignbridge) to "
                  "choose among its {}.")

if method == "wards":
    if not is_lad:
        st.info(pick_authority.format("wards"), icon=":material/travel_explore:")
    else:
        wards = data.wards_of(code)
        labels = dict(zip(wards["ward_code"], wards["ward_name"] + " ("
                          + wards["lsoa_count"].astype(str) + " LSOAs)"))
        kept = [w for w in st.session_state.get("brief_wards", []) if w in labels]
        st.session_state["brief_wards"] = kept
        chosen = st.multiselect(f"Wards of {place['area_name']} (April 2024 wards)",
                                list(labels), format_func=labels.get, key="brief_wards",
                                placeholder="Type a ward name")
        if chosen:
            codes = data.lsoas_of_wards(chosen)
            suggestion = text.wards_name(wards, chosen)
            st.caption(f"{len(codes)} neighbourhoods (2021 LSOAs). Each LSOA counts in the "
                       "ward that holds most of it (ONS best-fit lookup).")
elif method == "codes":
    pasted = st.text_area("LSOA codes", key="brief_paste", height=110,
                        placeholder="E01020193, E01020195, E01020196 ...",
                        help="Codes of 2011 or 2021 LSOAs (E01 and six digits), separated by "
                             "anything: commas, spaces, new lines, or a column copied from "
                             "a spreadsheet.")
    upload = st.file_uploader("Or upload a CSV or text file holding the codes",
                              type=["csv", "txt"], key="brief_upload",
                              help="Any column: every LSOA code in the file is used.")
    codes = data.codes_in(pasted, upload)
    if pasted or upload is not None:
        st.caption(f"Found {len(codes)} distinct LSOA code(s).")
elif method == "map":
    geography = area.geography if area is not None else "lsoa21"
    map_release = data.selection_release(geography)
    if not is_lad:
        st.info(pick_authority.format("neighbourhoods on a map"),
                icon=":material/travel_explore:")
    elif map_release is None:
        st.info("Your area is on 2001 LSOAs, which have no boundaries to click on; add "
                "codes instead.")
    else:
        deck, legend, on_map = data.selection_deck(map_release, code, area)
        st.markdown(f"Click neighbourhoods of {place['area_name']} to select them (click "
                    "again to unselect), then use or add them below. Colour: national IMD "
                    f"decile, IoD {data.release_year(map_release)}."
                    + (f" Orange outline: your area ({on_map} of its LSOAs are on this map)."
                       if area is not None else ""))
        widgets.map_legend(legend)
        generation = st.session_state.setdefault("_brief_map_generation", 0)
        picked = st.pydeck_chart(deck, on_select="rerun", selection_mode="multi-object",
                                key=f"brief_map_{generation}", height=520, width="stretch")
        codes = state.selected_codes(picked)
        st.caption(f"{len(codes)} selected" + (": " + ", ".join(codes) if codes else "."))
else:
    saved = st.file_uploader("A saved area (the JSON file this page downloads)",
                             type=["json"], key="brief_json")
    if st.button("Open this area", key="brief_open_json", disabled=saved is None,
                 icon=":material/folder_open:"):
        try:
            opened = data.custom_from_json(saved.getvalue())
        except lib.CustomAreaError as exc:
            st.error(f"This file could not be opened as an area: {text.plain(exc)}.",
                     icon=":material/error:")
        else:
            state.set_custom_area(opened)
            st.session_state["brief_name"] = opened.name
            st.session_state["_brief_name_typed"] = True
            st.session_state["brief_target"] = "custom"
            area = opened
            st.success(f"Opened {text.plain(opened.name)}: {len(opened.lsoa_codes)} LSOAs.")

if method != "saved":
    left, right = st.columns(2)
    use = left.button("Use these as your area", key=f"brief_use_{method}", type="primary",
                      icon=":material/check:", width="stretch")
    add = right.button("Add them to your area", key=f"brief_add_{method}",
                       disabled=area is None, icon=":material/add:", width="stretch")
    if use or add:
        typed = st.session_state.get("_brief_name_typed") and area is not None
        name = area.name if (add or typed) and area is not None else (suggestion or "My area")
        try:
            new = data.make_custom_area(name, text.combine_codes(area, codes, add))
        except lib.CustomAreaError as exc:
            st.error(f"Could not make the area: {text.plain(exc)}.", icon=":material/error:")
        else:
            state.set_custom_area(new)
            st.session_state["brief_name"] = new.name
            st.session_state["brief_target"] = "custom"
            if method == "map":  # a fresh map: the selection has been used
                st.session_state["_brief_map_generation"] += 1
            st.session_state["_brief_done"] = (f"Your area now has {len(new.lsoa_codes)} "
                                               f"LSOAs ({new.geography.upper()}).")
            st.rerun()  # draw everything, the map included, for the new area
    done = st.session_state.pop("_brief_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")

# --- 2. name, save, share ------------------------------------------------------------------------
st.header("2. Name, save and share it")
link = None
if area is None:
    st.info("No area yet: make one above, or open a link or a saved file holding one.")
else:
    st.session_state.setdefault("brief_name", area.name)
    st.text_input("Name of your area", key="brief_name", max_chars=80,
                  on_change=lambda: st.session_state.update(_brief_name_typed=True))
    area = text.renamed(area, st.session_state["brief_name"])
    state.set_custom_area(area)
    stem = text.file_stem(area.name)
    home = data.custom_home(area)
    st.markdown(f"**{text.plain(area.name)}**: {len(area.lsoa_codes)} neighbourhoods "
                f"({area.geography.upper()} codes)"
                + (f", {text.fmt_pct(home['share_of_lsoas'], 0)} of them in "
                   f"{home['area_name']}." if home else "."))
    left, right = st.columns(2)
    left.download_button("Save the area (JSON)", data=area.to_json(),
                         file_name=f"{stem}.json", mime="application/json", on_click="ignore",
                         icon=":material/save:", key="brief_dl_json", width="stretch")

    def _clear():
        for k in ("brief_area", "brief_name", "_brief_name_typed", "brief_result"):
            st.session_state.pop(k, None)

    right.button("Clear the area", on_click=_clear, key="brief_clear",
                 icon=":material/delete:", width="stretch")
    link = state.custom_link(area)
    if link:
        st.caption("Share it: the link in your address bar now holds this area (its name and "
                   "LSOAs); whoever opens it sees the same page. Or save the JSON file and "
                   "open it here later.")
    else:
        st.info(f"This area has {len(area.lsoa_codes):,} LSOAs, more than a link can carry "
                f"({lib.MAX_URL_CODES}). Share the saved JSON file instead: anyone can open "
                "it here with *Open a saved area*.", icon=":material/link_off:")
    with st.expander(f"The {len(area.lsoa_codes)} LSOA codes"):
        st.code(", ".join(sorted(area.lsoa_codes)), language=None, wrap_lines=True)
state.set_url(area=code, release=release, custom=link)
state.show_notices()

# --- 3. every measure ----------------------------------------------------------------------------
year = data.release_year(release)
if area is not None:
    st.header(f"3. {text.plain(area.name)}: every measure, IoD {year}")
    try:
        summary = data.custom_summary(area, release)
    except (ValueError, LookupError) as exc:
        st.warning(f"No summary for this release: {text.plain(exc)}.")
        summary = None
    if summary is not None:
        home_summary = data.area_summary(home["area_code"], release) if home else None
        england = data.area_summary(data.ENGLAND, release)
        n = summary["n_areas"]
        cards = st.columns(4)
        cards[0].metric("Neighbourhoods (LSOAs)", f"{summary['lsoa_count']:,}", border=True,
                        help="In this release's LSOAs: an area made of 2021 LSOAs is carried "
                             "to 2011 LSOAs through the ONS best-fit lookup, and back.")
        cards[1].metric("Most deprived 10%", text.fmt_pct(summary["prop_most_deprived_10"]),
                        border=True, help=text.SUMMARY_TEXT["prop_most_deprived_10"][1])
        if home_summary:
            cards[1].caption(f"{home['area_name']}: "
                             f"{text.fmt_pct(home_summary['prop_most_deprived_10'])}; "
                             "England: 10% by definition.")
        rank_key = ("avg_score" if summary.get("rank_avg_score")
                    else "prop_most_deprived_10")
        rank = summary.get(f"rank_{rank_key}")
        cards[2].metric("Would rank", f"{text.ordinal(rank)} of {n}" if rank else "not ranked",
                        border=True, help="Where the area would stand if it were a local "
                                          "authority (1 = most deprived).")
        cards[2].caption(f"Among {n} local authorities, by "
                         f"{text.SUMMARY_TEXT[rank_key][0][:1].lower()}"
                         f"{text.SUMMARY_TEXT[rank_key][0][1:]}.")
        cards[3].metric("Home authority", home["area_name"] if home else "none", border=True,
                        help="The local authority holding most of the area's LSOAs.")
        st.subheader("Headline measures beside its authority and England")
        widgets.table(tables.custom_measures_table(summary, home_summary, england),
                  f"area_summary_{stem}_{release}.csv", static=True)
        domains = tables.custom_domains_table(summary, home_summary,
                                              data.measures(summary["release"]))
        if not domains.empty:
            st.subheader("Every domain")
            widgets.table(domains, f"area_domains_{stem}_{release}.csv",
                      "Share of the LSOAs in England's most deprived 10% on each domain and "
                      "supplementary index (England: 10% on each), and average scores where "
                      "the release's file allows them.",
                      percent=tuple(c for c in domains.columns if c.endswith("10%")))

    st.subheader("Deciles across releases")
    st.warning(data.RELATIVE_WARNING, icon=":material/warning:")
    tracking = data.custom_deciles(area)
    if not tracking["releases"]:
        st.info("None of the area's LSOAs is in any release.")
    else:
        long, wide = data.tracking_frames(tracking)
        series, series_wide = data.custom_series(tracking, home)
        widgets.chart_with_table(
            charts.headline_series_chart(series), series_wide, f"area_decile1_{stem}.csv",
            "Share of neighbourhoods in England's most deprived 10%, by release: the area "
            "beside its home authority and England.",
            percent=tuple(c for c in series_wide.columns if c.startswith("IoD")))
        widgets.chart(charts.stacked_deciles_chart(long, "year", "Release (IoD year)",
                                            horizontal=False, height=300))
        widgets.table(wide, f"area_deciles_{stem}.csv", percent=("share in decile 1",),
                  caption="LSOAs per national decile. The area's LSOAs are carried to each "
                  "release's boundaries through the ONS best-fit lookups; IoD 2010 deciles "
                  "are derived as ceil(10 x rank / N).")

    st.subheader("Where it is")
    try:
        png, alt_text = data.custom_map_png(area, release)
    except (ValueError, LookupError) as exc:
        png = None
        st.info(f"No map for this release: {text.plain(exc)}.")
    if png is not None:
        left, _ = st.columns([3, 2])
        left.image(png, caption=alt_text)

    st.subheader("Hidden deprivation and the rural/urban split")
    try:
        with st.spinner("Measuring hidden deprivation (spatial statistics for all of "
                        "England; the first time takes a little while)..."):
            rep = data.custom_hidden(area, release)
    except (ValueError, LookupError) as exc:
        rep = None
        st.info(f"No hidden-deprivation measures for this release: {text.plain(exc)}.")
    if rep is not None:
        st.markdown("**What you can say**")
        st.caption("Each sentence carries its figure and its source; copy it as it is.")
        st.markdown("\n".join(f"- {text.plain(line)}" for line in data.hidden_quotable(rep)))
        s = rep["summary"]
        flat = hidden.flagged_csv_frame(rep)
        st.markdown(f"**Flagged neighbourhoods**: {s['flagged_count']} of "
                    f"{rep['lsoa_count']}, strongest evidence first.")
        if flat.empty:
            st.caption("None of the area's neighbourhoods is flagged.")
        else:
            widgets.table(flat.rename(columns={
                "lsoa_code": "LSOA", "lsoa_name": "name", "msoa_friendly_name": "neighbourhood",
                "ward_name": "ward",
                "ruc_class": "rural-urban class", "imd_decile": "IMD decile",
                "local_decile": "decile within the area"}),
                f"area_hidden_{stem}_{release}.csv", "Reasons are separated by |.", height=300)
            with st.expander("Every reason in full"):
                st.markdown(hidden.reasons_markdown(rep["flagged"]))
        frames = hidden.rural_urban_frames(rep)
        if frames is None:
            st.info(text.humanise(rep["unavailable"].get("rural_urban",
                                                         "No rural-urban classification.")))
        else:
            ru_long, ru_table = frames
            widgets.chart(hidden_charts.rural_urban_chart(ru_long))
            people = [c for c in ("population", "income-deprived people") if c in ru_table]
            ru_table[people] = ru_table[people].round(0)
            widgets.table(ru_table.dropna(axis=1, how="all"),
                      f"area_rural_urban_{stem}_{release}.csv",
                      "ONS Rural-Urban Classification of the area's LSOAs.",
                      percent=("in most deprived 10%", "in most deprived 20%",
                               "income-deprived rate", "share of the area's income-deprived"))

# --- 4. briefing ---------------------------------------------------------------------------------
st.header("4. One-page briefing")
st.markdown("A printable page for a councillor or a funder: a map, the headline measures beside "
            "England, the decile trend, hidden pockets, the health gap and sentences built "
            "from the figures, with sources and licence. As a web page (HTML) and a PDF.")
targets = {}
if area is not None:
    targets["custom"] = f"Your area: {area.name}"
targets[f"area:{code}"] = ("Local authority: " if is_lad else "") + place["area_name"]
if is_lad:
    for w in data.wards_of(code).itertuples():
        targets[f"ward:{w.ward_code}"] = f"Ward: {w.ward_name} ({place['area_name']})"
if st.session_state.get("brief_target") not in targets:
    st.session_state["brief_target"] = next(iter(targets))
target_key = st.selectbox("Briefing for", list(targets), format_func=targets.get,
                          key="brief_target",
                          help="Your area, the authority chosen at the top of the page, or "
                               "one of its wards.")
brief_release, release_note = data.briefing_release(release)
if release_note:
    st.caption(release_note)
if target_key == "custom":
    target = ("custom", area)
    spec = ("custom", area.name, tuple(sorted(area.lsoa_codes)), brief_release)
else:
    kind, what = target_key.split(":", 1)
    target = (kind, what)
    spec = (kind, what, brief_release)
if st.button("Make the briefing", key="brief_make", type="primary",
             icon=":material/description:"):
    with st.spinner("Drawing the map and charts and laying out the PDF (a few seconds)..."):
        try:
            st.session_state["brief_result"] = {"spec": spec,
                                                **data.briefing(target, brief_release)}
        except (ValueError, LookupError) as exc:
            st.error(f"The briefing could not be made: {text.plain(exc)}.", icon=":material/error:")
result = st.session_state.get("brief_result")
if result and result["spec"] == spec:
    with st.container(border=True):
        st.subheader(text.plain(result["title"]))
        st.caption(f"{result['release_label']}. Key points of the briefing, the most striking "
                   "first (the one-page PDF holds the first six):")
        st.markdown("\n".join(f"- {text.plain(line)}" for line in result["key_points"]))
        if result["health_sentences"] and result["health_name"] != result["name"]:
            st.caption(f"Health figures are for {text.plain(result['health_name'])}, the home "
                       "authority.")
        left, middle, right = st.columns(3)
        left.download_button("One-page briefing (PDF)", data=result["pdf"],
                             file_name=f"{result['file_stem']}.pdf", mime="application/pdf",
                             on_click="ignore", icon=":material/picture_as_pdf:",
                             key="brief_dl_pdf", type="primary", width="stretch")
        middle.download_button("With the annex (PDF)",
                               data=lambda: data.briefing_annex_pdf(target, brief_release),
                               file_name=f"{result['file_stem']}_with_annex.pdf",
                               mime="application/pdf", on_click="ignore",
                               icon=":material/library_books:", key="brief_dl_annex",
                               width="stretch",
                               help="The one page, then change over time, the health gap, "
                                    "hidden deprivation with every flagged neighbourhood, "
                                    "sources and methods.")
        right.download_button("One-page briefing (HTML)", data=result["html"],
                              file_name=f"{result['file_stem']}.html", mime="text/html",
                              on_click="ignore", icon=":material/html:", key="brief_dl_html",
                              width="stretch")
elif result:
    st.caption("The briefing made earlier was for another place or release: make it again.")

# --- 5. exports --------------------------------------------------------------------------------
if area is not None:
    st.header("5. Download your area's data")
    geo_note = (" IoD 2010 is on 2001 LSOAs, which have no published boundaries: its GeoJSON "
                "and GeoPackage rows carry no geometry."
                if data.release_geography(release) == "lsoa01" else "")
    lsoas = data.custom_lsoa_table(area, release)
    widgets.table(lsoas, f"area_lsoas_{stem}_{release}.csv",
              f"{len(lsoas)} LSOAs of IoD {year}: every measure's score, rank and decile, "
              "names, ward and rural-urban class." + geo_note, height=320)
    cols = st.columns(3)
    cols[0].download_button("GeoJSON (with boundaries)",
                            data=data.geo_export(area, release, "geojson"),
                            file_name=f"area_{stem}_{release}.geojson",
                            mime="application/geo+json", on_click="ignore",
                            icon=":material/download:", key="brief_dl_geojson",
                            width="stretch")
    cols[1].download_button("GeoPackage (for QGIS, ArcGIS)",
                            data=data.geo_export(area, release, "gpkg"),
                            file_name=f"area_{stem}_{release}.gpkg",
                            mime="application/geopackage+sqlite3", on_click="ignore",
                            icon=":material/download:", key="brief_dl_gpkg",
                            width="stretch")
    if png is not None:
        cols[2].download_button("Map (PNG)", data=png, file_name=f"area_{stem}_{release}.png",
                                mime="image/png", on_click="ignore",
                                icon=":material/image:", key="brief_dl_png", width="stretch")
    st.caption("Boundaries: the ONS generalised clipped LSOA boundaries as published, in "
               "EPSG:4326 (longitude, latitude). Every table above has its own CSV download.")

widgets.footer()
