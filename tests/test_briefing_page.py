"""The "Your area & briefing" page against the fixture database (Hartlepool and Rutland): a
custom area made from pasted or uploaded codes, wards or a saved file, restored from a link,
every measure shown for it, friendly errors for bad input, and a briefing to download.

Uses ``streamlit.testing.v1.AppTest`` like tests/test_app_pages.py; INEQUALITY_DB points at
the session's fixture database and the Streamlit caches are cleared around each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apptest import ok, run_page, seen, texts

from inequality.services import custom_areas
from inequality import queries
from inequality.db import connect

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/briefing.py"
HARTLEPOOL, RUTLAND, ENGLAND, NORTH_EAST = "E06000001", "E06000017", "E92000001", "E12000001"




@pytest.fixture(scope="module")
def rutland_codes(fixture_db) -> list[str]:
    """Five 2021 LSOAs of Rutland."""
    with connect(fixture_db) as con:
        return [r[0] for r in con.execute(
            "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND lad24_code = ? "
            "ORDER BY 1 LIMIT 5", [RUTLAND]).fetchall()]


@pytest.fixture(scope="module")
def oakham_south(fixture_db) -> tuple[str, list[str]]:
    """A Rutland ward (the one with most LSOAs) and its 2021 LSOAs."""
    with connect(fixture_db) as con:
        wards = queries.wards(con, RUTLAND).sort_values(["lsoa_count", "ward_code"],
                                                        ascending=[False, True])
        ward = wards.iloc[0]["ward_code"]
        return ward, queries.lsoas_of_ward(con, ward)


def page(**params) -> AppTest:
    return run_page(PAGE, 120, **params)


def area(at: AppTest) -> custom_areas.CustomArea | None:
    return at.session_state["brief_area"] if "brief_area" in at.session_state else None


def downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def paste(at: AppTest, text: str, button: str = "brief_use_codes") -> AppTest:
    if at.radio(key="brief_method").value != "codes":
        ok(at.radio(key="brief_method").set_value("codes").run())
    at.text_area(key="brief_paste").input(text).run()
    return ok(at.button(key=button).click().run())


def assert_every_measure_shown(at: AppTest, name: str) -> None:
    headers = [seen(h.value) for h in at.header]
    assert any(h.startswith(f"3. {name}: every measure") for h in headers), headers
    subs = [seen(h.value) for h in at.subheader]
    for wanted in ("Headline measures beside its authority and England", "Every domain",
                   "Deciles across releases", "Hidden deprivation and the rural/urban split"):
        assert wanted in subs, subs
    labels = [m.label for m in at.metric]
    assert {"Neighbourhoods (LSOAs)", "Most deprived 10%", "Would rank",
            "Home authority"} <= set(labels)
    assert "relative measure" in texts(at)
    assert "What you can say" in texts(at)
    summary = at.table[0].value
    assert "England" in summary.columns and "Would rank among 2 authorities" in " ".join(
        summary.columns)
    assert len(at.dataframe) >= 3  # domains, decile tracking, LSOA table (and more)
    assert {"GeoJSON (with boundaries)", "GeoPackage (for QGIS, ArcGIS)"} <= set(downloads(at))
    assert downloads(at).count("Download CSV") >= 5  # every table has its CSV
    assert "Contains public sector information" in texts(at)


# --- defining an area ---------------------------------------------------------------------

def test_page_runs_for_every_kind_of_place_without_an_area(app_db):
    for place in (HARTLEPOOL, RUTLAND, NORTH_EAST, ENGLAND):
        at = ok(page(area=place))
        assert area(at) is None
        assert "No area yet" in texts(at)
    assert "Pick a local authority above" in texts(at)  # England: no wards to choose


def test_pasted_codes_make_an_area_with_every_measure(app_db, rutland_codes):
    at = ok(page(area=RUTLAND, release="iod2019"))
    text = "lsoa21cd\n" + ",\n".join(rutland_codes) + "\nnot a code E0101"
    at = paste(at, text)
    made = area(at)
    assert made is not None and made.lsoa_codes == tuple(rutland_codes)
    assert made.geography == "lsoa21" and made.name == "My area"
    assert "Your area now has 5 LSOAs" in texts(at)
    assert_every_measure_shown(at, "My area")
    # the link carries the area, and opening it gives the same area back
    assert custom_areas.CustomArea.from_query(at.query_params["custom"]) == made
    assert at.query_params["area"] == RUTLAND and at.query_params["release"] == "iod2019"


def test_adding_codes_extends_the_area_and_renaming_updates_the_link(app_db, rutland_codes):
    at = paste(ok(page(area=RUTLAND)), " ".join(rutland_codes[:2]))
    at = paste(at, " ".join(rutland_codes[2:4]), button="brief_add_codes")
    assert area(at).lsoa_codes == tuple(rutland_codes[:4])
    ok(at.text_input(key="brief_name").input("Oakham | villages").run())
    assert area(at).name == "Oakham / villages"  # "|" separates the parts of a link
    ok(at.text_input(key="brief_name").input("Oakham & villages").run())
    assert area(at).name == "Oakham & villages"
    assert any(h.startswith("3. Oakham & villages") for h in (seen(h.value) for h in at.header))
    assert custom_areas.CustomArea.from_query(at.query_params["custom"]).name == "Oakham & villages"
    # a later replacement keeps the name the user typed
    at = paste(at, rutland_codes[4])
    assert area(at).lsoa_codes == (rutland_codes[4],) and area(at).name == "Oakham & villages"


def test_uploaded_csv_makes_an_area(app_db, rutland_codes):
    at = ok(page(area=RUTLAND))
    ok(at.radio(key="brief_method").set_value("codes").run())
    csv = ("code,name\n" + "\n".join(f"{c},somewhere" for c in rutland_codes)).encode()
    ok(at.file_uploader(key="brief_upload").set_value(("patch.csv", csv, "text/csv")).run())
    assert "Found 5 distinct LSOA code(s)" in texts(at)
    ok(at.button(key="brief_use_codes").click().run())
    assert area(at).lsoa_codes == tuple(rutland_codes)


@pytest.mark.parametrize("text, message", [
    ("hello world, E0101 and 12345", "no LSOA codes given"),
    ("E01999999", "none of the 1 codes is a known English LSOA"),
])
def test_malformed_paste_shows_an_error_not_an_exception(app_db, text, message):
    at = paste(ok(page(area=RUTLAND)), text)
    assert at.error and "Could not make the area" in seen(at.error[0].value)
    assert message in seen(at.error[0].value)
    assert area(at) is None and "custom" not in at.query_params


def test_codes_of_two_vintages_are_refused_with_the_rule(app_db, fixture_db):
    with connect(fixture_db) as con:
        new21, old11 = (con.execute(
            f"SELECT min(lsoa_code) FROM lsoa WHERE geography = '{a}' AND lsoa_code NOT IN "
            f"(SELECT lsoa_code FROM lsoa WHERE geography = '{b}')").fetchone()[0]
            for a, b in (("lsoa21", "lsoa11"), ("lsoa11", "lsoa21")))
    at = paste(ok(page(area=RUTLAND)), f"{new21} {old11}")
    assert at.error and "single vintage" in seen(at.error[0].value) and old11 in seen(at.error[0].value)
    assert area(at) is None


def test_wards_make_an_area(app_db, oakham_south):
    ward, codes = oakham_south
    at = ok(page(area=RUTLAND))
    assert at.radio(key="brief_method").value == "wards"
    ok(at.multiselect(key="brief_wards").set_value([ward]).run())
    assert f"{len(codes)} neighbourhoods (2021 LSOAs)" in texts(at)
    ok(at.button(key="brief_use_wards").click().run())
    made = area(at)
    assert made.lsoa_codes == tuple(codes)
    assert made.name.endswith("ward, Rutland")
    assert at.text_input(key="brief_name").value == made.name
    assert_every_measure_shown(at, made.name)
    assert custom_areas.CustomArea.from_query(at.query_params["custom"]) == made


def test_map_to_click_on_is_selectable(app_db):
    at = ok(page(area=HARTLEPOOL))
    ok(at.radio(key="brief_method").set_value("map").run())
    decks = at.get("deck_gl_json_chart")
    assert decks, "no map to click on"
    proto = decks[0].proto
    spec = json.loads(proto.json)
    assert spec["layers"][0]["id"] == "lsoas" and spec["layers"][0]["pickable"]
    assert {r["code"] for r in spec["layers"][0]["data"]} and proto.selection_mode
    assert "0 selected" in texts(at)
    # with an area, it is outlined on the map
    ok(at.radio(key="brief_method").set_value("codes").run())
    with connect(app_db) as con:
        codes = [r[0] for r in con.execute(
            "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND lad24_code = ? "
            "ORDER BY 1 LIMIT 3", [HARTLEPOOL]).fetchall()]
    at = paste(at, " ".join(codes))
    ok(at.radio(key="brief_method").set_value("map").run())
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "custom-area" in [layer["id"] for layer in spec["layers"]]
    assert "3 of its LSOAs are on this map" in texts(at)


def test_selected_codes_are_read_from_the_selection_state():
    from inequality.app import state
    chosen = {"selection": {"indices": {"lsoas": [0, 2, 3]},
                           "objects": {"lsoas": [{"code": "E01000002", "p": []},
                                                 {"code": "E01000001"},
                                                 {"code": "E01000002"}]}}}
    assert state.selected_codes(chosen) == ["E01000001", "E01000002"]
    assert state.selected_codes({"selection": {"indices": {}, "objects": {}}}) == []
    assert state.selected_codes(None) == []


# --- saving, loading and sharing ------------------------------------------------------------

@pytest.mark.parametrize("decoded", [True, False])
def test_a_custom_link_restores_the_area(app_db, rutland_codes, decoded):
    from urllib.parse import unquote
    linked = custom_areas.CustomArea("Our patch & more", "lsoa21", tuple(rutland_codes))
    # ?custom=<to_query()> in an address bar reaches the page decoded once; a value that
    # was encoded twice on the way still opens
    value = unquote(linked.to_query()) if decoded else linked.to_query()
    at = ok(page(custom=value))
    assert area(at) == linked
    assert at.query_params["custom"] == unquote(linked.to_query())
    assert at.text_input(key="brief_name").value == "Our patch & more"
    assert at.selectbox(key="area").value == RUTLAND  # its home authority
    assert_every_measure_shown(at, "Our patch & more")
    assert custom_areas.CustomArea.from_query(at.query_params["custom"]) == linked


@pytest.mark.parametrize("link, message", [
    ("garbage", "malformed"),
    ("Patch|lsoa21|E01999999", "are not LSOA21 LSOAs in the database (e.g. E01999999)"),
    ("Patch|lsoa99|E01013787", "geography 'lsoa99'"),
    ("Patch|lsoa21|", "has no LSOAs"),
])
def test_a_malformed_link_gives_a_friendly_message(app_db, link, message):
    at = ok(page(custom=link))
    assert at.error and "could not be opened" in seen(at.error[0].value)
    assert message in seen(at.error[0].value)
    assert area(at) is None and "custom" not in at.query_params


def test_a_saved_area_is_downloaded_and_opened_again(app_db, rutland_codes):
    at = paste(ok(page(area=RUTLAND)), " ".join(rutland_codes[:3]))
    assert "Save the area (JSON)" in downloads(at)
    saved = area(at).to_json().encode()
    fresh = ok(page(area=RUTLAND))
    ok(fresh.radio(key="brief_method").set_value("saved").run())
    ok(fresh.file_uploader(key="brief_json").set_value(("patch.json", saved,
                                                        "application/json")).run())
    ok(fresh.button(key="brief_open_json").click().run())
    assert area(fresh) == area(at)
    ok(fresh.file_uploader(key="brief_json").set_value(("bad.json", b"{not json",
                                                        "application/json")).run())
    ok(fresh.button(key="brief_open_json").click().run())
    assert fresh.error and "could not be opened as an area" in seen(fresh.error[0].value)


def test_an_area_too_long_for_a_link_offers_the_json(app_db, rutland_codes, monkeypatch):
    monkeypatch.setattr(custom_areas, "MAX_URL_CODES", 3)
    at = paste(ok(page(area=RUTLAND)), " ".join(rutland_codes))
    assert "custom" not in at.query_params
    assert "more than a link can carry" in texts(at)
    assert "Save the area (JSON)" in downloads(at)


def test_clearing_the_area_clears_the_link(app_db, rutland_codes):
    at = paste(ok(page(area=RUTLAND)), " ".join(rutland_codes))
    assert "custom" in at.query_params
    ok(at.button(key="brief_clear").click().run())
    assert area(at) is None and "custom" not in at.query_params
    assert "No area yet" in texts(at)


def test_older_releases_run_for_a_custom_area(app_db, rutland_codes):
    at = paste(ok(page(area=RUTLAND, release="iod2025")), " ".join(rutland_codes))
    for release in ("iod2010", "iod2015"):
        ok(at.selectbox(key="release").set_value(release).run())
        assert any(h.startswith("3. My area: every measure") for h in
                   (seen(h.value) for h in at.header))
        # IoD 2010 is on 2001 LSOAs, with no boundaries to map: the briefing uses a later one
        assert ("2001 neighbourhoods" in texts(at)) == (release == "iod2010")
    assert "Download CSV" in downloads(at)


# --- briefing ----------------------------------------------------------------------------

def make_briefing(at: AppTest, target: str) -> dict:
    ok(at.selectbox(key="brief_target").set_value(target).run())
    assert "One-page briefing (PDF)" not in downloads(at)  # built on click only
    ok(at.button(key="brief_make").click().run())
    assert not at.error, [e.value for e in at.error]
    assert {"One-page briefing (PDF)", "With the annex (PDF)",
            "One-page briefing (HTML)"} <= set(downloads(at))
    return at.session_state["brief_result"]


def test_briefing_for_the_authority_gives_html_and_pdf(app_db):
    at = ok(page(area=RUTLAND, release="iod2019"))
    result = make_briefing(at, f"area:{RUTLAND}")
    assert result["pdf"][:5] == b"%PDF-"
    assert "Rutland: deprivation and health briefing" in result["html"]
    assert "Rutland: deprivation and health briefing" in [seen(h.value) for h in at.subheader]
    assert "In the IoD 2019" in texts(at)  # its key sentences are on the page
    # still offered after another rerun, and withdrawn when the place changes
    ok(at.radio(key="brief_method").set_value("codes").run())
    assert "One-page briefing (PDF)" in downloads(at)
    ok(at.selectbox(key="brief_target").set_value(f"ward:{first_ward(app_db)}").run())
    assert "One-page briefing (PDF)" not in downloads(at)
    assert "made earlier was for another place" in texts(at)


def first_ward(fixture_db) -> str:
    with connect(fixture_db) as con:
        return queries.wards(con, RUTLAND)["ward_code"].iloc[0]


def test_briefing_for_a_ward(app_db, oakham_south):
    ward, _codes = oakham_south
    at = ok(page(area=RUTLAND))
    result = make_briefing(at, f"ward:{ward}")
    assert "ward, Rutland: deprivation and health briefing" in result["html"]
    assert result["pdf"][:5] == b"%PDF-"


def test_briefing_for_the_custom_area(app_db, rutland_codes):
    at = paste(ok(page(area=RUTLAND)), " ".join(rutland_codes))
    ok(at.text_input(key="brief_name").input("Our patch").run())
    assert at.selectbox(key="brief_target").value == "custom"
    result = make_briefing(at, "custom")
    assert "Our patch: deprivation and health briefing" in result["html"]
    assert result["file_stem"].startswith("briefing_our_patch_")
    assert "Health figures are for Rutland" in texts(at)


# --- navigation ----------------------------------------------------------------------------

def test_dashboard_lists_and_opens_the_page(app_db):
    from inequality.app import PAGES
    files = [p[0] for p in PAGES]
    assert files.index("briefing.py") == files.index("data.py") - 1
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run())
    ok(at.switch_page(PAGE).run())
    assert "Your area & briefing" in [t.value for t in at.title]


@pytest.mark.parametrize("path", ["pages/overview.py", "pages/deciles.py",
                                  "pages/health_gap.py", "pages/hidden.py"])
def test_every_area_page_offers_a_one_click_briefing(app_db, path):
    at = ok(run_page(path, area=RUTLAND))
    assert "Briefing for this area (PDF)" in downloads(at)
    assert "Briefing for this area (PDF)" not in downloads(ok(run_page(path, area=ENGLAND)))


def test_the_annex_pdf_is_made_on_demand_and_follows_the_page(app_db, tmp_path):
    import shutil
    import subprocess

    from inequality.app import data

    pdf = data.briefing_annex_pdf(("area", RUTLAND), "iod2025")
    assert pdf[:5] == b"%PDF-"
    if shutil.which("pdfinfo"):
        (tmp_path / "annex.pdf").write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(tmp_path / "annex.pdf")], capture_output=True,
                              text=True, check=True).stdout
        assert int(next(ln.split()[-1] for ln in info.splitlines()
                        if ln.startswith("Pages:"))) > 1
