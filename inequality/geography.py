"""Geographies: LSOA vintages and the one rule assigning every LSOA to a current authority.

Every release is published on its own LSOA geography (2001, 2011 or 2021 LSOAs) and for the
local authorities of its day. To follow a place across releases, every LSOA of every vintage
is counted whole in exactly one current (April 2024) local authority, by
:data:`ASSIGNMENT_RULE`. The build materialises the rule as the table ``lsoa_assignment``
(:data:`ASSIGNMENT_SQL`, run by ``inequality.etl.build``), and copies the answer into
``lsoa.lad24_code``, which every tracking, current-summary and transition query reads; so
every page and service uses the same assignment, and it is the same on every build.

:func:`choose_authority` is the same rule as a pure function (the tests check that the two
agree on every LSOA of the full mirror). :func:`counterparts` pairs each release's published
authorities with today's, so a summary can show the rank MHCLG published beside the rank among
today's authorities and say where the two cover different LSOAs.

This module imports nothing from the rest of the package: the build (etl) reads its SQL, and
services read its named queries.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .db import frame

Con = duckdb.DuckDBPyConnection

#: LSOA boundary vintages, oldest first, and the ONS lookups that link consecutive ones.
VINTAGES = ("lsoa01", "lsoa11", "lsoa21")
#: The ONS LSOA lookups, as (older, newer) vintages: each links one vintage to the next.
HOPS = tuple(zip(VINTAGES[:-1], VINTAGES[1:]))
#: The boundaries each vintage is drawn on: 2001 LSOAs have no published boundaries, so their
#: values are drawn on the 2011 LSOAs they match unchanged.
BOUNDARY_GEOGRAPHY = {"lsoa01": "lsoa11", "lsoa11": "lsoa11", "lsoa21": "lsoa21"}
#: Vintages with boundaries of their own (hence maps and queen neighbours).
BOUNDARY_GEOGRAPHIES = tuple(g for g in VINTAGES if BOUNDARY_GEOGRAPHY[g] == g)
#: The MSOA vintage each LSOA vintage with boundaries nests in.
MSOA_GEOGRAPHY = {"lsoa11": "msoa11", "lsoa21": "msoa21"}
#: The vintage of "today's" authorities.
CURRENT_LAD_VINTAGE = "lad24"

#: The rule, in words a page can show.
ASSIGNMENT_RULE = (
    "Each LSOA of every release counts, whole, in one current (April 2024) local authority. "
    "2021 LSOAs: the authority given by the ONS LSOA (2021) to ward (2024) to local authority "
    "(2024) best-fit lookup. 2011 LSOAs: the authority holding most of the LSOA's 2021 "
    "successors in the ONS LSOA (2011) to LSOA (2021) lookup; on a tie, the LSOA's own "
    "authority in the ONS LSOA (2011) best-fit lookup (its 2021 authority, carried to 2024), "
    "then the lowest authority code. 2001 LSOAs: the authority holding most of the LSOA's "
    "2011 successors in the ONS LSOA (2001) to LSOA (2011) lookup, each placed as above; on a "
    "tie, the lowest authority code. The same assignment is used for decile tracking, "
    "summaries by today's authorities and movements between releases."
)

#: ``lsoa_assignment.method`` codes, in plain words.
METHODS = {
    "lookup": "ONS LSOA 2021 to LAD 2024 best-fit lookup",
    "via_lsoa21": "all its 2021 successors lie in one authority",
    "via_lsoa11": "all its 2011 successors lie in one authority",
    "majority": "its successors lie in several authorities; the one holding most of them",
    "tie_best_fit": "its successors are split evenly; the authority of the ONS LSOA 2011 "
                    "best-fit lookup",
    "tie_lowest_code": "its successors are split evenly; the lowest authority code",
    "best_fit": "no successor in the lookup; the authority of the ONS LSOA 2011 best-fit lookup",
}

#: A published and a current authority are the same place when each has at least this share
#: of its LSOAs in common with the other (boundary tweaks move a handful of LSOAs; mergers
#: leave at most about two thirds in common).
COUNTERPART_SHARE = 0.95


# --- the rule, as a pure function -----------------------------------------------------------

def choose_authority(links: pd.DataFrame, best_fit: dict[str, str] | None = None,
                     geography: str = "lsoa11") -> pd.DataFrame:
    """One current authority per LSOA from its successors' authorities (:data:`ASSIGNMENT_RULE`).

    Parameters
    ----------
    links : DataFrame
        ``lsoa_code, lad24_code, n``: how many of each older LSOA's successors (in the ONS
        lookup to the next vintage) lie in each current authority.
    best_fit : dict, optional
        ``lsoa_code -> lad24_code`` of the ONS best-fit lookup of the older LSOA itself, used
        to break ties (and alone for an LSOA without successors).
    geography : {"lsoa11", "lsoa01"}
        Vintage of the older LSOAs (names the method: ``via_lsoa21`` or ``via_lsoa11``).

    Returns
    -------
    DataFrame
        ``lsoa_code, lad24_code, method, successors, in_authority``, one row per LSOA,
        sorted by code; ``method`` is a key of :data:`METHODS`.

    Examples
    --------
    Gateshead 024C (E01008187) split into one 2021 LSOA in Gateshead and one in
    Northumberland; its ONS best-fit authority is Gateshead:

    >>> links = pd.DataFrame({"lsoa_code": ["E01008187", "E01008187", "E01000001"],
    ...                       "lad24_code": ["E06000057", "E08000037", "E09000001"],
    ...                       "n": [1, 1, 1]})
    >>> choose_authority(links, {"E01008187": "E08000037"}).to_dict("records")[1]
    {'lsoa_code': 'E01008187', 'lad24_code': 'E08000037', 'method': 'tie_best_fit', 'successors': 2, 'in_authority': 1}
    >>> choose_authority(links).loc[1, ["lad24_code", "method"]].tolist()
    ['E06000057', 'tie_lowest_code']
    """
    nxt = {"lsoa01": "lsoa11", "lsoa11": "lsoa21"}[geography]
    best_fit = best_fit or {}
    df = links.assign(is_bf=links["lad24_code"] == links["lsoa_code"].map(best_fit))
    df = df.sort_values(["lsoa_code", "n", "is_bf", "lad24_code"],
                        ascending=[True, False, False, True])
    groups = df.groupby("lsoa_code", sort=True)
    top = groups.head(1).set_index("lsoa_code")
    k = groups.size()
    tied = (df["n"] == df["lsoa_code"].map(top["n"])).groupby(df["lsoa_code"]).sum() > 1
    method = pd.Series("majority", index=top.index)
    method[tied & top["is_bf"]] = "tie_best_fit"
    method[tied & ~top["is_bf"]] = "tie_lowest_code"
    method[k == 1] = f"via_{nxt}"
    out = pd.DataFrame({"lsoa_code": top.index, "lad24_code": top["lad24_code"].to_numpy(),
                        "method": method.to_numpy(),
                        "successors": groups["n"].sum().astype(int).to_numpy(),
                        "in_authority": top["n"].astype(int).to_numpy()})
    alone = [(c, lad) for c, lad in sorted(best_fit.items())
             if lad is not None and c not in top.index]
    if alone:
        out = pd.concat([out, pd.DataFrame({
            "lsoa_code": [c for c, _ in alone], "lad24_code": [lad for _, lad in alone],
            "method": "best_fit", "successors": 0, "in_authority": 0})])
    return out.sort_values("lsoa_code", ignore_index=True)


# --- the rule, as the build runs it ---------------------------------------------------------

#: Fills ``lsoa_assignment`` from the loaded ONS lookups (``area_lookup``, ``lsoa_change``) and
#: the releases' LSOA codes (``iod_lsoa``). Every aggregate orders by a total order (count,
#: best-fit, code), so the answer never depends on row order or threads.
ASSIGNMENT_SQL = """
DELETE FROM lsoa_assignment;

