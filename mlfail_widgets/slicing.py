"""A model's metric per slice of the data, with confidence intervals and honest flags.

An aggregate metric hides the slices where a model fails: a recommender that serves popular
items well and new items badly, a classifier whose accuracy collapses for one region after a
shift. :func:`slice_metrics` computes the metric on every slice of one or more columns, an
interval for each, the gap to the overall value, and flags the slices whose gap is larger than
chance explains once the number of slices looked at is accounted for.

Pure pandas/numpy: no plotting (see :mod:`mlfail_widgets.plots.slices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import metrics as _metrics
from ._random import resolve_rng
from ._validation import (
    check_choice,
    check_columns,
    check_float,
    check_int,
    parameter_error,
)
from .intervals import mean_interval, proportion_interval

__all__ = ["CORRECTIONS", "METRICS", "STATUSES", "apply_min_size", "slice_metrics"]

#: Named metrics, and the kind of interval "auto" gives each.
METRICS = {
    "accuracy": "proportion",
    "precision": "proportion",
    "recall": "proportion",
    "auc": "bootstrap",
    "log_loss": "mean",
    "mae": "mean",
    "calibration": "mean",
    "rate": "proportion",
}
CORRECTIONS = ("holm", "bonferroni", "bh", None)
STATUSES = ("ok", "too small", "undefined", "empty")
_COLUMNS = ["by", "slice", "size", "metric", "low", "high", "gap", "flagged", "status",
            "p_value", "p_adjusted", "note"]
_OWNER = "slice_metrics"
_CHUNK = 250_000  # bootstrap draws per chunk: small enough to stay in the CPU cache


# ----------------------------------------------------------------------------- slicing
def _number_labels(values: np.ndarray) -> list[str]:
    """Shortest '%g' labels that keep distinct numbers distinct."""
    for digits in range(3, 17):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(set(values.tolist())):
            return labels
    return [repr(float(v)) for v in values]  # pragma: no cover - 17 digits always suffice


def _edges_for(column: str, bins: Any, edges: Any, x: np.ndarray) -> np.ndarray | None:
    """The bin edges of a numeric column (None: slice by value), validated."""
    given = edges.get(column) if isinstance(edges, Mapping) else edges
    if given is not None:
        cut = np.asarray(given, dtype=float)
        if cut.ndim != 1 or cut.size < 2 or np.isnan(cut).any() or np.any(np.diff(cut) <= 0):
            raise parameter_error("edges", _OWNER, "at least two strictly increasing numbers",
                                  given, "Give e.g. edges=[0, 18, 65, 120] (or a dict column -> edges).")
        return cut
    count = bins.get(column, 4) if isinstance(bins, Mapping) else bins
    count = check_int(count, "bins", _OWNER, low=1, high=1000)
    finite = x[~np.isnan(x)]
    distinct = np.unique(finite)
    if distinct.size <= count:
        return None  # few distinct values: one slice per value
    return np.unique(np.quantile(finite, np.linspace(0, 1, count + 1)))


def _numeric_slices(x: np.ndarray, cut: np.ndarray | None) -> tuple[np.ndarray, list[str], bool]:
    missing = np.isnan(x)
    if cut is None:
        values = np.unique(x[~missing])
        return np.searchsorted(values, x), _number_labels(values), True
    names = _number_labels(cut[np.isfinite(cut)])
    text = iter(names)
    shown = ["-inf" if v == -np.inf else "inf" if v == np.inf else next(text) for v in cut]
    labels = []
    for i in range(cut.size - 1):
        if cut[i] == -np.inf:
            labels.append(f"< {shown[i + 1]}")
        elif cut[i + 1] == np.inf:
            labels.append(f">= {shown[i]}")
        else:
            labels.append(f"[{shown[i]}, {shown[i + 1]}{']' if i == cut.size - 2 else ')'}")
    codes = np.searchsorted(cut, x, side="right") - 1  # [e_i, e_i+1); the last bin is closed
    codes[x == cut[-1]] = cut.size - 2
    below, above = (x < cut[0]) & ~missing, (x > cut[-1]) & ~missing
    codes = codes + 1  # room for a "below" slice at 0
    labels = [f"< {shown[0]}", *labels, f"> {shown[-1]}"]
    codes[above] = len(labels) - 1
    keep = [below.any(), *[True] * (cut.size - 1), above.any()]
    remap = np.cumsum(keep) - 1
    return remap[codes], [label for label, k in zip(labels, keep, strict=True) if k], True


def _slices(data, column: str, bins: Any, edges: Any) -> tuple[np.ndarray, list[str], bool, bool]:
    """Codes in [0, k) for every row, the k labels in display order, whether that order is
    fixed (bins, ordered categories) rather than by metric, and whether the last slice holds
    the missing values (NaN, None), labelled 'missing'."""
    import pandas as pd

    series = data[column]
    dtype = series.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        labels, fixed = [str(c) for c in dtype.categories], bool(dtype.ordered)
    elif numeric:
        x = series.to_numpy(dtype=float, na_value=np.nan)
        codes, labels, fixed = _numeric_slices(x, _edges_for(column, bins, edges, x))
        codes = np.where(np.isnan(x), -1, codes)
    else:
        if isinstance(edges, Mapping) and column in edges:
            raise parameter_error("edges", _OWNER, "given for numeric columns only", edges,
                                  f"Column {column!r} is not numeric; it is sliced by value.")
        try:
            codes, uniques = pd.factorize(series, sort=True)
        except TypeError:  # values of mixed types cannot be sorted
            codes, uniques = pd.factorize(series, sort=False)
        labels, fixed = [str(u) for u in uniques], False
    codes = np.asarray(codes, dtype=np.int64)
    missing = bool((codes < 0).any())
    if missing:
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("missing" if "missing" not in labels else "missing (NaN)")
    return codes, labels, fixed, missing


# ----------------------------------------------------------------------------- metric data
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


# ----------------------------------------------------------------------------- statistics
def _groups(codes: np.ndarray, k: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=k))[:-1])


def _chunks(rows: int, n_boot: int):
    """Replicate ranges small enough that a chunk's arrays stay in the CPU cache."""
    step = max(1, _CHUNK // max(rows, 1))
    for start in range(0, n_boot, step):
        yield start, min(step, n_boot - start)


def _mean_replicates(values: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Bootstrap means: rows drawn with replacement, ``n_boot`` times."""
    out = np.empty(n_boot)
    for start, size in _chunks(values.size, n_boot):
        draws = rng.integers(0, values.size, size=(size, values.size), dtype=np.int32)
        out[start:start + size] = values[draws].mean(axis=1)
    return out


def _auc_replicates(y: np.ndarray, score: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Stratified bootstrap AUCs: positives and negatives resampled separately.

    AUC is the share of (positive, negative) pairs ranked right, ties counting one half. With
    the negatives sorted by score, a positive's count of resampled negatives below it is a
    cumulative sum of resampling counts read at a fixed position, so no replicate needs a sort.
    """
    negatives = np.sort(score[y == 0])
    positives = score[y == 1]
    n0, n1 = negatives.size, positives.size
    strictly = np.searchsorted(negatives, positives, side="left")
    at_most = np.searchsorted(negatives, positives, side="right")
    ties = bool(np.any(strictly != at_most))
    out = np.empty(n_boot)
    for start, size in _chunks(n0 + n1, n_boot):
        draws = rng.integers(0, n0, size=(size, n0), dtype=np.int32) + (
            np.arange(size, dtype=np.int32) * (n0 + 1))[:, None]
        counts = np.bincount(draws.ravel(), minlength=size * (n0 + 1)).reshape(size, n0 + 1)
        below = np.zeros_like(counts)  # below[:, j]: resampled negatives among the j lowest
        np.cumsum(counts[:, :n0], axis=1, out=below[:, 1:])
        picks = rng.integers(0, n1, size=(size, n1), dtype=np.int32)
        total = np.take_along_axis(below, strictly[picks], axis=1).sum(axis=1, dtype=float)
        if ties:
            total = (total + np.take_along_axis(below, at_most[picks], axis=1).sum(axis=1, dtype=float)) / 2
        out[start:start + size] = total / (n0 * n1)
    return out


def _stats(prep: dict, codes: np.ndarray, k: int, level: float, bootstrap: bool, n_boot: int, rng):
    """Metric, interval and what the p-values need, for k slices given by ``codes``."""
    kind = prep["kind"]
    alpha = 1 - level
    out: dict[str, Any] = {"replicates": None}
    if kind in ("proportion", "mean"):
        mask = prep["mask"]
        c = codes if mask is None else codes[mask]
        v = prep["values"] if mask is None else prep["values"][mask]
        n = np.bincount(c, minlength=k).astype(float)
        total = np.bincount(c, weights=v, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total / n
            if kind == "mean":
                square = np.bincount(c, weights=v * v, minlength=k)
                std = np.sqrt(np.maximum(square - total * value, 0) / (n - 1))
        out.update(value=value, n=n)
        if not bootstrap:
            if kind == "proportion":
                out["low"], out["high"] = proportion_interval(total, n, level)
            else:
                out["low"], out["high"] = mean_interval(value, std, n, level)
                out["std"] = std
            return out
        if kind == "proportion":  # the bootstrap of a mean of 0/1 values is Binomial(n, p) / n
            good = n > 0
            reps = np.full((k, n_boot), np.nan)
            reps[good] = rng.binomial(n[good, None].astype(np.int64), value[good, None],
                                      size=(int(good.sum()), n_boot)) / n[good, None]
        else:
            reps = np.full((k, n_boot), np.nan)
            for i, rows in enumerate(_groups(c, k)):
                if rows.size:
                    reps[i] = _mean_replicates(v[rows], n_boot, rng)
    else:
        y = prep["y"]
        value, n = np.full(k, np.nan), np.bincount(codes, minlength=k).astype(float)
        reps = np.full((k, n_boot), np.nan)
        for i, rows in enumerate(_groups(codes, k)):
            if not rows.size:
                continue
            if kind == "auc":
                value[i] = _metrics.roc_auc(y[rows], prep["score"][rows])
                if np.isfinite(value[i]):
                    reps[i] = _auc_replicates(y[rows], prep["score"][rows], n_boot, rng)
            else:
                truth, pred = y[rows], prep["pred"][rows]
                value[i] = float(prep["fn"](truth, pred))
                if np.isfinite(value[i]):
                    for b in range(n_boot):
                        draw = rng.integers(0, rows.size, size=rows.size)
                        reps[i, b] = prep["fn"](truth[draw], pred[draw])
        out.update(value=value, n=n)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(reps).sum(1) >= 2
        low, high = np.full(k, np.nan), np.full(k, np.nan)
        if usable.any():
            low[usable], high[usable] = np.nanquantile(reps[usable], [alpha / 2, 1 - alpha / 2], axis=1)
    out.update(low=low, high=high, replicates=reps)
    return out


def _p_values(stats: dict, kind: str, overall: float) -> np.ndarray:
    """Two-sided p-values of 'this slice's metric equals the overall value', one per slice,
    by inverting the same interval that is reported (so p < 1 - level iff it excludes it)."""
    from scipy import stats as st

    value, n = stats["value"], stats["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if stats["replicates"] is not None:
            reps = stats["replicates"]
            valid = np.isfinite(reps).sum(1)
            below = ((reps <= overall).sum(1) + 1) / (valid + 1)
            above = ((reps >= overall).sum(1) + 1) / (valid + 1)
            p = np.minimum(1.0, 2 * np.minimum(below, above))
        elif kind == "proportion":  # the score test that Wilson's interval inverts
            z = np.abs(value - overall) / np.sqrt(overall * (1 - overall) / n)
            p = 2 * st.norm.sf(z)
        else:  # Student's t
            t = np.abs(value - overall) / (stats["std"] / np.sqrt(n))
            p = 2 * st.t.sf(t, np.maximum(n - 1, 1))
        p = np.where(value == overall, 1.0, np.where(np.isnan(p) & np.isfinite(value), 0.0, p))
    return np.where(np.isfinite(stats["low"]), p, np.nan)


def _adjust(p: np.ndarray, correction: str | None) -> np.ndarray:
    """Adjusted p-values (Bonferroni, Holm's step-down, Benjamini-Hochberg) over finite p."""
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    m = tested.size
    if not m:
        return out
    q = p[tested]
    if correction is None:
        adjusted = q
    elif correction == "bonferroni":
        adjusted = np.minimum(1, q * m)
    else:
        order = np.argsort(q, kind="stable")
        ranked = q[order]
        if correction == "holm":
            ranked = np.maximum.accumulate(np.minimum(1, ranked * (m - np.arange(m))))
        else:  # bh
            ranked = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
            ranked = np.minimum(1, ranked)
        adjusted = np.empty(m)
        adjusted[order] = ranked
    out[tested] = adjusted
    return out


# ----------------------------------------------------------------------------- public
def slice_metrics(
    data,
    by: str | Sequence[str],
    metric: str | Callable[[Any, Any], float] = "accuracy",
    *,
    target: str = "label",
    prediction: str = "prediction",
    bins: int | Mapping[str, int] = 4,
    edges: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    min_size: int = 30,
    level: float = 0.95,
    interval: str = "auto",
    n_boot: int = 1000,
    correction: str | None = "holm",
    seed: int | np.random.Generator | None = 0,
):
    """A metric on every slice of the data, with intervals, gaps and corrected flags.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per prediction.
    by : str or list of str
        The slicing column(s); several give one block of rows each, in the order given.
        Categorical columns (text, bool, category) are sliced by value; numeric columns are
        cut into ``bins`` quantile bins, or at ``edges``. A numeric column with at most
        ``bins`` distinct values is sliced by value. Missing values (NaN, None) form their own
        slice, labelled ``"missing"``: they are never dropped.
    metric : str or callable, default="accuracy"
        ``"accuracy"``, ``"precision"``, ``"recall"`` (labels or probabilities, cut at 0.5),
        ``"auc"``, ``"log_loss"`` (probabilities), ``"mae"``, ``"calibration"`` (the signed mean
        of prediction minus target: predicted probability minus observed rate, 0 when
        calibrated), ``"rate"`` (the mean of a 0/1 target: a play or click rate; needs no
        prediction), or ``fn(y_true, y_pred) -> float``.
    target, prediction : str
        Column names of the truth and the model's output. Classification metrics need a 0/1
        target. Missing values in them are an error.
    bins : int or dict, default=4
        Quantile bins for numeric columns (a dict gives a number per column). Tied quantiles
        are merged, so a skewed column may get fewer bins.
    edges : list of float or dict, optional
        Bin edges for numeric columns (a dict: column -> edges). Bins are ``[a, b)``, the last
        ``[a, b]``; values outside the edges get slices ``"< a"`` / ``"> b"``. A bin without
        rows is kept with status ``"empty"``.
    min_size : int, default=30
        Slices with fewer rows are reported with status ``"too small"``: the metric if it can
        be computed, no interval, never flagged.
    level : float, default=0.95
        Confidence level of the intervals, in (0, 1).
    interval : {"auto", "bootstrap"}
        ``"auto"``: Wilson's interval for proportions (accuracy, precision, recall, rate),
        Student's t for means (log loss, MAE), a percentile bootstrap for the rest (AUC,
        callables). ``"bootstrap"``: the bootstrap for every metric.
    n_boot : int, default=1000
        Bootstrap replicates.
    correction : {"holm", "bonferroni", "bh", None}
        Multiple-comparison correction over all slices with status ``"ok"`` in the result:
        Holm's step-down (family-wise error), Bonferroni, Benjamini-Hochberg (false discovery
        rate), or none.
    seed : int, numpy.random.Generator or None, default=0
        For the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per slice: ``by`` (the column), ``slice`` (its label), ``size`` (rows),
        ``metric``, ``low``, ``high`` (the interval at ``level``), ``gap`` (metric minus the
        overall value), ``flagged``, ``status`` (``"ok"``, ``"too small"``, ``"undefined"``,
        ``"empty"``, checked in the order empty, too small, undefined), ``p_value``,
        ``p_adjusted`` and ``note`` (why a slice is not ``"ok"``). ``attrs`` holds
        ``overall``, ``overall_low``, ``overall_high``, ``metric``, ``level``, ``correction``,
        ``method``, ``rows`` and ``min_size``.

        Order: blocks in the order of ``by``. Within a block, bins (and ordered categories)
        keep their natural order, low to high; other categories are sorted by metric, lowest
        first, undefined and empty slices after them; ``"missing"`` comes last.

    Notes
    -----
    A slice is flagged when its interval at the corrected level excludes the overall value:
    each slice gets the two-sided p-value of "its metric equals the overall value" from the
    test its interval inverts (Wilson's score test, Student's t, or the bootstrap
    distribution), the p-values are adjusted for the number of slices tested, and a slice is
    flagged when the adjusted p-value is below ``1 - level``. With Bonferroni and ``m`` slices
    this is exactly "the interval at level ``1 - (1 - level) / m`` excludes the overall value".
    The overall value is treated as known; since every slice is part of the data it is
    computed from, this makes the test slightly conservative.

    The bootstrap resamples rows within each slice (percentile intervals). For proportions
    the resampled metric is ``Binomial(n, p) / n``, drawn directly; for AUC positives and
    negatives are resampled separately (the stratified bootstrap, as in pROC), without a sort
    per replicate. Its cost grows as ``n_boot`` times the rows: about a second for AUC on
    100,000 rows.

    Examples
    --------
    A model that is right 85% of the time, except on a new region (10% of the rows):

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> region = rng.choice(["north", "south", "west", "new"], p=[0.3, 0.3, 0.3, 0.1], size=3000)
    >>> correct = rng.random(3000) < np.where(region == "new", 0.60, 0.85)
    >>> data = pd.DataFrame({"region": region, "label": 1, "prediction": correct.astype(int)})
    >>> table = slice_metrics(data, "region")
    >>> table[["slice", "size", "metric", "low", "high", "flagged"]].round(3)
       slice  size  metric    low   high  flagged
    0    new   302   0.609  0.553  0.663     True
    1   west   865   0.831  0.805  0.855    False
    2  north   919   0.841  0.816  0.863    False
    3  south   914   0.846  0.821  0.868    False
    >>> round(table.attrs["overall"], 3)
    0.816
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise parameter_error("data", _OWNER, "a pandas DataFrame", type(data).__name__)
    columns = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else None
    if not columns:
        raise parameter_error("by", _OWNER, "a column name or a non-empty list of them", by)
    check_columns(data, columns, "by", _OWNER)
    if not callable(metric):
        metric = check_choice(metric, "metric", _OWNER, METRICS)
    check_columns(data, [target], "target", _OWNER)
    if metric != "rate":
        check_columns(data, [prediction], "prediction", _OWNER)
    min_size = check_int(min_size, "min_size", _OWNER, low=1,
                         fix="A slice needs at least one row to have a metric.")
    level = check_float(level, "level", _OWNER, low=0, high=1, low_open=True, high_open=True,
                        fix="Use e.g. 0.95 for 95% intervals.")
    interval = check_choice(interval, "interval", _OWNER, ["auto", "bootstrap"])
    n_boot = check_int(n_boot, "n_boot", _OWNER, low=20, high=100_000)
    correction = check_choice(correction, "correction", _OWNER, CORRECTIONS)
    if not isinstance(bins, (Mapping, int, np.integer)) or isinstance(bins, bool):
        raise parameter_error("bins", _OWNER, "an int or a dict column -> int", bins)
    if edges is not None and not isinstance(edges, (Mapping, Sequence, np.ndarray)):
        raise parameter_error("edges", _OWNER, "a list of numbers or a dict column -> list", edges)
    for name, option in (("bins", bins), ("edges", edges)):
        for key in option if isinstance(option, Mapping) else ():
            check_choice(key, f"{name} key", _OWNER, columns)
    rng = resolve_rng(seed, _OWNER)

    prep = _prepare(data, metric, target, prediction)
    kind = prep["kind"]
    bootstrap = interval == "bootstrap" or kind in ("auc", "callable")
    method = "bootstrap" if bootstrap else "wilson" if kind == "proportion" else "t"
    whole = _stats(prep, np.zeros(len(data), dtype=np.int64), 1, level, bootstrap, n_boot, rng)
    overall = float(whole["value"][0])

    blocks = []
    for column in columns:
        codes, labels, fixed, has_missing = _slices(data, column, bins, edges)
        k = len(labels)
        stats = _stats(prep, codes, k, level, bootstrap, n_boot, rng)
        size = np.bincount(codes, minlength=k)
        value = stats["value"]
        status = np.select([size == 0, ~np.isfinite(value)], ["empty", "undefined"], "ok")
        p = np.where(status == "ok", _p_values(stats, kind, overall), np.nan)
        block = pd.DataFrame({"by": column, "slice": labels, "size": size, "metric": value,
                              "low": np.where(status == "ok", stats["low"], np.nan),
                              "high": np.where(status == "ok", stats["high"], np.nan),
                              "gap": value - overall,
                              "flagged": False, "status": status, "p_value": p,
                              "p_adjusted": np.nan, "note": ""})
        block["_missing"] = has_missing & (np.arange(k) == k - 1)
        block["_undefined"] = ~np.isfinite(value)
        block["_rank"] = np.arange(k) if fixed else 0
        keys = ["_missing", "_rank"] if fixed else ["_missing", "_undefined", "metric", "slice"]
        blocks.append(block.sort_values(keys, kind="stable")[_COLUMNS])
    table = pd.concat(blocks, ignore_index=True)
    table.attrs.update(overall=overall, overall_low=float(whole["low"][0]),
                       overall_high=float(whole["high"][0]),
                       metric=metric if isinstance(metric, str) else getattr(metric, "__name__", "metric"),
                       level=level, correction=correction, method=method, rows=len(data), min_size=1)
    return apply_min_size(table, min_size)


def apply_min_size(table, min_size: int):
    """Judge a :func:`slice_metrics` table again at another minimum slice size, without
    recomputing any metric or bootstrap.

    Slices smaller than ``min_size`` become ``"too small"`` (no interval, never flagged); the
    correction is redone over the slices left. A slice judged too small cannot get its interval
    back: to lower ``min_size``, start from a table computed with ``min_size=1``.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"group": ["a"] * 40 + ["b"] * 10, "label": 1, "prediction": 1})
    >>> table = slice_metrics(data, "group", min_size=1)
    >>> apply_min_size(table, 20)["status"].tolist()
    ['ok', 'too small']
    """
    min_size = check_int(min_size, "min_size", "apply_min_size", low=1,
                         fix="A slice needs at least one row to have a metric.")
    attrs = table.attrs
    lost = (table["status"] == "too small") & (table["size"] >= min_size)
    if lost.any():
        raise parameter_error("min_size", "apply_min_size",
                              f"at least {attrs.get('min_size')}, the size this table was judged at",
                              min_size, "Compute the table with slice_metrics(..., min_size=1) first.")
    out = table.copy()
    small = (out["size"] < min_size) & (out["status"] != "empty")
    out.loc[small, "status"] = "too small"
    out.loc[small, ["low", "high", "p_value"]] = np.nan
    level = attrs.get("level", 0.95)
    out["p_adjusted"] = _adjust(out["p_value"].to_numpy(dtype=float), attrs.get("correction"))
    out["flagged"] = (out["p_adjusted"] < 1 - level).to_numpy()
    out["note"] = _notes(out["status"].to_numpy(), attrs.get("metric"), min_size)
    out.attrs["min_size"] = min_size
    return out


def _notes(status: np.ndarray, metric, min_size: int) -> list[str]:
    """Why a slice is not 'ok', in a few words."""
    why = {"precision": "undefined: no predicted positives", "recall": "undefined: no positives",
           "auc": "undefined: one class only"}.get(metric if isinstance(metric, str) else "",
                                                  "undefined: metric not computable")
    text = {"empty": "no rows", "too small": f"too small (< {min_size} rows)", "undefined": why,
            "ok": ""}
    return [text[s] for s in status]
