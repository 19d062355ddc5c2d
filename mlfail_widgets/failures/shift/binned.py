"""The shift tests of chapter 05 from counts alone: what a database can return for a huge log.

A database (DuckDB, Spark, ...) answers a ``GROUP BY`` with a few thousand numbers however
many rows it reads: rows per category, or per bin of a numeric column. These functions
compute the course's shift statistics from such counts, and, where the counts lose
information (a numeric column cut into bins), the bound on what was lost:

* :func:`binned_ks` and :func:`binned_ks_test`: the Kolmogorov-Smirnov statistic lies
  between two values the bins allow, and the p-value between the two p-values these give;
* :func:`binned_wasserstein`: the first Wasserstein distance and its error bound;
* :func:`jensen_shannon_from_counts`: the Jensen-Shannon distance (exact from counts, as
  :func:`~mlfail_widgets.failures.shift.jensen_shannon_distance` computes it on its bins);
* :func:`merge_bins`: fine bins merged at the reference's quantiles (deciles for PSI).

PSI from counts is :func:`mlfail_widgets.statistics.psi_from_counts` and its null threshold
:func:`mlfail_widgets.statistics.psi_null`; chi-square from a table of counts is
:func:`mlfail_widgets.failures.shift.chi_square_from_counts` (the same test as ``chi_square_test``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..._renamed import renamed_classes
from ..._validation import check_float, check_int, parameter_error

__all__ = ["BinnedKSResult", "binned_ks", "binned_ks_test", "binned_wasserstein", "jensen_shannon_from_counts",
           "merge_bins"]


def _pair(reference_counts: ArrayLike, current_counts: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D arrays of counts in the same bins, each with a positive total."""
    r = np.asarray(reference_counts, dtype=float)
    c = np.asarray(current_counts, dtype=float)
    for name, x in (("reference_counts", r), ("current_counts", c)):
        if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all() or (x < 0).any() or x.sum() <= 0:
            raise parameter_error(name, "counts per bin: a 1-D array of non-negative numbers with a positive total",
                                  reference_counts if name == "reference_counts" else current_counts,
                                  fix="Pass the rows per bin (or category) of each sample, in the same bins.")
    if r.size != c.size:
        raise parameter_error("current_counts", f"as many bins as reference_counts ({r.size})", f"{c.size} bins",
                              fix="Count both samples in the same bins.")
    return r, c


