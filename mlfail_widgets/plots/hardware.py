"""Chapter 04's figures: latency under contention, the machine's trace, the simulated thermal
model, a memory-limited child, and a flipped bit.

Each kind has ``draw_<kind>(data, ax=None) -> Drawn`` and ``update_<kind>(drawn, data)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import parameter_error
from . import style
from ._base import Artists, Drawn, axes_of, figure_for, percent_ticks

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Annotation, Text

    from ..failures.hardware import LatencyReport, LatencyRun, MemoryPressureRun, ThermalRun

__all__ = [
    "BitFlipArtists",
    "LatencyArtists",
    "MemoryArtists",
    "RequestArtists",
    "ThermalArtists",
    "TraceArtists",
    "draw_bitflips",
    "draw_latency",
    "draw_memory",
    "draw_requests",
    "draw_thermal",
    "draw_trace",
    "update_latency",
    "update_requests",
    "update_thermal",
]

_OUTCOMES = [("within the SLO", style.GOOD), ("served late", style.ALARM),
             ("shed (refused at once)", style.PALETTE["orange"]),
             ("timed out", style.PALETTE["sky"])]


@dataclass
class LatencyArtists(Artists):
    """What :func:`update_latency` changes: p50-p99 per scenario (left), where requests went (right)."""

    spans: LineCollection  # p50 to p99, one segment per scenario
    median: PathCollection
    tail: PathCollection  # p99, coloured by the SLO
    labels: list[Text]  # the p99 in ms beside each row
    stacks: list[BarContainer]  # one per outcome (within, late, shed, timed out): a bar per scenario
    rows: np.ndarray  # each scenario's row
    slo_text: Text


@dataclass
class RequestArtists(Artists):
    """What :func:`update_requests` changes: every request, by outcome, and the SLO line."""

    groups: dict[str, PathCollection]  # "within", "late", "shed", "timed out"
    slo: Line2D
    slo_text: Text


@dataclass
class TraceArtists(Artists):
    """The per-core lines of :func:`draw_trace` (drawn once, not updated)."""

    cores: list[Line2D]


@dataclass
class ThermalArtists(Artists):
    """What :func:`update_thermal` changes: load, temperature, frequency and the crash marker."""

    load: Line2D
    temperature: Line2D
    frequency: Line2D
    crash: Line2D  # a vertical line at the crash (hidden when the CPU survives)
    crash_text: Text
    summary: Text  # the title with the run's numbers


@dataclass
class MemoryArtists(Artists):
    """The end-of-run note of :func:`draw_memory` (drawn once, not updated)."""

    end: Annotation


@dataclass
class BitFlipArtists(Artists):
    """The bars of :func:`draw_bitflips` (drawn once, not updated)."""

    changed: list[Rectangle]  # share of predictions changed, one bar per bit


def _tag(ax: Any, text: str, colour: str) -> None:
    """A small stamp in the title row, like ``style.label_simulated`` (never over the data)."""
    style.label_simulated(ax, text, colour)


def _outcome_shares(run: LatencyRun) -> list[float]:
    served = run.served
    within = served & (run.latency <= run.slo)
    return [float(within.mean()), float((served & ~within).mean()), run.shed, run.timed_out]


# ---------------------------------------------------------------------- latency by scenario
def draw_latency(experiment: LatencyReport, ax: Any = None) -> Drawn[LatencyArtists]:
    """p50 and p99 latency per scenario (left) and where the requests went (right).

    ``experiment`` is a :class:`~mlfail_widgets.failures.hardware.LatencyReport`.

    Examples
    --------
    >>> from mlfail_widgets.failures.hardware import LatencyReport, LatencyRun
    >>> run = LatencyRun("idle", np.array([0.0, 0.1]), np.array([0.0, 0.1]),
    ...                  np.array([0.002, 0.104]), np.array([0, 0]))
    >>> drawn = draw_latency(LatencyReport([run], {1: 1.0}, 100.0, 0.025))
    >>> len(drawn.artists.labels)
    1
    """
    runs = experiment.runs
    rows = np.arange(len(runs))[::-1]
    with style.context():
        fig, (left, right) = figure_for(ax, (10, 1.3 + 0.45 * len(runs)), ncols=2, width_ratios=[1.5, 1], sharey=True)
        left.axvline(experiment.slo * 1000, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        slo_text = left.text(experiment.slo * 1000, rows[0] + 0.62, f" SLO {experiment.slo * 1000:g} ms",
                             color=style.NEUTRAL, fontsize=9, va="bottom")
        spans = left.hlines(rows, 1, 1, color=style.MUTED, linewidth=4)
        median = left.scatter(rows * 0 + 1, rows, s=42, color=style.GOOD, zorder=3, label="p50 (median)")
        tail = left.scatter(rows * 0 + 1, rows, s=60, marker="D", color=style.ALARM, zorder=3,
                            label="p99")
        labels = [left.text(1, row, "", va="center", fontsize=9) for row in rows]
        left.set_xscale("log")
        left.set_yticks(rows, [run.name for run in runs])
        left.set_ylim(-0.7, len(runs) - 0.1)
        left.set_xlabel("latency of served requests (ms, log scale)")
        left.set_title("Latency, measured: median and 99th percentile")
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(1, len(runs))),
                    ncols=2, fontsize=9)
        left.grid(axis="y", visible=False)
        stacks = [right.barh(rows, np.zeros(len(runs)), left=np.zeros(len(runs)), height=0.6,
                             color=colour, label=label) for label, colour in _OUTCOMES]
        right.set_xlim(0, 1)
        percent_ticks(right.xaxis)
        right.set_xlabel("share of requests")
        right.set_title("Where the requests went")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(1, len(runs))),
                     ncols=2, fontsize=9)
        right.grid(axis="y", visible=False)
        right.tick_params(axis="y", length=0)
    drawn = Drawn(fig, LatencyArtists(spans=spans, median=median, tail=tail, labels=labels, stacks=stacks,
                                      rows=rows, slo_text=slo_text))
    update_latency(drawn, experiment)
    return drawn


def update_latency(drawn: Drawn[LatencyArtists], experiment: LatencyReport) -> None:
    """Show ``experiment`` (with as many scenarios as when drawn) on the existing artists."""
    artists = drawn.artists
    rows = artists.rows
    p50 = np.array([run.p50_ms for run in experiment.runs])
    p99 = np.array([run.p99_ms for run in experiment.runs])
    safe50, safe99 = np.nan_to_num(p50, nan=0.1), np.nan_to_num(p99, nan=0.1)
    artists.spans.set_segments([[(a, y), (b, y)] for a, b, y in zip(safe50, safe99, rows, strict=True)])
    artists.median.set_offsets(np.column_stack([safe50, rows]))
    artists.tail.set_offsets(np.column_stack([safe99, rows]))
    slo_ms = experiment.slo * 1000
    artists.tail.set_color([style.ALARM if v > slo_ms else style.GOOD for v in safe99])
    for text, run, value, row in zip(artists.labels, experiment.runs, safe99, rows, strict=True):
        text.set_position((value * 1.25, row))
        text.set_text(f"{value:.0f} ms" if run.served.any() else "nothing served")
    axes = axes_of(artists.median)
    axes.set_xlim(min(0.5, np.nanmin(safe50) * 0.7), max(slo_ms * 4, np.nanmax(safe99) * 6))
    shares = np.array([_outcome_shares(run) for run in experiment.runs])
    lefts = np.zeros(len(rows))
    for k, bars in enumerate(artists.stacks):
        for bar, left, width in zip(bars, lefts, shares[:, k], strict=True):
            bar.set_x(left)
            bar.set_width(width)
        lefts = lefts + shares[:, k]


# ---------------------------------------------------------------------- one run, request by request
def draw_requests(run: LatencyRun, ax: Any = None) -> Drawn[RequestArtists]:
    """Every request of one run: its latency against its arrival time, coloured by outcome.

    Examples
    --------
    >>> from mlfail_widgets.failures.hardware import LatencyRun
    >>> run = LatencyRun("idle", np.array([0.0, 0.1]), np.array([0.0, 0.1]),
    ...                  np.array([0.002, 0.104]), np.array([0, 0]))
    >>> sorted(draw_requests(run).artists.groups)
    ['late', 'shed', 'timed out', 'within']
    """
    with style.context():
        fig, ax = figure_for(ax, (6.4, 3.4))
        groups: dict[str, PathCollection] = {}
        for key, (label, colour), marker in zip(["within", "late", "shed", "timed out"], _OUTCOMES,
                                                ["o", "o", "x", "s"], strict=True):
            groups[key] = ax.scatter([], [], s=12, marker=marker, color=colour, label=label,
                                     alpha=0.8, linewidths=1)
        slo = ax.axhline(run.slo * 1000, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        ax.set_yscale("log")
        ax.set_ylim(0.2, 5000)
        ax.set_xlabel("arrival time (s)")
        ax.set_ylabel("latency (ms, log scale)")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, fontsize=8, markerscale=1.5,
                  handletextpad=0.2, columnspacing=0.8)
        slo_text = ax.text(0.01, run.slo * 1000, " SLO", transform=ax.get_yaxis_transform(),
                           va="bottom", fontsize=9, color=style.NEUTRAL)
        _tag(ax, "MEASURED", style.GOOD)
    drawn = Drawn(fig, RequestArtists(groups=groups, slo=slo, slo_text=slo_text))
    update_requests(drawn, run)
    return drawn


def update_requests(drawn: Drawn[RequestArtists], run: LatencyRun) -> None:
    """Show ``run`` on the existing artists."""
    groups = drawn.artists.groups
    latency_ms = np.maximum(run.latency * 1000, 0.25)  # shed requests are refused at once
    within = run.served & (run.latency <= run.slo)
    masks = {"within": within, "late": run.served & ~within, "shed": run.status == 1,
             "timed out": run.status == 2}
    for key, mask in masks.items():
        groups[key].set_offsets(np.column_stack([run.arrival[mask], latency_ms[mask]]))
    drawn.artists.slo.set_ydata([run.slo * 1000] * 2)
    drawn.artists.slo_text.set_y(run.slo * 1000)
    ax = axes_of(drawn.artists.slo)
    ax.set_xlim(0, max(1e-3, float(run.arrival.max(initial=0))) * 1.02)
    with style.context():
        ax.set_title(f"{run.name or 'run'}: p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.0f} ms, "
                     f"{run.over_slo:.0%} miss the SLO", pad=24)


# ---------------------------------------------------------------------- the machine during the runs
def draw_trace(experiment: LatencyReport, ax: Any = None) -> Drawn[TraceArtists]:
    """CPU per core during :func:`measure_latency`, with each scenario's window shaded.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfail_widgets.failures.hardware import LatencyReport
    >>> trace = pd.DataFrame({"time": [0.2, 0.4], "cpu_percent": [5.0, 90.0],
    ...                       "core_0": [5.0, 95.0], "core_1": [5.0, 85.0]})
    >>> drawn = draw_trace(LatencyReport([], {}, 1.0, 0.025, trace, [("stress", 0.25, 0.4)]))
    >>> len(drawn.artists.cores)
    2
    """
    trace = experiment.trace
    if trace is None:
        raise parameter_error("experiment", "a LatencyReport that recorded the machine (its trace)",
                              "a LatencyReport without a trace",
                              fix="Measure with measure_latency(..., sample_interval=0.2); "
                                  "sample_interval=None records no trace.")
    with style.context():
        fig, ax = figure_for(ax, (10, 3.3))
        for k, (name, start, end) in enumerate(experiment.windows):
            ax.axvspan(start, end, color=style.MUTED, alpha=0.35 if k % 2 else 0.2, linewidth=0)
            ax.text((start + end) / 2, 1.01, name, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=8, color=style.NEUTRAL)  # above the axes, never over the traces
        cores = [c for c in trace.columns if c.startswith("core_")]
        colours = [style.GOOD, style.PALETTE["orange"], style.PALETTE["green"], style.PALETTE["sky"]]
        lines = [ax.plot(trace["time"], trace[c], linewidth=1.1, alpha=0.85,
                         color=colours[i % len(colours)], label=f"core {c.split('_')[1]}")[0]
                 for i, c in enumerate(cores)]
        ax.set_ylim(0, 100)
        ax.set_ylabel("CPU busy (%)")
        ax.set_xlabel("time since the experiment started (s)")
        ax.set_xlim(0, float(trace["time"].max()) if len(trace) else 1)
        ax.legend(loc="lower right", ncols=len(cores), fontsize=8.5, framealpha=0.9, frameon=True)
        _tag(ax, "MEASURED", style.GOOD)
        ax.set_title("The machine during the latency experiment (psutil, per core)")
    return Drawn(fig, TraceArtists(cores=lines))


# ---------------------------------------------------------------------- thermal model (simulated)
def draw_thermal(run: ThermalRun, ax: Any = None) -> Drawn[ThermalArtists]:
    """Measured load (replayed), simulated temperature and simulated CPU frequency over time.

    ``run`` is a :class:`~mlfail_widgets.failures.hardware.ThermalRun` for one cooler.

    Examples
    --------
    >>> from mlfail_widgets.failures.hardware import simulate_thermal
    >>> drawn = draw_thermal(simulate_thermal([1.0], interval=1.0, duration=300, cooling=0.4))
    >>> drawn.artists.crash.get_visible()
    True
    """
    model = run.model
    with style.context():
        fig, (load, heat, speed) = figure_for(ax, (9.5, 5.6), nrows=3, sharex=True, height_ratios=[1, 2.1, 1])
        (load_line,) = load.plot([], [], color=style.NEUTRAL, linewidth=0.9)
        load.set_ylim(0, 105)
        load.set_ylabel("load (%)")
        load.set_title("Measured CPU load, replayed; temperature and frequency simulated")
        _tag(load, "MEASURED", style.GOOD)
        heat.axhline(model.throttle_at, color=style.PALETTE["orange"], linestyle="--", linewidth=1.2)
        heat.axhline(model.critical_at, color=style.ALARM, linestyle="--", linewidth=1.2)
        box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
        heat.text(0.995, model.throttle_at - 1, f"throttles above {model.throttle_at:g} °C",
                  transform=heat.get_yaxis_transform(), ha="right", va="top", fontsize=9,
                  color=style.PALETTE["orange"], bbox=box)
        heat.text(0.995, model.critical_at - 1, f"shuts down at {model.critical_at:g} °C",
                  transform=heat.get_yaxis_transform(), ha="right", va="top", fontsize=9,
                  color=style.ALARM, bbox=box)
        (temperature,) = heat.plot([], [], color=style.SIMULATED, linewidth=2)
        crash = heat.axvline(0, color=style.ALARM, linewidth=2)
        crash_text = heat.text(0, 0.08, "", transform=heat.get_xaxis_transform(), color=style.ALARM,
                               fontweight="bold", fontsize=10, ha="left", va="bottom")
        summary = heat.set_title("", fontsize=10.5, fontweight="normal", loc="left")
        heat.set_ylim(model.ambient - 5, max(model.critical_at + 15, 120))
        heat.set_ylabel("temperature (°C)")
        style.label_simulated(heat)
        (frequency,) = speed.plot([], [], color=style.SIMULATED, linewidth=1.6)
        speed.set_ylim(0, 110)
        speed.set_ylabel("frequency\n(% of nominal)")
        speed.set_xlabel("time (s)")
        style.label_simulated(speed)
    drawn = Drawn(fig, ThermalArtists(load=load_line, temperature=temperature, frequency=frequency, crash=crash,
                                      crash_text=crash_text, summary=summary))
    update_thermal(drawn, run)
    if ax is None:  # our own figure: a slider move redraws the curves and the summary only
        from ._layered import redraw_changing

        redraw_changing(fig, [load_line, temperature, frequency, crash, crash_text, summary])
    return drawn


def update_thermal(drawn: Drawn[ThermalArtists], run: ThermalRun) -> None:
    """Show ``run`` (one cooler) on the existing artists."""
    artists = drawn.artists
    time = run.time
    artists.load.set_data(time, run.utilisation * 100)
    artists.temperature.set_data(time, run.temperature)
    artists.frequency.set_data(time, np.where(run.alive, run.frequency * 100, np.nan))
    axes_of(artists.load).set_xlim(0, time[-1] if time.size > 1 else 1)
    crashed = bool(run.crashed)
    artists.crash.set_visible(crashed)
    if crashed:
        crashed_at = float(run.crashed_at)
        artists.crash.set_xdata([crashed_at] * 2)
        artists.crash_text.set_position((crashed_at, 0.08))
        artists.crash_text.set_text(f" CRASH at {crashed_at:.0f} s:\n the CPU shut down")
    else:
        artists.crash_text.set_text("")
    artists.summary.set_text(
        f"cooling {run.cooling:.2f} W/K, load x{run.load:.2f}:  peak {run.peak:.0f} °C,  "
        f"throttled {run.throttled_share:.0%} of the time,  work done {run.work_done:.0%}"
        + ("  (crashed)" if crashed else ""))
    artists.summary.set_color(style.ALARM if crashed else style.NEUTRAL)


# ---------------------------------------------------------------------- memory pressure
def draw_memory(result: MemoryPressureRun, ax: Any = None) -> Drawn[MemoryArtists]:
    """What the memory-limited child allocated, step by step, until it died (or finished).

    Examples
    --------
    >>> from mlfail_widgets.failures.hardware import MemoryPressureRun
    >>> result = MemoryPressureRun(128, 256, 96, 1, None, "MemoryError", 110.0, 0.1,
    ...                               [(32, 60.0, 0.01), (64, 90.0, 0.02), (96, 110.0, 0.03)])
    >>> draw_memory(result).artists.end.get_text()
    'MemoryError at 96 MB'
    """
    steps = np.array(result.steps, dtype=float).reshape(-1, 3)
    with style.context():
        fig, ax = figure_for(ax, (7.2, 3.3))
        ax.axhline(result.limit_mb, color=style.ALARM, linestyle="--", linewidth=1.3)
        ax.text(0.01, result.limit_mb, f" address-space limit {result.limit_mb} MB",
                transform=ax.get_yaxis_transform(), va="bottom", fontsize=9, color=style.ALARM)
        ax.plot(steps[:, 2] * 1000, steps[:, 0], "o-", color=style.GOOD, markersize=3.5,
                label="allocated by the child")
        ax.plot(steps[:, 2] * 1000, steps[:, 1], "--", color=style.NEUTRAL, linewidth=1.3,
                label="its resident memory (RSS)")
        x_end = steps[-1, 2] * 1000 if len(steps) else 0.0
        y_end = steps[-1, 0] if len(steps) else 0.0
        if result.died:
            label = (f"{result.error or result.signal or 'died'} at {result.reached_mb} MB")
            ax.plot([x_end], [y_end], "X", color=style.ALARM, markersize=12, zorder=4)
        else:
            label = f"finished: {result.reached_mb} MB"
        end = ax.annotate(label, (x_end, y_end), xytext=(0.97, 0.45), textcoords="axes fraction",
                          ha="right", va="center", fontsize=10, fontweight="bold",
                          arrowprops={"arrowstyle": "->", "color": style.NEUTRAL, "shrinkB": 8},
                          color=style.ALARM if result.died else style.GOOD)
        ax.set_ylim(0, max(result.limit_mb, result.requested_mb if not result.died else 0) * 1.25)
        ax.set_xlim(0, max(1.0, x_end * 1.05))
        ax.set_xlabel("time since the child started (ms)")
        ax.set_ylabel("memory (MB)")
        ax.set_title(f"A child process asks for {result.requested_mb} MB under a "
                     f"{result.limit_mb} MB limit")
        ax.legend(loc="lower right", fontsize=9)
        _tag(ax, "MEASURED", style.GOOD)
    return Drawn(fig, MemoryArtists(end=end))


# ---------------------------------------------------------------------- bit flips
def draw_bitflips(effects: pd.DataFrame, ax: Any = None) -> Drawn[BitFlipArtists]:
    """For each of the 64 bits of one weight: how much the weight changes, how many predictions
    change, and whether redundant replicas notice.

    ``effects`` is the DataFrame of :func:`~mlfail_widgets.failures.hardware.bit_flip_effects`.

    Examples
    --------
    >>> from mlfail_widgets.failures.hardware import bit_flip_effects, train_demo_model
    >>> model, X, y = train_demo_model(seed=0)
    >>> len(draw_bitflips(bit_flip_effects(model, X[:100], y[:100])).artists.changed)
    64
    """
    bits = effects["bit"].to_numpy()
    colours = {"mantissa": style.GOOD, "exponent": style.ALARM, "sign": style.PALETTE["orange"]}
    colour = [colours[f] for f in effects["field"]]
    relative = effects["relative_change"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        powers = np.log10(np.clip(np.nan_to_num(relative, nan=1e308, posinf=1e308), 1e-17, 1e308))
    with style.context():
        fig, (top, bottom) = figure_for(ax, (10, 4.8), nrows=2, sharex=True, height_ratios=[1.1, 1])
        ceiling = 12
        top.bar(bits, np.minimum(powers, ceiling) + 17, bottom=-17, color=colour, width=0.8)
        for bit, power in zip(bits, powers, strict=True):
            if power > ceiling:
                top.annotate(f"x1e{power:.0f}", (bit, ceiling), xytext=(-4, 0), textcoords="offset points",
                             ha="right", va="top", fontsize=8.5, color=style.ALARM, fontweight="bold")
        top.set_ylim(-17, ceiling + 4)
        ticks = [-16, -12, -8, -4, 0, 4, 8, 12]
        top.set_yticks(ticks, [f"1e{t}" if t else "1" for t in ticks])
        top.set_ylabel("relative change\nof the weight")
        before = effects["weight_before"].iloc[0]
        top.set_title(f"Flipping one bit of one weight ({before:.4g}): what changes, what notices")
        for name, (low, high) in {"mantissa (bits 0-51)": (-0.5, 51.5), "exponent (52-62)": (51.5, 62.5),
                                  "sign": (62.5, 63.5)}.items():
            field = name.split()[0]
            top.axvspan(low, high, color=colours[field], alpha=0.07, linewidth=0)
            if field != "sign":
                top.text((low + high) / 2, ceiling + 3.6, name, ha="center", va="top", fontsize=9,
                         color=colours[field])
        changed = bottom.bar(bits, effects["labels_changed"].to_numpy() * 100, color=colour, width=0.8)
        caught = effects["redundancy_detects"].to_numpy(dtype=bool)
        bottom.scatter(bits[caught], np.full(caught.sum(), 108), marker="v", s=22, color=style.NEUTRAL,
                       label="two replicas disagree (caught)")
        bottom.scatter(bits[~caught], np.full((~caught).sum(), 108), marker="v", s=22,
                       facecolors="white", edgecolors=style.NEUTRAL, label="replicas agree (missed)")
        bottom.set_ylim(0, 118)
        bottom.set_ylabel("predictions\nchanged (%)")
        bottom.set_xlabel("bit flipped (0 = lowest mantissa bit, 63 = sign)")
        bottom.set_xlim(-1, 64)
        checksum = int(effects["checksum_detects"].sum())
        bottom.legend(loc="center left", fontsize=8.5, title=f"sha256 checksum: {checksum} of 64 caught",
                      title_fontsize=8.5, frameon=True, framealpha=0.95)
    return Drawn(fig, BitFlipArtists(changed=list(changed)))
