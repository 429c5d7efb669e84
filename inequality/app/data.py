"""Every service call a page makes, cached per database file (see :mod:`.cache`).

Each function here is a service or query with the connection supplied; arguments are plain
hashable values (a custom area travels as its geography and a sorted tuple of codes, its
name put back afterwards, so renaming costs nothing).
"""

from __future__ import annotations


import pandas as pd

from .. import queries
from ..etl.sources import SOURCES
from ..geography import BOUNDARY_GEOGRAPHY
from ..measures import SUMMARY_MEASURES
from ..present import exports, maps, report, tables, text
from ..present import hidden as hidden_tables
from ..queries import ENGLAND
from ..services import briefing as briefing_service
from ..services import custom_areas, health, hidden, places, postcodes, summaries
from ..services import neighbourhood as neighbourhood_service
from ..services import exports as export_service
from ..services import maps as map_service
from . import served
from .cache import cached, cached_resource, cursor

# --- releases, measures, areas ---------------------------------------------------------------

areas = cached(queries.areas)
releases = cached(queries.releases)
load_log = cached(queries.load_log)
build_info = cached(queries.build_info)
_measures = cached(queries.measures)


def measures(release: str | None = None) -> pd.DataFrame:
    """The measures a release holds (every release's when ``release`` is None)."""
    return _measures(release)


def _release_facts(con) -> dict[str, dict]:
    """release id -> its row of the ``release`` table, oldest first."""
    return {r["release"]: r for r in queries.releases(con).to_dict("records")}


#: Shared, not copied per call (a page asks for a release's year a dozen times; a copied
#: DataFrame per ask was a tenth of the overview's first visit). Read-only.
_release_facts_shared = cached_resource(_release_facts)


def release_rows() -> dict[str, dict]:
    """Release id -> its row (year, geography, ...), oldest first (shared: do not modify)."""
    return _release_facts_shared()


def _area_facts(con) -> dict[str, dict]:
    return {r["area_code"]: r for r in queries.areas(con).to_dict("records")}


_area_facts_shared = cached_resource(_area_facts)


def area_rows() -> dict[str, dict]:
    """Area code -> its row of :func:`areas` (England, regions, authorities, in picker
    order; shared: do not modify)."""
    return _area_facts_shared()


def release_years() -> dict[str, int]:
    """Release id -> IoD year, oldest first."""
    return {r: int(f["year"]) for r, f in _release_facts_shared().items()}


def release_year(release: str) -> str:
    return str(release_years()[release])


def release_geography(release: str) -> str:
    return str(_release_facts_shared()[release]["geography"])


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
    absent = bool(len(cols)) and cols.iloc[0] is not None and len(cols.iloc[0]) > 0
    return held, text.lacking_measures(release, lacking, absent)


def sources_table() -> pd.DataFrame:
    """Every catalogue source with what this database loaded from it."""
    return tables.sources_table(SOURCES, load_log())


# --- summaries and tracking ------------------------------------------------------------------

area_summary = cached(summaries.area_summary)
decile_tracking = cached(summaries.decile_tracking)
transitions = cached(summaries.transitions)
comparison = cached(summaries.comparison)
#: An area's stored LSOA counts per release, measure and national decile.
area_decile_counts = cached(queries.measure_decile_counts)
RELATIVE_WARNING = summaries.RELATIVE_WARNING


def summary_fallbacks(area_code: str, release: str) -> dict[str, dict]:
    """For each summary measure the release cannot give (e.g. no population figures in its
    file), the value from the latest earlier release that has it: ``{measure: {"value",
    "release", "estimated"}}``."""
    wanted = [k for k, v in area_summary(area_code, release).items()
              if k in SUMMARY_MEASURES and v is None]
    found: dict[str, dict] = {}
    years = release_years()
    earlier = [r for r in years if years[r] < years[release]]
    for other in reversed(earlier):
        if len(found) == len(wanted):
            break
        try:
            summary = area_summary(area_code, other)
        except LookupError:  # an authority that did not exist then
            continue
        for key in wanted:
            if key not in found and summary.get(key) is not None:
                found[key] = {"value": summary[key], "release": other,
                              "estimated": bool(summary.get(f"{key}_estimated"))}
    return found


