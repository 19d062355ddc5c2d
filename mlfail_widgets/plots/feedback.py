"""Chapter 06's figures: a feedback loop's concentration, ranking quality and slices.

* :func:`draw` / :func:`update`: the dashboard of one run (a
  :class:`~mlfail_widgets.failures.feedback.LoopReport`): Gini over rounds, the Lorenz curve of
  plays, the ranking quality over rounds, and the slice chart of the log.
* :func:`draw_policies`: several runs side by side (concentration, Lorenz curves, ranking).
* :func:`draw_slice_comparison`: the slice charts of two runs side by side.
* :func:`draw_tradeoff`: what exploration buys and costs, over epsilon.
* :func:`draw_position_bias`: estimated against true song quality, coloured by the slot songs
  were shown in, and which estimators keep their ranking whatever slot is assumed.
* :func:`draw_examination_fit`: the examination curve recovered (EM fit, randomised slice) and
  six estimators compared on calibration at slot 1 and on ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import slices as slice_plot
from . import style
from ._base import Artists, Drawn, new_figure, percent_ticks

__all__ = ["ExaminationFitArtists", "FeedbackArtists", "PolicyArtists", "PositionBiasArtists",
           "SliceComparisonArtists", "TradeoffArtists", "draw", "draw_examination_fit", "draw_policies",
           "draw_position_bias", "draw_slice_comparison", "draw_tradeoff", "update"]

_POLICY_NAMES = {"random": "random", "popularity": "popularity", "ctr": "play rate (CTR)",
                 "personalised": "personalised", "position_feature": "position feature",
                 "ipw": "IPW"}


_SLICE_LEGEND = ("slice, 95% interval", "differs from the rest (Holm)", "too small to judge", "whole log")


@dataclass
class FeedbackArtists(Artists):
    """The dashboard's artists, changed in place by :func:`update`."""

    exposure: Any
    plays: Any
    lorenz: Any
    lorenz_text: Any
    tau: Any
    ndcg: Any
    slices: Drawn[slice_plot.SliceArtists]


@dataclass
class PolicyArtists(Artists):
    """One line per run in each panel of :func:`draw_policies`."""

    gini: list
    lorenz: list
    tau: list


@dataclass
class TradeoffArtists(Artists):
    """The lines of :func:`draw_tradeoff`."""

    tau: Any
    gini: Any
    new: Any
    cost: Any
    plays: Any


@dataclass
class PositionBiasArtists(Artists):
    """The scatter and the two bar groups of :func:`draw_position_bias`."""

    points: list
    bars: list


@dataclass
class ExaminationFitArtists(Artists):
    """The curves and the bar groups of :func:`draw_examination_fit`."""

    curves: Any
    calibration: list
    tau: list


@dataclass
class SliceComparisonArtists(Artists):
    """One slice chart per run in :func:`draw_slice_comparison`."""

    charts: list


def _policy_label(name: str) -> str:
    base, _, debias = name.partition("+")
    text = _POLICY_NAMES.get(base, base)
    return f"{text} + {_POLICY_NAMES.get(debias, debias)}" if debias else text


