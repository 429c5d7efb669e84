"""fetch -> read -> load into a NEW database file -> atomic replace.

A build never writes to the database the app is reading. It writes ``<db>.tmp-<pid>``
(for ``--only``, a copy of the current database), and only when every source has loaded and
the derived tables are built does ``os.replace`` swap it in. Any failure removes the
temporary file and leaves the previous database byte-for-byte as it was.

Re-running a build whose files are unchanged does no work beyond checksums: each file's
SHA-256 is compared with the ``load_log`` of the current database. A current database that is
damaged or of another schema version (:func:`inequality.db.problem`) is rebuilt whole.

The files load side by side, each on its own cursor (:func:`_load_all`). Each reader
validates its own file's values; :func:`cross_check` then checks that the loaded files agree
on which LSOAs exist. Every run starts by removing the temporaries of killed builds
and by checking that the database folder is writable; a full disk or a file size limit ends
the build with a message naming the folder, never a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from .. import config
from ..db import SCHEMA_VERSION, insert_frame  # bump SCHEMA_VERSION in db.py, by the damage check
from ..db import problem as db_problem
from . import derive, fetch
from .readers import READERS, ReaderError
from .sources import RELEASES, SOURCES, Source

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


# --- loaders: each replaces the rows its source owns --------------------------------------

def _load_iod(con, source: Source, path: Path) -> tuple[int, list[str]]:
    data = READERS["iod"](source, path)
    rel = data.release
    for table in ("deprivation", "population", "iod_lsoa", "release"):
        con.execute(f"DELETE FROM {table} WHERE release = ?", [rel])
    insert_frame(con, "deprivation", data.deprivation)
    insert_frame(con, "population", data.population)
    insert_frame(con, "iod_lsoa", data.areas)
    meta = RELEASES[rel]
    con.execute("INSERT INTO release VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rel, meta.year, meta.geography, meta.lad, source.id, data.rows,
                 data.decile_derived, data.has_population])
    return data.rows, data.missing


def _load_boundary(con, source: Source, path: Path) -> tuple[int, list[str], list[str]]:
    frame, missing = READERS["boundary"](source, path)
    notes = list(frame.attrs.get("notes", []))  # geometries repaired, for the load log
    con.execute("DELETE FROM boundary WHERE geography = ?", [source.geography])
    insert_frame(con, "boundary", frame.assign(geography=source.geography))
    return len(frame), missing, notes


def _load_lsoa_lookup(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["lsoa_lookup"](source, path)
    a, b = source.options["from"], source.options["to"]
    con.execute("DELETE FROM lsoa_change WHERE from_geography = ?", [a])
    insert_frame(con, "lsoa_change",
                 frame.reindex(columns=["from_code", "from_name", "to_code", "to_name", "chgind"])
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
    insert_frame(con, "area_lookup", frame)
    return len(frame), missing


def _load_lad_region(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["lad_region"](source, path)
    con.execute("DELETE FROM lad")
    insert_frame(con, "lad", frame)
    return len(frame), missing


def _load_ruc(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS[source.kind](source, path)
    con.execute("DELETE FROM rural_urban WHERE geography = ?", [source.geography])
    insert_frame(con, "rural_urban", frame)
    return len(frame), missing


def _load_health(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["health"](source, path)
    con.execute("DELETE FROM health_indicator WHERE source_id = ?", [source.id])
    insert_frame(con, "health_indicator", frame.assign(source_id=source.id))
    return len(frame), missing


def _load_postcode(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["postcode"](source, path)
    con.execute("DELETE FROM postcode")
    # in the file's order (NSPL is sorted by postcode): a point lookup reads one row group
    insert_frame(con, "postcode", frame[["postcode", "lsoa21_code", "lad24_code", "ward_code",
                                         "country_code", "terminated"]])
    return int((frame["country_code"] == "E92000001").sum()), missing


def _load_msoa_names(con, source: Source, path: Path) -> tuple[int, list[str]]:
    frame, missing = READERS["msoa_names"](source, path)
    geo = source.geography
    con.execute("DELETE FROM msoa_names WHERE geography = ?", [geo])
    insert_frame(con, "msoa_names", frame.assign(geography=geo))
    return len(frame), missing


def _check_postcode(con, source: Source) -> None:
    """Every postcode's LSOA is in the ONS LSOA 2021 lookup (run once the lookups are in)."""
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


