"""Chapter 03's figures: calls over time, load on the service, what each policy buys, replicas.

``draw(exploration)`` / ``update(drawn, exploration)`` is the widget's dashboard; the other
``draw_*`` functions draw the chapter's static figures from real (and simulated) runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import style
from ._base import Artists, Drawn, axes_of, figure_for, new_figure, percent_ticks

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    from ..failures.downtime import OutageRun, OutageSummary, PolicyReport, RedundancyReport

__all__ = ["CallArtists", "DowntimeArtists", "PolicyArtists", "RedundancyArtists", "draw", "draw_agreement",
           "draw_policies", "draw_redundancy", "draw_storm", "draw_timeline", "update", "update_redundancy"]

OK, DEGRADED, FAILED = style.GOOD, style.PALETTE["orange"], style.ALARM
OUTAGE = "#D9D9D9"
LATENCY_LIMITS = (0.01, 3000.0)  # ms, log scale
BIN = 0.025  # seconds per load bin


@dataclass
class CallArtists(Artists):
    """What a move changes in :func:`draw_timeline`: every call (top) and the load (bottom)."""

    points: PathCollection  # one dot per call: (arrival, latency), coloured by outcome
    load: Line2D  # attempts per second on the service
    spans: list[list[Patch]]  # the outage bands, one list per axes


@dataclass
class PolicyArtists(Artists):
    """What a move changes in :func:`draw_policies`: each policy's bars, share and latency."""

    bars: dict[str, BarContainer]  # "ok", "degraded", "failed" -> one bar per policy
    labels: list[Text]  # the availability at the end of each row
    y: np.ndarray  # each policy's row
    p50: Line2D
    p99: Line2D
    spans: LineCollection  # p50 to p99, one segment per policy
    names: list[str]  # the policies, in row order
    avail_ax: Axes
    highlight: str | None = None  # the policy in bold (the widget's choice)


@dataclass
class DowntimeArtists(Artists):
    """The widget's dashboard (:func:`draw`): the chosen policy's calls, every policy, the title."""

    timeline: CallArtists
    policies: PolicyArtists
    title: Text


@dataclass
class RedundancyArtists(Artists):
    """What :func:`update_redundancy` changes: closed forms (lines), simulation (points), title."""

    lines: dict[str, Line2D]  # "independent", "same_zone" -> the closed form
    points: dict[str, tuple[Line2D, LineCollection, Line2D]]  # -> (estimates, 95% bars, none seen)
    ceiling: Line2D  # the zone's own downtime
    title: Text


def _colours(outcome: np.ndarray) -> np.ndarray:
    colours = np.empty(len(outcome), dtype=object)
    colours[:] = FAILED
    colours[outcome == "ok"] = OK
    colours[outcome == "degraded"] = DEGRADED
    return colours


def _windows(run) -> list:
    fault = run.scenario.fault
    return sorted(fault.outages + fault.hangs)


def _spans(ax, run, count=None) -> list:
    """Shade the outage and hang windows of the prediction service (``count`` spans, for updating)."""
    windows = _windows(run)
    count = len(windows) if count is None else count
    windows += [(0.0, 0.0)] * (count - len(windows))
    # Above the grid (0.5), below the data: the band reads as "out" without grid lines through it.
    return [ax.axvspan(start, end, color=OUTAGE, zorder=0.6, lw=0) for start, end in windows[:count]]


def _set_spans(spans, run) -> None:
    windows = _windows(run) + [(0.0, 0.0)] * len(spans)
    for span, (start, end) in zip(spans, windows, strict=False):
        span.set_x(start)
        span.set_width(end - start)


def _log_ms(axis, which="y") -> None:
    """A log axis in ms whose floor reads "0" (instant answers are drawn there)."""
    ticks = [0.01, 0.1, 1, 10, 100, 1000]
    labels = ["0", "0.1", "1", "10", "100", "1000"]
    if which == "y":
        axis.set_yscale("log")
        axis.set_ylim(*LATENCY_LIMITS)
        axis.set_yticks(ticks, labels)
        axis.minorticks_off()
    else:
        axis.set_xscale("log")
        axis.set_xlim(*LATENCY_LIMITS)
        axis.set_xticks(ticks, labels)
        axis.minorticks_off()


