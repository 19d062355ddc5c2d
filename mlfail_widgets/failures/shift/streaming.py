"""Streaming change detectors for one number per step: Page-Hinkley and CUSUM.

Each comes twice: a small class with river's API (``update(x)``, ``drift_detected``) that shows
the algorithm one value at a time, and a function that runs it over a whole array with numpy
and returns the same detection indices.

A detector resets after each detection, so the run is sequential *between* detections only:
from the last reset, cumulative sums and running minima/maxima give the test statistic at every
later step in a few numpy calls; the first step past the threshold is the detection, and the
next segment starts after it. Python loops once per detection, not once per value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..._validation import check_choice, check_float, check_int, parameter_error

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Cusum", "PageHinkley", "cusum", "cusum_run_length", "page_hinkley"]

MODES = ("up", "down", "both")
_FIRST_CHUNK = 2048


def _check(min_instances, delta, threshold, mode, alpha=1.0):
    return (check_int(min_instances, "min_instances", low=1),
            check_float(delta, "delta", low=0),
            check_float(threshold, "threshold", low=0, low_open=True),
            check_choice(mode, "mode", MODES),
            check_float(alpha, "alpha", low=0, high=1, low_open=True))


def _stream(values) -> np.ndarray:
    x = np.asarray(values)
    if x.dtype.kind not in "iufb" or x.ndim != 1:
        raise parameter_error("stream", "a 1-D array of numbers",
                              f"an array of dtype {x.dtype} and shape {x.shape}")
    x = x.astype(float)
    if not np.isfinite(x).all():
        raise parameter_error("stream", "finite numbers", "NaN or infinite values",
                              fix="Drop or fill the missing values first.")
    return x


class PageHinkley:
    """Page-Hinkley test for a change in the mean of a stream; the same rules as river's.

    Parameters
    ----------
    min_instances : int, default=30
        Values seen since the last reset before a detection is allowed.
    delta : float, default=0.005
        Tolerated change per step (the test ignores drifts of the mean smaller than this).
    threshold : float, default=50.0
        The detection threshold (lambda).
    alpha : float, default=0.9999
        Forgetting factor of the cumulative sums.
    mode : {"up", "down", "both"}, default="both"
        Detect increases, decreases, or both.

    Notes
    -----
    With ``mean_t`` the running mean since the last reset and ``dev_t = x_t - mean_t``::

        up_t   = alpha * up_{t-1}   + dev_t - delta,   test: up_t - min(up)     > threshold
        down_t = alpha * down_{t-1} + dev_t + delta,   test: max(-1, down) - down_t > threshold

    After a detection, the next value resets the mean and both sums (river's ``PageHinkley``,
    including its starting maximum of -1 for ``down``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(0, 1, 500), rng.normal(3, 1, 500)]
    >>> detector = PageHinkley()
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [514]
    """

    def __init__(self, min_instances: int = 30, delta: float = 0.005, threshold: float = 50.0,
                 alpha: float = 1 - 0.0001, mode: str = "both"):
        self.min_instances, self.delta, self.threshold, self.mode, self.alpha = _check(
            min_instances, delta, threshold, mode, alpha)
        self._reset()

    def _reset(self) -> None:
        self.drift_detected = False
        self.n = 0
        self.mean = 0.0
        self.up = 0.0
        self.down = 0.0
        self.min_up = float("inf")
        self.max_down = -1.0

    def update(self, x: float) -> PageHinkley:
        """Take one value; ``drift_detected`` tells whether it triggered a detection."""
        if self.drift_detected:
            self._reset()
        self.n += 1
        self.mean += (1.0 / self.n) * (x - self.mean)
        dev = x - self.mean
        self.up = self.alpha * self.up + dev - self.delta
        self.down = self.alpha * self.down + dev + self.delta
        self.min_up = min(self.min_up, self.up)
        self.max_down = max(self.max_down, self.down)
        if self.n >= self.min_instances:
            up = self.up - self.min_up > self.threshold
            down = self.max_down - self.down > self.threshold
            self.drift_detected = {"up": up, "down": down, "both": up or down}[self.mode]
        return self


class Cusum:
    """Two-sided tabular CUSUM (Page, 1954) around a known target or the mean of the first values.

    The target mean is ``target`` when it is known (a specification, or the mean of a large
    reference), otherwise the mean of the first ``min_instances`` values after each reset; then
    ``high_t = max(0, high_{t-1} + x_t - target - delta)`` and
    ``low_t = max(0, low_{t-1} - x_t + target - delta)``, and a detection is declared when the
    statistic of the chosen ``mode`` exceeds ``threshold``. Unlike Page-Hinkley, the target is
    frozen after the warm-up, so a slow drift is measured against where the stream started.

    A target estimated from a short warm-up makes the run length to a false alarm heavy-tailed:
    when the estimate lands low, an unchanged stream drifts "up" against it and alarms early;
    when it lands high, almost never. :func:`cusum_run_length` measures it: give ``target``
    when you know it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(0, 1, 500), rng.normal(1, 1, 500)]
    >>> detector = Cusum(delta=0.5, threshold=10)
    >>> [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    [514]
    """

    def __init__(self, min_instances: int = 30, delta: float = 0.5, threshold: float = 10.0,
                 mode: str = "both", target: float | None = None):
        self.min_instances, self.delta, self.threshold, self.mode, _ = _check(
            min_instances, delta, threshold, mode)
        self.known_target = None if target is None else check_float(target, "target")
        self._reset()

    def _reset(self) -> None:
        self.drift_detected = False
        self.n = 0
        self.total = 0.0
        self.target = float("nan") if self.known_target is None else self.known_target
        self.high = 0.0
        self.low = 0.0

    def update(self, x: float) -> Cusum:
        """Take one value; ``drift_detected`` tells whether it triggered a detection."""
        if self.drift_detected:
            self._reset()
        self.n += 1
        if self.known_target is None and self.n <= self.min_instances:
            self.total += x
            if self.n == self.min_instances:
                self.target = self.total / self.n
            return self
        self.high = max(0.0, self.high + x - self.target - self.delta)
        self.low = max(0.0, self.low - x + self.target - self.delta)
        up, down = self.high > self.threshold, self.low > self.threshold
        self.drift_detected = {"up": up, "down": down, "both": up or down}[self.mode]
        return self


def _run(x: np.ndarray, segment) -> np.ndarray:
    """Drive ``segment(x, start, state, stop) -> (hit, state, done)`` chunk by chunk.

    ``hit`` is the index of a detection (or None), ``done`` how far the segment got.
    """
    detections = []
    start, state, chunk = 0, None, _FIRST_CHUNK
    while start < x.size:
        hit, state, done = segment(x, start, state, min(x.size, start + chunk))
        if hit is None:
            start, chunk = done, chunk * 2
        else:
            detections.append(hit)
            chunk = max(_FIRST_CHUNK, 2 * (hit + 1 - start))
            start, state = hit + 1, None
    return np.asarray(detections, dtype=np.int64)


def page_hinkley(stream: ArrayLike, *, min_instances: int = 30, delta: float = 0.005, threshold: float = 50.0,
                 alpha: float = 1 - 0.0001, mode: str = "both") -> np.ndarray:
    """Indices at which :class:`PageHinkley` detects a change, computed with numpy.

    The parameters and the detections are those of :class:`PageHinkley` (and river's). The
    running mean is ``cumsum(x) / n``; the faded sums are a first-order linear recurrence,
    solved by ``scipy.signal.lfilter``; the running min/max are ``np.minimum.accumulate``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> page_hinkley(np.r_[rng.normal(0, 1, 500), rng.normal(3, 1, 500)]).tolist()
    [514]
    """
    from scipy.signal import lfilter

    min_instances, delta, threshold, mode, alpha = _check(min_instances, delta,
                                                         threshold, mode, alpha)
    x = _stream(stream)
    feedback = [1.0, -alpha]

    def segment(x, start, state, stop):
        n0, total, up, down, min_up, max_down = state or (0, 0.0, 0.0, 0.0, np.inf, -1.0)
        part = x[start:stop]
        running = total + np.cumsum(part)
        dev = part - running / np.arange(n0 + 1, n0 + part.size + 1)
        sums = lfilter([1.0], feedback, np.vstack([dev - delta, dev + delta]), axis=1,
                       zi=[[alpha * up], [alpha * down]])[0]
        ups, downs = sums[0], sums[1]
        lowest = np.minimum(np.minimum.accumulate(ups), min_up)
        highest = np.maximum(np.maximum.accumulate(downs), max_down)
        if mode == "up":
            fired = ups - lowest > threshold
        elif mode == "down":
            fired = highest - downs > threshold
        else:
            fired = (ups - lowest > threshold) | (highest - downs > threshold)
        fired[: max(0, min_instances - n0 - 1)] = False  # too few values since the reset
        hit = int(fired.argmax())
        if fired[hit]:
            return start + hit, None, None
        return None, (n0 + part.size, running[-1], ups[-1], downs[-1], lowest[-1], highest[-1]), stop

    return _run(x, segment)


def cusum(stream: ArrayLike, *, min_instances: int = 30, delta: float = 0.5, threshold: float = 10.0,
          mode: str = "both", target: float | None = None) -> np.ndarray:
    """Indices at which :class:`Cusum` detects a change, computed with numpy.

    ``max(0, s + z)`` recursions are running maxima in disguise:
    ``high_t = C_t - min(0, min_{j<=t} C_j)`` with ``C`` the cumulative sum of
    ``x - target - delta`` since the warm-up (no warm-up when ``target`` is given).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cusum(np.r_[rng.normal(0, 1, 500), rng.normal(1, 1, 500)], delta=0.5, threshold=10).tolist()
    [514]
    """
    min_instances, delta, threshold, mode, _ = _check(min_instances, delta, threshold, mode)
    x = _stream(stream)
    known = None if target is None else check_float(target, "target")

    def segment(x, start, state, stop):
        if state is None and known is not None:
            state = (known, 0.0, 0.0, 0.0, 0.0)
        if state is None:  # warm-up: the target mean of the first values
            if start + min_instances >= x.size:
                return None, None, x.size
            target = x[start:start + min_instances].sum() / min_instances
            state = (target, 0.0, 0.0, 0.0, 0.0)
            start += min_instances
            stop = max(stop, start + 1)
        target, c_high, c_low, floor_high, floor_low = state
        part = x[start:stop]
        rise = c_high + np.cumsum(part - target - delta)
        fall = c_low + np.cumsum(target - part - delta)
        high = rise - np.minimum(np.minimum.accumulate(rise), floor_high)
        low = fall - np.minimum(np.minimum.accumulate(fall), floor_low)
        fired = np.zeros(part.size, bool)
        if mode != "down":
            fired |= high > threshold
        if mode != "up":
            fired |= low > threshold
        if fired.any():
            return start + int(fired.argmax()), None, None
        return None, (target, rise[-1], fall[-1], min(floor_high, rise.min()), min(floor_low, fall.min())), stop

    return _run(x, segment)


def cusum_run_length(*, delta: float = 0.5, threshold: float = 10.0, min_instances: int = 30,
                     mode: str = "both", known_target: bool = False, n_streams: int = 300,
                     max_length: int = 20_000, seed: int | np.random.Generator | None = 0) -> dict:
    """The run length of :func:`cusum` to a false alarm on an unchanged stream: how long it lasts.

    Streams of independent standard normal values (no change at all) are run until the first
    detection, or ``max_length`` values. With ``known_target=True`` the detector is told the
    true mean (0); otherwise it estimates it from the first ``min_instances`` values, as by
    default, which makes the run length heavy-tailed (a median far below the mean).

    Returns
    -------
    dict
        ``median``, ``mean`` (counting censored streams at ``max_length``: a lower bound),
        ``p10``, ``p90`` and ``censored`` (the share of streams without a false alarm).

    Examples
    --------
    A target estimated from 30 values cuts the median time to a false alarm by 40 %:

    >>> estimated = cusum_run_length(delta=0.5, threshold=5, n_streams=300, seed=0)
    >>> known = cusum_run_length(delta=0.5, threshold=5, known_target=True, n_streams=300, seed=0)
    >>> estimated["median"], known["median"]
    (195.0, 330.5)
    """
    from ..._random import resolve_rng
    from ..._validation import check_bool

    min_instances, delta, threshold, mode, _ = _check(min_instances, delta, threshold, mode)
    known_target = check_bool(known_target, "known_target")
    n_streams = check_int(n_streams, "n_streams", low=10, high=100_000)
    max_length = check_int(max_length, "max_length", low=min_instances + 10, high=10_000_000)
    rng = resolve_rng(seed)
    # The detector of cusum(), run on all streams at once, one step at a time (only the first
    # detection matters, so there is no reset): a loop over steps with numpy across streams.
    lengths = np.full(n_streams, float(max_length))
    if known_target:
        target, start = np.zeros(n_streams), 0
    else:
        target, start = rng.normal(size=(n_streams, min_instances)).mean(axis=1), min_instances
    high, low = np.zeros(n_streams), np.zeros(n_streams)
    alive = np.ones(n_streams, bool)
    for first in range(start, max_length, 1024):
        block = rng.normal(size=(n_streams, min(1024, max_length - first)))
        for j in range(block.shape[1]):
            high = np.maximum(0.0, high + block[:, j] - target - delta)
            low = np.maximum(0.0, low - block[:, j] + target - delta)
            fired = {"up": high > threshold, "down": low > threshold,
                     "both": (high > threshold) | (low > threshold)}[mode] & alive
            lengths[fired] = first + j + 1
            alive &= ~fired
        if not alive.any():
            break
    censored = float(np.mean(lengths >= max_length))
    return {"median": float(np.median(lengths)), "mean": float(lengths.mean()),
            "p10": float(np.quantile(lengths, 0.1)), "p90": float(np.quantile(lengths, 0.9)),
            "censored": censored}
