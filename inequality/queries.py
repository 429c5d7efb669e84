"""Named, parameterised queries returning DataFrames.

Values always travel as parameters; the few identifiers that vary (a geometry column) come
from a whitelist (the datasette ``escape_sqlite`` rule). Every function takes an open
connection first, so the app can cache them and tests can pass a fixture database.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .db import frame
from .geography import HOPS, VINTAGES

Con = duckdb.DuckDBPyConnection

#: Geometry levels: a column of ``boundary``, or ``overview`` (the table ``boundary_display``).
GEOMETRY_COLUMNS = {"full": "geometry", "display": "geometry_display",
                    "overview": "boundary_display.wkb"}

ENGLAND = "E92000001"


class UnknownArea(LookupError):
    """An area code the database does not know; the message suggests how to find one."""


def _df(con: Con, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    return frame(con, sql, params)


# --- catalogue of what is loaded --------------------------------------------------------

def releases(con: Con) -> pd.DataFrame:
    """Releases loaded, oldest first."""
    return _df(con, "SELECT * FROM release ORDER BY year")


def release(con: Con, release_id: str) -> dict:
    """One loaded release as a dict, or :class:`UnknownArea` listing the loaded ones."""
    rel = releases(con)
    row = rel[rel["release"] == release_id]
    if row.empty:
        raise UnknownArea(f"release {release_id!r} is not loaded; loaded releases: "
                          f"{', '.join(rel['release'])}")
    return row.iloc[0].to_dict()


def measures(con: Con, release: str | None = None) -> pd.DataFrame:
    """Measures, with (for a release) whether it holds their score, rank and decile."""
    if release is None:
        return _df(con, "SELECT * FROM measure ORDER BY sort_order")
    return _df(con, """
        SELECT m.*, count(d.score) > 0 AS has_score, count(d.rank) > 0 AS has_rank,
               count(d.decile) > 0 AS has_decile
        FROM measure m JOIN deprivation d ON d.measure = m.measure AND d.release = ?
        GROUP BY ALL ORDER BY m.sort_order""", [release])


def load_log(con: Con) -> pd.DataFrame:
    return _df(con, "SELECT * FROM load_log ORDER BY source_id")


def build_info(con: Con) -> dict:
    return dict(con.execute("SELECT key, value FROM build_info").fetchall())


# --- areas --------------------------------------------------------------------------------

#: Every place the app can show (the build stores it as the ``area`` table): England, the
#: regions and the current (2024) authorities, in the order pickers list them.
AREAS_SQL = f"""
    SELECT area_type, area_code, area_name, region_code, region_name,
           row_number() OVER (ORDER BY CASE area_type WHEN 'england' THEN 0
                              WHEN 'region' THEN 1 ELSE 2 END, area_name, area_code
                             )::INTEGER AS sort_order
    FROM (SELECT 'england' AS area_type, '{ENGLAND}' AS area_code, 'England' AS area_name,
                 NULL AS region_code, NULL AS region_name
          UNION ALL SELECT DISTINCT 'region', region_code, region_name, region_code, region_name
          FROM lsoa WHERE region_code IS NOT NULL
          UNION ALL SELECT DISTINCT 'lad', lad24_code, lad24_name, region_code, region_name
          FROM lsoa WHERE lad24_code IS NOT NULL)"""


def areas(con: Con) -> pd.DataFrame:
    """Every place the app can show: England, the regions and the current (2024) authorities.

    Columns: ``area_type`` (england | region | lad), ``area_code``, ``area_name``,
    ``region_code``, ``region_name``.
    """
    return _df(con, """SELECT area_type, area_code, area_name, region_code, region_name
                       FROM area ORDER BY sort_order""")


def area(con: Con, area_code: str) -> dict:
    """One area by code (England, a region or a current authority), or :class:`UnknownArea`."""
    found = _df(con, """SELECT area_type, area_code, area_name, region_code, region_name
                        FROM area WHERE area_code = ?""", [area_code])
    if found.empty:
        raise UnknownArea(
            f"area code {area_code!r} is not England ({ENGLAND}), a region (E12...) or a "
            "current (2024) local authority; run `python -m inequality summary --all --json` "
            "to list authority codes")
    return found.iloc[0].to_dict()


def _area_filter(area_code: str | None) -> tuple[str, list]:
    """SQL condition on alias ``l`` (the lsoa table) selecting an area's LSOAs."""
    if area_code is None or area_code == ENGLAND:
        return "TRUE", []
    if area_code.startswith("E12"):
        return "l.region_code = ?", [area_code]
    return "l.lad24_code = ?", [area_code]


# --- LSOA values ------------------------------------------------------------------------

def lsoa_values(con: Con, release: str, area_code: str | None = None) -> pd.DataFrame:
    """Every LSOA of an area in one release, wide: one row per LSOA.

    Columns: ``lsoa_code, lsoa_name, lad24_code, lad24_name, region_code, ward_name, msoa_name,
    ruc_code, ruc_name, urban_rural, published_lad_code, published_lad_name,
    msoa_friendly_name`` (the House of Commons Library's name, e.g. "Ashburton &
    Buckfastleigh") then
    ``<measure>_score``, ``<measure>_rank``, ``<measure>_decile`` for every measure the
    release holds, then the population columns (``pop_total`` ...).
    """
    cond, params = _area_filter(area_code)
    base = _df(con, f"""
        SELECT l.lsoa_code, l.lsoa_name, l.lad24_code, l.lad24_name, l.region_code,
               l.region_name, l.ward_code, l.ward_name, l.msoa_code, l.msoa_name, l.ruc_code,
               l.ruc_name, l.urban_rural, i.lad_code AS published_lad_code,
               i.lad_name AS published_lad_name, mn.name AS msoa_friendly_name,
               p.total AS pop_total, p.children_0_15 AS pop_children_0_15,
               p.age_16_59 AS pop_age_16_59, p.older_60_plus AS pop_older_60_plus,
               p.working_age AS pop_working_age
        FROM iod_lsoa i
        JOIN release r ON r.release = i.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
        LEFT JOIN population p ON p.release = i.release AND p.lsoa_code = i.lsoa_code
        LEFT JOIN msoa_names mn ON mn.geography = 'msoa' || substr(l.geography, 5)
                               AND mn.msoa_code = l.msoa_code
        WHERE i.release = ? AND {cond}
        ORDER BY l.lsoa_code""", [release, *params])
    long = _df(con, f"""
        SELECT d.lsoa_code, d.measure, d.score, d.rank, d.decile
        FROM deprivation d
        JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        WHERE d.release = ? AND {cond}""", [release, *params])
    if long.empty:
        return base
    wide = long.pivot(index="lsoa_code", columns="measure", values=["score", "rank", "decile"])
    wide.columns = [f"{m}_{v}" for v, m in wide.columns]
    order = measures(con)["measure"].tolist()
    cols = [f"{m}_{v}" for m in order for v in ("score", "rank", "decile")
            if f"{m}_{v}" in wide.columns]
    return base.merge(wide[cols].reset_index(), on="lsoa_code", how="left")


def national_ranks(con: Con, release: str, measure: str = "imd") -> pd.DataFrame:
    """Every LSOA of a release with its published authority, national rank, decile, score and
    population (for the area summaries): ``lsoa_code, published_lad_code, published_lad_name,
    lad24_code, lad24_name, region_code, score, rank, decile, population, working_age``."""
    return _df(con, """
        SELECT i.lsoa_code, i.lad_code AS published_lad_code, i.lad_name AS published_lad_name,
               l.lad24_code, l.lad24_name, l.region_code, l.region_name,
               d.score, d.rank, d.decile, p.total AS population, p.working_age
        FROM iod_lsoa i
        JOIN release r ON r.release = i.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
        JOIN deprivation d ON d.release = i.release AND d.lsoa_code = i.lsoa_code AND d.measure = ?
        LEFT JOIN population p ON p.release = i.release AND p.lsoa_code = i.lsoa_code
        WHERE i.release = ?""", [measure, release])


def all_measure_ranks(con: Con, release: str) -> pd.DataFrame:
    """Long table of every measure for every LSOA of a release with both authority codings
    (``lad24_code`` is the one assignment of :mod:`inequality.geography`) and every population
    denominator, named as in the ``population`` table so that a measure's weight
    (:attr:`inequality.measures.Measure.population`) names its column: ``lsoa_code, measure,
    score, rank, decile, published_lad_code, lad24_code, region_code, total, working_age,
    children_0_15, older_60_plus, population`` (``population`` = ``total``, kept for callers
    that predate the registry). Ordered by measure and LSOA, so sums over it, and the
    summaries the build stores, are the same to the last bit on every run."""
    return _df(con, """
        SELECT d.lsoa_code, d.measure, d.score, d.rank, d.decile,
               i.lad_code AS published_lad_code, l.lad24_code, l.region_code,
               p.total, p.working_age, p.children_0_15, p.older_60_plus,
               p.total AS population
        FROM deprivation d
        JOIN iod_lsoa i ON i.release = d.release AND i.lsoa_code = d.lsoa_code
        JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        LEFT JOIN population p ON p.release = d.release AND p.lsoa_code = d.lsoa_code
        WHERE d.release = ?
        ORDER BY d.measure, d.lsoa_code""", [release])


def lad_names(con: Con, release: str) -> pd.DataFrame:
    """Authorities a release was published with: ``area_code, area_name``."""
    return _df(con, """SELECT lad_code AS area_code, any_value(lad_name) AS area_name
                       FROM iod_lsoa WHERE release = ? GROUP BY 1 ORDER BY 1""", [release])


def lad_changes(con: Con, lad24_code: str) -> pd.DataFrame:
    """For a current authority: which published authorities its LSOAs belonged to, per release."""
    return _df(con, """SELECT * FROM lad_change WHERE lad24_code = ? ORDER BY release, from_code""",
               [lad24_code])


#: The decile counts the build stores (``decile_count``): LSOAs per measure, release,
#: current authority (by the one assignment), region and national decile.
DECILE_COUNT_SQL = """
    SELECT d.measure, d.release, l.lad24_code, l.region_code, d.decile, count(*) AS n
    FROM deprivation d JOIN release r ON r.release = d.release
    JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
    WHERE d.decile IS NOT NULL
    GROUP BY ALL"""


def decile_counts(con: Con, measure: str = "imd", release: str | None = None
                  ) -> pd.DataFrame:
    """LSOA counts per current authority, release and national decile, as the build stored
    them (:data:`DECILE_COUNT_SQL`): ``release, lad24_code, region_code, decile, n``; every
    release or one (:func:`areas_decile_counts` sums them for given areas)."""
    cond, params = "", [measure]
    if release:
        cond += " AND release = ?"
        params.append(release)
    return _df(con, f"""SELECT release, lad24_code, region_code, decile, n FROM decile_count
                        WHERE measure = ? {cond}""", params)


def areas_decile_counts(con: Con, codes: list[str], measure: str = "imd") -> pd.DataFrame:
    """The stored decile counts of several areas at once (authorities, regions, England):
    ``area_code, release, decile, n``."""
    return _df(con, f"""
        SELECT lad24_code AS area_code, release, decile, sum(n)::BIGINT AS n FROM decile_count
        WHERE measure = $m AND lad24_code IN (SELECT unnest($codes::VARCHAR[])) GROUP BY ALL
        UNION ALL
        SELECT region_code, release, decile, sum(n)::BIGINT FROM decile_count
        WHERE measure = $m AND region_code IN (SELECT unnest($codes::VARCHAR[])) GROUP BY ALL
        UNION ALL
        SELECT '{ENGLAND}', release, decile, sum(n)::BIGINT FROM decile_count
        WHERE measure = $m AND list_contains($codes::VARCHAR[], '{ENGLAND}') GROUP BY ALL
        ORDER BY ALL""", {"m": measure, "codes": list(codes)})


# --- stored summaries (computed once by the build: inequality.etl.summary_tables) -----------

def stored_summary(con: Con, release: str, basis: str, area_code: str) -> bytes | None:
    """The stored summary object (compressed JSON) of one area on one basis, or None."""
    row = con.execute("SELECT body FROM summary WHERE release = ? AND basis = ? "
                      "AND area_code = ?", [release, basis, area_code]).fetchone()
    return row[0] if row else None


def stored_summaries(con: Con, release: str, basis: str) -> list[bytes]:
    """Every stored summary object (compressed JSON) of a release on one basis, by area code."""
    return [r[0] for r in con.execute(
        "SELECT body FROM summary WHERE release = ? AND basis = ? ORDER BY area_code",
        [release, basis]).fetchall()]


def summary_count(con: Con, release: str) -> int:
    """How many summary objects the build stored for a release (0: none)."""
    return con.execute("SELECT count(*) FROM summary WHERE release = ?",
                       [release]).fetchone()[0]


def authority_values(con: Con, release: str, measure: str = "imd") -> pd.DataFrame:
    """One index's stored summary measures of every authority, on both bases:
    ``basis, area_code, statistic, value, rank``."""
    return _df(con, """SELECT basis, area_code, statistic, value, rank FROM summary_value
                       WHERE release = ? AND measure = ? AND basis IN ('published', 'current')
                       ORDER BY basis, area_code, statistic""", [release, measure])


def lsoa_transitions(con: Con, from_release: str, to_release: str, area_code: str | None = None,
                     measure: str = "imd") -> pd.DataFrame:
    """LSOA decile pairs between two releases through the ONS LSOA lookups.

    Same geography: one row per LSOA, ``chgind`` 'U'. Consecutive geographies (lsoa01 to
    lsoa11, lsoa11 to lsoa21): one row per lookup pair, with the ONS change indicator and a
    ``weight`` of 1 / (number of successors of the older LSOA), so each older LSOA counts
    once in all. An area's pairs are those of the older LSOAs it holds by the one
    assignment (:mod:`inequality.geography`), the LSOAs decile tracking counts for the older
    release, whole, wherever their successors lie. Columns: ``from_code, to_code, chgind,
    weight, decile_from, decile_to``.
    """
    geo = dict(con.execute("SELECT release, geography FROM release").fetchall())
    if from_release not in geo or to_release not in geo:
        raise UnknownArea(f"release {from_release!r} or {to_release!r} is not loaded; loaded: "
                          f"{', '.join(sorted(geo))}")
    g_from, g_to = geo[from_release], geo[to_release]
    cond, params = _area_filter(area_code)
    if g_from == g_to:
        pairs = f"""SELECT lsoa_code AS from_code, lsoa_code AS to_code, 'U' AS chgind,
                           1.0 AS weight FROM lsoa WHERE geography = '{g_from}'"""
    else:
        pairs = f"""SELECT from_code, to_code, chgind,
                           1.0 / count(*) OVER (PARTITION BY from_code) AS weight
                    FROM lsoa_change WHERE from_geography = '{g_from}' AND to_geography = '{g_to}'"""
    if (g_from, g_to) not in {("lsoa01", "lsoa11"), ("lsoa11", "lsoa21")} and g_from != g_to:
        raise UnknownArea(f"no single ONS lookup links {g_from} to {g_to}; compare consecutive "
                          "releases")
    return _df(con, f"""
        WITH pairs AS ({pairs})
        SELECT p.from_code, p.to_code, p.chgind, p.weight,
               a.decile AS decile_from, b.decile AS decile_to
        FROM pairs p
        JOIN lsoa l ON l.geography = '{g_from}' AND l.lsoa_code = p.from_code
        LEFT JOIN deprivation a ON a.release = ? AND a.lsoa_code = p.from_code AND a.measure = ?
        LEFT JOIN deprivation b ON b.release = ? AND b.lsoa_code = p.to_code AND b.measure = ?
        WHERE {cond} AND (a.decile IS NOT NULL OR b.decile IS NOT NULL)
        ORDER BY p.from_code, p.to_code""",
        [from_release, measure, to_release, measure, *params])


# --- geometry -----------------------------------------------------------------------------

def geometries(con: Con, geography: str, codes: list[str] | None = None,
               level: str = "display") -> pd.DataFrame:
    """Boundaries as WKB: ``code, name, wkb, centroid_lon, centroid_lat, min_lon, ...``.

    ``level`` is ``full``, ``display`` (about 10 m) or ``overview`` (every LSOA of the
    vintage simplified together as one coverage, about 500 m: ``boundary_display``, written
    by the build step :mod:`inequality.etl.display`).
    """
    if level not in GEOMETRY_COLUMNS:
        raise ValueError(f"geometry level {level!r} is not one of {sorted(GEOMETRY_COLUMNS)}")
    if level == "overview":
        sql = """SELECT b.code, b.name, d.wkb, b.centroid_lon, b.centroid_lat,
                        b.min_lon, b.min_lat, b.max_lon, b.max_lat
                 FROM boundary b JOIN boundary_display d ON d.geography = b.geography
                                  AND d.code = b.code AND d.level = 'overview'
                 WHERE b.geography = ?"""
    else:
        sql = f"""SELECT code, name, {GEOMETRY_COLUMNS[level]} AS wkb, centroid_lon,
                         centroid_lat, min_lon, min_lat, max_lon, max_lat
                  FROM boundary b WHERE geography = ?"""
    params: list = [geography]
    if codes is not None:
        sql += " AND b.code IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(codes))
    try:
        return _df(con, sql + " ORDER BY b.code", params)
    except duckdb.CatalogException as exc:
        if "boundary_display" not in str(exc):
            raise
        raise LookupError(
            "this database has no boundary_display table (the national map's geometry, "
            "written by the build step inequality/etl/display.py): rebuild it with "
            "`python -m inequality build`") from exc


# --- custom areas ---------------------------------------------------------------------------



def lsoa_geographies(con: Con, codes: list[str]) -> pd.DataFrame:
    """Which LSOA geographies each code exists on: ``lsoa_code, geography``."""
    return _df(con, """SELECT lsoa_code, geography FROM lsoa
                       WHERE lsoa_code IN (SELECT unnest(?::VARCHAR[]))""", [list(codes)])


def _hop(con: Con, codes: list[str], a: str, b: str) -> list[str]:
    """One step through an ONS lookup: the LSOAs of ``b`` at least half of whose lookup links
    lead into ``codes`` (on ``a``)."""
    if (a, b) in HOPS:  # forward: group the newer LSOAs by their links from the set
        sql = """SELECT to_code FROM lsoa_change WHERE from_geography = ? AND to_geography = ?
                 GROUP BY to_code
                 HAVING avg(CASE WHEN from_code IN (SELECT unnest(?::VARCHAR[])) THEN 1 ELSE 0
                            END) >= 0.5 ORDER BY 1"""
    else:  # backward: the older LSOAs most of whose successors are in the set
        sql = """SELECT from_code FROM lsoa_change WHERE from_geography = ? AND to_geography = ?
                 GROUP BY from_code
                 HAVING avg(CASE WHEN to_code IN (SELECT unnest(?::VARCHAR[])) THEN 1 ELSE 0
                            END) >= 0.5 ORDER BY 1"""
        a, b = b, a
    return [r[0] for r in con.execute(sql, [a, b, list(codes)]).fetchall()]


def translate_lsoas(con: Con, codes: list[str], from_geography: str,
                    to_geography: str) -> list[str]:
    """Carry a set of LSOAs to another vintage through the ONS best-fit lookups, one hop at a
    time (lsoa01 <-> lsoa11 <-> lsoa21)."""
    i, j = VINTAGES.index(from_geography), VINTAGES.index(to_geography)
    step = 1 if j > i else -1
    current = list(codes)
    for k in range(i, j, step):
        current = _hop(con, current, VINTAGES[k], VINTAGES[k + step])
    return current


def lsoa_deciles(con: Con, release: str, codes: list[str], measure: str = "imd") -> pd.DataFrame:
    """National deciles of given LSOAs in a release: ``lsoa_code, decile``."""
    return _df(con, """SELECT lsoa_code, decile FROM deprivation
                       WHERE release = ? AND measure = ? AND decile IS NOT NULL
                         AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))""",
               [release, measure, list(codes)])


def authority_counts(con: Con, codes: list[str], geography: str) -> pd.DataFrame:
    """Current authorities of given LSOAs, with how many each holds: ``lad24_code,
    lad24_name, n``."""
    return _df(con, """SELECT lad24_code, any_value(lad24_name) AS lad24_name, count(*) AS n
                       FROM lsoa WHERE geography = ? AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))
                       GROUP BY 1""", [geography, list(codes)])


def wards(con: Con, lad24_code: str | None = None) -> pd.DataFrame:
    """Wards (best-fit of LSOAs, 2024 wards on lsoa21) with their LSOA counts:
    ``ward_code, ward_name, lad24_code, lad24_name, lsoa_count``."""
    cond, params = ("AND lad24_code = ?", [lad24_code]) if lad24_code else ("", [])
    return _df(con, f"""SELECT ward_code, any_value(ward_name) AS ward_name, lad24_code,
                               any_value(lad24_name) AS lad24_name, count(*) AS lsoa_count
                        FROM lsoa WHERE geography = 'lsoa21' AND ward_code IS NOT NULL {cond}
                        GROUP BY ward_code, lad24_code ORDER BY ward_name""", params)


def lsoas_of_ward(con: Con, ward_code: str) -> list[str]:
    """The 2021 LSOAs best-fitted to a 2024 ward."""
    return [r[0] for r in con.execute(
        "SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND ward_code = ? ORDER BY 1",
        [ward_code]).fetchall()]


# --- dashboard queries ----------------------------------------------------------------------

def measure_values(con: Con, release: str, measure: str, area_code: str | None = None
                   ) -> pd.DataFrame:
    """One measure for every LSOA of an area (England by default), narrow and fast for the
    England-wide map: ``lsoa_code, lsoa_name, score, rank, decile``."""
    cond, params = _area_filter(area_code)
    return _df(con, f"""
        SELECT d.lsoa_code, coalesce(l.lsoa_name, i.lsoa_name) AS lsoa_name,
               d.score, d.rank, d.decile
        FROM deprivation d
        JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        LEFT JOIN iod_lsoa i ON i.release = d.release AND i.lsoa_code = d.lsoa_code
        WHERE d.release = ? AND d.measure = ? AND {cond}
        ORDER BY d.lsoa_code""", [release, measure, *params])


def unchanged_lsoas(con: Con, from_geography: str, to_geography: str) -> pd.DataFrame:
    """LSOAs the ONS lookup marks unchanged (chgind U) between two vintages:
    ``from_code, to_code``."""
    return _df(con, """SELECT from_code, to_code FROM lsoa_change
                       WHERE from_geography = ? AND to_geography = ? AND chgind = 'U'""",
               [from_geography, to_geography])


def msoa_codes(con: Con, geography: str, area_code: str | None = None) -> list[str]:
    """MSOA codes holding an area's LSOAs of one vintage (none for lsoa01)."""
    cond, params = _area_filter(area_code)
    rows = con.execute(f"""SELECT DISTINCT l.msoa_code FROM lsoa l
                           WHERE l.geography = ? AND l.msoa_code IS NOT NULL AND {cond}
                           ORDER BY 1""", [geography, *params]).fetchall()
    return [r[0] for r in rows]


# --- health queries -------------------------------------------------------------------------
# Used by inequality.services.health (the Health gap page). Rows come back as published: codes are
# harmonised and suppression marked in inequality.metrics.health, never in SQL.

def health_rows(con: Con, indicator_ids: list[str], area_codes: list[str] | None = None
                ) -> pd.DataFrame:
    """Rows of ``health_indicator`` for some indicators (and optionally some area codes),
    oldest period first: every column of the table."""
    sql = """SELECT * FROM health_indicator
             WHERE indicator_id IN (SELECT unnest(?::VARCHAR[]))"""
    params: list = [list(indicator_ids)]
    if area_codes is not None:
        sql += " AND area_code IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(area_codes))
    return _df(con, sql + " ORDER BY indicator_id, area_code, sex, period_start, period",
               params)


def health_catalogue(con: Con) -> pd.DataFrame:
    """What health data is loaded, per source and indicator: ``source_id, indicator_id,
    indicator_name, rows, with_value, with_ci, first_period, last_period, periods``."""
    return _df(con, """
        SELECT source_id, indicator_id, any_value(indicator_name) AS indicator_name,
               count(*) AS rows, count(value) AS with_value, count(lci95) AS with_ci,
               arg_min(period, period_start) AS first_period,
               arg_max(period, period_start) AS last_period,
               count(DISTINCT period) AS periods
        FROM health_indicator GROUP BY source_id, indicator_id ORDER BY source_id""")


def health_periods(con: Con, indicator_id: str) -> pd.DataFrame:
    """Periods an indicator is loaded for, oldest first: ``period, period_start, period_end``."""
    return _df(con, """SELECT DISTINCT period, period_start, period_end FROM health_indicator
                       WHERE indicator_id = ? ORDER BY period_start, period""", [indicator_id])


def source_status(con: Con, source_ids: list[str]) -> pd.DataFrame:
    """Load-log rows of some sources: ``source_id, status, message, rows``."""
    return _df(con, """SELECT source_id, status, message, rows FROM load_log
                       WHERE source_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY source_id""",
               [list(source_ids)])


def lad_code_changes(con: Con) -> pd.DataFrame:
    """Every published authority code of every release with the current (2024) authorities
    its LSOAs now lie in (the ``lad_change`` table), for the code harmonisation map."""
    return _df(con, """SELECT release, from_code, from_name, lad24_code, lsoa_count,
                              from_lsoa_count, to_lsoa_count
                       FROM lad_change ORDER BY from_code, release, lad24_code""")


def current_authorities(con: Con) -> pd.DataFrame:
    """Current (April 2024) authorities with their region: ``area_code, area_name,
    region_code, region_name`` (the same set the area picker offers)."""
    return _df(con, """SELECT DISTINCT lad24_code AS area_code, lad24_name AS area_name,
                              region_code, region_name
                       FROM lsoa WHERE lad24_code IS NOT NULL ORDER BY lad24_code""")


def authority_population(con: Con, release: str) -> pd.DataFrame:
    """Population of each current authority from a release's LSOA denominators (summed by
    the authority its LSOAs now lie in): ``area_code, population, lsoas``. Population is
    NULL where the release as loaded has no denominators."""
    return _df(con, """
        SELECT l.lad24_code AS area_code, sum(p.total) AS population,
               count(*) AS lsoas
        FROM iod_lsoa i
        JOIN release r ON r.release = i.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
        LEFT JOIN population p ON p.release = i.release AND p.lsoa_code = i.lsoa_code
        WHERE i.release = ? AND l.lad24_code IS NOT NULL
        GROUP BY l.lad24_code ORDER BY l.lad24_code""", [release])


def msoa_lsoa_scores(con: Con, release: str, area_code: str, measure: str = "imd"
                     ) -> pd.DataFrame:
    """The LSOAs of a current authority in one release with their MSOA, score and population:
    ``lsoa_code, msoa_code, msoa_name, score, rank, decile, population``."""
    return _df(con, """
        SELECT l.lsoa_code, l.msoa_code, l.msoa_name, d.score, d.rank, d.decile,
               p.total AS population
        FROM deprivation d
        JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        LEFT JOIN population p ON p.release = d.release AND p.lsoa_code = d.lsoa_code
        WHERE d.release = ? AND d.measure = ? AND l.lad24_code = ?
        ORDER BY l.msoa_code, l.lsoa_code""", [release, measure, area_code])


# --- hidden deprivation queries -----------------------------------------------------------

def has_table(con: Con, table: str) -> bool:
    """Whether the database holds ``table`` (older builds lack the derived spatial tables)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [table]).fetchone()[0])


def lsoa_authorities(con: Con, geography: str, codes: list[str]) -> pd.DataFrame:
    """Current (2024) authority of each of the given LSOAs: ``lsoa_code, lad24_code``."""
    return _df(con, """SELECT lsoa_code, lad24_code FROM lsoa
                       WHERE geography = ? AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))""",
               [geography, list(codes)])


def ward_lsoas(con: Con, geography: str, area_code: str | None = None) -> pd.DataFrame:
    """The electoral ward of every LSOA of a geography (optionally of one area):
    ``lsoa_code, ward_code, ward_name, ward_source, lad24_code, lad24_name``.

    2021 LSOAs: the ONS best-fit ward (WD24) of the lookup. 2011 LSOAs: the 2024 ward of
    their 2021 successor(s) through the ONS LSOA 2011 to 2021 lookup (the most common one
    where an LSOA split), as the mirror's 2011 lookup holds ward codes without names.
    2001 LSOAs: none.
    """
    cond, params = _area_filter(area_code)
    if geography == "lsoa21":
        return _df(con, f"""
            SELECT l.lsoa_code, l.ward_code, l.ward_name, 'WD24 best fit' AS ward_source,
                   l.lad24_code, l.lad24_name
            FROM lsoa l WHERE l.geography = 'lsoa21' AND l.ward_name IS NOT NULL AND {cond}
            ORDER BY l.lsoa_code""", params)
    if geography == "lsoa11":
        return _df(con, f"""
            WITH pairs AS (
                SELECT ch.from_code AS lsoa_code, n.ward_code, n.ward_name, count(*) AS k
                FROM lsoa_change ch
                JOIN lsoa n ON n.geography = 'lsoa21' AND n.lsoa_code = ch.to_code
                WHERE ch.from_geography = 'lsoa11' AND ch.to_geography = 'lsoa21'
                  AND n.ward_name IS NOT NULL
                GROUP BY ALL)
            SELECT p.lsoa_code, first(p.ward_code ORDER BY p.k DESC, p.ward_code) AS ward_code,
                   first(p.ward_name ORDER BY p.k DESC, p.ward_code) AS ward_name,
                   'WD24 of the 2021 successor LSOA' AS ward_source,
                   any_value(l.lad24_code) AS lad24_code, any_value(l.lad24_name) AS lad24_name
            FROM pairs p JOIN lsoa l ON l.geography = 'lsoa11' AND l.lsoa_code = p.lsoa_code
            WHERE {cond}
            GROUP BY p.lsoa_code ORDER BY p.lsoa_code""", params)
    return pd.DataFrame(columns=["lsoa_code", "ward_code", "ward_name", "ward_source",
                                 "lad24_code", "lad24_name"])


def neighbour_pairs(con: Con, geography: str, codes: list[str] | None = None) -> pd.DataFrame:
    """Queen-contiguity neighbours from the build (``lsoa_neighbour``), for all LSOAs or
    those given: ``lsoa_code, neighbour_code, attached``."""
    sql = """SELECT lsoa_code, neighbour_code, attached FROM lsoa_neighbour
             WHERE geography = ?"""
    params: list = [geography]
    if codes is not None:
        sql += " AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(codes))
    return _df(con, sql + " ORDER BY lsoa_code, neighbour_code", params)


def lisa_values(con: Con, release: str, measure: str) -> pd.DataFrame:
    """Local Moran's I of every LSOA cached by the build for a release and measure:
    ``lsoa_code, basis, value, neighbour_mean, local_i, quadrant, p_sim, q_value,
    permutations, seed`` (empty if not cached)."""
    return _df(con, """SELECT lsoa_code, basis, value, neighbour_mean, local_i, quadrant, p_sim,
                              q_value, permutations, seed
                       FROM lisa WHERE release = ? AND measure = ? ORDER BY lsoa_code""",
               [release, measure])


# --- places: postcodes, friendly names and the search index (inequality.services.places) ------

def search_index(con: Con) -> pd.DataFrame:
    """Every place the search box can offer, one row per name it answers to:
    ``kind, code, name, alias, lad24_code, lad24_name, region_name, geography, min_lon,
    min_lat, max_lon, max_lat``.

    ``alias`` is another name or code the same place answers to (the ONS MSOA name
    "Teignbridge 017" of a friendly-named MSOA; a former authority, as "Allerdale|E07000026",
    merged whole into a current one), NULL on the place's own row. Bounding boxes are the
    union of the 2021 LSOA boxes (MSOAs: their own boundary's box).
    """
    return _df(con, """
        WITH l AS (
            SELECT l.*, b.min_lon, b.min_lat, b.max_lon, b.max_lat
            FROM lsoa l LEFT JOIN boundary b ON b.geography = 'lsoa21' AND b.code = l.lsoa_code
            WHERE l.geography = 'lsoa21'),
        boxes AS (SELECT min(min_lon) AS min_lon, min(min_lat) AS min_lat,
                         max(max_lon) AS max_lon, max(max_lat) AS max_lat FROM l),
        m AS (
            SELECT g.msoa_code, coalesce(n.name, g.ons_name) AS name, g.ons_name,
                   g.lad24_code, g.lad24_name, g.region_name,
                   coalesce(b.min_lon, g.min_lon) AS min_lon,
                   coalesce(b.min_lat, g.min_lat) AS min_lat,
                   coalesce(b.max_lon, g.max_lon) AS max_lon,
                   coalesce(b.max_lat, g.max_lat) AS max_lat
            FROM (SELECT msoa_code, any_value(msoa_name) AS ons_name,
                         mode(lad24_code) AS lad24_code, mode(lad24_name) AS lad24_name,
                         mode(region_name) AS region_name, min(min_lon) AS min_lon,
                         min(min_lat) AS min_lat, max(max_lon) AS max_lon,
                         max(max_lat) AS max_lat
                  FROM l WHERE msoa_code IS NOT NULL GROUP BY msoa_code) g
            LEFT JOIN msoa_names n ON n.geography = 'msoa21' AND n.msoa_code = g.msoa_code
            LEFT JOIN boundary b ON b.geography = 'msoa21' AND b.code = g.msoa_code)
        SELECT 'country' AS kind, ? AS code, 'England' AS name, NULL AS alias,
               NULL AS lad24_code, NULL AS lad24_name, NULL AS region_name,
               'england' AS geography, * FROM boxes
        UNION ALL
        SELECT 'region', region_code, any_value(region_name), NULL, NULL, NULL,
               any_value(region_name), 'region', min(min_lon), min(min_lat), max(max_lon),
               max(max_lat)
        FROM l WHERE region_code IS NOT NULL GROUP BY region_code
        UNION ALL
        SELECT 'local authority', lad24_code, any_value(lad24_name), NULL, lad24_code,
               any_value(lad24_name), any_value(region_name), 'lad24', min(min_lon),
               min(min_lat), max(max_lon), max(max_lat)
        FROM l WHERE lad24_code IS NOT NULL GROUP BY lad24_code
        UNION ALL
        SELECT 'local authority', c.lad24_code, any_value(n.lad24_name),
               any_value(c.from_name) || '|' || c.from_code, c.lad24_code,
               any_value(n.lad24_name), any_value(n.region_name), 'lad24', NULL, NULL, NULL,
               NULL
        FROM lad_change c
        JOIN (SELECT DISTINCT lad24_code, lad24_name, region_name FROM l) n
          ON n.lad24_code = c.lad24_code
        WHERE c.lsoa_count = c.from_lsoa_count AND c.from_code <> c.lad24_code
        GROUP BY c.from_code, c.lad24_code
        UNION ALL
        SELECT 'neighbourhood area', msoa_code, name, NULL, lad24_code, lad24_name,
               region_name, 'msoa21', min_lon, min_lat, max_lon, max_lat FROM m
        UNION ALL
        SELECT 'neighbourhood area', msoa_code, name, ons_name, lad24_code, lad24_name,
               region_name, 'msoa21', min_lon, min_lat, max_lon, max_lat FROM m
        WHERE ons_name <> name
        UNION ALL
        SELECT 'ward', ward_code, any_value(ward_name), NULL, mode(lad24_code),
               mode(lad24_name), mode(region_name), 'ward24', min(min_lon), min(min_lat),
               max(max_lon), max(max_lat)
        FROM l WHERE ward_code IS NOT NULL AND ward_name IS NOT NULL GROUP BY ward_code
        UNION ALL
        SELECT 'LSOA', lsoa_code, lsoa_name, NULL, lad24_code, lad24_name, region_name,
               'lsoa21', min_lon, min_lat, max_lon, max_lat
        FROM l""", [ENGLAND])


def lsoa_records(con: Con, codes: list[str] | None = None, geography: str | None = None
                 ) -> pd.DataFrame:
    """LSOAs (of any vintage, or of ``geography``; given codes, or all) with their friendly
    MSOA name and 2024 authority: ``geography, lsoa_code, lsoa_name, msoa_code, msoa_name,
    msoa_ons_name, ward_code, ward_name, lad24_code, lad24_name, region_code, region_name,
    ruc_code, ruc_name, urban_rural, min_lon, min_lat, max_lon, max_lat, centroid_lon,
    centroid_lat`` (newest vintage first)."""
    conds, params = [], []
    if geography is not None:
        conds.append("l.geography = ?")
        params.append(geography)
    if codes is not None:
        conds.append("l.lsoa_code IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(codes))
    return _df(con, f"""
        SELECT l.geography, l.lsoa_code, l.lsoa_name, l.msoa_code,
               coalesce(n.name, l.msoa_name) AS msoa_name, l.msoa_name AS msoa_ons_name,
               l.ward_code, l.ward_name, l.lad24_code, l.lad24_name, l.region_code,
               l.region_name, l.ruc_code, l.ruc_name, l.urban_rural,
               b.min_lon, b.min_lat, b.max_lon, b.max_lat, b.centroid_lon, b.centroid_lat
        FROM lsoa l
        LEFT JOIN msoa_names n ON n.geography = 'msoa' || right(l.geography, 2)
                              AND n.msoa_code = l.msoa_code
        LEFT JOIN boundary b ON b.geography = l.geography AND b.code = l.lsoa_code
        WHERE {' AND '.join(conds) or 'TRUE'}
        ORDER BY l.geography DESC, l.lsoa_code""", params)


def lsoa_change_pairs(con: Con) -> pd.DataFrame:
    """The ONS best-fit lookups between LSOA vintages, every pair: ``from_geography,
    from_code, to_geography, to_code, chgind``."""
    return _df(con, """SELECT from_geography, from_code, to_geography, to_code, chgind
                       FROM lsoa_change ORDER BY from_geography, from_code, to_code""")


def deciles_wide(con: Con, measure_ids: list[str]) -> pd.DataFrame:
    """National decile of the given measures for every LSOA of every release, one row per
    release and LSOA: ``release, lsoa_code`` then one column per measure id (ids are checked
    against the measure table, so they are safe as column names)."""
    known = set(measures(con)["measure"])
    bad = [m for m in measure_ids if m not in known]
    if bad:
        raise ValueError(f"unknown measure(s) {bad}; known: {sorted(known)}")
    cols = ", ".join(f"max(decile) FILTER (WHERE measure = '{m}') AS {m}" for m in measure_ids)
    return _df(con, f"""SELECT release, lsoa_code, {cols} FROM deprivation
                        WHERE measure IN (SELECT unnest(?::VARCHAR[]))
                        GROUP BY release, lsoa_code""", [list(measure_ids)])


def postcode_district_list(con: Con) -> list[str]:
    """Every outward code (postcode district, ``TQ11``) with a postcode in the table."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT split_part(postcode, ' ', 1) FROM postcode ORDER BY 1").fetchall()]


def lsoa_by_name(con: Con, name: str) -> pd.DataFrame:
    """2021 LSOAs whose name is ``name`` (case-insensitive): ``lsoa_code, lsoa_name``."""
    return _df(con, """SELECT lsoa_code, lsoa_name FROM lsoa
                       WHERE geography = 'lsoa21' AND lower(lsoa_name) = lower(?)""", [name])


def postcodes(con: Con, postcodes_: list[str]) -> pd.DataFrame:
    """Rows of the NSPL ``postcode`` table for postcodes written as NSPL's pcds (``TQ11 0AA``):
    ``postcode, lsoa21_code, lad24_code, ward_code, country_code, terminated``; postcodes not
    in the table are absent."""
    return _df(con, """SELECT postcode, lsoa21_code, lad24_code, ward_code, country_code,
                              terminated
                       FROM postcode WHERE postcode IN (SELECT unnest(?::VARCHAR[]))""",
               [list(postcodes_)])


def lsoa_measure_values(con: Con, codes_by_release: dict[str, list[str]]) -> pd.DataFrame:
    """Every measure of given LSOAs in given releases (each release on its own geography):
    ``release, lsoa_code, measure, score, rank, decile``."""
    pairs = [(rel, code) for rel, codes in codes_by_release.items() for code in codes]
    return _df(con, """
        SELECT d.release, d.lsoa_code, d.measure, d.score, d.rank, d.decile
        FROM deprivation d
        JOIN (SELECT unnest(?::VARCHAR[]) AS release, unnest(?::VARCHAR[]) AS lsoa_code) p
          ON p.release = d.release AND p.lsoa_code = d.lsoa_code
        ORDER BY d.release, d.lsoa_code, d.measure""",
        [[p[0] for p in pairs], [p[1] for p in pairs]])


def area_measure_ranks(con: Con, area_code: str | None = None) -> pd.DataFrame:
    """National rank and decile of every measure for every LSOA of an area (a current
    authority, a region, or England when None), every release, each on its own geography and
    assigned to areas by the lsoa table: ``release, lsoa_code, measure, rank, decile``."""
    cond, params = _area_filter(area_code)
    return _df(con, f"""
        SELECT d.release, d.lsoa_code, d.measure, d.rank, d.decile
        FROM deprivation d JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        WHERE {cond}""", params)


def measure_decile_counts(con: Con, area_code: str | None = None) -> pd.DataFrame:
    """LSOA counts by release, measure and national decile for an area (England when None),
    from the stored counts (:data:`DECILE_COUNT_SQL`): ``release, measure, decile, n``."""
    cond, params = _area_filter(area_code)
    return _df(con, f"""
        SELECT release, measure, decile, sum(n)::BIGINT AS n FROM decile_count l
        WHERE {cond} GROUP BY ALL ORDER BY ALL""", params)


def source_missing_columns(con: Con, source_id: str) -> list[str] | None:
    """Optional official columns a loaded source lacked (None if it was not loaded)."""
    row = con.execute("SELECT missing_columns FROM load_log WHERE source_id = ? "
                      "AND status = 'loaded'", [source_id]).fetchall()
    return list(row[0][0] or []) if row else None


def msoa_friendly_names(con: Con, geography: str, codes: list[str]) -> pd.DataFrame:
    """The House of Commons Library names of MSOAs (``msoa_code, name``) of one vintage."""
    return _df(con, "SELECT msoa_code, name FROM msoa_names WHERE geography = ? "
                    "AND msoa_code IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1",
               [geography, list(codes)])
