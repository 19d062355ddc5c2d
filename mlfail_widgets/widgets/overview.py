"""Chapter 00's widget: how sure is "most outages are not ML-specific"?"""

from __future__ import annotations

from typing import Any

from ..failures.overview import outage_share
from ..intervals import PROPORTION_METHODS
from ..plots import outages
from .controls import Choice, Slider
from .panel import Panel

__all__ = ["outage_panel"]


def _summary(share) -> str:
    return (f"<b>{share.not_ml} of {share.total}</b> outages not ML-specific "
            f"(<b>{share.share:.1%}</b>); {share.confidence:.1%} interval "
            f"<b>{share.low:.1%}</b> to <b>{share.high:.1%}</b>")


def outage_panel(**panel_options: Any) -> Panel:
    """Sliders for the confidence level, the interval method and a what-if study size.

    Examples
    --------
    >>> with outage_panel() as panel:
    ...     panel.set(study_size=20).majority_is_sure
    False
    """
    controls = {"confidence": Slider(0.5, 0.999, step=0.001, value=0.95, label="confidence level", fmt=".1%"),
                "method": Choice(list(PROPORTION_METHODS), label="interval"),
                "study_size": Slider(10, 1000, value=96, label="outages in the study")}
    panel = Panel(outage_share, outages.draw, outages.update, controls, summary=_summary, **panel_options)
    return panel.mark_main("study_size")
