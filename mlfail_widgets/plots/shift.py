"""Chapter 05's figures: a shift seen by the data, the detectors and the model; a monitored stream.

``draw`` / ``update`` draw a :class:`~mlfail_widgets.failures.shift.ShiftSnapshot` (the main
widget); ``draw_monitor`` / ``update_monitor`` a
:class:`~mlfail_widgets.failures.shift.MonitoringView` (the dashboard). The other ``draw_*``
functions draw the chapter's static figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import style
from ._base import Artists, Drawn, new_figure, percent_ticks

__all__ = ["MonitorArtists", "ShiftArtists", "draw", "draw_corrections", "draw_monitor", "draw_patterns",
           "draw_performance", "draw_significance", "draw_streaming", "draw_tradeoff", "update", "update_monitor"]

POINTS = 400  # current rows shown in the scatter
EVIDENCE_CAP = 20.0  # -log10 p shown at most
LABEL_COLOURS = np.array([style.PALETTE["sky"], style.PALETTE["orange"]])


def _boundary(model) -> tuple[np.ndarray, np.ndarray]:
    """The model's 50% line in the (x1, x2) plane, with x3 = x4 = 0 and channel = web."""
    x1 = np.linspace(-5.5, 5.5, 2)
    w = (model.model_.coef_[1] - model.model_.coef_[0]) / model.model_.scale_
    b = (model.model_.intercept_[1] - model.model_.intercept_[0]) - (w * model.model_.mean_).sum()
    web = model.numeric_.__len__() + model.levels_["channel"].index("web")
    return x1, -(b + w[0] * x1 + w[web]) / w[1]


@dataclass
class ShiftArtists(Artists):
    """The artists :func:`update` changes: the scatter, the test bars, the accuracy bars, titles."""

    reference: Any
    current: Any
    boundary: Any
    bars: list
    level: Any
    test_title: Any
    accuracy_bars: Any
    accuracy_texts: list
    accuracy_title: Any
    data_title: Any


@dataclass
class MonitorArtists(Artists):
    """The artists :func:`update_monitor` changes: the window means, the score, its alarms."""

    means: Any
    score: Any
    threshold: Any
    alarms: Any
    title: Any


