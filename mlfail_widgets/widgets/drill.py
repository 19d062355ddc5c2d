"""Chapter 07's widget: the on-call console of an incident drill.

The learner acts (diagnose, reveal, next incident) rather than moves a slider, so the console
is a small class, like chapter 02's. The dashboard figure is drawn once; "New incident" builds
the next seed's evidence in the core and moves the same artists (one render). While the learner
reads a drill, the next seed's evidence is built in a background thread, so that "New incident"
only has to draw (the first drills of a session would otherwise fill the core's caches on the
click). Tables and logs are HTML from :class:`~mlfail_widgets.failures.drill.Evidence`.
"""

from __future__ import annotations

import base64
import contextlib
import html
import threading
from typing import TYPE_CHECKING, Any

from .._validation import ParameterError, owner_name
from ..failures.drill import FAILURE_TYPES, IncidentDrill
from ..plots import drill as plot
from ._errors import ActionRunner
from ._figure import FigureWidget

if TYPE_CHECKING:
    from ..exercises import Feedback
    from ..failures.drill import Reveal

__all__ = ["DrillConsole", "drill_console"]

_LABELS = {"dependency": "dependency failure", "deployment": "deployment failure",
           "downtime": "downtime failure", "hardware": "hardware failure",
           "shift": "data distribution shift", "feedback": "degenerate feedback loop"}
_BUILDING = threading.Lock()  # one drill built at a time: builds of one world share the core's caches
_TABS = (("Logs", None), ("Deploys and serving", ("deploys", "serving")),
         ("Dependencies", ("dependencies", "golden", "pipeline_runs")), ("Drift", ("drift",)),
         ("Quality", ("quality",)), ("Recommender", ("recommender", "slices")))


