"""Offline tests of :mod:`inequality.etl.fetch`: mirror copies, HTTP against a local server, paging.

HTTP tests talk to a real :class:`~http.server.ThreadingHTTPServer` on 127.0.0.1 (see
``tests/httpserver.py``); nothing leaves the machine.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from httpserver import Handler, LocalServer, send_bytes, send_json
from inequality.etl import fetch as fetch_mod
from inequality.etl.fetch import FetchError, FetchResult, fetch_all, fetch_source, sha256_file
from inequality.etl.sources import BY_ID

FULL_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
FULL_SUMS = FULL_MIRROR.parent / "SHA256SUMS"

CSV_BODY = (b"code,name,value\n"
            b"E01000001,City of London 001A,1.5\nE01000002,City of London 001B,2.5\n")

#: Real catalogue entries, one of each live format, used as templates via dataclasses.replace.
FILE_SRC = BY_ID["ruc2011_lad11"]  # live_format "file"
TABLE_SRC = BY_ID["ruc2021_lad24"]  # live_format "arcgis_table"
GEOJSON_SRC = BY_ID["boundaries_msoa21"]  # live_format "arcgis_geojson"
LIVE_ONLY_SRC = BY_ID["fingertips_93283_le_male_msoa"]  # in_mirror=False


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A directory laid out like the mirror, served over HTTP."""
    root = tmp_path / "served"
    (root / FILE_SRC.id).mkdir(parents=True)
    (root / FILE_SRC.id / FILE_SRC.file).write_bytes(CSV_BODY)
    return root


@pytest.fixture
def server(served: Path):
    with LocalServer(served) as srv:
        yield srv


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def _http_source(server: LocalServer, path: str | None = None, template=FILE_SRC):
    """``template`` pointed at ``path`` on the local server (default: its mirror layout)."""
    path = path or f"/{template.id}/{template.file}"
    return replace(template, url=server.url(path))


def _fast(**kw):
    """Keyword arguments that keep retries quick and the output quiet."""
    return {"backoff": 0, "retries": 2, "progress": False, "timeout": 10, **kw}


# --------------------------------------------------------------------------------------------
# sha256 and mirror mode
# --------------------------------------------------------------------------------------------

def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(CSV_BODY)
    assert sha256_file(path) == _sha(CSV_BODY)


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    (root / FILE_SRC.id).mkdir(parents=True)
    (root / FILE_SRC.id / FILE_SRC.file).write_bytes(CSV_BODY)
    return root


def test_mirror_copy_checksum_then_unchanged(mirror: Path, raw: Path) -> None:
    first = fetch_source(FILE_SRC, raw, mirror)
    dest = raw / FILE_SRC.id / FILE_SRC.file
    assert first == FetchResult(FILE_SRC.id, dest, _sha(CSV_BODY), changed=True, origin="mirror")
    assert dest.read_bytes() == CSV_BODY
    assert not list(dest.parent.glob("*.part"))
    manifest = json.loads((dest.parent / ".fetch.json").read_text())
    assert manifest["sha256"] == _sha(CSV_BODY) and manifest["file"] == FILE_SRC.file

    second = fetch_source(FILE_SRC, raw, mirror)
    assert second.changed is False
    assert second.sha256 == first.sha256 and second.path == dest


def test_mirror_replaces_a_local_file_that_differs(mirror: Path, raw: Path) -> None:
    dest = raw / FILE_SRC.id / FILE_SRC.file
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"stale\n")
    result = fetch_source(FILE_SRC, raw, mirror)
    assert result.changed is True
    assert dest.read_bytes() == CSV_BODY


def test_mirror_missing_file_names_the_path(mirror: Path, raw: Path) -> None:
    source = replace(FILE_SRC, file="not_there.csv")
    expected = mirror / FILE_SRC.id / "not_there.csv"
    with pytest.raises(FetchError, match=re.escape(str(expected))) as info:
        fetch_source(source, raw, mirror)
    assert "INEQUALITY_MIRROR" in str(info.value) and "--mirror" in str(info.value)
    assert FILE_SRC.id in str(info.value)
    assert not (raw / FILE_SRC.id / "not_there.csv").exists()


def test_mirror_live_only_source_raises(mirror: Path, raw: Path) -> None:
    with pytest.raises(FetchError, match="live-only") as info:
        fetch_source(LIVE_ONLY_SRC, raw, mirror)
    assert info.value.live_only and info.value.source_id == LIVE_ONLY_SRC.id


