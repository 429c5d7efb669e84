"""Derived tables: the build's declared steps, each recomputed only when its inputs change.

Every table the build computes from loaded files (rather than reads from one) comes from a
:class:`DerivedStep` of :data:`DERIVED_STEPS`, which says which catalogue sources the step
reads (``inputs``, a predicate over :data:`inequality.etl.sources.SOURCES`), which tables it
writes (``tables``), and the function that writes them (``run``). A step's key is the
SHA-256 of its name, its ``version`` and the SHA-256 of each input file as the load log holds
it (plus the keys of the earlier steps it ``uses``), recorded in ``derive_log``. A build
recomputes a step only when its key differs from the one the previous database recorded:

* ``build --only X`` works on a copy of the database, so a step that does not read ``X``
  keeps its tables as they are;
* a full build with a sound previous database copies the unchanged steps' tables from it
  (``ATTACH ... (READ_ONLY)``, ``INSERT ... SELECT``) instead of recomputing them;
* ``build --force`` recomputes every step.

Adding a step is one entry in :data:`DERIVED_STEPS` (its order is the priority the steps
start in; a step that reads another step's tables names it in ``uses``). Bump a step's
``version`` when its code changes what it writes, so that the next build recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ..geography import ASSIGNMENT_SQL, BOUNDARY_GEOGRAPHIES
from .display import derive_display
from .readers.iod import MEASURES
from .sources import RELEASES, Source
from .spatial import derive_spatial
from .summary_tables import derive_summaries

Con = duckdb.DuckDBPyConnection
Log = Callable[[str], None]


class DeriveError(RuntimeError):
    """A derived table cannot be built from the loaded files; the message names the files."""


@dataclass(frozen=True)
class DerivedStep:
    """One derived step of the build.

    ``name``      short id, logged and recorded in ``derive_log``
    ``inputs``    which catalogue sources the step reads (a predicate over ``Source``)
    ``tables``    what it writes: ``"table"`` (all of it) or ``"table WHERE <condition>"``
                  (the rows it owns; the condition may name only the table's own columns)
    ``run``       ``run(con, log)``: replaces those rows in the new database
    ``version``   bump it when the code changes what the step writes
    ``uses``      earlier steps whose tables it reads (their keys are part of its key)
    ``after``     earlier steps it must wait for although its result does not depend on
                  what they wrote (not part of its key)
    """

    name: str
    inputs: Callable[[Source], bool]
    tables: tuple[str, ...]
    run: Callable[[Con, Log], None]
    version: str = "1"
    uses: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def input_ids(self, catalogue) -> list[str]:
        """Ids of the catalogue sources this step reads, sorted."""
        return sorted(s.id for s in catalogue if self.inputs(s))



# --- the core step ----------------------------------------------------------------------

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


def derive_core(con: Con, log: Log | None = None) -> None:
    """Core step: ``lsoa_assignment`` (the one LSOA -> 2024 authority rule of
    :mod:`inequality.geography`), ``lsoa`` (every LSOA of every geography with its names,
    authority, region and rural-urban class), ``lad_change`` and ``measure``."""
    con.execute(ASSIGNMENT_SQL)  # lsoa_assignment: the one LSOA -> 2024 authority rule
    con.execute(DERIVE_SQL)
    dup = con.execute("SELECT geography, lsoa_code FROM lsoa GROUP BY ALL HAVING count(*) > 1 "
                      "LIMIT 1").fetchone()
    if dup:
        raise DeriveError(f"derived table lsoa holds {dup[0]} {dup[1]} twice; the lookups "
                          "disagree, so check lookup_lsoa11_lsoa21 and lookup_lsoa21_msoa21_lad")
    con.executemany("INSERT INTO measure VALUES (?, ?, ?, ?, ?)",
                    [[m, label, kind, parent, i] for i, (m, label, kind, parent)
                     in enumerate(MEASURES)])


def _spatial_step(geography: str) -> DerivedStep:
    """Queen neighbours of one boundary vintage and the LISAs of the releases on it.

    Reads the vintage's boundary file and the IoD files of that vintage (the values tested;
    the ``lsoa`` join in their query never drops an IoD LSOA, since ``lsoa`` is built from
    them), and the ``measure`` list, which is constant."""
    releases = sorted(r.id for r in RELEASES.values() if r.geography == geography)
    listed = ", ".join(f"'{r}'" for r in releases) or "NULL"
    return DerivedStep(
        name=f"spatial_{geography}",
        inputs=lambda s: s.kind in ("boundary", "iod") and s.geography == geography,
        tables=(f"lsoa_neighbour WHERE geography = '{geography}'",
                f"lisa WHERE release IN ({listed})"),
        run=lambda con, log: derive_spatial(con, log, (geography,)),
        after=("core",),
    )


def _reads_areas(source: Source) -> bool:
    """The files that say which LSOAs make up which area: the IoD files and the lookups (the
    inputs of the core step and of the summaries built on it)."""
    return source.kind in ("iod", "area_lookup", "lsoa_lookup", "lad_region", "ruc_lsoa")


def _display_step(geography: str) -> DerivedStep:
    """The coverage-simplified national map geometry of one boundary vintage (reads only
    that vintage's boundary file)."""
    return DerivedStep(
        name=f"display_{geography}",
        inputs=lambda s: s.kind == "boundary" and s.geography == geography,
        tables=(f"boundary_display WHERE geography = '{geography}'",),
        run=lambda con, log: derive_display(con, log, (geography,)),
    )


#: The derived steps. The list is also their priority: whenever a worker is free, the build
#: starts the first step in this order whose ``uses`` and ``after`` are done, so the longest
#: come first and the short ones fill in at the end (on the mirror, one core each:
#: display_lsoa11 4.0 s, summaries 4.4 s, spatial_lsoa11 3.7 s, spatial_lsoa21 1.7 s,
#: display_lsoa21 1.4 s, core 1.0 s; ``display_lsoa11`` needs nothing else, so it starts
#: beside ``core``). A step that reads another step's tables names it in ``uses``, which
#: must come earlier.
DERIVED_STEPS: tuple[DerivedStep, ...] = (
    DerivedStep(
        name="core",
        inputs=_reads_areas,
        tables=("lsoa_assignment", "lsoa", "lad_change", "measure"),
        run=derive_core,
    ),
    _display_step("lsoa11"),
    DerivedStep(
        name="summaries",
        inputs=_reads_areas,
        tables=("area", "summary", "summary_value", "decile_count"),
        run=derive_summaries,
        uses=("core",),
    ),
    *(_spatial_step(g) for g in BOUNDARY_GEOGRAPHIES),
    _display_step("lsoa21"),
)


# --- keys and reuse -----------------------------------------------------------------------

def checksums(con: Con) -> dict[str, str]:
    """``{source_id: sha256}`` of the load log (a skipped source: its status instead)."""
    return {sid: (sha if status == "loaded" else status) for sid, sha, status in
            con.execute("SELECT source_id, sha256, status FROM load_log").fetchall()}


def step_keys(files: dict[str, str], catalogue, steps=None) -> dict[str, str]:
    """The key of every step: SHA-256 of its name, version, its inputs' checksums
    (``files``: ``{source_id: sha256}``, absent sources as ``absent``) and the keys of the
    steps it uses."""
    keys: dict[str, str] = {}
    for step in (DERIVED_STEPS if steps is None else steps):
        payload = {"step": step.name, "version": step.version,
                   "inputs": {i: files.get(i, "absent") for i in step.input_ids(catalogue)},
                   "uses": {u: keys[u] for u in step.uses}}
        keys[step.name] = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()
                                         ).hexdigest()
    return keys


