"""Briefings: HTML and PDF from the report CLI, sentences built from the figures."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from inequality.services import summaries
from inequality import db
from inequality.present import report
from inequality.cli import main


@pytest.fixture(scope="module")
def con(fixture_db):
    with db.connect(fixture_db) as c:
        yield c


def test_report_cli_writes_html(fixture_db, tmp_path, capsys):
    out = tmp_path / "hartlepool.html"
    code = main(["report", "E06000001", "--release", "iod2019", "--db", str(fixture_db),
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    html = out.read_text()
    assert "Hartlepool: deprivation and health briefing" in html
    assert html.count('<img src="data:image/png;base64,') == 1  # the map; the rest: annex
    assert 'alt="Map of the 58 neighbourhoods' in html
    assert "Open Government Licence" in html and "IoD 2019" in html
    assert "relative measure" not in html and "annex" in html
    annexed = tmp_path / "hartlepool_annex.html"
    assert main(["report", "hartlepool", "--release", "iod2019", "--db", str(fixture_db),
                 "--out", str(annexed), "--annex"]) == 0
    full = annexed.read_text()
    assert full.count('<img src="data:image/png;base64,') == 2
    assert "relative measure" in full and "Sources and licence" in full


def _pdf_pages_and_text(path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout
    return pages, words


@pytest.mark.parametrize("args", [["E06000001"], ["E06000017"], ["E05012180"],
                                  ["Our patch & more", "--lsoas"]],
                         ids=["authority", "rural authority", "ward", "custom area"])
def test_the_briefing_is_one_page_and_the_annex_follows(fixture_db, con, tmp_path, args):
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("pdfinfo/pdftotext (Debian poppler-utils) not installed")
    if args[-1] == "--lsoas":
        args = args + [r[0] for r in con.execute(
            "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND "
            "lad24_code = 'E06000017' ORDER BY 1 LIMIT 6").fetchall()]
    elif args[0].startswith("E05"):
        ward = con.execute("SELECT min(ward_code) FROM lsoa WHERE geography = 'lsoa21' AND "
                           "lad24_code = 'E06000001'").fetchone()[0]
        args = [ward]
    one, annexed = tmp_path / "one.pdf", tmp_path / "annex.pdf"
    assert main(["report", *args, "--db", str(fixture_db), "--out", str(one)]) == 0
    assert main(["report", *args, "--db", str(fixture_db), "--out", str(annexed),
                 "--annex"]) == 0
    pages, words = _pdf_pages_and_text(one)
    assert pages == 1, f"the briefing runs to {pages} pages"
    assert "Key points" in words and "Headline measures" in words
    assert not any(e in words for e in ("&amp;", "&#39;", "&quot;", "&lt;"))
    annex_pages, annex_words = _pdf_pages_and_text(annexed)
    assert annex_pages > 1 and "Sources and licence" in annex_words


def test_report_cli_writes_a_pdf_that_renders(fixture_db, tmp_path, capsys):
    out = tmp_path / "rutland.pdf"
    code = main(["report", "E06000017", "--db", str(fixture_db), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes()[:5] == b"%PDF-"
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian poppler-utils) not installed: PDF not rasterised")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.stat().st_size > 5_000 for p in pages)


def test_report_for_custom_lsoas(fixture_db, con, tmp_path, capsys):
    codes = [r[0] for r in con.execute(
        "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND lad24_code = 'E06000017' "
        "LIMIT 6").fetchall()]
    out = tmp_path / "patch.html"
    code = main(["report", "Our patch", "--lsoas", *codes, "--release", "iod2025", "--db",
                 str(fixture_db), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    html = out.read_text()
    assert "Our patch: deprivation and health briefing" in html
    assert "community-defined area of 6 LSOAs" in html and "mostly in Rutland" in html


def test_report_rejects_bad_output_and_area(fixture_db, tmp_path, capsys):
    assert main(["report", "E06000001", "--db", str(fixture_db), "--out",
                 str(tmp_path / "x.docx")]) == 2
    assert "must end in .html or .pdf" in capsys.readouterr().err
    assert main(["report", "E0600000", "--db", str(fixture_db), "--out",
                 str(tmp_path / "x.html")]) == 2


def test_sentences_quote_the_computed_figures(con):
    s = summaries.area_summary(con, "E06000001", "iod2019")
    t = summaries.decile_tracking(con, "E06000001")
    e = summaries.area_summary(con, "E92000001", "iod2019")
    text = " ".join(report.headline_sentences("Hartlepool", s, t, e))
    assert f"{100 * s['prop_most_deprived_10']:.1f}% of Hartlepool's 58 neighbourhoods" in text
    assert f"{s['avg_score']:.1f}, above England's {e['avg_score']:.1f}" in text
    shares = {r: v["shares"]["1"] for r, v in t["releases"].items()}
    assert (f"from {100 * shares['iod2015']:.1f}% in the IoD 2015 to "
            f"{100 * shares['iod2019']:.1f}% in the IoD 2019") in text


def test_no_neighbourhood_in_decile_1_is_said_plainly():
    s = {"release": "iod2025", "lsoa_count": 7, "prop_most_deprived_10": 0.0,
         "rank_prop_most_deprived_10": 193, "n_areas": 296, "area_code": None}
    text = report.headline_sentences("Ashburton", s, {"releases": {}}, {})
    assert text == ["In the IoD 2025, none of Ashburton's 7 neighbourhoods (LSOAs) was among "
                    "the 10% most deprived in England."]


def test_change_sentence_compares_the_chosen_release_with_the_one_before(con):
    s = summaries.area_summary(con, "E06000001", "iod2019")
    t = summaries.decile_tracking(con, "E06000001")
    text = " ".join(report.headline_sentences("Hartlepool", s, t, {}))
    assert "in the IoD 2015 to" in text and "in the IoD 2019" in text
    assert "IoD 2025" not in text
