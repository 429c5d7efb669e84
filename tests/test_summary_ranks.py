"""Summary objects: MHCLG's rank and the rank among today's authorities side by side, one
headline rank, estimated scales flagged, every missing population column named; and the
CLI text that shows them. On the fixture database (Hartlepool and Rutland: a miniature
England of two authorities, the same ones in every release)."""

from __future__ import annotations

import json

import pytest

from inequality import db
from inequality.cli import main
from inequality.etl.readers.iod import columns_for
from inequality.metrics import area as m
from inequality.services import custom_areas, summaries

CROSS = ("published_code", "published_name", "ranks_published", "n_published",
         "current_code", "current_name", "ranks_current", "n_current",
         "headline_rank_measure", "headline_rank_label", "rank_basis", "notes",
         "income_scale_estimated", "income_scale_precision", "employment_scale_estimated",
         "employment_scale_precision")


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


@pytest.mark.parametrize("current", [False, True])
def test_both_rankings_are_returned_and_labelled(con, current):
    rows = summaries.all_summaries(con, "iod2019", current=current)
    assert len(rows) == 2
    for s in rows:
        assert set(CROSS) <= set(s)
        assert s["rank_basis"] == ("current" if current else "published")
        assert s["published_code"] == s["current_code"] == s["area_code"]
        assert s["n_published"] == s["n_current"] == s["n_areas"] == 2
        own = s["ranks_current"] if current else s["ranks_published"]
        assert own == {k: s[f"rank_{k}"] for k in summaries.SUMMARY_MEASURES}
        assert s["headline_rank_measure"] == "avg_score"
        assert s["headline_rank_label"] == "rank of average score"
        assert s["notes"] == []
        for d in s["domains"].values():
            assert {"ranks_published", "n_published", "ranks_current", "n_current"} <= set(d)
    hartlepool = {s["area_code"]: s for s in rows}["E06000001"]
    assert hartlepool["ranks_published"]["avg_score"] == 1
    assert hartlepool["ranks_current"]["avg_score"] == 1


def test_region_and_england_carry_no_authority_ranks(con):
    eng = summaries.area_summary(con, "E92000001", "iod2019")
    reg = summaries.area_summary(con, "E12000001", "iod2019")
    for s in (eng, reg):
        assert set(CROSS) <= set(s)
        assert s["ranks_published"] is None and s["ranks_current"] is None
    assert reg["rank_basis"] == "region" and eng["rank_basis"] is None


def test_estimated_scales_are_rounded_and_flagged(con):
    s = summaries.area_summary(con, "E06000017", "iod2019")
    assert s["income_scale_estimated"] is True
    assert s["income_scale"] % s["income_scale_precision"] == 0
    assert s["employment_scale"] is None and s["employment_scale_estimated"] is None
    eng = summaries.area_summary(con, "E92000001", "iod2019")
    assert eng["income_scale_estimated"] is True
    assert eng["income_scale"] % eng["income_scale_precision"] == 0


def test_every_missing_population_column_is_named(con):
    """IoD 2025 in the mirror (and these fixtures) lacks all four population columns."""
    s = summaries.area_summary(con, "E06000017", "iod2025")
    headers = [c.headers[0] for c in columns_for("iod2025") if c.name.startswith("pop__")]
    assert len(headers) == 4
    for key in ("avg_rank", "avg_score", "extent", "local_concentration", "income_scale",
                "employment_scale"):
        for header in headers:
            assert repr(header) in s["unavailable"][key], (key, header)
    employment = s["domains"]["employment"]["unavailable"]["avg_rank"]
    assert "weighted by the working-age population" in employment
    idaci = s["domains"]["idaci"]["unavailable"]["extent"]
    assert "weighted by the children aged 0-15" in idaci


def test_custom_area_ranks_on_both_bases(con):
    codes = [r[0] for r in con.execute(
        "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa11' AND lad24_code = 'E06000001'"
    ).fetchall()]
    area = custom_areas.make_area(con, "Hartlepool again", codes)
    s = custom_areas.summary(con, area, "iod2019")
    ref = summaries.area_summary(con, "E06000001", "iod2019", current=True)
    assert s["ranks_current"] == ref["ranks_current"]
    assert s["ranks_published"] == ref["ranks_published"]
    assert s["n_published"] == s["n_current"] == s["n_areas"] == 2
    assert s["rank_avg_score"] == ref["rank_avg_score"] == 1
    assert s["income_scale"] == ref["income_scale"] and s["income_scale_estimated"] is True


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_shows_both_ranks_and_the_estimate(capsys, fixture_db):
    code, out, _ = _run(capsys, "summary", "E06000001", "--release", "iod2019", "--db",
                        str(fixture_db))
    assert code == 0
    assert ("rank of average score: 1st of 2 (MHCLG, iod2019 authorities) · 1st of 2 among "
            "today's authorities") in out
    code, js, _ = _run(capsys, "summary", "E06000001", "--release", "iod2019", "--db",
                       str(fixture_db), "--json")
    s = json.loads(js)
    assert f"about {s['income_scale']:,.0f} (estimated from the published rate)" in out
    assert s["income_scale"] == m.round_scale(s["income_scale"], s["income_scale_precision"])


def test_cli_deciles_text_states_the_assignment_rule(capsys, fixture_db):
    code, out, _ = _run(capsys, "deciles", "E06000001", "--db", str(fixture_db))
    assert code == 0
    assert f"How LSOAs are counted in today's authorities: {summaries.ASSIGNMENT_RULE}" in out
