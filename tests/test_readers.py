"""Readers: header mapping, validation and the missing-column rules, on the fixtures."""

from __future__ import annotations

import dataclasses
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from conftest import FIXTURE_MIRROR, FIXTURE_ROWS

from inequality.etl import sources
from inequality.etl.readers import READERS, ReaderError
from inequality.etl.readers.base import Column, match_headers, normalise
from inequality.etl.readers.health import parse_period
from inequality.etl.readers.iod import columns_for


def fixture_source(source_id: str) -> sources.Source:
    return dataclasses.replace(sources.get(source_id), expected_rows=FIXTURE_ROWS[source_id])


def fixture_path(source_id: str):
    return FIXTURE_MIRROR / source_id / sources.get(source_id).file


def copy_fixture(source_id: str, tmp_path):
    dest = tmp_path / sources.get(source_id).file
    shutil.copy(fixture_path(source_id), dest)
    return dest


def test_normalise_folds_case_and_whitespace():
    assert normalise(" LSOA  code\u00a0(2011) ") == "lsoa code (2011)"


def test_truncated_official_header_matches_by_prefix():
    cols = [Column("cyp__decile", ("Children and Young People Sub-domain Decile (where 1 is most "
                                   "deprived 10% of LSOAs)",))]
    rename, missing = match_headers(
        ["Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSO"],
        cols, "f.csv")
    assert list(rename.values()) == ["cyp__decile"] and missing == []


def test_header_with_other_case_and_spaces_matches():
    cols = [Column("lsoa_code", ("LSOA code (2011)",), True)]
    rename, _ = match_headers(["  lsoa CODE (2011) "], cols, "f.csv")
    assert rename == {"  lsoa CODE (2011) ": "lsoa_code"}


def test_missing_required_column_names_file_and_column():
    cols = [Column("lsoa_code", ("LSOA code (2011)",), True),
            Column("imd__rank", ("Index of Multiple Deprivation (IMD) Rank (where 1 is most "
                                 "deprived)",), True)]
    with pytest.raises(ReaderError, match=r"File_7\.csv: required column\(s\) 'Index of Multiple"):
        match_headers(["LSOA code (2011)", "Something else"], cols, "/x/File_7.csv")


def test_unexpected_column_in_strict_mode_is_an_error():
    cols = [Column("lsoa_code", ("LSOA code (2011)",), True)]
    with pytest.raises(ReaderError, match="unexpected column.*'Mystery'"):
        match_headers(["LSOA code (2011)", "Mystery"], cols, "f.csv", strict=True)


@pytest.mark.parametrize("release,n_cols", [("iod2010", 39), ("iod2015", 57), ("iod2019", 57),
                                            ("iod2025", 56)])
def test_header_maps_cover_the_complete_official_headers(release, n_cols):
    # the full official header of each File 7 (../shared/data/official_iod_headers.json)
    assert len(columns_for(release)) == n_cols


def test_iod2019_reads_with_optional_columns_recorded(tmp_path):
    data = READERS["iod"](fixture_source("iod2019_lsoa11"), fixture_path("iod2019_lsoa11"))
    assert data.rows == FIXTURE_ROWS["iod2019_lsoa11"]
    assert "Employment Score (rate)" in data.missing
    assert data.has_population and not data.decile_derived
    imd = data.deprivation[data.deprivation.measure == "imd"]
    assert imd["decile"].between(1, 10).all() and imd["rank"].min() == 1
    # Hartlepool 009A, a real published row (scores untouched by the fixture cut)
    row = imd[imd.lsoa_code == "E01011949"].iloc[0]
    assert row["score"] == pytest.approx(38.493)


