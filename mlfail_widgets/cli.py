"""The ``mlfail`` command: run the course headless, open it, check the machine.

    mlfail run [NOTEBOOK ...] [--html DIR]   execute notebooks from a clean kernel, print a table
    mlfail lab [JUPYTER ARGS ...]            open JupyterLab at the course's first chapter
                                             (every option after `lab` goes to Jupyter)
    mlfail doctor                            what this machine has, and what to do about gaps
    mlfail drill --learners N --seed S [--level L]   each learner's incident drill (instructor only)
    mlfail assignments DIR [--chapters NN]   each chapter's exercises as nbgrader source notebooks
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import NotebookRun

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


def _table(runs: Sequence[NotebookRun]) -> str:
    width = max(len(run.path.stem) for run in runs)
    lines = [f"{'chapter':<{width}}  {'seconds':>7}  status", f"{'-' * width}  {'-' * 7}  ------"]
    for run in runs:
        lines.append(f"{run.path.stem:<{width}}  {run.seconds:>7.1f}  {run.status}")
    total = sum(run.seconds for run in runs)
    lines.append(f"{'total':<{width}}  {total:>7.1f}  {sum(r.ok for r in runs)}/{len(runs)} ok")
    return "\n".join(lines)


_SIGNAL_NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class _Stopped(Exception):
    """Ctrl-C (SIGINT) or SIGTERM arrived while ``mlfail run`` was running notebooks."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    for name in (signal.SIGINT, signal.SIGTERM):  # a second signal ends the command at once
        signal.signal(name, signal.SIG_DFL)
    raise _Stopped(signum)


