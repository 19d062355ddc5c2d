"""A model's metric per slice of the data, with confidence intervals and honest flags.

An aggregate metric hides the slices where a model fails: a recommender that serves popular
items well and new items badly, a classifier whose accuracy collapses for one region after a
shift. :func:`slice_metrics` computes the metric on every slice of one or more columns, an
interval for each, the gap to the overall value, and flags the slices that differ from the
rest of the data by more than chance explains once the number of slices looked at is
accounted for.

Pure pandas/numpy: no plotting (see :mod:`mlfail_widgets.plots.slices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._random import resolve_rng
from .._settings import settings_values
from .._validation import (
    check_choice,
    check_columns,
    check_int,
    parameter_error,
)
from ..statistics import adjust_pvalues
from ._binning import _slices
from ._data import _prepare
from ._flags import delong_auc, rest_test_pvalues
from ._intervals import _groups, _stats
from ._result import SliceResult
from ._settings import RENAMED_OPTIONS, SliceSettings, _check_settings

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
#: The corrections a slice table accepts ("none": no correction).
CORRECTIONS = ("holm", "bonferroni", "bh", "none")
STATUSES = ("ok", "too small", "undefined", "empty")
_COLUMNS = ["by", "slice", "size", "metric", "low", "high", "gap", "flagged", "status",
            "p_value", "p_adjusted", "note"]
_TESTS = {"proportion": "two-proportion score test, slice against the rest",
          "mean": "Welch's t-test, slice against the rest",
          "auc": "DeLong's test, slice AUC against the rest's",
          "callable": "z-test with a bootstrap standard error, slice against the rest"}


def _auc_pvalues(prep: dict, codes: np.ndarray, k: int) -> np.ndarray:
    """DeLong z-test of each slice's AUC against the AUC of the other rows (independent)."""
    from scipy import stats as st

    y, score = prep["y"], prep["score"]
    p = np.full(k, np.nan)
    for i, rows in enumerate(_groups(codes, k)):
        if not rows.size or rows.size == codes.size:
            continue
        rest = np.ones(codes.size, bool)
        rest[rows] = False
        auc, var = delong_auc(y[rows], score[rows])
        rest_auc, rest_var = delong_auc(y[rest], score[rest])
        se = np.sqrt(var + rest_var)
        if np.isfinite(se) and se > 0:
            p[i] = 2 * st.norm.sf(abs(auc - rest_auc) / se)
        elif np.isfinite(se):
            p[i] = 1.0 if auc == rest_auc else 0.0
    return p


