"""fetch -> read -> load into a NEW database file -> atomic replace.

A build never writes to the database the app is reading. It writes ``<db>.tmp-<pid>``
(for ``--only``, a copy of the current database), and only when every source has loaded and
the derived tables are built does ``os.replace`` swap it in. Any failure removes the
temporary file and leaves the previous database byte-for-byte as it was.

Re-running a build whose files are unchanged does no work beyond checksums: each file's
SHA-256 is compared with the ``load_log`` of the current database.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from .. import config
from ..geography import ASSIGNMENT_SQL
from . import fetch
from .spatial import derive_spatial
from .readers import READERS, ReaderError
from .readers.iod import MEASURES
from .sources import RELEASES, SOURCES, Source

SCHEMA_VERSION = "2"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")


class BuildError(RuntimeError):
    """A build failed; the message names the source and file, and the previous DB is intact."""


@dataclass
class BuildReport:
    db: Path
    changed: bool
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    cols = ", ".join(frame.columns)
    # Through Arrow: far faster than a pandas scan for the WKB (bytes) columns.
    con.register("_frame", pa.Table.from_pandas(frame, preserve_index=False))
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
    finally:
        con.unregister("_frame")


# --- loaders: each replaces the rows its source owns --------------------------------------

def _load_iod(con, source: Source, path: Path) -> tuple[int, list[str]]:
    data = READERS["iod"](source, path)
    rel = data.release
    for table in ("deprivation", "population", "iod_lsoa", "release"):
        con.execute(f"DELETE FROM {table} WHERE release = ?", [rel])
    _insert(con, "deprivation", data.deprivation)
    _insert(con, "population", data.population)
    _insert(con, "iod_lsoa", data.areas)
    meta = RELEASES[rel]
    con.execute("INSERT INTO release VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rel, meta["year"], meta["geography"], meta["lad"], source.id, data.rows,
                 data.decile_derived, data.has_population])
    return data.rows, data.missing


def _load_boundary(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["boundary"](source, path)
    con.execute("DELETE FROM boundary WHERE geography = ?", [source.geography])
    _insert(con, "boundary", frame.assign(geography=source.geography))
    return len(frame), missing


def _load_lsoa_lookup(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["lsoa_lookup"](source, path)
    a, b = source.options["from"], source.options["to"]
    con.execute("DELETE FROM lsoa_change WHERE from_geography = ?", [a])
    _insert(con, "lsoa_change", frame.reindex(columns=["from_code", "from_name", "to_code",
                                                       "to_name", "chgind"])
            .assign(from_geography=a, to_geography=b))
    return len(frame), missing


def _load_area_lookup(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["area_lookup"](source, path)
    geo = source.geography
    if geo == "lsoa21":
        frame = frame.assign(lad_code=frame.get("lad22_code"), lad_vintage="lad22")
    else:
        lad21 = "lad21_code" in frame.columns
        frame = frame.assign(lad_code=frame["lad21_code"] if lad21 else frame.get("lad11_code"),
                             lad_vintage="lad21" if lad21 else "lad11")
    cols = ["lsoa_code", "lsoa_name", "msoa_code", "msoa_name", "ward_code", "ward_name",
            "lad_code", "lad_vintage", "lad24_code", "lad24_name"]
    frame = frame.reindex(columns=cols).assign(geography=geo)
    con.execute("DELETE FROM area_lookup WHERE geography = ?", [geo])
    _insert(con, "area_lookup", frame)
    return len(frame), missing


def _load_lad_region(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["lad_region"](source, path)
    con.execute("DELETE FROM lad")
    _insert(con, "lad", frame)
    return len(frame), missing


def _load_ruc(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS[source.kind](source, path)
    con.execute("DELETE FROM rural_urban WHERE geography = ?", [source.geography])
    _insert(con, "rural_urban", frame)
    return len(frame), missing


def _load_health(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["health"](source, path)
    con.execute("DELETE FROM health_indicator WHERE source_id = ?", [source.id])
    _insert(con, "health_indicator", frame.assign(source_id=source.id))
    return len(frame), missing


def _load_postcode(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["postcode"](source, path)
    con.execute("DELETE FROM postcode")
    con.register("_frame", pa.Table.from_pandas(frame, preserve_index=False))
    try:  # stored in postcode order: a point lookup then reads one row group
        con.execute("INSERT INTO postcode SELECT postcode, lsoa21_code, lad24_code, ward_code, "
                    "country_code, terminated FROM _frame ORDER BY postcode")
    finally:
        con.unregister("_frame")
    unknown = con.execute("""SELECT postcode, lsoa21_code, count(*) OVER () FROM postcode
                             WHERE lsoa21_code IS NOT NULL AND lsoa21_code NOT IN
                               (SELECT lsoa_code FROM area_lookup WHERE geography = 'lsoa21')
                             ORDER BY postcode LIMIT 1""").fetchall()
    if unknown:
        pc, code, n = unknown[0]
        raise ReaderError(f"postcode {pc!r} lies in LSOA {code!r}, which the ONS LSOA 2021 "
                          f"lookup (lookup_lsoa21_msoa21_lad) does not hold ({n:,} postcode(s)); "
                          "the NSPL and the lookup must be of the same 2021 geography, so "
                          "re-download both with `python -m inequality build --force`")
    return int((frame["country_code"] == "E92000001").sum()), missing


def _load_msoa_names(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["msoa_names"](source, path)
    geo, lsoa_geo = source.geography, "lsoa" + source.geography[4:]
    con.execute("DELETE FROM msoa_names WHERE geography = ?", [geo])
    _insert(con, "msoa_names", frame.assign(geography=geo))
    unknown = con.execute("""SELECT msoa_code, count(*) OVER () FROM msoa_names
                             WHERE geography = ? AND msoa_code NOT IN
                               (SELECT msoa_code FROM area_lookup WHERE geography = ?
                                AND msoa_code IS NOT NULL)
                             ORDER BY msoa_code LIMIT 1""", [geo, lsoa_geo]).fetchall()
    if unknown:
        raise ReaderError(f"MSOA {unknown[0][0]!r} is not in the ONS {lsoa_geo.upper()} to "
                          f"MSOA lookup ({unknown[0][1]:,} name(s)); the names must be of the "
                          f"{geo} geography, so check the file is the {source.title}")
    return len(frame), missing


LOADERS: dict[str, Callable] = {
    "iod": _load_iod, "boundary": _load_boundary, "lsoa_lookup": _load_lsoa_lookup,
    "area_lookup": _load_area_lookup, "lad_region": _load_lad_region, "ruc_lsoa": _load_ruc,
    "ruc_lad": _load_ruc, "health": _load_health, "postcode": _load_postcode,
    "msoa_names": _load_msoa_names,
}


# --- derived tables ---------------------------------------------------------------------

DERIVE_SQL = """
DELETE FROM measure;
DELETE FROM lsoa;
DELETE FROM lad_change;

