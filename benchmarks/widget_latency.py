"""Widget latency: from a control's value change to the updated PNG the frontend receives.

For every widget of the library and of every chapter (``CASES``), a control is moved 50 times
(10 with ``--quick``) and each move is timed until the new PNG is in the widget's ``Image``
(the bytes the notebook frontend gets). A widget without sliders (the deployment console's
buttons, the resource monitor's new samples, the contention lab's Run) is driven through the
method its button calls (``ActionCase``), timed the same way. Figures: the median and the
95th percentile of the wall-clock time (what the learner waits), and the median CPU time of
the process (what a move costs when the machine is shared).

Budgets (issue 10): median under 100 ms, p95 under 250 ms. Exceptions, reported as such:
chapter 06's dashboard may take 200 ms median at its default size (issue 7); chapter 01's
panel runs real pip for a setting it has not seen (about a second, by design: its budget is
chapter 01's 2 s), and its cached settings are held to the course budget; the contention
lab's Run is a real measurement of a bounded length (reported, not judged).

Issue 3 also asks for:

- the slider Panel at least 2 times faster than the clear-and-replot pattern of
  ``ipywidgets.interact`` on the same 2-axes figure, measured alternately in one run. The
  interact side does what the inline backend does on every move: build the figure with
  pyplot, render it with ``print_figure(..., bbox_inches="tight")`` (IPython's, which the
  inline backend calls), close it;
- the slice chart on 100,000 rows and 10 slices under 100 ms median.

    python benchmarks/widget_latency.py [--quick]
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
from _common import Seconds, alternate, main, ratio_row, row, stats

NAME = "widget_latency"
MOVES = 50
QUICK_MOVES = 10
MEDIAN_BUDGET, P95_BUDGET = 0.1, 0.25


@dataclass
class Case:
    """One widget to time: ``factory()`` builds it, ``control`` is moved through ``values``.

    The factory should pass ``background=False`` so that a move is timed until its PNG is
    ready (a background panel is waited for, which adds a thread hand-off). ``before(panel)``
    runs untimed before every move (to clear a cache, say). ``target`` and ``p95`` are the
    budgets in seconds (``target=None``: reported, not judged); ``moves`` caps the number of
    moves for a slow case; ``note`` is printed under the table.
    """

    name: str
    factory: Callable[[], Any]
    control: str
    values: Sequence[Any]
    target: float | None = MEDIAN_BUDGET
    before: Callable[[Any], None] | None = None
    p95: float | None = P95_BUDGET
    moves: int | None = None
    note: str = ""


@dataclass
class ActionCase:
    """A widget driven by actions instead of a control: ``act(widget, i)`` does move ``i``.

    The action is what the widget's button calls (and then renders the new PNG into its
    ``Image``); it is timed until it returns. ``pause`` seconds pass, untimed, between moves:
    the time a learner spends reading before the next click, when a widget uses it.
    """

    name: str
    factory: Callable[[], Any]
    act: Callable[[Any, int], Any]
    target: float | None = MEDIAN_BUDGET
    p95: float | None = P95_BUDGET
    moves: int | None = None
    note: str = ""
    pause: float = 0.0


# --------------------------------------------------------------------------- the 2-axes demo
# A realistic monitoring figure, drawn the same way by the Panel and by interact: a time series
# with a rolling mean (left) and the histogram of recent values against a reference (right).
BINS = np.linspace(-4, 6, 41)


def drift_demo(shift: float = 0.0, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    t = np.arange(600)
    values = rng.normal(0, 1, t.size) + shift * (t >= 300)
    rolling = np.convolve(values, np.ones(30) / 30, mode="same")
    reference, _ = np.histogram(rng.normal(0, 1, 3000), BINS, density=True)
    recent, _ = np.histogram(values[300:], BINS, density=True)
    return {"t": t, "values": values, "rolling": rolling, "reference": reference, "recent": recent,
            "shift": float(values[300:].mean() - values[:300].mean())}


def _plot_demo(left, right, result) -> dict:
    from mlfail_widgets.plots import style

    dots = left.scatter(result["t"], result["values"], s=7, color=style.GOOD, alpha=0.45,
                        label="feature value")
    (line,) = left.plot(result["t"], result["rolling"], color=style.ALARM, label="rolling mean (30)")
    left.axvline(300, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
    left.set_ylim(-4.5, 7)
    left.set_xlabel("time (requests)")
    left.set_ylabel("feature value (units)")
    left.set_title("A feature over time")
    left.legend(loc="upper left")
    centres, width = (BINS[:-1] + BINS[1:]) / 2, np.diff(BINS)[0]
    right.bar(centres, result["reference"], width=width, color=style.MUTED, label="reference")
    bars = right.bar(centres, result["recent"], width=width, color=style.ALARM, alpha=0.6,
                     label="after request 300")
    right.set_ylim(0, 1.2)
    right.set_xlabel("feature value (units)")
    right.set_ylabel("density")
    right.legend(loc="upper right")
    title = right.set_title(f"Recent values: mean shift {result['shift']:+.2f}")
    return {"dots": dots, "line": line, "bars": bars, "title": title}


def demo_draw(result):
    from mlfail_widgets.plots import Drawn, new_figure

    fig, (left, right) = new_figure((10, 3.6), ncols=2)
    return Drawn(fig, _plot_demo(left, right, result))


def demo_update(drawn, result) -> None:
    a = drawn.artists
    a["dots"].set_offsets(np.column_stack([result["t"], result["values"]]))
    a["line"].set_ydata(result["rolling"])
    for bar, height in zip(a["bars"], result["recent"], strict=True):
        bar.set_height(height)
    a["title"].set_text(f"Recent values: mean shift {result['shift']:+.2f}")


def demo_panel():
    from mlfail_widgets.widgets import Panel, Slider

    return Panel(drift_demo, demo_draw, demo_update, {"shift": Slider(0.0, 3.0, step=0.01, value=0.0)},
                 background=False)


class DemoInteract:
    """``ipywidgets.interactive`` over the same figure, replotted on every move (inline style)."""

    def __init__(self):
        import ipywidgets as w

        self.png = b""
        self.widget = w.interactive(self._show, shift=w.FloatSlider(min=0.0, max=3.0, step=0.01, value=0.0))
        self.controls = {"shift": self.widget.children[0]}

    def _show(self, shift: float) -> None:
        import matplotlib.pyplot as plt
        from IPython.core.pylabtools import print_figure

        from mlfail_widgets.plots import style

        with style.context():
            fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100, layout="constrained")
            _plot_demo(left, right, drift_demo(shift))
            self.png = print_figure(fig, "png", bbox_inches="tight")  # what display(fig) sends
        plt.close(fig)

    def close(self) -> None:
        self.widget.close()


# --------------------------------------------------------------------------- the slice chart
_SLICE_DATA = {}


def slice_data(rows: int = 100_000, seed: int = 0):
    """Predictions with 10 genres (1% to 30% of the rows), one served badly, and an age column."""
    if rows not in _SLICE_DATA:
        import pandas as pd

        rng = np.random.default_rng(seed)
        genres = np.array(["pop", "rock", "hip-hop", "electronic", "classical", "jazz", "folk",
                           "metal", "country", "blues"])
        genre = rng.choice(genres, rows, p=[.3, .2, .15, .1, .08, .06, .05, .03, .02, .01])
        label = (rng.random(rows) < 0.4).astype(int)
        skill = np.where(genre == "jazz", 0.7, 0.88)
        right = rng.random(rows) < skill
        _SLICE_DATA[rows] = pd.DataFrame({
            "genre": genre, "age": rng.gamma(4, 9, rows), "label": label,
            "prediction": np.where(right, label, 1 - label)})
    return _SLICE_DATA[rows]


def slice_chart_case(**options):
    from mlfail_widgets.widgets.slices import slice_chart

    return slice_chart(slice_data(), ["genre", "age"], ["accuracy", "recall"], background=False, **options)


# --------------------------------------------------------------------------- chapter widgets
def outage_case():
    from mlfail_widgets.widgets.overview import outage_panel

    return outage_panel(background=False)


class _WithLab:
    """Chapter 01's panel and the lab it needs, closed together."""

    def __init__(self):
        from mlfail_widgets.failures.dependency import DependencyLab
        from mlfail_widgets.widgets.dependency import dependency_panel

        self.lab = DependencyLab(seed=0)
        try:
            self.panel = dependency_panel(self.lab, background=False)
        except BaseException:
            self.lab.close()
            raise

    def __getattr__(self, name):
        if name in ("panel", "lab"):  # not set yet: the constructor failed
            raise AttributeError(name)
        return getattr(self.panel, name)

    def close(self) -> None:
        self.panel.close()
        self.lab.close()


