"""Health gap: life expectancy, healthy life expectancy and the Slope Index of Inequality for an
area, beside its region and England; the gradient of life expectancy against deprivation across
all authorities; and, where loaded, the gap between an authority's neighbourhoods."""

import streamlit as st

from inequality.app import cache, data, state, widgets
from inequality.present import tables, text
from inequality.present.charts import health as hl

cache.require_db()
widgets.page_header(
    "Health gap: life expectancy and deprivation",
    "How long people can expect to live, and how many of those years in good health, in an "
    "area beside its region and England; how much that differs between the most and least "
    "deprived people in the area (the Slope Index of Inequality); and how life expectancy "
    "falls with deprivation across all of England's local authorities. "
    "Figures are published by OHID (Fingertips) and ONS for three years pooled.")
state.health_alias_in_url()
state.place_search()
place = state.area_picker()
widgets.briefing_download(place, state.current_release())
code, name, kind = place["area_code"], place["area_name"], place["area_type"]
profile = data.health_profile(code)
options = data.health_gradient_options()
le_keys = [o["key"] for o in options]
le_labels = {o["key"]: o["label"] for o in options}
dep_options = data.health_deprivation_options()

# --- headline -------------------------------------------------------------------------------
st.header(name)
state.show_notices()


def _years(entry) -> str:
    """A figure in years, or why there is none (from the health service's entry)."""
    if entry is None:
        return "not available"
    if entry.get("status") == "suppressed":
        return "suppressed"
    value = entry.get("value")
    return "not available" if value is None else f"{value:.1f} years"


def _period(entry) -> str:
    return f"Period {entry['period_label']}." if entry and entry.get("period_label") else ""


for sex in ("Female", "Male"):
    h = profile["headline"][sex]
    st.subheader("Women" if sex == "Female" else "Men")
    cols = st.columns(4)
    le, eng = h["le"], h["le_england"]
    delta = None
    if le and eng and le.get("value") is not None and eng.get("value") is not None \
            and le["period"] == eng["period"]:
        delta = f"{le['value'] - eng['value']:+.1f} years vs England ({eng['value']:.1f})"
    cols[0].metric("Life expectancy at birth", _years(le), delta=delta, delta_color="normal",
                   border=True,
                   help="Years a baby born in the area could expect to live if the death rates "
                        "of the period applied throughout its life (OHID, Fingertips 90366).")
    cols[0].caption(_period(le))
    if le and le.get("status") == "suppressed":
        cols[0].caption(le["status_note"])
    ons = h.get("ons_le")
    if ons and ons.get("value") is not None:
        cols[0].caption(f"ONS {ons['period_label']}: {ons['value']:.1f} years (95% CI "
                        f"{ons['lci95']:.1f} to {ons['uci95']:.1f}).")
    sii = h["sii"]
    cols[1].metric("Gap within the area (SII)", _years(sii), border=True,
                   help="Slope Index of Inequality: years of life expectancy between the most "
                        "and least deprived ends of the area's own social gradient (OHID, "
                        "Fingertips 92901).")
    cols[1].caption(_period(sii))
    if sii and sii.get("status") == "suppressed":
        cols[1].caption("Not published for this area by OHID (too few deaths for a reliable "
                        "figure).")
    hle = h["hle"]
    cols[2].metric("Healthy life expectancy", _years(hle), border=True,
                   help="Years expected in very good or good health (OHID, Fingertips 90362).")
    cols[2].caption(_period(hle))
    cols[3].metric("Years in poorer health",
                   f"{hle['poorer_health']:.1f} years" if hle and hle.get("poorer_health")
                   is not None else _years(hle), border=True,
                   help="Life expectancy minus healthy life expectancy for the same period.")
    cols[3].caption(_period(hle))

if profile["notes"]:
    with st.container(border=True):
        st.markdown("**About these figures**\n\n" + "\n".join(f"* {n}"
                                                                for n in profile["notes"]))

# --- life expectancy over time ------------------------------------------------------------------
st.subheader("Life expectancy over time")
le_rows = profile["le"]
if le_rows.empty:
    st.info(f"No life expectancy figures for {name} in this database.")
else:
    cols = st.columns(2)
    for col, sex in zip(cols, ("Female", "Male")):
        part = le_rows[le_rows["sex"] == sex]
        with col:
            st.markdown(f"**{'Females' if sex == 'Female' else 'Males'}**")
            if part["value"].notna().any():
                widgets.chart(hl.le_chart(part, f"Life expectancy at birth, {sex.lower()}s (years)"))
            else:
                st.info("All values suppressed by the source.")
    st.caption("Lines: Fingertips 90366 for every period loaded. Diamonds with bars: ONS "
               "2021 to 2023 with 95% confidence intervals. A region's Fingertips series is not "
               "in the files loaded, so the region appears as its ONS figure.")
    show = le_rows[["place", "role", "sex", "period", "value", "lci95", "uci95", "status",
                    "source", "area_code", "code_note"]].rename(
        columns={"value": "life expectancy (years)", "lci95": "95% CI lower",
                 "uci95": "95% CI upper", "area_code": "code as published"})
    widgets.table(show, f"life_expectancy_{code}.csv",
              "Every figure shown, as published; suppressed values are blank and marked.")

