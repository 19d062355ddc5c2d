"""Memory pressure, for real but contained: a child process with a memory limit allocates past it.

The child caps its own address space with ``resource.setrlimit(RLIMIT_AS)`` before it
allocates (set inside the child rather than through ``preexec_fn``, which is unsafe in a
process with threads such as a Jupyter kernel). It then allocates in steps, touching every
page, and dies when an allocation fails. The parent watches its resident memory with psutil,
reaps it and reports how it died and its peak resident memory; the kernel's own memory is
untouched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import psutil

from ..._validation import check_float, check_int, parameter_error

__all__ = ["MemoryPressureRun", "run_memory_limited"]

_MB = 1024 * 1024

# Print one line per step: megabytes allocated, resident MB now, seconds since start. (Not
# ru_maxrss: on Linux it starts at the parent's peak, inherited across fork and exec.)
_CHILD = """
import os, resource, sys, time
limit, target, step = (int(a) for a in sys.argv[1:4])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
page = os.sysconf("SC_PAGE_SIZE")

def resident_mb():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * page / 1048576
    except OSError:
        return float("nan")

began = time.monotonic()
blocks, allocated = [], 0
while allocated < target:
    size = min(step, target - allocated)
    blocks.append(b"\\x01" * size)  # filled, so every page is really resident
    allocated += size
    print(allocated // 1048576, round(resident_mb(), 1), round(time.monotonic() - began, 4), flush=True)
print("done", flush=True)
"""


@dataclass
class MemoryPressureRun:
    """How a memory-limited child ended, as its parent saw it."""

    limit_mb: int
    requested_mb: int
    reached_mb: int
    returncode: int
    signal: str | None
    error: str
    peak_rss_mb: float
    seconds: float
    steps: list[tuple[int, float, float]] = field(default_factory=list)
    timed_out: bool = False

    @property
    def died(self) -> bool:
        """True when the child did not finish its allocations."""
        return self.returncode != 0

    def describe(self) -> str:
        if not self.died:
            return (f"The child allocated all {self.requested_mb} MB under its {self.limit_mb} MB "
                    f"limit and exited normally (peak RSS {self.peak_rss_mb:.0f} MB).")
        how = (f"was killed by {self.signal}" if self.signal
               else f"exited with code {self.returncode}" + (f" ({self.error})" if self.error else ""))
        if self.timed_out:
            how += " after running out of time"
        return (f"The child {how} after allocating {self.reached_mb} MB of the {self.requested_mb} MB "
                f"it asked for, under a {self.limit_mb} MB address-space limit "
                f"(peak RSS {self.peak_rss_mb:.0f} MB). The parent watched from outside, unharmed.")


def run_memory_limited(limit_mb: int = 256, allocate_mb: int = 512, *, step_mb: int = 16,
                       timeout: float = 10.0) -> MemoryPressureRun:
    """Run a child limited to ``limit_mb`` of address space that tries to allocate ``allocate_mb``.

    Parameters
    ----------
    limit_mb : int, default=256
        The child's address-space limit in MB (``RLIMIT_AS``), in [64, 8192]. The Python
        interpreter itself takes some 20-30 MB of it.
    allocate_mb : int, default=512
        How much the child tries to allocate, in MB, in [1, 16384].
    step_mb : int, default=16
        Allocation step in MB, in [1, 1024]; at most 1000 steps.
    timeout : float, default=10.0
        The child is killed after this many seconds, in (0, 60].

    Examples
    --------
    >>> result = run_memory_limited(limit_mb=128, allocate_mb=512, step_mb=16)
    >>> result.died, result.error, result.reached_mb < 128
    (True, 'MemoryError', True)
    >>> run_memory_limited(limit_mb=128, allocate_mb=32).died
    False
    """
    limit_mb = check_int(limit_mb, "limit_mb", low=64, high=8192)
    allocate_mb = check_int(allocate_mb, "allocate_mb", low=1, high=16384)
    step_mb = check_int(step_mb, "step_mb", low=1, high=1024)
    if allocate_mb / step_mb > 1000:
        raise parameter_error("step_mb", f"at least {allocate_mb / 1000:g} for {allocate_mb} MB "
                              "(at most 1000 steps)", step_mb)
    timeout = check_float(timeout, "timeout", low=0, high=60, low_open=True)
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _CHILD, str(limit_mb * _MB), str(allocate_mb * _MB),
         str(step_mb * _MB)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    timed_out = False
    watched = psutil.Process(process.pid)
    peak = 0.0
    try:
        while True:  # the parent watches the child's resident memory until it is gone
            with contextlib.suppress(psutil.Error):
                peak = max(peak, watched.memory_info().rss / _MB)
            pid, status = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - began > timeout:
                timed_out = True
                process.kill()
                pid, status = os.waitpid(process.pid, 0)
                break
            time.sleep(0.005)
    except BaseException:
        process.kill()
        process.wait()
        raise
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen won't wait
    assert process.stdout is not None and process.stderr is not None  # both are pipes
    output, errors = process.stdout.read(), process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    steps = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3:
            steps.append((int(parts[0]), float(parts[1]), float(parts[2])))
    code = process.returncode
    lines = [line for line in errors.strip().splitlines() if line.strip()]
    error = lines[-1].split(":")[0].strip() if lines and code > 0 else ""
    return MemoryPressureRun(
        limit_mb=limit_mb, requested_mb=allocate_mb, reached_mb=steps[-1][0] if steps else 0,
        returncode=code, signal=signal.Signals(-code).name if code < 0 else None, error=error,
        peak_rss_mb=max([peak] + [rss for _, rss, _ in steps if rss == rss]), seconds=time.monotonic() - began, steps=steps,
        timed_out=timed_out,
    )
