"""Chapter 01 speed: the wheelhouse, one real pip install, the golden test, the widget.

Figures (issue 4): building the wheelhouse; creating the lab (model, wheels, lock, local
index); one real pip resolution and install of ``songpipe`` + ``scalekit>=1.0`` from the local
index; the golden-prediction smoke test (the pipeline in its own process, then the
comparison); one widget move to a new setting (pip, pipeline, figure update, PNG) and to a
cached one. The notebook's own time is measured by ``course_time.py``.

    python benchmarks/dependency.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial

from _common import main, row, timed

_row = partial(row, "dependency")


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.dependency import (
        SCALEKIT_VERSIONS,
        DependencyLab,
        build_wheel,
        golden_test,
        run_pipeline,
    )
    from mlfail_widgets.failures.dependency.releases import pipeline_sources, scalekit_sources
    from mlfail_widgets.plots import dependency as plot
    from mlfail_widgets.plots import render_png

    repeat = 3 if quick else 7
    rows = []
    with DependencyLab(seed=0) as lab:
        golden = lab.golden
        sources = {v: scalekit_sources(v) for v in SCALEKIT_VERSIONS}
        pipeline = pipeline_sources(golden.model, golden.reference)

        def build_wheelhouse():
            with tempfile.TemporaryDirectory() as folder:
                for version, files in sources.items():
                    build_wheel(folder, "scalekit", version, files)
                build_wheel(folder, "songpipe", "1.0.0", pipeline, requires=["scalekit>=1.0"])

        rows.append(_row("build the wheelhouse (4 wheels, zipfile)", timed(build_wheelhouse, repeat),
                         limit=0.1))

        def create_lab():
            DependencyLab(seed=0).close()

        rows.append(_row("create a lab (model, wheels, lock, local index)", timed(create_lab, repeat),
                         limit=1.5))

        installs = []
        rows.append(_row("one real pip resolution + install (index, >=1.0)",
                         timed(lambda: installs.append(lab.install("scalekit>=1.0")), repeat), limit=2.0))
        assert all(result.ok for result in installs), installs[-1].stderr
        target = installs[-1].target

        def smoke():
            result = run_pipeline(target, golden.features)
            return golden_test(result.probabilities, golden)

        rows.append(_row("golden test (pipeline in its own process + compare)", timed(smoke, repeat),
                         limit=0.5))

        drawn = plot.draw(lab.run("scalekit==1.1.0"))
        requirements = iter(["scalekit<2", "scalekit~=1.1", "scalekit==1.0.0", "scalekit==2.0.0",
                             "scalekit", "scalekit~=1.0", "scalekit>1.0", "scalekit>=1.1"])

        def widget_move(requirement=None):
            plot.update(drawn, lab.run(requirement or next(requirements)))
            render_png(drawn.figure)

        rows.append(_row("widget move to a new setting (pip + pipeline + figure)",
                         timed(widget_move, min(repeat, 7)), limit=2.0))
        rows.append(_row("widget move to a cached setting (figure only)",
                         timed(lambda: widget_move("scalekit==1.1.0"), repeat), limit=0.3))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
