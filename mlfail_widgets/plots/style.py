"""The course's one figure style: a colour-blind-safe palette and readable type.

The palette is Okabe and Ito's eight colours ("Color Universal Design", 2008), which stay
distinguishable under the common colour-vision deficiencies. The style is applied inside a
``matplotlib.rc_context`` while the course draws and renders, so importing the package never
changes a learner's own matplotlib settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "ALARM",
    "GOOD",
    "MUTED",
    "NEUTRAL",
    "PALETTE",
    "RC",
    "SIMULATED",
    "context",
    "label_simulated",
]

#: Okabe-Ito, in the order the course uses them.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Colours with a meaning, used the same way in every chapter.
GOOD = PALETTE["blue"]  # the system working / the model we trust
ALARM = PALETTE["vermillion"]  # a failure, a flagged slice, an alarm
NEUTRAL = "#4D4D4D"  # reference lines (overall value, thresholds)
MUTED = "#BBBBBB"  # context: slices too small to judge, history
SIMULATED = PALETTE["purple"]  # anything simulated rather than measured

RC = {
    "axes.prop_cycle": None,  # filled in below
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "lines.linewidth": 2.0,
    "font.size": 10.5,
}


def _rc() -> dict[str, Any]:
    from cycler import cycler

    rc: dict[str, Any] = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE.values())[:7])
    return rc


@contextlib.contextmanager
def context() -> Iterator[None]:
    """Apply the course style for the duration of a ``with`` block.

    Examples
    --------
    >>> import matplotlib
    >>> with context():
    ...     matplotlib.rcParams["axes.spines.top"]
    False
    """
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


def label_simulated(ax: Any, text: str = "SIMULATED", colour: str = SIMULATED) -> Any:
    """Stamp an axes as showing simulated, not measured, numbers (on the figure itself).

    The badge sits outside the axes, right-aligned above them: in the title row when the axes
    has no title, else just above its title (and a legend placed in the title row). So it never
    covers the data, whatever the data does, nor the title. ``colour`` stamps other kinds ("MEASURED") the same way.

    Examples
    --------
    >>> from mlfail_widgets.plots import new_figure
    >>> fig, ax = new_figure((4, 3))
    >>> badge = label_simulated(ax)
    >>> badge.get_text(), badge.xy
    ('SIMULATED', (1.0, 1.0))
    """
    def top_of_title_row(renderer):
        # Read at draw time: titles set or changed after the stamp count too.
        boxes = [t.get_window_extent(renderer) for t in (ax.title, ax._left_title, ax._right_title)
                 if t.get_visible() and t.get_text()]
        legend = ax.get_legend()
        # A legend in the title row (the drill's panels) is placed at a fixed spot. A legend at
        # loc="best" (code 0) sits inside the axes and, to find its place, measures every artist
        # there, this badge included: reading it here would recurse without end.
        if legend is not None and getattr(legend, "_loc", 0) != 0:
            boxes.append(legend.get_window_extent(renderer))
        return max([ax.get_window_extent(renderer), *boxes], key=lambda box: box.y1)

    return ax.annotate(
        text,
        xy=(1.0, 1.0),
        xycoords=("axes fraction", top_of_title_row),
        xytext=(0, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8.5,
        fontweight="bold",
        color="white",
        bbox={"boxstyle": "round,pad=0.25", "facecolor": colour, "edgecolor": "none"},
        zorder=10,
        annotation_clip=False,
    )
