"""The slice chart widget: pick a slicing column, a metric and a minimum slice size.

The detection tool of the shift and feedback-loop chapters: a model's metric on every slice of
the data, with intervals and the overall value for reference; a slice is flagged when it differs
from the rest of the rows (see :func:`mlfail_widgets.slicing.slice_metrics`). Moving the minimum-size slider only
re-judges the table (no metric or bootstrap is recomputed), so it stays instant even for AUC.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..slicing import SliceResult

from .._settings import settings_values
from .._validation import check_choice, check_columns, check_int, parameter_error
from ..plots import slices as slice_plot
from ..slicing import METRICS, SliceSettings, apply_min_size, slice_metrics
from ..slicing._settings import RENAMED_OPTIONS, _check_settings
from .controls import Choice, Slider
from .panel import Panel

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SliceChart", "slice_chart"]

_CACHED = 16


def _name(metric: str | Callable) -> str:
    return metric if isinstance(metric, str) else getattr(metric, "__name__", "metric")


def summary_line(result: SliceResult, overall_note: str) -> str:
    """Flagged slices, the overall value followed by ``overall_note``, and the largest gap (HTML).

    The one summary line of every slice chart (a table's here, a log's in ``widgets.audit``).
    """
    metric = str(result.metric)
    show = slice_plot._format
    table = result.by_slice
    tested = table[table["status"] == "ok"]
    flagged = table[table["flagged"]]
    columns = html.escape(", ".join(dict.fromkeys(str(b) for b in table["by"])))
    text = (f"<b>{len(flagged)} of {len(tested)}</b> slices of <b>{columns}</b> flagged; "
            f"overall {html.escape(metric)} <b>{show(result.overall, metric)}</b> {overall_note}")
    if len(tested):
        worst = tested.loc[tested["gap"].abs().idxmax()]
        text += (f"; largest gap: <b>{html.escape(str(worst['slice']))}</b> "
                 f"{show(worst['metric'], metric)} ({worst['gap']:+.3g})")
    return text


def _summary(result) -> str:
    metric = str(result.metric)
    show = slice_plot._format
    table = result.by_slice
    text = summary_line(result, f"({result.confidence:.0%} interval {show(result.overall_low, metric)} to "
                                f"{show(result.overall_high, metric)})")
    small = int((table["status"] == "too small").sum())
    if small:
        text += f"; {small} too small to judge"
    return text


def _check_truth(data, metrics, target: str, prediction: str) -> None:
    """The target and prediction columns, checked here so the error names slice_chart's own
    parameters (``target=``, ``prediction=``) and the columns the table does have."""
    columns = [str(c) for c in getattr(data, "columns", [])]
    needed = [("target", target)]
    if any(m != "rate" for m in metrics):
        needed.append(("prediction", prediction))
    for name, column in needed:
        if column not in columns:
            shown = ", ".join(repr(c) for c in columns[:12]) + (", ..." if len(columns) > 12 else "")
            raise parameter_error(
                name, f"the column with the {'true labels' if name == 'target' else 'model output'}",
                column, fix=f"The table has no column {column!r} (its columns: {shown}); name yours "
                f"with slice_chart(data, by=[...], metrics=[...], {name}='<column>').")


class SliceChart(Panel):
    """A :class:`Panel` over :func:`mlfail_widgets.slicing.slice_metrics` and its chart.

    Controls: ``by`` (the slicing column), ``metric`` and ``min_size``. ``result`` is the
    slice table shown. Build it with :func:`slice_chart`.

    Tables are computed once per (column, metric) with every slice's interval and re-judged
    for each minimum size (:func:`mlfail_widgets.slicing.apply_min_size`); the last 16 are
    kept. Call :meth:`clear_cache` after changing ``data`` in place.
    """

    def __init__(self, data: Any, by: Any, metrics: Any, settings: SliceSettings | None = None, *,
                 target: str, prediction: str, min_size: int | None, seed: int | np.random.Generator | None,
                 title: str | None = None, background: Any = None, **slice_options: Any) -> None:
        columns = [by] if isinstance(by, str) else list(by)
        if not columns:
            raise parameter_error("by", "a column name or a non-empty list of them", by)
        check_columns(data, columns, "by")
        metrics = [metrics] if isinstance(metrics, str) or callable(metrics) else list(metrics)
        if not metrics:
            raise parameter_error("metrics", "a metric name or a non-empty list of them", metrics)
        for metric in metrics:
            if not callable(metric):
                check_choice(metric, "metrics", METRICS)
        names = [_name(m) for m in metrics]
        if len(set(names)) < len(names):
            raise parameter_error("metrics", "metrics with distinct names", names,
                                  fix="Give each callable metric its own function name.")
        # checked once here (an unknown keyword names slice_chart); every table is computed
        # with min_size=1 and re-judged at the slider's value
        chosen = _check_settings(settings_values(SliceSettings, settings, slice_options,
                                                 renamed=RENAMED_OPTIONS))
        _check_truth(data, metrics, target, prediction)
        slice_options = {**chosen, "min_size": 1}
        if min_size is None:
            min_size = chosen["min_size"] if settings is not None else 30
        min_size = check_int(min_size, "min_size", low=1)
        # Up to about the size of a typical slice (a fifth of the rows), at least 10 x min_size.
        high = max(min(len(data), max(10 * min_size, len(data) // 5)), min_size + 1)
        self.data = data
        self._tables: dict = {}

        def compute(by, metric, min_size):
            key = (by, metric)
            if key not in self._tables:  # min_size=1: every slice's interval, re-judged below
                if len(self._tables) >= _CACHED:
                    self._tables.pop(next(iter(self._tables)))
                self._tables[key] = slice_metrics(data, by, metric, target=target, prediction=prediction,
                                                  seed=seed, **slice_options)
            return apply_min_size(self._tables[key], min_size)

        compute.__name__ = "slice_metrics"
        super().__init__(
            compute, slice_plot.draw, slice_plot.update,
            {
                "by": Choice(columns, label="slice by"),
                "metric": Choice(dict(zip(names, metrics, strict=True)), label="metric"),
                "min_size": Slider(1, high, value=min_size, label="minimum slice size (rows)"),
            },
            summary=_summary, title=title, background=background,
        )

    def clear_cache(self) -> None:
        """Forget the computed tables, so the next change recomputes (after ``data`` changed)."""
        self._tables.clear()


def slice_chart(
    data: Any,
    by: str | Sequence[str],
    metrics: str | Callable | Sequence[str | Callable] = ("accuracy",),
    settings: SliceSettings | None = None,
    *,
    target: str = "label",
    prediction: str = "prediction",
    min_size: int | None = None,
    seed: int = 0,
    title: str | None = None,
    background: bool | None = None,
    **slice_options: Any,
) -> SliceChart:
    """A slice chart with dropdowns for the slicing column and the metric, and a slider for
    the minimum slice size.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per prediction.
    by : str or list of str
        The columns offered in the "slice by" dropdown (the first is shown first).
    metrics : str, callable or list of them, default=("accuracy",)
        The metrics offered (names as in :func:`mlfail_widgets.slicing.slice_metrics`).
    settings : SliceSettings, optional
        How the tables are computed (see :class:`mlfail_widgets.slicing.SliceSettings`); its
        ``min_size`` is the slider's starting value unless ``min_size`` is given.
    target, prediction : str
        Column names of the truth and the model's output.
    min_size : int, optional
        The slider's starting value; default ``settings.min_size`` (30).
    seed : int, default=0
        For the bootstrap intervals.
    title : str, optional
        A heading above the controls.
    background : bool, optional
        See :class:`Panel`.
    **slice_options
        ``bins``, ``edges``, ``confidence``, ``interval``, ``n_boot``, ``correction``: override
        the fields of ``settings``.

    Returns
    -------
    SliceChart
        A :class:`Panel`: ``chart.result`` is the table shown, ``chart.set(by=..., metric=...,
        min_size=...)`` changes it. A chapter that makes it its main widget calls
        ``chart.mark_main("by")``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"genre": rng.choice(["pop", "jazz", "rock"], 900),
    ...                      "age": rng.integers(18, 80, 900), "label": rng.integers(0, 2, 900)})
    >>> data["prediction"] = np.where(data["genre"] == "jazz", 1 - data["label"], data["label"])
    >>> chart = slice_chart(data, ["genre", "age"], ["accuracy", "recall"])
    >>> chart.result.loc[chart.result["flagged"], "slice"].tolist()
    ['jazz', 'pop', 'rock']
    >>> chart.set(by="age", min_size=300)["status"].tolist()
    ['too small', 'too small', 'too small', 'too small']
    >>> chart.close()
    """
    return SliceChart(data, by, metrics, settings, target=target, prediction=prediction, min_size=min_size,
                      seed=seed, title=title, background=background, **slice_options)
