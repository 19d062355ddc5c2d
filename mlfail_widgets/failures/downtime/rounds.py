"""Real runs repeated in interleaved rounds, with their spread and a checked lesson.

One real run of a fifth of a second is at the mercy of whatever else the machine does at that
moment. :func:`measure_faults` measures every scenario once per round, in turn (A B C, B C A,
...), so a burst elsewhere on the machine hits every scenario alike; the table shows the median
of the rounds and their range, and :attr:`FaultReport.lesson` says whether the chapter's
lesson ("every fault costs availability") held on this machine, and why not if it did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._renamed import renamed_classes
from ..._validation import check_int, parameter_error
from .measure import OutageScenario, compare, measure

if TYPE_CHECKING:
    import pandas as pd

    from ...machine import BusyReading, Lesson
    from .measure import OutageRun
    from .service import PredictionService

__all__ = ["FaultReport", "ladder_lesson", "measure_faults", "storm_lesson"]

#: How much availability a fault must cost, at least, to count as "costing availability".
MIN_COST = 0.05


@dataclass
class FaultReport:
    """Every round of :func:`measure_faults`, the runs the figures show, and the lesson's verdict.

    ``runs`` maps each label to its median round (by availability, then p50); ``rounds`` to every
    round. ``lesson`` is a :class:`mlfail_widgets.machine.Lesson`; ``busy`` a
    :class:`~mlfail_widgets.machine.BusyReading`; ``notes`` what the measurement adapted.
    """

    runs: dict
    rounds: dict
    lesson: Lesson
    busy: BusyReading | None = None
    notes: list = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """:func:`~.measure.compare` of the median rounds, with each column's range over the rounds.

        Adds ``availability_min``/``_max``, ``p50_min``/``_max`` (ms) and ``rounds``.
        """
        table = compare(self.runs)
        for label, runs in self.rounds.items():
            summaries = [run.summary() for run in runs]
            available = [s.availability for s in summaries]
            p50 = [s.p50 * 1000 for s in summaries]
            table.loc[label, "availability_min"] = min(available)
            table.loc[label, "availability_max"] = max(available)
            table.loc[label, "p50_min"] = min(p50)
            table.loc[label, "p50_max"] = max(p50)
            table.loc[label, "rounds"] = len(runs)
        table["rounds"] = table["rounds"].astype(int)
        return table

    def describe(self) -> str:
        """The lesson's verdict, and the busy machine in one sentence when it was busy."""
        lines = [str(self.lesson)]
        if self.busy is not None and self.busy.busy:
            lines.append(self.busy.sentence("; ".join(self.notes)))
        elif self.notes:
            lines.append("Note: " + "; ".join(self.notes) + ".")
        return "\n".join(lines)


