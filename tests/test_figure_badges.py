"""Badges and text boxes never cover data, in every chapter's figures.

Every drawing function of ``mlfail_widgets.plots`` that stamps a badge
(``style.label_simulated``) or writes a text box (a text with a ``bbox``) is run through its
own seeded doctest example; every text box of the figures it draws is then compared, in
display coordinates, with the bounding boxes of the data (lines, points, bars, filled areas)
of every axes of the figure.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import mlfail_widgets.plots as plots
from mlfail_widgets.plots import Drawn


def _functions_with_boxes():
    found = []
    for module_info in pkgutil.iter_modules(plots.__path__):
        if module_info.name.startswith("_") or module_info.name == "style":
            continue
        module = importlib.import_module(f"mlfail_widgets.plots.{module_info.name}")
        source = inspect.getsource(module)
        if "label_simulated(" not in source and "bbox=" not in source:
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("draw") and function.__module__ == module.__name__ and function.__doc__:
                found.append((module_info.name, name))
    return found


FUNCTIONS = _functions_with_boxes()


def _run_examples(module: str, name: str) -> list:
    plot_module = importlib.import_module(f"mlfail_widgets.plots.{module}")
    function = getattr(plot_module, name)
    tests = doctest.DocTestFinder().find(function, name, globs={})
    namespace: dict = dict(vars(plot_module))  # as doctest runs them: in the module's globals
    for test in tests:
        for example in test.examples:
            exec(compile(example.source, f"<{module}.{name} example>", "exec"), namespace)
    figures = {id(v.figure): v.figure for k, v in namespace.items() if isinstance(v, Drawn) and k not in vars(plot_module)}
    return list(figures.values())


def _covers(box, ax, renderer) -> list[str]:
    """The data artists of ``ax`` that pass through ``box`` (display coordinates), exactly:
    the segments of lines, the points of scatters, the areas of bars and fills. Reference lines
    (``axhline``/``axvline``, drawn in axes coordinates) are not data."""
    from matplotlib.collections import Collection, PathCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    frame = ax.get_window_extent(renderer)
    inside = box.intersection(box, frame)
    if inside is None or inside.width * inside.height < 1.0:
        return []  # the box lies outside this axes: it covers none of its data
    hit = []
    for artist in [*ax.lines, *ax.collections, *ax.patches]:
        if not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            if artist.get_transform() != ax.transData or len(np.atleast_1d(artist.get_xdata())) == 0:
                continue
            path = artist.get_transform().transform_path(artist.get_path())
            if path.intersects_bbox(inside, filled=False):
                hit.append(f"line {artist.get_label()!r}")
        elif isinstance(artist, PathCollection):
            points = artist.get_offset_transform().transform(np.asarray(artist.get_offsets(), float).reshape(-1, 2))
            points = points[np.all(np.isfinite(points), axis=1)]
            if len(points) and np.any((points[:, 0] >= inside.x0) & (points[:, 0] <= inside.x1)
                                      & (points[:, 1] >= inside.y0) & (points[:, 1] <= inside.y1)):
                hit.append(f"points {artist.get_label()!r}")
        elif isinstance(artist, Collection):
            transform = artist.get_transform()
            for path in artist.get_paths():
                if len(path.vertices) and transform.transform_path(path).intersects_bbox(inside, filled=True):
                    hit.append(f"{type(artist).__name__} {artist.get_label()!r}")
                    break
        elif isinstance(artist, Patch):
            extent = artist.get_window_extent(renderer)
            overlap = extent.intersection(extent, inside)
            if overlap is not None and overlap.width * overlap.height >= 1.0 and artist.get_facecolor()[3] > 0:
                hit.append(f"{type(artist).__name__} {artist.get_label()!r}")
    return hit


def _text_boxes(figure, renderer) -> list:
    boxes = []
    for ax in figure.axes:
        for text in ax.texts:
            patch = text.get_bbox_patch()
            if text.get_visible() and text.get_text() and patch is not None:
                boxes.append((text.get_text(), patch.get_window_extent(renderer)))
    return boxes


def test_the_search_finds_the_figures_with_badges_of_every_chapter():
    modules = {module for module, _ in FUNCTIONS}
    assert {"outages", "deployment", "downtime", "hardware", "shift", "feedback", "drill"} <= modules


@pytest.mark.parametrize(("module", "name"), FUNCTIONS, ids=[f"{m}.{n}" for m, n in FUNCTIONS])
def test_no_badge_or_text_box_covers_data(module, name):
    figures = _run_examples(module, name)
    for figure in figures:
        renderer = figure.canvas.get_renderer()
        figure.canvas.draw()
        for label, text_box in _text_boxes(figure, renderer):
            for ax in figure.axes:
                covered = _covers(text_box, ax, renderer)
                assert not covered, f"{module}.{name}: the box {label!r} covers {covered}"
        titles = [t for ax in figure.axes for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
        legends = [ax.get_legend() for ax in figure.axes if ax.get_legend() is not None]
        for label, text_box in _text_boxes(figure, renderer):
            for other in [*titles, *legends]:
                extent = other.get_window_extent(renderer)
                overlap = text_box.intersection(text_box, extent)
                assert overlap is None or overlap.width * overlap.height < 4.0, (
                    f"{module}.{name}: the box {label!r} overlaps {getattr(other, 'get_text', lambda: 'a legend')()!r}")


def test_a_badge_sits_in_the_title_row_outside_the_axes():
    from mlfail_widgets.plots import new_figure, style

    fig, ax = new_figure((4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("A centred title")
    badge = style.label_simulated(ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box, frame = badge.get_bbox_patch().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert box.y0 >= frame.y1 - 0.5  # above the top edge of the axes
    title = ax.title.get_window_extent(renderer) if ax.get_title() else ax._left_title.get_window_extent(renderer)
    assert box.intersection(box, title) is None  # the title moved left, out of the badge's way


def test_the_check_sees_a_box_over_a_line():
    """The check has teeth: the old badge, inside the top right corner, over a rising line."""
    from mlfail_widgets.plots import new_figure, style

    fig, ax = new_figure((4, 3))
    ax.plot([0, 1], [0, 1])
    old = ax.text(0.99, 0.98, "SIMULATED", transform=ax.transAxes, ha="right", va="top",
                  bbox={"facecolor": style.SIMULATED})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert _covers(old.get_bbox_patch().get_window_extent(renderer), ax, renderer)
    badge = style.label_simulated(ax)
    fig.canvas.draw()
    assert not _covers(badge.get_bbox_patch().get_window_extent(renderer), ax, renderer)


def test_a_badge_beside_a_best_placed_legend_draws():
    """A legend at loc="best" measures every artist of its axes, the badge included; the badge
    must not measure that legend back (it recursed without end in chapter 08's timeline)."""
    from mlfail_widgets.plots import new_figure, render_png
    from mlfail_widgets.plots.style import label_simulated

    fig, ax = new_figure((4, 3))
    ax.plot([0, 1, 2], [0, 1, 0], label="metric")
    ax.legend(loc="best")
    ax.set_title("A daily metric")
    badge = label_simulated(ax)
    assert render_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    renderer = fig.canvas.get_renderer()
    assert badge.get_window_extent(renderer).y0 >= ax.title.get_window_extent(renderer).y1 - 1
