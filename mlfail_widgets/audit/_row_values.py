"""A metric's per-row value on a log, as engine expressions, and the checks of its columns.

Every metric the log's slice chart and monitor offer is a proportion or a mean of a per-row value
(accuracy, precision, recall, a play rate, calibration, MAE, log loss). Here it is written as a
narwhals expression, so the log's own engine (DuckDB, polars, Spark, ...) computes it; the
checks of the label and prediction columns ride along in the same pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import parameter_error
from ._frames import LogFrame

__all__ = ["aggregate_checks", "binary_check", "check_values", "metric_values", "value_expressions"]


def binary_check(log: LogFrame, frame: Any, column: str, parameter: str, extra: dict | None = None) -> dict:
    """A label column must hold 0/1 (or booleans): anything else is a clear error.

    ``extra`` (name -> (expression, "sum"/"min"/"max")) rides along in the same pass; the
    results are returned by name.
    """
    import narwhals as nw

    if not (log.is_boolean(column) or log.schema[column].is_numeric()):
        raise parameter_error(parameter, "a column of 0/1 values (or booleans)", column,
                              fix=f"It has type {log.schema[column]}. Encode the positive class as 1, the rest as 0.")
    x = nw.col(column).cast(nw.Float64)
    bad = (~x.is_in([0.0, 1.0]) | x.is_null()).cast(nw.Int64)
    columns = {} if log.is_boolean(column) else {"_bad": (bad, "sum")}
    columns.update(extra or {})
    found = {}
    if columns:
        query = frame.select(*(e.alias(n) for n, (e, _) in columns.items())).select(
            *(getattr(nw.col(n), how)() for n, (_, how) in columns.items()))
        found = {k: v[0] for k, v in log.collect(query).items()}
    if found.get("_bad", 0):
        other = frame.filter(bad == 1).select(x.alias("v")).head(5)
        shown = log.collect(other)["v"]
        raise parameter_error(parameter, "a column of 0/1 values (or booleans)", column,
                              fix=f"It holds {sorted(set(np.asarray(shown).tolist()), key=str)[:5]} too. "
                              "Encode the positive class as 1, the rest as 0, and drop unlabelled rows.")
    return found


def value_expressions(log: LogFrame, metric: str, target: str, prediction: str) -> tuple[Any, Any, dict]:
    """The per-row value of ``metric``, its mask (or None), and the checks on the columns.

    No query runs here: ``checks`` (name -> (expression, "sum"/"min"/"max")) are aggregated
    in the same pass as the metric, then :func:`check_values` reads them.
    """
    import narwhals as nw

    y = nw.col(target).cast(nw.Float64)
    checks: dict[str, tuple[Any, str]] = {"_ynull": (nw.col(target).is_null().cast(nw.Int64), "sum")}

    def labels() -> None:
        if not (log.is_boolean(target) or log.schema[target].is_numeric()):
            raise parameter_error("target", "a column of 0/1 values (or booleans)", target,
                                  fix=f"It has type {log.schema[target]}. Encode the positive class as 1, the rest as 0.")
        if not log.is_boolean(target):
            checks["_bad"] = ((~y.is_in([0.0, 1.0]) & ~y.is_null()).cast(nw.Int64), "sum")

    if metric == "rate":
        labels()
        return y, None, checks
    if not log.schema[prediction].is_numeric() and not log.is_boolean(prediction):
        raise parameter_error("prediction", f"a numeric column for metric {metric!r}", prediction)
    pred = nw.col(prediction).cast(nw.Float64)
    checks["_pnull"] = (nw.col(prediction).is_null().cast(nw.Int64), "sum")
    if metric in ("calibration", "mae"):
        if not (log.schema[target].is_numeric() or log.is_boolean(target)):
            raise parameter_error("target", f"a numeric column for metric {metric!r}", target)
        return (pred - y) if metric == "calibration" else (pred - y).abs(), None, checks
    labels()
    checks.update(_lo=(pred, "min"), _hi=(pred, "max"))
    if metric == "log_loss":
        p = pred.clip(1e-15, 1 - 1e-15)
        return nw.when(y == 1).then(-p.log()).otherwise(-(1 - p).log()), None, checks
    label = (pred >= 0.5).cast(nw.Float64)  # the predicted class (0/1 predictions stay as they are)
    if metric == "accuracy":
        return (label == y).cast(nw.Float64), None, checks
    if metric == "precision":
        return y, label == 1, checks
    return label, y == 1, checks  # recall


def check_values(log: LogFrame, frame: Any, found: dict, target: str, prediction: str) -> None:
    """Raise the clear error for missing values, labels other than 0/1, or predictions outside
    [0, 1], from the aggregated checks of :func:`value_expressions`."""
    import narwhals as nw

    for name, column, parameter in (("_ynull", target, "target"), ("_pnull", prediction, "prediction")):
        if int(found.get(name, 0) or 0):
            raise parameter_error(parameter, "a column without missing values", column,
                                  fix=f"It has {int(found[name])} missing values; drop or fill those rows first.")
    if int(found.get("_bad", 0) or 0):
        y = nw.col(target).cast(nw.Float64)
        shown = log.collect(frame.filter(~y.is_in([0.0, 1.0]) & ~y.is_null()).select(y.alias("v")).head(5))["v"]
        raise parameter_error("target", "a column of 0/1 values (or booleans)", target,
                              fix=f"It holds {sorted(set(np.asarray(shown).tolist()), key=str)[:5]} too. "
                              "Encode the positive class as 1, the rest as 0, and drop unlabelled rows.")
    if "_lo" in found:
        lo, hi = float(found["_lo"]), float(found["_hi"])
        if lo < 0 or hi > 1:
            raise parameter_error("prediction", "0/1 labels or probabilities in [0, 1]", prediction,
                                  fix=f"Its values range from {lo:g} to {hi:g}.")


def aggregate_checks(out: dict, checks: dict) -> dict:
    """Per-group check columns of a query folded into one value each."""
    how: dict[str, Callable[[np.ndarray], Any]] = {"sum": np.nansum, "min": np.nanmin, "max": np.nanmax}
    return {name: how[kind](np.asarray(out[name], dtype=float)) if len(out[name]) else 0
            for name, (_, kind) in checks.items()}


def metric_values(log: LogFrame, frame: Any, metric: str, target: str, prediction: str) -> tuple[Any, Any]:
    """(value expression, mask expression or None) of the per-row value of ``metric``, the
    columns checked first (one query)."""
    import narwhals as nw

    value, mask, checks = value_expressions(log, metric, target, prediction)
    query = frame.select(*(e.alias(n) for n, (e, _) in checks.items())).select(
        *(getattr(nw.col(n), how)() for n, (_, how) in checks.items()))
    check_values(log, frame, aggregate_checks(log.collect(query), checks), target, prediction)
    return value, mask
