"""The hidden-deprivation service, its build cache, the `hidden` command and the page, on
the fixture database (Hartlepool E06000001, urban; Rutland E06000017, rural)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import duckdb
import esda
import numpy as np
import pandas as pd
import pytest
import shapely
from apptest import ok
from streamlit.testing.v1 import AppTest

from inequality import queries
from inequality.cli import main
from inequality.metrics.hidden import QUADRANTS, queen_weights
from inequality.present import hidden as shaped
from inequality.present import maps
from inequality.present.charts import hidden as charts
from inequality.services import hidden

ROOT = Path(__file__).resolve().parent.parent
HARTLEPOOL, RUTLAND = "E06000001", "E06000017"


@pytest.fixture(scope="module")
def con(fixture_db):
    with duckdb.connect(str(fixture_db), read_only=True) as c:
        yield c


# --- the build cache ------------------------------------------------------------------------

def test_build_caches_neighbours_and_lisa_for_boundary_releases(con):
    held = con.execute("""SELECT release, measure, count(*), any_value(permutations),
                                 any_value(seed), any_value(basis)
                          FROM lisa GROUP BY ALL ORDER BY 1, 2""").fetchall()
    got = {(r, m): (n, perms, seed, basis) for r, m, n, perms, seed, basis in held}
    n11 = con.execute("SELECT count(*) FROM iod_lsoa WHERE release = 'iod2019'").fetchone()[0]
    n21 = con.execute("SELECT count(*) FROM iod_lsoa WHERE release = 'iod2025'").fetchone()[0]
    # no iod2010 (2001 LSOAs have no boundaries); iod2015 has no Income domain in the mirror
    assert set(got) == {("iod2015", "imd"), ("iod2019", "imd"), ("iod2019", "income"),
                        ("iod2025", "imd"), ("iod2025", "income")}
    assert got[("iod2019", "imd")] == (n11, 999, 12345, "score")
    assert got[("iod2025", "income")][0] == n21
    pairs = con.execute("SELECT count(*) FROM lsoa_neighbour l JOIN lsoa_neighbour r ON "
                        "r.geography = l.geography AND r.lsoa_code = l.neighbour_code AND "
                        "r.neighbour_code = l.lsoa_code").fetchone()[0]
    total = con.execute("SELECT count(*) FROM lsoa_neighbour").fetchone()[0]
    assert total > 0 and pairs == total  # symmetric


def test_cached_lisa_equals_esda_run_directly_on_the_boundaries(con):
    # Rebuild the national queen weights from the stored boundaries, run esda.Moran_Local
    # directly with the same permutations and seed: the cache must match exactly.
    geo = queries.geometries(con, "lsoa21", None, "full")
    w, _ = queen_weights(shapely.from_wkb([bytes(b) for b in geo["wkb"]]),
                         geo["code"].tolist(), crs="EPSG:4326")
    ranks = queries.national_ranks(con, "iod2025", "imd").set_index("lsoa_code")
    y = ranks["score"].reindex(w.id_order).astype(float).to_numpy()
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = esda.Moran_Local(y, w, permutations=999, seed=hidden.SEED)
    cached = queries.lisa_values(con, "iod2025", "imd").set_index("lsoa_code").reindex(
        w.id_order)
    assert np.array_equal(cached["local_i"].to_numpy(), direct.Is)
    assert np.array_equal(cached["p_sim"].to_numpy(), direct.p_sim)
    assert cached["quadrant"].tolist() == [QUADRANTS[q] for q in direct.q]


def test_on_demand_lisa_equals_the_cache(con):
    cached = queries.lisa_values(con, "iod2019", "income").drop(columns=["permutations",
                                                                          "seed"])
    fresh = hidden.compute_national_lisa(con, "iod2019", "income")
    pd.testing.assert_frame_equal(fresh.reset_index(drop=True),
                                  cached[fresh.columns].reset_index(drop=True),
                                  check_dtype=False)
    # weights rebuilt from the stored neighbour table are the queen weights
    w = hidden.national_weights(con, "lsoa11")
    assert w.source == "build"


def test_inverted_rank_fallback_is_said(con):
    # IoD 2019 as loaded has ranks but no Employment score
    rep = hidden.report(con, RUTLAND, "iod2019", domains=("employment",))
    li = rep["lisa"]["employment"]
    assert li["basis"] == "inverted_rank" and li["source"] == "computed"
    assert any("inverted national rank" in n for n in rep["notes"])


# --- the report ----------------------------------------------------------------------------------

def test_report_shapes_and_flags_for_a_rural_authority(con):
    rep = hidden.report(con, RUTLAND, "iod2019")
    lsoas = rep["lsoas"]
    assert rep["area_name"] == "Rutland" and rep["lsoa_count"] == len(lsoas)
    assert set(lsoas["lsoa_code"]) == set(queries.lsoa_values(con, "iod2019", RUTLAND)
                                          ["lsoa_code"])
    # every flagged LSOA has at least one reason, and only flagged ones do
    assert (lsoas["flagged"] == lsoas["reasons"].map(bool)).all()
    flagged = rep["flagged"]
    assert len(flagged) == rep["summary"]["flagged_count"]
    assert list(flagged.columns[:9]) == ["lsoa_code", "lsoa_name", "ward_name", "ruc_class",
                                         "imd_decile", "reasons", "lisa_quadrant", "lisa_p",
                                         "lisa_q"]
    assert flagged["ward_name"].notna().all()  # 2024 wards through the 2011->2021 lookup
    # masked pockets really are IMD decile >= 4 with a domain in decile 1-2
    for _, r in lsoas[lsoas["masked"]].iterrows():
        assert r["imd_decile"] >= 4
        assert any(r[f"{m}_decile"] <= 2 for m in r["masked_domains"])
    # q over the place: BH over Rutland's own p-values
    assert np.allclose(lsoas["imd_lisa_q"], hidden.hm.fdr_q_values(lsoas["imd_lisa_p"]))
    assert rep["profile"]["profile"] in hidden.hm.ONS_PROFILES
    assert rep["profile"]["global_moran"]["n"] == len(lsoas)


def test_income_deprived_outside_deprived_places_by_hand(con):
    rep = hidden.report(con, HARTLEPOOL, "iod2019")
    v = queries.lsoa_values(con, "iod2019", HARTLEPOOL)
    people = v["income_score"] * v["pop_total"]
    outside20 = people[v["imd_decile"] > 2].sum() / people.sum()
    table = rep["outside"]["income"]["table"].set_index("max_decile")
    assert rep["outside"]["income"]["available"]
    assert table.loc[2, "share_outside"] == pytest.approx(outside20)
    assert table.loc[1, "deprived_total"] == pytest.approx(people.sum())


@pytest.mark.parametrize("release,key,words", [
    ("iod2025", "outside_income", "no total population"),
    ("iod2019", "outside_employment", "no Employment score"),
    ("iod2015", "outside_income", "no Income domain"),
    ("iod2010", "lisa_imd", "2001 LSOAs"),
    ("iod2010", "rural_urban", "no Rural-Urban Classification"),
])
def test_not_available_says_why(con, release, key, words):
    rep = hidden.report(con, RUTLAND, release)
    assert words in rep["unavailable"][key]


def test_no_population_means_not_available_never_a_guess(con):
    o = hidden.report(con, RUTLAND, "iod2025")["outside"]["income"]
    assert not o["available"] and o["table"] is None
    assert "population" in o["reason"] and "estimate" not in o
    assert shaped.outside_frame(o) is None


def test_ward_and_custom_sets(con):
    wards = hidden.wards(con, "iod2025")
    ward = wards[wards["lad24_code"] == RUTLAND].iloc[0]
    rep = hidden.report(con, ward["ward_code"], "iod2025")
    assert rep["area_type"] == "ward" and rep["lsoa_count"] == ward["lsoa_count"]
    assert ward["ward_name"] in rep["area_name"]
    codes = queries.lsoa_values(con, "iod2025", HARTLEPOOL)["lsoa_code"].tolist()[:7]
    custom = hidden.report(con, None, "iod2025", lsoa_codes=codes)
    assert custom["area_type"] == "custom" and custom["lsoa_count"] == 7
    # LISA is national: a custom subset sees the same local statistics as its authority
    whole = hidden.report(con, HARTLEPOOL, "iod2025")["lsoas"].set_index("lsoa_code")
    part = custom["lsoas"].set_index("lsoa_code")
    assert np.array_equal(part["imd_lisa_i"], whole.loc[part.index, "imd_lisa_i"])


def test_unknown_places_name_the_rule(con):
    with pytest.raises(hidden.UnknownArea, match="not a current .2024. local authority"):
        hidden.report(con, "E12000001", "iod2025")
    with pytest.raises(hidden.UnknownArea, match="release 'iod1999' is not loaded"):
        hidden.report(con, RUTLAND, "iod1999")
    with pytest.raises(hidden.UnknownArea, match="ward 'E05999999'"):
        hidden.report(con, "E05999999", "iod2025")
    with pytest.raises(hidden.UnknownArea, match="E01999999"):
        hidden.report(con, None, "iod2025", lsoa_codes=["E01999999"])


def test_json_is_strict_and_quotable(con):
    rep = hidden.report(con, HARTLEPOOL, "iod2019")
    text = json.dumps(hidden.to_json(rep), allow_nan=False)
    back = json.loads(text)
    assert back["flagged"] and all(isinstance(r["reasons"], list) for r in back["flagged"])
    assert any("income-deprived people" in q for q in back["quotable"])


def test_map_highlights_flagged_and_explains(con):
    rep = hidden.report(con, RUTLAND, "iod2025")
    frame, _notes = hidden.map_frame(con, rep)
    deck, legend = maps.hidden_deck(frame, rep["n_national"])
    text = deck.to_json()
    spec = json.loads(text)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[0] == "hidden-lsoas"
    fill = spec["layers"][0]["data"]
    assert len({row["code"] for row in fill}) == rep["lsoa_count"]
    first = rep["flagged"].iloc[0]
    row = next(r for r in fill if r["code"] == first["lsoa_code"])
    assert row["why"].startswith("• ") and row["imd"] == first["imd_decile"]
    strong = rep["flagged"][rep["flagged"]["reason_tags"].map(
        lambda t: any(x in hidden.STRONG_TAGS for x in t))]
    assert len(strong) == rep["summary"]["strong_count"]
    if len(strong):
        outlined = {r["code"] for r in
                    maps.layer_data(spec["layers"][ids.index("flagged")]["data"])}
        assert outlined == set(strong["lsoa_code"])
    thin = len(rep["flagged"]) - len(strong)
    assert ("flagged-other" in ids) == (thin > 0)
    assert "{why}" in deck._tooltip["html"]
    assert "Thick orange outline" in legend


# --- the page's tables and charts (inequality.present) ------------------------------------------

def test_rural_urban_frames_split_each_group_across_the_ten_deciles(con):
    rep = hidden.report(con, RUTLAND, "iod2019")
    long, table = shaped.rural_urban_frames(rep)
    ru = rep["rural_urban"]
    groups = ru[ru["level"] != "all"]
    assert len(table) == len(groups) and len(long) == 10 * len(groups)
    assert table["rural-urban class"].tolist()[:2] == ["All Rural", "All Urban"]
    by_group = long.groupby("group", sort=False)
    assert (by_group.size() == 10).all()
    assert np.allclose(by_group["share"].sum(), 1.0)
    assert by_group["lsoas"].sum().tolist() == table["LSOAs"].tolist()
    assert table["LSOAs"].tolist() == groups["lsoa_count"].tolist()
    assert long["decile_label"].iloc[0] == "1 most deprived"
    spec = charts.rural_urban_chart(long).to_dict()
    assert spec["encoding"]["y"]["sort"] == table["rural-urban class"].tolist()
    # IoD 2010 (2001 LSOAs) has no rural-urban classification
    assert shaped.rural_urban_frames(hidden.report(con, RUTLAND, "iod2010")) is None


def test_outside_frame_people_and_shares_match_the_report(con):
    o = hidden.report(con, HARTLEPOOL, "iod2019")["outside"]["income"]
    frame = shaped.outside_frame(o)
    t = o["table"].set_index("max_decile")
    assert frame["threshold"].tolist() == ["most deprived 10%"] * 2 + ["most deprived 20%"] * 2
    assert np.allclose(frame.groupby("threshold")["share"].sum(), 1.0)
    outside = frame[frame["where"].str.startswith("outside")]
    assert outside["share"].tolist() == pytest.approx(t["share_outside"].tolist())
    assert outside["people"].tolist() == [round(x) for x in t["deprived_outside"]]
    spec = charts.outside_chart(frame).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["inside", "outside"]


def test_profile_frame_is_the_place_beside_its_ons_template(con):
    rep = hidden.report(con, RUTLAND, "iod2019")
    frame = shaped.profile_frame(rep)
    prof = rep["profile"]
    assert frame["decile"].tolist() == list(range(1, 11))
    assert frame["lsoas"].sum() == rep["lsoa_count"]
    assert frame["share"].tolist() == pytest.approx(prof["deciles"]["share"].tolist())
    assert frame["template"].tolist() == pytest.approx(
        [x / 100 for x in shaped.ONS_PROFILES[prof["profile"]][1]])
    spec = charts.profile_chart(frame, prof["profile_label"]).to_dict()
    assert len(spec["layer"]) == 2


def test_local_national_frame_lists_every_lsoa_by_national_rank(con):
    rep = hidden.report(con, HARTLEPOOL, "iod2025")
    frame = shaped.local_national_frame(rep)
    assert len(frame) == rep["lsoa_count"]
    assert set(frame["LSOA"]) == set(rep["lsoas"]["lsoa_code"])
    assert frame["national IMD rank"].is_monotonic_increasing
    assert frame["flagged"].sum() == rep["summary"]["flagged_count"]
    assert frame["decile within the place"].between(1, 10).all()


def test_flagged_csv_and_markdown_carry_every_reason(con):
    rep = hidden.report(con, HARTLEPOOL, "iod2019")
    flagged = rep["flagged"]
    flat = shaped.flagged_csv_frame(rep)
    assert flat["lsoa_code"].tolist() == flagged["lsoa_code"].tolist()
    assert [r.split(" | ") for r in flat["reasons"]] == [list(r) for r in flagged["reasons"]]
    assert [t.split(", ") for t in flat["reason_tags"]] == [list(t) for t in
                                                            flagged["reason_tags"]]
    text = shaped.reasons_markdown(flagged)
    assert text.count("\n- **") + 1 == len(flagged)
    assert text.count("\n    - ") == sum(len(r) for r in flagged["reasons"])
    for r in flagged.itertuples():
        assert f"({r.lsoa_code})" in text and f"IMD decile {r.imd_decile}:" in text
    assert shaped.reasons_markdown(flagged.iloc[0:0]) == ""


# --- layers --------------------------------------------------------------------------------------

def _modules_after(statement: str) -> set[str]:
    """Top-level and inequality modules a fresh interpreter holds after ``statement``."""
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    return set(out.split())


def test_the_build_imports_no_service_and_the_services_draw_nothing():
    after_build = _modules_after("import inequality.etl.build")
    assert "inequality.etl.spatial" in after_build
    assert not {m for m in after_build if m.startswith("inequality.services")}
    after_services = _modules_after("import inequality.services.hidden, "
                                    "inequality.services.health")
    drawing = {"altair", "pydeck", "matplotlib", "jinja2", "weasyprint", "streamlit"}
    assert not drawing & {m.split(".")[0] for m in after_services}
    assert not {m for m in after_services if m.startswith(("inequality.etl.build",
                                                            "inequality.present"))}


# --- the command ---------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_hidden_json(capsys, fixture_db):
    code, out, _ = run(capsys, "hidden", RUTLAND, "--release", "iod2019", "--json",
                       "--db", str(fixture_db))
    assert code == 0
    data = json.loads(out)
    assert data["area_code"] == RUTLAND and data["release"] == "iod2019"
    needed = {"lsoa_code", "lsoa_name", "ward_name", "ruc_class", "imd_decile", "reasons",
              "lisa_quadrant", "lisa_p", "lisa_q"}
    assert data["flagged"] and needed <= set(data["flagged"][0])
    assert {"profile", "outside", "rural_urban", "lisa", "summary"} <= set(data)


def test_cli_hidden_text(capsys, fixture_db):
    code, out, _ = run(capsys, "hidden", HARTLEPOOL, "--db", str(fixture_db))
    assert code == 0
    assert "Hartlepool (E06000001), iod2025" in out and "flagged LSOAs:" in out


@pytest.mark.parametrize("area,words", [("E07999999", "is not the code or name of"),
                                        ("E12000001", "within one authority or ward")])
def test_cli_hidden_unknown_area_is_usage_error(capsys, fixture_db, area, words):
    code, _, err = run(capsys, "hidden", area, "--db", str(fixture_db))
    assert code == 2 and words in err


# --- the page ------------------------------------------------------------------------------------





def test_page_runs_and_the_area_widget_drives_it(app_db):
    at = ok(AppTest.from_file(str(ROOT / "pages" / "hidden.py"), default_timeout=120).run())
    assert at.title[0].value == "Rural & hidden deprivation"
    assert any("local authority or ward" in i.value for i in at.info)  # England by default
    ok(at.selectbox(key="area").set_value(RUTLAND).run())
    assert at.header[0].value.startswith("Rutland, IoD")
    assert at.get("deck_gl_json_chart"), "no map"
    assert len(at.dataframe) >= 3  # flagged list, rural/urban, local vs national
    assert any(b.label == "Download CSV" for b in at.get("download_button"))
    ok(at.selectbox(key="release").set_value("iod2019").run())
    assert at.header[0].value == "Rutland, IoD 2019"
    ok(at.radio(key="hidden_by").set_value("Ward").run())
    assert "ward" in at.header[0].value


def test_page_from_a_link_and_for_iod2010(app_db):
    at = AppTest.from_file(str(ROOT / "pages" / "hidden.py"), default_timeout=120)
    at.query_params["area"] = HARTLEPOOL
    at.query_params["release"] = "iod2010"
    ok(at.run())
    assert at.header[0].value == "Hartlepool, IoD 2010"
    words = " ".join(str(e.value) for kind in ("info", "warning", "caption", "markdown")
                     for e in getattr(at, kind))
    assert "2001 LSOAs" in words


def test_filters_start_afresh_for_each_place_and_the_count_is_shown(app_db):
    import json

    at = AppTest.from_file(str(ROOT / "pages" / "hidden.py"), default_timeout=120)
    at.query_params["area"] = HARTLEPOOL
    ok(at.run())
    tags = next(m for m in at.multiselect if m.key.startswith("hidden_tags_"))
    ok(tags.set_value(tags.options[:1] if len(tags.options) > 1 else []).run())  # narrow it
    ok(at.selectbox(key="area").set_value(RUTLAND).run())
    tags = next(m for m in at.multiselect if m.key.startswith("hidden_tags_"))
    assert len(tags.value) == len(tags.options)  # Rutland starts with every reason
    caption = next(c.value for c in at.caption if "flagged neighbourhoods shown" in c.value)
    shown, total = (int(x) for x in caption.split(" flagged")[0].split(" of "))
    assert shown == total
    labels = [m.label for m in at.metric]
    assert {"Deprived places", "Hidden by the overall index", "Far from services"} <= set(labels)
    assert "Moran's I" not in labels  # in words on the page, the statistic in a methods note
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec.get("mapStyle") == "__MAP_STYLE__" and "mapProvider" not in spec  # no fetch
