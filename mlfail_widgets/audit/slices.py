"""The slice chart of chapters 05 and 06 on your own log: a GROUP BY in the log's engine.

Every metric here is a proportion or a mean of a per-row value (accuracy, precision, recall,
a play or click rate, calibration, MAE, log loss), so a slice needs only three numbers from the
engine: its rows, the sum of the values and the sum of their squares. The intervals, p-values,
correction and flags then follow from those aggregates exactly as
:func:`mlfail_widgets.slicing.slice_metrics` computes them from the rows, and the table has the
same columns, so :mod:`mlfail_widgets.plots.slices` draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .._settings import settings_values
from .._validation import check_choice, check_int, parameter_error
from ..slicing._settings import RENAMED_OPTIONS, SliceSettings, _check_settings
from ._frames import LogFrame, as_log, windowed
from ._progress import Steps

if TYPE_CHECKING:
    from ..slicing import SliceResult

__all__ = ["LOG_METRICS", "slice_report", "slice_table"]

#: The metrics a log can be sliced by (from aggregates), and their kind.
LOG_METRICS = {"accuracy": "proportion", "precision": "proportion", "recall": "proportion",
               "rate": "proportion", "calibration": "mean", "mae": "mean", "log_loss": "mean"}
_COLUMNS = ["by", "slice", "size", "metric", "low", "high", "gap", "flagged", "status",
            "p_value", "p_adjusted", "note"]


def slice_table(by: str, labels: Sequence[str], n: ArrayLike, total: ArrayLike, square: ArrayLike | None = None, *,
                kind: str = "proportion", metric: str = "accuracy", fixed: bool = False,
                settings: SliceSettings | None = None, size: ArrayLike | None = None, engine: str = "",
                **overrides: Any) -> SliceResult:
    """The result of :func:`mlfail_widgets.slicing.slice_metrics` from per-slice aggregates.

    The metric, intervals and flags come from :func:`mlfail_widgets.slicing.compare_slices`
    (each slice against the rest of the rows); this adds the labels, sizes, statuses and the
    order of ``slice_metrics``'s table.

    Parameters
    ----------
    by : str
        The slicing column's name.
    labels : list of str
        One label per slice; ``"missing"`` last if there is such a slice.
    n, total, square : array-like
        Per slice: the rows the metric is averaged over (for precision: predicted positives;
        for recall: positives), the sum of their per-row values, the sum of their squares
        (for means).
    kind : {"proportion", "mean"}
    metric : str
        The metric's name.
    fixed : bool, default=False
        Keep the given order (bins); otherwise slices are sorted by metric, lowest first.
    settings : SliceSettings, optional
        The settings of :func:`mlfail_widgets.slicing.slice_metrics`; ``confidence``,
        ``correction`` and ``min_size`` apply here (the slices are already cut, and the
        intervals are Wilson's or Student's t from the aggregates).
    size : array-like, optional
        Rows per slice (default: ``n``); a slice without rows is "empty".
    engine : str
        Where the aggregates were computed (kept in ``result.extra["engine"]``).
    **overrides
        Fields of :class:`~mlfail_widgets.slicing.SliceSettings`, overriding ``settings``.

    Returns
    -------
    SliceResult

    Examples
    --------
    >>> result = slice_table("region", ["north", "south", "new"], [900, 900, 300], [765, 770, 180])
    >>> result[["slice", "size", "metric", "flagged"]].round(3).values.tolist()
    [['new', 300, 0.6, True], ['north', 900, 0.85, True], ['south', 900, 0.856, True]]
    >>> strict = SliceSettings(confidence=0.999, correction="bonferroni")
    >>> slice_table("region", ["north", "south", "new"], [900, 900, 300], [765, 770, 180],
    ...             settings=strict)["flagged"].tolist()
    [True, False, True]
    """
    import pandas as pd

    from ..slicing import SliceResult, apply_min_size, compare_slices

    options = _slice_options(settings, overrides, ("kind", "metric", "fixed", "size", "engine"))
    confidence, correction, min_size = options["confidence"], options["correction"], options["min_size"]

    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    compared = compare_slices(n, total, None if kind == "proportion" else square, kind=kind,
                              confidence=confidence, correction=correction, min_size=1)
    value = compared.value
    k = len(labels)
    size = (n if size is None else np.asarray(size, dtype=float)).astype(np.int64)
    status = np.select([size == 0, ~np.isfinite(value)], ["empty", "undefined"], "ok")
    ok = status == "ok"
    block = pd.DataFrame({"by": by, "slice": list(labels), "size": size, "metric": value,
                          "low": np.where(ok, compared.low, np.nan), "high": np.where(ok, compared.high, np.nan),
                          "gap": value - compared.overall, "flagged": False, "status": status,
                          "p_value": np.where(ok, compared.p_value, np.nan), "p_adjusted": np.nan, "note": ""})
    block["_missing"] = np.asarray(labels, dtype=object) == "missing"
    block["_undefined"] = ~np.isfinite(value)
    block["_rank"] = np.arange(k) if fixed else 0
    keys = ["_missing", "_rank"] if fixed else ["_missing", "_undefined", "metric", "slice"]
    table = block.sort_values(keys, kind="stable")[_COLUMNS].reset_index(drop=True)
    result = SliceResult(table, compared.overall, compared.overall_low, compared.overall_high, metric,
                         compared.confidence, compared.correction, "wilson" if kind == "proportion" else "t",
                         compared.test, int(size.sum()), 1, extra={"engine": engine})
    return apply_min_size(result, min_size)


def _slice_options(settings: SliceSettings | None, overrides: dict, also: Sequence[str]) -> dict:
    """The checked fields of ``settings`` with the keywords ``overrides`` replacing them.

    Log slices come from aggregates, so their intervals are always Wilson's (proportions) or
    Student's t (means): ``interval="bootstrap"`` is an error, not silently ignored.
    """
    options = _check_settings(settings_values(SliceSettings, settings, overrides, also=also,
                                              renamed=RENAMED_OPTIONS))
    if options["interval"] != "auto":
        raise parameter_error("interval", '"auto" for a log (its slices are aggregates: Wilson or t intervals)',
                              options["interval"],
                              fix="Bootstrap intervals need the rows: use slicing.slice_metrics on a sample.")
    return options


# ----------------------------------------------------------------------------- per-row values
def _binary_check(log: LogFrame, frame, column: str, parameter: str, extra: dict | None = None) -> dict:
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


def _value_expressions(log: LogFrame, metric: str, target: str, prediction: str) -> tuple[Any, Any, dict]:
    """The per-row value of ``metric``, its mask (or None), and the checks on the columns.

    No query runs here: ``checks`` (name -> (expression, "sum"/"min"/"max")) are aggregated
    in the same pass as the metric, then :func:`_check_values` reads them.
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


