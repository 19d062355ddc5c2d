"""The slice chart: a metric per slice with its interval, the overall value for reference.

One row per slice, top to bottom in the table's order: a point for the slice's metric and a
whisker for its interval, the overall value as a dashed line in its own interval band, and the
slice sizes in a column on the right. Flagged slices (those that differ from the rest of the
rows, after the table's correction) are drawn in ``style.ALARM``, slices too
small to judge in ``style.MUTED`` with a note. ``update`` changes all of it in place, also when
the number of slices changes.

The chart's own figure (``draw(table)``) is laid out by ``update`` itself, from the measured
sizes of its texts (:func:`_sides`, :func:`_place`): the axes land where matplotlib's
constrained layout would put them, without its two passes over every artist on each new set of
labels. Drawn into given axes, the figure's own layout engine does the work.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..slicing import METRICS
from . import style
from ._base import Artists, Drawn, new_figure, percent_ticks

__all__ = ["AXIS_LABELS", "SliceArtists", "draw", "update"]

#: What the x axis says for each named metric (a callable metric shows its name).
AXIS_LABELS = {
    "accuracy": "accuracy (share of predictions that are right)",
    "precision": "precision (share of predicted positives that are positive)",
    "recall": "recall (share of positives the model finds)",
    "auc": "ROC AUC (0.5 = chance, 1 = perfect ranking)",
    "log_loss": "log loss (nats per prediction; lower is better)",
    "mae": "mean absolute error (units of the target; lower is better)",
    "calibration": "calibration (predicted minus observed rate; 0 = calibrated)",
    "rate": "rate (share of rows where the target is 1)",
}
_WIDTH = 8.0
#: Longest column name shown whole in the title, and in the axis and tick labels (longer ones
#: end in an ellipsis, so a long name can push neither the title nor the labels off the figure).
_TITLE_NAME, _LABEL_NAME = 40, 28


@dataclass
class SliceArtists(Artists):
    """The slice chart's artists, changed in place by :func:`update`."""

    band: Any  # the overall value's interval (an axvspan)
    overall: Any  # the overall value (a dashed vertical line)
    whiskers: Any  # the slices' intervals (a LineCollection)
    points: Any  # the slices' values (a PathCollection)
    sizes: list  # the pool of size labels on the right, grown on demand
    header: Any  # "rows" above the sizes
    legend: Any
    margin: Any  # the transform of the size column (axes x, data y)
    own: bool  # the chart has its own figure (not given axes)
    layout: tuple | None = field(default=None)  # in given axes: what the last layout pass was made for


def _height(rows: int) -> float:
    return float(np.clip(1.75 + 0.34 * rows, 3.0, 10.0))


def _is_share(metric: str) -> bool:
    return METRICS.get(metric) == "proportion"


def _shorten(name: str, limit: int) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "\u2026"


def _points(fig, text: str, size: float, weight: str = "normal") -> float:
    """The width of ``text`` in points, as the figure's renderer will draw it."""
    import matplotlib

    fonts = (tuple(matplotlib.rcParams["font.family"]), tuple(matplotlib.rcParams["font.sans-serif"]))
    return _measured_points(text, size, weight, fig.dpi, fonts)


@functools.lru_cache(maxsize=4096)
def _measured_points(text: str, size: float, weight: str, dpi: float, fonts: tuple) -> float:
    """:func:`_points`, remembered: a chart measures the same labels and words on every move."""
    from matplotlib.font_manager import FontProperties

    width, _, _ = _renderer(dpi).get_text_width_height_descent(
        text, FontProperties(size=size, weight=weight), ismath=False)
    return width * 72 / dpi


@functools.lru_cache(maxsize=4)
def _renderer(dpi: float):
    """A small renderer for measuring text (a text's width does not depend on the canvas size)."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def _room(ax, labels: list[str], sizes: list[str]) -> tuple[float, float]:
    """The points given axes will have across (for the title) and along (for the y label): their
    current size less the labels' room. (The chart's own figure knows: :func:`_sides`.)
    """
    fig = ax.figure
    left = max((_points(fig, text, 10) for text in labels), default=0) + 36
    right = max((_points(fig, text, 9) for text in sizes), default=0) + 24
    box = ax.get_position()
    return (box.width * fig.get_figwidth() * 72 - left - right + 60, box.height * fig.get_figheight() * 72)


def _wrap(fig, text: str, width: float) -> str:
    """``text`` broken at spaces into lines no wider than ``width`` points (bold, 12 pt)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and _points(fig, f"{lines[-1]} {word}", 12, "bold") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


