"""What every figure of the course shares: a styled figure, fast PNG rendering, a display shim.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas, never pyplot
figures, so nothing is shown twice by the inline backend and nothing global is touched.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from . import style

__all__ = ["Drawn", "new_figure", "render_png"]


def new_figure(figsize: tuple[float, float] = (8.0, 3.6), *, nrows: int = 1, ncols: int = 1,
               dpi: int = 100, **subplot_kw: Any):
    """Create a styled figure and its axes (``axes`` is one Axes when nrows = ncols = 1).

    Examples
    --------
    >>> fig, ax = new_figure((4, 3))
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with style.context():
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def render_png(fig, *, freeze_layout: bool = False) -> bytes:
    """Render ``fig`` to PNG bytes the way a notebook frontend receives it.

    Draws on the Agg canvas and encodes with light compression, which is several times faster
    than ``savefig(bbox_inches="tight")``. With ``freeze_layout=True`` the layout computed by
    this draw is kept for later draws (no constrained-layout pass per frame).

    Examples
    --------
    >>> fig, ax = new_figure((2, 2))
    >>> render_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image

    with style.context():
        fig.canvas.draw()
    if freeze_layout and fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    width, height = fig.canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


@dataclass
class Drawn:
    """A figure drawn by one of the ``plots`` modules, and the artists to update in place.

    Shown as a PNG when it is the last expression of a notebook cell, so a static figure needs
    no pyplot and appears in exported HTML.
    """

    figure: Any
    artists: dict = field(default_factory=dict)

    def _repr_png_(self) -> bytes:
        return render_png(self.figure)

    def to_png(self) -> bytes:
        """The figure as PNG bytes."""
        return render_png(self.figure)

    def to_base64(self) -> str:
        """The figure as base64-encoded PNG, as stored in a notebook."""
        return base64.b64encode(self.to_png()).decode("ascii")
