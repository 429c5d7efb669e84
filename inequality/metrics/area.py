"""Local-authority (and other larger-area) summary measures of the Indices of Deprivation.

The English Indices of Deprivation publish, for each local authority district, a set of
summary measures computed from its LSOAs (neighbourhoods): average rank, average score,
proportion of LSOAs in the most deprived 10% nationally, extent, local concentration, and
income / employment scale [IoD2019]_ (section 3.8 and Appendix N, "summary measures for
higher-level geographies"). humaniverse/IMD implements the same measures in R
(``R/extent.R``, ``R/proportion.R``, ``R/pop_weighted_scores.R``) [humaniverse]_.

Conventions
-----------
* National LSOA ranks: 1 = most deprived, ``n`` = number of LSOAs ranked nationally in the
  release (32,482 for IoD 2010; 32,844 for IoD 2015 and 2019; 33,755 for IoD 2025).
* Rank nationally, filter later: every function takes national ranks and ``n``; nothing
  re-ranks a subset of LSOAs.
* Where ranks are averaged they are first inverted, ``n + 1 - rank``, so the most deprived
  LSOA counts ``n`` and a *higher* average means *more* deprived, as in the published
  summaries ("LSOAs are ranked such that the most deprived LSOA is given the rank of 32,844").
* A measure whose inputs are missing (NaN population, score or rank for any LSOA in the area,
  or zero total population) is NaN; nothing is imputed.

References
----------
.. [IoD2019] McLennan, D., Noble, S., Noble, M., Plunkett, E., Wright, G. and Gutacker, N.
   (2019). *The English Indices of Deprivation 2019: Technical report*. Ministry of Housing,
   Communities and Local Government. Section 3.8 and Appendix N.
.. [humaniverse] Thomas, M. et al. *IMD: Index of Multiple Deprivation data for the UK*
   (R package), https://github.com/humaniverse/IMD, files ``R/extent.R`` and
   ``R/proportion.R``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from inequality.metrics.deciles import (
    _as_float_array,
    _ceil_bin,
    _check_n,
    _check_ranks,
)

__all__ = [
    "MEASURES",
    "average_rank",
    "average_score",
    "extent",
    "extent_weight",
    "local_concentration",
    "percentile_from_rank",
    "proportion_most_deprived_10",
    "rate_decimals",
    "round_scale",
    "scale",
    "scale_precision",
    "summarise_areas",
]

PercentileMethod = Literal["ceil", "ntile"]

#: Measures :func:`summarise_areas` can compute, in output order.
MEASURES: tuple[str, ...] = (
    "avg_rank",
    "avg_score",
    "prop_most_deprived_10",
    "extent",
    "local_concentration",
    "income_scale",
    "employment_scale",
)

#: Input columns each measure needs (besides the area column). ``prop_most_deprived_10``
#: uses ``decile`` when present, otherwise derives it from ``rank``.
_NEEDS: dict[str, tuple[str, ...]] = {
    "avg_rank": ("rank", "population"),
    "avg_score": ("score", "population"),
    "prop_most_deprived_10": ("rank",),
    "extent": ("rank", "population"),
    "local_concentration": ("rank", "population"),
    "income_scale": ("income_score", "population"),
    "employment_scale": ("employment_score", "working_age_population"),
}

#: Share of an area's population whose most deprived LSOAs define local concentration.
LOCAL_CONCENTRATION_SHARE = 0.10


# --------------------------------------------------------------------------------------------
# input helpers
# --------------------------------------------------------------------------------------------
def _same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"inputs have different lengths {lengths}: pass one value per LSOA in each."
        )


def _check_population(pop: np.ndarray, name: str = "population") -> None:
    if (pop[~np.isnan(pop)] < 0).any():
        raise ValueError(f"{name} has negative values: populations must be >= 0.")


def _ranks(rank: ArrayLike, n: int) -> tuple[np.ndarray, int]:
    n = _check_n(n)
    r = _as_float_array(rank, "rank")
    _check_ranks(r, n)
    return r, n


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    if values.size == 0 or np.isnan(values).any() or np.isnan(weights).any():
        return float("nan")
    total = weights.sum()
    if total <= 0:
        return float("nan")
    return float((values * weights).sum() / total)


# --------------------------------------------------------------------------------------------
# percentiles and extent weights
# --------------------------------------------------------------------------------------------
def percentile_from_rank(
    rank: ArrayLike, n: int, *, method: PercentileMethod = "ceil"
) -> np.ndarray:
    """National percentile (1 = most deprived 1% of LSOAs) from a national rank.

    ``method="ceil"`` (default) uses ``ceil(100 * rank / n)``, the percentile analogue of the
    rule that reproduces every published IoD decile (``ceil(10 * rank / n)``, see
    :func:`inequality.metrics.deciles.decile_from_rank`). With it, "percentiles 1-10" is
    exactly the published decile 1 and "percentiles 1-30" exactly deciles 1-3, so extent's
    weight-1 group is the same set of LSOAs as the published "most deprived 10%".

    ``method="ntile"`` reproduces humaniverse/IMD ``calculate_extent``, which uses
    ``dplyr::ntile(rank, 100)`` (SQL ``NTILE``: 100 groups of equal count, the first
    ``n mod 100`` one LSOA larger) [humaniverse]_. It differs from ``"ceil"`` by one
    percentile for LSOAs near some boundaries (for ``n = 32,844``, 258 of the top 30%), and
    its percentile 10 does not coincide with the published decile 1.

    The Technical Report defines extent on "the most deprived 11 to 30 per cent" and "the
    most deprived eleventh percentile" without giving a rank-to-percentile formula
    [IoD2019]_ (Appendix N).

    Parameters
    ----------
    rank : array-like
        National ranks, 1 = most deprived; NaN allowed (gives NaN).
    n : int
        Number of LSOAs ranked nationally in the release.
    method : {"ceil", "ntile"}
        Rule for turning ranks into percentiles, as above.

    Returns
    -------
    numpy.ndarray of float
        Percentiles 1..100 (float so that missing ranks can be NaN).

    Examples
    --------
    >>> percentile_from_rank([1, 3284, 3285, 32844], n=32844).tolist()
    [1.0, 10.0, 11.0, 100.0]
    >>> percentile_from_rank([3285], n=32844, method="ntile").tolist()
    [10.0]
    """
    r, n = _ranks(rank, n)
    out = np.full(r.shape, np.nan)
    ok = ~np.isnan(r)
    if method == "ceil":
        out[ok] = _ceil_bin(r[ok], n, 100)
    elif method == "ntile":
        q, rem = divmod(n, 100)
        big = rem * (q + 1)  # the first `rem` percentiles hold q + 1 LSOAs, the rest q
        ri = r[ok].astype(np.int64)
        out[ok] = np.where(
            ri <= big, -(-ri // (q + 1)), rem + -(-(ri - big) // max(q, 1))
        )
    else:
        raise ValueError(f"method={method!r} is not supported: use 'ceil' or 'ntile'.")
    return out


def extent_weight(percentile: ArrayLike) -> np.ndarray:
    """Extent weight of an LSOA from its national percentile (1 = most deprived 1%).

    Weight 1 for percentiles 1-10; from 0.95 at the 11th percentile falling by
    ``(0.95 - 0.05) / 19`` per percentile to 0.05 at the 30th; 0 beyond the 30th
    [IoD2019]_ (Appendix N), as in humaniverse/IMD ``R/extent.R`` [humaniverse]_.

    Parameters
    ----------
    percentile : array-like
        National percentiles 1..100; NaN gives NaN.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> [round(w, 4) for w in extent_weight([1, 10, 11, 12, 30, 31]).tolist()]
    [1.0, 1.0, 0.95, 0.9026, 0.05, 0.0]
    """
    p = _as_float_array(percentile, "percentile")
    sliding = 0.95 - (0.95 - 0.05) / 19 * (p - 11)
    w = np.where(p <= 10, 1.0, np.where(p <= 30, sliding, 0.0))
    return np.where(np.isnan(p), np.nan, w)


# --------------------------------------------------------------------------------------------
# single-area measures
# --------------------------------------------------------------------------------------------
def average_rank(rank: ArrayLike, population: ArrayLike, n: int) -> float:
    """Population-weighted average of the area's inverted national LSOA ranks.

    ``sum(pop * (n + 1 - rank)) / sum(pop)``: the most deprived LSOA in England counts ``n``,
    so a higher average rank means a more deprived area. This is the published "Average rank"
    summary [IoD2019]_ (section 3.8, Appendix N). It describes the area as a whole, deprived
    and less deprived LSOAs alike. ``pop`` is the measure's own denominator (the population
    the indicator counts), as in the published summaries: the weights, not the formula,
    differ between measures.

    Parameters
    ----------
    rank : array-like
        National ranks of the area's LSOAs, 1 = most deprived.
    population : array-like
        Each LSOA's population denominator for this measure: total population for the IMD
        and most domains, working-age population for Employment, children aged 0-15 for
        IDACI, people aged 60 and over for IDAOPI (:mod:`inequality.measures`).
    n : int
        Number of LSOAs ranked nationally in the release.

    Returns
    -------
    float
        NaN if any rank or population is missing or the total population is 0.

    Examples
    --------
    Ranks 5 and 60 out of 100 invert to 96 and 41:

    >>> average_rank([5, 60], [300, 100], n=100)  # (300*96 + 100*41) / 400
    82.25
    """
    r, n = _ranks(rank, n)
    pop = _as_float_array(population, "population")
    _same_length(rank=r, population=pop)
    _check_population(pop)
    return _weighted_mean(n + 1 - r, pop)


def average_score(score: ArrayLike, population: ArrayLike) -> float:
    """Population-weighted average of the area's LSOA scores.

    ``sum(pop * score) / sum(pop)``: the published "Average score" summary [IoD2019]_
    (section 3.8, Appendix N), humaniverse/IMD ``R/pop_weighted_scores.R`` [humaniverse]_.
    Unlike the average rank it keeps how extreme the most deprived scores are. Higher =
    more deprived.

    Parameters
    ----------
    score : array-like
        LSOA scores (IMD or domain score).
    population : array-like
        Each LSOA's population denominator for this measure (total population for the IMD;
        see :mod:`inequality.measures` for the others).

    Returns
    -------
    float
        NaN if any score or population is missing or the total population is 0.

    Examples
    --------
    >>> average_score([40.0, 10.0], [300, 100])  # (300*40 + 100*10) / 400
    32.5
    """
    s = _as_float_array(score, "score")
    pop = _as_float_array(population, "population")
    _same_length(score=s, population=pop)
    _check_population(pop)
    return _weighted_mean(s, pop)


def proportion_most_deprived_10(rank: ArrayLike, n: int) -> float:
    """Share of the area's LSOAs in the most deprived 10% of LSOAs nationally (decile 1).

    A simple, *unweighted* proportion of LSOAs: the published "Proportion of LSOAs in most
    deprived 10% nationally" [IoD2019]_ (section 3.8), humaniverse/IMD ``R/proportion.R``
    (``decile <= 1``) [humaniverse]_. Decile 1 is ``ceil(10 * rank / n) == 1``, the rule the
    published deciles follow.

    Parameters
    ----------
    rank : array-like
        National ranks of the area's LSOAs, 1 = most deprived.
    n : int
        Number of LSOAs ranked nationally in the release.

    Returns
    -------
    float
        A fraction in [0, 1]; NaN if any rank is missing or there are no LSOAs.

    Examples
    --------
    With ``n = 32,844`` decile 1 is ranks 1 to 3,284:

    >>> proportion_most_deprived_10([10, 3284, 3285, 20000], n=32844)
    0.5
    """
    r, n = _ranks(rank, n)
    if r.size == 0 or np.isnan(r).any():
        return float("nan")
    return float((_ceil_bin(r, n, 10) == 1).mean())


def extent(
    rank: ArrayLike,
    population: ArrayLike,
    n: int,
    *,
    percentile_method: PercentileMethod = "ceil",
) -> float:
    """Share of the area's population living in the most deprived 30% of LSOAs, graded.

    ``sum(pop * weight) / sum(pop)`` where ``weight`` is 1 for LSOAs in national percentiles
    1-10, slides linearly from 0.95 (11th percentile) to 0.05 (30th percentile), and is 0
    beyond: the published "Extent" summary [IoD2019]_ (Appendix N: "the population living in
    the most deprived 11 to 30 per cent of LSOAs receive a sliding weight, ranging from 0.95
    for those in the most deprived eleventh percentile, to 0.05 for those in the most
    deprived thirtieth percentile"); humaniverse/IMD ``R/extent.R`` [humaniverse]_.
    Percentiles are ``ceil(100 * rank / n)`` (see :func:`percentile_from_rank`; pass
    ``percentile_method="ntile"`` to reproduce humaniverse/IMD exactly).

    Parameters
    ----------
    rank : array-like
        National ranks of the area's LSOAs, 1 = most deprived.
    population : array-like
        Each LSOA's population denominator for this measure (total population for the IMD;
        see :mod:`inequality.measures` for the others).
    n : int
        Number of LSOAs ranked nationally in the release.
    percentile_method : {"ceil", "ntile"}
        Rank-to-percentile rule, see :func:`percentile_from_rank`.

    Returns
    -------
    float
        A fraction in [0, 1]; NaN if any rank or population is missing or total population 0.

    Examples
    --------
    With ``n = 100`` the percentile equals the rank. Ranks 5, 15, 25, 60 get weights 1,
    ``0.95 - 4 * 0.9/19``, ``0.95 - 14 * 0.9/19`` and 0:

    >>> round(extent([5, 15, 25, 60], [100, 200, 300, 400], n=100), 6)  # 6425 / 19000
    0.338158
    """
    r, n = _ranks(rank, n)
    pop = _as_float_array(population, "population")
    _same_length(rank=r, population=pop)
    _check_population(pop)
    w = extent_weight(percentile_from_rank(r, n, method=percentile_method))
    if pop.size == 0 or np.isnan(w).any() or np.isnan(pop).any() or pop.sum() <= 0:
        return float("nan")
    return float((pop * w).sum() / pop.sum())


def local_concentration(rank: ArrayLike, population: ArrayLike, n: int) -> float:
    """Population-weighted average inverted rank of the area's most deprived LSOAs holding 10%
    of its population.

    Sort the area's LSOAs from most to least deprived (national rank ascending), take LSOAs
    until exactly 10% of the area's total population is covered, counting the last LSOA only
    in part, and average their inverted ranks ``n + 1 - rank`` weighted by the population
    taken from each: the published "Local concentration" summary [IoD2019]_ (section 3.8:
    "the population weighted average of the ranks of a larger area's most deprived LSOAs that
    contain exactly 10 per cent of the larger area's population"). Higher = more deprived
    hot-spots.

    Parameters
    ----------
    rank : array-like
        National ranks of the area's LSOAs, 1 = most deprived.
    population : array-like
        Each LSOA's population denominator for this measure (total population for the IMD;
        see :mod:`inequality.measures` for the others).
    n : int
        Number of LSOAs ranked nationally in the release.

    Returns
    -------
    float
        NaN if any rank or population is missing or total population 0.

    Examples
    --------
    Total population 1,000, so the most deprived 100 people count. The rank-5 LSOA gives
    60 of them (inverted rank 96) and the rank-15 LSOA the other 40 (inverted rank 86):

    >>> local_concentration([25, 5, 15, 60], [300, 60, 200, 440], n=100)
    92.0
    """
    r, n = _ranks(rank, n)
    pop = _as_float_array(population, "population")
    _same_length(rank=r, population=pop)
    _check_population(pop)
    if pop.size == 0 or np.isnan(r).any() or np.isnan(pop).any() or pop.sum() <= 0:
        return float("nan")
    order = np.argsort(r, kind="stable")
    r, pop = r[order], pop[order]
    target = LOCAL_CONCENTRATION_SHARE * pop.sum()
    before = np.cumsum(pop) - pop
    taken = np.clip(target - before, 0.0, pop)
    return float((taken * (n + 1 - r)).sum() / target)


def scale(rate: ArrayLike, population: ArrayLike) -> float:
    """Number of deprived people in the area: ``sum(rate * population)``.

    The published "Income scale" and "Employment scale" summaries count the people who are
    income deprived or employment deprived [IoD2019]_ (section 3.8). The LSOA domain score is
    a rate, so the count is recovered as rate x its denominator: for the **income scale** use
    the Income domain score x *total* population; for the **employment scale** use the
    Employment domain score x *working-age* population (the Employment domain's
    denominator). Higher = more deprived people.

    Parameters
    ----------
    rate : array-like
        Income or Employment domain score (a proportion, e.g. 0.25) of each LSOA.
    population : array-like
        The matching denominator: total population (income) or working-age population
        (employment).

    Returns
    -------
    float
        Number of people (not rounded); NaN if any rate or population is missing.

    Examples
    --------
    >>> scale([0.25, 0.10], [1000, 2000])  # 250 + 200 income-deprived people
    450.0
    """
    rt = _as_float_array(rate, "rate")
    pop = _as_float_array(population, "population")
    _same_length(rate=rt, population=pop)
    _check_population(pop)
    if np.isnan(rt).any() or np.isnan(pop).any():
        return float("nan")
    return float((rt * pop).sum())


def rate_decimals(rates: ArrayLike, max_decimals: int = 9) -> int:
    """Number of decimal places the rates were published to (the fewest that hold them all).

    File 7 publishes the income and employment scores (rates) rounded, to 3 decimals in
    2015 and 2019; the rounding bounds how exactly a count can be recovered from them
    (:func:`scale_precision`).

    >>> rate_decimals([0.247, 0.1, 0.03])
    3
    >>> rate_decimals([0.5, float("nan")])
    1
    """
    r = _as_float_array(rates, "rates")
    r = r[~np.isnan(r)]
    for d in range(max_decimals + 1):
        scaled = r * 10.0 ** d
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return d
    return max_decimals


def scale_precision(denominator: float, decimals: int) -> float:
    """The rounding unit an income or employment scale estimated from rounded rates supports.

    A scale estimated as ``sum(rate x population)`` (:func:`scale`) from rates published to
    ``decimals`` places can be off by up to half a unit in the last place per person,
    ``0.5 x 10**-decimals x sum(population)`` people in all (the rates of all LSOAs rounded
    the same way). The unit is the smallest power of ten at least that bound (and at least
    1), so no digit shown claims more than the inputs hold. The estimate also inherits any
    difference between File 7's population denominators (which exclude prisoners) and those
    MHCLG divided by; on the eight authorities of the File 10 (2019) excerpt the estimated
    income scale is 0.1% to 1% above the published count, within one unit each time.

    Parameters
    ----------
    denominator : float
        The area's summed denominator (total population for income, working-age population
        for employment).
    decimals : int
        Decimal places of the published rates (:func:`rate_decimals`).

    Returns
    -------
    float
        1, 10, 100, ... people; NaN if ``denominator`` is NaN.

    Examples
    --------
    Blackpool, 2019: about 139,000 people and rates to 3 decimals can be off by 69.5 people,
    so the scale is rounded to the nearest 100 (34,649.9 -> 34,600; published 34,610):

    >>> scale_precision(139_000, 3)
    100.0
    >>> scale_precision(7_400, 3)  # City of London: off by at most 3.7 -> nearest 10
    10.0
    """
    if denominator is None or np.isnan(denominator):
        return float("nan")
    bound = 0.5 * 10.0 ** -decimals * float(denominator)
    if bound <= 1:
        return 1.0
    return float(10.0 ** np.ceil(np.log10(bound)))


def round_scale(value: float, precision: float) -> float:
    """An estimated scale rounded to ``precision`` (:func:`scale_precision`); NaN stays NaN.

    >>> round_scale(34_649.9, 100.0), round_scale(435.3, 10.0)
    (34600.0, 440.0)
    """
    if value is None or np.isnan(value) or np.isnan(precision):
        return float("nan")
    return float(np.round(value / precision) * precision)


# --------------------------------------------------------------------------------------------
# many areas in one pass
# --------------------------------------------------------------------------------------------
def _select_measures(df: pd.DataFrame, measures: Sequence[str] | None) -> list[str]:
    def available(m: str) -> bool:
        if m == "prop_most_deprived_10":
            return "decile" in df.columns or "rank" in df.columns
        return all(c in df.columns for c in _NEEDS[m])

    if measures is None:
        chosen = [m for m in MEASURES if available(m)]
        if not chosen:
            raise ValueError(
                "no summary measure can be computed: summarise_areas needs at least a 'rank' "
                f"column (and 'population' for weighted measures); got {list(df.columns)}."
            )
        return chosen
    if isinstance(measures, str):
        measures = [measures]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown}: choose from {list(MEASURES)}.")
    for m in measures:
        if not available(m):
            need = ("decile' or 'rank",) if m == "prop_most_deprived_10" else _NEEDS[m]
            missing = [c for c in need if c not in df.columns]
            raise ValueError(
                f"measure {m!r} needs column(s) {missing or list(need)}, which are not in the "
                "table; add them or leave the measure out."
            )
    return [m for m in MEASURES if m in measures]


def _group_sum(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Per-group sums; NaN rows count 0 (groups with NaNs are masked separately)."""
    return np.bincount(codes, weights=np.nan_to_num(values, nan=0.0), minlength=groups)


