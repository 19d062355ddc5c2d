"""Latency under contention, measured for real: the model server idle and next to CPU stress.

A :class:`ContentionScenario` puts CPU stress next to the model server (:mod:`.server`) and a
mitigation in place: fewer BLAS threads, fewer or lower-priority stress workers, admission
control (a bounded queue), timeouts, or batching. :func:`measure_latency` measures every
scenario in interleaved rounds, with the same arrivals, and checks the chapter's lesson.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import check_int, parameter_error
from .sampling import ResourceSampler
from .server import LatencyRun, ModelServer
from .settings import AUTO_MAX_RATE, LatencySettings, _check_measure
from .stress import CPUStress, usable_cores

if TYPE_CHECKING:
    import pandas as pd

    from ...machine import BusyReading, Lesson

__all__ = ["ContentionScenario", "LatencyReport", "LatencySettings", "measure_latency"]  # LatencySettings re-exported

#: "Stress raises the p99" needs the stressed p99 above this multiple of the idle one.
MARGIN = 1.2
#: rate="auto": the rate that keeps an idle server busy this share of one core (at most 400/s).
AUTO_LOAD, AUTO_MIN_RATE = 0.45, 20.0  # and settings.AUTO_MAX_RATE


@dataclass(frozen=True)
class ContentionScenario:
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
    >>> ContentionScenario("stressed", stress_workers=2).stress_workers
    2
    >>> ContentionScenario("bad", stress_workers=-1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'stress_workers' parameter of ContentionScenario must be an int in [0, ...]. Got -1 instead.
    """

    name: str
    stress_workers: int = 0
    stress_nice: int = 0
    threads: int | None = None
    max_batch: int = 1
    max_queue: int | None = None
    timeout: float | None = None

    def __post_init__(self):
        check_int(self.stress_workers, "stress_workers", low=0, high=usable_cores())
        check_int(self.stress_nice, "stress_nice", low=0, high=19)
        if self.threads is not None:
            check_int(self.threads, "threads", low=1, high=64)
        _check_measure(1, 1, self.max_batch, self.max_queue, self.timeout, 1)


def _lesson_pair(scenarios: list[ContentionScenario]) -> tuple[ContentionScenario, ContentionScenario] | None:
    """The idle scenario and the plain stressed one (no mitigation) the chapter's lesson compares."""
    idle = next((s for s in scenarios if s.stress_workers == 0), None)
    plain = [s for s in scenarios if s.stress_workers > 0 and s.stress_nice == 0 and s.max_batch == 1
             and s.max_queue is None and s.timeout is None]
    if idle is None or not plain:
        return None
    same_threads = [s for s in plain if s.threads == idle.threads]
    return idle, (same_threads or plain)[0]


