"""Graded assignments: each chapter's exercises as an nbgrader source notebook.

``mlfail assignments DIR`` (or :func:`write_assignments`) writes, for every chapter with
exercises, ``DIR/source/chNN/chNN_exercises.ipynb``: the exercise prompts (read-only), one answer
cell per checked exercise with the model answer between nbgrader's solution markers, one
autograded test cell per checked exercise whose hidden test calls the same checker the notebooks
use (:func:`mlfail_widgets.exercises.check`), and one answer cell graded by hand per open question
(the model answer between the markers). ``nbgrader generate_assignment chNN`` then strips the
answers and hidden tests for the learners' copy, and ``nbgrader autograde`` scores submissions.

Points: a numeric exercise is worth :data:`POINTS` ``["numeric"]``, a choice
``POINTS["choice"]``, an open question ``POINTS["open"]`` (graded by hand).

The model answer of a numeric exercise is the value the checker itself computes
(``Exercise.expected_value()``) when the assignment is written, with the exercise's hint, which says
how to compute it, as a comment.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ._validation import ParameterError, parameter_error

__all__ = ["POINTS", "AssignmentExists", "assignment_notebook", "write_assignments"]

POINTS = {"numeric": 2, "choice": 1, "open": 2}

CONFIG_FILE = "nbgrader_config.py"
CODE_STUB = "# YOUR ANSWER HERE: replace the ... above"

_CONFIG = '''\
# nbgrader configuration written by `mlfail assignments` (edit freely; it is not rewritten).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "mlfail"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
# The learners' copy keeps `answer_NN_M = ...` and this comment, so check(...) below it runs at once.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ExecutePreprocessor.timeout = 300
'''


class AssignmentExists(ParameterError):
    """The nbgrader folder already has one of the assignments to write."""


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _variable(exercise_id: str) -> str:
    return "answer_" + exercise_id.replace(".", "_")


def assignment_notebook(chapter: str) -> Any:
    """The nbgrader source notebook of one chapter's exercises.

    Parameters
    ----------
    chapter : str
        The chapter's two-digit number, e.g. ``"05"``.

    Returns
    -------
    nbformat.NotebookNode
        The notebook, with nbgrader metadata on every cell and the answers between solution markers.

    Raises
    ------
    ParameterError
        If the chapter has no exercises.

    Examples
    --------
    >>> nb = assignment_notebook("00")
    >>> [cell.metadata["nbgrader"].get("points") for cell in nb.cells if cell.metadata["nbgrader"]["grade"]]
    [2, 1, 2]
    >>> "### BEGIN HIDDEN TESTS" in nb.cells[4].source
    True
    """
    import nbformat

    from .exercises import all_exercises

    chapter_id = str(chapter).strip().zfill(2)
    exercises = [e for e in all_exercises().values() if e.chapter == chapter_id]
    if not exercises:
        known = sorted({e.chapter for e in all_exercises().values()})
        raise parameter_error("chapter", f"a chapter with exercises, one of {known}", chapter)
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(
            f"# Chapter {chapter_id}: exercises\n\nAnswer each exercise in the cell below it: replace the "
            "`...` with your answer (computed with the course's functions), run the cell, and read "
            "the check. Open questions are answered in words and graded by your instructor.",
            metadata=_meta(f"ch{chapter_id}-intro", grade=False, solution=False, locked=True)),
        v4.new_code_cell("from mlfail_widgets import *  # noqa: F403\n"
                         "from mlfail_widgets.exercises import check, hint",
                         metadata=_meta(f"ch{chapter_id}-imports", grade=False, solution=False, locked=True)),
    ]
    for exercise in exercises:
        key = exercise.id.replace(".", "-")
        points = POINTS[exercise.kind]
        prompt = f"**{exercise.id}** ({points} point{'s' if points > 1 else ''}) {exercise.prompt}"
        if exercise.kind == "choice":
            prompt += "\n\nOne of: " + ", ".join(f"`{option!r}`" for option in exercise.options) + "."
        if exercise.kind == "open":
            cells.append(v4.new_markdown_cell(prompt + "\n\nWrite your answer in the cell below.",
                                              metadata=_meta(f"q{key}", grade=False, solution=False,
                                                             locked=True)))
            cells.append(v4.new_markdown_cell(
                f"### BEGIN SOLUTION\n{exercise.explanation}\n### END SOLUTION",
                metadata=_meta(f"a{key}", grade=True, solution=True, locked=False, points=points)))
            continue
        cells.append(v4.new_markdown_cell(prompt, metadata=_meta(f"q{key}", grade=False, solution=False,
                                                                 locked=True)))
        name = _variable(exercise.id)
        if exercise.kind == "numeric":
            model = repr(exercise.expected_value())
            how = f"  # {exercise.hint}" if exercise.hint else ""
        else:
            model, how = repr(exercise.answer), ""
        cells.append(v4.new_code_cell(
            f"{name} = ...\n### BEGIN SOLUTION\n{name} = {model}{how}\n### END SOLUTION\n"
            f"check({exercise.id!r}, {name})",
            metadata=_meta(f"a{key}", grade=False, solution=True, locked=False)))
        cells.append(v4.new_code_cell(
            f"assert {name} is not ..., 'Replace the ... in exercise {exercise.id} with your answer.'\n"
            "### BEGIN HIDDEN TESTS\n"
            f"assert check({exercise.id!r}, {name}).correct, 'exercise {exercise.id} is not right yet'\n"
            "### END HIDDEN TESTS",
            metadata=_meta(f"t{key}", grade=True, solution=False, locked=True, points=points)))
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _chapters_with_exercises() -> list[str]:
    from .exercises import all_exercises

    return sorted({exercise.chapter for exercise in all_exercises().values()})


def write_assignments(folder: str | Path, chapters: list[str] | None = None) -> list[Path]:
    """Write each chapter's exercises as an nbgrader source assignment under ``folder``.

    ``folder`` is an nbgrader course folder (made if missing). Each chapter ``NN`` becomes
    ``folder/source/chNN/chNN_exercises.ipynb``; ``folder/nbgrader_config.py`` is written if
    absent. Nothing is written unless every assignment can be: all notebooks are made in a
    temporary folder first and moved into place at the end.

    Parameters
    ----------
    folder : str or Path
        The nbgrader course folder.
    chapters : list of str, optional
        Two-digit chapter numbers; default: every chapter with exercises.

    Returns
    -------
    list of Path
        The notebooks written, in chapter order.

    Raises
    ------
    AssignmentExists
        If ``folder/source/chNN`` already exists for one of the chapters (nothing is written).
    ParameterError
        If a chapter has no exercises, or ``folder`` is a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_assignments(tmp, ["00"])
    ...     [p.relative_to(tmp).as_posix() for p in paths], (pathlib.Path(tmp) / "nbgrader_config.py").is_file()
    (['source/ch00/ch00_exercises.ipynb'], True)
    """
    import nbformat

    root = Path(folder).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise parameter_error("folder", "a folder (an nbgrader course folder), not a file", str(root),
                              fix="Pass a folder path.")
    known = _chapters_with_exercises()
    wanted = [str(c).strip().zfill(2) for c in chapters] if chapters else known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise parameter_error("chapters", f"chapters with exercises, among {known}", unknown,
                              fix="Leave chapters out to write every chapter that has exercises.")
    existing = [root / "source" / f"ch{c}" for c in wanted if (root / "source" / f"ch{c}").exists()]
    if existing:
        raise AssignmentExists(
            f"The nbgrader folder {root} already has the assignment(s) "
            f"{', '.join(p.name for p in existing)} ({', '.join(str(p) for p in existing)}). Nothing was "
            "written. Move or delete those folders first, or choose another course folder.")
    notebooks = {c: assignment_notebook(c) for c in wanted}  # built before anything is written
    root.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=root, prefix=".mlfail-assignments-") as staging:
        for chapter, nb in notebooks.items():
            target = Path(staging) / f"ch{chapter}"
            target.mkdir()
            nbformat.write(nb, target / f"ch{chapter}_exercises.ipynb")
        (root / "source").mkdir(exist_ok=True)
        for chapter in notebooks:
            shutil.move(str(Path(staging) / f"ch{chapter}"), root / "source" / f"ch{chapter}")
            written.append(root / "source" / f"ch{chapter}" / f"ch{chapter}_exercises.ipynb")
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(_CONFIG.format(root=str(root), db=str(root / "gradebook.db"), stub=CODE_STUB))
    return written
