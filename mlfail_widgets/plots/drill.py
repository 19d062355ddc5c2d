"""Chapter 07's figure: the on-call dashboard of an incident drill, nine panels in one figure.

The layout reads like an on-call dashboard: the last 12 hours in one column on a shared time
axis (requests answered, latency, CPU, memory), so that what moved together lines up; the last
days in the middle (quality from delayed labels above the nightly jobs of the same days, the
recommender below); today's inputs and the recommender's slices on the right.

``draw(evidence)`` creates every artist once; ``update(drawn, evidence)`` moves them to another
drill's evidence in place (set_data, set_width, set_offsets, set_text). Every axis keeps fixed
limits, so "New incident" redraws only the data, their numbers, the clock and date labels and
the title over a cached picture of the rest (:func:`~mlfail_widgets.plots._layered.redraw_changing`).
No panel names a failure type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import style
from ._base import Artists, Drawn, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    from ..failures.drill import Evidence

__all__ = ["DayArtists", "DrillArtists", "DrillAxes", "HourArtists", "TodayArtists", "draw", "update"]

_MAX_EVENTS = 12
_FEATURES = 5
_SLICES = 5
_NIGHTS = 14
_DAYS = 14
_HOUR_TICKS = np.arange(0, 49, 8)
_LATENCY_TICKS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]
_PSI_TOP = 1.0  # PSI axis: 0.1 flags, 0.25 is a large shift; longer bars end at the edge with their value
_SLICE_POSITIONS = np.array([0, 1, 2, 3.6, 4.6])


@dataclass
class DrillAxes:
    """The dashboard's nine panels."""

    health: Axes  # the last 12 hours (left column) ...
    latency: Axes
    cpu: Axes
    memory: Axes
    quality: Axes  # the last days (middle column) ...
    nightly: Axes
    recommender: Axes
    drift: Axes  # today (right column)
    slices: Axes


@dataclass
class HourArtists(Artists):
    """The last 12 hours: requests answered, latency, CPU per core and memory."""

    answered: Line2D
    p50: Line2D
    p99: Line2D
    cores: list[Line2D]
    cpu_mean: Line2D
    memory: Line2D


@dataclass
class DayArtists(Artists):
    """The last days: quality, the changes, the nightly jobs and the recommender."""

    accuracy: Line2D
    positive: Line2D  # share of predicted 'saves'
    events: LineCollection  # a dotted line per change (deploy, upgrade, ...)
    event_labels: list[Text]
    nightly: PathCollection  # one square per night and job
    new_daily: Line2D
    new_share: Line2D


@dataclass
class TodayArtists(Artists):
    """Today: drift per feature and the recommender's slices (and the names on their axes)."""

    psi: BarContainer
    psi_values: list[Text]
    psi_names: list[Text]
    slice_bars: BarContainer
    slice_ci: LineCollection
    slice_notes: list[Text]
    drift_names: list[str] = field(default_factory=list)
    slice_names: list[str] = field(default_factory=list)


@dataclass
class DrillArtists(Artists):
    """What :func:`update` changes: the three columns' artists and the title."""

    axes: DrillAxes
    hours: HourArtists
    days: DayArtists
    today: TodayArtists
    title: Text


def _hour_labels(evidence: Evidence) -> list[str]:
    times = [*list(evidence.health["time"]), evidence.now]
    return [str(times[i])[11:16] for i in _HOUR_TICKS]


def _day_labels(dates, every: int) -> tuple[np.ndarray, list[str]]:
    ticks = np.arange(len(dates) - 1, -1, -every)[::-1]
    return ticks, [str(dates[i])[5:] for i in ticks]


def _short(component: str, change: str) -> str:
    """A few words for a change on the quality chart (the deploy table has the details)."""
    if component == "registry":
        return change.replace(" to production", "").replace(" (weekly retrain)", "")
    if component == "prediction-service":
        return "deploy " + change.split("model ")[-1].rstrip(")")
    if component.endswith(("image", "images")):
        return component.replace(" images", "").replace(" image", "") + " image"
    return component


def _days_since(first, when) -> float:
    return float((np.datetime64(str(when)[:10]) - first) / np.timedelta64(1, "D"))


