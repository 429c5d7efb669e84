"""Opening the built database, and the `check` report of what it holds.

:func:`problem` says in one sentence what is wrong with a database file (absent, not a
DuckDB file, truncated, another schema version, a table or column missing) and which command
fixes it; :func:`connect` raises :class:`DatabaseMissing` or :class:`DatabaseDamaged` with that
sentence. ``build`` uses the same test to decide that a damaged database must be rebuilt.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from . import config

#: Version of the table layout in ``etl/schema.sql``; a database of another version is rebuilt.
SCHEMA_VERSION = "4"
#: The DDL every database is built from (read as data here: db.py does not import the ETL).
SCHEMA_SQL = Path(__file__).resolve().parent / "etl" / "schema.sql"
#: The command that (re)builds the database; ``build`` rebuilds a damaged one by itself.
REBUILD = "`python -m inequality build` (offline: add --mirror DIR)"
#: DuckDB's file header: a main header and two database headers of 4 KiB each.
_FILE_HEADER_BYTES = 3 * 4096


class DatabaseMissing(FileNotFoundError):
    """No usable database at the path given; the message says why and how to fix it."""


class DatabaseDamaged(DatabaseMissing):
    """A file is there but it is not a complete database of this schema version (truncated,
    not DuckDB, built by another version, a table or column missing)."""


# ``execute().to_arrow_table()`` warns that it copies the rows once more than
# ``con.sql(...).to_arrow_table()``, which DuckDB 2 refuses while the connection holds an
# unfinished result (any earlier ``execute().fetchone()``); the copy costs little (0.16 s
# against 0.14 s for 525,000 rows), so the warning is not shown for :func:`frame`.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning,
                        r"inequality\.db")

#: Arrow integer and boolean types -> the pandas nullable dtype ``.df()`` gives a column of
#: that type holding NULLs.
_NULLABLE = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
             pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(),
             pa.uint16(): pd.UInt16Dtype(), pa.uint32(): pd.UInt32Dtype(),
             pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype()}


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
          ) -> pd.DataFrame:
    """The result of ``sql`` as the DataFrame DuckDB's ``.df()`` gives, fetched through
    Arrow: pandas 3 keeps text as Arrow strings, so ``.df()`` builds a Python string per
    value only for pandas to convert it back (0.67 s against 0.16 s for the 525,000 rows
    of one release's measures, issue 15). The columns come out as ``.df()`` makes them:
    DECIMAL and HUGEINT as float64, DATE as microsecond datetime64, integers and booleans
    holding NULLs as pandas' nullable dtypes, a text column of NULLs only (or of no rows) as
    Python ``None`` (object); ``tests/test_db.py`` compares every table. BLOBs are
    ``bytes`` (``.df()``: ``bytearray``)."""
    table = con.execute(sql, params or []).to_arrow_table()
    out = table.to_pandas(date_as_object=False)
    for name, col in zip(table.column_names, table.columns):
        kind = col.type
        if pa.types.is_decimal(kind):
            out[name] = col.cast(pa.float64()).to_pandas()
        elif pa.types.is_date(kind):
            out[name] = col.cast(pa.timestamp("us")).to_pandas()
        elif kind in _NULLABLE and col.null_count:
            out[name] = col.to_pandas(types_mapper=_NULLABLE.get)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            if col.null_count == len(col):  # NULLs only, or no rows
                out[name] = pd.Series([None] * len(col), dtype=object, index=out.index)
    return out


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append ``frame``'s rows to ``table`` (its columns by name), through Arrow: far faster
    than DuckDB's scan of a pandas frame for the WKB (bytes) columns. The build's loaders
    and derived steps write this way, each on its own cursor (the frame is registered on
    that cursor only). ``table`` and the column names are the caller's, never a visitor's."""
    cols = ", ".join(frame.columns)
    con.register("_frame", pa.Table.from_pandas(frame, preserve_index=False))
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
    finally:
        con.unregister("_frame")


def duplicate_key(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]
                  ) -> tuple | None:
    """The first value of ``key`` (columns of ``table``) held by more than one row, or None.

    The build's large derived tables (``lsoa_neighbour``, ``lisa``, ``summary_value``) have
    a key but no PRIMARY KEY: DuckDB keeps a primary key in an index, which made deleting
    one release's rows before writing them again take 1 to 1.7 s per table (issue 15). Their
    writers check the key with this instead (:func:`check_key`). ``table`` and ``key`` are
    the caller's identifiers, never a visitor's text.

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (1, 'b'), (2, 'a'))")
    >>> duplicate_key(con, "t", ("col0", "col1")), duplicate_key(con, "t", ("col0",))
    (None, (1,))
    """
    cols = ", ".join(key)
    return con.execute(f"SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1 "
                       f"ORDER BY ALL LIMIT 1").fetchone()


def check_key(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]) -> None:
    """Raise ``RuntimeError`` naming ``table``, its key and the first value held twice
    (:func:`duplicate_key`): a derived table's rows come from checked files, so a repeated
    key is a fault of the program, and the build stops rather than store it."""
    found = duplicate_key(con, table, key)
    if found is not None:
        raise RuntimeError(f"derived table {table} holds the key ({', '.join(key)}) = "
                           f"{found!r} more than once; the build stops, and the previous "
                           "database stays as it was (please report this as a bug)")


@functools.lru_cache(maxsize=1)
def expected_columns() -> dict[str, tuple[str, ...]]:
    """``{table: columns}`` that ``etl/schema.sql`` creates (read once per process)."""
    with duckdb.connect(":memory:") as con:
        con.execute(SCHEMA_SQL.read_text())
        rows = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                           "WHERE database_name = current_database() "
                           "ORDER BY table_name, column_index").fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return {t: tuple(c) for t, c in out.items()}


