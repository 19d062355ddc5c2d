"""The course's one figure style: a colour-blind-safe palette and readable type.

The palette is Okabe and Ito's eight colours ("Color Universal Design", 2008), which stay
distinguishable under the common colour-vision deficiencies. The style is applied inside a
``matplotlib.rc_context`` while the course draws and renders, so importing the package never
changes a learner's own matplotlib settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


def _rc() -> dict:
    from cycler import cycler

    rc = dict(RC)
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


def label_simulated(ax, text: str = "SIMULATED") -> None:
    """Stamp an axes as showing simulated, not measured, numbers (on the figure itself)."""
    ax.text(
        0.99,
        0.98,
        text,
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=9,
        fontweight="bold",
        color="white",
        bbox={"boxstyle": "round,pad=0.3", "facecolor": SIMULATED, "edgecolor": "none"},
        zorder=10,
    )
