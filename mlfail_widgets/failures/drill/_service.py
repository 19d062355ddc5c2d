"""The last twelve hours of the prediction service: health, latency and the machine's resources.

Health and latency come from chapter 03's discrete-event simulator
(:func:`mlfail_widgets.failures.downtime.simulate`): the prediction service, its feature store
and 16 clients with a 1 s timeout. Time is compressed: one simulated second stands for one
15-minute bin of the dashboard, so twelve hours are a 48-second run. A fault lives in a window:
the requests that arrive in it are replaced by those of a second run with the fault injected.
Latencies get a seeded network-and-model time on top of the simulator's plumbing time.

The resource trace (CPU per core, memory) is synthetic and is labelled simulated on the figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BINS", "BIN_MINUTES", "CORES", "Window", "resource_trace", "service_health"]

BIN_MINUTES = 15
BINS = 48  # twelve hours
CORES = 8
_CLIENTS = 16
_INTERVAL = 0.25  # seconds between two requests of one client: 64 requests per bin
_BASE_ERRORS = 0.002  # a healthy store still fails one call in 500


@dataclass(frozen=True)
class Window:
    """A fault during bins ``[start, end)`` of the twelve hours.

    ``fault`` and ``store`` are keyword arguments of chapter 03's
    :class:`~mlfail_widgets.failures.downtime.Fault` for the prediction service and its
    feature store (times in bins, relative to ``start``).
    """

    start: int
    end: int
    fault: dict = field(default_factory=dict)
    store: dict = field(default_factory=dict)


def _timing():
    from ..downtime import Timing

    return Timing(store=0.004, prediction=0.006, refused=0.0005)


def _scenario(duration: float, fault: dict, store: dict, seed: int):
    from ..downtime import Fault, OutageScenario

    store = {"error_rate": _BASE_ERRORS, **store}
    return OutageScenario(fault=Fault(seed=seed, **fault), store=Fault(seed=seed + 1, **store),
                    duration=duration, clients=_CLIENTS, interval=_INTERVAL)


def _run(duration: float, fault: dict, store: dict, seed: int):
    from ..downtime import simulate

    return simulate(_scenario(duration, fault, store, seed), "timeout", timeout=1.0,
                    timing=_timing(), seed=seed)


@lru_cache(maxsize=8)
def _healthy(world: int):
    run = _run(float(BINS), {}, {}, 1000 + world)
    return run.start, run.end, run.outcome


def service_health(world: int, window: Window | None, rng: np.random.Generator) -> pd.DataFrame:
    """Requests, availability, error rate and latency (ms) per 15-minute bin.

    Examples
    --------
    >>> import numpy as np
    >>> table = service_health(0, Window(40, 44, store={"down": True}), np.random.default_rng(0))
    >>> len(table), bool(table["availability"].iloc[:40].min() > 0.9), float(table["availability"].iloc[41])
    (48, True, 0.0)
    """
    import pandas as pd

    from ..downtime.measure import ANSWERED

    start, end, outcome = _healthy(world)
    if window is not None:
        run = _run(float(window.end - window.start), window.fault, window.store,
                   2000 + world + 7 * window.start)
        keep = (start < window.start) | (start >= window.end)
        start = np.concatenate([start[keep], run.start + window.start])
        end = np.concatenate([end[keep], run.end + window.start])
        outcome = np.concatenate([outcome[keep], run.outcome])
    answered = np.isin(outcome, ANSWERED)
    network = rng.lognormal(np.log(0.007), 0.45, start.size)  # network and model time
    latency_ms = 1000 * (end - start + network)
    bins = np.minimum(start.astype(int), BINS - 1)
    rows = []
    for b in range(BINS):
        mask = bins == b
        n = int(mask.sum())
        p50, p99 = np.percentile(latency_ms[mask], [50, 99]) if n else (np.nan, np.nan)
        available = float(answered[mask].mean()) if n else np.nan
        rows.append((b, n, available, 1 - available, float(p50), float(p99)))
    return pd.DataFrame(rows, columns=["bin", "requests", "availability", "error_rate", "p50_ms", "p99_ms"])


def resource_trace(hour_of_day: np.ndarray, rng: np.random.Generator, *, saturated: tuple[int, int] | None = None,
                   busy_cores: Any = None, leak: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """CPU per core (%) and memory (%) per bin: a diurnal baseline and the given anomalies.

    ``saturated``: ``(start, end)`` bins where every core is nearly full. ``busy_cores``:
    ``(start, end, n)`` bins where the first ``n`` cores run a batch job. ``leak``:
    ``(start, kills)`` memory climbs from bin ``start`` and drops back at each bin of ``kills``.

    Examples
    --------
    >>> import numpy as np
    >>> cpu, memory = resource_trace(np.arange(48) / 4, np.random.default_rng(0), saturated=(10, 14))
    >>> cpu.shape, bool(cpu[10:14].min() > 90), bool(cpu[:10].max() < 70)
    ((48, 8), True, True)
    """
    hours = np.asarray(hour_of_day, dtype=float)
    daily = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 3.0) / 24.0)  # quiet at 03:00, busy at 15:00
    cpu = 18 + 30 * daily[:, None] + rng.normal(0, 3.5, (hours.size, CORES))
    memory = 52 + 6 * daily + rng.normal(0, 0.8, hours.size)
    if saturated is not None:
        a, b = saturated
        cpu[a:b] = rng.uniform(94, 100, (b - a, CORES))
    if busy_cores is not None:
        a, b, n = busy_cores
        cpu[a:b, :n] = rng.uniform(93, 99, (b - a, n))
    if leak is not None:
        start, kills = leak
        level = memory.copy()
        grown = 0.0
        for b in range(start, hours.size):
            grown = 0.0 if b in kills else grown + 13.0
            level[b] = min(memory[b] + grown, 99.0)
        memory = level
    return np.clip(cpu, 0, 100), np.clip(memory, 0, 100)
