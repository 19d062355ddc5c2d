"""Chapter 00's figure: the outage study, and how sure its "most" is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import style
from ._base import Artists, Drawn, axes_of, figure_for, percent_ticks

if TYPE_CHECKING:
    from matplotlib.collections import LineCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    from ..failures.overview import OutageShareEstimate

__all__ = ["OutageArtists", "draw", "update"]


@dataclass
class OutageArtists(Artists):
    """What :func:`update` changes: the bars by family (left) and the interval (right)."""

    bars: BarContainer  # not ML-specific, ML-specific
    counts: list[Text]  # the count at the end of each bar
    interval: LineCollection  # the interval for the not-ML share
    estimate: Line2D  # the observed share
    verdict: Text  # the interval in words, and whether "most" holds


def draw(share: OutageShareEstimate, ax: Any = None) -> Drawn[OutageArtists]:
    """Outages by family (left) and the interval for the non-ML share (right).

    ``share`` is an :class:`mlfail_widgets.failures.overview.OutageShareEstimate`. With ``ax`` (a pair
    of axes) the figure is drawn into them.

    Examples
    --------
    >>> from mlfail_widgets.failures.overview import outage_share
    >>> drawn = draw(outage_share())
    >>> sorted(drawn.artists)
    ['bars', 'counts', 'estimate', 'interval', 'verdict']
    """
    with style.context():
        fig, (left, right) = figure_for(ax, (9, 3.2), ncols=2, width_ratios=[1.15, 1])
        bars = left.barh([1, 0], [share.not_ml, share.total - share.not_ml],
                         color=[style.GOOD, style.PALETTE["orange"]], height=0.6)
        left.set_yticks([1, 0], ["not ML-specific\n(software failures)", "ML-specific"])
        left.set_xlabel("outages (count)")
        counts = [left.text(0, 0, "", va="center", ha="left", fontsize=11, fontweight="bold")
                  for _ in range(2)]
        left.grid(axis="y", visible=False)

        right.axvline(0.5, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        right.text(0.5, 1.32, " half of all outages", color=style.NEUTRAL, fontsize=9, va="center")
        interval = right.hlines(1, 0, 1, color=style.GOOD, linewidth=6, alpha=0.6)
        (estimate,) = right.plot([share.share], [1], "o", color=style.GOOD, markersize=10,
                                 markeredgecolor="white", zorder=3)
        right.set_xlim(0, 1)
        right.set_ylim(0.5, 1.5)
        right.set_yticks([])
        right.set_xlabel("share of outages that were not ML-specific")
        percent_ticks(right.xaxis)
        right.set_title("How sure is 'most'?")
        verdict = right.text(0.02, 0.66, "", fontsize=10, va="center",
                             bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        right.grid(axis="y", visible=False)
        drawn = Drawn(fig, OutageArtists(bars=bars, counts=counts, interval=interval, estimate=estimate,
                                         verdict=verdict))
        update(drawn, share)
    return drawn


def update(drawn: Drawn[OutageArtists], share: OutageShareEstimate) -> None:
    """Change the figure in place to show ``share``."""
    artists = drawn.artists
    values = [share.not_ml, share.total - share.not_ml]
    for bar, count, value in zip(artists.bars, artists.counts, values, strict=True):
        bar.set_width(value)
        count.set_position((value, bar.get_y() + bar.get_height() / 2))
        count.set_text(f" {value}")
    left = axes_of(artists.bars[0])
    left.set_xlim(0, max(values) * 1.18)
    left.set_title(f"What broke the pipeline: {share.total} outages"
                   + ("" if share.total == 96 else " (what-if)"))
    artists.interval.set_segments([[(share.low, 1), (share.high, 1)]])
    artists.estimate.set_data([share.share], [1])
    sure = share.majority_is_sure
    colour = style.GOOD if sure else style.ALARM
    artists.interval.set_color(colour)
    artists.estimate.set_color(colour)
    artists.verdict.set_text(
        f"{share.confidence:.0%} interval ({share.method}): {share.low:.0%} to {share.high:.0%}\n"
        + ("entirely above half: 'most' holds" if sure else "reaches below half: 'most' is not sure")
    )
    artists.verdict.set_color(colour)
