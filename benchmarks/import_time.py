"""Import time: ``import mlfail_widgets`` in a fresh process against ``import ipywidgets``.

Issue 3: the package must cost at most 1.5 times ``import ipywidgets`` alone, so matplotlib,
seaborn, scipy and pandas load only when first needed. Each import runs in a new interpreter
(timed inside it, so interpreter start-up is left out), the two alternately, 20 times each (10
with ``--quick``). For information: ``import mlfail_widgets.widgets`` and the first Panel (its
imports, one compute, one draw, one PNG, and building its ipywidgets).

    python benchmarks/import_time.py [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from _common import Seconds, alternate, main, row

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
    heavy: dict[str, list[str]] = {}

    def side(name: str, code: str):
        def once() -> Seconds:
            result = measure(code)
            heavy[name] = result["heavy"]
            return Seconds(result["seconds"])  # timed inside the process: start-up left out
        return once

    # In turns, so that a busy moment hits every subject alike.
    seconds = alternate({name: side(name, code) for name, code in SUBJECTS.items()}, 10 if quick else 20)
    rows = []
    for name, values in seconds.items():
        extra = {"heavy_modules_loaded": ", ".join(heavy[name]) or "none"}
        if name == "import mlfail_widgets":
            ratio = statistics.median(values) / statistics.median(seconds["import ipywidgets"])
            extra.update(peer="import ipywidgets", ratio=ratio, ratio_kind="cost",
                         peer_median=statistics.median(seconds["import ipywidgets"]))
            rows.append(row(NAME, name, values, target=f"<= {TARGET_RATIO:g}x import ipywidgets",
                            ok=ratio <= TARGET_RATIO, **extra))
        else:
            rows.append(row(NAME, name, values, **extra))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