# --------------------------------------------------------------------------- the main widget
def draw(snapshot: Any, ax: Any = None) -> Drawn[ShiftArtists]:
    """The data (current rows by label over the reference), the per-feature tests, the accuracy.

    Left: 400 current rows (orange: label 1, blue: 0) over 400 reference rows (grey) and the
    model's 50% line (dashed). The explanation lives in the text around the figure (few texts
    keep a redraw fast: text is most of its cost).

    Examples
    --------
    >>> from mlfail_widgets.failures.shift.explore import shift_snapshot
    >>> drawn = draw(shift_snapshot("label", 2.0))
    >>> len(drawn.artists.bars), drawn.artists.test_title.get_text()
    (5, '2 of 5 features flagged')
    """
    from ..failures.shift.explore import deployed_model

    own_figure = ax is None
    with style.context():
        if own_figure:
            fig, ax = new_figure((11, 3.7), ncols=3, width_ratios=[1.15, 1.0, 0.9])
        data_ax, test_ax, acc_ax = ax
        fig = data_ax.figure
        reference = data_ax.scatter([], [], s=6, color=style.MUTED, alpha=0.5, linewidths=0, label="reference")
        current = data_ax.scatter([], [], s=9, linewidths=0, alpha=0.8)
        (line,) = data_ax.plot(*_boundary(deployed_model(0)), color=style.NEUTRAL, linestyle="--", linewidth=1.4)
        data_ax.set(xlim=(-4.5, 5.5), ylim=(-4, 4), xlabel="x1 (reference sd)", ylabel="x2 (reference sd)",
                    xticks=[-4, 0, 4], yticks=[-4, 0, 4])
        data_title = data_ax.set_title("", fontsize=11)

        features = list(snapshot.report.table["column"])
        y = np.arange(len(features))[::-1]
        bars = test_ax.barh(y, np.zeros(len(features)), color=style.GOOD, height=0.6)
        level_line = test_ax.axvline(0, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        test_ax.set_yticks(y, features)
        test_ax.set_xlim(0, EVIDENCE_CAP * 1.05)
        test_ax.set_xticks([0, 10, 20])
        test_ax.set_xlabel("-log10(adjusted p), max 20")
        test_ax.grid(axis="y", visible=False)
        test_title = test_ax.set_title("", fontsize=11)

        labels = ["reference", "measured", "expected"]
        accuracy_bars = acc_ax.bar(range(3), [0, 0, 0], color=[style.NEUTRAL, style.GOOD, style.MUTED], width=0.65)
        accuracy_texts = [acc_ax.text(i, 0, "", ha="center", va="bottom", fontsize=10, fontweight="bold")
                          for i in range(3)]
        acc_ax.set_xticks(range(3), labels, fontsize=9.5)
        acc_ax.set_ylim(0, 1.1)
        acc_ax.set_yticks([])  # the values are written on the bars
        acc_ax.spines["left"].set_visible(False)
        acc_ax.grid(False)
        acc_title = acc_ax.set_title("", fontsize=11)
    drawn = Drawn(fig, ShiftArtists(reference=reference, current=current, boundary=line, bars=bars,
                                    level=level_line, test_title=test_title, accuracy_bars=accuracy_bars,
                                    accuracy_texts=accuracy_texts, accuracy_title=acc_title,
                                    data_title=data_title))
    update(drawn, snapshot)
    if own_figure:  # a slider move redraws the points, bars, numbers and titles only
        from ._layered import redraw_changing

        redraw_changing(fig, [reference, current, *bars, level_line, test_title, *accuracy_bars,
                              *accuracy_texts, acc_title, data_title])
    return drawn


def update(drawn: Drawn[ShiftArtists], snapshot: Any) -> None:
    """Show ``snapshot`` in the figure made by :func:`draw`."""
    a = drawn.artists
    reference, current = snapshot.data.reference.iloc[:POINTS], snapshot.data.current.iloc[:POINTS]
    a.reference.set_offsets(np.c_[reference["x1"], reference["x2"]])
    a.current.set_offsets(np.c_[current["x1"], current["x2"]])
    a.current.set_color(LABEL_COLOURS[current["label"].to_numpy()])
    table = snapshot.report.table
    evidence = np.minimum(-np.log10(np.maximum(table["adjusted_pvalue"].to_numpy(), 1e-300)), EVIDENCE_CAP)
    for bar, value, drifted in zip(a.bars, evidence, table["drifted"], strict=True):
        bar.set_width(value)
        bar.set_color(style.ALARM if drifted else style.GOOD)
    a.level.set_xdata([-np.log10(snapshot.report.alpha)] * 2)
    flagged = len(snapshot.report.drifted)
    a.test_title.set_text(f"{flagged} of {len(table)} features flagged")
    a.test_title.set_color(style.ALARM if flagged else style.NEUTRAL)
    values = [snapshot.reference_accuracy, snapshot.accuracy, snapshot.expected]
    for bar, text, value in zip(a.accuracy_bars, a.accuracy_texts, values, strict=True):
        bar.set_height(value)
        text.set_position((bar.get_x() + bar.get_width() / 2, value + 0.01))
        text.set_text(f"{value:.1%}")
    drop = snapshot.accuracy - snapshot.reference_accuracy
    a.accuracy_bars[1].set_color(style.ALARM if drop < -0.03 else style.GOOD)
    a.accuracy_title.set_text(f"Accuracy on current rows {drop:+.1%}")
    data = snapshot.data
    kind = {"concept": "concept drift"}.get(data.kind, f"{data.kind} shift")
    what = "No shift" if data.kind == "none" else f"{kind} {data.magnitude:+.2g}".capitalize()
    a.data_title.set_text(f"{what} (simulated data)")


# --------------------------------------------------------------------------- the dashboard
def _score(result) -> tuple[np.ndarray, float, str]:
    if result.detector == "ks":
        return (np.minimum(-np.log10(np.maximum(result.score, 1e-300)), EVIDENCE_CAP),
                -np.log10(result.threshold), "evidence: -log10(smallest adjusted p)")
    name = {"wasserstein": "Wasserstein distance (sd), largest feature", "psi": "PSI, largest feature"}
    return result.score, result.threshold, name[result.detector]


def draw_monitor(view: Any, ax: Any = None) -> Drawn[MonitorArtists]:
    """The stream (window means of x1 and the true drift) above the monitor's score and alarms.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift.explore import monitoring_view
    >>> drawn = draw_monitor(monitoring_view(window=2000))
    >>> len(drawn.artists.score.get_xdata())
    20
    """
    with style.context():
        if ax is None:
            fig, ax = new_figure((10.5, 5.0), nrows=2, sharex=True, height_ratios=[1, 1.3])
        top, bottom = ax
        fig = top.figure
        stream = view.stream
        rows = len(stream.data)
        batch_rows = (np.arange(stream.magnitude.size) + 0.5) * stream.batch_size
        top.plot(batch_rows, stream.magnitude, color=style.NEUTRAL, linestyle="--", linewidth=1.3,
                 label="true shift of the mean")
        (means,) = top.plot([], [], drawstyle="steps-mid", color=style.GOOD, label="window mean of x1")
        for axis in (top, bottom):
            axis.axvline(stream.shift_row, color=style.PALETTE["orange"], linewidth=1.5)
        top.text(stream.shift_row, 1.0, " drift starts", transform=top.get_xaxis_transform(), va="top",
                 color=style.PALETTE["orange"], fontsize=9)
        top.set_ylabel("x1 (sd)")
        top.set_ylim(-0.35, max(0.8, float(stream.magnitude.max()) + 0.35))
        top.legend(loc="upper left", fontsize=9)
        style.label_simulated(top, "SIMULATED DATA")
        (score,) = bottom.plot([], [], drawstyle="steps-mid", color=style.NEUTRAL, linewidth=1.5)
        threshold = bottom.axhline(0, color=style.NEUTRAL, linestyle=":", linewidth=1.3)
        alarms = bottom.scatter([], [], s=36, color=style.ALARM, zorder=3, label="alarm")
        bottom.set_xlim(0, rows)
        bottom.set_xlabel("row of the stream")
        bottom.xaxis.set_major_formatter("{x:,.0f}")
        bottom.legend(loc="upper left", fontsize=9)
        title = top.set_title("", fontsize=11.5)
    drawn = Drawn(fig, MonitorArtists(means=means, score=score, threshold=threshold, alarms=alarms, title=title))
    update_monitor(drawn, view)
    return drawn


def update_monitor(drawn: Drawn[MonitorArtists], view: Any) -> None:
    """Show ``view`` in the figure made by :func:`draw_monitor`."""
    a, result = drawn.artists, view.result
    centres = result.starts + result.window / 2
    a.means.set_data(centres, view.window_means)
    values, line, label = _score(result)
    a.score.set_data(centres, values)
    a.threshold.set_ydata([line, line])
    a.alarms.set_offsets(np.c_[centres[result.alarms], values[result.alarms]] if result.alarms.any()
                            else np.empty((0, 2)))
    axis = a.score.axes
    axis.set_ylabel(label, fontsize=9.5)
    axis.set_ylim(0, max(float(values.max()) * 1.15, line * 1.6))
    delay = result.detection_delay
    rate = result.false_alarm_rate
    name = {"ks": "KS test", "wasserstein": "Wasserstein", "psi": "PSI"}[result.detector]
    a.title.set_text(
        f"{name}, {result.window:,}-row windows: "
        + (f"alarm {delay:,} rows after the drift" if delay is not None else "drift missed")
        + f"; false alarms before it: {rate:.0%}")
    a.title.set_color(style.ALARM if delay is None or rate > 0.1 else style.NEUTRAL)


# --------------------------------------------------------------------------- static figures
def draw_patterns(streams: dict) -> Drawn:
    """Sudden, gradual, incremental and recurring drift: the mean of x1 in every batch."""
    with style.context():
        fig, axes = new_figure((11, 2.6), ncols=len(streams), sharey=True)
        for axis, (name, stream) in zip(np.atleast_1d(axes), streams.items(), strict=True):
            means = stream.data.groupby("batch")["x1"].mean()
            axis.plot(means.index, means.to_numpy(), "o", markersize=3, color=style.GOOD, label="batch mean")
            axis.plot(np.arange(stream.magnitude.size), stream.magnitude, color=style.NEUTRAL,
                      linestyle="--", linewidth=1.2, label="true shift")
            axis.set_title(name)
            axis.set_xlabel("batch")
        np.atleast_1d(axes)[0].set_ylabel("x1 (sd)")
        np.atleast_1d(axes)[0].legend(fontsize=8, loc="upper left")
        style.label_simulated(np.atleast_1d(axes)[-1], "SIMULATED DATA")
    return Drawn(fig)


def draw_tradeoff(table: Any) -> Drawn:
    """What a window size buys: false alarms per 10,000 rows, power per window, delay."""
    with style.context():
        fig, (left, middle, right) = new_figure((11, 3.2), ncols=3)
        w = table["window"]
        left.plot(w, table["false_alarms_per_10k_rows"], "o-", color=style.ALARM)
        left.set(ylabel="false alarms per 10,000 rows", title="Noise before the shift")
        middle.plot(w, table["power"], "o-", color=style.GOOD)
        middle.set(ylabel="share of windows that alarm", ylim=(0, 1.05), title="Sureness after it")
        right.plot(w, table["median_delay"], "o-", color=style.NEUTRAL)
        right.set(ylabel="rows from shift to first alarm", title="Delay (median)")
        for axis in (left, middle, right):
            axis.set_xscale("log")
            axis.set_xlabel("window (rows, log scale)")
        style.label_simulated(right, "SIMULATED DATA")
    return Drawn(fig)


def draw_significance(table: Any) -> Drawn:
    """The same small shift: its KS p-value and its normed Wasserstein distance as samples grow."""
    with style.context():
        fig, (left, right) = new_figure((10, 3.2), ncols=2)
        left.plot(table["n"], table["pvalue"].clip(lower=1e-300), "o-", color=style.ALARM)
        left.axhline(0.05, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        left.text(table["n"].min(), 0.05, " p = 0.05", va="bottom", fontsize=9, color=style.NEUTRAL)
        left.set(xscale="log", yscale="log", xlabel="rows in each sample (log scale)", ylabel="KS p-value (log scale)",
                 title="Significance grows with the sample")
        right.plot(table["n"], table["wasserstein_sd"], "o-", color=style.GOOD)
        right.axhline(0.1, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        right.text(table["n"].min(), 0.1, " 0.1 (Evidently's default)", va="bottom", fontsize=9, color=style.NEUTRAL)
        right.set(xscale="log", xlabel="rows in each sample (log scale)", ylabel="Wasserstein distance (sd)",
                  ylim=(0, max(0.15, float(table["wasserstein_sd"].max()) * 1.2)), title="The size of the shift does not")
        style.label_simulated(right, "SIMULATED DATA")
    return Drawn(fig)


def draw_performance(tables: dict) -> Drawn:
    """Expected accuracy (from the model's confidence) against measured accuracy, batch by batch."""
    with style.context():
        fig, axes = new_figure((11, 3.0), ncols=len(tables), sharey=True)
        for axis, (name, table) in zip(np.atleast_1d(axes), tables.items(), strict=True):
            axis.plot(table["batch"], table["realised"], "o-", markersize=3, color=style.GOOD, label="measured (labels)")
            axis.plot(table["batch"], table["expected"], "s--", markersize=3, color=style.PALETTE["orange"],
                      label="expected (no labels)")
            axis.set(title=name, xlabel="batch")
        first = np.atleast_1d(axes)[0]
        first.set_ylabel("accuracy")
        percent_ticks(first.yaxis)
        first.legend(fontsize=9, loc="lower left")
        style.label_simulated(np.atleast_1d(axes)[-1], "SIMULATED DATA")
    return Drawn(fig)


def draw_corrections(tables: dict) -> Drawn:
    """Accuracy each correction recovers, one group of bars per scenario."""
    with style.context():
        fig, axis = new_figure((11, 3.4))
        methods = list(next(iter(tables.values()))["method"])
        colours = [style.MUTED, style.PALETTE["green"], style.PALETTE["orange"], style.GOOD]
        width = 0.8 / len(methods)
        for i, method in enumerate(methods):
            values = [float(t.set_index("method").loc[method, "accuracy"]) for t in tables.values()]
            x = np.arange(len(tables)) + (i - (len(methods) - 1) / 2) * width
            bars = axis.bar(x, values, width=width * 0.95, color=colours[i % len(colours)], label=method)
            axis.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=8, padding=2)
        axis.set_xticks(range(len(tables)), list(tables))
        axis.set_ylim(0.4, 1.05)
        axis.set_ylabel("accuracy on the same current rows")
        percent_ticks(axis.yaxis)
        axis.legend(fontsize=9, ncols=len(methods), loc="upper center", bbox_to_anchor=(0.5, -0.12))
        axis.grid(axis="x", visible=False)
        axis.set_title("What each correction wins back")
    return Drawn(fig)


def draw_streaming(stream: Any, detections: dict, change: int | None = None, window: int = 200) -> Drawn:
    """A stream (with its rolling mean) and where each streaming detector fired."""
    with style.context():
        fig, axis = new_figure((11, 3.6))
        x = np.asarray(stream, dtype=float)
        rolling = np.convolve(x, np.ones(window) / window, mode="valid")
        axis.plot(np.arange(rolling.size) + window - 1, rolling, color=style.GOOD, label=f"rolling mean ({window})")
        if change is not None:
            axis.axvline(change, color=style.PALETTE["orange"], linewidth=1.5, label="true change")
        markers = ["v", "^", "D"]
        colours = [style.ALARM, style.PALETTE["purple"], style.NEUTRAL]
        top = float(rolling.max())
        for i, (name, found) in enumerate(detections.items()):
            axis.plot(found, np.full(len(found), top * (1.08 + 0.1 * i)), markers[i % 3], color=colours[i % 3],
                      markersize=8, linestyle="none", label=f"{name}: {len(found)} detection(s)")
        axis.set(xlabel="prediction number", ylabel="error rate", title="Streaming detectors on the model's errors")
        axis.set_ylim(0, top * (1.2 + 0.1 * len(detections)))
        axis.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3)
        style.label_simulated(axis, "SIMULATED DATA")
    return Drawn(fig)
