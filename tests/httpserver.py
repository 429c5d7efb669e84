"""A real HTTP server on 127.0.0.1 for offline tests of :mod:`inequality.etl.fetch`.

:class:`LocalServer` runs a :class:`~http.server.ThreadingHTTPServer` (port 0, so the OS picks
a free port) in a background thread. It serves a directory laid out like the mirror
(``<root>/<source id>/<file>``, with ``Last-Modified`` and ``If-Modified-Since`` handled by
:class:`~http.server.SimpleHTTPRequestHandler`) and, for chosen paths, custom route functions
that write their own response. Every request is recorded so tests can count them.

Usage::

    with LocalServer(tmp_path) as server:
        server.routes["/broken"] = lambda h: send_bytes(h, b"oops", status=500)
        url = server.url("/broken")
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Handler"], None]


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]


class Handler(SimpleHTTPRequestHandler):
    """Serves ``server.routes`` first, then files under ``server.root``; records requests."""

    server: _Server

    @property
    def query(self) -> dict[str, list[str]]:
        """The parsed query string of this request."""
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(Request("GET", path, self.query, dict(self.headers.items())))
        route = owner.routes.get(path)
        if route is not None:
            route(self)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 serving ``root`` plus custom routes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        root_dir = str(self.root)
        self._httpd = _Server(("127.0.0.1", 0),
                              lambda *a: Handler(*a, directory=root_dir))
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        """The port the OS assigned."""
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with ``/``) on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        """The requests received for ``path`` (query string ignored)."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send_bytes(handler: Handler, body: bytes, *, status: int = 200,
               headers: dict[str, str] | None = None,
               content_type: str = "application/octet-stream") -> None:
    """Write a complete response (``Content-Length`` set to the body's length by default)."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    merged = {"Content-Length": str(len(body)), **(headers or {})}
    for name, value in merged.items():
        handler.send_header(name, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def send_json(handler: Handler, payload: Any, *, status: int = 200) -> None:
    """Write ``payload`` as a JSON response."""
    send_bytes(handler, json.dumps(payload).encode("utf-8"), status=status,
               content_type="application/json")
