"""Chapter 08: the course's detectors on your own log, from a laptop to a cluster.

Hand any dataframe (pandas, polars, pyarrow, a DuckDB relation, Dask, PySpark) or the path of a
Parquet/CSV file to these functions; the aggregations run in that engine and only small results
come back:

* :func:`drift_report`: every test of chapter 05 between two time windows;
* :func:`slice_report`: a metric per slice with intervals and corrected flags (chapter 05/06);
* :func:`feedback_check`: item popularity and item age slices, exposure Gini and new-item
  share per day (chapter 06);
* :func:`estimate_log_performance`: the label-free accuracy estimate with your own model;
* :func:`monitor_metric`: Page-Hinkley or CUSUM over a daily metric, with alarms.

Their statistical options are settings dataclasses (:class:`DriftSettings`,
:class:`SliceSettings`, the same as :func:`mlfail_widgets.slicing.slice_metrics` takes,
:class:`FeedbackSettings`, :class:`MonitorSettings`), passed as ``settings``; each field is
also a keyword that overrides it.
"""

from __future__ import annotations

from .._renamed import renamed_classes
from ..slicing._settings import SliceSettings
from ._frames import LogFrame, as_log, window_bounds
from ._settings import DriftSettings, FeedbackSettings, MonitorSettings
from .drift import binned_ks, binned_wasserstein, drift_report
from .estimate import LogPerformanceEstimate, estimate_log_performance
from .feedback import FeedbackReport, feedback_check
from .monitor import DETECTORS, MonitorRun, monitor_metric
from .slices import LOG_METRICS, slice_report, slice_table

__all__ = [
    "DETECTORS",
    "LOG_METRICS",
    "DriftSettings",
    "FeedbackReport",
    "FeedbackSettings",
    "LogFrame",
    "LogPerformanceEstimate",
    "MonitorRun",
    "MonitorSettings",
    "SliceSettings",
    "as_log",
    "binned_ks",
    "binned_wasserstein",
    "drift_report",
    "estimate_log_performance",
    "feedback_check",
    "monitor_metric",
    "slice_report",
    "slice_table",
    "window_bounds",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"LogPerformance": LogPerformanceEstimate, "FeedbackCheck": FeedbackReport, "MetricTimeline": MonitorRun})
