"""Streamlit glue, the only module of :mod:`inequality` that imports streamlit.

It holds what every page shares: the cached read-only connection, cached queries, the
pickers (area, release, measure), the URL state, and the small rendering helpers (a chart
with its table and CSV download, headline notes, the footer). Pages stay thin: they read
the pickers, call the functions here and lay out the result.

URL state: ``?area=E08000026&release=iod2019&measure=income&value=rank`` (``measure``,
``value``, ``msoa`` and ``basemap`` on the map page) plus the page path (``/lsoa-map``,
``/decile-tracking``, ``/data-and-methods``; the overview is ``/``). A link reproduces what
it showed. A value the database does not know is replaced by a fallback with a visible
note, never an error.
"""

from __future__ import annotations

import html
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from .. import config, db, queries
from ..present import maps
from ..queries import ENGLAND
from ..etl.sources import ATTRIBUTION

#: The pages, in menu order: (file under pages/, title, url path, icon). The url paths must
#: differ from the file names: Streamlit runs a ``pages/`` file directly, without
#: ``dashboard.py`` and its navigation, when the first request a fresh server receives names
#: it (multipage v1), so ``/map`` would open a bare page.
PAGES = (
    ("overview.py", "Where it stands", "where-it-stands", ":material/insights:"),
    ("map.py", "Map", "lsoa-map", ":material/map:"),
    ("deciles.py", "Decile tracking", "decile-tracking", ":material/stacked_bar_chart:"),
    ("hidden.py", "Rural & hidden deprivation", "rural-and-hidden",
     ":material/travel_explore:"),
    ("health_gap.py", "Health gap", "health-gap", ":material/monitor_heart:"),
    ("briefing.py", "Your area & briefing", "your-area", ":material/edit_location_alt:"),
    ("data.py", "Data & methods", "data-and-methods", ":material/description:"),
)

DECILE_NOTE = "Decile 1 = the most deprived 10% of neighbourhoods (LSOAs) in England; " \
              "decile 10 = the least deprived 10%."

BUILD_COMMAND = ("python -m inequality build                  # from the official sites\n"
                 "python -m inequality build --mirror DIR     # offline, from a local mirror")


# --- connection and cached queries -----------------------------------------------------------

def _db_key() -> tuple[str, float]:
    """The database path and modification time: a rebuilt file gets a fresh connection."""
    path = Path(config.db_path())
    return str(path), (path.stat().st_mtime if path.exists() else 0.0)


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(key: tuple[str, float]):
    return db.connect(key[0], read_only=True)


def require_db() -> None:
    """Stop the page with a friendly message (and the build command) if there is no database."""
    try:
        _open(_db_key())
    except db.DatabaseMissing as exc:
        st.title("Deprivation in England")
        st.error("The deprivation database has not been built yet, or cannot be opened.")
        st.markdown(f"{html.escape(str(exc))}")
        st.markdown("Build it once (about a minute from a local mirror), then reload this "
                    "page:")
        st.code(BUILD_COMMAND, language="bash")
        st.caption("Or set INEQUALITY_DB to the path of an existing inequality.duckdb.")
        st.stop()


def _analysis():
    from ..services import summaries  # imported late: the page renders its own error if it is broken
    return summaries


_QUERIES = {
    "areas": lambda con: queries.areas(con),
    "releases": lambda con: queries.releases(con),
    "measures": lambda con, release=None: queries.measures(con, release),
    "load_log": lambda con: queries.load_log(con),
    "build_info": lambda con: queries.build_info(con),
    "lad_changes": lambda con, code: queries.lad_changes(con, code),
    "lsoa_values": lambda con, release, code: queries.lsoa_values(con, release, code),
    "area_summary": lambda con, code, release: _analysis().area_summary(con, code, release),
    "decile_tracking": lambda con, code: _analysis().decile_tracking(con, code),
    "transitions": lambda con, code, a, b: _analysis().transitions(con, code, a, b),
    "comparison": lambda con, code: _analysis().comparison(con, code),
}


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(name: str, key: tuple[str, float], *args):
    return _QUERIES[name](_open(key).cursor(), *args)


def query(name: str, *args):
    """Run a named query (see ``_QUERIES``) through the cache."""
    return _cached(name, _db_key(), *args)


def areas() -> pd.DataFrame:
    return query("areas")


def releases() -> pd.DataFrame:
    return query("releases")


def measures(release: str | None = None) -> pd.DataFrame:
    return query("measures", release)


def area_summary(area_code: str, release: str) -> dict:
    return query("area_summary", area_code, release)


def decile_tracking(area_code: str) -> dict:
    return query("decile_tracking", area_code)


def transitions(area_code: str, from_release: str, to_release: str) -> dict:
    return query("transitions", area_code, from_release, to_release)


def comparison(area_code: str) -> pd.DataFrame:
    return query("comparison", area_code)


def lsoa_values(release: str, area_code: str) -> pd.DataFrame:
    return query("lsoa_values", release, area_code)


def load_log() -> pd.DataFrame:
    return query("load_log")


def build_info() -> dict:
    return query("build_info")


def relative_warning() -> str:
    return _analysis().RELATIVE_WARNING


@st.cache_resource(show_spinner=False, max_entries=16)
def _choropleth(key, release, area_code, measure, kind, msoa):
    return maps.choropleth(_open(key).cursor(), release, area_code, measure, kind, msoa=msoa)


@st.cache_resource(show_spinner=False, max_entries=16)
def _deck(key, release, area_code, measure, kind, msoa, basemap):
    m = _choropleth(key, release, area_code, measure, kind, msoa)
    return maps.deck(m, basemap=basemap)


def choropleth(release: str, area_code: str, measure: str, kind: str, msoa: bool = False):
    """The map's data (cached across sessions; treat it as read-only)."""
    return _choropleth(_db_key(), release, area_code, measure, kind, msoa)


def deck(release: str, area_code: str, measure: str, kind: str, msoa: bool, basemap: bool):
    """The pydeck deck (cached with its JSON, so a re-render costs nothing)."""
    return _deck(_db_key(), release, area_code, measure, kind, msoa, basemap)


# --- URL state and pickers --------------------------------------------------------------------

def _notices() -> list[str]:
    return st.session_state.setdefault("_notices", [])


def notice(text: str) -> None:
    """Queue a friendly note (e.g. an unknown code in the link) for :func:`show_notices`."""
    if text not in _notices():
        _notices().append(text)


def show_notices() -> None:
    for text in _notices():
        st.info(text, icon=":material/info:")
    st.session_state["_notices"] = []


