"""The floor of the page benchmarks: a blank one-line Streamlit page (no database, no data)."""
import streamlit as st

st.write("blank")
