"""Chapter 08's figures: the drift report of a log, and a daily metric with its alarms.

* :func:`draw_drift` / :func:`update_drift`: one bar per feature, its population stability index
  (comparable across numeric and categorical features), flagged features in ``style.ALARM``,
  each bar labelled with its test's adjusted p-value. ``update_drift`` changes heights, colours
  and labels in place.
* :func:`draw_timeline`: the daily metric, its baseline band, and the detector's alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import style
from ._base import Artists, Drawn, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.text import Text

__all__ = ["DriftArtists", "TimelineArtists", "draw_drift", "draw_timeline", "update_drift"]


@dataclass
class DriftArtists(Artists):
    """What :func:`update_drift` changes: the bars, their p-value labels and the title."""

    ax: Axes
    bars: BarContainer  # one bar per feature: its PSI
    labels: list[Text]  # each bar's test and adjusted p-value
    title: Text


@dataclass
class TimelineArtists(Artists):
    """The timeline's axes and its alarms (a static figure: nothing is updated in place)."""

    ax: Axes
    alarms: PathCollection  # one dot per day the detector fired


def _p_text(p: float) -> str:
    return "p < 1e-300" if p <= 1e-300 else f"p = {p:.2g}"


def draw_drift(report: Any) -> Drawn[DriftArtists]:
    """Bars of each feature's PSI, coloured by the report's verdict.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mlfail_widgets.audit import drift_report
    >>> rng = np.random.default_rng(0)
    >>> log = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", periods=2000, freq="h"),
    ...                     "x": np.r_[rng.normal(size=1000), rng.normal(0.5, 1, 1000)]})
    >>> drawn = draw_drift(drift_report(log, ("2026-01-01", "2026-02-12"), ("2026-02-12", "2026-03-26")))
    >>> [t.get_text() for t in drawn.figure.axes[0].get_yticklabels()]
    ['x']
    """
    table = report.table
    k = len(table)
    with style.context():
        fig, ax = new_figure((7.6, 1.2 + 0.42 * k))
        bars = ax.barh(np.arange(k), np.zeros(k), height=0.6, zorder=3)
        labels = [ax.text(0, i, "", va="center", ha="left", fontsize=9, zorder=4) for i in range(k)]
        ax.set_yticks(np.arange(k), table["column"].tolist())
        ax.invert_yaxis()
        for value in (0.1, 0.25):
            ax.axvline(value, color=style.NEUTRAL, linestyle=":", linewidth=1, zorder=2)
        # the rule of thumb's lines are named in the axis label: text at the lines ran into the
        # title and into each other (they are close whatever the PSI scale)
        ax.set_xlabel("population stability index (PSI; 0 = same distribution; "
                      "dotted: 0.1 moderate, 0.25 major shift)")
        title = ax.set_title("")
    drawn = Drawn(fig, DriftArtists(ax=ax, bars=bars, labels=labels, title=title))
    update_drift(drawn, report)
    return drawn


def update_drift(drawn: Drawn[DriftArtists], report: Any) -> None:
    """Change the bars, colours, p-value labels and title in place (same features)."""
    table = report.table
    artists = drawn.artists
    ax = artists.ax
    psi = table["psi"].to_numpy(dtype=float)
    top = max(0.3, float(np.nanmax(psi)) * 1.45 if len(psi) else 0.3)
    for bar, label, value, row in zip(artists.bars, artists.labels, psi,
                                      table.itertuples(), strict=True):
        bar.set_width(value)
        bar.set_color(style.ALARM if row.drifted else style.GOOD)
        label.set_x(value + top * 0.01)
        label.set_text(f"{row.test}, {_p_text(row.adjusted_pvalue)}" + (" (drifted)" if row.drifted else ""))
    ax.set_xlim(0, top)
    flagged = int(table["drifted"].sum())
    sizes = (f"; {report.rows['reference']:,} vs {report.rows['current']:,} rows"
             if {"reference", "current"} <= set(report.rows) else "")
    artists.title.set_text(
        f"{flagged} of {len(table)} features drifted ({report.correction}, alpha {report.alpha:g}){sizes}")


def draw_timeline(timeline: Any, *, simulated: bool = False) -> Drawn[TimelineArtists]:
    """A daily metric, its baseline days shaded, and the days the detector fired.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mlfail_widgets.audit import monitor_metric
    >>> days = np.repeat(pd.date_range("2026-01-01", periods=40), 100)
    >>> log = pd.DataFrame({"timestamp": days, "label": 1,
    ...                     "prediction": (np.arange(days.size) % 10 < np.where(days > days[2000], 7, 9)).astype(int)})
    >>> drawn = draw_timeline(monitor_metric(log, "accuracy"))
    >>> len(drawn.artists.alarms.get_offsets()) >= 1
    True
    """
    daily = timeline.daily
    with style.context():
        fig, ax = new_figure((8.0, 3.0))
        days = daily["day"].to_numpy()
        ax.plot(days, daily["value"], color=style.GOOD, linewidth=1.5, marker="o", markersize=3,
                label=f"daily {timeline.metric}")
        ax.axvspan(days[0], days[min(timeline.baseline, len(days)) - 1], color=style.MUTED, alpha=0.3,
                   linewidth=0, label=f"baseline ({timeline.baseline} days)")
        hits = daily[daily["alarm"]]
        alarms = ax.scatter(hits["day"], hits["value"], color=style.ALARM, s=60, zorder=4,
                            label=f"{timeline.detector} alarm")
        for day in hits["day"]:
            ax.axvline(day, color=style.ALARM, linewidth=1, linestyle="--")
        ax.set_ylabel(timeline.metric)
        ax.set_xlabel("day")
        ax.legend(loc="best", fontsize=8)
        count = len(hits)
        ax.set_title(f"{timeline.metric} per day: {count} alarm{'s' * (count != 1)} "
                     f"({timeline.detector}, threshold {timeline.threshold:g} baseline sd)")
        fig.autofmt_xdate()
        if simulated:
            style.label_simulated(ax)
    return Drawn(fig, TimelineArtists(ax=ax, alarms=alarms))
