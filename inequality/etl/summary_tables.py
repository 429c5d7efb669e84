"""Build step: every national table a page shows, computed once (``area``, ``summary``,
``summary_value``, ``decile_count``).

A summary of one authority needs every authority of England (its rank among them), so
computing it on a visit cost about 2 s of CPU per area (issue 15). The build computes, for
every release, the summary of every published and current authority, every region and
England (:func:`inequality.services.summaries.national_summaries`, the one function that
computes them), and the decile counts that decile tracking, comparisons and the
neighbourhood page read; the services then look them up. Custom areas (any set of LSOAs)
are still summarised on demand, and ranked against the stored authority values.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb
import pandas as pd

from .. import queries
from ..services import summaries

Con = duckdb.DuckDBPyConnection


def _rows(release: str, by_basis: dict[str, list[dict]]) -> tuple[list, list]:
    """(``summary`` rows, ``summary_value`` rows) of one release."""
    objects, values = [], []
    for basis, items in by_basis.items():
        for obj in items:
            code, name = obj["area_code"], obj.get("area_name")
            objects.append([release, basis, code, name, summaries.encode_summary(obj)])
            n = int(obj.get("n_areas") or 1)
            values += [[release, basis, code, name, measure, statistic, value, rank, n]
                       for measure, statistic, value, rank in summaries.summary_values(obj)]
    return objects, values


def derive_summaries(con: Con, log: Callable[[str], None] = lambda _m: None) -> None:
    """Fill ``area``, ``summary``, ``summary_value`` and ``decile_count`` from the loaded
    releases and the derived ``lsoa`` table (replacing what they held)."""
    t = time.perf_counter()
    con.execute("DELETE FROM area; DELETE FROM summary; DELETE FROM summary_value; "
                "DELETE FROM decile_count")
    con.execute(f"INSERT INTO area {queries.AREAS_SQL}")
    con.execute(f"INSERT INTO decile_count {queries.DECILE_COUNT_SQL}")
    for release in queries.releases(con)["release"]:
        r = time.perf_counter()
        objects, values = _rows(release, summaries.national_summaries(con, release))
        stored = pd.DataFrame(objects, columns=["release", "basis", "area_code", "area_name",
                                                "body"])
        tidy = pd.DataFrame(values, columns=["release", "basis", "area_code", "area_name",
                                             "measure", "statistic", "value", "rank",
                                             "n_areas"]
                            ).astype({"value": "float64", "rank": "Int32", "n_areas": "int32"})
        con.execute("INSERT INTO summary SELECT * FROM stored")
        con.execute("INSERT INTO summary_value SELECT * FROM tidy")
        log(f"summaries {release}: {len(objects):,} areas ({time.perf_counter() - r:.1f}s)")
    log(f"summaries: done ({time.perf_counter() - t:.1f}s)")