def _timeline_axes(top: Axes, bottom: Axes, run: OutageRun, spans: int | None = None) -> CallArtists:
    from matplotlib.lines import Line2D

    _log_ms(top)
    top.set_ylabel("latency (ms)")
    points = top.scatter([], [], s=12, linewidths=0, zorder=3)
    # Legend keys that are not artists of the axes (nothing empty to draw on every move).
    handles = [Line2D([], [], ls="none", marker="o", ms=7, mew=0, color=c, label=label)
               for c, label in ((OK, "answered"), (DEGRADED, "degraded (fallback)"), (FAILED, "failed"))]
    top.legend(handles=handles, loc="upper left", ncols=3, fontsize=9, handletextpad=0.1,
               columnspacing=0.8, borderaxespad=0.2)
    (load,) = bottom.plot([], [], drawstyle="steps-mid", color=style.NEUTRAL, lw=1.6)
    bottom.set_ylabel("attempts / s")
    bottom.set_xlabel("time since the fault was injected (s); grey: the prediction service is out")
    bottom.set_ylim(0, 1)
    for ax in (top, bottom):
        ax.set_xlim(0, run.scenario.duration)
    return CallArtists(points=points, load=load, spans=[_spans(top, run, spans), _spans(bottom, run, spans)])


def _ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k at or above ``value`` (a round axis top).

    >>> _ceiling(455.0), _ceiling(10.0)
    (500.0, 10.0)
    """
    scale = 10.0 ** np.floor(np.log10(value))
    return float(next(m * scale for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * scale >= value))


def _set_timeline(artists: CallArtists, run: OutageRun) -> None:
    latency = np.clip(run.latency * 1000, LATENCY_LIMITS[0], LATENCY_LIMITS[1])
    artists.points.set_offsets(np.column_stack([run.start, latency]) if len(latency) else np.empty((0, 2)))
    artists.points.set_facecolor(list(_colours(run.outcome)))
    centres, rate = run.load(BIN)
    artists.load.set_data(centres, rate)
    # A round top that moves in steps, so most moves keep the axis (and its labels) as it is.
    axes_of(artists.load).set_ylim(0, _ceiling(max(rate.max(initial=0) * 1.1, 10)))
    for spans in artists.spans:
        _set_spans(spans, run)


def draw_timeline(run: OutageRun, ax: Any = None) -> Drawn[CallArtists]:
    """Every call of a run (latency, coloured by outcome) above the load it put on the service.

    ``run`` is a :class:`~mlfail_widgets.failures.downtime.OutageRun`; grey bands are the
    prediction service's outage windows. With ``ax`` (a pair of axes) draw into them.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import outage_scenario, simulate
    >>> drawn = draw_timeline(simulate(outage_scenario(0.3), "retry"))
    >>> len(drawn.artists.points.get_offsets()) > 50
    True
    """
    with style.context():
        fig, (top, bottom) = figure_for(ax, (9, 4.6), nrows=2, sharex=True, height_ratios=[1.6, 1])
        artists = _timeline_axes(top, bottom, run)
        summary = run.summary()
        top.set_title(f"{run.policy}, service {run.scenario.fault.describe()}: "
                      f"{summary.availability:.0%} available, p99 {summary.p99 * 1000:.0f} ms", loc="left")
        if run.simulated:
            style.label_simulated(top)
    drawn = Drawn(fig, artists)
    _set_timeline(artists, run)
    return drawn


# ------------------------------------------------------------------------------------ policies
def _policy_axes(avail_ax: Axes, latency_ax: Axes, names: list[str], stacked: bool = False) -> PolicyArtists:
    y = np.arange(len(names))[::-1]
    bars = {key: avail_ax.barh(y, np.zeros(len(y)), height=0.6, color=colour, label=label)
            for key, colour, label in (("ok", OK, "answered"), ("degraded", DEGRADED, "degraded"),
                                       ("failed", FAILED, "failed"))}
    avail_ax.set_yticks(y, names)
    avail_ax.set_xlim(0, 1.22)
    avail_ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    percent_ticks(avail_ax.xaxis)
    avail_ax.set_xlabel("share of requests")
    avail_ax.grid(axis="y", visible=False)
    avail_ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, fontsize=9.5,
                    handlelength=1, columnspacing=0.8, borderaxespad=0.2)
    labels = [avail_ax.text(1.02, yi, "", va="center", fontsize=9) for yi in y]
    _log_ms(latency_ax, "x")
    latency_ax.set_yticks(y, names if stacked else [""] * len(y))
    low, high = avail_ax.get_ylim()
    # Stacked under the bars, the latency rows leave room on top for the "simulated" stamp.
    latency_ax.set_ylim(low, high + (0.7 if stacked else 0))
    latency_ax.set_xlabel("latency from arrival (ms, log scale)")
    latency_ax.set_title("Latency: p50 ○ to p99 ●", loc="left", fontsize=11)
    latency_ax.grid(axis="y", visible=False)
    spans = latency_ax.hlines(y, 0.01, 0.01, color=style.NEUTRAL, lw=1.5)
    (p50,) = latency_ax.plot([], [], "o", mfc="white", mec=style.NEUTRAL, ms=7, ls="none")
    (p99,) = latency_ax.plot([], [], "o", color=style.NEUTRAL, ms=7, ls="none")
    return PolicyArtists(bars=bars, labels=labels, y=y, p50=p50, p99=p99, spans=spans, names=list(names),
                         avail_ax=avail_ax)


def _set_policies(artists: PolicyArtists, summaries: dict[str, OutageSummary], highlight: str | None = None) -> None:
    y, names = artists.y, artists.names
    rows = [summaries[name] for name in names]
    ok = np.array([s.availability - s.degraded_rate for s in rows])
    degraded = np.array([s.degraded_rate for s in rows])
    failed = np.array([s.error_rate for s in rows])
    left = np.zeros(len(rows))
    for key, width in (("ok", ok), ("degraded", degraded), ("failed", failed)):
        for bar, w, x in zip(artists.bars[key], width, left, strict=True):
            bar.set_x(x)
            bar.set_width(w)
        left = left + width
    for text, summary in zip(artists.labels, rows, strict=True):
        text.set_text(f"{summary.availability:.1%}")
    p50 = np.array([s.p50 for s in rows]) * 1000
    p99 = np.array([s.p99 for s in rows]) * 1000
    p50, p99 = (np.clip(v, *LATENCY_LIMITS) for v in (p50, p99))
    artists.p50.set_data(p50, y)
    artists.p99.set_data(p99, y)
    artists.spans.set_segments([[(a, yi), (b, yi)] for a, b, yi in zip(p50, p99, y, strict=True)])
    artists.highlight = highlight
    for axis in (artists.avail_ax, axes_of(artists.p50)):
        for label in axis.get_yticklabels():
            label.set_fontweight("bold" if label.get_text() == highlight else "normal")


def draw_policies(summaries: dict[str, OutageSummary], ax: Any = None,
                  title: str | None = None) -> Drawn[PolicyArtists]:
    """Availability (answered / degraded / failed) and latency p50-p99 for each policy.

    ``summaries`` maps a label to a :class:`~mlfail_widgets.failures.downtime.OutageSummary`; a
    label containing "simulated" gets the simulated stamp.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import explore
    >>> drawn = draw_policies(explore().summaries)
    >>> len(drawn.artists.labels)
    5
    """
    with style.context():
        fig, axes = figure_for(ax, (10, 0.5 * len(summaries) + 1.9), ncols=2, width_ratios=[1.25, 1])
        artists = _policy_axes(axes[0], axes[1], list(summaries))
        if title:
            fig.suptitle(title)
        if any(s.simulated for s in summaries.values()):
            style.label_simulated(axes[1], "SIMULATED" if all(s.simulated for s in summaries.values())
                                  else "bars marked (simulated) are SIMULATED")
    _set_policies(artists, summaries)
    return Drawn(fig, artists)


# ------------------------------------------------------------------------------------ dashboard
def draw(exploration: PolicyReport, ax: Any = None) -> Drawn[DowntimeArtists]:
    """The widget's figure: the chosen policy's calls and load (left), every policy (right).

    ``exploration`` is what :func:`mlfail_widgets.failures.downtime.explore` returns.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import explore
    >>> drawn = draw(explore(policy="retry"))
    >>> sorted(drawn.artists)
    ['policies', 'timeline', 'title']
    """
    from ._layered import redraw_changing

    with style.context():
        fig, _ = new_figure((10.4, 4.9), nrows=1, ncols=1)
        fig.clear()
        grid = fig.add_gridspec(2, 2, width_ratios=[1.35, 1], height_ratios=[1.5, 1])
        top = fig.add_subplot(grid[0, 0])
        bottom = fig.add_subplot(grid[1, 0], sharex=top)
        inner = grid[:, 1].subgridspec(2, 1, height_ratios=[1, 1])
        avail_ax, latency_ax = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
        timeline = _timeline_axes(top, bottom, exploration.run, spans=1)
        top.tick_params(labelbottom=False)
        policies = _policy_axes(avail_ax, latency_ax, list(exploration.summaries), stacked=True)
        title = top.set_title("", loc="left", fontsize=11)
        for axis in (top, latency_ax):
            style.label_simulated(axis)
    drawn = Drawn(fig, DowntimeArtists(timeline=timeline, policies=policies, title=title))
    update(drawn, exploration)
    # A move changes the calls, the load, the outage band, the bars and their numbers, the
    # latency dots and the title; the axes, their labels and the legends are drawn once (again
    # only when the load axis needs a new top or another policy is highlighted).
    changing = [timeline.points, timeline.load, *timeline.spans[0], *timeline.spans[1],
                *policies.labels,
                *(bar for bars in policies.bars.values() for bar in bars),
                policies.p50, policies.p99, policies.spans, title]
    redraw_changing(fig, changing, key=lambda: policies.highlight)
    return drawn


def update(drawn: Drawn[DowntimeArtists], exploration: PolicyReport) -> None:
    """Show another exploration in place."""
    run = exploration.run
    _set_timeline(drawn.artists.timeline, run)
    _set_policies(drawn.artists.policies, exploration.summaries, highlight=exploration.policy)
    summary = exploration.summaries[exploration.policy]
    drawn.artists.title.set_text(
        f"Policy '{exploration.policy}': {summary.availability:.1%} available, "
        f"{summary.attempts_per_request:.2f} attempts per request")


# ------------------------------------------------------------------------------------ agreement
def draw_agreement(simulated: pd.DataFrame, measured: pd.DataFrame, ax: Any = None) -> Drawn[None]:
    """Simulation (lines) against real runs (dots): availability and attempts by outage length.

    ``simulated`` and ``measured`` are DataFrames with columns ``policy``, ``outage``,
    ``availability`` and ``attempts_per_request`` (one row per run).
    """
    with style.context():
        fig, axes = figure_for(ax, (10, 3.8), ncols=2)
        colours = dict(zip(simulated["policy"].unique(), style.PALETTE.values(), strict=False))
        for policy, colour in colours.items():
            sim = simulated[simulated["policy"] == policy]
            real = measured[measured["policy"] == policy]
            for axis, column in zip(axes, ("availability", "attempts_per_request"), strict=True):
                axis.plot(sim["outage"], sim[column], color=colour, lw=1.8, label=f"{policy} (simulated)")
                axis.plot(real["outage"], real[column], "o", color=colour, ms=8, mec="white",
                          label=f"{policy} (real run)")
        axes[0].set_ylabel("availability")
        percent_ticks(axes[0].yaxis)
        axes[0].set_title("Share of calls answered", loc="left")
        axes[1].set_ylabel("attempts per request")
        axes[1].set_title("Load: attempts per request", loc="left")
        for axis in axes:
            axis.set_xlabel("outage length (s)")
        axes[0].legend(fontsize=8.5, loc="lower left")
        style.label_simulated(axes[1], "lines SIMULATED, dots measured")
    return Drawn(fig, None)  # a static figure: nothing to update


# ------------------------------------------------------------------------------------ storm
def draw_storm(runs: dict[str, OutageRun], simulated: dict[str, OutageRun] | None = None, ax: Any = None,
               bin_width: float = 0.04) -> Drawn[None]:
    """Attempts per second on the service around an outage, one row per policy.

    ``runs`` maps a label to a real :class:`OutageRun`; ``simulated`` (same labels) adds the
    simulator's prediction as a dashed line. Load is counted in bins of ``bin_width`` s.
    """
    simulated = simulated or {}
    with style.context():
        fig, axes = figure_for(ax, (9.5, 1.7 * len(runs) + 0.7), nrows=len(runs), sharex=True, sharey=True)
        axes = np.atleast_1d(axes)
        top = 0
        for axis, (label, run) in zip(axes, runs.items(), strict=True):
            _spans(axis, run)
            centres, rate = run.load(bin_width)
            axis.plot(centres, rate, drawstyle="steps-mid", color=style.GOOD, lw=1.6, label="real run")
            top = max(top, rate.max())
            if label in simulated:
                centres, rate = simulated[label].load(bin_width)
                axis.plot(centres, rate, drawstyle="steps-mid", color=style.SIMULATED, lw=1.2,
                          ls="--", label="simulated")
            window = (_windows(run) or [(0, 0)])[0]
            healthy = run.load_between(0, window[0]) if window[0] > 0 else float("nan")
            during = run.load_between(*window)
            axis.set_title(f"{label}: {during:,.0f} attempts/s during the outage "
                           f"({during / healthy:.1f}× the healthy {healthy:,.0f}/s)", loc="left", fontsize=10.5)
            axis.set_ylabel("attempts / s")
        axes[0].set_ylim(0, top * 1.12)
        axes[0].set_xlim(0, run.scenario.duration)
        axes[0].legend(loc="upper right", fontsize=9, ncols=2)
        axes[-1].set_xlabel("time since the fault was injected (s); grey: the prediction service is out")
    return Drawn(fig, None)  # a static figure: nothing to update


# ------------------------------------------------------------------------------------ replicas
def draw_redundancy(table: RedundancyReport, ax: Any = None) -> Drawn[RedundancyArtists]:
    """Downtime per month by number of replicas: independent failures against one zone.

    ``table`` is a :class:`~mlfail_widgets.failures.downtime.RedundancyReport`. Lines are the
    closed forms, dots the seeded simulation (error bars: 95% intervals).

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import redundancy_table
    >>> drawn = draw_redundancy(redundancy_table(periods=2000))
    >>> sorted(drawn.artists)
    ['ceiling', 'lines', 'points', 'title']
    """
    from matplotlib.ticker import NullLocator

    with style.context():
        fig, ax = figure_for(ax, (8, 3.9))
        lines: dict[str, Line2D] = {}
        points: dict[str, tuple[Line2D, LineCollection, Line2D]] = {}
        for name, colour, label in (("independent", style.GOOD, "independent failures"),
                                    ("same_zone", style.ALARM, "same zone (common cause)")):
            (lines[name],) = ax.plot([], [], "-", color=colour, lw=2, label=f"{label}: closed form")
            (dots,) = ax.plot([], [], "o", color=colour, mfc="white", ms=7, mew=1.8,
                              label=f"{label}: simulated (95% interval)")
            (unseen,) = ax.plot([], [], "v", color=colour, mfc="white", ms=7, mew=1.8)
            points[name] = (dots, ax.vlines([], [], [], color=colour, lw=1.5), unseen)
        ceiling = ax.axhline(1, color=style.NEUTRAL, ls="--", lw=1.2)
        ax.set_yscale("log")
        # The axis spans many decades, so matplotlib hides the minor ticks anyway; computing
        # them on every slider move cost a third of the redraw.
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylabel("downtime per month (minutes)")
        ax.set_xlabel("replicas")
        ax.yaxis.set_major_formatter("{x:g}")
        (unseen,) = ax.plot([], [], "v", color=style.NEUTRAL, mfc="white", ms=7, mew=1.8,
                            label="simulated: no downtime seen (upper bound)")
        ax.legend(fontsize=8.5, loc="lower left")
        title = ax.set_title("", loc="left", fontsize=11)
        style.label_simulated(ax, "dots SIMULATED, lines closed form")
    drawn = Drawn(fig, RedundancyArtists(lines=lines, points=points, ceiling=ceiling, title=title))
    update_redundancy(drawn, table)
    return drawn


def update_redundancy(drawn: Drawn[RedundancyArtists], table: RedundancyReport) -> None:
    """Show another redundancy table in place."""
    frame, minutes = table.frame, 30 * 24 * 60
    floor = 1e-7
    ax = axes_of(drawn.artists.title)
    for name in ("independent", "same_zone"):
        x = frame["replicas"].to_numpy()
        drawn.artists.lines[name].set_data(x, np.clip(frame[f"{name}_downtime_minutes"], floor, None))
        estimate = np.clip((1 - frame[f"{name}_simulated"]) * minutes, floor, None)
        low = np.clip((1 - frame[f"{name}_high"]) * minutes, floor, None)
        high = np.clip((1 - frame[f"{name}_low"]) * minutes, floor, None)
        dots, bars, unseen = drawn.artists.points[name]
        seen = frame[f"{name}_simulated"].to_numpy() < 1
        dots.set_data(x[seen], estimate[seen])
        unseen.set_data(x[~seen], high[~seen])
        bars.set_segments([[(xi, lo), (xi, hi)] for xi, lo, hi, s in zip(x, low, high, seen, strict=True) if s])
    drawn.artists.ceiling.set_ydata([max(table.common_cause * minutes, floor)] * 2)
    ax.set_xlim(0.6, frame["replicas"].max() + 0.4)
    ax.set_xticks(frame["replicas"])
    columns = frame[["independent_downtime_minutes", "same_zone_downtime_minutes"]].to_numpy()
    ax.set_ylim(max(columns.min() / 3, floor), columns.max() * 20)
    drawn.artists.title.set_text(
        f"Each replica {table.availability:.2%} up; the zone down {table.common_cause:.2%} (dashed)")
