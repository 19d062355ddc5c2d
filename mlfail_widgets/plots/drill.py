"""Chapter 07's figure: the on-call dashboard of an incident drill, nine panels in one figure.

``draw(evidence)`` creates every artist once; ``update(drawn, evidence)`` moves them to
another drill's evidence in place (set_data, set_width, set_segments, set_text), so the widget's
"New incident" button costs one render. No panel names a failure type.
"""

from __future__ import annotations

import numpy as np

from . import style
from ._base import Drawn, new_figure

__all__ = ["draw", "update"]

_MAX_EVENTS = 12
_FEATURES = 5
_SLICES = 5
_NIGHTS = 14
_HOUR_TICKS = np.arange(0, 49, 8)


def _hour_labels(evidence) -> list[str]:
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


def _events(evidence) -> list[tuple[float, str]]:
    """Changes of the last 14 days, one label per day: (position on the quality axis, label)."""
    first = np.datetime64(str(evidence.quality["date"].iloc[0]))
    by_day: dict[float, list[str]] = {}
    for row in evidence.deploys.itertuples():
        day = float((np.datetime64(row.time[:10]) - first) / np.timedelta64(1, "D"))
        if day >= 0:
            label = _short(row.component, row.change)
            if label not in by_day.setdefault(day, []):
                by_day[day].append(label)
    return [(day, ", ".join(labels)) for day, labels in sorted(by_day.items())][:_MAX_EVENTS]


def _twelve_hours(ax, title: str, ylabel: str) -> None:
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 48)
    ax.set_xticks(_HOUR_TICKS)


