"""Presentation without streamlit: measure labels, text, tables, charts, maps, report, exports."""
