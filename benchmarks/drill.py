"""Chapter 07 speed: building a drill's evidence, the dashboard, and the console's buttons.

Figures (issue 9): build one drill (median over consecutive seeds, the shared parts cached,
as in a workshop or the test sweep); build the first drill of a world (cold caches: the
registry, the pipeline runs, the recommender runs); the sweep the tests run (400 drills);
draw and render the nine-panel dashboard; move it to another drill in place; one click of
"New incident" (core, update, PNG). Building and clicking are measured at each of the three
difficulty levels (issue 19): a level changes what is drawn into the evidence, not how much work
it is, and the budgets are the same. The notebook's own time is measured by ``course_time.py``.

    python benchmarks/drill.py [--quick]
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import clock, main, row

NAME = "drill"
_row = partial(row, NAME)


def _clear_caches() -> None:
    from mlfail_widgets.failures.drill import _data, _hardware, _pipeline, _recommender, _registry, _service

    for cached in (_registry.registry_facts, _pipeline.release_runs, _recommender.recommender_evidence,
                   _hardware.bit_flip_facts, _data._model, _data._training_sample, _service._healthy):
        cached.cache_clear()


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.drill import IncidentDrill
    from mlfail_widgets.plots import drill as plot
    from mlfail_widgets.plots._base import render_png
    from mlfail_widgets.widgets.drill import drill_console

    seeds = range(100, 124 if quick else 220)
    rows = []
    cold = []
    for world in range(4 if quick else 8):
        _clear_caches()
        cold.append(clock(lambda w=world: IncidentDrill(1000 + w).evidence)[0])
    rows.append(_row("first drill of a world (cold: registry, pipeline, recommender runs)", cold, limit=3.0))
    for seed in range(4):  # warm every world once
        IncidentDrill(seed).evidence  # noqa: B018
    build = [clock(lambda s=s: IncidentDrill(s, red_herring=bool(s % 2)).evidence)[0] for s in seeds]
    rows.append(_row("build one drill's evidence (warm caches)", build, limit=0.1))
    for level in (2, 3):
        build = [clock(lambda s=s, lv=level: IncidentDrill(s, level=lv).evidence)[0] for s in seeds]
        rows.append(_row(f"build one drill's evidence (warm caches), level {level}", build, limit=0.1))
    if not quick:
        sweep = clock(lambda: [IncidentDrill(s, red_herring=h).evidence for h in (False, True) for s in range(200)])
        rows.append(_row("the test sweep: 400 drills", [sweep[0]], limit=30.0))
        sweep = clock(lambda: [IncidentDrill(s, level=level).evidence for level in (1, 2, 3) for s in range(400)])
        rows.append(_row("the levels sweep: 400 drills at each of levels 1, 2, 3", [sweep[0]], limit=90.0))

    evidence = [IncidentDrill(s, red_herring=True).evidence for s in range(8)]
    draws = []
    for item in evidence[:3 if quick else 8]:
        draws.append(clock(lambda item=item: render_png(plot.draw(item).figure, freeze_layout=True))[0])
    rows.append(_row("draw + render the nine-panel dashboard (once per console)", draws, limit=1.5))
    drawn = plot.draw(evidence[0])
    render_png(drawn.figure, freeze_layout=True)
    updates = []
    for i in range(6 if quick else 24):
        updates.append(clock(lambda i=i: (plot.update(drawn, evidence[i % 8]), render_png(drawn.figure)))[0])
    rows.append(_row("move the dashboard to another drill (update + render)", updates, limit=0.5))

    for level in (1, 2, 3):
        console = drill_console(seed=300, level=level)
        console.widget  # noqa: B018 - the widgets exist, as in a notebook
        clicks = [clock(lambda c=console: c._widgets["new"].click())[0] for _ in range(5 if quick else 20)]
        console.close()
        name = "'New incident' click (build, update, render)" + ("" if level == 1 else f", level {level}")
        rows.append(_row(name, clicks, limit=1.0))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