-- LAD22 (= LAD21 in England) -> LAD24, read off the LSOA21 lookup: the 2024 authority holding
-- most of the 2022 authority's LSOAs (the 2023 mergers are whole districts).
CREATE OR REPLACE TEMP TABLE _lad22_24 AS
SELECT lad_code AS lad22_code, first(lad24_code ORDER BY n DESC, lad24_code) AS lad24_code
FROM (SELECT lad_code, lad24_code, count(*) AS n FROM area_lookup
      WHERE geography = 'lsoa21' AND lad_code IS NOT NULL AND lad24_code IS NOT NULL GROUP BY ALL)
GROUP BY lad_code;

INSERT INTO lsoa_assignment
SELECT 'lsoa21', lsoa_code, lad24_code, 'lookup', NULL, NULL, lad24_code
FROM area_lookup WHERE geography = 'lsoa21' AND lad24_code IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _best11 AS
SELECT a.lsoa_code, m.lad24_code
FROM area_lookup a JOIN _lad22_24 m ON m.lad22_code = a.lad_code
WHERE a.geography = 'lsoa11' AND a.lad_vintage IN ('lad21', 'lad22');

CREATE OR REPLACE TEMP TABLE _links AS
SELECT ch.from_geography AS geography, ch.from_code AS lsoa_code, s.lad24_code, count(*) AS n
FROM lsoa_change ch
JOIN lsoa_assignment s ON s.geography = 'lsoa21' AND s.lsoa_code = ch.to_code
WHERE ch.from_geography = 'lsoa11' AND ch.to_geography = 'lsoa21'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _codes11 AS
SELECT lsoa_code FROM area_lookup WHERE geography = 'lsoa11'
UNION SELECT lsoa_code FROM iod_lsoa i JOIN release r USING (release) WHERE r.geography = 'lsoa11'
UNION SELECT from_code FROM lsoa_change WHERE from_geography = 'lsoa11';