def dependency_case(cached: bool):
    from mlfail_widgets.widgets.dependency import REQUIREMENTS

    made = _WithLab()
    if cached:  # every setting seen once, untimed: the moves are answered from the lab's cache
        for requirement in REQUIREMENTS:
            made.panel.controls["requirement"].value = requirement
    return made


def _forget_installs(made) -> None:
    made.lab._cache.clear()  # the lab keeps no public way to forget; a benchmark may reach in


def deployment_case():
    from mlfail_widgets.widgets.deployment import deployment_console

    console = deployment_console(seed=0)
    _ = console.widget
    return console


def console_click(console, i: int):
    """The buttons in a learner's order: a week passes, promote, deploy; then roll back and redeploy."""
    if console.timeline.week < console.timeline.weeks:
        action = (console.next_week, console.promote, console.deploy)[i % 3]
    else:
        action = (console.rollback, console.deploy, console.promote, console.deploy)[i % 4]
    return action()


def downtime_case():
    from mlfail_widgets.widgets.downtime import downtime_panel

    return downtime_panel(background=False)


def redundancy_case():
    from mlfail_widgets.widgets.downtime import redundancy_panel

    return redundancy_panel(background=False)


def _utilisation_trace() -> np.ndarray:
    """A 12 s utilisation trace at 0.2 s, like the notebook's measured one."""
    return np.clip(np.random.default_rng(0).normal(0.6, 0.3, 60), 0, 1)