def _bootstrap_pvalues(prep: dict, codes: np.ndarray, k: int, replicates: np.ndarray, n_boot: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Each slice against the rest for a callable metric: a z-test with the bootstrap's standard error.

    The difference ``fn(slice) - fn(rest)`` over its standard error, estimated from the slice's
    bootstrap replicates minus independent replicates of the rest (two independent samples),
    read on the normal law. A z-test rather than the share of replicates on each side of 0: that
    share cannot go below ``1 / (n_boot + 1)``, which at a few hundred replicates is above the
    per-slice levels Holm's correction asks for, so flags would fire below their level.
    """
    from scipy import stats as st

    y, pred, fn = prep["y"], prep["pred"], prep["fn"]
    p = np.full(k, np.nan)
    for i, rows in enumerate(_groups(codes, k)):
        if not rows.size or rows.size == codes.size or not np.isfinite(replicates[i]).any():
            continue
        keep = np.ones(codes.size, bool)
        keep[rows] = False
        truth, guess = y[keep], pred[keep]
        difference = float(fn(y[rows], pred[rows])) - float(fn(truth, guess))
        other = np.empty(n_boot)
        for b in range(n_boot):
            draw = rng.integers(0, truth.size, size=truth.size)
            other[b] = fn(truth[draw], guess[draw])
        spread = replicates[i] - other
        spread = spread[np.isfinite(spread)]
        if spread.size < 2 or not np.isfinite(difference):
            continue
        se = float(spread.std(ddof=1))
        p[i] = 2 * st.norm.sf(abs(difference) / se) if se > 0 else float(difference == 0)
    return p


# ----------------------------------------------------------------------------- public
def slice_metrics(
    data: Any,
    by: str | Sequence[str],
    metric: str | Callable[[Any, Any], float] = "accuracy",
    settings: SliceSettings | None = None,
    *,
    target: str = "label",
    prediction: str = "prediction",
    seed: int | np.random.Generator | None = 0,
    **overrides: Any,
) -> SliceResult:
    """A metric on every slice of the data, with intervals, gaps and corrected flags.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per prediction.
    by : str or list of str
        The slicing column(s); several give one block of rows each, in the order given.
        Categorical columns (text, bool, category) are sliced by value; numeric columns are
        cut into ``bins`` quantile bins (of the finite values), or at ``edges``. A numeric
        column with at most ``bins`` distinct values is sliced by value. Missing values (NaN,
        None) form their own slice, labelled ``"missing"``: they are never dropped. Infinite
        values fall outside every finite bin: ``-inf`` in the slice ``"< a"``, ``inf`` in
        ``"> b"`` (``a``, ``b``: the first and last edges).
    metric : str or callable, default="accuracy"
        ``"accuracy"``, ``"precision"``, ``"recall"`` (labels or probabilities, cut at 0.5),
        ``"auc"``, ``"log_loss"`` (probabilities), ``"mae"``, ``"calibration"`` (the signed mean
        of prediction minus target: predicted probability minus observed rate, 0 when
        calibrated), ``"rate"`` (the mean of a 0/1 target: a play or click rate; needs no
        prediction), or ``fn(y_true, y_pred) -> float``.
    settings : SliceSettings, optional
        How slices are cut, judged and flagged: the fields below from ``bins`` to
        ``correction``; default ``SliceSettings()``. Each field can also be given as a keyword,
        which overrides ``settings`` (an unknown keyword is an error naming the closest field).
    target, prediction : str
        Column names of the truth and the model's output. Classification metrics need a 0/1
        target. Missing values in them are an error.
    seed : int, numpy.random.Generator or None, default=0
        For the bootstrap.
    **overrides
        Fields of :class:`SliceSettings`:

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
    confidence : float, default=0.95
        Confidence level of the intervals, in (0, 1); slices are flagged at significance level
        ``1 - confidence`` after the correction.
    interval : {"auto", "bootstrap"}
        ``"auto"``: Wilson's interval for proportions (accuracy, precision, recall, rate),
        Student's t for means (log loss, MAE), a percentile bootstrap for the rest (AUC,
        callables). ``"bootstrap"``: the bootstrap for every metric.
    n_boot : int, default=1000
        Bootstrap replicates.
    correction : {"holm", "bonferroni", "bh", "none"}
        Multiple-comparison correction over all slices with status ``"ok"`` in the result:
        Holm's step-down (family-wise error), Bonferroni, Benjamini-Hochberg (false discovery
        rate), or none (``None`` is accepted for one release, with a warning).
    level : float, optional
        The old name of ``confidence`` (deprecated).

    Returns
    -------
    SliceResult
        ``by_slice`` (also ``to_frame()``): one row per slice: ``by`` (the column), ``slice``
        (its label), ``size`` (rows), ``metric``, ``low``, ``high`` (the slice's own interval
        at ``confidence``), ``gap`` (metric minus the overall value), ``flagged``, ``status``
        (``"ok"``, ``"too small"``, ``"undefined"``, ``"empty"``, checked in the order empty,
        too small, undefined), ``p_value`` (slice against the rest), ``p_adjusted`` and
        ``note`` (why a slice is not ``"ok"``). Attributes: ``overall``, ``overall_low``,
        ``overall_high``, ``metric``, ``confidence``, ``correction``, ``method``, ``test``,
        ``rows``, ``min_size``; ``flagged`` (the flagged rows).

        Order: blocks in the order of ``by``. Within a block, bins (and ordered categories)
        keep their natural order, low to high; other categories are sorted by metric, lowest
        first, undefined and empty slices after them; ``"missing"`` comes last.

    Notes
    -----
    **What a flag tests.** Each slice is compared with *the rest of the rows* (two independent
    samples): the pooled two-proportion score test for proportions, Welch's t-test for means
    (log loss, MAE, calibration), DeLong's test for AUC, and for a callable metric a z-test of
    the difference with its standard error from independent bootstraps of the slice and the rest.
    (That normal approximation is a little liberal on small slices: for AUC as a function, Holm's
    family-wise rate at a nominal 0.05 measured 0.03 with 200-row slices and 0.06-0.07 with
    100-row slices; for AUC prefer ``metric="auc"``, DeLong's test.) The p-values are adjusted for the number of slices tested, and a slice
    is flagged when its adjusted p-value is below ``1 - confidence``. Comparing a slice with
    the overall value as if that value were known would be wrong: the slice is part of it, so
    the difference's variance is only ``1 - w`` of what that test assumes (``w``: the slice's
    share of the rows), and flags would fire far below their level (1 % instead of 5 % for a
    40 % slice). The interval shown is the slice's own; so a slice can be flagged while its
    interval touches the overall value, or the reverse. The same flags from per-slice
    aggregates: :func:`compare_slices`.

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
    2  north   919   0.841  0.816  0.863     True
    3  south   914   0.846  0.821  0.868     True

    North and south are flagged too, and rightly: each is compared with the rest of the rows,
    which include the new region, and they are better than that rest.

    >>> round(table.overall, 3), table.test
    (0.816, 'two-proportion score test, slice against the rest')
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise parameter_error("data", "a pandas DataFrame", type(data).__name__)
    columns = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else None
    if not columns:
        raise parameter_error("by", "a column name or a non-empty list of them", by)
    check_columns(data, columns, "by")
    if not callable(metric):
        metric = check_choice(metric, "metric", METRICS)
    check_columns(data, [target], "target")
    if metric != "rate":
        check_columns(data, [prediction], "prediction")
    options = _check_settings(settings_values(SliceSettings, settings, overrides,
                                              renamed=RENAMED_OPTIONS))
    bins, edges, min_size = options["bins"], options["edges"], options["min_size"]
    confidence, interval, n_boot = options["confidence"], options["interval"], options["n_boot"]
    correction = options["correction"]
    for name, option in (("bins", bins), ("edges", edges)):
        for key in option if isinstance(option, Mapping) else ():
            check_choice(key, f"{name} key", columns)
    rng = resolve_rng(seed)

    prep = _prepare(data, metric, target, prediction)
    kind = prep["kind"]
    bootstrap = interval == "bootstrap" or kind in ("auc", "callable")
    method = "bootstrap" if bootstrap else "wilson" if kind == "proportion" else "t"
    whole = _stats(prep, np.zeros(len(data), dtype=np.int64), 1, confidence, bootstrap, n_boot, rng)
    overall = float(whole["value"][0])

    blocks = []
    for column in columns:
        codes, labels, fixed, has_missing = _slices(data, column, bins, edges)
        k = len(labels)
        stats = _stats(prep, codes, k, confidence, bootstrap, n_boot, rng)
        size = np.bincount(codes, minlength=k)
        value = stats["value"]
        status = np.select([size == 0, ~np.isfinite(value)], ["empty", "undefined"], "ok")
        if kind in ("proportion", "mean"):
            p = rest_test_pvalues(kind, stats["n"], stats["total"], stats["square"])
        elif kind == "auc":
            p = _auc_pvalues(prep, codes, k)
        else:
            p = _bootstrap_pvalues(prep, codes, k, stats["replicates"], n_boot, rng)
        p = np.where(status == "ok", p, np.nan)
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
    result = SliceResult(table, overall, float(whole["low"][0]), float(whole["high"][0]),
                         metric if isinstance(metric, str) else getattr(metric, "__name__", "metric"),
                         confidence, correction, method, _TESTS[kind], len(data), 1)
    return apply_min_size(result, min_size)


