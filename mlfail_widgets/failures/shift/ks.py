"""Two-sample Kolmogorov-Smirnov test, with a reference prepared once for many windows.

:class:`KSReference` sorts each reference column once, so many current samples (or every
window of a stream) are tested against it in ``O(m log n)`` each; :func:`ks_test` is the
one-shot form, equal to ``scipy.stats.ks_2samp``. The Wasserstein distance reuses the same
sorted reference (:meth:`KSReference.wasserstein`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..._validation import check_choice, parameter_error
from ._inputs import numeric_matrix

__all__ = ["KS_EXACT_MAX_N", "KSReference", "KSResult", "ks_test"]

#: scipy's rule for ``method="auto"``: exact p-values while both samples have at most this many rows.
KS_EXACT_MAX_N = 10_000


@dataclass
class KSResult:
    """Two-sample Kolmogorov-Smirnov statistics and p-values, one per column (or window).

    ``statistic`` and ``pvalue`` are floats for a single column, arrays otherwise;
    ``method`` is "exact" or "asymp" (the same for all, since the sizes are the same).
    """

    statistic: Any
    pvalue: Any
    method: str
    columns: list | None = None


@lru_cache(maxsize=4096)
def _exact_pvalue(n_ref: int, n_cur: int, ref_count: int, cur_count: int):
    """scipy's exact two-sided p-value (and its rounded statistic) for one ECDF gap.

    scipy computes exact p-values by counting lattice paths in a compiled helper that is not
    public. We ask ``scipy.stats.ks_2samp`` itself, on two step samples of the same sizes whose
    ECDFs differ by exactly the same gap, so the number is scipy's by construction.
    """
    from scipy.stats import ks_2samp

    first = np.repeat([0.0, 1.0], [ref_count, n_ref - ref_count])
    second = np.repeat([0.0, 1.0], [cur_count, n_cur - cur_count])
    result = ks_2samp(first, second, method="exact")
    return float(result.statistic), float(result.pvalue)


def _tie_counts(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element of each sorted row: how many in its row are < it, and <= it."""
    width = rows.shape[1]
    index = np.broadcast_to(np.arange(width), rows.shape)
    if not (rows[:, 1:] == rows[:, :-1]).any():  # no ties: ranks are positions
        return index, index + 1
    first = np.ones(rows.shape, bool)
    first[:, 1:] = rows[:, 1:] != rows[:, :-1]
    below = np.maximum.accumulate(np.where(first, index, 0), axis=1)
    last = np.ones(rows.shape, bool)
    last[:, :-1] = rows[:, :-1] != rows[:, 1:]
    upto = np.minimum.accumulate(np.where(last, index, width - 1)[:, ::-1], axis=1)[:, ::-1] + 1
    return below, upto


