"""Chapter 02 speed: the model registry, deploys with and without verification, the demos.

Figures (issue 4): register one model (pickle, sha256, fingerprint, two fsynced atomic
writes); promote (atomic pointer write); load with every check (hash, code version,
restricted unpickler, smoke prediction); a deploy without verification against one with it
(served-version check and golden-set agreement), measured alternately in the same run, and
their ratio (the verification overhead); the real-process demos (a promotion killed half-way,
a pickle across two code releases, a read as another user); one click of the console (action,
figure update, PNG). The notebook's own time is measured by ``course_time.py``.

    python benchmarks/deployment.py [--quick]
"""

from __future__ import annotations

import sys
from functools import partial

from _common import alternate, main, row, timed

NAME = "deployment"
_row = partial(row, NAME)


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.deployment import (
        ModelRegistry,
        ModelService,
        Sandbox,
        deploy,
        drifting_weeks,
        interrupt_promotion,
        load_across_versions,
        load_as_service_user,
        register_weekly_models,
        train_week,
    )
    from mlfail_widgets.widgets.deployment import deployment_console

    repeat = 5 if quick else 30
    rows = []
    data = drifting_weeks(8, seed=0)
    model = train_week(data, 8)
    with Sandbox() as sandbox:
        registry = ModelRegistry(sandbox.path / "registry", create=True)
        register_weekly_models(registry, data, range(1, 8))
        rows.append(_row("register one model (pickle, sha256, metadata, fsync)",
                         timed(lambda: registry.register(model, training_data=data.train(8)), repeat),
                         limit=0.1))
        versions = iter(range(repeat * 2))
        rows.append(_row("promote (atomic pointer write + fsync)",
                         timed(lambda: registry.promote(1 + next(versions) % 7), repeat), limit=0.05))
        rows.append(_row("load with every check (hash, code, restricted, smoke)",
                         timed(lambda: registry.load(7), repeat), limit=0.02))

        registry.promote(7)
        service = ModelService(registry)
        golden = data.golden(8)
        turns = alternate({  # in turns, so that machine noise hits both alike
            "plain": lambda: deploy(registry, service, verify=False),
            "verified": lambda: deploy(registry, service, verify=True, golden=golden),
        }, repeat)
        plain, verified = turns["plain"], turns["verified"]
        rows.append(_row("deploy without verification (service reload)", plain, limit=0.03))
        rows.append(_row("deploy with verification (+ version and golden checks)", verified, limit=0.05))
        ratios = [v / p for v, p in zip(verified, plain, strict=True)]
        rows.append(_row("verification overhead (verified / unverified deploy)", ratios, unit="x", limit=3.0))

        demos = max(3, repeat // 6)
        rows.append(_row("a promotion killed half-way (fork, SIGKILL, read back)",
                         timed(lambda: interrupt_promotion(registry, 6), demos), limit=0.2))
        model_file = registry.model_path(7)
        rows.append(_row("read the model as another user (fork, setuid)",
                         timed(lambda: load_as_service_user(model_file), demos), limit=0.1))
    rows.append(_row("pickle across two code releases (two Python processes)",
                     timed(lambda: load_across_versions("renamed with a default", seed=0), demos),
                     limit=0.5))

    with deployment_console(seed=0) as console:
        actions = iter([console.next_week, console.promote, console.deploy] * repeat)
        rows.append(_row("console click (action, figure update, PNG)",
                         timed(lambda: next(actions)(), min(repeat, 10)), limit=1.0))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
