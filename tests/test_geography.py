"""The one LSOA -> current (April 2024) authority assignment: the rule as a pure function, the
table the build materialises, its determinism, and that every service counts LSOAs by it."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest
from conftest import build_fixture_db

from inequality import db, geography, queries
from inequality.services import summaries

# --- the rule, pure -------------------------------------------------------------------------


def _links(rows):
    return pd.DataFrame(rows, columns=["lsoa_code", "lad24_code", "n"])


def test_majority_then_best_fit_then_lowest_code():
    links = _links([
        ("E01000001", "E07000002", 2), ("E01000001", "E07000001", 1),   # majority
        ("E01000002", "E07000009", 1), ("E01000002", "E07000003", 1),   # tie, best fit 9
        ("E01000003", "E07000009", 1), ("E01000003", "E07000003", 1),   # tie, no best fit
        ("E01000004", "E07000005", 3)])                                  # one authority
    out = geography.choose_authority(links, {"E01000002": "E07000009",
                                             "E01000003": "E07000001",  # not among the tied
                                             "E01000005": "E07000007"})  # no successors
    got = {r.lsoa_code: (r.lad24_code, r.method, r.successors, r.in_authority)
           for r in out.itertuples()}
    assert got == {
        "E01000001": ("E07000002", "majority", 3, 2),
        "E01000002": ("E07000009", "tie_best_fit", 2, 1),
        "E01000003": ("E07000003", "tie_lowest_code", 2, 1),
        "E01000004": ("E07000005", "via_lsoa21", 3, 3),
        "E01000005": ("E07000007", "best_fit", 0, 0)}
    assert {m for _, m, _, _ in got.values()} <= set(geography.METHODS)


def test_the_answer_does_not_depend_on_row_order():
    rows = [("E01000002", "E07000009", 1), ("E01000002", "E07000003", 1),
            ("E01000003", "E07000009", 1), ("E01000003", "E07000003", 1),
            ("E01000003", "E07000004", 1), ("E01000001", "E07000002", 2)]
    first = geography.choose_authority(_links(rows), {"E01000002": "E07000009"}, "lsoa01")
    rng = random.Random(2024)
    for _ in range(30):
        rng.shuffle(rows)
        again = geography.choose_authority(_links(rows), {"E01000002": "E07000009"}, "lsoa01")
        pd.testing.assert_frame_equal(again, first)
    assert first.set_index("lsoa_code").loc["E01000001", "method"] == "via_lsoa11"


def test_assignment_rule_text_states_the_tie_breaks():
    rule = geography.ASSIGNMENT_RULE
    assert "best-fit" in rule and "lowest authority code" in rule and "whole" in rule
    assert summaries.ASSIGNMENT_RULE == rule


def test_unknown_geography_is_named():
    with pytest.raises(ValueError, match="geography 'lsoa31' is not one of lsoa01, lsoa11"):
        geography.assignment(None, "lsoa31")
    with pytest.raises(ValueError, match="'lsoa21' has no successor vintage"):
        geography.successor_links(None, "lsoa21")


# --- the fixture database -------------------------------------------------------------------

@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def test_lsoa_table_takes_its_authority_from_the_assignment(con):
    diff = con.execute("""
        SELECT count(*) FROM lsoa l
        FULL JOIN lsoa_assignment a USING (geography, lsoa_code)
        WHERE l.lad24_code IS DISTINCT FROM a.lad24_code
           OR l.lad24_method IS DISTINCT FROM a.method""").fetchone()[0]
    assert diff == 0
    missing = con.execute("""
        SELECT count(*) FROM iod_lsoa i JOIN release r USING (release)
        LEFT JOIN lsoa_assignment a ON a.geography = r.geography AND a.lsoa_code = i.lsoa_code
        WHERE a.lad24_code IS NULL""").fetchone()[0]
    assert missing == 0


def test_two_builds_assign_alike(fixture_db, tmp_path):
    build_fixture_db(tmp_path / "again.duckdb", tmp_path / "raw")
    with db.connect(fixture_db) as a, db.connect(tmp_path / "again.duckdb") as b:
        pd.testing.assert_frame_equal(geography.assignment(a), geography.assignment(b))


# --- the full mirror ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mcon(mirror_db):
    with db.connect(mirror_db) as c:
        yield c


TIES = {"E01008187": "E08000037",   # Gateshead 024C: Gateshead | Northumberland
        "E01023508": "E07000242",   # East Hertfordshire 002D: East Herts | Stevenage
        "E01023964": "E07000241"}   # Welwyn Hatfield 014C: Welwyn Hatfield | St Albans


def test_tied_lsoas_take_the_ons_best_fit_authority(mcon):
    got = geography.assignment(mcon, "lsoa11", list(TIES)).set_index("lsoa_code")
    for code, lad in TIES.items():
        assert got.loc[code, "lad24_code"] == lad == got.loc[code, "best_fit_lad24_code"]
        assert got.loc[code, "method"] == "tie_best_fit"
        assert (got.loc[code, "successors"], got.loc[code, "in_authority"]) == (2, 1)
    # and the 2001 LSOAs of the same code follow them
    old = geography.assignment(mcon, "lsoa01", list(TIES)).set_index("lsoa_code")
    assert old["lad24_code"].to_dict() == TIES


def test_the_build_sql_and_the_pure_rule_agree_on_every_lsoa(mcon):
    for geo in ("lsoa11", "lsoa01"):
        table = geography.assignment(mcon, geo).set_index("lsoa_code")
        best = table["best_fit_lad24_code"].dropna().to_dict() if geo == "lsoa11" else {}
        pure = geography.choose_authority(geography.successor_links(mcon, geo), best, geo)
        pure = pure.set_index("lsoa_code")
        assert len(pure) == len(table)
        for col in ("lad24_code", "method", "successors", "in_authority"):
            assert (pure[col] == table.loc[pure.index, col]).all(), (geo, col)


def test_the_build_sql_gives_the_same_answer_30_times(mirror_db):
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{mirror_db}' AS src (READ_ONLY)")
        for table in ("area_lookup", "lsoa_change", "iod_lsoa", "release"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
        con.execute("CREATE TABLE lsoa_assignment AS SELECT * FROM src.lsoa_assignment LIMIT 0")
        first = None
        for _ in range(30):
            con.execute(geography.ASSIGNMENT_SQL)
            now = con.execute("SELECT * FROM lsoa_assignment ORDER BY geography, lsoa_code").df()
            if first is None:
                first = now
                built = con.execute("SELECT * FROM src.lsoa_assignment "
                                    "ORDER BY geography, lsoa_code").df()
                pd.testing.assert_frame_equal(now, built)
            else:
                pd.testing.assert_frame_equal(now, first)


def test_e01027305_is_in_one_authority_everywhere(mcon):
    """West Northamptonshire 048E: MHCLG published it (2025) in West Northamptonshire; the
    ONS April 2024 best-fit lookup places it in Cherwell. Today's-authority views all count
    it in Cherwell; MHCLG's own figures keep it where MHCLG put it, and say so."""
    a = geography.assignment(mcon, codes=["E01027305"])
    assert set(a["lad24_code"]) == {"E07000177"}
    assert sorted(a["geography"]) == ["lsoa01", "lsoa11", "lsoa21"]
    track = summaries.decile_tracking(mcon, "E07000177")["releases"]
    for release in ("iod2015", "iod2019", "iod2025"):
        cur = summaries.area_summary(mcon, "E07000177", release, current=True)
        assert cur["lsoa_count"] == track[release]["lsoa_count"], release
    assert track["iod2025"]["lsoa_count"] == 103
    pub = summaries.area_summary(mcon, "E06000062", "iod2025", current=False)
    assert pub["lsoa_count"] == 238 and pub["current_code"] == "E06000062"
    assert any("E01027305" in n and "Cherwell (E07000177)" in n for n in pub["notes"])
    cherwell = summaries.area_summary(mcon, "E07000177", "iod2025", current=True)
    assert any("E01027305" in n for n in cherwell["notes"])
    moves = summaries.transitions(mcon, "E07000177", "iod2019", "iod2025")["pairs"]
    assert "E01027305" in set(moves["from_code"])
    values = queries.lsoa_values(mcon, "iod2025", "E07000177")
    assert "E01027305" in set(values["lsoa_code"])


