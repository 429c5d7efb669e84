"""Find your place: the NSPL and MSOA-name readers, the search, "your neighbourhood", the batch
postcode check and the `find` / `postcodes` commands, and AREA names in the other commands.

Fixture tests use the real rows cut into tests/data/mirror (two postcodes of every 2021 LSOA of
Hartlepool and Rutland, their friendly MSOA names). Expected values are read from those raw
files with pandas, independently of the build, never typed in. The full-mirror tests (skipped
without ../shared/data/raw) check a few hundred real postcodes against a join of the raw files.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import random
import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURE_MIRROR, FIXTURE_ROWS, build_fixture_db, fixture_sources

from inequality import queries
from inequality.cli import main
from inequality.etl import sources
from inequality.etl.build import BuildError, build
from inequality.etl.readers import READERS, ReaderError
from inequality.etl.readers.places import normalise_postcode
from inequality.present.exports import csv_bytes
from inequality.services import neighbourhood, places, postcodes

NSPL = "nspl21_lsoa21"
MEMBER = "Data/NSPL21_AUG_2024_UK.csv"
#: The complete header of the live NSPL21 CSV (ONS NSPL User Guide, August 2024 edition).
LIVE_HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m",
               "osgrdind", "oa21", "cty", "ced", "laua", "ward", "nhser", "ctry", "rgn", "pcon",
               "ttwa", "itl", "npark", "lsoa21", "msoa21", "wz11", "sicbl", "bua24", "ruc21",
               "oac11", "lat", "long", "lep1", "lep2", "pfa", "imd", "icb"]


# --- raw files, read independently of the build ------------------------------------------------

def raw_nspl(mirror: Path) -> pd.DataFrame:
    with zipfile.ZipFile(mirror / NSPL / sources.get(NSPL).file) as z, z.open(MEMBER) as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def raw_expectations(mirror: Path) -> dict:
    """From the raw files: each 2021 LSOA's IMD decile in every release, through the raw
    ONS lookups where the older LSOAs linked to it all share one decile (None otherwise)."""
    def read(sid, **kw):
        return pd.read_csv(mirror / sid / sources.get(sid).file, dtype=str,
                           keep_default_na=False, **kw)
    f25 = read("iod2025_lsoa21")
    f19 = read("iod2019_lsoa11")
    f15 = read("iod2015_lsoa11")
    f10 = read("iod2010_lsoa01")
    dec_col = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    d25 = dict(zip(f25["LSOA code (2021)"], f25[dec_col].astype(int)))
    d19 = dict(zip(f19["LSOA code (2011)"], f19[dec_col].astype(int)))
    d15 = dict(zip(f15["LSOA code (2011)"], f15[dec_col].astype(int)))
    # IoD 2010 publishes ranks only; its decile is ceil(10 x rank / N) (the later releases' rule)
    rank10 = f10["RANK OF IMD SCORE (where 1 is most deprived)"].astype(int)
    d10 = dict(zip(f10["LSOA CODE"], [math.ceil(10 * r / len(f10)) for r in rank10]))
    l11_21 = read("lookup_lsoa11_lsoa21")
    l01_11 = read("lookup_lsoa01_lsoa11")
    c11 = "LSOA11CD" if "LSOA11CD" in l11_21.columns else "F_LSOA11CD"
    back21 = l11_21.groupby("LSOA21CD")[c11].agg(lambda s: sorted(set(s))).to_dict()
    back11 = l01_11.groupby("LSOA11CD")["LSOA01CD"].agg(lambda s: sorted(set(s))).to_dict()

    def one(codes, table):
        ds = {table[c] for c in codes if c in table}
        return ds.pop() if len(ds) == 1 else None

    out = {}
    for code in d25:
        old11 = back21.get(code, [])
        old01 = sorted({x for c in old11 for x in back11.get(c, [])})
        out[code] = {"iod2025": d25[code], "iod2019": one(old11, d19),
                     "iod2015": one(old11, d15), "iod2010": one(old01, d10),
                     "lsoa11": old11, "lsoa01": old01}
    return out


def messy(postcode: str, i: int) -> str:
    """The ways people write postcodes: lower case, no space, extra spaces, padding."""
    compact = postcode.replace(" ", "")
    return [postcode.lower(), compact, f"  {postcode}  ", compact[:-3] + "  " + compact[-3:],
            compact.lower(), postcode, f"\t{compact.lower()} "][i % 7]


def check_against_raw(result: dict, inputs: list[str], nspl: pd.DataFrame, expected: dict
                      ) -> int:
    """Every input's row agrees with the raw files; returns how many matched."""
    rows = result["rows"]
    assert list(rows["input"]) == inputs, "one row per input, in input order"
    by_pc = nspl.set_index("pcds")
    matched = 0
    for r in rows.to_dict("records"):
        pc = normalise_postcode(r["input"])
        raw = by_pc.loc[pc]
        assert r["postcode"] == pc and r["error"] is None, r
        assert r["lsoa21_code"] == raw["lsoa21"]
        assert r["lad24_code"] == raw["laua"] and r["ward_code"] == raw["ward"]
        exp = expected[raw["lsoa21"]]
        for rel in ("iod2025", "iod2019", "iod2015", "iod2010"):
            assert r[f"{rel}_imd_decile"] == exp[rel], (pc, rel, r[f"{rel}_imd_decile"], exp)
        assert (r["lsoa11_codes"] or "").split(";") == exp["lsoa11"] or not exp["lsoa11"]
        assert (r["lsoa01_codes"] or "").split(";") == exp["lsoa01"] or not exp["lsoa01"]
        matched += 1
    return matched


