"""Chapter 03 speed: real requests through the faulty service, the simulator, the notebook.

Figures (issue 5): 1,000 real HTTP requests through the fault-injected prediction service and
its feature store (< 5 s); one simulated sweep point, the run behind one point of a slider
sweep (< 50 ms); the widget's whole update (five simulations, figure, PNG); the chapter's
notebook headless from a clean kernel (< 20 s).

    python benchmarks/downtime.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _row(figure: str, seconds: list[float], target: float, **extra) -> dict:
    return {"benchmark": "downtime", "figure": figure, "median": statistics.median(seconds),
            "min": min(seconds), "max": max(seconds), "unit": "s", "target": f"< {target:g} s",
            "ok": statistics.median(seconds) < target, "repeats": len(seconds), **extra}


def _timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.downtime import (
        Fault,
        PredictionService,
        Scenario,
        explore,
        measure,
        outage_scenario,
        simulate,
    )
    from mlfail_widgets.plots import downtime as plot
    from mlfail_widgets.plots import render_png
    from mlfail_widgets.runner import run_notebook

    repeat = 3 if quick else 7
    rows = []

    # 1,000 real requests: 4 clients x 250, all arriving within 0.25 s (so the run measures the
    # service's throughput, not the pace), through a flaky service with a scheduled outage.
    faulty = Scenario(fault=Fault(error_rate=0.1, outages=[(0.1, 0.15)]), clients=4, interval=0.001,
                      max_calls=250, duration=5.0, patience=60.0)
    runs = []
    with PredictionService() as service:
        measure(service, Scenario(duration=0.1))  # warm up
        times = _timed(lambda: runs.append(measure(service, faulty, "retry", retries=2, backoff=0.001)),
                       3 if quick else 5)
    summary = runs[-1].summary()
    assert summary.calls == 1000 and len(runs[-1].attempts) >= 1000, summary
    rows.append(_row("1,000 real requests through the fault-injected service", times, 5.0,
                     availability=round(summary.availability, 3)))

    # One point of a slider sweep: the widget's scenario (5 clients, 1.5 s), one policy.
    point = outage_scenario(0.4, start=0.3, duration=1.5, clients=5, interval=0.01,
                            fault=Fault(error_rate=0.1))
    simulate(point, "fallback")  # warm up (model, caches)
    rows.append(_row("one simulated sweep point (5 clients x 1.5 s)",
                     _timed(lambda: simulate(point, "fallback", retries=3, seed=1), repeat * 3), 0.05))
    storm = outage_scenario(0.3, start=0.2, duration=0.8, clients=10, interval=0.04, fault=Fault(latency=0.03))
    rows.append(_row("one simulated storm run (10 clients x 0.8 s)",
                     _timed(lambda: simulate(storm, "retry", retries=4, backoff=0.0), repeat * 3), 0.05))

    # The widget's whole update: five simulations, the figure updated in place, one PNG.
    drawn = plot.draw(explore())
    render_png(drawn.figure, freeze_layout=True)  # as the widget does: lay out once
    settings = iter([dict(outage=x, kind=k, policy=p) for x in (0.2, 0.6, 1.0) for k in ("down", "hang")
                     for p in ("retry", "fallback")] * 5)

    def widget_move():
        plot.update(drawn, explore(**next(settings)))
        render_png(drawn.figure)

    rows.append(_row("widget update (5 simulations + figure + PNG)", _timed(widget_move, repeat), 1.0))

    notebook = ROOT / "notebooks" / "03_downtime_failure.ipynb"
    seconds = []
    for _ in range(1 if quick else 3):
        outcome = run_notebook(notebook)
        if not outcome.ok:
            raise RuntimeError(outcome.describe())
        seconds.append(outcome.seconds)
    rows.append(_row("notebook 03 headless from a clean kernel", seconds, 20.0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    rows = run(quick=args.quick)
    print(f"{'figure':<56} {'median':>8} {'min':>8} {'max':>8}  {'target':<9} result")
    for row in rows:
        print(f"{row['figure']:<56} {row['median']:>7.3f}s {row['min']:>7.3f}s {row['max']:>7.3f}s  "
              f"{row['target']:<9} {'pass' if row['ok'] else 'FAIL'}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