def _median_run(runs: list[LatencyRun]) -> LatencyRun:
    """The round whose p99 is the median one (the run the figures show)."""
    order = np.argsort([np.nan_to_num(run.p99_ms, nan=np.inf) for run in runs], kind="stable")
    return runs[int(order[(len(runs) - 1) // 2])]


@dataclass
class LatencyReport:
    """The runs of :func:`measure_latency`: every round of every scenario, and their summary.

    ``runs`` holds one run per scenario (the round with the median p99, which the figures show);
    ``rounds`` every round, by scenario. ``trace`` holds the machine's utilisation sampled during
    the experiment (a :class:`ResourceSampler`'s samples) and ``windows`` the
    ``(scenario, start, end)`` of each measurement on the trace's clock, in seconds. ``lesson``
    says whether the idle-against-stress lesson held (a :class:`mlfail_widgets.machine.Lesson`,
    None without such a pair); ``busy`` how busy the machine was (a
    :class:`~mlfail_widgets.machine.BusyReading`); ``notes`` what the measurement adapted.
    """

    runs: list[LatencyRun]
    service_ms: dict[int, float]
    rate: float
    slo: float
    trace: pd.DataFrame | None = None
    windows: list = field(default_factory=list)
    rounds: dict = field(default_factory=dict)
    lesson: Lesson | None = None
    busy: BusyReading | None = None
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per scenario: medians over the rounds, and the p50/p99 range (min, max).

        Columns: requests (per round), p50_ms, p99_ms, over_slo, shed, timed_out (medians over
        the rounds), p50_min, p50_max, p99_min, p99_max and rounds.
        """
        import pandas as pd

        rows = []
        for run in self.runs:
            rounds = self.rounds.get(run.name) or [run]
            table = pd.DataFrame([r.summary() for r in rounds])
            row = table.drop(columns="scenario").median().to_dict()
            row.update(scenario=run.name, requests=int(run.status.size),
                       p50_min=table["p50_ms"].min(), p50_max=table["p50_ms"].max(),
                       p99_min=table["p99_ms"].min(), p99_max=table["p99_ms"].max(), rounds=len(rounds))
            rows.append(row)
        columns = ["scenario", "requests", "p50_ms", "p99_ms", "over_slo", "shed", "timed_out",
                   "p50_min", "p50_max", "p99_min", "p99_max", "rounds"]
        return pd.DataFrame(rows, columns=columns).set_index("scenario")

    def describe(self) -> str:
        """The lesson's verdict, and the busy machine in one sentence when it was busy."""
        lines = [str(self.lesson)] if self.lesson is not None else []
        if self.busy is not None and self.busy.busy:
            lines.append(self.busy.sentence("; ".join(self.notes)))
        elif self.notes:
            lines.append("Note: " + "; ".join(self.notes) + ".")
        return "\n".join(lines)

    def __getitem__(self, name: str) -> LatencyRun:
        for run in self.runs:
            if run.name == name:
                return run
        raise KeyError(f"No scenario {name!r}; the scenarios are {[r.name for r in self.runs]}.")


def _judge(pair: tuple[ContentionScenario, ContentionScenario], rounds: dict) -> tuple[Lesson, bool]:
    """The lesson's verdict from the paired rounds, and whether more rounds could change it."""
    from ...machine import Lesson

    idle, stressed = (rounds[s.name] for s in pair)
    n = min(len(idle), len(stressed))
    idle99 = np.array([r.p99_ms for r in idle[:n]])
    stress99 = np.array([r.p99_ms for r in stressed[:n]])
    stress99 = np.where(np.isnan(stress99), np.inf, stress99)  # nothing served: as slow as it gets
    wins = int(np.sum(stress99 > MARGIN * idle99))
    median_idle, median_stress = float(np.nanmedian(idle99)), float(np.median(stress99))
    held = bool(median_stress > MARGIN * median_idle and wins * 2 > n)
    statement = f"CPU stress raises the p99 latency ({pair[1].name!r} against {pair[0].name!r})"
    evidence = (f"median p99 {median_idle:.0f} ms idle against {median_stress:.0f} ms under stress; "
                f"stress was more than {MARGIN:g} times slower in {wins} of {n} paired rounds")
    why = ""
    if not held:
        seconds = float(idle[0].settings.get("seconds", 1.0))
        ceiling = (1.5 * seconds + 0.25) * 1000  # the server abandons a backlog after this
        why = ("Other programs on this machine slowed the idle runs as much as the stress did; the "
               "measurement could not separate them.")
        if median_idle >= 0.6 * ceiling:
            why = (f"Even idle, the server could not keep up: other programs took the CPU, and its p99 "
                   f"({median_idle:.0f} ms) reached the longest latency a {seconds:g} s measurement can "
                   f"record (about {ceiling:.0f} ms), so stress could not make it visibly worse.")
    decided = wins in (0, n) or abs(wins / n - 0.5) >= 0.3
    return Lesson(held, statement, evidence, why), decided


def measure_latency(scenarios: Sequence[ContentionScenario], settings: LatencySettings | None = None, *,
                    seed: int = 0, **options: Any) -> LatencyReport:
    """Measure the model server's latency in each scenario, for real, in interleaved rounds.

    The servers start and are warmed up first (``warmup`` seconds of requests, not counted).
    Then every scenario is measured once per round, in turn (A B C, B C A, C A B, ...), so a
    burst of activity elsewhere on the machine hits every scenario alike instead of one block;
    every scenario sees the same arrival times (``seed``), so differences come from the
    machine, not from luck. The summary shows the median over the rounds and their range.

    The chapter's lesson, "stress raises the p99", is checked on the paired rounds of the first
    idle scenario and the first stressed scenario without mitigation (:attr:`~LatencyReport.lesson`).
    When the machine is busy, or the rounds disagree, the measurement adapts: it adds rounds of
    that pair, up to ``max_rounds``. A scenario without stress first waits (at most 10 s) until no
    other learner's stress workers run on the machine, and no one's stress starts until it ends. Stress workers run only during their
    scenario's measurement,
    never more than the container's CPU quota allows nor more than the machine-wide slots
    (:class:`mlfail_widgets.machine.StressSlots`), and are always stopped; the servers stop at
    the end, also on error or interrupt.

    How it measures is a :class:`~.settings.LatencySettings` (``settings``), and any of its
    fields can also be given as a keyword, which overrides it:
    ``measure_latency(scenarios, rate="auto", rounds=1)`` and
    ``measure_latency(scenarios, LatencySettings(rate="auto", rounds=1))`` are the same measurement.

    Parameters
    ----------
    scenarios : sequence of ContentionScenario
        What to measure (at most 12).
    settings : LatencySettings, optional
        How to measure; default ``LatencySettings()``.
    seed : int, default=0
        As in :meth:`ModelServer.measure`: the arrival times (and the model's weights).
    **options
        Fields of :class:`~.settings.LatencySettings`, overriding ``settings``: ``rate``
        (float or "auto", default 400), ``seconds`` (1.0), ``slo`` (0.025), ``width`` (2048),
        ``sample_interval`` (0.2), ``rounds`` (3), ``max_rounds`` (``3 * rounds``), ``warmup`` (0.2).

    Returns
    -------
    LatencyReport

    Examples
    --------
    >>> experiment = measure_latency([ContentionScenario("idle", threads=1)], rate=100, seconds=0.2, width=64,
    ...                              rounds=2)
    >>> list(experiment.summary.columns)[:6]
    ['requests', 'p50_ms', 'p99_ms', 'over_slo', 'shed', 'timed_out']
    >>> int(experiment.summary.loc["idle", "rounds"]), experiment.lesson is None
    (2, True)
    >>> quick = LatencySettings(rate=100, seconds=0.2, width=64, rounds=2)
    >>> int(measure_latency([ContentionScenario("idle", threads=1)], quick).summary.loc["idle", "rounds"])
    2
    >>> measure_latency([ContentionScenario("idle")], round=2)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: measure_latency got an unexpected keyword argument 'round'. Did you mean 'rounds'?
    """
    from ..._settings import settings_with
    from ...machine import BusyWatch, StressSlots, stress_capacity

    scenarios = list(scenarios)
    if not scenarios or len(scenarios) > 12 or not all(isinstance(s, ContentionScenario) for s in scenarios):
        raise parameter_error("scenarios", "a list of 1 to 12 ContentionScenario objects", scenarios)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise parameter_error("scenarios", "scenarios with distinct names", names)
    chosen = settings_with(LatencySettings, settings, options)
    auto = chosen.rate == "auto"
    rate: float = AUTO_MAX_RATE if auto else float(chosen.rate)
    seconds, slo, width, sample_interval = chosen.seconds, chosen.slo, chosen.width, chosen.sample_interval
    rounds, max_rounds, warmup = chosen.rounds, chosen.rounds_at_most, chosen.warmup
    capacity = stress_capacity()
    notes: list[str] = []
    if any(s.stress_workers > capacity for s in scenarios):
        notes.append(f"this container's CPU quota allows {capacity} stress worker(s), so each "
                     "scenario ran at most that many")
    pair = _lesson_pair(scenarios)
    measured: dict[str, list[LatencyRun]] = {s.name: [] for s in scenarios}
    windows: list = []
    slot_waits: list = []
    with contextlib.ExitStack() as stack:
        sampler = None
        if sample_interval is not None:
            sampler = stack.enter_context(ResourceSampler(sample_interval, duration=3600))
        servers: dict[int, ModelServer] = {}
        for threads in dict.fromkeys(s.threads or usable_cores() for s in scenarios):
            server = ModelServer(threads, width=width, seed=seed)
            stack.callback(server.close)
            servers[threads] = server.start(wait=False)  # the servers load their models at once
        for server in servers.values():
            server.start()  # wait until loaded, then warm up: caches, page faults, lazy imports
            if warmup > 0:
                server.measure(rate, max(warmup, 0.05), seed=(seed + 1) % 2**32, slo=slo)
        if auto:  # time one request as the machine is now; load the idle server to AUTO_LOAD of a core
            base = servers[(pair[0].threads if pair else scenarios[0].threads) or usable_cores()]
            probe = base.measure(40, 0.5, seed=(seed + 2) % 2**32, slo=slo)
            took = probe.finish[probe.served] - probe.start[probe.served]
            service_ms = float(np.median(took) * 1000) if took.size else base.service_ms
            rate = float(min(AUTO_MAX_RATE, max(AUTO_MIN_RATE, round(AUTO_LOAD * 1000 / service_ms, -1))))
            if rate < AUTO_MAX_RATE:
                notes.append(f"one request took {service_ms:.1f} ms on this machine now (about 1 ms on a quiet "
                             f"one), so requests arrived at {rate:g} per second instead of {AUTO_MAX_RATE:g}, "
                             "keeping the idle server's load the same")
        watch = stack.enter_context(BusyWatch())

        slots, waited = StressSlots(), []

        def one(scenario):
            server = servers[scenario.threads or usable_cores()]
            with contextlib.ExitStack() as held:
                if not scenario.stress_workers:  # idle means idle: other learners' stress ends first, none starts
                    seconds_waited = held.enter_context(slots.quiet(seconds=3 * seconds + 1, wait=10.0))
                    if seconds_waited >= 0.2:
                        waited.append(seconds_waited)
                else:
                    workers = CPUStress(min(scenario.stress_workers, capacity),
                                        seconds=4 * seconds + 5, nice=scenario.stress_nice)
                    held.enter_context(workers)
                    if workers.message:
                        slot_waits.append((workers.waited, workers.granted,
                                           min(scenario.stress_workers, capacity)))
                    time.sleep(0.05)  # let the workers reach the CPU
                began = time.monotonic()
                run = server.measure(float(rate), seconds, max_batch=scenario.max_batch,
                                     max_queue=scenario.max_queue, timeout=scenario.timeout,
                                     slo=slo, seed=seed, name=scenario.name)
                ended = time.monotonic()
            if sampler is not None:
                windows.append((scenario.name, began - sampler.started_at, ended - sampler.started_at))
            run.settings.update(asdict(scenario))
            measured[scenario.name].append(run)

        lowered = 0
        index = 0
        while index < rounds:
            shift = index % len(scenarios)
            for scenario in scenarios[shift:] + scenarios[:shift]:
                one(scenario)
            index += 1
            idle_run = measured[pair[0].name][-1] if pair else None
            if (auto and index == 1 and lowered < 2 and rate > AUTO_MIN_RATE and idle_run is not None
                    and idle_run.p99_ms >= 0.6 * (1.5 * seconds + 0.25) * 1000):
                # even the idle server fell behind: the machine got slower since the timing; halve the
                # rate and start the rounds again, rather than measure a saturated "idle"
                rate, lowered, index = max(AUTO_MIN_RATE, rate / 2), lowered + 1, 0
                for runs in measured.values():
                    runs.clear()
                windows.clear()
        if lowered:
            notes.append(f"the idle server fell behind at first, so the rate was halved {lowered} time(s), to "
                         f"{rate:g} per second, and the rounds started again")
        lesson = None
        if pair is not None:
            lesson, decided = _judge(pair, measured)
            busy_now = watch.stop().busy
            extra = 0
            while (not decided or (busy_now and extra < rounds)) and len(measured[pair[0].name]) < max_rounds:
                for scenario in (pair if extra % 2 else pair[::-1]):
                    one(scenario)
                extra += 1
                lesson, decided = _judge(pair, measured)
            if extra:
                notes.append(f"the measurement ran {extra} more round(s) of {pair[0].name!r} and "
                             f"{pair[1].name!r} to separate them ({len(measured[pair[0].name])} in all)")
            watch.reading = None  # read again over the whole experiment
        reading = watch.stop()
        service = {threads: server.service_ms for threads, server in servers.items()}
        if sampler is not None:
            time.sleep(sample_interval or 0.0)  # one idle sample after the last scenario
            sampler.stop()
    if slot_waits:  # other learners' stress held the machine's slots: one sentence for all the runs
        fewer = sum(granted < wanted for _, granted, wanted in slot_waits)
        notes.append(f"{len(slot_waits)} stressed run(s) first waited {sum(w for w, _, _ in slot_waits):.1f} s in "
                     f"all for other learners' stress workers (this machine allows {capacity} at once, one per "
                     "core)" + (f", and {fewer} ran with fewer workers than asked" if fewer else ""))
    if waited:
        notes.append(f"the runs without stress waited {sum(waited):.1f} s in all for other learners' stress "
                     "workers on this machine to stop, so that they measured an idle machine")
    runs = [_median_run(measured[s.name]) for s in scenarios]
    return LatencyReport(runs, service, rate, slo, sampler.samples if sampler else None, windows,
                             rounds=measured, lesson=lesson, busy=reading, notes=notes)
