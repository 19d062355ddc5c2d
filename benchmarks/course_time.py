"""Course time: each chapter executed headless from a clean kernel, and the series in total.

Budgets (issues 4, 5, 10): chapters 01 and 02 under 15 s, every other chapter under 20 s, the
whole series under 2 minutes on a 2-core machine.

    python benchmarks/course_time.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = {"01": 15.0, "02": 15.0}
DEFAULT_BUDGET = 20.0
TOTAL_BUDGET = 120.0


def run(quick: bool = False, repeat: int | None = None) -> list[dict]:
    from mlfail_widgets.runner import run_notebook

    repeat = repeat or (1 if quick else 3)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    times: dict[str, list[float]] = {path.stem: [] for path in notebooks}
    totals = []
    for _ in range(repeat):
        total = 0.0
        for path in notebooks:
            outcome = run_notebook(path)
            if not outcome.ok:
                raise RuntimeError(outcome.describe())
            times[path.stem].append(outcome.seconds)
            total += outcome.seconds
        totals.append(total)
    rows = []
    for stem, seconds in times.items():
        budget = BUDGET.get(stem[:2], DEFAULT_BUDGET)
        rows.append({"benchmark": "course_time", "figure": f"notebook {stem}",
                     "median": statistics.median(seconds), "min": min(seconds), "max": max(seconds),
                     "unit": "s", "target": f"< {budget:g} s", "ok": max(seconds) < budget,
                     "repeats": len(seconds)})
    rows.append({"benchmark": "course_time", "figure": f"all {len(notebooks)} notebooks in series",
                 "median": statistics.median(totals), "min": min(totals), "max": max(totals),
                 "unit": "s", "target": f"< {TOTAL_BUDGET:g} s", "ok": max(totals) < TOTAL_BUDGET,
                 "repeats": len(totals)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = run(repeat=args.repeat)
    for row in rows:
        print(f"{row['figure']:<50} median {row['median']:6.1f} s  (min {row['min']:.1f}, "
              f"max {row['max']:.1f})  target {row['target']:<8} {'ok' if row['ok'] else 'MISSED'}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