def recorded_keys(con: Con, catalog: str | None = None) -> dict[str, str]:
    """``{step: input_key}`` as ``derive_log`` of the database (or attached ``catalog``)
    holds them; empty where it has no such table."""
    where = catalog or con.execute("SELECT current_database()").fetchone()[0]
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND "
                       "table_name = 'derive_log'", [where]).fetchone()[0]:
        return {}
    table = f"{catalog}.derive_log" if catalog else "derive_log"
    return dict(con.execute(f"SELECT step, input_key FROM {table}").fetchall())


def _split(entry: str) -> tuple[str, str]:
    table, _, condition = entry.partition(" WHERE ")
    return table.strip(), (f" WHERE {condition}" if condition else "")


def _copy(con: Con, catalog: str, step: DerivedStep) -> None:
    """Copy ``step``'s tables (or rows) and its ``derive_log`` row from the attached
    previous database ``catalog`` into the new one."""
    for entry in step.tables:
        table, where = _split(entry)
        cols = ", ".join(c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = "
            "current_database() AND table_name = ? ORDER BY column_index", [table]).fetchall())
        con.execute(f"DELETE FROM {table}{where}")
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {catalog}.{table}{where}")
    con.execute("DELETE FROM derive_log WHERE step = ?", [step.name])
    con.execute(f"INSERT INTO derive_log SELECT * FROM {catalog}.derive_log WHERE step = ?",
                [step.name])


