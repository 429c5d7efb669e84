"""No page shows a raw identifier where a person expects words (issue 14): release ids, LSOA
vintages, internal column names, "None" in cells. The Data & methods page may name the
official files and their columns; everything else speaks in human labels."""

from __future__ import annotations

import re

import pytest
from apptest import ok, run_page

from inequality.app import PAGES

#: Identifiers a person should never have to read.
RAW = re.compile(r"\b(share_\d+|iod20\d\d|lsoa0[01]|lsoa1[1]|lsoa21|area_code|area_name|"
                 r"lad_vintage|lad24_code|lad24_name|msoa_friendly_name|lsoa_code|lsoa_name|"
                 r"q \(this place\)|None|nan|NaN)\b")
TEXT_KINDS = ("markdown", "caption", "info", "warning", "error", "success", "title", "header",
              "subheader", "text")


def _raw_words(at, with_cells: bool) -> set[tuple[str, str]]:
    found = set()
    for kind in TEXT_KINDS:
        for e in getattr(at, kind):
            found |= {(kind, m) for m in RAW.findall(str(e.value))}
    for metric in at.metric:
        found |= {("metric", m) for m in RAW.findall(f"{metric.label} {metric.value}")}
    for frame in at.dataframe:
        value = frame.value
        found |= {("column", m) for c in value.columns for m in RAW.findall(str(c))}
        if with_cells:
            text = value.select_dtypes(include=["object", "string"])
            cells = " ".join(str(v) for v in text.to_numpy().ravel())
            found |= {("cell", m) for m in re.findall(r"\biod20\d\d\b|\bshare_\d+\b", cells)}
    return found


@pytest.mark.parametrize("page", [p[0] for p in PAGES])
def test_no_page_shows_raw_identifiers(app_db, page):
    at = ok(run_page(f"pages/{page}", area="E06000001", release="iod2019"))
    found = _raw_words(at, with_cells=page != "data.py")
    assert not found, f"{page} shows {sorted(found)}"
