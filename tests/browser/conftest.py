"""Fixtures of the browser tests: one JupyterLab and one headless Chromium for the session.

Without ``/usr/bin/chromium`` (or Playwright) the browser tests are skipped with a message
saying how to install it, EXCEPT under ``CI=true``, where a missing or unlaunchable browser is a
failure: CI must never pass by skipping them. Playwright only drives Debian's chromium; it never
downloads a browser (never run ``playwright install``).

At the end of the session the latencies measured in the page are written to
``build/browser_latency.json``, and with ``MLFAIL_REFRESH_SCREENSHOTS=1`` (``make screenshots``)
the screenshots of the chapters that passed are copied from ``build/screenshots/`` to
``notebooks/screenshots/``, where the README's chapter table shows them.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest

from ..conftest import NOTEBOOKS
from ._lab import LabServer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BUILD = ROOT / "build"
SCREENSHOTS = BUILD / "screenshots"
COMMITTED_SCREENSHOTS = ROOT / "notebooks" / "screenshots"
LATENCY_FILE = BUILD / "browser_latency.json"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container cannot use the sandbox
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 1000}
INSTALL_HINT = ("install Debian's chromium (sudo apt-get install chromium) so that /usr/bin/chromium "
                "exists; Playwright drives it and never downloads a browser")


def in_ci() -> bool:
    """True when the environment says CI=true (browser tests must then run, not skip)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def unavailable(reason: str):
    """Skip the browser tests with ``reason``, or fail them under CI=true."""
    if in_ci():
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}. In CI, {INSTALL_HINT}.",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}; to run them, {INSTALL_HINT}.")


def browser_problem() -> str | None:
    """Why the browser tests cannot run here (None when they can, as far as files go)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} was not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium, launched once for the session."""
    problem = browser_problem()
    if problem:
        unavailable(problem)
    from playwright.sync_api import Error, sync_playwright

    manager = sync_playwright().start()
    try:
        try:
            browser = manager.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"{CHROMIUM} failed to launch: {str(error).strip().splitlines()[0]}")
        yield browser
        browser.close()
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def lab(browser):
    """One JupyterLab for the session, serving a copy of notebooks/ and data/ plus the fixtures."""
    extra = {f"fixtures/{path.name}": path for path in FIXTURES.glob("browser_*.ipynb")}
    with LabServer(ROOT, extra=extra) as server:
        yield server


@pytest.fixture(scope="session")
def browser_context(browser):
    """One browser context (shared HTTP cache: JupyterLab's scripts load once)."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(60_000)
    yield context
    context.close()


@pytest.fixture
def lab_page(browser_context):
    """A fresh page for one test; closed afterwards."""
    page = browser_context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.mlfail_js_errors = page_errors  # uncaught JS errors, quoted in failure messages
    yield page
    page.close()


class Record:
    """What the chapter tests measured, written out at the end of the session."""

    def __init__(self):
        self.latency: dict[str, dict] = {}
        self.screenshots: list[Path] = []
        self.browser_version = "?"

    def machine(self) -> dict:
        def version(name: str) -> str:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                return "?"

        return {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "chromium": f"{CHROMIUM} {self.browser_version}",
            "packages": {name: version(name) for name in ("jupyterlab", "ipywidgets", "jupyterlab_widgets",
                                                          "playwright", "matplotlib")},
        }

    def write(self) -> None:
        if self.latency:
            # A run of some chapters (pytest -k) updates theirs and keeps the others' last figures;
            # each entry carries its own time. Chapters that no longer exist are dropped.
            chapters = {}
            with contextlib.suppress(OSError, ValueError, KeyError):
                chapters = json.loads(LATENCY_FILE.read_text())["chapters"]
            chapters.update(self.latency)
            current = {path.stem for path in NOTEBOOKS}
            BUILD.mkdir(exist_ok=True)
            LATENCY_FILE.write_text(json.dumps({
                "figure": "browser: input event on the main widget's control -> new figure loaded and painted",
                "unit": "ms",
                "machine": self.machine(),
                "chapters": {name: chapters[name] for name in sorted(chapters) if name in current},
            }, indent=2) + "\n")
        if os.environ.get("MLFAIL_REFRESH_SCREENSHOTS") == "1" and self.screenshots:
            COMMITTED_SCREENSHOTS.mkdir(exist_ok=True)
            for path in self.screenshots:
                shutil.copy2(path, COMMITTED_SCREENSHOTS / path.name)


@pytest.fixture(scope="session")
def record(browser):
    """Collects latencies and screenshots; writes build/browser_latency.json at the end."""
    found = Record()
    found.browser_version = browser.version
    yield found
    found.write()
