"""The label-free performance estimate of chapter 05, with your own model, on your own log.

A calibrated classifier's confidence is its expected accuracy
(:func:`mlfail_widgets.failures.shift.expected_accuracy`). The model needs the rows, so the
window's feature columns (only those) are brought back from the engine, at most ``max_rows``
of them; where labels have arrived, the realised accuracy is measured beside the estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._renamed import renamed_classes
from .._validation import check_int, parameter_error
from ._frames import as_log, check_window_rows, windowed, windows_apart

__all__ = ["LogPerformanceEstimate", "estimate_log_performance"]



@dataclass
class LogPerformanceEstimate:
    """Expected (from the model's confidence) and realised (from labels) accuracy.

    ``expected`` is the mean calibrated confidence when a labelled ``reference`` window was
    given (CBPE), else the mean raw confidence, which is ``raw_expected`` in both cases.
    ``daily`` has one row per day: ``day``, ``rows``, ``expected``, ``realised`` (NaN on
    days without labels), ``labelled``. ``calibration_rows`` is how many labelled reference
    rows the calibration learned from (0: not calibrated).
    """

    expected: float
    realised: float | None
    n: int
    daily: Any
    raw_expected: float = float("nan")
    calibration_rows: int = 0

    @property
    def calibrated(self) -> bool:
        """Whether ``expected`` comes from confidences calibrated on a labelled reference window."""
        return self.calibration_rows > 0

    @property
    def gap(self) -> float | None:
        """Realised minus expected accuracy (None without labels)."""
        return None if self.realised is None else self.realised - self.expected


def _window_rows(log: Any, frame: Any, columns: list[str], timestamp: str, window: Sequence | None,
                 parameter: str, max_rows: int) -> Any:
    """The rows of ``window`` (a pandas DataFrame of ``columns`` and ``_day``), checked not empty nor too many."""
    import narwhals as nw

    from ._frames import timestamp_expression

    bounds: dict = {}
    if window is not None:
        frame, bounds = windowed(log, frame, timestamp, {parameter: window})
    count = int(log.collect(frame.select(nw.len().alias("n")))["n"][0])
    if count == 0 and bounds:
        check_window_rows(log, timestamp, bounds, {parameter: count})
    if count == 0:
        raise parameter_error("data", "a log with rows", "an empty log", fix="Pass the log with its rows.")
    if count > max_rows:
        raise parameter_error("max_rows", f"at least the {count:,} rows of the {parameter} window", max_rows,
                              fix="The model needs the rows: pick a shorter window, or raise max_rows if they fit in memory.")
    day = timestamp_expression(log, timestamp).dt.truncate("1d").alias("_day")
    picked = frame.select(day, *(nw.col(c) for c in columns))
    picked = picked.collect() if hasattr(picked, "collect") else picked
    return picked.to_pandas()


def _probabilities(model: Any, rows: Any, features: list[str]) -> np.ndarray:
    """``model.predict_proba`` on the feature columns, checked: one column per class."""
    try:
        probabilities = np.asarray(model.predict_proba(rows[features]), dtype=float)
    except Exception as error:  # the model's own complaint, with what to check
        raise parameter_error("model", "a model that accepts the features columns", type(model).__name__,
                              fix=f"Its predict_proba failed on columns {features}: {type(error).__name__}: {error}") from None
    if probabilities.ndim != 2 or probabilities.shape != (len(rows), len(model.classes_)):
        raise parameter_error("model", "a predict_proba returning one column per class in classes_",
                              f"an array of shape {probabilities.shape}")
    return probabilities


def _correct(model: Any, probabilities: np.ndarray, truth: Any, target: str) -> tuple[np.ndarray, np.ndarray]:
    """(whether each labelled row was predicted right, as 1.0/0.0 and NaN where unlabelled; labelled mask)."""
    labelled = truth.notna().to_numpy()
    classes = list(model.classes_)
    unexpected = sorted({str(v) for v in truth[labelled].unique() if v not in classes})[:5]
    if unexpected:
        raise parameter_error("target", f"labels among the model's classes_ {classes}", target,
                              fix=f"It holds {unexpected} too: encode the labels as the model was trained, "
                              "or leave unknown labels missing.")
    predicted = np.asarray(model.classes_)[probabilities.argmax(axis=1)]
    return np.where(labelled, predicted == truth.to_numpy(), np.nan).astype(float), labelled


def estimate_log_performance(
    data: Any,
    model: Any,
    features: Sequence[str],
    *,
    window: Sequence | None = None,
    reference: Sequence | None = None,
    timestamp: str = "timestamp",
    target: str | None = None,
    max_rows: int = 1_000_000,
    threads: int | None = None,
) -> LogPerformanceEstimate:
    """Estimate a model's accuracy on a window of the log before (and beside) its labels.

    With a labelled ``reference`` window (rows the model did not train on: a validation period,
    or the weeks after training whose labels have arrived), the estimate is NannyML's CBPE
    (confidence-based performance estimation), as chapter 05 teaches: first learn how often the
    model is right at each confidence on the reference rows (an isotonic fit,
    :meth:`~mlfail_widgets.failures.shift.ConfidenceCalibration.fit`), then average the
    calibrated confidences of the window. Without it, the estimate is the mean raw confidence,
    right only if the model's probabilities are calibrated. Either way it assumes the model's
    errors at a given confidence stay as they were (no concept shift) and is biased under
    label shift (chapter 05).

    Parameters
    ----------
    data : dataframe or str or Path
        The log (any engine, or a Parquet/CSV path).
    model : object
        Your fitted classifier: any object with ``predict_proba(frame)`` and ``classes_``, as
        scikit-learn's estimators and Pipelines have. It is given a pandas DataFrame of the
        ``features`` columns.
    features : list of str
        The columns the model reads.
    window : (start, end), optional
        The rows to estimate on (default: all).
    reference : (start, end), optional
        Labelled rows the model did not train on, to calibrate its confidence (needs ``target``).
    timestamp : str, default="timestamp"
    target : str, optional
        The label column, where labels are known (rows with a missing label count for the
        estimate only).
    max_rows : int, default=1_000_000
        The most rows brought back to run the model on (per window).

    Returns
    -------
    LogPerformanceEstimate

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfail_widgets.failures.shift import TabularClassifier, make_shift
    >>> data = make_shift("covariate", 1.0, n_reference=2000, n_current=2000, seed=0)
    >>> model = TabularClassifier(data.features).fit(data.reference)
    >>> log = data.current.assign(timestamp=pd.date_range("2026-03-01", periods=2000, freq="h"))
    >>> result = estimate_log_performance(log, model, data.features, target="label")
    >>> round(result.expected, 2), round(result.realised, 2), len(result.daily)
    (0.84, 0.78, 84)
    >>> estimate_log_performance(log, "my model", data.features)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'model' parameter of estimate_log_performance must be a fitted classifier with predict_proba() and classes_ (a scikit-learn estimator or Pipeline). Got 'my model' instead. Fit your model first, or wrap it so that predict_proba(frame) returns one column per class.
    """
    import pandas as pd

    from ..failures.shift import ConfidenceCalibration, expected_accuracy

    if not (callable(getattr(model, "predict_proba", None)) and hasattr(model, "classes_")):
        raise parameter_error("model",
                              "a fitted classifier with predict_proba() and classes_ (a scikit-learn estimator or Pipeline)",
                              model, fix="Fit your model first, or wrap it so that predict_proba(frame) returns one column per class.")
    max_rows = check_int(max_rows, "max_rows", low=1)
    log = as_log(data, threads=threads)
    features = log.check([features] if isinstance(features, str) else list(features), "features")
    if target is not None:
        log.check(target, "target")
    elif reference is not None:
        raise parameter_error("target", "the label column, to calibrate on the reference window", None,
                              fix="CBPE learns how often the model is right from labelled reference rows: "
                              "pass target='your label column', or leave reference out.")
    if reference is not None and window is not None:  # the calibration must not see the estimated rows
        windows_apart({"reference": reference, "window": window})
    columns = [*features, *([target] if target and target not in features else [])]
    rows = _window_rows(log, log.frame, columns, timestamp, window, "window", max_rows)
    probabilities = _probabilities(model, rows, features)
    confidence = probabilities.max(axis=1)
    calibration = None
    if reference is not None and target is not None:
        known = _window_rows(log, log.frame, columns, timestamp, reference, "reference", max_rows)
        known_probabilities = _probabilities(model, known, features)
        right, labelled = _correct(model, known_probabilities, known[target], target)
        if labelled.sum() < 50:
            raise parameter_error("reference", "a window with at least 50 labelled rows", reference,
                                  fix=f"It has {int(labelled.sum())}; the calibration needs labelled rows to "
                                  "learn from: widen the window, or wait for labels.")
        calibration = ConfidenceCalibration.fit(known_probabilities.max(axis=1)[labelled], right[labelled])
    expected_each = calibration(confidence) if calibration is not None else confidence
    table = pd.DataFrame({"day": rows["_day"].to_numpy(), "expected": expected_each})
    realised = None
    if target is not None:
        correct, labelled = _correct(model, probabilities, rows[target], target)
        table["correct"] = correct
        table["labelled"] = labelled.astype(int)
        if labelled.any():
            realised = float(np.nanmean(correct))
    else:
        table["correct"] = np.nan
        table["labelled"] = 0
    daily = table.groupby("day", sort=True).agg(rows=("expected", "size"), expected=("expected", "mean"),
                                                realised=("correct", "mean"), labelled=("labelled", "sum"))
    raw = expected_accuracy(probabilities)
    expected = float(np.mean(expected_each)) if calibration is not None else raw
    return LogPerformanceEstimate(expected, realised, len(rows), daily.reset_index(), raw_expected=raw,
                          calibration_rows=calibration.rows if calibration is not None else 0)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"LogPerformance": LogPerformanceEstimate})