class KSReference:
    """A reference sample prepared once (each column sorted) for many KS tests and distances.

    Parameters
    ----------
    reference : array-like of shape (n,) or (n, k), or DataFrame
        The training-time data; numeric columns only.
    columns : list of str, optional
        With a DataFrame, the columns to use (default: all).

    Notes
    -----
    The two-sided statistic is ``D = max |F_ref(x) - F_cur(x)|``. Both ECDFs are step functions,
    so the largest gap in each direction is found at a current point or just before one: with
    the current sample sorted, ``np.searchsorted`` into the sorted reference gives both ECDFs
    there in ``O(m log n)``. Every gap is computed as ``count_ref / n - count_cur / m``, the very
    floating-point operations scipy uses, so the statistics are scipy's bit for bit.

    P-values follow scipy's ``method="auto"`` rule: exact when both samples have at most
    :data:`KS_EXACT_MAX_N` rows, otherwise Smirnov's asymptotic distribution
    ``scipy.stats.kstwo.sf(D, round(n m / (n + m)))``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> reference = KSReference(rng.normal(size=(20_000, 2)))
    >>> result = reference.test(rng.normal([0.0, 0.2], 1, size=(20_000, 2)))
    >>> result.method, (result.pvalue < 0.05).tolist()
    ('asymp', [False, True])
    """

    def __init__(self, reference: Any, columns: Any = None) -> None:
        array, self.columns = numeric_matrix(reference, "reference", columns=columns)
        self.n = array.shape[0]
        self.sorted_ = np.array(array.T, order="C", copy=True)  # one row per column, ours
        self.sorted_.sort(axis=1)
        self._prefix: np.ndarray | None = None
        self._std: np.ndarray | None = None

    @property
    def std_(self) -> np.ndarray:
        """Standard deviation of each reference column (ddof=0)."""
        if self._std is None:
            self._std = self.sorted_.std(axis=1)
        return self._std

    @property
    def n_columns(self) -> int:
        return self.sorted_.shape[0]

    def _windows(self, current) -> np.ndarray:
        array = np.asarray(current, dtype=float) if not hasattr(current, "columns") else current
        if isinstance(array, np.ndarray) and array.ndim == 3:  # (windows, rows, columns)
            if array.shape[1] == 0:
                raise parameter_error("current", "at least one row per window", "empty windows")
            windows = array
        else:
            matrix, _ = numeric_matrix(current, "current", columns=self.columns)
            windows = matrix[None]
        if windows.shape[2] != self.n_columns:
            raise parameter_error("current", f"{self.n_columns} columns like the reference",
                                  f"{windows.shape[2]} columns")
        if not np.isfinite(windows).all():
            raise parameter_error("current", "finite numbers", "NaN or infinite values",
                                  fix="Drop or impute missing values before testing for drift.")
        return windows

    def gaps(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Largest ECDF gaps of each window and column against the reference.

        Returns ``(d, ref_count, cur_count)``, arrays of shape (windows, columns): the
        statistic and the two counts (reference, current) at which it is reached.
        """
        n_windows, m, k = windows.shape
        n = self.n
        shape = (n_windows, k)
        d = np.empty(shape)
        ref_count = np.empty(shape, dtype=np.int64)
        cur_count = np.empty(shape, dtype=np.int64)
        rows = np.arange(n_windows)
        columns = np.array(windows.transpose(2, 0, 1), order="C", copy=True)  # ours: sorted in place
        for j in range(k):
            current = columns[j]
            current.sort(axis=1)
            flat = current.ravel()
            reference = self.sorted_[j]
            ref_le = np.searchsorted(reference, flat, side="right")
            if (reference[np.maximum(ref_le - 1, 0)] == flat).any():  # ties with the reference
                ref_lt = np.searchsorted(reference, flat, side="left").reshape(n_windows, m)
            else:
                ref_lt = ref_le.reshape(n_windows, m)
            ref_le = ref_le.reshape(n_windows, m)
            cur_lt, cur_le = _tie_counts(current)
            plus = ref_lt / n - cur_lt / m  # F_ref - F_cur just before each current point
            below = cur_le / m - ref_le / n  # F_cur - F_ref at each current point
            i_plus = plus.argmax(axis=1)
            i_minus = below.argmax(axis=1)
            max_plus = np.maximum(plus[rows, i_plus], 0.0)
            max_minus = np.clip(below[rows, i_minus], 0.0, 1.0)
            is_minus = max_minus > max_plus
            d[:, j] = np.where(is_minus, max_minus, max_plus)
            ref_count[:, j] = np.where(is_minus, ref_le[rows, i_minus], ref_lt[rows, i_plus])
            cur_count[:, j] = np.where(is_minus, cur_le[rows, i_minus], cur_lt[rows, i_plus])
        return d, ref_count, cur_count

    def test_windows(self, windows: Any, method: str = "auto") -> KSResult:
        """KS test of every window (array of shape (windows, rows, columns)) and column."""
        method = check_choice(method, "method", ("auto", "exact", "asymp"))
        windows = self._windows(windows)
        m = windows.shape[1]
        d, ref_count, cur_count = self.gaps(windows)
        if method == "auto":
            method = "exact" if max(self.n, m) <= KS_EXACT_MAX_N else "asymp"
        elif method == "exact" and (self.n // math.gcd(self.n, m)) >= np.iinfo(np.int32).max / (m // math.gcd(self.n, m)):
            method = "asymp"  # scipy switches too: the lattice is too large
        if method == "exact":
            pvalue = np.empty_like(d)
            for index in np.ndindex(d.shape):
                if d[index] == 0:
                    pvalue[index] = 1.0
                    continue
                d[index], pvalue[index] = _exact_pvalue(self.n, m, int(ref_count[index]),
                                                        int(cur_count[index]))
        else:
            from scipy.stats import kstwo

            big, small = sorted([float(self.n), float(m)], reverse=True)
            effective = np.round(big * small / (big + small))
            unique, inverse = np.unique(d, return_inverse=True)
            pvalue = np.clip(kstwo.sf(unique, effective), 0, 1)[inverse].reshape(d.shape)
        return KSResult(d, pvalue, method, self.columns)

    def test(self, current: Any, method: str = "auto") -> KSResult:
        """KS test of ``current`` (same columns as the reference) against the reference."""
        method = check_choice(method, "method", ("auto", "exact", "asymp"))
        result = self.test_windows(self._windows(current), method)
        result.statistic, result.pvalue = result.statistic[0], result.pvalue[0]
        if self.n_columns == 1 and self.columns is None:
            result.statistic, result.pvalue = float(result.statistic[0]), float(result.pvalue[0])
        return result

    # ------------------------------------------------------------------ Wasserstein
    def _area_below(self, j: int, x: np.ndarray) -> np.ndarray:
        """Integral of F_ref from -inf to x, for the sorted reference column j."""
        if self._prefix is None:
            self._prefix = np.concatenate([np.zeros((self.n_columns, 1)),
                                           np.cumsum(self.sorted_, axis=1)], axis=1)
        count = np.searchsorted(self.sorted_[j], x, side="right")
        return (count * x - self._prefix[j][count]) / self.n

    def wasserstein(self, windows: Any, normed: bool = False) -> np.ndarray:
        """First Wasserstein distance of each window and column to the reference.

        Integrates ``|F_ref - F_cur|`` piece by piece between consecutive current points, with
        prefix sums of the sorted reference, so a window of m rows costs ``O(m log n)``.
        """
        windows = self._windows(windows)
        n_windows, m, k = windows.shape
        distance = np.empty((n_windows, k))
        level = np.arange(m + 1) / m  # F_cur on [w_k, w_k+1)
        need = (np.arange(m + 1) * self.n + m - 1) // m  # reference points needed to reach it
        for j in range(k):
            reference = self.sorted_[j]
            current = np.sort(windows[:, :, j], axis=1)
            low = np.concatenate([np.minimum(reference[0], current[:, :1]), current], axis=1)
            high = np.concatenate([current, np.maximum(reference[-1], current[:, -1:])], axis=1)
            crossing = np.where(need > 0, reference[np.maximum(need - 1, 0)], -np.inf)
            cross = np.clip(crossing, low, high)
            area_low, area_cross, area_high = (self._area_below(j, v.ravel()).reshape(v.shape)
                                               for v in (low, cross, high))
            under = level * (cross - low) - (area_cross - area_low)
            over = (area_high - area_cross) - level * (high - cross)
            distance[:, j] = (under + over).sum(axis=1)
        if normed:
            distance = distance / np.maximum(self.std_, 0.001)
        return distance


def ks_test(reference: Any, current: Any, *, method: str = "auto", columns: Any = None) -> KSResult:
    """Two-sample Kolmogorov-Smirnov test, column by column; equal to ``scipy.stats.ks_2samp``.

    Parameters
    ----------
    reference, current : array-like of shape (n,) or (n, k), or DataFrame
        Numeric samples (a categorical column is refused: use :func:`chi_square_test`).
    method : {"auto", "exact", "asymp"}, default="auto"
        As in scipy: "auto" is exact while both samples have at most 10,000 rows.
    columns : list of str, optional
        With DataFrames, the columns to test.

    Returns
    -------
    KSResult
        Floats for 1-D input, arrays of one value per column otherwise.

    See Also
    --------
    KSReference : prepare the reference once to test many samples against it.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> result = ks_test(rng.normal(size=300), rng.normal(0.5, 1, size=200))
    >>> round(result.statistic, 3), result.pvalue < 0.001, result.method
    (0.327, True, 'exact')
    """
    return KSReference(reference, columns=columns).test(current, method=method)
