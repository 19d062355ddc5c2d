"""Chapter 04's widgets: the (simulated) thermal model under a measured load, and a contention lab
where a real stress run goes next to a real model server while the resource monitor watches.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import ParameterError, check_choice, check_float, check_int, owner_name
from ..failures.hardware import (
    ContentionScenario,
    LatencyRun,
    measure_latency,
    simulate_thermal,
    usable_cores,
)
from ..plots import hardware as plots
from ..plots._base import encode_png
from ._errors import short_message
from ._figure import FigureWidget
from .controls import Slider
from .monitor import ResourceMonitor
from .panel import Panel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..failures.hardware import LatencyReport

__all__ = ["MITIGATIONS", "ContentionLab", "thermal_panel"]


def _thermal_summary(run) -> str:
    verdict = (f'<b style="color:#D55E00">crashed at {run.crashed_at:.0f} s</b>' if run.crashed
               else "<b>survived</b>")
    return (f"peak <b>{run.peak:.0f} °C</b> · throttled <b>{run.throttled_share:.0%}</b> of the time · "
            f"work done <b>{run.work_done:.0%}</b> · {verdict} "
            "<i>(temperature simulated, load measured)</i>")


def thermal_panel(utilisation: ArrayLike, interval: float, *, duration: float = 300.0,
                  **panel_options: Any) -> Panel:
    """Sliders for the cooler and the load; the simulated CPU heats, throttles, maybe crashes.

    Parameters
    ----------
    utilisation : array-like
        A measured utilisation trace (fraction or percent), e.g. the ``cpu_percent`` column
        of a :class:`~mlfail_widgets.failures.hardware.ResourceSampler`'s samples.
    interval : float
        Seconds between its values.
    duration : float, default=300.0
        Simulated seconds (the trace is replayed to fill them).

    Examples
    --------
    >>> panel = thermal_panel([20.0, 100.0, 100.0, 20.0], interval=1.0)
    >>> panel.set(cooling=0.4).crashed, panel.set(cooling=2.5).crashed
    (True, False)
    >>> panel.close()
    """
    trace = np.asarray(utilisation, dtype=float)
    panel = Panel(
        simulate_thermal,
        plots.draw_thermal,
        plots.update_thermal,
        {
            "cooling": Slider(0.3, 3.0, step=0.05, value=1.2, label="cooling (W/K)", fmt=".2f"),
            "load": Slider(0.2, 2.0, step=0.05, value=1.0, label="load (x measured)", fmt=".2f"),
        },
        fixed={"utilisation": trace, "interval": interval, "duration": duration},
        summary=_thermal_summary,
        **panel_options,
    )
    return panel.mark_main("cooling")


#: The mitigations the lab offers: what each changes in the scenario.
MITIGATIONS: dict[str, dict[str, Any]] = {
    "none (1 BLAS thread)": {"threads": 1},
    "numpy's default BLAS threads (one per core)": {},
    "stress at nice 19": {"threads": 1, "stress_nice": 19},
    "admission control (queue <= 4)": {"threads": 1, "max_queue": 4},
    "timeout 25 ms": {"threads": 1, "timeout": 0.025},
    "batching (up to 16)": {"threads": 1, "max_batch": 16},
}


def _side_by_side(left: bytes, right: bytes) -> bytes:
    """Two PNGs as one, side by side (for frontends that show only the static image)."""
    import io

    from PIL import Image

    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in (left, right)]
    height = max(image.height for image in images)
    combined = Image.new("RGB", (sum(image.width for image in images), height), "white")
    x = 0
    for image in images:
        combined.paste(image, (x, (height - image.height) // 2))
        x += image.width
    return encode_png(np.asarray(combined))


def _empty_run(slo: float) -> LatencyRun:
    empty = np.array([])
    return LatencyRun("press Run", empty, empty, empty, empty.astype(int), slo=slo)


class ContentionLab(FigureWidget):
    """A real stress run next to a real model server, the resource monitor beside the latency chart.

    Pick how many CPU-burning workers run and which mitigation is in place, press Run: the
    workers burn for a bounded time while the server answers requests, the monitor shows the
    machine and the chart shows every request's latency.

    Parameters
    ----------
    seconds : float, default=1.5
        Length of one measurement, in [0.2, 5].
    rate : float, default=400.0
        Requests per second.
    slo : float, default=0.025
        The latency objective, seconds.
    seed : int, default=0
        Seed of the arrival times.
    preview : LatencyReport, optional
        Show one of its runs (``preview_run``, default the second) and the machine during it
        until the first Run: the figure is then complete in a static export too.
    preview_run : str, optional
        The scenario of ``preview`` to show.

    Examples
    --------
    >>> lab = ContentionLab(seconds=0.3, rate=100, width=64)
    >>> run = lab.run(workers=1, mitigation="batching (up to 16)")
    >>> run.status.size > 10, lab.monitor.running
    (True, False)
    >>> lab.close()
    """

    def __init__(self, seconds: float = 1.5, rate: float = 400.0, slo: float = 0.025, seed: int = 0,
                 *, width: int = 2048, preview: LatencyReport | None = None,
                 preview_run: str | None = None) -> None:
        self.seconds = check_float(seconds, "seconds", low=0.2, high=5)
        self.rate, self.slo, self.seed, self.width = rate, slo, seed, width
        # The monitor watches each run; it stops with the run, or after this bound at the latest.
        self.monitor = ResourceMonitor(duration=4 * self.seconds + 10, interval=0.2, window=10,
                                       refresh=0.5)
        self.result = _empty_run(slo)
        if preview is not None:
            self.result = preview[preview_run] if preview_run else preview.runs[min(1, len(preview.runs) - 1)]
            if preview.trace is not None:
                for name, start, end in preview.windows:
                    if name == self.result.name:
                        trace = preview.trace
                        window = trace[(trace["time"] >= start - 1) & (trace["time"] <= end + 1)]
                        self.monitor.sampler.load(window.assign(time=window["time"] - window["time"].min()))
        self.drawn = plots.draw_requests(self.result)
        self._render_figure()
        self.error: str | None = None
        self.notes: list[str] = []
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None

    def run(self, workers: int = 2, mitigation: str = "none (1 BLAS thread)") -> LatencyRun:
        """Measure once (blocking, bounded): stress with ``workers``, serve, update the figures."""
        workers = check_int(workers, "workers", low=0, high=usable_cores())
        mitigation = check_choice(mitigation, "mitigation", MITIGATIONS)
        if not self._busy.acquire(blocking=False):
            raise ParameterError(f"{owner_name()}: a measurement is already running; wait for it.")
        try:
            self.monitor.start()
            scenario = ContentionScenario(f"{workers} stress worker(s), mitigation: {mitigation.split(' (')[0]}",
                                stress_workers=workers, **MITIGATIONS[mitigation])
            experiment = measure_latency([scenario], rate=self.rate, seconds=self.seconds,
                                         slo=self.slo, seed=self.seed, width=self.width,
                                         sample_interval=None, rounds=1)
            self.result = experiment.runs[0]
            self.notes = list(experiment.notes)  # e.g. other learners' stress: waited, or fewer workers
            plots.update_requests(self.drawn, self.result)
            self._render_figure()
            self.error = None
        finally:
            self.monitor.stop()
            self._busy.release()
        return self.result

    # ----------------------------------------------------------------- widgets
    def _clicked(self, _button: Any) -> None:
        parts = self._widgets
        if parts is None:
            return
        parts["run"].disabled = True
        parts["status"].value = f"Measuring for {self.seconds:g} s under stress..."

        def work() -> None:
            try:
                run = self.run(parts["workers"].value, parts["mitigation"].value)
                parts["status"].value = (f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.0f} ms, "
                                         f"{run.over_slo:.0%} of requests miss the {self.slo * 1000:g} ms SLO; "
                                         "every stress worker has been stopped. " + " ".join(self.notes))
            except Exception as error:  # shown in the widget, which keeps working
                self.error = short_message(error)
                parts["status"].value = self._error_html("The run failed.")
            finally:
                parts["run"].disabled = False

        self._thread = threading.Thread(target=work, name="mlfail-contention-lab", daemon=True)
        self._thread.start()

    def _build_widgets(self) -> dict[str, Any]:
        import ipywidgets as w

        workers = w.IntSlider(value=usable_cores(), min=0, max=usable_cores(),
                              description="stress workers", style={"description_width": "initial"})
        mitigation = w.Dropdown(options=list(MITIGATIONS), description="mitigation",
                                style={"description_width": "initial"}, layout=w.Layout(width="420px"))
        run = w.Button(description="Run", icon="play", button_style="primary")
        run.on_click(self._clicked)
        image = self._figure_image()
        status = self._line("mlfail-status", "Choose the stress and a mitigation, then press Run.")
        figures = w.HBox([w.Box([self.monitor.widget], layout=w.Layout(width="60%")),
                          w.Box([image], layout=w.Layout(width="40%"))])
        box = self._box([w.HBox([workers, mitigation, run]), status, figures], "mlfail-contention-lab")
        return {"workers": workers, "mitigation": mitigation, "run": run, "image": image,
                "status": status, "box": box}

    def _static_png(self) -> bytes:
        return _side_by_side(self.monitor.png, self.png)  # the static fallback: both figures

    def _describe(self) -> str:
        return f"<ContentionLab: last run {self.result.name!r}>"

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for a measurement started from the widget; False on timeout."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not (self._thread and self._thread.is_alive())

    def _release(self) -> None:
        """Wait for a running measurement and stop the monitor (close() then closes the widgets)."""
        self.wait()
        self.monitor.close()
