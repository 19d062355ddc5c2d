"""The drift report of chapter 05 on your own log: two time windows, any engine, any size.

Small windows (together at most ``exact_max_rows`` rows) are brought back as they are and
handed to :func:`mlfail_widgets.failures.shift.detect_drift`, the course's own report: the
results *are* the pandas path's. Larger windows never leave the engine: it returns counts
only (rows per window, per category, per bin of a fine grid) and the statistics follow from
them, by the count-based tests of :mod:`mlfail_widgets.failures.shift.binned`.

* chi-square, PSI and Jensen-Shannon of a categorical column need only the category counts,
  so they are exact on any size;
* a numeric column is counted in a fine quantile grid of the reference window (``grid`` bins,
  edges from a sample of it; :mod:`._counts`), with each bin's smallest and largest value. The
  ECDFs are known exactly outside the occupied part of each bin, and inside it each lies
  between its values at the two ends, which bounds the Kolmogorov-Smirnov statistic and the
  Wasserstein distance from both sides. The report states the bounds (``statistic_bound``,
  ``wasserstein_bound``) and flags with the largest p-value the bound allows, so the stated
  level still holds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .._settings import settings_with
from .._validation import parameter_error
from ..failures.shift.binned import (
    binned_ks,
    binned_ks_test,
    binned_wasserstein,
    jensen_shannon_from_counts,
    merge_bins,
)
from ..statistics import DRIFT_EFFECT_COLUMNS, psi_from_counts, psi_null
from ._counts import (
    category_counts,
    numeric_counts,
    quantile_lookup,
    reference_sample,
    window_rows,
)
from ._counts import windowed_sql as _windowed_sql
from ._frames import as_log, check_window_rows, windowed
from ._progress import Steps
from ._settings import DriftSettings
from ._stream import stream_counts

if TYPE_CHECKING:
    from ..failures.shift import DriftReport

__all__ = ["binned_ks", "binned_wasserstein", "drift_report"]  # binned_*: re-exported from failures.shift.binned

_WINDOWS = ("reference", "current")
_COLUMNS = ["column", "type", "test", "statistic", "pvalue", "adjusted_pvalue", "drifted", "psi", "jensen_shannon",
            "wasserstein_sd", *DRIFT_EFFECT_COLUMNS, "psi_null95", "method",
            "statistic_bound", "wasserstein_bound", "pvalue_low"]


def _missing_error(column: str, count: int) -> Exception:
    return parameter_error(
        "columns", "columns without missing values in the two windows", column,
        fix=f"{column!r} has {count} missing (or NaN/infinite) values there. Drop or fill them in the "
        "log first (a missing value is not a value a test can compare).")


def _chi_square_from_counts(column: str, table: np.ndarray) -> tuple[float, float]:
    """(statistic, p-value) of :func:`~mlfail_widgets.failures.shift.chi_square_from_counts` on a
    column's 2 x k table, its small-count warning worded for the log."""
    from ..failures.shift.chi_square import chi_square_from_counts

    result = chi_square_from_counts(
        table, caller=f"drift_report, column {column!r}", advice=(
            "Merge its rare categories in the log (chi_square_test's method='merged'), or test the two windows' "
            "values with chi_square_test(..., method='exact') (a permutation p-value)."))
    return result.statistic, result.pvalue


