"""A live resource monitor: CPU per core and memory of this machine and kernel, as a rolling chart.

The sampling runs in a background daemon thread (:class:`ResourceSampler`) at a bounded rate;
the chart is updated in place and re-rendered at most every ``refresh`` seconds. It stops
when closed, when its ``duration`` runs out, or when the kernel exits.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from .._validation import check_float
from ..failures.hardware import ResourceSampler
from ..plots import monitor as monitor_plot
from ..plots._base import render_png
from ._errors import error_html, short_message
from ._figure import FigureWidget

if TYPE_CHECKING:
    import pandas as pd

    from ..plots._base import Drawn
    from ..plots.monitor import MonitorArtists

__all__ = ["ResourceMonitor"]


def _waker(event: threading.Event):
    return lambda _sampler: event.set()


def _draw_loop(reference, wake: threading.Event, refresh: float) -> None:
    """Redraw every ``refresh`` seconds while sampling; one last frame when it ends."""
    while True:
        ended = wake.wait(refresh)
        monitor = reference()
        if monitor is None:
            return
        monitor._render()
        if ended or not monitor.running:
            return
        del monitor


class ResourceMonitor(FigureWidget):
    """A live chart of CPU (per core) and memory, machine and kernel, sampled with psutil.

    Parameters
    ----------
    duration : float, default=120.0
        Seconds after which the monitor stops by itself, in (0, 86400].
    interval : float, default=0.5
        Seconds between samples, in [0.1, 60] (never faster than 10 Hz).
    window : float, default=60.0
        Seconds of history on the rolling chart, in [2, 3600].
    refresh : float, optional
        Seconds between redraws of the chart, at least ``interval`` and 0.25 (default: the
        larger of ``interval`` and 1 second).
    pid : int, optional
        The process to follow (default: this kernel).

    Attributes
    ----------
    samples : pandas.DataFrame
        Everything sampled so far (see :class:`ResourceSampler`).
    renders : int
        How many times the chart was redrawn.

    Examples
    --------
    >>> with ResourceMonitor(duration=0.3, interval=0.1) as monitor:
    ...     finished = monitor.join(timeout=5)
    >>> finished, monitor.running, len(monitor.samples) >= 2
    (True, False, True)
    >>> monitor.png[:4] == b"\\x89PNG"
    True
    """

    def __init__(self, duration: float = 120.0, interval: float = 0.5, window: float = 60.0,
                 refresh: float | None = None, *, pid: int | None = None):
        self.window = check_float(window, "window", low=2, high=3600)
        self._wake = threading.Event()
        # The sampler only samples; drawing happens in a thread of its own, so a slow render
        # (the first one imports matplotlib) never delays a sample.
        self.sampler = ResourceSampler(interval, duration, pid=pid, on_stop=_waker(self._wake))
        least = max(self.sampler.interval, 0.25)
        if refresh is None:
            refresh = max(self.sampler.interval, 1.0)
        self.refresh = check_float(refresh, "refresh", low=least, high=3600,
                                   fix="Redrawing faster than the samples arrive shows nothing new.")
        self.renders = 0
        self.error: str | None = None
        self._lock = threading.RLock()
        self._drawer: threading.Thread | None = None
        self._drawn: Drawn | None = None
        self._png: bytes | None = None
        self._widgets: dict | None = None

    # ----------------------------------------------------------------- state
    @property
    def samples(self) -> pd.DataFrame:
        return self.sampler.samples

    @property
    def running(self) -> bool:
        return self.sampler.running

    @property
    def drawn(self) -> Drawn[MonitorArtists]:
        """The figure and its artists (created on first use)."""
        with self._lock:
            if self._drawn is None:
                self._drawn = monitor_plot.draw(self.samples, window=self.window)
            return self._drawn

    @property
    def figure(self) -> Any:
        return self.drawn.figure

    @property
    def png(self) -> bytes:  # type: ignore[override]  # read-only: _render() below keeps it
        """The chart as PNG bytes, as of the last render (rendered now if never)."""
        if self._png is None:
            self._render()
        return self._png or b""

    # ----------------------------------------------------------------- drawing
    def _status(self) -> str:
        count = len(self.sampler._rows)
        if self.error or self.sampler.error:
            return error_html("Monitor error.", self.error or self.sampler.error or "")
        if self.running:
            return (f"Sampling every {self.sampler.interval:g} s for up to "
                    f"{self.sampler.duration:g} s: {count} samples so far.")
        return f"Stopped: {count} samples." if count else "Not started: call start()."

    def _render(self) -> None:
        with self._lock:
            try:
                samples = self.samples
                monitor_plot.update(self.drawn, samples)
                # The first frame with data fixes the layout: later frames skip that pass (2x faster).
                self._png = render_png(self.drawn.figure, freeze_layout=len(samples) > 0)
                self.renders += 1
            except Exception as error:  # shown in the widget, the sampling goes on
                self.error = short_message(error)
            if self._widgets is not None:
                if self._png is not None:
                    self._widgets["image"].value = self._png
                self._widgets["status"].value = self._status()
                self._widgets["stop"].disabled = not self.running

    # ----------------------------------------------------------------- widgets
    def _build_widgets(self) -> dict[str, Any]:
        import ipywidgets as w

        image = self._figure_image(self.png)
        status = self._line("mlfail-status", self._status())
        stop = w.Button(description="Stop", icon="stop", disabled=not self.running,
                        layout=w.Layout(width="90px"))
        stop.on_click(lambda _button: self.stop())
        box = self._box([w.HBox([stop, status]), image], "mlfail-monitor")
        return {"image": image, "status": status, "stop": stop, "box": box}

    def _describe(self) -> str:
        return repr(self)

    # ----------------------------------------------------------------- control
    def start(self) -> ResourceMonitor:
        """Start sampling (and drawing, once displayed)."""
        if self.running:
            return self
        if self._png is None:  # draw here, not in the drawer: the first draw's imports would show in the samples
            self._render()
        self._wake.clear()
        self.sampler.start()
        self._drawer = threading.Thread(target=_draw_loop, args=(weakref.ref(self), self._wake, self.refresh),
                                        name="mlfail-monitor-drawer", daemon=True)
        self._drawer.start()
        if self._widgets is not None:
            self._widgets["stop"].disabled = False
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the monitor to stop by itself (its duration) and draw its last frame."""
        finished = self.sampler.join(timeout)
        if finished and self._drawer is not None:
            self._drawer.join(timeout)
        return finished and not (self._drawer and self._drawer.is_alive())

    def stop(self) -> None:
        """Stop sampling and draw the last frame; the chart keeps the samples taken."""
        self.sampler.stop()
        self._wake.set()
        drawer = self._drawer
        if drawer is not None and drawer is not threading.current_thread():
            drawer.join(timeout=10)

    def _release(self) -> None:
        """Stop sampling (close() then closes the widgets)."""
        self.stop()

    def __enter__(self) -> ResourceMonitor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"ResourceMonitor(duration={self.sampler.duration:g}, interval={self.sampler.interval:g},"
                f" window={self.window:g})  # {state}, {len(self.sampler._rows)} samples")

