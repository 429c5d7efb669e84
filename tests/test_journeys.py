"""The three users' journeys (issue 14) on the fixture database: figures a release cannot give
come from the latest release that has them, labelled; places with no neighbourhood in the most
deprived 10% get measures that move."""

from __future__ import annotations

from apptest import ok, run_page, texts

HARTLEPOOL, RUTLAND = "E06000001", "E06000017"


def test_a_measure_the_release_lacks_comes_from_the_latest_release_that_has_it(app_db):
    at = ok(run_page("pages/overview.py", area=HARTLEPOOL, release="iod2025"))
    summary = at.table[0].value
    score = summary.loc["Average score"].iloc[0]
    assert "from IoD 2019, the latest release that has it" in score
    assert float(score.split(" ")[0]) > 0


def test_places_without_a_decile_1_neighbourhood_get_measures_that_move(app_db):
    at = ok(run_page("pages/deciles.py", area=RUTLAND))
    assert "says little" in texts(at)  # Rutland has no LSOA in decile 1 in any release
    beyond = next(d.value for d in at.dataframe
                  if "in the most deprived 20%" in d.value.columns)
    assert (beyond["in the most deprived 10%"] == 0).all()
    assert beyond["most deprived neighbourhood's decile"].between(2, 10).all()


def test_data_page_has_a_glossary_and_no_server_path(app_db):
    at = ok(run_page("pages/data.py"))
    words = texts(at)
    assert "Glossary" in [h.value for h in at.subheader] and "Decile" in words
    assert str(app_db.parent) not in words and "/tmp/" not in words and "/work/" not in words


def test_hidden_people_come_from_the_latest_release_with_population_figures(app_db):
    at = ok(run_page("pages/hidden.py", area=HARTLEPOOL, release="iod2025"))
    card = next(m for m in at.metric if m.label == "Missed by area targeting")
    assert card.value.endswith("%")
    assert "From IoD 2019, the latest release with population figures" in texts(at)
