"""Chapter 01's figure: the golden set under the installed scalekit, and the status board.

Left: each golden song's probability as recorded at release (x) against the probability the
installed pipeline returns (y). On the diagonal nothing changed; in the shaded corners the
decision flipped. Right: what pip resolved, whether the pipeline imported and ran, and what the
golden test and the version guard say.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import style
from ._base import Artists, Drawn, figure_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.text import Text

    from ..failures.dependency import PipelineRun

__all__ = ["DependencyArtists", "draw", "update"]

SYMBOLS = {"ok": "\u2713", "fail": "\u2717", "warn": "!", "skip": "\u2013"}
COLOURS = {"ok": style.GOOD, "fail": style.ALARM, "warn": style.PALETTE["orange"], "skip": style.MUTED}
STEPS = 5


def _wrap(text: str, width: int = 76, lines: int = 2) -> str:
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "\u2026"
    return "\n".join(wrapped)


def _colours(run):
    golden = run.golden
    colours = []
    for flipped, changed in zip(golden.flipped, golden.changed, strict=True):
        colours.append(style.ALARM if flipped else style.PALETTE["orange"] if changed else style.GOOD)
    return colours


@dataclass
class DependencyArtists(Artists):
    """What :func:`update` changes: the golden scatter (left) and the status board (right)."""

    golden: Axes  # the left axes, whose title gives the golden test's verdict
    points: PathCollection  # one dot per golden song: (recorded, served) probability
    empty: Text  # "no predictions: ..." when the pipeline did not run
    markers: PathCollection  # one coloured disc per check
    symbols: list[Text]  # the tick/cross on each disc
    steps: list[Text]  # each check's name and status
    details: list[Text]  # each check's detail line
    title: Text
    subtitle: Text


def draw(run: PipelineRun, ax: Any = None) -> Drawn[DependencyArtists]:
    """Draw a :class:`~mlfail_widgets.failures.dependency.PipelineRun` (``ax``: a pair of axes).

    Examples
    --------
    Drawing needs a real pip run (about a second), so the doctest does not run it;
    ``tests/test_dependency.py`` does.

    >>> from mlfail_widgets.failures.dependency import DependencyLab
    >>> with DependencyLab(seed=0) as lab:  # doctest: +SKIP
    ...     drawn = draw(lab.run("scalekit>=1.0"))
    >>> sorted(drawn.artists)  # doctest: +SKIP
    ['details', 'empty', 'golden', 'markers', 'points', 'steps', 'subtitle', 'symbols', 'title']
    """
    from matplotlib.lines import Line2D

    with style.context():
        fig, (left, right) = figure_for(ax, (11, 4.6), ncols=2, width_ratios=[1, 1.55])
        left.fill_between([0, 0.5], 0.5, 1, color=style.ALARM, alpha=0.07, linewidth=0)
        left.fill_between([0.5, 1], 0, 0.5, color=style.ALARM, alpha=0.07, linewidth=0)
        left.text(0.03, 0.97, "flipped to 'save'", color=style.ALARM, fontsize=9, va="top")
        left.text(0.97, 0.03, "flipped to 'skip'", color=style.ALARM, fontsize=9, ha="right")
        left.plot([0, 1], [0, 1], linestyle="--", color=style.NEUTRAL, linewidth=1.2)
        left.axhline(0.5, color=style.MUTED, linewidth=0.8)
        left.axvline(0.5, color=style.MUTED, linewidth=0.8)
        points = left.scatter([], [], s=22, edgecolors="white", linewidths=0.4, zorder=3)
        empty = left.text(0.5, 0.5, "", ha="center", va="center", fontsize=11, color=style.NEUTRAL,
                          bbox={"facecolor": "white", "edgecolor": style.MUTED, "boxstyle": "round"})
        left.set_xlim(0, 1)
        left.set_ylim(0, 1)
        left.set_aspect("equal")
        left.set_xlabel("P(save) recorded at release (golden)")
        left.set_ylabel("P(save) from the installed pipeline")
        handles = [Line2D([], [], marker="o", linestyle="", color=colour, label=label)
                   for colour, label in [(style.GOOD, "unchanged"),
                                         (style.PALETTE["orange"], "changed, same decision"),
                                         (style.ALARM, "decision flipped")]]
        handles.append(Line2D([], [], linestyle="--", color=style.NEUTRAL, label="no change"))
        left.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 0.07), fontsize=8.5,
                    handletextpad=0.3, frameon=True, framealpha=0.92, edgecolor="none")

        right.set_xlim(0, 1)
        right.set_ylim(-0.7, STEPS - 0.3)
        right.axis("off")
        rows = list(range(STEPS - 1, -1, -1))
        markers = right.scatter([0.05] * STEPS, rows, s=420, c=[style.MUTED] * STEPS, zorder=2)
        symbols = [right.text(0.05, y, "", ha="center", va="center", color="white", fontsize=13,
                              fontweight="bold", zorder=3) for y in rows]
        steps = [right.text(0.12, y + 0.17, "", va="center", fontsize=10.5, fontweight="bold")
                 for y in rows]
        details = [right.text(0.12, y - 0.05, "", va="top", fontsize=9, color=style.NEUTRAL,
                              linespacing=1.15) for y in rows]
        title = fig.suptitle("", fontsize=12.5)
        subtitle = right.text(0.0, STEPS - 0.05, "", fontsize=9.5, color=style.NEUTRAL, va="bottom")
    drawn = Drawn(fig, DependencyArtists(golden=left, points=points, empty=empty, markers=markers, symbols=symbols,
                                         steps=steps, details=details, title=title, subtitle=subtitle))
    update(drawn, run)
    return drawn


def update(drawn: Drawn[DependencyArtists], run: PipelineRun) -> None:
    """Change the figure in place to show ``run``."""
    import numpy as np

    artists = drawn.artists
    left = artists.golden
    if run.golden is not None:
        golden = run.golden
        expected, served = np.asarray(golden.expected, dtype=float), np.asarray(golden.served, dtype=float)
        artists.points.set_offsets(np.column_stack([expected, served]))
        artists.points.set_facecolor(_colours(run))
        artists.empty.set_text("")
        artists.empty.set_visible(False)
        verdict = ("golden test passed: every prediction reproduced" if golden.passed else
                   f"golden test FAILED: {golden.n_flipped} of {len(expected)} decisions flipped")
        left.set_title(verdict, color=style.GOOD if golden.passed else style.ALARM, fontsize=11,
                       fontweight="bold")
    else:
        artists.points.set_offsets(np.empty((0, 2)))
        reason = "pip failed" if not run.install.ok else "the pipeline did not run"
        artists.empty.set_text(f"no predictions:\n{reason}")
        artists.empty.set_visible(True)
        left.set_title("golden test not run", color=style.NEUTRAL, fontsize=11, fontweight="bold")

    checks = run.checks()
    artists.markers.set_facecolor([COLOURS[c.status] for c in checks])
    for check, symbol, step, detail in zip(checks, artists.symbols, artists.steps,
                                           artists.details, strict=True):
        symbol.set_text(SYMBOLS[check.status])
        step.set_text(check.step)
        step.set_color(COLOURS[check.status] if check.status == "fail" else "black")
        detail.set_text(_wrap(check.detail))
    resolved = f"scalekit {run.resolved}" if run.resolved else "nothing installed"
    artists.title.set_text(f"pip install songpipe '{run.requirement}'  \u2192  {resolved}")
    if run.source == "index":
        where = "package index " + ("up" if run.index_up else "DOWN (connection refused)")
    else:
        where = {"vendored": "vendored wheelhouse (--no-index)", "mirror": "mirror"}[run.source]
    how = "cached result of an earlier real pip run" if run.cached else "real pip run"
    artists.subtitle.set_text(f"source: {where}  \u00b7  {how}")