def draw(report: Any, ax: Any = None) -> Drawn[FeedbackArtists]:
    """The dashboard of one run: ``report`` is a
    :class:`~mlfail_widgets.failures.feedback.LoopReport`; ``ax`` three axes (rounds, Lorenz
    curve, slices).

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import loop_report
    >>> drawn = draw(loop_report(rounds=8, n_users=200, n_songs=100))
    >>> sorted(drawn.artists)[:4]
    ['exposure', 'lorenz', 'lorenz_text', 'ndcg']
    """
    from matplotlib.ticker import MaxNLocator

    own_figure = ax is None
    with style.context():
        if own_figure:
            fig, first = new_figure((9.2, 6.9))
            first.remove()
            rows = fig.add_gridspec(2, 1, height_ratios=[1.1, 1])
            top = rows[0].subgridspec(1, 2, width_ratios=[1.2, 1])
            ax = [fig.add_subplot(top[0]), fig.add_subplot(top[1]), fig.add_subplot(rows[1])]
        rounds_ax, lorenz_ax, slice_ax = ax
        fig = rounds_ax.get_figure(root=True)
        (exposure,) = rounds_ax.plot([], [], color=style.ALARM, label="Gini, impressions")
        (plays,) = rounds_ax.plot([], [], color=style.PALETTE["orange"], linestyle="--",
                                  label="Gini, plays")
        (tau,) = rounds_ax.plot([], [], color=style.GOOD, label="Kendall tau")
        (ndcg,) = rounds_ax.plot([], [], color=style.PALETTE["sky"], linestyle=":",
                                 label="NDCG@k")
        rounds_ax.axhline(0, color=style.MUTED, linewidth=1)
        rounds_ax.set_ylim(-0.15, 1.02)
        rounds_ax.set(title="Concentration and learning, round by round", xlabel="round",
                      ylabel="Gini (red), ranking vs truth (blue)")
        rounds_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8.5, ncols=2)
        rounds_ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        rounds_ax.set_yticks([0, 0.5, 1])
        style.label_simulated(rounds_ax)

        lorenz_ax.plot([0, 1], [0, 1], color=style.NEUTRAL, linestyle="--", linewidth=1.2)
        lorenz_ax.text(0.52, 0.60, "every song\nplayed equally", color=style.NEUTRAL, fontsize=9,
                       ha="right", va="bottom", rotation=0)
        (lorenz,) = lorenz_ax.plot([], [], color=style.ALARM)
        lorenz_ax.set(xlim=(0, 1), ylim=(0, 1),
                      title="Lorenz curve: share of plays (up)\nby share of songs, least played first")
        for axis in (lorenz_ax.xaxis, lorenz_ax.yaxis):
            axis.set_major_locator(MaxNLocator(2))
            percent_ticks(axis)
        lorenz_text = lorenz_ax.text(0.04, 0.96, "", ha="left", va="top", fontsize=9.5,
                                     bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})

        slices = slice_plot.draw(report.slices, ax=slice_ax)
        legend = slices.artists.legend  # to the right, out of the way of the slices
        legend.remove()
        slices.artists.legend = slice_ax.legend(
            handles=legend.legend_handles, labels=[t.get_text() for t in legend.get_texts()],
            loc="center left", bbox_to_anchor=(1.13, 0.5), fontsize=8.5)
        slice_ax.xaxis.set_major_locator(MaxNLocator(4))
    drawn = Drawn(fig, FeedbackArtists(exposure=exposure, plays=plays, lorenz=lorenz, lorenz_text=lorenz_text,
                                       tau=tau, ndcg=ndcg, slices=slices))
    update(drawn, report)
    if own_figure:  # a move redraws the curves, the slices and their names (red when flagged)
        from ._layered import redraw_changing

        marks = slices.artists
        redraw_changing(fig, [exposure, plays, tau, ndcg, lorenz, lorenz_text, marks.band,
                              marks.overall, marks.whiskers, marks.points, slice_ax.title,
                              slice_ax.yaxis])
    return drawn


#: Half-widths of the calibration axis: few, so that most moves keep its scale (and the cached
#: background). At the dashboard's defaults every gap and interval fits in the first.
_GAP_REACH = (0.2, 0.5, 1.0)


def _gap_reach(table: Any) -> float:
    """The smallest half-width from :data:`_GAP_REACH` that shows every value and interval
    (``table`` is a :class:`~mlfail_widgets.slicing.SliceResult`)."""
    values = table.by_slice[["metric", "low", "high"]].to_numpy(dtype=float).ravel()
    values = np.append(values, [table.overall_low, table.overall_high])
    values = np.abs(values[np.isfinite(values)])
    need = float(values.max()) * 1.08 if values.size else 0.0
    return next((reach for reach in _GAP_REACH if reach >= need), need)


