"""Chapter 06: speed and memory of the feedback-loop simulator, and T-RECS for comparison.

Figures (issue 7):

* 10,000 listeners x 2,000 songs x 50 rounds (top 10 shown) under 5 s and under 1 GB (1000 MB)
  peak memory, per policy. Each run is a fresh process running only that simulation; its peak is the
  child's own high-water mark (``VmHWM``, see ``_common.peak_rss_bytes``), not ``ru_maxrss``,
  which a child inherits from its parent (``run_all`` included) across fork and exec;
* the time per listener-song-round of those runs (how it grows with each dimension is
  ``scaling.py``'s figure);
* the popularity loop at 1,000 x 1,000 x 100 against T-RECS 0.2.1's PopularityRecommender
  (target: at least 20 times faster), the two run in turns, with both Gini-of-interactions
  trends. ``--quick`` skips it (T-RECS takes about a minute per run) and says so in its row;
* a slider move of the chapter's dashboard at its default size, under 200 ms median.

    python benchmarks/feedback_loop.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from _common import PEAK_RSS_SOURCE, ROOT, Seconds, alternate, main, ratio_row, row, unavailable_row

NAME = "feedback_loop"
PEER = "T-RECS 0.2.1"
TRECS_REQUIREMENTS = ["numpy<2", "scipy", "networkx", "tqdm", "pandas", "lenskit<0.15"]
TRECS_NO_DEPS = ["trecs==0.2.1"]
BIG = {"n_users": 10_000, "n_songs": 2_000, "rounds": 50, "k": 10}
VERSUS = "popularity 1k x 1k x 100 vs T-RECS"

# Runs in a fresh interpreter: one simulation, its wall and CPU time, the process's peak memory.
OURS = PEAK_RSS_SOURCE + r"""
import json, sys, time
args = json.loads(sys.stdin.read())
from mlfail_widgets.failures.feedback import simulate_feedback_loop
start, cpu = time.perf_counter(), time.process_time()
run = simulate_feedback_loop(args.pop("policy"), seed=0, **args)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_rss_bytes() / 1e6,
                  "play_gini": run.play_gini.tolist()}))