# ----------------------------------------------------------------------------- the report
def drift_report(
    data: Any,
    reference: Sequence,
    current: Sequence,
    columns: Sequence[str] | None = None,
    settings: DriftSettings | None = None,
    *,
    timestamp: str = "timestamp",
    threads: int | None = None,
    progress: Callable[[int, int, str], None] | str | None = "auto",
    **overrides: Any,
) -> DriftReport:
    """Test every feature of a log for drift between two time windows, in the log's own engine.

    Parameters
    ----------
    data : dataframe or str or Path
        The log: pandas, polars, pyarrow, a DuckDB relation, a Dask or PySpark dataframe, or
        the path of a Parquet/CSV file (read by DuckDB, never loaded whole).
    reference, current : (start, end)
        The two time windows, as dates or timestamps; the start is included, the end excluded.
        Each must hold at least ``min_rows`` rows, and they may not overlap (a row in both
        would be compared with itself); the error names the window and the log's dates.
    columns : list of str, optional
        The features to test (default: every column but ``timestamp``).
    settings : DriftSettings, optional
        What is tested and how: the fields below from ``alpha`` to ``min_rows``; default
        ``DriftSettings()``. Each field can also be given as a keyword, which overrides
        ``settings`` (an unknown keyword is an error naming the closest one).
    timestamp : str, default="timestamp"
        The time column: timestamps, or ISO-8601 text parsed by the engine.
    threads : int, optional
        DuckDB threads, when ``data`` is a file path, and the threads that count a DuckDB log's
        numeric columns (default: the machine's cores).
    progress : "auto", None or callable, default="auto"
        ``progress(done, total, label)``, called before each step; ``"auto"`` writes a text bar to
        standard error once the call has run for 2 s (in a notebook or a terminal); None is silent.
    **overrides
        Fields of :class:`DriftSettings`:

    alpha, correction, bins
        As in :func:`mlfail_widgets.failures.shift.detect_drift` (``level`` is the old name of
        ``alpha``).
    grid : int, default=2048
        Bins per numeric column when the windows are too large to test exactly: a quantile
        grid of the reference window (edges from a sample of about 100,000 of its rows).
    exact_max_rows : int, default=1_000_000
        Up to this many rows in the two windows together, the rows of the tested columns are
        brought back and the course's exact report runs on them.
    min_rows : int, default=20
        The fewest rows a window may have for the tests to mean anything.

    Returns
    -------
    DriftReport
        The course's report (:class:`mlfail_widgets.failures.shift.DriftReport`): one row per
        feature with ``statistic``, ``pvalue``, ``adjusted_pvalue``, ``drifted``, ``psi``,
        ``jensen_shannon``, ``wasserstein_sd``, and three more columns: ``method`` ("exact",
        or "binned"), ``statistic_bound`` (the true KS statistic lies in
        ``[statistic, statistic + statistic_bound]``; the p-value is the largest this allows)
        and ``wasserstein_bound`` (the true normed Wasserstein distance is within this of
        ``wasserstein_sd``). The report's ``engine``, ``rows`` (per window), ``windows`` and
        ``grid`` (binned path) say what was counted where.

    Notes
    -----
    Binned PSI and Jensen-Shannon cut the numeric columns at the grid edges nearest the
    reference's quantiles (the pandas path cuts at the quantiles themselves), so they differ
    from it by the mass of about one grid bin per cut. ``psi_null95`` is PSI's 95th
    percentile without shift (:func:`mlfail_widgets.statistics.psi_null`) from the
    reference's counts in those bins, as the exact path computes it. A binned KS statistic is
    at most ``statistic_bound`` below the exact one: about the share of the largest grid bin
    (``1 / grid`` on a quantile grid), less where a bin holds a single value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> log = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", periods=4000, freq="h"),
    ...                     "x": np.r_[rng.normal(size=2000), rng.normal(0.3, 1, size=2000)],
    ...                     "z": rng.normal(size=4000)})
    >>> windows = dict(reference=("2026-01-01", "2026-03-25"), current=("2026-03-25", "2026-06-17"))
    >>> report = drift_report(log, **windows)
    >>> report.drifted, report.table["method"].tolist()
    (['x'], ['exact', 'exact'])
    >>> binned = drift_report(log, **windows, exact_max_rows=0)
    >>> binned.drifted, bool((binned.table["statistic_bound"] < 0.01).all())
    (['x'], True)

    The same binned report from a settings object (keywords still override its fields):

    >>> coarse = DriftSettings(exact_max_rows=0, grid=512)
    >>> drift_report(log, **windows, settings=coarse).grid, drift_report(log, **windows, settings=coarse, grid=1024).grid
    (512, 1024)
    >>> drift_report(log, **windows, alpah=0.01)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: drift_report got an unexpected keyword argument 'alpah'. Did you mean 'alpha'?
    >>> drift_report(log, **windows, columns=["xx"])
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'columns' parameter of drift_report must be a column of the data (columns: 'timestamp', 'x', 'z'). Got 'xx' instead. Did you mean 'x'?
    """
    import pandas as pd

    from ..failures.shift import detect_drift

    chosen = settings_with(DriftSettings, settings, overrides, also=("timestamp", "threads", "progress"),
                           renamed={"level": "alpha"})
    alpha, correction, bins, grid = chosen.alpha, chosen.correction, chosen.bins, chosen.grid
    exact_max_rows, min_rows = chosen.exact_max_rows, chosen.min_rows
    log = as_log(data, threads=threads)
    log.check(timestamp, "timestamp")
    if columns is None:
        columns = [c for c in log.columns if c != timestamp]
    elif isinstance(columns, str):
        columns = [columns]
    columns = log.check(list(columns), "columns")
    if not columns:
        raise parameter_error("columns", "at least one feature column", columns)
    numeric = [c for c in columns if log.is_numeric(c)]
    steps = Steps(progress, 4, "drift_report")

    steps("rows per window")
    frame, bounds = windowed(log, log.frame, timestamp, dict(zip(_WINDOWS, (reference, current), strict=True)))
    sql = _windowed_sql(log, timestamp, bounds)
    rows = window_rows(log, frame, sql)
    check_window_rows(log, timestamp, bounds, dict(zip(_WINDOWS, rows, strict=True)), minimum=max(min_rows, 1),
                      setting="min_rows")

    if rows.sum() <= exact_max_rows:
        steps("fetching the rows (small enough for the exact tests)")
        steps.total -= 2
        picked = log.collect(frame.select("_window", *columns))
        window = picked["_window"].astype(int)
        for c in columns:
            values = picked[c]
            bad = pd.isna(values) | (~np.isfinite(values.astype(float)) if c in numeric else False)
            if np.any(bad):
                raise _missing_error(c, int(np.sum(bad)))
        frames = [pd.DataFrame({c: picked[c][window == i] for c in columns}) for i in range(2)]
        for c in columns:  # the log's types decide numeric vs categorical, as in the binned path
            if c not in numeric:
                for f in frames:
                    f[c] = f[c].astype(str)
        report: DriftReport = detect_drift(frames[0], frames[1], columns, alpha=alpha, correction=correction,
                                           bins=bins)
        table: Any = report.table  # (a pandas DataFrame; typed loosely in failures.shift.report)
        table["method"] = "exact"
        table["statistic_bound"] = 0.0
        table["wasserstein_bound"] = np.where(table["type"] == "numeric", 0.0, np.nan)
    else:
        report = _binned_report(log, frame, sql, columns, numeric, rows, bounds, timestamp, steps,
                                alpha=alpha, correction=correction, bins=bins, grid=grid, threads=threads)
    steps.finish()
    return replace(report, engine=log.engine, rows={"reference": int(rows[0]), "current": int(rows[1])},
                   windows={w: (str(bounds[w][0]), str(bounds[w][1])) for w in _WINDOWS},
                   grid=None if report.table["method"].iloc[0] == "exact" else grid)


