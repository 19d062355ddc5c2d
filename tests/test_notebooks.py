"""Every chapter executes headless from a clean kernel, with no error anywhere, and "Run all"
shows no answer.

"Anywhere" includes the widget state: an exception inside a widget callback is saved there,
not in the cell outputs, so nbclient alone would pass it. The same executed notebook (run once)
is scanned for what must wait for the learner's own act: any model answer, solution or
explanation of the exercise registry, any drill's reveal or decisive finding, and (in printed
output) the failure's own log lines of any drill a learner is given.
"""

from __future__ import annotations

import html
import json
import re

import nbformat
import pytest

from mlfail_widgets.exercises import all_exercises
from mlfail_widgets.runner import WIDGET_STATE, run_notebook, widget_errors

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
    shown, printed = shown_text(run.notebook)
    leaks = [f"{what}: {needle[:70]!r}" for what, needle in secrets(path.stem[:2]) if needle in shown]
    leaks += [f"printed log line of a learner's drill: {line!r}" for line in printed_secrets(path.stem[:2])
              if line in printed]
    assert not leaks, f"{path.name} shows, before the learner asks: " + "; ".join(leaks)


# ------------------------------------------------------------------ what must wait for the learner
def _plain(text: str) -> str:
    """Markup removed and entities decoded, whitespace collapsed: the words a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def shown_text(notebook) -> tuple[str, str]:
    """(everything the executed notebook shows, what it printed): outputs of every kind and the
    saved widget state (a widget's value is what its view shows)."""
    shown, printed = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                printed.append(output.get("text", ""))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    shown.append(value if isinstance(value, str) else json.dumps(value))
                if mime == "text/plain":
                    printed.append(value)
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown.append(json.dumps(state))
    return _plain("\n".join(shown + printed).replace("\\n", " ")), "\n".join(printed)


def _needles(text: str) -> list[str]:
    """Distinctive pieces of a secret text: its sentences of 40 characters or more."""
    sentences = [" ".join(part.split()) for part in re.split(r"(?<=[.:;])\s+", text)]
    return [sentence[:80] for sentence in sentences if len(sentence) >= 40]


def _chapter_drills(chapter: str) -> list:
    """The drills a learner of this chapter is given (not the demonstration drill)."""
    if chapter != "07":
        return []
    from mlfail_widgets.exercises.ch07 import SECOND, WALKTHROUGH
    from mlfail_widgets.failures.drill import IncidentDrill

    return [IncidentDrill(WALKTHROUGH, red_herring=True), IncidentDrill(SECOND, red_herring=True),
            IncidentDrill.for_learner(7, workshop_seed=2026, level=2),
            IncidentDrill.for_learner("Ada", workshop_seed=2026, level=2)]


def secrets(chapter: str) -> list[tuple[str, str]]:
    found = []
    for exercise in all_exercises().values():
        if exercise.chapter == chapter:
            found += [(f"exercise {exercise.id}'s answer", n) for n in _needles(exercise.explanation)]
    for drill in _chapter_drills(chapter):
        revealed = drill.reveal()
        for part in (revealed.what_happened, revealed.how_detected, revealed.fix, revealed.red_herring or ""):
            found += [(f"{drill.title}'s reveal", n) for n in _needles(part)]
    return found


def printed_secrets(chapter: str) -> list[str]:
    """The failure's own log lines of every drill a learner is given (not generic lines)."""
    lines = []
    for drill in _chapter_drills(chapter):
        lines += [line for line in drill._failure_lines()
                  if not line.startswith("last message repeated") and not line.endswith("/health ok")]
    return lines


def test_the_scan_finds_a_model_answer_and_a_printed_decisive_line():
    """The scan has teeth: a notebook that prints a model answer or drill 39's warnings fails it."""
    from mlfail_widgets.exercises.ch07 import WALKTHROUGH
    from mlfail_widgets.failures.drill import IncidentDrill

    answer = all_exercises()["07.3"].explanation
    leaked = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": answer}, execution_count=1),
        nbformat.v4.new_output("stream", name="stdout", text=IncidentDrill(
            WALKTHROUGH, red_herring=True).evidence.log_text(level="WARN"))])])
    shown, printed = shown_text(leaked)
    assert any(needle in shown for _, needle in secrets("07"))
    assert any(line in printed for line in printed_secrets("07"))


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