def apply_min_size(table: SliceResult, min_size: int) -> SliceResult:
    """Judge a :func:`slice_metrics` result again at another minimum slice size, without
    recomputing any metric or bootstrap.

    Slices smaller than ``min_size`` become ``"too small"`` (no interval, never flagged); the
    correction is redone over the slices left. A slice judged too small cannot get its interval
    back: to lower ``min_size``, start from a result computed with ``min_size=1``.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"group": ["a"] * 40 + ["b"] * 10, "label": 1, "prediction": 1})
    >>> table = slice_metrics(data, "group", min_size=1)
    >>> apply_min_size(table, 20)["status"].tolist()
    ['ok', 'too small']
    """
    if not isinstance(table, SliceResult):
        raise parameter_error("table", "the SliceResult of slice_metrics", type(table).__name__)
    min_size = check_int(min_size, "min_size", low=1,
                         fix="A slice needs at least one row to have a metric.")
    frame = table.by_slice
    lost = (frame["status"] == "too small") & (frame["size"] >= min_size)
    if lost.any():
        raise parameter_error("min_size",
                              f"at least {table.min_size}, the size this table was judged at",
                              min_size, fix="Compute the table with slice_metrics(..., min_size=1) first.")
    # Whole columns replaced from numpy arrays (a slider moves through here on every step;
    # masked ``.loc`` assignments cost milliseconds each, these microseconds).
    out = frame.copy()
    small = ((frame["size"] < min_size) & (frame["status"] != "empty")).to_numpy()
    if small.any():
        out["status"] = frame["status"].mask(small, "too small")
        for column in ("low", "high", "p_value"):
            values = frame[column].to_numpy(dtype=float, copy=True)
            values[small] = np.nan
            out[column] = values
    p = out["p_value"].to_numpy(dtype=float)
    adjusted = adjust_pvalues(p, table.correction) if np.isfinite(p).any() else np.full(len(out), np.nan)
    out["p_adjusted"] = adjusted
    out["flagged"] = adjusted < 1 - table.confidence
    out["note"] = _notes(out["status"].to_numpy(), table.metric, min_size)
    return table.with_rows(out, min_size=min_size)


def _notes(status: np.ndarray, metric, min_size: int) -> list[str]:
    """Why a slice is not 'ok', in a few words."""
    why = {"precision": "undefined: no predicted positives", "recall": "undefined: no positives",
           "auc": "undefined: one class only"}.get(metric if isinstance(metric, str) else "",
                                                  "undefined: metric not computable")
    text = {"empty": "no rows", "too small": f"too small (< {min_size} rows)", "undefined": why,
            "ok": ""}
    return [text[s] for s in status]