def _ecdfs(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both ECDFs at the bins' edges (0 below the first bin, 1 above the last)."""
    return (np.concatenate([[0.0], np.cumsum(r)]) / r.sum(), np.concatenate([[0.0], np.cumsum(c)]) / c.sum())


def binned_ks(reference_counts: ArrayLike, current_counts: ArrayLike,
              edges: ArrayLike | None = None) -> tuple[float, float]:
    """Bounds on the two-sample Kolmogorov-Smirnov statistic from counts in the same ordered bins.

    Each bin is ``[e_i, e_i+1)``. At a bin's lower edge both ECDFs are known exactly (the share
    of rows in the bins below); inside it, each lies between its values at the two edges.

    Parameters
    ----------
    reference_counts, current_counts : array-like
        Rows of each sample per bin, the bins in increasing order.
    edges : array-like, optional
        The bins' edges (one more than bins). A bin of zero width holds a single value: both
        ECDFs jump there together, so it adds no uncertainty (a discrete column binned at its
        values gets the exact statistic).

    Returns
    -------
    low, high : float
        ``low <= D <= high``: ``low`` is the largest gap at an edge, ``high`` the largest gap
        the bins allow (at most ``low`` plus the largest share of one bin).

    Examples
    --------
    Two samples whose bins hold (5, 5, 0) and (0, 5, 5) rows: D is 0.5 at the edges, and could
    reach 1.0 if the first sample sat at the top of its first bin and the second at its bottom.

    >>> binned_ks([5, 5, 0], [0, 5, 5])
    (0.5, 1.0)
    >>> binned_ks([1] * 100, [1] * 100)
    (0.0, 0.01)

    The same counts at three single values 1, 2 and 3 (bins of zero width, empty bins between):
    D is known exactly.

    >>> binned_ks([5, 0, 5, 0, 0], [0, 0, 5, 0, 5], edges=[1, 1, 2, 2, 3, 3])
    (0.5, 0.5)
    """
    r, c = _pair(reference_counts, current_counts)
    fr, fc = _ecdfs(r, c)
    low = float(np.abs(fr - fc).max())
    inside = np.maximum(fr[1:] - fc[:-1], fc[1:] - fr[:-1])
    if edges is not None:
        width = _widths(edges, r.size)
        inside = np.where(width > 0, inside, 0.0)
    return low, float(max(np.max(inside), low))


def _widths(edges: ArrayLike, bins: int) -> np.ndarray:
    """Bin widths from ``bins + 1`` increasing finite edges (or one width for all bins)."""
    width = np.asarray(edges, dtype=float)
    if width.ndim == 0:
        width = np.full(bins, float(width))
    elif width.ndim == 1 and width.size == bins + 1:
        width = np.diff(width)
    else:
        raise parameter_error("edges", f"{bins + 1} bin edges (or one bin width)", f"{width.size} values",
                              fix="Pass the edges the counts were made with, outer ones included.")
    if not np.isfinite(width).all() or (width < 0).any():
        raise parameter_error("edges", "finite, increasing bin edges", edges,
                              fix="Use the smallest and largest value as the outer edges.")
    return width


@dataclass(frozen=True)
class BinnedKSResult:
    """The KS test from binned counts: the statistic at the bins' edges and what the bins allow.

    ``statistic`` is the largest gap at an edge (a lower bound on D), ``statistic_bound`` how
    much larger D may be; ``pvalue`` is the largest p-value the bound allows (the one to flag
    with: the test's level still holds), ``pvalue_low`` the smallest.
    """

    statistic: float
    statistic_bound: float
    pvalue: float
    pvalue_low: float


def binned_ks_test(reference_counts: ArrayLike, current_counts: ArrayLike,
                   edges: ArrayLike | None = None) -> BinnedKSResult:
    """The two-sample KS test from counts in the same bins, with its error bound.

    The p-values are the asymptotic ones of
    :func:`~mlfail_widgets.failures.shift.ks_test` on large samples,
    ``scipy.stats.kstwo.sf(D, round(n m / (n + m)))``, at the two ends of the range of D
    that :func:`binned_ks` gives.

    Parameters
    ----------
    reference_counts, current_counts : array-like
        Rows of each sample per bin (integers: their totals are the sample sizes).
    edges : array-like, optional
        As in :func:`binned_ks`.

    Returns
    -------
    BinnedKSResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> edges = np.quantile(rng.normal(size=10_000), np.linspace(0, 1, 201))
    >>> edges[[0, -1]] = -np.inf, np.inf
    >>> a, b = rng.normal(size=50_000), rng.normal(0.05, 1, size=50_000)
    >>> result = binned_ks_test(np.histogram(a, edges)[0], np.histogram(b, edges)[0])
    >>> round(result.statistic, 4), round(result.statistic_bound, 4), result.pvalue < 1e-6
    (0.0205, 0.0056, True)
    """
    from scipy.stats import kstwo

    r, c = _pair(reference_counts, current_counts)
    low, high = binned_ks(r, c, edges)
    big, small = sorted((float(r.sum()), float(c.sum())), reverse=True)
    effective = max(np.round(big * small / (big + small)), 1.0)
    p_high = float(np.clip(kstwo.sf(low, effective), 0, 1)) if low > 0 else 1.0
    p_low = float(np.clip(kstwo.sf(high, effective), 0, 1))
    return BinnedKSResult(low, high - low, p_high, p_low)


def binned_wasserstein(reference_counts: ArrayLike, current_counts: ArrayLike,
                       edges: ArrayLike | float) -> tuple[float, float]:
    """The first Wasserstein distance from counts in the same bins, and its error bound.

    The estimate integrates ``|F_ref - F_cur|`` with both ECDFs taken linear inside a bin; the
    bound is the largest amount by which the true area can differ, given that each ECDF lies
    between its values at the bin's edges.

    Parameters
    ----------
    reference_counts, current_counts : array-like
        Rows of each sample per bin.
    edges : array-like or float
        The bins' edges (one more than bins, increasing, finite: the outer ones the smallest
        and largest value), or one number, the width of equal bins.

    Returns
    -------
    estimate, bound : float
        The true distance lies in ``[estimate - bound, estimate + bound]``.

    Examples
    --------
    >>> binned_wasserstein([10, 0, 0], [0, 0, 10], 1.0)
    (2.0, 1.0)
    >>> binned_wasserstein([10, 0, 0], [0, 0, 10], [0.0, 1.0, 2.0, 3.0])
    (2.0, 1.0)
    """
    r, c = _pair(reference_counts, current_counts)
    width = _widths(edges, r.size)
    fr, fc = _ecdfs(r, c)
    a, b = fr[:-1] - fc[:-1], fr[1:] - fc[1:]  # the gap at the two edges of each bin
    # |linear gap| integrated exactly over the bin (it may cross zero once)
    same = a * b >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(same, 0.0, (a * a + b * b) / (2 * (np.abs(a) + np.abs(b))))
    estimate = np.where(same, (np.abs(a) + np.abs(b)) / 2, crossing)
    high = np.maximum(fr[1:] - fc[:-1], fc[1:] - fr[:-1])
    low = np.maximum.reduce([np.zeros_like(a), fr[:-1] - fc[1:], fc[:-1] - fr[1:]])
    bound = np.maximum(high - estimate, estimate - low)
    return float((estimate * width).sum()), float((bound * width).sum())


def jensen_shannon_from_counts(reference_counts: ArrayLike, current_counts: ArrayLike, *,
                               base: float = 2.0) -> float:
    """The Jensen-Shannon distance between two samples' shares of the same bins.

    The number :func:`~mlfail_widgets.failures.shift.jensen_shannon_distance` and
    ``scipy.spatial.distance.jensenshannon(r, c, base=base)`` give on these shares.

    Examples
    --------
    >>> jensen_shannon_from_counts([10, 0], [0, 10])
    1.0
    >>> round(jensen_shannon_from_counts([2, 0], [1, 1]), 4)
    0.5579
    """
    base = check_float(base, "base", low=1, low_open=True)
    r, c = _pair(reference_counts, current_counts)
    r, c = r / r.sum(), c / c.sum()
    middle = (r + c) / 2

    def kl(p: np.ndarray) -> float:
        inside = p > 0
        return float((p[inside] * np.log(p[inside] / middle[inside])).sum())

    return float(np.sqrt(max((kl(r) + kl(c)) / 2, 0.0) / np.log(base)))


def merge_bins(reference_counts: ArrayLike, current_counts: ArrayLike,
               bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Fine bins merged into about ``bins`` bins cut at the reference's quantiles.

    Each cut is the fine-bin edge at or just above a quantile of the reference (empty
    duplicates dropped, as ``np.unique`` of quantiles does), so the merged bins are the
    reference's deciles (for ``bins=10``) to within one fine bin: the bins PSI and
    Jensen-Shannon use.

    Returns
    -------
    reference, current : numpy.ndarray
        Counts per merged bin.

    Examples
    --------
    >>> merge_bins([1] * 20, [2] * 20, bins=4)
    (array([5., 5., 5., 5.]), array([10., 10., 10., 10.]))
    """
    bins = check_int(bins, "bins", low=2, high=1000)
    r, c = _pair(reference_counts, current_counts)
    cumulative = np.cumsum(r) / r.sum()
    cuts = np.unique(np.searchsorted(cumulative, np.arange(1, bins) / bins - 1e-12, side="left") + 1)
    cuts = cuts[(cuts > 0) & (cuts < r.size)]
    return np.add.reduceat(r, np.r_[0, cuts]), np.add.reduceat(c, np.r_[0, cuts])


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"BinnedKS": BinnedKSResult})
