"""Paths, read from the environment so that CI, developers and users can move them.

``INEQUALITY_DATA_DIR``  where ``raw/`` downloads live (default ``data/`` beside the package)
``INEQUALITY_DB``        the DuckDB file the app reads (default ``<data dir>/inequality.duckdb``)
``INEQUALITY_MIRROR``    a local mirror laid out ``<source id>/<file>``; when set, ``build``
                         copies from it instead of downloading
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("INEQUALITY_DATA_DIR") or PROJECT_ROOT / "data")


def raw_dir() -> Path:
    return data_dir() / "raw"


def db_path() -> Path:
    env = os.environ.get("INEQUALITY_DB")
    return Path(env) if env else data_dir() / "inequality.duckdb"


def mirror_dir() -> Path | None:
    env = os.environ.get("INEQUALITY_MIRROR")
    return Path(env) if env else None
