"""Exports in two halves: :mod:`inequality.services.exports` reads an area's LSOA table and
boundaries, :mod:`inequality.present.exports` writes the bytes (CSV formula-safe)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from inequality import db
from inequality.present import exports
from inequality.services import exports as export_service

RUTLAND = "E06000017"
LINK = '=HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# --- CSV, formula-safe -----------------------------------------------------------------------

def test_csv_neutralises_a_formula_in_a_header_and_a_cell():
    frame = pd.DataFrame({LINK: [LINK, "Oakham"], "change": [-3.5, 2.0]})
    header, first, second = rows(exports.csv_bytes(frame))
    assert header == ["'" + LINK, "change"]
    assert first == ["'" + LINK, "-3.5"] and second == ["Oakham", "2.0"]
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(frame)))
    assert back["change"].tolist() == [-3.5, 2.0]  # a real negative number stays a number


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised_in_text_cells(text):
    frame = pd.DataFrame({"name": [text], "n": [-1]})
    assert rows(exports.csv_bytes(frame)) == [["name", "n"], ["'" + text, "-1"]]


def test_csv_leaves_numbers_missing_values_and_ordinary_text_alone():
    frame = pd.DataFrame({"code": ["E01000001", None], "mixed": [-2.5, "-x"],
                          "flag": [True, False], 2019: [1, -7]})
    assert rows(exports.csv_bytes(frame)) == [["code", "mixed", "flag", "2019"],
                                              ["E01000001", "-2.5", "True", "1"],
                                              ["", "'-x", "False", "-7"]]
    assert frame.loc[1, "mixed"] == "-x"  # the frame shown is not changed


def test_csv_of_a_plain_table_is_what_pandas_writes():
    frame = pd.DataFrame({"lsoa_code": ["E01000001"], "imd_decile": [3], "score": [12.25]})
    assert exports.csv_bytes(frame) == frame.to_csv(index=False).encode("utf-8")


# --- the service and the geographic files -----------------------------------------------------

def test_lsoa_table_of_listed_codes(con):
    every = export_service.lsoa_table(con, "iod2025", area_code=RUTLAND)
    some = every["lsoa_code"].tolist()[:4]
    table = export_service.lsoa_table(con, "iod2025", some + ["E01999999"])
    assert table["lsoa_code"].tolist() == some
    assert table.columns.tolist() == every.columns.tolist()


def test_geodataframe_carries_boundaries_except_on_2001_lsoas(con):
    gdf = export_service.lsoa_geodataframe(con, "iod2025", area_code=RUTLAND)
    assert gdf.crs.to_epsg() == 4326 and gdf.geometry.notna().all() and len(gdf) > 0
    features = json.loads(exports.geojson_bytes(gdf))["features"]
    assert len(features) == len(gdf) and features[0]["geometry"]["type"].endswith("Polygon")
    old = export_service.lsoa_geodataframe(con, "iod2010", area_code=RUTLAND)
    assert len(old) > 0 and old.geometry.isna().all()
    assert exports.geopackage_bytes(gdf)[:16] == b"SQLite format 3\x00"


def test_csv_writes_whole_number_floats_as_integers():
    frame = pd.DataFrame({"decile": [3.0, None, 10.0], "score": [1.5, 2.0, None]})
    text = exports.csv_bytes(frame).decode("utf-8").splitlines()
    assert text == ["decile,score", "3,1.5", ",2.0", "10,"]
