"""Real measurement with psutil: what the machine reports, and a bounded background sampler.

Utilisation is computed from ``psutil.cpu_times`` differences (the share of time each core
was not idle between two readings), the same definition as ``psutil.cpu_percent`` but with no
hidden module state, so several samplers never disturb each other.
"""

from __future__ import annotations

import atexit
import collections
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..._validation import ParameterError, check_float, owner_name, parameter_error

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MIN_INTERVAL",
    "MachineReport",
    "ResourceSampler",
    "cpu_busy_percent",
    "machine_report",
]

#: The sampler never reads faster than this (10 Hz).
MIN_INTERVAL = 0.1
#: The longest a sampler may run.
MAX_DURATION = 24 * 3600.0
_MAX_SAMPLES = 20_000


def _busy_and_total(times) -> tuple[float, float]:
    # guest times are already counted inside user/nice on Linux; iowait is idle time.
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def cpu_busy_percent(before: Any, after: Any) -> float:
    """Utilisation of one CPU between two ``psutil.cpu_times()`` readings, in percent.

    Examples
    --------
    >>> from collections import namedtuple
    >>> Times = namedtuple("Times", "user system idle")
    >>> cpu_busy_percent(Times(10, 5, 85), Times(13, 6, 86))  # 4 of 5 seconds busy
    80.0
    """
    busy_before, total_before = _busy_and_total(before)
    busy_after, total_after = _busy_and_total(after)
    elapsed = total_after - total_before
    if elapsed <= 0:
        return 0.0
    return float(min(100.0, max(0.0, 100.0 * (busy_after - busy_before) / elapsed)))


@dataclass
class MachineReport:
    """What psutil can read on this machine, and plain notes on what it cannot.

    ``frequency_mhz`` and ``temperatures`` are None when the machine does not expose them
    (most virtual machines, containers and many laptops without the right drivers).
    """

    logical_cores: int
    physical_cores: int | None
    usable_cores: int
    core_percent: list[float]
    load_average: tuple[float, float, float] | None
    memory_total_gb: float
    memory_used_percent: float
    memory_available_gb: float
    frequency_mhz: float | None
    frequency_range_mhz: tuple[float, float] | None
    temperatures: dict[str, float] | None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines a learner can read."""
        load = ("not available on this system" if self.load_average is None
                else " / ".join(f"{v:.2f}" for v in self.load_average) + " (1, 5, 15 min)")
        lines = [
            f"cores: {self.logical_cores} logical, {self.physical_cores or '?'} physical, "
            f"{self.usable_cores} usable by this kernel",
            "per-core utilisation now: " + ", ".join(f"{p:.0f}%" for p in self.core_percent),
            f"load average: {load}",
            f"memory: {self.memory_total_gb:.1f} GB total, {self.memory_used_percent:.0f}% used, "
            f"{self.memory_available_gb:.1f} GB available",
            "CPU frequency: " + (f"{self.frequency_mhz:.0f} MHz" if self.frequency_mhz else "not exposed"),
            "temperatures: " + (", ".join(f"{k} {v:.0f} °C" for k, v in self.temperatures.items())
                                if self.temperatures else "not exposed"),
        ]
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def machine_report(interval: float = 0.2) -> MachineReport:
    """Read per-core utilisation (over ``interval`` seconds), load, memory, frequency, temperature.

    Parameters
    ----------
    interval : float, default=0.2
        Seconds between the two readings the utilisation is computed from, in [0.1, 5].

    Examples
    --------
    >>> report = machine_report(interval=0.1)
    >>> len(report.core_percent) == report.logical_cores
    True
    >>> all(0 <= p <= 100 for p in report.core_percent)
    True
    """
    import psutil

    from .stress import usable_cores

    interval = check_float(interval, "interval", low=MIN_INTERVAL, high=5.0)
    before = psutil.cpu_times(percpu=True)
    time.sleep(interval)
    after = psutil.cpu_times(percpu=True)
    notes = []
    frequency = psutil.cpu_freq() if hasattr(psutil, "cpu_freq") else None
    frequency_mhz = frequency_range = None
    if frequency is not None and frequency.current:
        frequency_mhz = float(frequency.current)
        if frequency.max:
            frequency_range = (float(frequency.min), float(frequency.max))
        else:
            notes.append(f"the CPU reports {frequency_mhz:.0f} MHz but no min/max: frequency "
                         "scaling is not visible here (typical of a virtual machine), so "
                         "throttling cannot be observed on this machine.")
    else:
        notes.append("the CPU frequency is not exposed on this machine.")
    temperatures = None
    if hasattr(psutil, "sensors_temperatures"):
        readings = psutil.sensors_temperatures() or {}
        flat = {f"{chip}/{entry.label or i}": float(entry.current)
                for chip, entries in readings.items() for i, entry in enumerate(entries)}
        temperatures = flat or None
    if temperatures is None:
        notes.append("no temperature sensor is exposed on this machine (typical of a virtual "
                     "machine): overheating can only be simulated here.")
    try:
        one, five, fifteen = psutil.getloadavg()
        load: tuple[float, float, float] | None = (float(one), float(five), float(fifteen))
    except (AttributeError, OSError):  # pragma: no cover - every supported OS has it
        load = None
    memory = psutil.virtual_memory()
    return MachineReport(
        logical_cores=psutil.cpu_count() or 1,
        physical_cores=psutil.cpu_count(logical=False),
        usable_cores=usable_cores(),
        core_percent=[cpu_busy_percent(b, a) for b, a in zip(before, after, strict=True)],
        load_average=load,
        memory_total_gb=memory.total / 1e9,
        memory_used_percent=float(memory.percent),
        memory_available_gb=memory.available / 1e9,
        frequency_mhz=frequency_mhz,
        frequency_range_mhz=frequency_range,
        temperatures=temperatures,
        notes=notes,
    )


_LIVE: weakref.WeakSet = weakref.WeakSet()


def _sample_loop(reference, stop: threading.Event, interval: float, duration: float) -> None:
    """The sampler's thread. Holds only a weak reference, so a dropped sampler ends it."""
    started = time.monotonic()
    next_at = started + interval
    while not stop.wait(max(0.0, next_at - time.monotonic())):
        sampler = reference()
        if sampler is None:
            return
        taken = time.monotonic()
        try:
            sampler._take(taken)
        except Exception as error:  # e.g. the followed process ended: stop, and say why
            sampler.error = f"{type(error).__name__}: {error}"
            break
        finally:
            del sampler
        if taken - started >= duration:
            break
        next_at = taken + interval  # never closer than `interval` to the last sample
    sampler = reference()
    if sampler is not None:
        sampler._finished()


