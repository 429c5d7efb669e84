"""Health-gap metrics: the Slope Index of Inequality, years lived in poorer health, small-area
gaps, and the harmonisation of authority codes across sources and vintages.

Pure functions: data in, numbers or DataFrames out; nothing here reads the database.

The Slope Index of Inequality
-----------------------------
:func:`slope_index_of_inequality` follows the method OHID uses for its Fingertips SII
indicators (e.g. 92901, inequality in life expectancy at birth) [LowLow2004]_ [PHEim]_:

1. the groups (usually deprivation deciles) are ordered **from most deprived to least
   deprived**;
2. each group gets a *relative rank*: the midpoint of its range in the cumulative
   distribution of the population, so ``x`` runs from 0 (the most deprived end) to 1 (the
   least deprived end);
3. the indicator is regressed on ``x`` by least squares weighted by each group's share of the
   population (PHE fits ``y*sqrt(a) ~ sqrt(a) + x*sqrt(a)`` with no intercept, which is the
   same fit);
4. the SII is the slope: the fitted value at ``x = 1`` minus the fitted value at ``x = 0``;
5. its confidence interval is found by simulation: each group's value is redrawn from a
   normal distribution with its standard error, the regression refitted, and the 2.5th and
   97.5th percentiles of the simulated slopes taken.

**Sign convention.** Because ``x`` runs from most (0) to least (1) deprived, the SII is
*fitted least deprived minus fitted most deprived*. For life expectancy, where the least
deprived live longer, it is positive: the number of years more that people at the least
deprived end of the gradient can expect to live than people at the most deprived end. This is
how OHID publishes indicator 92901 ("the range in years of life expectancy across the social
gradient from most to least deprived", a positive number of years). For an indicator that is
*higher* where deprivation is worse (e.g. a death rate) the SII is negative.

Authority codes
---------------
:func:`lad_code_map` builds an explicit map from authority codes that are no longer current
to today's (April 2024, "LAD24") authorities, from the database's own record of which
LSOAs each published authority held (the ``lad_change`` table, built from the ONS LSOA
lookups), plus the documented recoding of Barnsley and Sheffield (:data:`RECODED_CODES`).
:func:`harmonise_area_codes` applies it to rows of published figures *without changing or
combining any value*: each row keeps its own code and value and gains the current authority
it belongs to and a plain-words note. Nothing is averaged.

References
----------
.. [LowLow2004] Low, A. and Low, A. (2004). Measuring the gap: quantifying and comparing local
   health inequalities. *Journal of Public Health* 26(4), 388-395.
.. [PHEim] Public Health England / UKHSA. *PHEindicatormethods* R package, ``phe_sii``
   (``R/SII_function.R``), https://github.com/ukhsa-collaboration/PHEindicatormethods.
.. [SI2024] The Barnsley and Sheffield (Boundary Change) Order 2024, SI 2024/1328 (made
   12 December 2024, in force 1 April 2025), https://www.legislation.gov.uk/uksi/2024/1328.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "CODE_STATUS",
    "ENGLAND",
    "RECODED_CODES",
    "Z95",
    "harmonise_area_codes",
    "lad_code_map",
    "mark_suppressed",
    "relative_rank",
    "se_from_ci",
    "slope_index_of_inequality",
    "small_area_gap",
    "weighted_linear_fit",
    "years_in_poorer_health",
]

#: The 97.5th percentile of the standard normal distribution (95% two-sided limits).
Z95 = 1.959963984540054

ENGLAND = "E92000001"

#: Codes one publisher uses for a current authority whose code in this database (LAD24) is
#: different, although it is the same council: ``code -> (LAD24 code, name, source)``.
#:
#: Barnsley and Sheffield: the Barnsley and Sheffield (Boundary Change) Order 2024
#: (SI 2024/1328) moved the boundary between the two from 1 April 2025, and ONS gave both
#: authorities new codes from that date (E08000016 -> E08000038 Barnsley, E08000019 ->
#: E08000039 Sheffield). The April 2024 authorities this database uses, and Fingertips, keep
#: E08000016 / E08000019; the ONS life-expectancy table for 2021 to 2023 uses the new ones.
RECODED_CODES: dict[str, tuple[str, str, str]] = {
    "E08000038": ("E08000016", "Barnsley",
                  "ONS code from 1 April 2025 after the Barnsley and Sheffield (Boundary "
                  "Change) Order 2024, SI 2024/1328"),
    "E08000039": ("E08000019", "Sheffield",
                  "ONS code from 1 April 2025 after the Barnsley and Sheffield (Boundary "
                  "Change) Order 2024, SI 2024/1328"),
}

#: What :func:`harmonise_area_codes` says about each row's code.
CODE_STATUS: dict[str, str] = {
    "current": "a current (April 2024) authority code, used as published",
    "recoded": "the same authority under another code; shown under its April 2024 code",
    "merged": "an authority abolished in a reorganisation; all of it now lies in the current "
              "authority shown (its figures are listed separately, never averaged in)",
    "split": "an authority abolished in a reorganisation whose area is now divided between "
             "current authorities; listed under the one holding most of it",
    "england": "England",
    "region": "an English region",
    "other": "not a local authority of England (e.g. a county council, NHS body, or a Welsh, "
             "Scottish or Northern Irish area); left unmapped",
}


# ------------------------------------------------------------------------------------------
# Slope Index of Inequality
# ------------------------------------------------------------------------------------------

def _float_array(values: ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(pd.to_numeric(pd.Series(values, dtype="object"), errors="raise"),
                         dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers, one per group ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional: one value per group")
    return arr


def relative_rank(population: ArrayLike) -> np.ndarray:
    """Midpoint of each group's range in the cumulative population distribution.

    The groups must be ordered from most to least deprived; the result runs from near 0 (the
    most deprived end) to near 1 (the least deprived end) [LowLow2004]_. If the first group
    holds 12% of the population its relative rank is 0.06; if the second holds 10%, 0.17.

    Parameters
    ----------
    population : array-like
        Population of each group (positive), most deprived group first.

    Returns
    -------
    numpy.ndarray
        One relative rank per group.

    Examples
    --------
    >>> relative_rank([12, 10, 78]).round(2).tolist()
    [0.06, 0.17, 0.61]
    >>> relative_rank([1] * 10).round(2).tolist()
    [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
    """
    pop = _float_array(population, "population")
    if pop.size == 0 or not np.isfinite(pop).all() or (pop <= 0).any():
        raise ValueError(
            f"population {pop.tolist()!r} must be positive numbers, one per group: the SII "
            "needs every group's population (drop or merge groups with none)")
    share = pop / pop.sum()
    return np.cumsum(share) - share / 2


def se_from_ci(lci: ArrayLike, uci: ArrayLike, z: float = Z95) -> np.ndarray:
    """Standard error from symmetric 95% confidence limits: ``(uci - lci) / (2 z)``.

    As PHE's ``phe_sii`` does for indicators with normal errors, such as life expectancy
    [PHEim]_.

    Examples
    --------
    >>> se_from_ci([78.0], [82.0]).round(4).tolist()
    [1.0204]
    """
    lo = _float_array(lci, "lci")
    hi = _float_array(uci, "uci")
    if lo.shape != hi.shape:
        raise ValueError(f"lci has {lo.size} values and uci {hi.size}: give one pair per group")
    if (hi < lo).any():
        bad = int(np.flatnonzero(hi < lo)[0])
        raise ValueError(f"uci {hi[bad]} is below lci {lo[bad]} for group {bad + 1}: the "
                         "upper confidence limit must not be below the lower")
    return (hi - lo) / (2 * z)


def slope_index_of_inequality(
    values: ArrayLike,
    population: ArrayLike,
    *,
    se: ArrayLike | None = None,
    lci: ArrayLike | None = None,
    uci: ArrayLike | None = None,
    n_sim: int = 100_000,
    seed: int | None = None,
) -> dict:
    """Slope Index of Inequality (SII) of an indicator across groups ordered by deprivation.

    The OHID / PHE method [LowLow2004]_ [PHEim]_: give each group (e.g. deprivation decile)
    a relative rank, the midpoint of its range in the cumulative population (0 = most deprived
    end, 1 = least deprived end, see :func:`relative_rank`); fit the indicator on that rank by
    least squares weighted by the groups' population shares; the SII is the slope, i.e. the
    fitted value at the least deprived end minus the fitted value at the most deprived end.

    **Sign.** SII = fitted(least deprived) - fitted(most deprived). For life expectancy this is
    the positive number of years by which the least deprived end of the gradient outlives the
    most deprived end, as OHID publishes it (Fingertips 92901). An indicator that is higher
    where deprivation is worse gets a negative SII.

    **Confidence interval.** By simulation, as ``phe_sii`` does: each group's value is
    redrawn ``n_sim`` times from a normal distribution with the group's standard error, the
    line refitted each time, and the 2.5th and 97.5th percentiles of the simulated slopes are
    the 95% limits. Standard errors come from ``se`` or, failing that, from the 95% limits
    ``lci``/``uci`` as ``(uci - lci) / 3.92``. With neither, the limits are None and
    ``ci_note`` says why. Pass ``seed`` for reproducible limits.

    Parameters
    ----------
    values : array-like
        Indicator value of each group, **most deprived group first**. No missing values: the
        SII of a set of groups with a gap cannot be calculated (OHID does not publish one).
    population : array-like
        Population of each group (positive), in the same order.
    se : array-like, optional
        Standard error of each value.
    lci, uci : array-like, optional
        95% confidence limits of each value (both or neither; not together with ``se``).
    n_sim : int
        Number of simulations for the confidence interval (PHE's default is 100,000; at least
        1,000).
    seed : int, optional
        Seed of the random number generator (:func:`numpy.random.default_rng`).

    Returns
    -------
    dict
        ``sii``, ``lci95``, ``uci95`` (None without standard errors), ``rii`` (relative index
        of inequality, fitted least / fitted most deprived) with ``rii_lci95``/``rii_uci95``,
        ``fitted_most_deprived`` (x = 0), ``fitted_least_deprived`` (x = 1),
        ``relative_rank`` and ``weights`` (population shares) per group, ``n_groups``,
        ``n_sim``, ``seed``, ``ci_method`` and ``ci_note``.

    Examples
    --------
    Ten equal deciles whose life expectancy rises by one year per decile from 70 (most
    deprived) to 79 (least deprived): the fitted line rises 10 years over the whole population
    range, so the SII is 10 years.

    >>> r = slope_index_of_inequality([70, 71, 72, 73, 74, 75, 76, 77, 78, 79], [1] * 10)
    >>> round(r["sii"], 6), r["lci95"] is None
    (10.0, True)
    >>> round(r["fitted_most_deprived"], 2), round(r["fitted_least_deprived"], 2)
    (69.5, 79.5)

    With standard errors the interval comes from simulation (reproducible with a seed):

    >>> r = slope_index_of_inequality([70, 71, 72, 73, 74, 75, 76, 77, 78, 79], [1] * 10,
    ...                               se=[0.5] * 10, n_sim=20_000, seed=1)
    >>> r["lci95"] < r["sii"] < r["uci95"]
    True
    """
    y = _float_array(values, "values")
    x = relative_rank(population)
    if y.size != x.size:
        raise ValueError(f"values has {y.size} groups and population {x.size}: give one "
                         "value and one population per group, most deprived first")
    if y.size < 2:
        raise ValueError(f"the SII needs at least 2 groups ordered by deprivation; got "
                         f"{y.size}")
    if not np.isfinite(y).all():
        missing = (np.flatnonzero(~np.isfinite(y)) + 1).tolist()
        raise ValueError(f"values of group(s) {missing} are missing: the SII needs a value "
                         "for every group (OHID does not publish an SII with a gap); drop "
                         "the area or fill the gap from the source, never with zero")
    pop = _float_array(population, "population")
    a = pop / pop.sum()

    if se is not None and (lci is not None or uci is not None):
        raise ValueError("give either se or lci/uci, not both (they would disagree)")
    if (lci is None) != (uci is None):
        raise ValueError("give both lci and uci (the 95% limits of each value), or neither")
    if se is not None:
        s = _float_array(se, "se")
    elif lci is not None:
        s = se_from_ci(lci, uci)
    else:
        s = None
    if s is not None:
        if s.size != y.size:
            raise ValueError(f"se has {s.size} values for {y.size} groups: give one per group")
        if not np.isfinite(s).all() or (s < 0).any():
            raise ValueError(f"standard errors {s.tolist()!r} must be non-negative numbers, one "
                             "per group (a missing confidence limit cannot be simulated)")
    n_sim = int(n_sim)
    if s is not None and n_sim < 1000:
        raise ValueError(f"n_sim={n_sim} is too few simulations for a stable interval; use "
                         "at least 1,000 (PHE uses 100,000)")

    xbar = float((a * x).sum())
    sxx = float((a * (x - xbar) ** 2).sum())
    coef = a * (x - xbar) / sxx          # slope = coef @ y (coef sums to zero)
    slope = float(coef @ y)
    intercept = float((a * y).sum() - slope * xbar)
    fitted0, fitted1 = intercept, intercept + slope

    out = {
        "sii": slope,
        "lci95": None,
        "uci95": None,
        "rii": fitted1 / fitted0 if fitted0 != 0 else float("nan"),
        "rii_lci95": None,
        "rii_uci95": None,
        "fitted_most_deprived": fitted0,
        "fitted_least_deprived": fitted1,
        "relative_rank": x.tolist(),
        "weights": a.tolist(),
        "n_groups": int(y.size),
        "n_sim": 0,
        "seed": seed,
        "ci_method": None,
        "ci_note": "no confidence interval: no standard errors or confidence limits were "
                   "given for the values",
    }
    if s is None:
        return out

    rng = np.random.default_rng(seed)
    slopes = np.empty(n_sim)
    riis = np.empty(n_sim)
    chunk = max(1, min(n_sim, 4_000_000 // max(y.size, 1)))
    done = 0
    while done < n_sim:
        k = min(chunk, n_sim - done)
        draws = y + s * rng.standard_normal((k, y.size))
        b = draws @ coef
        a0 = draws @ a - b * xbar
        slopes[done:done + k] = b
        with np.errstate(divide="ignore", invalid="ignore"):
            riis[done:done + k] = (a0 + b) / a0
        done += k
    lo, hi = np.quantile(slopes, [0.025, 0.975])
    rlo, rhi = np.quantile(riis, [0.025, 0.975])
    out.update({
        "lci95": float(lo), "uci95": float(hi), "rii_lci95": float(rlo),
        "rii_uci95": float(rhi), "n_sim": n_sim,
        "ci_method": f"simulation: {n_sim:,} draws from normal distributions with each "
                     "group's standard error (PHE phe_sii)",
        "ci_note": "",
    })
    return out


def weighted_linear_fit(x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> dict:
    """Least-squares straight line ``y = intercept + slope * x``, optionally weighted.

    Used for the fitted line drawn through the life-expectancy-against-deprivation scatter;
    weighting by population makes each authority count by its size, as the SII does.
    Also returns the (weighted) Pearson correlation ``r``.

    Examples
    --------
    >>> fit = weighted_linear_fit([0, 1, 2, 3], [1, 3, 5, 7])
    >>> round(fit["slope"], 6), round(fit["intercept"], 6), round(fit["r"], 6)
    (2.0, 1.0, 1.0)
    """
    xs = _float_array(x, "x")
    ys = _float_array(y, "y")
    w = np.ones_like(xs) if weights is None else _float_array(weights, "weights")
    if not (xs.size == ys.size == w.size):
        raise ValueError("x, y and weights must have one value per point")
    ok = np.isfinite(xs) & np.isfinite(ys) & np.isfinite(w) & (w > 0)
    xs, ys, w = xs[ok], ys[ok], w[ok]
    if xs.size < 2 or np.ptp(xs) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "r": float("nan"),
                "n": int(xs.size)}
    w = w / w.sum()
    mx, my = (w * xs).sum(), (w * ys).sum()
    sxx = (w * (xs - mx) ** 2).sum()
    sxy = (w * (xs - mx) * (ys - my)).sum()
    syy = (w * (ys - my) ** 2).sum()
    slope = sxy / sxx
    r = sxy / np.sqrt(sxx * syy) if syy > 0 else float("nan")
    return {"slope": float(slope), "intercept": float(my - slope * mx), "r": float(r),
            "n": int(xs.size)}


# ------------------------------------------------------------------------------------------
# Life expectancy and healthy life expectancy
# ------------------------------------------------------------------------------------------

def years_in_poorer_health(life_expectancy: ArrayLike, healthy_life_expectancy: ArrayLike
                           ) -> np.ndarray:
    """Years a person can expect to live in poorer health: ``LE - HLE``.

    Life expectancy minus healthy life expectancy (the years expected in "very good" or
    "good" self-reported health) for the same area, sex and period, as OHID presents the two
    indicators (Fingertips 90366 and 90362). Missing (suppressed) inputs give NaN, never a
    number.

    Examples
    --------
    >>> years_in_poorer_health([79.1, 83.0, None], [61.5, 61.9, 60.0]).round(1).tolist()
    [17.6, 21.1, nan]
    """
    le = _float_array(life_expectancy, "life_expectancy")
    hle = _float_array(healthy_life_expectancy, "healthy_life_expectancy")
    if le.shape != hle.shape:
        raise ValueError("life_expectancy and healthy_life_expectancy must pair up, one of "
                         "each per area, sex and period")
    return le - hle


def small_area_gap(codes: ArrayLike, values: ArrayLike, deprivation: ArrayLike) -> dict:
    """Gap in an indicator between an area's most and least deprived small areas.

    The small areas (e.g. the MSOAs of an authority) are ordered by a deprivation score
    (higher = more deprived, e.g. the population-weighted IMD score of their LSOAs); the gap is
    the value in the least deprived minus the value in the most deprived, so for life
    expectancy a positive gap is the years by which the least deprived neighbourhood outlives
    the most deprived. Small areas without a value (suppressed) or without a score are left
    out and counted.

    Examples
    --------
    >>> g = small_area_gap(["A", "B", "C"], [74.0, 79.0, 82.5], [45.0, 20.0, 5.0])
    >>> g["most_deprived"], g["least_deprived"], g["gap"]
    ('A', 'C', 8.5)
    """
    frame = pd.DataFrame({"code": list(codes), "value": _float_array(values, "values"),
                          "deprivation": _float_array(deprivation, "deprivation")})
    ok = frame.dropna(subset=["value", "deprivation"])
    out = {"n": int(len(ok)), "n_missing": int(len(frame) - len(ok)),
           "most_deprived": None, "least_deprived": None, "most_deprived_value": None,
           "least_deprived_value": None, "gap": None, "highest": None, "lowest": None,
           "range": None}
    if len(ok) < 2:
        return out
    ordered = ok.sort_values(["deprivation", "code"], ascending=[False, True])
    most, least = ordered.iloc[0], ordered.iloc[-1]
    hi, lo = ok.loc[ok["value"].idxmax()], ok.loc[ok["value"].idxmin()]
    out.update({"most_deprived": most["code"], "least_deprived": least["code"],
                "most_deprived_value": float(most["value"]),
                "least_deprived_value": float(least["value"]),
                "gap": round(float(least["value"] - most["value"]), 10),
                "highest": hi["code"], "lowest": lo["code"],
                "range": round(float(hi["value"] - lo["value"]), 10)})
    return out


# ------------------------------------------------------------------------------------------
# Authority codes across sources and vintages
# ------------------------------------------------------------------------------------------

def lad_code_map(changes: pd.DataFrame, current_codes: Iterable[str], *,
                 recoded: Mapping[str, tuple[str, str, str]] = RECODED_CODES) -> pd.DataFrame:
    """An explicit map from non-current authority codes to current (April 2024) authorities.

    Derived from ``changes``, the database's ``lad_change`` table: for each IoD release, how
    many of each published authority's LSOAs now lie in each current authority (through the
    ONS LSOA-to-LAD24 lookups). A published code that is **not** a current code is mapped to
    the current authority holding most of its LSOAs (its latest release decides):

    * ``merged``: all its LSOAs lie in that one current authority (e.g. Allerdale, Carlisle
      and Copeland, abolished 1 April 2023, all lie in Cumberland);
    * ``split``: its LSOAs now lie in more than one current authority (e.g. South
      Northamptonshire: 50 of 51 LSOAs in West Northamptonshire, 1 in Cherwell); ``share``
      says how much went to the one it is listed under.

    Codes in ``recoded`` (Barnsley and Sheffield's 2025 ONS codes, :data:`RECODED_CODES`) are
    added as ``recoded``: the same council under another code. Current codes are not in the
    map. Non-GSS codes (IoD 2010's ``00AA`` style) are ignored.

    Parameters
    ----------
    changes : DataFrame
        Columns ``release, from_code, from_name, lad24_code, lsoa_count, from_lsoa_count``.
    current_codes : iterable of str
        The current (LAD24) authority codes.
    recoded : mapping
        ``code -> (LAD24 code, name, source)`` for recodings the LSOA lookups cannot show.

    Returns
    -------
    DataFrame
        ``from_code, from_name, lad24_code, relation, share, evidence``, one row per code.

    Examples
    --------
    >>> changes = pd.DataFrame({
    ...     "release": ["iod2019", "iod2019", "iod2019", "iod2019"],
    ...     "from_code": ["E07000026", "E07000155", "E07000155", "E06000001"],
    ...     "from_name": ["Allerdale", "South Northamptonshire", "South Northamptonshire",
    ...                   "Hartlepool"],
    ...     "lad24_code": ["E06000063", "E06000062", "E07000177", "E06000001"],
    ...     "lsoa_count": [60, 50, 1, 58], "from_lsoa_count": [60, 51, 51, 58]})
    >>> m = lad_code_map(changes, ["E06000063", "E06000062", "E07000177", "E06000001",
    ...                            "E08000016", "E08000019"])
    >>> print(m[["from_code", "lad24_code", "relation"]].to_string(index=False))
    from_code lad24_code relation
    E07000026  E06000063   merged
    E07000155  E06000062    split
    E08000038  E08000016  recoded
    E08000039  E08000019  recoded
    """
    current = set(current_codes)
    cols = ["from_code", "from_name", "lad24_code", "relation", "share", "evidence"]
    rows: list[dict] = []
    if changes is not None and len(changes):
        ch = changes[changes["from_code"].astype(str).str.match(r"^[EWSN]\d{8}$")
                     & ~changes["from_code"].isin(current)].copy()
        if len(ch):
            ch["release"] = ch["release"].astype(str)
            latest = ch.groupby("from_code")["release"].transform("max")
            ch = ch[ch["release"] == latest]
            for code, part in ch.groupby("from_code", sort=True):
                part = part.sort_values(["lsoa_count", "lad24_code"], ascending=[False, True])
                top = part.iloc[0]
                total = int(top["from_lsoa_count"])
                share = float(top["lsoa_count"]) / total if total else float("nan")
                pieces = ", ".join(f"{int(r.lsoa_count)} in {r.lad24_code}"
                                   for r in part.itertuples())
                rows.append({
                    "from_code": code, "from_name": top["from_name"],
                    "lad24_code": top["lad24_code"],
                    "relation": "merged" if len(part) == 1 else "split",
                    "share": share,
                    "evidence": f"ONS LSOA lookups ({top['release']} authorities): {total} "
                                f"LSOAs, {pieces}",
                })
    for code, (target, name, source) in recoded.items():
        if code in current:
            continue
        rows.append({"from_code": code, "from_name": name, "lad24_code": target,
                     "relation": "recoded", "share": 1.0, "evidence": source})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("from_code", ignore_index=True)


def harmonise_area_codes(frame: pd.DataFrame, code_map: pd.DataFrame,
                         current_codes: Iterable[str], *, code_col: str = "area_code",
                         names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Attach the current (April 2024) authority to each row of published figures.

    Every row is kept exactly as published (code, name, value, limits); three columns are
    added:

    * ``lad24_code``: the current authority the row belongs to (None for England, regions
      and anything that is not an English local authority);
    * ``code_status``: ``current``, ``recoded``, ``merged``, ``split``, ``england``,
      ``region`` or ``other`` (see :data:`CODE_STATUS`);
    * ``code_note``: a plain-words note for every row whose code is not the current one,
      e.g. "Published as Allerdale (E07000026), abolished; now part of Cumberland
      (E06000063). Shown separately, not averaged."

    Rows are never combined: a merged district's figures stay on their own rows, so a page can
    show them beside the current authority's own series but never average them into it.

    Parameters
    ----------
    frame : DataFrame
        Rows with an area code column (``code_col``) and usually ``area_name``.
    code_map : DataFrame
        From :func:`lad_code_map`.
    current_codes : iterable of str
        The current (LAD24) authority codes.
    names : mapping, optional
        Current authority names by code, for the notes.

    Examples
    --------
    >>> cmap = pd.DataFrame({"from_code": ["E07000026", "E08000039"],
    ...                      "from_name": ["Allerdale", "Sheffield"],
    ...                      "lad24_code": ["E06000063", "E08000019"],
    ...                      "relation": ["merged", "recoded"], "share": [1.0, 1.0],
    ...                      "evidence": ["ONS LSOA lookups", "SI 2024/1328"]})
    >>> rows = pd.DataFrame({"area_code": ["E08000039", "E07000026", "E06000001",
    ...                                    "E92000001"],
    ...                      "area_name": ["Sheffield", "Allerdale", "Hartlepool", "England"],
    ...                      "value": [78.4, 78.0, None, 79.1]})
    >>> out = harmonise_area_codes(rows, cmap, ["E08000019", "E06000063", "E06000001"])
    >>> print(out[["area_code", "lad24_code", "code_status"]].to_string(index=False))
    area_code lad24_code code_status
    E08000039  E08000019     recoded
    E07000026  E06000063      merged
    E06000001  E06000001     current
    E92000001       None     england
    """
    current = set(current_codes)
    names = dict(names or {})
    by_code = {r["from_code"]: r for r in code_map.to_dict("records")} if len(code_map) else {}
    out = frame.copy()
    lad, status, note = [], [], []
    area_names = out["area_name"] if "area_name" in out.columns else pd.Series(
        [None] * len(out), index=out.index)
    for code, name in zip(out[code_col].astype(str), area_names):
        shown = f"{name} ({code})" if isinstance(name, str) and name else code
        if code in current:
            lad.append(code)
            status.append("current")
            note.append("")
        elif code in by_code:
            m = by_code[code]
            target = m["lad24_code"]
            tname = names.get(target)
            tshown = f"{tname} ({target})" if tname else target
            lad.append(target)
            status.append(m["relation"])
            if m["relation"] == "recoded":
                note.append(f"Published as {shown}; the same authority is {tshown} in this "
                            f"database (April 2024 codes). Source of the recoding: "
                            f"{m['evidence']}.")
            elif m["relation"] == "merged":
                note.append(f"Published as {shown}, an authority since abolished; all of it "
                            f"now lies in {tshown}. Shown separately, not averaged. "
                            f"Evidence: {m['evidence']}.")
            else:
                note.append(f"Published as {shown}, an authority since abolished and divided: "
                            f"{m['share']:.0%} of its LSOAs lie in {tshown}. Shown "
                            f"separately, not averaged. Evidence: {m['evidence']}.")
        elif code == ENGLAND:
            lad.append(None)
            status.append("england")
            note.append("")
        elif code.startswith("E12"):
            lad.append(None)
            status.append("region")
            note.append("")
        else:
            lad.append(None)
            status.append("other")
            note.append(f"{shown} is not a current English local authority; not mapped.")
    out["lad24_code"] = pd.Series(lad, index=out.index, dtype="object")
    out["code_status"] = status
    out["code_note"] = note
    return out


def mark_suppressed(frame: pd.DataFrame, *, value_col: str = "value",
                    note_col: str = "value_note") -> pd.DataFrame:
    """Add a ``status`` column: ``published`` where there is a value, else ``suppressed``.

    The value itself stays missing (NaN), never zero: Fingertips publishes no figure for the
    smallest authorities (City of London, Isles of Scilly) and OHID calculates no SII where
    the numbers are too small. The source's own note, where it gives one, is kept in
    ``status_note``.

    Examples
    --------
    >>> out = mark_suppressed(pd.DataFrame({"value": [80.1, None]}))
    >>> out["status"].tolist(), out["value"].isna().tolist()
    (['published', 'suppressed'], [False, True])
    """
    out = frame.copy()
    values = pd.to_numeric(out[value_col], errors="coerce")
    out[value_col] = values.astype("float64")
    out["status"] = np.where(values.isna(), "suppressed", "published")
    if note_col in out.columns:
        notes = out[note_col].astype("object").where(out[note_col].notna(), None)
    else:
        notes = pd.Series([None] * len(out), index=out.index, dtype="object")
    default = ("no value published by the source (suppressed: too few people or deaths for "
               "a reliable figure)")
    out["status_note"] = [(n if isinstance(n, str) and n else default) if s == "suppressed"
                          else (n if isinstance(n, str) else "")
                          for s, n in zip(out["status"], notes)]
    return out
