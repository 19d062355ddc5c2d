"""Chapter 04 speed: stress start/stop, latency measurements, the thermal model, the widgets.

Figures (issue 5): the overhead of starting and stopping CPU stress (two worker processes);
the wall time of one latency measurement (a model server process started, 0.5 s of requests,
stopped) and of a stressed one; a thermal-model sweep (100 coolers x 1,500 steps, vectorised)
and one thermal run as the panel computes it; the thermal panel's response to a slider move
(compute, update, PNG: the browser test allows a couple of seconds); one frame of the resource
monitor; the memory-limited child; the 64-bit flip sweep. The notebook's own time is measured
by ``course_time.py``.

    python benchmarks/hardware.py [--quick]
"""

from __future__ import annotations

import sys
from functools import partial

from _common import main, row, timed

_row = partial(row, "hardware")


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from mlfail_widgets.failures.hardware import (
        ContentionScenario,
        CPUStress,
        bit_flip_effects,
        measure_latency,
        run_memory_limited,
        simulate_thermal,
        train_demo_model,
        usable_cores,
    )
    from mlfail_widgets.widgets.hardware import thermal_panel
    from mlfail_widgets.widgets.monitor import ResourceMonitor

    repeat = 3 if quick else 10
    rows = []

    def stress_start_stop():
        with CPUStress(workers=usable_cores(), seconds=30):
            pass

    rows.append(_row(f"CPU stress start + stop ({usable_cores()} workers, all killed)",
                     timed(stress_start_stop, repeat), limit=0.3))

    light = max(2, repeat // 3)
    idle = [ContentionScenario("idle", threads=1)]
    stressed = [ContentionScenario("stress", stress_workers=usable_cores(), threads=1)]
    # One round: what one measurement costs (measure_latency's default is three interleaved rounds).
    rows.append(_row("latency measurement: server start, 0.5 s of requests, stop",
                     timed(lambda: measure_latency(idle, seconds=0.5, sample_interval=None, rounds=1), light),
                     limit=1.5))
    rows.append(_row("same, under CPU stress (backlog cut at 1.5 x + 0.25 s)",
                     timed(lambda: measure_latency(stressed, seconds=0.5, sample_interval=None, rounds=1), light),
                     limit=2.0))
    rows.append(_row("idle, as measure_latency does by default: 3 rounds of 0.5 s",
                     timed(lambda: measure_latency(idle, seconds=0.5, sample_interval=None), light),
                     limit=3.0))

    rng = np.random.default_rng(0)
    trace = np.clip(rng.normal(0.6, 0.3, 60), 0, 1)  # a 12 s trace at 0.2 s, like the notebook's
    coolers = np.linspace(0.3, 3.0, 100)
    rows.append(_row("thermal sweep: 100 coolers x 1,500 steps (vectorised)",
                     timed(lambda: simulate_thermal(trace, 0.2, duration=300, cooling=coolers), repeat),
                     limit=0.1))
    rows.append(_row("thermal run: one cooler, 1,500 steps (as the panel computes it)",
                     timed(lambda: simulate_thermal(trace, 0.2, duration=300, cooling=1.2), repeat),
                     limit=0.05))

    panel = thermal_panel(trace, interval=0.2, background=False)
    values = iter(np.resize([0.5, 2.5, 1.0, 0.4], repeat * 2))
    slider = panel.controls["cooling"]

    def move():
        slider.value = float(next(values))

    rows.append(_row("thermal panel: slider move -> simulate, update, PNG (main widget)",
                     timed(move, repeat), limit=1.0))
    panel.close()

    with ResourceMonitor(duration=0.5, interval=0.1) as monitor:
        monitor.join(timeout=10)
        rows.append(_row("resource monitor: one frame (update + PNG)", timed(monitor._render, repeat),
                         limit=0.3))
    monitor.close()

    rows.append(_row("memory-limited child: 256 MB limit, dies at MemoryError",
                     timed(lambda: run_memory_limited(256, 1024), light), limit=1.0))
    model, X, y = train_demo_model(seed=0)
    rows.append(_row("bit-flip sweep: 64 flips, checksum + two replicas on 1,000 rows",
                     timed(lambda: bit_flip_effects(model, X, y), light), limit=1.0))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