def test_fetch_all_from_mirror_skips_live_only(mirror: Path, raw: Path) -> None:
    results = fetch_all([FILE_SRC, LIVE_ONLY_SRC], raw, mirror)
    assert [r.source_id for r in results] == [FILE_SRC.id]


def test_full_mirror_copy_matches_published_checksum(raw: Path) -> None:
    if not FULL_MIRROR.is_dir() or not FULL_SUMS.is_file():
        pytest.skip("full mirror ../shared/data/raw not found")
    source = BY_ID["ruc2011_lad11"]
    relative = f"{source.id}/{source.file}"
    sums = {}
    for line in FULL_SUMS.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    assert relative in sums, f"{relative} is not listed in {FULL_SUMS}"
    result = fetch_source(source, raw, FULL_MIRROR)
    assert result.origin == "mirror"
    assert result.sha256 == sums[relative]
    assert sha256_file(result.path) == sums[relative]
    assert result.path == raw / relative


# --------------------------------------------------------------------------------------------
# HTTP: plain files
# --------------------------------------------------------------------------------------------

def test_http_download(server: LocalServer, raw: Path) -> None:
    source = _http_source(server)
    result = fetch_source(source, raw, **_fast())
    dest = raw / source.id / source.stored_file
    assert result == FetchResult(source.id, dest, _sha(CSV_BODY), changed=True, origin="http")
    assert sha256_file(dest) == sha256_file(server.root / FILE_SRC.id / FILE_SRC.file)
    assert not list(dest.parent.glob("*.part"))
    manifest = json.loads((dest.parent / ".fetch.json").read_text())
    assert manifest["url"] == source.url and manifest["sha256"] == result.sha256
    assert manifest["last_modified"]  # SimpleHTTPRequestHandler sends Last-Modified
    assert {"etag", "fetched_at"} <= manifest.keys()


def test_http_second_fetch_is_not_modified(server: LocalServer, raw: Path) -> None:
    source = _http_source(server)
    fetch_source(source, raw, **_fast())
    second = fetch_source(source, raw, **_fast())
    assert second.changed is False and second.sha256 == _sha(CSV_BODY)
    last = server.hits(f"/{FILE_SRC.id}/{FILE_SRC.file}")[-1]
    assert "If-Modified-Since" in last.headers  # answered 304 by the file server


def test_http_etag_gives_304(server: LocalServer, raw: Path) -> None:
    etag = '"v1"'
    statuses: list[int] = []

    def route(h: Handler) -> None:
        if h.headers.get("If-None-Match") == etag:
            statuses.append(304)
            send_bytes(h, b"", status=304, headers={"ETag": etag, "Content-Length": "0"})
        else:
            statuses.append(200)
            send_bytes(h, CSV_BODY, headers={"ETag": etag})

    server.routes["/etag.csv"] = route
    source = _http_source(server, "/etag.csv")
    assert fetch_source(source, raw, **_fast()).changed is True
    second = fetch_source(source, raw, **_fast())
    assert statuses == [200, 304]
    assert second.changed is False and second.sha256 == _sha(CSV_BODY)
    assert (raw / source.id / source.stored_file).read_bytes() == CSV_BODY


def test_http_same_content_is_unchanged_and_new_content_replaces(server: LocalServer,
                                                                 raw: Path) -> None:
    body = {"data": CSV_BODY}
    server.routes["/plain.csv"] = lambda h: send_bytes(h, body["data"])  # no validators
    source = _http_source(server, "/plain.csv")
    fetch_source(source, raw, **_fast())
    assert fetch_source(source, raw, **_fast()).changed is False
    body["data"] = CSV_BODY + b"E01000003,City of London 001C,3.5\n"
    third = fetch_source(source, raw, **_fast())
    assert third.changed is True and third.sha256 == _sha(body["data"])
    assert (raw / source.id / source.stored_file).read_bytes() == body["data"]


def test_force_sends_no_conditional_headers(server: LocalServer, raw: Path) -> None:
    source = _http_source(server)
    fetch_source(source, raw, **_fast())
    result = fetch_source(source, raw, force=True, **_fast())
    last = server.hits(f"/{FILE_SRC.id}/{FILE_SRC.file}")[-1]
    assert "If-Modified-Since" not in last.headers and "If-None-Match" not in last.headers
    assert result.changed is False  # same bytes downloaded again


