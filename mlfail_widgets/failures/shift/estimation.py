"""Estimating a model's accuracy before the labels arrive, and checking it when they do.

A calibrated classifier's confidence is its expected accuracy: if it says 0.9 for the class it
picks, it is right about 90% of the time. On unlabelled production data, the mean of the
top-class probability is therefore an estimate of the accuracy, and it stays correct under
covariate shift *when the model is well specified* (P(label | X) is what the model learned).
It cannot see concept drift: the inputs, and so the confidence, do not change.

A model's confidence is rarely calibrated as trained, so NannyML's confidence-based
performance estimation (CBPE) first calibrates it on labelled reference data the model did not
train on: :func:`calibrate_confidence` learns ``P(correct | confidence)`` by isotonic
regression, and :func:`estimate_performance` averages that on the production rows. It then
assumes what is left unchanged: the relation between confidence and correctness. Concept
shift (P(label | X) moves) and label shift (the class mix moves, so the same confidence is
right more or less often) break that assumption: :func:`label_free_failures` measures both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import ParameterError, check_columns

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["ConfidenceCalibration", "PerformanceEstimate", "calibrate_confidence", "estimate_performance",
           "expected_accuracy", "label_free_failures", "performance_over_time"]


def _isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators: the non-decreasing step function of x closest to y (least squares).

    Returns the sorted x values at the start of each block and the block means.
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order].astype(float)
    means, weights, starts = [], [], []
    for i, value in enumerate(ys):
        means.append(value)
        weights.append(1.0)
        starts.append(i)
        while len(means) > 1 and means[-2] > means[-1]:
            w = weights[-2] + weights[-1]
            means[-2] = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
            weights[-2] = w
            means.pop()
            weights.pop()
            starts.pop()
    return xs[np.asarray(starts)], np.asarray(means)


@dataclass
class ConfidenceCalibration:
    """``P(correct | top-class confidence)`` learned on labelled reference rows (isotonic).

    Call it on confidences to get calibrated probabilities of being right.
    """

    knots: np.ndarray
    values: np.ndarray
    rows: int

    def __call__(self, confidence: ArrayLike) -> np.ndarray:
        c = np.asarray(confidence, dtype=float)
        index = np.searchsorted(self.knots, c, side="right") - 1
        return self.values[np.clip(index, 0, self.values.size - 1)]

    @classmethod
    def fit(cls, confidence: ArrayLike, correct: ArrayLike) -> ConfidenceCalibration:
        """Isotonic fit of ``correct`` (0/1, was the prediction right) on the top-class ``confidence``.

        Examples
        --------
        >>> calibration = ConfidenceCalibration.fit([0.6, 0.7, 0.9, 0.95], [0, 1, 1, 1])
        >>> calibration([0.65, 0.92]).tolist()
        [0.0, 1.0]
        """
        c, y = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
        knots, values = _isotonic(c, y)
        return cls(knots, values, int(c.size))


def calibrate_confidence(model: Any, holdout: Any, *, target: str | None = None) -> ConfidenceCalibration:
    """Learn how often ``model`` is right at each confidence, on labelled rows it did not train on.

    The first step of NannyML's CBPE (confidence-based performance estimation): an isotonic
    regression of "prediction correct" (0/1) on the top-class probability, so that a
    calibrated confidence of 0.8 is right 80 % of the time on reference data.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import TabularClassifier, make_shift
    >>> data = make_shift("none", 0.0, n_reference=4000, n_current=2000, seed=0)
    >>> train, holdout = data.reference.iloc[:2000], data.reference.iloc[2000:]
    >>> model = TabularClassifier(data.features).fit(train)
    >>> calibration = calibrate_confidence(model, holdout)
    >>> raw = estimate_performance(model, data.current)
    >>> cbpe = estimate_performance(model, data.current, calibration=calibration)
    >>> round(raw.gap, 3), round(cbpe.gap, 3)
    (0.015, -0.007)
    """
    target = target or getattr(model, "target", "label")
    check_columns(holdout, [target], "target")
    if len(holdout) == 0:
        raise ParameterError("calibrate_confidence needs labelled holdout rows; the holdout is empty.")
    probabilities = model.predict_proba(holdout)
    correct = model.classes_[probabilities.argmax(axis=1)] == holdout[target].to_numpy()
    return ConfidenceCalibration.fit(probabilities.max(axis=1), correct)


def expected_accuracy(probabilities: ArrayLike) -> float:
    """Accuracy a calibrated classifier expects: the mean probability of its predicted class.

    Parameters
    ----------
    probabilities : array-like of shape (n, classes), or (n,) for P(class 1) of a binary model

    Examples
    --------
    >>> expected_accuracy([[0.9, 0.1], [0.3, 0.7], [0.5, 0.5]])
    0.7
    >>> expected_accuracy([0.9, 0.2])
    0.85
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim == 1:
        p = np.c_[1 - p, p]
    if p.ndim != 2 or p.shape[0] == 0 or (p < 0).any() or (p > 1).any():
        raise ParameterError("expected_accuracy needs probabilities in [0, 1], one row per "
                             f"prediction; got an array of shape {p.shape}.")
    return float(p.max(axis=1).mean())


@dataclass
class PerformanceEstimate:
    """The accuracy expected from the model's confidence, and the one realised with labels."""

    expected: float
    realised: float | None
    n: int

    @property
    def gap(self) -> float | None:
        """Realised minus expected accuracy (None without labels)."""
        return None if self.realised is None else self.realised - self.expected