CREATE TEMP TABLE lad24_names AS
SELECT lad24_code, any_value(lad24_name) AS lad24_name FROM area_lookup
WHERE geography = 'lsoa21' GROUP BY lad24_code;

-- LSOA21: the ONS lookup gives the 2024 authority directly.
INSERT INTO lsoa (geography, lsoa_code, lsoa_name, msoa_code, msoa_name, ward_code, ward_name,
                  lad24_code, lad24_method)
SELECT 'lsoa21', lsoa_code, lsoa_name, msoa_code, msoa_name, ward_code, ward_name, lad24_code,
       'lookup'
FROM area_lookup WHERE geography = 'lsoa21';

-- LSOA11 and LSOA01: the 2024 authority of lsoa_assignment (inequality.geography: the one
-- deterministic rule, filled just before this script runs).
CREATE TEMP TABLE lsoa11_codes AS
SELECT lsoa_code FROM area_lookup WHERE geography = 'lsoa11'
UNION SELECT lsoa_code FROM iod_lsoa i JOIN release r USING (release) WHERE r.geography = 'lsoa11'
UNION SELECT from_code FROM lsoa_change WHERE from_geography = 'lsoa11';

INSERT INTO lsoa (geography, lsoa_code, lsoa_name, msoa_code, msoa_name, ward_code, ward_name,
                  lad24_code, lad24_method)
SELECT 'lsoa11', c.lsoa_code, a.lsoa_name, a.msoa_code, a.msoa_name, a.ward_code, a.ward_name,
       x.lad24_code, x.method
FROM lsoa11_codes c
LEFT JOIN area_lookup a ON a.geography = 'lsoa11' AND a.lsoa_code = c.lsoa_code
LEFT JOIN lsoa_assignment x ON x.geography = 'lsoa11' AND x.lsoa_code = c.lsoa_code;

CREATE TEMP TABLE lsoa01_codes AS
SELECT from_code AS lsoa_code FROM lsoa_change WHERE from_geography = 'lsoa01'
UNION SELECT lsoa_code FROM iod_lsoa i JOIN release r USING (release) WHERE r.geography = 'lsoa01';