def test_http_500_is_retried_then_fails_leaving_old_file(server: LocalServer,
                                                         raw: Path) -> None:
    server.routes["/broken.csv"] = lambda h: send_bytes(h, b"Internal error", status=500)
    source = _http_source(server, "/broken.csv")
    dest = raw / source.id / source.stored_file
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"previous good copy\n")

    with pytest.raises(FetchError, match="500") as info:
        fetch_source(source, raw, **_fast(retries=2))
    message = str(info.value)
    assert source.url in message and source.id in message and "--mirror" in message
    assert info.value.status == 500
    assert len(server.hits("/broken.csv")) == 3  # the first try and two retries
    assert dest.read_bytes() == b"previous good copy\n"
    assert not list(dest.parent.glob("*.part"))


def test_http_500_leaves_no_file_when_there_was_none(server: LocalServer, raw: Path) -> None:
    server.routes["/broken.csv"] = lambda h: send_bytes(h, b"", status=503)
    source = _http_source(server, "/broken.csv")
    with pytest.raises(FetchError, match="503"):
        fetch_source(source, raw, **_fast(retries=1))
    assert not (raw / source.id / source.stored_file).exists()
    assert not list((raw / source.id).glob("*.part"))


def test_http_429_then_success_is_retried(server: LocalServer, raw: Path) -> None:
    calls: list[int] = []

    def route(h: Handler) -> None:
        calls.append(1)
        if len(calls) == 1:
            send_bytes(h, b"slow down", status=429)
        else:
            send_bytes(h, CSV_BODY)

    server.routes["/busy.csv"] = route
    result = fetch_source(_http_source(server, "/busy.csv"), raw, **_fast())
    assert len(calls) == 2 and result.sha256 == _sha(CSV_BODY)


def test_http_404_is_not_retried(server: LocalServer, raw: Path) -> None:
    source = _http_source(server, "/nowhere/missing.csv")
    with pytest.raises(FetchError, match="404") as info:
        fetch_source(source, raw, **_fast(retries=3))
    assert source.url in str(info.value)
    assert len(server.hits("/nowhere/missing.csv")) == 1
    assert not (raw / source.id / source.stored_file).exists()


def test_http_download_cut_short(server: LocalServer, raw: Path) -> None:
    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(CSV_BODY) + 1000))
        h.end_headers()
        h.wfile.write(CSV_BODY)
        h.wfile.flush()
        h.close_connection = True

    server.routes["/short.csv"] = route
    source = _http_source(server, "/short.csv")
    with pytest.raises(FetchError, match=r"cut short: got \d+ of \d+ bytes"):
        fetch_source(source, raw, **_fast(retries=1))
    assert len(server.hits("/short.csv")) == 2  # a cut-short download is retried
    assert not (raw / source.id / source.stored_file).exists()
    assert not list((raw / source.id).glob("*.part"))


def test_connection_refused_is_a_fetch_error(raw: Path) -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = replace(FILE_SRC, url=f"http://127.0.0.1:{port}/x.csv")
    with pytest.raises(FetchError, match=re.escape(source.url)):
        fetch_source(source, raw, **_fast(retries=1))


def test_progress_bar_goes_to_stderr(server: LocalServer, raw: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    fetch_source(_http_source(server), raw, **_fast(progress=True))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert FILE_SRC.id in captured.err and captured.err.endswith("\n")


def test_caller_session_is_used(server: LocalServer, raw: Path) -> None:
    with requests.Session() as session:
        session.headers["X-Test"] = "yes"
        fetch_source(_http_source(server), raw, session=session, **_fast())
    assert server.hits(f"/{FILE_SRC.id}/{FILE_SRC.file}")[-1].headers.get("X-Test") == "yes"


# --------------------------------------------------------------------------------------------
# HTTP: ArcGIS feature services
# --------------------------------------------------------------------------------------------

N_RECORDS = 4_500


def _arcgis_route(max_record_count: int = 2_000, n: int = N_RECORDS):
    """A fake FeatureServer query endpoint honouring resultOffset / resultRecordCount."""

    def route(h: Handler) -> None:
        q = {k: v[0] for k, v in h.query.items()}
        offset = int(q.get("resultOffset", 0))
        count = min(int(q.get("resultRecordCount", max_record_count)), max_record_count)
        ids = range(offset, min(offset + count, n))
        more = offset + len(ids) < n
        if q.get("f") == "geojson":
            payload = {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "id": i,
                              "geometry": {"type": "Point", "coordinates": [-1.0, 52.0 + i / 1e4]},
                              "properties": {"MSOA21CD": f"E02{i:06d}", "MSOA21NM": f"Area {i}"}}
                             for i in ids],
            }
            if more:
                payload["properties"] = {"exceededTransferLimit": True}
        else:
            payload = {
                "objectIdFieldName": "ObjectId",
                "fields": [{"name": "LAD24CD"}, {"name": "LAD24NM"}, {"name": "RUC21CD"}],
                "features": [{"attributes": {"LAD24CD": f"E06{i:06d}", "LAD24NM": f"Place, {i}",
                                             "RUC21CD": None if i % 7 == 0 else "UN1"}}
                             for i in ids],
            }
            if more:
                payload["exceededTransferLimit"] = True
        send_json(h, payload)

    return route


