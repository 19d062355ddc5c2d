"""Latency under contention, measured for real: a model server process and its requests.

The server (:mod:`._server_child`) is a separate process, as in production, with its BLAS
thread count fixed in its environment. It serves requests that arrive at random (a Poisson
process, seeded, the same arrivals for every scenario) and times each one. A scenario adds
CPU stress next to it, and a mitigation: fewer BLAS threads, fewer or lower-priority stress
workers, admission control (a bounded queue), timeouts, or batching.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..._validation import ParameterError, check_float, check_int, parameter_error
from ._sampling import ResourceSampler
from ._server_child import SERVED, SHED, TIMED_OUT
from ._stress import CPUStress, usable_cores

__all__ = ["LatencyExperiment", "LatencyRun", "ModelServer", "Scenario", "measure_latency"]

_STARTUP_SECONDS = 60.0


def _check_measure(owner, rate, seconds, max_batch, max_queue, timeout, slo):
    rate = check_float(rate, "rate", owner, low=1, high=5000,
                       fix="Requests per second; a few hundred load one core.")
    seconds = check_float(seconds, "seconds", owner, low=0.05, high=10,
                          fix="Measurements are kept short; a second or two is plenty.")
    if rate * seconds > 20_000:
        raise parameter_error("rate", owner, "at most 20000 requests per measurement (rate x seconds)",
                              rate, "Lower the rate or the seconds.")
    max_batch = check_int(max_batch, "max_batch", owner, low=1, high=256)
    if max_queue is not None:
        max_queue = check_int(max_queue, "max_queue", owner, low=1, high=100_000,
                              fix="Use None for no admission control.")
    if timeout is not None:
        timeout = check_float(timeout, "timeout", owner, low=0, high=60, low_open=True,
                              fix="Seconds a client waits; use None for no timeout.")
    slo = check_float(slo, "slo", owner, low=0, high=60, low_open=True)
    return rate, seconds, max_batch, max_queue, timeout, slo


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
            threads, "threads", "ModelServer", low=1, high=64)
        self.width = check_int(width, "width", "ModelServer", low=16, high=4096)
        self.features = check_int(features, "features", "ModelServer", low=1, high=4096)
        self.seed = check_int(seed, "seed", "ModelServer", low=0, high=2**32 - 1)
        self._process: subprocess.Popen | None = None
        self.service_ms = float("nan")
        self.pid: int | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _reply(self, seconds: float) -> dict:
        stdout = self._process.stdout
        ready, _, _ = select.select([stdout], [], [], seconds)
        line = stdout.readline() if ready else ""
        if not line:
            error = ""
            if self._process.poll() is not None:
                error = self._process.stderr.read()[-600:]
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
            self._process.stdin.write(json.dumps(
                {"width": self.width, "features": self.features, "seed": self.seed}) + "\n")
            self._process.stdin.flush()
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
            "ModelServer.measure", rate, seconds, max_batch, max_queue, timeout, slo)
        seed = check_int(seed, "seed", "ModelServer.measure", low=0, high=2**32 - 1)
        self.start()  # starts it if needed, and waits until it is ready
        command = {"rate": rate, "seconds": seconds, "seed": seed, "max_batch": max_batch,
                   "max_queue": max_queue, "timeout": timeout}
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
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
            process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            for stream in (process.stdout, process.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.close()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_process", None) is not None:
            with contextlib.suppress(Exception):
                self._process.kill()


@dataclass(frozen=True)
class Scenario:
    """One latency measurement: stress next to the server, and the mitigation in place.

    Parameters
    ----------
    name : str
        A short label for the charts.
    stress_workers : int, default=0
        CPU-burning worker processes running during the measurement (0: an idle machine).
    stress_nice : int, default=0
        Niceness of those workers (19: they only get CPU time the server does not want).
    threads : int, optional
        BLAS threads of the model server (default: the usable cores, numpy's own default).
    max_batch, max_queue, timeout :
        As in :meth:`ModelServer.measure`.

    Examples
    --------
    >>> Scenario("stressed", stress_workers=2).stress_workers
    2
    >>> Scenario("bad", stress_workers=-1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'stress_workers' parameter of Scenario must be an int in [0, ...]. Got -1 instead.
    """

    name: str
    stress_workers: int = 0
    stress_nice: int = 0
    threads: int | None = None
    max_batch: int = 1
    max_queue: int | None = None
    timeout: float | None = None

    def __post_init__(self):
        check_int(self.stress_workers, "stress_workers", "Scenario", low=0, high=usable_cores())
        check_int(self.stress_nice, "stress_nice", "Scenario", low=0, high=19)
        if self.threads is not None:
            check_int(self.threads, "threads", "Scenario", low=1, high=64)
        _check_measure("Scenario", 1, 1, self.max_batch, self.max_queue, self.timeout, 1)


@dataclass
class LatencyExperiment:
    """The runs of :func:`measure_latency`, one per scenario, and their summary.

    ``trace`` holds the machine's utilisation sampled during the experiment (a
    :class:`ResourceSampler`'s samples) and ``windows`` the ``(scenario, start, end)`` of each
    measurement on the trace's clock, in seconds.
    """

    runs: list[LatencyRun]
    service_ms: dict[int, float]
    rate: float
    slo: float
    trace: object = None
    windows: list = field(default_factory=list)

    @property
    def summary(self):
        """One row per scenario: requests, p50_ms, p99_ms, over_slo, shed, timed_out."""
        import pandas as pd

        return pd.DataFrame([run.summary() for run in self.runs]).set_index("scenario")

    def __getitem__(self, name: str) -> LatencyRun:
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(f"No scenario {name!r}; the scenarios are {[r.name for r in self.runs]}.")


def measure_latency(scenarios, *, rate: float = 400.0, seconds: float = 1.0, slo: float = 0.025,
                    seed: int = 0, width: int = 2048,
                    sample_interval: float | None = 0.2) -> LatencyExperiment:
    """Measure the model server's latency in each scenario, for real, one after the other.

    Every scenario sees the same arrival times (``seed``), so differences come from the
    machine, not from luck. Stress workers run only during their scenario's measurement and
    are always stopped; the servers stop at the end, also on error or interrupt.

    Parameters
    ----------
    scenarios : sequence of Scenario
        What to measure (at most 12).
    rate, seconds, slo, seed :
        As in :meth:`ModelServer.measure`.
    width : int, default=2048
        The model's hidden width (see :class:`ModelServer`).
    sample_interval : float or None, default=0.2
        Record the machine's utilisation every this many seconds during the experiment (the
        ``trace``); None records nothing.

    Examples
    --------
    >>> experiment = measure_latency([Scenario("idle", threads=1)], rate=100, seconds=0.2, width=64)
    >>> list(experiment.summary.columns)
    ['requests', 'p50_ms', 'p99_ms', 'over_slo', 'shed', 'timed_out']
    """
    scenarios = list(scenarios)
    if not scenarios or len(scenarios) > 12 or not all(isinstance(s, Scenario) for s in scenarios):
        raise ParameterError("measure_latency needs a list of 1 to 12 Scenario objects; got "
                             f"{scenarios!r:.80}.")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ParameterError(f"measure_latency needs distinct scenario names; got {names}.")
    rate, seconds, _, _, _, slo = _check_measure("measure_latency", rate, seconds, 1, None, None, slo)
    if sample_interval is not None:
        sample_interval = check_float(sample_interval, "sample_interval", "measure_latency",
                                      low=0.1, high=5, fix="Use None to record no trace.")
    runs, windows = [], []
    with contextlib.ExitStack() as stack:
        sampler = None
        if sample_interval is not None:
            sampler = stack.enter_context(ResourceSampler(sample_interval, duration=3600))
        servers: dict[int, ModelServer] = {}
        for threads in dict.fromkeys(s.threads or usable_cores() for s in scenarios):
            server = ModelServer(threads, width=width, seed=seed)
            stack.callback(server.close)
            servers[threads] = server.start(wait=False)  # the servers load their models at once
        for scenario in scenarios:
            server = servers[scenario.threads or usable_cores()]
            with contextlib.ExitStack() as stress:
                if scenario.stress_workers:
                    stress.enter_context(CPUStress(scenario.stress_workers, seconds=4 * seconds + 5,
                                                   nice=scenario.stress_nice))
                    time.sleep(0.05)  # let the workers reach the CPU
                began = time.monotonic()
                run = server.measure(rate, seconds, max_batch=scenario.max_batch,
                                     max_queue=scenario.max_queue, timeout=scenario.timeout,
                                     slo=slo, seed=seed, name=scenario.name)
                ended = time.monotonic()
            if sampler is not None:
                windows.append((scenario.name, began - sampler.started_at, ended - sampler.started_at))
            run.settings.update(asdict(scenario))
            runs.append(run)
        service = {threads: server.service_ms for threads, server in servers.items()}
        if sampler is not None:
            time.sleep(sample_interval)  # one idle sample after the last scenario
            sampler.stop()
    return LatencyExperiment(runs, service, rate, slo, sampler.samples if sampler else None, windows)
