"""Area summaries and decile tracking on the fixture database and, where present, the mirror.

Golden figures on the mirror are the published ones where we know them: the IoD 2019
statistical release names Blackpool most deprived on average score (45.039) and
Middlesbrough highest on the proportion of LSOAs in the most deprived 10% (48.8%); the
project's issues quote Coventry's 14.4% (2019) and 17.8% (2010) in decile 1.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import FIXTURE_MIRROR

from inequality.services import summaries
from inequality import db
from inequality.metrics import area as m


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def fixture_file7(release_dir: str) -> pd.DataFrame:
    return pd.read_csv(next((FIXTURE_MIRROR / release_dir).glob("*.csv")))


def test_summary_matches_the_metric_functions_on_the_raw_file(con):
    raw = fixture_file7("iod2019_lsoa11")
    hart = raw[raw["Local Authority District code (2019)"] == "E06000001"]
    rank = hart["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"]
    score = hart["Index of Multiple Deprivation (IMD) Score"]
    pop = hart["Total population: mid 2015 (excluding prisoners)"]
    income = hart["Income Score (rate)"]
    n = len(raw)
    s = summaries.area_summary(con, "E06000001", "iod2019", current=False)
    assert s["avg_rank"] == pytest.approx(m.average_rank(rank, pop, n))
    assert s["avg_score"] == pytest.approx(m.average_score(score, pop))
    assert s["prop_most_deprived_10"] == pytest.approx(m.proportion_most_deprived_10(rank, n))
    assert s["extent"] == pytest.approx(m.extent(rank, pop, n))
    assert s["local_concentration"] == pytest.approx(m.local_concentration(rank, pop, n))
    # File 7 publishes rates, not counts: the scale is rate x population, rounded to the unit
    # the 3-decimal rates support, and flagged as an estimate.
    unit = m.scale_precision(pop.sum(), 3)
    assert s["income_scale_precision"] == unit == 100
    assert s["income_scale"] == m.round_scale((income * pop).sum(), unit)
    assert abs(s["income_scale"] - (income * pop).sum()) <= unit / 2
    assert s["income_scale_estimated"] is True
    assert s["n_areas"] == 2


def test_each_domain_is_weighted_by_its_own_population(con):
    """IoD Technical Report: Employment by the working-age population, IDACI by children
    aged 0-15, IDAOPI by people aged 60+, the rest by the total population."""
    raw = fixture_file7("iod2019_lsoa11")
    hart = raw[raw["Local Authority District code (2019)"] == "E06000001"]
    n = len(raw)
    s = summaries.area_summary(con, "E06000001", "iod2019", current=False)
    for measure, label, pop_header in (
            ("employment", "Employment", "Working age population 18-59/64: for use with "
             "Employment Deprivation Domain (excluding prisoners)"),
            ("idaci", "Income Deprivation Affecting Children Index (IDACI)",
             "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"),
            ("idaopi", "Income Deprivation Affecting Older People (IDAOPI)",
             "Older population aged 60 and over: mid 2015 (excluding prisoners)"),
            ("health", "Health Deprivation and Disability",
             "Total population: mid 2015 (excluding prisoners)")):
        rank = hart[f"{label} Rank (where 1 is most deprived)"]
        pop = hart[pop_header]
        d = s["domains"][measure]
        assert d["avg_rank"] == pytest.approx(m.average_rank(rank, pop, n)), measure
        assert d["extent"] == pytest.approx(m.extent(rank, pop, n)), measure
        assert d["local_concentration"] == pytest.approx(m.local_concentration(rank, pop, n))
    total = hart["Total population: mid 2015 (excluding prisoners)"]
    rank = hart["Employment Rank (where 1 is most deprived)"]
    assert s["domains"]["employment"]["avg_rank"] != pytest.approx(
        m.average_rank(rank, total, n))  # the weight matters on these real rows


def test_hartlepool_ranks_above_rutland(con):
    rows = {r["area_code"]: r for r in summaries.all_summaries(con, "iod2019")}
    assert rows["E06000001"]["rank_avg_score"] == 1 and rows["E06000017"]["rank_avg_score"] == 2
    assert rows["E06000001"]["domains"]["income"]["rank_avg_rank"] == 1


def test_unavailable_measures_are_null_with_reason(con):
    s2025 = summaries.area_summary(con, "E06000017", "iod2025")
    assert s2025["avg_score"] is None
    assert "population" in s2025["unavailable"]["avg_score"]
    assert s2025["prop_most_deprived_10"] is not None
    s2010 = summaries.area_summary(con, "E06000017", "iod2010")
    assert s2010["extent"] is None and "2010" in s2010["unavailable"]["extent"]


def test_region_and_england_summaries(con):
    eng = summaries.area_summary(con, "E92000001", "iod2019")
    assert eng["lsoa_count"] == 81 and eng["rank_avg_score"] is None
    reg = summaries.area_summary(con, "E12000001", "iod2019")
    assert reg["lsoa_count"] == 58


def test_decile_tracking_counts_each_release_on_its_own_geography(con):
    d = summaries.decile_tracking(con, "E06000001")
    assert d["releases"]["iod2010"]["lsoa_count"] == 58
    assert d["releases"]["iod2025"]["geography"] == "lsoa21"
    raw = fixture_file7("iod2019_lsoa11")
    hart = raw[raw["Local Authority District code (2019)"] == "E06000001"]
    deciles = hart["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of "
                   "LSOAs)"].value_counts()
    assert d["releases"]["iod2019"]["counts"]["1"] == deciles.get(1, 0)


def test_transitions_weight_split_lsoas(con):
    t = summaries.transitions(con, "E06000001", "iod2019", "iod2025")
    pairs = t["pairs"]
    assert pairs.groupby("from_code")["weight"].sum().round(9).eq(1).all()
    assert t["matrix"].shape == (10, 10)
    assert t["matrix"].to_numpy().sum() == pytest.approx(
        pairs.dropna(subset=["decile_from", "decile_to"])["weight"].sum())


def test_transitions_count_the_lsoas_decile_tracking_counts(con):
    """Rows of the transition matrix add up to the older release's tracking counts: both
    count each older LSOA whole, in the authority the one assignment gives it."""
    for code in ("E06000001", "E06000017"):
        track = summaries.decile_tracking(con, code)["releases"]
        for a, b in (("iod2010", "iod2015"), ("iod2015", "iod2019"), ("iod2019", "iod2025")):
            t = summaries.transitions(con, code, a, b)
            rows = t["matrix"].sum(axis=1)
            assert t["unmatched"] == 0
            for d in range(1, 11):
                assert rows.iloc[d - 1] == pytest.approx(track[a]["counts"][str(d)]), (code, a, d)


def test_unknown_area_message(con):
    with pytest.raises(summaries.UnknownArea, match="'E0600000' is not England"):
        summaries.decile_tracking(con, "E0600000")


# --- the full mirror ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mcon(mirror_db):
    with db.connect(mirror_db) as c:
        yield c


def test_mirror_check_counts(mcon):
    report = db.check(mcon)
    counts = {r: v["lsoa_count"] for r, v in report["releases"].items()}
    assert counts == {"iod2010": 32482, "iod2015": 32844, "iod2019": 32844, "iod2025": 33755}
    for geo, n in (("lsoa11", 32844), ("lsoa21", 33755)):
        cov = report["coverage"][geo]
        assert cov["lsoas"] == cov["with_boundary"] == cov["with_current_lad"] == n
        assert cov["with_region"] == n
    assert report["coverage"]["lsoa01"]["with_current_lad"] == 32482
    assert report["health_rows"]["fingertips_90366_le_ltla"] == 5516


def test_mirror_published_summaries_2019(mcon):
    rows = {r["area_name"]: r for r in summaries.all_summaries(mcon, "iod2019")}
    assert len(rows) == 317
    assert rows["Blackpool"]["rank_avg_score"] == 1
    assert round(rows["Blackpool"]["avg_score"], 3) == 45.039
    assert rows["Middlesbrough"]["rank_prop_most_deprived_10"] == 1
    assert round(rows["Middlesbrough"]["prop_most_deprived_10"], 3) == 0.488
    assert round(rows["Coventry"]["prop_most_deprived_10"], 3) == 0.144


def test_mirror_published_authorities_per_release(mcon):
    assert len(summaries.all_summaries(mcon, "iod2015")) == 326
    assert len(summaries.all_summaries(mcon, "iod2025")) == 296
    assert len(summaries.all_summaries(mcon, "iod2019", current=True)) == 296


def test_mirror_coventry_decile_tracking(mcon):
    d = summaries.decile_tracking(mcon, "E08000026")
    assert round(d["releases"]["iod2010"]["shares"]["1"], 3) == 0.178
    assert round(d["releases"]["iod2019"]["shares"]["1"], 3) == 0.144
    assert d["boundary_notes"] == []


def test_mirror_buckinghamshire_boundary_note(mcon):
    notes = summaries.decile_tracking(mcon, "E06000060")["boundary_notes"]
    assert any(n.startswith("iod2019: published for Aylesbury Vale (E07000004)") for n in notes)


def test_mirror_england_share_in_decile_1_is_ten_percent(mcon):
    comp = summaries.comparison(mcon, "E08000026")
    eng = comp[comp.role == "england"]
    assert all(math.isclose(x, 0.1, abs_tol=0.001) for x in eng["share_decile_1"])
    assert (comp.role == "neighbour").sum() == 5 * 4