INSERT INTO lsoa (geography, lsoa_code, lad24_code, lad24_method)
SELECT 'lsoa01', c.lsoa_code, x.lad24_code, x.method
FROM lsoa01_codes c
LEFT JOIN lsoa_assignment x ON x.geography = 'lsoa01' AND x.lsoa_code = c.lsoa_code;

-- Names, region and rural-urban class for every geography.
UPDATE lsoa SET lad24_name = n.lad24_name FROM lad24_names n WHERE n.lad24_code = lsoa.lad24_code;
UPDATE lsoa SET lad24_name = d.lad_name, region_code = d.region_code, region_name = d.region_name
FROM lad d WHERE d.lad_vintage = 'lad24' AND d.lad_code = lsoa.lad24_code;
UPDATE lsoa SET ruc_code = r.ruc_code, ruc_name = r.ruc_name, urban_rural = r.broad_class
FROM rural_urban r WHERE r.geography = lsoa.geography AND r.area_code = lsoa.lsoa_code;
CREATE TEMP TABLE lsoa_names AS
SELECT from_geography AS geography, from_code AS lsoa_code, any_value(from_name) AS lsoa_name
FROM lsoa_change WHERE from_name IS NOT NULL GROUP BY ALL
UNION ALL
SELECT r.geography, i.lsoa_code, any_value(i.lsoa_name) FROM iod_lsoa i JOIN release r USING (release)
WHERE i.lsoa_name IS NOT NULL GROUP BY ALL;
UPDATE lsoa SET lsoa_name = n.lsoa_name
FROM (SELECT geography, lsoa_code, any_value(lsoa_name) AS lsoa_name FROM lsoa_names GROUP BY ALL) n
WHERE lsoa.lsoa_name IS NULL AND n.geography = lsoa.geography AND n.lsoa_code = lsoa.lsoa_code;

-- How each release's published authorities map to current ones.
INSERT INTO lad_change
WITH m AS (
    SELECT i.release, i.lad_code AS from_code, any_value(i.lad_name) AS from_name,
           l.lad24_code, count(*) AS lsoa_count
    FROM iod_lsoa i JOIN release r USING (release)
    JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
    WHERE l.lad24_code IS NOT NULL
    GROUP BY ALL)
SELECT release, from_code, from_name, lad24_code, lsoa_count,
       sum(lsoa_count) OVER (PARTITION BY release, from_code),
       sum(lsoa_count) OVER (PARTITION BY release, lad24_code)