class ResourceSampler:
    """Sample CPU (per core) and memory of the machine and of one process in a background thread.

    The thread is a daemon; it stops when :meth:`stop` or :meth:`close` is called, when
    ``duration`` runs out, when the sampler is garbage-collected, and at interpreter exit.
    It never samples faster than every ``interval`` seconds (at most 10 Hz).

    Parameters
    ----------
    interval : float, default=0.5
        Seconds between samples, in [0.1, 60].
    duration : float, default=120.0
        Seconds after which sampling stops by itself, in (0, 86400].
    pid : int, optional
        The process to follow (default: this one, e.g. the notebook's kernel).
    on_sample : callable, optional
        Called as ``on_sample(sampler)`` in the sampler's thread after each sample.
    on_stop : callable, optional
        Called as ``on_stop(sampler)`` in the sampler's thread when sampling ends (stopped,
        or its duration ran out).

    Attributes
    ----------
    samples : pandas.DataFrame
        One row per sample: ``time`` (s since start), ``cpu_percent`` (machine, mean over
        cores), ``core_0``... (per core, %), ``memory_percent`` and ``memory_used_gb``
        (machine), ``process_cpu_percent`` (% of one core, up to 100 x cores),
        ``process_rss_mb``, ``load_1min``; inside a container (a cgroup of its own, or a quota)
        also ``container_cpu_percent``: the whole container's CPU use from its cgroup, in % of
        the machine, which psutil's machine-wide numbers do not show.

    Examples
    --------
    >>> with ResourceSampler(interval=0.1, duration=0.35) as sampler:
    ...     finished = sampler.join(timeout=5)
    >>> finished, sampler.running, 2 <= len(sampler.samples) <= 4
    (True, False, True)
    >>> ResourceSampler(interval=0.01)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'interval' parameter of ResourceSampler must be a number in [0.1, 60]. Got 0.01 instead. Sampling faster than 10 Hz costs CPU and tells nothing more.
    """

    def __init__(self, interval: float = 0.5, duration: float = 120.0, *, pid: int | None = None,
                 on_sample: Callable | None = None, on_stop: Callable | None = None):
        import psutil

        self.interval = check_float(
            interval, "interval", low=MIN_INTERVAL, high=60.0,
            fix="Sampling faster than 10 Hz costs CPU and tells nothing more.")
        self.duration = check_float(duration, "duration", low=0, high=MAX_DURATION,
                                    low_open=True)
        from ...machine import read_cgroup_limits

        self.process = psutil.Process(os.getpid() if pid is None else pid)
        self.cores = psutil.cpu_count() or 1
        limits = read_cgroup_limits()
        # In a container, its own CPU use is drawn beside the host's (psutil shows the host's).
        self.container = limits.is_container and limits.cpu_usage_seconds is not None
        self.on_sample, self.on_stop = on_sample, on_stop
        self._rows: collections.deque = collections.deque(maxlen=_MAX_SAMPLES)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._finalizer: weakref.finalize | None = None
        self._last: tuple[float, Any, float, int, float | None] | None = None  # the previous reading
        self.started_at = float("nan")
        self.error: str | None = None

    # --------------------------------------------------------------- sampling
    def _read(self) -> tuple[float, Any, float, int, float | None]:
        import psutil

        from ...machine import read_cgroup_limits

        with self.process.oneshot():
            process_times = self.process.cpu_times()
            rss = self.process.memory_info().rss
        container = read_cgroup_limits().cpu_usage_seconds if self.container else None
        return (time.monotonic(), psutil.cpu_times(percpu=True),
                process_times.user + process_times.system, rss, container)

    def _take(self, taken: float) -> None:
        import psutil

        now, cores, process_cpu, rss, container = self._read()
        if self._last is None:  # start() reads once before the first sample
            raise RuntimeError("ResourceSampler: start() it before taking samples.")
        last_time, last_cores, last_process_cpu, _, last_container = self._last
        self._last = (now, cores, process_cpu, rss, container)
        per_core = [cpu_busy_percent(b, a) for b, a in zip(last_cores, cores, strict=True)]
        memory = psutil.virtual_memory()
        try:
            load = float(psutil.getloadavg()[0])
        except (AttributeError, OSError):  # pragma: no cover
            load = float("nan")
        wall = max(now - last_time, 1e-9)
        row = {
            "time": taken - self.started_at,  # when the sample was due: spaced by >= interval
            "cpu_percent": sum(per_core) / len(per_core),
            **{f"core_{i}": value for i, value in enumerate(per_core)},
            "memory_percent": float(memory.percent),
            "memory_used_gb": (memory.total - memory.available) / 1e9,
            "process_cpu_percent": max(0.0, 100.0 * (process_cpu - last_process_cpu) / wall),
            "process_rss_mb": rss / 1e6,
            "load_1min": load,
        }
        if self.container:
            used = (container - last_container if container is not None and last_container is not None
                    else float("nan"))
            row["container_cpu_percent"] = max(0.0, 100.0 * used / wall / self.cores)
        with self._lock:
            self._rows.append(row)
        if self.on_sample is not None:
            try:
                self.on_sample(self)
            except Exception as error:  # a display problem must not kill the sampling
                self.error = f"{type(error).__name__}: {error}"

    def _finished(self) -> None:
        _LIVE.discard(self)
        if self.on_stop is not None:
            try:
                self.on_stop(self)
            except Exception as error:
                self.error = f"{type(error).__name__}: {error}"

    @property
    def samples(self) -> pd.DataFrame:
        import pandas as pd

        with self._lock:
            rows = list(self._rows)
        columns = ["time", "cpu_percent", *[f"core_{i}" for i in range(self.cores)], "memory_percent",
                   "memory_used_gb", "process_cpu_percent", "process_rss_mb", "load_1min"]
        if self.container:
            columns.append("container_cpu_percent")
        return pd.DataFrame(rows, columns=columns)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def load(self, samples: pd.DataFrame) -> ResourceSampler:
        """Show an earlier recording: replace the samples with ``samples`` (a samples DataFrame).

        Only while not running; the next :meth:`start` records afresh.
        """
        if self.running:
            raise ParameterError(f"{owner_name()}: the sampler is running; stop() it first, then load samples.")
        columns = list(self.samples.columns)
        missing = [c for c in columns if c not in samples.columns]
        if missing:
            raise parameter_error("samples", f"a DataFrame with the sampler's columns (missing: {missing})",
                                  f"a DataFrame with columns {list(samples.columns)}")
        rows = samples[columns].to_dict("records")
        with self._lock:
            self._rows.clear()
            self._rows.extend(rows)
        return self

    # --------------------------------------------------------------- control
    def start(self) -> ResourceSampler:
        """Start sampling (a call while running does nothing; after a stop, a new recording)."""
        if self.running:
            return self
        self._stop.clear()
        self.error = None
        with self._lock:
            self._rows.clear()
        self.started_at = time.monotonic()
        self._last = self._read()
        self._thread = threading.Thread(
            target=_sample_loop, args=(weakref.ref(self), self._stop, self.interval, self.duration),
            name="mlfail-resource-sampler", daemon=True)
        self._finalizer = weakref.finalize(self, self._stop.set)
        _LIVE.add(self)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the sampling to end by itself (its duration); False on timeout."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling and wait for the thread to end; the samples are kept."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        _LIVE.discard(self)

    close = stop

    def __enter__(self) -> ResourceSampler:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"ResourceSampler(interval={self.interval:g}, duration={self.duration:g})  # {state}"


@atexit.register
def _stop_every_sampler() -> None:
    for sampler in list(_LIVE):
        sampler.on_sample = sampler.on_stop = None  # no drawing while the interpreter exits
        sampler.stop(timeout=1.0)
