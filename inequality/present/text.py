"""Plain-English text: number formats, ordinals, decile labels, measure names and the
explanations the pages and the briefing share. No streamlit, no database."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from ..measures import SUMMARY_MEASURES

#: Characters Markdown (and Streamlit's extensions: :icons:, :colour[...], $maths$) can act on.
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def plain(value) -> str:
    r"""Text a visitor controls (a link parameter, an area name, a message quoting either),
    escaped so that Markdown shows it as typed: no link, image, HTML or formatting.

    >>> plain("[Click](http://evil.example)")
    '\\[Click\\]\\(http\\://evil\\.example\\)'
    >>> plain("![x](http://h/p.gif) <b>")
    '\\!\\[x\\]\\(http\\://h/p\\.gif\\) \\<b\\>'
    """
    return _MARKUP.sub(r"\\\1", str(value))


DECILE_NOTE = "Decile 1 = the most deprived 10% of neighbourhoods (LSOAs) in England; " \
              "decile 10 = the least deprived 10%."


def area_label(row) -> str:
    if row["area_type"] == "england":
        return "England (all neighbourhoods)"
    if row["area_type"] == "region":
        return f"Region: {row['area_name']} ({row['area_code']})"
    return f"{row['area_name']} ({row['area_code']}), {row['region_name']}"


def release_label(row) -> str:
    geo = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}.get(row["geography"], "")
    return f"IoD {row['year']} (on {geo} neighbourhoods)"


SHORT_LABELS = {"imd": "IMD (overall)", "income": "Income", "employment": "Employment",
                "education": "Education, skills & training", "health": "Health & disability",
                "crime": "Crime", "barriers": "Barriers to housing & services",
                "living_environment": "Living environment", "idaci": "IDACI (children)",
                "idaopi": "IDAOPI (older people)"}


def short_label(measure: str, label: str | None = None) -> str:
    """A measure's name short enough for a chart axis."""
    return SHORT_LABELS.get(measure, (label or measure).replace(" Sub-domain", ""))


def measure_option(row) -> str:
    kind = {"index": "", "domain": "domain: ", "supplementary": "supplementary index: ",
            "subdomain": "sub-domain: "}.get(row["kind"], "")
    label = row["label"].replace(" Sub-domain", "")
    return f"{kind}{label}" if kind else label


def decile_axis_label(d: int) -> str:
    return {1: "1 most deprived", 10: "10 least deprived"}.get(int(d), str(int(d)))


def fmt_pct(x, digits: int = 1) -> str:
    return "not available" if x is None or pd.isna(x) else f"{x:.{digits}%}"


def fmt_num(x, digits: int = 1) -> str:
    return "not available" if x is None or pd.isna(x) else f"{x:,.{digits}f}"


def ordinal(n) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def map_hint(chart) -> str:
    """How to read the map, for what it shows (``chart``: a
    :class:`~inequality.present.maps.Choropleth`)."""
    if chart.level == "overview":
        return ("Hover a neighbourhood for its name, code and value; zoom in, or pick an "
                "authority or region, to see small neighbourhoods.")
    return ("Hover a neighbourhood for its name, code, value and the decile of every domain. "
            "Black line: the area's boundary." + (" Grey lines: MSOAs." if chart.msoa else ""))


#: Summary measure id -> (label, meaning), from the registry (inequality.measures).
SUMMARY_TEXT = {m.id: (m.label, m.meaning) for m in SUMMARY_MEASURES.values()}


def fmt_summary(key: str, value, *, estimated: bool = False) -> str:
    """A summary measure's value in its unit (see :data:`inequality.measures.SUMMARY_MEASURES`);
    an estimated count says so.

    >>> fmt_summary("extent", 0.2671)
    '26.7%'
    >>> fmt_summary("income_scale", 34650.4)
    '34,650 people'
    >>> fmt_summary("income_scale", 34650.4, estimated=True)
    'about 34,650 people (estimated from the published rate)'
    >>> fmt_summary("avg_rank", None)
    'not available'
    """
    if value is None or pd.isna(value):
        return "not available"
    unit = SUMMARY_MEASURES[key].unit
    if unit == "share":
        return fmt_pct(value)
    if unit == "people":
        count = f"{value:,.0f} people"
        return f"about {count} (estimated from the published rate)" if estimated else count
    return fmt_num(value)


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


#: LSOA vintages in words.
GEOGRAPHY_NAMES = {"lsoa01": "2001 LSOAs", "lsoa11": "2011 LSOAs", "lsoa21": "2021 LSOAs"}


def release_name(release: str) -> str:
    """A release id in words.

    >>> release_name("iod2019")
    'IoD 2019'
    """
    return f"IoD {release[3:]}" if re.fullmatch(r"iod\d{4}", str(release)) else str(release)


def humanise(message: str) -> str:
    """A service's message with its identifiers in words: release ids as "IoD 2019", LSOA
    vintages as "2011 LSOAs".

    >>> humanise("not available for iod2019: lsoa01 has no boundaries")
    'not available for IoD 2019: 2001 LSOAs has no boundaries'
    """
    message = re.sub(r"\biod(\d{4})\b", r"IoD \1", str(message))
    return re.sub(r"\blsoa(01|11|21)\b", lambda m: GEOGRAPHY_NAMES["lsoa" + m.group(1)],
                  message)


def short_reason(reason: str | None) -> str:
    """Why a measure is not available, in words, without the list of missing file columns
    (the Data & methods page lists those)."""
    if not reason:
        return "not available for this release"
    return humanise(reason.split(" (missing ")[0])


