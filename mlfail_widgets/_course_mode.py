"""Self-study or graded: whether the course may give learners the answers.

A graded course (an nbgrader assignment on a JupyterHub, say) sets the environment variable
``MLFAIL_GRADED=1`` for the learners' servers (``deploy/jupyterhub_config.py`` does). Then
``solution()`` and ``hint()`` of :mod:`mlfail_widgets.exercises` answer with a sentence that says
the answers are off, and the incident drill's ``reveal()`` raises :class:`AnswersSwitchedOff`.
Without the variable (self-study, the default) everything works as before. ``check()`` keeps
working in both modes: it says right or not yet, never the answer.

The variable is read at each call, so an instructor can switch it in a running kernel with
``os.environ``.

Examples
--------
>>> import os
>>> os.environ.pop(GRADED_VARIABLE, None) and None
>>> graded()
False
>>> os.environ[GRADED_VARIABLE] = "1"
>>> graded()
True
>>> print(answers_off_message("solution('00.3')"))
solution('00.3') is switched off: this is a graded course (MLFAIL_GRADED=1), so the answers are hidden until your instructor releases them. check(...) still tells you whether an answer is right.
>>> del os.environ[GRADED_VARIABLE]
"""

from __future__ import annotations

import os

__all__ = ["GRADED_VARIABLE", "AnswersSwitchedOff", "answers_off_message", "graded", "refuse_in_graded_course"]

GRADED_VARIABLE = "MLFAIL_GRADED"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class AnswersSwitchedOff(RuntimeError):
    """An answer-giving call was made in a graded course (``MLFAIL_GRADED=1``)."""


def graded() -> bool:
    """Whether this is a graded course: ``MLFAIL_GRADED`` is set to 1/true/yes/on.

    Returns
    -------
    bool
        True when answers must be withheld from learners.

    Raises
    ------
    ValueError
        If the variable holds something else (a typo must not silently reveal answers).

    Examples
    --------
    >>> import os
    >>> os.environ["MLFAIL_GRADED"] = "0"; graded()
    False
    >>> del os.environ["MLFAIL_GRADED"]
    """
    value = os.environ.get(GRADED_VARIABLE, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"The environment variable {GRADED_VARIABLE} must be 1 (graded course: answers off) "
                     f"or 0 (self-study); got {value!r}. Fix the hub's configuration "
                     f"(c.Spawner.environment) or unset it.")


def answers_off_message(what: str) -> str:
    """The sentence a learner sees instead of an answer in a graded course.

    Parameters
    ----------
    what : str
        The call that was refused, e.g. ``"solution('05.3')"``.

    Returns
    -------
    str

    Examples
    --------
    >>> answers_off_message("hint('05.1')").startswith("hint('05.1') is switched off")
    True
    """
    return (f"{what} is switched off: this is a graded course ({GRADED_VARIABLE}=1), so the answers are "
            "hidden until your instructor releases them. check(...) still tells you whether an answer is right.")


def refuse_in_graded_course(what: str) -> None:
    """Raise :class:`AnswersSwitchedOff` in a graded course; do nothing in self-study.

    Parameters
    ----------
    what : str
        The call being guarded, e.g. ``"drill.reveal()"``.

    Returns
    -------
    None

    Examples
    --------
    >>> import os
    >>> refuse_in_graded_course("drill.reveal()")  # self-study: allowed
    >>> os.environ["MLFAIL_GRADED"] = "1"
    >>> refuse_in_graded_course("drill.reveal()")
    Traceback (most recent call last):
    ...
    mlfail_widgets._course_mode.AnswersSwitchedOff: drill.reveal() is switched off: ...
    >>> del os.environ["MLFAIL_GRADED"]
    """
    if graded():
        raise AnswersSwitchedOff(answers_off_message(what))