def _binned_report(log: Any, frame: Any, sql: str | None, columns: list[str], numeric: list[str], rows: np.ndarray,
                   bounds: dict, timestamp: str, steps: Steps, *, alpha: float, correction: str, bins: int,
                   grid: int, threads: int | None) -> DriftReport:
    """The report from counts in the engine (see the module's docstring)."""
    import pandas as pd

    from ..failures.shift import DriftReport, adjust_pvalues
    from ..statistics import drift_effects

    steps("a sample of the reference window for the bin edges")
    sample = reference_sample(log, timestamp, numeric, bounds, int(rows[0])) if numeric else {}
    steps("histograms of the numeric columns")
    records, reference_bins, dof = [], {}, {}
    lookups = {c: quantile_lookup(sample[c], grid) for c in numeric}
    if sql is not None and numeric:
        counted = stream_counts(log, sql, lookups, threads=threads or os.cpu_count() or 2)
    else:
        counted = {c: numeric_counts(log, frame, c, lookups[c]) for c in numeric}
    for c in numeric:
        found = counted[c]
        if found.missing or found.infinite:
            raise _missing_error(c, found.missing + found.infinite)
        r, k, edges = found.intervals(lookups[c])
        ks = binned_ks_test(r, k, edges)
        w, w_bound = binned_wasserstein(r, k, edges)
        mean = found.total[0] / rows[0]  # the reference's standard deviation (ddof=0), from its sums
        sd = max(float(np.sqrt(max(found.square[0] / rows[0] - mean * mean, 0.0))), 0.001)
        merged = merge_bins(found.counts[0], found.counts[1], bins)
        reference_bins[c] = merged[0]
        records.append((c, "numeric", "Kolmogorov-Smirnov", ks.statistic, ks.pvalue, float(psi_from_counts(*merged)),
                        jensen_shannon_from_counts(*merged), w / sd, ks.statistic_bound, ks.pvalue_low, w_bound / sd))
    steps("counts of the categorical columns")
    categorical = [c for c in columns if c not in numeric]
    for c, (_, table) in category_counts(log, frame, sql, categorical).items():
        if table[:, -1].sum():
            raise _missing_error(c, int(table[:, -1].sum()))
        table = table[:, :-1]
        table = table[:, table.sum(axis=0) > 0]
        dof[c] = table.shape[1] - 1
        statistic, pvalue = _chi_square_from_counts(c, table)
        reference_bins[c] = table[0]
        records.append((c, "categorical", "chi-square", statistic, pvalue, float(psi_from_counts(table[0], table[1])),
                        jensen_shannon_from_counts(table[0], table[1]), np.nan, 0.0, pvalue, np.nan))
    table = pd.DataFrame(records, columns=["column", "type", "test", "statistic", "pvalue", "psi", "jensen_shannon",
                                           "wasserstein_sd", "statistic_bound", "pvalue_low", "wasserstein_bound"])
    table = table.set_index("column").loc[columns].reset_index()
    table.insert(5, "adjusted_pvalue", adjust_pvalues(table["pvalue"].to_numpy(), correction))
    table.insert(6, "drifted", table["adjusted_pvalue"] < alpha)
    table["method"] = "binned"
    effects = drift_effects(table["type"].tolist(), table["statistic"].tolist(), (int(rows[0]), int(rows[1])),
                            alpha, correction, [dof.get(c) for c in table["column"]])
    for name, values in effects.items():
        table[name] = values
    table["psi_null95"] = [psi_null(reference_bins[c], int(rows[1]), seed=0)["threshold"] for c in columns]
    return DriftReport(table[_COLUMNS], alpha, correction, dofs=dof)
