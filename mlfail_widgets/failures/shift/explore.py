"""What the chapter's widgets and figures show, computed in one call each (plain data out).

* :func:`shift_snapshot`: one kind of shift at one magnitude: the data, every detector's verdict
  and the model's accuracy (realised, and expected from its confidence);
* :func:`monitoring_view`: a drifting stream watched window by window;
* :func:`before_after`: predictions before and after a shift, with banded features, for the
  slice chart;
* :func:`significance_vs_size`: the same tiny shift judged by a p-value and by a distance as
  the sample grows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._renamed import renamed_classes
from ..._validation import check_choice, check_float, check_int
from ...statistics import renamed_argument
from .estimation import expected_accuracy
from .generators import DRIFT_PATTERNS, SHIFT_KINDS, ShiftData, drift_stream, make_shift, reference_data
from .ks import KSReference
from .model import TabularClassifier
from .monitoring import DETECTORS, monitor_stream
from .report import DriftReport, detect_drift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MonitoringView", "ShiftResult", "before_after", "monitoring_view", "shift_snapshot",
           "significance_vs_size"]

_FEATURES = ["x1", "x2", "x3", "x4", "channel"]


@lru_cache(maxsize=8)
def deployed_model(seed: int = 0, rows: int = 5000) -> TabularClassifier:
    """The chapter's model: trained once per seed on ``rows`` reference rows (cached)."""
    return TabularClassifier(_FEATURES).fit(reference_data(rows, seed=10_000 + seed))


@dataclass
class ShiftResult:
    """One kind of shift at one magnitude, seen by every detector and by the model."""

    data: ShiftData
    report: DriftReport
    reference_accuracy: float
    accuracy: float
    expected: float
    current_labels: np.ndarray
    current_predictions: np.ndarray


def shift_snapshot(kind: str = "covariate", magnitude: float = 1.0, *, n: int = 2000, seed: int = 0,
                   alpha: float = 0.05, correction: str = "bonferroni",
                   level: float | None = None) -> ShiftResult:
    """Shift the data, run the per-feature detectors and score the deployed model.

    ``alpha`` is the significance level of the drift tests (``level``: its old name, deprecated).

    Examples
    --------
    >>> snapshot = shift_snapshot("covariate", 2.0, seed=0)
    >>> snapshot.report.drifted, round(snapshot.accuracy, 2), round(snapshot.expected, 2)
    (['x1', 'x4', 'channel'], 0.64, 0.93)
    """
    alpha = renamed_argument("alpha", alpha, "level", level, 0.05)
    kind = check_choice(kind, "kind", SHIFT_KINDS)
    n = check_int(n, "n", low=50, high=200_000)
    data = make_shift(kind, magnitude, n_reference=n, n_current=n, seed=seed)
    model = deployed_model(int(seed))
    report = detect_drift(data.reference, data.current, columns=data.features, alpha=alpha,
                          correction=correction)
    probabilities = model.predict_proba(data.current)
    predictions = model.classes_[probabilities.argmax(axis=1)]
    labels = data.current["label"].to_numpy()
    return ShiftResult(data, report, model.accuracy(data.reference), float(np.mean(predictions == labels)),
                         expected_accuracy(probabilities), labels, predictions)


@lru_cache(maxsize=4)
def _stream(pattern: str, seed: int, magnitude: float):
    stream = drift_stream(pattern, "covariate", magnitude, n_batches=40, batch_size=1000, start=20,
                          duration=10, period=10, seed=seed)
    reference = reference_data(20_000, seed=seed + 1)
    return stream, KSReference(reference, columns=["x1", "x2", "x3", "x4"])


@lru_cache(maxsize=32)
def _monitor(pattern: str, seed: int, magnitude: float, window: int, detector: str):
    stream, prepared = _stream(pattern, seed, magnitude)
    # scores do not depend on the threshold: cache them, re-judge per threshold
    return monitor_stream(None, stream.data, window=window, detector=detector, prepared=prepared,
                          shift_row=stream.shift_row)


@dataclass
class MonitoringView:
    """A stream, its drift profile and one monitor's verdict on each window."""

    stream: object  # ShiftStream
    result: object  # MonitoringResult (alarms judged at ``threshold``)
    window_means: np.ndarray  # mean of x1 in each window


