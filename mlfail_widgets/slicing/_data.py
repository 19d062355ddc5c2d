"""Per-row quantities from which every slice's metric follows by grouping."""

from __future__ import annotations

import numpy as np

from .. import metrics as _metrics
from .._validation import parameter_error

_OWNER = "slice_metrics"


def _binary(values: np.ndarray, name: str, column: str, metric: str) -> np.ndarray:
    if values.dtype == bool:
        return values.astype(np.int8)
    if values.dtype.kind in "iuf":
        other = values[(values != 0) & (values != 1)]
        if not other.size:
            return values.astype(np.int8)
        shown = np.unique(other)[:5].tolist()
    else:
        shown = np.unique(values.astype(str))[:5].tolist()
    raise parameter_error(name, _OWNER, f"a column of 0/1 values for metric {metric!r}", column,
                          f"It holds {shown}. Encode the positive class as 1, the rest as 0.")


def _column_values(data, column: str, name: str) -> np.ndarray:
    import pandas as pd

    series = data[column]
    count = int(series.isna().sum())
    if count:
        raise parameter_error(name, _OWNER, "a column without missing values", column,
                              f"It has {count} missing values; drop or fill those rows first.")
    values = series.to_numpy()
    if values.dtype.kind == "O" and pd.api.types.is_bool_dtype(series.dtype):  # nullable boolean
        return series.to_numpy(dtype=bool)
    if values.dtype.kind == "O" and pd.api.types.is_numeric_dtype(series.dtype):  # nullable ints
        return series.to_numpy(dtype=float)
    return values


def _prepare(data, metric, target: str, prediction: str) -> dict:
    """Per-row quantities from which every slice's metric follows by grouping."""
    y = _column_values(data, target, "target")
    if callable(metric):
        return {"kind": "callable", "y": y, "pred": _column_values(data, prediction, "prediction"),
                "fn": metric}
    if metric in ("mae", "calibration"):
        pred = _column_values(data, prediction, "prediction")
        if y.dtype.kind not in "iufb" or pred.dtype.kind not in "iufb":
            raise parameter_error("target", _OWNER, f"numeric target and prediction columns for {metric!r}",
                                  (target, prediction))
        error = pred.astype(float) - y.astype(float)
        # mae: the mean absolute error; calibration: the signed mean error, i.e. the mean predicted
        # probability minus the observed rate (0 = calibrated), with a t-interval like any mean.
        return {"kind": "mean", "values": np.abs(error) if metric == "mae" else error, "mask": None}
    y = _binary(y, "target", target, metric)
    if metric == "rate":
        return {"kind": "proportion", "values": y.astype(float), "mask": None}
    pred = _column_values(data, prediction, "prediction")
    if pred.dtype.kind not in "iufb":
        raise parameter_error("prediction", _OWNER, f"a numeric column for metric {metric!r}", prediction)
    pred = pred.astype(float)
    if metric == "auc":
        return {"kind": "auc", "y": y, "score": pred}
    if pred.size and (pred.min() < 0 or pred.max() > 1):
        raise parameter_error("prediction", _OWNER, "0/1 labels or probabilities in [0, 1]", prediction,
                              f"Its values range from {pred.min():g} to {pred.max():g}.")
    if metric == "log_loss":
        p = np.clip(pred, 1e-15, 1 - 1e-15)
        return {"kind": "mean", "values": -np.where(y == 1, np.log(p), np.log1p(-p)), "mask": None}
    labels = _metrics.to_labels(pred).astype(np.int8)
    if metric == "accuracy":
        return {"kind": "proportion", "values": (labels == y).astype(float), "mask": None}
    if metric == "precision":
        return {"kind": "proportion", "values": y.astype(float), "mask": labels == 1}
    return {"kind": "proportion", "values": labels.astype(float), "mask": y == 1}  # recall