def _arcgis_source(server: LocalServer, template, fmt: str):
    return replace(template, url=server.url(
        f"/arcgis/FeatureServer/0/query?where=1%3D1&outFields=*&outSR=4326&f={fmt}"))


def test_arcgis_table_pages_into_one_csv(server: LocalServer, raw: Path) -> None:
    server.routes["/arcgis/FeatureServer/0/query"] = _arcgis_route()
    source = _arcgis_source(server, TABLE_SRC, "json")
    result = fetch_source(source, raw, **_fast())
    assert result.path == raw / source.id / source.stored_file
    assert result.path.name == TABLE_SRC.live_file
    with open(result.path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N_RECORDS
    assert list(rows[0]) == ["LAD24CD", "LAD24NM", "RUC21CD"]
    assert rows[4_499]["LAD24CD"] == "E06004499" and rows[1]["LAD24NM"] == "Place, 1"
    assert rows[0]["RUC21CD"] == ""  # null -> empty
    assert result.sha256 == sha256_file(result.path)
    hits = server.hits("/arcgis/FeatureServer/0/query")
    assert [h.query["resultOffset"] for h in hits] == [["0"], ["2000"], ["4000"]]
    assert all(h.query["resultRecordCount"] == ["2000"] for h in hits)
    assert all(h.query["f"] == ["json"] and h.query["where"] == ["1=1"] for h in hits)
    # the same records again: the assembled file is identical, so unchanged
    assert fetch_source(source, raw, **_fast()).changed is False


def test_arcgis_geojson_pages_into_one_feature_collection(server: LocalServer,
                                                          raw: Path) -> None:
    server.routes["/arcgis/FeatureServer/0/query"] = _arcgis_route()
    source = _arcgis_source(server, GEOJSON_SRC, "geojson")
    result = fetch_source(source, raw, **_fast())
    data = json.loads(result.path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == N_RECORDS
    assert [f["id"] for f in data["features"]] == list(range(N_RECORDS))
    assert result.path.suffix == ".geojson"
    assert result.sha256 == sha256_file(result.path)


def test_arcgis_server_page_smaller_than_asked(server: LocalServer, raw: Path) -> None:
    """A service capped below 2,000 records still pages to the end via exceededTransferLimit."""
    server.routes["/arcgis/FeatureServer/0/query"] = _arcgis_route(max_record_count=1_000)
    result = fetch_source(_arcgis_source(server, TABLE_SRC, "json"), raw, **_fast())
    with open(result.path, newline="", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == N_RECORDS
    assert len(server.hits("/arcgis/FeatureServer/0/query")) == 5


def test_arcgis_exact_multiple_of_page_size(server: LocalServer, raw: Path) -> None:
    server.routes["/arcgis/FeatureServer/0/query"] = _arcgis_route(n=4_000)
    result = fetch_source(_arcgis_source(server, GEOJSON_SRC, "geojson"), raw, **_fast())
    assert len(json.loads(result.path.read_text())["features"]) == 4_000


def test_arcgis_error_body_raises(server: LocalServer, raw: Path) -> None:
    error = {"error": {"code": 400, "message": "Invalid or missing input parameters.",
                       "details": ["'outFields' parameter is invalid"]}}
    server.routes["/arcgis/FeatureServer/0/query"] = lambda h: send_json(h, error)
    source = _arcgis_source(server, TABLE_SRC, "json")
    with pytest.raises(FetchError, match=re.escape("Invalid or missing input parameters.")) as e:
        fetch_source(source, raw, **_fast())
    assert source.id in str(e.value) and "outFields" in str(e.value)
    assert len(server.hits("/arcgis/FeatureServer/0/query")) == 1
    assert not (raw / source.id / source.stored_file).exists()
    assert not list((raw / source.id).glob("*.part"))


def test_with_query_replaces_and_adds_params() -> None:
    url = "https://x/query?where=1%3D1&outFields=A,B&resultOffset=5&f=json"
    out = fetch_mod._with_query(url, resultOffset=2000, resultRecordCount=2000)
    assert out == ("https://x/query?where=1%3D1&outFields=A,B&f=json"
                   "&resultOffset=2000&resultRecordCount=2000")