def update(drawn: Drawn[FeedbackArtists], report: Any) -> None:
    """Show another run on the dashboard, in place."""
    a = drawn.artists
    history = report.history
    rounds = np.arange(history.rounds)
    for line, values in ((a.exposure, history.exposure_gini), (a.plays, history.play_gini),
                         (a.tau, history.kendall_tau), (a.ndcg, history.ndcg)):
        line.set_data(rounds, values)
    a.tau.axes.set_xlim(0, max(history.rounds - 1, 1))
    a.lorenz.set_data(*history.lorenz("plays"))
    settings = history.settings
    a.lorenz_text.set_text(
        f"{_policy_label(report.policy)}, epsilon {settings['epsilon']:.2f}: Gini "
        f"{history.final('play_gini'):.2f}\ntop 1% of songs: {history.final('top_share'):.0%} of plays")
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    frozen = not isinstance(drawn.figure.get_layout_engine(), ConstrainedLayoutEngine)
    slice_plot.update(a.slices, report.slices)
    table = report.slices
    slice_ax = a.slices.artists.points.axes
    slice_ax.title.set_text(f"Calibration by slice of the log: {int(table['flagged'].sum())} of "
                            f"{int((table['status'] == 'ok').sum())} flagged")
    slice_ax.xaxis.label.set_text("predicted minus observed play rate")
    if table.metric == "calibration":  # centred on 0, well calibrated
        reach = _gap_reach(table)
        slice_ax.set_xlim(-reach, reach)
    for text, short in zip(a.slices.artists.legend.get_texts(), _SLICE_LEGEND, strict=True):
        text.set_text(short)  # few, short texts: each one costs about 2 ms on every move
    for text in [a.slices.artists.header, *a.slices.artists.sizes]:
        text.set_visible(False)  # slice sizes: in the notebook's slice charts
    if frozen:  # the slices are always the same five, so the layout of the first draw holds
        drawn.figure.set_layout_engine("none")


def draw_policies(histories: dict, ax: Any = None) -> Drawn[PolicyArtists]:
    """Several runs compared: exposure Gini over rounds, Lorenz curves of plays, Kendall tau.

    ``histories`` maps a label to a :class:`~mlfail_widgets.failures.feedback.LoopHistory`.

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop
    >>> runs = {p: simulate_feedback_loop(p, n_users=200, n_songs=100, rounds=8) for p in ["random", "popularity"]}
    >>> len(draw_policies(runs).artists.gini)
    2
    """
    colours = [style.NEUTRAL, style.ALARM, style.PALETTE["orange"], style.GOOD,
               style.PALETTE["green"], style.PALETTE["purple"], style.PALETTE["sky"]]
    with style.context():
        if ax is None:
            fig, ax = new_figure((12, 3.9), ncols=3)
        fig = ax[0].figure
        gini_ax, lorenz_ax, tau_ax = ax
        lines: dict[str, list] = {"gini": [], "lorenz": [], "tau": []}
        lorenz_ax.plot([0, 1], [0, 1], color=style.MUTED, linestyle="--", linewidth=1.2)
        for (label, history), colour in zip(histories.items(), colours, strict=False):
            rounds = np.arange(history.rounds)
            lines["gini"] += gini_ax.plot(rounds, history.exposure_gini, color=colour, label=label)
            lines["lorenz"] += lorenz_ax.plot(*history.lorenz("plays"), color=colour, label=label)
            lines["tau"] += tau_ax.plot(rounds, history.kendall_tau, color=colour, label=label)
        gini_ax.set_ylim(0, 1.02)
        gini_ax.set(title="Exposure concentrates", xlabel="round", ylabel="Gini of impressions")
        lorenz_ax.set(title="Who gets the plays", xlabel="share of songs, least played first",
                      ylabel="share of all plays", xlim=(0, 1), ylim=(0, 1))
        percent_ticks(lorenz_ax.xaxis)
        percent_ticks(lorenz_ax.yaxis)
        tau_ax.axhline(0, color=style.MUTED, linewidth=1)
        tau_ax.set_ylim(-0.2, 1.02)
        tau_ax.set(title="Learning the true ranking", xlabel="round",
                   ylabel="Kendall tau vs true quality")
        gini_ax.legend(loc="lower right", fontsize=9)
        style.label_simulated(tau_ax)
    return Drawn(fig, PolicyArtists(**lines))


