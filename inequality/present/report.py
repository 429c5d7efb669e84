"""Briefings a councillor can print and a community group can take to a funder.

One page of evidence for an authority, a region, England, a ward or a custom set of LSOAs:
a static map, the headline measures with their national context, the decile-tracking chart,
the hidden pockets, the health gap, sentences generated from the figures (no hand-written
claims), alt text for every figure, sources, licence attribution, the release and the date.

The figures come from :func:`inequality.services.briefing.gather` (no database here); this
module turns them into sentences, figures and pages. HTML is rendered with Jinja2
(autoescaped) and is self-contained (figures inlined as PNG); the PDF is the same HTML laid
out by WeasyPrint, so the two never disagree. Figures are drawn with matplotlib (Agg, no
display), in the dashboard's colour-blind-safe viridis palette.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import jinja2
import markupsafe
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from ..services import hidden  # noqa: E402
from ..services.briefing import Place, ReportError  # noqa: E402, F401 (re-exported)
from .maps import NO_VALUE, VIRIDIS_10  # noqa: E402
from ..metrics.deciles import RELATIVE_WARNING  # noqa: E402
from ..etl.sources import ATTRIBUTION, OGL_URL, RELEASES, SOURCES  # noqa: E402
from ..measures import SUMMARY_MEASURES  # noqa: E402
from .text import fmt_summary, rank_of  # noqa: E402

RELEASE_LABEL = {r: v.label for r, v in RELEASES.items()}


#: Flagged LSOAs listed in a briefing (strongest evidence first); the dashboard lists all.
FLAGGED_ROWS = 8


# --- figures ---------------------------------------------------------------------------------

def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _patches(geom) -> list[PathPatch]:
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        rings = [poly.exterior, *poly.interiors]
        verts = np.concatenate([np.asarray(r.coords)[:, :2] for r in rings])
        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r.coords) - 2)
                                + [MplPath.CLOSEPOLY] for r in rings])
        out.append(PathPatch(MplPath(verts, codes)))
    return out


def map_png(shapes: pd.DataFrame, deciles: dict, title: str) -> tuple[bytes, str]:
    """A static choropleth of LSOAs by IMD decile, and its alt text.

    ``shapes``: the LSOAs' boundaries (``code, wkb, min_lon, min_lat, max_lon, max_lat``, as
    :func:`inequality.services.briefing.map_shapes` returns them); ``deciles``: LSOA code ->
    national IMD decile (missing or None: grey).
    """
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    patches, colours = [], []
    for code, geom in zip(shapes["code"], shapely.from_wkb([bytes(b) for b in shapes["wkb"]])):
        d = deciles.get(code)
        for p in _patches(geom):
            patches.append(p)
            colours.append(VIRIDIS_10[int(d) - 1] if d is not None and not pd.isna(d)
                           else NO_VALUE)
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="white",
                                      linewidth=0.25))
    lat = float(shapes[["min_lat", "max_lat"]].mean().mean())
    ax.set_xlim(shapes["min_lon"].min(), shapes["max_lon"].max())
    ax.set_ylim(shapes["min_lat"].min(), shapes["max_lat"].max())
    ax.set_aspect(1 / np.cos(np.radians(lat)))
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    ax.legend(handles=[Patch(color=VIRIDIS_10[i], label=f"{i + 1}" + (" most deprived" if i == 0
                                                                       else " least deprived"
                                                                       if i == 9 else ""))
                       for i in range(10)],
              title="National IMD decile", fontsize=7, title_fontsize=7, loc="center left",
              bbox_to_anchor=(1.0, 0.5), frameon=False)
    counts = pd.Series(list(deciles.values())).value_counts()
    alt = (f"Map of the {len(shapes)} neighbourhoods (LSOAs) of {title}, shaded by national "
           f"IMD decile from dark purple (decile 1, most deprived 10% in England) to yellow "
           f"(decile 10, least deprived). {int(counts.get(1, 0))} are in decile 1 and "
           f"{int(counts.get(10, 0))} in decile 10.")
    return _png(fig), alt


def tracking_png(series: pd.DataFrame, name: str) -> tuple[bytes, str]:
    """Share of neighbourhoods in decile 1 by release: the place beside its comparators."""
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    styles = {"area": ("#440154", "o", 2.2), "region": ("#31688e", "s", 1.4),
              "home": ("#31688e", "s", 1.4), "england": ("#35b779", "^", 1.4)}
    for (label, role), part in series.groupby(["label", "role"], sort=False):
        colour, marker, width = styles.get(role, ("#888888", ".", 1))
        ax.plot(part["year"], 100 * part["share_1"], marker=marker, color=colour,
                linewidth=width, label=label)
    ax.set_ylabel("% of neighbourhoods in\nEngland's most deprived 10%")
    ax.set_xticks(sorted(series["year"].unique()))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{name}: share of neighbourhoods in decile 1, by IoD release", fontsize=10)
    own = series[series["role"] == "area"]
    alt = (f"Line chart of the percentage of {name}'s neighbourhoods in England's most "
           "deprived 10%: " + "; ".join(f"{int(y)} {100 * s:.1f}%" for y, s in
                                        zip(own["year"], own["share_1"]))
           + ", beside " + ", ".join(series.loc[series["role"] != "area", "label"].unique())
           + ".")
    return _png(fig), alt


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --- figures to sentences ----------------------------------------------------------------------

#: How many key points the first page holds; the rest go to the annex.
KEY_POINTS = 6


def key_points(name: str, summary: dict, tracking: dict, england: dict,
               hidden_sentences: list[str], health: list[str]) -> list[str]:
    """Every key point, the most striking first: a national extreme (a rank among the ten
    most deprived authorities), a large change since the release before, deprived people and
    domains that the headline hides, the gap in life expectancy, then the rest. A place with
    no neighbourhood in the most deprived 10% leads with what its domains and services show,
    and says "none in the most deprived 10%" last."""
    scored = []
    for s in headline_sentences(name, summary, tracking, england):
        if "none of" in s and "10% most deprived" in s:
            scored.append((0, s))  # true, but not the news for a rural place
        elif " was unchanged " in s and "0.0%" in s:
            scored.append((-1, s))
        elif "ranks " in s and "of the local authorities" in s:
            scored.append((9 if _rank_in(s) <= 10 else 4, s))
        elif s.startswith("The share in England's most deprived 10%"):
            scored.append((6 if _change_points(s) >= 2 else 2, s))
        elif "were among the 10% most deprived" in s:
            scored.append((8 if _rank_in(s) <= 10 else 5, s))
        else:
            scored.append((3, s))
    scored += [(7, s) for s in hidden_sentences]
    scored += [(5 if "fewer years" in s else 1, s) for s in health]
    order = sorted(range(len(scored)), key=lambda i: (-scored[i][0], i))
    return [scored[i][1] for i in order]


def _rank_in(sentence: str) -> int:
    """The first ordinal in a sentence ("6th of 317" -> 6), or a large number."""
    import re

    found = re.search(r"\b(\d+)(?:st|nd|rd|th) of \d", sentence)
    return int(found.group(1)) if found else 10**6


def _change_points(sentence: str) -> float:
    """The change, in percentage points, a "rose/fell from A% ... to B%" sentence states."""
    import re

    values = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)%", sentence)]
    return abs(values[-1] - values[-2]) if len(values) >= 2 else 0.0


def headline_sentences(name: str, summary: dict, tracking: dict, england: dict) -> list[str]:
    """Plain-English sentences built only from the figures passed in."""
    rel = summary["release"]
    label = RELEASE_LABEL[rel]
    out = []
    prop, n = summary.get("prop_most_deprived_10"), summary["lsoa_count"]
    if prop == 0:  # a rank would only say where a tie of many authorities starts
        out.append(f"In the {label}, none of {name}'s {n} neighbourhoods (LSOAs) was among the "
                   "10% most deprived in England.")
    elif prop is not None:
        text = (f"In the {label}, {100 * prop:.1f}% of {name}'s {n} neighbourhoods (LSOAs) were "
                "among the 10% most deprived in England")
        published, current = rank_of(summary, "prop_most_deprived_10")
        if summary.get("area_code") is None and current:  # a custom area
            text += f", where it would rank {current} among today's local authorities"
        elif summary.get("rank_basis") == "region" and published:
            text += f", {published} among England's regions"
        elif published:
            text += (f", {published} among the local authorities of the {label} as MHCLG "
                     "publishes it")
        elif current:
            text += f", {current} among today's local authorities"
        out.append(text + ".")
    published, _ = rank_of(summary, "avg_score")
    if published and summary.get("rank_basis") != "region" and summary.get("area_code"):
        out.append(f"On average IMD score {name} ranks {published} of the local authorities "
                   f"of the {label} (1 = most deprived, as MHCLG publishes it).")
    if summary.get("avg_score") is not None and england.get("avg_score") is not None:
        more = summary["avg_score"] > england["avg_score"]
        out.append(f"Its population-weighted average IMD score was {summary['avg_score']:.1f}, "
                   f"{'above' if more else 'below'} England's {england['avg_score']:.1f} "
                   f"({'more' if more else 'less'} deprived than average).")
    if summary.get("income_scale") is not None:
        out.append(f"About {summary['income_scale']:,.0f} people in {name} were income-deprived "
                   f"(estimated from the published income domain rate x population, {label}).")
    releases = list(tracking["releases"].items())
    upto = [r for r, _ in releases].index(rel) + 1 if rel in tracking["releases"] else 0
    releases = releases[:upto]  # the chosen release against the one before it
    if len(releases) >= 2:
        (r0, a), (r1, b) = releases[-2], releases[-1]
        s0, s1 = a["shares"]["1"], b["shares"]["1"]
        direction = "rose" if s1 > s0 else "fell" if s1 < s0 else "was unchanged"
        out.append(f"The share in England's most deprived 10% {direction} from {100 * s0:.1f}% "
                   f"in the {RELEASE_LABEL[r0]} to {100 * s1:.1f}% in the {RELEASE_LABEL[r1]}"
                   + (" (the two releases use different LSOA boundaries)"
                      if a["geography"] != b["geography"] else "") + ".")
    return out


def health_sentences(name: str, profile: dict) -> list[str]:
    out = []
    for sex, noun in (("Male", "men"), ("Female", "women")):
        h = profile["headline"].get(sex) or {}
        le, eng = h.get("le"), h.get("le_england")
        if le and le.get("value") is not None:
            text = (f"Life expectancy at birth for {noun} in {name} was {le['value']:.1f} years "
                    f"in {le['period_label']}")
            if eng and eng.get("value") is not None and eng["period"] == le["period"]:
                text += f", against {eng['value']:.1f} for England"
            out.append(text + ".")
        elif le and le.get("status") == "suppressed":
            out.append(f"Life expectancy for {noun} in {name} is suppressed by OHID (too few "
                       "deaths to publish).")
        sii = h.get("sii")
        if sii and sii.get("value") is not None:
            out.append(f"Within {name}, {noun} in the most deprived areas could expect to live "
                       f"about {sii['value']:.1f} fewer years than those in the least deprived "
                       f"(Slope Index of Inequality, {sii['period_label']}).")
        hle = h.get("hle")
        if hle and hle.get("value") is not None and hle.get("poorer_health") is not None:
            out.append(f"Healthy life expectancy for {noun} was {hle['value']:.1f} years, so "
                       f"about {hle['poorer_health']:.1f} years are lived in poorer health "
                       f"({hle['period_label']}).")
    return out


# --- the briefing --------------------------------------------------------------------------------

def build_briefing(figures: dict) -> dict:
    """Every figure, sentence and image of a briefing, as plain data, from the figures
    :func:`inequality.services.briefing.gather` collected."""
    place, release = figures["place"], figures["release"]
    summary, tracking, england = figures["summary"], figures["tracking"], figures["england"]
    hidden_rep, profile = figures["hidden"], figures["health"]
    health_name, series = figures["health_name"], figures["series"]
    label = RELEASE_LABEL[release]
    map_bytes, map_alt = map_png(figures["map"]["shapes"], figures["map"]["deciles"],
                                 f"{place.name}, {label}")
    track_bytes, track_alt = tracking_png(series, place.name)
    hidden_sentences = hidden.quotable(hidden_rep) if hidden_rep is not None else []
    key_hidden = _key_hidden(hidden_sentences)
    health_lines = health_sentences(health_name, profile) if profile else []

    measures, notes = [], []  # each distinct reason once, as a numbered note
    for key, m in SUMMARY_MEASURES.items():
        reason = summary["unavailable"].get(key)
        if reason is None and summary.get(f"{key}_estimated"):
            reason = ESTIMATED_NOTE
        if reason and reason not in notes:
            notes.append(reason)
        published, current = rank_of(summary, key)
        measures.append({
            "label": m.briefing_label, "value": _fmt(key, summary, estimated_as="about "),
            "england": _fmt(key, england), "rank": published or current,
            "rank_today": current if published else "",
            "note": notes.index(reason) + 1 if reason else None})
    flagged = hidden_rep["flagged"].head(FLAGGED_ROWS) if hidden_rep is not None else None
    return {
        "title": f"{place.name}: deprivation and health briefing",
        "place": place, "release": release, "release_label": label,
        "generated": date.today().isoformat(),
        "built": figures["built"],
        "measures": measures, "measure_notes": notes,
        "sentences": headline_sentences(place.name, summary, tracking, england) + key_hidden,
        "map": {"src": _data_uri(map_bytes), "alt": map_alt, "png": map_bytes},
        "tracking": {"src": _data_uri(track_bytes), "alt": track_alt, "png": track_bytes,
                     "table": series.assign(share=(100 * series["share_1"]).round(1))
                     .pivot_table(index="label", columns="year", values="share", sort=False)},
        "relative_warning": RELATIVE_WARNING,
        "hidden": hidden_rep, "hidden_sentences": hidden_sentences, "flagged": flagged,
        "health": profile, "health_name": health_name,
        "health_sentences": health_lines,
        "key_points": key_points(place.name, summary, tracking, england, key_hidden,
                                 health_lines),
        "key_points_first_page": KEY_POINTS,
        "sources": [s for s in SOURCES if s.in_mirror or s.kind != "health"],
        "attribution": ATTRIBUTION, "licence_url": OGL_URL,
        "unavailable": summary["unavailable"],
    }


def _key_hidden(sentences: list[str]) -> list[str]:
    """The hidden-deprivation sentences that belong on the first page: deprived people outside
    deprived places, and deprivation the overall index hides."""
    return [s for s in sentences
            if "live outside the most deprived" in s or "headline index hides" in s]


#: The note on a count estimated as a published rate times a population.
ESTIMATED_NOTE = ("estimated: File 7 publishes the rate, rounded, so rate x population is close "
                  "to MHCLG's count but not equal to it")


def _fmt(key: str, summary: dict, estimated_as: str = "") -> str:
    """A briefing table cell: the value in its unit, without the unit word for counts (the
    row says "people"); an estimated count starts with ``estimated_as``."""
    value = summary.get(key)
    if value is None or SUMMARY_MEASURES[key].unit != "people":
        return fmt_summary(key, value)
    return (estimated_as if summary.get(f"{key}_estimated") else "") + f"{value:,.0f}"


def css_string(value) -> markupsafe.Markup:
    r"""``value`` as the inside of a double-quoted CSS string in a ``<style>`` block, where
    HTML escapes are not decoded (a name's ``&`` would print as ``&amp;``): every character
    but letters, digits, spaces and harmless punctuation becomes a CSS escape, so neither a
    quote nor ``</style>`` can end the string or the block.

    >>> str(css_string('Ashburton & Buckfastleigh'))
    'Ashburton \\26  Buckfastleigh'
    >>> str(css_string('"</style><script>'))
    '\\22 \\3c /style\\3e \\3c script\\3e '
    """
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-_()/'")
    return markupsafe.Markup("".join(c if c in safe else f"\\{ord(c):x} " for c in str(value)))


_ENV = jinja2.Environment(loader=jinja2.PackageLoader("inequality.present", "templates"),
                          autoescape=jinja2.select_autoescape(["html"]))
_ENV.filters["css_string"] = css_string


def render_html(briefing: dict, annex: bool = False) -> str:
    """The briefing as HTML: one A4 side (key points, map, headline table, one source line),
    and with ``annex`` the pages that follow it (change over time, the health gap, hidden
    deprivation and the flagged neighbourhoods, sources and methods)."""
    return _ENV.get_template("briefing.html").render(b=briefing, annex=annex)


def pdf_bytes(html: str) -> bytes:
    """The HTML as a tagged PDF (PDF/UA-1: headings, lists, tables and image descriptions a
    screen reader can follow)."""
    import weasyprint  # imported here: only the PDF path needs it

    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def write_pdf(html: str, path: Path) -> None:
    """:func:`pdf_bytes` written to ``path``."""
    Path(path).write_bytes(pdf_bytes(html))


def check_output(out: Path) -> Path:
    """The output path of a briefing, which must end in .html or .pdf."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".pdf"):
        raise ReportError(f"output {out.name!r} must end in .html or .pdf")
    return out


def write_report(figures: dict, out: Path, annex: bool = False) -> dict:
    """Write the briefing of ``figures`` (see :func:`inequality.services.briefing.gather`)
    to ``out`` (.html or .pdf), with its annex when asked, and return the briefing data."""
    out = check_output(out)
    briefing = build_briefing(figures)
    html = render_html(briefing, annex=annex)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    if out.suffix.lower() == ".html":
        tmp.write_text(html, encoding="utf-8")
    else:
        write_pdf(html, tmp)
    tmp.replace(out)
    return briefing
