"""Estimating a model's accuracy before the labels arrive, and checking it when they do.

A calibrated classifier's confidence is its expected accuracy: if it says 0.9 for the class it
picks, it is right about 90% of the time. On unlabelled production data, the mean of the
top-class probability is therefore an estimate of the accuracy, and it stays correct under
covariate shift *when the model is well specified* (P(label | X) is what the model learned).
It cannot see concept drift: the inputs, and so the confidence, do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import ParameterError, check_columns

__all__ = ["PerformanceEstimate", "estimate_performance", "expected_accuracy", "performance_over_time"]


def expected_accuracy(probabilities) -> float:
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


def estimate_performance(model, current, *, target: str | None = None) -> PerformanceEstimate:
    """Estimate ``model``'s accuracy on ``current`` from its probabilities; measure it if labelled.

    Parameters
    ----------
    model : TabularClassifier
        A fitted model of this chapter (anything with ``predict_proba(frame)``, ``predict``).
    current : pandas.DataFrame
        Production rows; with the label column, the realised accuracy is measured too.
    target : str, optional
        The label column (default: the model's).

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
        check_columns(current, [target], "target", "estimate_performance")
        predicted = model.classes_[probabilities.argmax(axis=1)]
        realised = float(np.mean(predicted == current[target].to_numpy()))
    return PerformanceEstimate(expected_accuracy(probabilities), realised, len(current))


def performance_over_time(model, stream, *, by: str = "batch", target: str | None = None):
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
    check_columns(frame, [by, target], "by", "performance_over_time")
    probabilities = model.predict_proba(frame)
    correct = model.classes_[probabilities.argmax(axis=1)] == frame[target].to_numpy()
    table = pd.DataFrame({by: frame[by].to_numpy(), "expected": probabilities.max(axis=1),
                          "realised": correct.astype(float)})
    out = table.groupby(by, sort=True).agg(expected=("expected", "mean"), realised=("realised", "mean"),
                                           rows=("realised", "size"))
    return out.reset_index()
