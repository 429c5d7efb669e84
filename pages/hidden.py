"""Rural & hidden deprivation: pockets of deep deprivation inside places that look affluent on
average, with every reason in plain words, for an authority or a ward."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import hidden, text
from inequality.present.charts import hidden as charts

cache.require_db()
widgets.page_header(
    "Rural & hidden deprivation",
    "Averages hide people. In rural districts especially, a few streets of deep deprivation "
    "can sit inside a neighbourhood, or an authority, that looks comfortable on average. "
    "This page gathers the evidence a funder or a council will accept: which neighbourhoods "
    "(LSOAs, about 1,500 residents each) stand out, and why, in words you can quote. "
    + text.DECILE_NOTE)

# --- the place ------------------------------------------------------------------------------
state.place_search()
if "hidden_by" not in st.session_state:
    st.session_state["hidden_by"] = ("Ward" if st.query_params.get("by") == "ward"
                                     else "Local authority")
st.radio("Find a place by", ["Local authority", "Ward"], key="hidden_by", horizontal=True,
         help="Wards are the April 2024 electoral wards; each LSOA counts in the ward that "
              "holds most of it.")
left, right = st.columns([3, 2])
release = state.release_picker(right)
by_ward = st.session_state["hidden_by"] == "Ward"

if by_ward:
    wards = data.hidden_wards(release)
    if wards.empty:
        left.info("This release is on 2001 neighbourhoods, which have no ward lookup; pick a "
                  "local authority, or IoD 2015, 2019 or 2025.")
        widgets.footer()
        st.stop()
    labels = dict(zip(wards["ward_code"], wards["ward_name"] + " (" + wards["lad24_name"]
                      + ", " + wards["lsoa_count"].astype(str) + " LSOAs)"))
    options = list(labels)
    if st.session_state.get("ward") not in labels:
        wanted = st.query_params.get("ward")
        st.session_state["ward"] = wanted if wanted in labels else options[0]
    code = left.selectbox("Ward: type its name", options, key="ward",
                          format_func=lambda c: labels[c],
                          help="Type part of a ward name, e.g. Bideford or Teignmouth.")
    state.set_url(by="ward", ward=code, release=release)
else:
    place = state.area_picker(left)
    code = place["area_code"]
    state.set_url(area=code, release=release)
    widgets.briefing_download(place, release)
    if place["area_type"] != "lad":
        state.show_notices()
        st.info("Hidden deprivation is measured within one local authority or ward. Choose "
                "an authority above (try Teignbridge, Torridge or Cornwall), or find a ward.",
                icon=":material/travel_explore:")
        widgets.footer()
        st.stop()

choices = [m for m in data.HIDDEN_DOMAINS
           if m in set(data.measures(release)["measure"])]
default = [m for m in data.HIDDEN_DEFAULT_DOMAINS if m in choices]
domains = st.multiselect(
    "Also look for spatial pockets on these domains (the IMD is always tested)", choices,
    default=default, format_func=lambda m: data.HIDDEN_SHORT.get(m, m), key="hidden_domains",
    help="Income is ready at once; other domains are computed for all of England the first "
         "time they are asked for (a few seconds).")
state.show_notices()

with st.spinner("Measuring hidden deprivation (spatial statistics for all of England)..."):
    try:
        rep = data.hidden_report(code, release, tuple(domains))
    except data.UnknownArea as exc:
        st.warning(str(exc))
        widgets.footer()
        st.stop()

s = rep["summary"]
year = rep["year"]
st.header(f"{rep['area_name']}, IoD {year}")

# --- headline -------------------------------------------------------------------------------
counts = hidden.evidence_counts(rep["flagged"])
c1, c2, c3, c4 = st.columns(4)
c1.metric("Deprived places", f"{counts['Deprived places']} of {rep['lsoa_count']}",
          help="Neighbourhoods in England's most deprived 20%, or a pocket or cluster more "
               "deprived than their neighbours.")
c2.metric("Hidden by the overall index", f"{counts['Hidden by the overall index']}",
          help="Neighbourhoods whose overall IMD is middling but where a domain (income, "
               "employment, health, education) is in England's most deprived 20%.")
c3.metric("Far from services", f"{counts['Far from services']}",
          help="Neighbourhoods in England's most deprived 20% on geographical barriers: "
               "distance to a GP, school, shop and post office.")
inc, earlier = rep["outside"]["income"], None
if inc["available"]:
    share20 = hidden.share_outside(inc)
    c4.metric("Missed by area targeting", text.fmt_pct(share20, 0),
              help="Share of the place's income-deprived people who live outside England's "
                   "most deprived 20% of neighbourhoods.")
else:
    earlier = data.hidden_outside_fallback(code, release)
    if earlier:
        c4.metric("Missed by area targeting", text.fmt_pct(earlier["share20"], 0),
                  help=f"From {text.release_name(earlier['release'])}, the latest release with "
                       "population figures: " + text.humanise(inc["reason"]) + ".")
        c4.caption(f"From {text.release_name(earlier['release'])}, the latest release with "
                   "population figures.")
    else:
        c4.metric("Missed by area targeting", "not available",
                  help=text.humanise(inc["reason"]))
prof = rep["profile"]
gm = prof.get("global_moran") or {}
st.caption(f"{s['flagged_count']} of {rep['lsoa_count']} neighbourhoods are flagged for at "
           "least one reason (a neighbourhood can count under several). "
           + hidden.spread_in_words(gm))
with st.expander("How the spread is measured"):
    st.markdown(
        f"The ONS profile of its LSOAs' spread across England's {prof['label']} deciles is "
        f"the **{prof['profile_label'].lower()}** ({prof['distance']:.1f} percentage points "
        "from the template). "
        + ("Global Moran's I of the IMD over neighbouring LSOAs within the place: "
           f"**{gm['I']:.2f}** (-1 chessboard, 0 no pattern, +1 deprived and affluent "
           "neighbourhoods in separate blocks"
           + (f"; permutation p = {gm['p_sim']:.3f}" if gm.get("p_sim") is not None
              else "")
           + ")." if gm.get("I") is not None else "Moran's I is not available here."))

st.subheader("What you can say")
st.caption("Each sentence carries its figure and its source; copy it as it is.")
st.markdown("\n".join(f"- {text.plain(line)}" for line in data.hidden_quotable(rep)))
if not inc["available"] and earlier:
    st.markdown("\n".join(f"- From {text.release_name(earlier['release'])}, the latest "
                          f"release with population figures: {text.plain(line)}"
                          for line in earlier["sentences"]))

# --- the map ----------------------------------------------------------------------------------
st.subheader("Where they are")
basemap = state.url_toggle("basemap", "Show basemap (needs internet)",
                         "Streets and places under the shapes; off, nothing is fetched.")
try:
    deck, legend, map_notes = data.hidden_deck(code, release, tuple(domains), basemap)
except LookupError as exc:
    st.warning(f"Nothing to draw: {exc}")
else:
    for note in map_notes:
        st.info(note, icon=":material/info:")
    st.html(legend)
    st.pydeck_chart(deck, height=560, width="stretch")
    st.caption(f"Colour: national IMD decile (dark = most deprived). Thick orange outline: "
               f"the {s['strong_count']} neighbourhoods that are deprived, hidden by the overall "
               "index, or a pocket or cluster; thin outline: the others flagged. Hover a "
               "neighbourhood for its ward, rural-urban class and every reason.")

# --- the flagged list -------------------------------------------------------------------------
st.subheader("Flagged neighbourhoods and why")
tags = {t: label for t, (label, _w) in data.HIDDEN_REASONS.items()
        if s["by_reason"].get(t, 0)}
shown_tags = st.multiselect("Show neighbourhoods flagged because they are", list(tags),
                            default=list(tags), format_func=lambda t: f"{tags[t]} "
                            f"({s['by_reason'][t]})",
                            key=f"hidden_tags_{code}_{release}",
                            help="Each place starts with every reason shown; the count under "
                                 "the table says how many are hidden.")
flat = hidden.flagged_csv_frame(rep)
keep = rep["flagged"]["reason_tags"].map(lambda ts: any(t in shown_tags for t in ts))
flat = flat[keep.to_numpy()].reset_index(drop=True)
widgets.table(flat.rename(columns={"lsoa_code": "LSOA", "lsoa_name": "name",
                               "msoa_friendly_name": "neighbourhood", "ward_name": "ward",
                               "ruc_class": "rural-urban class", "imd_decile": "IMD decile",
                               "local_decile": "decile within the place",
                               "lisa_quadrant": "Local Moran quadrant (IMD)",
                               "lisa_p": "p", "lisa_q": "q (this place)",
                               "lisa_q_england": "q (England)"}),
          f"hidden_deprivation_{code}_{release}.csv",
          f"{len(flat)} of {s['flagged_count']} flagged neighbourhoods shown, strongest evidence "
          "first. Reasons are separated by |.", height=420)
with st.expander("Every reason in full, neighbourhood by neighbourhood"):
    shown = rep["flagged"][keep.to_numpy()]
    st.markdown(hidden.reasons_markdown(shown) or "None shown.")

# --- rural and urban ---------------------------------------------------------------------------
st.subheader("Rural and urban neighbourhoods")
frames = hidden.rural_urban_frames(rep)
if frames is None:
    st.info(text.humanise(rep["unavailable"].get("rural_urban",
                                                   "No rural-urban classification.")))
else:
    long, ru_table = frames
    widgets.chart(charts.rural_urban_chart(long))
    note = rep["unavailable"].get("rural_urban_people")
    widgets.table(ru_table, f"hidden_rural_urban_{code}_{release}.csv",
              "Rural-Urban Classification of each LSOA ("
              + ("2021 classes" if rep["geography"] == "lsoa21" else "2011 classes") + ")."
              + (f" People counts {text.humanise(note)}." if note else ""),
              percent=("in most deprived 10%", "in most deprived 20%", "income-deprived rate",
                       "share of the area's income-deprived"))

# --- deprived people outside deprived places -------------------------------------------------
st.subheader("Deprived people outside deprived places")
st.markdown("Programmes aimed at the nationally most deprived neighbourhoods reach only the "
            "deprived people who live in them. Here each neighbourhood's deprived people are its "
            "published rate times its population, and a *deprived place* is an LSOA in "
            "England's most deprived 10% or 20% on the IMD.")
for m, o in rep["outside"].items():
    frame = hidden.outside_frame(o)
    st.markdown(f"**{o['who'].capitalize()}**")
    if frame is None:
        st.info(text.humanise(o["reason"][0].upper() + o["reason"][1:]) + ".")
        continue
    widgets.chart(charts.outside_chart(frame))
    widgets.table(frame, f"hidden_outside_{m}_{code}_{release}.csv", percent=("share",))

# --- profile --------------------------------------------------------------------------------
st.subheader("The shape of the place")
pf = hidden.profile_frame(rep)
widgets.chart(charts.profile_chart(pf, prof["profile_label"]))
st.caption(f"Bars: share of its LSOAs in each national {prof['label']} decile. Dashed orange "
           f"line: the nearest ONS template ({prof['profile_label'].lower()}).")
dist_text = ", ".join(f"{hidden.ONS_PROFILES[k][0].lower()} {v:.1f}"
                      for k, v in prof["distances"].items())
lines = [f"Its LSOAs' spread across England's {prof['label']} deciles is closest to the ONS "
         f"**{prof['profile_label'].lower()}** (distance in percentage points: {dist_text})."]
if prof.get("internal_disparity") is not None:
    unit = prof["disparity_unit"]
    value = prof["internal_disparity"] * (100 if unit == "percentage points" else 1)
    lines.append(f"**Internal disparity**: {value:.1f} {unit} between its most deprived LSOA "
                 f"({prof['disparity_highest']['lsoa_name']}) and its least "
                 f"({prof['disparity_lowest']['lsoa_name']}).")
if gm.get("I") is not None:
    lines.append(f"**Moran's I** {gm['I']:.3f} (pseudo p = {gm['p_sim']:.3f}; neighbours "
                 "within the place, as the ONS computes it).")
st.markdown("\n\n".join(lines))
for note in [prof.get("note")] if prof.get("note") else []:
    st.caption(note)

# --- spatial pockets ---------------------------------------------------------------------------
st.subheader("Pockets against their neighbours")
for m, li in rep["lisa"].items():
    extra = (f" {li['hl_suggestive']} more are more deprived than their neighbours at p < "
             f"{rep['parameters']['alpha']} but do not survive the false-discovery-rate "
             "control; treat them as leads, not evidence." if li.get("hl_suggestive") else "")
    st.markdown(f"**{li['label']}**: {li['hl_count']} pocket(s) (deprived, surrounded by less "
                f"deprived: HL) and {li['hh_count']} LSOA(s) in deprived clusters (HH) at a "
                f"{rep['parameters']['alpha']:.0%} false discovery rate.{extra}")
for key, reason in rep["unavailable"].items():
    if key.startswith("lisa_"):
        st.caption(f"{data.HIDDEN_SHORT.get(key[5:], key[5:])}: {text.humanise(reason)}.")

with st.expander("All neighbourhoods: national decile beside the decile within the place"):
    ln = hidden.local_national_frame(rep)
    widgets.table(ln, f"hidden_local_national_{code}_{release}.csv",
              "Decile within the place: its LSOAs ranked by national rank and cut into ten "
              "equal groups (1 = its own most deprived tenth).", height=360)

with st.expander("How this is worked out, and its sources"):
    p = rep["parameters"]
    st.markdown(f"""
