"""Time the map page in a real browser: navigation -> polygons drawn, against a blank page
and a naive pydeck page of the same data, all in one warm headless Chromium.

Three Streamlit servers on 127.0.0.1 (``_sessions.Server``: the app, ``dashboard.py``; the
naive page, ``benchmarks/floors/naive_map.py``; the blank page, ``benchmarks/floors/blank.py``),
one headless Chromium driven by selenium. Every case is visited once to warm the servers' caches
and the browser's, then ``--runs`` times, the order of the cases alternating (forward, then
backward) between rounds; the table gives medians.

"Polygons drawn", the same test for every page: a script injected before any page script
(``Page.addScriptToEvaluateOnNewDocument``) makes every WebGL context keep its drawing buffer
(``preserveDrawingBuffer``) and, every animation frame, copies each deck.gl canvas
(``canvas#deckgl-overlay``, drawn in the page itself, not in an iframe) onto a 64 x 64 2D
canvas and counts its opaque, non-white pixels; the time (``performance.now()``, i.e. from
the start of navigation) of the first frame in which they cover more than
``DRAWN_FRACTION`` of the canvas is the result. The blank page's mark is the first frame
showing its text. "Complete": the last WebGL draw call before the page has drawn nothing for
``QUIET`` seconds, i.e. every layer loaded and drawn (the app draws the fill first and its
lines from data loaded after it; the naive page draws everything in its first frame).
``payload``: the deck JSON Streamlit sends (``deck.to_json()`` length, computed in this
process with the same functions the pages call), and the layers the app serves from its own
route instead (``inequality.app.served``; deck.gl fetches them).

    python benchmarks/bench_browser.py [--db PATH] [--runs 5] [--releases iod2019 iod2025]
        [--naive-england] [--shots DIR]

Targets (issue 15): Coventry map <= naive Coventry page; England map <= 1.2 x naive Coventry
and < 5 MB of deck JSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT
from _sessions import Server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AREAS = {"Coventry": "E08000026", "Cornwall": "E06000052", "England": "E92000001"}
DRAWN_FRACTION = 0.05
TIMEOUT = 180

PROBE = """
(() => {
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (type, attrs) {
    if (typeof type === 'string' && type.indexOf('webgl') >= 0) {
      attrs = Object.assign({}, attrs || {}, {preserveDrawingBuffer: true});
    }
    return getContext.call(this, type, attrs);
  };
  // A frame is read back only after a draw call: the probe costs (almost) nothing while
  // the page loads, and a readback only when deck.gl has drawn something new.
  let dirty = false;
  const probe = {drawnAt: null, textAt: null, canvasAt: null, lastDrawAt: null, fraction: 0,
                 reads: 0};
  window.__probe = probe;
  for (const proto of [window.WebGL2RenderingContext, window.WebGLRenderingContext]) {
    if (!proto) continue;
    for (const name of ['drawArrays', 'drawElements', 'drawArraysInstanced',
                        'drawElementsInstanced', 'drawRangeElements']) {
      const f = proto.prototype[name];
      if (!f) continue;
      proto.prototype[name] = function () {
        dirty = true;
        probe.lastDrawAt = performance.now();
        return f.apply(this, arguments);
      };
    }
  }
  let small = null;
  function tick() {
    if (probe.drawnAt !== null) return;
    if (probe.textAt === null && document.body &&
        document.querySelector('[data-testid="stMarkdownContainer"]')) {
      probe.textAt = performance.now();
    }
    const canvases = document.querySelectorAll('canvas#deckgl-overlay');
    if (canvases.length && probe.canvasAt === null) probe.canvasAt = performance.now();
    if (dirty) {
      dirty = false;
      for (const c of canvases) {
        if (!c.width || !c.height) continue;
        if (small === null) {
          small = document.createElement('canvas');
          small.width = 64; small.height = 64;
        }
        const ctx = small.getContext('2d', {willReadFrequently: true});
        ctx.clearRect(0, 0, 64, 64);
        ctx.drawImage(c, 0, 0, 64, 64);
        const d = ctx.getImageData(0, 0, 64, 64).data;
        probe.reads++;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] > 128 && 765 - d[i] - d[i + 1] - d[i + 2] > 60) n++;
        }
        probe.fraction = n / 4096;
        if (probe.fraction > FRACTION) { probe.drawnAt = performance.now(); return; }
      }
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();
"""


def browser(width: int = 1400, height: int = 1600):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", f"--window-size={width},{height}",
                "--enable-unsafe-swiftshader"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                           {"source": PROBE.replace("FRACTION", str(DRAWN_FRACTION))})
    return driver


def visit(driver, url: str, mark: str, marks: dict | None = None) -> float:
    """Seconds from navigation to ``mark`` (``drawnAt`` or ``textAt``); ``marks`` receives
    every mark the probe recorded (seconds), e.g. ``canvasAt``, and, after ``drawnAt``, the
    last WebGL draw before the page drew nothing for ``QUIET`` seconds (``lastDrawAt``: the
    map complete, every layer loaded and drawn)."""
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        probe = driver.execute_script("return window.__probe || null")
        if probe and probe.get(mark) is not None:
            if marks is not None:
                if mark == "drawnAt":
                    probe = _quiet(driver, deadline)
                marks.update({k: v / 1000 for k, v in probe.items()
                              if k.endswith("At") and v is not None})
            return probe[mark] / 1000
        time.sleep(0.05)
    raise TimeoutError(f"{url}: no {mark} within {TIMEOUT} s")


QUIET = 1.0


def _quiet(driver, deadline: float) -> dict:
    """The probe once no WebGL draw call has happened for ``QUIET`` seconds."""
    while time.monotonic() < deadline:
        probe, now = driver.execute_script(
            "return [window.__probe, performance.now()]")
        if now - probe["lastDrawAt"] >= QUIET * 1000:
            return probe
        time.sleep(0.1)
    raise TimeoutError(f"the map kept drawing for {TIMEOUT} s")


def cases(releases: list[str], naive_england: bool, ports: dict[str, int]) -> list[tuple]:
    """(label, url, mark, release, area name, page kind)."""
    app, naive, blank = (f"http://127.0.0.1:{ports[k]}" for k in ("app", "naive", "blank"))
    out = [("blank page", f"{blank}/", "textAt", None, None, "blank")]
    for rel in releases:
        for name in ("Coventry", "England") if naive_england else ("Coventry",):
            out.append((f"naive {name} {rel}",
                        f"{naive}/?area={AREAS[name]}&release={rel}", "drawnAt", rel, name,
                        "naive"))
        for name, code in AREAS.items():
            out.append((f"map {name} {rel}", (f"{app}/lsoa-map?area={code}&release={rel}"
                                               "&measure=imd&value=decile"),
                        "drawnAt", rel, name, "map"))
    return out


def payloads(db: Path, todo: list[tuple]) -> tuple[dict[str, int], dict[str, tuple]]:
    """Length of the deck JSON each case sends (same functions as the pages, no cache), and
    of the layers the app serves by URL instead (``inequality.app.served``: the England
    map's fill), as ``(characters, gzipped bytes sent)``."""
    sys.path.insert(0, str(ROOT / "benchmarks" / "floors"))
    os.environ["INEQUALITY_DB"] = str(db)
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import naive_map

    from inequality.app import served
    from inequality.db import connect
    from inequality.present import maps
    from inequality.services.maps import map_data

    served.routes()  # as in the app's server: large layers are published, not inline
    out, fetched = {}, {}
    with connect(db) as con:
        for label, _, _, rel, name, kind in todo:
            if kind == "map":
                m = maps.choropleth(map_data(con, rel, AREAS[name], "imd", "decile"))
                deck = maps.deck(m, publish=served.publish)
                out[label] = len(deck.to_json())
                for layer in deck.served:
                    fetched[label] = (layer.size, len(layer.body))
            elif kind == "naive":
                out[label] = len(naive_map.make_deck(AREAS[name], rel).to_json())
    return out, fetched


def screenshots(driver, todo: list[tuple], shots: Path) -> None:
    """Desktop (1400 px) and phone-sized (390 px) screenshots of every map case."""
    shots.mkdir(parents=True, exist_ok=True)
    for width, height, tag in ((1400, 1600, "desktop"), (390, 1800, "phone")):
        driver.set_window_size(width, height)
        for label, url, mark, *_ in todo:
            if mark != "drawnAt":
                continue
            visit(driver, url, mark)
            time.sleep(1.0)
            driver.save_screenshot(str(shots / f"{label.replace(' ', '_')}_{tag}.png"))
    driver.set_window_size(1400, 1600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(
        os.environ.get("INEQUALITY_DB", ROOT / "data" / "inequality.duckdb")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--releases", nargs="+", default=["iod2019", "iod2025"])
    parser.add_argument("--naive-england", action="store_true",
                        help="also time the naive page for all of England (about a minute a "
                             "visit, 220 MB of JSON)")
    parser.add_argument("--port", type=int, default=8900, help="first of three ports")
    parser.add_argument("--only", nargs="*", default=None,
                        help="time only cases whose label contains one of these words "
                             "(the blank page and naive Coventry are always timed)")
    parser.add_argument("--shots", type=Path, help="save screenshots of each map here")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no database at {args.db}", file=sys.stderr)
        return 1
    ports = {"app": args.port, "naive": args.port + 1, "blank": args.port + 2}
    scripts = {"app": "dashboard.py", "naive": "benchmarks/floors/naive_map.py",
               "blank": "benchmarks/floors/blank.py"}
    todo = cases(args.releases, args.naive_england, ports)
    if args.only:
        todo = [c for c in todo if c[5] == "blank" or c[0].startswith("naive Coventry")
                or any(w in c[0] for w in args.only)]
    logs = Path(tempfile.mkdtemp(prefix="bench_browser_"))
    env = {"INEQUALITY_DB": str(args.db), "PYTHONPATH": str(ROOT)}
    servers = [Server(ROOT / scripts[key], port, env, self_starting=key == "app",
                      log=logs / f"{key}.log") for key, port in ports.items()]
    driver = None
    times: dict[str, list[float]] = {c[0]: [] for c in todo}
    canvas: dict[str, list[float]] = {c[0]: [] for c in todo}
    complete: dict[str, list[float]] = {c[0]: [] for c in todo}
    try:
        for server in servers:
            server.start()
        driver = browser()
        for label, url, mark, *_ in todo:  # warm-up: caches of servers and browser
            visit(driver, url, mark)
        for r in range(args.runs):
            for label, url, mark, *_ in (todo if r % 2 == 0 else todo[::-1]):
                marks: dict = {}
                times[label].append(visit(driver, url, mark, marks))
                if "canvasAt" in marks:
                    canvas[label].append(marks["canvasAt"])
                if "lastDrawAt" in marks:
                    complete[label].append(marks["lastDrawAt"])
        if args.shots:
            screenshots(driver, todo, args.shots)
    finally:
        if driver is not None:
            driver.quit()
        for server in servers:
            server.stop()
    sizes, fetched = payloads(args.db, todo)
    med = {k: statistics.median(v) for k, v in times.items()}
    blank = med["blank page"]
    header = (f"{'case':<24} {'median s':>9} {'min s':>7} {'max s':>7} {'x blank':>8} "
              f"{'x naive Cov':>12} {'payload MB':>11} {'canvas s':>9} {'complete s':>11} "
              f"{'x naive':>8}")
    print(f"database {args.db}; medians of {args.runs} visits in one warm Chromium; "
          f"drawn = more than {DRAWN_FRACTION:.0%} of the deck canvas coloured; canvas = "
          "median time the deck's canvas appeared (work before it is the page's elements, "
          "after it the deck's first frame); complete = median time of the last draw before "
          f"{QUIET:.0f} s without one (every layer loaded and drawn), and its ratio to naive "
          "Coventry's; payload = the deck JSON in Streamlit's message (+ the layers deck.gl "
          f"fetches from the app's layer route, MB of JSON / MB sent gzipped)\n{header}\n"
          + "-" * len(header))
    for label, _, _, rel, name, kind in todo:
        naive = med.get(f"naive Coventry {rel}")
        ratio = f"{med[label] / naive:>12.2f}" if naive else f"{'':>12}"
        size = f"{sizes[label] / 1e6:>11.2f}" if label in sizes else f"{'':>11}"
        shown = (f"{statistics.median(canvas[label]):>9.2f}" if canvas[label] else "")
        done = ""
        if complete[label]:
            naive_done = complete.get(f"naive Coventry {rel}")
            done = f" {statistics.median(complete[label]):>11.2f}" + (
                f" {statistics.median(complete[label]) / statistics.median(naive_done):>8.2f}"
                if naive_done else "")
        extra = (f"   + {fetched[label][0] / 1e6:.2f} / {fetched[label][1] / 1e6:.2f} MB "
                 "fetched" if label in fetched else "")
        print(f"{label:<24} {med[label]:>9.2f} {min(times[label]):>7.2f} "
              f"{max(times[label]):>7.2f} {med[label] / blank:>8.2f} {ratio} {size} {shown}"
              f"{done}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
