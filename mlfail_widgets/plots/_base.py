"""What every figure of the course shares: a styled figure, fast PNG rendering, a display shim.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas, never pyplot
figures, so nothing is shown twice by the inline backend and nothing global is touched.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

from . import style

__all__ = ["Artists", "Drawn", "axes_of", "encode_png", "figure_for", "new_figure", "percent_ticks", "render_png"]


def new_figure(figsize: tuple[float, float] = (8.0, 3.6), *, nrows: int = 1, ncols: int = 1,
               dpi: int = 100, **subplot_kw: Any) -> tuple[Any, Any]:
    """Create a styled figure and its axes (``axes`` is one Axes when nrows = ncols = 1).

    Examples
    --------
    >>> fig, ax = new_figure((4, 3))
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    """
    from matplotlib.figure import Figure

    from ._canvas import SizedCanvasAgg

    with style.context():
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        SizedCanvasAgg(fig)  # an Agg canvas that keeps its text measurements when the size changes
        axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def figure_for(ax: Any, figsize: tuple[float, float], **options: Any) -> tuple[Any, Any]:
    """``(figure, axes)`` for a ``draw(data, ax=None)``: a new styled figure and its axes, or
    the given axes (one, or a sequence) and their figure.

    ``options`` go to :func:`new_figure` (``nrows``, ``ncols``, ``width_ratios``...) when it
    makes the figure.

    Examples
    --------
    >>> fig, (left, right) = figure_for(None, (4, 2), ncols=2)
    >>> figure_for((left, right), (4, 2))[0] is fig, figure_for(left, (4, 2)) == (fig, left)
    (True, True)
    """
    if ax is None:
        return new_figure(figsize, **options)
    first: Any = ax
    while isinstance(first, (list, tuple)) or getattr(first, "ndim", 0) > 0:  # a pair, or an array of axes
        first = first[0]
    return first.figure, ax


def percent_ticks(axis: Any) -> None:
    """Label ``axis`` (an x or y axis of shares in [0, 1]) in percent, with just the decimals its
    ticks need: ticks 2.5% apart print "72.5%", never a rounded "73%" beside "70%" and "75%".

    Examples
    --------
    >>> fig, ax = new_figure((3, 2))
    >>> ax.set_xlim(0.675, 0.77)
    (0.675, 0.77)
    >>> percent_ticks(ax.xaxis)
    >>> ax.xaxis.get_major_formatter().format_ticks([0.675, 0.7, 0.725])
    ['67.5%', '70.0%', '72.5%']
    >>> ax.xaxis.get_major_formatter().format_ticks([0.6, 0.8, 1.0])
    ['60%', '80%', '100%']
    """
    from matplotlib.ticker import Formatter

    class PercentTicks(Formatter):
        decimals = 0

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            percents = [100 * float(v) for v in locs]
            self.decimals = next((d for d in range(4) if all(abs(round(v, d) - v) < 1e-6 for v in percents)), 4)

        def __call__(self, x: float, pos: Any = None) -> str:
            return f"{100 * x:.{self.decimals}f}%"

    axis.set_major_formatter(PercentTicks())


def axes_of(artist: Any) -> Any:
    """The axes an artist was drawn on (for ``update`` functions; an artist without axes is a bug).

    Examples
    --------
    >>> fig, ax = new_figure((2, 2))
    >>> (line,) = ax.plot([0, 1])
    >>> axes_of(line) is ax
    True
    """
    axes = artist.axes
    if axes is None:
        raise ValueError(f"{artist!r} is not on any axes")
    return axes


def render_png(fig: Any, *, freeze_layout: bool = False) -> bytes:
    """Render ``fig`` to PNG bytes the way a notebook frontend receives it.

    Draws on the Agg canvas and encodes with :func:`encode_png`, several times faster than
    ``savefig(bbox_inches="tight")``. With ``freeze_layout=True`` the layout computed by
    this draw is kept for later draws (no constrained-layout pass per frame).

    Examples
    --------
    >>> fig, ax = new_figure((2, 2))
    >>> render_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import numpy as np

    with style.context():
        fig.canvas.draw()
    if freeze_layout and fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    return encode_png(np.asarray(fig.canvas.buffer_rgba())[:, :, :3])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: Any) -> bytes:
    """An 8-bit RGB image (an array of shape (height, width, 3)) as PNG bytes.

    Rows are stored unfiltered and deflated at level 1. A figure's large flat areas compress
    as well that way as with Pillow's per-row filter choice (about 90 kB for a 920 x 690
    dashboard), in half the time; a widget's every frame goes through here.

    Examples
    --------
    >>> import numpy as np
    >>> png = encode_png(np.zeros((2, 3, 3), dtype=np.uint8))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", png[16:24].hex()  # width 3, height 2
    (True, '0000000300000002')
    """
    import numpy as np

    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"encode_png needs a uint8 array of shape (height, width, 3), got "
                         f"{rgb.dtype} {rgb.shape}")
    height, width = rgb.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0, then pixels
    rows[:, 1:].reshape(height, width, 3)[...] = rgb  # a view of the pixel bytes: one copy from the canvas
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + _chunk(b"IEND", b""))


class Artists:
    """The artists a plot module's ``update`` changes in place, declared as dataclass fields.

    A plot module declares its own subclass, one typed field per artist, and ``draw`` returns
    ``Drawn(figure, TheArtists(...))``; ``update`` then reads ``drawn.artists.points``, which a
    type checker and an editor can follow (a misspelt name fails at once, not at the first
    update). Every plot module does so; for code written against the old string-keyed dicts,
    ``artists["points"]`` and ``sorted(artists)`` still work.

    Examples
    --------
    >>> @dataclass
    ... class LineArtists(Artists):
    ...     line: Any
    ...     label: Any
    >>> artists = LineArtists(line="<Line2D>", label="<Text>")
    >>> artists.line, artists["label"], sorted(artists)
    ('<Line2D>', '<Text>', ['label', 'line'])
    """

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def keys(self) -> list[str]:
        """The artists' names, as a dict would give them."""
        return self._names()

    def _names(self) -> list[str]:
        return [f.name for f in fields(self)]  # type: ignore[arg-type]  # subclasses are dataclasses


ArtistsT = TypeVar("ArtistsT")


@dataclass
class Drawn(Generic[ArtistsT]):
    """A figure drawn by one of the ``plots`` modules, and the artists to update in place.

    ``artists`` is the module's :class:`Artists` dataclass (``Drawn[DependencyArtists]``), or
    ``None`` for a static figure that is never updated in place.

    Shown as a PNG when it is the last expression of a notebook cell, so a static figure needs
    no pyplot and appears in exported HTML.
    """

    figure: Any
    artists: ArtistsT = field(default_factory=dict)  # type: ignore[assignment]

    def _repr_png_(self) -> bytes:
        return render_png(self.figure)

    def to_png(self) -> bytes:
        """The figure as PNG bytes."""
        return render_png(self.figure)

    def to_base64(self) -> str:
        """The figure as base64-encoded PNG, as stored in a notebook."""
        return base64.b64encode(self.to_png()).decode("ascii")
