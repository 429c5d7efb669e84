"""The app as an adversary meets it (issue 11): a rebuilt database is followed at once, text a
visitor controls never becomes a link or an image, a custom area has one size cap, and the
briefing's page footer shows a name as typed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from apptest import ok, run_page

from inequality.app import cache
from inequality.present import text
from inequality.services import custom_areas

HOSTILE = ["[Click](http://evil.example)", "![x](http://host/p.gif)",
           "<img src=http://host/q.gif>", ":red[alarm] $x^2$ **bold**",
           "=HYPERLINK(\"http://evil.example\")"]


def _unescaped(markdown: str) -> str:
    """The Markdown source with every backslash-escaped character removed: what is left is
    what Markdown would act on."""
    return re.sub(r"\\.", "", markdown)


def _markup_from(value: str, shown: str) -> bool:
    """Whether Markdown ``shown`` lets the visitor's ``value`` act as markup (a link, an
    image or an HTML tag)."""
    raw = _unescaped(shown)
    return "](" in raw or "<img" in raw or "<a " in raw or "[Click]" in raw


def _markdown_of(at) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "header",
             "subheader")
    return [str(e.value) for k in kinds for e in getattr(at, k)]


# --- the database is followed across rebuilds -----------------------------------------------

def _open_files(path: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    out = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(path)):
            out.append(target)
    return out


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_a_replaced_database_is_shown_at_once_and_the_old_file_released(fixture_db, tmp_path,
                                                                          monkeypatch):
    import streamlit as st

    live = tmp_path / "inequality.duckdb"
    shutil.copy(fixture_db, live)
    monkeypatch.setenv("INEQUALITY_DB", str(live))
    st.cache_data.clear()
    st.cache_resource.clear()
    cache.close()
    first = ok(run_page("pages/data.py"))
    before = " ".join(c.value for c in first.caption)
    assert "Database: built" in before

    # a "rebuild": a new file with another build time replaces the old one atomically
    new = tmp_path / "inequality.duckdb.tmp-1"
    shutil.copy(fixture_db, new)
    with duckdb.connect(str(new)) as con:
        con.execute("UPDATE build_info SET value = '2031-01-02T03:04:05+00:00' "
                    "WHERE key = 'built_at'")
    os.replace(new, live)

    second = ok(run_page("pages/data.py"))
    after = " ".join(c.value for c in second.caption)
    assert "2031-01-02T03:04:05" in after and "2031-01-02T03:04:05" not in before
    assert not [f for f in _open_files(tmp_path) if f.endswith("(deleted)")], \
        "the replaced database file is still held open"
    cache.close()


# --- visitor text is shown as text ----------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_plain_neutralises_markup(value):
    shown = text.plain(value)
    assert not _markup_from(value, shown)
    assert re.sub(r"\\(.)", r"\1", shown) == value  # and reads exactly as typed


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/map.py", "pages/deciles.py"])
@pytest.mark.parametrize("value", HOSTILE[:3])
def test_a_hostile_link_parameter_is_shown_as_text(app_db, page, value):
    at = ok(run_page(page, area=value, release=value, measure=value))
    shown = _markdown_of(at)
    assert any("link asks for" in s for s in shown)  # the fallback note is there ...
    assert not any(_markup_from(value, s) for s in shown)  # ... and carries no markup


@pytest.fixture(scope="module")
def some_lsoa21(fixture_db) -> tuple[str, ...]:
    """Three 2021 LSOAs of the fixture database."""
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        return tuple(r[0] for r in con.execute(
            "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' ORDER BY 1 LIMIT 3"
        ).fetchall())


@pytest.mark.parametrize("name", HOSTILE[:4])
def test_a_hostile_custom_area_name_is_shown_as_text(app_db, some_lsoa21, name):
    area = custom_areas.CustomArea(name, "lsoa21", some_lsoa21)
    at = ok(run_page("pages/briefing.py", custom=area.to_query()))
    shown = _markdown_of(at)
    assert any(text.plain(name) in s for s in shown)  # the name is on the page ...
    assert not any(_markup_from(name, s) for s in shown)  # ... as text only


# --- one cap on the size of a custom area ---------------------------------------------------

def test_custom_areas_are_capped_the_same_way_for_links_pastes_and_uploads(fixture_db):
    codes = tuple(f"E01{n:06d}" for n in range(1, custom_areas.MAX_CODES + 2))
    rule = f"more than a custom area may hold \\({custom_areas.MAX_CODES:,}\\)"
    with pytest.raises(custom_areas.CustomAreaError, match=rule):
        custom_areas.CustomArea("Too big", "lsoa21", codes)  # a link or a saved file
    with pytest.raises(custom_areas.CustomAreaError, match=rule):
        custom_areas.CustomArea.from_query("Too big|lsoa21|" + ",".join(codes))
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        with pytest.raises(custom_areas.CustomAreaError, match=rule):
            custom_areas.make_area(con, "Too big", list(codes))  # a paste or an upload
    finally:
        con.close()
    assert custom_areas.CustomArea("Fits", "lsoa21", codes[:custom_areas.MAX_CODES])


# --- the briefing footer --------------------------------------------------------------------

def test_the_pdf_footer_shows_a_name_as_typed(tmp_path):
    from inequality.present.report import write_pdf

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    html = render_html_footer_only("Ashburton & Buckfastleigh's \"patch\"")
    assert "&amp;" not in html.split("<style>")[1].split("</style>")[0]
    pdf = tmp_path / "b.pdf"
    write_pdf(html, pdf)
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "Ashburton & Buckfastleigh's \"patch\" briefing" in words
    assert "&amp;" not in words and "&#39;" not in words


def render_html_footer_only(name: str) -> str:
    """The briefing template's head (its page rules and footer), rendered for ``name``; the
    whole page is tested with real figures in tests/test_report.py."""
    from inequality.present import report

    source = (Path(report.__file__).parent / "templates" / "briefing.html").read_text()
    head = source[:source.index("</style>") + len("</style>")]
    return report._ENV.from_string(head + "<p>{{ b.place.name }}</p></head></html>").render(
        b={"place": {"name": name}, "release_label": "IoD 2025", "title": name})


def test_a_damaged_database_is_named_in_one_sentence_with_the_fix(fixture_db, tmp_path,
                                                                    monkeypatch):
    import streamlit as st

    broken = tmp_path / "inequality.duckdb"
    broken.write_bytes(fixture_db.read_bytes()[: fixture_db.stat().st_size // 2])  # truncated
    monkeypatch.setenv("INEQUALITY_DB", str(broken))
    st.cache_data.clear()
    st.cache_resource.clear()
    cache.close()
    at = ok(run_page("pages/overview.py"))
    assert at.error and "damaged" in at.error[0].value
    assert "truncated" in at.text[0].value and "inequality build" in at.text[0].value
    assert "python -m inequality build" in at.code[0].value
    cache.close()