def _group_any(codes: np.ndarray, flags: np.ndarray, groups: int) -> np.ndarray:
    return np.bincount(codes, weights=flags.astype(float), minlength=groups) > 0


def _ratio(num: np.ndarray, den: np.ndarray, bad: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[bad | ~(den > 0)] = np.nan
    return out


def _by_area_then_rank(codes: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``np.lexsort((rank, codes))``: positions sorted by area code, then rank, ties in
    their original order. National ranks are whole numbers up to 35,000 or so, and areas a
    few hundred, so this is done as two stable sorts of 16-bit integers (numpy sorts them by
    radix: 0.6 ms instead of 4.5 ms for a release's 33,755 LSOAs, a summary of every
    authority making about 160 such sorts per build); the same order by definition of a
    stable sort. Other ranks go to ``np.lexsort``.

    >>> codes, rank = np.array([1, 0, 1, 0, 1]), np.array([3.0, 9.0, 1.0, 2.0, 3.0])
    >>> _by_area_then_rank(codes, rank).tolist(), np.lexsort((rank, codes)).tolist()
    ([3, 1, 2, 0, 4], [3, 1, 2, 0, 4])
    """
    small = np.iinfo(np.uint16).max
    if (len(rank) and rank.min() >= 0 and rank.max() <= small and codes.min() >= 0
            and codes.max() <= small and bool((rank == np.floor(rank)).all())):
        by_rank = np.argsort(rank.astype(np.uint16), kind="stable")
        return by_rank[np.argsort(codes[by_rank].astype(np.uint16), kind="stable")]
    return np.lexsort((rank, codes))


def _local_concentration_by_group(
    codes: np.ndarray, rank: np.ndarray, pop: np.ndarray, n: int, groups: int
) -> np.ndarray:
    """Vectorised :func:`local_concentration`: sort by (area, rank), cumulative population."""
    r = np.nan_to_num(rank, nan=float(n))
    p = np.nan_to_num(pop, nan=0.0)
    order = _by_area_then_rank(codes, r)
    c, r, p = codes[order], r[order], p[order]
    total = np.bincount(c, weights=p, minlength=groups)
    cum = np.cumsum(p)
    counts = np.bincount(c, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    offset = np.zeros(groups)
    has = counts > 0
    offset[has] = cum[starts[has]] - p[starts[has]]
    before = cum - p - offset[c]
    target = LOCAL_CONCENTRATION_SHARE * total
    taken = np.clip(target[c] - before, 0.0, p)
    num = np.bincount(c, weights=taken * (n + 1 - r), minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / target


def summarise_areas(
    df: pd.DataFrame,
    *,
    area_col: str = "area_code",
    n: int,
    measures: Sequence[str] | None = None,
    percentile_method: PercentileMethod = "ceil",
) -> pd.DataFrame:
    """All local-authority summary measures for many areas in one vectorised pass.

    Computes, per area, the measures of :func:`average_rank`, :func:`average_score`,
    :func:`proportion_most_deprived_10`, :func:`extent`, :func:`local_concentration` and
    :func:`scale` (same definitions and citations: [IoD2019]_ section 3.8 and Appendix N;
    [humaniverse]_), then ranks the areas on each measure with 1 = most deprived, i.e. the
    highest value, as the published "Rank of ..." columns do.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per LSOA with national ranks. Columns used (missing ones switch off the
        measures that need them): ``area_col``; ``rank`` (1 = most deprived); ``score``;
        ``decile`` (used for the proportion when present, else derived from ``rank``);
        ``population`` (the measure's own denominator: total population for the IMD,
        working-age for Employment, children 0-15 for IDACI, 60+ for IDAOPI, see
        :mod:`inequality.measures`); optional ``income_score`` (income scale = income score x
        total population), ``employment_score`` and ``working_age_population`` (employment
        scale = employment score x working-age population).
    area_col : str, default "area_code"
        Column holding the larger area (e.g. local authority code) of each LSOA.
    n : int
        Number of LSOAs ranked nationally in the release (not the number of rows in ``df``:
        ``df`` may be a subset, ranks stay national).
    measures : sequence of str, optional
        Subset of :data:`MEASURES`. By default every measure whose input columns are present;
        naming a measure whose columns are absent raises ``ValueError``.
    percentile_method : {"ceil", "ntile"}
        Rank-to-percentile rule for extent, see :func:`percentile_from_rank`.

    Returns
    -------
    pandas.DataFrame
        One row per area, sorted by ``area_col``: ``area_col``, ``lsoa_count``, each measure
        (``avg_rank``, ``avg_score``, ``prop_most_deprived_10``, ``extent``,
        ``local_concentration``, and ``income_scale`` / ``employment_scale`` when their
        columns are given), then ``rank_<measure>`` for each: rank among the areas in ``df``,
        1 = most deprived (highest value), ties share the lowest rank ("min"), NaN measures
        get no rank (``<NA>``, nullable ``Int64``). A measure is NaN for an area if any of its
        inputs is missing for any of the area's LSOAs.

    Raises
    ------
    ValueError
        If ``area_col`` is missing or has empty values, a requested measure's columns are
        absent, a rank lies outside 1..n, or a population is negative.

    Examples
    --------
    >>> lsoas = pd.DataFrame({
    ...     "area_code":  ["A", "A", "A", "A", "B", "B"],
    ...     "rank":       [5, 15, 25, 60, 50, 90],
    ...     "score":      [50.0, 40.0, 30.0, 10.0, 12.0, 5.0],
    ...     "population": [100, 200, 300, 400, 500, 500],
    ... })
    >>> out = summarise_areas(lsoas, n=100)
    >>> print(out[["area_code", "lsoa_count", "avg_rank", "prop_most_deprived_10",
    ...            "local_concentration", "rank_extent"]].to_string())
      area_code  lsoa_count  avg_rank  prop_most_deprived_10  local_concentration  rank_extent
    0         A           4      66.0                   0.25                 96.0            1
    1         B           2      31.0                   0.00                 51.0            2
    >>> round(float(out.loc[0, "extent"]), 6), float(out.loc[1, "extent"])
    (0.338158, 0.0)

    A missing population makes that area's population-weighted measures NaN, unranked:

    >>> lsoas.loc[5, "population"] = float("nan")
    >>> again = summarise_areas(lsoas, n=100)
    >>> print(again[["area_code", "avg_rank", "rank_avg_rank"]].to_string())
      area_code  avg_rank  rank_avg_rank
    0         A      66.0              1
    1         B       NaN           <NA>
    """
    n = _check_n(n)
    if area_col not in df.columns:
        raise ValueError(
            f"area column {area_col!r} not found: summarise_areas needs one row per LSOA with "
            f"the larger area's code; columns are {list(df.columns)} (pass area_col=...)."
        )
    chosen = _select_measures(df, measures)
    area_values = df[area_col]
    if area_values.isna().any():
        raise ValueError(
            f"{int(area_values.isna().sum())} LSOA(s) have no {area_col!r}: map every LSOA to "
            "an area (or drop unmapped ones explicitly) before summarising."
        )
    # factorised as the column is (Arrow strings stay Arrow: no Python string per LSOA)
    codes, uniques = pd.factorize(area_values, sort=True)
    codes = codes.astype(np.intp)
    areas = np.asarray(uniques, dtype=object)
    g = len(areas)

    def col(name: str) -> np.ndarray:
        return _as_float_array(df[name], name)

    rank = col("rank") if "rank" in df.columns else None
    if rank is not None:
        _check_ranks(rank, n)
        rank_bad = _group_any(codes, np.isnan(rank), g)
    pop = col("population") if "population" in df.columns else None
    if pop is not None:
        _check_population(pop)
        pop_bad = _group_any(codes, np.isnan(pop), g)
        pop_total = _group_sum(codes, pop, g)

    out: dict[str, object] = {
        area_col: areas,
        "lsoa_count": np.bincount(codes, minlength=g).astype(np.int64),
    }
    for m in chosen:
        if m == "avg_rank":
            out[m] = _ratio(_group_sum(codes, pop * (n + 1 - rank), g), pop_total,
                            rank_bad | pop_bad)
        elif m == "avg_score":
            score = col("score")
            bad = _group_any(codes, np.isnan(score), g) | pop_bad
            out[m] = _ratio(_group_sum(codes, pop * score, g), pop_total, bad)
        elif m == "prop_most_deprived_10":
            if "decile" in df.columns:
                decile = col("decile")
            else:
                decile = np.full(rank.shape, np.nan)
                ok = ~np.isnan(rank)
                decile[ok] = _ceil_bin(rank[ok], n, 10)
            bad = _group_any(codes, np.isnan(decile), g)
            count = np.bincount(codes, minlength=g).astype(float)
            out[m] = _ratio(_group_sum(codes, (decile == 1).astype(float), g), count, bad)
        elif m == "extent":
            w = extent_weight(percentile_from_rank(rank, n, method=percentile_method))
            out[m] = _ratio(_group_sum(codes, pop * w, g), pop_total, rank_bad | pop_bad)
        elif m == "local_concentration":
            lc = _local_concentration_by_group(codes, rank, pop, n, g)
            lc[rank_bad | pop_bad | ~(pop_total > 0)] = np.nan
            out[m] = lc
        elif m in ("income_scale", "employment_scale"):
            rate_col, pop_col = _NEEDS[m]
            rate, denom = col(rate_col), col(pop_col)
            _check_population(denom, pop_col)
            bad = _group_any(codes, np.isnan(rate) | np.isnan(denom), g)
            total = _group_sum(codes, rate * denom, g)
            total[bad] = np.nan
            out[m] = total

    for m in chosen:
        out[f"rank_{m}"] = _rank_descending(out[m])
    return pd.DataFrame(out)


def _rank_descending(values: ArrayLike) -> pd.arrays.IntegerArray:
    """Ranks with 1 = the highest value, tied values sharing the best of their ranks, a
    missing value unranked: ``Series.rank(method="min", ascending=False,
    na_option="keep").astype("Int64")``, as one sort and a binary search (a value's rank is
    one more than the number of values above it) rather than pandas' ranking, which cost
    a third of :func:`summarise_areas` for a few hundred areas.

    >>> _rank_descending([5.0, 7.0, float("nan"), 5.0, 1.0]).tolist()
    [2, 1, <NA>, 2, 4]
    """
    v = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(v)
    ranks = np.zeros(len(v), dtype=np.int64)
    below = np.sort(-v[ok])
    ranks[ok] = np.searchsorted(below, -v[ok], side="left") + 1
    return pd.arrays.IntegerArray(ranks, ~ok)
