"""The traps a naive browser test misses: each check of test_chapters.py is shown to fail.

(a) A missing widget frontend renders the widget as plain text, or (for a Panel) as its static
    PNG fallback, with no error message anywhere. A second JupyterLab (about 2 s to start)
    whose page config disables the ipywidgets lab extension (``@jupyter-widgets/jupyterlab-manager``),
    as ``jupyter labextension disable`` does, shows such a page. The positive wait for the main
    figure must then fail, while the naive checks (no error text, an image on the page) pass.
(b) An exception inside a widget callback lands in an Output widget (or a panel's error line)
    and every cell still succeeds: the error check must see it in the page after the move.
"""

from __future__ import annotations

import contextlib

import pytest

from ._lab import LabServer
from ._page import WidgetCheckError, drive, open_notebook, page_errors, run_all, wait_main_figure
from .conftest import FIXTURES, ROOT, unavailable

pytestmark = pytest.mark.browser

WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


@pytest.fixture(scope="module")
def lab_without_widgets(browser):
    """A second, short-lived JupyterLab whose page config disables the ipywidgets frontend."""
    extra = {f"fixtures/{name}": FIXTURES / name for name in ("browser_panel.ipynb", "browser_output_error.ipynb")}
    with LabServer(ROOT, extra, disabled_extensions=[WIDGETS_EXTENSION]) as server:
        yield server


@contextlib.contextmanager
def _ran(lab, page, name: str):
    """The fixture notebook ``name`` open in ``page``, all cells run; its kernel stopped on exit."""
    with open_notebook(lab, page, f"fixtures/{name}") as opened:
        run_all(opened)
        yield opened


def test_a_panel_works_with_the_widget_frontend(lab, lab_page):
    """The control for (a): the same fixture passes every check when the frontend is there."""
    with _ran(lab, lab_page, "browser_panel.ipynb"):
        wait_main_figure(lab_page)
        assert drive(lab_page).control == "slider"
        assert not page_errors(lab_page)


@pytest.mark.parametrize("name, fallback", [
    ("browser_panel.ipynb", ".jp-OutputArea-output img"),
    ("browser_output_error.ipynb", ".jp-OutputArea-output:has-text('VBox(children=')"),
], ids=["panel-static-png", "plain-text"])
def test_a_missing_widget_frontend_is_caught(lab_without_widgets, lab_page, name, fallback):
    """(a) Without the frontend nothing says "error", but the positive wait fails.

    A Panel then shows its static PNG (a naive "is there an image?" check passes); a plain
    ipywidgets box shows its text repr, ``VBox(children=(...``.
    """
    page = lab_page
    with _ran(lab_without_widgets, page, name):
        # What a naive test would check passes: the cell shows something, and no error.
        page.wait_for_selector(fallback, timeout=30_000)
        assert not page_errors(page)
        assert page.locator(".jupyter-widgets").count() == 0
        # The positive wait catches it. Everything has rendered already: a few seconds suffice.
        with pytest.raises(WidgetCheckError) as caught:
            wait_main_figure(page, timeout=5)
        assert caught.value.kind == "missing-widget"


@pytest.mark.parametrize("name, expected", [
    ("browser_output_error.ipynb", "ValueError: deliberate failure in the callback"),
    ("browser_panel_error.ipynb", "deliberate failure above 500 outages"),
], ids=["output-widget", "panel-error-line"])
def test_an_error_in_a_widget_callback_is_caught(lab, lab_page, name, expected):
    """(b) All cells succeed and the figure is there; moving the slider makes the callback raise."""
    with _ran(lab, lab_page, name):
        wait_main_figure(lab_page)
        assert not page_errors(lab_page), "the fixture must look healthy before the move"
        with pytest.raises(WidgetCheckError) as caught:
            drive(lab_page)
        assert caught.value.kind == "errors"
        assert expected in str(caught.value)


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_missing_browser_skips_locally_and_fails_in_ci(monkeypatch, ci):
    """The skip logic itself (runs without a browser): CI=true turns the skip into a failure."""
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected) as caught:
        unavailable("/usr/bin/chromium was not found")
    assert "apt-get install chromium" in str(caught.value)