# --- healthy life expectancy ---------------------------------------------------------------------
st.subheader("Healthy life expectancy and years in poorer health")
hle_rows = profile["hle"]
if hle_rows.empty or hle_rows["hle"].notna().sum() == 0:
    st.info("No healthy life expectancy figures to show.")
else:
    if not (hle_rows["role"] == "area").any():
        st.caption(f"Only England is shown: no healthy life expectancy for {name} in the "
                   "file as loaded (see the notes above).")
    widgets.chart(hl.hle_chart(hle_rows))
    widgets.table(hle_rows[["place", "sex", "period", "le", "hle", "poorer_health_years",
                        "hle_status"]].rename(columns={
        "le": "life expectancy", "hle": "healthy life expectancy",
        "poorer_health_years": "years in poorer health (LE − HLE)", "hle_status": "HLE status"}
    ).round(2), f"healthy_life_expectancy_{code}.csv",
        "Healthy life expectancy is published for upper-tier authorities (unitary authorities, "
        "metropolitan and London boroughs, counties); LE − HLE uses the same period and sex.")

# --- SII within the area --------------------------------------------------------------------------
st.subheader("Inequality within the area: the Slope Index of Inequality")
st.markdown(hl.SII_PLAIN)
sii_rows = profile["sii"]
if sii_rows.empty:
    st.info(f"OHID publishes the Slope Index of Inequality for local authorities and England; "
            f"there is none for {name}.")
else:
    if sii_rows["value"].notna().any():
        cols = st.columns(2)
        for col, sex in zip(cols, ("Female", "Male")):
            part = sii_rows[sii_rows["sex"] == sex]
            with col:
                st.markdown(f"**{'Females' if sex == 'Female' else 'Males'}**")
                if part["value"].notna().any():
                    widgets.chart(hl.sii_chart(part, f"SII, {sex.lower()}s: years between least "
                                                 "and most deprived"))
                else:
                    st.info("Not published for this sex.")
    else:
        st.info(f"OHID publishes no SII for {name} (too few deaths for a reliable figure).")
    widgets.table(sii_rows[["place", "sex", "period", "value", "lci95", "uci95", "status",
                        "status_note"]].rename(columns={
        "value": "SII (years)", "lci95": "95% CI lower", "uci95": "95% CI upper",
        "status_note": "note"}), f"sii_life_expectancy_{code}.csv",
        "OHID's SII for each authority is calculated across the authority's own tenths of "
        "neighbourhoods ranked by deprivation; England's across the national tenths. "
        "Confidence limits are shown where the file as loaded gives them (the offline "
        "mirror's Fingertips files do not; the live download does).")

if len(profile["predecessors"]):
    st.subheader("Figures published for the districts that now make up " + name)
    widgets.table(profile["predecessors"], f"predecessor_districts_{code}.csv",
              "Listed as published for each abolished district, never averaged into the "
              "current authority's series.", static=False)

# --- the gradient across authorities -------------------------------------------------------------
st.subheader("The gradient: life expectancy against deprivation across authorities")
c1, c2, c3 = st.columns([3, 2, 3])
le_key = state.health_pick("le", "Life expectancy series", le_keys, le_keys[0], c1,
                         format_func=lambda k: le_labels[k])
sex = state.health_pick("sex", "Sex", ["Female", "Male"], "Female", c2, radio=True)
dep_keys = list(dep_options)
dep = state.health_pick("dep", "Order authorities by", dep_keys, dep_keys[0], c3,
                      format_func=lambda k: dep_options[k])
axis = state.health_pick("axis", "Horizontal axis", ["deprivation", "relative_rank"],
                       "deprivation", radio=True,
                       format_func=lambda a: {"deprivation": "deprivation measure",
                                              "relative_rank": "population rank (SII scale)"}[a])
state.set_url(area=code, le=le_key, sex=sex, dep=dep, axis=axis)
g = data.health_gradient(le_key, sex, dep)
sii = g["sii"]
m = st.columns(3)
if sii:
    m[0].metric("SII across authorities", f"{sii['sii']:.1f} years", border=True,
                help="Fitted life expectancy at the least deprived end of the authorities "
                     "minus the most deprived end, authorities weighted by population.")
    m[0].caption(f"95% CI {sii['lci95']:.1f} to {sii['uci95']:.1f} years ({sii['ci_method']})."
                 if sii["lci95"] is not None else sii["ci_note"][:1].upper() + sii["ci_note"][1:]
                 + ".")
