"""Chapter 08's widgets: the slice chart and the drift report of your own log, and a progress bar.

Both take the same inputs as :mod:`mlfail_widgets.audit` (any dataframe, or a Parquet/CSV
path, and time windows); their computations run in the log's engine. The aggregates are
computed once per choice and cached, so moving a control that only re-judges them (the minimum
slice size, the correction, the level) costs no pass over the log.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._validation import check_choice, parameter_error
from ..plots import audit as audit_plot
from ..plots import slices as slice_plot
from .controls import Choice, Slider
from .panel import Panel, in_kernel

if TYPE_CHECKING:
    from ..audit import DriftSettings
    from ..slicing import SliceSettings

__all__ = ["LogSliceChart", "ProgressBar", "drift_report_widget", "log_slice_chart"]

_CACHED = 16


class ProgressBar:
    """A progress bar for a long call: ``progress(done, total, label)`` as the audit functions
    take it. It is displayed (hidden) on the first step and made visible once the call has run
    for ``delay`` seconds; at the end a call that stayed quick leaves nothing on the page, a
    long one a line saying how long it took.

    Examples
    --------
    >>> bar = ProgressBar(show=False)
    >>> bar(0, 2, "counts"); bar(1, 2, "histograms"); bar(2, 2, "done")
    >>> bar.steps, bar.widget.value, bar.widget.max
    (['counts', 'histograms', 'done'], 2, 2)
    """

    def __init__(self, delay: float = 2.0, *, show: bool | None = None):
        import ipywidgets as w

        self.delay = float(delay)
        self.show = in_kernel() if show is None else bool(show)
        self.widget = w.IntProgress(value=0, min=0, max=1, description="",
                                    layout=w.Layout(visibility="hidden", width="60%"))
        self.widget.add_class("mlfail-progress")
        self.steps: list[str] = []
        self._started: float | None = None
        self._timer: threading.Timer | None = None
        self._handle = None
        self.revealed = False

    def _reveal(self) -> None:
        self.revealed = True
        self.widget.layout.visibility = "visible"

    def __call__(self, done: int, total: int, label: str) -> None:
        if self._started is None:
            self._started = time.perf_counter()
            if self.show:
                from IPython.display import display

                self.revealed = False
                self._handle = display(self.widget, display_id=True)
                self._timer = threading.Timer(self.delay, self._reveal)
                self._timer.daemon = True
                self._timer.start()
        self.steps.append(label)
        self.widget.max = max(int(total), 1)
        self.widget.value = int(done)
        self.widget.description = label[:40]
        if done >= total:
            if self._timer is not None:
                self._timer.cancel()
            seconds = time.perf_counter() - self._started
            self.widget.description = f"done in {seconds:.1f} s"
            self._started = None
            if self._handle is not None:  # a static line replaces the bar (nothing if it was quick)
                from IPython.display import HTML

                self._handle.update(HTML(f"<small>{html.escape(self.steps[0] if self.steps else '')} ... "
                                         f"done in {seconds:.1f} s</small>" if self.revealed else ""))
                self._handle = None


def _progress(progress: Any):
    if progress is True:
        return ProgressBar()
    return progress or None


def slice_plot_summary(result: Any) -> str:
    """The key numbers of a slice result, one line of HTML (flagged slices, overall, largest gap)."""
    from .slices import summary_line

    return summary_line(result, f"on {result.rows:,} rows ({html.escape(str(result.extra.get('engine', '')))})")


class LogSliceChart(Panel):
    """A :class:`Panel` over :func:`mlfail_widgets.audit.slice_report` and the slice chart.

    Controls: ``by``, ``metric``, ``min_size``. Build it with :func:`log_slice_chart`.
    """

    def __init__(self, data: Any, by: str | Sequence[str], metrics: str | Sequence[str], *, window: Any,
                 timestamp: str, target: str, prediction: str, min_size: int | None = None,
                 title: str | None = None, background: Any = None, progress: Any = None,
                 settings: SliceSettings | None = None, **options: Any) -> None:
        from .._settings import settings_values
        from ..audit import LOG_METRICS, as_log, slice_report
        from ..slicing import SliceSettings, apply_min_size

        if min_size is not None:
            options["min_size"] = min_size
        chosen = SliceSettings(**settings_values(
            SliceSettings, settings, options, renamed={"level": "confidence"},
            also=("window", "timestamp", "target", "prediction", "title", "background", "progress")))
        min_size = chosen.min_size

        columns = [by] if isinstance(by, str) else list(by)
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        if not columns:
            raise parameter_error("by", "a column name or a non-empty list of them", by)
        if not metrics:
            raise parameter_error("metrics", "a metric name or a non-empty list of them", metrics)
        for metric in metrics:
            check_choice(metric, "metrics", LOG_METRICS)
        log = as_log(data)
        log.check(columns, "by")
        self.data = log
        self._tables: dict = {}
        progress = _progress(progress)

        def compute(by, metric, min_size):
            key = (by, metric)
            if key not in self._tables:
                if len(self._tables) >= _CACHED:
                    self._tables.pop(next(iter(self._tables)))
                self._tables[key] = slice_report(log, by, metric, window=window, timestamp=timestamp,
                                                 target=target, prediction=prediction, settings=chosen,
                                                 min_size=1, progress=progress)
            return apply_min_size(self._tables[key], min_size)

        compute.__name__ = "slice_report"
        super().__init__(
            compute, slice_plot.draw, slice_plot.update,
            {"by": Choice(columns, label="slice by"), "metric": Choice(metrics, label="metric"),
             "min_size": Slider(1, max(10 * min_size, 2), value=min_size, label="minimum slice size (rows)")},
            summary=slice_plot_summary, title=title, background=background)

    def clear_cache(self) -> None:
        """Forget the computed tables, so the next change queries the log again (after it changed)."""
        self._tables.clear()


def log_slice_chart(
    data: Any,
    by: str | Sequence[str],
    metrics: str | Sequence[str] = ("accuracy",),
    *,
    window: Sequence | None = None,
    timestamp: str = "timestamp",
    target: str = "label",
    prediction: str = "prediction",
    settings: SliceSettings | None = None,
    title: str | None = None,
    background: bool | None = None,
    progress: Any = True,
    **options: Any,
) -> LogSliceChart:
    """A slice chart of a log (any engine or a file path), with dropdowns for the slicing column
    and the metric and a slider for the minimum slice size.

    Parameters
    ----------
    data : dataframe or str or Path
        As :func:`mlfail_widgets.audit.slice_report` takes it.
    by : str or list of str
        The columns offered in "slice by".
    metrics : str or list of str, default=("accuracy",)
        Metrics of :data:`mlfail_widgets.audit.LOG_METRICS`.
    window, timestamp, target, prediction
        Passed to ``slice_report``.
    settings : SliceSettings, optional
        The slice chart's settings, as :func:`mlfail_widgets.slicing.slice_metrics` and
        ``slice_report`` take them (``min_size``, default 30, starts the slider).
    **options
        Fields of :class:`~mlfail_widgets.slicing.SliceSettings` (``bins``, ``edges``,
        ``min_size``, ``confidence``, ``correction``), overriding ``settings``.
    progress : bool or callable, default=True
        True: a :class:`ProgressBar` for calls over two seconds (in a notebook).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> log = pd.DataFrame({"device": rng.choice(["app", "web"], 800), "label": rng.integers(0, 2, 800)})
    >>> log["prediction"] = np.where(log["device"] == "web", 1 - log["label"], log["label"])
    >>> chart = log_slice_chart(log, ["device"], ["accuracy"], progress=False)
    >>> chart.result["flagged"].tolist()
    [True, True]
    >>> chart.close()
    >>> from mlfail_widgets.slicing import SliceSettings
    >>> chart = log_slice_chart(log, "device", settings=SliceSettings(min_size=500), progress=False)
    >>> chart.result["status"].tolist()
    ['too small', 'too small']
    >>> chart.close()
    """
    return LogSliceChart(data, by, metrics, window=window, timestamp=timestamp, target=target,
                         prediction=prediction, title=title, background=background,
                         progress=progress, settings=settings, **options)


def drift_report_widget(
    data: Any,
    reference: Sequence,
    current: Sequence,
    columns: Sequence[str] | None = None,
    settings: DriftSettings | None = None,
    *,
    timestamp: str = "timestamp",
    title: str | None = None,
    background: bool | None = None,
    progress: Any = True,
    threads: int | None = None,
    **options: Any,
) -> Panel:
    """The drift report of a log as a figure, with controls for the correction and the level ``alpha``.

    The report is computed once (its counts and p-values); the controls only re-apply the
    correction (:meth:`~mlfail_widgets.failures.shift.DriftReport.with_correction`). They start
    from the caller's settings: ``settings`` (a :class:`~mlfail_widgets.audit.DriftSettings`)
    and its fields as keywords (``correction``, ``alpha``, ``bins``, ...), which override it, as
    :func:`mlfail_widgets.audit.drift_report` takes them. An ``alpha`` other than the offered
    0.001, 0.01, 0.05 and 0.1 is added to the choices.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> log = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", periods=2000, freq="h"),
    ...                     "x": np.r_[rng.normal(size=1000), rng.normal(0.1, 1, 1000)], "z": rng.normal(size=2000)})
    >>> panel = drift_report_widget(log, ("2026-01-01", "2026-02-12"), ("2026-02-12", "2026-03-26"), progress=False)
    >>> panel.result.drifted, panel.set(alpha=0.001).drifted
    (['x'], [])
    >>> panel.close()
    >>> panel = drift_report_widget(log, ("2026-01-01", "2026-02-12"), ("2026-02-12", "2026-03-26"),
    ...                             correction="holm", alpha=0.02, progress=False)
    >>> panel.result.correction, panel.result.alpha
    ('holm', 0.02)
    >>> panel.close()
    """
    from dataclasses import replace

    from .._settings import settings_with
    from ..audit import DriftSettings, drift_report
    from ..failures.shift import CORRECTIONS, DriftReport

    chosen = settings_with(DriftSettings, settings, options, renamed={"level": "alpha"},
                           also=("timestamp", "title", "background", "progress", "threads"))
    # counted and tested once without a correction; the controls re-judge it
    base = drift_report(data, reference, current, columns, replace(chosen, correction="none"),
                        timestamp=timestamp, threads=threads, progress=_progress(progress))

    def compute(correction: str, alpha: float) -> DriftReport:
        return base.with_correction(correction, alpha)

    def summary(report: DriftReport) -> str:
        drifted = ", ".join(html.escape(str(c)) for c in report.drifted) or "none"
        return (f"<b>{len(report.drifted)} of {len(report.table)}</b> features drifted: {drifted} "
                f"({report.rows['reference']:,} reference vs {report.rows['current']:,} current rows, "
                f"{html.escape(report.engine)}, {html.escape(', '.join(sorted(set(report.table['method']))))})")

    compute.__name__ = "drift_report"
    alphas = sorted({0.001, 0.01, 0.05, 0.1, chosen.alpha})
    return Panel(compute, audit_plot.draw_drift, audit_plot.update_drift,
                 {"correction": Choice(list(CORRECTIONS), value=chosen.correction, label="correction"),
                  "alpha": Choice(alphas, value=chosen.alpha, label="alpha")},
                 summary=summary, title=title, background=background)
