"""The Slope Index of Inequality (SII) and Relative Index of Inequality (RII), as PHE computes them.

A Python implementation of the method of ``phe_sii`` in PHE / OHID / UKHSA's
*PHEindicatormethods* R package [PHEim]_, the method OHID uses for the SII indicators it
publishes on Fingertips, after Low and Low [LowLow2004]_ and the OHID (formerly PHE) technical
guide "Calculating the Slope Index of Inequality" [PHEguide]_. Written from the package's
documentation and source; pure (numpy and pandas only).

Method
------
For each group (e.g. an area and a sex) the quantiles (e.g. deprivation deciles) are ordered
by their number, **1 = most deprived**. Each quantile gets

* ``a``, its share of the group's population, and
* ``b``, its *relative rank*: the midpoint of its range in the cumulative population, so that
  ``b`` runs from near 0 (most deprived end) to near 1 (least deprived end).

The indicator ``y`` is regressed on ``b`` by least squares weighted by ``a`` (PHE fits
``y*sqrt(a) ~ sqrt(a) + b*sqrt(a)`` without an intercept, the same fit). The SII is the slope:
the fitted value at ``b = 1`` minus the fitted value at ``b = 0``; the intercept is the fitted
value at ``b = 0``; the RII is ``fitted(1) / fitted(0)``.

Value types and transforms (``value_type``, ``transform``):

* ``0``, other (e.g. life expectancy): errors taken as normal on the natural scale.
* ``1``, rate: values, limits and standard errors are handled on the **log** scale;
* ``2``, proportion (between 0 and 1): on the **logit** scale.

For rates and proportions each quantile's value is simulated on the log/logit scale (their
confidence intervals are not symmetric) whatever ``transform`` says. ``transform=False`` fits
the line to the values in their own units; ``transform=True`` fits it to log rates or logit
proportions and transforms the results back (PHE recommends this, as the relation is more
nearly linear), so that SII = back(intercept + slope) - back(intercept).

Confidence limits come from simulation, as in ``phe_sii``: each quantile's value is redrawn
``repetitions`` times from a normal distribution with its standard error (on the log/logit
scale for rates and proportions), the line refitted each time, and the limits are the order
statistics at positions ``round(repetitions * (1 - c))`` and ``round(repetitions * c)`` with
``c = confidence + (1 - confidence) / 2``. With ``transform=True`` PHE turns the limits of the
transformed slope back into the indicator's units by pivoting the fitted line about its
transformed value at ``b = 0.5``; this module does the same.

Standard errors
---------------
From ``se`` if given; else from the confidence limits ``lower_cl``/``upper_cl`` as
``(U - L) / (2 z)`` after taking logs (rates) or logits (proportions) of the limits, ``z``
the normal quantile of ``cl_confidence`` (95% by default, as ``phe_sii`` assumes); else, for
rates and proportions, from the counts: Byars' (rates) or Wilson's (proportions) 95% limits
of the count, the methods of PHEindicatormethods' ``phe_rate`` and ``phe_proportion``, then as
for given limits.

**The scale of a given standard error.** ``phe_sii`` treats the ``se`` of a rate or proportion
as the standard error of the log rate or logit proportion, and says so nowhere; a
natural-scale standard error given in its place is silently misused (and vice versa). Here the
scale must be stated for rates and proportions: ``se_scale="transformed"`` (also ``"log"`` /
``"logit"``) for a log/logit-scale SE, as ``phe_sii`` expects, or ``"natural"`` for an SE in
the indicator's own units, which is converted by the delta method (``se / value`` for rates,
``se / (p (1 - p))`` for proportions).

Multiplier
----------
The SII and its limits are multiplied by ``multiplier`` (e.g. 100 for a percentage). A negative
multiplier turns a "higher is worse" SII positive: the limits swap, and the RII and its limits
are inverted (``1 / RII``), as in ``phe_sii``. The intercept is reported in the multiplied
units, ``abs(multiplier)`` times the fitted value at the most deprived end.

Differences from ``phe_sii``
----------------------------
* A standard error of a rate or proportion needs ``se_scale`` (above); with it, ``se`` is also
  accepted with ``transform=True`` (``phe_sii`` refuses it there).
* Missing values, zero or negative rates and proportions of exactly 0 or 1 are errors (in
  ``phe_sii`` they reach ``log()`` and give infinities or silently drop a row); ``se`` and
  limits together are an error (``phe_sii`` uses ``se``); a confidence level of exactly 1
  (100%) is an error.
* Quantiles must be numbers (``phe_sii`` sorts them as given, so the text ``"10"`` sorts
  before ``"2"``).
* Standard errors can come from counts alone (``phe_sii`` needs ``se`` or limits).
* The limits of a log-transformed SII swap only for a negative multiplier (``phe_sii`` also
  swaps them for a positive multiplier below 1, which puts the lower limit above the upper).
* The intercept without a transform is multiplied by ``abs(multiplier)`` too (``phe_sii``
  multiplies it only with a transform), so it is always in the units of the SII.
* Columns are always named ``..._lower95_0cl`` (``phe_sii`` drops the ``cl`` when
  ``transform=True``). The random numbers differ from R's, so simulated limits agree with
  ``phe_sii``'s only to within simulation noise.

References
----------
.. [LowLow2004] Low, A. and Low, A. (2004). Measuring the gap: quantifying and comparing local
   health inequalities. *Journal of Public Health* 26(4), 388-395.
.. [PHEguide] Public Health England / OHID. *Technical Guide: Calculating the Slope Index of
   Inequality* (Fingertips technical guidance; Public Health Data Science).
.. [PHEim] Public Health England / UKHSA. *PHEindicatormethods* R package, ``phe_sii``
   (``R/SII_function.R``, ``R/utils.R``),
   https://github.com/ukhsa-collaboration/PHEindicatormethods.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = [
    "SiiWarning",
    "confidence_label",
    "confidence_levels",
    "phe_sii",
]

#: The 97.5th percentile of the standard normal distribution (``qnorm(0.975)``).
_Z95 = 1.959963984540054

_VALUE_TYPES = {0: "other", 1: "rate", 2: "proportion"}
_SE_SCALES = {"natural", "transformed", "log", "logit"}


class SiiWarning(UserWarning):
    """A warning from :func:`phe_sii`: many quantiles, or a group left out as incomplete."""


# ------------------------------------------------------------------------------------------
# Arguments
# ------------------------------------------------------------------------------------------

def confidence_levels(confidence: float | Iterable[float]) -> list[float]:
    """Confidence levels as fractions: 0.95 or 95 -> 0.95; 99.8 or 0.998 -> 0.998.

    As ``phe_sii``: each level must lie between 0.9 and 1 or between 90 and 100 (levels of
    90 or more are percentages). A level of exactly 1 (100%) has no finite limits and is
    refused. Repeated levels are kept once, in the order given.

    Examples
    --------
    >>> confidence_levels([95, 0.998])
    [0.95, 0.998]
    """
    raw = [confidence] if np.isscalar(confidence) else list(confidence)
    if not raw:
        raise ValueError("confidence: give at least one confidence level, e.g. 0.95")
    out: list[float] = []
    for c in raw:
        try:
            level = float(c)
        except (TypeError, ValueError):
            raise ValueError(f"confidence {c!r} is not a number: give levels such as 0.95, "
                             "95 or 99.8") from None
        if not np.isfinite(level) or level < 0.9 or 1 < level < 90 or level > 100:
            raise ValueError(f"confidence {c!r}: every confidence level must be between 0.9 "
                             "and 1 or between 90 and 100 (e.g. 0.95, 95, 0.998 or 99.8)")
        if level >= 90:
            level = level / 100
        if level >= 1:
            raise ValueError(f"confidence {c!r}: a 100% interval has no finite limits; give "
                             "a level below 100%, e.g. 99.8")
        if level not in out:
            out.append(level)
    labels = [confidence_label(c) for c in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"confidence levels {out} share a column name at one decimal place "
                         f"({labels}); give levels that differ at one decimal place of a "
                         "percentage")
    return out


def confidence_label(level: float) -> str:
    """The column suffix ``phe_sii`` uses for a level: 0.95 -> ``'95_0'``, 0.998 -> ``'99_8'``.

    Examples
    --------
    >>> confidence_label(0.95), confidence_label(0.998)
    ('95_0', '99_8')
    """
    return f"{level * 100:.1f}".replace(".", "_")


def _order_positions(repetitions: int, level: float) -> tuple[int, int]:
    """0-based positions of the lower and upper limits among the sorted simulations.

    ``phe_sii`` takes the 1-based positions ``round(reps * (1 - c))`` and ``round(reps * c)``
    with ``c = level + (1 - level) / 2`` (R rounds halves to even, as Python does).
    """
    cv = level + (1 - level) / 2
    lo, hi = round(repetitions * (1 - cv)), round(repetitions * cv)
    if lo < 1:
        raise ValueError(f"repetitions={repetitions:,} are too few for a {level * 100:g}% "
                         f"interval: its lower limit would be simulation number {lo}; use at "
                         f"least {int(np.ceil(0.5 / (1 - cv))):,} repetitions")
    return lo - 1, hi - 1


# ------------------------------------------------------------------------------------------
# Columns
# ------------------------------------------------------------------------------------------

def _where(frame: pd.DataFrame, rows: np.ndarray, quantile: str, groups: Sequence[str]) -> str:
    """Describe the first offending row: its position, group and quantile."""
    i = int(np.flatnonzero(rows)[0])
    parts = [f"data row {i + 1}"]
    for col in [*groups, quantile] if quantile in frame.columns else groups:
        val = frame[col].iloc[i]
        parts.append(f"{col}={val.item() if isinstance(val, np.generic) else val!r}")
    n = int(rows.sum())
    more = f", and {n - 1} more row(s)" if n > 1 else ""
    return ", ".join(parts) + more


def _numeric(frame: pd.DataFrame, col: str, role: str, quantile: str,
             groups: Sequence[str]) -> np.ndarray:
    """Column ``col`` as float64, with errors that name the column, the rule and the fix."""
    if col not in frame.columns:
        raise ValueError(f"column {col!r} (the {role}) is not in the data; its columns are "
                         f"{list(map(str, frame.columns))}: check the spelling, or pass the "
                         f"right column as the {role}")
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        first = raw[bad].iloc[0]
        raise ValueError(f"column {col!r} (the {role}) must hold numbers; {first!r} at "
                         f"{_where(frame, bad, quantile, groups)} is not one: fix or remove "
                         "the text (thousands separators, '%' signs and markers such as '*' "
                         "are not numbers)")
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    missing = ~np.isfinite(arr)
    if missing.any():
        raise ValueError(f"column {col!r} (the {role}) is missing at "
                         f"{_where(frame, missing, quantile, groups)}: every quantile needs a "
                         f"{role} (the SII of a group with a gap cannot be calculated); fill "
                         "it from the source, or drop that group's rows, never fill with zero")
    return arr


def _require(ok: np.ndarray, message: str, frame, quantile, groups) -> None:
    if not ok.all():
        raise ValueError(message.format(where=_where(frame, ~ok, quantile, groups)))


# ------------------------------------------------------------------------------------------
# Counts to standard errors (PHE's Byars and Wilson limits)
# ------------------------------------------------------------------------------------------

def _byars(count: np.ndarray, z: float = _Z95) -> tuple[np.ndarray, np.ndarray]:
    """Byars' approximate Poisson limits of a count, as PHEindicatormethods' ``phe_rate``."""
    lower = count * (1 - 1 / (9 * count) - z / (3 * np.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * np.sqrt(count + 1))) ** 3
    return lower, upper


def _wilson(count: np.ndarray, n: np.ndarray, z: float = _Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits of a proportion, as PHEindicatormethods' ``phe_proportion``."""
    root = z * np.sqrt(z ** 2 + 4 * count * (1 - count / n))
    return ((2 * count + z ** 2 - root) / 2 / (n + z ** 2),
            (2 * count + z ** 2 + root) / 2 / (n + z ** 2))