def estimate_performance(model: Any, current: Any, *, target: str | None = None,
                         calibration: ConfidenceCalibration | None = None) -> PerformanceEstimate:
    """Estimate ``model``'s accuracy on ``current`` from its probabilities; measure it if labelled.

    Without ``calibration`` the estimate is the mean raw confidence (right only if the model is
    calibrated); with it (from :func:`calibrate_confidence`), the mean calibrated confidence:
    CBPE's estimate.

    Parameters
    ----------
    model : TabularClassifier
        A fitted model of this chapter (anything with ``predict_proba(frame)``, ``predict``).
    current : pandas.DataFrame
        Production rows; with the label column, the realised accuracy is measured too.
    target : str, optional
        The label column (default: the model's).
    calibration : ConfidenceCalibration, optional
        Learned on labelled reference rows by :func:`calibrate_confidence`.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import TabularClassifier, make_shift
    >>> data = make_shift("concept", 3.0, n_reference=2000, n_current=2000, seed=0)
    >>> model = TabularClassifier(data.features).fit(data.reference)
    >>> estimate = estimate_performance(model, data.current)
    >>> round(estimate.expected, 2), round(estimate.realised, 2)
    (0.77, 0.63)
    """
    target = target or getattr(model, "target", "label")
    if len(current) == 0:
        raise ParameterError("estimate_performance got an empty window: there is nothing to estimate.")
    probabilities = model.predict_proba(current)
    realised = None
    if target in current.columns:
        check_columns(current, [target], "target")
        predicted = model.classes_[probabilities.argmax(axis=1)]
        realised = float(np.mean(predicted == current[target].to_numpy()))
    if calibration is not None:
        expected = float(np.mean(calibration(probabilities.max(axis=1))))
    else:
        expected = expected_accuracy(probabilities)
    return PerformanceEstimate(expected, realised, len(current))


def label_free_failures(*, magnitudes: dict | None = None, n: int = 4000, seeds: Sequence[int] = range(5)) -> pd.DataFrame:
    """Where the label-free estimate holds and where it fails: CBPE under each kind of shift.

    For each shift (kind, magnitude) and seed: a model trained on 2,000 reference rows, its
    confidence calibrated on 2,000 other reference rows, then the accuracy estimated on ``n``
    shifted rows, raw and calibrated, and the accuracy measured with their labels.

    Returns
    -------
    pandas.DataFrame
        One row per shift: ``shift``, ``realised``, ``raw_gap`` and ``cbpe_gap`` (realised
        minus estimated, averaged over seeds; 0 is a perfect estimate).

    Examples
    --------
    >>> table = label_free_failures(magnitudes={"none": 0.0, "concept": 3.0}, seeds=[0])
    >>> table["shift"].tolist(), table["cbpe_gap"].abs().round(2).tolist()
    (['none 0', 'concept 3'], [0.0, 0.16])
    """
    import pandas as pd

    from .generators import make_shift
    from .model import TabularClassifier

    if magnitudes is None:
        magnitudes = {"none": 0.0, "covariate": 2.0, "concept": 3.0, "label +2": 2.0, "label -2": -2.0}
    rows = []
    for name, magnitude in magnitudes.items():
        kind = name.split()[0]
        raw: list[float] = []
        cbpe: list[float] = []
        real: list[float] = []
        for seed in seeds:
            data = make_shift(kind, magnitude, n_reference=4000, n_current=n, seed=int(seed))
            train, holdout = data.reference.iloc[:2000], data.reference.iloc[2000:]
            model = TabularClassifier(data.features).fit(train)
            calibration = calibrate_confidence(model, holdout)
            plain = estimate_performance(model, data.current)
            calibrated = estimate_performance(model, data.current, calibration=calibration)
            raw.append(np.nan if plain.gap is None else plain.gap)
            cbpe.append(np.nan if calibrated.gap is None else calibrated.gap)
            real.append(np.nan if plain.realised is None else plain.realised)
        label = name if " " in name else f"{name} {magnitude:g}"
        rows.append((label, float(np.mean(real)), float(np.mean(raw)), float(np.mean(cbpe))))
    return pd.DataFrame(rows, columns=["shift", "realised", "raw_gap", "cbpe_gap"])


def performance_over_time(model: Any, stream: Any, *, by: str = "batch", target: str | None = None) -> pd.DataFrame:
    """Expected and realised accuracy of ``model`` for each batch of a stream.

    Parameters
    ----------
    model : TabularClassifier
    stream : pandas.DataFrame or ShiftStream
        Rows with a ``by`` column (the batch) and the label.
    by : str, default="batch"

    Returns
    -------
    pandas.DataFrame
        ``batch``, ``expected``, ``realised``, ``rows``.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import TabularClassifier, drift_stream, reference_data
    >>> model = TabularClassifier(["x1", "x2", "x3", "x4", "channel"]).fit(reference_data(2000))
    >>> stream = drift_stream("sudden", "covariate", -2.0, n_batches=4, start=2, seed=1)
    >>> performance_over_time(model, stream).round(2)[["expected", "realised"]].values.tolist()
    [[0.76, 0.8], [0.77, 0.83], [0.87, 0.93], [0.89, 0.95]]
    """
    import pandas as pd

    frame = getattr(stream, "data", stream)
    target = target or getattr(model, "target", "label")
    check_columns(frame, [by, target], "by")
    probabilities = model.predict_proba(frame)
    correct = model.classes_[probabilities.argmax(axis=1)] == frame[target].to_numpy()
    table = pd.DataFrame({by: frame[by].to_numpy(), "expected": probabilities.max(axis=1),
                          "realised": correct.astype(float)})
    out = table.groupby(by, sort=True).agg(expected=("expected", "mean"), realised=("realised", "mean"),
                                           rows=("realised", "size"))
    return out.reset_index()
