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

from .._validation import check_int, parameter_error
from ._frames import as_log, windowed

__all__ = ["LogPerformance", "estimate_log_performance"]



@dataclass
class LogPerformance:
    """Expected (from the model's confidence) and realised (from labels) accuracy.

    ``daily`` has one row per day: ``day``, ``rows``, ``expected``, ``realised`` (NaN on
    days without labels), ``labelled``.
    """

    expected: float
    realised: float | None
    n: int
    daily: Any

    @property
    def gap(self) -> float | None:
        """Realised minus expected accuracy (None without labels)."""
        return None if self.realised is None else self.realised - self.expected


def estimate_log_performance(
    data: Any,
    model: Any,
    features: Sequence[str],
    *,
    window: Sequence | None = None,
    timestamp: str = "timestamp",
    target: str | None = None,
    max_rows: int = 1_000_000,
    threads: int | None = None,
) -> LogPerformance:
    """Estimate a model's accuracy on a window of the log before (and beside) its labels.

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
        Only these rows (default: all).
    timestamp : str, default="timestamp"
    target : str, optional
        The label column, where labels are known (rows with a missing label count for the
        estimate only).
    max_rows : int, default=1_000_000
        The most rows brought back to run the model on.

    Returns
    -------
    LogPerformance

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
    import narwhals as nw
    import pandas as pd

    from ..failures.shift import expected_accuracy

    if not (callable(getattr(model, "predict_proba", None)) and hasattr(model, "classes_")):
        raise parameter_error("model",
                              "a fitted classifier with predict_proba() and classes_ (a scikit-learn estimator or Pipeline)",
                              model, fix="Fit your model first, or wrap it so that predict_proba(frame) returns one column per class.")
    max_rows = check_int(max_rows, "max_rows", low=1)
    log = as_log(data, threads=threads)
    features = log.check([features] if isinstance(features, str) else list(features), "features")
    if target is not None:
        log.check(target, "target")
    frame = log.frame
    if window is not None:
        frame, _ = windowed(log, frame, timestamp, {"window": window})
    from ._frames import timestamp_expression

    day = timestamp_expression(log, timestamp).dt.truncate("1d").alias("_day")
    count = int(log.collect(frame.select(nw.len().alias("n")))["n"][0])
    if count == 0:
        raise parameter_error("window", "a window with rows", window,
                              fix=f"No row of the log falls in it; check the dates against {timestamp!r}.")
    if count > max_rows:
        raise parameter_error("max_rows", f"at least the {count:,} rows of the window", max_rows,
                              fix="The model needs the rows: pick a shorter window, or raise max_rows if they fit in memory.")
    columns = [*features, *([target] if target and target not in features else [])]
    picked = frame.select(day, *(nw.col(c) for c in columns))
    picked = picked.collect() if hasattr(picked, "collect") else picked
    rows = picked.to_pandas()
    try:
        probabilities = np.asarray(model.predict_proba(rows[features]), dtype=float)
    except Exception as error:  # the model's own complaint, with what to check
        raise parameter_error("model", "a model that accepts the features columns", type(model).__name__,
                              fix=f"Its predict_proba failed on columns {features}: {type(error).__name__}: {error}") from None
    if probabilities.ndim != 2 or probabilities.shape != (len(rows), len(model.classes_)):
        raise parameter_error("model", "a predict_proba returning one column per class in classes_",
                              f"an array of shape {probabilities.shape}")
    confidence = probabilities.max(axis=1)
    table = pd.DataFrame({"day": rows["_day"].to_numpy(), "expected": confidence})
    realised = None
    if target is not None:
        truth = rows[target]
        labelled = truth.notna().to_numpy()
        classes = list(model.classes_)
        unexpected = sorted({str(v) for v in truth[labelled].unique() if v not in classes})[:5]
        if unexpected:
            raise parameter_error("target", f"labels among the model's classes_ {classes}", target,
                                  fix=f"It holds {unexpected} too: encode the labels as the model was trained, "
                                  "or leave unknown labels missing.")
        predicted = np.asarray(model.classes_)[probabilities.argmax(axis=1)]
        correct = np.where(labelled, predicted == truth.to_numpy(), np.nan)
        table["correct"] = correct.astype(float)
        table["labelled"] = labelled.astype(int)
        if labelled.any():
            realised = float(np.nanmean(correct))
    else:
        table["correct"] = np.nan
        table["labelled"] = 0
    daily = table.groupby("day", sort=True).agg(rows=("expected", "size"), expected=("expected", "mean"),
                                                realised=("correct", "mean"), labelled=("labelled", "sum"))
    return LogPerformance(expected_accuracy(probabilities), realised, len(rows), daily.reset_index())
