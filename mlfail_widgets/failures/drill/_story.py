"""The drill's clock and the facts an injector writes: log lines, changes, and knobs.

A :class:`Story` is filled in three passes: the routine life of the system (every drill), the
failure, and the red herring. :mod:`.build` then turns it into :class:`~.evidence.Evidence`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ._service import BIN_MINUTES, BINS, Window

__all__ = ["QUALITY_DAYS", "Clock", "Story"]

QUALITY_DAYS = 14
_BASE = dt.datetime(2026, 3, 2, 8, 0)


@dataclass(frozen=True)
class Clock:
    """When the page came (``now``), and the times of bins (last 12 h) and days (last 14 d).

    Examples
    --------
    >>> clock = Clock.for_seed(0)
    >>> clock.stamp(clock.bin_time(0)), clock.stamp(clock.now)
    ('2026-03-01 20:00:00', '2026-03-02 08:00:00')
    """

    now: dt.datetime

    @classmethod
    def for_seed(cls, seed: int) -> Clock:
        return cls(_BASE + dt.timedelta(days=seed % 28, minutes=BIN_MINUTES * (seed % 16)))

    @property
    def start(self) -> dt.datetime:
        return self.now - dt.timedelta(minutes=BIN_MINUTES * BINS)

    def bin_time(self, b: float, seconds: float = 0.0) -> dt.datetime:
        return self.start + dt.timedelta(minutes=BIN_MINUTES * b, seconds=seconds)

    def day_time(self, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
        date = self.now.date() + dt.timedelta(days=day)
        return dt.datetime(date.year, date.month, date.day, hour, minute, second)

    def date(self, day: int) -> str:
        return (self.now.date() + dt.timedelta(days=day)).isoformat()

    def hour_of_day(self) -> np.ndarray:
        start = self.start.hour + self.start.minute / 60
        return (start + np.arange(BINS) * BIN_MINUTES / 60) % 24

    @staticmethod
    def stamp(moment: dt.datetime, seconds: bool = True) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@dataclass
class Story:
    """What the injectors decided; read by :func:`.build.build_evidence`."""

    seed: int
    world: int
    clock: Clock
    rng: np.random.Generator
    level: int = 1
    logs: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    busy_days: set = field(default_factory=set)
    # knobs of the evidence
    window: Window | None = None
    resources: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    drift: dict = field(default_factory=dict)
    recommender: str | None = None
    serving: dict = field(default_factory=dict)
    lock: dict = field(default_factory=lambda: {"scalekit": "1.0.0"})
    installed: dict = field(default_factory=lambda: {"training": "1.0.0", "serving": "1.0.0"})
    golden_runs: list = field(default_factory=list)
    failed_nights: dict = field(default_factory=dict)
    nightly_warnings: dict = field(default_factory=dict)
    integrity_mismatch_from: int | None = None
    change_day: int | None = None
    blocked_bins: tuple = ()

    # ------------------------------------------------------------------ writing
    def log(self, moment: dt.datetime, level: str, component: str, message: str) -> None:
        self.logs.append((moment, level, component, message))

    def repeated(self, first: dt.datetime, last: dt.datetime, level: str, component: str,
                 message: str, count: int) -> None:
        """One line, and a syslog-style "repeated" line when it happened more than once."""
        self.log(first, level, component, message)
        if count > 1:
            until = Clock.stamp(last, seconds=False)[11:]
            self.log(last, level, component, f"last message repeated {count - 1} times (until {until})")

    def change(self, moment: dt.datetime, component: str, what: str, result: str) -> None:
        self.changes.append((moment, component, what, result))

    def pick_day(self, low: int, high: int, *, gap: int = 1) -> int:
        """A day in [low, high] at least ``gap`` days from the change and from other events."""
        days = [d for d in range(low, high + 1)
                if all(abs(d - busy) >= (gap if busy == self.change_day else 1) for busy in self.busy_days)]
        day = int(self.rng.choice(days)) if days else int(self.rng.integers(low, high + 1))
        self.busy_days.add(day)
        return day

    def pick_bins(self, length: int) -> int:
        """The first of ``length`` free bins of the last 12 hours, clear of the failure's window."""
        free = [b for b in range(2, BINS - length - 1)
                if all(b + length + 2 <= start or b >= end + 2 for start, end in self.blocked_bins)]
        return int(self.rng.choice(free))

    def at_bin(self, b: float) -> dt.datetime:
        return self.clock.bin_time(b, float(self.rng.uniform(5, 50)))
