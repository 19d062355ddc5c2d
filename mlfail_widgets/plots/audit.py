"""Chapter 08's figures: the drift report of a log, and a daily metric with its alarms.

* :func:`draw_drift` / :func:`update_drift`: one bar per feature, its population stability index
  (comparable across numeric and categorical features), flagged features in ``style.ALARM``,
  each bar labelled with its test's adjusted p-value, and on each bar a tick at its own noise
  level: ``psi_null95``, PSI's 95th percentile with no shift at the current window's size
  (chapter 05's threshold; the 0.1 / 0.25 rule of thumb stays as two light dotted lines).
  ``update_drift`` changes heights, colours, ticks and labels in place.
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
    """What :func:`update_drift` changes: the bars, their noise ticks, p-value labels and the title."""

    ax: Axes
    bars: BarContainer  # one bar per feature: its PSI
    noise: PathCollection  # one tick per feature: its psi_null95 (PSI's 95th percentile with no shift)
    labels: list[Text]  # each bar's test and adjusted p-value
    title: Text


@dataclass
class TimelineArtists(Artists):
    """The timeline's axes and its alarms (a static figure: nothing is updated in place)."""

    ax: Axes
    alarms: PathCollection  # one dot per day the detector fired


def _p_text(p: float) -> str:
    return "p < 1e-300" if p <= 1e-300 else f"p = {p:.2g}"


def _noise_text(psi: float, noise: float) -> str:
    """Where a PSI stands against its own noise level (the tick may be too close to 0 to see)."""
    if not np.isfinite(noise):
        return f"PSI {psi:.2g}"
    return f"PSI {psi:.2g}, {'above' if psi > noise else 'within'} its no-shift 95% ({noise:.2g})"


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
    >>> bool(drawn.artists.noise.get_offsets()[0, 0] < drawn.artists.bars[0].get_width())  # above its noise
    True
    """
    table = report.table
    k = len(table)
    with style.context():
        fig, ax = new_figure((7.6, 1.5 + 0.5 * k))
        bars = ax.barh(np.arange(k), np.zeros(k), height=0.6, zorder=3)
        labels = [ax.text(0, i, "", va="center", ha="left", fontsize=9, zorder=4) for i in range(k)]
        ax.set_yticks(np.arange(k), table["column"].tolist())
        ax.invert_yaxis()
        noise = ax.scatter(np.zeros(k), np.arange(k), marker="|", s=420, linewidths=2.2, color=style.NEUTRAL,
                           zorder=5, label="PSI's 95th percentile with no shift at this size (psi_null95)")
        rule = [ax.axvline(value, color=style.NEUTRAL, linestyle=":", linewidth=0.8, alpha=0.6, zorder=2)
                for value in (0.1, 0.25)]
        rule[0].set_label("rule of thumb: 0.1 moderate, 0.25 major shift")
        # named in a legend under the axes: text at the lines ran into the title and into each
        # other (they are close whatever the PSI scale), and a legend inside covered bars
        ax.set_xlabel("population stability index (PSI; 0 = same distribution)")
        fig.legend(handles=[noise, rule[0]], loc="outside lower center", ncols=2, fontsize=8, frameon=False,
                   markerscale=0.5)
        title = ax.set_title("")
    drawn = Drawn(fig, DriftArtists(ax=ax, bars=bars, noise=noise, labels=labels, title=title))
    update_drift(drawn, report)
    return drawn


def update_drift(drawn: Drawn[DriftArtists], report: Any) -> None:
    """Change the bars, colours, noise ticks, p-value labels and title in place (same features)."""
    table = report.table
    artists = drawn.artists
    ax = artists.ax
    psi = table["psi"].to_numpy(dtype=float)
    noise = table["psi_null95"].to_numpy(dtype=float)
    top = max(0.3, float(np.nanmax(np.r_[psi, noise])) * 1.45 if len(psi) else 0.3)
    artists.noise.set_offsets(np.column_stack([noise, np.arange(len(noise))]))
    for bar, label, value, row in zip(artists.bars, artists.labels, psi,
                                      table.itertuples(), strict=True):
        bar.set_width(value)
        bar.set_color(style.ALARM if row.drifted else style.GOOD)
        label.set_x(np.nanmax([value, row.psi_null95]) + top * 0.012)  # right of the bar and its tick
        label.set_text(f"{row.test}, {_p_text(row.adjusted_pvalue)}" + (" (drifted)" if row.drifted else "")
                       + f"\n{_noise_text(value, row.psi_null95)}")
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