def _check_values(log: LogFrame, frame: Any, found: dict, target: str, prediction: str) -> None:
    """Raise the clear error for missing values, labels other than 0/1, or predictions outside
    [0, 1], from the aggregated checks of :func:`_value_expressions`."""
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


def _aggregate_checks(out: dict, checks: dict) -> dict:
    """Per-group check columns of a query folded into one value each."""
    how: dict[str, Callable[[np.ndarray], Any]] = {"sum": np.nansum, "min": np.nanmin, "max": np.nanmax}
    return {name: how[kind](np.asarray(out[name], dtype=float)) if len(out[name]) else 0
            for name, (_, kind) in checks.items()}


def _values(log: LogFrame, frame: Any, metric: str, target: str, prediction: str) -> tuple[Any, Any]:
    """(value expression, mask expression or None) of the per-row value of ``metric``, the
    columns checked first (one query)."""
    import narwhals as nw

    value, mask, checks = _value_expressions(log, metric, target, prediction)
    query = frame.select(*(e.alias(n) for n, (e, _) in checks.items())).select(
        *(getattr(nw.col(n), how)() for n, (_, how) in checks.items()))
    _check_values(log, frame, _aggregate_checks(log.collect(query), checks), target, prediction)
    return value, mask


# ----------------------------------------------------------------------------- slicing
def _quantile_edges(log: LogFrame, frame, column: str, bins: int, distinct: int) -> np.ndarray:
    """Quantile edges of a numeric column, as ``np.quantile`` (linear) gives them on the rows.

    Up to 100,000 distinct values the engine returns each value's count and the quantiles
    are exact; above, they come from a fine histogram (each edge the grid edge nearest its
    quantile, within one 1/4096 of the range).
    """
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    if distinct > 100_000:
        return _grid_edges(log, frame, column, bins)
    out = log.collect(frame.filter(~x.is_null()).select(x.alias("_v")).group_by("_v").agg(nw.len().alias("_n")))
    order = np.argsort(out["_v"])
    values, counts = out["_v"][order].astype(float), out["_n"][order].astype(np.int64)
    ends = np.cumsum(counts)  # the sorted rows [ends - counts, ends) hold each value
    h = (ends[-1] - 1) * np.linspace(0, 1, bins + 1)
    below = np.floor(h).astype(np.int64)
    value_at = values[np.searchsorted(ends, below, side="right")]
    value_next = values[np.searchsorted(ends, np.minimum(below + 1, ends[-1] - 1), side="right")]
    quantiles = value_at + (value_next - value_at) * (h - below)
    return np.unique(quantiles)


