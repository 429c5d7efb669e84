"""Deprivation in England: the Streamlit app (``streamlit run dashboard.py``).

Page config and navigation only; the pages live in ``pages/`` and share
:mod:`inequality.app`. The database path comes from ``INEQUALITY_DB``.
"""

from pathlib import Path

import streamlit as st

from inequality.app import PAGES

# An emoji favicon is drawn locally; a :material/...: one would be fetched from Google.
st.set_page_config(page_title="Deprivation in England", page_icon="📊",
                   layout="wide")
_HERE = Path(__file__).resolve().parent
st.navigation([st.Page(str(_HERE / "pages" / file), title=title, url_path=path, icon=icon,
                       default=(n == 0))
               for n, (file, title, path, icon) in enumerate(PAGES)]).run()
