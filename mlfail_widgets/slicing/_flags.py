"""Flags at their stated level: each slice tested against the rest of the data.

A slice is part of the data the overall value comes from, so "slice against overall" with
the overall treated as known assumes a variance ``1 / (1 - w)`` times too large (``w``: the
slice's share of the rows) and flags far below its level. Testing the slice against the
*rest* of the rows (two independent samples) is exact, and it is the same test as "slice
against overall with the variance of a part of the whole": ``p_i - p = (1 - w)(p_i - p_rest)``.

:func:`compare_slices` works from per-slice sufficient statistics only (rows, and the sum and
sum of squares of the per-row values: for a proportion, the count of successes), so the same
flags can be computed from a ``GROUP BY`` in a database without the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_choice, check_float, check_int, parameter_error
from ..intervals import mean_interval, proportion_interval
from ..statistics import adjust_pvalues, check_correction, renamed_argument

if TYPE_CHECKING:

    import pandas as pd

__all__ = ["KINDS", "SliceComparisonReport", "compare_slices", "slice_flag_rates"]

#: What :func:`compare_slices` can test from sufficient statistics.
KINDS = ("proportion", "mean")


@dataclass
class SliceComparisonReport:
    """Per-slice metric, own interval and test against the rest, from aggregates.

    Attributes
    ----------
    value, low, high : numpy.ndarray
        Each slice's metric and its own interval at ``confidence`` (Wilson or Student's t).
    p_value : numpy.ndarray
        Two-sided p-value of "this slice's metric equals the rest's" (NaN: not tested).
    p_adjusted : numpy.ndarray
        After ``correction`` over the tested slices.
    flagged : numpy.ndarray of bool
        ``p_adjusted < 1 - confidence``.
    overall, overall_low, overall_high : float
        The metric on all rows and its interval.
    kind, confidence, correction, test : str, float, str, str
        The settings and the name of the test used.
    """

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    flagged: np.ndarray
    overall: float
    overall_low: float
    overall_high: float
    kind: str
    confidence: float
    correction: str
    test: str


def rest_test_pvalues(kind: str, n: Any, total: Any, square: Any = None) -> np.ndarray:
    """Two-sided p-values of "slice equals the rest", one per slice, from sufficient statistics.

    ``kind="proportion"``: the pooled two-proportion score test (the test Wilson's interval
    inverts, with the overall rate as the common rate under the null). ``kind="mean"``:
    Welch's t-test with Satterthwaite's degrees of freedom. Slices with no rows, or whose rest
    is empty, get NaN. The slices must partition the rows (their sums are the whole); 2-D
    arrays hold one partition per row.
    """
    from scipy import stats as st

    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    N, T = n.sum(axis=-1, keepdims=True), total.sum(axis=-1, keepdims=True)  # rows: families
    rest_n, rest_total = N - n, T - total
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "proportion":
            pooled = T / N
            diff = total / n - rest_total / rest_n
            se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest_n))
            p = 2 * st.norm.sf(np.abs(diff) / se)
            p = np.where(se == 0, 1.0, p)  # every row the same: nothing differs
        else:
            square = np.asarray(square, dtype=float)
            rest_square = square.sum(axis=-1, keepdims=True) - square
            mean, rest_mean = total / n, rest_total / rest_n
            var = np.maximum(square - total * mean, 0) / (n - 1) / n
            rest_var = np.maximum(rest_square - rest_total * rest_mean, 0) / (rest_n - 1) / rest_n
            se2 = var + rest_var
            df = se2**2 / (var**2 / (n - 1) + rest_var**2 / (rest_n - 1))
            p = 2 * st.t.sf(np.abs(mean - rest_mean) / np.sqrt(se2), df)
            p = np.where(se2 == 0, np.where(mean == rest_mean, 1.0, 0.0), p)
    bad = (n <= (1 if kind == "mean" else 0)) | (rest_n <= (1 if kind == "mean" else 0))
    return np.where(bad, np.nan, p)


def delong_auc(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and its variance by DeLong's method (structural components), ties counting half.

    Examples
    --------
    >>> auc, variance = delong_auc(np.array([0, 0, 1, 1, 0, 1]), np.array([.1, .4, .35, .8, .2, .9]))
    >>> round(auc, 4), round(variance, 4)
    (0.8889, 0.0247)
    """
    negatives = np.sort(score[y == 0])
    positives = np.sort(score[y == 1])
    m, n = positives.size, negatives.size
    if not m or not n:
        return float("nan"), float("nan")
    v10 = (np.searchsorted(negatives, score[y == 1], side="left")
           + np.searchsorted(negatives, score[y == 1], side="right")) / (2 * n)
    v01 = (m - (np.searchsorted(positives, score[y == 0], side="left")
                + np.searchsorted(positives, score[y == 0], side="right")) / 2) / m
    auc = float(v10.mean())
    variance = (v10.var(ddof=1) / m if m > 1 else np.nan) + (v01.var(ddof=1) / n if n > 1 else np.nan)
    return auc, float(variance)