INSERT INTO lsoa_assignment
WITH ranked AS (
    SELECT l.lsoa_code, l.lad24_code, l.n, b.lad24_code AS best_fit,
           row_number() OVER (PARTITION BY l.lsoa_code
                              ORDER BY l.n DESC, (l.lad24_code = b.lad24_code) DESC NULLS LAST,
                                       l.lad24_code) AS pos,
           count(*) OVER (PARTITION BY l.lsoa_code) AS k,
           count(*) OVER (PARTITION BY l.lsoa_code, l.n) AS same_n,
           sum(l.n) OVER (PARTITION BY l.lsoa_code) AS successors
    FROM _links l LEFT JOIN _best11 b ON b.lsoa_code = l.lsoa_code
    WHERE l.geography = 'lsoa11')
SELECT 'lsoa11', c.lsoa_code, coalesce(r.lad24_code, b.lad24_code),
       CASE WHEN r.lad24_code IS NULL AND b.lad24_code IS NOT NULL THEN 'best_fit'
            WHEN r.k = 1 THEN 'via_lsoa21'
            WHEN r.same_n > 1 AND r.lad24_code = r.best_fit THEN 'tie_best_fit'
            WHEN r.same_n > 1 THEN 'tie_lowest_code'
            WHEN r.k > 1 THEN 'majority' END,
       coalesce(r.successors, 0), coalesce(r.n, 0), b.lad24_code
FROM _codes11 c
LEFT JOIN ranked r ON r.lsoa_code = c.lsoa_code AND r.pos = 1
LEFT JOIN _best11 b ON b.lsoa_code = c.lsoa_code;

INSERT INTO _links
SELECT ch.from_geography, ch.from_code, s.lad24_code, count(*)
FROM lsoa_change ch
JOIN lsoa_assignment s ON s.geography = 'lsoa11' AND s.lsoa_code = ch.to_code
WHERE ch.from_geography = 'lsoa01' AND ch.to_geography = 'lsoa11' AND s.lad24_code IS NOT NULL
GROUP BY ALL;

