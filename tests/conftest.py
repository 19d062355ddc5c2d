"""Shared test set-up: paths, and a headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def root() -> Path:
    return ROOT


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last: their JupyterLab and Chromium live for the whole browser
    session, and must not be running while other tests check that no process is left."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
