"""The national tables the build stores (``area``, ``summary``, ``summary_value``,
``decile_count``) and the services that read them instead of computing on a visit.

Golden figures on the mirror are MHCLG's: Coventry ranks 78th of 317 on average score in IoD
2019 (File 10), Blackpool 1st with 45.039.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from inequality import db, queries
from inequality.db import DatabaseDamaged
from inequality.services import summaries


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


@pytest.fixture(scope="module")
def mcon(mirror_db):
    with db.connect(mirror_db) as c:
        yield c


def _releases(c) -> list[str]:
    return list(queries.releases(c)["release"])


def test_stored_objects_are_what_the_computation_gives(con):
    """Every stored object (published, current, region, England) equals a fresh
    :func:`national_summaries` of the same database, through the compressed JSON."""
    for release in _releases(con):
        fresh = summaries.national_summaries(con, release)
        assert summaries.all_summaries(con, release) == fresh["published"]
        assert summaries.all_summaries(con, release, current=True) == fresh["current"]
        for obj in fresh["region"] + fresh["england"]:
            assert summaries.area_summary(con, obj["area_code"], release) == obj
        for obj in fresh["current"]:
            assert summaries.area_summary(con, obj["area_code"], release) == obj


def test_summary_value_rows_match_the_objects(con):
    release = _releases(con)[-1]
    values = con.execute("SELECT basis, area_code, measure, statistic, value, rank, n_areas "
                         "FROM summary_value WHERE release = ?", [release]).fetchall()
    by = {(b, a, m, s): (v, r, n) for b, a, m, s, v, r, n in values}
    for obj in summaries.all_summaries(con, release, current=True):
        for measure, statistic, value, rank in summaries.summary_values(obj):
            v, r, n = by[("current", obj["area_code"], measure, statistic)]
            assert (v, r, n) == (value, rank, obj["n_areas"])


def test_decile_counts_add_up_to_the_lsoas_of_each_release(con):
    rows = con.execute("""SELECT c.release, sum(c.n), r.lsoa_count FROM decile_count c
                          JOIN release r USING (release) WHERE c.measure = 'imd'
                          GROUP BY c.release, r.lsoa_count""").fetchall()
    assert rows
    for release, counted, ranked in rows:
        assert counted <= ranked, release
    tracking = summaries.decile_tracking(con, queries.ENGLAND)
    for release, counted, _ in rows:
        assert tracking["releases"][release]["lsoa_count"] == counted


def test_custom_values_rank_like_the_authority_they_equal(con):
    release = _releases(con)[-1]
    some = summaries.all_summaries(con, release, current=True)[0]
    ranks = summaries.rank_among_authorities(con, release, some)
    assert ranks["ranks_current"]["avg_score"] == some["rank_avg_score"]
    assert ranks["n_current"] == some["n_areas"]


def test_a_database_without_stored_summaries_says_rebuild(fixture_db, tmp_path):
    copy = tmp_path / "old.duckdb"
    shutil.copy2(fixture_db, copy)
    with duckdb.connect(str(copy)) as c:
        release = _releases(c)[-1]
        c.execute("DELETE FROM summary WHERE release = ?", [release])
    with db.connect(copy) as c:
        code = c.execute("SELECT min(area_code) FROM area WHERE area_type = 'lad'"
                         ).fetchone()[0]
        with pytest.raises(DatabaseDamaged, match=f"no stored summaries for {release}.*"
                                                  "inequality build"):
            summaries.area_summary(c, code, release)
        with pytest.raises(summaries.UnknownArea, match="is not loaded"):
            summaries.area_summary(c, code, "iod1999")


def test_mirror_golden_ranks_from_the_stored_tables(mcon):
    rank, n = mcon.execute("""SELECT rank, n_areas FROM summary_value WHERE release = 'iod2019'
                              AND basis = 'published' AND area_name = 'Coventry'
                              AND measure = 'imd' AND statistic = 'avg_score'""").fetchone()
    assert (rank, n) == (78, 317)
    top = summaries.area_summary(mcon, "E06000009", "iod2019", current=False)
    assert top["area_name"] == "Blackpool" and top["rank_avg_score"] == 1
    assert round(top["avg_score"], 3) == 45.039
    kinds = dict(mcon.execute("SELECT area_type, count(*) FROM area GROUP BY 1").fetchall())
    assert kinds == {"england": 1, "region": 9, "lad": 296}
