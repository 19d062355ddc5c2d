"""Every exercise of every chapter: the right answer passes, a wrong one gets a hint, not the answer."""

from __future__ import annotations

import json

import pytest

from mlfail_widgets import exercises
from mlfail_widgets.exercises import all_exercises, check, hint, solution

from .conftest import NOTEBOOKS

EXERCISES = all_exercises()


@pytest.fixture(autouse=True)
def fresh_attempts():
    exercises._ATTEMPTS.clear()
    yield
    exercises._ATTEMPTS.clear()


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_right_answer_passes_and_wrong_answer_gets_a_hint(exercise):
    if exercise.kind == "open":
        assert len(exercise.explanation) > 80, "an open question needs a real model answer"
        assert solution(exercise.id) == exercise.explanation
        assert check(exercise.id, "my thoughts").correct is None
        return
    if exercise.kind == "numeric":
        right = exercise.expected()
        wrong = right * 1.5 + 1.0
        assert check(exercise.id, str(right)).correct  # a string of the number is fine too
    else:
        right = exercise.answer
        wrong = next(option for option in exercise.options if option != right)
        assert check(exercise.id, right.upper()).correct  # case does not matter
    feedback = check(exercise.id, wrong)
    assert feedback.correct is False
    assert str(right) not in feedback.message  # the hint never gives the answer away
    assert str(right) not in solution(exercise.id)  # nor does solution() before three tries


def test_solution_explains_after_three_wrong_attempts():
    exercise = EXERCISES["00.2"]
    for _ in range(3):
        feedback = check("00.2", "software system failure")
    assert "solution('00.2')" in feedback.message
    assert exercise.answer in solution("00.2")


def test_placeholder_answer_is_not_judged():
    assert check("00.1", ...).correct is None


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match=r"There is no exercise '99\.9'"):
        check("99.9", 1)
    assert "outage_share" in hint("00.1")


def test_numeric_answers_are_computed_not_written_in_the_notebooks():
    for path in NOTEBOOKS:
        text = json.dumps(json.loads(path.read_text())["cells"])
        for exercise in EXERCISES.values():
            if exercise.chapter == path.stem[:2] and exercise.kind == "numeric":
                value = exercise.expected()
                assert f"{value:.4f}" not in text and f"{value:.3f}" not in text, exercise.id


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_chapter_has_a_number_a_decision_and_an_open_question(path):
    kinds = {e.kind for e in EXERCISES.values() if e.chapter == path.stem[:2]}
    assert kinds == {"numeric", "choice", "open"}, f"{path.stem} has exercise kinds {kinds}"
    count = sum(e.chapter == path.stem[:2] for e in EXERCISES.values())
    assert 2 <= count <= 4