def _initial(key: str, options: list[str], default: str, what: str, resolve=None,
             label=str) -> None:
    """Seed a picker's state before it renders: this session's choice if it still applies,
    else the URL's, else ``default``; a value that does not apply is replaced by ``default``
    with a visible note (never an error)."""
    current = st.session_state.get(key, st.session_state.get(f"_keep_{key}"))
    if current in options:
        st.session_state[key] = current
        return
    if current is not None:
        notice(f"{label(current)} is not available for {what}; showing {label(default)}.")
        st.session_state[key] = default
        return
    wanted = st.query_params.get(key)
    found = None if wanted is None else (resolve(wanted) if resolve else
                                         (wanted if wanted in options else None))
    if wanted is not None and found is None:
        notice(f"The link asks for {wanted!r}, which is not available for {what}; "
               f"showing {label(default)} instead.")
    st.session_state[key] = found or default


def _keep(key: str) -> str:
    value = st.session_state[key]
    st.session_state[f"_keep_{key}"] = value
    return value


def set_url(**params) -> None:
    """Write the page's state to the URL (only what changed), dropping other keys."""
    wanted = {k: str(v) for k, v in params.items() if v is not None}
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != wanted:
        st.query_params.from_dict(wanted)


def area_label(row) -> str:
    if row["area_type"] == "england":
        return "England (all neighbourhoods)"
    if row["area_type"] == "region":
        return f"Region: {row['area_name']} ({row['area_code']})"
    return f"{row['area_name']} ({row['area_code']}), {row['region_name']}"


def area_picker(container=None) -> dict:
    """Search-as-you-type picker over England, the regions and the current (2024) local
    authorities (by name or code). Returns the chosen area's row as a dict."""
    table = areas()
    rows = {r["area_code"]: r for r in table.to_dict("records")}
    by_name = {r["area_name"].lower(): c for c, r in rows.items()}

    def resolve(text: str) -> str | None:
        text = text.strip()
        return (text.upper() if text.upper() in rows else by_name.get(text.lower()))

    _initial("area", list(rows), ENGLAND, "the area (England, a region or a current local "
             "authority code such as E08000026)", resolve, lambda c: rows[c]["area_name"])
    (container or st).selectbox(
        "Area: type a local authority, region or code", options=list(rows),
        format_func=lambda c: area_label(rows[c]), key="area",
        help="England, the nine regions and every current (April 2024) local authority. "
             "Type part of a name (Coventry) or a code (E08000026).")
    return rows[_keep("area")]


def release_label(row) -> str:
    geo = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}.get(row["geography"], "")
    return f"IoD {row['year']} (on {geo} neighbourhoods)"


def release_picker(container=None) -> str:
    """Release picker (latest first). Returns the release id, e.g. ``iod2025``."""
    table = releases()
    rows = {r["release"]: r for r in table.to_dict("records")}
    options = list(reversed(list(rows)))
    _initial("release", options, options[0], "the release (" + ", ".join(options) + ")",
             label=lambda r: release_label(rows[r]))
    (container or st).selectbox("Release", options=options, key="release",
                                format_func=lambda r: release_label(rows[r]),
                                help="Each English Indices of Deprivation release is on its "
                                     "own neighbourhood (LSOA) boundaries.")
    return _keep("release")


def place_and_release() -> tuple[dict, str]:
    """The two pickers every page starts with, side by side."""
    left, right = st.columns([3, 2])
    place = area_picker(left)
    release = release_picker(right)
    return place, release


def available_measures(release: str) -> tuple[pd.DataFrame, str]:
    """Measures the release holds (with has_score/has_rank/has_decile), and one sentence
    naming those it lacks and why (empty when it holds them all)."""
    held = measures(release)
    every = measures()
    lacking = every[~every["measure"].isin(held["measure"])]
    if lacking.empty:
        return held, ""
    log = load_log()
    src = releases().set_index("release").loc[release, "source_id"]
    cols = log.loc[log["source_id"] == src, "missing_columns"]
    absent = len(cols) and cols.iloc[0] is not None and len(cols.iloc[0]) > 0
    why = ("its file as loaded lacks their columns (see Data & methods)" if absent
           else "the release does not publish them")
    names = ", ".join(_measure_option(m) for _, m in lacking.iterrows())
    return held, f"Not available for {release}, because {why}: {names}."


def measure_picker(release: str, container=None) -> tuple[str, str, pd.Series]:
    """Measure and value pickers over what the release holds. Returns (measure, kind, row)."""
    held, missing = available_measures(release)
    rows = {r["measure"]: r for r in held.to_dict("records")}
    labels = {m: _measure_option(r) for m, r in rows.items()}
    options = list(rows)
    _initial("measure", options, "imd" if "imd" in rows else options[0],
             f"the measure in {release}", label=lambda m: rows[m]["label"] if m in rows else m)
    box = container or st
    measure = box.selectbox("Measure", options=options, key="measure",
                            format_func=lambda m: labels[m])
    measure = _keep("measure")
    row = rows[measure]
    kinds = [k for k in maps.KINDS if row.get(f"has_{k}")]
    _initial("value", kinds, kinds[0], f"{row['label']} in {release}",
             label=lambda k: maps.KINDS.get(k, k))
    box.radio("Show", options=kinds, key="value", format_func=lambda k: maps.KINDS[k],
              horizontal=True)
    kind = _keep("value")
    if missing:
        box.caption(missing)
    lacking = [maps.KINDS[k].split(" (")[0].lower() for k in maps.KINDS if not row.get(f"has_{k}")]
    if lacking:
        box.caption(f"{row['label']} has no {' or '.join(lacking)} in this release's file as "
                    "loaded.")
    return measure, kind, pd.Series(row)


SHORT_LABELS = {"imd": "IMD (overall)", "income": "Income", "employment": "Employment",
                "education": "Education, skills & training", "health": "Health & disability",
                "crime": "Crime", "barriers": "Barriers to housing & services",
                "living_environment": "Living environment", "idaci": "IDACI (children)",
                "idaopi": "IDAOPI (older people)"}


def short_label(measure: str, label: str | None = None) -> str:
    """A measure's name short enough for a chart axis."""
    return SHORT_LABELS.get(measure, (label or measure).replace(" Sub-domain", ""))


def _measure_option(row) -> str:
    kind = {"index": "", "domain": "domain: ", "supplementary": "supplementary index: ",
            "subdomain": "sub-domain: "}.get(row["kind"], "")
    label = row["label"].replace(" Sub-domain", "")
    return f"{kind}{label}" if kind else label


def url_toggle(key: str, label: str, help: str | None = None, container=None) -> bool:
    """A toggle whose state also travels in the URL (``?key=1``)."""
    if key not in st.session_state:
        kept = st.session_state.get(f"_keep_{key}")
        st.session_state[key] = (kept if kept is not None else
                                 st.query_params.get(key, "0").lower() in ("1", "true", "yes"))
    (container or st).toggle(label, key=key, help=help)
    return bool(_keep(key))