def compare_slices(n: Any, total: Any, square: Any = None, *, kind: str = "proportion", confidence: float = 0.95,
                   correction: str = "holm", min_size: int = 30,
                   level: float | None = None) -> SliceComparisonReport:
    """Flag the slices whose metric differs from the rest of the data, from per-slice aggregates.

    The pure core of :func:`slice_metrics` for proportions and means, for callers that hold
    aggregates rather than rows (a ``GROUP BY slice`` in DuckDB or Spark).

    Parameters
    ----------
    n : array-like of int
        Rows per slice (for precision or recall: the rows in the denominator). The slices must
        partition the data: their sums are the overall value's.
    total : array-like
        Per slice, the sum of the per-row values: successes for a proportion (correct
        predictions for accuracy), the sum of errors for a mean.
    square : array-like, optional
        Per slice, the sum of squared per-row values (needed for ``kind="mean"``).
    kind : {"proportion", "mean"}, default="proportion"
        Proportion: Wilson's interval, the pooled two-proportion score test against the rest.
        Mean: Student's t interval, Welch's t-test against the rest.
    confidence : float, default=0.95
        Confidence level of the intervals; a slice is flagged when its corrected p-value is
        below ``1 - confidence``.
    correction : {"holm", "bonferroni", "bh", "none"}, default="holm"
        Multiple-testing correction over the slices tested (see
        :func:`mlfail_widgets.statistics.adjust_pvalues`).
    min_size : int, default=30
        Slices with fewer rows get no interval and are not tested (their rows still count
        in the rest of every other slice).
    level : float, optional
        The old name of ``confidence`` (deprecated).

    Returns
    -------
    SliceComparisonReport

    Examples
    --------
    Accuracy of four slices (40/30/20/10 % of 2,000 rows); the small one is worse:

    >>> result = compare_slices([800, 600, 400, 200], [688, 510, 342, 150])
    >>> result.flagged.tolist(), round(result.overall, 3)
    ([False, False, False, True], 0.845)
    >>> [round(float(p), 4) for p in result.p_value]
    [0.1302, 0.6859, 0.5367, 0.0001]
    """
    confidence = renamed_argument("confidence", confidence, "level", level, 0.95)
    confidence = check_float(confidence, "confidence", low=0, high=1, low_open=True, high_open=True,
                             fix="Use e.g. 0.95 for 95% intervals.")
    kind = check_choice(kind, "kind", KINDS)
    correction = check_correction(correction)
    min_size = check_int(min_size, "min_size", low=1)
    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    if n.ndim != 1 or n.size == 0 or total.shape != n.shape or np.any(n < 0) or not np.isfinite(n).all():
        raise parameter_error("n", "a non-empty 1-D array of row counts, one per slice, like total",
                              n.tolist() if n.size < 8 else f"an array of shape {n.shape}")
    if kind == "proportion" and (np.any(total < 0) or np.any(total > n)):
        raise parameter_error("total", "success counts between 0 and n for kind='proportion'",
                              total.tolist() if total.size < 8 else "out-of-range counts")
    if kind == "mean":
        if square is None:
            raise parameter_error("square", "the per-slice sums of squares for kind='mean'", square)
        square = np.asarray(square, dtype=float)
        if square.shape != n.shape:
            raise parameter_error("square", f"one sum of squares per slice ({n.size})", square.shape)
    else:
        square = total
    N, T, Q = n.sum(), total.sum(), square.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = total / n
        overall = T / N if N else float("nan")
        std = np.sqrt(np.maximum(square - total * value, 0) / (n - 1))
        overall_std = np.sqrt(max(Q - T * overall, 0) / (N - 1)) if N > 1 else float("nan")
    if kind == "proportion":
        low, high = proportion_interval(total, n, confidence)
        overall_low, overall_high = proportion_interval(T, N, confidence)
        test = "two-proportion score test, slice against the rest"
    else:
        low, high = mean_interval(value, std, n, confidence)
        overall_low, overall_high = mean_interval(overall, overall_std, N, confidence)
        test = "Welch's t-test, slice against the rest"
    tested = n >= min_size
    p = np.where(tested, rest_test_pvalues(kind, n, total, square), np.nan)
    low, high = np.where(tested, low, np.nan), np.where(tested, high, np.nan)
    adjusted = adjust_pvalues(p, correction) if np.isfinite(p).any() else np.full(p.shape, np.nan)
    return SliceComparisonReport(value, low, high, p, adjusted, adjusted < 1 - confidence, float(overall),
                           float(overall_low), float(overall_high), kind, confidence, correction, test)


