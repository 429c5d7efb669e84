"""``inequality.db``: ``frame`` (a query's DataFrame through Arrow, the same as DuckDB's
``.df()``) and the key check of the derived tables that have no primary key."""

from __future__ import annotations

import warnings

import duckdb
import pandas as pd
import pytest

from inequality.db import check_key, duplicate_key, frame


def _as_bytes(df: pd.DataFrame) -> pd.DataFrame:
    """``.df()`` gives BLOBs as ``bytearray``, :func:`frame` as ``bytes``."""
    out = df.copy()
    for col in [c for c in out.columns if out[c].dtype == "object"]:
        if out[col].map(lambda v: isinstance(v, bytearray)).any():
            out[col] = out[col].map(lambda v: bytes(v) if v is not None else v)
    return out


def test_every_table_of_the_fixture_database_as_df_gives_it(fixture_db):
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY 1").fetchall()]
        assert len(tables) > 20
        for table in tables:
            for sql in (f"SELECT * FROM {table}", f"SELECT * FROM {table} LIMIT 0"):
                pd.testing.assert_frame_equal(frame(con, sql), _as_bytes(con.execute(sql).df()),
                                              obj=sql)


@pytest.mark.parametrize("expr", [
    "1::HUGEINT", "sum(x)", "1.50::DECIMAL(4, 2)", "NULL::INTEGER", "CASE WHEN x > 1 THEN x END",
    "x > 1", "CASE WHEN x > 1 THEN x > 2 END", "NULL::VARCHAR", "'a'", "[x, 2]", "now()",
    "DATE '2024-04-01'", "'x'::BLOB",
])
def test_types_come_out_as_df_makes_them(expr):
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t AS SELECT unnest([1, 2, 3]) AS x")
        sql = f"SELECT {expr} AS v FROM t GROUP BY x ORDER BY x" if "sum" in expr else \
            f"SELECT {expr} AS v FROM t ORDER BY x"
        got = frame(con, sql)
        with warnings.catch_warnings():
            # DuckDB's own .df() of a TIMESTAMP WITH TIME ZONE calls DataFrame.drop(inplace=True),
            # which pandas 3.1 deprecates; frame() does not go through it
            warnings.filterwarnings("ignore", "The inplace keyword in DataFrame.drop")
            want = _as_bytes(con.execute(sql).df())
        if expr == "now()":  # two calls, two instants
            assert got["v"].dtype == want["v"].dtype
        else:
            pd.testing.assert_frame_equal(got, want)


def test_parameters_and_an_unfinished_result_before_it():
    with duckdb.connect() as con:
        con.execute("SELECT 1 UNION ALL SELECT 2").fetchone()  # leaves a result unfinished
        assert frame(con, "SELECT ? AS a, $b AS b".replace("$b", "?"), [1, "x"]).iloc[0].tolist() \
            == [1, "x"]
        assert frame(con, "SELECT $a::INT AS a", {"a": 3})["a"].tolist() == [3]


#: The derived tables keyed without a PRIMARY KEY (issue 15), and their keys.
KEYS = {"lsoa_neighbour": ("geography", "lsoa_code", "neighbour_code"),
        "lisa": ("release", "lsoa_code", "measure"),
        "summary_value": ("release", "basis", "area_code", "measure", "statistic")}


def test_the_derived_tables_keys_are_unique_and_a_repeat_stops_the_writer(fixture_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(fixture_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        for table, key in KEYS.items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
            assert duplicate_key(con, table, key) is None, table
            check_key(con, table, key)
            con.execute(f"INSERT INTO {table} (SELECT * FROM {table} LIMIT 1)")
            with pytest.raises(RuntimeError, match=rf"derived table {table} holds the key "
                                                   rf"\({', '.join(key)}\) = .* more than once"):
                check_key(con, table, key)
