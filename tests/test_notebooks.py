"""Every chapter executes headless from a clean kernel, with no error anywhere.

"Anywhere" includes the widget state: an exception inside a widget callback is saved there,
not in the cell outputs, so nbclient alone would pass it.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from mlfail_widgets.runner import run_notebook, widget_errors

from .conftest import NOTEBOOKS, ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def test_the_course_has_its_chapters():
    names = [path.stem for path in NOTEBOOKS]
    assert names and names[0] == "00_why_ml_systems_fail"
    assert names == sorted(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(path):
    run = run_notebook(path, timeout=180)
    assert run.ok, run.describe()
    assert not widget_errors(run.notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    notebook = json.loads(path.read_text())
    dirty = [index for index, cell in enumerate(notebook["cells"], start=1)
             if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name} carries saved widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_states_goals_and_ends_with_exercises(path):
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "Learning goals" in notebook.cells[0].source, "the first cell states the learning goals"
    assert "## Exercises" in text
    assert 'check("' in text, "exercises are checked by mlfail_widgets.exercises"


def test_an_error_inside_a_widget_callback_is_caught():
    """The trap: the callback's exception lands in an Output widget and nbclient passes."""
    run = run_notebook(FIXTURES / "widget_callback_error.ipynb", timeout=60)
    assert not run.ok
    assert "ZeroDivisionError" in run.error


def test_a_panel_error_is_caught():
    run = run_notebook(FIXTURES / "panel_error.ipynb", timeout=60)
    assert not run.ok
    assert "This setting failed" in run.error
