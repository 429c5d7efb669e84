"""The map really draws: run the app on the fixture database, open the map page in headless
Debian chromium, and count the coloured pixels of the deck.gl canvas.

Skipped when /usr/bin/chromium or /usr/bin/chromedriver is missing. Every wait is bounded and
the server subprocess is always terminated. The screenshot goes to tests/artifacts/map.png
(git-ignored) for a human to look at.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian chromium and chromedriver at /usr/bin/chromium and "
           "/usr/bin/chromedriver (apt-get install chromium chromium-driver)")

SERVER_START_TIMEOUT = 60
DRAW_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer within {SERVER_START_TIMEOUT} s:\n"
                       f"{log.read_text()}")


@pytest.fixture
def app_url(fixture_db, tmp_path):
    """The dashboard started as `make run` starts it (``python dashboard.py``), on a free port,
    on the fixture database."""
    yield from _serve(fixture_db, tmp_path)


def _serve(db: Path, tmp_path: Path):
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "INEQUALITY_DB": str(db), "PYTHONPATH": str(ROOT)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "dashboard.py",
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--window-size=1400,1600",
                "--enable-unsafe-swiftshader"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _coloured_pixels(png: bytes) -> tuple[int, int, int]:
    """(pixels that are not the white background, total pixels, distinct palette colours)."""
    from PIL import Image

    from inequality.present.maps import VIRIDIS_10, hex_to_rgb

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]
    coloured = sum(1 for r, g, b in pixels if (255 - r) + (255 - g) + (255 - b) > 60)
    palette = [hex_to_rgb(c) for c in VIRIDIS_10]
    seen = set()
    for r, g, b in pixels[::7]:
        for i, (pr, pg, pb) in enumerate(palette):
            if abs(r - pr) + abs(g - pg) + abs(b - pb) < 40:
                seen.add(i)
    return coloured, len(pixels), len(seen)


def _deck_canvas(wait):
    """The map's deck.gl canvas, once the page shows it."""
    from selenium.webdriver.common.by import By

    return wait.until(lambda d: d.find_elements(
        By.CSS_SELECTOR, "[data-testid='stDeckGlJsonChart'] canvas#deckgl-overlay"))[0]


def _wait_until_drawn(browser, wait, canvas, fraction: float, palette: int, name: str
                      ) -> tuple[int, int, int]:
    """Scroll to ``canvas`` and wait until more than ``fraction`` of it is coloured with at
    least ``palette`` palette colours; the page and the canvas are saved as
    ``tests/artifacts/<name>.png`` and ``<name>_canvas.png`` whatever happens. Returns the
    last :func:`_coloured_pixels` count."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    counts = {}

    def drawn(_driver) -> bool:
        counts["now"] = _coloured_pixels(canvas.screenshot_as_png)
        coloured, total, colours = counts["now"]
        return coloured > fraction * total and colours >= palette

    try:
        wait.until(drawn)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}_canvas.png").write_bytes(canvas.screenshot_as_png)
    return counts["now"]


def test_map_page_draws_polygons(app_url, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # A shared link as the very first request of a fresh server (the multipage-v1 trap).
    browser.get(f"{app_url}/lsoa-map?area=E06000001&release=iod2019&measure=imd"
                "&value=decile")
    wait = WebDriverWait(browser, DRAW_TIMEOUT, poll_frequency=0.5)
    canvas = _deck_canvas(wait)
    nav = browser.find_element(By.CSS_SELECTOR, "[data-testid='stSidebarNav']").text
    assert "Where it stands" in nav and "Decile tracking" in nav, nav
    # dashboard.py starts the server with the old pages/-folder routing off, so the shared
    # link opens its page at once, with no "Page not found" note (streamlit#9992).
    assert not browser.find_elements(By.CSS_SELECTOR, "[role='dialog']"), \
        browser.find_element(By.CSS_SELECTOR, "[role='dialog']").text
    coloured, total, colours = _wait_until_drawn(browser, wait, canvas, 0.05, 3, "map")
    assert coloured > 0.05 * total, f"only {coloured} of {total} canvas pixels are coloured"
    assert colours >= 3, f"only {colours} palette colours drawn"
    # The area's outline (near-black), whose data deck.gl loads after the first frame
    # (maps.later), is drawn too.
    wait.until(lambda _d: _outline_pixels(canvas.screenshot_as_png) > 100)

    # Hovering the middle of the map shows an LSOA's tooltip.
    ActionChains(browser).move_to_element(canvas).perform()
    tip = WebDriverWait(browser, 20, poll_frequency=0.3).until(
        lambda d: [t for t in d.find_elements(By.CSS_SELECTOR, ".deck-tooltip")
                   if "E01" in t.text] or (ActionChains(d).move_by_offset(3, 3).perform()
                                            and False))
    assert "decile" in tip[0].text

    # Nothing but the app itself was fetched: no basemap tiles, no usage statistics.
    hosts = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    outside = {h for h in hosts if h and not h.startswith(("127.0.0.1", "localhost"))}
    assert not outside, f"the page fetched from {sorted(outside)}"


def test_the_england_map_draws_its_fill_from_the_apps_layer_route(mirror_db, tmp_path,
                                                                   browser):
    """England's 33,755 LSOAs (4.4 MB of rows) are not inside Streamlit's message: deck.gl
    fetches them from the app's own route (inequality.app.served) and draws them."""
    import json

    from selenium.webdriver.support.ui import WebDriverWait

    for url in _serve(mirror_db, tmp_path):
        browser.get(f"{url}/lsoa-map?area=E92000001&release=iod2019&measure=imd"
                    "&value=decile")
        wait = WebDriverWait(browser, DRAW_TIMEOUT, poll_frequency=0.5)
        _wait_until_drawn(browser, wait, _deck_canvas(wait), 0.15, 8, "map_england")
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.includes('/api/layer/'))")
        assert len(fetched) == 1, fetched
        with urllib.request.urlopen(fetched[0], timeout=30) as r:
            rows = json.loads(r.read())
        # One row per polygon part of the 32,844 LSOAs of 2011 (IoD 2019's geography).
        assert len({row["k"] for row in rows}) == 32_844
        assert {row["c"] for row in rows} == set(range(10))