def monitoring_view(window: int = 1000, threshold: float | None = None, detector: str = "ks",
                    pattern: str = "sudden", *, magnitude: float = 0.3, seed: int = 0) -> MonitoringView:
    """Watch 40,000 rows of a drifting stream (covariate drift from row 20,000) in windows.

    The monitor's scores are cached per window size and detector, so moving only the threshold
    re-judges the windows without recomputing them.

    Examples
    --------
    >>> view = monitoring_view(window=2000)
    >>> view.result.alarms.astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    """
    import copy

    detector = check_choice(detector, "detector", tuple(DETECTORS))
    pattern = check_choice(pattern, "pattern", DRIFT_PATTERNS)
    window = check_int(window, "window", low=50, high=20_000)
    threshold = DETECTORS[detector] if threshold is None else check_float(
        threshold, "threshold", low=0, low_open=True)
    stream, _ = _stream(pattern, int(seed), float(magnitude))
    result = copy.copy(_monitor(pattern, int(seed), float(magnitude), window, detector))
    result.threshold = threshold
    result.alarms = result.score < threshold if detector == "ks" else result.score >= threshold
    x1 = stream.data["x1"].to_numpy()
    means = x1[: result.starts.size * window].reshape(-1, window).mean(axis=1)
    return MonitoringView(stream, result, means)


def before_after(model: Any, reference: Any, current: Any, *, bands: Any = None, target: str = "label") -> pd.DataFrame:
    """Predictions on both sets, one row each, with each banded feature crossed with the period.

    ``bands`` maps a numeric column to inner cut points (default: x1 and x2 cut at -1, 0, 1). Each
    gets a column ``"<name> band"`` whose values read like ``"x1 < -1 | after"``: the
    slice chart then shows accuracy per band before and after the shift side by side.

    Examples
    --------
    >>> snapshot = shift_snapshot("covariate", 2.0)
    >>> frame = before_after(deployed_model(0), snapshot.data.reference, snapshot.data.current)
    >>> frame["x1 band"].cat.categories[:3].tolist()
    ['x1 < -1 | before', 'x1 < -1 | after', 'x1 in [-1, 0) | before']
    """
    import pandas as pd

    bands = bands or {"x1": [-1.0, 0.0, 1.0], "x2": [-1.0, 0.0, 1.0]}
    periods = ("before", "after")
    names = {}
    for column, cuts in bands.items():
        cuts = list(cuts)
        names[column] = ([f"{column} < {cuts[0]:g}"]
                         + [f"{column} in [{a:g}, {b:g})" for a, b in itertools.pairwise(cuts)]
                         + [f"{column} >= {cuts[-1]:g}"])
    parts = []
    for period, frame in zip(periods, (reference, current), strict=True):
        part = pd.DataFrame({"period": period, target: frame[target].to_numpy(),
                             "prediction": model.predict(frame)})
        for column, cuts in bands.items():
            index = np.searchsorted(list(cuts), frame[column].to_numpy(), side="right")
            part[f"{column} band"] = np.asarray(names[column], dtype=object)[index] + f" | {period}"
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    # Ordered categories: each band's "before" sits right above its "after" in the slice chart.
    out["period"] = pd.Categorical(out["period"], categories=list(periods), ordered=True)
    for column in bands:
        order = [f"{name} | {period}" for name in names[column] for period in periods]
        out[f"{column} band"] = pd.Categorical(out[f"{column} band"], categories=order, ordered=True)
    return out


def significance_vs_size(magnitude: float = 0.03, sizes: Any = (1_000, 10_000, 100_000, 200_000), *, seed: int = 0) -> pd.DataFrame:
    """The same small mean shift, judged by a KS p-value and by a distance, as samples grow.

    Both samples have ``n`` rows of a standard normal feature, the current one moved by
    ``magnitude`` standard deviations. The p-value falls without limit as ``n`` grows; the
    normed Wasserstein distance settles at the size of the shift.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``ks_statistic``, ``pvalue``, ``flagged_by_pvalue`` (p < 0.05),
        ``wasserstein_sd``, ``flagged_by_distance`` (>= 0.1, Evidently's default).

    Examples
    --------
    >>> table = significance_vs_size(0.03, sizes=(10_000, 100_000))
    >>> table[["n", "flagged_by_pvalue", "flagged_by_distance"]].values.tolist()
    [[10000, False, False], [100000, True, False]]
    """
    import pandas as pd

    magnitude = check_float(magnitude, "magnitude", low=-5, high=5)
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        n = check_int(n, "sizes", low=10, high=2_000_000)
        prepared = KSReference(rng.normal(size=n))
        current = rng.normal(magnitude, 1, size=n)
        ks = prepared.test(current)
        distance = float(prepared.wasserstein(current[None, :, None], normed=True)[0, 0])
        rows.append((n, ks.statistic, ks.pvalue, ks.pvalue < 0.05, distance, distance >= 0.1))
    return pd.DataFrame(rows, columns=["n", "ks_statistic", "pvalue", "flagged_by_pvalue",
                                       "wasserstein_sd", "flagged_by_distance"])


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"ShiftSnapshot": ShiftResult})
