"""Opening the built database, and the `check` report of what it holds."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import config


class DatabaseMissing(FileNotFoundError):
    """No built database at the path given."""


def connect(path: Path | str | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (read-only by default: only ``build`` writes)."""
    path = Path(path or config.db_path())
    if not path.exists():
        raise DatabaseMissing(
            f"no database at {path}; build it with `python -m inequality build` (or, offline, "
            "`python -m inequality build --mirror ../shared/data/raw`), or point --db / "
            "INEQUALITY_DB at an existing one")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise DatabaseMissing(f"{path} cannot be opened as a DuckDB database ({exc}); rebuild "
                              "it with `python -m inequality build --force`") from exc


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
