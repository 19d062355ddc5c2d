"""Chapter 06's widget: run the feedback loop, watch it concentrate, slice its log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..failures.feedback import calibration_gap, logged_data, loop_report
from ..plots import feedback as feedback_plot
from ..plots import style
from .controls import Choice, SeedBox, Slider
from .panel import Panel

if TYPE_CHECKING:
    from .slices import SliceChart

__all__ = ["POLICY_OPTIONS", "feedback_panel", "log_slice_chart"]

#: The policy dropdown: what the learner reads -> what :func:`loop_report` gets.
POLICY_OPTIONS = {
    "popularity": "popularity",
    "random": "random",
    "play rate (CTR)": "ctr",
    "play rate + position feature": "ctr+position_feature",
    "play rate + IPW": "ctr+ipw",
    "personalised": "personalised",
    "personalised + position feature": "personalised+position_feature",
}
#: Runs with more listener-song-rounds than this show a progress bar.
LARGE_RUN = 30_000_000


def _summary(report) -> str:
    history = report.history
    slices = report.slices
    tail = slices[(slices["slice"] == "tail") & (slices["status"] == "ok")]
    tail_text = (f"; tail-song calibration gap <b>{float(tail['metric'].iloc[0]):+.3f}</b>"
                 if len(tail) else "")
    new = history.new_song_success()
    return (f"exposure Gini <b>{history.final('exposure_gini'):.2f}</b>; Kendall tau "
            f"<b>{history.final('kendall_tau'):.2f}</b>; plays per listener and round "
            f"<b>{history.plays_per_user.mean():.2f}</b>; songs ever shown "
            f"<b>{history.final('coverage'):.0%}</b>; new songs heard "
            f"<b>{'n/a' if new != new else f'{new:.0%}'}</b>{tail_text}")


def feedback_panel(n_users: int = 300, n_songs: int = 200, **panel_options: Any) -> Panel:
    """Sliders for exploration, position bias, list length, rounds and listeners; a policy menu.

    The figure shows concentration over rounds, the Lorenz curve of plays, how well the system
    learned the true ranking, and the calibration of its play predictions per song slice.
    Runs larger than :data:`LARGE_RUN` listener-song-rounds show a progress bar.

    Examples
    --------
    >>> panel = feedback_panel(n_users=200, n_songs=120)
    >>> before = panel.result.history.final("exposure_gini")
    >>> after = panel.set(epsilon=0.3).history.final("exposure_gini")
    >>> bool(after < before)
    True
    >>> panel.close()
    """
    import ipywidgets as w

    progress = w.IntProgress(value=0, min=0, max=1, description="simulating",
                             layout=w.Layout(visibility="hidden", width="420px"))
    progress.add_class("mlfail-progress")

    def show_progress(done: int, total: int) -> None:
        progress.max, progress.value = total, done

    def compute(policy, epsilon, position_bias, k, rounds, n_users, seed):
        large = n_users * n_songs * rounds > LARGE_RUN
        progress.value, progress.layout.visibility = 0, "visible" if large else "hidden"
        try:
            return loop_report(policy, epsilon=epsilon, position_bias=position_bias, k=k, rounds=rounds,
                               n_users=n_users,
                               n_songs=n_songs, seed=seed, progress=show_progress if large else None)
        finally:
            progress.layout.visibility = "hidden"

    compute.__name__ = "loop_report"
    panel = Panel(
        compute, feedback_plot.draw, feedback_plot.update,
        {
            "policy": Choice(POLICY_OPTIONS, label="policy"),
            "epsilon": Slider(0.0, 1.0, step=0.05, value=0.0, label="exploration epsilon", fmt=".2f"),
            "position_bias": Slider(0.0, 3.0, step=0.1, value=1.0, label="position bias (eta)",
                                    fmt=".1f"),
            "k": Slider(1, 20, value=10, label="songs shown (k)"),
            "rounds": Slider(5, 60, step=5, value=30, label="rounds"),
            "n_users": Slider(100, 20_000, step=100, value=n_users, label="listeners",
                              continuous=False),
            "seed": SeedBox(0),
        },
        summary=_summary,
        **panel_options,
    )
    box = panel.widget
    box.children = (*box.children, progress)
    return panel.mark_main("epsilon")


def log_slice_chart(history: Any, *, min_size: int = 30, n_boot: int = 300, seed: int = 0) -> SliceChart:
    """The course's slice chart over a run's log: slice by song popularity or age, judge the
    calibration of the logged play probabilities or the hit rate.

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop
    >>> run = simulate_feedback_loop("popularity", n_users=300, n_songs=150, rounds=10,
    ...                              audit_share=0.1, log_rounds=2)
    >>> chart = log_slice_chart(run, n_boot=50)
    >>> chart.set(by="age")["slice"].tolist()
    ['new', 'old']
    >>> chart.close()
    """
    from .slices import slice_chart

    chart = slice_chart(logged_data(history), ["popularity", "age"], [calibration_gap, "rate"],
                        target="played", prediction="predicted", min_size=min_size, seed=seed,
                        n_boot=n_boot, title="The simulated log, sliced by song property")
    style.label_simulated(chart.figure.axes[0])
    chart.set(min_size=min_size)  # draw once more, with the stamp
    return chart