INSERT INTO lsoa_assignment
WITH codes AS (
    SELECT from_code AS lsoa_code FROM lsoa_change WHERE from_geography = 'lsoa01'
    UNION SELECT lsoa_code FROM iod_lsoa i JOIN release r USING (release)
    WHERE r.geography = 'lsoa01'),
ranked AS (
    SELECT lsoa_code, lad24_code, n,
           row_number() OVER (PARTITION BY lsoa_code ORDER BY n DESC, lad24_code) AS pos,
           count(*) OVER (PARTITION BY lsoa_code) AS k,
           count(*) OVER (PARTITION BY lsoa_code, n) AS same_n,
           sum(n) OVER (PARTITION BY lsoa_code) AS successors
    FROM _links WHERE geography = 'lsoa01')
SELECT 'lsoa01', c.lsoa_code, r.lad24_code,
       CASE WHEN r.lad24_code IS NULL THEN NULL
            WHEN r.k = 1 THEN 'via_lsoa11'
            WHEN r.same_n > 1 THEN 'tie_lowest_code'
            ELSE 'majority' END,
       coalesce(r.successors, 0), coalesce(r.n, 0), NULL
FROM codes c LEFT JOIN ranked r ON r.lsoa_code = c.lsoa_code AND r.pos = 1;

