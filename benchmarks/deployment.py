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

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NAME = "deployment"


def _row(figure: str, values: list[float], target: float, unit: str = "s") -> dict:
    median = statistics.median(values)
    return {"benchmark": NAME, "figure": figure, "median": median, "min": min(values), "max": max(values),
            "unit": unit, "target": f"< {target:g} {unit}".replace(" x", "x"), "ok": median < target,
            "repeats": len(values)}


def _timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


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
                         _timed(lambda: registry.register(model, training_data=data.train(8)), repeat), 0.1))
        versions = iter(range(repeat * 2))
        rows.append(_row("promote (atomic pointer write + fsync)",
                         _timed(lambda: registry.promote(1 + next(versions) % 7), repeat), 0.05))
        rows.append(_row("load with every check (hash, code, restricted, smoke)",
                         _timed(lambda: registry.load(7), repeat), 0.02))

        registry.promote(7)
        service = ModelService(registry)
        golden = data.golden(8)
        plain, verified = [], []
        for _ in range(repeat):  # alternately, so that machine noise hits both alike
            plain.extend(_timed(lambda: deploy(registry, service, verify=False), 1))
            verified.extend(_timed(lambda: deploy(registry, service, verify=True, golden=golden), 1))
        rows.append(_row("deploy without verification (service reload)", plain, 0.03))
        rows.append(_row("deploy with verification (+ version and golden checks)", verified, 0.05))
        ratios = [v / p for v, p in zip(verified, plain, strict=True)]
        rows.append(_row("verification overhead (verified / unverified deploy)", ratios, 3.0, unit="x"))

        demos = max(3, repeat // 6)
        rows.append(_row("a promotion killed half-way (fork, SIGKILL, read back)",
                         _timed(lambda: interrupt_promotion(registry, 6), demos), 0.2))
        model_file = registry.model_path(7)
        rows.append(_row("read the model as another user (fork, setuid)",
                         _timed(lambda: load_as_service_user(model_file), demos), 0.1))
    rows.append(_row("pickle across two code releases (two Python processes)",
                     _timed(lambda: load_across_versions("renamed with a default", seed=0), demos), 0.5))

    with deployment_console(seed=0) as console:
        actions = iter([console.next_week, console.promote, console.deploy] * repeat)
        rows.append(_row("console click (action, figure update, PNG)",
                         _timed(lambda: next(actions)(), min(repeat, 10)), 1.0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    rows = run(quick=args.quick)
    print(f"{'figure':<58} {'median':>9} {'min':>9} {'max':>9}  {'target':<9} result")
    for row in rows:
        unit = row["unit"]
        scale, shown = (1000, "ms") if unit == "s" else (1, unit)
        print(f"{row['figure']:<58} {row['median'] * scale:>7.2f}{shown} {row['min'] * scale:>7.2f}{shown} "
              f"{row['max'] * scale:>7.2f}{shown}  {row['target']:<9} {'pass' if row['ok'] else 'FAIL'}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
