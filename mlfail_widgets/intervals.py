"""Confidence intervals for a proportion and for a mean, vectorised over many groups at once.

Used by :mod:`mlfail_widgets.slicing` (one interval per slice), by chapter 00 (how sure is
"most outages are not ML-specific"?) and wherever a chapter reports a rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_choice, check_float
from .statistics import renamed_argument

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["PROPORTION_METHODS", "mean_interval", "proportion_interval"]

PROPORTION_METHODS = ("wilson", "clopper-pearson", "normal")


def proportion_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95, method: str = "wilson", *,
                        level: float | None = None) -> tuple:
    """Two-sided confidence interval for a binomial proportion ``successes / n``.

    Parameters
    ----------
    successes, n : int or array of int
        Counts; arrays give one interval per element. ``n = 0`` gives ``(nan, nan)``.
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    method : {"wilson", "clopper-pearson", "normal"}
        Wilson's score interval (good coverage, the default); Clopper-Pearson's exact interval
        (conservative, from beta quantiles); the normal (Wald) interval, which undercovers for
        small n or extreme proportions and is shown for comparison.
    level : float, optional
        The old name of ``confidence`` (deprecated).

    Returns
    -------
    low, high : float or ndarray

    Notes
    -----
    Wilson: centre ``(p + z²/2n) / (1 + z²/n)``, half-width
    ``z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)``. Clopper-Pearson: ``Beta(α/2; x, n-x+1)`` and
    ``Beta(1-α/2; x+1, n-x)``.

    Examples
    --------
    60 of the 96 outages in Papasian and Underwood's study were not ML-specific:

    >>> low, high = proportion_interval(60, 96)
    >>> round(low, 3), round(high, 3)
    (0.525, 0.715)
    >>> [round(v, 3) for v in proportion_interval(60, 96, method="clopper-pearson")]
    [0.52, 0.722]
    """
    from scipy import stats

    confidence = renamed_argument("confidence", confidence, "level", level, 0.95)
    confidence = check_float(confidence, "confidence", low=0, high=1, low_open=True,
                             high_open=True)
    method = check_choice(method, "method", PROPORTION_METHODS)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        if method == "clopper-pearson":
            low = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
            high = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
        else:
            z = stats.norm.ppf(1 - alpha / 2)
            if method == "wilson":
                centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
                half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
            else:
                centre = p
                half = z * np.sqrt(p * (1 - p) / n)
            low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = n <= 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def mean_interval(mean: ArrayLike, std: ArrayLike, n: ArrayLike, confidence: float = 0.95, *, level: float | None = None) -> tuple:
    """Student-t interval for a mean from its sample mean, standard deviation and size.

    ``n < 2`` gives ``(nan, nan)``: one value says nothing about spread. ``confidence`` is the
    confidence level, in (0, 1) (``level``: its old name, deprecated).

    Examples
    --------
    >>> [round(v, 3) for v in mean_interval(10.0, 2.0, 25)]
    [9.174, 10.826]
    """
    from scipy import stats

    confidence = renamed_argument("confidence", confidence, "level", level, 0.95)
    confidence = check_float(confidence, "confidence", low=0, high=1, low_open=True,
                             high_open=True)
    mean, std, n = (np.asarray(v, dtype=float) for v in (mean, std, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(1 - (1 - confidence) / 2, np.maximum(n - 1, 1))
        half = t * std / np.sqrt(n)
    low = np.where(n < 2, np.nan, mean - half)
    high = np.where(n < 2, np.nan, mean + half)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