def _grid_edges(log: LogFrame, frame, column: str, bins: int, grid: int = 4096) -> np.ndarray:
    """Quantile edges of a numeric column from a fine histogram in the engine (approximate:
    each edge is the grid edge nearest its quantile)."""
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    ends = log.collect(frame.select(x.min().alias("lo"), x.max().alias("hi")))
    lo, hi = float(ends["lo"][0]), float(ends["hi"][0])
    span = hi - lo if hi > lo else 1.0
    position = ((x - lo) / span * grid).floor()
    code = nw.when(position >= grid).then(nw.lit(grid - 1)).otherwise(position).cast(nw.Int64)
    out = log.collect(frame.filter(~x.is_null()).select(code.alias("_bin")).group_by("_bin").agg(nw.len().alias("_n")))
    counts = np.zeros(grid)
    counts[out["_bin"].astype(int)] = out["_n"].astype(float)
    cumulative = np.cumsum(counts) / counts.sum()
    cut = np.searchsorted(cumulative, np.arange(1, bins) / bins, side="left") + 1
    inner = lo + np.unique(cut[(cut > 0) & (cut < grid)]) * span / grid
    return np.unique(np.r_[lo, inner, hi])


def _label(value: float) -> str:
    return f"{value:.4g}"


def _numeric_codes(column: str, edges: np.ndarray):
    """Code expression and labels for bins [e_i, e_i+1) (the last closed), below and above."""
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    labels = [f"< {_label(edges[0])}"]
    code = nw.when(x < edges[0]).then(nw.lit(0))
    for i in range(edges.size - 1):
        last = i == edges.size - 2
        labels.append(f"[{_label(edges[i])}, {_label(edges[i + 1])}{']' if last else ')'}")
        inside = (x <= edges[i + 1]) if last else (x < edges[i + 1])
        code = code.when(inside).then(nw.lit(i + 1))
    labels.append(f"> {_label(edges[-1])}")
    code = code.when(x > edges[-1]).then(nw.lit(edges.size))
    return code.cast(nw.Int64), labels