def _events(evidence) -> list[tuple[float, str]]:
    """Changes of the last 14 days, one label per day: (position on the quality axis, label)."""
    first = np.datetime64(str(evidence.quality["date"].iloc[0]))
    by_day: dict[float, list[str]] = {}
    for row in evidence.deploys.itertuples():
        day = _days_since(first, row.time)
        if day >= 0:
            label = _short(row.component, row.change)
            if label not in by_day.setdefault(day, []):
                by_day[day].append(label)
    return [(day, ", ".join(labels)) for day, labels in sorted(by_day.items())][:_MAX_EVENTS]


def _legend_above(ax, right: float = 1.0, **options) -> None:
    """A legend on the title's line, right-aligned at ``right``, outside the data (drawn once)."""
    ax.legend(loc="lower right", bbox_to_anchor=(right, 1.0), ncols=3, fontsize=9, borderaxespad=0.1,
              handlelength=1.4, columnspacing=1.0, **options)


def _layout(fig: Figure) -> DrillAxes:
    outer = fig.add_gridspec(1, 3, width_ratios=[1.25, 1, 1])
    hours = outer[0].subgridspec(4, 1)
    days = outer[1].subgridspec(3, 1, height_ratios=[5, 1.6, 4])
    today = outer[2].subgridspec(2, 1, height_ratios=[1, 1.25])
    health = fig.add_subplot(hours[0])
    latency, cpu, memory = (fig.add_subplot(hours[i], sharex=health) for i in (1, 2, 3))
    quality = fig.add_subplot(days[0])
    return DrillAxes(health=health, latency=latency, cpu=cpu, memory=memory, quality=quality,
                     nightly=fig.add_subplot(days[1], sharex=quality), recommender=fig.add_subplot(days[2]),
                     drift=fig.add_subplot(today[0]), slices=fig.add_subplot(today[1]))


def _twelve_hours(a: DrillAxes) -> HourArtists:
    x = np.arange(48) + 0.5
    for axis in (a.health, a.latency, a.cpu):
        axis.tick_params(labelbottom=False)
    a.memory.set_xlim(0, 48)
    a.memory.set_xticks(_HOUR_TICKS, [""] * len(_HOUR_TICKS))
    a.memory.set_xlabel("time of day (last 12 hours, 15-minute bins)")

    a.health.set_title("Requests answered (%)", loc="left")
    answered, = a.health.plot(x, np.zeros(48), color=style.GOOD, drawstyle="steps-mid")
    a.health.set_ylim(-4, 104)
    a.health.set_yticks([0, 50, 100])

    a.latency.set_title("Latency of answers (ms)", loc="left")
    p50, = a.latency.plot(x, np.ones(48), color=style.GOOD, label="p50")
    p99, = a.latency.plot(x, np.ones(48), color=style.ALARM, label="p99")
    a.latency.set_yscale("log")
    a.latency.minorticks_off()
    _legend_above(a.latency)

    a.cpu.set_title("Host: CPU busy (%)", loc="left")
    cores = [a.cpu.plot(x, np.zeros(48), color=style.MUTED, lw=0.9, label="one core" if i == 0 else None)[0]
             for i in range(8)]
    cpu_mean, = a.cpu.plot(x, np.zeros(48), color=style.NEUTRAL, lw=2.0, label="mean of 8")
    a.cpu.set_ylim(0, 104)
    a.cpu.set_yticks([0, 50, 100])
    _legend_above(a.cpu)
    style.label_simulated(a.cpu)

    a.memory.set_title("Host: memory used (%)", loc="left")
    memory, = a.memory.plot(x, np.zeros(48), color=style.PALETTE["purple"])
    # Static marks sit under the data (zorder < 2), so a new incident does not redraw them.
    a.memory.axhline(95, color=style.NEUTRAL, ls=":", lw=1.2, zorder=1.5)
    a.memory.text(0.5, 93, "95%", color=style.NEUTRAL, fontsize=9, va="top", zorder=1.5)
    a.memory.set_ylim(0, 104)
    a.memory.set_yticks([0, 50, 100])
    style.label_simulated(a.memory)
    return HourArtists(answered=answered, p50=p50, p99=p99, cores=cores, cpu_mean=cpu_mean, memory=memory)