#: Derived steps computed at once (threads, each with its own DuckDB connection): their
#: work is mostly in DuckDB, numpy and GEOS, which release the interpreter lock.
WORKERS = max(1, min(4, os.cpu_count() or 1))


def on_cursor(con: Con, fn: Callable, *args) -> tuple:
    """``fn(cursor, *args)`` on a cursor of its own (a connection of its own to ``con``'s
    database, as a thread needs), closed after: ``(result, seconds)``. The build's loaders
    and derived steps run this way, side by side."""
    cursor = con.cursor()
    try:
        t = time.perf_counter()
        return fn(cursor, *args), time.perf_counter() - t
    finally:
        cursor.close()


def run_steps(con: Con, catalogue, log: Log, *, previous: str | None = None,
              recompute: bool = False, steps=None,
              workers: int | None = None) -> tuple[list[str], list[str]]:
    """Run the derived steps on the new database ``con`` whose sources are loaded.

    A step whose key equals the one recorded before is reused: from the attached previous
    database ``previous`` (a catalog name) when given, else kept in place (``con`` is a copy
    of the previous database, as for ``--only``). ``recompute`` runs every step.

    The steps to compute run ``workers`` (:data:`WORKERS`) at a time, each on its own
    cursor of ``con``: whenever a worker is free, the first step in ``steps``' order whose
    ``uses`` and ``after`` are done starts (the order is the priority); they write disjoint
    tables or rows. The first error stops the build (the steps already running finish
    first). Returns ``(computed, reused)`` step names.
    """
    steps = DERIVED_STEPS if steps is None else steps
    keys = step_keys(checksums(con), catalogue, steps)
    before = {} if recompute else recorded_keys(con, previous)
    reused = [s.name for s in steps if before.get(s.name) == keys[s.name]]
    for step in steps:
        if step.name in reused:
            if previous is not None:
                _copy(con, previous, step)
            log(f"reuse {step.name} (inputs unchanged)")
    todo = [s for s in steps if s.name not in reused]
    done: set[str] = set(reused)
    computed: list[str] = []
    workers = workers or WORKERS
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: dict = {}
        while todo or running:
            for step in [s for s in todo if done.issuperset((*s.uses, *s.after))]:
                if len(running) == workers:
                    break  # the rest wait for a free worker, in priority order
                running[pool.submit(on_cursor, con, step.run, log)] = step
                todo.remove(step)
            if not running:
                raise DeriveError("derived steps wait for steps that never run: "
                                  + ", ".join(s.name for s in todo))
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step = running.pop(future)
                _, seconds = future.result()  # a step's error stops the build here
                con.execute("DELETE FROM derive_log WHERE step = ?", [step.name])
                con.execute("INSERT INTO derive_log VALUES (?, ?, ?, ?, ?, ?)",
                            [step.name, step.version, keys[step.name],
                             step.input_ids(catalogue), seconds,
                             datetime.now(UTC).replace(tzinfo=None)])
                done.add(step.name)
                computed.append(step.name)
                log(f"derive {step.name} ({seconds:.1f}s)")
    return computed, reused


def stale_steps(db_con: Con, files: dict[str, str], catalogue, steps=None) -> list[str]:
    """Steps whose key for the checksums ``files`` differs from what the database
    ``db_con`` recorded (a step's code version changed, or a step is new)."""
    keys = step_keys(files, catalogue, steps)
    before = recorded_keys(db_con)
    return [name for name, key in keys.items() if before.get(name) != key]