# --- readers ---------------------------------------------------------------------------------

def fixture_source(source_id: str) -> sources.Source:
    return dataclasses.replace(sources.get(source_id), expected_rows=FIXTURE_ROWS[source_id])


def write_zip(path: Path, text: str, member: str = MEMBER, extra: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in (extra or {}).items():
            z.writestr(name, content)
        z.writestr(member, text)
    return path


def fixture_csv_text() -> str:
    with zipfile.ZipFile(FIXTURE_MIRROR / NSPL / sources.get(NSPL).file) as z:
        return z.read(MEMBER).decode()


def test_nspl_is_read_from_the_zip_with_live_columns_optional():
    frame, missing = READERS["postcode"](fixture_source(NSPL),
                                         FIXTURE_MIRROR / NSPL / sources.get(NSPL).file)
    raw = raw_nspl(FIXTURE_MIRROR)
    assert len(frame) == FIXTURE_ROWS[NSPL] == len(raw)
    assert missing == ["ctry", "doterm"]
    assert list(frame["postcode"]) == list(raw["pcds"])
    assert list(frame["lsoa21_code"]) == list(raw["lsoa21"])
    assert list(frame["lad24_code"]) == list(raw["laua"])
    assert set(frame["country_code"]) == {"E92000001"}
    assert frame["terminated"].isna().all()


def test_nspl_live_layout_reads_the_same_rows(tmp_path):
    """The complete NSPL header (35 columns, ctry and doterm present) in the live zip layout,
    with a decoy multi_csv part: the same postcodes come out and nothing is missing. Columns
    the fixture does not hold are left empty; ctry is England's code for these English
    LSOAs (a GSS code's first letter is its country)."""
    raw = raw_nspl(FIXTURE_MIRROR)
    live = pd.DataFrame({c: "" for c in LIVE_HEADER}, index=raw.index)
    live["pcds"], live["laua"], live["ward"], live["lsoa21"] = (
        raw["pcds"], raw["laua"], raw["ward"], raw["lsoa21"])
    live["ctry"] = "E92000001"
    path = write_zip(tmp_path / "NSPL21_AUG_2024_UK.zip", live.to_csv(index=False),
                     extra={"Data/multi_csv/NSPL21_AUG_2024_UK_TS.csv": "pcds\n",
                            "User Guide/readme.txt": "x"})
    frame, missing = READERS["postcode"](fixture_source(NSPL), path)
    assert missing == []
    assert list(frame["postcode"]) == list(raw["pcds"])
    assert list(frame["lsoa21_code"]) == list(raw["lsoa21"])


@pytest.mark.parametrize("old, new, match", [
    ("TS24 0AA", "TS240AA", r"postcode 'TS240AA' is not written as outward code, one space, "
                            r"inward code .* in column pcds"),
    ("E01011994", "E0101199", r"lsoa21 \(LSOA 2021\) code 'E0101199', not a GSS code such as "
                              r"E01000001"),
    (",E06000001,", ",E6000001,", r"laua \(local authority\) code 'E6000001'"),
])
def test_nspl_bad_values_are_named(tmp_path, old, new, match):
    text = fixture_csv_text()
    assert old in text
    path = write_zip(tmp_path / "NSPL21_AUG_2024_UK.zip", text.replace(old, new, 1))
    with pytest.raises(ReaderError, match=match):
        READERS["postcode"](fixture_source(NSPL), path)


def test_nspl_duplicate_postcode_is_an_error(tmp_path):
    lines = fixture_csv_text().splitlines()
    path = write_zip(tmp_path / "NSPL21_AUG_2024_UK.zip", "\n".join(lines + [lines[1]]) + "\n")
    source = dataclasses.replace(fixture_source(NSPL), expected_rows=None)
    with pytest.raises(ReaderError, match=rf"postcode '{lines[1].split(',')[0]}' appears "
                                          "more than once"):
        READERS["postcode"](source, path)


def test_nspl_truncated_zip_and_wrong_row_count_are_errors(tmp_path):
    data = (FIXTURE_MIRROR / NSPL / sources.get(NSPL).file).read_bytes()
    cut = tmp_path / "NSPL21_AUG_2024_UK.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError, match="not a readable zip file.*--force"):
        READERS["postcode"](fixture_source(NSPL), cut)
    short = write_zip(tmp_path / "short.zip", "\n".join(fixture_csv_text().splitlines()[:50]))
    with pytest.raises(ReaderError, match=rf"expected {FIXTURE_ROWS[NSPL]:,} rows, found 49"):
        READERS["postcode"](fixture_source(NSPL), short)


def test_msoa_names_keep_english_rows_and_validate(tmp_path):
    src = fixture_source("msoa_names_2021")
    path = FIXTURE_MIRROR / "msoa_names_2021" / src.file
    frame, missing = READERS["msoa_names"](src, path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert missing == [] and len(frame) == len(raw) == FIXTURE_ROWS["msoa_names_2021"]
    assert dict(zip(frame["msoa_code"], frame["name"])) == dict(zip(raw["msoa21cd"],
                                                                    raw["msoa21hclnm"]))
    blank = tmp_path / src.file
    blank.write_text(path.read_text(encoding="utf-8-sig").replace(
        raw["msoa21hclnm"].iloc[0], "", 1), encoding="utf-8-sig")
    with pytest.raises(ReaderError, match=rf"MSOA {raw['msoa21cd'].iloc[0]} has no name in "
                                          "column msoa21hclnm"):
        READERS["msoa_names"](src, blank)


def test_msoa_names_of_the_full_mirror_drop_welsh_rows(full_mirror):
    for sid, english in (("msoa_names_2021", 6_856), ("msoa_names_2011", 6_791)):
        src = sources.get(sid)
        frame, _ = READERS["msoa_names"](src, full_mirror / sid / src.file)
        raw = pd.read_csv(full_mirror / sid / src.file, dtype=str, encoding="utf-8-sig")
        assert len(frame) == english < len(raw)
        assert frame["msoa_code"].str.startswith("E02").all()


def test_postcode_in_an_lsoa_the_lookup_lacks_fails_the_build(tmp_path):
    """Cross-file check: every NSPL lsoa21 is in the ONS LSOA 2021 lookup. E01011973 is a
    real 2011 LSOA of Hartlepool merged away in 2021; the previous database is untouched."""
    good = tmp_path / "good.duckdb"
    build_fixture_db(good, tmp_path / "raw0")
    before = good.read_bytes()
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURE_MIRROR, mirror)
    text = fixture_csv_text()
    first = text.splitlines()[1].split(",")
    write_zip(mirror / NSPL / sources.get(NSPL).file,
              text.replace(",".join(first), ",".join(first[:3] + ["E01011973"]), 1))
    with pytest.raises(BuildError, match=rf"{NSPL}: .*postcode '{first[0]}' lies in LSOA "
                                         "'E01011973', which the ONS LSOA 2021 lookup"):
        build(good, mirror=mirror, raw_dir=tmp_path / "raw", sources=fixture_sources(),
              force=True, log=lambda _m: None)
    assert good.read_bytes() == before


# --- the fixture database ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con(fixture_db):
    with duckdb.connect(str(fixture_db), read_only=True) as c:
        yield c


def test_build_loads_postcodes_and_names(con):
    assert con.execute("SELECT count(*) FROM postcode").fetchone()[0] == FIXTURE_ROWS[NSPL]
    n = dict(con.execute("SELECT geography, count(*) FROM msoa_names GROUP BY 1").fetchall())
    assert n == {"msoa21": FIXTURE_ROWS["msoa_names_2021"],
                 "msoa11": FIXTURE_ROWS["msoa_names_2011"]}
    log = queries.load_log(con).set_index("source_id")
    assert log.loc[NSPL, "rows"] == FIXTURE_ROWS[NSPL]
    assert list(log.loc[NSPL, "missing_columns"]) == ["ctry", "doterm"]


def test_search_a_postcode_in_any_spelling(con):
    raw = raw_nspl(FIXTURE_MIRROR).iloc[7]
    for i in range(7):
        found = places.search(con, messy(raw["pcds"], i))
        assert found[0]["kind"] == "postcode" and found[0]["code"] == raw["pcds"]
        assert found[0]["lsoa21_code"] == raw["lsoa21"] and found[0]["lad24_code"] == raw["laua"]
        assert found[0]["label"].startswith(f"{raw['pcds']} — postcode in ")
        assert found[0]["bbox"] and len(found[0]["bbox"]) == 4


def test_search_names_codes_and_kinds(con):
    names = pd.read_csv(FIXTURE_MIRROR / "msoa_names_2021" / "MSOA-Names-2.2.csv", dtype=str,
                        encoding="utf-8-sig")
    code, name = names["msoa21cd"].iloc[0], names["msoa21hclnm"].iloc[0]
    top = places.search(con, name.upper())[0]
    assert (top["kind"], top["code"], top["match"]) == ("neighbourhood area", code, "exact")
    assert top["label"] == f"{name} — neighbourhood area in {top['lad24_name']}"
    lad = places.search(con, "e06000017")[0]
    assert (lad["kind"], lad["code"], lad["name"]) == ("local authority", "E06000017", "Rutland")
    lsoa = places.search(con, "hartlepool 002f")[0]
    assert (lsoa["kind"], lsoa["code"], lsoa["geography"]) == ("LSOA", "E01011994", "lsoa21")
    old = places.search(con, "E01011973")[0]  # a 2011 LSOA merged in 2021
    assert (old["kind"], old["geography"]) == ("LSOA", "lsoa11")
    assert "2011 LSOA" in old["label"]
    region = places.search(con, "north east")[0]
    assert (region["kind"], region["code"]) == ("region", "E12000001")


def test_search_ranks_exact_then_prefix_then_word_prefix_then_fuzzy(con):
    found = places.search(con, "Hartlepool", limit=20)
    assert (found[0]["kind"], found[0]["code"], found[0]["match"]) == (
        "local authority", "E06000001", "exact")
    order = [places.MATCHES.index(r["match"]) for r in found]
    assert order == sorted(order)
    fuzzy = places.search(con, "Hartlepol")
    assert fuzzy[0]["code"] == "E06000001" and fuzzy[0]["match"] == "fuzzy"
    assert places.search(con, "") == [] and places.search(con, "xqzzyvw") == []


def test_resolve_area_accepts_any_case_and_names_and_suggests(con):
    for text in ("rutland", "RUTLAND", "Rutland", "e06000017", " E06000017 "):
        assert places.resolve_area(con, text)["code"] == "E06000017"
    with pytest.raises(places.PlaceNotFound, match=r"'Rutlnd' is not the code or name of "
                                                   r"England, a region or a local authority; "
                                                   r"did you mean Rutland \(E06000017\)\?"):
        places.resolve_area(con, "Rutlnd")
    with pytest.raises(places.PlaceNotFound, match="did you mean"):
        places.resolve_area(con, "Hartlepool 002F")  # an LSOA is not an authority


def test_batch_agrees_with_the_raw_files(con):
    nspl = raw_nspl(FIXTURE_MIRROR)
    inputs = [messy(p, i) for i, p in enumerate(nspl["pcds"])]
    result = postcodes.check_postcodes(con, inputs)
    expected = raw_expectations(FIXTURE_MIRROR)
    assert check_against_raw(result, inputs, nspl, expected) == len(nspl)
    merged = result["rows"][result["rows"]["lsoa21_code"] == "E01035188"]
    assert len(merged) and merged["lsoa11_codes"].iloc[0].count(";") == 1  # two 2011 LSOAs


def test_batch_reports_every_input_that_does_not_match(con):
    nspl = raw_nspl(FIXTURE_MIRROR)
    real = nspl["pcds"].iloc[0]
    absent = next(f"{real.split()[0]} 9{a}{b}" for a in "ZYX" for b in "ZYX"
                  if f"{real.split()[0]} 9{a}{b}" not in set(nspl["pcds"]))
    inputs = ["", "   ", "TS24", "not a postcode", "BT1 1AA", "eh1 1yz", absent, real, "QQ1 1QQ"]
    rows = postcodes.check_postcodes(con, inputs)["rows"]
    assert list(rows["error_code"]) == ["empty", "empty", "malformed", "malformed",
                                        "outside_england", "outside_england", "not_found",
                                        None, "not_found"]
    assert "Northern Ireland" in rows["error"].iloc[4] and "Scotland" in rows["error"].iloc[5]
    assert rows["error"].iloc[6].startswith(f"{absent} is not in the ONS postcode lookup")
    assert "no postcode of district QQ1 is loaded" in rows["error"].iloc[8]
    assert rows["lsoa21_code"].iloc[:7].isna().all()


def test_batch_summary_counts_the_most_deprived(con):
    nspl = raw_nspl(FIXTURE_MIRROR)
    result = postcodes.check_postcodes(con, list(nspl["pcds"]) + ["nonsense"])
    expected = raw_expectations(FIXTURE_MIRROR)
    deciles = [expected[c]["iod2025"] for c in nspl["lsoa21"]]
    s = result["summary"]
    assert (s["inputs"], s["matched"], s["not_matched"]) == (len(nspl) + 1, len(nspl), 1)
    assert s["most_deprived_20"] == sum(d <= 2 for d in deciles)
    assert s["most_deprived_10"] == sum(d == 1 for d in deciles)
    assert s["sentence"].startswith(f"{s['most_deprived_20']} of {len(nspl)} postcodes are in "
                                    "England's most deprived 20%")


def test_batch_over_the_limit_is_refused(con):
    with pytest.raises(postcodes.PostcodeInputError, match=r"10,001 postcodes given; the batch "
                                                        r"check takes at most 10,000"):
        postcodes.check_postcodes(con, ["TS24 0AA"] * 10_001)


def test_batch_json_and_formula_safe_csv(con):
    real = raw_nspl(FIXTURE_MIRROR)["pcds"].iloc[3]
    hostile = ['=HYPERLINK("http://evil.example")', "+1", "-1", "@SUM(A1)", real]
    result = postcodes.check_postcodes(con, hostile)
    records = postcodes.batch_records(result)
    assert [r["input"] for r in records] == hostile
    assert set(records[-1]) >= {"input", "postcode", "lsoa21_code", "lad24_code", "ward_code",
                                "msoa21_name", "imd_decile", "error"}
    assert set(records[-1]["imd_decile"]) == {"iod2010", "iod2015", "iod2019", "iod2025"}
    assert records[0]["postcode"] is None and records[0]["error"]
    table = list(csv.DictReader(io.StringIO(csv_bytes(result["rows"]).decode("utf-8"))))
    assert [r["input"] for r in table] == ["'" + h for h in hostile[:4]] + [real]
    for row in table:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())
    assert table[-1]["iod2025_imd_decile"].isdigit()