def draw_tradeoff(table: Any, ax: Any = None) -> Drawn[TradeoffArtists]:
    """What exploration buys (left) and costs (right), over epsilon.

    ``table`` is :func:`~mlfail_widgets.failures.feedback.exploration_tradeoff`'s result.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"kendall_tau": [0.3, 0.6], "exposure_gini": [0.95, 0.7],
    ...                       "new_song_success": [0.0, 0.8], "exploration_cost": [0.0, 0.3],
    ...                       "plays_per_user": [1.6, 1.4]}, index=pd.Index([0.0, 0.3], name="epsilon"))
    >>> sorted(draw_tradeoff(table).artists)
    ['cost', 'gini', 'new', 'plays', 'tau']
    """
    eps = table.index.to_numpy(dtype=float)
    with style.context():
        if ax is None:
            fig, ax = new_figure((11, 4.3), ncols=2)
        fig = ax[0].figure
        buys, costs = ax
        (tau,) = buys.plot(eps, table["kendall_tau"], "o-", color=style.GOOD,
                           label="Kendall tau vs true quality")
        (gini,) = buys.plot(eps, table["exposure_gini"], "s--", color=style.ALARM,
                            label="Gini of impressions (end)")
        (new,) = buys.plot(eps, table["new_song_success"], "^:", color=style.PALETTE["green"],
                           label="new songs played in their first rounds")
        buys.set_ylim(-0.02, 1.02)
        buys.set(title="What exploration buys", xlabel="epsilon (share of slots shown at random)",
                 ylabel="value at the end of the run")
        buys.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        (cost,) = costs.plot(eps, table["exploration_cost"], "o-", color=style.ALARM,
                             label="plays given up in explored slots")
        (plays,) = costs.plot(eps, table["plays_per_user"], "s--", color=style.GOOD,
                              label="plays (all slots)")
        costs.set_ylim(0, max(float(table["plays_per_user"].max()),
                              float(table["exploration_cost"].max())) * 1.15)
        costs.set(title="What it costs", xlabel="epsilon (share of slots shown at random)",
                  ylabel="plays per listener per round")
        costs.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        style.label_simulated(buys)
    return Drawn(fig, TradeoffArtists(tau=tau, gini=gini, new=new, cost=cost, plays=plays))


