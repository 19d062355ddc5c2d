"""Progress reporting for the audit's long steps, without importing any widget library.

A public audit function takes ``progress``: ``"auto"`` (the default: a one-line text bar on
standard error once a call has run for two seconds, in a Jupyter kernel or a terminal; silent
elsewhere, e.g. under pytest or in a batch job's log), None (silent), or a callable
``progress(done, total, label)`` called before each step and once at the end. The widgets layer
(:mod:`mlfail_widgets.widgets.audit`) passes an ipywidgets bar that shows itself once a call has
run for two seconds, so quick calls stay quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from .._validation import parameter_error

__all__ = ["Steps", "TextProgress"]

#: Seconds a call runs before its progress is shown.
DELAY = 2.0


class TextProgress:
    """``progress(done, total, label)`` as a one-line text bar, written once the call has run for
    ``delay`` seconds, rewritten in place (carriage return) at each later step, ended at the last.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = TextProgress("drift_report", delay=0.0, stream=out)
    >>> bar(0, 2, "counts"); bar(1, 2, "histograms"); bar(2, 2, "done")
    >>> out.getvalue().rsplit(chr(13), 1)[-1].rsplit(" (", 1)[0]  # the line after the last carriage return
    'drift_report [##########] 2/2 done'
    """

    def __init__(self, name: str, delay: float = DELAY, *, stream: TextIO | None = None, width: int = 10):
        self.name, self.delay, self.stream, self.width = name, float(delay), stream, int(width)
        self.started: float | None = None
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        elapsed = now - self.started
        if not self.shown and elapsed < self.delay:
            return  # a quick call leaves nothing behind
        self.shown = True
        filled = round(self.width * done / max(total, 1))
        line = f"{self.name} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {label} ({elapsed:.1f} s)"
        stream = self.stream or sys.stderr
        stream.write("\r" + line + ("\n" if done >= total else ""))
        stream.flush()


def _interactive() -> bool:
    """In a Jupyter kernel, or with standard error on a terminal."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class Steps:
    """Count the steps of one call and report them to ``progress``.

    ``progress`` is ``"auto"`` (a :class:`TextProgress` named ``name`` where someone watches: a
    Jupyter kernel or a terminal), None, or a callable ``progress(done, total, label)``.

    Examples
    --------
    >>> seen = []
    >>> steps = Steps(lambda done, total, label: seen.append((done, total, label)), 2)
    >>> steps("counts"); steps("histograms"); steps.finish()
    >>> seen
    [(0, 2, 'counts'), (1, 2, 'histograms'), (2, 2, 'done')]
    """

    def __init__(self, progress: Any, total: int, name: str = "audit"):
        if isinstance(progress, str) and progress == "auto":
            progress = TextProgress(name) if _interactive() else None
        if progress is not None and not callable(progress):
            raise parameter_error("progress", '"auto", None or a callable progress(done, total, label)',
                                  progress, fix="Leave it out, or use the widgets' progress bar.")
        self.progress: Callable | None = progress
        self.total = max(int(total), 1)
        self.done = 0

    def __call__(self, label: str) -> None:
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, label)
        self.done += 1

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total, "done")
