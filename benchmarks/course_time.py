"""Course time: each chapter executed headless from a clean kernel, and the series in total.

Budgets (issues 4, 5, 10): chapters 01 and 02 under 15 s, every other chapter under 20 s, the
whole series under 2 minutes on a 2-core machine.

    python benchmarks/course_time.py [--repeat N]
"""

from __future__ import annotations

import sys

from _common import ROOT, main, row

NAME = "course_time"
BUDGET = {"01": 15.0, "02": 15.0}
DEFAULT_BUDGET = 20.0
TOTAL_BUDGET = 120.0


def run(quick: bool = False, repeat: int | None = None) -> list[dict]:
    from mlfail_widgets.runner import run_notebook

    repeat = repeat or (1 if quick else 3)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    times: dict[str, list[float]] = {path.stem: [] for path in notebooks}
    errors: dict[str, str] = {}
    totals = []
    for _ in range(repeat):
        total = 0.0
        for path in notebooks:
            outcome = run_notebook(path)
            if not outcome.ok:  # reported in its row; the other notebooks still run
                errors.setdefault(path.stem, outcome.describe()[-400:])
            times[path.stem].append(outcome.seconds)
            total += outcome.seconds
        totals.append(total)
    rows = []
    for stem, seconds in times.items():  # every run must be within budget, not just the median
        budget = BUDGET.get(stem[:2], DEFAULT_BUDGET)
        extra = {"error": errors[stem]} if stem in errors else {}
        rows.append(row(NAME, f"notebook {stem}", seconds, target=f"< {budget:g} s each run",
                        ok=max(seconds) < budget and stem not in errors, budget=budget, **extra))
    rows.append(row(NAME, f"all {len(notebooks)} notebooks in series", totals,
                    target=f"< {TOTAL_BUDGET:g} s each run", ok=max(totals) < TOTAL_BUDGET and not errors,
                    budget=TOTAL_BUDGET))
    return rows


def _arguments(parser) -> None:
    parser.add_argument("--repeat", type=int, default=None, help="runs of the series (default 3, 1 with --quick)")


if __name__ == "__main__":
    sys.exit(main(run, __doc__, arguments=_arguments))