def _days(a: DrillAxes) -> DayArtists:
    from matplotlib.collections import LineCollection

    q = a.quality
    q.set_title("Quality, from delayed labels (%)", loc="left")
    days = np.arange(_DAYS)
    accuracy, = q.plot(days, np.zeros(_DAYS), "o-", color=style.GOOD, ms=5, label="accuracy")
    positive, = q.plot(days, np.zeros(_DAYS), "s--", color=style.PALETTE["orange"], ms=4,
                       label="predicted 'saves'")
    events = LineCollection([], colors=style.NEUTRAL, linestyles=":", linewidths=1.2)
    q.add_collection(events)
    event_labels = [q.text(0, 0.02, "", rotation=90, fontsize=8, color=style.NEUTRAL,
                           va="bottom", ha="right", transform=q.get_xaxis_transform())
                    for _ in range(_MAX_EVENTS)]
    q.set_ylim(0, 114)
    q.set_yticks(np.arange(0, 101, 20))
    q.set_xlim(-0.6, _DAYS + 0.6)  # today's column: its labels arrive tomorrow, its changes show
    q.tick_params(labelbottom=False)
    q.legend(loc="upper left", ncols=2, fontsize=9).set_zorder(0.8)  # above 100%: no data there
    q.set_ylabel("share of the day's requests")

    n = a.nightly
    n.set_title("Nightly jobs (vermillion: failed)", loc="left", fontsize=11)
    nightly = n.scatter(np.zeros(2 * _NIGHTS), np.repeat([1, 0], _NIGHTS), s=70, marker="s",
                        c=[style.GOOD] * (2 * _NIGHTS))
    n.set_yticks([1, 0], ["clean logs", "checksum"], fontsize=9)
    n.set_ylim(-0.7, 1.7)
    n.grid(False)
    n.set_xticks(np.arange(1, _DAYS + 1, 3), [""] * len(range(1, _DAYS + 1, 3)))
    n.set_xlabel("day (changes dotted above)")

    r = a.recommender
    r.set_title("Plays of songs out < 5 days (%)", loc="left")
    new_daily, = r.plot(np.arange(21), np.zeros(21), "o", color=style.MUTED, ms=3.5, label="per day")
    new_share, = r.plot(np.arange(21), np.zeros(21), color=style.GOOD, label="5-day mean")
    r.set_ylabel("share of all plays")
    r.set_xlabel("day")
    r.set_xlim(-0.5, 20.5)
    r.set_ylim(0, 40)
    r.set_xticks(np.arange(20, -1, -5)[::-1], [""] * 5)
    r.grid(axis="x", visible=False)  # the date labels change with the drill; no grid to redraw with them
    r.legend(loc="upper left", ncols=2).set_zorder(0.8)  # above the highest share seen (30%)
    return DayArtists(accuracy=accuracy, positive=positive, events=events, event_labels=event_labels,
                      nightly=nightly, new_daily=new_daily, new_share=new_share)


def _today(a: DrillAxes) -> TodayArtists:
    from matplotlib.collections import LineCollection

    d = a.drift
    d.set_title("Inputs today vs training data", loc="left")
    psi = d.barh(np.arange(_FEATURES)[::-1], np.zeros(_FEATURES), color=style.MUTED, height=0.7)
    psi_values = [d.text(0, y, "", va="center", fontsize=8.5) for y in np.arange(_FEATURES)[::-1]]
    # Feature names above their bars (not as tick labels): the panel keeps its width for the bars.
    psi_names = [d.text(0.005, y + 0.38, "", va="bottom", fontsize=9, zorder=0.8)
                 for y in np.arange(_FEATURES)[::-1]]
    d.axvline(0.1, color=style.NEUTRAL, ls=":", lw=1.2)
    d.text(0.1, 1.0, " 0.1: flag floor", transform=d.get_xaxis_transform(), fontsize=8.5,
           color=style.NEUTRAL, va="top", zorder=0.8)
    d.set_xlim(0, _PSI_TOP)
    d.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "0.25", "0.5", "0.75", "1"])
    d.set_ylim(-1.1, _FEATURES + 0.2)
    d.set_yticks([])
    d.grid(axis="y", visible=False)
    d.set_xlabel("PSI (population stability index)")
    d.text(0.98, 0.02, "vermillion: flagged (adjusted p < 0.01 and PSI >= 0.1)", transform=d.transAxes,
           ha="right", fontsize=8.5, color=style.NEUTRAL, zorder=0.8)

    s = a.slices
    s.set_title("Recommender hit rate by slice", loc="left")
    slice_bars = s.bar(_SLICE_POSITIONS, np.zeros(_SLICES), width=0.75, color=style.GOOD)
    slice_ci = LineCollection([], colors=style.NEUTRAL, linewidths=1.5)
    s.add_collection(slice_ci)
    slice_notes = [s.text(p, 0, "", ha="center", va="bottom", fontsize=8) for p in _SLICE_POSITIONS]
    s.set_xticks(_SLICE_POSITIONS, [""] * _SLICES)
    s.set_ylim(0, 32)
    s.set_ylabel("plays per impression (%)")
    s.set_xlabel("popularity | age (on top: share of impressions)", fontsize=9.5)
    return TodayArtists(psi=psi, psi_values=psi_values, psi_names=psi_names, slice_bars=slice_bars,
                        slice_ci=slice_ci, slice_notes=slice_notes)


