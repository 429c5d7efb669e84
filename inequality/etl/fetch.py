"""Download (or copy from an offline mirror) the raw files named in :mod:`inequality.etl.sources`.

Two modes:

* **Mirror** (``mirror`` given, e.g. from ``INEQUALITY_MIRROR`` or ``--mirror``): copy
  ``<mirror>/<id>/<file>`` to ``<raw_dir>/<id>/<file>``. Sources that are not in the mirror
  (``in_mirror=False``) raise :class:`FetchError`.
* **HTTP** (no mirror): download ``source.url`` to ``<raw_dir>/<id>/<source.stored_file>``.
  Plain files (``live_format`` ``file`` / ``xlsx``) are streamed; ONS ArcGIS feature services
  (``arcgis_geojson`` / ``arcgis_table``) are paged 2,000 records at a time and assembled into
  one GeoJSON FeatureCollection or one CSV.

Either way the file is written to ``<name>.part`` and moved into place with :func:`os.replace`,
so a failed or interrupted fetch never leaves a partial file under the final name, and a
small manifest ``<raw_dir>/<id>/.fetch.json`` (url, sha256, etag, last_modified, fetched_at)
lets the next fetch skip unchanged files: HTTP re-fetches send ``If-None-Match`` /
``If-Modified-Since`` and keep the local file on ``304 Not Modified``.

Nothing here runs at import time and nothing imports Streamlit.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .sources import Source

log = logging.getLogger(__name__)

#: Name of the per-source manifest kept beside the downloaded file.
MANIFEST_NAME = ".fetch.json"
#: Records per ArcGIS query page (the ONS Open Geography Portal's maxRecordCount).
ARCGIS_PAGE_SIZE = 2_000
#: A guard against a service that ignores ``resultOffset`` and pages forever.
ARCGIS_MAX_PAGES = 1_000
#: ``User-Agent`` sent when this module creates its own session.
USER_AGENT = f"inequality-etl/1.0 python-requests/{requests.__version__}"

_CHUNK = 1 << 16
_ARCGIS_FORMATS = ("arcgis_geojson", "arcgis_table")
_MIRROR_HINT = ("check that INEQUALITY_MIRROR / --mirror points at a directory laid out "
                "<source id>/<file>")
_LIVE_HINT = "try again later, or build from a mirror with --mirror DIR"


class FetchError(Exception):
    """A source could not be fetched.

    The message names the source id, the URL or path, what went wrong and how to fix it.
    ``source_id``, ``url`` and ``status`` (the HTTP status code, when there was one) are kept
    as attributes for callers that want to act on them; ``live_only`` is true when a
    live-only source was asked for in mirror mode (the build logs those as skipped).
    """

    def __init__(self, message: str, *, source_id: str | None = None, url: str | None = None,
                 status: int | None = None, live_only: bool = False) -> None:
        super().__init__(message)
        self.source_id = source_id
        self.url = url
        self.status = status
        self.live_only = live_only


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_source` did for one source."""

    source_id: str
    path: Path  # the local file under raw_dir/<id>/
    sha256: str
    changed: bool  # False when the existing local file was kept (unchanged)
    origin: str  # "mirror" or "http"


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def describe_write_error(exc: BaseException, folder: Path) -> str | None:
    """A plain reason for a failed write in ``folder`` (disk full, file size limit,
    permission, read-only file system), or None when ``exc`` is none of those.

    Works on ``OSError`` and on DuckDB's IO errors, which carry the system's message.

    >>> describe_write_error(OSError(errno.ENOSPC, "No space left on device"), Path("/d"))
    'no space left on device in /d'
    """
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text \
            or "Disk quota exceeded" in text:
        return f"no space left on device in {folder}"
    if code == errno.EFBIG or "File too large" in text:
        limit = _file_size_limit()
        return (f"the file size limit{f' (ulimit -f: {limit})' if limit else ''} stopped a "
                f"write in {folder}")
    if code == errno.EROFS or "Read-only file system" in text:
        return f"{folder} is on a read-only file system"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return f"permission denied on {getattr(exc, 'filename', None) or folder}"
    return None