- **Deciles** are the published national deciles of the English Indices of Deprivation
  {year} (MHCLG): decile 1 is the most deprived 10% of LSOAs in England.
- **Hidden by the overall index**: IMD decile 4 or above, but decile 1-2 on the Income,
  Employment, Health or Education domain; **far from services**: decile 1-2 on the
  geographical barriers sub-domain (road distance to a GP, primary school, general store and
  post office).
- **Pockets and clusters**: Local Moran's I (Anselin 1995) computed with `esda.Moran_Local`
  on queen-contiguity neighbours of all of England's LSOAs (neighbours over an authority
  border count; islands such as the Isles of Scilly are joined to their nearest LSOA),
  row-standardised, {p['permutations']} conditional permutations with a fixed seed
  ({p['seed']}); q-values by the Benjamini-Hochberg false-discovery-rate procedure over
  this place's LSOAs; a result counts when q <= {p['alpha']}.
- **Deprived people outside deprived places**: rate x population per LSOA (the IoD "scale"
  measures), after Tunstall & Lupton (2003), *Is targeting deprived areas an effective means
  to reach poor people?*, CASEpaper 70, LSE.
- **Profile, internal disparity and Moran's I**: ONS (2021), *Exploring local income
  deprivation*; the four template profiles are the ONS's own; the distance is Euclidean in
  percentage points.
- **Rural-urban**: ONS Rural-Urban Classification of the LSOAs (2011 or 2021 classes).
""")
    for note in rep["notes"]:
        st.caption(note)

widgets.footer()