if g["england_sii"]:
    m[1].metric(f"OHID's SII for England, {g['england_sii']['period']}",
                f"{g['england_sii']['value']:.1f} years", border=True,
                help="Fingertips 92901 for England: across England's tenths of neighbourhoods "
                     "(LSOAs), so larger than the gap between whole authorities.")
    if not g["england_sii"]["same_period"]:
        m[1].caption("The latest period OHID's England SII is loaded for.")
fit = g["fit"]
if fit["n"] >= 2:
    m[2].metric("Fitted change per unit of deprivation", f"{fit['slope']:+.2f} years",
                border=True, help="Slope of the population-weighted straight line through the "
                                  f"scatter; correlation r = {fit['r']:.2f}.")
widgets.chart(hl.gradient_chart(g, code if kind == "lad" else None, axis))
st.caption("Each circle is a current local authority (size = population); "
           + (f"{name} in red. " if kind == "lad" else "pick an authority to highlight it. ")
           + "Dashed line: " + ("the population-weighted straight line through the points."
                                if axis == "deprivation" else
                                "the SII line: its rise from 0 to 1 is the SII."))
st.markdown("Across authorities the SII compares whole areas, so it is smaller than OHID's "
            "England SII, which compares England's tenths of neighbourhoods: deprived and less "
            "deprived neighbourhoods sit side by side inside most authorities. "
            + hl.SII_METHOD)
for note in g["notes"]:
    st.caption(text.humanise(note))
table = g["frame"][["area_code", "area_name", "region_name", "value", "lci95", "uci95",
                    "deprivation", "population", "relative_rank", "included", "reason"]].rename(
    columns={"area_code": "code", "area_name": "authority", "region_name": "region",
             "value": "life expectancy", "lci95": "95% CI lower", "uci95": "95% CI upper",
             "deprivation": dep_options[dep], "relative_rank": "relative rank (0 = most deprived)",
             "included": "in the gradient", "reason": "why left out"})
widgets.table(table, f"gradient_{le_key.replace('|', '_').replace(' ', '')}_{sex}_{dep}.csv",
          "Every authority, with why any is left out.")

# --- neighbourhoods ----------------------------------------------------------------------------
st.subheader("Neighbourhoods within the authority (MSOAs)")
if kind != "lad":
    st.info("Pick a local authority to see the gap between its neighbourhoods.")
else:
    small = data.health_msoa_gap(code, sex)
    if not small["available"]:
        st.info(small["message"])
    else:
        gap = small["gap"]
        a, b = st.columns(2)
        a.metric(f"Gap, least minus most deprived MSOA ({sex.lower()}s, "
                 f"{small['period_label']})",
                 f"{gap['gap']:.1f} years" if gap["gap"] is not None else "not available",
                 border=True)
        if small["sii"]:
            b.metric("SII across the MSOAs", f"{small['sii']['sii']:.1f} years", border=True)
        left, right = st.columns(2)
        with left:
            widgets.chart(hl.msoa_map_chart(small["features"], "Life expectancy (years)"))
        with right:
            widgets.chart(hl.msoa_scatter_chart(small["frame"], "Life expectancy (years)"))
        for note in small["notes"]:
            st.caption(note)
        widgets.table(small["frame"], f"msoa_life_expectancy_{code}_{sex}.csv",
                  "MSOAs ordered from most to least deprived (population-weighted IMD score).")

# --- sources and codes -------------------------------------------------------------------------
with st.expander("Sources, authority codes and method"):
    widgets.table(data.health_sources(), "health_sources.csv", "Health sources as loaded.")
    st.markdown(
        "**Authority codes.** Figures are shown for today's (April 2024) authorities. Where a "
        "source uses another code the row says so: ONS labels Barnsley and Sheffield "
        "E08000038 and E08000039, the codes in use since a boundary change on 1 April 2025 "
        "(the Barnsley and Sheffield (Boundary Change) Order 2024, SI 2024/1328), where "
        "Fingertips and the April 2024 authorities use E08000016 and E08000019. Districts "
        "abolished in the reorganisations of 2019 to 2023 (Dorset and BCP 2019, "
        "Buckinghamshire 2020, Northamptonshire 2021, Cumbria, North Yorkshire and Somerset "
        "2023) are mapped to the authority that now covers them, derived from the ONS LSOA "
        "lookups; their own figures are listed, never averaged.")
    widgets.table(tables.code_map_table(data.health_code_map()), "authority_code_map.csv",
              "The code map: every non-current code and the current authority it maps to.")
    st.markdown(hl.SII_METHOD)
widgets.footer()