def draw(evidence, ax=None) -> Drawn:
    """The dashboard of one drill's :class:`~mlfail_widgets.failures.drill.Evidence`.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> drawn = draw(IncidentDrill(0).evidence)
    >>> len(drawn.figure.axes)
    9
    """
    from matplotlib.collections import LineCollection

    from .._validation import ParameterError

    if ax is not None:
        raise ParameterError("The drill dashboard draws its own figure of nine panels: call draw(evidence) "
                             "without ax.")
    fig, axes = new_figure((13.5, 10.8), nrows=3, ncols=3)
    a = {name: axes.flat[i] for i, name in enumerate(
        ("health", "latency", "cpu", "memory", "quality", "drift", "recommender", "slices", "nightly"))}
    artists: dict = {"axes": a}
    x = np.arange(48) + 0.5
    with style.context():
        _twelve_hours(a["health"], "Requests answered", "answered (%)")
        artists["answered"], = a["health"].plot(x, np.zeros(48), color=style.GOOD, drawstyle="steps-mid")
        a["health"].set_ylim(-3, 103)

        _twelve_hours(a["latency"], "Latency of answered requests", "milliseconds (log scale)")
        artists["p50"], = a["latency"].plot(x, np.ones(48), color=style.GOOD, label="p50")
        artists["p99"], = a["latency"].plot(x, np.ones(48), color=style.ALARM, label="p99")
        a["latency"].set_yscale("log")
        ticks = [5, 10, 20, 50, 100, 200, 500, 1000, 2000]
        a["latency"].set_yticks(ticks, [str(t) for t in ticks])
        a["latency"].minorticks_off()
        a["latency"].legend(loc="upper left", ncols=2)

        _twelve_hours(a["cpu"], "Serving host: CPU busy per core", "busy (%)")
        artists["cores"] = [a["cpu"].plot(x, np.zeros(48), color=style.MUTED, lw=1.0)[0] for _ in range(8)]
        artists["cpu_mean"], = a["cpu"].plot(x, np.zeros(48), color=style.NEUTRAL, lw=2.2, label="mean of 8 cores")
        a["cpu"].set_ylim(0, 104)
        a["cpu"].legend(loc="upper left")
        style.label_simulated(a["cpu"])

        _twelve_hours(a["memory"], "Serving host: memory used", "used (%)")
        artists["memory"], = a["memory"].plot(x, np.zeros(48), color=style.PALETTE["purple"])
        a["memory"].axhline(95, color=style.NEUTRAL, ls=":", lw=1.2)
        a["memory"].text(0.5, 96, "95%", color=style.NEUTRAL, fontsize=9, va="bottom")
        a["memory"].set_ylim(0, 104)
        style.label_simulated(a["memory"])
        a["memory"].set_xlabel("time of day (last 12 hours)")

        q = a["quality"]
        q.set_title("Model quality from delayed labels", loc="left")
        days = np.arange(14)
        artists["accuracy"], = q.plot(days, np.zeros(14), "o-", color=style.GOOD, label="accuracy")
        artists["positive"], = q.plot(days, np.zeros(14), "s--", color=style.PALETTE["orange"], ms=4,
                                      label="predicted 'saves'")
        artists["events"] = LineCollection([], colors=style.NEUTRAL, linestyles=":", linewidths=1.2)
        q.add_collection(artists["events"])
        artists["event_labels"] = [q.text(0, 0.02, "", rotation=90, fontsize=8, color=style.NEUTRAL,
                                          va="bottom", ha="right", transform=q.get_xaxis_transform())
                                   for _ in range(_MAX_EVENTS)]
        q.set_ylim(0, 114)
        q.set_yticks(np.arange(0, 101, 20))
        q.set_xlim(-0.6, 13.6)
        q.set_ylabel("share of the day's requests (%)")
        q.set_xlabel("day (changes dotted)")
        q.legend(loc="upper left", ncols=2, fontsize=9)

        d = a["drift"]
        d.set_title("Inputs today vs training data", loc="left")
        artists["psi"] = d.barh(np.arange(_FEATURES)[::-1], np.zeros(_FEATURES), color=style.MUTED)
        d.axvline(0.1, color=style.NEUTRAL, ls=":", lw=1.2)
        d.text(0.1, 1.0, " 0.1: flag floor", transform=d.get_xaxis_transform(), fontsize=8.5,
               color=style.NEUTRAL, va="top")
        d.set_yticks(np.arange(_FEATURES)[::-1])
        d.set_xlabel("PSI (population stability index)")
        artists["drift_note"] = d.text(0.98, 0.03, "", transform=d.transAxes, ha="right", fontsize=8.5,
                                       color=style.NEUTRAL)

        r = a["recommender"]
        r.set_title("Recommender: plays of songs out < 5 days", loc="left")
        artists["new_daily"], = r.plot(np.arange(21), np.zeros(21), "o", color=style.MUTED, ms=3.5,
                                       label="per day")
        artists["new_share"], = r.plot(np.arange(21), np.zeros(21), color=style.GOOD, label="5-day mean")
        r.set_ylabel("share of all plays (%)")
        r.set_xlabel("day")
        r.set_xlim(-0.5, 20.5)
        r.legend(loc="upper left", ncols=2)

        s = a["slices"]
        s.set_title("Recommender hit rate by slice", loc="left")
        positions = np.array([0, 1, 2, 3.6, 4.6])
        artists["slice_bars"] = s.bar(positions, np.zeros(_SLICES), width=0.75, color=style.GOOD)
        artists["slice_ci"] = LineCollection([], colors=style.NEUTRAL, linewidths=1.5)
        s.add_collection(artists["slice_ci"])
        artists["slice_notes"] = [s.text(p, 0, "", ha="center", va="bottom", fontsize=8) for p in positions]
        s.set_xticks(positions)
        s.set_ylabel("plays per impression (%)")
        s.set_xlabel("song popularity | song age  (share of impressions on top)", fontsize=9.5)

        n = a["nightly"]
        n.set_title("Nightly jobs", loc="left")
        grid_x = np.tile(np.arange(_NIGHTS), 2)
        grid_y = np.repeat([1, 0], _NIGHTS)
        artists["nightly"] = n.scatter(grid_x, grid_y, s=110, marker="s", c=[style.GOOD] * (2 * _NIGHTS))
        n.set_yticks([1, 0], ["pipeline:\nclean logs", "weights\nchecksum"])
        n.set_ylim(-0.8, 1.8)
        n.set_xlim(-0.7, _NIGHTS - 0.3)
        n.grid(False)
        n.set_xlabel("night (blue: ok, vermillion: failed)")
        artists["title"] = fig.suptitle("", x=0.01, ha="left")
    drawn = Drawn(fig, artists)
    update(drawn, evidence)
    return drawn


