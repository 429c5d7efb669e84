"""Area summaries and decile tracking, as pages, the CLI and briefings read them.

Every authority, region and England summary of every release is computed once, at build
time (:mod:`inequality.etl.summary_tables`: which LSOAs make up an area, which population
weights each measure, which measures a release can support and why not), and stored; this
module looks them up, ranks a custom area against them, and serves decile tracking,
transitions and comparisons from the stored decile counts. The arithmetic lives in
:mod:`inequality.metrics`; which current authority an LSOA counts in, in
:mod:`inequality.geography`.

Every authority summary carries two rankings, labelled: the rank among the authorities the
release was published for (MHCLG's own, e.g. 317 in 2019) and the rank among today's (April
2024) authorities, with the authority of each basis that is the same place
(``published_code``, ``current_code``) and notes where their LSOAs differ. The headline rank
is the same measure in every release: :data:`HEADLINE_RANK_MEASURE` ("rank of average
score").
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .. import geography, queries
from ..etl.summary_tables import (
    BASES,
    DOMAIN_MEASURES,
    HEADLINE_RANK_LABEL,
    HEADLINE_RANK_MEASURE,
    SCALES,
    SUMMARY_MEASURES,
    decode_summary,
    lsoa_set_summary,
    national_summaries,
    summary_values,
    weighted_frame,
)
from ..metrics.deciles import (
    DECILES,
    RELATIVE_WARNING,
    decile_shares_by_area,
    nearest_neighbours,
    transition_matrix,
)
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection

__all__ = ["ASSIGNMENT_RULE", "BASES", "DOMAIN_MEASURES", "HEADLINE_RANK_LABEL",
           "HEADLINE_RANK_MEASURE", "RELATIVE_WARNING", "SCALES", "SUMMARY_MEASURES",
           "UnknownArea", "all_summaries", "area_summary", "comparison", "decile_tracking",
           "lsoa_set_summary", "national_summaries", "rank_among_authorities",
           "summary_values", "transitions", "weighted_frame"]

#: How LSOAs are counted in today's authorities (for pages and notes).
ASSIGNMENT_RULE = geography.ASSIGNMENT_RULE


# --- the stored summaries --------------------------------------------------------------------

def _stored(con: Con, release: str) -> None:
    """Raise a clear error when the release is not loaded, or when the database holds no
    stored summaries for it (built by a program that did not store them)."""
    queries.release(con, release)  # UnknownArea naming the loaded releases
    if not queries.summary_count(con, release):
        from ..db import REBUILD, DatabaseDamaged
        raise DatabaseDamaged(f"the database holds no stored summaries for {release}; rebuild "
                              f"it with {REBUILD}")


def all_summaries(con: Con, release: str, *, current: bool = False) -> list[dict]:
    """Every authority's summary for a release, with ranks among authorities (1 = most deprived).

    ``current=False`` (the default) summarises the release for the authorities it was
    published with (LAD 2013 for IoD 2015, LAD 2019 for 2019, LAD 2024 for 2025, the
    post-2009 authorities for 2010), as MHCLG's File 10 does; ``current=True`` uses the
    April 2024 authorities, each LSOA counted whole in one of them by
    :data:`ASSIGNMENT_RULE`, so releases can be compared.

    Each measure is weighted by its own population (:mod:`inequality.measures`: Employment
    by the working-age population, IDACI by children aged 0-15, IDAOPI by people aged 60+,
    the rest by the total population). Proportions are fractions; a measure that cannot be
    computed is None with its reason under ``unavailable``.

    Keys of each summary (besides the measures ``avg_rank`` ... ``employment_scale``):

    * ``rank_<measure>``, ``n_areas``: rank among the authorities of ``rank_basis``
      (``"published"`` or ``"current"``, the basis asked for);
    * ``published_code``, ``published_name``, ``ranks_published`` (``{measure: rank}``),
      ``n_published``: the release's own authority that is the same place and MHCLG's
      ranking (None where it did not exist, e.g. Cumberland before 2023);
    * ``current_code``, ``current_name``, ``ranks_current``, ``n_current``: the same for
      today's (April 2024) authorities (None where the published one was merged away);
    * ``headline_rank_measure`` (``"avg_score"``) and ``headline_rank_label``;
    * ``income_scale_estimated`` / ``employment_scale_estimated`` (True: rate x population,
      File 7 publishes no counts) and ``<scale>_precision`` (the unit it is rounded to);
    * ``notes``: sentences where the published and today's authority hold different LSOAs;
    * ``domains``: each domain's measures, ``rank_<measure>``, ``ranks_published``,
      ``n_published``, ``ranks_current``, ``n_current`` and ``unavailable``.

    The summaries are computed once, at build time (:func:`national_summaries`); this reads
    them.
    """
    _stored(con, release)
    basis = "current" if current else "published"
    return [decode_summary(body) for body in queries.stored_summaries(con, release, basis)]


def area_summary(con: Con, area_code: str, release: str, *, current: bool = True) -> dict:
    """One area's summary: a current (or, with ``current=False``, published) authority ranked
    among all authorities on both bases (see :func:`all_summaries` for the keys), a region
    ranked among regions, or England. A lookup of what the build stored
    (:func:`national_summaries`).
    """
    if area_code == ENGLAND:
        basis = "england"
    elif area_code.startswith("E12"):
        basis = "region"
    else:
        basis = "current" if current else "published"
    body = queries.stored_summary(con, release, basis, area_code)
    if body is not None:
        return decode_summary(body)
    _stored(con, release)
    if basis == "region":
        raise UnknownArea(f"region {area_code!r} is not an English region (E12000001 to "
                          "E12000009)")
    hint = ("; use --current to summarise by today's (2024) authorities" if not current
            else "; run `python -m inequality summary --all --current --release "
                 f"{release} --json` to list codes")
    raise UnknownArea(f"{area_code!r} is not a{' published' if not current else ' current'} "
                      f"local authority of {release}{hint}")


def rank_among_authorities(con: Con, release: str, values: dict) -> dict:
    """Where an area with these IMD summary values (e.g. a custom area's
    :func:`lsoa_set_summary`) would rank among the release's published authorities and among
    today's: ``ranks_published``, ``n_published``, ``ranks_current``, ``n_current`` (1 = most
    deprived; an area equal to an authority shares its rank). Ranked against the stored
    authority summaries (the ``summary_value`` table)."""
    _stored(con, release)
    stored = queries.authority_values(con, release, "imd")
    out = {}
    for basis in ("published", "current"):
        part = stored[stored["basis"] == basis]
        ranks = {}
        for m in SUMMARY_MEASURES:
            v = values.get(m)
            col = part.loc[part["statistic"] == m, "value"].dropna()
            ranks[m] = int((col > v).sum()) + 1 if v is not None and len(col) else None
        out[f"ranks_{basis}"] = ranks
        out[f"n_{basis}"] = int(part["area_code"].nunique())
    return out


# --- decile tracking ------------------------------------------------------------------------

def _counts_by_area(con: Con, codes: list[str], measure: str
                    ) -> dict[tuple[str, str], dict[int, int]]:
    """``{(area, release): {decile: LSOAs}}`` of the stored counts, for a few areas."""
    table: dict[tuple[str, str], dict[int, int]] = {}
    for code, release, d, n in queries.areas_decile_counts(
            con, codes, measure).itertuples(index=False, name=None):
        table.setdefault((code, release), {})[int(d)] = int(n)
    return table


def decile_tracking(con: Con, area_code: str, measure: str = "imd") -> dict:
    """Count and share of an area's LSOAs in each national decile, for every release.

    Each release is counted on its own LSOA geography, each LSOA whole in one current (2024)
    authority by :data:`ASSIGNMENT_RULE` (returned as ``assignment_rule``). Where a release
    publishes no decile (2010), the decile is ceil(10 x rank / N), the rule the later releases
    follow.
    """
    place = queries.area(con, area_code)
    counts = _counts_by_area(con, [area_code], measure)
    out = {"area_code": area_code, "area_name": place["area_name"], "measure": measure,
           "releases": {}, "boundary_notes": boundary_notes(con, area_code),
           "assignment_rule": ASSIGNMENT_RULE}
    for r in queries.releases(con).to_dict("records"):
        by = counts.get((area_code, r["release"]))
        if not by:
            continue
        total = sum(by.values())
        out["releases"][r["release"]] = {
            "geography": r["geography"],
            "decile_derived": bool(r["decile_derived"]),
            "lsoa_count": total,
            "counts": {str(d): by.get(d, 0) for d in DECILES},
            "shares": {str(d): by.get(d, 0) / total for d in DECILES},
        }
    return out


def boundary_notes(con: Con, area_code: str) -> list[str]:
    """Plain-words notes where a current authority's LSOAs were published under other
    authorities in a release (mergers, boundary changes)."""
    if area_code == ENGLAND or area_code.startswith("E12"):
        return []
    notes = []
    changes = queries.lad_changes(con, area_code)
    for release, part in changes.groupby("release", sort=True):
        whole = part["lsoa_count"] == part["from_lsoa_count"]
        if len(part) == 1 and bool(whole.iloc[0]):
            continue  # one authority, same LSOAs: at most a change of code
        pieces = [f"{r.from_name} ({r.from_code})" + ("" if w else f": {int(r.lsoa_count)} of "
                                                      f"its {int(r.from_lsoa_count)} LSOAs")
                  for r, w in zip(part.itertuples(), whole)]
        notes.append(f"{release}: published for {', '.join(pieces)}; counted here by the LSOAs "
                     "that now lie in this authority.")
    return notes


def transitions(con: Con, area_code: str, from_release: str, to_release: str,
                measure: str = "imd") -> dict:
    """LSOA movement between the national deciles of two releases.

    The unit is the older release's LSOA, counted whole in the one current authority
    :data:`ASSIGNMENT_RULE` gives it, exactly as decile tracking counts it: the matrix rows
    (the older release's decile) add up to the area's LSOAs in decile tracking for the older
    release, less any without a decile on both sides (``unmatched``). Through the ONS LSOA
    lookups: an unchanged (U) LSOA counts once in its successor's decile; an LSOA that split
    (S) or was redrawn irregularly (X) shares its one count equally among its k successors'
    deciles (1/k each), wherever they lie; merged (M) LSOAs each count once towards their
    shared successor's decile. The columns are the newer release's decile; their totals
    need not equal the newer release's tracking counts, since newer LSOAs are not the unit.
    """
    pairs = queries.lsoa_transitions(con, from_release, to_release, area_code, measure)
    complete = pairs.dropna(subset=["decile_from", "decile_to"])
    matrix = transition_matrix(complete, weight_col="weight")
    counts = pairs.groupby("chgind")["from_code"].count().to_dict()
    return {"area_code": area_code, "from_release": from_release, "to_release": to_release,
            "matrix": matrix, "pairs": pairs,
            "chgind_counts": {k: int(counts.get(k, 0)) for k in ("U", "S", "M", "X")},
            "unmatched": int(len(pairs) - len(complete))}


def comparison(con: Con, area_code: str, k: int = 5, measure: str = "imd") -> pd.DataFrame:
    """Decile shares of the area, its region, England and its ``k`` nearest-neighbour
    authorities (most similar decile distribution in the latest release), for every release.
    """
    place = queries.area(con, area_code)
    releases = list(queries.releases(con)["release"])
    roles = [(area_code, "area")]
    if place["area_type"] == "lad":
        roles.append((place["region_code"], "region"))
        if k:
            latest = queries.decile_counts(con, measure, release=releases[-1])
            shares = decile_shares_by_area(latest, area_col="lad24_code", count_col="n")
            near = nearest_neighbours(shares, area_code, k=k)
            roles += [(code, "neighbour") for code in near["area_code"]]
    if area_code != ENGLAND:
        roles.append((ENGLAND, "england"))
    listed = queries.areas(con)
    names = dict(zip(listed["area_code"], listed["area_name"]))
    table = _counts_by_area(con, [c for c, _ in roles], measure)
    rows = []
    for code, role in roles:
        for release in releases:
            by = table.get((code, release), {})
            total = sum(by.values())
            if not total:
                continue
            row = {"area_code": code, "area_name": names.get(code, code), "role": role,
                   "release": release, "lsoa_count": int(total)}
            row.update({f"share_{d}": by.get(d, 0) / total for d in DECILES})
            row["share_decile_1"] = row["share_1"]
            rows.append(row)
    return pd.DataFrame(rows)