def test_read_postcode_file_text_csv_and_encodings():
    assert postcodes.read_postcode_file(b"tq11 0aa\n\n  TS24 0AA \r\n") == ["tq11 0aa",
                                                                          "  TS24 0AA "]
    assert postcodes.read_postcode_file(b"id,Post Code\n1,tq11 0aa\n2,\n\n3,TS24 0AA\n") == [
        "tq11 0aa", "", "TS24 0AA"]
    utf16 = "postcode\r\nTQ11 0AA\r\n".encode("utf-16")
    assert postcodes.read_postcode_file(utf16) == ["TQ11 0AA"]
    with pytest.raises(postcodes.PostcodeInputError, match=r"upload.csv is not UTF-8 text "
                                                        r"\(byte 0xe9 .*save it as UTF-8"):
        postcodes.read_postcode_file("name,postcode\nJos\u00e9,TQ11 0AA\n".encode("latin-1"),
                                  "upload.csv")
    with pytest.raises(postcodes.PostcodeInputError, match="none is called 'postcode'"):
        postcodes.read_postcode_file(b"name,address\na,b\n")
    with pytest.raises(postcodes.PostcodeInputError, match="holds 10,001 postcodes"):
        postcodes.read_postcode_file(b"TS24 0AA\n" * 10_001)