# --- rendering helpers -----------------------------------------------------------------------

def page_header(title: str, intro: str | None = None) -> None:
    st.title(title)
    if intro:
        st.markdown(intro)


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV") -> None:
    """A CSV download of exactly the table shown."""
    st.download_button(label, data=frame.to_csv(index=False).encode("utf-8"),
                       file_name=file_name, mime="text/csv", on_click="ignore",
                       key=f"dl_{file_name}", icon=":material/download:")


def table(frame: pd.DataFrame, file_name: str, caption: str | None = None,
          height: int | str = "auto", percent: tuple[str, ...] = (),
          static: bool = False) -> None:
    """A table with its CSV download (every chart gets one, for accessibility).

    ``percent`` names columns holding fractions, shown as percentages (the CSV keeps the
    fractions); ``static`` renders a plain, wrapping table for text-heavy rows.
    """
    if caption:
        st.caption(caption)
    if static:
        st.table(frame.set_index(frame.columns[0]))
    else:
        config = {c: st.column_config.NumberColumn(format="percent") for c in percent
                  if c in frame.columns}
        st.dataframe(frame, hide_index=True, width="stretch", height=height,
                     column_config=config)
    download_csv(frame, file_name)


def chart(spec: alt.TopLevelMixin) -> None:
    """An altair chart that stretches across its column; its height is the plot's own
    (legends are added around it, never squeezed into it)."""
    st.altair_chart(spec.properties(autosize=alt.AutoSizeParams(type="fit-x",
                                                                contains="padding")),
                    width="stretch")


def chart_with_table(spec: alt.TopLevelMixin, frame: pd.DataFrame, file_name: str,
                     caption: str | None = None, percent: tuple[str, ...] = ()) -> None:
    chart(spec)
    table(frame, file_name, caption, percent=percent)


def decile_axis_label(d: int) -> str:
    return {1: "1 most deprived", 10: "10 least deprived"}.get(int(d), str(int(d)))


def decile_colour_scale() -> alt.Scale:
    """The map's palette for deciles, so charts and map agree."""
    return alt.Scale(domain=[decile_axis_label(d) for d in range(1, 11)],
                     range=list(maps.VIRIDIS_10))


def fmt_pct(x, digits: int = 1) -> str:
    return "not available" if x is None or pd.isna(x) else f"{x:.{digits}%}"


def fmt_num(x, digits: int = 1) -> str:
    return "not available" if x is None or pd.isna(x) else f"{x:,.{digits}f}"


def ordinal(n) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def map_legend(legend: maps.Legend) -> None:
    st.html(maps.legend_html(legend))


def map_hint(chart: maps.Choropleth) -> str:
    """How to read the map, for what it shows."""
    if chart.level == "overview":
        return "Hover a neighbourhood for its name, code and value; zoom with the mouse wheel."
    return ("Hover a neighbourhood for its name, code, value and the decile of every domain. "
            "Black line: the area's boundary." + (" Grey lines: MSOAs." if chart.msoa else ""))


def footer() -> None:
    st.divider()
    st.caption(ATTRIBUTION)


# --- plain-English text ----------------------------------------------------------------------

SUMMARY_TEXT = {
    "prop_most_deprived_10": ("Share of neighbourhoods in England's most deprived 10%",
                              "The proportion of the area's LSOAs in national decile 1."),
    "avg_score": ("Average score", "The population-weighted average of its LSOAs' IMD scores; "
                  "very deprived places with high scores pull it up."),
    "avg_rank": ("Average rank", "The population-weighted average of its LSOAs' national "
                 "ranks; highs and lows even out."),
    "extent": ("Extent", "The share of residents living in the most deprived 30% of LSOAs, "
               "with the most deprived 10% counted in full and a sliding weight above that."),
    "local_concentration": ("Local concentration", "The population-weighted average rank of "
                            "the area's most deprived LSOAs that hold 10% of its residents: "
                            "how intense its hot spots are."),
    "income_scale": ("Income scale", "The number of people who are income deprived."),
    "employment_scale": ("Employment scale", "The number of working-age people who are "
                         "employment deprived."),
}

MEASURE_TEXT = {
    "imd": "The overall measure: the seven domains combined with fixed weights (income and "
           "employment 22.5% each, education and health 13.5% each, crime, barriers and "
           "living environment 9.3% each, as in the 2010 to 2019 releases).",
    "income": "People on low incomes: adults and children in families receiving income-related "
              "benefits or tax credits. Its score is the share of residents affected.",
    "employment": "Working-age people involuntarily out of work (unemployment, sickness or "
                  "disability benefits, caring). Its score is a rate.",
    "education": "Lack of attainment and skills, for children and young people and for adults.",
    "health": "Risk of premature death and of impaired quality of life through poor physical "
              "or mental health.",
    "crime": "Risk of personal and material victimisation: violence, burglary, theft, "
             "criminal damage.",
    "barriers": "Physical and financial access to housing and to local services (distance to "
                "a GP, school, shop, post office; affordability, overcrowding, homelessness).",
    "living_environment": "Quality of the local environment: housing in poor condition or "
                          "without central heating, air quality and road traffic accidents.",
    "idaci": "Supplementary index: the share of children aged 0 to 15 living in "
             "income-deprived families.",
    "idaopi": "Supplementary index: the share of people aged 60 and over who are income "
              "deprived.",
}

CANNOT_SAY = """
**What the IMD cannot tell you**

* **It is relative.** Ranks and deciles say how a neighbourhood compares with every other in
  England *at the time of the release*. A neighbourhood can move out of the most deprived 10%
  because others became more deprived, with no change on the ground.
* **A decile is not an income.** Decile 1 means "among the most deprived 10% of
  neighbourhoods on this index", not an income band or a poverty line; scores are not
  comparable between releases.
* **It describes places, not people.** Not everyone in a deprived neighbourhood is deprived,
  and many deprived people live elsewhere.
* **Boundaries change.** Releases sit on 2001, 2011 and 2021 neighbourhoods (LSOAs), and
  authorities merge; counts are matched through the ONS lookups and notes say where.
"""


def short_reason(reason: str | None) -> str:
    """Why a measure is not available, without the list of missing file columns (the Data &
    methods page lists those)."""
    if not reason:
        return "not available for this release"
    return reason.split(" (missing ")[0]


