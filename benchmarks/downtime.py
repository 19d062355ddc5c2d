"""Chapter 03 speed: real requests through the faulty service, the simulator, the notebook.

Figures (issue 5): 1,000 real HTTP requests through the fault-injected prediction service and
its feature store (< 5 s); one simulated sweep point, the run behind one point of a slider
sweep (< 50 ms); the widget's whole update (five simulations, figure, PNG); the chapter's
notebook headless from a clean kernel (< 20 s).

    python benchmarks/downtime.py [--quick]
"""

from __future__ import annotations

import sys
from functools import partial

from _common import ROOT, main, row, timed

_row = partial(row, "downtime")


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.downtime import (
        Fault,
        OutageScenario,
        PredictionService,
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
    faulty = OutageScenario(fault=Fault(error_rate=0.1, outages=[(0.1, 0.15)]), clients=4, interval=0.001,
                      max_calls=250, duration=5.0, patience=60.0)
    runs = []
    with PredictionService() as service:
        measure(service, OutageScenario(duration=0.1))  # warm up
        times = timed(lambda: runs.append(measure(service, faulty, "retry", retries=2, backoff=0.001)),
                      3 if quick else 5)
    summary = runs[-1].summary()
    assert summary.calls == 1000 and len(runs[-1].attempts) >= 1000, summary
    rows.append(_row("1,000 real requests through the fault-injected service", times, limit=5.0,
                     availability=round(summary.availability, 3)))

    # One point of a slider sweep: the widget's scenario (5 clients, 1.5 s), one policy.
    point = outage_scenario(0.4, start=0.3, duration=1.5, clients=5, interval=0.01,
                            fault=Fault(error_rate=0.1))
    simulate(point, "fallback")  # warm up (model, caches)
    rows.append(_row("one simulated sweep point (5 clients x 1.5 s)",
                     timed(lambda: simulate(point, "fallback", retries=3, seed=1), repeat * 3),
                     limit=0.05))
    storm = outage_scenario(0.3, start=0.2, duration=0.8, clients=10, interval=0.04, fault=Fault(latency=0.03))
    rows.append(_row("one simulated storm run (10 clients x 0.8 s)",
                     timed(lambda: simulate(storm, "retry", retries=4, backoff=0.0), repeat * 3),
                     limit=0.05))

    # The widget's whole update: five simulations, the figure updated in place, one PNG.
    drawn = plot.draw(explore())
    render_png(drawn.figure, freeze_layout=True)  # as the widget does: lay out once
    settings = iter([dict(outage=x, kind=k, policy=p) for x in (0.2, 0.6, 1.0) for k in ("down", "hang")
                     for p in ("retry", "fallback")] * 5)

    def widget_move():
        plot.update(drawn, explore(**next(settings)))
        render_png(drawn.figure)

    rows.append(_row("widget update (5 simulations + figure + PNG)", timed(widget_move, repeat), limit=1.0))

    notebook = ROOT / "notebooks" / "03_downtime_failure.ipynb"
    seconds = []
    for _ in range(1 if quick else 3):
        outcome = run_notebook(notebook)
        if not outcome.ok:
            raise RuntimeError(outcome.describe())
        seconds.append(outcome.seconds)
    rows.append(_row("notebook 03 headless from a clean kernel", seconds, limit=20.0))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
