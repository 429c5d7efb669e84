"""Deprivation in England: the Streamlit app.

Start it with ``python dashboard.py [streamlit options]`` (what ``make run`` does: an
``st.App`` with the route of the large map layers, :mod:`inequality.app.served`), or
``streamlit run dashboard.py`` (the same pages; the large layers travel inside the deck
JSON, so the England map draws about half a second later). Page config and navigation
only; the pages live in ``pages/`` and share :mod:`inequality.app`. The database path
comes from ``INEQUALITY_DB``.
"""

import sys
from pathlib import Path

import streamlit as st
from streamlit import runtime

from inequality.app import PAGES, widgets

#: What every page imports (pandas, pyarrow, Altair, pydeck, the services).
_PAGE_MODULES = ("inequality.app.data", "inequality.app.state", "inequality.app.widgets",
                 "inequality.present.charts.health", "inequality.present.charts.hidden")


def _preload() -> None:
    """Import the pages' modules and read the expected schema before the server listens, not
    during the first visits: on a fresh server that import was half of the first 20
    visitors' wait (py-spy, benchmarks/bench_sessions.py). Defining a cached function
    without a running server logs a harmless "No runtime found" (its cache is made at its
    first call, inside the server): kept out of the log."""
    import importlib
    import logging

    from inequality.db import expected_columns

    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for module in _PAGE_MODULES:
            importlib.import_module(module)
    finally:
        quiet.setLevel(level)
    expected_columns()


if __name__ == "__main__" and not runtime.exists():
    # Launched as a plain script: start the server with Streamlit's old "pages/ folder"
    # routing off from the first request, so a shared link to a page opens that page even
    # on a freshly started server (with `streamlit run`, the first visitor's deep link gets
    # "Page not found" because st.navigation has not run yet: streamlit/streamlit#9992).
    # It is served as an st.App with the route of the large map layers (inequality.app.served:
    # the England map is fetched by deck.gl instead of parsed inside Streamlit's message).
    from streamlit.runtime.pages_manager import PagesManager

    from inequality.app import served

    _preload()
    PagesManager.uses_pages_directory = False
    sys.exit(served.run(__file__, sys.argv[1:]))

widgets.fast_charts()
# An emoji favicon is drawn locally; a :material/...: one would be fetched from Google.
st.set_page_config(page_title="Deprivation in England", page_icon="📊",
                   layout="wide")
_HERE = Path(__file__).resolve().parent
_pages = [st.Page(str(_HERE / "pages" / file), title=title, icon=icon,
                  url_path=path if n else f"{path}-home", default=(n == 0))
          for n, (file, title, path, icon) in enumerate(PAGES)]


def _first_page_by_name() -> None:
    """The first page's own address (/where-it-stands) opens it, with the link's state: the
    first page is served at the root, so its name is kept for this alias."""
    st.switch_page(_pages[0], query_params=st.query_params.to_dict())


_alias = st.Page(_first_page_by_name, title=PAGES[0][1], url_path=PAGES[0][2],
                 visibility="hidden")
st.navigation([*_pages, _alias]).run()