def test_neighbourhood_of_a_postcode(con):
    raw = raw_nspl(FIXTURE_MIRROR)
    row = raw[raw["lsoa21"] == "E01035188"].iloc[0]  # a 2021 LSOA merged from two 2011 ones
    n = neighbourhood.neighbourhood(con, row["pcds"].lower())
    assert n["postcode"]["postcode"] == row["pcds"]
    assert n["lsoa"]["lsoa_code"] == "E01035188" and n["lsoa"]["lad24_code"] == "E06000001"
    expected = raw_expectations(FIXTURE_MIRROR)["E01035188"]
    linked = n["linked"]
    assert sorted(linked.loc[linked["geography"] == "lsoa11", "lsoa_code"]) == expected["lsoa11"]
    assert set(linked.loc[linked["geography"] == "lsoa11", "chgind"]) == {"M"}
    d = n["deciles"]
    assert set(d["release"]) == {"iod2010", "iod2015", "iod2019", "iod2025"}
    imd19 = d[(d["release"] == "iod2019") & (d["measure"] == "imd")]
    assert sorted(imd19["lsoa_code"]) == expected["lsoa11"]  # each linked LSOA shown
    assert n["imd"]["iod2025"] == expected["iod2025"]
    assert n["imd"]["iod2019"] == expected["iod2019"]
    assert (d["authority_position"] >= 1).all()
    assert (d["authority_position"] <= d["authority_lsoa_count"]).all()
    ctx = n["context"]
    assert set(ctx["area"]) == {"authority", "england"}
    shares = ctx[[f"share_{i}" for i in range(1, 11)]].sum(axis=1)
    assert ((shares - 1).abs() < 1e-9).all()
    assert any("2 2011 LSOAs" in note for note in n["notes"])