def draw(evidence: Evidence, ax: Any = None, title: str | None = None) -> Drawn[DrillArtists]:
    """The dashboard of one drill's :class:`~mlfail_widgets.failures.drill.Evidence`.

    ``title`` names the drill as the learner knows it ("Learner 7 (workshop 2026)"); by
    default "Drill <seed>".

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> drawn = draw(IncidentDrill(0).evidence)
    >>> len(drawn.figure.axes)
    9
    """
    from .._validation import parameter_error
    from ._layered import redraw_changing

    if ax is not None:
        raise parameter_error("ax", "None (the dashboard draws its own figure of nine panels)", ax,
                              fix="Call draw(evidence) without ax.")
    with style.context():
        fig, _ = new_figure((12.8, 8.8), dpi=90)  # 1152 x 792 pixels: sharp at notebook width
        fig.clear()
        a = _layout(fig)
        artists = DrillArtists(axes=a, hours=_twelve_hours(a), days=_days(a), today=_today(a),
                               title=fig.suptitle("", x=0.01, ha="left"))
    drawn = Drawn(fig, artists)
    update(drawn, evidence, title)
    # A new incident changes the data, their numbers, the clock and date labels and the title;
    # the axes, their titles, legends and grids are drawn once.
    hours, days, today = artists.hours, artists.days, artists.today
    changing = [hours.answered, hours.p50, hours.p99, hours.cpu_mean, hours.memory, days.accuracy,
                days.positive, days.events, days.nightly, days.new_daily, days.new_share, today.slice_ci,
                artists.title]
    changing += [*hours.cores, *days.event_labels, *today.psi, *today.psi_values, *today.slice_bars,
                 *today.slice_notes]
    changing += [a.memory.xaxis, a.nightly.xaxis, a.recommender.xaxis]
    redraw_changing(fig, changing, key=lambda: (tuple(today.drift_names), tuple(today.slice_names)))
    return drawn


def update(drawn: Drawn[DrillArtists], evidence: Evidence, title: str | None = None) -> None:
    """Show another drill's evidence on the same artists.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> drawn = draw(IncidentDrill(0).evidence)
    >>> update(drawn, IncidentDrill(1).evidence)
    >>> drawn.artists.title.get_text().startswith("Drill 1")
    True
    """
    artists, a = drawn.artists, drawn.artists.axes
    title = title or f"Drill {evidence.seed}"
    artists.title.set_text(f"{title}: paged at {evidence.now}. Which of the six failure types is "
                           "it? (a simulated production system)")
    _update_hours(artists.hours, a, evidence)
    _update_days(artists.days, a, evidence)
    _update_today(artists.today, a, evidence)


def _update_hours(art: HourArtists, a: DrillAxes, evidence: Evidence) -> None:
    health, resources = evidence.health, evidence.resources
    a.memory.set_xticks(_HOUR_TICKS, _hour_labels(evidence))
    art.answered.set_ydata(100 * health["availability"].to_numpy(float))
    p99 = health["p99_ms"].to_numpy(float)
    art.p50.set_ydata(health["p50_ms"].to_numpy(float))
    art.p99.set_ydata(p99)
    # 5 ms to 1 s for every drill seen so far (so the axis stays as drawn); a slower one gets a
    # taller axis (and a redrawn background).
    peak = float(p99[np.isfinite(p99)].max(initial=0.0))
    top = next((t for t in _LATENCY_TICKS[7:] if t >= 1.2 * peak), _LATENCY_TICKS[-1])
    ticks = [t for t in _LATENCY_TICKS if t <= top]
    a.latency.set_ylim(_LATENCY_TICKS[0], top)
    a.latency.set_yticks(ticks, [f"{t:,}" for t in ticks])
    cores = [c for c in resources.columns if c.startswith("cpu_")]
    for line, core in zip(art.cores, cores, strict=True):
        line.set_ydata(resources[core].to_numpy(float))
    art.cpu_mean.set_ydata(resources[cores].to_numpy(float).mean(axis=1))
    art.memory.set_ydata(resources["memory"].to_numpy(float))