def _median_round(runs: list):
    keys = [(run.summary().availability, run.summary().p50) for run in runs]
    order = sorted(range(len(runs)), key=lambda i: keys[i])
    return runs[order[(len(runs) - 1) // 2]]


def _judge(rounds: dict):
    from ...machine import Lesson

    labels = list(rounds)
    baseline = labels[0]
    median = {label: float(np.median([r.summary().availability for r in runs]))
              for label, runs in rounds.items()}
    per_round_ok = []
    n = min(len(runs) for runs in rounds.values())
    for index in range(n):
        base = rounds[baseline][index].summary().availability
        per_round_ok.append(all(rounds[label][index].summary().availability <= base - MIN_COST
                                for label in labels[1:]))
    failing = [label for label in labels[1:] if median[label] > median[baseline] - MIN_COST]
    held = median[baseline] >= 0.95 and not failing
    statement = (f"every fault costs availability: {baseline!r} answered "
                 f"{median[baseline]:.0%} of requests, each fault at most "
                 f"{max(median[label] for label in labels[1:]):.0%}" if len(labels) > 1 else
                 f"{baseline!r} answered {median[baseline]:.0%} of requests")
    evidence = f"median of {n} round(s); the lesson held in {sum(per_round_ok)} of them"
    why = ""
    if median[baseline] < 0.95:
        why = (f"{baseline!r} itself answered only {median[baseline]:.0%}: the machine was too slow to "
               "keep up with the requests.")
    elif failing:
        why = f"{', '.join(map(repr, failing))} answered as much as {baseline!r} on this run."
    decided = all(per_round_ok) or not any(per_round_ok)
    return Lesson(bool(held), statement, evidence, why), decided


def measure_faults(service: PredictionService, scenarios: dict[str, OutageScenario], policy: str = "no timeout", *, rounds: int = 3,
                   max_rounds: int | None = None, seed: int | np.random.Generator = 0,
                   **options: Any) -> FaultReport:
    """Measure each scenario against the real service in interleaved rounds; check the lesson.

    The first scenario is the baseline (a healthy service); the lesson holds when it answers at
    least 95 % of requests and every other scenario answers at least 5 points less (median over
    the rounds). When the machine is busy, or the rounds disagree, more rounds run, up to
    ``max_rounds``. Every round uses the same requests (``seed``).

    Parameters
    ----------
    service : PredictionService
        A running service.
    scenarios : dict of str to OutageScenario
        Label to scenario, the baseline first (2 to 12 of them).
    policy : str or callable, default="no timeout"
        The client policy, as in :func:`~.measure.measure` (``options`` go to it).
    rounds : int, default=3
        Rounds of every scenario, in [1, 20].
    max_rounds : int, optional
        Most rounds when adapting, in [rounds, 40]; default ``2 * rounds``.
    seed : int, default=0
        As in :func:`~.measure.measure`.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import Fault, PredictionService
    >>> with PredictionService() as service:
    ...     result = measure_faults(service, {"healthy": OutageScenario(duration=0.1, interval=0.01),
    ...                                       "down": OutageScenario(fault=Fault(down=True), duration=0.1,
    ...                                                        interval=0.01)}, rounds=2)
    >>> int(result.table.loc["down", "rounds"]) >= 2, float(result.table.loc["down", "availability"])
    (True, 0.0)
    >>> str(result.lesson).split(":")[1].strip()
    'every fault costs availability'
    """
    from ...machine import BusyWatch

    if not isinstance(scenarios, dict) or not 2 <= len(scenarios) <= 12 or not all(
            isinstance(s, OutageScenario) for s in scenarios.values()):
        raise parameter_error("scenarios", "a dict of 2 to 12 labels to OutageScenario objects, the "
                              "healthy baseline first", scenarios,
                              fix='For example {"healthy": OutageScenario(), "down": OutageScenario(fault=Fault(down=True))}.')
    rounds = check_int(rounds, "rounds", low=1, high=20)
    if max_rounds is None:
        max_rounds = 2 * rounds
    max_rounds = check_int(max_rounds, "max_rounds", low=rounds, high=40,
                           fix="It must be at least 'rounds'.")
    labels = list(scenarios)
    measured: dict[str, list[OutageRun]] = {label: [] for label in labels}
    notes = []
    with BusyWatch() as watch:
        done = 0
        while True:
            shift = done % len(labels)
            for label in labels[shift:] + labels[:shift]:
                measured[label].append(measure(service, scenarios[label], policy, seed=seed, **options))
            done += 1
            lesson, decided = _judge(measured)
            if done < rounds:
                continue
            busy = watch.stop().busy
            watch.reading = None
            if done >= max_rounds or (decided and (not busy or done >= rounds + 1)):
                break
    reading = watch.reading
    if done > rounds:
        notes.append(f"the measurement ran {done - rounds} more round(s) ({done} in all) to be sure")
    runs = {label: _median_round(runs) for label, runs in measured.items()}
    return FaultReport(runs, measured, lesson, reading, notes)


def ladder_lesson(runs: dict[str, OutageRun]) -> Lesson:
    """The policy ladder's lesson, checked on its runs: the fallback keeps (nearly) every user answered.

    ``runs`` maps a policy label to its :class:`~.measure.OutageRun` (the ``"fallback"`` rung among
    them). Holds when the fallback answers at least 95 % of requests and no other rung more.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import Fault, outage_scenario, simulate
    >>> hang = outage_scenario(0.3, start=0.1, kind="hang", duration=0.6, interval=0.01)
    >>> runs = {p: simulate(hang, p, timeout=0.075, retries=3) for p in ("timeout", "fallback")}
    >>> bool(ladder_lesson(runs).held)
    True
    """
    from ...machine import Lesson

    if "fallback" not in runs:
        raise parameter_error("runs", "a dict with a 'fallback' run", sorted(runs))
    available = {label: run.summary().availability for label, run in runs.items()}
    best_other = max((v for k, v in available.items() if k != "fallback"), default=0.0)
    held = available["fallback"] >= 0.95 and available["fallback"] >= best_other
    evidence = ", ".join(f"{label} {value:.0%}" for label, value in available.items())
    why = "" if held else ("The fallback did not answer the most requests on this run: the machine was "
                           "too busy for the clients to keep up, so the timings, not the policies, decided.")
    return Lesson(bool(held), "only the fallback keeps (nearly) every user answered", evidence, why)


def storm_lesson(runs: dict[str, OutageRun], scenario: OutageScenario, outage: tuple[float, float]) -> Lesson:
    """The retry storm's lesson: without backoff, retries multiply the load during an outage.

    ``runs`` maps labels to runs in the order no backoff, then the backoff variants; ``outage`` is
    ``(start, end)`` in seconds. Holds when the load during the outage without backoff is at least
    twice the normal load (``clients / interval``) and every backoff variant's at most half of it.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import Fault, outage_scenario, simulate
    >>> storm = outage_scenario(0.3, start=0.2, duration=0.8, clients=10, interval=0.04)
    >>> runs = {"no backoff": simulate(storm, "retry", retries=4, backoff=0.0),
    ...         "backoff": simulate(storm, "retry", retries=4, backoff=0.03)}
    >>> bool(storm_lesson(runs, storm, (0.2, 0.5)).held)
    True
    """
    from ...machine import Lesson

    labels = list(runs)
    if len(labels) < 2 or not isinstance(scenario, OutageScenario):
        raise parameter_error("runs", "two or more runs (no backoff first) and their OutageScenario",
                              labels)
    normal = scenario.clients / scenario.interval
    load = {label: run.load_between(*outage) for label, run in runs.items()}
    storm, calmer = load[labels[0]], [load[label] for label in labels[1:]]
    held = storm >= 2 * normal and all(value <= storm / 2 for value in calmer)
    evidence = (f"normal load {normal:.0f}/s; during the outage " +
                ", ".join(f"{label} {value:.0f}/s" for label, value in load.items()))
    why = "" if held else "On this run the retries did not pile up as expected: a busy machine slowed the clients."
    return Lesson(bool(held), "retries without backoff multiply the load on a service that is down; backoff "
                  "keeps it low", evidence, why)

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"FaultComparison": FaultReport})
