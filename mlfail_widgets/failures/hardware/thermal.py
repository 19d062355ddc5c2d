"""Overheating, SIMULATED: a first-order thermal model driven by a real utilisation trace.

A CPU cannot be made to overheat safely (and a virtual machine exposes no temperature), so
the temperature is simulated. The load is not: the model is driven by utilisation measured
with psutil while real stress ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import check_float, parameter_error

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["ThermalModel", "ThermalRun", "simulate_thermal"]


def _plain(value):
    """A Python scalar for a scalar result, the array otherwise."""
    return np.asarray(value).item() if np.ndim(value) == 0 else value


@dataclass(frozen=True)
class ThermalModel:
    """A CPU and its cooler as one heat capacity losing heat to the air (a first-order RC model).

    Parameters
    ----------
    ambient : float, default=25.0
        Air temperature, °C.
    capacity : float, default=30.0
        Heat capacity of chip and heatsink, J/K. With ``cooling`` it sets the time constant
        ``capacity / cooling`` (25 s by default).
    cooling : float, default=1.2
        Heat carried away per kelvin above ambient, W/K: a good cooler is about 2, a clogged
        fan or a laptop on a blanket 0.5 or less.
    idle_power, max_power : float, default=10.0, 95.0
        Electrical power (W), all turned into heat, at zero and at full load and frequency.
    throttle_at : float, default=85.0
        Temperature (°C) above which the CPU lowers its frequency.
    critical_at : float, default=100.0
        Temperature (°C) at which the CPU shuts down to protect itself: the process crashes.
    min_frequency : float, default=0.4
        The lowest frequency throttling goes to, as a fraction of the nominal one.

    Notes
    -----
    With utilisation :math:`u` and frequency :math:`f` (a fraction of nominal), the power is
    :math:`P = P_{idle} + (P_{max} - P_{idle})\\,u f` (real dynamic power falls faster than
    linearly with frequency, as voltage drops with it), and

    .. math:: C \\frac{dT}{dt} = P - k (T - T_{amb}),

    so at constant power the temperature settles at :math:`T_{ss} = T_{amb} + P / k`. Above
    ``throttle_at`` the frequency falls linearly, reaching ``min_frequency`` at
    ``critical_at``. Each step is integrated exactly for the power of that step.

    Examples
    --------
    >>> ThermalModel().steady_state(1.0)  # full load, no throttling: 25 + 95 / 1.2
    104.16666666666667
    >>> ThermalModel(cooling=0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'cooling' parameter of ThermalModel must be a number in (0, 20]. Got 0 instead.
    """

    ambient: float = 25.0
    capacity: float = 30.0
    cooling: float = 1.2
    idle_power: float = 10.0
    max_power: float = 95.0
    throttle_at: float = 85.0
    critical_at: float = 100.0
    min_frequency: float = 0.4

    def __post_init__(self):
        check_float(self.ambient, "ambient", low=-40, high=60)
        check_float(self.capacity, "capacity", low=0, high=10_000, low_open=True)
        check_float(self.cooling, "cooling", low=0, high=20, low_open=True)
        check_float(self.idle_power, "idle_power", low=0, high=1000)
        check_float(self.max_power, "max_power", low=self.idle_power, high=1000)
        check_float(self.throttle_at, "throttle_at", low=self.ambient, high=200, low_open=True)
        check_float(self.critical_at, "critical_at", low=self.throttle_at, high=250,
                    low_open=True, fix="The CPU must throttle before it shuts down.")
        check_float(self.min_frequency, "min_frequency", low=0.05, high=1)

    def power(self, utilisation: np.ndarray | float, frequency: np.ndarray | float = 1.0) -> Any:
        """Heat (W) produced at ``utilisation`` in [0, 1] and ``frequency`` (fraction of nominal)."""
        return _plain(self.idle_power + (self.max_power - self.idle_power)
                      * np.asarray(utilisation, dtype=float) * frequency)

    def steady_state(self, utilisation: np.ndarray | float, frequency: np.ndarray | float = 1.0) -> Any:
        """The temperature (°C) a constant load settles at: ``ambient + power / cooling``."""
        return _plain(self.ambient + self.power(utilisation, frequency) / self.cooling)

    def frequency(self, temperature: np.ndarray | float) -> Any:
        """The throttled frequency (fraction of nominal) at ``temperature``."""
        span = self.critical_at - self.throttle_at
        drop = (np.asarray(temperature, dtype=float) - self.throttle_at) / span
        return np.clip(1.0 - (1.0 - self.min_frequency) * drop, self.min_frequency, 1.0)


@dataclass
class ThermalRun:
    """A simulated run: arrays over time (last axis); leading axes follow a swept ``cooling``."""

    time: np.ndarray
    utilisation: np.ndarray
    temperature: np.ndarray
    frequency: np.ndarray
    alive: np.ndarray
    crashed_at: np.ndarray | float
    model: ThermalModel
    cooling: np.ndarray | float
    load: float

    @property
    def crashed(self) -> Any:
        """True where the CPU reached its critical temperature and shut down."""
        return _plain(~np.isnan(self.crashed_at))

    @property
    def peak(self) -> Any:
        """The highest temperature reached (°C)."""
        return _plain(self.temperature.max(axis=-1))

    @property
    def throttled_share(self) -> Any:
        """Share of the time the CPU ran below its nominal frequency (while alive)."""
        return _plain(((self.frequency < 1.0) & self.alive).mean(axis=-1))

    @property
    def work_done(self) -> Any:
        """Work done as a share of the work asked for (throttling slows it, a crash stops it)."""
        asked = self.utilisation.sum()
        done = (self.utilisation * self.frequency * self.alive).sum(axis=-1)
        return _plain(done / asked if asked > 0 else np.ones_like(done))


def simulate_thermal(utilisation: ArrayLike, interval: float, *, model: ThermalModel | None = None,
                     cooling: ArrayLike | None = None, load: float = 1.0, duration: float | None = None,
                     start_temperature: float | None = None) -> ThermalRun:
    """Simulate the CPU temperature under a measured utilisation trace.

    Parameters
    ----------
    utilisation : array-like of float
        Machine utilisation in [0, 1] (or percent in [0, 100], detected when a value exceeds
        1), one value per ``interval`` seconds; e.g. ``samples["cpu_percent"]`` of a
        :class:`ResourceSampler`.
    interval : float
        Seconds between utilisation values, in [0.01, 60].
    model : ThermalModel, optional
        The CPU and cooler (default: :class:`ThermalModel`).
    cooling : float or array-like, optional
        Overrides ``model.cooling`` (W/K); an array sweeps several coolers at once (vectorised).
    load : float, default=1.0
        Scales the measured utilisation (capped at 1): 0.5 is half the measured load.
    duration : float, optional
        Simulated seconds; the trace is repeated (a recurring job) to fill them, in
        [interval, 86400]. Default: the trace's own length.
    start_temperature : float, optional
        Default: the idle steady state (the machine was idle before the trace).

    Examples
    --------
    Ten minutes at full load: the default cooler holds the CPU at 90 °C by throttling it to
    80% of its frequency; a weak one lets it crash; a strong one needs no throttling.

    >>> run = simulate_thermal([1.0], interval=1.0, duration=600)
    >>> round(run.peak, 1), bool(run.crashed), round(run.work_done, 2)
    (90.0, False, 0.81)
    >>> sweep = simulate_thermal([1.0], interval=1.0, duration=600, cooling=[0.4, 1.2, 2.0])
    >>> sweep.crashed.tolist(), sweep.crashed_at.tolist(), np.round(sweep.work_done, 2).tolist()
    ([True, False, False], [26.0, nan, nan], [0.04, 0.81, 1.0])
    """
    model = ThermalModel() if model is None else model
    if not isinstance(model, ThermalModel):
        raise parameter_error("model", "a ThermalModel (or None for the default)", model)
    try:
        trace = np.asarray(utilisation, dtype=float).ravel()
    except (TypeError, ValueError):
        raise parameter_error(
            "utilisation", "a sequence of numbers in [0, 1] (or percent in "
            "[0, 100])", utilisation, fix="Pass e.g. [1.0] or samples['cpu_percent'] of a "
            "ResourceSampler.") from None
    if trace.size == 0 or not np.isfinite(trace).all() or trace.min() < 0 or trace.max() > 100:
        raise parameter_error("utilisation", "a non-empty sequence of finite values in [0, 1] (or percent in "
                              "[0, 100])", utilisation, fix="Pass e.g. samples['cpu_percent'] of a ResourceSampler.")
    if trace.max() > 1:
        trace = trace / 100.0
    interval = check_float(interval, "interval", low=0.01, high=60)
    load = check_float(load, "load", low=0, high=10)
    steps = trace.size
    if duration is not None:
        duration = check_float(duration, "duration", low=interval, high=86_400)
        steps = round(duration / interval)
        if steps > 200_000:
            raise parameter_error("duration", "at most 200000 steps of 'interval'", duration,
                                  fix="Raise 'interval' or shorten 'duration'.")
    demand = np.clip(load * np.resize(trace, steps), 0.0, 1.0)
    if cooling is None:
        cooling = model.cooling
    try:
        cooling_array = np.asarray(cooling, dtype=float)
    except (TypeError, ValueError):
        raise parameter_error("cooling", "a number or numbers in (0, 20] W/K",
                              cooling, fix="A good cooler is about 2 W/K, a clogged fan 0.5.") from None
    if not np.isfinite(cooling_array).all() or (cooling_array <= 0).any() or (cooling_array > 20).any():
        raise parameter_error("cooling", "a number or numbers in (0, 20] W/K", cooling,
                              fix="A good cooler is about 2 W/K, a clogged fan 0.5.")
    shape = cooling_array.shape
    coolers = cooling_array.reshape(-1)
    decay = np.exp(-coolers * interval / model.capacity)  # exact for the power of each step
    inverse = 1.0 / coolers
    slope = (1.0 - model.min_frequency) / (model.critical_at - model.throttle_at)
    heat = (model.max_power - model.idle_power) * demand  # dynamic power at full frequency
    temperature = np.empty((steps, coolers.size))
    frequency = np.empty((steps, coolers.size))
    alive = np.empty((steps, coolers.size), dtype=bool)
    current = np.broadcast_to(
        model.ambient + model.idle_power * inverse if start_temperature is None
        else float(start_temperature), coolers.shape).astype(float)
    up = np.ones(coolers.size, dtype=bool)
    for i in range(steps):  # nonlinear feedback (throttling): a loop over time, vectorised over coolers
        up &= current < model.critical_at
        f = np.minimum(1.0, np.maximum(model.min_frequency, 1.0 - slope * (current - model.throttle_at)))
        settle = model.ambient + (model.idle_power + heat[i] * f) * up * inverse  # a crashed CPU is off
        temperature[i], frequency[i], alive[i] = current, f, up
        current = settle + (current - settle) * decay
    dead = ~alive
    crashed_at = np.where(dead.any(axis=0), dead.argmax(axis=0) * interval, np.nan).reshape(shape)
    temperature, frequency, alive = (a.T.reshape(*shape, steps) for a in (temperature, frequency, alive))
    scalar = np.ndim(cooling) == 0
    return ThermalRun(
        time=np.arange(steps) * interval, utilisation=demand, temperature=temperature,
        frequency=frequency, alive=alive,
        crashed_at=float(crashed_at) if scalar else crashed_at,
        model=model, cooling=float(cooling_array) if scalar else cooling_array, load=load,
    )