def test_neighbourhood_of_an_lsoa_name_and_unknowns(con):
    n = neighbourhood.neighbourhood(con, "Hartlepool 002F")
    assert n["postcode"] is None and n["lsoa"]["lsoa_code"] == "E01011994"
    with pytest.raises(places.PlaceNotFound, match="is not a postcode or an LSOA code or name"):
        neighbourhood.neighbourhood(con, "Atlantis")
    with pytest.raises(places.PlaceNotFound, match="postcode 'BT1 1AA': BT1 1AA is in Northern "
                                                   "Ireland"):
        neighbourhood.neighbourhood(con, "BT1 1AA")


def test_area_lsoas_outline(con):
    lad = places.search(con, "Rutland")[0]
    outline = places.area_lsoas(con, lad)
    assert outline["geography"] == "lsoa21"
    assert len(outline["codes"]) == con.execute(
        "SELECT count(*) FROM lsoa WHERE geography = 'lsoa21' AND lad24_code = 'E06000017'"
    ).fetchone()[0]


def test_old_database_without_place_tables_says_rebuild(fixture_db, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(fixture_db, old)
    with duckdb.connect(str(old)) as c:
        c.execute("DROP TABLE postcode")
    with duckdb.connect(str(old), read_only=True) as c:
        with pytest.raises(places.PlacesNotLoaded, match="no postcode table .* rebuild it"):
            postcodes.check_postcodes(c, ["TS24 0AA"])


# --- the commands ------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_find(capsys, fixture_db):
    code, out, _ = run(capsys, "find", "hartlepool", "--db", fixture_db)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["local", "authority", "E06000001"]
    code, out, _ = run(capsys, "find", "e06000017", "--json", "--db", fixture_db)
    found = json.loads(out)
    assert code == 0 and {k: found[0][k] for k in (
        "kind", "code", "name", "lad24_code", "lad24_name")} == {
        "kind": "local authority", "code": "E06000017", "name": "Rutland",
        "lad24_code": "E06000017", "lad24_name": "Rutland"}
    pc = raw_nspl(FIXTURE_MIRROR)["pcds"].iloc[0]
    code, out, _ = run(capsys, "find", *pc.lower().split(), "--db", fixture_db)
    assert code == 0 and out.split()[:3] == ["postcode", *pc.split()]
    code, _, err = run(capsys, "find", "xqzzyvw", "--db", fixture_db)
    assert code == 1 and "nothing found: no postcode, place or area matches 'xqzzyvw'" in err
    code, _, err = run(capsys, "find", "", "--db", fixture_db)
    assert code == 2 and "give something to find" in err


def test_cli_postcodes(capsys, fixture_db, tmp_path):
    nspl = raw_nspl(FIXTURE_MIRROR)
    good = [messy(p, i) for i, p in enumerate(nspl["pcds"].iloc[:5])]
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(good + ["BT1 1AA", "=1+2"]) + "\n")
    code, out, err = run(capsys, "postcodes", listing, "--json", "--db", fixture_db)
    assert code == 0
    records = json.loads(out)
    assert [r["input"] for r in records] == good + ["BT1 1AA", "=1+2"]
    assert [r["lsoa21_code"] for r in records[:5]] == list(nspl["lsoa21"].iloc[:5])
    assert records[5]["error"] and records[6]["postcode"] is None
    assert "postcodes are in England's most deprived 20%" in err
    table = tmp_path / "in.csv"
    table.write_text("id,postcode\n" + "".join(f"{i},{p}\n" for i, p in enumerate(good)))
    out_csv = tmp_path / "out.csv"
    code, out, _ = run(capsys, "postcodes", table, "--out", out_csv, "--db", fixture_db)
    assert code == 0 and f"wrote {out_csv}: 5 row(s)" in out
    written = pd.read_csv(out_csv, dtype=str)
    assert list(written["postcode"]) == list(nspl["pcds"].iloc[:5])
    code, _, err = run(capsys, "postcodes", tmp_path / "none.txt", "--db", fixture_db)
    assert code == 1 and "no file at" in err
    big = tmp_path / "big.txt"
    big.write_text("TS24 0AA\n" * 10_001)
    code, _, err = run(capsys, "postcodes", big, "--db", fixture_db)
    assert code == 1 and "holds 10,001 postcodes; the batch check takes at most 10,000" in err
    code, _, err = run(capsys, "postcodes", "--db", fixture_db)
    assert code == 2


