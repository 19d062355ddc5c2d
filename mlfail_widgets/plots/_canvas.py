"""An Agg canvas that keeps a renderer for each of the last few figure sizes.

Matplotlib's Agg canvas makes a new renderer whenever the figure's size changes, and its cache
of text measurements (``matplotlib.text._get_text_metrics_with_cache``) is kept per renderer:
a figure that changes size on a move (the slice chart's height follows its number of slices)
measured every tick label, title and legend entry again on each move. This canvas keeps the
renderers of the last :attr:`SizedCanvasAgg.kept` sizes, so going back to a size finds its
renderer and its measurements. Each renderer holds one RGBA buffer of its size (3.2 MB for an
8 x 10 inch figure at 100 dpi); the renderer of a ``savefig`` is not kept.

This module imports matplotlib; :func:`mlfail_widgets.plots.new_figure` imports it inside.
"""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

__all__ = ["SizedCanvasAgg"]


class SizedCanvasAgg(FigureCanvasAgg):
    """:class:`FigureCanvasAgg` with a renderer kept for each of the last ``kept`` sizes.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2))
    >>> canvas = SizedCanvasAgg(fig)
    >>> small = canvas.get_renderer()
    >>> fig.set_size_inches(2, 3)
    >>> canvas.get_renderer() is small
    False
    >>> fig.set_size_inches(2, 2)
    >>> canvas.get_renderer() is small
    True
    """

    kept = 3

    def __init__(self, figure: Any = None) -> None:
        self._renderers: dict[tuple, Any] = {}
        super().__init__(figure)

    def get_renderer(self) -> Any:
        if self.is_saving():  # savefig, often at another dpi: its large renderer is not kept
            return super().get_renderer()
        w, h = self.figure.bbox.size
        key = (w, h, self.figure.dpi)
        renderer = self._renderers.pop(key, None)  # only our own dict: no private matplotlib state read
        if renderer is None:
            renderer = RendererAgg(w, h, self.figure.dpi)
        self._renderers[key] = renderer  # the newest last
        while len(self._renderers) > self.kept:
            self._renderers.pop(next(iter(self._renderers)))
        self.renderer = renderer
        return renderer
