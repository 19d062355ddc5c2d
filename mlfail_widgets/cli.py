"""The ``mlfail`` command: run the course headless, open it, check the machine.

    mlfail run [NOTEBOOK ...] [--html DIR]   execute notebooks from a clean kernel, print a table
    mlfail lab [JUPYTER ARGS ...]            open JupyterLab at the course's first chapter
    mlfail doctor                            what this machine has, and what to do about gaps
    mlfail drill --learners N --seed S [--level L]   each learner's incident drill (instructor only)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

FIRST_CHAPTER = "00_why_ml_systems_fail.ipynb"


def course_root(start: Path | None = None) -> Path | None:
    """The folder holding ``notebooks/``: the working directory or a parent, else the checkout
    this package was installed from (editable installs)."""
    candidates = [start or Path.cwd(), *(start or Path.cwd()).parents,
                  Path(__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / "notebooks" / FIRST_CHAPTER).is_file():
            return folder
    return None


def _notebooks(arguments: list[str]) -> list[Path]:
    if arguments:
        paths = [Path(a) for a in arguments]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise SystemExit(f"mlfail run: no such notebook: {', '.join(missing)}")
        return paths
    root = course_root()
    if root is None:
        raise SystemExit("mlfail run: no notebooks given and no course found here. Run it from the "
                         "mlfail checkout, or name the notebooks: mlfail run path/to/chapter.ipynb")
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _table(runs) -> str:
    width = max(len(run.path.stem) for run in runs)
    lines = [f"{'chapter':<{width}}  {'seconds':>7}  status", f"{'-' * width}  {'-' * 7}  ------"]
    for run in runs:
        lines.append(f"{run.path.stem:<{width}}  {run.seconds:>7.1f}  {run.status}")
    total = sum(run.seconds for run in runs)
    lines.append(f"{'total':<{width}}  {total:>7.1f}  {sum(r.ok for r in runs)}/{len(runs)} ok")
    return "\n".join(lines)


def command_run(args: argparse.Namespace) -> int:
    from .runner import export_html, run_notebook, write_index

    notebooks = _notebooks(args.notebooks)
    runs = []
    for number, path in enumerate(notebooks, start=1):
        print(f"[{number}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
        run = run_notebook(path, timeout=args.timeout)
        print(f"{run.status} ({run.seconds:.1f} s)", flush=True)
        if not run.ok:
            print("    " + run.describe().replace("\n", "\n    "), flush=True)
        if args.html:
            export_html(run, args.html)
        runs.append(run)
    print()
    print(_table(runs))
    if args.html:
        index = write_index(runs, args.html)
        print(f"\nHTML written to {index}")
    failed = [run for run in runs if not run.ok]
    if failed:
        print("\nFailed:", file=sys.stderr)
        for run in failed:
            print("  " + run.describe().replace("\n", "\n  "), file=sys.stderr)
        return 1
    return 0


def command_lab(args: argparse.Namespace) -> int:
    root = course_root()
    if root is None:
        raise SystemExit("mlfail lab: the course notebooks were not found. Run it from the mlfail "
                         "checkout (the folder with notebooks/).")
    command = [sys.executable, "-m", "jupyterlab", f"notebooks/{FIRST_CHAPTER}", *args.jupyter_args]
    print("Starting JupyterLab at the course's first chapter (Ctrl+C to stop) ...", flush=True)
    try:
        return subprocess.call(command, cwd=root)
    except KeyboardInterrupt:
        return 0


def command_doctor(_args: argparse.Namespace) -> int:
    from .doctor import environment_report, format_report

    checks = environment_report()
    print(format_report(checks))
    return 0 if all(c.ok for c in checks if c.required) else 1


def _bounded_int(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number in [{low}, {high}] ({what}); "
                                             f"got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number in [{low}, {high}] ({what}); got {value}")
        return value
    return parse


def command_drill(args: argparse.Namespace) -> int:
    from .failures.drill import answer_key

    herring = True if args.red_herring else None  # default: the level's (levels 2 and 3 have one)
    key = answer_key(args.learners, workshop_seed=args.seed, red_herring=herring, level=args.level)
    with_herring = "red_herring" in key.columns
    if args.csv:
        target = Path(args.csv)
        if not target.parent.is_dir():
            raise SystemExit(f"mlfail drill: cannot write {target}: the folder {target.parent} does not exist.")
        key.to_csv(target, index=False)
        print(f"Answer key for {args.learners} learners (workshop seed {args.seed}, level {args.level}) "
              f"written to {target}.")
        return 0
    print(f"ANSWER KEY, for the instructor only: workshop seed {args.seed}, {args.learners} learners, "
          f"level {args.level}" + (", with red herrings" if with_herring else "") + ".")
    options = (f", level={args.level}" if args.level > 1 else "") + (
        ", red_herring=True" if args.red_herring and args.level == 1 else "")
    print(f"Each learner runs: drill_console(IncidentDrill.for_learner(<number>, workshop_seed={args.seed}"
          f"{options}))\n")
    print(key.to_string(index=False))
    counts = key["failure"].value_counts().reindex(sorted(set(key["failure"])))
    print("\nper type: " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlfail", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute notebooks headless and print a table")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every chapter)")
    run.add_argument("--html", metavar="DIR", help="also write executed HTML (and index.html) to DIR")
    run.add_argument("--timeout", type=int, default=180, help="seconds a cell may take (default 180)")
    run.set_defaults(func=command_run)

    lab = commands.add_parser("lab", help="open the course in JupyterLab")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    lab.set_defaults(func=command_lab)

    doctor = commands.add_parser("doctor", help="check this machine for the course")
    doctor.set_defaults(func=command_doctor)

    drill = commands.add_parser("drill", help="the incident drill of each learner and the answer key "
                                "(instructor only)")
    drill.add_argument("--learners", type=_bounded_int(1, 10_000, "learners are numbered 1..N"), required=True,
                       help="how many learners (numbered 1..N)")
    drill.add_argument("--seed", type=_bounded_int(0, 1_000_000, "the workshop seed"), default=0,
                       help="the workshop seed the learners pass as workshop_seed (default 0)")
    drill.add_argument("--csv", metavar="FILE", help="write the key as CSV instead of printing it")
    drill.add_argument("--red-herring", action="store_true", help="drills with one harmless alarming signal "
                       "(always so at levels 2 and 3)")
    drill.add_argument("--level", type=_bounded_int(1, 3, "1 one clear signal, 2 a red herring and a quieter "
                       "signal (suggested for workshops), 3 compound incidents"), default=1,
                       help="difficulty: 1 one clear signal, 2 a red herring and a quieter signal (workshops), "
                       "3 compound incidents no single panel decides")
    drill.set_defaults(func=command_drill)

    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
