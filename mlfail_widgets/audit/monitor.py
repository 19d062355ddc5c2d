"""A streaming monitor over a daily metric of your log: Page-Hinkley or CUSUM, alarms on a timeline.

The engine returns one row per day (rows, and the sum of the per-row value); the daily metric is
standardised by its first ``baseline`` days (mean and standard deviation), and the detectors of
chapter 05 (:func:`~mlfail_widgets.failures.shift.cusum`,
:func:`~mlfail_widgets.failures.shift.page_hinkley`) run over it, so their thresholds read in
baseline standard deviations whatever the metric's units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._renamed import renamed_classes
from .._settings import settings_with
from .._validation import check_choice, parameter_error
from ._frames import as_log, check_window_rows, timestamp_expression, windowed
from ._settings import DETECTORS, MonitorSettings

__all__ = ["DETECTORS", "MonitorRun", "monitor_metric"]


@dataclass
class MonitorRun:
    """A daily metric and the days a detector raised an alarm.

    ``daily`` has ``day``, ``rows``, ``value`` (the metric), ``z`` (standardised by the
    baseline) and ``alarm`` (bool); ``alarms`` lists the alarm days.
    """

    daily: Any
    metric: str
    detector: str
    baseline: int
    threshold: float

    @property
    def alarms(self) -> list:
        """The days on which the detector fired."""
        return self.daily.loc[self.daily["alarm"], "day"].tolist()


def monitor_metric(
    data: Any,
    metric: str = "accuracy",
    *,
    column: str | None = None,
    timestamp: str = "timestamp",
    target: str = "label",
    prediction: str = "prediction",
    window: Sequence | None = None,
    settings: MonitorSettings | None = None,
    threads: int | None = None,
    **overrides: Any,
) -> MonitorRun:
    """Watch a daily metric of the log with a change detector.

    Parameters
    ----------
    data : dataframe or str or Path
        The log (any engine, or a Parquet/CSV path).
    metric : str, default="accuracy"
        A metric of :data:`mlfail_widgets.audit.LOG_METRICS` (from ``target`` and
        ``prediction``), or ``"mean"`` of ``column``.
    column : str, optional
        With ``metric="mean"``: the column averaged per day (a play flag, a latency, a score).
    timestamp, target, prediction : str
        Column names.
    window : (start, end), optional
        Only the days of this time window (default: every row); it must hold rows of the log.
    settings : MonitorSettings, optional
        The detector: the fields below from ``detector`` to ``delta``; default
        ``MonitorSettings()``. Each field can also be given as a keyword, which overrides
        ``settings``.
    threads : int, optional
        DuckDB threads, when ``data`` is a file path.
    **overrides
        Fields of :class:`MonitorSettings`:

    detector : {"cusum", "page_hinkley"}, default="cusum"
    baseline : int, default=14
        Days that set the standardisation (and the detectors' warm-up).
    threshold, delta : float
        The detector's threshold and allowance, in baseline standard deviations (CUSUM's
        classic ``h = 5``, ``k = 0.5``: about one false alarm in 465 days on a stable
        normal metric).

    Returns
    -------
    MonitorRun

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> days = np.repeat(pd.date_range("2026-01-01", periods=60), 400)
    >>> right = rng.random(days.size) < np.where(days >= pd.Timestamp("2026-02-10"), 0.78, 0.85)
    >>> log = pd.DataFrame({"timestamp": days, "label": 1, "prediction": right.astype(int)})
    >>> timeline = monitor_metric(log, "accuracy")
    >>> [str(day.date()) for day in timeline.alarms]
    ['2026-02-11']
    >>> slow = MonitorSettings(threshold=8.0)
    >>> monitor_metric(log, "accuracy", settings=slow).alarms == monitor_metric(log, "accuracy", threshold=8.0).alarms
    True
    >>> monitor_metric(log, "accuracy", treshold=8.0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: monitor_metric got an unexpected keyword argument 'treshold'. Did you mean 'threshold'?
    """
    import narwhals as nw
    import pandas as pd

    from ..failures.shift import cusum, page_hinkley
    from ._row_values import metric_values
    from .slices import LOG_METRICS

    metric = check_choice(metric, "metric", [*LOG_METRICS, "mean"])
    chosen = settings_with(MonitorSettings, settings, overrides,
                           also=("column", "timestamp", "target", "prediction", "window", "threads"))
    detector, baseline, threshold, delta = chosen.detector, chosen.baseline, chosen.threshold, chosen.delta
    log = as_log(data, threads=threads)
    frame, bounds = log.frame, None
    if window is not None:
        frame, bounds = windowed(log, frame, timestamp, {"window": window})
    if metric == "mean":
        if column is None:
            raise parameter_error("column", "a column name with metric='mean'", column)
        log.check(column, "column")
        if not (log.is_numeric(column) or log.is_boolean(column)):
            raise parameter_error("column", "a numeric column", column)
        value, mask = nw.col(column).cast(nw.Float64), None
    else:
        log.check(target, "target")
        if metric != "rate":
            log.check(prediction, "prediction")
        value, mask = metric_values(log, frame, metric, target, prediction)
    day = timestamp_expression(log, timestamp).dt.truncate("1d").alias("_day")
    counted = nw.lit(1) if mask is None else mask.cast(nw.Int64)
    weight = value if mask is None else nw.when(mask).then(value).otherwise(nw.lit(0.0))
    out = log.collect(frame.select(day, counted.alias("_n"), weight.alias("_t"))
                      .group_by("_day").agg(nw.col("_n").sum(), nw.col("_t").sum()))
    order = np.argsort(pd.to_datetime(out["_day"]).to_numpy())
    days = pd.to_datetime(out["_day"]).to_numpy()[order]
    n, total = out["_n"].astype(float)[order], out["_t"].astype(float)[order]
    if bounds is not None:  # an empty window is the window's fault, not the baseline's
        check_window_rows(log, timestamp, bounds, {"window": int(days.size)})
    if days.size < baseline + 2:
        where = "the window" if window is not None else "the log"
        raise parameter_error("baseline", f"at most {days.size - 2} days: {where} has {days.size} days, and "
                              "monitoring needs the baseline and 2 days after it", baseline,
                              fix=f"Use a shorter baseline, or a longer {'window' if window is not None else 'log'}.")
    with np.errstate(invalid="ignore", divide="ignore"):
        values = total / n
    if not np.isfinite(values).all():
        raise parameter_error("timestamp", "a log with rows for the metric on every day", timestamp,
                              fix="Some days have no rows the metric counts (e.g. no positives for recall).")
    centre, spread = values[:baseline].mean(), values[:baseline].std(ddof=1)
    z = (values - centre) / (spread if spread > 0 else 1.0)
    if detector == "cusum":
        hits = cusum(z, min_instances=baseline, delta=delta, threshold=threshold)
    else:
        hits = page_hinkley(z, min_instances=baseline, delta=delta, threshold=threshold)
    alarm = np.zeros(days.size, bool)
    alarm[hits] = True
    daily = pd.DataFrame({"day": days, "rows": n.astype(np.int64), "value": values, "z": z, "alarm": alarm})
    return MonitorRun(daily, metric if metric != "mean" else f"mean {column}", detector, baseline, threshold)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"MetricTimeline": MonitorRun})