def _file_size_limit() -> str | None:
    try:
        import resource
        soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    except (ImportError, OSError, ValueError):
        return None
    return None if soft == resource.RLIM_INFINITY else f"{soft:,} bytes"


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_source(source: Source, raw_dir: Path, mirror: Path | None = None, *,
                 session: requests.Session | None = None, force: bool = False,
                 progress: bool | None = None, timeout: float = 60, retries: int = 4,
                 backoff: float = 1.0) -> FetchResult:
    """Fetch one source into ``raw_dir/<source.id>/`` and return what happened.

    With ``mirror`` the file is copied from ``mirror/<id>/<source.file>``; otherwise it is
    downloaded from ``source.url`` and stored as ``source.stored_file``.

    ``force`` ignores the manifest (no conditional request; the mirror copy is redone), but
    ``changed`` still reports whether the content differs from the previous local file.
    ``progress=None`` shows a progress bar only when stderr is a terminal. ``timeout`` is the
    per-request connect/read timeout in seconds; connection errors, timeouts, cut-short
    downloads and HTTP 429/5xx are retried ``retries`` times, waiting ``backoff * 2**n``
    seconds before retry ``n + 1``.

    Raises :class:`FetchError` on any failure; the final file is then left as it was.
    """
    raw_dir = Path(raw_dir)
    if progress is None:
        progress = _stderr_is_tty()
    if mirror is not None:
        return _fetch_from_mirror(source, raw_dir, Path(mirror), force=force)
    own_session = session is None
    http = session if session is not None else _new_session()
    try:
        fetcher = _HttpFetcher(source, http, progress=progress, timeout=timeout,
                               retries=retries, backoff=backoff)
        return fetcher.fetch(raw_dir, force=force)
    finally:
        if own_session:
            http.close()


def fetch_all(sources: Iterable[Source], raw_dir: Path, mirror: Path | None = None,
              **kw: Any) -> list[FetchResult]:
    """Fetch every source in order (one shared HTTP session) and return their results.

    In mirror mode, live-only sources (``in_mirror=False``) are skipped with a log message
    rather than raising, so the result may be shorter than ``sources``. Any other
    :class:`FetchError` propagates. Keyword arguments are passed to :func:`fetch_source`.
    """
    results: list[FetchResult] = []
    own_session = mirror is None and kw.get("session") is None
    if own_session:
        kw["session"] = _new_session()
    try:
        for source in sources:
            if mirror is not None and not source.in_mirror:
                log.info("%s: live-only source, not in the mirror; skipped", source.id)
                continue
            results.append(fetch_source(source, raw_dir, mirror, **kw))
    finally:
        if own_session:
            kw["session"].close()
    return results


# --------------------------------------------------------------------------------------------
# Mirror mode
# --------------------------------------------------------------------------------------------