def draw_position_bias(estimates: Any, dependence: Any, ax: Any = None) -> Drawn[PositionBiasArtists]:
    """Naive and position-feature estimates against true quality, and the estimators' rankings.

    ``estimates`` is :func:`~mlfail_widgets.failures.feedback.song_estimates`'s table (with
    ``play_rate`` and ``position_feature`` columns), ``dependence`` is
    :func:`~mlfail_widgets.failures.feedback.slot_dependence`'s.

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop, song_estimates, slot_dependence
    >>> run = simulate_feedback_loop("ctr", n_users=300, n_songs=150, rounds=10, epsilon=0.1)
    >>> drawn = draw_position_bias(song_estimates(run), slot_dependence(run))
    >>> len(drawn.artists.bars)
    2
    """
    shown = estimates[estimates["impressions"] > 0]
    with style.context():
        if ax is None:
            fig, ax = new_figure((12.5, 4.4), ncols=3, width_ratios=[1, 1, 1.15])
        fig = ax[0].figure
        points = []
        for axis, column, title in ((ax[0], "play_rate", "Naive play rate"),
                                    (ax[1], "position_feature", "Position as a feature")):
            points.append(axis.scatter(shown["true_quality"], shown[column], c=shown["mean_slot"],
                                       cmap="cividis_r", vmin=1, vmax=float(np.nanmax(estimates["mean_slot"])),
                                       s=14, alpha=0.8, linewidths=0))
            axis.set(title=title, xlabel="true quality (mean affinity)",
                     ylabel="estimated play probability at slot 1")
        colorbar = fig.colorbar(points[0], ax=ax[:2], shrink=0.85, pad=0.01)
        colorbar.set_label("average slot shown (1 = top)")
        style.label_simulated(ax[0])
        methods = list(dependence.index)
        y = np.arange(len(methods))
        truth = ax[2].barh(y - 0.2, dependence["kendall_tau"], height=0.38, color=style.GOOD,
                           label="agrees with true quality")
        same = ax[2].barh(y + 0.2, dependence["same_ranking"], height=0.38,
                          color=style.PALETTE["orange"], label="same ranking at slot 1 and slot k")
        ax[2].set_yticks(y, [m.replace("_", " ") for m in methods])
        ax[2].set_xlim(0, 1.05)
        ax[2].set_ylim(len(methods) - 0.5, -0.5)
        ax[2].set(title="Four ways to read the log", xlabel="Kendall tau")
        ax[2].legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.4, -0.2))
        ax[2].grid(axis="y", visible=False)
    return Drawn(fig, PositionBiasArtists(points=points, bars=[truth, same]))


_ESTIMATOR_NAMES = {"play_rate": "naive play rate", "position_feature": "position feature (additive)",
                    "ips": "IPS", "ips_clipped": "IPS, clipped", "ips_self_normalised": "IPS, self-normalised",
                    "multiplicative": "examination x relevance (EM)"}
_PLACEMENT_NAMES = {"relevance": "good songs on top", "reverse": "good songs at the bottom",
                    "random": "random placement"}


def draw_examination_fit(curves: Any, comparison: Any, ax: Any = None) -> Drawn[ExaminationFitArtists]:
    """The examination curve recovered, and the estimators compared on calibration and ranking.

    ``curves`` is :func:`~mlfail_widgets.failures.feedback.examination_curves`'s table,
    ``comparison`` :func:`~mlfail_widgets.failures.feedback.position_bias_comparison`'s (the
    error bars are its standard deviations over seeds).

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import (controlled_log, examination_curves,
    ...                                               position_bias_comparison)
    >>> log = controlled_log("relevance", n_lists=5000)
    >>> table = position_bias_comparison(["relevance", "reverse"], seeds=2, n_lists=5000)
    >>> drawn = draw_examination_fit(examination_curves(log), table)
    >>> len(drawn.artists.calibration), len(drawn.artists.tau)
    (2, 2)
    """
    with style.context():
        if ax is None:
            fig, ax = new_figure((13, 4.6), ncols=3, width_ratios=[0.8, 1, 1])
        fig = ax[0].figure
        slots = curves.index.to_numpy()
        ax[0].plot(slots, curves["truth"], color=style.NEUTRAL, linewidth=2, label="simulator (truth)")
        ax[0].plot(slots, curves["multiplicative"], "o", color=style.GOOD, label="EM fit, from the log")
        ax[0].plot(slots, curves["randomised"], "s", mfc="none", color=style.PALETTE["orange"],
                   label="randomised slice")
        ax[0].set(title="Examination curve recovered", xlabel="slot (1 = top)",
                  ylabel="P(slot examined), slot 1 = 1", ylim=(0, 1.08))
        ax[0].legend(fontsize=8.5, loc="center right")
        style.label_simulated(ax[0])
        placements = list(dict.fromkeys(comparison.index.get_level_values(0)))
        methods = list(dict.fromkeys(comparison.index.get_level_values(1)))
        y = np.arange(len(methods))
        height = 0.8 / len(placements)
        colours = [style.PALETTE["purple"], style.PALETTE["green"], style.PALETTE["sky"]]
        bars: dict[str, list] = {"calibration": [], "tau": []}
        for axis, column, key in ((ax[1], "slot1_calibration", "calibration"),
                                  (ax[2], "kendall_tau", "tau")):
            for i, placement in enumerate(placements):
                rows = comparison.loc[placement].reindex(methods)
                bars[key].append(axis.barh(y - 0.4 + height * (i + 0.5), rows[column], height=height * 0.95,
                                           xerr=rows[column + "_sd"], color=colours[i % 3],
                                           error_kw={"elinewidth": 1, "capsize": 2},
                                           label=_PLACEMENT_NAMES.get(placement, placement)))
            axis.set_yticks(y, [_ESTIMATOR_NAMES.get(m, m) for m in methods] if axis is ax[1] else [])
            axis.set_ylim(len(methods) - 0.5, -0.5)
            axis.grid(axis="y", visible=False)
        ax[1].axvspan(0.9, 1.1, color=style.GOOD, alpha=0.12, linewidth=0)
        ax[1].axvline(1, color=style.NEUTRAL, linewidth=1)
        ax[1].set(title="Calibration at slot 1\n(predicted / observed plays)",
                  xlabel="ratio (1 = calibrated; band 0.9-1.1)", xlim=(0, 1.25))
        ax[2].set(title="Ranking of the songs\n(Kendall tau to the truth)", xlabel="Kendall tau",
                  xlim=(0, 1.05))
        ax[2].legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2,
                     title="the logged traffic's placement", title_fontsize=8.5)
    return Drawn(fig, ExaminationFitArtists(curves=ax[0].lines, calibration=bars["calibration"], tau=bars["tau"]))