def _check_msoa_names(con, source: Source) -> None:
    """Every named MSOA is in the ONS LSOA-to-MSOA lookup of its geography (run once the
    lookups are in)."""
    geo, lsoa_geo = source.geography, "lsoa" + source.geography[4:]
    unknown = con.execute("""SELECT msoa_code, count(*) OVER () FROM msoa_names
                             WHERE geography = ? AND msoa_code NOT IN
                               (SELECT msoa_code FROM area_lookup WHERE geography = ?
                                AND msoa_code IS NOT NULL)
                             ORDER BY msoa_code LIMIT 1""", [geo, lsoa_geo]).fetchall()
    if unknown:
        raise ReaderError(f"MSOA {unknown[0][0]!r} is not in the ONS {lsoa_geo.upper()} to "
                          f"MSOA lookup ({unknown[0][1]:,} name(s)); the names must be of the "
                          f"{geo} geography, so check the file is the {source.title}")


LOADERS: dict[str, Callable] = {
    "iod": _load_iod, "boundary": _load_boundary, "lsoa_lookup": _load_lsoa_lookup,
    "area_lookup": _load_area_lookup, "lad_region": _load_lad_region, "ruc_lsoa": _load_ruc,
    "ruc_lad": _load_ruc, "health": _load_health, "postcode": _load_postcode,
    "msoa_names": _load_msoa_names,
}

#: Checks of a loaded file against the tables other files filled (the NSPL's and the MSOA
#: names' codes against the ONS lookups), run when every selected file is loaded.
LOAD_CHECKS: dict[str, Callable] = {"postcode": _check_postcode,
                                    "msoa_names": _check_msoa_names}


# --- cross-file consistency -------------------------------------------------------------

@dataclass(frozen=True)
class _Codes:
    """One file's set of LSOA codes, as loaded into the new database."""

    label: str  # "iod2025_lsoa21 (File_7_....csv)"
    sql: str
    params: tuple


def _code_sets(con: duckdb.DuckDBPyConnection, catalogue: list[Source]) -> dict:
    files = dict(con.execute("SELECT source_id, file FROM load_log WHERE status = 'loaded'")
                 .fetchall())

    def label(source_id: str | None, fallback: str) -> str:
        if source_id is None:
            return fallback
        return f"{source_id} ({files[source_id]})" if source_id in files else source_id

    def source_of(kind: str, geography: str | None, **options) -> str | None:
        return next((s.id for s in catalogue if s.kind == kind
                     and geography in (None, s.geography)
                     and all(s.options.get(k) == v for k, v in options.items())), None)

    sets: dict = {}
    for rel, geo, sid in con.execute("SELECT release, geography, source_id FROM release "
                                     "ORDER BY release").fetchall():
        sets[("iod", rel)] = (geo, _Codes(label(sid, f"IoD {rel}"),
                                          "SELECT lsoa_code FROM iod_lsoa WHERE release = ?",
                                          (rel,)))
    for geo in ("lsoa11", "lsoa21"):
        sets[("lookup", geo)] = _Codes(
            label(source_of("area_lookup", geo), f"the {geo} lookup"),
            "SELECT lsoa_code FROM area_lookup WHERE geography = ?", (geo,))
        sets[("boundary", geo)] = _Codes(
            label(source_of("boundary", geo), f"the {geo} boundaries"),
            "SELECT code FROM boundary WHERE geography = ?", (geo,))
        sets[("ruc", geo)] = _Codes(
            label(source_of("ruc_lsoa", geo), f"the {geo} rural-urban classification"),
            "SELECT area_code FROM rural_urban WHERE geography = ?", (geo,))
    for a, b in con.execute("SELECT DISTINCT from_geography, to_geography FROM lsoa_change "
                            "ORDER BY 1").fetchall():
        lab = label(source_of("lsoa_lookup", None, **{"from": a, "to": b}),
                    f"the {a} to {b} lookup")
        sets[("from", a)] = _Codes(lab, "SELECT from_code FROM lsoa_change "
                                        "WHERE from_geography = ?", (a,))
        sets[("to", a, b)] = _Codes(lab, "SELECT to_code FROM lsoa_change "
                                         "WHERE from_geography = ?", (a,))
    return sets