#: Points of padding around the laid-out parts (constrained layout's default ``w_pad``/``h_pad``).
_PAD = 0.04167 * 72
_SIZE = 9  # the font size of the size column


@functools.lru_cache(maxsize=64)
def _line_points(size: float, dpi: float, fonts: tuple) -> float:
    """The height in points of one line of text (matplotlib's: that of "lp", ascender to descender)."""
    from matplotlib.font_manager import FontProperties

    _, height, _ = _renderer(dpi).get_text_width_height_descent("lp", FontProperties(size=size), ismath=False)
    return height * 72 / dpi


def _fonts() -> tuple:
    import matplotlib

    return tuple(matplotlib.rcParams["font.family"]), tuple(matplotlib.rcParams["font.sans-serif"])


def _pin_label(axis: Any, right: float, up: float) -> None:
    """Put an axis label ``right`` and ``up`` points from the axes' left or bottom edge, where
    matplotlib would put it past the tick labels (then a draw skips measuring them again for it)."""
    from matplotlib.transforms import ScaledTranslation

    ax = axis.axes
    x, y = (0.5, 0.0) if axis is ax.xaxis else (0.0, 0.5)
    axis.set_label_coords(x, y, transform=ax.transAxes + ScaledTranslation(right / 72, up / 72,
                                                                           ax.figure.dpi_scale_trans))


def _sides(ax, labels: list[str], flagged: np.ndarray, sizes: list[str], ylabel: bool) -> tuple[float, float]:
    """The points the chart's own figure needs left and right of its axes (its y tick labels
    and y label; its size column), as constrained layout would find them.

    From the widths of the texts alone (measured once each, then remembered): no pass over the
    figure's artists. The size column starts at 2% of the axes' width past its right edge;
    that share is left to :func:`_place`.
    """
    fig = ax.figure
    tick = ax.yaxis.get_major_ticks()[0]
    size = tick.label1.get_fontsize()
    left = max((_points(fig, text, size, "bold" if flag else "normal")
                for text, flag in zip(labels, flagged, strict=True)), default=0.0)
    left += tick.get_pad() + tick.get_tick_padding()
    _pin_label(ax.yaxis, -(left + ax.yaxis.labelpad), 0.0)
    if ylabel:
        renderer = fig.canvas.get_renderer()
        left += ax.yaxis.labelpad + ax.yaxis.label.get_window_extent(renderer).width * 72 / fig.dpi
    right = max([_points(fig, "rows", _SIZE, "bold"), *(_points(fig, text, _SIZE) for text in sizes)])
    # an x tick label at either end of the axis sticks out by half its width
    lo, hi = sorted(ax.get_xlim())
    locs = [v for v in ax.xaxis.get_major_locator()() if lo <= v <= hi]
    size = ax.xaxis.get_major_ticks()[0].label1.get_fontsize()
    half = max((_points(fig, text, size) for text in ax.xaxis.get_major_formatter().format_ticks(locs)),
               default=0.0) / 2
    return max(left, half) + _PAD, right + _PAD


def _place(drawn: Drawn[SliceArtists], left: float, right: float) -> None:
    """Put the axes of the chart's own figure where constrained layout would: ``left`` and
    ``right`` points (from :func:`_sides`) beside it, the title above, the x tick labels, the
    x label and the legend below, each measured from its text."""
    a = drawn.artists
    ax, fig = a.points.axes, drawn.figure
    renderer = fig.canvas.get_renderer()
    scale = 72 / fig.dpi  # points per pixel
    width, height = fig.get_figwidth() * 72, fig.get_figheight() * 72
    tick = ax.xaxis.get_major_ticks()[0]
    label = (tick.get_pad() + tick.get_tick_padding() + _line_points(tick.label1.get_fontsize(), fig.dpi, _fonts())
             + ax.xaxis.labelpad)
    _pin_label(ax.xaxis, 0.0, -label)
    below = label + ax.xaxis.label.get_window_extent(renderer).height * scale
    # the title and the size column's header, above the axes (their offsets from its top)
    box = ax.bbox
    above = max((text.get_window_extent(renderer).y1 - box.y1) * scale for text in (ax.title, a.header))
    bottom = a.legend.get_window_extent(renderer).height * scale + 3 * _PAD + below
    top = max(above, 0.0) + _PAD
    across = max((width - left - right) / 1.02, 1.0)  # the size column starts 2% past the axes
    along = max(height - bottom - top, 1.0)
    ax.set_position([left / width, bottom / height, across / width, along / height])
    ax.set_in_layout(True)  # set_position takes it out; savefig(bbox_inches="tight") needs it in


