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


def shows_a_full_draw(canvas) -> bool:
    """Whether a layered canvas (plots/_layered.py) shows what a full draw of its figure shows.

    Compares what the last render left in the canvas with a draw of everything from scratch,
    pixel for pixel (the full draw replaces the canvas' picture; the next render redraws it).
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    shown = np.asarray(canvas.buffer_rgba()).copy()
    FigureCanvasAgg.draw(canvas)  # everything, from scratch
    return bool((np.asarray(canvas.buffer_rgba()) == shown).all())
