"""URL <-> session state and the pickers every page shares (area, release, measure).

A picker's value comes from this session's choice if it still applies, else the link's,
else a default; a value that does not apply is replaced with a visible note, never an error.
Text from the link is shown as plain text (see :func:`inequality.present.text.plain`).
"""

from __future__ import annotations

from urllib.parse import unquote

import pandas as pd
import streamlit as st

from ..present import maps
from ..present.text import area_label, measure_option, plain, release_label
from ..queries import ENGLAND
from ..services import custom_areas, health
from ..services.places import AREA_KINDS
from . import data


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
        notice(f"{plain(label(current))} is not available for {what}; showing {label(default)}.")
        st.session_state[key] = default
        return
    wanted = st.query_params.get(key)
    found = None if wanted is None else (resolve(wanted) if resolve else
                                         (wanted if wanted in options else None))
    if wanted is not None and found is None:
        notice(f"The link asks for {plain(repr(wanted))}, which is not available for {what}; "
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


def area_picker(container=None) -> dict:
    """Search-as-you-type picker over England, the regions and the current (2024) local
    authorities (by name or code). Returns the chosen area's row as a dict."""
    rows = data.area_rows()
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


def release_picker(container=None) -> str:
    """Release picker (latest first). Returns the release id, e.g. ``iod2025``."""
    rows = data.release_rows()
    options = list(reversed(list(rows)))
    _initial("release", options, options[0], "the release (" + ", ".join(options) + ")",
             label=lambda r: release_label(rows[r]))
    (container or st).selectbox("Release", options=options, key="release",
                                format_func=lambda r: release_label(rows[r]),
                                help="Each English Indices of Deprivation release is on its "
                                     "own neighbourhood (LSOA) boundaries.")
    return _keep("release")


#: Where a search result opens: places with their own summaries open as the area; smaller
#: places open on the map (outlined and zoomed to) or as "your neighbourhood".
_MAP_KINDS = ("ward", "neighbourhood area")
MAP_PAGE, NEIGHBOURHOOD_PAGE = "pages/map.py", "pages/neighbourhood.py"


def _open_place(result: dict, on_map: bool = False) -> None:
    """Open a search result (a button callback: it runs before the pickers render); on the
    map, a postcode or LSOA is outlined there too instead of opening its own page."""
    kind = result["kind"]
    st.session_state.pop("focus", None)
    if kind in AREA_KINDS:
        st.session_state["area"] = st.session_state["_keep_area"] = result["code"]
        return
    lad = result.get("lad24_code")
    if lad:
        st.session_state["area"] = st.session_state["_keep_area"] = lad
    if kind in _MAP_KINDS or on_map:
        lsoas = data.place_lsoas(result)
        st.session_state["focus"] = {"code": result["code"], "label": result["label"],
                                     "lad24_code": lad, "geography": lsoas["geography"],
                                     "codes": tuple(lsoas["codes"])}
        st.session_state["_goto"] = (MAP_PAGE, {"area": lad, "focus": result["code"]})
    else:  # a postcode or an LSOA: its own neighbourhood
        st.session_state["_goto"] = (NEIGHBOURHOOD_PAGE, {"q": result["code"]})


def place_search(container=None, on_map: bool = False) -> None:
    """One search box for a postcode (any spelling), a town, village or neighbourhood name,
    a ward, an authority, a region or a code. Results name their kind and council; "Open"
    makes the choice the page's area, or shows it on the map or as "your neighbourhood"."""
    goto = st.session_state.pop("_goto", None)
    if goto:
        st.switch_page(goto[0], query_params=goto[1])
    box = container or st
    query = box.text_input(
        "Find a place", key="find", placeholder="A postcode, town, village, ward or "
        "neighbourhood (e.g. TQ11 0AA, Buckfastleigh)",
        help="Postcodes in any spelling; friendly neighbourhood names from the House of "
             "Commons Library; wards, authorities, regions; LSOA codes and names.").strip()
    if not query:
        return
    results = data.search_places(query)
    if not results:
        box.caption(plain(data.no_match_reason(query)))
        return
    left, right = box.columns([4, 1], vertical_alignment="bottom")
    pick = left.selectbox(f"{len(results)} place(s) found", range(len(results)),
                          format_func=lambda i: results[i]["label"], key="find_pick")
    right.button("Open", key="find_open", icon=":material/search:", width="stretch",
                 on_click=_open_place,
                 args=(results[min(pick or 0, len(results) - 1)], on_map))


def page_url(page_file: str, **params) -> str:
    """A link (relative to the current page) to another page with its URL state, e.g.
    ``lsoa-map?area=E07000045&focus=E01020198``."""
    from urllib.parse import urlencode

    from . import PAGES

    path = next(p for f, _t, p, _i in PAGES if f == page_file)
    return f"{path}?{urlencode(params)}" if params else path


def focus_on(area_code: str) -> dict | None:
    """The place found by search (or named in the link's ``focus``) when it lies in the
    area on screen: ``{"code", "label", "geography", "codes"}``, else None."""
    focus = st.session_state.get("focus")
    if focus is None and st.query_params.get("focus"):
        wanted = st.query_params["focus"]
        found = [r for r in data.search_places(wanted, 3, _MAP_KINDS + ("LSOA", "postcode"))
                 if r["code"] == wanted.upper()]
        if found:
            lsoas = data.place_lsoas(found[0])
            focus = {"code": found[0]["code"], "label": found[0]["label"],
                     "lad24_code": found[0].get("lad24_code"),
                     "geography": lsoas["geography"], "codes": tuple(lsoas["codes"])}
            st.session_state["focus"] = focus
        else:
            notice(f"The link asks to outline {plain(repr(wanted))}, which is not a ward, "
                   "neighbourhood or LSOA this database knows.")
    return focus if focus and focus.get("lad24_code") == area_code else None


def place_and_release(on_map: bool = False) -> tuple[dict, str]:
    """The search box and the two pickers every page starts with (``on_map``: the map page,
    where a place found is outlined on the map)."""
    place_search(on_map=on_map)
    left, right = st.columns([3, 2])
    place = area_picker(left)
    release = release_picker(right)
    return place, release


def measure_picker(release: str, container=None) -> tuple[str, str, pd.Series]:
    """Measure and value pickers over what the release holds. Returns (measure, kind, row)."""
    held, missing = data.available_measures(release)
    rows = {r["measure"]: r for r in held.to_dict("records")}
    labels = {m: measure_option(r) for m, r in rows.items()}
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


def url_flag(key: str) -> bool:
    """What the :func:`url_toggle` ``key`` shows this run: the visitor's last choice, else
    the link's (``?key=1``); a page may read it before the toggle is drawn further down."""
    if key in st.session_state:
        return bool(st.session_state[key])
    kept = st.session_state.get(f"_keep_{key}")
    if kept is not None:
        return bool(kept)
    return st.query_params.get(key, "0").lower() in ("1", "true", "yes")


def url_toggle(key: str, label: str, help: str | None = None, container=None) -> bool:
    """A toggle whose state also travels in the URL (``?key=1``)."""
    if key not in st.session_state:
        st.session_state[key] = url_flag(key)
    (container or st).toggle(label, key=key, help=help)
    return bool(_keep(key))


def current_area() -> str:
    """The area chosen on another page (or in the link), for pages without the picker; an
    unknown code in the link falls back to England with a note."""
    known = set(data.areas()["area_code"])
    kept = st.session_state.get("_keep_area")
    if kept in known:
        return kept
    wanted = st.query_params.get("area")
    if wanted is not None and wanted not in known:
        notice(f"The link asks for {plain(repr(wanted))}, which is not an area this database "
               "holds; "
               "showing England instead.")
    return wanted if wanted in known else ENGLAND


def current_release() -> str:
    """The release chosen on another page (or in the link), for pages without the picker."""
    options = list(data.releases()["release"])
    for value in (st.session_state.get("_keep_release"), st.query_params.get("release")):
        if value in options:
            return value
    return options[-1]


def health_alias_in_url() -> None:
    """A link with another publisher's code for a current authority (ONS's 2025 codes for
    Barnsley and Sheffield, E08000038/E08000039) opens that authority, with a note."""
    wanted = (st.query_params.get("area") or "").strip().upper()
    recoded = health.RECODED_CODES
    if wanted in recoded and "area" not in st.session_state:
        target, name, source = recoded[wanted]
        st.query_params["area"] = target
        notice(f"{plain(wanted)} is the code ONS has used for {name} since 1 April 2025 "
               f"({source}); "
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


def custom_area():
    """The custom area this session is working on (a CustomArea), or None."""
    return st.session_state.get("brief_area")


def set_custom_area(area) -> None:
    st.session_state["brief_area"] = area


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
    lib = custom_areas
    try:
        linked = lib.CustomArea.from_query(text)
        area = data.make_custom_area(linked.name, linked.lsoa_codes, linked.geography)
    except lib.CustomAreaError as exc:
        return (f"The custom area in this link could not be opened: {plain(exc)}. Define the area "
                "again below, or open its saved JSON file.")
    set_custom_area(area)
    st.session_state["brief_name"] = area.name
    st.session_state["brief_target"] = "custom"
    home = data.custom_home(area)
    if home and "area" not in st.query_params and "_keep_area" not in st.session_state:
        st.query_params["area"] = home["area_code"]
    return None


def custom_link(area) -> str | None:
    """The ``custom=`` value of a link to the area (``CustomArea.to_query``, percent-decoded
    because Streamlit encodes query values itself, so the address bar shows
    ``custom=<to_query()>`` encoded once), or None when it has too many LSOAs."""
    text = area.to_query() if area is not None else None
    return unquote(text) if text else None


def selected_codes(state) -> list[str]:
    """The LSOA codes selected on a ``st.pydeck_chart(on_select=...)`` map."""
    try:
        objects = state["selection"]["objects"].get("lsoas", [])
    except (KeyError, TypeError, AttributeError):
        return []
    return sorted({o["code"] for o in objects if isinstance(o, dict) and o.get("code")})


def _zoom(key: str, step: int) -> None:
    st.session_state[key] = 0 if step == 0 else st.session_state.get(key, 0) + step


def map_zoom(place_key: str, columns) -> int:
    """Zoom in, zoom out and reset buttons for a map (``columns``: three or more
    ``st.columns``); the zoom steps taken, kept per place."""
    key = f"map_zoom_{place_key}"
    for col, (label, icon, step) in zip(columns, (("Zoom in", ":material/zoom_in:", 1),
                                                  ("Zoom out", ":material/zoom_out:", -1),
                                                  ("Reset", ":material/fit_screen:", 0))):
        col.button(label, icon=icon, key=f"{key}_{step}", on_click=_zoom, args=(key, step),
                   width="stretch")
    return int(st.session_state.get(key, 0))
