"""Large map layers served by the app's own HTTP route instead of inside the deck JSON.

Streamlit sends a pydeck deck to the browser as one JSON text inside its websocket message,
and its frontend parses that text with a JSON5 parser written in JavaScript, character by
character, before it draws anything. For the England map (33,755 LSOAs, 4.4 MB) that parse
and the message held back the first frame by about half a second. A layer whose ``data`` is a
URL is fetched by deck.gl itself and parsed with the browser's native ``JSON.parse``, beside
the page's other work: in one warm headless Chromium (``benchmarks/bench_browser.py``, median
of 5) the England map was drawn at 1.99 s instead of 2.42-2.54 s, 1.03x the naive Coventry
page instead of 1.19-1.21x.

How it works:

* ``python dashboard.py`` starts the dashboard as a Streamlit ``st.App`` with :func:`routes`
  mounted (:func:`run`); the route answers ``GET .../api/layer/<key>.json`` from memory,
  gzip-compressed once when the layer is published, ``Cache-Control: immutable`` (the key is
  the SHA-256 of the text, so a URL always means the same bytes).
* :func:`publish` is what the map page's decks are built with (the ``publish`` of
  :func:`inequality.present.maps.deck`; the briefing's click-to-pick authority map stays
  inline, as its selection was tested): for a layer text of
  at least :data:`SERVE_ABOVE` characters it returns a :class:`Served` (its ``url``), which
  the deck keeps; the route holds a layer for as long as some deck holds its ``Served``
  (a weak reference), so a cached deck's layer is always there and an evicted one's is freed.
* Without the route (``streamlit run dashboard.py``, ``AppTest``) :func:`publish` returns
  None and the layer stays inline, as before.

The URL is relative (``api/layer/...``): the browser resolves it against the page, so it
works under ``server.baseUrlPath`` and behind a proxy that mounts the app under a prefix
(the route also answers ``/<prefix>/api/layer/<key>.json``).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import weakref
from collections.abc import Sequence

#: Layers shorter than this stay inline in the deck JSON (an authority's map: the fetch would
#: cost a round trip and save next to nothing).
SERVE_ABOVE = 1_000_000

#: Where the route answers (relative to the app's root).
ROUTE = "api/layer/{key}.json"

_LOCK = threading.Lock()
_LAYERS: weakref.WeakValueDictionary[str, Served] = weakref.WeakValueDictionary()
_STATE = {"mounted": False}


class Served:
    """One published layer: its ``key`` (SHA-256 of the UTF-8 text ``raw``, 24 hex digits),
    ``url`` (relative), ``size`` and ``body`` (``raw`` gzip-compressed). Held by the deck
    that shows it."""

    __slots__ = ("key", "url", "body", "size", "__weakref__")

    def __init__(self, key: str, raw: bytes):
        self.key = key
        self.url = ROUTE.format(key=key)
        self.size = len(raw)
        self.body = gzip.compress(raw, compresslevel=6, mtime=0)

    def __repr__(self) -> str:
        return f"Served({self.url!r}, {self.size:,} bytes, {len(self.body):,} gzipped)"


def publish(text: str) -> Served | None:
    """``text`` (a layer's JSON) as a :class:`Served` the route answers with, or None when
    it is shorter than :data:`SERVE_ABOVE` or no route is mounted (then it stays inline).
    Whoever shows the URL keeps the returned object: the route forgets the layer once
    nothing holds it."""
    if not _STATE["mounted"] or len(text) < SERVE_ABOVE:
        return None
    raw = text.encode()
    key = hashlib.sha256(raw).hexdigest()[:24]
    with _LOCK:
        served = _LAYERS.get(key)
        if served is None:
            served = _LAYERS[key] = Served(key, raw)
        return served


def lookup(key: str) -> Served | None:
    """The layer published under ``key``, if some deck still holds it."""
    with _LOCK:
        return _LAYERS.get(key)


def routes() -> list:
    """The Starlette routes of the layer endpoint (marks the route as mounted)."""
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def layer(request):
        served = lookup(request.path_params["key"])
        if served is None:
            return PlainTextResponse(
                "This map layer is not held by the server any more (the map it belonged to "
                "was dropped from the cache, or the server restarted): reload the page.",
                status_code=404)
        headers = {"Cache-Control": "private, max-age=86400, immutable",
                   "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(served.body, media_type="application/json",
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(gzip.decompress(served.body), media_type="application/json",
                        headers=headers)

    _STATE["mounted"] = True
    path = "/" + ROUTE
    return [Route(path, layer, methods=["GET"]),
            Route("/{prefix:path}" + path, layer, methods=["GET"])]


def flag_config(args: Sequence[str]) -> dict:
    """Streamlit command-line options (``--server.port 8501``, ``--server.headless=true``) as
    the ``config`` of ``st.App.run``, each value converted to its option's type.

    >>> flag_config(["--server.port", "8502", "--server.headless=true"])
    {'server.port': 8502, 'server.headless': True}
    """
    from streamlit import config

    options, rest = {}, list(args)
    while rest:
        flag = rest.pop(0)
        if not flag.startswith("--"):
            raise SystemExit(f"dashboard.py: unexpected argument {flag!r}; options are "
                             "Streamlit's, e.g. --server.port 8501")
        name, eq, value = flag[2:].partition("=")
        option = config._config_options_template.get(name)
        if option is None:
            raise SystemExit(f"dashboard.py: {flag!r} is not a Streamlit option (see "
                             "`streamlit config show`), e.g. --server.port 8501")
        if not eq:
            if not rest:
                raise SystemExit(f"dashboard.py: {flag} needs a value, e.g. {flag} 8501")
            value = rest.pop(0)
        options[name] = _typed(name, value, option.type)
    return options


def _typed(name: str, value: str, kind):
    if kind is bool:
        if value.lower() not in ("true", "false"):
            raise SystemExit(f"dashboard.py: --{name} takes true or false, not {value!r}")
        return value.lower() == "true"
    if kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            raise SystemExit(f"dashboard.py: --{name} takes a number, not {value!r}") from None
    if kind is list:
        return [v for v in value.split(",") if v]
    return value


def run(script: str, args: Sequence[str]) -> None:
    """Serve the dashboard ``script`` with the layer route (``st.App``), configured by the
    Streamlit options ``args``; blocks until the server stops."""
    import sys

    import streamlit as st

    options = flag_config(args)
    app = st.App(script, routes=routes())
    sys.argv = sys.argv[:1]  # the options are the server's, not the script's
    app.run(config=options)
