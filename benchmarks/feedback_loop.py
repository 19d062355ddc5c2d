"""Chapter 06: speed and memory of the feedback-loop simulator, and T-RECS for comparison.

Figures (issue 7):

* 10,000 listeners x 2,000 songs x 50 rounds (top 10 shown) under 5 s, under 1 GB peak memory
  (peak RSS of a fresh process running only that simulation), per policy;
* the time per listener-song-round, and how it changes when listeners, songs and rounds each
  grow tenfold;
* the popularity loop at 1,000 x 1,000 x 100 against T-RECS 0.2.1's PopularityRecommender
  (target: at least 20 times faster), run alternately, with both Gini-of-interactions trends;
* a slider move of the chapter's dashboard at its default size, under 200 ms median.

    python benchmarks/feedback_loop.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH = "feedback_loop"
PEER = "T-RECS 0.2.1"
TRECS_REQUIREMENTS = ["numpy<2", "scipy", "networkx", "tqdm", "pandas", "lenskit<0.15"]
TRECS_NO_DEPS = ["trecs==0.2.1"]

# Runs in a fresh interpreter: one simulation, its wall time and the process's peak RSS.
OURS = r"""
import json, resource, sys, time
args = json.loads(sys.stdin.read())
from mlfail_widgets.failures.feedback import simulate_feedback_loop
start, cpu = time.perf_counter(), time.process_time()
run = simulate_feedback_loop(args.pop("policy"), seed=0, **args)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "play_gini": run.play_gini.tolist()}))
"""

# Runs in T-RECS's own venv. Its defaults are degenerate (every true score 0), so the users
# and items get real representations; the popularity model then shows everybody the most
# interacted-with items and each user interacts with the shown item they like best.
TRECS = r"""
import json, sys, time
import numpy as np
args = json.loads(sys.stdin.read())
from trecs.models import PopularityRecommender
from trecs.metrics import InteractionMeasurement
rng = np.random.default_rng(args["seed"])
users = rng.normal(size=(args["n_users"], 8))
items = rng.normal(size=(8, args["n_items"]))
model = PopularityRecommender(actual_user_representation=users, actual_item_representation=items,
                              num_items_per_iter=args["k"], seed=args["seed"])
model.add_metrics(InteractionMeasurement())
start = time.perf_counter()
model.run(timesteps=args["steps"], disable_tqdm=True)
seconds = time.perf_counter() - start
histograms = [h for h in model.get_measurements()["interaction_histogram"] if h is not None]
cumulative = np.cumsum(np.array(histograms), axis=0)
def gini(x):
    x = np.sort(x); n = x.size
    return float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * x.sum()))
