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
        assert str(solution(exercise.id)) == exercise.explanation
        assert exercise.explanation not in repr(solution(exercise.id))  # hidden until asked
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
    assert str(right) not in str(solution(exercise.id))  # nor does solution() before three tries


def test_solution_explains_after_three_wrong_attempts():
    exercise = EXERCISES["00.2"]
    for _ in range(3):
        feedback = check("00.2", "software system failure")
    assert "solution('00.2')" in feedback.message
    assert exercise.answer in str(solution("00.2"))
    assert exercise.answer not in repr(solution("00.2"))


def test_placeholder_answer_is_not_judged():
    assert check("00.1", ...).correct is None


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match=r"^The 'exercise_id' parameter of check must be the id of an exercise, "
                                         r"like '05\.2' \(chapter\.number\)\. Got '99\.9' instead\. There is no "
                                         r"exercise '99\.9'; known here: 00\.1, "):
        check("99.9", 1)
    with pytest.raises(ValueError, match=r"^The 'exercise_id' parameter of solution must be"):  # the function called
        solution("7.9")
    with pytest.raises(ValueError, match=r"^The 'exercise_id' parameter of hint must be"):
        hint("00.99")
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


# ------------------------------------------------------------------ run-all safe and friction
def _bundle_text(obj) -> str:
    bundle = obj._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return json.dumps(data)


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES.values() if e.kind == "open"])
def test_a_model_answer_shows_only_when_its_button_is_clicked(exercise_id):
    answer = solution(exercise_id)
    explanation = EXERCISES[exercise_id].explanation
    shown = _bundle_text(answer)
    assert explanation[:60] not in shown and "Show the model answer" in shown
    assert "application/vnd.jupyter.widget-view+json" in shown  # a real button in Jupyter
    box = answer.widget()
    button, revealed = box.children
    assert revealed.value == ""  # the widget state holds nothing until the click
    button.click()
    assert explanation[:60] in revealed.value.replace("&#x27;", "'").replace("&quot;", '"')


def test_the_solution_after_three_attempts_is_hidden_too():
    for _ in range(3):
        check("00.1", 0.2)
    answer = solution("00.1")
    value = f"{EXERCISES['00.1'].expected():.6g}"
    assert value in str(answer) and value not in _bundle_text(answer)


def test_feedback_is_never_longer_than_three_lines():
    import numpy as np

    flips = np.zeros(200, dtype=bool)
    feedback = check("01.1", flips)  # the chapter 01 slip: the array instead of its count
    assert feedback.correct is False
    assert "False," not in feedback.message and "200 True/False values" in feedback.message
    assert ".sum()" in feedback.message
    limit = exercises.MAX_FEEDBACK_LINES * exercises._LINE_WIDTH
    for exercise in EXERCISES.values():
        for answer in (list(range(500)), "x" * 2000, *exercise.options, 12345.0):
            assert len(check(exercise.id, answer).message) <= limit, exercise.id
    assert len(exercises.Feedback("x", False, "word " * 500).message) <= limit


def test_a_percentage_for_a_fraction_gets_a_word_about_percent():
    exercise = EXERCISES["00.1"]
    right = exercise.expected()
    feedback = check("00.1", round(100 * right, 1))
    assert feedback.correct is False and "percentage" in feedback.message
    assert f"{right:.2f}" not in feedback.message and f"{100 * right:.1f}" not in feedback.message
    assert "percentage" not in check("00.1", right + 0.2).message


def test_open_questions_are_handled_one_way_in_every_chapter():
    """Every open question: a cell that calls solution(id), never check(id, ...)."""
    import nbformat

    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        for exercise in EXERCISES.values():
            if exercise.chapter == path.stem[:2] and exercise.kind == "open":
                assert f'solution("{exercise.id}")' in text, (path.name, exercise.id)
                assert f'check("{exercise.id}"' not in text, (path.name, exercise.id)


def test_no_notebook_hides_the_exercise_functions():
    """A loop variable called check (chapter 02 had one) hides the exercises' check()."""
    import ast

    import nbformat

    names = {"check", "hint", "solution"}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            for node in ast.walk(ast.parse(source)):
                targets = []
                if isinstance(node, (ast.For, ast.comprehension)):
                    targets = [node.target]
                elif isinstance(node, ast.Assign):
                    targets = node.targets
                bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                assert not bound & names, (path.name, bound & names)
