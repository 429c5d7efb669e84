"""Streamlit glue: the only package of :mod:`inequality` that imports streamlit.

- :mod:`.cache`: the read-only connection (it follows rebuilds) and the query cache.
- :mod:`.data`: every service call a page makes, cached.
- :mod:`.state`: URL <-> session state and the pickers (area, release, measure).
- :mod:`.widgets`: rendering helpers (a table with its CSV download, a chart, the footer).

Pages stay thin: they read the pickers, call :mod:`.data`, shape nothing themselves
(:mod:`inequality.present` does that) and lay out the result.

URL state: ``?area=E08000026&release=iod2019&measure=income&value=rank`` (``measure``,
``value``, ``msoa`` and ``basemap`` on the map page) plus the page path (``/lsoa-map``,
``/decile-tracking``, ``/data-and-methods``; the overview is ``/``). A link reproduces what
it showed. A value the database does not know is replaced by a fallback with a visible
note, never an error.
"""

#: The pages, in menu order: (file under pages/, title, url path, icon). The url paths must
#: differ from the file names: Streamlit runs a ``pages/`` file directly, without
#: ``dashboard.py`` and its navigation, when the first request a fresh server receives names
#: it (multipage v1), so ``/map`` would open a bare page.
PAGES = (
    ("overview.py", "Where it stands", "where-it-stands", ":material/insights:"),
    ("neighbourhood.py", "Your neighbourhood", "your-neighbourhood", ":material/home_pin:"),
    ("map.py", "Map", "lsoa-map", ":material/map:"),
    ("deciles.py", "Decile tracking", "decile-tracking", ":material/stacked_bar_chart:"),
    ("hidden.py", "Rural & hidden deprivation", "rural-and-hidden",
     ":material/travel_explore:"),
    ("health_gap.py", "Health gap", "health-gap", ":material/monitor_heart:"),
    ("postcodes.py", "Postcode check", "postcode-check", ":material/list_alt:"),
    ("briefing.py", "Your area & briefing", "your-area", ":material/edit_location_alt:"),
    ("data.py", "Data & methods", "data-and-methods", ":material/description:"),
)
