"""Stress workers counted machine-wide, across learners, in a lock-protected file."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._cgroup import stress_capacity

__all__ = ["SLOT_WAIT", "SlotGrant", "StressSlots"]

#: Seconds a demo waits for stress slots held by other learners before it runs fewer workers (or
#: none). Long enough for a room of 8 learners on 2 cores (benchmarks/room.py); the demo says
#: how long it waited.
SLOT_WAIT = 180.0


def _alive(pid: int, started: float | None) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.Error:
        return False


class StressSlots:
    """Stress workers shared by everyone on the machine: at most one per core, across learners.

    Each holder's entry (its pid, start time, worker count and an end time) lives in a JSON
    file under the system temp folder, read and written under an exclusive ``flock``. Entries
    whose owner process is dead, or whose end time has passed (the workers stop by themselves),
    are ignored and dropped, so a killed kernel never holds slots. An idle measurement holds a
    quiet lease (:meth:`quiet`) during which no new stress starts.

    Parameters
    ----------
    capacity : int, optional
        Workers allowed at once machine-wide (default :func:`stress_capacity`).
    folder : path, optional
        Where the file lives (default: the system temp folder).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     slots = StressSlots(capacity=2, folder=folder)
    ...     first = slots.acquire(2, seconds=5, wait=0)
    ...     second = slots.acquire(1, seconds=5, wait=0)
    ...     slots.release(first)
    ...     third = slots.acquire(1, seconds=5, wait=0)
    >>> first.workers, second.workers, third.workers
    (2, 0, 1)
    """

    FILE = "mlfail-stress-slots.json"

    def __init__(self, capacity: int | None = None, folder: str | os.PathLike | None = None):
        self.capacity = stress_capacity() if capacity is None else int(capacity)
        self.folder = Path(folder or tempfile.gettempdir())
        self.path = self.folder / self.FILE

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[dict[str, Any]]]:
        import fcntl

        lock_path = self.folder / (self.FILE + ".lock")
        with open(lock_path, "a+") as lock:
            with contextlib.suppress(OSError):
                os.chmod(lock_path, 0o666)  # shared by every user of the machine
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    entries = json.loads(self.path.read_text() or "[]")
                    if not isinstance(entries, list):
                        entries = []
                except (OSError, ValueError):
                    entries = []
                now = time.time()
                live = [e for e in entries if isinstance(e, dict) and e.get("until", 0) > now
                        and _alive(int(e.get("pid", -1)), e.get("started"))]
                yield live
                temporary = self.path.with_name(f"{self.FILE}.{os.getpid()}.tmp")
                temporary.write_text(json.dumps(live))
                with contextlib.suppress(OSError):
                    os.chmod(temporary, 0o666)
                os.replace(temporary, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def in_use(self) -> int:
        """Workers held right now by live owners (all learners on this machine)."""
        with self._locked() as live:
            return sum(int(e["workers"]) for e in live)

    @contextlib.contextmanager
    def quiet(self, seconds: float, *, wait: float = 10.0) -> Iterator[float]:
        """Keep everyone's stress off the machine while an idle measurement runs; yields the seconds waited.

        An "idle" measurement is only idle when no learner's stress workers run, from its start to
        its end. This waits (at most ``wait`` s) until none runs, then holds a quiet lease until the
        block ends (at most ``seconds`` + 5 s, should its owner hang): while a lease is held,
        :meth:`acquire` gives nobody new slots, so no stress starts halfway through the
        measurement. Quiet leases do not exclude each other (two idle measurements do not disturb
        one another); the lease of a process that died is ignored, like its slots.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     slots = StressSlots(capacity=2, folder=folder)
        ...     with slots.quiet(seconds=5) as waited:
        ...         during = slots.acquire(1, seconds=5, wait=0).workers
        ...     after = slots.acquire(1, seconds=5, wait=0).workers
        >>> during, after
        (0, 1)
        """
        import psutil

        began = time.monotonic()
        me = psutil.Process()
        token = f"{me.pid}-quiet-{time.monotonic_ns()}"
        while True:
            with self._locked() as live:
                waited = time.monotonic() - began
                if not sum(int(e["workers"]) for e in live) or waited >= wait:
                    live.append({"pid": me.pid, "started": me.create_time(), "workers": 0, "quiet": True,
                                 "until": time.time() + seconds + 5, "token": token})
                    break
            time.sleep(0.1)
        try:
            yield waited
        finally:
            with self._locked() as live:
                live[:] = [e for e in live if e.get("token") != token]

    def acquire(self, workers: int, seconds: float, *, wait: float = SLOT_WAIT) -> SlotGrant:
        """Reserve up to ``workers`` slots for ``seconds``; wait up to ``wait`` s for all of them.

        Returns a :class:`SlotGrant` with the number granted (possibly fewer, or 0 when none was
        free in time) and a sentence for the learner when they had to wait or shrink. A wait of
        more than 2 s is announced on standard error as it starts, once.
        """
        import psutil

        began = time.monotonic()
        me = psutil.Process()
        told = False
        while True:
            with self._locked() as live:
                used = sum(int(e["workers"]) for e in live)
                idle_measured = any(e.get("quiet") for e in live)  # someone measures an idle machine
                free = 0 if idle_measured else max(0, self.capacity - used)
                waited = time.monotonic() - began
                if free >= workers or waited >= wait:
                    granted = min(free, workers)
                    token = f"{me.pid}-{time.monotonic_ns()}"
                    if granted:
                        live.append({"pid": me.pid, "started": me.create_time(), "workers": granted,
                                     "until": time.time() + seconds + 5, "token": token})
                    break
            if not told and waited >= 2.0:  # a learner should not stare at a silent cell
                print(f"Waiting for a stress slot: other learners' stress workers (or their idle measurements) "
                      f"hold this machine's {self.capacity}; waiting at most {wait:.0f} s ...", file=sys.stderr,
                      flush=True)
                told = True
            time.sleep(0.2)
        message = ""
        if granted < workers or waited >= 0.5:
            message = (f"Other learners' stress workers (or their idle measurements) held this machine's "
                       f"{self.capacity} stress slot(s) (one per core)")
            message += f"; waited {waited:.1f} s" if waited >= 0.5 else ""
            message += (f"; running {granted} worker(s) instead of {workers}." if granted < workers
                        else f"; then ran all {workers}.")
        return SlotGrant(granted, token, waited, message)

    def release(self, grant: SlotGrant) -> None:
        """Give the slots of ``grant`` back (nothing happens if it holds none)."""
        if not grant.workers:
            return
        with self._locked() as live:
            live[:] = [e for e in live if e.get("token") != grant.token]


@dataclass(frozen=True)
class SlotGrant:
    """Slots granted by :meth:`StressSlots.acquire`: how many, and what the learner is told."""

    workers: int
    token: str
    waited: float
    message: str = ""