def domain_profile(release: str, area_code: str) -> pd.DataFrame:
    """The area's LSOAs per national decile of every index (see
    :func:`inequality.present.tables.domain_profile`)."""
    counts = area_decile_counts(area_code)
    return tables.domain_profile(counts[counts["release"] == release], measures(release))


def tracking_frames(tracking: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tables.tracking_frames(tracking, release_years())


def comparison_frames(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tables.comparison_frames(frame, release_years())


# --- maps ------------------------------------------------------------------------------------

def _choropleth(con, release, area_code, measure, kind, msoa):
    return maps.choropleth(map_service.map_data(con, release, area_code, measure, kind,
                                                msoa=msoa))


choropleth = cached_resource(_choropleth)


def _deck(con, release, area_code, measure, kind, msoa, basemap, focus, focus_geography,
          zoom_by):
    m = choropleth(release, area_code, measure, kind, msoa)
    if not focus:
        return maps.deck(m, basemap=basemap, zoom_by=zoom_by, publish=served.publish)
    geography = BOUNDARY_GEOGRAPHY[release_geography(release)]
    codes = queries.translate_lsoas(con, list(focus), focus_geography, geography)
    outline, _ = maps.selection_outline(m, codes)
    return maps.deck(m, basemap=basemap, selection=outline, view=maps.focus_view(m, codes),
                     zoom_by=zoom_by, publish=served.publish)


_deck_cached = cached_resource(_deck)


def deck(release: str, area_code: str, measure: str, kind: str, msoa: bool, basemap: bool,
         focus: tuple[str, ...] = (), focus_geography: str = "lsoa21", zoom_by: int = 0):
    """The pydeck deck (cached with its JSON, so a re-render costs nothing); ``focus``: LSOA
    codes (of ``focus_geography``) to outline in orange and zoom to: a place found by search
    or a row picked in the table."""
    return _deck_cached(release, area_code, measure, kind, msoa, basemap, tuple(focus),
                        focus_geography, zoom_by)


def selection_release(geography: str) -> str | None:
    """The latest release on a geography (the map to click LSOAs on); None for 2001 LSOAs."""
    rel = releases()
    rel = rel[rel["geography"] == geography]
    return None if geography == "lsoa01" or rel.empty else str(rel["release"].iloc[-1])


def _selection_deck(con, release: str, lad_code: str, area_codes: tuple[str, ...]):
    m = choropleth(release, lad_code, "imd", "decile", False)
    outline, on_map = maps.selection_outline(m, area_codes)
    return maps.deck(m, height=520, selection=outline), m.legend, on_map


_selection_deck_cached = cached_resource(_selection_deck)


def selection_deck(release: str, lad_code: str, area=None):
    """The authority's LSOAs by IMD decile to click on (layer id ``lsoas``), with the
    current area outlined in orange: (deck, legend, LSOAs of the area on the map)."""
    codes = tuple(sorted(area.lsoa_codes)) if area is not None else ()
    return _selection_deck_cached(release, lad_code, codes)


# --- health gap ------------------------------------------------------------------------------

health_profile = cached(health.area_profile)
health_gradient_options = cached(health.gradient_options)
health_deprivation_options = cached(health.deprivation_options)
_health_deprivation = cached(health.authority_deprivation)
health_msoa_gap = cached(health.msoa_gap)
health_sources = cached(health.sources_table)
health_code_map = cached(health.code_map)


def _health_gradient(con, le_key: str, sex: str, deprivation: str) -> dict:
    return health.gradient(con, le_key, sex, deprivation,
                           deprivation_frame=_health_deprivation(deprivation))


health_gradient = cached(_health_gradient)


# --- hidden deprivation ----------------------------------------------------------------------

#: Domains a reader can test for pockets besides the IMD, those tested unless asked, their
#: short names, and the kinds of reason an LSOA is flagged for (tag -> (label, weight)).
HIDDEN_DOMAINS = hidden.LISA_DOMAINS
HIDDEN_DEFAULT_DOMAINS = hidden.DEFAULT_DOMAINS
HIDDEN_SHORT = hidden.SHORT
HIDDEN_REASONS = hidden.REASON_TAGS
#: Raised for a place hidden deprivation cannot be measured in (the message says why).
UnknownArea = queries.UnknownArea
#: Plain sentences, each with its figure and source, from a report (no database: not cached).
hidden_quotable = hidden.quotable


def hidden_outside_fallback(area_code: str, release: str) -> dict | None:
    """Deprived people outside deprived places from the latest earlier release that can count
    them (the chosen release's file may lack population figures): ``{"release", "share20",
    "sentences"}``, or None."""
    years = release_years()
    for other in reversed([r for r in releases()["release"] if years[r] < years[release]]):
        try:
            rep = hidden_report(area_code, other, ())
        except LookupError:
            continue
        inc = rep["outside"]["income"]
        if inc["available"]:
            return {"release": other, "share20": hidden_tables.share_outside(inc),
                    "sentences": [s for s in hidden.quotable(rep)
                                  if "live outside the most deprived" in s]}
    return None


def _hidden_report(con, area_code: str, release: str, domains: tuple[str, ...]) -> dict:
    return hidden.report(con, area_code, release, domains=domains)


_hidden_report_cached = cached(_hidden_report)
hidden_wards = cached(hidden.wards)


def hidden_report(area_code: str, release: str, domains: tuple[str, ...]) -> dict:
    """Every hidden-deprivation measure of an authority or ward (see
    :func:`inequality.services.hidden.report`)."""
    return _hidden_report_cached(area_code, release, tuple(domains))


def _hidden_deck(con, area_code, release, domains, basemap):
    rep = hidden_report(area_code, release, domains)
    frame, notes = hidden.map_frame(con, rep)
    deck_, legend = maps.hidden_deck(frame, rep["n_national"], basemap=basemap)
    return deck_, legend, notes


_hidden_deck_cached = cached_resource(_hidden_deck)


def hidden_deck(area_code: str, release: str, domains: tuple[str, ...], basemap: bool):
    """(deck, legend HTML, notes) of the hidden-deprivation map (cached with its JSON)."""
    return _hidden_deck_cached(area_code, release, tuple(domains), basemap)


# --- custom areas and briefings --------------------------------------------------------------

def _as_area(geography: str, codes, name: str = "Custom area"):
    return custom_areas.CustomArea(name, geography, tuple(codes))


def _codes_key(area) -> tuple[str, tuple[str, ...]]:
    return area.geography, tuple(sorted(area.lsoa_codes))


wards_of = cached(queries.wards)
wards_of.__doc__ = "The April 2024 wards of an authority with their LSOA21 counts."


def _ward_lsoas(con, wards: tuple[str, ...]) -> list[str]:
    return sorted({c for w in wards for c in queries.lsoas_of_ward(con, w)})


_ward_lsoas_cached = cached(_ward_lsoas)


def lsoas_of_wards(ward_codes) -> list[str]:
    return _ward_lsoas_cached(tuple(sorted(ward_codes)))


def make_custom_area(name: str, codes, geography: str | None = None):
    """Validate LSOA codes against the database (raises CustomAreaError with a message that
    says how to fix them)."""
    return custom_areas.make_area(cursor(), name, list(codes), geography)


def codes_in(pasted: str | None, upload=None) -> list[str]:
    """LSOA codes found in pasted text and an uploaded CSV/TXT file (any column or separator)."""
    found = pasted or ""
    if upload is not None:
        found += "\n" + upload.getvalue().decode("utf-8", errors="replace")
    return custom_areas.parse_codes(found)


def custom_from_json(data: bytes | str):
    """A saved area (JSON) read back and checked against this database."""
    raw = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    saved = custom_areas.CustomArea.from_json(raw)
    return make_custom_area(saved.name, saved.lsoa_codes, saved.geography)


@cached
def _custom_summary(con, geo, codes, release):
    return custom_areas.summary(con, _as_area(geo, codes), release)


@cached
def _custom_deciles(con, geo, codes):
    return custom_areas.deciles(con, _as_area(geo, codes))


@cached
def _custom_home(con, geo, codes):
    return custom_areas.home_authority(con, _as_area(geo, codes))


@cached
def _custom_codes_on(con, geo, codes, target):
    return tuple(sorted(custom_areas.codes_on(con, _as_area(geo, codes), target)))


@cached
def _custom_hidden(con, codes, release):
    return hidden.report(con, None, release, lsoa_codes=list(codes))


@cached
def _lsoa_table(con, release, codes):
    return export_service.lsoa_table(con, release, list(codes))


@cached
def _map_png(con, release, codes, title):
    shapes, deciles = briefing_service.map_shapes(con, release, list(codes))
    return report.map_png(shapes, deciles, title)


def custom_summary(area, release: str) -> dict:
    """Every headline measure of the area, with where it would rank among authorities."""
    return dict(_custom_summary(*_codes_key(area), release), area_name=area.name)


def custom_deciles(area) -> dict:
    """The area's LSOAs per national decile in every release (carried through the lookups)."""
    return dict(_custom_deciles(*_codes_key(area)), area_name=area.name)


def custom_home(area) -> dict | None:
    """The current authority holding most of the area's LSOAs."""
    return _custom_home(*_codes_key(area))


def custom_codes_on(area, release: str) -> tuple[str, ...]:
    """The area's LSOAs on the release's geography."""
    return _custom_codes_on(*_codes_key(area), release_geography(release))


def custom_hidden(area, release: str) -> dict:
    """The hidden-deprivation report of the area's LSOAs."""
    return {**_custom_hidden(custom_codes_on(area, release), release), "area_name": area.name}


def custom_lsoa_table(area, release: str) -> pd.DataFrame:
    """The wide LSOA table (every measure, names, ward, rural-urban class) of the area."""
    return _lsoa_table(release, custom_codes_on(area, release))


def custom_map_png(area, release: str) -> tuple[bytes, str]:
    """A static map of the area's LSOAs by IMD decile, and its alt text."""
    return _map_png(release, custom_codes_on(area, release),
                    f"{area.name}, IoD {release_year(release)}")


def custom_series(tracking: dict, home: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decile-1 share by release of the area, its home authority and England."""
    places = [(tracking, tracking["area_name"], "this area")]
    if home is not None:
        places.append((decile_tracking(home["area_code"]),
                       f"{home['area_name']} (home authority)", "its region"))
    places.append((decile_tracking(ENGLAND), "England", "England"))
    return tables.custom_series(places, release_years())


def _geo_export(con, release: str, codes: tuple[str, ...], kind: str) -> bytes:
    gdf = export_service.lsoa_geodataframe(con, release, list(codes))
    return exports.geojson_bytes(gdf) if kind == "geojson" else exports.geopackage_bytes(gdf)


_geo_export_cached = cached(_geo_export)


def geo_export(area, release: str, kind: str):
    """A zero-argument function making the area's GeoJSON or GeoPackage bytes, for a
    download button to call only when clicked."""
    codes = custom_codes_on(area, release)
    return lambda: _geo_export_cached(release, codes, kind)


def briefing_release(release: str) -> tuple[str, str | None]:
    """The release a briefing uses: the one chosen, or for IoD 2010 (2001 LSOAs, no
    boundaries to map) the latest release, with a note saying so."""
    if release_geography(release) != "lsoa01":
        return release, None
    latest = selection_release("lsoa21") or selection_release("lsoa11")
    return latest, (f"IoD 2010 is on 2001 neighbourhoods, which have no boundaries to map: "
                    f"the briefing uses IoD {release_year(latest)}.")


def _briefing(con, kind: str, code: str | None, codes: tuple[str, ...], name: str | None,
              release: str) -> dict:
    place = (briefing_service.resolve(con, None, list(codes), name) if kind == "custom"
             else briefing_service.resolve(con, code, None, name))
    b = report.build_briefing(briefing_service.gather(con, place, release))
    html_text = report.render_html(b)
    return {"title": b["title"], "name": place.name, "release_label": b["release_label"],
            "sentences": b["sentences"], "hidden_sentences": b["hidden_sentences"],
            "health_sentences": b["health_sentences"], "health_name": b["health_name"],
            "key_points": b["key_points"], "relative_warning": b["relative_warning"],
            "html": html_text, "pdf": report.pdf_bytes(html_text),
            "annex_html": report.render_html(b, annex=True),
            "file_stem": f"briefing_{text.file_stem(place.name)}_{release}"}


_briefing_cached = cached(_briefing)


def _annex_pdf(con, kind: str, code: str | None, codes: tuple[str, ...], name: str | None,
               release: str) -> bytes:
    return report.pdf_bytes(_briefing_cached(kind, code, codes, name, release)["annex_html"])


_annex_pdf_cached = cached(_annex_pdf)


def _briefing_key(target: tuple, release: str) -> tuple:
    kind, what = target
    if kind == "custom":
        return "custom", None, tuple(sorted(what.lsoa_codes)), what.name, release
    return kind, what, (), None, release


def briefing_annex_pdf(target: tuple, release: str) -> bytes:
    """The briefing with its annex as a PDF, made only when asked for (a download's click)."""
    return _annex_pdf_cached(*_briefing_key(target, release))


def briefing(target: tuple, release: str) -> dict:
    """Build a briefing (HTML and PDF) for ``("area", code)``, ``("ward", code)`` or
    ``("custom", CustomArea)``: every figure, sentence and image of the report."""
    return _briefing_cached(*_briefing_key(target, release))


# --- places: search, your neighbourhood, the batch postcode check -----------------------------

def _search_places(con, query: str, limit: int, kinds: tuple[str, ...] | None) -> list[dict]:
    return places.search(con, query, limit, kinds)


_search_places_cached = cached(_search_places)
no_match_reason = cached(places.no_match_reason)
neighbourhood = cached(neighbourhood_service.neighbourhood)


def search_places(query: str, limit: int = 8, kinds: tuple[str, ...] | None = None
                  ) -> list[dict]:
    """Places matching what a visitor typed, best first (see
    :func:`inequality.services.places.search`)."""
    return _search_places_cached(query, limit, kinds)


def _place_lsoas(con, kind: str, code: str, geography: str, lsoa21_code: str | None):
    return places.area_lsoas(con, {"kind": kind, "code": code, "geography": geography,
                                   "lsoa21_code": lsoa21_code})


_place_lsoas_cached = cached(_place_lsoas)


def place_lsoas(result: dict) -> dict:
    """``{"geography", "codes"}``: the LSOAs that make up a search result."""
    return _place_lsoas_cached(result["kind"], result["code"], result.get("geography"),
                               result.get("lsoa21_code"))


def _check_postcodes(con, inputs: tuple[str, ...]) -> dict:
    return postcodes.check_postcodes(con, list(inputs))


_check_postcodes_cached = cached(_check_postcodes)


def check_postcodes(inputs) -> dict:
    """The batch postcode check of ``inputs`` (one row per input, in order)."""
    return _check_postcodes_cached(tuple(inputs))


def read_postcode_file(payload: bytes, name: str) -> list[str]:
    return postcodes.read_postcode_file(payload, name)


PostcodeInputError = postcodes.PostcodeInputError
PlaceNotFound = places.PlaceNotFound
MAX_POSTCODES = postcodes.MAX_POSTCODES