def slice_flag_rates(shares: Any = (0.4, 0.3, 0.2, 0.1), *, rows: int = 2000, accuracy: float = 0.85,
                     worse: float = 0.75, alpha: float = 0.05, reps: int = 2000, seed: int | np.random.Generator | None = 0) -> pd.DataFrame:
    """How often slice flags fire, by seeded simulation: the old test against the overall value
    treated as known, and the test against the rest of the rows.

    Slices of the given shares of ``rows``, each with true accuracy ``accuracy``. Per slice:
    the false-flag rate of each test at ``alpha`` (no correction), and the power of the test
    against the rest, with Holm's correction over the slices, when only that slice's accuracy
    drops to ``worse``.

    Returns
    -------
    pandas.DataFrame
        ``share``, ``rows``, ``false_flags_vs_overall``, ``false_flags_vs_rest`` and
        ``power_vs_rest`` (Holm).

    Examples
    --------
    >>> table = slice_flag_rates(reps=500, seed=0)
    >>> table["false_flags_vs_overall"].round(3).tolist()
    [0.016, 0.006, 0.032, 0.038]
    >>> table["false_flags_vs_rest"].round(3).tolist()
    [0.048, 0.036, 0.06, 0.046]
    """
    import pandas as pd
    from scipy import stats as st

    from .._random import resolve_rng

    shares = np.asarray(shares, dtype=float)
    if shares.ndim != 1 or shares.size < 2 or np.any(shares <= 0) or abs(shares.sum() - 1) > 1e-9:
        raise parameter_error("shares", "at least two positive shares summing to 1", shares.tolist())
    rows = check_int(rows, "rows", low=20, high=10_000_000)
    accuracy = check_float(accuracy, "accuracy", low=0, high=1, low_open=True, high_open=True)
    worse = check_float(worse, "worse", low=0, high=1, low_open=True, high_open=True)
    alpha = check_float(alpha, "alpha", low=0, high=0.5, low_open=True)
    reps = check_int(reps, "reps", low=10, high=1_000_000)
    rng = resolve_rng(seed)
    n = np.maximum(np.round(shares * rows), 1)
    right = rng.binomial(n.astype(np.int64), accuracy, size=(reps, n.size)).astype(float)
    overall = right.sum(axis=1, keepdims=True) / n.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        z_old = np.abs(right / n - overall) / np.sqrt(overall * (1 - overall) / n)
    old = np.where(np.isfinite(z_old), 2 * st.norm.sf(z_old), 1.0) < alpha
    new = rest_test_pvalues("proportion", np.broadcast_to(n, right.shape), right) < alpha
    power = np.empty(n.size)
    for i in range(n.size):
        p = np.full(n.size, accuracy)
        p[i] = worse
        drawn = rng.binomial(n.astype(np.int64), p, size=(reps, n.size)).astype(float)
        holm = adjust_pvalues(rest_test_pvalues("proportion", np.broadcast_to(n, drawn.shape), drawn), "holm")
        power[i] = np.mean(holm[:, i] < alpha)
    return pd.DataFrame({"share": shares, "rows": n.astype(int), "false_flags_vs_overall": old.mean(axis=0),
                         "false_flags_vs_rest": new.mean(axis=0), "power_vs_rest": power})
