"""What can be wrong with a service, and the clocks that say when.

A :class:`Fault` describes one service's trouble: hard down, slow, flaky, or down during
scheduled windows. The same object drives the real HTTP services (a scheduler thread closes and
reopens the listening socket) and the simulator (which asks :meth:`Fault.is_down`), so both see
the same outage at the same time on their clock.

Two clocks share one interface (``now()``, ``sleep(seconds)``): :class:`ServiceClock` is real
time since the clock was restarted; :class:`VirtualClock` is simulated time that jumps forward
instead of waiting.
"""

from __future__ import annotations

import bisect
import math
import numbers
import time
from dataclasses import dataclass, field

from ..._validation import check_bool, check_float, check_int, check_probability, parameter_error

__all__ = ["MAX_LATENCY", "Fault", "ServiceClock", "VirtualClock"]

#: The largest latency a fault may add, in seconds (every demo is bounded in time).
MAX_LATENCY = 30.0
_MAX_TIME = 3600.0


def _check_windows(outages, name: str = "outages") -> tuple[tuple[float, float], ...]:
    """Sort the (start, end) windows and merge the ones that overlap."""
    expected = "a sequence of (start, end) pairs in seconds with 0 <= start < end <= 3600"
    fix = f"For example {name}=[(0.2, 0.5)] acts from 0.2 s to 0.5 s."
    if isinstance(outages, (str, bytes)) or not hasattr(outages, "__iter__"):
        raise parameter_error(name, expected, outages, fix=fix)
    windows = []
    for window in outages:
        try:
            start, end = window
        except (TypeError, ValueError):
            raise parameter_error(name, expected, outages, fix=fix) from None
        good = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (start, end))
        if not good or not (0 <= start < end <= _MAX_TIME) or not math.isfinite(end):
            raise parameter_error(name, expected, outages, fix=fix)
        windows.append((float(start), float(end)))
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class Fault:
    """What is wrong with one service; ``Fault()`` is a healthy service.

    Two kinds of outage window: during ``outages`` the port is closed and a client learns at
    once that nothing is there; during ``hangs`` the service accepts requests but answers none
    until the window ends (a frozen process, a full thread pool, a network black hole), and a
    client without a timeout waits with it.

    Parameters
    ----------
    latency : float, default=0.0
        Seconds added to every answer (a slow service), in [0, 30].
    error_rate : float, default=0.0
        Share of requests answered with HTTP 500 (a flaky service), in [0, 1]. Drawn with a
        generator seeded by ``seed``.
    down : bool, default=False
        Hard down for the whole run: the port is closed and connections are refused.
    outages : sequence of (start, end), default=()
        Scheduled hard-down windows, in seconds on the service clock (which restarts at 0 when
        the fault is injected). Overlapping windows are merged.
    hangs : sequence of (start, end), default=()
        Scheduled windows during which requests get no answer before the window ends.
    seed : int, default=0
        Seed of the error draws.

    Examples
    --------
    >>> fault = Fault(outages=[(0.2, 0.5)])
    >>> fault.is_down(0.1), fault.is_down(0.3), fault.is_down(0.5)
    (False, True, False)
    >>> fault.goes_down_between(0.0, 1.0), fault.next_change(0.3)
    (0.2, 0.5)
    >>> Fault(hangs=[(0.2, 0.5)]).hang_end(0.3)
    0.5
    >>> Fault(error_rate=1.5)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'error_rate' parameter of Fault must be a number in [0, 1]. Got 1.5 instead. It is the share of requests that fail: 0.1 means one in ten.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    down: bool = False
    outages: tuple = ()
    hangs: tuple = ()
    seed: int = 0
    _starts: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "latency", check_float(
            self.latency, "latency", low=0, high=MAX_LATENCY,
            fix="It is the seconds added to every answer: use 0 for a healthy service."))
        set_(self, "error_rate", check_probability(
            self.error_rate, "error_rate",
            fix="It is the share of requests that fail: 0.1 means one in ten."))
        set_(self, "down", check_bool(self.down, "down"))
        set_(self, "outages", _check_windows(self.outages))
        set_(self, "hangs", _check_windows(self.hangs, "hangs"))
        set_(self, "seed", check_int(self.seed, "seed", low=0, high=2**32 - 1))
        set_(self, "_starts", tuple(start for start, _ in self.outages))

    @property
    def healthy(self) -> bool:
        """True when nothing is wrong."""
        return not (self.latency or self.error_rate or self.down or self.outages or self.hangs)

    def is_down(self, t: float) -> bool:
        """Is the service hard down at time ``t`` (windows include their start, not their end)?"""
        if self.down:
            return True
        index = bisect.bisect_right(self._starts, t) - 1
        return index >= 0 and t < self.outages[index][1]

    def hang_end(self, t: float) -> float | None:
        """If a request arriving at ``t`` falls in a hang window, when the window ends; else None."""
        for start, end in self.hangs:
            if start <= t < end:
                return end
        return None

    def next_change(self, t: float) -> float | None:
        """The first time after ``t`` at which the service goes down or comes back, or None."""
        if self.down:
            return None
        for start, end in self.outages:
            if start > t:
                return start
            if end > t:
                return end
        return None

    def goes_down_between(self, t0: float, t1: float) -> float | None:
        """The first moment in (t0, t1] at which an up service goes down, or None."""
        index = bisect.bisect_right(self._starts, t0)
        if index < len(self._starts) and self._starts[index] <= t1:
            return self._starts[index]
        return None

    def describe(self) -> str:
        """A short phrase for figure labels.

        Examples
        --------
        >>> Fault(latency=0.2, error_rate=0.1).describe()
        'slow (+200 ms), flaky (10% errors)'
        """
        parts = []
        if self.down:
            parts.append("hard down")
        for start, end in self.outages:
            parts.append(f"down {start:g}-{end:g} s")
        for start, end in self.hangs:
            parts.append(f"hung {start:g}-{end:g} s")
        if self.latency:
            parts.append(f"slow (+{self.latency * 1000:.0f} ms)")
        if self.error_rate:
            parts.append(f"flaky ({self.error_rate:.0%} errors)")
        return ", ".join(parts) or "healthy"


class ServiceClock:
    """Real time in seconds since the clock was (re)started.

    The services, their fault schedule and the clients all read the same clock, so an outage
    window "from 0.2 s to 0.5 s" means the same moment to all of them.

    Examples
    --------
    >>> clock = ServiceClock()
    >>> clock.sleep(0.01)
    >>> clock.now() >= 0.01
    True
    """

    def __init__(self):
        self._origin = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._origin

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def restart(self) -> None:
        """Set the clock back to 0."""
        self._origin = time.perf_counter()


class VirtualClock:
    """Simulated time: ``sleep`` jumps forward instead of waiting.

    Examples
    --------
    >>> clock = VirtualClock()
    >>> clock.sleep(2.5)
    >>> clock.now()
    2.5
    """

    def __init__(self, start: float = 0.0):
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds
