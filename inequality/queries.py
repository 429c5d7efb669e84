"""Named, parameterised queries returning DataFrames.

Values always travel as parameters; the few identifiers that vary (a geometry column) come
from a whitelist (the datasette ``escape_sqlite`` rule). Every function takes an open
connection first, so the app can cache them and tests can pass a fixture database.
"""

from __future__ import annotations

import duckdb
import pandas as pd

Con = duckdb.DuckDBPyConnection

GEOMETRY_COLUMNS = {"full": "geometry", "display": "geometry_display",
                    "overview": "geometry_overview"}

ENGLAND = "E92000001"


class UnknownArea(LookupError):
    """An area code the database does not know; the message suggests how to find one."""


def _df(con: Con, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


# --- catalogue of what is loaded --------------------------------------------------------

def releases(con: Con) -> pd.DataFrame:
    """Releases loaded, oldest first."""
    return _df(con, "SELECT * FROM release ORDER BY year")


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

def areas(con: Con) -> pd.DataFrame:
    """Every place the app can show: England, the regions and the current (2024) authorities.

    Columns: ``area_type`` (england | region | lad), ``area_code``, ``area_name``,
    ``region_code``, ``region_name``.
    """
    return _df(con, f"""SELECT * FROM ({_AREAS_SQL}) ORDER BY CASE area_type WHEN 'england'
                        THEN 0 WHEN 'region' THEN 1 ELSE 2 END, area_name""", [ENGLAND])


def area(con: Con, area_code: str) -> dict:
    """One area by code (England, a region or a current authority), or :class:`UnknownArea`."""
    found = areas(con)
    row = found[found["area_code"] == area_code]
    if row.empty:
        raise UnknownArea(
            f"area code {area_code!r} is not England ({ENGLAND}), a region (E12...) or a "
            "current (2024) local authority; run `python -m inequality summary --all --json` "
            "to list authority codes")
    return row.iloc[0].to_dict()


def find_areas(con: Con, text: str) -> pd.DataFrame:
    """Areas whose name or code contains ``text`` (case-insensitive)."""
    return _df(con, "SELECT * FROM (" + _AREAS_SQL + ") WHERE area_name ILIKE ? OR area_code ILIKE ?",
               [ENGLAND, f"%{text}%", f"%{text}%"])


_AREAS_SQL = """
    SELECT 'england' AS area_type, ? AS area_code, 'England' AS area_name,
           NULL AS region_code, NULL AS region_name
    UNION ALL SELECT DISTINCT 'region', region_code, region_name, region_code, region_name
    FROM lsoa WHERE region_code IS NOT NULL
    UNION ALL SELECT DISTINCT 'lad', lad24_code, lad24_name, region_code, region_name
    FROM lsoa WHERE lad24_code IS NOT NULL"""


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
    ruc_code, ruc_name, urban_rural, published_lad_code, published_lad_name`` then
    ``<measure>_score``, ``<measure>_rank``, ``<measure>_decile`` for every measure the
    release holds, then the population columns (``pop_total`` ...).
    """
    cond, params = _area_filter(area_code)
    base = _df(con, f"""
        SELECT l.lsoa_code, l.lsoa_name, l.lad24_code, l.lad24_name, l.region_code,
               l.region_name, l.ward_code, l.ward_name, l.msoa_code, l.msoa_name, l.ruc_code,
               l.ruc_name, l.urban_rural, i.lad_code AS published_lad_code,
               i.lad_name AS published_lad_name,
               p.total AS pop_total, p.children_0_15 AS pop_children_0_15,
               p.age_16_59 AS pop_age_16_59, p.older_60_plus AS pop_older_60_plus,
               p.working_age AS pop_working_age
        FROM iod_lsoa i
        JOIN release r ON r.release = i.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
        LEFT JOIN population p ON p.release = i.release AND p.lsoa_code = i.lsoa_code
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
    """Long table of every measure for every LSOA of a release with both authority codings:
    ``lsoa_code, measure, score, rank, decile, published_lad_code, lad24_code, population,
    working_age``."""
    return _df(con, """
        SELECT d.lsoa_code, d.measure, d.score, d.rank, d.decile,
               i.lad_code AS published_lad_code, l.lad24_code, l.region_code,
               p.total AS population, p.working_age
        FROM deprivation d
        JOIN iod_lsoa i ON i.release = d.release AND i.lsoa_code = d.lsoa_code
        JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        LEFT JOIN population p ON p.release = d.release AND p.lsoa_code = d.lsoa_code
        WHERE d.release = ?""", [release])


def lad_names(con: Con, release: str) -> pd.DataFrame:
    """Authorities a release was published with: ``area_code, area_name``."""
    return _df(con, """SELECT lad_code AS area_code, any_value(lad_name) AS area_name
                       FROM iod_lsoa WHERE release = ? GROUP BY 1 ORDER BY 1""", [release])


def lad_changes(con: Con, lad24_code: str) -> pd.DataFrame:
    """For a current authority: which published authorities its LSOAs belonged to, per release."""
    return _df(con, """SELECT * FROM lad_change WHERE lad24_code = ? ORDER BY release, from_code""",
               [lad24_code])


def decile_counts(con: Con, measure: str = "imd") -> pd.DataFrame:
    """LSOA counts per current authority, release and national decile (one pass, all areas):
    ``release, lad24_code, region_code, decile, n``."""
    return _df(con, """
        SELECT d.release, l.lad24_code, l.region_code, d.decile, count(*) AS n
        FROM deprivation d JOIN release r ON r.release = d.release
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
        WHERE d.measure = ? AND d.decile IS NOT NULL
        GROUP BY ALL""", [measure])


def lsoa_transitions(con: Con, from_release: str, to_release: str, area_code: str | None = None,
                     measure: str = "imd") -> pd.DataFrame:
    """LSOA decile pairs between two releases through the ONS LSOA lookups.

    Same geography: one row per LSOA, ``chgind`` 'U'. Consecutive geographies (lsoa01 to
    lsoa11, lsoa11 to lsoa21): one row per lookup pair, with the ONS change indicator and a
    ``weight`` of 1 / (number of successors of the older LSOA), so split LSOAs are not
    counted twice. Columns: ``from_code, to_code, chgind, weight, decile_from, decile_to``.
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
        JOIN lsoa l ON l.geography = '{g_to}' AND l.lsoa_code = p.to_code
        LEFT JOIN deprivation a ON a.release = ? AND a.lsoa_code = p.from_code AND a.measure = ?
        LEFT JOIN deprivation b ON b.release = ? AND b.lsoa_code = p.to_code AND b.measure = ?
        WHERE {cond} AND (a.decile IS NOT NULL OR b.decile IS NOT NULL)
        ORDER BY p.from_code, p.to_code""",
        [from_release, measure, to_release, measure, *params])


# --- geometry -----------------------------------------------------------------------------

def geometries(con: Con, geography: str, codes: list[str] | None = None,
               level: str = "display") -> pd.DataFrame:
    """Boundaries as WKB: ``code, name, wkb, centroid_lon, centroid_lat, min_lon, ...``.

    ``level`` is ``full``, ``display`` (about 10 m) or ``overview`` (about 100 m).
    """
    if level not in GEOMETRY_COLUMNS:
        raise ValueError(f"geometry level {level!r} is not one of {sorted(GEOMETRY_COLUMNS)}")
    column = GEOMETRY_COLUMNS[level]
    sql = f"""SELECT code, name, {column} AS wkb, centroid_lon, centroid_lat,
                     min_lon, min_lat, max_lon, max_lat
              FROM boundary WHERE geography = ?"""
    params: list = [geography]
    if codes is not None:
        sql += " AND code IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(codes))
    return _df(con, sql + " ORDER BY code", params)
