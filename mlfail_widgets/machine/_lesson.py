"""What a real demo says about its own lesson."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Lesson"]


@dataclass(frozen=True)
class Lesson:
    """Whether a real demo's lesson held on this run, and why (or why not).

    ``held`` is True or False; ``statement`` is the lesson in one sentence; ``evidence`` the
    numbers behind the verdict; ``why`` says what went against it (a busy machine, too few
    samples) when it did not hold.

    Examples
    --------
    >>> lesson = Lesson(True, "stress raises the p99", "p99 4 ms idle, 180 ms under stress")
    >>> print(lesson)
    Lesson held: stress raises the p99 (p99 4 ms idle, 180 ms under stress).
    >>> bool(lesson)
    True
    """

    held: bool
    statement: str
    evidence: str = ""
    why: str = ""

    def __bool__(self) -> bool:
        return bool(self.held)

    def __str__(self) -> str:
        head = "Lesson held" if self.held else "Lesson NOT shown by this run"
        text = f"{head}: {self.statement}" + (f" ({self.evidence})" if self.evidence else "") + "."
        return text + (f" {self.why}" if self.why else "")