def update(drawn: Drawn, evidence) -> None:
    """Show another drill's evidence on the same artists.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> drawn = draw(IncidentDrill(0).evidence)
    >>> update(drawn, IncidentDrill(1).evidence)
    >>> drawn.artists["title"].get_text().startswith("Drill 1")
    True
    """
    art, a = drawn.artists, drawn.artists["axes"]
    health, resources = evidence.health, evidence.resources
    art["title"].set_text(f"Drill {evidence.seed}: paged at {evidence.now}. Which of the six failure types is "
                          "it? (a simulated production system)")
    labels = _hour_labels(evidence)
    for name in ("health", "latency", "cpu", "memory"):
        a[name].set_xticklabels(labels)
    art["answered"].set_ydata(100 * health["availability"].to_numpy(float))
    p50, p99 = health["p50_ms"].to_numpy(float), health["p99_ms"].to_numpy(float)
    art["p50"].set_ydata(p50)
    art["p99"].set_ydata(p99)
    a["latency"].set_ylim(max(1.0, np.nanmin(p50) / 1.6), max(np.nanmax(p99) * 1.8, 100))
    cores = [c for c in resources.columns if c.startswith("cpu_")]
    for line, core in zip(art["cores"], cores, strict=True):
        line.set_ydata(resources[core].to_numpy(float))
    art["cpu_mean"].set_ydata(resources[cores].to_numpy(float).mean(axis=1))
    art["memory"].set_ydata(resources["memory"].to_numpy(float))

    quality = evidence.quality
    art["accuracy"].set_ydata(100 * quality["accuracy"].to_numpy(float))
    art["positive"].set_ydata(100 * quality["predicted_positive"].to_numpy(float))
    ticks, day_labels = _day_labels(list(quality["date"]), 2)
    a["quality"].set_xticks(ticks, day_labels)
    events = _events(evidence)
    art["events"].set_segments([[(p, 0), (p, 100)] for p, _ in events])
    for i, text in enumerate(art["event_labels"]):
        position, label = events[i] if i < len(events) else (0.0, "")
        text.set_text(label[:40])
        text.set_x(position - 0.08)

    drift = evidence.drift
    for bar, row in zip(art["psi"], drift.itertuples(), strict=True):
        bar.set_width(row.psi)
        bar.set_color(style.ALARM if row.flagged else (style.GOOD if row.used_by_model else style.MUTED))
        bar.set_hatch("" if row.used_by_model else "//")
        bar.set_edgecolor("white")
    a["drift"].set_yticklabels([f"{f}{'' if used else ' (unused)'}"
                                for f, used in zip(drift["feature"], drift["used_by_model"], strict=True)],
                               fontsize=9)
    a["drift"].set_xlim(0, max(0.25, float(drift["psi"].max()) * 1.15))
    flagged = int(drift["flagged"].sum())
    art["drift_note"].set_text(f"{flagged} flagged (vermillion): adjusted p < 0.01 and PSI >= 0.1")

    recommender = evidence.recommender
    share = 100 * recommender["new_song_share"].to_numpy(float)
    art["new_daily"].set_ydata(share)
    art["new_share"].set_ydata(100 * recommender["new_song_share_5d"].to_numpy(float))
    a["recommender"].set_ylim(0, max(5.0, float(share.max()) * 1.3))
    ticks, day_labels = _day_labels(list(recommender["date"]), 5)
    a["recommender"].set_xticks(ticks, day_labels)

    slices = evidence.slices
    segments = []
    for bar, text, row in zip(art["slice_bars"], art["slice_notes"], slices.itertuples(), strict=True):
        bar.set_height(100 * row.hit_rate)
        small = not np.isfinite(row.low)
        bar.set_color(style.MUTED if small else style.GOOD)
        x = bar.get_x() + bar.get_width() / 2
        top = 100 * (row.high if np.isfinite(row.high) else row.hit_rate)
        if not small:
            segments.append([(x, 100 * row.low), (x, 100 * row.high)])
        text.set_position((x, top + 0.4))
        text.set_text(f"{row.impression_share:.0%}" if row.impression_share >= 0.01 else f"{row.impression_share:.1%}")
    art["slice_ci"].set_segments(segments)
    a["slices"].set_xticklabels(list(slices["slice"]))
    a["slices"].set_ylim(0, max(5.0, 100 * float(np.nanmax(slices[["hit_rate", "high"]].to_numpy(float))) * 1.25))

    runs = evidence.pipeline_runs
    checksum_failed = {line.time[:10] for line in evidence.logs
                       if line.component == "integrity-check" and line.level == "ERROR"}
    colours = [style.ALARM if status != "ok" else style.GOOD for status in runs["status"]]
    colours += [style.ALARM if night in checksum_failed else style.GOOD for night in runs["night"]]
    art["nightly"].set_facecolor(colours)
    ticks, day_labels = _day_labels(list(runs["night"]), 3)
    a["nightly"].set_xticks(ticks, day_labels)