DROP TABLE _links;
DROP TABLE _best11;
DROP TABLE _codes11;
DROP TABLE _lad22_24;
"""


# --- named queries ------------------------------------------------------------------------

def assignment(con: Con, geography: str | None = None,
               codes: list[str] | None = None) -> pd.DataFrame:
    """The materialised assignment: ``geography, lsoa_code, lad24_code, method, successors,
    in_authority, best_fit_lad24_code``, ordered by geography and code."""
    sql = "SELECT * FROM lsoa_assignment WHERE TRUE"
    params: list = []
    if geography is not None:
        if geography not in VINTAGES:
            raise ValueError(f"geography {geography!r} is not one of {', '.join(VINTAGES)}")
        sql += " AND geography = ?"
        params.append(geography)
    if codes is not None:
        sql += " AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(codes))
    return frame(con, sql + " ORDER BY geography, lsoa_code", params)


def successor_links(con: Con, geography: str) -> pd.DataFrame:
    """For LSOAs of ``geography`` (lsoa01 or lsoa11), how many of their successors in the next
    vintage lie in each current authority: ``lsoa_code, lad24_code, n`` (the input of
    :func:`choose_authority`)."""
    nxt = {"lsoa01": "lsoa11", "lsoa11": "lsoa21"}
    if geography not in nxt:
        raise ValueError(f"geography {geography!r} has no successor vintage; use lsoa01 or "
                         "lsoa11")
    return frame(con, """
        SELECT ch.from_code AS lsoa_code, s.lad24_code, count(*) AS n
        FROM lsoa_change ch
        JOIN lsoa_assignment s ON s.geography = ? AND s.lsoa_code = ch.to_code
        WHERE ch.from_geography = ? AND ch.to_geography = ? AND s.lad24_code IS NOT NULL
        GROUP BY ALL ORDER BY 1, 2""", [nxt[geography], geography, nxt[geography]])


def authority_overlaps(con: Con, release: str) -> pd.DataFrame:
    """How the authorities a release was published for overlap today's, in LSOAs:
    ``published_code, published_name, lad24_code, lad24_name, lsoa_count,
    published_lsoa_count, current_lsoa_count`` (one row per pair that shares an LSOA)."""
    return frame(con, """
        SELECT c.from_code AS published_code, c.from_name AS published_name, c.lad24_code,
               n.lad24_name, c.lsoa_count, c.from_lsoa_count AS published_lsoa_count,
               c.to_lsoa_count AS current_lsoa_count
        FROM lad_change c
        LEFT JOIN (SELECT lad24_code, any_value(lad24_name) AS lad24_name FROM lsoa
                   WHERE lad24_code IS NOT NULL GROUP BY 1) n USING (lad24_code)
        WHERE c.release = ? ORDER BY 1, 3""", [release])


def moved_lsoas(con: Con, release: str) -> pd.DataFrame:
    """LSOAs of a release whose published authority and current authority are not the same
    place (boundary changes, best-fit differences), where at least one of the two has a
    counterpart (:func:`counterparts`; mergers are described by :func:`authority_notes`):
    ``lsoa_code, lsoa_name, published_code, published_name, lad24_code, lad24_name``."""
    pairs = counterparts(authority_overlaps(con, release))
    rows = frame(con, """
        SELECT i.lsoa_code, coalesce(i.lsoa_name, l.lsoa_name) AS lsoa_name,
               i.lad_code AS published_code, i.lad_name AS published_name,
               l.lad24_code, l.lad24_name
        FROM iod_lsoa i JOIN release r USING (release)
        JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = i.lsoa_code
        WHERE i.release = ? ORDER BY i.lsoa_code""", [release])
    p2c = dict(zip(pairs["published_code"], pairs["lad24_code"]))
    published, current = rows["published_code"], rows["lad24_code"]
    paired = published.isin(list(p2c)) | current.isin(list(pairs["lad24_code"]))
    keep = paired & published.map(p2c).ne(current)  # no counterpart (NaN) differs too
    return rows[keep.to_numpy()].reset_index(drop=True)


# --- published <-> current authorities ------------------------------------------------------

def counterparts(overlaps: pd.DataFrame, share: float = COUNTERPART_SHARE) -> pd.DataFrame:
    """Pairs of a published authority and the current authority that is the same place: at
    least ``share`` of each one's LSOAs are shared with the other.

    ``overlaps`` is :func:`authority_overlaps`. Returns its rows that pair, with ``exact``
    (the same LSOAs). A published authority merged into a larger one (Allerdale into
    Cumberland) or split has no counterpart.

    Examples
    --------
    >>> ov = pd.DataFrame({
    ...     "published_code": ["E06000062", "E06000062", "E07000177", "E07000026"],
    ...     "lad24_code": ["E06000062", "E07000177", "E07000177", "E06000063"],
    ...     "lsoa_count": [237, 1, 102, 60], "published_lsoa_count": [238, 238, 102, 60],
    ...     "current_lsoa_count": [237, 103, 103, 177]})
    >>> counterparts(ov)[["published_code", "lad24_code", "exact"]].to_dict("records")
    [{'published_code': 'E06000062', 'lad24_code': 'E06000062', 'exact': False}, {'published_code': 'E07000177', 'lad24_code': 'E07000177', 'exact': False}]
    """
    ok = ((overlaps["lsoa_count"] >= share * overlaps["published_lsoa_count"])
          & (overlaps["lsoa_count"] >= share * overlaps["current_lsoa_count"]))
    out = overlaps[ok].copy()
    out["exact"] = ((out["lsoa_count"] == out["published_lsoa_count"])
                    & (out["lsoa_count"] == out["current_lsoa_count"]))
    return out.reset_index(drop=True)


def authority_notes(release: str, overlaps: pd.DataFrame, moved: pd.DataFrame, *,
                    published_code: str | None = None, current_code: str | None = None,
                    ) -> list[str]:
    """Plain-words notes for one authority where the release's published authority and
    today's differ: LSOAs counted elsewhere, mergers, splits. Give the ``published_code``
    (for a summary of a published authority) or the ``current_code`` (for today's).

    ``overlaps`` is :func:`authority_overlaps` and ``moved`` :func:`moved_lsoas` for the
    release. For every authority at once, use :func:`notes_by_authority`.

    Examples
    --------
    >>> moved = pd.DataFrame({"lsoa_code": ["E01027305"],
    ...     "lsoa_name": ["West Northamptonshire 048E"], "published_code": ["E06000062"],
    ...     "published_name": ["West Northamptonshire"], "lad24_code": ["E07000177"],
    ...     "lad24_name": ["Cherwell"]})
    >>> ov = pd.DataFrame({
    ...     "published_code": ["E07000026", "E07000028", "E06000062", "E06000062", "E07000177"],
    ...     "published_name": ["Allerdale", "Carlisle"] + ["West Northamptonshire"] * 2
    ...                       + ["Cherwell"],
    ...     "lad24_code": ["E06000063", "E06000063", "E06000062", "E07000177", "E07000177"],
    ...     "lad24_name": ["Cumberland", "Cumberland", "West Northamptonshire", "Cherwell",
    ...                    "Cherwell"],
    ...     "lsoa_count": [60, 68, 237, 1, 102],
    ...     "published_lsoa_count": [60, 68, 238, 238, 102],
    ...     "current_lsoa_count": [128, 128, 237, 103, 103]})
    >>> print(*authority_notes("iod2025", ov, moved, current_code="E07000177"))
    iod2025: MHCLG counted E01027305 (West Northamptonshire 048E) in West Northamptonshire (E06000062); the ONS April 2024 best-fit lookup places it in Cherwell (E07000177), where figures among today's authorities count it.
    >>> print(*authority_notes("iod2019", ov, moved, published_code="E07000026"))
    iod2019: Allerdale (E07000026) is no longer an authority: its LSOAs now lie in Cumberland (E06000063), so it has no rank among today's authorities.
    >>> print(*authority_notes("iod2019", ov, moved, current_code="E06000063"))
    iod2019: published before Cumberland (E06000063) existed, for Allerdale (E07000026) and Carlisle (E07000028), so it has no rank in the published figures.
    """
    if (published_code is None) == (current_code is None):
        raise ValueError("give published_code or current_code (one of them)")
    notes = notes_by_authority(release, overlaps, moved)
    if published_code is not None:
        return notes["published"].get(published_code, [])
    return notes["current"].get(current_code, [])


def notes_by_authority(release: str, overlaps: pd.DataFrame, moved: pd.DataFrame
                       ) -> dict[str, dict[str, list[str]]]:
    """:func:`authority_notes` for every authority of both bases in one pass:
    ``{"published": {code: [note, ...]}, "current": {code: [note, ...]}}`` (authorities
    without notes are absent)."""
    pairs = counterparts(overlaps)
    p2c = dict(zip(pairs["published_code"], pairs["lad24_code"]))
    c2p = dict(zip(pairs["lad24_code"], pairs["published_code"]))
    out: dict[str, dict[str, list[str]]] = {"published": {}, "current": {}}
    rows = list(overlaps.itertuples(index=False))
    for code in sorted({r.published_code for r in rows} - set(p2c)):
        mine = [r for r in rows if r.published_code == code]
        where = ", ".join(f"{r.lad24_name} ({r.lad24_code})" for r in mine)
        out["published"].setdefault(code, []).append(
            f"{release}: {mine[0].published_name} ({code}) is no longer an authority: its "
            f"LSOAs now lie in {where}, so it has no rank among today's authorities.")
    for code in sorted({r.lad24_code for r in rows} - set(c2p)):
        mine = [r for r in rows if r.lad24_code == code]
        where = _and([f"{r.published_name} ({r.published_code})" for r in mine])
        out["current"].setdefault(code, []).append(
            f"{release}: published before {mine[0].lad24_name} ({code}) existed, for {where}, "
            "so it has no rank in the published figures.")
    groups = moved.groupby(["published_code", "published_name", "lad24_code", "lad24_name"],
                           sort=True)
    for (p, pn, c, cn), part in groups:
        which = ", ".join(f"{r.lsoa_code} ({r.lsoa_name})" for r in part.itertuples())
        it = "it" if len(part) == 1 else "them"
        note = (f"{release}: MHCLG counted {which} in {pn} ({p}); the ONS April 2024 "
                f"best-fit lookup places {it} in {cn} ({c}), where figures among today's "
                f"authorities count {it}.")
        # the pair's own summaries, and those of the places they are the same as
        for code in {p, c2p.get(c)} - {None}:
            if code in p2c:
                out["published"].setdefault(code, []).append(note)
        for code in {c, p2c.get(p)} - {None}:
            if code in c2p:
                out["current"].setdefault(code, []).append(note)
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