FROM m;
"""


def _derive(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ASSIGNMENT_SQL)  # lsoa_assignment: the one LSOA -> 2024 authority rule
    con.execute(DERIVE_SQL)
    dup = con.execute("SELECT geography, lsoa_code FROM lsoa GROUP BY ALL HAVING count(*) > 1 "
                      "LIMIT 1").fetchone()
    if dup:
        raise BuildError(f"derived table lsoa holds {dup[0]} {dup[1]} twice; the lookups "
                         "disagree, so check lookup_lsoa11_lsoa21 and lookup_lsoa21_msoa21_lad")
    con.executemany("INSERT INTO measure VALUES (?, ?, ?, ?, ?)",
                    [[m, label, kind, parent, i] for i, (m, label, kind, parent)
                     in enumerate(MEASURES)])


# --- the build ----------------------------------------------------------------------------

def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def previous_checksums(db: Path) -> dict[str, str] | None:
    """``{source_id: sha256}`` of the current database, or None if it is absent or unreadable."""
    if not db.exists():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            version = con.execute(
                "SELECT value FROM build_info WHERE key = 'schema_version'").fetchone()
            if not version or version[0] != SCHEMA_VERSION:
                return None
            rows = con.execute("SELECT source_id, sha256, status FROM load_log").fetchall()
    except duckdb.Error:
        return None
    return {sid: (sha if status == "loaded" else status) for sid, sha, status in rows}


def select_sources(only: Iterable[str] | None = None,
                   sources: Iterable[Source] | None = None) -> list[Source]:
    pool = list(sources if sources is not None else SOURCES)
    if not only:
        return pool
    by_id = {s.id: s for s in pool}
    unknown = [i for i in only if i not in by_id]
    if unknown:
        raise BuildError(f"unknown source id(s) {', '.join(map(repr, unknown))} for --only; "
                         f"choose from: {', '.join(by_id)}")
    return [by_id[i] for i in only]


def build(db: Path | None = None, *, mirror: Path | None = None, raw_dir: Path | None = None,
          sources: Iterable[Source] | None = None, only: Iterable[str] | None = None,
          force: bool = False, log: Callable[[str], None] = _log, **fetch_kw) -> BuildReport:
    """Build (or refresh) the database. Raises :class:`BuildError`; never damages ``db``."""
    t0 = time.perf_counter()
    db = Path(db or config.db_path())
    raw_dir = Path(raw_dir or config.raw_dir())
    mirror = mirror if mirror is not None else config.mirror_dir()
    only = list(only or [])
    selected = select_sources(only, sources)
    if only and not db.exists():
        raise BuildError(f"--only needs an existing database to update, and {db} does not "
                         "exist; run a full `python -m inequality build` first")
    if mirror is not None and not Path(mirror).is_dir():
        raise BuildError(f"mirror folder {mirror} does not exist; point --mirror or "
                         "INEQUALITY_MIRROR at a folder laid out <source id>/<file>")

    report = BuildReport(db=db, changed=False)
    fetched: dict[str, fetch.FetchResult] = {}
    skipped: dict[str, str] = {}
    for source in selected:
        if mirror is not None and not source.in_mirror:
            skipped[source.id] = "live-only source: not in the offline mirror"
            log(f"skip  {source.id}: live only, not in the mirror")
            continue
        try:
            fetched[source.id] = fetch.fetch_source(source, raw_dir, mirror, **fetch_kw)
        except fetch.FetchError as exc:
            raise BuildError(f"{source.id}: {exc}") from exc
        log(f"{'fetch' if fetched[source.id].changed else 'same '} {source.id} "
            f"({fetched[source.id].origin}) sha256 {fetched[source.id].sha256[:12]}")

    previous = previous_checksums(db)
    if not force and not only and previous is not None:
        current = {sid: r.sha256 for sid, r in fetched.items()}
        current.update({sid: "skipped" for sid in skipped})
        if current == previous:
            log(f"unchanged: every file matches the load log of {db}; nothing to do")
            report.seconds = time.perf_counter() - t0
            return report

    db.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(db)
    tmp = db.with_name(f"{db.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        if only:
            shutil.copy2(db, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET enable_progress_bar = false")
            if not only:
                con.execute(SCHEMA_SQL.read_text())
            for source in selected:
                if source.id in skipped:
                    con.execute("DELETE FROM load_log WHERE source_id = ?", [source.id])
                    con.execute("INSERT INTO load_log VALUES (?, ?, NULL, 0, [], 'skipped', ?, ?)",
                                [source.id, source.file, skipped[source.id], _now()])
                    report.skipped.append(source.id)
                    continue
                result = fetched[source.id]
                t = time.perf_counter()
                try:
                    rows, missing = LOADERS[source.kind](con, source, result.path)
                except ReaderError as exc:
                    raise BuildError(f"{source.id}: {result.path}: {exc}") from exc
                except duckdb.Error as exc:
                    raise BuildError(f"{source.id}: {result.path}: could not be loaded into "
                                     f"the database ({exc})") from exc
                con.execute("DELETE FROM load_log WHERE source_id = ?", [source.id])
                con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, 'loaded', ?, ?)",
                            [source.id, result.path.name, result.sha256, rows, missing,
                             f"from {result.origin}", _now()])
                report.loaded.append(source.id)
                log(f"load  {source.id}: {rows:,} rows"
                    f"{f', {len(missing)} optional column(s) absent' if missing else ''}"
                    f" ({time.perf_counter() - t:.1f}s)")
            _derive(con)
            derive_spatial(con, log)  # national queen neighbours and the LISA cache
            con.execute("DELETE FROM build_info")
            con.executemany("INSERT INTO build_info VALUES (?, ?)", [
                ["schema_version", SCHEMA_VERSION],
                ["built_at", _now().isoformat(timespec="seconds") + "Z"],
                ["origin", f"mirror {mirror}" if mirror is not None else "live download"],
            ])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db)
    except BaseException:
        _remove(tmp)
        raise
    report.changed = True
    report.seconds = time.perf_counter() - t0
    log(f"built {db} in {report.seconds:.1f}s")
    return report


def _remove_stale_temporaries(db: Path) -> None:
    """Delete temporaries left by builds that were killed (their process no longer runs)."""
    for tmp in db.parent.glob(f"{db.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _running(int(pid)):
            _remove(tmp)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
