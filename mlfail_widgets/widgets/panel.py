"""Bind a pure function's parameters to controls and a figure that updates in place.

This is the thin-widget pattern of the course: controls -> one core call -> the figure's
artists updated in place -> one PNG sent to the frontend. Unlike ``ipywidgets.interact``,
nothing is cleared and re-plotted on a move, so a move costs one draw, not a new figure.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .._validation import ParameterError, owner_name
from ..plots import style
from ..plots._base import Drawn, render_png
from ._errors import short_message
from ._figure import FigureWidget
from .controls import Control, Slider, as_control

__all__ = ["Panel", "in_kernel"]


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where a widget frontend may be listening)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Panel(FigureWidget):
    """Controls bound to a pure function, and a figure redrawn in place when they move.

    Parameters
    ----------
    compute : callable
        The chapter's pure function. Called as ``compute(**fixed, **values)``; returns a result.
    draw : callable
        ``draw(result) -> Drawn``: creates the figure and its artists once.
    update : callable
        ``update(drawn, result)``: changes the artists' data in place (``set_data``,
        ``set_height``...). It must not create a new figure.
    controls : mapping
        Parameter name -> control spec (:class:`Slider`, :class:`Choice`, :class:`Checkbox`,
        :class:`SeedBox`, or a shorthand accepted by :func:`as_control`).
    fixed : mapping, optional
        Arguments passed to ``compute`` that have no control.
    summary : callable, optional
        ``summary(result) -> str``: a line of HTML shown above the figure (key numbers).
    title : str, optional
        A heading shown above the controls.
    background : bool, optional
        Compute in a worker thread, so that a change made while an update runs supersedes it
        and only the latest values are drawn. Default: True inside a Jupyter kernel, False
        elsewhere (tests then see results synchronously).
    play_interval : int, default=400
        Milliseconds between steps of a play control.

    Attributes
    ----------
    controls : dict
        Parameter name -> ipywidgets control (built on first access).
    values : dict
        The values of the last update.
    result : object
        The result of the last successful ``compute`` call.
    drawn : Drawn
        The figure and its artists; ``drawn.figure`` is the matplotlib figure.
    png : bytes
        The last rendered image.
    error : str or None
        The message of the last failed update, None after a success.
    updates, superseded : int
        How many updates were drawn, and how many computations were dropped because newer
        values arrived while they ran.

    Examples
    --------
    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from mlfail_widgets.plots import Artists, Drawn, new_figure
    >>> from mlfail_widgets.widgets import Slider, SeedBox
    >>> @dataclass
    ... class LineArtists(Artists):
    ...     line: object
    >>> def compute(slope, seed):
    ...     x = np.linspace(0, 1, 50)
    ...     return x, slope * x + np.random.default_rng(seed).normal(0, 0.05, 50)
    >>> def draw(result):
    ...     fig, ax = new_figure((4, 3))
    ...     (line,) = ax.plot(*result)
    ...     ax.set_ylim(-3, 3)
    ...     return Drawn(fig, LineArtists(line))
    >>> def update(drawn, result):
    ...     drawn.artists.line.set_data(*result)
    >>> panel = Panel(compute, draw, update, {"slope": Slider(-2.0, 2.0, value=1.0), "seed": SeedBox(0)})
    >>> panel.controls["slope"].value = -1.5
    >>> panel.values["slope"], panel.updates
    (-1.5, 1)
    >>> panel.set(slope=5)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'slope' parameter of Panel.set must be a number in [-2, 2]. Got 5 instead. Move the slider or pass a value inside its range.
    >>> panel.close()
    """

    def __init__(
        self,
        compute: Callable[..., Any],
        draw: Callable[[Any], Drawn],
        update: Callable[[Drawn, Any], None],
        controls: Mapping[str, Any],
        *,
        fixed: Mapping[str, Any] | None = None,
        summary: Callable[[Any], str] | None = None,
        title: str | None = None,
        background: bool | None = None,
        play_interval: int = 400,
    ):
        self._compute = compute
        self._draw = draw
        self._update = update
        self._summary = summary
        self.title = title
        self.fixed = dict(fixed or {})
        self.specs: dict[str, Control] = {name: as_control(spec) for name, spec in controls.items()}
        self.values = {name: spec.value for name, spec in self.specs.items()}
        self.background = in_kernel() if background is None else bool(background)
        self.play_interval = play_interval
        self.error: str | None = None
        self.updates = 0
        self.superseded = 0
        self.last_seconds = float("nan")

        start = time.perf_counter()
        self.result = self._compute(**self.fixed, **self.values)
        with style.context():  # titles and labels set by draw/update get the course style
            self.drawn = self._draw(self.result)
        if not isinstance(self.drawn, Drawn):
            raise ParameterError("The draw function given to Panel must return a plots.Drawn.")
        self._render_figure(freeze_layout=True)
        self.last_seconds = time.perf_counter() - start

        self._widgets: dict[str, Any] | None = None
        self._holding = 0
        self._closed = False
        self._condition = threading.Condition()
        self._pending: dict | None = None
        self._busy = False
        self._worker: threading.Thread | None = None

    # ----------------------------------------------------------------- widgets
    @property
    def figure(self) -> Any:
        """The matplotlib figure (created once, updated in place)."""
        return self.drawn.figure

    @property
    def controls(self) -> dict:
        """Parameter name -> ipywidgets control."""
        self.widget  # noqa: B018 - builds the widgets on first use
        assert self._widgets is not None
        return self._widgets["controls"]

    def _build_widgets(self) -> dict[str, Any]:
        import ipywidgets as w

        controls = {}
        rows = []
        plays = []
        for name, spec in self.specs.items():
            control = spec.build(name)
            control.value = self.values[name]
            control.add_class("mlfail-control")
            control.add_class(f"mlfail-control-{name.replace('_', '-')}")
            control.observe(self._on_change, names="value")
            controls[name] = control
            if isinstance(spec, Slider) and spec.play:
                play = w.Play(value=control.value, min=control.min, max=control.max,
                              step=control.step, interval=self.play_interval,
                              description=f"play {name}")
                play.add_class("mlfail-play")
                w.link((play, "value"), (control, "value"))
                plays.append(play)
        reset = w.Button(description="Reset", icon="undo", tooltip="Back to the default values",
                         layout=w.Layout(width="90px"))
        reset.add_class("mlfail-reset")
        reset.on_click(lambda _button: self.reset())
        image = self._figure_image()
        summary = self._line("mlfail-summary", self._summary(self.result) if self._summary else "")
        status = self._line("mlfail-status")
        if self.title:
            rows.append(w.HTML(f"<b>{html.escape(self.title)}</b>"))
        rows.append(w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")))
        rows.append(w.HBox([reset, *plays]))
        rows.extend([summary, image, status])
        box = self._box(rows, "mlfail-panel")
        return {"controls": controls, "image": image, "summary": summary,
                "status": status, "box": box, "reset": reset, "plays": plays}

    def _describe(self) -> str:
        return (f"<mlfail Panel over {getattr(self._compute, '__name__', 'a function')}"
                f"({', '.join(f'{k}={v!r}' for k, v in self.values.items())})>")

    # ----------------------------------------------------------------- updates
    def _on_change(self, _change) -> None:
        if self._holding or self._widgets is None:
            return
        values = {name: control.value for name, control in self._widgets["controls"].items()}
        self._request(values)

    def _request(self, values: dict) -> None:
        if not self.background:
            self._run(values)
            return
        with self._condition:
            if self._closed:
                return
            self._pending = values
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="mlfail-panel", daemon=True)
                self._worker.start()
            self._condition.notify_all()

    def _work(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._closed:
                    self._condition.wait()
                if self._closed:
                    return
                values, self._pending = self._pending, None
                assert values is not None  # the wait above ends on a request or on close
                self._busy = True
            try:
                self._run(values)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _superseded(self) -> bool:
        return self.background and self._pending is not None

    def _run(self, values: dict) -> None:
        start = time.perf_counter()
        try:
            result = self._compute(**self.fixed, **values)
            if self._superseded():
                self.superseded += 1
                return
            with style.context():
                self._update(self.drawn, result)
            # The layout stays frozen; an update that needs new margins (new labels, another
            # size) re-enables the figure's layout engine and gets one layout pass here.
            png = render_png(self.drawn.figure, freeze_layout=True)
        except Exception as error:  # shown in the panel; the panel keeps working
            self._show_error(error)
            return
        self.result, self.values, self.png, self.error = result, dict(values), png, None
        self.updates += 1
        self.last_seconds = time.perf_counter() - start
        if self._widgets is not None:
            self._widgets["image"].value = png
            self._widgets["status"].value = ""
            if self._summary:
                try:
                    self._widgets["summary"].value = self._summary(result)
                except Exception as error:
                    self._show_error(error)

    def _show_error(self, error: BaseException) -> None:
        self.error = short_message(error)
        if self._widgets is not None:
            self._widgets["status"].value = self._error_html(
                "This setting failed.",
                "The figure still shows the last values that worked; change a control to try again.")

    # ----------------------------------------------------------------- public API
    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then update once on leaving the block."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            if not self._holding and self._widgets is not None:
                self._on_change(None)

    def set(self, **values: Any) -> Any:
        """Set controls by name, update once, wait for it and return the result.

        Values are checked against each control's range or options first.
        """
        for name, value in values.items():
            if name not in self.specs:
                raise ParameterError(
                    f"{owner_name()} got an unknown control {name!r}; the controls are "
                    + ", ".join(repr(n) for n in self.specs) + "."
                )
            values[name] = self.specs[name].check(name, value)
        controls = self.controls
        with self.hold():
            for name, value in values.items():
                controls[name].value = value
        self.wait()
        return self.result

    def reset(self) -> None:
        """Put every control back to its default value."""
        controls = self.controls
        with self.hold():
            for name, spec in self.specs.items():
                controls[name].value = spec.value
                for play in self._widgets["plays"] if self._widgets else ():
                    play.playing = False

    def mark_main(self, control: str) -> Panel:
        """Mark this panel as its chapter's main widget, driven through ``control``.

        Adds the CSS classes the browser tests look for: ``mlfail-main`` on the panel and
        ``mlfail-drive`` on the control they move. Returns the panel, for chaining.
        """
        if control not in self.specs:
            raise ParameterError(f"{owner_name()} got an unknown control {control!r}; the controls are "
                                 + ", ".join(repr(n) for n in self.specs) + ".")
        self.widget.add_class("mlfail-main")
        self.controls[control].add_class("mlfail-drive")
        return self

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the pending update (if any) is drawn; False on timeout."""
        if not self.background:
            return True
        with self._condition:
            return self._condition.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def _release(self) -> None:
        """Stop the worker thread (close() then closes the widgets)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5)
