"""Chapter 02's figures: the registry timeline (what production names, what the service serves),
and the cost of a stale model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import style
from ._base import Artists, Drawn, figure_for, new_figure, percent_ticks

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    from ..failures.deployment import DeploymentRun, TimelineEvent

__all__ = ["StalenessArtists", "TimelineArtists", "draw", "draw_staleness", "update"]

_OUTCOME_STYLE = {  # outcome -> (marker, face colour, edge colour, legend label)
    "passed": ("o", style.PALETTE["green"], "white", "check passed"),
    "flagged": ("X", style.ALARM, "white", "check failed / canary refused"),
    "unchecked": ("o", "white", style.NEUTRAL, "no check run"),
}


def _kind(event: TimelineEvent) -> str | None:
    if event.action in ("start", "train"):
        return None
    if event.outcome in ("caught", "refused"):
        return "flagged"
    return "passed" if event.outcome == "passed" else "unchecked"


@dataclass
class TimelineArtists(Artists):
    """What :func:`update` changes: the registry (top) and the accuracy (bottom) over the weeks."""

    registered: PathCollection  # one dot per registered version
    production: Line2D  # the production pointer (registry)
    served: Line2D  # the version the service really serves
    served_accuracy: Line2D
    production_accuracy: Line2D
    now: list[Line2D]  # the current week, on both axes
    status: Text  # the status box above the axes
    passed: PathCollection  # promote/deploy/rollback whose check passed
    flagged: PathCollection  # ... whose check failed or canary refused
    unchecked: PathCollection  # ... with no check run

    def outcome(self, kind: str) -> PathCollection:
        """The markers of one outcome kind (``"passed"``, ``"flagged"``, ``"unchecked"``)."""
        markers: PathCollection = getattr(self, kind)
        return markers


@dataclass
class StalenessArtists(Artists):
    """The bars of :func:`draw_staleness` (drawn once, not updated)."""

    bars: BarContainer
    labels: list[Text]


def draw(state: DeploymentRun, ax: Any = None) -> Drawn[TimelineArtists]:
    """The timeline of a :class:`~mlfail_widgets.failures.deployment.DeploymentRun`.

    Top: registered versions (dots), the production pointer and the version the service
    actually serves, with the outcome of every promote/deploy/rollback. Bottom: the served
    model's accuracy on each week's traffic, against what the production version would score.
    With ``ax`` (a pair of axes) the figure is drawn into them.

    Examples
    --------
    >>> from mlfail_widgets.failures.deployment import DeploymentTimeline
    >>> with DeploymentTimeline(seed=0) as timeline:
    ...     drawn = draw(timeline.snapshot())
    >>> sorted(drawn.artists)[:4]
    ['flagged', 'now', 'passed', 'production']
    """
    with style.context():
        fig, (top, bottom) = figure_for(ax, (9.5, 7.2), nrows=2, sharex=True, height_ratios=[3, 2])
        registered = top.scatter([], [], s=36, color=style.MUTED, zorder=2, label="registered version")
        (production,) = top.plot([], [], drawstyle="steps-post", color=style.GOOD, linewidth=2.6,
                                 label="production pointer (registry)", zorder=3)
        (served,) = top.plot([], [], drawstyle="steps-post", color=style.ALARM, linewidth=2.2,
                             linestyle=(0, (4, 2)), label="what the service serves", zorder=4)
        markers = {}
        for kind, (marker, face, edge, label) in _OUTCOME_STYLE.items():
            markers[kind] = top.scatter([], [], marker=marker, s=90, facecolor=face, edgecolor=edge,
                                        linewidth=1.4, zorder=5, label=label)
        now = [axis.axvline(1, color=style.NEUTRAL, linewidth=1, linestyle=":") for axis in (top, bottom)]
        top.set_ylabel("model version")
        top.set_ylim(0.4, state.weeks + 0.6)
        top.set_yticks(range(1, state.weeks + 1), [f"v{v}" for v in range(1, state.weeks + 1)])
        top.set_xlim(0.7, state.weeks + 1)
        # The status box sits in the title row, above the axes: it never covers the data.
        top.set_title("Registry versus service: which model is really serving?", pad=84)
        status = top.text(0.0, 1.03, "", transform=top.transAxes, va="bottom", ha="left", fontsize=9,
                          family="monospace", bbox={"facecolor": "white", "edgecolor": style.MUTED})

        (production_accuracy,) = bottom.plot([], [], drawstyle="steps-post", color=style.GOOD,
                                             linewidth=2.6)
        (served_accuracy,) = bottom.plot([], [], drawstyle="steps-post", color=style.ALARM, linewidth=2.2,
                                         linestyle=(0, (4, 2)))
        bottom.set_ylim(0, 1.0)
        percent_ticks(bottom.yaxis)
        bottom.set_ylabel("accuracy on the\nweek's traffic")
        bottom.set_title("Accuracy on each week's traffic", fontsize=10.5)
        bottom.set_xlabel("week")
        bottom.set_xticks(range(1, state.weeks + 1))
        fig.legend(handles=[registered, production, served, *markers.values()], loc="outside lower center",
                   ncols=3, fontsize=9)
    drawn = Drawn(fig, TimelineArtists(registered=registered, production=production, served=served,
                                       served_accuracy=served_accuracy, production_accuracy=production_accuracy,
                                       now=now, status=status, **markers))
    update(drawn, state)
    if ax is None:  # our own figure: a click redraws the data and the status box only
        from ._layered import redraw_changing

        redraw_changing(fig, [registered, production, served, *markers.values(), *now, status,
                              production_accuracy, served_accuracy])
    return drawn


def _extend(times: np.ndarray, values: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Carry the last value of a step series on to ``end`` (the end of the current week)."""
    return np.append(times, end), np.append(values, values[-1])


