"""The model server of chapter 04's latency demo: a real process, and one run of timed requests.

The server (:mod:`._server_child`) is a separate process, as in production, with its BLAS thread
count fixed in its environment. :meth:`ModelServer.measure` sends it requests that arrive at random
(a Poisson process, seeded: the same arrivals for every scenario) and returns a :class:`LatencyRun`
with every request's timing. :mod:`.contention` measures it idle and under stress.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from ..._validation import check_int
from ._server_child import SERVED, SHED, TIMED_OUT
from .settings import _check_measure
from .stress import usable_cores

__all__ = ["LatencyRun", "ModelServer"]

_STARTUP_SECONDS = 60.0


def _pipe(stream: IO[str] | None) -> IO[str]:
    """A pipe of the server process (always there: it is started with stdin, stdout, stderr pipes)."""
    if stream is None:
        raise RuntimeError("The model server process has no pipe to talk through.")
    return stream


@dataclass
class LatencyRun:
    """The timings of one measurement: one entry per request (times in seconds from its start).

    ``status`` is 0 (served), 1 (shed at admission) or 2 (timed out: the client gave up).

    Examples
    --------
    >>> run = LatencyRun("toy", np.array([0.0, 0.1, 0.2]), np.array([0.0, 0.1, np.nan]),
    ...                  np.array([0.002, 0.150, 0.2]), np.array([0, 0, 1]), slo=0.025)
    >>> round(run.p50_ms, 1), round(run.over_slo, 3), round(run.shed, 3)
    (26.0, 0.667, 0.333)
    """

    name: str
    arrival: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    status: np.ndarray
    slo: float = 0.025
    batch: np.ndarray | None = None
    settings: dict = field(default_factory=dict)

    @property
    def latency(self) -> np.ndarray:
        """Seconds from arrival to answer (for shed requests: to the refusal)."""
        return self.finish - self.arrival

    @property
    def served(self) -> np.ndarray:
        return self.status == SERVED

    def _percentile(self, q: float) -> float:
        served = self.latency[self.served]
        return float(np.percentile(served, q) * 1000) if served.size else float("nan")

    @property
    def p50_ms(self) -> float:
        """Median latency of the served requests, in ms."""
        return self._percentile(50)

    @property
    def p99_ms(self) -> float:
        """99th percentile latency of the served requests, in ms."""
        return self._percentile(99)

    @property
    def over_slo(self) -> float:
        """Share of all requests not answered by the model within the SLO (late, shed, timed out)."""
        good = self.served & (self.latency <= self.slo)
        return float(1 - good.mean()) if good.size else float("nan")

    @property
    def shed(self) -> float:
        return float(np.mean(self.status == SHED)) if self.status.size else 0.0

    @property
    def timed_out(self) -> float:
        return float(np.mean(self.status == TIMED_OUT)) if self.status.size else 0.0

    def summary(self) -> dict:
        """The key numbers as one row."""
        return {"scenario": self.name, "requests": int(self.status.size), "p50_ms": self.p50_ms,
                "p99_ms": self.p99_ms, "over_slo": self.over_slo, "shed": self.shed,
                "timed_out": self.timed_out}


class ModelServer:
    """A model server process with a fixed number of BLAS threads; measures latency for real.

    Parameters
    ----------
    threads : int, optional
        BLAS threads of the server (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
        ``MKL_NUM_THREADS``), in [1, 64]; default: the usable cores, which is what numpy
        picks by itself.
    width : int, default=2048
        Width of the model's hidden layers, in [16, 4096]. At 2048 the model holds 4.7
        million weights and one prediction takes about a millisecond on one core.
    features : int, default=256
        Input features per request.
    seed : int, default=0
        Seed of the model's random weights.

    Examples
    --------
    >>> with ModelServer(threads=1, width=64) as server:
    ...     run = server.measure(rate=200, seconds=0.2, seed=0)
    >>> run.status.size > 10, run.p50_ms < run.p99_ms, server.running
    (True, True, False)
    """

    def __init__(self, threads: int | None = None, *, width: int = 2048, features: int = 256,
                 seed: int = 0):
        self.threads = usable_cores() if threads is None else check_int(
            threads, "threads", low=1, high=64)
        self.width = check_int(width, "width", low=16, high=4096)
        self.features = check_int(features, "features", low=1, high=4096)
        self.seed = check_int(seed, "seed", low=0, high=2**32 - 1)
        self._process: subprocess.Popen | None = None
        self.service_ms = float("nan")
        self.pid: int | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _live(self) -> subprocess.Popen:
        """The server process (an error if it is not started)."""
        if self._process is None:
            raise RuntimeError("The model server is not running; start() it first.")
        return self._process

    def _reply(self, seconds: float) -> dict:
        process = self._live()
        stdout = _pipe(process.stdout)
        ready, _, _ = select.select([stdout], [], [], seconds)
        line = stdout.readline() if ready else ""
        if not line:
            error = ""
            if process.poll() is not None:
                error = _pipe(process.stderr).read()[-600:]
            self.close()
            raise RuntimeError("The model server did not answer in time" +
                               (f"; it said: {error}" if error else "."))
        return json.loads(line)

    def start(self, wait: bool = True) -> ModelServer:
        """Start the server process and (unless ``wait=False``) wait until its model is loaded.

        With ``wait=False`` several servers can load at once; the first :meth:`measure` waits.
        """
        if self.running:
            if wait:
                self._wait_ready()
            return self
        environment = dict(os.environ)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            environment[name] = str(self.threads)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mlfail_widgets.failures.hardware._server_child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=environment,
        )
        self.pid = None
        try:
            stdin = _pipe(self._process.stdin)
            stdin.write(json.dumps({"width": self.width, "features": self.features, "seed": self.seed}) + "\n")
            stdin.flush()
        except BaseException:
            self.close()
            raise
        if wait:
            self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        if self.pid is not None:
            return
        try:
            ready = self._reply(_STARTUP_SECONDS)
        except BaseException:
            self.close()
            raise
        self.pid, self.service_ms = ready["pid"], ready["service_ms"]

    def measure(self, rate: float = 400.0, seconds: float = 1.0, *, max_batch: int = 1,
                max_queue: int | None = None, timeout: float | None = None, slo: float = 0.025,
                seed: int = 0, name: str = "") -> LatencyRun:
        """Serve ``rate`` requests per second for ``seconds`` and time each request.

        Parameters
        ----------
        rate : float, default=400.0
            Mean arrival rate (requests per second), in [1, 5000].
        seconds : float, default=1.0
            How long requests arrive, in [0.05, 10]. A backlog left after that is served for at
            most half as long again (plus a quarter second), then abandoned (counted as timed out).
        max_batch : int, default=1
            Serve up to this many queued requests in one model call (batching).
        max_queue : int, optional
            Admission control: refuse a request when this many are already waiting.
        timeout : float, optional
            Seconds a client waits; older requests are dropped, not computed.
        slo : float, default=0.025
            The latency objective (seconds) behind :attr:`LatencyRun.over_slo`.
        seed : int, default=0
            Seed of the arrival times (same seed, same arrivals).
        """
        rate, seconds, max_batch, max_queue, timeout, slo = _check_measure(
            rate, seconds, max_batch, max_queue, timeout, slo)
        seed = check_int(seed, "seed", low=0, high=2**32 - 1)
        self.start()  # starts it if needed, and waits until it is ready
        command = {"rate": rate, "seconds": seconds, "seed": seed, "max_batch": max_batch,
                   "max_queue": max_queue, "timeout": timeout}
        stdin = _pipe(self._live().stdin)
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()
        raw = self._reply(3.0 * seconds + 30.0)
        settings = {"threads": self.threads, **command, "slo": slo}
        return LatencyRun(name, np.asarray(raw["arrival"]), np.asarray(raw["start"]),
                          np.asarray(raw["finish"]), np.asarray(raw["status"]), slo=slo,
                          batch=np.asarray(raw["batch"]), settings=settings)

    def close(self) -> None:
        """Stop the server process (it also exits by itself when its stdin closes)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            _pipe(process.stdin).close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            for stream in (process.stdout, process.stderr):
                with contextlib.suppress(OSError, ValueError):
                    _pipe(stream).close()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None:
            with contextlib.suppress(Exception):
                process.kill()
