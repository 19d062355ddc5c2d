"""Chapter 05's widgets: shift a dataset, watch a stream, slice the model's accuracy.

* :func:`shift_panel` (the chapter's main widget): the kind and magnitude of a shift; the data,
  every per-feature detector and the model's accuracy follow.
* :func:`monitoring_dashboard`: a drifting stream watched in windows: window size, threshold,
  detector and drift pattern; alarms marked.
* :func:`shift_slices`: the slice chart of accuracy by feature band, before and after a shift.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..failures.shift.explore import before_after, deployed_model, monitoring_view, shift_snapshot
from ..failures.shift.generators import DRIFT_PATTERNS
from ..plots import shift as shift_plot
from .controls import Choice, SeedBox, Slider
from .panel import Panel

if TYPE_CHECKING:
    from .slices import SliceChart

__all__ = ["monitoring_dashboard", "shift_panel", "shift_slices"]

KINDS = {"covariate shift: P(X) moves": "covariate", "label shift: P(label) moves": "label",
         "concept drift: P(label | X) moves": "concept", "no shift": "none"}


def _snapshot_summary(snapshot) -> str:
    report, data = snapshot.report, snapshot.data
    flagged = ", ".join(report.drifted) or "none"
    sizes = "; ".join(f"{row.column}: " + (f"W {row.wasserstein_sd:.2f} sd, " if row.type == "numeric" else "")
                      + f"PSI {row.psi:.2f}" for row in report.table.itertuples())
    return (f"{html.escape(data.description)}; P(label = 1) {data.reference['label'].mean():.0%} "
            f"&rarr; {data.current['label'].mean():.0%}.<br>Flagged ({report.correction}, alpha "
            f"{report.alpha:g}): <b>{html.escape(flagged)}</b>. Shift sizes: {html.escape(sizes)}.<br>"
            f"Accuracy <b>{snapshot.accuracy:.1%}</b> measured, <b>{snapshot.expected:.1%}</b> expected "
            f"from the model's confidence (reference {snapshot.reference_accuracy:.1%}).<br>"
            "<small>Left: current rows (orange: label 1, blue: 0) over reference rows (grey), "
            "dashed: the model's 50% line.</small>")


def shift_panel(kind: str = "covariate", magnitude: float = 1.0, **panel_options: Any) -> Panel:
    """Sliders for the kind and the magnitude of a shift, on 2,000 reference and 2,000 current rows.

    Examples
    --------
    >>> panel = shift_panel()
    >>> panel.set(kind="concept", magnitude=3.0).report.drifted
    []
    >>> round(panel.result.accuracy, 2) < round(panel.result.reference_accuracy, 2)
    True
    >>> panel.close()
    """
    panel = Panel(
        shift_snapshot,
        shift_plot.draw,
        shift_plot.update,
        {
            "kind": Choice(KINDS, value=kind, label="shift"),
            "magnitude": Slider(-3.0, 3.0, step=0.1, value=magnitude, label="magnitude", fmt="+.1f"),
            "seed": SeedBox(0),
        },
        summary=_snapshot_summary,
        **panel_options,
    )
    return panel.mark_main("magnitude")


def _monitor_summary(view) -> str:
    result = view.result
    return (f"<b>{int(result.alarms.sum())}</b> of {result.alarms.size} windows alarmed; "
            f"false alarms before the drift: <b>{result.false_alarm_rate:.0%}</b>; "
            + (f"detection delay <b>{result.detection_delay:,}</b> rows"
               if result.detection_delay is not None else "<b>drift missed</b>"))


def monitoring_dashboard(**panel_options: Any) -> Panel:
    """A 40,000-row stream whose x1 drifts from row 20,000, watched in windows.

    Controls: the window size, the alarm threshold (a p-value level for KS, a distance
    otherwise), the detector and the drift pattern.

    Examples
    --------
    >>> dashboard = monitoring_dashboard()
    >>> dashboard.set(window=500).result.detection_delay
    500
    >>> dashboard.close()
    """
    return Panel(
        monitoring_view,
        shift_plot.draw_monitor,
        shift_plot.update_monitor,
        {
            "window": Slider(250, 5000, step=250, value=1000, label="window (rows)", continuous=False),
            "threshold": Slider(0.001, 0.3, step=0.001, value=0.05, label="threshold", fmt=".3f"),
            "detector": Choice({"KS test (p-value)": "ks", "Wasserstein distance (sd)": "wasserstein",
                                "PSI": "psi"}, label="detector"),
            "pattern": Choice(list(DRIFT_PATTERNS), label="drift"),
        },
        summary=_monitor_summary,
        **panel_options,
    )


def shift_slices(kind: str = "covariate", magnitude: float = 2.0, *, seed: int = 0, **chart_options: Any) -> SliceChart:
    """The slice chart of the deployed model's accuracy by band of x1 and x2, before and after.

    Examples
    --------
    >>> chart = shift_slices("covariate", 2.0)
    >>> table = chart.result.set_index("slice")
    >>> bool(table.loc["x1 >= 1 | before", "metric"] > table.loc["x1 >= 1 | after", "metric"] + 0.1)
    True
    >>> chart.close()
    """
    from .slices import slice_chart

    snapshot = shift_snapshot(kind, magnitude, seed=seed)
    data = before_after(deployed_model(seed), snapshot.data.reference, snapshot.data.current)
    return slice_chart(data, ["x1 band", "x2 band", "period"], ["accuracy"],
                       target="label", prediction="prediction", seed=seed, **chart_options)
