"""Redraw only what changes: a canvas that keeps a picture of a figure's static parts.

Matplotlib's blitting recipe, packaged for figures rendered with :func:`render_png`: the
static parts (axes, ticks, tick labels, titles, legends) are drawn once into a background
picture; a later draw restores it and draws only the artists an ``update`` changes. A figure
whose move changes a few lines and bars then costs a few artists and a PNG encode instead of
every tick label and title again.

This module imports matplotlib; the ``plots`` modules import it inside their ``draw``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg

__all__ = ["LayeredCanvas", "redraw_changing"]


def _has_grid(axis) -> bool:
    """Whether ``axis`` draws grid lines (its only marks inside the axes)."""
    return any(tick.gridline.get_visible() for tick in axis.get_major_ticks())


def _draw_order(axes) -> list:
    """An axes' children in the order ``Axes.draw`` draws them (zorder, then insertion)."""
    children = [child for child in axes.get_children() if child is not axes.patch]
    return sorted(children, key=attrgetter("zorder"))


def _pin_label(axis) -> None:
    """Keep an axis' label where it is (in axes coordinates), so redrawing the axis skips placing it.

    Matplotlib places an axis label from the bounding boxes of its tick labels (and those of
    axes sharing it) on every draw; a changing axis whose tick labels keep their size needs
    that once.
    """
    label = axis.label
    x, y = axis.axes.transAxes.inverted().transform(label.get_transform().transform(label.get_position()))
    axis.set_label_coords(x, y)


class LayeredCanvas(FigureCanvasAgg):
    """An Agg canvas that redraws a figure's changing artists over a cached background.

    Use :func:`redraw_changing` to attach one to a figure. ``background_draws`` counts the
    full draws (for tests and benchmarks).
    """

    def __init__(self, figure: Any, changing: Iterable = (), key: Callable[[], Any] | None = None):
        super().__init__(figure)
        self.changing = list(changing)
        self.key = key
        self.background_draws = 0
        self._background = None
        self._state: tuple | None = None
        self._frame: list = []

    def _current_state(self) -> tuple:
        fig = self.figure
        return (self.key() if self.key else None, tuple(fig.bbox.bounds),
                tuple(tuple(ax.viewLim.bounds) for ax in fig.axes),
                tuple(tuple(ax.get_position().bounds) for ax in fig.axes))

    def _frame_artists(self, renderer) -> list:
        """The changing artists and the static ones above them inside their axes, in draw order."""
        changing = {id(artist) for artist in self.changing}
        frame = []
        for ax in self.figure.axes:
            order = _draw_order(ax)
            first = next((i for i, artist in enumerate(order) if id(artist) in changing), None)
            if first is None:
                continue
            # Static artists drawn after a changing one are redrawn with it where they could be
            # covered: inside the axes, once something changing draws there (data, or an axis'
            # grid lines). Axis objects only under changing data: grid lines of one colour
            # look the same in either order.
            inside, covers, data_changes = ax.bbox, False, False
            for artist in order[first:]:
                if id(artist) in changing:
                    frame.append(artist)
                    is_axis = isinstance(artist, Axis)
                    data_changes = data_changes or not is_axis
                    covers = covers or not is_axis or _has_grid(artist)
                elif not artist.get_visible():
                    continue
                elif isinstance(artist, Axis):
                    if data_changes:
                        frame.append(artist)
                elif covers and artist.get_window_extent(renderer).overlaps(inside):
                    frame.append(artist)  # a legend, a label or a spine the changing artists could cover
        in_axes = {id(artist) for artist in frame}
        frame += sorted((a for a in self.changing if id(a) not in in_axes), key=attrgetter("zorder"))
        return frame

    def _draw_background(self) -> None:
        """A full draw without the frame's artists, kept as the background.

        Which static artists the frame redraws depends on where they are, known after a draw:
        the first background takes two draws, later ones one (two if that changed).
        """
        frame = self._frame or self.changing
        engine = self.figure.get_layout_engine()
        try:
            for _ in range(2):
                for artist in frame:
                    artist.set_animated(True)
                try:
                    super().draw()  # lays the figure out (while it has a layout engine) and draws it
                finally:
                    for artist in frame:
                        artist.set_animated(False)  # a saved figure (savefig) shows everything
                self._frame = self._frame_artists(self.get_renderer())
                if [id(a) for a in self._frame] == [id(a) for a in frame]:
                    break
                frame = self._frame
                if engine is not None:
                    self.figure.set_layout_engine("none")  # laid out once is enough for the second draw
        finally:
            if self.figure.get_layout_engine() is not engine:
                self.figure.set_layout_engine(engine)
        self._frame = frame  # what the background leaves out
        for axis in self.changing:
            if isinstance(axis, Axis):
                _pin_label(axis)
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._state = self._current_state()
        self.background_draws += 1

    def draw(self) -> None:
        """Restore the background (redrawing it first if the static parts changed), then the frame."""
        if self.is_saving() or not self.changing:
            super().draw()
            return
        if self._background is None or self._current_state() != self._state:
            self._draw_background()
        else:
            self.restore_region(self._background)
        renderer = self.get_renderer()
        for artist in self._frame:
            artist.draw(renderer)
        self.figure.stale = False


def redraw_changing(fig: Any, changing: Iterable, key: Callable[[], Any] | None = None) -> LayeredCanvas:
    """Render ``fig`` from now on by redrawing only its ``changing`` artists over a cached picture.

    Everything else is drawn once into a background picture. A later draw restores that picture
    and draws the changing artists, plus the static artists that lie inside the same axes above
    one of them (a legend over a line), in the figure's own order: the same image as a full
    draw, for a fraction of the work. The background is redrawn when ``key()`` (what else an
    update may change: tick labels, a highlighted name) returns something new, or when an axes'
    limits or position or the figure's size change.

    An axis (``ax.xaxis``) may be a changing artist too, when an update sets new tick labels
    of the same size (dates, clock times): it is redrawn with its ticks and grid lines, and its
    label keeps the place the first draw gave it. Changing artists must stay inside their axes
    (clipped) or clear of static artists outside it. Saving the figure (``savefig``) always
    draws everything. Returns the new canvas.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfail_widgets.plots import new_figure, render_png
    >>> fig, ax = new_figure((3, 2))
    >>> (line,) = ax.plot([0, 1], [0, 1])
    >>> legend = ax.legend(["a line"], loc="center")
    >>> canvas = redraw_changing(fig, [line])
    >>> png = render_png(fig, freeze_layout=True)
    >>> line.set_ydata([1, 0])
    >>> png = render_png(fig)
    >>> layered = np.asarray(canvas.buffer_rgba()).copy()
    >>> FigureCanvasAgg.draw(canvas)  # everything, for comparison
    >>> bool((np.asarray(canvas.buffer_rgba()) == layered).all()), canvas.background_draws
    (True, 1)
    """
    return LayeredCanvas(fig, changing, key)