def _fetch_from_mirror(source: Source, raw_dir: Path, mirror: Path, *,
                       force: bool) -> FetchResult:
    """Copy ``mirror/<id>/<file>`` to ``raw_dir/<id>/<file>`` unless it is already there."""
    if not source.in_mirror:
        raise FetchError(
            f"{source.id}: live-only source, not in the offline mirror {mirror}; it can only be "
            f"downloaded from {source.url} (build without --mirror / INEQUALITY_MIRROR to "
            "include it)",
            source_id=source.id, url=source.url, live_only=True)
    src = mirror / source.id / source.file
    if not src.is_file():
        raise FetchError(
            f"{source.id}: the mirror file {src} does not exist; {_MIRROR_HINT} "
            "(or build without a mirror to download it)",
            source_id=source.id, url=str(src))
    dest = raw_dir / source.id / source.file
    part = _part_path(dest)
    try:
        src_sha = sha256_file(src)
        old_sha = sha256_file(dest) if dest.is_file() else None
        if old_sha == src_sha and not force:
            return FetchResult(source.id, dest, src_sha, changed=False, origin="mirror")
        dest.parent.mkdir(parents=True, exist_ok=True)
        # copyfile, not copy2: the mirror is read-only and the local copy must stay writable.
        shutil.copyfile(src, part)
        copied_sha = sha256_file(part)
        if copied_sha != src_sha:
            raise FetchError(
                f"{source.id}: copying {src} produced a file with a different checksum "
                f"({copied_sha} != {src_sha}); check the disk under {raw_dir} and the mirror",
                source_id=source.id, url=str(src))
        os.replace(part, dest)
        _write_manifest(dest, {"url": source.url, "origin": "mirror", "mirror_path": str(src),
                               "sha256": src_sha, "etag": None, "last_modified": None})
    except OSError as exc:
        reason = describe_write_error(exc, dest.parent)
        if reason is not None:
            raise FetchError(
                f"{source.id}: could not copy {src} to {dest}: {reason}; free space there or "
                "point INEQUALITY_DATA_DIR at a writable folder with room for the downloads",
                source_id=source.id, url=str(src)) from exc
        raise FetchError(
            f"{source.id}: could not copy {src} to {dest}: {exc}; check that {raw_dir} is "
            f"writable and has free space, and {_MIRROR_HINT}",
            source_id=source.id, url=str(src)) from exc
    finally:
        part.unlink(missing_ok=True)
    return FetchResult(source.id, dest, src_sha, changed=old_sha != src_sha, origin="mirror")


# --------------------------------------------------------------------------------------------
# HTTP mode
# --------------------------------------------------------------------------------------------

class _Retry(Exception):
    """A transient failure of one attempt (connection, timeout, 429/5xx, cut short)."""

    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class _NotModified(Exception):
    """The server answered 304 Not Modified to a conditional request."""