"""

# Runs in T-RECS's own venv. Its defaults are degenerate (every true score 0), so the users
# and items get real representations; the popularity model then shows everybody the most
# interacted-with items and each user interacts with the shown item they like best.
TRECS = r"""
import json, os, sys, time
os.chdir(os.path.dirname(os.path.dirname(sys.executable)))  # T-RECS writes trecs.log here: its venv
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
    """One simulation in a fresh interpreter (so its peak memory is its own)."""
    done = subprocess.run([sys.executable, "-c", OURS], input=json.dumps(args), capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def big_runs(repeat: int) -> list[dict]:
    """10k x 2k x 50, per policy: time, peak memory and time per listener-song-round."""
    rows = []
    cells = BIG["n_users"] * BIG["n_songs"] * BIG["rounds"]
    for policy in ("popularity", "ctr", "personalised"):
        runs = [_ours(policy=policy, **BIG) for _ in range(repeat)]
        seconds = [r["seconds"] for r in runs]
        peaks = [r["peak_mb"] for r in runs]
        rows.append(row(NAME, f"10k users x 2k songs x 50 rounds, {policy}", seconds, limit=5.0,
                        ok=max(seconds) < 5, target="< 5 s (every run)",
                        cpu_median=statistics.median(r["cpu_seconds"] for r in runs)))
        rows.append(row(NAME, f"peak memory of that run (its own VmHWM), {policy}", peaks, unit="MB",
                        limit=1000, ok=max(peaks) < 1000, target="< 1 GB (every run)"))
        rows.append(row(NAME, f"time per user-song-round, {policy}", [s / cells * 1e9 for s in seconds],
                        unit="ns"))
    return rows


def versus_trecs(repeat: int) -> list[dict]:
    """Popularity at 1,000 x 1,000 x 100: this simulator and T-RECS, in turns."""
    from _peers import PeerUnavailable, peer_python, run_in_peer

    target = f">= 20x faster than {PEER}"
    try:
        python = peer_python("trecs", TRECS_REQUIREMENTS, no_deps=TRECS_NO_DEPS)
    except PeerUnavailable as error:
        return [unavailable_row(NAME, VERSUS, PEER, error, target=target)]
    size = {"n_users": 1_000, "n_items": 1_000, "steps": 100, "k": 10, "seed": 0}
    results: dict[str, list[dict]] = {"ours": [], "trecs": []}

    def ours() -> Seconds:
        results["ours"].append(_ours(policy="popularity", n_users=1_000, n_songs=1_000, rounds=100, k=10,
                                     new_songs=0.0, position_bias=0.0))
        return Seconds(results["ours"][-1]["seconds"])

    def trecs() -> Seconds:
        results["trecs"].append(run_in_peer(python, TRECS, size, name="trecs", timeout=1800))
        return Seconds(results["trecs"][-1]["seconds"])

    try:
        times = alternate({"ours": ours, "trecs": trecs}, repeat)
    except PeerUnavailable as error:
        return [unavailable_row(NAME, VERSUS, PEER, error, target=target)]
    ours_gini, theirs_gini = results["ours"][-1]["play_gini"], results["trecs"][-1]["play_gini"]
    marks = [0, 4, 9, 49, 99]
    trend = {"ours_gini": [round(ours_gini[i], 3) for i in marks],
             "trecs_gini": [round(theirs_gini[i], 3) for i in marks], "gini_at_steps": [i + 1 for i in marks]}
    return [
        ratio_row(NAME, "popularity 1k x 1k x 100: this simulator vs T-RECS (in turns)", times["ours"],
                  times["trecs"], PEER, at_least=20,
                  cpu_median=statistics.median(r["cpu_seconds"] for r in results["ours"]),
                  note=f"Gini of interactions after {trend['gini_at_steps']} steps: this simulator "
                       f"{trend['ours_gini']}, T-RECS {trend['trecs_gini']}", **trend),
        row(NAME, "popularity 1k x 1k x 100, T-RECS 0.2.1 itself", times["trecs"], peer=PEER),
        row(NAME, "final Gini of interactions: this simulator (T-RECS beside it)", [ours_gini[-1]], unit="",
            target="both near 0.9+, within 0.05", ok=abs(ours_gini[-1] - theirs_gini[-1]) < 0.05,
            trecs=theirs_gini[-1]),
    ]


def skipped_trecs() -> list[dict]:
    """The T-RECS row of a ``--quick`` run: named, not measured."""
    return [{"benchmark": NAME, "figure": VERSUS, "median": None, "min": None, "max": None, "unit": "x",
             "target": f">= 20x faster than {PEER}", "ok": None, "peer": PEER,
             "note": "skipped with --quick (T-RECS takes about a minute per run); run without --quick to "
                     "compare"}]


def slider_move(moves: int) -> list[dict]:
    """The dashboard at its default size: one epsilon move = compute, update, render."""
    from mlfail_widgets.widgets.feedback import feedback_panel

    panel = feedback_panel(background=False)
    seconds, cpu = [], []
    try:
        for value in [round(0.05 * (i % 19 + 1), 2) for i in range(moves)]:
            started = time.process_time()
            panel.set(epsilon=value)
            cpu.append(time.process_time() - started)
            seconds.append(panel.last_seconds)
    finally:
        panel.close()
    return [row(NAME, "dashboard slider move (300 listeners x 200 songs x 30 rounds)", seconds, limit=0.1,
                cpu_median=statistics.median(cpu))]


def run(quick: bool = False) -> list[dict]:
    rows = big_runs(1 if quick else 3)
    rows += slider_move(10 if quick else 40)
    rows += skipped_trecs() if quick else versus_trecs(3)
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