def test_iod2010_deciles_are_derived_from_rank():
    data = READERS["iod"](fixture_source("iod2010_lsoa01"), fixture_path("iod2010_lsoa01"))
    imd = data.deprivation[data.deprivation.measure == "imd"]
    n = data.rows
    expected = (10 * imd["rank"].astype(float) / n).apply(lambda x: -(-x // 1)).astype(int)
    assert (imd["decile"].astype(int) == expected).all()
    assert data.decile_derived and not data.has_population
    assert {"IDACI score", "GOR CODE"} <= set(data.missing)


def test_iod2025_mirror_layout_lacks_population(tmp_path):
    data = READERS["iod"](fixture_source("iod2025_lsoa21"), fixture_path("iod2025_lsoa21"))
    assert not data.has_population
    assert "Total population: mid 2022" in data.missing
    assert data.population["total"].isna().all()


def test_renamed_required_column_is_an_error(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    text = path.read_text().replace("Index of Multiple Deprivation (IMD) Rank", "IMD Rnk", 1)
    path.write_text(text)
    with pytest.raises(ReaderError, match=r"required column\(s\) 'Index of Multiple Deprivation "
                                          r"\(IMD\) Rank"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_truncated_csv_is_an_error(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError, match="iod2019|File_7|expected|non-numeric|rows"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_bad_lsoa_code_names_the_value(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    path.write_text(path.read_text().replace("E01011949", "E0101194", 1))
    with pytest.raises(ReaderError, match="LSOA code 'E0101194' is not a GSS code such as "
                                          "E01000001"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_decile_out_of_range_is_an_error(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    df = pd.read_csv(path, dtype=str)
    col = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    df.loc[0, col] = "11"
    df.to_csv(path, index=False)
    with pytest.raises(ReaderError, match="imd decile 11 is outside 1..10"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_lookup_change_indicator_is_validated(tmp_path):
    path = copy_fixture("lookup_lsoa11_lsoa21", tmp_path)
    path.write_text(path.read_text().replace(",U,", ",Q,", 1))
    with pytest.raises(ReaderError, match="CHGIND 'Q' is not one of U, S, M, X"):
        READERS["lsoa_lookup"](fixture_source("lookup_lsoa11_lsoa21"), path)


def test_live_lookup_column_name_f_lsoa11cd_is_accepted(tmp_path):
    path = copy_fixture("lookup_lsoa11_lsoa21", tmp_path)
    path.write_text(path.read_text().replace("LSOA11CD", "F_LSOA11CD", 1))
    frame, _ = READERS["lsoa_lookup"](fixture_source("lookup_lsoa11_lsoa21"), path)
    assert len(frame) == FIXTURE_ROWS["lookup_lsoa11_lsoa21"]


def test_boundaries_get_display_geometry():
    frame, missing = READERS["boundary"](fixture_source("boundaries_lsoa21"),
                                         fixture_path("boundaries_lsoa21"))
    assert len(frame) == FIXTURE_ROWS["boundaries_lsoa21"] and missing == []
    assert frame["crs"].eq("EPSG:4326").all()
    assert (frame["geometry_display"].map(len) <= frame["geometry"].map(len)).all()
    assert frame["centroid_lat"].between(49, 56).all()


def test_fingertips_suppressed_values_stay_null():
    frame, _ = READERS["health"](fixture_source("fingertips_90366_le_ltla"),
                                 fixture_path("fingertips_90366_le_ltla"))
    assert set(frame["indicator_id"]) == {"90366"}
    england = frame[(frame.area_code == "E92000001") & (frame.sex == "Male")]
    assert england["value"].notna().all()
    assert frame["period_start"].notna().all()


@pytest.mark.parametrize("text,expected", [("2015 - 17", (2015, 2017)),
                                           ("2021 to 2023", (2021, 2023)),
                                           ("1999 - 01", (1999, 2001)), ("n/a", (None, None))])
def test_parse_period(text, expected):
    assert parse_period(text) == expected


# --- values validated at read time (issue 11) ------------------------------------------------

def test_british_national_grid_metres_labelled_as_degrees_are_refused(tmp_path):
    path = tmp_path / sources.get("boundaries_lsoa11").file
    gdf = gpd.read_parquet(fixture_path("boundaries_lsoa11")).to_crs("EPSG:27700")
    gdf.set_crs("EPSG:4326", allow_override=True).to_parquet(path)
    with pytest.raises(ReaderError, match=r"lsoa11_boundaries_eng_bgc\.parquet: area E01\d{6} "
                                          r"lies at lon 4\d{5}\.\d\d.* declares \(EPSG:4326\), "
                                          r"outside England.*they look like metres \(British "
                                          r"National Grid, EPSG:27700\?\)"):
        READERS["boundary"](fixture_source("boundaries_lsoa11"), path)


def test_official_crs_is_accepted_after_reprojection(tmp_path):
    """The same areas in British National Grid, correctly labelled, read back in England."""
    path = tmp_path / sources.get("boundaries_lsoa11").file
    gpd.read_parquet(fixture_path("boundaries_lsoa11")).to_crs("EPSG:27700").to_parquet(path)
    frame, _ = READERS["boundary"](fixture_source("boundaries_lsoa11"), path)
    assert frame["centroid_lon"].between(-2, 0).all() and frame["centroid_lat"].between(52, 55).all()


def test_utf16_without_byte_order_mark_names_the_encoding(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    path.write_bytes(path.read_text().encode("utf-16-le"))
    with pytest.raises(ReaderError, match=r"File_7_-_All_IoD2019\S*\.csv: is encoded as UTF-16 "
                                          r"\(every other byte is zero\), not UTF-8; the official "
                                          r"file is UTF-8 CSV: re-download it"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_latin1_beyond_the_first_block_names_the_line(tmp_path):
    """A Latin-1 byte after the first 64 KiB (found by pandas, not the up-front sniff) still
    names the encoding and the line."""
    path = copy_fixture("fingertips_90366_le_ltla", tmp_path)
    header, *rows = path.read_text().splitlines(keepends=True)
    rows = rows * (1 + (1 << 16) // len("".join(rows)))  # a damaged file past 64 KiB
    last = rows[-1].replace("England", "Englánd").encode("latin-1")
    path.write_bytes((header + "".join(rows[:-1])).encode() + last)
    with pytest.raises(ReaderError, match=rf"is not UTF-8: byte 0xE1 on line {len(rows) + 1:,} "
                                          r"\(b'.*Engl\\xe1nd.*'\) reads as Latin-1 / "
                                          r"Windows-1252 '.*Englánd.*', so the file is probably "
                                          r"encoded as Latin-1"):
        READERS["health"](fixture_source("fingertips_90366_le_ltla"), path)


def test_rank_error_names_the_lsoa_and_row(tmp_path):
    path = copy_fixture("iod2019_lsoa11", tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[2, "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"] = "0"
    df.to_csv(path, index=False)
    code = df.loc[2, "LSOA code (2011)"]
    with pytest.raises(ReaderError, match=rf"imd rank 0 is outside 1..81 at LSOA {code} \(data "
                                          r"row 3; 1 value\(s\) in all\); check that it is the "
                                          r"official file"):
        READERS["iod"](fixture_source("iod2019_lsoa11"), path)


def test_fractional_working_age_population_of_2015_is_published_and_accepted():
    """IoD 2015 publishes working-age people in quarters (e.g. 702.75): not an error."""
    data = READERS["iod"](fixture_source("iod2015_lsoa11"), fixture_path("iod2015_lsoa11"))
    assert (data.population["working_age"] % 1 != 0).any()
    assert (data.population["total"] % 1 == 0).all()
