"""Postcode check: deprivation for a list of postcodes (service users, members, a mailing
list), one row per postcode in the order given, with the reason for any that do not match."""

import streamlit as st

from inequality.app import cache, data, widgets
from inequality.present import tables, text

cache.require_db()
widgets.page_header(
    "Check a list of postcodes",
    f"Paste or upload up to {data.MAX_POSTCODES:,} postcodes (any spelling) to see each one's "
    "neighbourhood, authority, ward, rural-urban class and deprivation deciles in every "
    "release. Nothing is guessed: a postcode that does not match comes back with the reason. "
    + text.DECILE_NOTE)
pasted = st.text_area("Postcodes, one a line", key="pc_paste", height=160,
                      placeholder="TQ11 0AA\ntq110ab\nTS24 0AA")
upload = st.file_uploader("Or upload a text file (one postcode a line) or a CSV with a "
                          "postcode column", type=["csv", "txt"], key="pc_upload")
try:
    inputs = (data.read_postcode_file(upload.getvalue(), upload.name) if upload is not None
              else data.read_postcode_file(pasted.encode("utf-8"), "the pasted text")
              if pasted.strip() else [])
except data.PostcodeInputError as exc:
    st.error(text.plain(exc), icon=":material/error:")
    st.stop()
if not inputs:
    st.info("Paste postcodes or upload a file to start.", icon=":material/list_alt:")
    widgets.footer()
    st.stop()

result = data.check_postcodes(inputs)
st.success(text.plain(result["summary"]["sentence"]), icon=":material/fact_check:")
widgets.table(tables.postcode_table(result["rows"]), "postcode_check.csv",
              "One row per postcode, in your order; deciles: 1 = most deprived 10%.",
              height=420)
widgets.footer()
