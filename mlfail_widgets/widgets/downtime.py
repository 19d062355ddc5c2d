"""Chapter 03's widgets: sweep a fault and a policy in the simulator; replicas and zones."""

from __future__ import annotations

from typing import Any

from ..failures.downtime import POLICIES, explore, zone_table
from ..plots import downtime
from .controls import Checkbox, Choice, SeedBox, Slider
from .panel import Panel

__all__ = ["downtime_panel", "redundancy_panel"]


def _summary(exploration) -> str:
    summary = exploration.summaries[exploration.policy]
    return (f"<b>{exploration.policy}</b> (simulated): availability <b>{summary.availability:.1%}</b> "
            f"({summary.degraded_rate:.1%} degraded), latency p50 <b>{summary.p50 * 1000:.1f} ms</b>, "
            f"p99 <b>{summary.p99 * 1000:.0f} ms</b>, <b>{summary.attempts_per_request:.2f}</b> attempts "
            "per request")


def downtime_panel(**panel_options: Any) -> Panel:
    """Sliders for the fault (outage, errors, latency) and the policy; the simulator redraws.

    Examples
    --------
    >>> panel = downtime_panel()
    >>> panel.set(outage=0.0, error_rate=0.0).summaries["timeout"].availability
    1.0
    >>> panel.close()
    """
    panel = Panel(
        explore,
        downtime.draw,
        downtime.update,
        {
            "outage": Slider(0.0, 1.2, step=0.05, value=0.4, label="outage (s)", fmt=".2f"),
            "kind": Choice({"down: connection refused": "down", "hang: no answer": "hang"},
                           value="down", label="outage kind"),
            "error_rate": Slider(0.0, 0.5, step=0.05, value=0.0, label="error rate", fmt=".0%"),
            "latency": Slider(0.0, 0.2, step=0.01, value=0.0, label="added latency (s)", fmt=".2f"),
            "policy": Choice(list(POLICIES), value="retry", label="policy shown"),
            "timeout": Slider(0.01, 0.5, step=0.01, value=0.05, label="timeout (s)", fmt=".2f"),
            "retries": Slider(0, 6, value=3, label="retries"),
            "backoff": Slider(0.0, 0.2, step=0.005, value=0.02, label="first backoff (s)", fmt=".3f"),
            "jitter": Checkbox(True, label="jitter"),
            "seed": SeedBox(0),
        },
        summary=_summary,
        **panel_options,
    )
    return panel.mark_main("outage")


def _redundancy_summary(table) -> str:
    last = table.frame.iloc[-1]
    return (f"{int(last['replicas'])} replicas: <b>{last['independent']:.6%}</b> if independent, "
            f"<b>{last['same_zone']:.4%}</b> in one zone (never above {table.ceiling:.4%})")


def redundancy_panel(**panel_options: Any) -> Panel:
    """Sliders for one replica's availability, the number of replicas and the zone's share.

    Examples
    --------
    >>> panel = redundancy_panel()
    >>> round(float(panel.set(zone_share=0.0).frame["same_zone"].iloc[1]), 4)
    0.9999
    >>> panel.close()
    """
    panel = Panel(
        zone_table,
        downtime.draw_redundancy,
        downtime.update_redundancy,
        {
            "availability": Slider(0.9, 0.999, step=0.001, value=0.99, label="one replica up",
                                   fmt=".1%"),
            "max_replicas": Slider(1, 8, value=5, label="replicas"),
            "zone_share": Slider(0.0, 1.0, step=0.05, value=0.5,
                                 label="share of its downtime when the whole zone is down", fmt=".0%"),
            "seed": SeedBox(0),
        },
        fixed={"periods": 50_000},
        summary=_redundancy_summary,
        **panel_options,
    )
    return panel