def _outline_pixels(png: bytes) -> int:
    """Pixels of the area's near-black outline (maps.deck layer ``outline``)."""
    from PIL import Image

    import numpy as np

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((rgb.max(axis=-1) < 45).sum())


def _orange_pixels(png: bytes) -> int:
    """Pixels of the orange outline a found place gets (maps.deck ``selection``)."""
    from PIL import Image

    import numpy as np

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 220) & (g > 60) & (g < 130) & (b < 60)).sum())


def test_a_postcode_typed_on_the_map_is_outlined_and_zoomed_to(app_url, browser, fixture_db):
    import duckdb
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    with duckdb.connect(str(fixture_db), read_only=True) as con:
        postcode, lsoa = con.execute(
            "SELECT p.postcode, p.lsoa21_code FROM postcode p JOIN lsoa l ON l.geography = "
            "'lsoa21' AND l.lsoa_code = p.lsoa21_code WHERE l.lad24_code = 'E06000001' "
            "ORDER BY 1 LIMIT 1").fetchone()
    from selenium.common.exceptions import StaleElementReferenceException

    browser.get(f"{app_url}/lsoa-map?area=E06000001&release=iod2025&measure=imd&value=decile")
    # Streamlit redraws elements on every rerun: a found element can go stale, so retry.
    wait = WebDriverWait(browser, DRAW_TIMEOUT, poll_frequency=0.5,
                         ignored_exceptions=(StaleElementReferenceException,))

    def canvas(d):
        found = d.find_elements(By.CSS_SELECTOR,
                                "[data-testid='stDeckGlJsonChart'] canvas#deckgl-overlay")
        return found[0] if found else False

    wait.until(lambda d: canvas(d) and _coloured_pixels(canvas(d).screenshot_as_png)[0] > 0)
    assert _orange_pixels(canvas(browser).screenshot_as_png) < 20  # nothing outlined yet

    box = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR,
                                               "input[aria-label='Find a place']"))[0]
    box.send_keys(postcode.lower().replace(" ", ""), Keys.ENTER)

    def click_open(d) -> bool:
        buttons = d.find_elements(By.XPATH, "//button[.//p[normalize-space()='Open']]")
        if buttons and buttons[0].is_enabled():
            buttons[0].click()
            return True
        return False

    wait.until(click_open)
    wait.until(lambda d: "focus=" in d.current_url)
    try:
        wait.until(lambda d: canvas(d) and _orange_pixels(canvas(d).screenshot_as_png) > 200)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "map_postcode.png"))
    assert "Outlined in orange and zoomed to" in browser.page_source
    assert lsoa in browser.page_source or postcode in browser.page_source


def test_the_first_page_opens_by_its_own_name_on_a_fresh_server(app_url, browser):
    """/where-it-stands (the first page, served at the root) opens with the link's state and
    no "Page not found" dialog, as the first request of a fresh server."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{app_url}/where-it-stands?area=E06000001&release=iod2019")
    WebDriverWait(browser, DRAW_TIMEOUT, poll_frequency=0.5).until(
        lambda d: "Hartlepool, IoD 2019" in d.page_source)
    assert not browser.find_elements(By.CSS_SELECTOR, "[role='dialog']")