CHANGE_TYPES = {"U": ("Unchanged", "same boundary in both"),
                "S": ("Split", "one old LSOA became several; each part counts 1/k"),
                "M": ("Merged", "several old LSOAs became one"),
                "X": ("Irregular", "redrawn in a complex way; each part counts 1/k")}


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


def combine_codes(area, codes, add: bool) -> list[str]:
    """The codes of the area after a "replace" (``add=False``) or an "add"."""
    return sorted(set(codes) | (set(area.lsoa_codes) if add and area is not None else set()))


def renamed(area, name: str):
    """The same area under another name (a blank name keeps the old one)."""
    name = (name or "").replace("|", "/").strip()  # "|" separates the parts of a link
    return dataclasses.replace(area, name=name) if name and name != area.name else area


def file_stem(name: str) -> str:
    """A name made safe for a file name.

    >>> file_stem("Ashburton & Buckfastleigh")
    'ashburton_buckfastleigh'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "area"


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


def lacking_measures(release: str, lacking: pd.DataFrame, file_lacks_columns: bool) -> str:
    """One sentence naming the measures a release lacks (``lacking``: rows of the measure
    table) and why: its file as loaded lacks their columns, or it does not publish them."""
    why = ("its file as loaded lacks their columns (see Data & methods)" if file_lacks_columns
           else "the release does not publish them")
    names = ", ".join(measure_option(m) for _, m in lacking.iterrows())
    return f"Not available for {release_name(release)}, because {why}: {names}."


def rank_of(summary: dict, measure: str) -> tuple[str, str]:
    """An area's rank on one summary measure as (MHCLG's published rank, the rank among
    today's authorities), each like "78th of 317", or "" where it has none. A region's rank
    among the nine regions is the first.

    >>> rank_of({"ranks_published": {"avg_score": 78}, "n_published": 317,
    ...          "ranks_current": {"avg_score": 75}, "n_current": 296}, "avg_score")
    ('78th of 317', '75th of 296')
    """
    if summary.get("rank_basis") == "region":
        r = summary.get(f"rank_{measure}")
        return (f"{ordinal(r)} of {summary.get('n_areas')}" if r else ""), ""
    published = (summary.get("ranks_published") or {}).get(measure)
    current = (summary.get("ranks_current") or {}).get(measure)
    return (f"{ordinal(published)} of {summary['n_published']}" if published else "",
            f"{ordinal(current)} of {summary['n_current']}" if current else "")


def rank_sentence(summary: dict, measure: str, release_label: str) -> str:
    """Both ranks in words, saying which is which (empty when the area is not ranked).

    >>> rank_sentence({"ranks_published": {"avg_score": 78}, "n_published": 317,
    ...                "ranks_current": {"avg_score": 75}, "n_current": 296}, "avg_score",
    ...               "IoD 2019")
    ... # doctest: +NORMALIZE_WHITESPACE
    "78th of 317 as MHCLG publishes it, among the authorities of IoD 2019; 75th of 296
    among today's authorities."
    """
    published, current = rank_of(summary, measure)
    if summary.get("rank_basis") == "region":
        return f"{published} among England's regions." if published else ""
    parts = ([f"{published} as MHCLG publishes it, among the authorities of {release_label}"]
             if published else []) + ([f"{current} among today's authorities"] if current else [])
    return "; ".join(parts) + "." if parts else ""


def origin_words(origin: str | None) -> str:
    """Where a build read its files, without a server's folder names.

    >>> origin_words("mirror /srv/data/raw"), origin_words("live")
    ('a local copy of the official downloads', 'the official download sites')
    """
    if not origin:
        return "an unknown origin"
    return ("a local copy of the official downloads" if origin.startswith("mirror")
            else "the official download sites")


#: Words the pages use, in plain English (the Data & methods page lists them).
GLOSSARY = {
    "LSOA (neighbourhood)": "Lower-layer Super Output Area: a small area of about 1,500 "
    "residents (650 households) drawn by ONS for statistics. Each release of the Indices is "
    "published for every LSOA in England.",
    "MSOA": "Middle-layer Super Output Area: about five LSOAs (around 7,500 residents). The "
    "House of Commons Library gives each a name people know, such as Ashburton & "
    "Buckfastleigh.",
    "Decile": "One tenth of England's LSOAs ranked from most to least deprived: decile 1 is "
    "the most deprived 10%, decile 10 the least deprived 10%.",
    "Rank": "An LSOA's place among all of England's LSOAs (1 = most deprived); for an "
    "authority, its place among authorities on a summary measure.",
    "Domain": "One of the seven kinds of deprivation the IMD combines: income, employment, "
    "education, health, crime, barriers to housing and services, living environment.",
    "IDACI / IDAOPI": "Supplementary indices: income deprivation affecting children (0-15) "
    "and affecting older people (60 and over).",
    "Marmot measure": "The share of an authority's neighbourhoods in England's most deprived "
    "10%, tracked release by release (as Coventry, a Marmot City, reports it).",
    "Extent, local concentration, scale": "MHCLG's summary measures for an authority: how "
    "many people live in deprived neighbourhoods, how intense its worst hot spots are, and "
    "how many people are deprived.",
    "Slope Index of Inequality (SII)": "The gap in years of life expectancy between the most "
    "and least deprived ends of an area's social gradient, from a line fitted across its "
    "deprivation tenths (Low & Low 2004; OHID).",
    "Boundary vintage": "The year an area's boundaries were drawn (2001, 2011 or 2021 LSOAs; "
    "April 2024 authorities). Releases are matched across vintages by the ONS best-fit "
    "lookups.",
}
