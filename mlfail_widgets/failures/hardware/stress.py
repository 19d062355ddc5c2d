"""Real CPU stress: a bounded number of worker processes that burn CPU for a bounded time.

Each worker is a separate Python process running a tight loop. Three bounds keep it safe:

* never more workers than the cores this process may use (validated);
* each worker stops by itself after ``seconds`` (at most 60), even if nobody stops it;
* each worker exits when its parent dies (it watches its parent's pid), and the parent kills
  every worker on leaving the ``with`` block, on KeyboardInterrupt (a kernel interrupt is
  one), on garbage collection and at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..._validation import check_float, check_int, parameter_error
from ...machine import SLOT_WAIT

if TYPE_CHECKING:
    from ...machine import SlotGrant

__all__ = ["MAX_STRESS_SECONDS", "CPUStress", "StressBusyError", "usable_cores"]

#: The longest a stress run may last.
MAX_STRESS_SECONDS = 60.0

# The worker: burn CPU until the deadline, or until the parent is gone (re-parented).
_WORKER = """
import os, sys, time
seconds, parent, nice = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cpus = [int(c) for c in sys.argv[4].split(",") if c]
if nice:
    os.nice(nice)
if cpus and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, cpus)
deadline = time.monotonic() + seconds
x = 0
while time.monotonic() < deadline and os.getppid() == parent:
    for _ in range(20000):
        x += 1
"""

_LIVE: weakref.WeakSet = weakref.WeakSet()


def usable_cores() -> int:
    """The number of cores this process may run on (its CPU affinity, else ``os.cpu_count``).

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class StressBusyError(RuntimeError):
    """Every stress slot of the machine stayed taken by other learners for the whole wait."""


def _kill_all(processes: list) -> None:
    """SIGKILL every worker still running and reap it (no zombie is left)."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # exited in between
                process.kill()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be ignored
            process.wait(timeout=5)
    processes.clear()


class CPUStress:
    """Burn CPU in ``workers`` processes for ``seconds``; always cleaned up.

    Use it as a context manager: the workers start on entering the block and are killed on
    leaving it, whatever happens inside (an exception, a KeyboardInterrupt).

    The workers are counted machine-wide, across every learner on the machine
    (:class:`mlfail_widgets.machine.StressSlots`): never more run at once than the cores this
    container may use (its cgroup CPU quota, else its CPU affinity). When other learners' workers
    hold the slots, :meth:`start` waits up to ``wait`` seconds, then runs fewer workers, and
    :attr:`message` says so.

    Parameters
    ----------
    workers : int, default=1
        Worker processes, each keeping one core busy; in [1, the cores this container may use].
    seconds : float, default=5.0
        How long each worker burns before it stops by itself; in (0, 60].
    nice : int, default=0
        Scheduling niceness of the workers, in [0, 19]; 19 is the lowest priority, so the
        workers only get the CPU time nobody else wants (a mitigation for a batch job that
        shares a machine with a latency-sensitive service).
    cpus : sequence of int, optional
        Pin the workers to these cores (Linux CPU affinity), leaving the others free.
    wait : float, default=180.0
        Seconds to wait for machine-wide slots before running fewer workers, in [0, 600].

    Attributes
    ----------
    pids : list of int
        Process ids of the running workers (empty before start and after stop).
    granted : int
        Workers actually started (fewer than ``workers`` when the machine's slots were taken).
    message : str
        What the learner is told when the demo had to wait or shrink (empty otherwise).
    started_at : float
        ``time.monotonic()`` when the workers started.

    Examples
    --------
    >>> import psutil
    >>> before = set(psutil.Process().children())
    >>> with CPUStress(workers=1, seconds=0.2) as stress:
    ...     running = stress.alive
    >>> running, stress.alive, set(psutil.Process().children()) - before
    (1, 0, set())
    >>> CPUStress(workers=0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'workers' parameter of CPUStress must be an int in [1, ...]. Got 0 instead. ...
    """

    def __init__(self, workers: int = 1, seconds: float = 5.0, *, nice: int = 0, cpus: Sequence[int] | None = None,
                 wait: float = SLOT_WAIT):
        from ...machine import stress_capacity

        cores = stress_capacity()
        self.workers = check_int(
            workers, "workers", low=1, high=cores,
            fix=f"This machine (or its container's CPU quota) lets the kernel use {cores} core(s); "
            "more workers than cores only queue up behind each other.",
        )
        self.slot_wait = check_float(wait, "wait", low=0, high=600)
        self.granted = 0
        self.waited = 0.0
        self.message = ""
        self._grant: SlotGrant | None = None
        self.seconds = check_float(seconds, "seconds", low=0, high=MAX_STRESS_SECONDS,
                                   low_open=True, fix="Stress runs are bounded; pick a short run.")
        self.nice = check_int(nice, "nice", low=0, high=19)
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(
            range(cores))
        if cpus is not None:
            cpus = [check_int(c, "cpus") for c in cpus]
            if not cpus or any(c not in allowed for c in cpus):
                raise parameter_error("cpus", f"a non-empty list of cores from {allowed}",
                                      cpus)
        self.cpus = cpus
        self._processes: list[subprocess.Popen] = []
        self.started_at = float("nan")
        self._finalizer: weakref.finalize | None = None

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    @property
    def alive(self) -> int:
        """How many workers are still burning."""
        return sum(process.poll() is None for process in self._processes)

    def start(self) -> CPUStress:
        """Start the workers (a second call while they run does nothing)."""
        if self._processes:
            return self
        from ...machine import StressSlots

        slots = StressSlots()
        grant = slots.acquire(self.workers, self.seconds, wait=self.slot_wait)
        self.message, self.waited = grant.message, grant.waited
        if not grant.workers:
            raise StressBusyError(
                f"CPUStress: every stress slot of this machine ({slots.capacity}, one per core) stayed "
                f"taken by other learners for {self.slot_wait:g} s, so no stress was started. Try again "
                "in a minute, or pass a longer wait=.")
        self._grant, self.granted = grant, grant.workers
        arguments = [str(self.seconds), str(os.getpid()), str(self.nice),
                     ",".join(map(str, self.cpus or []))]
        try:
            for _ in range(grant.workers):
                self._processes.append(subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _WORKER, *arguments],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ))
        except BaseException:
            _kill_all(self._processes)
            self._release()
            raise
        self.started_at = time.monotonic()
        # Killed on garbage collection and at exit too, not only by stop().
        self._finalizer = weakref.finalize(self, _kill_all, self._processes)
        _LIVE.add(self)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every worker has finished its ``seconds``; False if ``timeout`` ran out.

        Interruptible: a KeyboardInterrupt raised while waiting propagates (and the ``with``
        block then kills the workers).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for process in self._processes:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                process.wait(timeout=left)
            except subprocess.TimeoutExpired:
                return False
        return True

    def _release(self) -> None:
        grant, self._grant = self._grant, None
        if grant is not None:
            from ...machine import StressSlots

            StressSlots().release(grant)

    def stop(self) -> None:
        """Kill every worker still running, reap it, and give its machine-wide slot back."""
        _kill_all(self._processes)
        self._release()
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        _LIVE.discard(self)

    def __enter__(self) -> CPUStress:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (f"CPUStress(workers={self.workers}, seconds={self.seconds:g}, nice={self.nice})"
                f"  # {self.alive} running")


@atexit.register
def _stop_every_stress() -> None:
    for stress in list(_LIVE):
        stress.stop()
