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
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import ParameterError, check_float, check_int
from ...models import LogisticRegression
from .model import TabularClassifier

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["MAX_CONDITION", "IllConditionedWarning", "LabelShiftEstimate", "adjust_for_label_shift",
           "compare_corrections", "effective_sample_size", "estimate_label_shift", "importance_weights"]

#: Above this condition number of the confusion matrix, BBSE's estimate is unreliable: its error
#: grows as 1 / (the smallest singular value), so a small error in the predicted-class shares
#: becomes a large error in the priors.
MAX_CONDITION = 10.0


class IllConditionedWarning(UserWarning):
    """BBSE's confusion matrix is nearly singular: the estimated priors are unreliable."""


def effective_sample_size(weights: ArrayLike) -> float:
    """Kish's effective sample size of weighted rows: ``(sum w)^2 / sum w^2``.

    ``n`` for equal weights; much less than ``n`` when a few rows carry most of the weight,
    which is how importance weighting loses its data: the reweighted estimate is about as
    noisy as one from this many unweighted rows.

    Examples
    --------
    >>> effective_sample_size([1, 1, 1, 1])
    4.0
    >>> round(effective_sample_size([10, 1, 1, 1]), 2)
    1.64
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        from ..._validation import parameter_error

        raise parameter_error("weights", "non-negative finite weights, not all 0",
                              w.tolist() if w.size < 8 else f"an array of shape {w.shape}")
    return float(w.sum() ** 2 / (w**2).sum())


def importance_weights(model: TabularClassifier, reference: Any, current: Any, *, clip: float = 20.0) -> np.ndarray:
    """Weights for the reference rows that make them look like the current rows.

    A logistic regression on the model's inputs and their squares learns
    ``P(current | x)``; by Bayes' rule ``p_cur(x) / p_ref(x) = odds(x) * n_ref / n_cur``. The
    weights are clipped at ``clip`` times their mean (a few rows must not dominate) and scaled
    to average 1. Check :func:`effective_sample_size` of the result: a training set of 1,400
    rows whose weights give an effective size of 300 learns about as much as 300 rows.

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
    clip = check_float(clip, "clip", low=1)
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
    condition_number : float
        Of ``confusion`` (largest over smallest singular value). Above :data:`MAX_CONDITION`
        the estimate is unreliable (a warning says so).
    low, high : numpy.ndarray
        A percentile bootstrap interval for each current prior (holdout and current rows
        resampled), at ``confidence``.
    confidence : float
    """

    classes: np.ndarray
    reference_priors: np.ndarray
    current_priors: np.ndarray
    weights: np.ndarray
    confusion: np.ndarray
    condition_number: float = float("nan")
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    confidence: float = 0.95


def _bbse(predicted_holdout: np.ndarray, truth: np.ndarray, predicted_current: np.ndarray, k: int):
    """Confusion matrix, reference priors and current priors of one (re)sample."""
    confusion = np.zeros((k, k))
    np.add.at(confusion, (predicted_holdout, truth), 1.0)
    confusion /= predicted_holdout.size
    reference_priors = confusion.sum(axis=0)
    mu = np.bincount(predicted_current, minlength=k) / predicted_current.size
    weights = np.maximum(np.linalg.lstsq(confusion, mu, rcond=None)[0], 0.0)
    current_priors = weights * reference_priors
    total = current_priors.sum()
    return confusion, reference_priors, current_priors / total if total > 0 else current_priors


def estimate_label_shift(model: Any, holdout: Any, current: Any, *, target: str | None = None, confidence: float = 0.95,
                         n_boot: int = 200, seed: int | np.random.Generator | None = 0) -> LabelShiftEstimate:
    """Black-box shift estimation: the current class priors from unlabelled current rows.

    With ``C[i, j] = P(predicted i, true j)`` on held-out reference rows and ``mu[i]`` the share
    of current rows predicted as ``i``, label shift gives ``C w = mu`` for the ratio
    ``w = P_current(y) / P_reference(y)`` (Lipton et al. 2018). It is solved by least squares
    and clipped at 0.

    Two diagnostics come with it: the confusion matrix's condition number (the estimate's
    error grows with it; above :data:`MAX_CONDITION` an :class:`IllConditionedWarning` is
    raised, and a regularised estimator such as RLLS, Azizzadenesheli et al. 2019, is the
    better tool), and a bootstrap interval for each current prior (``n_boot`` resamples of
    the holdout and current rows, seeded by ``seed``; ``n_boot=0`` skips it).

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
    import warnings

    confidence = check_float(confidence, "confidence", low=0, high=1, low_open=True, high_open=True)
    n_boot = 0 if n_boot == 0 else check_int(n_boot, "n_boot", low=20, high=100_000)
    predicted_holdout = model.predict_proba(holdout).argmax(axis=1)
    predicted_current = model.predict_proba(current).argmax(axis=1)
    confusion, reference_priors, current_priors = _bbse(predicted_holdout, truth, predicted_current, k)
    condition = float(np.linalg.cond(confusion))
    if not condition <= MAX_CONDITION:
        warnings.warn(f"estimate_label_shift: the confusion matrix's condition number is {condition:.3g} "
                      f"(above {MAX_CONDITION:g}): the model tells the classes apart too poorly for BBSE's "
                      "estimate to be reliable. Use a better model, more holdout rows, or a regularised "
                      "estimator (RLLS, Azizzadenesheli et al. 2019).", IllConditionedWarning, stacklevel=2)
    low = high = None
    if n_boot:
        rng = resolve_rng(seed)
        draws = np.empty((n_boot, k))
        for b in range(n_boot):
            h = rng.integers(0, truth.size, truth.size)
            c = rng.integers(0, predicted_current.size, predicted_current.size)
            draws[b] = _bbse(predicted_holdout[h], truth[h], predicted_current[c], k)[2]
        alpha = 1 - confidence
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    safe = np.where(reference_priors > 0, reference_priors, 1.0)
    return LabelShiftEstimate(classes, reference_priors, current_priors, current_priors / safe, confusion,
                              condition, low, high, confidence)


