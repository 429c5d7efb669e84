"""The route of large map layers (inequality.app.served): what is published, what the route
answers, and how a deck gives such a layer by URL. The browser side (the England map drawn
from the route) is in test_map_browser.py."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json

import numpy as np
import pytest
from shapely.geometry import box

from inequality.app import served
from inequality.present import maps

BIG = "[" + ",".join(['{"p":[1,2,3,4,5,6],"c":1}'] * 50_000) + "]"  # 1.3 MB of rows


@pytest.fixture
def mounted(monkeypatch):
    """The layer route's app, as `python dashboard.py` mounts it (the mounted flag is put
    back after the test)."""
    from starlette.applications import Starlette

    monkeypatch.setitem(served._STATE, "mounted", False)
    return Starlette(routes=served.routes())


def get(app, path: str, gzip_ok: bool = True) -> tuple[int, dict, bytes]:
    """``GET path`` on the ASGI ``app``: status, headers, body."""
    headers = [(b"accept-encoding", b"gzip")] if gzip_ok else []
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": headers, "root_path": "", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "http_version": "1.1"}
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["headers"], out["body"]


def test_nothing_is_published_without_the_route_or_for_a_small_layer(mounted, monkeypatch):
    assert served.publish("[]") is None  # small: stays inline
    monkeypatch.setitem(served._STATE, "mounted", False)
    assert served.publish(BIG) is None  # streamlit run / AppTest: no route, inline


def test_the_route_answers_a_published_layer_gzipped_and_forgets_it_with_its_deck(mounted):
    layer = served.publish(BIG)
    assert layer.url.startswith("api/layer/") and layer.url.endswith(".json")
    assert served.publish(BIG) is layer  # one copy per text
    status, headers, body = get(mounted, "/" + layer.url)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert headers["content-type"].startswith("application/json")
    assert "immutable" in headers["cache-control"]
    assert gzip.decompress(body).decode() == BIG and len(body) < len(BIG) / 10
    status, headers, body = get(mounted, "/" + layer.url, gzip_ok=False)
    assert status == 200 and "content-encoding" not in headers and body.decode() == BIG
    # Under a base URL path or a proxy's prefix, as the page's relative URL resolves there.
    assert get(mounted, "/dashboard/" + layer.url)[0] == 200
    url = layer.url
    del layer
    gc.collect()
    status, _, body = get(mounted, "/" + url)
    assert status == 404 and b"reload the page" in body


def test_a_deck_gives_a_large_fill_by_url_and_keeps_it_served(mounted):
    geoms = np.array([box(-2.3 + i * 1e-3, 52.85, -2.3 + (i + 1) * 1e-3, 52.851)
                      for i in range(40_000)])
    m = maps.Choropleth(release="iod2019", area_code="E92000001", area_name="England",
                        measure="imd", measure_label="IMD", kind="decile", level="country",
                        rows=maps.flat_rows(geoms, [{"c": i % 3} for i in range(40_000)]),
                        feature_count=40_000, legend=None, view=maps.fit_view(
                            (-2.3, 52.85, -2.26, 52.851)), tooltip_html="", outline=None,
                        shapes=geoms, palette=[[1, 2, 3]] * 3)
    assert len(m.rows) > served.SERVE_ABOVE
    inline = json.loads(maps.deck(m).to_json())
    rows = inline["layers"][0]["data"]
    assert len(rows) == 40_000 and rows[4]["c"] == 1 and len(rows[4]["p"]) == 8
    deck = maps.deck(m, publish=served.publish)
    spec = json.loads(deck.to_json())
    url = spec["layers"][0]["data"]
    assert isinstance(url, str) and url.startswith("api/layer/")
    assert len(deck.to_json()) < 10_000  # the rows are not in Streamlit's message
    status, _, body = get(mounted, "/" + url)
    assert status == 200 and json.loads(gzip.decompress(body)) == inline["layers"][0]["data"]
    del deck
    gc.collect()
    assert get(mounted, "/" + url)[0] == 404


def test_command_line_options_become_the_apps_config():
    assert served.flag_config(["--server.port", "8502", "--server.headless=true",
                               "--browser.gatherUsageStats", "false"]) == {
        "server.port": 8502, "server.headless": True, "browser.gatherUsageStats": False}
    for args, words in ((["--server.prot", "1"], "'--server.prot' is not a Streamlit option"),
                        (["--server.port", "eighty"], "takes a number, not 'eighty'"),
                        (["--server.headless", "yes"], "takes true or false, not 'yes'"),
                        (["--server.port"], "needs a value"),
                        (["8501"], "unexpected argument '8501'")):
        with pytest.raises(SystemExit, match=words):
            served.flag_config(args)
