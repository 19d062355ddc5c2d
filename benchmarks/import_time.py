"""Import time: ``import mlfail_widgets`` in a fresh process against ``import ipywidgets``.

Issue 3: the package must cost at most 1.5 times ``import ipywidgets`` alone, so matplotlib,
seaborn, scipy and pandas load only when first needed. Each import runs in a new interpreter
(timed inside it, so interpreter start-up is left out), the two alternately, 20 times each (10
with ``--quick``). For information: ``import mlfail_widgets.widgets`` and the first Panel (its
imports, one compute, one draw, one PNG, and building its ipywidgets).

    python benchmarks/import_time.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

NAME = "import_time"
TARGET_RATIO = 1.5

_TIMED = """
import json, sys, time
start = time.perf_counter()
{code}
seconds = time.perf_counter() - start
heavy = sorted(m for m in ("numpy", "pandas", "scipy", "matplotlib", "seaborn", "ipywidgets")
               if m in sys.modules)
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""

FIRST_PANEL = """
from mlfail_widgets.widgets import Panel, Slider
from mlfail_widgets.plots import Drawn, new_figure

def draw(result):
    fig, ax = new_figure((4, 3))
    (line,) = ax.plot([0, 1], [0, result])
    return Drawn(fig, {"line": line})

panel = Panel(lambda slope: slope, draw, lambda d, r: d.artists["line"].set_ydata([0, r]),
              {"slope": Slider(0.0, 1.0, value=0.5)}, background=False)
panel.widget
"""

SUBJECTS = {
    "import mlfail_widgets": "import mlfail_widgets",
    "import ipywidgets": "import ipywidgets",
    "import mlfail_widgets.widgets": "import mlfail_widgets.widgets",
    "first Panel (imports, draw, PNG, widgets)": FIRST_PANEL,
}


def measure(code: str) -> dict:
    """Run ``code`` in a fresh interpreter and return its seconds and the heavy modules loaded."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", _TIMED.format(code=code)], capture_output=True,
                          text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{code!r} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    repeats = 10 if quick else 20
    seconds: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    heavy: dict[str, list[str]] = {}
    for _ in range(repeats):  # alternately, so a busy moment hits every subject alike
        for name, code in SUBJECTS.items():
            result = measure(code)
            seconds[name].append(result["seconds"])
            heavy[name] = result["heavy"]
    ours = statistics.median(seconds["import mlfail_widgets"])
    theirs = statistics.median(seconds["import ipywidgets"])
    ratio = ours / theirs
    rows = []
    for name, values in seconds.items():
        row = {"benchmark": NAME, "figure": name, "median": statistics.median(values),
               "min": min(values), "max": max(values), "unit": "s", "repeats": len(values),
               "heavy_modules_loaded": ", ".join(heavy[name]) or "none"}
        if name == "import mlfail_widgets":
            row.update(peer="import ipywidgets", ratio=ratio,
                       target=f"<= {TARGET_RATIO:g}x import ipywidgets", ok=ratio <= TARGET_RATIO)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 runs of each instead of 20")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print(f"{'figure':<44} {'median':>9} {'min':>9} {'max':>9}  {'target':<26} heavy modules loaded")
    for row in rows:
        ms = {k: f"{row[k] * 1000:7.1f}ms" for k in ("median", "min", "max")}
        verdict = ""
        if "ok" in row:
            verdict = f"{row['target']} -> {'pass' if row['ok'] else 'FAIL'} ({row['ratio']:.3f}x)"
        print(f"{row['figure']:<44} {ms['median']:>9} {ms['min']:>9} {ms['max']:>9}  {verdict:<26} "
              f"{row['heavy_modules_loaded']}")
    return 0 if all(row.get("ok", True) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
