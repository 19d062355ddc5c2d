"""Checked exercises at the end of every chapter.

Each chapter registers its exercises in ``exercises/chNN.py``; a notebook only calls::

    from mlfail_widgets.exercises import check, hint, solution
    check("05.1", my_answer)

Three kinds:

* :func:`numeric` asks for a number the learner computes with the library; the expected value
  is computed by the library at check time (never written out), and compared with a tolerance.
* :func:`choice` asks for a decision (which mitigation, which detector, which slice); a wrong
  pick gets a hint aimed at that pick, never the answer.
* :func:`open_question` has no automatic check; the learner writes an answer, then
  ``solution(id)`` offers the model answer. Every chapter handles its open questions this way.

After three wrong attempts at a checked exercise, ``solution(id)`` explains the answer too.
Nothing decisive is shown unless the learner asks for it: ``solution(id)`` is a
:class:`~._reveal.Hidden` that shows a "Show the model answer" button, and the text appears
only on its click, so "Run all" and the exported HTML never print an answer. Feedback is never
longer than :data:`MAX_FEEDBACK_LINES` lines.
"""

from __future__ import annotations

import html
import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import _course_mode
from .._validation import ParameterError, parameter_error
from ._reveal import Hidden

__all__ = [
    "Exercise",
    "Feedback",
    "Hidden",
    "all_exercises",
    "check",
    "choice",
    "hint",
    "numeric",
    "open_question",
    "show",
    "solution",
]

ATTEMPTS_BEFORE_SOLUTION = 3
#: Feedback is at most this many lines of at most ``_LINE_WIDTH`` characters.
MAX_FEEDBACK_LINES = 3
_LINE_WIDTH = 120

_REGISTRY: dict[str, Exercise] = {}
_ATTEMPTS: dict[str, int] = {}


@dataclass
class Exercise:
    """One exercise: its id ("05.2"), kind, prompt and how to check it."""

    id: str
    kind: str  # "numeric" | "choice" | "open"
    prompt: str
    hint: str = ""
    explanation: str = ""
    expected: Callable[[], float] | None = None
    rel_tol: float = 0.0
    abs_tol: float = 0.0
    options: tuple[str, ...] = ()
    answer: str | None = None
    option_hints: dict[str, str] = field(default_factory=dict)

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    def expected_value(self) -> float:
        """The number a numeric exercise expects (computed now, from the course's code).

        Examples
        --------
        >>> Exercise("99.1", "numeric", "How many?", expected=lambda: 3).expected_value()
        3.0
        """
        if self.expected is None:
            raise ValueError(f"exercise {self.id} is a {self.kind} exercise: it expects no number")
        return float(self.expected())


@dataclass
class Feedback:
    """The verdict on an answer. Truthy when correct; shows itself in colour in a notebook."""

    exercise: str
    correct: bool | None  # None: nothing to judge yet (no answer, or an open question)
    message: str

    def __post_init__(self) -> None:
        self.message = _short(self.message)

    def __bool__(self) -> bool:
        return bool(self.correct)

    def _verdict(self) -> str:
        return {True: "Correct", False: "Not yet", None: "Noted"}[self.correct]

    def __repr__(self) -> str:
        return f"[{self.exercise}] {self._verdict()}: {self.message}"

    def _repr_html_(self) -> str:
        colour = {True: "#009E73", False: "#D55E00", None: "#0072B2"}[self.correct]
        mark = {True: "&#10004;", False: "&#10008;", None: "&#9998;"}[self.correct]
        return (
            f'<div class="mlfail-feedback" style="border-left:4px solid {colour};padding:4px 10px">'
            f'<b style="color:{colour}">{mark} {self.exercise}: {self._verdict()}.</b> '
            f"{html.escape(self.message)}</div>"
        )