def thermal_case():
    from mlfail_widgets.widgets.hardware import thermal_panel

    return thermal_panel(_utilisation_trace(), interval=0.2, background=False)


class _Recorded:
    """The resource monitor replaying a real recording one sample at a time (no threads)."""

    def __init__(self):
        import pandas as pd

        from mlfail_widgets.failures.hardware import ResourceSampler
        from mlfail_widgets.widgets.monitor import ResourceMonitor

        with ResourceSampler(interval=0.1, duration=1.0) as sampler:
            sampler.join(timeout=10)
        one = sampler.samples
        span = float(one["time"].max()) + 0.1
        # 200 samples (two windows of the default 60 s at 0.5 s...): the recording tiled in time.
        self.samples = pd.concat([one.assign(time=one["time"] + k * span) for k in range(200 // len(one) + 1)],
                                 ignore_index=True).iloc[:200]
        self.monitor = ResourceMonitor(duration=60, interval=0.5)
        self.seen = 60
        self.monitor.sampler.load(self.samples.iloc[:self.seen])
        _ = self.monitor.widget
        self._widgets = self.monitor._widgets

    @property
    def error(self) -> str | None:
        return self.monitor.error

    def next_sample(self, i: int) -> None:
        self.seen = 60 + (i % (len(self.samples) - 60)) + 1
        self.monitor.sampler.load(self.samples.iloc[:self.seen])  # the sample arrives (untimed)

    def close(self) -> None:
        self.monitor.close()


def monitor_frame(recorded, i: int) -> Seconds:
    recorded.next_sample(i)
    start = time.perf_counter()
    recorded.monitor._render()  # what the drawer thread does when a sample arrives
    return Seconds(time.perf_counter() - start)


def contention_case():
    from mlfail_widgets.widgets.hardware import ContentionLab

    lab = ContentionLab(seconds=0.2, rate=200)
    _ = lab.widget
    return lab


def contention_run(lab, i: int):
    return lab.run(workers=i % 2, mitigation="none (1 BLAS thread)")


def shift_case():
    from mlfail_widgets.widgets.shift import shift_panel

    return shift_panel(background=False)


def dashboard_case():
    from mlfail_widgets.widgets.shift import monitoring_dashboard

    return monitoring_dashboard(background=False)


def shift_slices_case():
    from mlfail_widgets.widgets.shift import shift_slices

    return shift_slices("covariate", 2.0, background=False)


def drill_case():
    from mlfail_widgets.widgets.drill import drill_console

    console = drill_console(seed=0)
    _ = console.widget
    return console


def feedback_case():
    from mlfail_widgets.widgets.feedback import feedback_panel

    return feedback_panel(background=False)


def log_slices_case():
    from mlfail_widgets.failures.feedback import make_world, simulate_feedback_loop
    from mlfail_widgets.widgets.feedback import log_slice_chart

    world = make_world(n_users=1000, n_songs=500, rounds=30, seed=1)  # the notebook's run
    popular = simulate_feedback_loop("popularity", audit_share=0.05, log_rounds=5, world=world, seed=1)
    chart = log_slice_chart(popular)
    chart.background = False
    return chart


def audit_slices_case():
    """Chapter 08's main widget as the notebook makes it: the music log's Parquet file, sliced in DuckDB."""
    from mlfail_widgets.audit.datasets import music_log_path
    from mlfail_widgets.widgets.audit import log_slice_chart

    return log_slice_chart(music_log_path(), ["device", "position", "audit"], ["calibration", "rate"],
                           window=("2026-02-20", "2026-03-06"), target="played", prediction="score",
                           background=False, progress=False)


def audit_drift_case():
    """Chapter 08's drift-report widget as the notebook makes it (the report counted once; a move re-corrects)."""
    from mlfail_widgets.audit.datasets import music_log_path
    from mlfail_widgets.widgets.audit import drift_report_widget

    return drift_report_widget(music_log_path(), ("2026-01-05", "2026-01-19"), ("2026-02-20", "2026-03-06"),
                               ["position", "score", "device", "played"], background=False, progress=False)


def _flipping(low: int, small: int, large: int, high: int) -> list[int]:
    """Minimum sizes alternately below ``small`` and above ``large`` (the smallest slices' sizes),
    so that every move changes which slices are judged and the figure changes."""
    lows, highs = range(low, small, max(1, (small - low) // 25)), range(high, large, -max(1, (high - large) // 25))
    return [value for pair in zip(lows, highs, strict=False) for value in pair]


# One line per widget. Chapters add theirs here.
CASES: list = [
    Case("slider Panel, 2-axes monitoring figure", demo_panel, "shift", np.round(np.linspace(0.1, 3, 30), 2)),
    Case("slice chart, 100,000 rows, 10 slices: min size slider", slice_chart_case, "min_size",
         _flipping(100, 1000, 2000, 3500)),
    Case("slice chart, 100,000 rows: slicing column, recomputed", slice_chart_case, "by", ["age", "genre"],
         before=lambda chart: chart.clear_cache()),
    Case("ch00 outage panel: study size (main)", outage_case, "study_size", list(range(20, 1000, 20))),
    Case("ch01 dependency panel: requirement, cached setting (main)", lambda: dependency_case(cached=True),
         "requirement", ["scalekit<2", "scalekit~=1.1", "scalekit==1.0.0", "scalekit==2.0.0", "scalekit",
                         "scalekit>=1.0", "scalekit==1.1.0"]),
    Case("ch01 dependency panel: requirement, new setting (real pip)", lambda: dependency_case(cached=False),
         "requirement", ["scalekit<2", "scalekit~=1.1", "scalekit==1.0.0", "scalekit==2.0.0", "scalekit",
                         "scalekit>=1.0", "scalekit==1.1.0"], target=2.0, p95=None, moves=12,
         before=_forget_installs,
         note="a setting not seen before runs real pip (about a second): chapter 01's 2 s budget"),
    ActionCase("ch02 deployment console: button click (main)", deployment_case, console_click),
    Case("ch03 downtime panel: outage (main)", downtime_case, "outage",
         list(np.round(np.arange(0.0, 1.21, 0.05), 2))),
    Case("ch03 redundancy panel: one replica's availability", redundancy_case, "availability",
         list(np.round(np.arange(0.9, 0.9991, 0.003), 3))),
    Case("ch04 thermal panel: cooling (main)", thermal_case, "cooling",
         list(np.round(np.arange(0.3, 3.01, 0.1), 2))),
    ActionCase("ch04 resource monitor: a new sample -> new frame", _Recorded, monitor_frame),
    ActionCase("ch04 contention lab: Run (0.2 s real measurement + figure)", contention_case,
               contention_run, target=None, p95=None, moves=6,
               note="a Run is a real measurement (server process, stress workers) of a set length: reported"),
    Case("ch05 shift panel: magnitude (main)", shift_case, "magnitude", np.round(np.linspace(-3, 3, 30), 2)),
    Case("ch05 monitoring dashboard: window", dashboard_case, "window", list(range(250, 5001, 250))),
    Case("ch05 shift slices: min size", shift_slices_case, "min_size", list(range(5, 300, 7))),
    Case("ch06 feedback dashboard: epsilon (main, 300 x 200 x 30)", feedback_case, "epsilon",
         list(np.round(np.arange(0.05, 1.0, 0.05), 2)),
         note="a move re-runs the whole 30-round simulation (chapter 06 alone would allow 200 ms)"),
    Case("ch06 log slice chart: min size", log_slices_case, "min_size", _flipping(10, 1000, 1300, 5000)),
    ActionCase("ch07 drill console: New incident (main)", drill_case, lambda console, i: console.new_incident(),
               pause=0.3, note="0.3 s of reading between clicks, in which the console builds the next drill; "
                               "clicks back to back: drill.py's 'New incident' row"),
    Case("ch08 log slice chart: slicing column, a new query (main)", audit_slices_case, "by",
         ["position", "device", "audit"] * 10, before=lambda chart: chart.clear_cache()),
    Case("ch08 drift report widget: correction", audit_drift_case, "correction",
         ["holm", "bonferroni", "bh", "none"] * 8),
]


# --------------------------------------------------------------------------- timing
def _moves(values: Sequence[Any], current: Any, count: int) -> list[Any]:
    """``count`` values from ``values``, cycling, each different from the one before."""
    out, i = [], 0
    while len(out) < count:
        value = values[i % len(values)]
        i += 1
        if value != current:
            out.append(value)
            current = value
    return out


def _png(widget) -> bytes:
    parts = getattr(widget, "_widgets", None)
    return parts["image"].value if parts else widget.png


def _timed_move(widget, move: Callable[[], Any], cpu: list[float]) -> float:
    """Seconds from ``move()`` (a control set, a button's action) to the new PNG in the widget's image.

    The CPU seconds of this process for the same move are appended to ``cpu``: on a shared
    machine they show what the move costs without the wait for a core. A move may return its
    own :class:`Seconds` when part of it is the untimed arrival of new data.
    """
    before = _png(widget)
    start, start_cpu = time.perf_counter(), time.process_time()
    own = move()
    if hasattr(widget, "wait"):
        widget.wait()
    seconds = float(own) if isinstance(own, Seconds) else time.perf_counter() - start
    cpu.append(time.process_time() - start_cpu)
    if getattr(widget, "error", None):
        raise RuntimeError(f"the widget failed: {widget.error}")
    widget.changed = getattr(widget, "changed", 0) + (_png(widget) != before)
    return seconds


def _set(widget, control: str, value: Any) -> Callable[[], None]:
    def move() -> None:
        widget.controls[control].value = value
    return move


def _latency_row(case, seconds: list[float], cpu: list[float], changed: int) -> dict:
    summary = stats(seconds)
    ok = None
    target = "report"
    if case.target is not None:
        ok = summary["median"] < case.target and (case.p95 is None or summary["p95"] < case.p95)
        target = f"median < {case.target * 1000:g} ms" + (f", p95 < {case.p95 * 1000:g} ms" if case.p95 else "")
    extra = {"note": case.note} if case.note else {}
    if case.target is not None:
        extra["budget"] = case.target
    return row(NAME, case.name, seconds, target=target, ok=ok, cpu_median=statistics.median(cpu),
               figure_changed=f"{changed} of {len(seconds)} moves", **extra)


def time_case(case, moves: int) -> dict:
    moves = min(moves, case.moves or moves)
    widget = case.factory()
    seconds, cpu = [], []
    try:
        if isinstance(case, ActionCase):
            for i in range(moves):
                time.sleep(case.pause if i else 0.0)
                seconds.append(_timed_move(widget, lambda i=i: case.act(widget, i), cpu))
        else:
            _ = widget.controls  # build the widgets, as displaying the panel would
            for value in _moves(case.values, widget.controls[case.control].value, moves):
                if case.before:
                    case.before(widget)
                seconds.append(_timed_move(widget, _set(widget, case.control, value), cpu))
    finally:
        widget.close()
    return _latency_row(case, seconds, cpu, getattr(widget, "changed", 0))


def panel_versus_interact(moves: int) -> list[dict]:
    """The same moves, in turns on the Panel and on interact."""
    panel = demo_panel()
    with contextlib.redirect_stdout(io.StringIO()):  # interactive draws once on creation
        interact = DemoInteract()
    try:
        _ = panel.controls
        with contextlib.redirect_stdout(io.StringIO()):
            interact.controls["shift"].value = 0.05  # first render of interact (imports pyplot)
        cpu = {"panel": [], "interact": []}
        values = _moves(list(np.round(np.linspace(0.1, 3, 30), 2)), 0.0, moves)

        def side(widget, name):  # the same values on both sides
            upcoming = iter(values)

            def once() -> Seconds:
                with contextlib.redirect_stdout(io.StringIO()):  # clear_output's escape codes
                    return Seconds(_timed_move(widget, _set(widget, "shift", next(upcoming)), cpu[name]))
            return once

        times = alternate({"panel": side(panel, "panel"), "interact": side(interact, "interact")}, moves)
    finally:
        panel.close()
        interact.close()
    ours, theirs = times["panel"], times["interact"]
    return [
        ratio_row(NAME, "2-axes figure: slider Panel (update in place)", ours, theirs, "ipywidgets.interact",
                  at_least=2, cpu_median=statistics.median(cpu["panel"]),
                  cpu_ratio=statistics.median(cpu["interact"]) / statistics.median(cpu["panel"])),
        row(NAME, "2-axes figure: ipywidgets.interact (clear and replot)", theirs,
            cpu_median=statistics.median(cpu["interact"])),
    ]


def run(quick: bool = False, only: str | None = None) -> list[dict]:
    """Every case (or those whose name contains ``only``)."""
    moves = QUICK_MOVES if quick else MOVES
    rows = [] if only else panel_versus_interact(moves)
    for case in CASES:
        if only and only not in case.name:
            continue
        try:
            rows.append(time_case(case, moves))
        except Exception as error:  # one broken widget is reported, the others still timed
            rows.append({"benchmark": NAME, "figure": case.name, "median": None, "min": None, "max": None,
                         "unit": "s", "target": "-", "ok": False, "error": f"{type(error).__name__}: {error}"})
    return rows


def _arguments(parser) -> None:
    parser.add_argument("--only", help="time only the cases whose name contains this text")


if __name__ == "__main__":
    sys.exit(main(run, __doc__, arguments=_arguments))
