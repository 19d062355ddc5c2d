"""Scaling: time and peak memory as the problem grows tenfold, one fresh process per size.

Issue 10, figure 7. Two workloads:

* the feedback-loop simulator (``simulate_feedback_loop``, popularity and personalised
  policies) as listeners (100 -> 100,000), songs (200 -> 20,000) and rounds (5 -> 500) each grow
  by 10x steps from a base of 1,000 listeners x 200 songs x 5 rounds;
* the drift tests, ``ks_test`` on arrays and ``detect_drift`` on DataFrames, on 1,000 ->
  1,000,000 rows x 20 features (reference and current of the same size, 5 features shifted by
  0.1 sd).

Each size runs in a fresh interpreter, so its peak resident memory (``VmHWM`` of that process;
not ``ru_maxrss``, which Linux carries over from the parent through fork and exec, so that a
child of a 500 MB process reports at least 500 MB) belongs to it alone; the memory already in use before the timed call (interpreter,
imports, the input data) is reported beside it, and the difference is what the run adds. Rows
name the size ("peak 185 MB (+60)"); ``build/bench/scaling.png`` draws the time and the memory
the run adds against the growth factor on log-log axes, one line per dimension, with the slope
of each line over its last tenfold step (1 = linear) in the legend.

    python benchmarks/scaling.py [--quick]
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from _common import PEAK_RSS_SOURCE, ROOT, main, row

NAME = "scaling"
CHART = ROOT / "build" / "bench" / "scaling.png"
BASE = {"n_users": 1_000, "n_songs": 200, "rounds": 5}
GROWTH = {"n_users": [100, 1_000, 10_000, 100_000], "n_songs": [200, 2_000, 20_000], "rounds": [5, 50, 500]}
QUICK_GROWTH = {"n_users": [100, 1_000, 10_000], "n_songs": [200, 2_000], "rounds": [5, 50]}
ROWS = [1_000, 10_000, 100_000, 1_000_000]
QUICK_ROWS = [1_000, 10_000, 100_000]
POLICIES = ("popularity", "personalised")
WORDS = {"n_users": "listeners", "n_songs": "songs", "rounds": "rounds"}

# Runs in a fresh interpreter: build the inputs, one tiny untimed call (the functions import
# scipy and friends lazily), note the memory in use, run once, report.
CHILD = PEAK_RSS_SOURCE + r"""
import json, sys, time
import psutil
job = json.loads(sys.stdin.read())
if job["kind"] == "feedback":
    from mlfail_widgets.failures.feedback import simulate_feedback_loop
    call = lambda: simulate_feedback_loop(job["policy"], seed=0, **job["size"])
    simulate_feedback_loop(job["policy"], seed=0, n_users=20, n_songs=30, rounds=2)  # lazy imports, untimed
else:
    import numpy as np, pandas as pd
    from mlfail_widgets.failures.shift import detect_drift, ks_test
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(job["rows"], 20))
    current = rng.normal(size=(job["rows"], 20))
    current[:, :5] += 0.1
    if job["kind"] == "detect_drift":
        columns = [f"f{j}" for j in range(20)]
        reference, current = pd.DataFrame(reference, columns=columns), pd.DataFrame(current, columns=columns)
        call = lambda: detect_drift(reference, current)
        detect_drift(reference[:50], current[:50])  # lazy imports, untimed
    else:
        call = lambda: ks_test(reference, current)
        ks_test(reference[:50], current[:50])
before = psutil.Process().memory_info().rss
start = time.perf_counter()
call()
seconds = time.perf_counter() - start
peak = peak_rss_bytes()  # this process's own high-water mark (see _common.peak_rss_bytes)
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1e6, "before_mb": before / 1e6}))
"""


def measure(job: dict) -> dict:
    """One size in a fresh interpreter: seconds of the call, peak RSS and RSS before it (MB)."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(job), capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{job} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def slope(sizes: list[float], values: list[float]) -> float:
    """How fast ``values`` grow over the last tenfold step of ``sizes``, on log-log axes.

    1 = linear, 0 = flat, 2 = quadratic. The last step, not a fit over all sizes: at small sizes
    fixed costs (a few milliseconds, a few megabytes) hide the growth.
    """
    (s0, s1), (v0, v1) = sizes[-2:], values[-2:]
    return math.log10(max(v1, 1e-9) / max(v0, 1e-9)) / math.log10(s1 / s0)


def _series(group: str, label: str, points: list[tuple[int, dict]], base: int, describe) -> dict:
    return {"group": group, "label": label, "factor": [size / base for size, _ in points],
            "sizes": [size for size, _ in points],
            "seconds": [p["seconds"] for _, p in points], "peak_mb": [p["peak_mb"] for _, p in points],
            "before_mb": [p["before_mb"] for _, p in points],
            "added_mb": [max(p["peak_mb"] - p["before_mb"], 0.1) for _, p in points], "describe": describe}


