"""The fast mode: the same policies and client loop on a virtual clock, in milliseconds.

A discrete-event model of the system. Time is a :class:`~.faults.VirtualClock` that jumps from
one event (a send, an answer, a timeout, the end of a backoff) to the next instead of waiting.
A :class:`SimulatedService` answers like the real one: refused while its
:class:`~.faults.Fault` says it is down, late by the fault's latency plus the plumbing time
measured by :func:`calibrate`, an HTTP 500 with the fault's error rate, and the prediction
service calls its simulated feature store with the very policy the real one uses.

Clients are independent (each has its own policy: breaker, cache, jitter), and the services'
behaviour does not depend on load, so each client's timeline is simulated in turn and the
attempts are merged: that is the whole system's event sequence.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import check_choice, check_float, check_int, parameter_error
from .faults import Fault, VirtualClock
from .measure import GRACE, OutageRun, OutageScenario, outage_scenario, plan, policy_factory, run_client
from .policies import POLICIES, CallFailed, PolicySettings, Reply, Transport
from .service import HTTPTransport, PredictionService, _store_policy, user_predictions

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .policies import Policy

__all__ = ["EXPLORE_SCENARIO", "EXPLORE_SETTINGS", "SWEEPABLE", "SimulatedService", "SimulatedTransport",
           "Timing", "calibrate", "explore", "simulate", "sweep"]


@dataclass(frozen=True)
class Timing:
    """Seconds the plumbing takes on a healthy system; :func:`calibrate` measures them.

    ``store``: one call to the feature store; ``prediction``: the prediction service's own
    share of a call (without the store); ``refused``: a refused connection.
    """

    store: float = 0.0006
    prediction: float = 0.0009
    refused: float = 0.00005


def calibrate(service: PredictionService, calls: int = 30) -> Timing:
    """Measure the :class:`Timing` of the real service on this machine (medians of ``calls``).

    Examples
    --------
    >>> with PredictionService() as service:
    ...     timing = calibrate(service, calls=5)
    >>> 0 < timing.refused < timing.store + timing.prediction < 0.1
    True
    """
    import socket

    calls = check_int(calls, "calls", low=3, high=1000)
    clock = service.clock
    with socket.create_server(("127.0.0.1", 0)) as closed:
        closed_port = closed.getsockname()[1]
    urls = {"store": service.store_url + "/features", "whole": service.url + "/predict",
            "refused": f"http://127.0.0.1:{closed_port}/predict"}
    times: dict[str, list[float]] = {name: [] for name in urls}
    for call in range(calls + 2):  # interleaved, so a busy moment hits all three alike
        for name, url in urls.items():
            transport = HTTPTransport(url, clock)
            start = clock.now()
            with contextlib.suppress(CallFailed):
                transport.send(call % 50, timeout=1.0)
            if call >= 2:  # the first two warm up
                times[name].append(clock.now() - start)
    store, whole, refused = (statistics.median(times[name]) for name in urls)
    return Timing(store=store, prediction=max(whole - store, 1e-5), refused=refused)


class SimulatedService:
    """A service on the virtual clock: its fault, its own time, and maybe a dependency."""

    def __init__(self, fault: Fault, own_time: float, refused_time: float, rng: np.random.Generator,
                 dependency: SimulatedService | None = None, dependency_policy: Policy | None = None) -> None:
        self.fault, self.own_time, self.refused_time = fault, own_time, refused_time
        if dependency is not None and dependency_policy is None:
            raise parameter_error("dependency_policy", "a Policy when a dependency is given", None,
                                  fix="Pass the policy the service calls its dependency through, e.g. "
                                      "make_policy('timeout').")
        self.rng, self.dependency, self.dependency_policy = rng, dependency, dependency_policy
        self.predictions, self.degraded_prediction = user_predictions()

    def respond(self, t: float, request: Any) -> tuple[str | None, float, object, bool]:
        """``(failure kind or None, seconds until the outcome, value, degraded)`` for a request at t."""
        fault = self.fault
        if fault.is_down(t):
            return "refused", self.refused_time, None, False
        hang_end = fault.hang_end(t)
        waited = fault.latency + (0.0 if hang_end is None else hang_end - t)
        if waited:
            crash = fault.goes_down_between(t, t + waited)
            if crash is not None:  # died while the request waited: the connection is reset
                return "reset", crash - t, None, False
        if fault.error_rate and self.rng.random() < fault.error_rate:
            return self._finish(t, waited, waited + self.own_time, "error", None, False)
        value, degraded, busy = request, False, waited
        if self.dependency is not None and self.dependency_policy is not None:
            clock = VirtualClock(t + waited)
            try:
                reply = self.dependency_policy.call(SimulatedTransport(self.dependency, clock), request)
            except CallFailed:
                return self._finish(t, waited, clock.now() - t + self.own_time, "error", None, False)
            busy = clock.now() - t
            degraded = reply.degraded
            value = self.degraded_prediction if degraded else float(self.predictions[request])
        return self._finish(t, waited, busy + self.own_time, None, value, degraded)

    def _finish(self, t, waited, seconds, kind, value, degraded):
        # Went down after the wait but before answering: the answer never leaves.
        if self.fault.goes_down_between(t + waited, t + seconds) is not None:
            return "reset", seconds, None, False
        return kind, seconds, value, degraded


class SimulatedTransport(Transport):
    """Sends a request to a :class:`SimulatedService` and moves the virtual clock."""

    def __init__(self, service: SimulatedService, clock: VirtualClock, deadline: float = float("inf")):
        super().__init__(clock, deadline)
        self.service = service

    def _send(self, request, wait: float) -> Reply:
        kind, seconds, value, degraded = self.service.respond(self.clock.now(), request)
        if seconds > wait:
            self.clock.sleep(wait)
            raise CallFailed("timeout", f"no answer within {wait:.3g} s")
        self.clock.sleep(seconds)
        if kind is not None:
            raise CallFailed(kind)
        return Reply(value, degraded)


def simulate(scenario: OutageScenario | None = None, policy: str | Callable[[], Policy] = "timeout", *,
             timing: Timing | None = None,
             seed: int | np.random.Generator = 0, **options: Any) -> OutageRun:
    """Run ``scenario`` with ``policy`` on the virtual clock; the same :class:`OutageRun` as :func:`measure`.

    Parameters
    ----------
    scenario : OutageScenario, optional
        Faults and workload (default: healthy, one client, one second).
    policy : str or callable, default="timeout"
        As for :func:`~.measure.measure`; options go to :func:`~.policies.make_policy`.
    timing : Timing, optional
        The plumbing times; pass ``calibrate(service)`` to match a real run on this machine.
    seed : int or numpy.random.Generator, default=0
        Seeds the users, the jitter and the error draws: the same seed, the same run.

    Examples
    --------
    >>> run = simulate(outage_scenario(0.3, duration=1.0), "retry", retries=3, seed=1)
    >>> summary = run.summary()
    >>> summary.simulated, summary.availability > 0.6
    (True, True)
    >>> simulate(outage_scenario(0.3), "retry", seed=1).outcome.tolist() == \\
    ...     simulate(outage_scenario(0.3), "retry", seed=1).outcome.tolist()
    True
    """
    scenario = OutageScenario() if scenario is None else scenario
    if not isinstance(scenario, OutageScenario):
        raise parameter_error("scenario", "a OutageScenario", scenario)
    timing = Timing() if timing is None else timing
    if not isinstance(timing, Timing):
        raise parameter_error("timing", "a Timing", timing, fix="Use calibrate(service).")
    build, label = policy_factory(policy, options)
    rng = resolve_rng(seed)
    users, seeds = plan(scenario, rng)
    store = SimulatedService(scenario.store, timing.store, timing.refused, rng)
    predictor = SimulatedService(scenario.fault, timing.prediction, timing.refused, rng, store,
                                 _store_policy(scenario.store_timeout, scenario.store_fallback))
    logs, attempts = [], []
    for index in range(scenario.clients):
        transport = SimulatedTransport(predictor, VirtualClock(), scenario.duration + GRACE)
        logs.append(run_client(build(int(seeds[index])), transport, users[index], scenario.interval,
                               scenario.offset(index), scenario.patience))
        attempts.append(transport.attempts)
    return OutageRun.from_clients(label, scenario, True, logs, attempts)


#: What :func:`sweep` can vary: a scenario knob or a policy option.
SWEEPABLE = ("outage", "error_rate", "store_latency", "clients", "timeout", "retries", "backoff")


def _scenario_for(base: OutageScenario, parameter: str, value, outage_start: float, kind: str) -> OutageScenario:
    if parameter == "outage":
        return outage_scenario(value, start=outage_start, kind=kind, fault=base.fault,
                               **{k: getattr(base, k) for k in ("store", "duration", "clients", "interval",
                                                                "max_calls", "store_timeout", "store_fallback",
                                                                "patience")})
    if parameter == "error_rate":
        return replace(base, fault=replace(base.fault, error_rate=value))
    if parameter == "store_latency":
        return replace(base, store=replace(base.store, latency=value))
    if parameter == "clients":
        return replace(base, clients=value)
    return base


def sweep(parameter: str, values: Iterable[Any], *, policy: str | Callable[[], Policy] = "retry", scenario: OutageScenario | None = None,
          outage_start: float = 0.2, kind: str = "down", timing: Timing | None = None, seed: int | np.random.Generator = 0,
          **options: Any) -> pd.DataFrame:
    """Simulate one run per value of ``parameter``; a DataFrame of the summaries.

    ``parameter`` is one of :data:`SWEEPABLE`: ``"outage"`` (seconds out from
    ``outage_start``, of ``kind`` "down" or "hang"), ``"error_rate"`` or ``"store_latency"``
    change the scenario;
    ``"timeout"``, ``"retries"``, ``"backoff"`` change the policy.

    Examples
    --------
    >>> table = sweep("retries", [0, 2, 4], scenario=OutageScenario(fault=Fault(error_rate=0.3)))
    >>> table["retries"].tolist(), bool(table["error_rate"].is_monotonic_decreasing)
    ([0, 2, 4], True)
    """
    import pandas as pd

    parameter = check_choice(parameter, "parameter", SWEEPABLE)
    base = OutageScenario() if scenario is None else scenario
    rows = []
    for value in values:
        run_options = dict(options)
        if parameter in ("timeout", "retries", "backoff"):
            run_options[parameter] = value
        run = simulate(_scenario_for(base, parameter, value, outage_start, kind), policy,
                       timing=timing, seed=seed, **run_options)
        rows.append({parameter: value, **run.summary().as_row()})
    return pd.DataFrame(rows)


@dataclass
class PolicyReport:
    """What the chapter's widget shows: one policy's run, and every policy's summary."""

    run: OutageRun
    summaries: dict
    policy: str