@pytest.mark.parametrize("area", ["hartlepool", "Hartlepool", "HARTLEPOOL", "e06000001"])
def test_cli_area_arguments_take_names_and_any_case(capsys, fixture_db, area):
    code, out, err = run(capsys, "summary", area, "--json", "--db", fixture_db)
    assert code == 0, err
    assert json.loads(out)["area_code"] == "E06000001"
    code, out, err = run(capsys, "deciles", area, "--json", "--db", fixture_db)
    assert code == 0 and json.loads(out)["area_code"] == "E06000001"


def test_cli_area_suggests_close_matches(capsys, fixture_db):
    code, _, err = run(capsys, "summary", "Hartlepol", "--db", fixture_db)
    assert code == 2
    assert "did you mean Hartlepool (E06000001)?" in err and "--current" not in err
    code, _, err = run(capsys, "hidden", "rutlnd", "--db", fixture_db)
    assert code == 2 and "did you mean Rutland (E06000017)" in err


# --- the full offline mirror -------------------------------------------------------------------

@pytest.fixture(scope="module")
def mcon(mirror_db):
    with duckdb.connect(str(mirror_db), read_only=True) as c:
        yield c


def test_full_find_buckfastleigh_and_tq11_0aa(mcon, full_mirror):
    top = places.search(mcon, "Buckfastleigh", limit=5)
    assert "E02004217" in [r["code"] for r in top[:3]]
    assert top[0]["code"] == "E02004217" and top[0]["kind"] == "neighbourhood area"
    raw = raw_nspl(full_mirror).set_index("pcds").loc["TQ11 0AA"]
    found = places.search(mcon, "tq11 0aa")[0]
    assert (found["kind"], found["lsoa21_code"]) == ("postcode", raw["lsoa21"])
    assert found["lad24_name"] == "Teignbridge" and found["lad24_code"] == raw["laua"]