def update(drawn: Drawn[TimelineArtists], state: DeploymentRun) -> None:
    """Change the timeline figure in place to show ``state``."""
    artists = drawn.artists
    series = state.series()
    end = state.week + 0.9
    artists.registered.set_offsets(np.array(state.registered, dtype=float).reshape(-1, 2))
    for line, name in ((artists.production, "production"), (artists.served, "served"),
                       (artists.served_accuracy, "served_accuracy"),
                       (artists.production_accuracy, "production_accuracy")):
        line.set_data(*_extend(series["time"], series[name], end))
    for kind in _OUTCOME_STYLE:
        points = [(e.time, e.served if e.action != "promote" else e.production)
                  for e in state.events if _kind(e) == kind]
        artists.outcome(kind).set_offsets(np.array(points, dtype=float).reshape(-1, 2))
    for line in artists.now:
        line.set_xdata([end, end])
    last = state.last
    production, served = last.production, last.served
    stale = production != served
    verdict = {"done": "no check", "passed": "checks passed", "caught": "CHECK FAILED",
               "refused": "CANARY REFUSED"}[last.outcome]
    artists.status.set_text(
        f"week {state.week}   deploy path: {state.deploy_path}\n"
        f"registry  : production v{production} ({state.production_sha[:8]})\n"
        f"service   : serves     v{served} ({state.served_sha[:8]})"
        + ("   <- STALE" if stale else "") + "\n"
        f"accuracy  : {last.served_accuracy:.1%} served, {last.production_accuracy:.1%} production\n"
        f"last      : {last.action}" + (" (verified)" if last.verified else "") + f": {verdict}")
    artists.status.set_color(style.ALARM if stale or last.outcome in ("caught", "refused") else "black")


def draw_staleness(table: pd.DataFrame, ax: Any = None) -> Drawn[StalenessArtists]:
    """Bars: the accuracy of every version on the current week's traffic (newest in blue).

    ``table`` is :func:`~mlfail_widgets.failures.deployment.accuracy_by_version`'s DataFrame.

    Examples
    --------
    >>> from mlfail_widgets.failures.deployment import accuracy_by_version, drifting_weeks
    >>> drawn = draw_staleness(accuracy_by_version(drifting_weeks(5, seed=0), 5))
    >>> len(drawn.artists.bars)
    5
    """
    with style.context():
        fig, ax = new_figure((8, 3.4)) if ax is None else (ax.figure, ax)
        versions = table.index.to_numpy()
        newest = versions.max()
        colours = [style.GOOD if v == newest else style.MUTED for v in versions]
        bars = ax.bar(versions, table["accuracy"], color=colours, width=0.7)
        labels = ax.bar_label(bars, labels=[f"{a:.0%}" for a in table["accuracy"]], fontsize=9, padding=2)
        ax.set_xticks(versions, [f"v{v}\n{w} wk old" if w else f"v{v}\nnewest"
                                 for v, w in zip(versions, table["weeks_old"], strict=True)], fontsize=8.5)
        ax.set_ylim(0.4, 1.04)
        percent_ticks(ax.yaxis)
        ax.set_ylabel("accuracy")
        ax.set_title(f"Every version, scored on week {newest}'s traffic: older is worse")
        ax.grid(axis="x", visible=False)
    return Drawn(fig, StalenessArtists(bars=bars, labels=labels))