def _difference(con, a: _Codes, b: _Codes) -> tuple[int, list[str]]:
    """How many codes of ``a`` are not in ``b``, and the first three."""
    rows = con.execute(
        f"WITH d AS (SELECT code FROM ({a.sql}) AS x(code) EXCEPT "
        f"SELECT code FROM ({b.sql}) AS y(code)) "
        "SELECT code, count(*) OVER () FROM d ORDER BY code LIMIT 3",
        [*a.params, *b.params]).fetchall()
    return (rows[0][1] if rows else 0), [r[0] for r in rows]


def _empty(con, codes: _Codes) -> bool:
    return con.execute(f"SELECT count(*) FROM ({codes.sql}) AS x(code)",
                       list(codes.params)).fetchone()[0] == 0


def _listed(n: int, first: list[str]) -> str:
    more = f" and {n - 1:,} other(s)" if n > 1 else ""
    return f"{first[0]!r}{more}" + (f" ({', '.join(first)}, ...)" if n > 1 else "")


def cross_check(con: duckdb.DuckDBPyConnection, catalogue: list[Source]) -> None:
    """The loaded files agree on which LSOAs exist (run after loading, before deriving).

    Every IoD LSOA is in its geography's lookup and boundaries, and no lookup, boundary,
    rural-urban or change-lookup code is unknown to the others: a code replaced in one file
    would otherwise make an LSOA vanish from its authority and a phantom one appear. Raises
    :class:`BuildError` naming both files, the codes, the rule and the fix.
    """
    sets = _code_sets(con, catalogue)
    checks: list[tuple[_Codes, _Codes, bool, str]] = []
    for key, value in sets.items():
        if key[0] != "iod":
            continue
        geo, iod = value
        if geo in ("lsoa11", "lsoa21"):
            checks.append((iod, sets[("lookup", geo)], True,
                           "every IoD LSOA must be in the lookup of its geography, and every "
                           "lookup LSOA in the IoD, or an LSOA vanishes from its authority and "
                           "a phantom one appears"))
            checks.append((iod, sets[("boundary", geo)], True,
                           "every IoD LSOA must have a boundary (the map and the neighbours), "
                           "and every boundary an IoD row"))
        elif ("from", geo) in sets:
            checks.append((iod, sets[("from", geo)], True,
                           "every IoD LSOA must be in the lookup that carries it to the next "
                           "geography, and that lookup must hold no other code"))
    for geo in ("lsoa11", "lsoa21"):
        reference = sets[("boundary", geo)]
        if _empty(con, reference):
            reference = sets[("lookup", geo)]
        else:
            checks.append((sets[("lookup", geo)], reference, True,
                           "the lookup and the boundaries must list the same LSOAs"))
        checks.append((sets[("ruc", geo)], reference, True,
                       "the rural-urban classification must cover exactly the LSOAs of its "
                       "geography"))
        if ("from", geo) in sets:
            checks.append((sets[("from", geo)], reference, True,
                           "the lookup to the next geography must hold every LSOA of this "
                           "one, and no other code"))
    for key, codes in sets.items():
        if key[0] == "to" and key[2] in ("lsoa11", "lsoa21"):
            reference = sets[("boundary", key[2])]
            if _empty(con, reference):
                reference = sets[("lookup", key[2])]
            checks.append((codes, reference, False,
                           f"every {key[2].upper()} the lookup leads to must exist"))
    for a, b, both, rule in checks:
        if _empty(con, a) or _empty(con, b):
            continue
        n_ab, ab = _difference(con, a, b)
        n_ba, ba = _difference(con, b, a) if both else (0, [])
        if not n_ab and not n_ba:
            continue
        clauses = []
        if n_ab:
            clauses.append(f"{a.label} holds {_listed(n_ab, ab)}, which {b.label} lacks")
        if n_ba:
            clauses.append(f"{b.label} holds {_listed(n_ba, ba)}, which {a.label} lacks")
        raise BuildError(
            f"the files disagree: {'; and '.join(clauses)}. Rule: {rule}. Fix: the two files "
            "are of different editions or one is damaged; check them against `python -m "
            "inequality sources` and re-download them with `python -m inequality build --force`")


# --- the build ----------------------------------------------------------------------------