def feedback_series(quick: bool) -> list[dict]:
    growth = QUICK_GROWTH if quick else GROWTH
    series = []
    for policy in POLICIES:
        for dimension, sizes in growth.items():
            points = [(n, measure({"kind": "feedback", "policy": policy, "size": {**BASE, dimension: n}}))
                      for n in sizes]
            fixed = ", ".join(f"{BASE[d]:,} {WORDS[d]}" for d in BASE if d != dimension)
            series.append(_series("Feedback-loop simulator", f"{WORDS[dimension]} {sizes[0]:,} to {sizes[-1]:,} "
                                  f"({policy})", points, sizes[0],
                                  lambda n, d=dimension, p=policy, f=fixed: f"feedback loop {p}: {n:,} {WORDS[d]} "
                                                                            f"({f})"))
    return series


def drift_series(quick: bool) -> list[dict]:
    sizes = QUICK_ROWS if quick else ROWS
    series = []
    for kind, what in (("ks_test", "ks_test (arrays)"), ("detect_drift", "detect_drift (DataFrames)")):
        points = [(n, measure({"kind": kind, "rows": n})) for n in sizes]
        series.append(_series("Drift tests, 20 features", f"rows {sizes[0]:,} to {sizes[-1]:,}, {what}", points,
                              sizes[0],
                              lambda n, w=what: f"drift test {w}: {n:,} x 20 vs {n:,} x 20"))
    return series


def series_of(rows: list[dict]) -> dict[str, list[dict]]:
    """The chart's lines rebuilt from the rows (so ``results.json`` alone can redraw it)."""
    grouped: dict[str, dict] = {}
    for r in rows:
        line = grouped.setdefault(r["series"], {"label": r["series"], "group": r["group"], "sizes": [],
                                                "factor": [], "seconds": [], "added_mb": []})
        line["sizes"].append(r["size"])
        line["factor"].append(r["factor"])
        line["seconds"].append(r["median"])
        line["added_mb"].append(r["added_mb"])
    out: dict[str, list[dict]] = {}
    for line in grouped.values():
        out.setdefault(line["group"], []).append(line)
    return out


def chart(rows: list[dict], path: Path) -> None:
    """Time and added memory against the growth factor, log-log, one line per dimension."""
    import matplotlib

    matplotlib.use("Agg")
    from mlfail_widgets.plots import new_figure, render_png, style

    colours = {"listeners": style.PALETTE["blue"], "songs": style.PALETTE["orange"],
               "rounds": style.PALETTE["green"], "ks_test": style.PALETTE["vermillion"],
               "detect_drift": style.PALETTE["purple"]}
    groups = series_of(rows)
    with style.context():
        fig, axes = new_figure((11, 4.2 * len(groups)), nrows=len(groups), ncols=2)
        for row_axes, (title, series) in zip(axes.reshape(len(groups), 2), groups.items(), strict=True):
            for ax, key, what, unit in ((row_axes[0], "seconds", "time", "time of one run (s)"),
                                        (row_axes[1], "added_mb", "memory",
                                         "memory the run adds (MB):\npeak RSS - RSS before the call")):
                for s in series:
                    name = next(k for k in colours if k in s["label"])
                    ax.plot(s["factor"], s[key], marker="o", color=colours[name],
                            linestyle="--" if "personalised" in s["label"] else "-",
                            label=f"{s['label']}: slope {slope(s['sizes'], s[key]):.2f} (last 10x step)")
                top = max(max(s[key]) for s in series)
                low = min(min(s[key]) for s in series)
                if key == "seconds":  # a guide: what linear growth from the smallest time looks like
                    factors = [1, max(max(s["factor"]) for s in series)]
                    ax.plot(factors, [low, low * factors[1]], color=style.MUTED, linewidth=1.2,
                            linestyle=":", label="linear growth (slope 1)")
                ax.set_xscale("log")
                ax.set_yscale("log")
                entries = len(series) + (key == "seconds")
                ax.set_ylim(low / 2, top * 10 ** (0.3 * entries))  # room above the lines for the legend
                ax.set_xlabel("growth factor from the smallest size (x)")
                ax.set_ylabel(unit)
                ax.set_title(f"{title}: {what}")
                ax.legend(fontsize=7.5, loc="upper left")
        fig.suptitle("How time and memory grow with the problem (each size in a fresh process)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_png(fig))


def rows_of(series: list[dict]) -> list[dict]:
    out = []
    for s in series:
        time_slope, memory_slope = slope(s["sizes"], s["seconds"]), slope(s["sizes"], s["added_mb"])
        for i, n in enumerate(s["sizes"]):
            extra = {}
            if i == len(s["sizes"]) - 1:
                extra["note"] = (f"{s['label']}: over the last 10x step, time grows as size^{time_slope:.2f}, "
                                 f"the memory the run adds as size^{memory_slope:.2f}")
            out.append(row(NAME, f"{s['describe'](n)}; peak {s['peak_mb'][i]:,.0f} MB "
                                 f"(+{s['added_mb'][i]:,.0f})", [s["seconds"][i]],
                           series=s["label"], group=s["group"], size=n, factor=s["factor"][i],
                           added_mb=s["added_mb"][i], peak_rss_mb=s["peak_mb"][i], rss_before_mb=s["before_mb"][i],
                           time_slope=time_slope, memory_slope=memory_slope, **extra))
    return out


def run(quick: bool = False) -> list[dict]:
    rows = rows_of(feedback_series(quick)) + rows_of(drift_series(quick))
    chart(rows, CHART)
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