def _short(message: str) -> str:
    """``message`` cut to :data:`MAX_FEEDBACK_LINES` lines of ``_LINE_WIDTH`` characters.

    Examples
    --------
    >>> len(_short("x" * 1000)) <= MAX_FEEDBACK_LINES * _LINE_WIDTH
    True
    """
    text = " ".join(str(message).split())
    limit = MAX_FEEDBACK_LINES * _LINE_WIDTH
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _describe_answer(answer: Any) -> str:
    """A short description of what the learner passed (never a 200-element printout)."""
    shape = getattr(answer, "shape", None)
    if shape is not None and len(shape) > 0:
        dtype = str(getattr(answer, "dtype", ""))
        kind = "True/False values" if dtype == "bool" else f"values ({dtype})" if dtype else "values"
        size = getattr(answer, "size", None) or len(answer)
        what = type(answer).__name__
        hint = " Did you mean its .sum()?" if dtype == "bool" else " Did you mean one of its values?"
        return f"an array ({what}) of {size} {kind}.{hint}"
    if isinstance(answer, (list, tuple, set, dict)):
        return f"a {type(answer).__name__} of {len(answer)} items. Give one number."
    text = repr(answer)
    return (text if len(text) <= 60 else text[:57] + "...") + "."


def _register(exercise: Exercise) -> Exercise:
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] != exercise:
        raise ParameterError(f"Exercise {exercise.id!r} is registered twice.")
    _REGISTRY[exercise.id] = exercise
    return exercise


def numeric(id: str, prompt: str, expected: Callable[[], float], *, rel_tol: float = 0.0,
            abs_tol: float = 0.0, hint: str = "", explanation: str = "") -> Exercise:
    """Register an exercise whose answer is a number computed by ``expected()``."""
    if rel_tol <= 0 and abs_tol <= 0:
        raise ParameterError(f"Numeric exercise {id!r} needs a tolerance (rel_tol or abs_tol > 0).")
    return _register(Exercise(id, "numeric", prompt, hint, explanation, expected=expected,
                              rel_tol=rel_tol, abs_tol=abs_tol))


def choice(id: str, prompt: str, options: list[str], answer: str, *, hint: str = "",
           option_hints: dict[str, str] | None = None, explanation: str = "") -> Exercise:
    """Register a decision among ``options``; ``option_hints`` answer specific wrong picks."""
    if answer not in options:
        raise ParameterError(f"Choice exercise {id!r}: the answer must be one of its options.")
    return _register(Exercise(id, "choice", prompt, hint, explanation, options=tuple(options),
                              answer=answer, option_hints=dict(option_hints or {})))


def open_question(id: str, prompt: str, model_answer: str, *, hint: str = "") -> Exercise:
    """Register an open question; ``solution(id)`` reveals ``model_answer``."""
    return _register(Exercise(id, "open", prompt, hint, explanation=model_answer))


