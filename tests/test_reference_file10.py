"""MHCLG's published local-authority summaries (IoD 2019, File 10) against ours.

``../shared/data/reference/file10_2019_lad_summaries_excerpt.csv`` holds every sheet of File
10 for 8 authorities (see the README beside it). Every published figure there is checked
against ``summaries.all_summaries(con, "iod2019")`` on a database built from the full mirror:

* average rank within 0.25 (File 7's denominators exclude prisoners, so a recomputation can
  differ in the first or second decimal), rank of average rank exact;
* average score within half the published last decimal (3 decimals), and its rank, where the mirror holds the scores
  (IMD and Income; the other domain scores are absent from the mirror, so ours are None with
  a reason naming the missing score);
* proportion of LSOAs in the most deprived 10% to the published 4 decimals, and its rank,
  exact;
* IMD extent (4 decimals) and local concentration (within 0.25), and their ranks, exact;
* income scale within its stated precision of the published count, its rank within one
  place (it is estimated from rounded rates); employment scale: the mirror has no 2019
  employment rates, so ours is None with the reason.

Beyond the 8, the proportion in the most deprived 10% and its rank are checked for all 317
authorities and all ten indices against the published deciles of File 7 itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import FULL_MIRROR

from inequality import db, measures
from inequality.services import summaries

REFERENCE = FULL_MIRROR.parent / "reference" / "file10_2019_lad_summaries_excerpt.csv"

#: File 10 sheet prefix of each index.
SHEETS = {"imd": "IMD", "income": "Income", "employment": "Employment",
          "education": "Education, Skills and Training",
          "health": "Health Deprivation and Disability", "crime": "Crime",
          "barriers": "Barriers to Housing and Services",
          "living_environment": "Living Environment", "idaci": "IDACI", "idaopi": "IDAOPI"}

#: Average ranks further than 0.25 from File 10 (measured; ranks still exact). Employment is
#: weighted by File 7's working-age population; File 10's Employment figures carry quarter
#: people (its employment scale is 218.50 for the City of London), so its denominators are
#: not quite File 7's whole numbers.
WIDER = {("employment", "E08000032"): 0.35, ("employment", "E09000001"): 1.1}


@pytest.fixture(scope="module")
def file10() -> pd.DataFrame:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} not found (the published File 10 excerpt lives beside the "
                    "mirror, in ../shared/data/reference)")
    frame = pd.read_csv(REFERENCE)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.set_index("Local Authority District code (2019)")


@pytest.fixture(scope="module")
def ours(mirror_db) -> dict[str, dict]:
    with db.connect(mirror_db) as con:
        return {s["area_code"]: s for s in summaries.all_summaries(con, "iod2019")}


def _block(summary: dict, measure: str) -> dict:
    return summary if measure == "imd" else summary["domains"][measure]


@pytest.mark.parametrize("measure,sheet", list(SHEETS.items()))
def test_average_rank_and_its_rank(file10, ours, measure, sheet):
    for code, row in file10.iterrows():
        got = _block(ours[code], measure)
        tol = WIDER.get((measure, code), 0.25)
        assert abs(got["avg_rank"] - row[f"{sheet} - Average rank"]) <= tol, (measure, code)
        assert got["rank_avg_rank"] == row[f"{sheet} - Rank of average rank"], (measure, code)
        assert got["ranks_published"]["avg_rank"] == got["rank_avg_rank"]


@pytest.mark.parametrize("measure,sheet", list(SHEETS.items()))
def test_average_score_and_its_rank(file10, ours, measure, sheet):
    for code, row in file10.iterrows():
        got = _block(ours[code], measure)
        published = row[f"{sheet} - Average score"]
        if got["avg_score"] is None:  # the mirror lacks this domain's 2019 scores
            assert measure not in ("imd", "income")
            assert f"no {measure} score" in got["unavailable"]["avg_score"]
            continue
        # File 10 publishes average scores to 3 decimals
        assert abs(got["avg_score"] - published) <= 0.0005 + 1e-9, (measure, code)
        assert got["rank_avg_score"] == row[f"{sheet} - Rank of average score"], (measure, code)


@pytest.mark.parametrize("measure,sheet", list(SHEETS.items()))
def test_proportion_in_most_deprived_tenth_and_its_rank(file10, ours, measure, sheet):
    for code, row in file10.iterrows():
        got = _block(ours[code], measure)
        published = row[f"{sheet} - Proportion of LSOAs in most deprived 10% nationally"]
        assert round(got["prop_most_deprived_10"], 4) == pytest.approx(published), (measure,
                                                                                     code)
        assert got["rank_prop_most_deprived_10"] == row[
            f"{sheet} - Rank of proportion of LSOAs in most deprived 10% nationally"]


def test_imd_extent_and_local_concentration(file10, ours):
    for code, row in file10.iterrows():
        got = ours[code]
        assert round(got["extent"], 4) == pytest.approx(row["IMD 2019 - Extent"]), code
        assert got["rank_extent"] == row["IMD 2019 - Rank of extent"], code
        assert abs(got["local_concentration"] - row["IMD 2019 - Local concentration"]) <= 0.25
        assert got["rank_local_concentration"] == row["IMD 2019 - Rank of local concentration"]


def test_income_scale_is_a_flagged_estimate_within_its_precision(file10, ours):
    for code, row in file10.iterrows():
        got = ours[code]
        assert got["income_scale_estimated"] is True
        unit = got["income_scale_precision"]
        assert got["income_scale"] % unit == 0, code
        assert abs(got["income_scale"] - row["Income scale"]) <= unit, code
        assert abs(got["rank_income_scale"] - row["Rank of Income Scale"]) <= 1, code


def test_employment_scale(file10, ours):
    for code, row in file10.iterrows():
        got = ours[code]
        if got["employment_scale"] is None:  # no 2019 employment rates in the mirror
            assert "no employment score (rate)" in got["unavailable"]["employment_scale"]
            continue
        unit = got["employment_scale_precision"]
        assert got["employment_scale_estimated"] is True
        assert abs(got["employment_scale"] - row["Employment scale"]) <= unit, code
        assert abs(got["rank_employment_scale"] - row["Rank of Employment Scale"]) <= 1


def test_published_ranks_are_among_the_317_authorities_of_2019(file10, ours):
    assert len(ours) == 317
    for code, row in file10.iterrows():
        got = ours[code]
        assert got["n_published"] == 317 and got["n_current"] == 296
        assert got["published_code"] == code and got["rank_basis"] == "published"
        assert got["ranks_published"]["avg_score"] == row["IMD - Rank of average score"]
        assert got["headline_rank_measure"] == "avg_score"
    coventry = ours["E08000026"]
    assert (coventry["ranks_published"]["avg_score"], coventry["ranks_current"]["avg_score"]) \
        == (78, 75)


# --- all 317 authorities, from File 7's own deciles -----------------------------------------

def test_proportion_in_decile_1_and_its_rank_for_every_authority(ours):
    path = next((FULL_MIRROR / "iod2019_lsoa11").glob("*.csv"))
    raw = pd.read_csv(path)
    raw.columns = [" ".join(c.split()) for c in raw.columns]
    lad = raw["Local Authority District code (2019)"]
    for measure in measures.SUMMARY_MEASURE_IDS:
        label = measures.MEASURES[measure].label
        decile = raw[f"{label} Decile (where 1 is most deprived 10% of LSOAs)"]
        share = (decile == 1).groupby(lad).mean()
        rank = share.rank(method="min", ascending=False).astype(int)
        assert len(share) == 317
        for code in share.index:
            got = _block(ours[code], measure)
            assert math.isclose(got["prop_most_deprived_10"], share[code]), (measure, code)
            assert got["rank_prop_most_deprived_10"] == rank[code], (measure, code)


def test_reference_file_is_where_the_readme_says(file10):
    assert Path(REFERENCE).with_name("README.md").is_file()
    assert len(file10) == 8
