"""Windowed monitoring of a stream against a reference: alarms, detection delay, false alarms.

A monitor cuts the stream into consecutive windows of ``window`` rows and compares each with
the training-time reference. The reference is prepared once (:class:`KSReference`: every
column sorted), so each window costs ``O(window * log(reference))`` per feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_choice, check_float, check_int, parameter_error
from ...statistics import adjust_pvalues, check_correction, psi_from_counts, renamed_argument
from ._inputs import is_categorical, numeric_matrix
from .ks import KSReference

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["DETECTORS", "MonitoringResult", "monitor_stream", "window_tradeoff"]

#: Window detectors, with their default thresholds: a level for p-values, a distance otherwise.
DETECTORS = {"ks": 0.05, "wasserstein": 0.1, "psi": 0.2}


@dataclass
class MonitoringResult:
    """What a windowed monitor saw.

    Attributes
    ----------
    starts : numpy.ndarray
        First row of each window.
    statistics : numpy.ndarray of shape (windows, features)
        KS statistic, normed Wasserstein distance or PSI of each window and feature.
    pvalues : numpy.ndarray or None
        Adjusted KS p-values (None for the distance detectors).
    score : numpy.ndarray
        One number per window: the smallest adjusted p-value, or the largest distance.
    alarms : numpy.ndarray of bool
        Windows that raised an alarm.
    detector, threshold, window, correction, columns, shift_row
        The settings; ``shift_row`` is the first shifted row when known (None otherwise).
    """

    starts: np.ndarray
    statistics: np.ndarray
    pvalues: np.ndarray | None
    score: np.ndarray
    alarms: np.ndarray
    detector: str
    threshold: float
    window: int
    correction: str
    columns: list
    shift_row: int | None = None

    @property
    def ends(self) -> np.ndarray:
        """One past the last row of each window."""
        return self.starts + self.window

    @property
    def before_shift(self) -> np.ndarray:
        """Windows that end before the shift (all of them when there is none)."""
        if self.shift_row is None:
            return np.ones(self.alarms.size, bool)
        return self.ends <= self.shift_row

    @property
    def false_alarm_rate(self) -> float:
        """Share of the windows before the shift that raised an alarm (nan if there are none)."""
        before = self.before_shift
        return float(self.alarms[before].mean()) if before.any() else float("nan")

    @property
    def first_alarm(self) -> int | None:
        """Index of the first alarming window that ends after the shift (None if none)."""
        after = ~self.before_shift & self.alarms
        return int(np.flatnonzero(after)[0]) if after.any() else None

    @property
    def detection_delay(self) -> int | None:
        """Rows from the shift to the end of the first alarming window after it (None if missed)."""
        first = self.first_alarm
        if first is None or self.shift_row is None:
            return None
        return int(self.ends[first] - self.shift_row)


def _binned_counts(edges: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Counts per bin of each window (rows = windows) for inner bin ``edges``."""
    n_windows, m = windows.shape
    bins = edges.size + 1
    index = np.searchsorted(edges, windows.ravel(), side="right") + np.repeat(np.arange(n_windows) * bins, m)
    return np.bincount(index, minlength=n_windows * bins).reshape(n_windows, bins)


def _psi(reference: np.ndarray, windows: np.ndarray, bins: int = 10) -> np.ndarray:
    """PSI of each window (windows, rows, features) against decile bins of the reference."""
    out = np.empty((windows.shape[0], windows.shape[2]))
    for j in range(windows.shape[2]):
        edges = np.unique(np.quantile(reference[:, j], np.arange(1, bins) / bins))
        out[:, j] = psi_from_counts(_binned_counts(edges, reference[None, :, j])[0],
                                    _binned_counts(edges, windows[:, :, j]))
    return out


def _numeric_columns(reference, columns):
    if columns is None and hasattr(reference, "columns"):
        return [c for c in reference.columns if not is_categorical(reference[c])]
    return columns