def _format(value: float, metric: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if _is_share(metric) else f"{value:.3g}"


def draw(table: Any, ax: Any = None) -> Drawn[SliceArtists]:
    """Draw the slice chart of a :func:`mlfail_widgets.slicing.slice_metrics` result.

    Parameters
    ----------
    table : SliceResult
        The result of ``slice_metrics`` (its rows, overall value, metric and settings).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; by default a new figure sized for the number of slices.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mlfail_widgets.slicing import slice_metrics
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"genre": rng.choice(list("abc"), 600), "label": 1,
    ...                      "prediction": rng.integers(0, 2, 600)})
    >>> drawn = draw(slice_metrics(data, "genre"))
    >>> [t.get_text() for t in drawn.figure.axes[0].get_yticklabels()]
    ['a', 'c', 'b']
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    with style.context():
        own = ax is None
        if own:
            fig, ax = new_figure((_WIDTH, _height(len(table))))
            fig.set_layout_engine("none")  # update() lays its own figure out (_place)
        fig = ax.figure
        band = ax.axvspan(0, 1, color=style.NEUTRAL, alpha=0.12, linewidth=0, zorder=1)
        overall = ax.axvline(0, color=style.NEUTRAL, linestyle="--", linewidth=1.3, zorder=2)
        whiskers = LineCollection([], linewidths=2.6, capstyle="round", zorder=3)
        ax.add_collection(whiskers)
        points = ax.scatter([], [], s=52, zorder=4, edgecolors="white", linewidths=0.8)
        margin = blended_transform_factory(ax.transAxes, ax.transData)
        header = ax.text(1.02, 1.0, "rows", transform=ax.transAxes, ha="left", va="bottom",
                         fontsize=_SIZE, color=style.NEUTRAL, fontweight="bold")
        handles = [
            Line2D([], [], color=style.GOOD, marker="o", linewidth=2.6, label="slice and its interval"),
            Line2D([], [], color=style.ALARM, marker="o", linewidth=2.6, label="flagged"),
            Line2D([], [], color=style.MUTED, marker="o", linewidth=0, label="too small to judge"),
            Line2D([], [], color=style.NEUTRAL, linestyle="--", linewidth=1.3, label="overall"),
        ]
        if own:
            legend = fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=9)
        else:
            legend = ax.legend(handles=handles, loc="best", fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        if own:
            # The title's place is fixed (just above the axes, where matplotlib would put it:
            # nothing is drawn above them), so a draw skips measuring the y axis for it.
            ax.set_title("", y=1.0)
    drawn = Drawn(fig, SliceArtists(band=band, overall=overall, whiskers=whiskers, points=points, sizes=[],
                                    header=header, legend=legend, margin=margin, own=own))
    update(drawn, table)
    return drawn


def _size_texts(drawn: Drawn[SliceArtists], count: int) -> list:
    """The pool of size labels, grown on demand; extra ones are hidden, never removed."""
    pool = drawn.artists.sizes
    ax = drawn.artists.points.axes
    while len(pool) < count:
        pool.append(ax.text(1.02, 0, "", transform=drawn.artists.margin, ha="left", va="center",
                            fontsize=_SIZE, color=style.NEUTRAL, clip_on=False))
    for text in pool[count:]:
        text.set_visible(False)
    return pool[:count]


def update(drawn: Drawn[SliceArtists], table: Any) -> None:
    """Show ``table`` on the drawn chart, in place (any number of slices)."""
    from matplotlib.ticker import AutoLocator, MaxNLocator, ScalarFormatter

    a = drawn.artists
    ax = a.points.axes
    metric = str(table.metric)
    overall = float(table.overall)
    band_low, band_high = float(table.overall_low), float(table.overall_high)
    confidence = float(table.confidence)
    correction = table.correction
    table = table.by_slice
    rows = len(table)
    y = np.arange(rows)
    value = table["metric"].to_numpy(dtype=float)
    low, high = table["low"].to_numpy(dtype=float), table["high"].to_numpy(dtype=float)
    status = table["status"].to_numpy()
    flagged = table["flagged"].to_numpy(dtype=bool)
    colours = np.where(flagged, style.ALARM, np.where(status == "ok", style.GOOD, style.MUTED))

    shown = np.isfinite(value)
    a.points.set_offsets(np.column_stack([value[shown], y[shown]]) if shown.any() else np.empty((0, 2)))
    a.points.set_facecolors(colours[shown])
    whisker = np.isfinite(low) & np.isfinite(high)
    a.whiskers.set_segments([[(lo, i), (hi, i)] for lo, hi, i in zip(low[whisker], high[whisker],
                                                                        y[whisker], strict=True)])
    a.whiskers.set_colors(colours[whisker])
    if np.isfinite(overall):
        a.overall.set_xdata([overall, overall])
    a.overall.set_visible(bool(np.isfinite(overall)))
    if np.isfinite(band_low) and np.isfinite(band_high):
        a.band.set_x(band_low)
        a.band.set_width(band_high - band_low)
    a.band.set_visible(bool(np.isfinite(band_low) and np.isfinite(band_high)))

    several = table["by"].nunique() > 1
    labels = [f"{_shorten(str(b), _LABEL_NAME)} = {s}" if several else str(s)
              for b, s in zip(table["by"], table["slice"], strict=True)]
    texts = []
    for text, i, size, note, colour in zip(_size_texts(drawn, rows), y, table["size"], table["note"],
                                           colours, strict=True):
        words = f"{int(size):,}" + (f"  {note}" if note else "")
        text.set_text(words)
        text.set_y(i)
        text.set_color(style.ALARM if colour == style.ALARM else style.NEUTRAL)
        text.set_visible(True)
        texts.append(words)
    ax.set_yticks(y, labels)
    for label, flag in zip(ax.get_yticklabels(), flagged, strict=True):
        label.set_color(style.ALARM if flag else "black")
        label.set_fontweight("bold" if flag else "normal")
    ax.set_ylim(rows - 0.5, -0.5)

    ends = np.concatenate([value, low, high, [overall, band_low, band_high]])
    ends = ends[np.isfinite(ends)]
    lo, hi = (float(ends.min()), float(ends.max())) if ends.size else (0.0, 1.0)
    pad = max((hi - lo) * 0.08, abs(hi) * 0.01, 1e-3)
    ax.set_xlim(lo - pad, hi + pad)
    if _is_share(metric):
        # Ticks on whole steps of 1, 2 or 5 percent (or tenths of them), printed with just the
        # decimals they need: "82%", "82.5%".
        locator = MaxNLocator(nbins="auto", steps=[1, 2, 5, 10])
        ax.xaxis.set_major_locator(locator)
        percent_ticks(ax.xaxis)
    else:
        ax.xaxis.set_major_locator(AutoLocator())
        ax.xaxis.set_major_formatter(ScalarFormatter())

    columns = list(dict.fromkeys(str(b) for b in table["by"]))
    name = AXIS_LABELS.get(metric, metric).split(" (")[0]
    tested = int((status == "ok").sum())
    fig = drawn.figure
    if a.own:
        # The chart's own figure is laid out here, from the sizes of its texts (_sides,
        # _place): its height follows the number of slices, its margins the labels.
        if tuple(fig.get_size_inches()) != (_WIDTH, _height(rows)):
            fig.set_size_inches(_WIDTH, _height(rows))
        along = fig.get_figheight() * 72 - 150
        ylabel = "" if several else _shorten(columns[0], max(8, min(_LABEL_NAME, int(along / 6.4))))
        ax.yaxis.label.set_text(ylabel)
        left, right = _sides(ax, labels, flagged, texts, bool(ylabel))
        across = (fig.get_figwidth() * 72 - left - right) / 1.02  # the axes' width
    else:
        across, along = _room(ax, labels, texts)
        ax.yaxis.label.set_text("" if several else _shorten(columns[0], max(8, min(_LABEL_NAME, int(along / 6.4)))))
    across = max(across, 150)
    longest = max(12, min(_TITLE_NAME, int(across / 8.5)))  # a name is never broken, so it must fit
    title = (f"{name[0].upper()}{name[1:]} by {', '.join(_shorten(c, longest) for c in columns)}: "
             f"{int(flagged.sum())} of {tested} slices flagged")
    title = _wrap(ax.figure, title, across)
    ax.title.set_text(title)
    ax.xaxis.label.set_text(AXIS_LABELS.get(metric, metric))
    how = {"holm": "Holm", "bonferroni": "Bonferroni", "bh": "Benjamini-Hochberg"}.get(correction)
    legend_texts = a.legend.get_texts()
    legend_texts[0].set_text(f"slice and its {confidence:.0%} interval")
    legend_texts[1].set_text("flagged: differs from the rest" + (f" ({how}-corrected)" if how else ""))
    legend_texts[3].set_text(f"overall {_format(overall, metric)} and its interval")
    if a.own:
        _place(drawn, left, right)
        return

    # In given axes, a new set of slices needs new margins (longer labels): ask the figure for
    # one layout pass on the next render; a moved value alone keeps the frozen layout.
    signature = (tuple(labels), tuple(texts), a.legend.get_texts()[1].get_text(), title.count("\n"))
    if a.layout is not None and signature != a.layout:
        fig.set_layout_engine("constrained")
    a.layout = signature