def _run_one(path: Path, timeout: int) -> NotebookRun:
    """Run one notebook in a worker thread, so that the main thread can take a signal at once."""
    from .runner import run_notebook

    result: list[NotebookRun | BaseException] = []

    def work() -> None:
        try:
            result.append(run_notebook(path, timeout=timeout))
        except BaseException as error:  # never a thread traceback on the learner's screen
            result.append(error)

    worker = threading.Thread(target=work, name="mlfail-run", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(timeout=0.2)
    except _Stopped:
        from .runner import stop_running_kernels

        deadline = time.monotonic() + 10
        while worker.is_alive() and time.monotonic() < deadline:
            stop_running_kernels()  # the kernel (and its demos) die, also one still starting;
            worker.join(timeout=0.5)  # the worker then removes the kernel's folder
        stop_running_kernels(remove_folders=True)  # if it did not notice in time
        raise
    if isinstance(result[0], BaseException):  # a bug in the runner: still one failed row
        from .runner import NotebookRun

        error = result[0]
        return NotebookRun(path, 0.0, "failed", None, f"{type(error).__name__}: {error}", "", None,
                           "the runner")
    return result[0]


def _interrupted(runs: list[NotebookRun], notebooks: Sequence[Path], stopped: _Stopped,
                 started: float) -> int:
    from .runner import NotebookRun

    signal_name = _SIGNAL_NAMES.get(stopped.signum, f"signal {stopped.signum}")
    current = notebooks[len(runs)]
    rows = [*runs, NotebookRun(current, time.perf_counter() - started, "interrupted",
                               error=f"stopped by {signal_name}")]
    rows += [NotebookRun(path, 0.0, "not run") for path in notebooks[len(rows):]]
    print(f"\n\nStopped by {signal_name}.\n")
    print(_table(rows))
    ok = sum(run.ok for run in runs)
    print(f"\n{len(runs)} of {len(notebooks)} notebooks ran ({ok} ok, {len(runs) - ok} failed); "
          f"{current.name} was interrupted; {len(notebooks) - len(runs) - 1} not run.", flush=True)
    return stopped.exit_code


def command_run(args: argparse.Namespace) -> int:
    from .runner import export_html, write_index

    notebooks = _notebooks(args.notebooks)
    runs = []
    handlers = {}
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        handlers = {name: signal.getsignal(name) for name in (signal.SIGINT, signal.SIGTERM)}
    for name in handlers:
        signal.signal(name, _raise_stopped)
    started = time.perf_counter()
    try:
        for number, path in enumerate(notebooks, start=1):
            print(f"[{number}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
            started = time.perf_counter()
            run = _run_one(path, args.timeout)
            print(f"{run.status} ({run.seconds:.1f} s)", flush=True)
            if not run.ok:
                print("    " + run.describe().replace("\n", "\n    "), flush=True)
            if args.html:
                export_html(run, args.html)
            runs.append(run)
    except _Stopped as stopped:
        code = _interrupted(runs, notebooks, stopped, started)
        if handlers:  # the command line, not a caller's thread: exit now, as a signal should
            sys.stdout.flush()
            sys.stderr.flush()
            # Skip the interpreter's exit handlers: nbclient's and pyzmq's would wait for, or
            # print tracebacks about, the kernel connection just cut. The kernel is dead and
            # its folder removed.
            os._exit(code)
        return code
    finally:
        for name, handler in handlers.items():
            signal.signal(name, handler)
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


ROOT_REFUSAL = """mlfail lab: you are root (user id 0), and Jupyter refuses to run as root unless told to.
In a container, a Codespace or a hub image where root is the only user, run:

    mlfail lab --allow-root --no-browser

(every option after `lab` goes to Jupyter: add --port 9999, --ip 127.0.0.1, ...). Elsewhere,
run it as an ordinary user: a notebook server running as root can change anything on the machine."""


def _allows_root(jupyter_args: list[str]) -> bool:
    return any(a == "--allow-root" or a.replace("-", "_").lower().endswith("allow_root=true")
               for a in jupyter_args)


def command_lab(args: argparse.Namespace) -> int:
    root = course_root()
    if root is None:
        raise SystemExit("mlfail lab: the course notebooks were not found. Run it from the mlfail "
                         "checkout (the folder with notebooks/).")
    jupyter_args = list(args.jupyter_args)
    if jupyter_args[:1] == ["--"]:
        jupyter_args = jupyter_args[1:]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not _allows_root(jupyter_args):
        print(ROOT_REFUSAL, file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "jupyterlab", f"notebooks/{FIRST_CHAPTER}", *jupyter_args]
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


def _bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
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


def command_assignments(args: argparse.Namespace) -> int:
    from ._validation import ParameterError
    from .assignments import write_assignments

    try:
        written = write_assignments(args.folder, args.chapters)
    except ParameterError as error:
        print(f"mlfail assignments: {error}", file=sys.stderr)
        return 2
    root = Path(args.folder).resolve()
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"\n{len(written)} assignment(s) in {root}. Next, in that folder: nbgrader generate_assignment "
          f"{written[0].parent.name} (the learners' copy, without answers), then collect submissions and run "
          "nbgrader autograde. Set MLFAIL_GRADED=1 for the learners' servers to switch the answers off.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlfail", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute notebooks headless and print a table")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: every chapter)")
    run.add_argument("--html", metavar="DIR", help="also write executed HTML (and index.html) to DIR")
    run.add_argument("--timeout", type=_bounded_int(1, 86_400, "seconds a cell may take"), default=180,
                     help="seconds a cell may take (default 180)")
    run.set_defaults(func=command_run)

    lab = commands.add_parser("lab", help="open the course in JupyterLab",
                              description="Open JupyterLab at the course's first chapter. Every "
                              "argument after `lab` goes to Jupyter, e.g. "
                              "`mlfail lab --allow-root --no-browser --port 9999`.")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER,
                     help="passed on to jupyter lab (--allow-root, --no-browser, --port N, ...)")
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

    assignments = commands.add_parser("assignments", help="each chapter's exercises as nbgrader source "
                                      "notebooks (instructor only)")
    assignments.add_argument("folder", metavar="DIR", help="the nbgrader course folder (made if missing)")
    assignments.add_argument("--chapters", nargs="+", metavar="NN",
                             help="only these chapters (default: every chapter with exercises)")
    assignments.set_defaults(func=command_assignments)

    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "lab":  # everything after `lab` goes to Jupyter, in its order
        args.jupyter_args = argv[argv.index("lab") + 1:]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