def draw_slice_comparison(tables: dict, ax: Any = None) -> Drawn[SliceComparisonArtists]:
    """Slice charts of several runs side by side (same metric), on one x scale.

    ``tables`` maps a title to a :func:`~mlfail_widgets.failures.feedback.slice_report` table.

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop, slice_report
    >>> runs = {e: simulate_feedback_loop("popularity", n_users=300, n_songs=150, rounds=10,
    ...                                   epsilon=e, audit_share=0.05) for e in (0.0, 0.2)}
    >>> drawn = draw_slice_comparison({f"epsilon {e}": slice_report(r, n_boot=50) for e, r in runs.items()})
    >>> len(drawn.artists.charts)
    2
    """
    with style.context():
        if ax is None:
            fig, ax = new_figure((5.4 * len(tables), 3.9), ncols=len(tables))
        ax = np.atleast_1d(ax)
        fig = ax[0].get_figure(root=True)
        charts = []
        for axis, (title, table) in zip(ax, tables.items(), strict=True):
            chart = slice_plot.draw(table, ax=axis)
            chart.artists.legend.remove()
            flagged = int(table["flagged"].sum())
            axis.title.set_text(f"{title}: {flagged} of {int((table['status'] == 'ok').sum())} flagged")
            charts.append(chart)
        ends = np.concatenate([t[c].to_numpy(dtype=float) for t in tables.values()
                               for c in ("metric", "low", "high")])
        ends = ends[np.isfinite(ends)]
        pad = max(float(np.ptp(ends)) * 0.06, 1e-3)
        for axis in ax:  # one scale for all, so the charts compare at a glance
            axis.set_xlim(float(ends.min()) - pad, float(ends.max()) + pad)
        first = charts[0].artists
        labels = [t.get_text() for t in first.legend.get_texts()]
        labels[3] = "overall value and its interval"
        fig.legend(handles=first.legend.legend_handles, labels=labels,
                   loc="outside lower center", ncols=4, fontsize=9)
        style.label_simulated(ax[-1])
    return Drawn(fig, SliceComparisonArtists(charts=charts))