def _to_scale(x: np.ndarray, value_type: int) -> np.ndarray:
    if value_type == 1:
        return np.log(x)
    if value_type == 2:
        return np.log(x / (1 - x))
    return x


def _from_scale(x: np.ndarray, value_type: int) -> np.ndarray:
    if value_type == 1:
        return np.exp(x)
    if value_type == 2:
        return 1 / (1 + np.exp(-x))
    return x


# ------------------------------------------------------------------------------------------
# The SII
# ------------------------------------------------------------------------------------------

def phe_sii(
    frame: pd.DataFrame,
    quantile: str,
    population: str,
    value: str | None = None,
    *,
    groups: str | Sequence[str] = (),
    value_type: int = 0,
    se: str | None = None,
    se_scale: str | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    cl_confidence: float = 0.95,
    count: str | None = None,
    transform: bool = False,
    confidence: float | Sequence[float] = 0.95,
    multiplier: float = 1,
    rii: bool = False,
    intercept: bool = False,
    reliability_stat: bool = False,
    repetitions: int = 100_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Slope Index of Inequality of each group, with simulated confidence limits (PHE method).

    One row per group of ``frame`` (or one row if there are no ``groups``), computed as
    PHEindicatormethods' ``phe_sii`` does [PHEim]_ [LowLow2004]_ [PHEguide]_; see the module
    documentation for the method and the few deliberate differences.

    Sign: SII = fitted(least deprived end) - fitted(most deprived end), where quantile 1 is the
    most deprived; an indicator that is higher where deprivation is worse (a death rate, say)
    has a negative SII unless ``multiplier`` is negative.

    Parameters
    ----------
    frame : DataFrame
        One row per group and quantile.
    quantile : str
        Column of quantile numbers, 1 = most deprived (e.g. IMD decile). There must be 5 to
        100 distinct quantiles (more than 10 gives a :class:`SiiWarning`: small quantiles can
        make the SII unstable). A group without a row for every quantile is left out with a
        :class:`SiiWarning`, as in ``phe_sii``.
    population : str
        Column of quantile populations (denominators), all positive.
    value : str, optional
        Column of indicator values. For a rate or proportion it may be left out if ``count``
        is given: the value is then ``count / population`` (a rate per person; use
        ``multiplier`` for a rate per 100,000, say).
    groups : str or sequence of str
        Columns identifying the groups (e.g. area code and sex): one SII per group.
    value_type : {0, 1, 2}
        0 other (normal errors, e.g. life expectancy), 1 rate, 2 proportion (0 to 1).
    se : str, optional
        Column of standard errors (non-negative). For rates and proportions give
        ``se_scale``.
    se_scale : {"transformed", "log", "logit", "natural"}, optional
        Required with ``se`` for rates and proportions: ``"transformed"`` (or ``"log"`` for
        rates, ``"logit"`` for proportions) if ``se`` is the standard error of the log rate or
        logit proportion (what ``phe_sii`` assumes), ``"natural"`` if it is in the
        indicator's own units (converted by the delta method).
    lower_cl, upper_cl : str, optional
        Columns of the values' confidence limits (both or neither; not together with ``se``).
    cl_confidence : float
        Level of those limits (default 0.95, as ``phe_sii`` assumes; 95 also accepted).
    count : str, optional
        Column of counts (numerators) of a rate or proportion: gives the value where ``value``
        is absent, and the standard error where neither ``se`` nor limits are given (Byars'
        limits for rates, Wilson's for proportions). Counts must be positive.
    transform : bool
        Fit the line to log rates or logit proportions and transform the results back
        (``value_type`` 1 or 2 only).
    confidence : float or sequence of float
        Level(s) of the SII's confidence limits: 0.95 or 95, 0.998 or 99.8, or several.
    multiplier : float
        Multiplies the SII and its limits (e.g. 100 for percentages); if negative the limits
        swap and the RII is inverted. Not zero.
    rii : bool
        Add the Relative Index of Inequality and its limits.
    intercept : bool
        Add the intercept: the fitted value at the most deprived end, times
        ``abs(multiplier)``.
    reliability_stat : bool
        Simulate 10 times ``repetitions`` and add ``sii_mad{level}`` (and ``rii_mad{level}``):
        the mean absolute difference between the limits of the first set of repetitions and
        those of the nine others, a measure of simulation noise. The limits reported are those
        of the first set, the same as without this option.
    repetitions : int
        Number of simulations (at least 1,000; PHE's default 100,000).
    seed : int, optional
        Seed for :class:`numpy.random.SeedSequence`; each group gets its own stream spawned
        from it, in the (sorted) order of the groups, so results are reproducible and do not
        depend on the order of the rows.

    Returns
    -------
    DataFrame
        One row per group, sorted by the group columns: the group columns, then ``sii``,
        ``sii_lower{L}cl``, ``sii_upper{L}cl`` for each level (``L`` as ``95_0``, ``99_8``),
        then if asked ``rii`` and ``rii_lower{L}cl``, ``rii_upper{L}cl``, ``intercept``,
        ``sii_mad{L}``, ``rii_mad{L}``. ``DataFrame.attrs`` holds the parameters (value
        type, transform, levels, repetitions, seed, method, source of the standard errors,
        groups left out).

    Raises
    ------
    ValueError
        For a missing or non-numeric column, a missing value, a zero or negative population,
        a negative standard error, a rate that is not positive, a proportion outside (0, 1),
        fewer than 5 or more than 100 quantiles, and inconsistent arguments; the message
        names the column, the rule and the fix.

    Examples
    --------
    PHE's worked example (``phe_sii`` documentation): life expectancy in the ten deciles of
    two areas, with 95% limits.

    >>> data = pd.DataFrame({
    ...     "area": ["Area1"] * 10 + ["Area2"] * 10,
    ...     "decile": list(range(1, 11)) * 2,
    ...     "population": [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534,
    ...                    21675, 20065, 19750, 24713, 20112, 19618, 22408, 19752, 18939,
    ...                    19312],
    ...     "value": [75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3,
    ...               70.5, 71.6, 72.5, 73.5, 73.1, 76.2, 78.7, 80.6, 80.9, 80],
    ...     "lower": [72.7, 75.3, 80.9, 80.2, 77.1, 78, 79, 81.4, 75.8, 83.2,
    ...               70.1, 71.1, 72, 73.1, 72.7, 75.7, 78.2, 80.1, 80.4, 79.5],
    ...     "upper": [79.1, 81.4, 86.8, 87.1, 83.8, 84.2, 84.4, 86.9, 85.4, 89.4,
    ...               71, 72.1, 73.2, 73.7, 75.8, 78.8, 79.8, 81.2, 81.3, 80.9]})
    >>> out = phe_sii(data, "decile", "population", "value", groups="area",
    ...               lower_cl="lower", upper_cl="upper", rii=True, repetitions=10_000, seed=1)
    >>> print(out[["area", "sii", "rii"]].round(4).to_string(index=False))
     area     sii    rii
    Area1  7.0002 1.0897
    Area2 12.6227 1.1820

``phe_sii`` in R gives the same SIIs and RIIs; the simulated limits differ from R's (and from
run to run without a seed) only by simulation noise:

    >>> bool((out["sii_lower95_0cl"] < out["sii"]).all() and
    ...      (out["sii"] < out["sii_upper95_0cl"]).all())
    True
    """
    # --- arguments ---------------------------------------------------------------------
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("frame must be a pandas DataFrame with one row per group and quantile")
    group_cols = [groups] if isinstance(groups, str) else list(groups)
    if value_type not in _VALUE_TYPES or isinstance(value_type, bool):
        raise ValueError(f"value_type={value_type!r}: give 0 (other, e.g. life expectancy), "
                         "1 (rate) or 2 (proportion)")
    value_type = int(value_type)
    kind = _VALUE_TYPES[value_type]
    if transform and value_type == 0:
        raise ValueError("transform=True needs value_type 1 (rate, log transform) or 2 "
                         "(proportion, logit transform); an indicator of value_type 0 is "
                         "never transformed")
    try:
        repetitions = int(repetitions)
    except (TypeError, ValueError):
        raise ValueError(f"repetitions={repetitions!r} must be a whole number of at least "
                         "1,000") from None
    if repetitions < 1000:
        raise ValueError(f"repetitions={repetitions:,}: use at least 1,000 simulations for "
                         "the confidence limits (PHE's default is 100,000)")
    levels = confidence_levels(confidence)
    positions = [_order_positions(repetitions, c) for c in levels]
    try:
        multiplier = float(multiplier)
    except (TypeError, ValueError):
        raise ValueError(f"multiplier={multiplier!r} must be a number (e.g. 100, or -1 to "
                         "reverse the sign)") from None
    if not np.isfinite(multiplier) or multiplier == 0:
        raise ValueError(f"multiplier={multiplier!r} must be a finite number other than 0 "
                         "(1 leaves the SII in the indicator's units)")
    cl_level = confidence_levels(cl_confidence)
    if len(cl_level) != 1:
        raise ValueError("cl_confidence: give the one level of the lower_cl/upper_cl limits")
    z_cl = NormalDist().inv_cdf(cl_level[0] + (1 - cl_level[0]) / 2)
    if se is not None and (lower_cl is not None or upper_cl is not None):
        raise ValueError(f"give either se ({se!r}) or lower_cl/upper_cl, not both: they "
                         "could disagree; drop one")
    if (lower_cl is None) != (upper_cl is None):
        raise ValueError("give both lower_cl and upper_cl (the limits of each value), or "
                         "neither")
    if se_scale is not None and se_scale not in _SE_SCALES:
        raise ValueError(f"se_scale={se_scale!r}: give 'transformed' (or 'log' / 'logit'), "
                         "or 'natural'")
    if se is not None:
        if value_type == 0 and se_scale not in (None, "natural"):
            raise ValueError(f"se_scale={se_scale!r} but value_type 0 is not transformed: its "
                             "standard error is on the natural scale; drop se_scale")
        if value_type and se_scale is None:
            scale = "log" if value_type == 1 else "logit"
            raise ValueError(
                f"se={se!r} with value_type {value_type} ({kind}): say which scale the "
                f"standard errors are on: se_scale='{scale}' if they are standard errors of "
                f"the {scale} {kind} (what phe_sii assumes), or se_scale='natural' if they are "
                f"in the {kind}'s own units; or give lower_cl/upper_cl instead")
        if (se_scale == "log" and value_type == 2) or (se_scale == "logit" and value_type == 1):
            raise ValueError(f"se_scale={se_scale!r} does not fit value_type {value_type} "
                             f"({kind}): a rate is on the log scale, a proportion on the "
                             "logit scale")
    if value is None and (count is None or value_type == 0):
        raise ValueError("give the value column (for a rate or proportion the count column "
                         "will do: the value is then count / population)")
    if se is None and lower_cl is None and (count is None or value_type == 0):
        need = "se, or lower_cl and upper_cl" + (", or count" if value_type else "")
        raise ValueError(f"the confidence limits of the SII need each value's standard error: "
                         f"give {need}")

    # --- columns -----------------------------------------------------------------------
    for g in group_cols:
        if g not in frame.columns:
            raise ValueError(f"column {g!r} (a group column) is not in the data; its columns "
                             f"are {list(map(str, frame.columns))}: check the spelling")
    data = frame.reset_index(drop=True)

    def num(col, role):
        return _numeric(data, col, role, quantile, group_cols)

    def need(ok, message):
        _require(ok, message, data, quantile, group_cols)

    q = num(quantile, "quantile")
    pop = num(population, "population")
    need(pop > 0, f"column {population!r} (the population) must be positive in every row; "
                  "{where} is not: every quantile needs people in it; correct the "
                  "population, or merge the empty quantile into its neighbour")
    cnt = None
    if count is not None:
        cnt = num(count, "count")
        need(cnt > 0, f"column {count!r} (the count) must be positive; " "{where} is not: "
                      f"a zero count has no log or logit; give {value!r} with its "
                      "confidence limits instead, or merge quantiles")
        if value_type == 2:
            need(cnt <= pop, f"column {count!r} (the count) must not exceed {population!r} "
                             "(the denominator) in a proportion; {where} does: check the "
                             "columns")
    if value is not None:
        y = num(value, "value")
        vcol = value
    else:
        y = cnt / pop
        vcol = f"{count} / {population}"

    def check_range(arr, col, what):
        if value_type == 1:
            need(arr > 0, f"column {col!r} ({what} of a rate) must be positive: " "{where} "
                          "is not; a rate of 0 has no log; use value_type 0 if the "
                          "indicator is not a rate")
        elif value_type == 2:
            hint = (" These look like percentages: divide the values and limits by 100 and "
                    "pass multiplier=100." if np.nanmax(arr) > 1 and np.nanmax(arr) <= 100
                    else "")
            need((arr > 0) & (arr < 1),
                 f"column {col!r} ({what} of a proportion) must lie between 0 and 1, "
                 "exclusive: {where} does not (a proportion of 0 or 1 has no logit)." + hint)

    check_range(y, vcol, "the value")
    if se is not None:
        s_in = num(se, "standard error")
        need(s_in >= 0, f"column {se!r} (the standard error) must not be negative; "
                        "{where} is: correct it from the source")
        if value_type == 0 or se_scale in ("transformed", "log", "logit"):
            se_t = s_in
        elif value_type == 1:
            se_t = s_in / y
        else:
            se_t = s_in / (y * (1 - y))
        se_source = f"column {se!r} ({se_scale or 'natural'} scale)"
    elif lower_cl is not None:
        lo = num(lower_cl, "lower confidence limit")
        hi = num(upper_cl, "upper confidence limit")
        check_range(lo, lower_cl, "the lower limit")
        check_range(hi, upper_cl, "the upper limit")
        need(hi >= lo, f"column {upper_cl!r} (the upper limit) must not be below "
                       f"{lower_cl!r} (the lower); " "{where} is: are the columns swapped?")
        se_t = (_to_scale(hi, value_type) - _to_scale(lo, value_type)) / (2 * z_cl)
        se_source = (f"columns {lower_cl!r}/{upper_cl!r} ({cl_level[0]:.1%} limits"
                     f"{', log scale' if value_type == 1 else ''}"
                     f"{', logit scale' if value_type == 2 else ''})")
    else:
        if value_type == 1:
            lo, hi = _byars(cnt)
            need(lo > 0, f"column {count!r} (the count) is too small for Byars' limits; "
                         "{where}: give the rate's confidence limits instead")
        else:
            lo, hi = _wilson(cnt, pop)
        se_t = (_to_scale(hi, value_type) - _to_scale(lo, value_type)) / (2 * _Z95)
        se_source = (f"column {count!r} ({'Byars' if value_type == 1 else 'Wilson'} 95% "
                     "limits of the count)")
    y_t = _to_scale(y, value_type)

    # --- quantiles and groups ----------------------------------------------------------
    quantiles = np.unique(q)
    n_q = int(quantiles.size)
    if n_q < 5 or n_q > 100:
        raise ValueError(f"column {quantile!r} has {n_q} distinct quantiles; the SII needs "
                         "5 to 100 (e.g. quintiles or deciles): check the quantile column, or "
                         "use a finer or coarser division")
    if n_q > 10:
        warnings.warn(f"{n_q} quantiles in {quantile!r}: small values can make the SII "
                      "unstable when using a large number of quantiles", SiiWarning,
                      stacklevel=2)
    work = pd.DataFrame({"_q": q, "_pop": pop, "_y": y, "_yt": y_t, "_se": se_t})
    for g in group_cols:
        work[g] = data[g]
    if group_cols:
        keys = data[group_cols]
        dup = keys.assign(_q=q).duplicated(keep=False).to_numpy()
    else:
        dup = pd.Series(q).duplicated(keep=False).to_numpy()
    need(~dup, f"each group must have one row per quantile of {quantile!r}; " "{where} "
               "repeats a quantile: drop the duplicate, or add the column that tells the "
               "rows apart to the groups")

    if group_cols:
        parts = list(work.groupby(group_cols, sort=True, dropna=False))
    else:
        parts = [((), work)]
    complete, dropped = [], []
    for key, part in parts:
        (complete if len(part) == n_q else dropped).append((key, part))
    if dropped:
        names = ", ".join(str(k if not isinstance(k, tuple) or len(k) != 1 else k[0])
                          for k, _ in dropped[:5])
        warnings.warn(f"{len(dropped)} group(s) left out for want of a row for every one of "
                      f"the {n_q} quantiles (e.g. {names}): the SII of a group with a gap "
                      "cannot be calculated", SiiWarning, stacklevel=2)
    if not complete:
        raise ValueError(f"no group has a row for every one of the {n_q} quantiles in "
                         f"{quantile!r}: the SII cannot be calculated; check the groups and "
                         "quantiles")

    # --- per group ---------------------------------------------------------------------
    streams = np.random.SeedSequence(seed).spawn(len(complete))
    rows = []
    for (key, part), stream in zip(complete, streams):
        part = part.sort_values("_q")
        row = {}
        if group_cols:
            key = key if isinstance(key, tuple) else (key,)
            row.update(dict(zip(group_cols, key)))
        row.update(_one_group(part["_pop"].to_numpy(), part["_y"].to_numpy(),
                              part["_yt"].to_numpy(), part["_se"].to_numpy(),
                              value_type=value_type, transform=bool(transform),
                              levels=levels, positions=positions, multiplier=multiplier,
                              rii=rii, intercept=intercept,
                              reliability_stat=reliability_stat, repetitions=repetitions,
                              rng=np.random.default_rng(stream)))
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({
        "method": "PHEindicatormethods phe_sii (Low & Low 2004): weighted least squares on "
                  "relative rank; limits by simulation",
        "value_type": value_type, "indicator_type": kind,
        "transform": ("log" if value_type == 1 else "logit") if transform else "none",
        "multiplier": multiplier, "confidence": levels, "repetitions": repetitions,
        "seed": seed, "quantiles": n_q, "standard_errors": se_source,
        "groups_left_out": [k for k, _ in dropped],
    })
    return out


def _one_group(pop, y, y_t, se_t, *, value_type, transform, levels, positions, multiplier,
               rii, intercept, reliability_stat, repetitions, rng) -> dict:
    """The SII (and RII, intercept, limits) of one group's quantiles, in quantile order."""
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2                      # relative rank (PHE's FindXValues)
    bbar = float(a @ b)
    coef = a * (b - bbar) / float(a @ (b - bbar) ** 2)   # slope = coef @ y

    fit_y = y_t if transform else y
    slope = float(coef @ fit_y)
    icept = float(a @ fit_y - slope * bbar)
    if transform:
        f0 = float(_from_scale(np.array(icept), value_type))
        f1 = float(_from_scale(np.array(icept + slope), value_type))
        mid = icept + slope / 2                   # transformed fitted value at b = 0.5
    else:
        f0, f1 = icept, icept + slope
    out = {"sii": (f1 - f0) * multiplier}
    ratio = f1 / f0 if f0 != 0 else float("nan")
    out_rii = 1 / ratio if multiplier < 0 else ratio

    # Simulation: draws on the log/logit scale for rates and proportions, back-transformed
    # before the fit unless the fit itself is on that scale.
    back = value_type != 0 and not transform
    n_sets = 10 if reliability_stat else 1
    limits = []
    chunk = max(1, 4_000_000 // y.size)
    for _ in range(n_sets):
        slopes = np.empty(repetitions)
        icepts = np.empty(repetitions)
        done = 0
        while done < repetitions:
            k = min(chunk, repetitions - done)
            draws = y_t + se_t * rng.standard_normal((k, y.size))
            if back:
                draws = _from_scale(draws, value_type)
            s = draws @ coef
            slopes[done:done + k] = s
            icepts[done:done + k] = draws @ a - s * bbar
            done += k
        limits.append(_limits(slopes, icepts, value_type=value_type, transform=transform,
                              mid=mid if transform else None, levels=levels,
                              positions=positions, multiplier=multiplier, rii=rii))
    for c in levels:
        lab = confidence_label(c)
        out[f"sii_lower{lab}cl"], out[f"sii_upper{lab}cl"] = limits[0]["sii", c]
    if rii:
        out["rii"] = out_rii
        for c in levels:
            lab = confidence_label(c)
            out[f"rii_lower{lab}cl"], out[f"rii_upper{lab}cl"] = limits[0]["rii", c]
    if intercept:
        out["intercept"] = f0 * abs(multiplier)
    if reliability_stat:
        for c in levels:
            lab = confidence_label(c)
            for stat in ("sii", "rii") if rii else ("sii",):
                first = np.array(limits[0][stat, c])
                diffs = [np.abs(np.array(lim[stat, c]) - first) for lim in limits[1:]]
                out[f"{stat}_mad{lab}"] = float(np.mean(diffs))
    return {k: float(v) for k, v in out.items()}


def _limits(slopes, icepts, *, value_type, transform, mid, levels, positions, multiplier,
            rii) -> dict:
    """Lower and upper limits per statistic and level from one set of simulations."""
    out = {}
    if not transform:
        sii_sorted = np.sort(slopes * multiplier)
        if rii:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = (icepts + slopes) / icepts
                if multiplier < 0:
                    ratios = 1 / ratios
            rii_sorted = np.sort(ratios)
        for c, (lo, hi) in zip(levels, positions):
            out["sii", c] = (sii_sorted[lo], sii_sorted[hi])
            if rii:
                out["rii", c] = (rii_sorted[lo], rii_sorted[hi])
        return out
    # Transformed: limits of the slope on the log/logit scale, turned back into the
    # indicator's units by pivoting the fitted line about its value at b = 0.5 (phe_sii).
    s_sorted = np.sort(slopes)
    for c, (lo, hi) in zip(levels, positions):
        s_lo, s_hi = s_sorted[lo], s_sorted[hi]

        def ends(s):
            return (float(_from_scale(np.array(mid - s / 2), value_type)),
                    float(_from_scale(np.array(mid + s / 2), value_type)))

        (l0, l1), (h0, h1) = ends(s_lo), ends(s_hi)
        if multiplier < 0:
            out["sii", c] = ((h1 - h0) * multiplier, (l1 - l0) * multiplier)
            out["rii", c] = (h0 / h1, l0 / l1)
        else:
            out["sii", c] = ((l1 - l0) * multiplier, (h1 - h0) * multiplier)
            out["rii", c] = (l1 / l0, h1 / h0)
    return out
