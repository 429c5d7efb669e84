"""Community-defined areas: aggregation equals the authority's when the set is the authority."""

from __future__ import annotations

import pytest

from inequality.services import summaries, custom_areas
from inequality import db


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def authority_codes(con, lad, geography="lsoa21"):
    return [r[0] for r in con.execute(
        "SELECT lsoa_code FROM lsoa WHERE geography = ? AND lad24_code = ?",
        [geography, lad]).fetchall()]


@pytest.mark.parametrize("release", ["iod2015", "iod2019", "iod2025"])
def test_custom_area_equal_to_authority_gives_the_same_numbers(con, release):
    area = custom_areas.make_area(con, "Rutland again", authority_codes(con, "E06000017"))
    mine = custom_areas.summary(con, area, release)
    ref = summaries.area_summary(con, "E06000017", release, current=True)
    assert mine["lsoa_count"] == ref["lsoa_count"]
    for key in ("avg_rank", "avg_score", "prop_most_deprived_10", "extent",
                "local_concentration", "income_scale", "rank_prop_most_deprived_10"):
        assert mine[key] == pytest.approx(ref[key]) if ref[key] is not None else mine[key] is None
    assert mine["unavailable"].keys() == ref["unavailable"].keys()


def test_custom_deciles_equal_authority_tracking(con):
    area = custom_areas.make_area(con, "Hartlepool again", authority_codes(con, "E06000001", "lsoa11"))
    assert area.geography == "lsoa11"
    mine = custom_areas.deciles(con, area)
    ref = summaries.decile_tracking(con, "E06000001")
    for rel in ("iod2010", "iod2015", "iod2019", "iod2025"):
        assert mine["releases"][rel]["counts"] == ref["releases"][rel]["counts"], rel


def test_partial_area_is_ranked_among_authorities(con):
    codes = authority_codes(con, "E06000001")[:10]
    s = custom_areas.summary(con, custom_areas.make_area(con, "Ten LSOAs", codes), "iod2019")
    assert s["lsoa_count"] >= 1 and s["n_areas"] == 2
    assert s["rank_avg_score"] in (1, 2, 3)
    assert custom_areas.home_authority(con, custom_areas.make_area(con, "x", codes))["area_code"] == "E06000001"


def test_save_load_and_url_round_trip(con, tmp_path):
    area = custom_areas.make_area(con, "Our patch", authority_codes(con, "E06000017")[:5])
    area.save(tmp_path / "patch.json")
    assert custom_areas.CustomArea.load(tmp_path / "patch.json") == area
    assert custom_areas.CustomArea.from_query(area.to_query()) == area


def test_parse_and_validate_codes(con):
    assert custom_areas.parse_codes("code\nE01000001,x\nE01000002 E01000001") == ["E01000001",
                                                                           "E01000002"]
    with pytest.raises(custom_areas.CustomAreaError, match="no LSOA codes given"):
        custom_areas.make_area(con, "empty", [])
    good = authority_codes(con, "E06000017")[:2]
    with pytest.raises(custom_areas.CustomAreaError, match=r"1 code\(s\) are not LSOA21 LSOAs.*"
                                                     r"E01999999"):
        custom_areas.make_area(con, "bad", good + ["E01999999"], geography="lsoa21")
    with pytest.raises(custom_areas.CustomAreaError, match="not a saved custom area"):
        custom_areas.CustomArea.from_json("{}")
