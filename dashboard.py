"""Deprivation in England: the Streamlit app.

Start it with ``python dashboard.py [streamlit options]`` (what ``make run`` does), or
``streamlit run dashboard.py``. Page config and navigation only; the pages live in ``pages/``
and share :mod:`inequality.app`. The database path comes from ``INEQUALITY_DB``.
"""

import sys
from pathlib import Path

import streamlit as st
from streamlit import runtime

from inequality.app import PAGES

if __name__ == "__main__" and not runtime.exists():
    # Launched as a plain script: start the server with Streamlit's old "pages/ folder"
    # routing off from the first request, so a shared link to a page opens that page even
    # on a freshly started server (with `streamlit run`, the first visitor's deep link gets
    # "Page not found" because st.navigation has not run yet: streamlit/streamlit#9992).
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.exit(cli.main(["run", __file__, *sys.argv[1:]]))

# An emoji favicon is drawn locally; a :material/...: one would be fetched from Google.
st.set_page_config(page_title="Deprivation in England", page_icon="📊",
                   layout="wide")
_HERE = Path(__file__).resolve().parent
st.navigation([st.Page(str(_HERE / "pages" / file), title=title, url_path=path, icon=icon,
                       default=(n == 0))
               for n, (file, title, path, icon) in enumerate(PAGES)]).run()
