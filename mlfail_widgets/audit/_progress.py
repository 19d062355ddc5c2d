"""Progress reporting for the audit's long steps, without importing any widget library.

A public audit function takes ``progress``: None (silent), or a callable
``progress(done, total, label)`` called before each step and once at the end. The widgets layer
(:mod:`mlfail_widgets.widgets.audit`) passes a bar that shows itself once a call has run for
two seconds, so quick calls stay quiet.
"""

from __future__ import annotations

from collections.abc import Callable

from .._validation import parameter_error

__all__ = ["Steps"]


class Steps:
    """Count the steps of one call and report them to ``progress``.

    Examples
    --------
    >>> seen = []
    >>> steps = Steps(lambda done, total, label: seen.append((done, total, label)), 2)
    >>> steps("counts"); steps("histograms"); steps.finish()
    >>> seen
    [(0, 2, 'counts'), (1, 2, 'histograms'), (2, 2, 'done')]
    """

    def __init__(self, progress: Callable | None, total: int):
        if progress is not None and not callable(progress):
            raise parameter_error("progress", "None or a callable progress(done, total, label)",
                                  progress, fix="Leave it out, or use the widgets' progress bar.")
        self.progress = progress
        self.total = max(int(total), 1)
        self.done = 0

    def __call__(self, label: str) -> None:
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, label)
        self.done += 1

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total, "done")