def summary_table(summary: dict) -> pd.DataFrame:
    """The area summary as rows of plain words: measure, value, rank, what it means (or why
    it is not available)."""
    n = summary.get("n_areas") or 0
    out = []
    for key, (name, meaning) in SUMMARY_TEXT.items():
        value = summary.get(key)
        rank = summary.get(f"rank_{key}")
        if value is None:
            shown = "not available"
            reason = short_reason(summary.get("unavailable", {}).get(key))
            meaning = f"{meaning} {reason[:1].upper()}{reason[1:]}."
        elif key in ("prop_most_deprived_10", "extent"):
            shown = fmt_pct(value)
        elif key.endswith("_scale"):
            shown = f"{value:,.0f} people"
        else:
            shown = fmt_num(value)
        out.append({"Measure": name, "Value": shown,
                    "Rank (1 = most deprived)": f"{ordinal(rank)} of {n}" if rank else "",
                    "What it means": meaning})
    return pd.DataFrame(out)


# --- data shaped for charts ------------------------------------------------------------------

def decile_frame(counts: dict[str, int]) -> pd.DataFrame:
    """``{"1": n, ...}`` as a table: decile, its label, LSOAs, share."""
    total = sum(counts.values()) or 1
    return pd.DataFrame([{"decile": int(d), "decile_label": decile_axis_label(int(d)),
                          "lsoas": int(n), "share": n / total}
                         for d, n in sorted(counts.items(), key=lambda kv: int(kv[0]))])


def domain_profile(release: str, area_code: str) -> pd.DataFrame:
    """Long table of the area's LSOAs per national decile for the IMD, each domain and the
    supplementary indices: measure, label, decile, decile_label, lsoas, share."""
    values = lsoa_values(release, area_code)
    held = measures(release)
    rows = []
    for _, m in held[held["kind"] != "subdomain"].iterrows():
        col = f"{m['measure']}_decile"
        if col not in values.columns or values[col].isna().all():
            continue
        counts = values[col].dropna().astype(int).value_counts()
        total = counts.sum()
        for d in range(1, 11):
            rows.append({"measure": m["measure"], "label": short_label(m["measure"]),
                         "order": int(m["sort_order"]), "decile": d,
                         "decile_label": decile_axis_label(d), "lsoas": int(counts.get(d, 0)),
                         "share": counts.get(d, 0) / total})
    return pd.DataFrame(rows)


def release_year(release: str) -> str:
    return str(releases().set_index("release").loc[release, "year"])


# --- charts ----------------------------------------------------------------------------------

_DECILE_TITLE = "National decile (1 = most deprived 10%)"
_DECILE_LEGEND = alt.Legend(orient="top", columns=5, symbolType="square", labelLimit=160,
                            title="National decile")