class DrillConsole(FigureWidget, ActionRunner):
    """The dashboard, the logs and tables, and buttons to diagnose, reveal and move on.

    Parameters
    ----------
    seed : int or IncidentDrill, default=0
        The first drill (a seed, or a drill such as ``IncidentDrill.for_learner(7, ...)``);
        "New incident" goes to the next seed.
    red_herring : bool, optional
        Add one harmless but alarming signal to every drill (default: at levels 2 and 3).
    level : {1, 2, 3}, default=1
        The drills' difficulty (see :class:`~mlfail_widgets.failures.drill.IncidentDrill`).

    Examples
    --------
    >>> console = drill_console(seed=3)
    >>> console.diagnose("shift").correct in (True, False)
    True
    >>> console.new_incident().seed
    4
    >>> console.close()
    """

    def __init__(self, seed: int | IncidentDrill = 0, *, red_herring: bool | None = None, level: int | None = None):
        if isinstance(seed, IncidentDrill):
            drill = seed
            if (level is not None and level != drill.level) or (
                    red_herring is not None and red_herring != drill.red_herring):
                raise ParameterError(
                    f"{owner_name()} got {drill!r} and level={level}, red_herring={red_herring}, which "
                    "disagree. Pass the drill alone (its level comes with it), or a seed with level=.")
        else:
            drill = IncidentDrill(seed, red_herring=red_herring, level=1 if level is None else level)
        self.drill = drill
        self.drawn = plot.draw(self.drill.evidence, title=self.drill.title)
        self._render_figure(freeze_layout=True)
        self.feedback: Feedback | None = None
        self.revealed: Reveal | None = None
        self.error: str | None = None
        self._next: tuple[threading.Thread, dict] | None = None
        self._prefetch(self.drill.seed + 1)

    # ------------------------------------------------------------------ actions (the buttons)
    def diagnose(self, answer: str) -> Feedback | None:
        """Judge ``answer`` (one of the six types) and show the feedback."""
        return self._act(lambda: self._set_feedback(self.drill.diagnose(answer)))

    def _set_feedback(self, feedback: Feedback) -> Feedback:
        self.feedback = feedback
        return feedback

    def reveal(self) -> Reveal | None:
        """Explain the incident (failure, variant, evidence, fix, chapter)."""
        def show() -> Reveal:
            self.revealed = self.drill.reveal()
            return self.revealed
        return self._act(show)

    def new_incident(self, seed: int | None = None) -> IncidentDrill | None:
        """Go to drill ``seed`` (default: the next seed); the figure is updated in place."""
        def move() -> IncidentDrill:
            target = self.drill.seed + 1 if seed is None else seed
            drill = self._built(target)
            plot.update(self.drawn, drill.evidence, drill.title)
            self._render_figure()
            self.drill, self.feedback, self.revealed = drill, None, None
            return drill
        drill = self._act(move)
        self._prefetch(self.drill.seed + 1)  # after the widgets are shown: never competes with them
        return drill

    def _build(self, seed: int) -> IncidentDrill:
        with _BUILDING:
            drill = IncidentDrill(seed, red_herring=self.drill.red_herring, level=self.drill.level)
            drill.evidence  # noqa: B018 - built now, kept by the drill
            return drill

    def _prefetch(self, seed: int) -> None:
        """Build drill ``seed`` in a background thread (a failure is met again, and shown, on use)."""
        self._join_prefetch()
        built: dict = {}

        def work():
            with contextlib.suppress(Exception):  # _built() builds it again in the foreground
                built[seed] = self._build(seed)
        thread = threading.Thread(target=work, name="mlfail-drill-prefetch", daemon=True)
        thread.start()
        self._next = (thread, built)

    def _join_prefetch(self) -> dict:
        """Wait for the drill being built; return ``{seed: drill}`` ({} if none or it failed)."""
        if self._next is None:
            return {}
        thread, built = self._next
        thread.join()
        self._next = None
        return built

    def _built(self, seed: int) -> IncidentDrill:
        """Drill ``seed``: the prefetched one when it is that seed, else built now."""
        built = self._join_prefetch()
        return built[seed] if seed in built else self._build(seed)

    def _header(self) -> str:
        herring = " One alarming signal in it is harmless." if self.drill.red_herring else ""
        return (f"<b>{html.escape(self.drill.title)}</b>, paged at {html.escape(self.drill.evidence.now)}: the "
                f"service's owners see something is wrong. Read the dashboard, the logs and the tables, then "
                f"name the failure type.{herring}")

    def _tab_html(self, sections: tuple[str, ...] | None) -> str:
        evidence = self.drill.evidence
        if sections is None:
            return evidence.logs_html()
        return "".join(evidence.table_html(name) for name in sections)

    def _texts(self) -> dict[str, str]:
        """The HTML of every text part, by widget name (the tab pages under ``"pages"``)."""
        return {"header": self._header(),
                "feedback": "" if self.feedback is None else self.feedback._repr_html_(),
                "reveal_box": "" if self.revealed is None else self.revealed.to_html(),
                "status": self._error_html()}

    def _show(self) -> None:
        if self._widgets is None:
            return
        parts = self._widgets
        for name, value in self._texts().items():
            parts[name].value = value
        for page, (_, sections) in zip(parts["pages"], _TABS, strict=True):
            page.value = self._tab_html(sections)

    def _build_widgets(self) -> dict[str, Any]:
        import ipywidgets as w

        answer = w.Dropdown(options=[(_LABELS[kind], kind) for kind in FAILURE_TYPES], value=FAILURE_TYPES[0],
                            description="diagnosis", layout=w.Layout(width="330px"))
        buttons = {"diagnose": w.Button(description="Diagnose", icon="stethoscope", button_style="primary"),
                   "reveal": w.Button(description="Reveal", icon="eye"),
                   "new": w.Button(description="New incident", icon="forward")}
        buttons["diagnose"].on_click(lambda _b: self.diagnose(answer.value))
        buttons["reveal"].on_click(lambda _b: self.reveal())
        buttons["new"].on_click(lambda _b: self.new_incident())
        for name, button in buttons.items():
            button.add_class(f"mlfail-{name}")
        buttons["new"].add_class("mlfail-drive")
        pages = [w.HTML(self._tab_html(sections)) for _, sections in _TABS]
        tabs = w.Tab(children=pages, titles=[title for title, _ in _TABS])
        texts = self._texts()
        header, feedback, reveal_box = (w.HTML(texts[name]) for name in ("header", "feedback", "reveal_box"))
        status, image = self._line("mlfail-status", texts["status"]), self._figure_image()
        box = self._box([header, image, tabs, w.HBox([answer, *buttons.values()]), feedback, reveal_box, status],
                        "mlfail-panel", "mlfail-main")
        return {"box": box, "image": image, "header": header, "pages": pages, "tabs": tabs,
                "feedback": feedback, "reveal_box": reveal_box, "status": status, "answer": answer,
                **buttons}

    def _static_html(self) -> str:
        image = base64.b64encode(self.png).decode("ascii")
        return (f"<div class='mlfail-drill'><p>{self._header()}</p>"
                f"<img src='data:image/png;base64,{image}' style='max-width:100%'/>"
                + self.drill.evidence._repr_html_() + "</div>")

    def _describe(self) -> str:
        return f"<mlfail DrillConsole, {self.drill.title}>"

    def _release(self) -> None:
        """Wait for a drill being built (close() then closes the widgets)."""
        self._join_prefetch()


def drill_console(seed: int | IncidentDrill = 0, *, red_herring: bool | None = None,
                  level: int | None = None) -> DrillConsole:
    """The chapter's main widget (see :class:`DrillConsole`).

    Examples
    --------
    >>> with drill_console(seed=6) as console:
    ...     console.reveal().seed
    6
    >>> with drill_console(IncidentDrill.for_learner(7, workshop_seed=2026)) as console:
    ...     console.drill.title
    'Learner 7 (workshop 2026)'
    """
    return DrillConsole(seed, red_herring=red_herring, level=level)