def adjust_for_label_shift(probabilities: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """Re-weight class probabilities by ``weights`` and renormalise: ``p(y | x) w_y / sum``.

    Examples
    --------
    >>> adjust_for_label_shift([[0.5, 0.5]], [0.5, 1.5]).tolist()
    [[0.25, 0.75]]
    """
    p = np.asarray(probabilities, dtype=float) * np.asarray(weights, dtype=float)[None, :]
    total = p.sum(axis=1, keepdims=True)
    return p / np.where(total > 0, total, 1.0)


def compare_corrections(data: Any, *, labelled: int = 200, seed: int | np.random.Generator | None = 0) -> pd.DataFrame:
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
        ``method``, ``accuracy``, ``change`` (against no correction), ``uses`` and
        ``diagnostic``: for importance weighting the effective sample size of the weights and
        the largest weight; for BBSE the confusion matrix's condition number and the estimated
        current priors (in the order of the classes) with their bootstrap intervals.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> table = compare_corrections(make_shift("label", 2.5, seed=0))
    >>> table.set_index("method")["accuracy"].round(2).to_dict()
    {'no correction': 0.83, 'importance weighting': 0.87, 'label-shift correction (BBSE)': 0.94, 'retrain on recent window': 0.95}
    """
    import pandas as pd

    labelled = check_int(labelled, "labelled", low=10, high=len(data.current) - 10)
    rng = resolve_rng(seed)
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
    notes = {"importance weighting": f"effective size {effective_sample_size(weights):,.0f} of "
                                     f"{weights.size:,}; max weight {weights.max():.3g}"}
    scores["importance weighting"] = (weighted.accuracy(evaluation), "reference labels + current inputs")
    estimate = estimate_label_shift(base, holdout, data.current, seed=rng)
    adjusted = adjust_for_label_shift(base.predict_proba(evaluation), estimate.weights)
    scores["label-shift correction (BBSE)"] = (float(np.mean(base.classes_[adjusted.argmax(axis=1)] == truth)),
                                               "reference labels + current inputs")
    unknown = np.full(len(estimate.current_priors), np.nan)  # no interval when n_boot=0
    low = unknown if estimate.low is None else estimate.low
    high = unknown if estimate.high is None else estimate.high
    priors = " / ".join(f"{p:.2g} [{lo:.2g}, {hi:.2g}]" for p, lo, hi in zip(
        estimate.current_priors, low, high, strict=True))
    notes["label-shift correction (BBSE)"] = f"cond {estimate.condition_number:.2g}; priors {priors}"
    if recent[data.target].nunique() > 1:
        fresh = TabularClassifier(features, data.target).fit(recent)
        scores["retrain on recent window"] = (fresh.accuracy(evaluation), f"{labelled} current labels")
    else:
        scores["retrain on recent window"] = (np.nan, f"{labelled} current labels (one class only)")
    table = pd.DataFrame([(m, a, u) for m, (a, u) in scores.items()], columns=["method", "accuracy", "uses"])
    table.insert(2, "change", table["accuracy"] - table.loc[0, "accuracy"])
    table["diagnostic"] = [notes.get(m, "") for m in table["method"]]
    return table