def decile_distribution_chart(frame: pd.DataFrame) -> alt.Chart:
    """Bars of the share of an area's LSOAs in each national decile, with England's 10%."""
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("decile:O", title=_DECILE_TITLE, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="Share of the area's LSOAs", axis=alt.Axis(format="%")),
        color=alt.Color("decile_label:N", scale=decile_colour_scale(), legend=None),
        tooltip=[alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")])
    rule = alt.Chart(pd.DataFrame({"share": [0.1], "what": ["England: 10% in every decile"]})
                     ).mark_rule(strokeDash=[5, 4], color="#222").encode(
        y="share:Q", tooltip=alt.Tooltip("what:N", title=""))
    return (bars + rule).properties(height=300)


def stacked_deciles_chart(frame: pd.DataFrame, y: str, y_title: str, y_sort=None,
                          horizontal: bool = True, height: int = 300) -> alt.Chart:
    """100% stacked bars of decile shares (decile 1 first, darkest), one bar per ``y``."""
    order = [decile_axis_label(d) for d in range(1, 11)]
    share = dict(field="share", type="quantitative", title="Share of LSOAs",
                 axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    if horizontal:
        enc = {"x": alt.X(**share),
               "y": alt.Y(f"{y}:N", title=y_title, sort=y_sort,
                          axis=alt.Axis(labelLimit=220))}
    else:
        enc = {"y": alt.Y(**share),
               "x": alt.X(f"{y}:N", title=y_title, sort=y_sort, axis=alt.Axis(labelAngle=0))}
    return alt.Chart(frame).mark_bar().encode(
        **enc,
        color=alt.Color("decile_label:N", scale=decile_colour_scale(), sort=order,
                        legend=_DECILE_LEGEND),
        order=alt.Order("decile:Q", sort="ascending"),
        tooltip=[alt.Tooltip(f"{y}:N", title=y_title),
                 alt.Tooltip("decile_label:N", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs", format=",.1f"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")]
    ).properties(height=height)


_ROLES = ["this area", "its region", "England", "similar authority"]


_NEIGHBOUR_COLOURS = ("#1b9e77", "#17becf", "#7570b3", "#e7298a", "#66a61e", "#a6761d",
                      "#e6ab02")


def _place_colours(frame: pd.DataFrame) -> alt.Scale:
    """The area dark blue, its region orange, England black, similar authorities muted."""
    fixed = {"this area": "#3e4a89", "its region": "#c44e00", "England": "#111111"}
    labels = frame.drop_duplicates("label")[["label", "role"]]
    colours, spare = [], iter(_NEIGHBOUR_COLOURS * 3)
    for role in labels["role"]:
        colours.append(fixed.get(role) or next(spare))
    return alt.Scale(domain=labels["label"].tolist(), range=colours)


def headline_series_chart(frame: pd.DataFrame) -> alt.Chart:
    """Lines of the share of LSOAs in the most deprived 10%, one per place, over releases;
    the area thick, its region and England dashed, similar authorities thin."""
    base = alt.Chart(frame).encode(
        x=alt.X("year:O", title="Release (IoD year)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share_decile_1:Q", title="Share of LSOAs in England's most deprived 10%",
                axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        color=alt.Color("label:N", title="Place", scale=_place_colours(frame),
                        legend=alt.Legend(orient="right", labelLimit=260)),
        strokeDash=alt.StrokeDash("role:N", scale=alt.Scale(
            domain=_ROLES, range=[[1, 0], [8, 4], [3, 3], [1, 0]]), legend=None),
        strokeWidth=alt.StrokeWidth("role:N", scale=alt.Scale(
            domain=_ROLES, range=[4, 2.5, 2.5, 1.3]), legend=None),
        tooltip=[alt.Tooltip("label:N", title="Place"), alt.Tooltip("year:O", title="IoD"),
                 alt.Tooltip("share_decile_1:Q", title="Share in decile 1", format=".1%")])
    return (base.mark_line() + base.mark_point(filled=True, size=50)).properties(height=340)


def transition_chart(matrix: pd.DataFrame, from_label: str, to_label: str) -> alt.Chart:
    """Heat map of LSOAs moving from one release's decile (rows) to the next's (columns)."""
    long = (matrix.rename_axis(index="from", columns="to").stack().rename("lsoas")
            .reset_index())
    long["from"] = long["from"].astype(int)
    long["to"] = long["to"].astype(int)
    top = max(float(long["lsoas"].max()), 1.0)
    base = alt.Chart(long).encode(
        x=alt.X("to:O", title=f"Decile in {to_label} (1 = most deprived)",
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("from:O", title=f"Decile in {from_label} (1 = most deprived)"))
    rect = base.mark_rect(stroke="#fff").encode(
        color=alt.Color("lsoas:Q", title="LSOAs", scale=alt.Scale(scheme="greys",
                                                                   domain=[0, top])),
        tooltip=[alt.Tooltip("from:O", title=f"Decile {from_label}"),
                 alt.Tooltip("to:O", title=f"Decile {to_label}"),
                 alt.Tooltip("lsoas:Q", title="LSOAs", format=",.1f")])
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("lsoas:Q", format=",.1~f"),
        color=alt.condition(alt.datum.lsoas > top * 0.5, alt.value("#fff"),
                            alt.value("#111")),
        opacity=alt.condition(alt.datum.lsoas > 0, alt.value(1), alt.value(0)))
    return (rect + text).properties(height=380)


def current_area() -> str:
    """The area chosen on another page (or in the link), for pages without the picker; an
    unknown code in the link falls back to England with a note."""
    known = set(areas()["area_code"])
    kept = st.session_state.get("_keep_area")
    if kept in known:
        return kept
    wanted = st.query_params.get("area")
    if wanted is not None and wanted not in known:
        notice(f"The link asks for {wanted!r}, which is not an area this database holds; "
               "showing England instead.")
    return wanted if wanted in known else ENGLAND


def current_release() -> str:
    """The release chosen on another page (or in the link), for pages without the picker."""
    options = list(releases()["release"])
    for value in (st.session_state.get("_keep_release"), st.query_params.get("release")):
        if value in options:
            return value
    return options[-1]


CHANGE_TYPES = {"U": ("Unchanged", "same boundary in both"),
                "S": ("Split", "one old LSOA became several; each part counts 1/k"),
                "M": ("Merged", "several old LSOAs became one"),
                "X": ("Irregular", "redrawn in a complex way; each part counts 1/k")}


def tracking_frames(tracking: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decile tracking as (long: release, year, decile, lsoas, share; wide: one row per
    release with counts and the decile 1 share)."""
    years = releases().set_index("release")["year"]
    long, wide = [], []
    for release, r in tracking["releases"].items():
        for d in range(1, 11):
            long.append({"release": release, "year": str(years[release]), "decile": d,
                         "decile_label": decile_axis_label(d), "lsoas": r["counts"][str(d)],
                         "share": r["shares"][str(d)]})
        wide.append({"release": release, "LSOA geography": r["geography"],
                     "LSOAs": r["lsoa_count"], "share in decile 1": round(r["shares"]["1"], 4),
                     **{f"decile {d}": r["counts"][str(d)] for d in range(1, 11)}})
    return pd.DataFrame(long), pd.DataFrame(wide)


def comparison_frames(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparison as (chart rows with year and place; a table of the decile 1 share by
    place and release)."""
    years = releases().set_index("release")["year"]
    roles = {"area": "this area", "region": "its region", "england": "England",
             "neighbour": "similar authority"}
    rows = frame.assign(year=frame["release"].map(years).astype(str),
                        role=frame["role"].map(roles),
                        place=frame["area_name"])
    rows["label"] = rows["place"] + " (" + rows["role"] + ")"
    rows.loc[rows["role"] == "England", "label"] = "England"
    wide = (rows.pivot_table(index=["place", "role"], columns="year", values="share_decile_1",
                             sort=False).round(4).reset_index())
    wide.columns = [str(c) if c in ("place", "role") else f"IoD {c}" for c in wide.columns]
    return rows, wide


def transition_summary(matrix: pd.DataFrame) -> dict[str, float]:
    """Weighted LSOAs that stayed in their decile, moved to a more deprived one (lower
    decile number) or to a less deprived one."""
    import numpy as np
    m = matrix.to_numpy(dtype=float)
    return {"same": float(np.trace(m)), "more": float(np.tril(m, -1).sum()),
            "less": float(np.triu(m, 1).sum())}


def sources_table() -> pd.DataFrame:
    """Every catalogue source with what this database loaded from it (the load log)."""
    from ..etl.sources import SOURCES

    log = load_log().set_index("source_id")
    rows = []
    for s in SOURCES:
        entry = log.loc[s.id] if s.id in log.index else None
        missing = list(entry["missing_columns"]) if entry is not None and \
            entry["missing_columns"] is not None else []
        loaded_at = entry["loaded_at"] if entry is not None else None
        rows.append({
            "source": s.id, "title": s.title, "publisher": s.publisher,
            "release": s.release or "", "geography": s.geography,
            "status": entry["status"] if entry is not None else "not in this build",
            "rows loaded": int(entry["rows"]) if entry is not None and pd.notna(entry["rows"])
            else None,
            "file": entry["file"] if entry is not None else s.file,
            "sha256": entry["sha256"] if entry is not None else None,
            "loaded at (UTC)": str(loaded_at)[:19] if loaded_at is not None
            and pd.notna(loaded_at) else "",
            "optional columns missing": "; ".join(missing),
            "live only": "yes: not in the offline mirror" if not s.in_mirror else "",
            "licence": s.licence, "url": s.url, "landing page": s.landing_page,
            "notes": " ".join(x for x in (s.notes, entry["message"] if entry is not None
                                          and entry["message"] else "") if x)})
    first = ["source", "status", "rows loaded", "live only", "release", "publisher",
             "loaded at (UTC)", "sha256", "optional columns missing", "title", "licence"]
    frame = pd.DataFrame(rows)
    return frame[first + [c for c in frame.columns if c not in first]]


METHODS = """
**How the numbers are made**

* **Deciles** are national: decile 1 is the most deprived 10% of all LSOAs in England in that
  release, never re-ranked within an area. IoD 2010 publishes ranks only; its deciles are
  derived as ceil(10 x rank / N), the rule the later releases use.
* **Areas** are today's (April 2024) local authorities: each release's LSOAs are assigned
  through the ONS lookups, so authorities that have merged since are counted as they are
  now, and notes say where. Regions and England are the sums of their LSOAs.
* **Summary measures** (average score, average rank, extent, local concentration, scale)
  follow the IoD Technical Report; those that need population denominators are not shown
  for releases whose file lacks them.
* **Movements between releases** follow the ONS best-fit LSOA lookups: unchanged LSOAs count
  once, a split or irregularly redrawn LSOA counts 1/k towards each of its k successors.
* **Maps** use the ONS generalised boundaries simplified at build time (about 10 m for an
  area, 100 m for England) in the *viridis* palette (colour-blind safe, dark = most
  deprived). The 2001 LSOAs of IoD 2010 have no published boundaries: the map draws the
  values of LSOAs unchanged in 2011 on their 2011 boundaries and says how many are left out.
"""


# --- health gap -------------------------------------------------------------------------------
# Cached calls into inequality.services.health for pages/health_gap.py (owned by the health-gap engineer).

def _health():
    from ..services import health  # imported late, like summaries
    return health


_QUERIES.update({
    "health_profile": lambda con, code: _health().area_profile(con, code),
    "health_gradient_options": lambda con: _health().gradient_options(con),
    "health_deprivation_options": lambda con: _health().deprivation_options(con),
    "health_deprivation": lambda con, key: _health().authority_deprivation(con, key),
    "health_gradient": lambda con, le_key, sex, dep: _health().gradient(
        con, le_key, sex, dep, deprivation_frame=query("health_deprivation", dep)),
    "health_msoa_gap": lambda con, code, sex: _health().msoa_gap(con, code, sex),
    "health_sources": lambda con: _health().sources_table(con),
    "health_code_map": lambda con: _health().code_map(con),
})


def health_lib():
    """:mod:`inequality.services.health` (its text and Altair chart builders; no database access)."""
    return _health()


def health_profile(area_code: str) -> dict:
    return query("health_profile", area_code)


def health_gradient(le_key: str, sex: str, deprivation: str) -> dict:
    return query("health_gradient", le_key, sex, deprivation)


def health_msoa_gap(area_code: str, sex: str) -> dict:
    return query("health_msoa_gap", area_code, sex)


def health_alias_in_url() -> None:
    """A link with another publisher's code for a current authority (ONS's 2025 codes for
    Barnsley and Sheffield, E08000038/E08000039) opens that authority, with a note."""
    wanted = (st.query_params.get("area") or "").strip().upper()
    recoded = _health().RECODED_CODES
    if wanted in recoded and "area" not in st.session_state:
        target, name, source = recoded[wanted]
        st.query_params["area"] = target
        notice(f"{wanted} is the code ONS has used for {name} since 1 April 2025 ({source}); "
               f"this dashboard's authorities are the April 2024 ones, where {name} is "
               f"{target}.")


def health_pick(key: str, label: str, options: list[str], default: str, container=None,
                format_func=str, radio: bool = False, help: str | None = None) -> str:
    """A picker seeded from the URL (``?key=...``), falling back to ``default``."""
    if st.session_state.get(key) not in options:
        wanted = st.query_params.get(key)
        st.session_state[key] = wanted if wanted in options else default
    box = container or st
    if radio:
        box.radio(label, options, key=key, format_func=format_func, horizontal=True, help=help)
    else:
        box.selectbox(label, options, key=key, format_func=format_func, help=help)
    return st.session_state[key]


# --- hidden deprivation -----------------------------------------------------------------------
# Cached calls into inequality.services.hidden for pages/hidden.py (owned by the hidden-deprivation
# engineer). National Local Moran's I is read from the build's cache or computed once per
# process by inequality.services.hidden itself.

def _hidden():
    from ..services import hidden  # imported late, like summaries
    return hidden


_QUERIES.update({
    "hidden_report": lambda con, code, release, domains: _hidden().report(
        con, code, release, domains=domains),
    "hidden_wards": lambda con, release: _hidden().wards(con, release),
})


def hidden_lib():
    """:mod:`inequality.services.hidden` (its constants and plain-words helpers)."""
    return _hidden()


def hidden_report(area_code: str, release: str, domains: tuple[str, ...]) -> dict:
    """Every hidden-deprivation measure of an authority or ward (see inequality.services.hidden)."""
    return query("hidden_report", area_code, release, tuple(domains))


def hidden_wards(release: str) -> pd.DataFrame:
    return query("hidden_wards", release)


@st.cache_resource(show_spinner=False, max_entries=16)
def _hidden_deck(key, area_code, release, domains, basemap):
    rep = _cached("hidden_report", key, area_code, release, domains)
    return _hidden().hidden_deck(_open(key).cursor(), rep, basemap=basemap)


def hidden_deck(area_code: str, release: str, domains: tuple[str, ...], basemap: bool):
    """(deck, legend HTML, notes) of the hidden-deprivation map (cached with its JSON)."""
    return _hidden_deck(_db_key(), area_code, release, tuple(domains), basemap)


# --- custom areas and briefings -----------------------------------------------------------------
# Cached calls into inequality.services.custom_areas, .report and .exports for pages/briefing.py ("Your area &
# briefing"). A custom area goes through the cache as plain values (geography and a sorted
# tuple of codes; its name is put back afterwards, so renaming costs nothing), and the area
# being worked on lives in the session under ``brief_area``.

def custom_lib():
    """:mod:`inequality.services.custom_areas` (CustomArea, CustomAreaError, parse_codes)."""
    from ..services import custom_areas  # imported late, like summaries
    return custom_areas


def _report():
    from ..present import report
    return report


def _exports():
    from ..present import exports
    return exports


def _as_area(geography: str, codes, name: str = "Custom area"):
    return custom_lib().CustomArea(name, geography, tuple(codes))


def _codes_key(area) -> tuple[str, tuple[str, ...]]:
    return area.geography, tuple(sorted(area.lsoa_codes))


_QUERIES.update({
    "wards": lambda con, lad: queries.wards(con, lad),
    "ward_lsoas": lambda con, wards: sorted({c for w in wards
                                             for c in queries.lsoas_of_ward(con, w)}),
    "custom_summary": lambda con, geo, codes, release: custom_lib().summary(
        con, _as_area(geo, codes), release),
    "custom_deciles": lambda con, geo, codes: custom_lib().deciles(con, _as_area(geo, codes)),
    "custom_home": lambda con, geo, codes: custom_lib().home_authority(con, _as_area(geo, codes)),
    "custom_codes_on": lambda con, geo, codes, target: tuple(sorted(custom_lib().codes_on(
        con, _as_area(geo, codes), target))),
    "custom_hidden": lambda con, codes, release: _hidden().report(
        con, None, release, lsoa_codes=list(codes)),
    "lsoa_table": lambda con, release, codes: _exports().lsoa_table(con, release, list(codes)),
    "map_png": lambda con, release, codes, title: _report().map_png(con, release, list(codes),
                                                                    title),
})


def custom_area():
    """The custom area this session is working on (a CustomArea), or None."""
    return st.session_state.get("brief_area")


def set_custom_area(area) -> None:
    st.session_state["brief_area"] = area


def make_custom_area(name: str, codes, geography: str | None = None):
    """Validate LSOA codes against the database (raises CustomAreaError with a message that
    says how to fix them)."""
    return custom_lib().make_area(_open(_db_key()).cursor(), name, list(codes), geography)


def combine_codes(area, codes, add: bool) -> list[str]:
    """The codes of the area after a "replace" (``add=False``) or an "add"."""
    return sorted(set(codes) | (set(area.lsoa_codes) if add and area is not None else set()))


def codes_in(text: str | None, upload=None) -> list[str]:
    """LSOA codes found in pasted text and an uploaded CSV/TXT file (any column or separator)."""
    found = text or ""
    if upload is not None:
        found += "\n" + upload.getvalue().decode("utf-8", errors="replace")
    return custom_lib().parse_codes(found)


def custom_from_json(data: bytes | str):
    """A saved area (JSON) read back and checked against this database."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    saved = custom_lib().CustomArea.from_json(text)
    return make_custom_area(saved.name, saved.lsoa_codes, saved.geography)


def restore_custom_from_url() -> str | None:
    """Open the area in the link (``?custom=name|geography|codes``) once per session, and
    point the area picker at its home authority when the link names none. Returns a friendly
    message when the link's area cannot be used, else None."""
    if st.session_state.get("_brief_url_read"):
        return None
    st.session_state["_brief_url_read"] = True
    text = st.query_params.get("custom")
    if not text or custom_area() is not None:
        return None
    lib = custom_lib()
    try:
        linked = lib.CustomArea.from_query(text)
        area = make_custom_area(linked.name, linked.lsoa_codes, linked.geography)
    except lib.CustomAreaError as exc:
        return (f"The custom area in this link could not be opened: {exc}. Define the area "
                "again below, or open its saved JSON file.")
    set_custom_area(area)
    st.session_state["brief_name"] = area.name
    st.session_state["brief_target"] = "custom"
    home = custom_home(area)
    if home and "area" not in st.query_params and "_keep_area" not in st.session_state:
        st.query_params["area"] = home["area_code"]
    return None


def custom_link(area) -> str | None:
    """The ``custom=`` value of a link to the area (``CustomArea.to_query``, percent-decoded
    because Streamlit encodes query values itself, so the address bar shows
    ``custom=<to_query()>`` encoded once), or None when it has too many LSOAs."""
    from urllib.parse import unquote
    text = area.to_query() if area is not None else None
    return unquote(text) if text else None


def renamed(area, name: str):
    """The same area under another name (a blank name keeps the old one)."""
    import dataclasses
    name = (name or "").replace("|", "/").strip()  # "|" separates the parts of a link
    return dataclasses.replace(area, name=name) if name and name != area.name else area


def file_stem(name: str) -> str:
    """A name made safe for a file name.

    >>> file_stem("Ashburton & Buckfastleigh")
    'ashburton_buckfastleigh'
    """
    import re
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "area"


def wards_of(lad_code: str) -> pd.DataFrame:
    """The April 2024 wards of an authority with their LSOA21 counts."""
    return query("wards", lad_code)


def lsoas_of_wards(ward_codes) -> list[str]:
    return query("ward_lsoas", tuple(sorted(ward_codes)))


def wards_name(wards: pd.DataFrame, chosen) -> str:
    """A name for an area made of wards: one ward, a few, or how many."""
    rows = wards.set_index("ward_code").loc[list(chosen)]
    if rows.empty:
        return "Custom area"
    lad = rows["lad24_name"].iloc[0]
    names = rows["ward_name"].tolist()
    if len(names) == 1:
        return f"{names[0]} ward, {lad}"
    if len(names) <= 3:
        return f"{', '.join(names[:-1])} and {names[-1]} wards, {lad}"
    return f"{len(names)} wards of {lad}"


def release_geography(release: str) -> str:
    return str(releases().set_index("release").loc[release, "geography"])


def custom_summary(area, release: str) -> dict:
    """Every headline measure of the area, with where it would rank among authorities."""
    return dict(query("custom_summary", *_codes_key(area), release), area_name=area.name)


def custom_deciles(area) -> dict:
    """The area's LSOAs per national decile in every release (carried through the lookups)."""
    return dict(query("custom_deciles", *_codes_key(area)), area_name=area.name)


def custom_home(area) -> dict | None:
    """The current authority holding most of the area's LSOAs."""
    return query("custom_home", *_codes_key(area))


def custom_codes_on(area, release: str) -> tuple[str, ...]:
    """The area's LSOAs on the release's geography."""
    return query("custom_codes_on", *_codes_key(area), release_geography(release))


def custom_hidden(area, release: str) -> dict:
    """The hidden-deprivation report of the area's LSOAs (see inequality.services.hidden.report)."""
    rep = query("custom_hidden", custom_codes_on(area, release), release)
    return {**rep, "area_name": area.name}


def custom_lsoa_table(area, release: str) -> pd.DataFrame:
    """The wide LSOA table (every measure, names, ward, rural-urban class) of the area."""
    return query("lsoa_table", release, custom_codes_on(area, release))


def custom_map_png(area, release: str) -> tuple[bytes, str]:
    """A static map of the area's LSOAs by IMD decile, and its alt text."""
    title = f"{area.name}, IoD {release_year(release)}"
    return query("map_png", release, custom_codes_on(area, release), title)


@st.cache_data(show_spinner=False, max_entries=16)
def _geo_export(key, release: str, codes: tuple[str, ...], kind: str) -> bytes:
    ex = _exports()
    gdf = ex.lsoa_geodataframe(_open(key).cursor(), release, list(codes))
    return ex.geojson_bytes(gdf) if kind == "geojson" else ex.geopackage_bytes(gdf)


def geo_export(area, release: str, kind: str):
    """A zero-argument function making the area's GeoJSON or GeoPackage bytes, for a
    download button to call only when clicked."""
    key, codes = _db_key(), custom_codes_on(area, release)
    return lambda: _geo_export(key, release, codes, kind)


def _format_measure(key: str, value) -> str:
    if value is None or pd.isna(value):
        return "not available"
    if key in ("prop_most_deprived_10", "extent"):
        return fmt_pct(value)
    if key.endswith("_scale"):
        return f"{value:,.0f} people"
    return fmt_num(value)


def custom_measures_table(summary: dict, home: dict | None, england: dict) -> pd.DataFrame:
    """The area's headline measures beside its home authority and England, with where the
    area would rank among the authorities (1 = most deprived)."""
    n = summary.get("n_areas") or 0
    rows = []
    for key, (name, meaning) in SUMMARY_TEXT.items():
        value, rank = summary.get(key), summary.get(f"rank_{key}")
        if value is None:
            reason = short_reason(summary.get("unavailable", {}).get(key))
            meaning = f"{meaning} {reason[:1].upper()}{reason[1:]}."
        row = {"Measure": name, summary["area_name"]: _format_measure(key, value),
               f"Would rank among {n} authorities (1 = most deprived)":
                   f"{ordinal(rank)} of {n}" if rank else ""}
        if home is not None:
            h_rank = home.get(f"rank_{key}")
            row[f"{home['area_name']} (home authority)"] = (
                _format_measure(key, home.get(key))
                + (f", {ordinal(h_rank)} of {home['n_areas']}" if h_rank else ""))
        row["England"] = _format_measure(key, england.get(key))
        row["What it means"] = meaning
        rows.append(row)
    return pd.DataFrame(rows)


def custom_domains_table(summary: dict, home: dict | None) -> pd.DataFrame:
    """Each domain and supplementary index: the share of the area's (and its home
    authority's) LSOAs in England's most deprived 10%, and average scores where available."""
    held = measures(summary["release"]).set_index("measure")
    rows = []
    for m, values in summary.get("domains", {}).items():
        if m not in held.index:
            continue
        row = {"measure": short_label(m, held.loc[m, "label"]),
               "kind": held.loc[m, "kind"],
               f"{summary['area_name']}: in most deprived 10%": values.get(
                   "prop_most_deprived_10"),
               f"{summary['area_name']}: average score": values.get("avg_score")}
        if home is not None:
            h = home.get("domains", {}).get(m, {})
            row[f"{home['area_name']}: in most deprived 10%"] = h.get("prop_most_deprived_10")
            row[f"{home['area_name']}: average score"] = h.get("avg_score")
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.dropna(axis=1, how="all") if not frame.empty else frame


def custom_series(tracking: dict, home: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The share of LSOAs in decile 1 by release for the area, its home authority and
    England: (rows for :func:`headline_series_chart`, a wide table)."""
    years = releases().set_index("release")["year"]
    places = [(tracking, tracking["area_name"], "this area")]
    if home is not None:
        places.append((decile_tracking(home["area_code"]),
                       f"{home['area_name']} (home authority)", "its region"))
    places.append((decile_tracking(ENGLAND), "England", "England"))
    rows = [{"label": label, "role": role, "place": label, "year": str(years[rel]),
             "release": rel, "share_decile_1": r["shares"]["1"]}
            for t, label, role in places for rel, r in t["releases"].items()]
    frame = pd.DataFrame(rows)
    wide = (frame.pivot_table(index="place", columns="year", values="share_decile_1",
                              sort=False).round(4).reset_index())
    wide.columns = [str(c) if c == "place" else f"IoD {c}" for c in wide.columns]
    return frame, wide


def selection_release(geography: str) -> str | None:
    """The latest release on a geography (the map to click LSOAs on); None for 2001 LSOAs."""
    rel = releases()
    rel = rel[rel["geography"] == geography]
    return None if geography == "lsoa01" or rel.empty else str(rel["release"].iloc[-1])


@st.cache_resource(show_spinner=False, max_entries=16)
def _selection_deck(key, release: str, lad_code: str, area_codes: tuple[str, ...]):
    import numpy as np
    import pydeck as pdk
    import shapely

    m = _choropleth(key, release, lad_code, "imd", "decile", False)
    deck = maps.deck(m, height=520)
    inside = [s for s, p in zip(m.shapes, m.properties) if p["code"] in set(area_codes)]
    if inside:
        line = maps.feature_collection(np.array([shapely.boundary(maps.dissolve(
            np.array(inside)))]), [{}])
        deck._raw["__AREA__"] = line
        deck.layers.append(pdk.Layer("GeoJsonLayer", data="__AREA__", id="custom-area",
                                     stroked=True, filled=False, pickable=False,
                                     get_line_color=[255, 94, 0, 255],
                                     line_width_min_pixels=4))
    return deck, m.legend, sum(p["code"] in set(area_codes) for p in m.properties)


def selection_deck(release: str, lad_code: str, area=None):
    """The authority's LSOAs by IMD decile to click on (layer id ``lsoas``), with the
    current area outlined in orange: (deck, legend, LSOAs of the area on the map)."""
    codes = tuple(sorted(area.lsoa_codes)) if area is not None else ()
    return _selection_deck(_db_key(), release, lad_code, codes)


def selected_codes(state) -> list[str]:
    """The LSOA codes selected on a ``st.pydeck_chart(on_select=...)`` map."""
    try:
        objects = state["selection"]["objects"].get("lsoas", [])
    except (KeyError, TypeError, AttributeError):
        return []
    return sorted({o["code"] for o in objects if isinstance(o, dict) and o.get("code")})


def briefing_release(release: str) -> tuple[str, str | None]:
    """The release a briefing uses: the one chosen, or for IoD 2010 (2001 LSOAs, no
    boundaries to map) the latest release, with a note saying so."""
    if release_geography(release) != "lsoa01":
        return release, None
    latest = selection_release("lsoa21") or selection_release("lsoa11")
    return latest, (f"IoD 2010 is on 2001 neighbourhoods, which have no boundaries to map: "
                    f"the briefing uses IoD {release_year(latest)}.")


@st.cache_data(show_spinner=False, max_entries=8)
def _briefing(key, kind: str, code: str | None, codes: tuple[str, ...], name: str | None,
              release: str) -> dict:
    import tempfile

    rep = _report()
    con = _open(key).cursor()
    place = (rep.resolve(con, None, list(codes), name) if kind == "custom"
             else rep.resolve(con, code, None, name))
    b = rep.build_briefing(con, place, release)
    html_text = rep.render_html(b)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "briefing.pdf"
        rep.write_pdf(html_text, path)
        pdf = path.read_bytes()
    return {"title": b["title"], "name": place.name, "release_label": b["release_label"],
            "sentences": b["sentences"], "hidden_sentences": b["hidden_sentences"],
            "health_sentences": b["health_sentences"], "health_name": b["health_name"],
            "relative_warning": b["relative_warning"], "html": html_text, "pdf": pdf,
            "file_stem": f"briefing_{file_stem(place.name)}_{release}"}


def briefing(target: tuple, release: str) -> dict:
    """Build a briefing (HTML and PDF) for ``("area", code)``, ``("ward", code)`` or
    ``("custom", CustomArea)``: every figure, sentence and image of inequality.present.report."""
    kind, what = target
    if kind == "custom":
        return _briefing(_db_key(), "custom", None, tuple(sorted(what.lsoa_codes)), what.name,
                         release)
    return _briefing(_db_key(), kind, what, (), None, release)