def _load_chapter(chapter: str) -> None:
    try:
        importlib.import_module(f"{__name__}.ch{chapter}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.ch{chapter}":
            raise


def all_exercises() -> dict[str, Exercise]:
    """Every registered exercise, by id, in chapter order."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_REGISTRY.items()))


def _get(exercise_id: Any) -> Exercise:
    text = str(exercise_id).strip()
    if "." in text:
        _load_chapter(text.split(".")[0].zfill(2))
        text = text.split(".")[0].zfill(2) + "." + text.split(".", 1)[1]
    if text not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none loaded"
        raise parameter_error("exercise_id", "the id of an exercise, like '05.2' (chapter.number)",
                              exercise_id, fix=f"There is no exercise {exercise_id!r}; known here: {known}.")
    return _REGISTRY[text]


def _normalise(text: Any) -> str:
    return " ".join(str(text).strip().lower().replace("_", " ").replace("-", " ").split())


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check an answer; a wrong one gets a hint, never the answer.

    Examples
    --------
    >>> check("00.1", ...)
    [00.1] Noted: Replace the ... with your answer, then run the cell again.
    """
    exercise = _get(exercise_id)
    if answer is ... or answer is None:
        return Feedback(exercise.id, None, "Replace the ... with your answer, then run the cell again.")
    if exercise.kind == "open":
        return Feedback(exercise.id, None, "Open questions have no automatic check. Compare "
                        f"your answer with the model answer: solution({exercise.id!r}).")
    if exercise.kind == "numeric":
        feedback = _check_numeric(exercise, answer)
    else:
        feedback = _check_choice(exercise, answer)
    if not feedback.correct:
        _ATTEMPTS[exercise.id] = _ATTEMPTS.get(exercise.id, 0) + 1
        if _ATTEMPTS[exercise.id] >= ATTEMPTS_BEFORE_SOLUTION:
            stuck = f" (Stuck? solution({exercise.id!r}) now explains it.)"
            room = MAX_FEEDBACK_LINES * _LINE_WIDTH - len(stuck)
            feedback.message = _short(feedback.message[:room]) + stuck
    return feedback


def _check_numeric(exercise: Exercise, answer: Any) -> Feedback:
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback(exercise.id, False, f"This exercise wants a number; got {_describe_answer(answer)}")
    if not math.isfinite(value):
        return Feedback(exercise.id, False, f"This exercise wants a finite number; got {value!r}.")
    expected = exercise.expected_value()
    if math.isclose(value, expected, rel_tol=exercise.rel_tol, abs_tol=exercise.abs_tol):
        return Feedback(exercise.id, True, exercise.explanation or "That is the expected value.")
    direction = "high" if value > expected else "low"
    message = f"Your number is too {direction}."
    if 0 < abs(expected) <= 1 and abs(value) > 1 and math.isclose(
            value / 100, expected, rel_tol=exercise.rel_tol, abs_tol=exercise.abs_tol):
        return Feedback(exercise.id, False, "That looks like a percentage: this exercise wants a "
                        "fraction (divide your number by 100, e.g. 0.5 for 50%).")
    if exercise.hint:
        message += " Hint: " + exercise.hint
    return Feedback(exercise.id, False, message)


def _check_choice(exercise: Exercise, answer: Any) -> Feedback:
    options = {_normalise(option): option for option in exercise.options}
    picked = options.get(_normalise(answer))
    if picked is None:
        return Feedback(exercise.id, False, "Pick one of: " + ", ".join(repr(o) for o in exercise.options) + ".")
    if picked == exercise.answer:
        return Feedback(exercise.id, True, exercise.explanation or "Right choice.")
    message = exercise.option_hints.get(picked) or exercise.hint or "Think again about what the evidence shows."
    return Feedback(exercise.id, False, message)


def hint(exercise_id: str) -> str:
    """The exercise's hint (never the answer). Off in a graded course (``MLFAIL_GRADED=1``)."""
    exercise = _get(exercise_id)
    if _course_mode.graded():
        return _course_mode.answers_off_message(f"hint({exercise.id!r})")
    return exercise.hint or "No hint for this one: reread the section just above the exercise."


def solution(exercise_id: str) -> Hidden | str:
    """The model answer of an open question, or the explanation after three wrong attempts.

    The answer comes back :class:`Hidden`: in Jupyter a "Show the model answer" button that
    shows it only when clicked (so "Run all" never prints it); ``print(solution(id))`` reads it
    anywhere. Before three attempts at a checked exercise, a sentence says to try first.
    Off in a graded course (``MLFAIL_GRADED=1``, see :mod:`mlfail_widgets._course_mode`).

    Examples
    --------
    >>> answer = solution("00.3")
    >>> answer.label, "silently" in str(answer), "silently" in repr(answer)
    ('Show the model answer', True, False)
    """
    exercise = _get(exercise_id)
    if _course_mode.graded():
        return _course_mode.answers_off_message(f"solution({exercise.id!r})")
    if exercise.kind == "open":
        return Hidden(f"Model answer of {exercise.id}", exercise.explanation)
    if _ATTEMPTS.get(exercise.id, 0) < ATTEMPTS_BEFORE_SOLUTION:
        left = ATTEMPTS_BEFORE_SOLUTION - _ATTEMPTS.get(exercise.id, 0)
        return (f"Try {left} more time(s) with check({exercise.id!r}, ...) first; "
                f"hint({exercise.id!r}) may help.")
    if exercise.kind == "numeric":
        text = f"The expected value is {exercise.expected_value():.6g}. {exercise.explanation}".strip()
    else:
        text = f"The answer is {exercise.answer!r}. {exercise.explanation}".strip()
    return Hidden(f"Solution of {exercise.id}", text, label="Show the solution")


def show(chapter: str) -> None:
    """Print the exercises of a chapter (ids, kinds and prompts)."""
    chapter = str(chapter).zfill(2)
    _load_chapter(chapter)
    for exercise in all_exercises().values():
        if exercise.chapter == chapter:
            options = f" Options: {', '.join(exercise.options)}." if exercise.options else ""
            print(f"{exercise.id} ({exercise.kind}): {exercise.prompt}{options}")