def _missing_message(path: Path) -> str:
    return (f"no database at {path}; build it with `python -m inequality build` (or, offline, "
            "`python -m inequality build --mirror ../shared/data/raw`), or point --db / "
            "INEQUALITY_DB at an existing one")


def _damage(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """What is wrong with an open database (None if it is complete), as a clause."""
    try:
        total_blocks, block_size = con.execute(
            "SELECT total_blocks, block_size FROM pragma_database_size() "
            "WHERE database_name = current_database()").fetchone()
        needed = _FILE_HEADER_BYTES + int(total_blocks) * int(block_size)
        size = path.stat().st_size
        if size < needed:
            return (f"is truncated ({size:,} bytes of the {needed:,} its {total_blocks:,} "
                    "blocks need)")
        have: dict[str, set[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE database_name = current_database()").fetchall():
            have.setdefault(table, set()).add(column)
        if "build_info" not in have:
            return "has no build_info table, so it is not a complete inequality database"
        row = con.execute("SELECT max(value) FROM build_info "
                          "WHERE key = 'schema_version'").fetchone()
        version = row[0] if row else None
        if version != SCHEMA_VERSION:
            return (f"was built with schema version {version or 'unknown'}, and this version of "
                    f"the program needs version {SCHEMA_VERSION}")
        for table, columns in expected_columns().items():
            if table not in have:
                return f"lacks the table {table!r}"
            absent = [c for c in columns if c not in have[table]]
            if absent:
                return (f"lacks the column(s) {', '.join(map(repr, absent))} of table "
                        f"{table!r}")
    except (duckdb.Error, OSError) as exc:
        return f"cannot be read ({_first_line(exc)})"
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sentence(path: Path, clause: str) -> str:
    return f"the database {path} {clause}; rebuild it with {REBUILD}"


def problem(path: Path | str | None = None) -> str | None:
    """One sentence on what is wrong with the database at ``path`` and the command that fixes
    it, or None when it is complete and of this schema version.

    Cheap enough to call on every page load (it opens the file read-only and reads its
    catalogue, not its data): it catches a missing file, a file that is not DuckDB, a file
    shorter than its block count says (truncated), another schema version, and a missing
    table or column.
    """
    path = Path(path or config.db_path())
    if not path.is_file():
        return _missing_message(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return _sentence(path, f"cannot be opened as a DuckDB database ({_first_line(exc)})")
    try:
        clause = _damage(con, path)
    finally:
        con.close()
    return None if clause is None else _sentence(path, clause)


def connect(path: Path | str | None = None, read_only: bool = True,
            check: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (read-only by default: only ``build`` writes).

    Raises :class:`DatabaseMissing` when there is no file and :class:`DatabaseDamaged` (a
    subclass) when the file is not a complete database of this schema version (see
    :func:`problem`); the message is one sentence naming the command that fixes it.
    ``check=False`` skips the schema test.
    """
    path = Path(path or config.db_path())
    if not path.is_file():
        raise DatabaseMissing(_missing_message(path))
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise DatabaseDamaged(_sentence(
            path, f"cannot be opened as a DuckDB database ({_first_line(exc)})")) from exc
    if check:
        clause = _damage(con, path)
        if clause is not None:
            con.close()
            raise DatabaseDamaged(_sentence(path, clause))
    return con


TABLES = ("release", "measure", "deprivation", "population", "iod_lsoa", "lsoa", "area_lookup",
          "lsoa_change", "lad", "lad_change", "rural_urban", "boundary", "health_indicator",
          "load_log", "build_info")


def check(con: duckdb.DuckDBPyConnection) -> dict:
    """What the database holds: releases, table sizes, coverage and the load log."""
    releases = {}
    missing = dict(con.execute("SELECT source_id, missing_columns FROM load_log").fetchall())
    for rel, geo, n, sid, derived, has_pop in con.execute(
            "SELECT release, geography, lsoa_count, source_id, decile_derived, has_population "
            "FROM release ORDER BY release").fetchall():
        releases[rel] = {"geography": geo, "lsoa_count": n,
                         "missing_columns": list(missing.get(sid) or []),
                         "decile_derived": derived, "has_population": has_pop}
    tables = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    coverage = {}
    for geo, n, lad, region, boundary in con.execute("""
            SELECT l.geography, count(*), count(l.lad24_code), count(l.region_code),
                   count(b.code)
            FROM lsoa l LEFT JOIN boundary b ON b.geography = l.geography AND b.code = l.lsoa_code
            GROUP BY l.geography ORDER BY l.geography""").fetchall():
        coverage[geo] = {"lsoas": n, "with_current_lad": lad, "with_region": region,
                         "with_boundary": boundary}
    health = {f"{sid}": n for sid, n in con.execute(
        "SELECT source_id, count(*) FROM health_indicator GROUP BY 1 ORDER BY 1").fetchall()}
    log = [
        {"source_id": sid, "file": f, "sha256": sha, "rows": rows,
         "missing_columns": list(mc or []), "status": status, "message": msg,
         "loaded_at": at.isoformat(timespec="seconds") if at else None}
        for sid, f, sha, rows, mc, status, msg, at in con.execute(
            "SELECT source_id, file, sha256, rows, missing_columns, status, message, loaded_at "
            "FROM load_log ORDER BY source_id").fetchall()]
    build = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    return {"releases": releases, "tables": tables, "coverage": coverage,
            "health_rows": health, "load_log": log, "build": build}
