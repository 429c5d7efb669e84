"""The app's read-only connection and its caches.

The connection follows rebuilds. DuckDB keeps one database instance per path inside a
process, so after ``build`` replaces the file (``os.replace``) a new ``connect`` to the same
path would return the old, deleted file for as long as a connection to it is open. The key
of the open connection is the file's identity (inode, size, modification time); when it
changes, the old connection is closed (its file is released) before the new one opens.

Cached calls: :func:`cached` turns ``fn(con, *args)`` into ``fn(*args)`` whose results are
kept per database identity (``st.cache_data``, so every session shares them);
:func:`cached_resource` does the same for objects that must not be copied (pydeck decks).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from .. import config, db

BUILD_COMMAND = ("python -m inequality build                  # from the official sites\n"
                 "python -m inequality build --mirror DIR     # offline, from a local mirror")

_LOCK = threading.Lock()
_OPEN: dict = {"key": None, "con": None}


def db_key() -> tuple:
    """The database path and the identity of the file now at that path."""
    path = Path(config.db_path())
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return str(path), 0, 0, 0
    return str(path), st_.st_ino, st_.st_size, st_.st_mtime_ns


def _connection(key: tuple):
    with _LOCK:
        if _OPEN["key"] != key or _OPEN["con"] is None:
            old = _OPEN["con"]
            _OPEN.update(key=None, con=None)
            if old is not None:
                old.close()  # releases DuckDB's instance of the replaced file
            _OPEN.update(key=key, con=db.connect(key[0], read_only=True))
        return _OPEN["con"]


def cursor(key: tuple | None = None):
    """A cursor on the current database (a new connection if the file was replaced)."""
    return _connection(key or db_key()).cursor()


def close() -> None:
    """Close the open connection (tests; the next call opens the file again)."""
    with _LOCK:
        if _OPEN["con"] is not None:
            _OPEN["con"].close()
        _OPEN.update(key=None, con=None)


def require_db() -> None:
    """Stop the page with one sentence on what is wrong and the command that fixes it when
    the database is missing or damaged."""
    try:
        _connection(db_key())
    except db.DatabaseMissing as exc:
        st.title("Deprivation in England")
        st.error("The deprivation database is damaged or from an older version of this "
                 "dashboard." if isinstance(exc, db.DatabaseDamaged) else
                 "The deprivation database has not been built yet, or cannot be opened.")
        st.text(str(exc))
        st.markdown("Build it (about a minute from a local mirror), then reload this page:")
        st.code(BUILD_COMMAND, language="bash")
        st.caption("Or set INEQUALITY_DB to the path of an existing inequality.duckdb.")
        st.stop()


_FUNCTIONS: dict[str, Callable] = {}


def _register(fn: Callable) -> str:
    name = f"{fn.__module__}.{fn.__qualname__}"
    _FUNCTIONS[name] = fn
    return name


@st.cache_data(show_spinner=False, max_entries=512)
def _data(name: str, key: tuple, *args):
    return _FUNCTIONS[name](cursor(key), *args)


@st.cache_resource(show_spinner=False, max_entries=32)
def _resource(name: str, key: tuple, *args):
    return _FUNCTIONS[name](cursor(key), *args)


def cached(fn: Callable) -> Callable:
    """``fn(con, *args)`` as ``fn(*args)``, its result cached per database file (arguments
    must be hashable plain values; the result is copied for each caller)."""
    name = _register(fn)

    @functools.wraps(fn)
    def call(*args):
        return _data(name, db_key(), *args)
    return call


def cached_resource(fn: Callable) -> Callable:
    """Like :func:`cached` for results shared as they are (treat them as read-only)."""
    name = _register(fn)

    @functools.wraps(fn)
    def call(*args):
        return _resource(name, db_key(), *args)
    return call
