"""Chapter 01's widget: pick a requirement and an index state, and let real pip decide."""

from __future__ import annotations

import html
import time
from typing import Any

from ..failures.dependency import DependencyLab
from ..plots import dependency as plot
from .controls import Checkbox, Choice
from .panel import Panel

__all__ = ["REQUIREMENTS", "dependency_panel"]

#: The requirement specifiers offered in the dropdown (the first is the default: unpinned).
REQUIREMENTS = ("scalekit>=1.0", "scalekit==1.1.0", "scalekit~=1.1", "scalekit<2", "scalekit",
                "scalekit==1.0.0", "scalekit==2.0.0")


def _summary(run) -> str:
    if run.cached:
        age = max(0.0, time.time() - run.finished_at)
        how = (f"cached: pip already ran for these settings {age:.0f} s ago "
               f"(it took {run.install.seconds:.1f} s); nothing was re-run")
    else:
        how = f"pip ran just now, for real, in {run.install.seconds:.1f} s"
    verdict = ("<b style='color:#0072B2'>the pipeline works</b>" if run.ok else
               "<b style='color:#D55E00'>the pipeline is broken</b>")
    resolved = f"scalekit <b>{run.resolved}</b>" if run.resolved else "<b>nothing</b>"
    return (f"pip resolved {resolved}: {verdict}. <i>{html.escape(how)}.</i><br>"
            f"<code>{html.escape(run.install.command_line)}</code>")


def dependency_panel(lab: DependencyLab, **panel_options: Any) -> Panel:
    """The requirement (dropdown), the index up or down, the vendored wheelhouse on or off.

    Each new combination runs real pip (about a second) in the panel's worker thread, so the
    notebook stays responsive; a combination seen before is shown from the lab's cache, and
    the summary line says which happened.

    Parameters
    ----------
    lab : DependencyLab
        The sandbox whose index, wheelhouse and cache the panel uses (close it when done).

    Examples
    --------
    Building the panel runs pip once, so the doctest does not run it;
    ``tests/test_dependency.py`` does.

    >>> from mlfail_widgets.failures.dependency import DependencyLab
    >>> with DependencyLab(seed=0) as lab:  # doctest: +SKIP
    ...     panel = dependency_panel(lab)
    ...     print(panel.result.resolved, panel.set(requirement="scalekit<2").resolved)
    ...     panel.close()
    2.0.0 1.1.0
    """

    def install_and_check(requirement, index_up, vendored):
        return lab.run(requirement, source="vendored" if vendored else "index", index_up=index_up)

    panel = Panel(
        install_and_check,
        plot.draw,
        plot.update,
        {
            "requirement": Choice(list(REQUIREMENTS), label="requirement"),
            "index_up": Checkbox(True, label="package index is up"),
            "vendored": Checkbox(False, label="vendored wheels (--no-index)"),
        },
        summary=_summary,
        **panel_options,
    )
    return panel.mark_main("requirement")