def test_full_batch_agrees_with_the_raw_files(mcon, full_mirror):
    nspl = raw_nspl(full_mirror)
    expected = raw_expectations(full_mirror)
    rng = random.Random(13)
    sample = rng.sample(range(len(nspl)), 300)
    # and postcodes of 2021 LSOAs merged from several 2011 LSOAs (no single older decile)
    merged = [c for c, e in expected.items() if len(e["lsoa11"]) > 1]
    in_merged = nspl.index[nspl["lsoa21"].isin(set(rng.sample(merged, 20)))]
    picks = nspl.loc[sorted(set(sample) | set(in_merged[:40]))]
    inputs = [messy(p, i) for i, p in enumerate(picks["pcds"])]
    result = postcodes.check_postcodes(mcon, inputs)
    assert check_against_raw(result, inputs, nspl, expected) == len(picks)
    rows = result["rows"]
    for rel in ("iod2019", "iod2015", "iod2010"):
        assert rows[f"{rel}_imd_decile"].notna().sum() > 250, rel  # through the lookups
    absent = next(f"TQ11 9{a}{b}" for a in "ZYXW" for b in "ZYXW"
                  if f"TQ11 9{a}{b}" not in set(nspl["pcds"]))
    bad = postcodes.check_postcodes(mcon, ["tq11", "BT1 1AA", absent, ""])["rows"]
    assert list(bad["error_code"]) == ["malformed", "outside_england", "not_found", "empty"]
    assert bad["error"].notna().all()


def test_full_cli_summary_accepts_coventry_in_any_form(capsys, mirror_db):
    for area in ("coventry", "Coventry", "e08000026"):
        code, out, err = run(capsys, "summary", area, "--json", "--db", mirror_db)
        assert code == 0, err
        assert json.loads(out)["area_code"] == "E08000026"
    code, _, err = run(capsys, "summary", "Coventy", "--db", mirror_db)
    assert code == 2 and "did you mean Coventry (E08000026)?" in err
    with duckdb.connect(str(mirror_db), read_only=True) as c:
        with pytest.raises(places.AmbiguousPlace, match="'Newtown' names 3 wards"):
            places.resolve_area(c, "Newtown", ("local authority", "ward"))