def _update_days(art: DayArtists, a: DrillAxes, evidence: Evidence) -> None:
    quality = evidence.quality
    art.accuracy.set_ydata(100 * quality["accuracy"].to_numpy(float))
    art.positive.set_ydata(100 * quality["predicted_positive"].to_numpy(float))
    events = _events(evidence)
    art.events.set_segments([[(p, 0), (p, 100)] for p, _ in events])
    for i, text in enumerate(art.event_labels):
        position, label = events[i] if i < len(events) else (0.0, "")
        text.set_text(label[:40])
        text.set_x(position - 0.08)

    runs = evidence.pipeline_runs
    first = np.datetime64(str(quality["date"].iloc[0]))
    nights = np.array([_days_since(first, night) for night in runs["night"]])
    checksum_failed = {line.time[:10] for line in evidence.logs
                       if line.component == "integrity-check" and line.level == "ERROR"}
    colours = [style.ALARM if status != "ok" else style.GOOD for status in runs["status"]]
    colours += [style.ALARM if night in checksum_failed else style.GOOD for night in runs["night"]]
    art.nightly.set_offsets(np.column_stack([np.tile(nights, 2), np.repeat([1, 0], len(nights))]))
    art.nightly.set_facecolor(colours)
    days = [*list(quality["date"]), str(runs["night"].iloc[-1])]  # the quality days, then today
    ticks = a.nightly.get_xticks()
    a.nightly.set_xticks(ticks, [str(days[int(t)])[5:] for t in ticks])

    recommender = evidence.recommender
    art.new_daily.set_ydata(100 * recommender["new_song_share"].to_numpy(float))
    art.new_share.set_ydata(100 * recommender["new_song_share_5d"].to_numpy(float))
    a.recommender.set_xticks(*_day_labels(list(recommender["date"]), 5))


def _update_today(art: TodayArtists, a: DrillAxes, evidence: Evidence) -> None:
    drift = evidence.drift
    for bar, text, row in zip(art.psi, art.psi_values, drift.itertuples(), strict=True):
        bar.set_width(row.psi)
        bar.set_color(style.ALARM if row.flagged else (style.GOOD if row.used_by_model else style.MUTED))
        bar.set_hatch("" if row.used_by_model else "//")
        bar.set_edgecolor("white")
        inside = row.psi > 0.8 * _PSI_TOP  # a long bar carries its value at its (cut) end
        text.set_text(f"{row.psi:.2f}" + (" ▸" if row.psi > _PSI_TOP else ""))
        text.set_x(min(row.psi, _PSI_TOP) - 0.015 if inside else row.psi + 0.015)
        text.set_horizontalalignment("right" if inside else "left")
        text.set_color("white" if inside else style.NEUTRAL)
    art.drift_names = [f"{f}{'' if used else ' (unused)'}"
                          for f, used in zip(drift["feature"], drift["used_by_model"], strict=True)]
    for text, name in zip(art.psi_names, art.drift_names, strict=True):
        text.set_text(name)

    slices = evidence.slices
    segments = []
    for bar, text, row in zip(art.slice_bars, art.slice_notes, slices.itertuples(), strict=True):
        bar.set_height(100 * row.hit_rate)
        small = not np.isfinite(row.low)
        bar.set_color(style.MUTED if small else style.GOOD)
        x = bar.get_x() + bar.get_width() / 2
        top = 100 * (row.high if np.isfinite(row.high) else row.hit_rate)
        if not small:
            segments.append([(x, 100 * row.low), (x, 100 * row.high)])
        text.set_position((x, top + 0.4))
        text.set_text(f"{row.impression_share:.0%}" if row.impression_share >= 0.01 else f"{row.impression_share:.1%}")
    art.slice_ci.set_segments(segments)
    art.slice_names = list(slices["slice"])
    a.slices.set_xticks(_SLICE_POSITIONS, art.slice_names)
