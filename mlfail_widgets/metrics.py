"""Model metrics in plain numpy, shared by the chapters and by :mod:`mlfail_widgets.slicing`.

Each function takes ``y_true`` and a prediction and returns a float. Classification metrics
that need labels (accuracy, precision, recall) accept either labels or probabilities of the
positive class; probabilities are turned into labels at 0.5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._validation import ParameterError, owner_name

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "accuracy",
    "log_loss",
    "mean_absolute_error",
    "precision",
    "recall",
    "roc_auc",
    "to_labels",
]


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ParameterError(
            f"{owner_name()} needs y_true and y_pred as 1-D arrays of the same length; "
            f"got shapes {y_true.shape} and {y_pred.shape}."
        )
    return y_true, y_pred


def to_labels(y_pred: ArrayLike) -> np.ndarray:
    """Turn probabilities of the positive class into 0/1 labels; leave labels alone.

    Examples
    --------
    >>> to_labels([0.2, 0.5, 0.9]).tolist()
    [0, 1, 1]
    >>> to_labels([0, 1, 1]).tolist()
    [0, 1, 1]
    """
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind == "f" and y_pred.size and np.any((y_pred != 0) & (y_pred != 1)):
        return (y_pred >= 0.5).astype(int)
    return y_pred


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of predictions equal to the truth.

    Examples
    --------
    >>> accuracy([1, 0, 1, 1], [1, 0, 0, 1])
    0.75
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.size == 0:
        return float("nan")
    return float(np.mean(y_true == to_labels(y_pred)))


def precision(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of predicted positives that are positive (nan when nothing is predicted positive).

    Examples
    --------
    >>> precision([1, 0, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    y_true, y_pred = _pair(y_true, y_pred)
    predicted = to_labels(y_pred) == 1
    return float(np.mean(y_true[predicted] == 1)) if predicted.any() else float("nan")


def recall(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of positives that are predicted positive (nan when there is no positive).

    Examples
    --------
    >>> recall([1, 0, 1, 1], [1, 0, 0, 1])
    0.6666666666666666
    """
    y_true, y_pred = _pair(y_true, y_pred)
    positive = y_true == 1
    return float(np.mean(to_labels(y_pred)[positive] == 1)) if positive.any() else float("nan")


def roc_auc(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed as the Mann-Whitney U statistic: for each positive, the negatives below it (ties
    counted as one half), read off the sorted negatives with two binary searches. Returns nan
    when ``y_true`` holds a single class, where the AUC is undefined.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([1, 1], [0.2, 0.9])
    nan
    """
    y_true, score = _pair(y_true, score)
    positive = y_true == 1
    n_pos = int(positive.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    negatives = np.sort(score[~positive])
    above = np.sort(score[positive])  # sorted queries: the binary searches stay in the cache
    u = (np.searchsorted(negatives, above, side="left").sum()
         + np.searchsorted(negatives, above, side="right").sum()) / 2
    return float(u / (n_pos * n_neg))


def log_loss(y_true: ArrayLike, probability: ArrayLike, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood of 0/1 outcomes under predicted probabilities.

    Examples
    --------
    >>> round(log_loss([1, 0], [0.9, 0.2]), 4)
    0.1643
    """
    y_true, probability = _pair(y_true, probability)
    if y_true.size == 0:
        return float("nan")
    p = np.clip(probability.astype(float), eps, 1 - eps)
    return float(-np.mean(np.where(y_true == 1, np.log(p), np.log1p(-p))))


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of ``|y_true - y_pred|``.

    Examples
    --------
    >>> mean_absolute_error([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    0.5
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.size == 0:
        return float("nan")
    return float(np.mean(np.abs(y_true.astype(float) - y_pred.astype(float))))