def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def previous_checksums(db: Path) -> dict[str, str] | None:
    """``{source_id: sha256}`` of the current database, or None if it is absent, damaged
    (:func:`inequality.db.problem`) or of another schema version: then it is rebuilt."""
    if not db.is_file() or db_problem(db) is not None:
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
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
    """Build (or refresh) the database. Raises :class:`BuildError`; never damages ``db``.

    Every run first removes the temporary files of killed builds and checks that the
    database folder is writable. A database that is damaged or of another schema version
    (:func:`inequality.db.problem`) is rebuilt from every source, as if ``force`` were given.

    Derived tables (:mod:`inequality.etl.derive`) are recomputed only where their inputs
    changed: ``only`` reruns the steps that read those sources and keeps the others; a full
    build copies the unchanged steps' tables from the previous database; ``force``
    re-downloads, reloads and recomputes everything. When every file is unchanged but a
    step's code version is new, only that step runs (on a copy of the database).
    """
    t0 = time.perf_counter()
    db = Path(db or config.db_path())
    raw_dir = Path(raw_dir or config.raw_dir())
    mirror = mirror if mirror is not None else config.mirror_dir()
    only = list(only or [])
    catalogue = list(sources if sources is not None else SOURCES)
    selected = select_sources(only, catalogue)
    _remove_stale_temporaries(db, log)
    _check_writable(db)
    damage = db_problem(db) if db.is_file() else None
    if only and not db.exists():
        raise BuildError(f"--only needs an existing database to update, and {db} does not "
                         "exist; run a full `python -m inequality build` first")
    if only and damage:
        raise BuildError(f"--only updates a sound database, but {damage}; a full build "
                         "(without --only) replaces it")
    if mirror is not None and not Path(mirror).is_dir():
        raise BuildError(f"mirror folder {mirror} does not exist; point --mirror or "
                         "INEQUALITY_MIRROR at a folder laid out <source id>/<file>")
    if damage:
        log(f"rebuild: {damage.split('; rebuild it with')[0]}; building it again from every "
            "source")

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

    previous = None if damage else previous_checksums(db)
    update = bool(only)  # work on a copy of the database, loading only ``selected``
    if not force and not only and previous is not None:
        current = {sid: r.sha256 for sid, r in fetched.items()}
        current.update({sid: "skipped" for sid in skipped})
        if current == previous:
            stale = _stale_steps(db, current, catalogue)
            if not stale:
                log(f"unchanged: every file matches the load log of {db}; nothing to do")
                report.seconds = time.perf_counter() - t0
                return report
            log(f"unchanged files, but the derived step(s) {', '.join(stale)} changed; "
                "recomputing them")
            selected, update = [], True

    # a full build copies unchanged derived tables from a sound previous database
    reuse_from = db if previous is not None and not force and not update else None
    tmp = db.with_name(f"{db.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        try:
            with _without_cyclic_gc():
                _write_database(tmp, db, selected, catalogue, fetched, skipped, update,
                                mirror, report, log, reuse_from=reuse_from, recompute=force)
            os.replace(tmp, db)
        except (OSError, duckdb.Error) as exc:
            reason = fetch.describe_write_error(exc, db.parent)
            if reason is None and isinstance(exc, duckdb.Error):
                raise
            raise BuildError(_write_failure(reason, exc, db, tmp)) from exc
    except BaseException:
        _remove(tmp)
        raise
    report.changed = True
    report.seconds = time.perf_counter() - t0
    log(f"built {db} in {report.seconds:.1f}s")
    return report


@contextlib.contextmanager
def _without_cyclic_gc():
    """Python's cyclic garbage collector paused while the new database is written (reference
    counting still frees every object as soon as it is unused; only reference cycles wait).

    The build allocates millions of short-lived objects (rows of the summaries, shapes,
    frames) on a heap of pandas, pyarrow and shapely objects, so the collector's full passes
    (each holding the interpreter lock that the loaders' and derived steps' threads share)
    were about a second of a from-scratch mirror build: 18.3 s -> 17.4 s with it paused
    (median of 6, alternating), peak memory unchanged (1.56 / 1.58 GB). The collector is
    switched back on (if it was on) however the build ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_database(tmp: Path, db: Path, selected: list[Source], catalogue: list[Source],
                    fetched: dict, skipped: dict, update: bool, mirror: Path | None,
                    report: BuildReport, log: Callable[[str], None], *,
                    reuse_from: Path | None = None, recompute: bool = False) -> None:
    """Load, check and derive everything into the new file ``tmp`` (a copy of ``db`` when
    ``update``, as for ``--only``). Derived steps whose inputs are unchanged are kept
    (``update``) or copied from ``reuse_from``; ``recompute`` runs them all."""
    if update:
        shutil.copy2(db, tmp)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        if not update:
            con.execute(SCHEMA_SQL.read_text())
        _load_all(con, tmp, selected, fetched, skipped, report, log)
        cross_check(con, catalogue)
        _derive_all(con, catalogue, log, reuse_from, recompute)
        con.execute("DELETE FROM build_info")
        con.executemany("INSERT INTO build_info VALUES (?, ?)", [
            ["schema_version", SCHEMA_VERSION],
            ["built_at", _now().isoformat(timespec="seconds") + "Z"],
            ["origin", f"mirror {mirror}" if mirror is not None else "live download"],
        ])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _load_all(con: duckdb.DuckDBPyConnection, tmp: Path, selected: list[Source],
              fetched: dict, skipped: dict, report: BuildReport,
              log: Callable[[str], None]) -> None:
    """Load every selected source into the new database ``con`` (file ``tmp``), recording
    each in ``load_log``.

    The loaders run :data:`inequality.etl.derive.WORKERS` at a time, each on its own
    cursor: they write disjoint tables or rows, and their work (pyarrow, the CSV parser,
    GEOS) mostly runs outside the interpreter lock; the largest files start first. A
    failure stops the loaders of later sources (in catalogue order) that have not started,
    and the build reports the failure of the first source in catalogue order, the one
    loading them one by one would report, whatever finished first. Then the checks
    of :data:`LOAD_CHECKS` run, in catalogue order. ``report.loaded`` lists the sources in
    catalogue order."""
    for source in selected:
        if source.id in skipped:
            con.execute("DELETE FROM load_log WHERE source_id = ?", [source.id])
            con.execute("INSERT INTO load_log VALUES (?, ?, NULL, 0, [], 'skipped', ?, ?)",
                        [source.id, source.file, skipped[source.id], _now()])
            report.skipped.append(source.id)
    todo = sorted((s for s in selected if s.id not in skipped),
                  key=lambda s: -_size(fetched[s.id].path))
    order = {s.id: i for i, s in enumerate(selected)}
    done: set[str] = set()
    failed: list[tuple[int, Source, Future]] = []
    with ThreadPoolExecutor(max_workers=derive.WORKERS) as pool:
        running = {pool.submit(derive.on_cursor, con, LOADERS[s.kind], s, fetched[s.id].path): s
                   for s in todo}
        try:
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    source = running.pop(future)
                    if future.exception() is None:
                        _record_load(con, tmp, source, fetched[source.id], future, log)
                        done.add(source.id)
                        continue
                    failed.append((order[source.id], source, future))
                    first = min(f[0] for f in failed)
                    for other, later in list(running.items()):
                        if order[later.id] > first and other.cancel():  # not started
                            del running[other]
        except BaseException:
            for future in running:  # not started yet: never run
                future.cancel()
            raise
    if failed:  # the first in catalogue order, as loading one by one would report
        _, source, future = min(failed, key=lambda f: f[0])
        _record_load(con, tmp, source, fetched[source.id], future, log)  # raises
    loaded = [s for s in selected if s.id in done]
    for source in loaded:
        if source.kind in LOAD_CHECKS:
            try:
                LOAD_CHECKS[source.kind](con, source)
            except ReaderError as exc:
                raise BuildError(f"{source.id}: {fetched[source.id].path}: {exc}") from exc
    report.loaded += [s.id for s in loaded]


def _record_load(con: duckdb.DuckDBPyConnection, tmp: Path, source: Source, result,
                 future, log: Callable[[str], None]) -> None:
    """The outcome of one loader (``future`` of :func:`_load_all`): its row in ``load_log``
    and its log line, or the :class:`BuildError` naming the source and file."""
    try:
        out, seconds = future.result()
    except ReaderError as exc:
        raise BuildError(f"{source.id}: {result.path}: {exc}") from exc
    except duckdb.Error as exc:
        if fetch.describe_write_error(exc, tmp.parent) is not None:
            raise  # disk full, file size limit: reported by build()
        raise BuildError(f"{source.id}: {result.path}: could not be loaded into the database "
                         f"({exc})") from exc
    rows, missing = out[0], out[1]
    notes = list(out[2]) if len(out) > 2 else []  # e.g. geometries repaired
    con.execute("DELETE FROM load_log WHERE source_id = ?", [source.id])
    con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, 'loaded', ?, ?)",
                [source.id, result.path.name, result.sha256, rows, missing,
                 "; ".join([f"from {result.origin}", *notes]), _now()])
    log(f"load  {source.id}: {rows:,} rows"
        f"{f', {len(missing)} optional column(s) absent' if missing else ''} ({seconds:.1f}s)")
    for note in notes:
        log(f"note  {source.id}: {note}")


def _derive_all(con: duckdb.DuckDBPyConnection, catalogue: list[Source],
                log: Callable[[str], None], reuse_from: Path | None, recompute: bool) -> None:
    """Run the derived steps (:data:`inequality.etl.derive.DERIVED_STEPS`), reusing those
    whose inputs are unchanged (from the attached previous database ``reuse_from``, or in
    place when the new file is a copy of it)."""
    attached = None
    if reuse_from is not None and not recompute:
        con.execute("ATTACH ? AS previous (READ_ONLY)", [str(reuse_from)])
        attached = "previous"
    try:
        derive.run_steps(con, catalogue, log, previous=attached, recompute=recompute)
    except derive.DeriveError as exc:
        raise BuildError(str(exc)) from exc
    finally:
        if attached:
            con.execute("DETACH previous")


def _stale_steps(db: Path, files: dict[str, str], catalogue: list[Source]) -> list[str]:
    """Derived steps whose key for ``files`` differs from what ``db`` recorded."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return derive.stale_steps(con, files, catalogue)
    except duckdb.Error:
        return [step.name for step in derive.DERIVED_STEPS]


def _write_failure(reason: str | None, exc: BaseException, db: Path, tmp: Path) -> str:
    """The message for a build stopped by the file system (disk full, size limit, ...)."""
    size = db.stat().st_size if db.is_file() else 0
    need = (f"about {size / 1e6:,.0f} MB, as big as the current database" if size
            else "about 300 MB for the full data")
    if reason is None:
        return (f"could not write the new database {tmp} ({exc}); check that {db.parent} is "
                "writable and has free space, or point --db / INEQUALITY_DB elsewhere")
    if reason.startswith("no space left"):
        fix = (f"free space there (the new copy needs {need}; it is written beside the old "
               "one until it replaces it) or point --db / INEQUALITY_DB at a folder with more "
               "room")
    elif reason.startswith("the file size limit"):
        fix = f"raise the limit (`ulimit -f unlimited`; the database is {need}) and build again"
    else:
        fix = "make the folder writable, or point --db / INEQUALITY_DB at a writable folder"
    return f"{reason} while writing the new database {tmp.name}: {fix}"


def _check_writable(db: Path) -> None:
    """Fail at once, before any download, when the database folder cannot be written."""
    folder = db.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _touch(folder / f"{db.name}.tmp-{os.getpid()}.probe")
    except OSError as exc:
        reason = fetch.describe_write_error(exc, folder) or f"{exc}"
        raise BuildError(f"cannot write in the database folder {folder} ({reason}), where "
                         f"the build writes {db.name}: make the folder writable, or point "
                         "--db / INEQUALITY_DB at a writable folder") from exc


def _touch(probe: Path) -> None:
    """Create and delete a file (the test of a writable folder)."""
    fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    probe.unlink()


def _remove_stale_temporaries(db: Path, log: Callable[[str], None] = _log) -> None:
    """Delete what killed builds left beside ``db`` (the new file, its WAL, DuckDB's spill
    folder), at the start of every run: their process no longer runs (or is this one)."""
    removed, size = 0, 0
    if not db.parent.is_dir():
        return
    for tmp in db.parent.glob(f"{db.name}.tmp-*"):
        pid = tmp.name[len(db.name) + len(".tmp-"):].split(".")[0]
        if not pid.isdigit() or (_running(int(pid)) and int(pid) != os.getpid()):
            continue
        try:
            size += _size(tmp)
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log(f"could not remove {tmp} ({exc}); delete it by hand")
    if removed:
        log(f"clean {removed} temporary file(s) of killed builds removed ({size / 1e6:,.1f} MB)")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):
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
    spill = path.with_name(path.name + ".tmp")  # DuckDB's temp_directory for the file
    if spill.is_dir():
        shutil.rmtree(spill, ignore_errors=True)