#: The scenario :func:`explore` runs: 5 clients, a request every 10 ms each for 1.5 s (the
#: outage window, from :data:`EXPLORE_OUTAGE_START`, is added to it).
EXPLORE_SCENARIO = OutageScenario(duration=1.5, clients=5, interval=0.01)
EXPLORE_OUTAGE_START = 0.3
#: The policies' knobs :func:`explore` starts from: a tighter timeout than make_policy's.
EXPLORE_SETTINGS = PolicySettings(timeout=0.05)
_SCENARIO_KNOBS = ("outage", "kind", "error_rate", "latency", "clients")


def explore(scenario: OutageScenario | None = None, settings: PolicySettings | None = None, *,
            policy: str = "fallback", seed: int | np.random.Generator = 0, **options: Any) -> PolicyReport:
    """Simulate every policy of the ladder on one fault; keep the run of ``policy``.

    The run is described by an :class:`~.measure.OutageScenario` and a
    :class:`~.policies.PolicySettings`; the chapter's sliders give their knobs as keywords,
    which override them: ``explore(outage=0.4, retries=2)`` and
    ``explore(outage_scenario(0.4, start=0.3, duration=1.5, clients=5, interval=0.01),
    PolicySettings(timeout=0.05, retries=2))`` are the same run.

    Parameters
    ----------
    scenario : OutageScenario, optional
        Faults and workload; default :data:`EXPLORE_SCENARIO` (5 clients, each with a request
        every 10 ms for 1.5 s; users wait at most 1 s) with a 0.4 s outage from 0.3 s.
    settings : PolicySettings, optional
        The policies' knobs; default :data:`EXPLORE_SETTINGS` (``timeout=0.05``).
    policy : str, default="fallback"
        The policy whose run is kept (every policy's summary is kept).
    seed : int or numpy.random.Generator, default=0
        Seeds the users, the jitter and the error draws.
    **options
        Knobs of the scenario: ``outage`` (seconds out from 0.3 s, in [0, 1.2]; default 0.4
        without a ``scenario``, none with one), ``kind`` ("down": refused; "hang": no answer
        until the window ends), ``error_rate`` and ``latency`` (of the prediction service),
        ``clients``; and the fields of :class:`~.policies.PolicySettings` (``timeout``,
        ``retries``, ``backoff``, ``jitter``, ...).

    Returns
    -------
    PolicyReport

    Examples
    --------
    >>> result = explore(outage=0.4, policy="retry")
    >>> result.policy, sorted(result.summaries) == sorted(POLICIES)
    ('retry', True)
    >>> result.summaries["fallback"].availability >= result.summaries["timeout"].availability
    True
    >>> same = explore(outage_scenario(0.4, start=0.3, duration=1.5, clients=5, interval=0.01),
    ...                PolicySettings(timeout=0.05), policy="retry")
    >>> same.run.outcome.tolist() == result.run.outcome.tolist()
    True
    """
    from ..._settings import settings_with

    policy = check_choice(policy, "policy", POLICIES)
    knobs = {name: options.pop(name) for name in _SCENARIO_KNOBS if name in options}
    chosen = settings_with(PolicySettings, EXPLORE_SETTINGS if settings is None else settings, options,
                           also=_SCENARIO_KNOBS)
    if scenario is not None and not isinstance(scenario, OutageScenario):
        raise parameter_error("scenario", "an OutageScenario or None", scenario,
                              fix="Build one with outage_scenario(...) or OutageScenario(...).")
    base = EXPLORE_SCENARIO if scenario is None else scenario
    outage = check_float(knobs.get("outage", 0.4 if scenario is None else 0.0), "outage", low=0, high=1.2)
    fault = base.fault
    if "error_rate" in knobs or "latency" in knobs:
        fault = replace(fault, **{k: knobs[k] for k in ("error_rate", "latency") if k in knobs})
    rest = {f.name: getattr(base, f.name) for f in fields(OutageScenario) if f.name != "fault"}
    rest["clients"] = knobs.get("clients", base.clients)
    run_scenario = outage_scenario(outage, start=EXPLORE_OUTAGE_START, kind=knobs.get("kind", "down"),
                                   fault=fault, **rest)
    runs = {name: simulate(run_scenario, name, seed=seed, settings=chosen) for name in POLICIES}
    return PolicyReport(runs[policy], {name: run.summary() for name, run in runs.items()}, policy)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Exploration": PolicyReport})
