"""Decile tracking across releases of the English Indices of Deprivation.

Pure functions (no I/O) for the "Marmot City" style of reading the IoD over time: how many of
an area's neighbourhoods (LSOAs) sit in each national decile, how LSOAs move between deciles
from one release to the next, and which authorities have the most similar decile profile.

Conventions: decile 1 is the most deprived 10% of LSOAs *nationally*, decile 10 the least
deprived; deciles always come from national ranks ("rank nationally, filter later") and are
never recomputed within a subset.

References
----------
.. [IoD2019] McLennan, D., Noble, S., Noble, M., Plunkett, E., Wright, G. and Gutacker, N.
   (2019). *The English Indices of Deprivation 2019: Technical report*. Ministry of Housing,
   Communities and Local Government.
.. [Marmot] Institute of Health Equity (2020). *Health Equity in England: The Marmot Review
   10 Years On* (Marmot Places / Marmot Cities).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "DECILES",
    "RELATIVE_WARNING",
    "decile_distribution",
    "decile_from_rank",
    "decile_shares_by_area",
    "nearest_neighbours",
    "transition_matrix",
]

#: The ten national deciles, 1 = most deprived 10% of LSOAs in England.
DECILES: tuple[int, ...] = tuple(range(1, 11))

#: Plain-words caveat to show wherever change over time in decile shares is displayed.
RELATIVE_WARNING: str = (
    "The Index of Multiple Deprivation is a relative measure: it ranks neighbourhoods against "
    "each other at one point in time. A fall in the share of an area's neighbourhoods in "
    "decile 1 (the most deprived 10% in England) means other places became relatively more "
    "deprived, not necessarily that this place improved in absolute terms."
)

_Metric = Literal["wasserstein", "total_variation", "euclidean"]


# --------------------------------------------------------------------------------------------
# helpers shared with :mod:`inequality.metrics.area`
# --------------------------------------------------------------------------------------------
def _as_float_array(values: ArrayLike, name: str) -> np.ndarray:
    """1-D float array from a list, ndarray, Series or nullable array (missing -> NaN)."""
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        arr = pd.Series(values).to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {arr.shape}.")
    return arr


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(
            f"n={n!r} is not a valid number of LSOAs: n must be a positive integer, the number "
            "of LSOAs ranked nationally in the release (e.g. 32844 for IoD 2019)."
        )
    return int(n)


def _check_ranks(rank: np.ndarray, n: int) -> None:
    """Ranks must be whole numbers in 1..n (NaN allowed: it means 'missing')."""
    ok = ~np.isnan(rank)
    bad = ok & ((rank < 1) | (rank > n) | (rank != np.floor(rank)))
    if bad.any():
        example = rank[bad][0]
        raise ValueError(
            f"rank {example:g} is not a national rank between 1 and n={n}: ranks must be whole "
            "numbers with 1 = most deprived and n = number of LSOAs in the release. "
            "Check that n matches the release and that ranks are national, not re-ranked."
        )


def _ceil_bin(rank: np.ndarray, n: int, bins: int) -> np.ndarray:
    """``ceil(bins * rank / n)`` in exact integer arithmetic (rank already validated, no NaN)."""
    r = rank.astype(np.int64)
    return -((-bins * r) // n)


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------
def decile_from_rank(rank: ArrayLike, n: int) -> np.ndarray:
    """National decile of each LSOA from its national rank: ``ceil(10 * rank / n)``.

    Decile 1 holds the most deprived 10% of LSOAs nationally. This is the rule the published
    deciles follow: on the IoD 2015, 2019 and 2025 File 7 it reproduces every published decile
    of every domain (including tied ranks), so it is used to derive deciles for IoD 2010, which
    publishes ranks but no deciles. The IoD technical report describes deciles as the national
    ranking "divided into 10 equal groups" [IoD2019]_.

    Parameters
    ----------
    rank : array-like of int
        National ranks, 1 = most deprived. Must be complete (no missing values).
    n : int
        Number of LSOAs ranked nationally in the release (32,482 for IoD 2010; 32,844 for
        IoD 2015 and 2019; 33,755 for IoD 2025).

    Returns
    -------
    numpy.ndarray of int64
        Deciles 1..10.

    Raises
    ------
    ValueError
        If a rank is missing, not whole, or outside 1..n.

    Examples
    --------
    With ``n = 32,844`` one tenth is 3,284.4 LSOAs, so rank 3,284 is the last in decile 1:

    >>> decile_from_rank([1, 3284, 3285, 16422, 16423, 32844], n=32844).tolist()
    [1, 1, 2, 5, 6, 10]
    """
    n = _check_n(n)
    r = _as_float_array(rank, "rank")
    if np.isnan(r).any():
        raise ValueError(
            f"{int(np.isnan(r).sum())} rank(s) are missing: a decile cannot be derived without a "
            "rank. Drop LSOAs with no rank before calling decile_from_rank."
        )
    _check_ranks(r, n)
    return _ceil_bin(r, n, 10)


def _check_deciles(d: np.ndarray, name: str) -> None:
    ok = ~np.isnan(d)
    bad = ok & ~np.isin(d, DECILES)
    if bad.any():
        raise ValueError(
            f"{name} value {d[bad][0]:g} is not a decile: deciles are whole numbers 1..10 "
            "(1 = most deprived 10% of LSOAs nationally)."
        )


def decile_distribution(deciles: ArrayLike) -> pd.DataFrame:
    """Number and share of LSOAs in each national decile, all ten deciles listed.

    The share of an area's LSOAs in decile 1 is the published "proportion of LSOAs in the most
    deprived 10% nationally" [IoD2019]_ (section on local authority summary measures); the full
    distribution is the profile tracked across releases in Marmot City reporting [Marmot]_.

    Parameters
    ----------
    deciles : array-like of int
        National deciles (1..10) of the LSOAs in one area. Missing values (NaN / NA) are left
        out of both counts and the denominator of the shares.

    Returns
    -------
    pandas.DataFrame
        Columns ``decile`` (1..10), ``count`` (int) and ``share`` (fraction of the LSOAs with a
        known decile; NaN for every decile if there are none). Deciles with no LSOAs appear
        with count 0.

    Examples
    --------
    >>> dist = decile_distribution([1, 1, 2, 10])
    >>> dist.head(3).to_dict("list")
    {'decile': [1, 2, 3], 'count': [2, 1, 0], 'share': [0.5, 0.25, 0.0]}
    >>> int(dist["count"].sum()), float(dist["share"].sum())
    (4, 1.0)
    """
    d = _as_float_array(deciles, "deciles")
    _check_deciles(d, "deciles")
    d = d[~np.isnan(d)].astype(np.int64)
    counts = np.bincount(d - 1, minlength=10) if d.size else np.zeros(10, dtype=np.int64)
    total = counts.sum()
    shares = counts / total if total else np.full(10, np.nan)
    return pd.DataFrame(
        {"decile": np.arange(1, 11), "count": counts.astype(np.int64), "share": shares}
    )


def decile_shares_by_area(
    df: pd.DataFrame, *, area_col: str = "area_code", decile_col: str = "decile",
    count_col: str | None = None,
) -> pd.DataFrame:
    """Share of each area's LSOAs in each national decile, one row per area.

    The wide form of :func:`decile_distribution` for many areas at once, ready for
    :func:`nearest_neighbours`. Same method and citation as :func:`decile_distribution`.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per LSOA, with an area column and a national decile column; or, with
        ``count_col``, rows that each stand for that many LSOAs of one area and decile (the
        build's stored decile counts).
    area_col, decile_col : str
        Column names.
    count_col : str, optional
        Column of LSOA counts (whole numbers, 0 or more); each row counts once without it.

    Returns
    -------
    pandas.DataFrame
        Indexed by area (sorted), columns the integers 1..10, values fractions summing to 1.
        LSOAs with a missing decile or area are left out.

    Examples
    --------
    >>> lsoas = pd.DataFrame({"area_code": ["A", "A", "A", "A", "B"],
    ...                       "decile": [1, 1, 2, 10, 5]})
    >>> decile_shares_by_area(lsoas).loc[:, [1, 2, 5, 10]]  # doctest: +NORMALIZE_WHITESPACE
                  1     2    5     10
    area_code
    A          0.5  0.25  0.0  0.25
    B          0.0  0.00  1.0  0.00

    The same from counts:

    >>> counts = pd.DataFrame({"area_code": ["A", "A", "A", "B"], "decile": [1, 2, 10, 5],
    ...                        "n": [2, 1, 1, 1]})
    >>> decile_shares_by_area(counts, count_col="n").equals(decile_shares_by_area(lsoas))
    True
    """
    wanted = [area_col, decile_col] + ([count_col] if count_col else [])
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not found: decile_shares_by_area needs one row per LSOA with "
            f"columns {area_col!r} and {decile_col!r} (or counts in count_col); pass "
            "area_col=/decile_col=/count_col= to rename."
        )
    d = _as_float_array(df[decile_col], decile_col)
    _check_deciles(d, decile_col)
    if count_col:
        n = _as_float_array(df[count_col], count_col)
        bad = ~(np.isfinite(n) & (n >= 0) & (n == np.round(n)))
        if bad.any():
            raise ValueError(f"{count_col} value {n[bad][0]:g} is not a count of LSOAs: "
                             "counts are whole numbers, 0 or more.")
    else:
        n = np.ones(len(d))
    known = ~np.isnan(d) & df[area_col].notna().to_numpy()
    codes, areas = pd.factorize(df[area_col].to_numpy()[known], sort=True)
    counts = np.zeros((len(areas), 10), dtype=np.int64)
    np.add.at(counts, (codes, d[known].astype(np.int64) - 1), n[known].astype(np.int64))
    shares = counts / counts.sum(axis=1, keepdims=True)
    return pd.DataFrame(
        shares, index=pd.Index(areas, name=area_col), columns=pd.Index(DECILES)
    )


def transition_matrix(
    pairs_df: pd.DataFrame,
    from_col: str = "decile_from",
    to_col: str = "decile_to",
    weight_col: str | None = None,
) -> pd.DataFrame:
    """10 x 10 table of LSOA moves between national deciles in two consecutive releases.

    Row ``i``, column ``j`` counts LSOAs in decile ``i`` in the earlier release and decile
    ``j`` in the later one; the diagonal is "stayed in the same decile". The IoD 2019
    statistical release headlines the decile-1 diagonal share ("88 per cent of neighbourhoods
    in the most deprived decile in IMD2019 were also most deprived in IMD2015") [IoD2019]_.

    Parameters
    ----------
    pairs_df : pandas.DataFrame
        One row per (earlier LSOA, later LSOA) pair.
    from_col, to_col : str
        Decile columns (1..10) for the earlier and later release.
    weight_col : str, optional
        Weight of each pair. Where LSOA boundaries changed between releases, an LSOA that
        split can be given weight ``1 / number of successors`` so it still counts once in
        total; without it every pair counts 1.

    Returns
    -------
    pandas.DataFrame
        Index ``from_col`` (1..10), columns ``to_col`` (1..10), all deciles present. Integer
        counts without weights, float sums of weights with them. Pairs with a missing decile
        (e.g. no successor) are left out.

    Raises
    ------
    ValueError
        If a column is missing, a decile is outside 1..10 or a weight is missing/negative.

    Examples
    --------
    >>> pairs = pd.DataFrame({"decile_from": [1, 1, 1, 2],
    ...                       "decile_to":   [1, 1, 2, 1],
    ...                       "w":           [1.0, 0.5, 0.5, 1.0]})
    >>> m = transition_matrix(pairs)
    >>> m.iloc[:2, :3]  # doctest: +NORMALIZE_WHITESPACE
    decile_to    1  2  3
    decile_from
    1            2  1  0
    2            1  0  0
    >>> m.shape, int(m.to_numpy().sum())
    ((10, 10), 4)
    >>> float(transition_matrix(pairs, weight_col="w").loc[1, 1])
    1.5
    """
    needed = [from_col, to_col] + ([weight_col] if weight_col is not None else [])
    missing = [c for c in needed if c not in pairs_df.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not found in the pairs table: transition_matrix needs "
            f"columns {needed} (one row per LSOA pair between two releases)."
        )
    f = _as_float_array(pairs_df[from_col], from_col)
    t = _as_float_array(pairs_df[to_col], to_col)
    _check_deciles(f, from_col)
    _check_deciles(t, to_col)
    keep = ~(np.isnan(f) | np.isnan(t))
    cells = (f[keep].astype(np.int64) - 1) * 10 + (t[keep].astype(np.int64) - 1)
    if weight_col is None:
        values = np.bincount(cells, minlength=100).astype(np.int64)
    else:
        w = _as_float_array(pairs_df[weight_col], weight_col)[keep]
        if np.isnan(w).any() or (w < 0).any():
            raise ValueError(
                f"{weight_col!r} has missing or negative weights: weights must be >= 0 "
                "(e.g. 1 / number of successor LSOAs)."
            )
        values = np.bincount(cells, weights=w, minlength=100)
    return pd.DataFrame(
        values.reshape(10, 10),
        index=pd.Index(DECILES, name=from_col),
        columns=pd.Index(DECILES, name=to_col),
    )


def _distance(profiles: np.ndarray, target: np.ndarray, metric: _Metric) -> np.ndarray:
    diff = profiles - target
    if metric == "wasserstein":
        return np.abs(np.cumsum(diff, axis=1)).sum(axis=1)
    if metric == "total_variation":
        return 0.5 * np.abs(diff).sum(axis=1)
    if metric == "euclidean":
        return np.sqrt((diff**2).sum(axis=1))
    raise ValueError(
        f"metric={metric!r} is not supported: use 'wasserstein', 'total_variation' or "
        "'euclidean'."
    )


def nearest_neighbours(
    shares: pd.DataFrame, area_code: str, k: int = 5, *, metric: _Metric = "wasserstein"
) -> pd.DataFrame:
    """The ``k`` areas whose decile profiles are most like that of ``area_code``.

    Each area is described by the share of its LSOAs in national deciles 1..10 (see
    :func:`decile_shares_by_area`). Because deciles are ordered, the default distance is the
    **1-Wasserstein (earth mover's) distance** on the decile scale,
    ``sum_{d=1..10} |F_a(d) - F_b(d)|`` with ``F`` the cumulative share up to decile ``d``:
    the average number of deciles a neighbourhood would have to move to turn one profile into
    the other (Rubner, Tomasi & Guibas 2000, *Int. J. Computer Vision* 40:99-121; for the 1-D
    closed form, Vallender 1973, *Theory Probab. Appl.* 18:784-786). So moving 30% of LSOAs
    from decile 1 to decile 2 is a smaller change than moving them to decile 10.
    ``metric="total_variation"`` gives ``0.5 * sum |p - q|`` (the share of neighbourhoods
    that would have to change decile, ignoring how far; Levin, Peres & Wilmer 2009,
    *Markov Chains and Mixing Times*, section 4.1) and ``metric="euclidean"`` the
    straight-line distance between share vectors.

    Parameters
    ----------
    shares : pandas.DataFrame
        Indexed by area code; columns 1..10 (integers, or strings "1".."10") holding shares
        that sum to 1 per row.
    area_code : str
        The area to find neighbours for (must be in the index).
    k : int, default 5
        Number of neighbours to return (fewer if there are fewer other areas).
    metric : {"wasserstein", "total_variation", "euclidean"}
        Distance between share vectors, as above.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_code`` and ``distance``, nearest first (ties broken by area code). The
        area itself and areas with missing shares are excluded.

    Examples
    --------
    >>> shares = pd.DataFrame(
    ...     [[0.5, 0.5] + [0.0] * 8,       # A: half decile 1, half decile 2
    ...      [0.0, 1.0] + [0.0] * 8,       # B: all decile 2
    ...      [0.5] + [0.0] * 8 + [0.5]],   # C: half decile 1, half decile 10
    ...     index=["A", "B", "C"], columns=range(1, 11))
    >>> nearest_neighbours(shares, "A", k=2)
      area_code  distance
    0         B       0.5
    1         C       4.0
    >>> nearest_neighbours(shares, "A", k=2, metric="total_variation")
      area_code  distance
    0         B       0.5
    1         C       0.5
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r} is not a positive whole number of neighbours.")
    wide = _decile_columns(shares)
    if area_code not in wide.index:
        raise ValueError(
            f"area_code {area_code!r} is not in the shares table: pick one of its index "
            f"values (e.g. {list(wide.index[:3])})."
        )
    values = wide.to_numpy(dtype=float)
    complete = ~np.isnan(values).any(axis=1)
    sums = values[complete].sum(axis=1)
    if complete.any() and not np.allclose(sums, 1.0, atol=1e-6):
        bad = wide.index[complete][~np.isclose(sums, 1.0, atol=1e-6)][0]
        raise ValueError(
            f"shares for {bad!r} sum to {sums[~np.isclose(sums, 1.0, atol=1e-6)][0]:g}, not 1: "
            "pass shares (fractions of LSOAs), not counts; see decile_shares_by_area."
        )
    position = wide.index.get_loc(area_code)
    if not complete[position]:
        raise ValueError(f"area_code {area_code!r} has missing decile shares.")
    others = complete.copy()
    others[position] = False
    dist = _distance(values[others], values[position], metric)
    out = pd.DataFrame({"area_code": wide.index[others].to_numpy(), "distance": dist})
    out = out.sort_values(["distance", "area_code"], kind="mergesort").head(int(k))
    return out.reset_index(drop=True)


def _decile_columns(shares: pd.DataFrame) -> pd.DataFrame:
    """Select and order columns 1..10, accepting integer or string labels."""
    mapping = {}
    for col in shares.columns:
        try:
            as_int = int(col)
        except (TypeError, ValueError):
            continue
        if as_int in DECILES and str(as_int) == str(col).strip():
            mapping[col] = as_int
    found = set(mapping.values())
    if found != set(DECILES):
        raise ValueError(
            f"shares table lacks decile column(s) {sorted(set(DECILES) - found)}: it needs one "
            "column per decile 1..10 (see decile_shares_by_area)."
        )
    wide = shares.loc[:, list(mapping)].rename(columns=mapping)
    return wide.loc[:, list(DECILES)]
