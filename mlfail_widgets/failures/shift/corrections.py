"""Three ways to win accuracy back after a shift, measured on the same data.

* **Importance weighting** (covariate shift): retrain with each reference row weighted by
  ``p_current(x) / p_reference(x)``, a density ratio read off a domain classifier.
* **Black-box shift estimation** (label shift; Lipton, Wang and Smola, ICML 2018): the model's
  confusion matrix on held-out reference data links the predicted-class frequencies seen in
  production to the unknown class priors; solve for them and re-weight the model's
  probabilities. No production label is needed.
* **Retraining on a recent window**: label a few recent rows and train on them alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._random import resolve_rng
from ..._validation import ParameterError, check_float, check_int
from ...models import LogisticRegression
from .model import TabularClassifier

__all__ = ["LabelShiftEstimate", "adjust_for_label_shift", "compare_corrections",
           "estimate_label_shift", "importance_weights"]


def importance_weights(model: TabularClassifier, reference, current, *, clip: float = 20.0) -> np.ndarray:
    """Weights for the reference rows that make them look like the current rows.

    A logistic regression on the model's inputs and their squares learns
    ``P(current | x)``; by Bayes' rule ``p_cur(x) / p_ref(x) = odds(x) * n_ref / n_cur``. The
    weights are clipped at ``clip`` times their mean (a few rows must not dominate) and scaled
    to average 1.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> data = make_shift("covariate", 1.0, seed=0)
    >>> model = TabularClassifier(data.features).fit(data.reference)
    >>> weights = importance_weights(model, data.reference, data.current)
    >>> low, high = data.reference["x1"] < -1, data.reference["x1"] > 1
    >>> bool(weights[high].mean() > 3 * weights[low].mean()), round(float(weights.mean()), 6)
    (True, 1.0)
    """
    clip = check_float(clip, "clip", "importance_weights", low=1)
    r, c = model.matrix(reference), model.matrix(current)
    if r.shape[0] == 0 or c.shape[0] == 0:
        raise ParameterError("importance_weights needs rows in both the reference and the current data.")
    X = np.vstack([r, c])
    X = np.hstack([X, X**2])
    domain = LogisticRegression(l2=1e-2).fit(X, np.r_[np.zeros(r.shape[0]), np.ones(c.shape[0])])
    p = np.clip(domain.predict_proba(X[: r.shape[0]])[:, 1], 1e-6, 1 - 1e-6)
    ratio = p / (1 - p) * r.shape[0] / c.shape[0]
    ratio = np.minimum(ratio, clip * ratio.mean())
    return ratio / ratio.mean()


@dataclass
class LabelShiftEstimate:
    """Class priors before and after a label shift, estimated without current labels.

    Attributes
    ----------
    classes : numpy.ndarray
    reference_priors, current_priors : numpy.ndarray
    weights : numpy.ndarray
        ``current_priors / reference_priors``, the factor to re-weight probabilities with.
    confusion : numpy.ndarray
        Joint frequencies ``P(predicted = i, true = j)`` on the held-out reference rows.
    """

    classes: np.ndarray
    reference_priors: np.ndarray
    current_priors: np.ndarray
    weights: np.ndarray
    confusion: np.ndarray


def estimate_label_shift(model, holdout, current, *, target: str | None = None) -> LabelShiftEstimate:
    """Black-box shift estimation: the current class priors from unlabelled current rows.

    With ``C[i, j] = P(predicted i, true j)`` on held-out reference rows and ``mu[i]`` the share
    of current rows predicted as ``i``, label shift gives ``C w = mu`` for the ratio
    ``w = P_current(y) / P_reference(y)`` (Lipton et al. 2018). It is solved by least squares
    and clipped at 0.

    Parameters
    ----------
    model : TabularClassifier
        Fitted on reference data other than ``holdout``.
    holdout : pandas.DataFrame
        Labelled reference rows the model did not train on.
    current : pandas.DataFrame
        Unlabelled (or labelled; labels are not used) current rows.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> data = make_shift("label", 2.0, n_reference=4000, n_current=4000, seed=0)
    >>> train, holdout = data.reference.iloc[:2000], data.reference.iloc[2000:]
    >>> model = TabularClassifier(data.features).fit(train)
    >>> estimate = estimate_label_shift(model, holdout, data.current)
    >>> estimate.current_priors.round(2).tolist(), data.current["label"].value_counts(normalize=True).sort_index().round(2).tolist()
    ([0.12, 0.88], [0.1, 0.9])
    """
    target = target or model.target
    classes = model.classes_
    k = classes.size
    truth = np.searchsorted(classes, holdout[target].to_numpy())
    if len(holdout) == 0 or len(current) == 0:
        raise ParameterError("estimate_label_shift needs labelled holdout rows and current rows; one is empty.")
    predicted_holdout = model.predict_proba(holdout).argmax(axis=1)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (predicted_holdout, truth), 1.0)
    confusion /= len(holdout)
    reference_priors = confusion.sum(axis=0)
    mu = np.bincount(model.predict_proba(current).argmax(axis=1), minlength=k) / len(current)
    weights = np.maximum(np.linalg.lstsq(confusion, mu, rcond=None)[0], 0.0)
    current_priors = weights * reference_priors
    current_priors = current_priors / current_priors.sum()
    safe = np.where(reference_priors > 0, reference_priors, 1.0)
    return LabelShiftEstimate(classes, reference_priors, current_priors, current_priors / safe, confusion)


def adjust_for_label_shift(probabilities, weights) -> np.ndarray:
    """Re-weight class probabilities by ``weights`` and renormalise: ``p(y | x) w_y / sum``.

    Examples
    --------
    >>> adjust_for_label_shift([[0.5, 0.5]], [0.5, 1.5]).tolist()
    [[0.25, 0.75]]
    """
    p = np.asarray(probabilities, dtype=float) * np.asarray(weights, dtype=float)[None, :]
    total = p.sum(axis=1, keepdims=True)
    return p / np.where(total > 0, total, 1.0)


def compare_corrections(data, *, labelled: int = 200, seed=0):
    """Accuracy on the same current rows: no correction, and each correction in turn.

    The reference is split into training rows (70%) and a labelled holdout (30%, for the label
    shift estimate). The first ``labelled`` current rows are "recently labelled" (only the
    retraining uses their labels); every method is scored on the remaining current rows.

    Parameters
    ----------
    data : ShiftData
        From :func:`make_shift` or a real dataset.
    labelled : int, default=200
        Current rows whose labels arrive in time to retrain.
    seed : int, Generator or None, default=0
        Shuffles the reference before the split.

    Returns
    -------
    pandas.DataFrame
        ``method``, ``accuracy``, ``change`` (against no correction), ``uses``.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> table = compare_corrections(make_shift("label", 2.5, seed=0))
    >>> table.set_index("method")["accuracy"].round(2).to_dict()
    {'no correction': 0.83, 'importance weighting': 0.87, 'label-shift correction (BBSE)': 0.94, 'retrain on recent window': 0.95}
    """
    import pandas as pd

    labelled = check_int(labelled, "labelled", "compare_corrections", low=10, high=len(data.current) - 10)
    rng = resolve_rng(seed, "compare_corrections")
    shuffled = data.reference.iloc[rng.permutation(len(data.reference))]
    cut = int(0.7 * len(shuffled))
    train, holdout = shuffled.iloc[:cut], shuffled.iloc[cut:]
    recent, evaluation = data.current.iloc[:labelled], data.current.iloc[labelled:]
    truth = evaluation[data.target].to_numpy()
    features = list(data.features)

    base = TabularClassifier(features, data.target).fit(train)
    scores = {"no correction": (base.accuracy(evaluation), "reference labels")}
    weights = importance_weights(base, train, data.current)
    weighted = TabularClassifier(features, data.target).fit(train, sample_weight=weights)
    scores["importance weighting"] = (weighted.accuracy(evaluation), "reference labels + current inputs")
    estimate = estimate_label_shift(base, holdout, data.current)
    adjusted = adjust_for_label_shift(base.predict_proba(evaluation), estimate.weights)
    scores["label-shift correction (BBSE)"] = (float(np.mean(base.classes_[adjusted.argmax(axis=1)] == truth)),
                                               "reference labels + current inputs")
    if recent[data.target].nunique() > 1:
        fresh = TabularClassifier(features, data.target).fit(recent)
        scores["retrain on recent window"] = (fresh.accuracy(evaluation), f"{labelled} current labels")
    else:
        scores["retrain on recent window"] = (np.nan, f"{labelled} current labels (one class only)")
    table = pd.DataFrame([(m, a, u) for m, (a, u) in scores.items()], columns=["method", "accuracy", "uses"])
    table.insert(2, "change", table["accuracy"] - table.loc[0, "accuracy"])
    return table