def slice_report(
    data: Any,
    by: str,
    metric: str = "accuracy",
    *,
    window: Sequence | None = None,
    timestamp: str = "timestamp",
    target: str = "label",
    prediction: str = "prediction",
    settings: SliceSettings | None = None,
    threads: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    **overrides: Any,
) -> SliceResult:
    """A metric on every slice of a log, with intervals and corrected flags, in the log's engine.

    Parameters
    ----------
    data : dataframe or str or Path
        The log (any engine :func:`drift_report` accepts, or a Parquet/CSV path).
    by : str
        The slicing column: text, boolean and integer columns with at most ``bins`` distinct
        values are sliced by value; other numeric columns at ``edges`` or into ``bins``
        quantile bins (quantiles from a 4096-bin histogram: each edge within one fine bin of
        the exact quantile above 100,000 distinct values, exact below). Missing values form a
        ``"missing"`` slice.
    metric : {"accuracy", "precision", "recall", "rate", "calibration", "mae", "log_loss"}
        As in :func:`mlfail_widgets.slicing.slice_metrics` (AUC and callables need the rows:
        use ``slice_metrics`` on a sample).
    window : (start, end), optional
        Only the rows of this time window (default: every row).
    timestamp, target, prediction : str
        Column names.
    settings : SliceSettings, optional
        The settings of :func:`mlfail_widgets.slicing.slice_metrics` (one settings class for
        every slice table of the course): ``bins``, ``edges`` (a number or list, or a dict
        keyed by ``by``), ``min_size``, ``confidence`` and ``correction`` apply; ``interval``
        must stay ``"auto"`` (``n_boot`` is unused). Each field can also be given as a
        keyword, which overrides ``settings``.
    threads : int, optional
        DuckDB threads, when ``data`` is a file path.
    progress : callable, optional
        ``progress(done, total, label)``.
    **overrides
        Fields of :class:`~mlfail_widgets.slicing.SliceSettings` (``bins`` at most 1000).

    Returns
    -------
    SliceResult
        As ``slice_metrics`` returns it (``result.extra["engine"]`` names the engine). On the
        same rows and slices its numbers equal ``slice_metrics``'s.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> region = rng.choice(["north", "south", "west", "new"], p=[0.3, 0.3, 0.3, 0.1], size=3000)
    >>> correct = rng.random(3000) < np.where(region == "new", 0.60, 0.85)
    >>> log = pd.DataFrame({"region": region, "label": 1, "prediction": correct.astype(int)})
    >>> table = slice_report(log, "region")
    >>> table[["slice", "size", "metric", "flagged"]].round(3).values.tolist()
    [['new', 302, 0.609, True], ['west', 865, 0.831, False], ['north', 919, 0.841, True], ['south', 914, 0.846, True]]
    >>> strict = SliceSettings(min_size=900, correction="bonferroni")
    >>> slice_report(log, "region", settings=strict, min_size=910)["status"].tolist()
    ['too small', 'too small', 'ok', 'ok']
    >>> slice_report(log, "region", min_sise=50)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: slice_report got an unexpected keyword argument 'min_sise'. Did you mean 'min_size'?
    >>> slice_report(log, "regoin")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'by' parameter of slice_report must be a column of the data (columns: 'region', 'label', 'prediction'). Got 'regoin' instead. Did you mean 'region'?
    """
    import narwhals as nw

    metric = check_choice(metric, "metric", LOG_METRICS)
    kind = LOG_METRICS[metric]
    options = _slice_options(settings, overrides, ("window", "timestamp", "target", "prediction", "threads",
                                                   "progress"))
    bins, edges = options["bins"], options["edges"]
    for name, option in (("bins", bins), ("edges", edges)):
        if isinstance(option, Mapping):
            check_choice(next(iter(set(option) - {by}), by), f"{name} key", [by])
    bins = bins.get(by, SliceSettings.bins) if isinstance(bins, Mapping) else bins
    edges = edges.get(by) if isinstance(edges, Mapping) else edges
    bins = check_int(bins, "bins", low=1, high=1000)
    log = as_log(data, threads=threads)
    if not isinstance(by, str):
        raise parameter_error("by", "one column name", by, fix="Call it once per column.")
    log.check(by, "by")
    log.check(target, "target")
    if metric != "rate":
        log.check(prediction, "prediction")
    steps = Steps(progress, 3)
    steps("checking the columns")
    frame = log.frame
    if window is not None:
        frame, _ = windowed(log, frame, timestamp, {"window": window})
    value, mask, checks = _value_expressions(log, metric, target, prediction)  # checked in the slices' pass

    steps(f"slicing by {by}")
    fixed = False
    if log.is_numeric(by):
        x = nw.col(by)
        distinct = log.collect(frame.select(x.n_unique().alias("k")))["k"][0]
        distinct = int(distinct) - int(log.collect(frame.select(x.is_null().cast(nw.Int64).max().alias("m")))["m"][0] or 0)
        if edges is None and distinct <= bins:
            codes, labels = x, None
        else:
            cut = (np.asarray(edges, dtype=float) if edges is not None
                   else _quantile_edges(log, frame, by, bins, distinct))
            if cut.ndim != 1 or cut.size < 2 or np.isnan(cut).any() or np.any(np.diff(cut) <= 0):
                raise parameter_error("edges", "at least two strictly increasing numbers", edges,
                                      fix="Give e.g. edges=[0, 18, 65, 120].")
            codes, labels = _numeric_codes(by, cut)
            fixed = True
    else:
        if edges is not None:
            raise parameter_error("edges", "given for numeric columns only", edges,
                                  fix=f"Column {by!r} is not numeric; it is sliced by value.")
        codes, labels = nw.col(by), None
    steps("aggregating per slice")
    weight = value if mask is None else nw.when(mask).then(value).otherwise(nw.lit(0.0))
    counted = nw.lit(1) if mask is None else mask.cast(nw.Int64)
    out = log.collect(frame.select(codes.alias("_slice"), counted.alias("_n"), weight.alias("_t"),
                                   (weight * weight).alias("_q"), *(e.alias(n) for n, (e, _) in checks.items()))
                      .group_by("_slice").agg(nw.col("_n").sum(), nw.col("_t").sum(), nw.col("_q").sum(),
                                              nw.len().alias("_rows"),
                                              *(getattr(nw.col(n), how)() for n, (_, how) in checks.items())))
    if not len(out["_rows"]):
        raise parameter_error("window", "a window with rows", window,
                              fix=f"No row of the log falls in it; check the dates against {timestamp!r}.")
    _check_values(log, frame, _aggregate_checks(out, checks), target, prediction)
    keys = out["_slice"]
    missing = np.array([k is None or (isinstance(k, float) and np.isnan(k)) for k in keys])
    if labels is None:  # by value: labels from the values, sorted like slice_metrics
        present = keys[~missing]
        if log.is_boolean(by) or present.dtype == object:
            names = [str(k) for k in present]
        else:
            names = [f"{k:.16g}" if isinstance(k, float) else str(k) for k in present]
        order = np.argsort(np.asarray(present.tolist(), dtype=object) if present.dtype == object else present,
                           kind="stable")
        labels = [names[i] for i in order]
        index = np.flatnonzero(~missing)[order]
        if missing.any():
            labels.append("missing")
            index = np.r_[index, np.flatnonzero(missing)]
        n, total, square, size = (out[k].astype(float)[index] for k in ("_n", "_t", "_q", "_rows"))
    else:  # bins: every bin, empty ones too; below/above only when they have rows
        k = len(labels)
        n, total, square, size = (np.zeros(k + 1) for _ in range(4))
        where = np.where(missing, k, np.nan_to_num(np.asarray(keys, dtype=float), nan=k)).astype(int)
        for target_array, source in ((n, "_n"), (total, "_t"), (square, "_q"), (size, "_rows")):
            np.add.at(target_array, where, out[source].astype(float))
        keep = np.r_[size[0] > 0, np.ones(k - 2, bool), size[k - 1] > 0, missing.any()]
        labels = [*labels, "missing"]
        labels = [lab for lab, kept in zip(labels, keep, strict=True) if kept]
        n, total, square, size = n[keep], total[keep], square[keep], size[keep]
    table = slice_table(by, labels, n, total, square, kind=kind, metric=metric, fixed=fixed,
                        settings=SliceSettings(**options), size=size, engine=log.engine)
    steps.finish()
    return table
