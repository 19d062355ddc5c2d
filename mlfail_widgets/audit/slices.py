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
from ._frames import as_log, check_window_rows, windowed
from ._progress import Steps
from ._row_values import aggregate_checks, check_values, value_expressions
from ._slice_bins import numeric_codes, quantile_edges

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
    progress: Callable[[int, int, str], None] | str | None = "auto",
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
    progress : "auto", None or callable, default="auto"
        ``progress(done, total, label)``, called before each step; ``"auto"`` writes a text bar to
        standard error once the call has run for 2 s (in a notebook or a terminal); None is silent.
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
    steps = Steps(progress, 3, "slice_report")
    steps("checking the columns")
    frame, window_span = log.frame, None
    if window is not None:
        frame, window_span = windowed(log, frame, timestamp, {"window": window})
    value, mask, checks = value_expressions(log, metric, target, prediction)  # checked in the slices' pass

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
                   else quantile_edges(log, frame, by, bins, distinct))
            if cut.ndim != 1 or cut.size < 2 or np.isnan(cut).any() or np.any(np.diff(cut) <= 0):
                raise parameter_error("edges", "at least two strictly increasing numbers", edges,
                                      fix="Give e.g. edges=[0, 18, 65, 120].")
            codes, labels = numeric_codes(by, cut)
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
    if window_span is not None:
        check_window_rows(log, timestamp, window_span, {"window": int(np.sum(out["_rows"]))})
    elif not len(out["_rows"]):
        raise parameter_error("data", "a log with rows", "an empty log", fix="Pass the log with its rows.")
    check_values(log, frame, aggregate_checks(out, checks), target, prediction)
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
