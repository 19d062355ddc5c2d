"""Every chapter's main widget works in a real JupyterLab, in headless Chromium.

For each ``notebooks/NN_*.ipynb`` (found at collection time, so a new chapter is covered with no
new test code): open it, run all cells, wait for the main widget's figure as a loaded image,
operate its ``mlfail-drive`` control as a learner would, and check that the figure and the
summary line change, with no error anywhere on the page before or after. The time from the
input event to the new figure on screen goes to ``build/browser_latency.json``; a screenshot of
the main widget after the interaction to ``build/screenshots/<chapter>.png``.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timezone

import pytest

from mlfail_widgets._data import data_path

from ..conftest import NOTEBOOKS
from ._page import drive, open_notebook, page_errors, run_all, screenshot_main, settle, wait_main_figure
from .conftest import ROOT, SCREENSHOTS, browser_problem, in_ci

pytestmark = pytest.mark.browser


def test_the_browser_is_available():
    """Under CI=true a missing chromium is a failure here, not a silent skip."""
    problem = browser_problem()
    if problem and in_ci():
        pytest.fail(f"CI=true but {problem}: apt-get install chromium", pytrace=False)
    if problem:
        pytest.skip(f"{problem}: apt-get install chromium to run the browser tests")


def test_the_served_copy_reads_the_course_data(lab, monkeypatch):
    """The lab serves a copy; the notebooks there still find data/ (via the checkout or beside the copy)."""
    assert (lab.root / "notebooks").is_dir()
    names = [path.name for path in (ROOT / "data").iterdir() if path.is_file()]
    monkeypatch.chdir(lab.root / "notebooks")
    for name in names:
        assert (lab.root / "data" / name).is_file()
        assert data_path(name).read_bytes() == (lab.root / "data" / name).read_bytes()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_main_widget_responds_in_jupyterlab(notebook, lab, lab_page, record):
    page = lab_page
    chapter = notebook.stem
    start = time.perf_counter()
    with open_notebook(lab, page, f"notebooks/{notebook.name}") as opened, _diagnosed(chapter, lab, page):
        run_all(opened)
        wait_main_figure(page)
        errors = page_errors(page)
        assert not errors, f"{chapter}: errors on the page after running all cells: {errors}"

        moved = drive(page)
        settle(page)  # whatever the callback sent last is on the page
        errors = page_errors(page)
        assert not errors, f"{chapter}: errors on the page after {moved.action}: {errors}"

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"{chapter}.png"
        screenshot_main(page, shot)
        record.screenshots.append(shot)
        record.latency[chapter] = {
            "action": moved.action,
            "control": moved.control,
            "ms": round(moved.ms, 1),
            "image_loaded_ms": round(moved.load_ms, 1),
            "summary": [moved.summary_before, moved.summary_after],
            "page_s": round(opened.timings["page_s"], 2),
            "kernel_s": round(opened.timings["kernel_s"], 2),
            "run_all_s": round(opened.timings["run_s"], 2),
            "test_s": round(time.perf_counter() - start, 2),
            "measured": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }


@contextlib.contextmanager
def _diagnosed(chapter: str, lab, page):
    """On failure: a full-page screenshot in build/screenshots/failed/, JS errors, the server log."""
    try:
        yield
    except BaseException:
        failed = SCREENSHOTS / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(failed / f"{chapter}.png"), full_page=True)
        if page.mlfail_js_errors:
            print(f"uncaught JavaScript errors on the page: {page.mlfail_js_errors}")
        print(f"server log (tail):\n{lab.log_tail()}")
        raise