class _HttpFetcher:
    """Downloads one source over HTTP with retries; see :func:`fetch_source`."""

    def __init__(self, source: Source, session: requests.Session, *, progress: bool,
                 timeout: float, retries: int, backoff: float) -> None:
        self.source = source
        self.session = session
        self.progress = progress
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))

    # -- orchestration ------------------------------------------------------------------------

    def fetch(self, raw_dir: Path, *, force: bool) -> FetchResult:
        """Download to ``<stored_file>.part``, then keep the old file or replace it."""
        source = self.source
        dest = raw_dir / source.id / source.stored_file
        part = _part_path(dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            old_sha = sha256_file(dest) if dest.is_file() else None
            manifest = {} if force else _read_manifest(dest.parent)
            # Trust the manifest's validators only if it describes the file that is there now.
            trusted = (old_sha is not None and manifest.get("url") == source.url
                       and manifest.get("file") == dest.name
                       and manifest.get("sha256") == old_sha)
            etag = last_modified = None
            if source.live_format in _ARCGIS_FORMATS:
                self._download_arcgis(part)
            else:
                headers: dict[str, str] = {}
                if trusted and manifest.get("etag"):
                    headers["If-None-Match"] = manifest["etag"]
                if trusted and manifest.get("last_modified"):
                    headers["If-Modified-Since"] = manifest["last_modified"]
                try:
                    etag, last_modified = self._download_file(part, headers)
                except _NotModified:
                    if old_sha is None:  # 304 to an unconditional request: nothing to keep
                        raise FetchError(
                            f"{source.id}: the server answered 304 Not Modified for "
                            f"{source.url} but there is no local file to keep; retry with "
                            "force, or delete the source's folder under the raw directory",
                            source_id=source.id, url=source.url, status=304) from None
                    _write_manifest(dest, {**manifest, "checked_at": _now()})
                    return FetchResult(source.id, dest, old_sha, changed=False, origin="http")
            new_sha = sha256_file(part)
            changed = new_sha != old_sha
            if changed:
                os.replace(part, dest)
            _write_manifest(dest, {"url": source.url, "origin": "http", "sha256": new_sha,
                                   "etag": etag, "last_modified": last_modified})
        except OSError as exc:
            reason = describe_write_error(exc, dest.parent) or str(exc)
            raise FetchError(
                f"{source.id}: could not write {dest}: {reason}; check that {raw_dir} is "
                "writable and has free space (or point INEQUALITY_DATA_DIR elsewhere)",
                source_id=source.id, url=source.url) from exc
        finally:
            part.unlink(missing_ok=True)
        return FetchResult(source.id, dest, new_sha, changed=changed, origin="http")

    # -- one request, retried -----------------------------------------------------------------

    def _with_retries(self, url: str, headers: dict[str, str],
                      consume: Callable[[requests.Response], Any]) -> Any:
        """GET ``url`` and pass the response to ``consume``, retrying transient failures.

        ``consume`` reads the body; it may raise :class:`_Retry` (e.g. a cut-short body).
        HTTP 304 raises :class:`_NotModified`; other 4xx (except 429) fail at once.
        """
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                try:
                    with self.session.get(url, headers=headers, timeout=self.timeout,
                                          stream=True) as response:
                        self._check_status(response, url)
                        return consume(response)
                except requests.Timeout as exc:
                    raise _Retry(f"the request to {url} timed out after {self.timeout:g} s "
                                 f"({exc})") from exc
                except requests.ConnectionError as exc:
                    raise _Retry(f"the connection to {url} failed ({exc})") from exc
                except (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError) as exc:
                    raise _Retry(f"the connection to {url} broke mid-download "
                                 f"({exc})") from exc
                except requests.RequestException as exc:  # bad URL, too many redirects...
                    raise FetchError(
                        f"{self.source.id}: the request to {url} failed: {exc}; check the "
                        "URL in inequality/etl/sources.py, or build from a mirror with --mirror DIR",
                        source_id=self.source.id, url=url) from exc
            except _Retry as failure:
                if attempt + 1 >= attempts:
                    tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
                    raise FetchError(
                        f"{self.source.id}: {failure.message} (gave up after {tries}); "
                        f"{_LIVE_HINT}",
                        source_id=self.source.id, url=url, status=failure.status) from None
                delay = self.backoff * 2 ** attempt
                if failure.retry_after is not None and self.backoff > 0:
                    delay = max(delay, min(failure.retry_after, 60.0))
                log.info("%s: %s; retrying in %.1f s", self.source.id, failure.message, delay)
                if delay:
                    time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_status(self, response: requests.Response, url: str) -> None:
        """Classify the status: fine, 304, retryable (429/5xx) or a hard failure."""
        status = response.status_code
        if status == 304:
            raise _NotModified()
        if status == 429 or status >= 500:
            raise _Retry(f"the server returned HTTP {status} for {url}", status=status,
                         retry_after=_retry_after(response))
        if status >= 400:
            raise FetchError(
                f"{self.source.id}: the server returned HTTP {status} "
                f"{response.reason or ''} for {url}; the file may have moved: check "
                f"{self.source.landing_page} and correct the URL in inequality/etl/sources.py, "
                "or build from a mirror with --mirror DIR",
                source_id=self.source.id, url=url, status=status)

    # -- plain files --------------------------------------------------------------------------

    def _download_file(self, part: Path, headers: dict[str, str]) -> tuple[str | None,
                                                                           str | None]:
        """Stream ``source.url`` into ``part``; return the response's (ETag, Last-Modified)."""
        url = self.source.url

        def consume(response: requests.Response) -> tuple[str | None, str | None]:
            expected = _content_length(response)
            bar = _Progress(self.source.id, expected, enabled=self.progress)
            written = 0
            try:
                with open(part, "wb") as fh:
                    for chunk in response.iter_content(chunk_size=_CHUNK):
                        fh.write(chunk)
                        written += len(chunk)
                        bar.update(written)
            except (requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError) as exc:
                got = _wire_bytes(response, written)
                if expected is not None and got < expected:
                    raise _Retry(f"download cut short: got {got} of {expected} bytes from "
                                 f"{url} ({exc})") from exc
                raise
            finally:
                bar.close()
            got = _wire_bytes(response, written)
            if expected is not None and got < expected:
                raise _Retry(f"download cut short: got {got} of {expected} bytes from {url}")
            return response.headers.get("ETag"), response.headers.get("Last-Modified")

        return self._with_retries(url, headers, consume)

    # -- ArcGIS feature services --------------------------------------------------------------

    def _download_arcgis(self, part: Path) -> None:
        """Page through the ArcGIS query and write one GeoJSON or CSV file to ``part``."""
        geojson = self.source.live_format == "arcgis_geojson"
        bar = _Progress(self.source.id, self.source.expected_rows, enabled=self.progress,
                        unit="records")
        try:
            with open(part, "w", encoding="utf-8", newline="") as fh:
                if geojson:
                    self._write_geojson(fh, bar)
                else:
                    self._write_csv(fh, bar)
        finally:
            bar.close()

    def _pages(self, bar: _Progress) -> Iterable[list[dict]]:
        """Yield each page's ``features`` until the service says there are no more."""
        offset = 0
        for _ in range(ARCGIS_MAX_PAGES):
            url = _with_query(self.source.url, resultOffset=offset,
                              resultRecordCount=ARCGIS_PAGE_SIZE)
            page = self._with_retries(url, {}, lambda r, u=url: self._read_page(r, u))
            features = page.get("features") or []
            if not isinstance(features, list):
                raise FetchError(
                    f"{self.source.id}: the ArcGIS response from {url} has no feature list; "
                    "check the query URL in inequality/etl/sources.py",
                    source_id=self.source.id, url=url)
            props = page.get("properties")
            exceeded = bool(page.get("exceededTransferLimit")
                            or (isinstance(props, dict) and props.get("exceededTransferLimit")))
            if features:
                yield features
            offset += len(features)
            bar.update(offset)
            if not features or (len(features) < ARCGIS_PAGE_SIZE and not exceeded):
                return
        raise FetchError(
            f"{self.source.id}: {self.source.url} still had more records after "
            f"{ARCGIS_MAX_PAGES} pages; the service may be ignoring resultOffset. Check the "
            "query URL in inequality/etl/sources.py, or build from a mirror with --mirror DIR",
            source_id=self.source.id, url=self.source.url)

    def _read_page(self, response: requests.Response, url: str) -> dict:
        """Parse one ArcGIS page, turning an ArcGIS error body into :class:`FetchError`."""
        expected = _content_length(response)
        body = response.content
        got = _wire_bytes(response, len(body))
        if expected is not None and got < expected:
            raise _Retry(f"download cut short: got {got} of {expected} bytes from {url}")
        try:
            page = json.loads(body)
        except ValueError:
            snippet = body[:200].decode("utf-8", "replace").strip()
            raise FetchError(
                f"{self.source.id}: {url} did not return JSON (starts {snippet!r}); the "
                f"service may be down or moved: check {self.source.landing_page}, or build "
                "from a mirror with --mirror DIR",
                source_id=self.source.id, url=url, status=response.status_code) from None
        if not isinstance(page, dict):
            raise FetchError(
                f"{self.source.id}: {url} returned JSON that is not an ArcGIS query result; "
                "check the query URL in inequality/etl/sources.py",
                source_id=self.source.id, url=url)
        error = page.get("error")
        if error:
            if isinstance(error, dict):
                code = error.get("code")
                message = error.get("message") or "no message"
                details = "; ".join(str(d) for d in error.get("details") or [] if d)
                described = (f"ArcGIS error {code}: {message!r}" if code is not None
                             else f"ArcGIS error: {message!r}")
                if details:
                    described += f" ({details})"
            else:
                code, described = None, f"ArcGIS error: {error!r}"
            status = code if isinstance(code, int) else None
            if status is not None and (status == 429 or status >= 500):
                raise _Retry(f"{described} for {url}", status=status)
            raise FetchError(
                f"{self.source.id}: {url} returned {described}; the service or its fields "
                "may have changed: check the query URL in inequality/etl/sources.py against "
                f"{self.source.landing_page}, or build from a mirror with --mirror DIR",
                source_id=self.source.id, url=url, status=status)
        return page

    def _write_geojson(self, fh: TextIO, bar: _Progress) -> None:
        """Write every page's features as one FeatureCollection, streaming page by page."""
        fh.write('{"type": "FeatureCollection", "features": [\n')
        first = True
        for features in self._pages(bar):
            for feature in features:
                if not first:
                    fh.write(",\n")
                fh.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
                first = False
        fh.write("\n]}\n")

    def _write_csv(self, fh: TextIO, bar: _Progress) -> None:
        """Write the ``attributes`` of every record as CSV, header = attribute names."""
        records: list[dict] = []
        for features in self._pages(bar):
            for feature in features:
                attributes = feature.get("attributes") if isinstance(feature, dict) else None
                if not isinstance(attributes, dict):
                    raise FetchError(
                        f"{self.source.id}: a record from {self.source.url} has no "
                        "'attributes'; an arcgis_table source needs f=json in its URL "
                        "(check inequality/etl/sources.py)",
                        source_id=self.source.id, url=self.source.url)
                records.append(attributes)
        header: dict[str, None] = {}  # ordered union of the attribute names
        for record in records:
            header.update(dict.fromkeys(record))
        writer = csv.DictWriter(fh, fieldnames=list(header), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

class _Progress:
    """A one-line progress bar written by hand to stderr (only when ``enabled``)."""

    _WIDTH = 30

    def __init__(self, label: str, total: int | None, *, enabled: bool,
                 unit: str = "bytes", stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._drawn = False

    def update(self, done: int) -> None:
        """Redraw at most ten times a second, and always when ``done`` reaches the total."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done != self.total:
            return
        self._last = now
        amount = self._fmt(done)
        if self.total:
            fraction = min(done / self.total, 1.0)
            filled = int(fraction * self._WIDTH)
            bar = "#" * filled + "-" * (self._WIDTH - filled)
            line = f"{self.label}: [{bar}] {fraction:4.0%} {amount} / {self._fmt(self.total)}"
        else:
            line = f"{self.label}: {amount}"
        self.stream.write("\r" + line + "\033[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _fmt(self, n: int) -> str:
        if self.unit != "bytes":
            return f"{n:,} {self.unit}"
        size = float(n)
        for suffix in ("B", "KB", "MB", "GB"):
            if size < 1024 or suffix == "GB":
                return f"{size:.0f} {suffix}" if suffix == "B" else f"{size:.1f} {suffix}"
            size /= 1024
        return f"{n} B"  # pragma: no cover


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _read_manifest(folder: Path) -> dict:
    """Return ``folder/.fetch.json`` as a dict, or ``{}`` if absent or unreadable."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(dest: Path, fields: dict) -> None:
    """Write the manifest for ``dest`` atomically.

    ``file`` is set to ``dest``'s name and ``fetched_at`` to now unless ``fields`` carries one
    (a 304 keeps the original ``fetched_at`` and adds ``checked_at``).
    """
    manifest = {"fetched_at": _now(), **fields, "file": dest.name}
    path = dest.parent / MANIFEST_NAME
    tmp = _part_path(path)
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _content_length(response: requests.Response) -> int | None:
    try:
        value = int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None
    return value if value >= 0 else None


def _wire_bytes(response: requests.Response, decoded: int) -> int:
    """Bytes received on the wire: the decoded count unless the body was content-encoded."""
    if response.headers.get("Content-Encoding", "identity").lower() in ("", "identity"):
        return decoded
    tell = getattr(response.raw, "tell", None)
    try:
        return int(tell()) if callable(tell) else decoded
    except (TypeError, ValueError, OSError):
        return decoded


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _with_query(url: str, **params: Any) -> str:
    """Return ``url`` with these query parameters replaced or added (others kept in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]
    query.extend((k, str(v)) for k, v in params.items())
    return urlunsplit(parts._replace(query=urlencode(query, safe=",")))
