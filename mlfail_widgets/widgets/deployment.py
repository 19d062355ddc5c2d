"""Chapter 02's widget: a deployment console over a real registry, with buttons.

A Panel binds sliders to a pure function; here the learner *acts* (a week passes, promote,
deploy, roll back), so the console is a small class. Each button calls one method of the
core's :class:`~mlfail_widgets.failures.deployment.DeploymentTimeline`, then the figure is
updated in place and rendered once.
"""

from __future__ import annotations

import html
from typing import Any

from .._validation import check_choice
from ..failures.deployment import DeploymentTimeline
from ..plots import deployment as plot
from ._errors import ActionRunner
from ._figure import FigureWidget

__all__ = ["DeploymentConsole", "deployment_console"]

_PATH_LABELS = [("reads the production pointer", "pointer"),
                ("cached model path (bug)", "cached path"),
                ("MODEL_VERSION env var (bug)", "env var")]
_OUTCOME_COLOUR = {"done": "#4D4D4D", "passed": "#009E73", "caught": "#D55E00", "refused": "#D55E00"}


class DeploymentConsole(FigureWidget, ActionRunner):
    """Buttons over a :class:`DeploymentTimeline`, and its timeline figure updated in place.

    Parameters
    ----------
    deploy_path : {"pointer", "cached path", "env var"}, default="env var"
        The service's deploy path at the start (a dropdown changes it).
    verify : bool, default=False
        Start with verification on (canary before promotion, checks after each deploy).
    **timeline_options
        Passed to :class:`DeploymentTimeline` (``seed``, ``weeks``, ``drift_per_week``...).

    Examples
    --------
    >>> console = deployment_console(seed=0)
    >>> _ = console.next_week(); _ = console.promote()
    >>> console.deploy().served, console.deploy(verify=True).outcome
    (1, 'caught')
    >>> console.close()
    """

    def __init__(self, *, deploy_path: str = "env var", verify: bool = False, **timeline_options: Any):
        self.timeline = DeploymentTimeline(deploy_path=deploy_path, **timeline_options)
        try:
            self.drawn = plot.draw(self.timeline.snapshot())
            self._render_figure(freeze_layout=True)
        except BaseException:
            self.timeline.close()
            raise
        self.verify = bool(verify)
        self.error: str | None = None

    # ----------------------------------------------------------------- actions (the buttons)
    def _verify(self, verify: bool | None) -> bool:
        return self.verify if verify is None else bool(verify)

    def next_week(self) -> Any:
        """A week passes; a new version is trained and registered."""
        return self._redraw(self.timeline.next_week)

    def promote(self, verify: bool | None = None) -> Any:
        """Promote the newest version (behind a canary when verifying)."""
        return self._redraw(lambda: self.timeline.promote(verify=self._verify(verify)))

    def deploy(self, verify: bool | None = None) -> Any:
        """Reload the service (and check what it serves when verifying)."""
        return self._redraw(lambda: self.timeline.deploy(verify=self._verify(verify)))

    def rollback(self, verify: bool | None = None) -> Any:
        """Production one step back, then deploy."""
        return self._redraw(lambda: self.timeline.rollback(verify=self._verify(verify)))

    def set_deploy_path(self, path: str) -> Any:
        """Change how the service resolves its model (fix or break the deploy path)."""
        def change():
            self.timeline.deploy_path = path
            return self.timeline.events[-1]
        return self._redraw(change)

    def play(self, *actions: str, verify: bool | None = None) -> Any:
        """Apply several actions in a row (``"next week"``, ``"promote"``, ``"deploy"``,
        ``"rollback"``) and redraw once; returns the last event.

        Examples
        --------
        >>> with deployment_console(seed=0) as console:
        ...     console.play("next week", "next week", "promote", "deploy").served
        1
        """
        verify = self._verify(verify)
        steps = {"next week": self.timeline.next_week,
                 "promote": lambda: self.timeline.promote(verify=verify),
                 "deploy": lambda: self.timeline.deploy(verify=verify),
                 "rollback": lambda: self.timeline.rollback(verify=verify)}
        for action in actions:
            check_choice(action, "actions", steps)

        def run():
            for action in actions:
                event = steps[action]()
            return event

        return self._redraw(run) if actions else None

    def _redraw(self, action):
        """Run ``action``, then update the figure in place (both inside the error guard)."""
        def run():
            event = action()
            plot.update(self.drawn, self.timeline.snapshot())
            self._render_figure()
            return event
        return self._act(run)

    # ----------------------------------------------------------------- widgets
    def _summary(self) -> str:
        event = self.timeline.events[-1]
        colour = _OUTCOME_COLOUR[event.outcome]
        return (f'<span style="color:{colour}"><b>{html.escape(event.action)}</b>: '
                f"{html.escape(event.message)}</span>")

    def _show(self) -> None:
        if self._widgets is None:
            return
        self._widgets["summary"].value = self._summary()
        self._widgets["status"].value = self._error_html()

    def _build_widgets(self) -> dict[str, Any]:
        import ipywidgets as w

        path = w.Dropdown(options=_PATH_LABELS, value=self.timeline.deploy_path, description="deploy path",
                          style={"description_width": "initial"}, layout=w.Layout(width="330px"))
        path.observe(lambda change: self.set_deploy_path(change["new"]), names="value")
        verify = w.Checkbox(value=self.verify, description="verify (canary + post-deploy checks)",
                            indent=False)
        verify.observe(lambda change: setattr(self, "verify", change["new"]), names="value")
        buttons = {
            "next_week": w.Button(description="Next week", icon="forward", tooltip="New data; train a new version"),
            "promote": w.Button(description="Promote newest", icon="arrow-up"),
            "deploy": w.Button(description="Deploy", icon="rocket"),
            "rollback": w.Button(description="Roll back", icon="undo"),
        }
        for name, button in buttons.items():
            button.on_click(lambda _b, name=name: getattr(self, name)())
            button.add_class(f"mlfail-{name.replace('_', '-')}")
        buttons["next_week"].add_class("mlfail-drive")
        image, summary, status = self._figure_image(), self._line("mlfail-summary", self._summary()), \
            self._line("mlfail-status")
        box = self._box([w.HBox([path, verify]), w.HBox(list(buttons.values())), summary, image, status],
                        "mlfail-panel", "mlfail-main")
        return {"box": box, "image": image, "summary": summary, "status": status,
                "path": path, "verify": verify, **buttons}

    def _describe(self) -> str:
        return f"<mlfail DeploymentConsole, week {self.timeline.week}>"

    def _release(self) -> None:
        """Remove the registry's temporary folder (close() then closes the widgets)."""
        self.timeline.close()


def deployment_console(**options: Any) -> DeploymentConsole:
    """The chapter's main widget (see :class:`DeploymentConsole` for the options)."""
    return DeploymentConsole(**options)