def test_every_view_counts_the_same_lsoas_per_current_authority(mcon):
    for release in ("iod2010", "iod2019", "iod2025"):
        geo = queries.release(mcon, release)["geography"]
        expect = (geography.assignment(mcon, geo)
                  .merge(queries.lsoa_values(mcon, release)[["lsoa_code"]], on="lsoa_code")
                  .groupby("lad24_code").size().to_dict())
        current = {s["area_code"]: s["lsoa_count"]
                   for s in summaries.all_summaries(mcon, release, current=True)}
        counts = queries.decile_counts(mcon)
        tracked = counts[counts["release"] == release].groupby("lad24_code")["n"].sum()
        assert current == expect, release
        assert tracked.to_dict() == expect, release


@pytest.mark.parametrize("code", ["E08000037", "E06000057", "E07000242", "E07000243",
                                  "E07000240", "E07000241", "E07000177", "E06000062"])
def test_transitions_rows_add_up_to_tracking_where_lsoas_split(mcon, code):
    track = summaries.decile_tracking(mcon, code)["releases"]
    for a, b in (("iod2010", "iod2015"), ("iod2019", "iod2025")):
        t = summaries.transitions(mcon, code, a, b)
        complete = t["pairs"].dropna(subset=["decile_from", "decile_to"])
        assert t["matrix"].to_numpy().sum() == pytest.approx(
            complete["weight"].sum())
        rows = t["matrix"].sum(axis=1)
        # older LSOAs whose successor has no decile in the newer release (none expected)
        lost = t["pairs"][t["pairs"]["decile_to"].isna()]["weight"].sum()
        assert lost == 0
        for d in range(1, 11):
            assert rows.iloc[d - 1] == pytest.approx(track[a]["counts"][str(d)]), (code, a, d)