print(json.dumps({"seconds": seconds, "play_gini": [gini(c) for c in cumulative]}))
"""


def _ours(**args) -> dict:
    done = subprocess.run([sys.executable, "-c", OURS], input=json.dumps(args), capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(figure: str, values: list[float], unit: str, target: str, ok: bool, **extra) -> dict:
    return {"benchmark": BENCH, "figure": figure, "median": statistics.median(values),
            "min": min(values), "max": max(values), "unit": unit, "target": target, "ok": ok,
            "repeats": len(values), **extra}


def big_runs(repeat: int) -> list[dict]:
    """10k x 2k x 50, per policy: time and peak memory, each run in a fresh process."""
    rows = []
    size = {"n_users": 10_000, "n_songs": 2_000, "rounds": 50, "k": 10}
    for policy in ("popularity", "ctr", "personalised"):
        runs = [_ours(policy=policy, **size) for _ in range(repeat)]
        seconds = [r["seconds"] for r in runs]
        peaks = [r["peak_mb"] for r in runs]
        rows.append(_row(f"10k users x 2k songs x 50 rounds, {policy}", seconds, "s", "< 5 s",
                         max(seconds) < 5, cpu=statistics.median(r["cpu_seconds"] for r in runs)))
        rows.append(_row(f"peak RSS of that run, {policy}", peaks, "MB", "< 1024 MB",
                         max(peaks) < 1024))
        per = [s / (10_000 * 2_000 * 50) * 1e9 for s in seconds]
        rows.append(_row(f"time per user-song-round, {policy}", per, "ns", "report", True))
    return rows


def scaling(repeat: int) -> list[dict]:
    """Time per user-song-round as users, songs and rounds each grow tenfold from a base."""
    rows = []
    base = {"n_users": 1_000, "n_songs": 500, "rounds": 10, "k": 10}
    steps = {"base": {}, "users x10": {"n_users": 10_000},
             "songs x10": {"n_songs": 5_000}, "rounds x10": {"rounds": 100}}
    for policy in ("popularity", "personalised"):
        for name, change in steps.items():
            size = {**base, **change}
            cells = size["n_users"] * size["n_songs"] * size["rounds"]
            runs = [_ours(policy=policy, **size) for _ in range(repeat)]
            per = [r["seconds"] / cells * 1e9 for r in runs]
            rows.append(_row(f"scaling {policy}: {name} ({size['n_users']:,} x {size['n_songs']:,} x "
                             f"{size['rounds']})", per, "ns per user-song-round", "report", True,
                             cpu=statistics.median(r["cpu_seconds"] for r in runs) / cells * 1e9))
    return rows


def versus_trecs(repeat: int) -> list[dict]:
    """Popularity at 1,000 x 1,000 x 100: this simulator and T-RECS, alternately."""
    from _peers import PeerUnavailable, peer_python, run_in_peer

    size = {"n_users": 1_000, "n_items": 1_000, "steps": 100, "k": 10, "seed": 0}
    try:
        python = peer_python("trecs", TRECS_REQUIREMENTS, no_deps=TRECS_NO_DEPS)
    except PeerUnavailable as error:
        return [_row("popularity 1k x 1k x 100 vs T-RECS", [float("nan")], "x", ">= 20x", False,
                     peer=PEER, error=error.reason)]
    ours, cpus, theirs, ratios = [], [], [], []
    ours_gini = theirs_gini = None
    for _ in range(repeat):
        mine = _ours(policy="popularity", n_users=1_000, n_songs=1_000, rounds=100, k=10,
                     new_songs=0.0, position_bias=0.0)
        try:
            peer = run_in_peer(python, TRECS, size, name="trecs", timeout=1800)
        except PeerUnavailable as error:
            return [_row("popularity 1k x 1k x 100 vs T-RECS", [float("nan")], "x", ">= 20x", False,
                         peer=PEER, error=error.reason)]
        ours.append(mine["seconds"])
        cpus.append(mine["cpu_seconds"])
        theirs.append(peer["seconds"])
        ratios.append(peer["seconds"] / mine["seconds"])
        ours_gini, theirs_gini = mine["play_gini"], peer["play_gini"]
    marks = [0, 4, 9, 49, 99]
    trend = {"ours_gini": [round(ours_gini[i], 3) for i in marks],
             "trecs_gini": [round(theirs_gini[i], 3) for i in marks], "gini_at_steps": [i + 1 for i in marks]}
    return [
        _row("popularity 1k x 1k x 100, this simulator", ours, "s", "report", True,
             cpu=statistics.median(cpus)),
        _row("popularity 1k x 1k x 100, T-RECS 0.2.1", theirs, "s", "report", True, peer=PEER),
        _row("speed-up over T-RECS (same run, alternating)", ratios, "x", ">= 20x",
             min(ratios) >= 20, peer=PEER, ratio=statistics.median(ratios), **trend),
        _row("final Gini of interactions: this simulator / T-RECS",
             [ours_gini[-1]], "", "both near 0.9+", abs(ours_gini[-1] - theirs_gini[-1]) < 0.05,
             peer=PEER, trecs=theirs_gini[-1]),
    ]


def slider_move(moves: int) -> list[dict]:
    """The dashboard at its default size: one epsilon move = compute, update, render."""
    from mlfail_widgets.widgets.feedback import feedback_panel

    panel = feedback_panel(background=False)
    seconds, cpu = [], []
    try:
        values = [round(0.05 * (i % 19 + 1), 2) for i in range(moves)]
        for value in values:
            started = time.process_time()
            panel.set(epsilon=value)
            cpu.append(time.process_time() - started)
            seconds.append(panel.last_seconds)
    finally:
        panel.close()
    return [_row("dashboard slider move (300 listeners x 200 songs x 30 rounds)", seconds, "s",
                 "< 0.2 s median", statistics.median(seconds) < 0.2, cpu=statistics.median(cpu))]


def run(quick: bool = False) -> list[dict]:
    sys.path.insert(0, str(HERE))
    repeat = 1 if quick else 3
    rows = big_runs(repeat)
    rows += scaling(1 if quick else 2)
    rows += slider_move(10 if quick else 40)
    rows += versus_trecs(1 if quick else 3)
    return rows


def _show(rows: list[dict]) -> None:
    for row in rows:
        extra = ""
        if "ratio" in row:
            extra = (f"  ratio {row['ratio']:.0f}x; Gini at steps {row['gini_at_steps']}: "
                     f"ours {row['ours_gini']}, T-RECS {row['trecs_gini']}")
        if "cpu" in row:
            extra += f"  (CPU {row['cpu']:.4g})"
        if "error" in row:
            extra = f"  ERROR: {row['error']}"
        print(f"{row['figure']:<72} median {row['median']:10.4g} {row['unit']:<22} (min {row['min']:.4g}, "
              f"max {row['max']:.4g})  target {row['target']:<16} {'ok' if row['ok'] else 'MISSED'}{extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repeat of each, fewer moves")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(quick=args.quick)
    _show(rows)
    print(f"({time.perf_counter() - started:.0f} s in all)")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
