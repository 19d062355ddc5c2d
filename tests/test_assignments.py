"""Graded assignments (issue 21): nbgrader source notebooks from the exercise registry, scored by
real nbgrader; and the graded-course switch that turns the answers off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlfail_widgets import _course_mode
from mlfail_widgets.assignments import POINTS, AssignmentExists, assignment_notebook, write_assignments
from mlfail_widgets.cli import main
from mlfail_widgets.exercises import all_exercises, check, hint, solution

NBGRADER = Path(sys.executable).parent / "nbgrader"


def _grading(nb):
    return [cell.metadata["nbgrader"] for cell in nb.cells]


@pytest.mark.parametrize("chapter", ["00", "02", "07"])
def test_every_exercise_has_an_answer_cell_a_graded_cell_and_its_points(chapter):
    nb = assignment_notebook(chapter)
    exercises = [e for e in all_exercises().values() if e.chapter == chapter]
    graded = [(m["grade_id"], m["points"]) for m in _grading(nb) if m["grade"]]
    assert graded == [(("t" if e.kind != "open" else "a") + e.id.replace(".", "-"), POINTS[e.kind])
                      for e in exercises]
    assert len({m["grade_id"] for m in _grading(nb)}) == len(nb.cells), "grade ids are unique"
    for exercise in exercises:
        if exercise.kind == "open":
            continue
        name = "answer_" + exercise.id.replace(".", "_")
        tests = next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "t" +
                     exercise.id.replace(".", "-"))
        assert f"assert check({exercise.id!r}, {name}).correct" in tests
        assert tests.index("### BEGIN HIDDEN TESTS") < tests.index("check(") < tests.index("### END HIDDEN TESTS")


@pytest.mark.parametrize("chapter", ["00", "02", "07"])
def test_the_model_answers_in_the_solution_markers_pass_the_checkers(chapter):
    namespace: dict = {}
    nb = assignment_notebook(chapter)
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "code" and meta["solution"]:
            body = cell.source.split("### BEGIN SOLUTION\n")[1].split("\n### END SOLUTION")[0]
            exec(body, namespace)  # the model answer only, as the instructor's copy holds it
    for name, value in namespace.items():
        if name.startswith("answer_"):
            exercise_id = name.removeprefix("answer_").replace("_", ".")
            assert check(exercise_id, value).correct, exercise_id


def _fill(nb, answers: dict[str, str], written: str) -> None:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        for name, value in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(f"{name} = ..."):
                cell.source = cell.source.replace(f"{name} = ...", f"{name} = {value}", 1)
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = written


@pytest.mark.slow
def test_real_nbgrader_scores_a_right_and_a_wrong_submission(tmp_path):
    if not NBGRADER.exists():
        pytest.fail("nbgrader is not installed: `make test` installs it with the [instructor] extra")
    course = tmp_path / "course"
    written = write_assignments(course, ["00"])
    assert written == [course / "source" / "ch00" / "ch00_exercises.ipynb"]
    # nbgrader runs `alembic` from PATH: the venv's bin goes first, as in an activated environment
    env = {**os.environ, "MLFAIL_GRADED": "1", "MPLBACKEND": "Agg",
           "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run([str(NBGRADER), "generate_assignment", "ch00", "--force"], cwd=course, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    release = nbformat.read(course / "release" / "ch00" / "ch00_exercises.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in release.cells)
    exercise = all_exercises()["00.1"]
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and ".correct" not in text
    assert repr(float(exercise.expected())) not in text, "the learners' copy must not hold the answer"
    assert "answer_00_1 = ...\n# YOUR ANSWER HERE" in text

    right = {"answer_00_1": repr(float(exercise.expected())), "answer_00_2": repr("ML-specific failure")}
    wrong = {"answer_00_1": "0.5", "answer_00_2": repr("ML-specific failure")}
    for student, answers in (("right", right), ("wrong", wrong), ("blank", {})):
        nb = nbformat.read(course / "release" / "ch00" / "ch00_exercises.ipynb", as_version=4)
        _fill(nb, answers, "Silent failures run longer." if answers else "YOUR ANSWER HERE")
        target = course / "submitted" / student / "ch00"
        target.mkdir(parents=True)
        nbformat.write(nb, target / "ch00_exercises.ipynb")
    run = subprocess.run([str(NBGRADER), "autograde", "ch00", "--force"], cwd=course, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s.student_id: (s.code_score, s.max_code_score, s.max_score, s.needs_manual_grade)
                  for s in gradebook.assignment_submissions("ch00")}
    auto = POINTS["numeric"] + POINTS["choice"]
    total = auto + POINTS["open"]
    assert scores["right"][:3] == (auto, auto, total)  # every autograded point; the open one by hand
    assert scores["right"][3], "the open question waits for the instructor"
    assert scores["wrong"][:3] == (POINTS["choice"], auto, total)  # partial: 00.1 wrong, 00.2 right
    assert scores["blank"][:3] == (0, auto, total)


def test_an_existing_assignment_is_refused_and_nothing_is_written(tmp_path, capsys):
    course = tmp_path / "course"
    (course / "source" / "ch02").mkdir(parents=True)
    (course / "source" / "ch02" / "mine.ipynb").write_text("{}")
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    with pytest.raises(AssignmentExists, match=r"already has the assignment\(s\) ch02"):
        write_assignments(course, ["00", "02"])
    assert main(["assignments", str(course), "--chapters", "00", "02"]) == 2
    message = capsys.readouterr().err
    assert "already has the assignment(s) ch02" in message and "Nothing was written" in message
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before


def test_a_chapter_without_exercises_is_refused_before_anything_is_written(tmp_path, capsys):
    assert main(["assignments", str(tmp_path / "course"), "--chapters", "00", "42"]) == 2
    # the message names the function the command called and its parameter, not cli.main
    assert ("The 'chapters' parameter of write_assignments must be chapters with exercises"
            in capsys.readouterr().err)
    assert not (tmp_path / "course").exists()


def test_argument_errors_name_the_function_and_parameter_from_the_call_stack(tmp_path):
    from mlfail_widgets._validation import ParameterError

    with pytest.raises(ParameterError, match=r"^The 'chapter' parameter of assignment_notebook must be a "
                                             r"chapter with exercises, one of \['00'.*Got '42' instead\.$"):
        assignment_notebook("42")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ParameterError, match=r"^The 'folder' parameter of write_assignments must be a folder "
                                             r"\(an nbgrader course folder\), not a file\. Got '/.* instead\. Pass a folder path\.$"):
        write_assignments(tmp_path / "a-file")


def test_the_command_writes_the_config_once_and_says_what_to_do_next(tmp_path, capsys):
    assert main(["assignments", str(tmp_path / "course"), "--chapters", "00"]) == 0
    out = capsys.readouterr().out
    assert "wrote source/ch00/ch00_exercises.ipynb" in out and "nbgrader generate_assignment ch00" in out
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert str((tmp_path / "course").resolve()) in config and "code_stub" in config
    shutil.rmtree(tmp_path / "course" / "source")
    (tmp_path / "course" / "nbgrader_config.py").write_text("# mine\n")
    assert main(["assignments", str(tmp_path / "course"), "--chapters", "00"]) == 0
    assert (tmp_path / "course" / "nbgrader_config.py").read_text() == "# mine\n", "an existing config is kept"


# ----------------------------------------------------------------- the graded-course switch
@pytest.fixture
def graded(monkeypatch):
    import mlfail_widgets.exercises as exercises

    monkeypatch.setattr(exercises, "_ATTEMPTS", {})  # wrong attempts below stay in this test
    monkeypatch.setenv(_course_mode.GRADED_VARIABLE, "1")


def test_self_study_keeps_the_answers(monkeypatch):
    monkeypatch.delenv(_course_mode.GRADED_VARIABLE, raising=False)
    from mlfail_widgets.failures.drill import IncidentDrill

    assert str(solution("00.3")) == all_exercises()["00.3"].explanation  # behind a button, print() reads it
    assert hint("00.1") == all_exercises()["00.1"].hint
    assert IncidentDrill(0).reveal().failure


def test_a_graded_course_switches_solution_hint_and_reveal_off(graded):
    from mlfail_widgets.failures.drill import IncidentDrill

    for text in (solution("00.3"), solution("05.3"), hint("00.1")):
        assert "is switched off: this is a graded course (MLFAIL_GRADED=1)" in text
    assert all_exercises()["00.3"].explanation not in solution("00.3")
    for _ in range(3):
        check("00.1", 0.123)  # three wrong attempts would unlock the explanation in self-study
    assert "expected value" not in solution("00.1")
    with pytest.raises(_course_mode.AnswersSwitchedOff, match=r"drill.reveal\(\) is switched off"):
        IncidentDrill(0).reveal()
    assert check("00.2", "ML-specific failure").correct, "check() still works in a graded course"


@pytest.mark.parametrize("value", ["2", "graded", "yes please"])
def test_a_typo_in_the_switch_is_an_error_not_a_silent_reveal(monkeypatch, value):
    monkeypatch.setenv(_course_mode.GRADED_VARIABLE, value)
    with pytest.raises(ValueError, match="MLFAIL_GRADED must be 1"):
        solution("00.3")