def monitor_stream(reference: Any, stream: ArrayLike, *, window: int = 1000, detector: str = "ks",
                   threshold: float | None = None, correction: str = "bonferroni", columns: Any = None,
                   shift_row: int | None = None, prepared: KSReference | None = None) -> MonitoringResult:
    """Compare consecutive windows of a stream with the reference, feature by feature.

    Parameters
    ----------
    reference, stream : DataFrame or array-like of shape (n, k)
        Numeric features, rows of the stream in arrival order. A last window shorter than
        ``window`` is left out.
    window : int, default=1000
        Rows per window.
    detector : {"ks", "wasserstein", "psi"}, default="ks"
        KS test p-values (adjusted across features), Wasserstein distance in reference standard
        deviations, or the population stability index.
    threshold : float, optional
        Alarm when an adjusted p-value is below it ("ks") or a distance reaches it. Defaults:
        0.05, 0.1 (Evidently's default for Wasserstein) and 0.2 (PSI).
    correction : {"none", "bonferroni", "holm", "bh"}, default="bonferroni"
        Adjustment of the KS p-values for the number of features.
    columns : list of str, optional
        With DataFrames, the features (default: the numeric columns).
    shift_row : int, optional
        The first shifted row, when known: used for detection delay and false alarm rate.
    prepared : KSReference, optional
        A reference prepared earlier (to monitor several streams without re-sorting it).

    Returns
    -------
    MonitoringResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(size=(5000, 2)), rng.normal([0.3, 0.0], 1, size=(5000, 2))]
    >>> result = monitor_stream(rng.normal(size=(20_000, 2)), stream, window=1000, shift_row=5000)
    >>> result.alarms.astype(int).tolist(), result.detection_delay, result.false_alarm_rate
    ([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 1000, 0.0)
    """
    detector = check_choice(detector, "detector", tuple(DETECTORS))
    correction = check_correction(correction)
    window = check_int(window, "window", low=1, high=10_000_000)
    if threshold is None:
        threshold = DETECTORS[detector]
    threshold = check_float(threshold, "threshold", low=0, low_open=True)
    columns = _numeric_columns(reference, columns)
    if prepared is None:
        prepared = KSReference(reference, columns=columns)
    data, names = numeric_matrix(stream, "stream", columns=prepared.columns or columns,
                                 allow_empty=True)
    if data.shape[1] != prepared.n_columns:
        raise parameter_error("stream", f"{prepared.n_columns} feature columns like the reference",
                              f"{data.shape[1]} columns")
    n_windows = data.shape[0] // window
    if n_windows == 0:
        raise parameter_error("window", f"at most the stream's length ({data.shape[0]} rows)",
                              window, fix="An empty window cannot be tested: use a smaller window "
                              "or a longer stream.")
    if shift_row is not None:
        shift_row = check_int(shift_row, "shift_row", low=0)
    windows = data[: n_windows * window].reshape(n_windows, window, data.shape[1])
    pvalues = None
    if detector == "ks":
        result = prepared.test_windows(windows)
        statistics = result.statistic
        pvalues = adjust_pvalues(result.pvalue, correction)
        score = pvalues.min(axis=1)
        alarms = score < threshold
    else:
        if detector == "wasserstein":
            statistics = prepared.wasserstein(windows, normed=True)
        else:
            statistics = _psi(prepared.sorted_.T, windows)
        score = statistics.max(axis=1)
        alarms = score >= threshold
    return MonitoringResult(np.arange(n_windows) * window, statistics, pvalues, score, alarms,
                            detector, threshold, window, correction,
                            list(names or prepared.columns or range(data.shape[1])), shift_row)


def window_tradeoff(windows: Any = (100, 250, 500, 1000, 2500, 5000), *, magnitude: float = 0.2,
                    alpha: float = 0.01, rows_before: int = 20_000, rows_after: int = 20_000,
                    n_repeats: int = 20, seed: int | np.random.Generator | None = 0, level: float | None = None) -> pd.DataFrame:
    """What the window size buys: false alarms before a shift against delay after it.

    One numeric feature, standard normal, whose mean moves by ``magnitude`` standard deviations
    after ``rows_before`` rows; a KS test per window at significance level ``alpha`` against a 20,000-row reference,
    ``n_repeats`` seeded streams per window size. A window alarms when its statistic exceeds
    the critical value ``kstwo.isf(alpha, n_eff)``, which is the same decision as "p < alpha"
    without evaluating a p-value for every window. (``level`` is the old name of ``alpha``,
    deprecated.)

    Returns
    -------
    pandas.DataFrame
        One row per window size: ``window``, ``false_alarms_per_10k_rows`` (before the shift),
        ``false_alarm_rate`` (share of the windows before the shift that alarm), ``power``
        (share of the windows after the shift that alarm: how sure one window is),
        ``detected`` (share of streams with an alarm after the shift) and ``median_delay``
        (rows from the shift to the end of the first window that alarms after it; with small
        windows that first alarm is often a false one that happens to come after the shift).

    Examples
    --------
    >>> table = window_tradeoff((200, 2000), n_repeats=5, seed=0)
    >>> table["median_delay"].tolist()
    [400.0, 2000.0]
    """
    import pandas as pd
    from scipy.stats import kstwo

    magnitude = check_float(magnitude, "magnitude", low=-5, high=5)
    alpha = renamed_argument("alpha", alpha, "level", level, 0.01)
    alpha = check_float(alpha, "alpha", low=0, high=0.5, low_open=True)
    rows_before = check_int(rows_before, "rows_before", low=1, high=1_000_000)
    rows_after = check_int(rows_after, "rows_after", low=1, high=1_000_000)
    n_repeats = check_int(n_repeats, "n_repeats", low=1, high=1000)
    windows = [check_int(w, "windows", low=10, high=rows_before + rows_after) for w in windows]
    rng = resolve_rng(seed)
    reference = KSReference(rng.normal(size=20_000))
    streams = rng.normal(size=(n_repeats, rows_before + rows_after))
    streams[:, rows_before:] += magnitude
    rows = []
    for w in windows:
        n_windows = streams.shape[1] // w
        d = reference.gaps(streams[:, : n_windows * w].reshape(n_repeats * n_windows, w, 1))[0]
        big, small = sorted([float(reference.n), float(w)], reverse=True)
        alarms = (d[:, 0] > kstwo.isf(alpha, np.round(big * small / (big + small)))).reshape(n_repeats, n_windows)
        ends = (np.arange(n_windows) + 1) * w
        before = ends <= rows_before
        after = alarms & ~before
        shifted = (ends - w) >= rows_before  # windows made only of shifted rows
        delays = np.where(after.any(axis=1), ends[after.argmax(axis=1)] - rows_before, np.nan)
        rows.append((w, alarms[:, before].sum() / (n_repeats * rows_before) * 10_000,
                     float(alarms[:, before].mean()) if before.any() else np.nan,
                     float(alarms[:, shifted].mean()) if shifted.any() else np.nan,
                     float(np.isfinite(delays).mean()),
                     float(np.nanmedian(delays)) if np.isfinite(delays).any() else np.nan))
    return pd.DataFrame(rows, columns=["window", "false_alarms_per_10k_rows", "false_alarm_rate",
                                       "power", "detected", "median_delay"])
