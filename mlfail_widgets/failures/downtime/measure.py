"""Measure a policy against a faulty service: availability, errors, latency, load.

One client loop, :func:`run_client`, serves both worlds: :func:`measure` runs it in threads
against the real HTTP service; :func:`~.simulate.simulate` runs it on a virtual clock. Both
return a :class:`OutageRun`, summarised the same way.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import argument_helper, check_bool, check_choice, check_float, check_int, parameter_error
from .faults import MAX_LATENCY, Fault
from .policies import CallFailed, check_policy, make_policy

if TYPE_CHECKING:
    import pandas as pd

    from .policies import Policy, Transport
    from .service import PredictionService

__all__ = ["GRACE", "OUTAGE_KINDS", "OutageRun", "OutageScenario", "OutageSummary", "compare", "measure",
           "outage_scenario", "run_client"]

#: Seconds a call already under way may run past the scenario's duration before it is cut off.
GRACE = 0.5
ANSWERED = ("ok", "degraded")
#: How an outage window shows itself: connections refused, or accepted and never answered.
OUTAGE_KINDS = ("down", "hang")


@dataclass(frozen=True)
class OutageScenario:
    """A run: the faults, how many clients send requests and how often, and for how long.

    Parameters
    ----------
    fault, store : Fault, default=Fault()
        What is wrong with the prediction service and with its feature store.
    duration : float, default=1.0
        Seconds during which requests arrive, in [0.05, 60]. Calls still running or waiting
        at the end get :data:`GRACE` seconds more; then they count as failed.
    clients : int, default=1
        Clients calling at the same time, each with its own policy (its own breaker, cache),
        their arrivals spread evenly over one interval.
    interval : float, default=0.005
        Seconds between two requests arriving at one client, in [0.001, 5].
    max_calls : int, default=10000
        Hard bound on the requests per client.
    store_timeout : float or None, default=0.25
        How long the prediction service waits for its feature store (None: forever).
    store_fallback : bool, default=False
        Whether the prediction service answers from average features when the store fails.
    patience : float, default=1.0
        Seconds a user waits for an answer, counted from the request's arrival; a later answer
        counts as a failure. In [0.01, 60].

    Examples
    --------
    >>> OutageScenario(fault=Fault(outages=[(0.2, 0.5)]), clients=4).fault.describe()
    'down 0.2-0.5 s'
    >>> OutageScenario(clients=0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'clients' parameter of OutageScenario must be an int in [1, 50]. Got 0 instead.
    """

    fault: Fault = field(default_factory=Fault)
    store: Fault = field(default_factory=Fault)
    duration: float = 1.0
    clients: int = 1
    interval: float = 0.005
    max_calls: int = 10_000
    store_timeout: float | None = 0.25
    store_fallback: bool = False
    patience: float = 1.0

    def __post_init__(self):
        set_ = object.__setattr__
        for name in ("fault", "store"):
            if not isinstance(getattr(self, name), Fault):
                raise parameter_error(name, "a Fault", getattr(self, name),
                                      fix="Build one with Fault(latency=..., error_rate=..., outages=...).")
        set_(self, "duration", check_float(self.duration, "duration", low=0.05, high=60))
        set_(self, "clients", check_int(self.clients, "clients", low=1, high=50))
        set_(self, "interval", check_float(self.interval, "interval", low=0.001, high=5,
                                           fix="It is the time between two requests of one client."))
        set_(self, "max_calls", check_int(self.max_calls, "max_calls", low=1, high=100_000))
        if self.store_timeout is not None:
            set_(self, "store_timeout", check_float(self.store_timeout, "store_timeout",
                                                    low=0.001, high=MAX_LATENCY,
                                                    fix="Use None for no timeout."))
        set_(self, "store_fallback", check_bool(self.store_fallback, "store_fallback"))
        set_(self, "patience", check_float(self.patience, "patience", low=0.01, high=60,
                                           fix="It is how long a user waits for an answer."))

    @property
    def calls_per_client(self) -> int:
        """The most requests one client gets (bounded by ``max_calls`` and the pace)."""
        return min(self.max_calls, int(self.duration / self.interval) + 1)

    def offset(self, client: int) -> float:
        """When the first request of ``client`` arrives: the clients are spread over one interval."""
        return client * self.interval / self.clients


def outage_scenario(length: float = 0.3, start: float = 0.2, kind: str = "down", **options: Any) -> OutageScenario:
    """A scenario whose prediction service is out for ``length`` seconds from ``start``.

    ``kind="down"``: the port is closed (connections refused); ``kind="hang"``: requests are
    accepted and get no answer before the window ends. Other options go to :class:`OutageScenario`
    (``fault=`` adds the window to that fault).

    Examples
    --------
    >>> outage_scenario(0.4, duration=1.5).fault.outages
    ((0.2, 0.6),)
    >>> outage_scenario(0.4, kind="hang").fault.describe()
    'hung 0.2-0.6 s'
    """
    length = check_float(length, "length", low=0, high=3600)
    start = check_float(start, "start", low=0, high=3600)
    kind = check_choice(kind, "kind", OUTAGE_KINDS)
    base = options.pop("fault", Fault())
    windows = ((start, start + length),) if length > 0 else ()
    field_name = "outages" if kind == "down" else "hangs"
    fault = replace(base, **{field_name: getattr(base, field_name) + windows})
    return OutageScenario(fault=fault, **options)


def run_client(policy: Policy, transport: Transport, users: Sequence[int] | np.ndarray, interval: float, offset: float = 0.0,
               patience: float = math.inf) -> list[tuple[float, float, str]]:
    """One client: a request for the next user arrives every ``interval`` seconds from ``offset``.

    Requests wait in line while an earlier call is still running (as they would in a web
    server's queue), so a slow call delays the ones behind it, and latency is counted from
    each request's arrival. A request not answered within ``patience`` seconds of its arrival
    fails: its user has given up (a request that waited that long is dropped unsent). Requests
    still waiting when the run's deadline passes fail too.

    Returns ``(arrival, end, outcome)`` per request; outcome is ``"ok"``, ``"degraded"`` or
    the kind of failure (``"refused"``, ``"timeout"``, ``"error"``, ``"reset"``, ``"open"``).
    """
    clock, log, run_deadline = transport.clock, [], transport.deadline
    for index, user in enumerate(users):
        arrival = offset + index * interval
        if arrival >= run_deadline - GRACE:
            break
        deadline = min(arrival + patience, run_deadline)
        now = clock.now()
        if now >= deadline:  # nobody is waiting for this answer any more
            log.append((arrival, deadline, "timeout"))
            continue
        clock.sleep(arrival - now)
        transport.deadline = deadline
        try:
            reply = policy.call(transport, user)
            outcome = "degraded" if reply.degraded else "ok"
        except CallFailed as failure:
            outcome = failure.kind
        log.append((arrival, clock.now(), outcome))
    transport.deadline = run_deadline
    return log


@dataclass(frozen=True)
class OutageSummary:
    """What a run bought: availability (answered or gracefully degraded), errors, latency, load.

    ``attempts_per_request`` is the number of attempts that reached (or tried to reach) the
    service divided by the requests: above 1 when requests are retried, below 1 when requests
    fail before any attempt is made (an open circuit breaker, or a user who gave up while the
    request waited in line behind a slow one, so it was dropped unsent).
    """

    policy: str
    simulated: bool
    calls: int
    availability: float
    error_rate: float
    degraded_rate: float
    p50: float
    p99: float
    attempts_per_request: float

    @property
    def attempts_per_call(self) -> float:
        """The former name of :attr:`attempts_per_request` (kept so older code still runs)."""
        return self.attempts_per_request

    def as_row(self) -> dict:
        return dict(self.__dict__)


@dataclass
class OutageRun:
    """Every request of a run (``start``: its arrival, ``end``, ``outcome``, ``client``) and every
    attempt's time."""

    policy: str
    scenario: OutageScenario
    simulated: bool
    start: np.ndarray
    end: np.ndarray
    outcome: np.ndarray
    client: np.ndarray
    attempts: np.ndarray

    @classmethod
    def from_clients(cls, policy: str, scenario: OutageScenario, simulated: bool, logs: list[list[tuple[float, float, str]]],
                     attempts: list[list[float]]) -> OutageRun:
        rows = [(s, e, o, c) for c, log in enumerate(logs) for s, e, o in log]
        start, end, outcome, client = zip(*rows, strict=True) if rows else ((), (), (), ())
        return cls(policy, scenario, simulated, np.array(start, float), np.array(end, float),
                   np.array(outcome, dtype=object), np.array(client, int),
                   np.sort(np.concatenate([np.asarray(a, float) for a in attempts])))

    @property
    def latency(self) -> np.ndarray:
        """Seconds from the arrival of each request to its answer or failure (waiting included)."""
        return self.end - self.start

    @property
    def answered(self) -> np.ndarray:
        return np.isin(self.outcome, ANSWERED)

    def summary(self) -> OutageSummary:
        """Availability, error rate, degraded share, latency p50/p99 (s), attempts per request."""
        calls = len(self.outcome)
        if not calls:
            return OutageSummary(self.policy, self.simulated, 0, *([math.nan] * 6))
        p50, p99 = np.percentile(self.latency, [50, 99])
        degraded = float(np.mean(self.outcome == "degraded"))
        available = float(np.mean(self.answered))
        return OutageSummary(self.policy, self.simulated, calls, available, 1 - available, degraded,
                       float(p50), float(p99), len(self.attempts) / calls)

    def load(self, bin_width: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
        """Attempts per second reaching (or trying to reach) the service, in bins of ``bin_width`` s.

        Returns the bin centres and the rates.
        """
        bin_width = check_float(bin_width, "bin_width", low=0.001, high=10)
        edges = np.arange(0, self.scenario.duration + bin_width / 2, bin_width)
        counts, _ = np.histogram(self.attempts, edges)
        return (edges[:-1] + edges[1:]) / 2, counts / bin_width

    def load_between(self, t0: float, t1: float) -> float:
        """Mean attempts per second in [t0, t1)."""
        if t1 <= t0:
            return math.nan
        return float(np.count_nonzero((self.attempts >= t0) & (self.attempts < t1)) / (t1 - t0))

    def outcomes(self) -> dict:
        """How many calls ended each way."""
        kinds, counts = np.unique(self.outcome.astype(str), return_counts=True)
        return dict(zip(kinds.tolist(), counts.tolist(), strict=True))


# ------------------------------------------------------------------------------------ plans
@argument_helper
def policy_factory(policy: str | Callable[[], Policy],
                   options: dict[str, Any]) -> tuple[Callable[[int], Policy], str]:
    """A function ``seed -> fresh policy``, checked once now so bad options fail early."""
    policy = check_policy(policy)
    if isinstance(policy, str):
        from .service import baseline_prediction

        given = options.get("settings")
        if options.get("baseline") is None and getattr(given, "baseline", None) is None:
            options = {**options, "baseline": baseline_prediction()}  # the service's own default answer

        def build(seed):
            return make_policy(policy, seed=seed, **options)
        label = policy
    else:
        if options:
            raise parameter_error("policy", "a policy name when options are given", policy,
                                  fix="Pass the options to your own factory instead.")

        def build(seed):
            return policy()
        label = getattr(policy(), "name", "custom")
    build(0)
    return build, label


@argument_helper
def plan(scenario: OutageScenario, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The users each client asks about, and each client's policy seed (same for real and sim)."""
    rng = resolve_rng(seed)
    from .service import USERS

    users = rng.integers(0, USERS, size=(scenario.clients, scenario.calls_per_client))
    return users, rng.integers(0, 2**32 - 1, size=scenario.clients)


def measure(service: PredictionService, scenario: OutageScenario | None = None,
            policy: str | Callable[[], Policy] = "timeout", *, seed: int | np.random.Generator = 0,
            **options: Any) -> OutageRun:
    """Run ``scenario`` against a real :class:`~.service.PredictionService` with ``policy``.

    Each client is a thread with its own policy and :class:`~.service.HTTPTransport`; the
    faults are injected at the start (the service clock restarts at 0) and healed at the end.
    The run lasts ``scenario.duration`` seconds, plus at most :data:`GRACE` for calls under way.

    Parameters
    ----------
    service : PredictionService
        A running service (inside its ``with`` block).
    scenario : OutageScenario, optional
        Faults and workload; default a healthy service, one client, one second.
    policy : str or callable, default="timeout"
        A name from :data:`~.policies.POLICIES` (options such as ``timeout=0.05, retries=3``,
        or ``settings=PolicySettings(...)``, go to :func:`~.policies.make_policy`) or a function
        returning a fresh policy.
    seed : int, default=0
        Seeds the users asked about and the jitter of each client.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import PredictionService
    >>> with PredictionService() as service:
    ...     run = measure(service, outage_scenario(0.1, duration=0.3), "retry", backoff=0.02)
    >>> summary = run.summary()
    >>> summary.calls > 10, summary.availability > 0.5
    (True, True)
    """
    from .service import HTTPTransport, PredictionService

    if not isinstance(service, PredictionService):
        raise parameter_error("service", "a running PredictionService", service,
                              fix="Use it inside `with PredictionService() as service:`.")
    scenario = OutageScenario() if scenario is None else scenario
    if not isinstance(scenario, OutageScenario):
        raise parameter_error("scenario", "a OutageScenario", scenario)
    build, label = policy_factory(policy, options)
    users, seeds = plan(scenario, seed)
    service.configure(store_timeout=scenario.store_timeout, store_fallback=scenario.store_fallback)
    deadline = scenario.duration + GRACE
    transports = [HTTPTransport(service.url + "/predict", service.clock, deadline)
                  for _ in range(scenario.clients)]
    policies = [build(int(s)) for s in seeds]
    logs: list[list] = [[] for _ in range(scenario.clients)]
    failures: list[BaseException] = []

    def client(index):
        try:
            logs[index] = run_client(policies[index], transports[index], users[index],
                                     scenario.interval, scenario.offset(index), scenario.patience)
        except BaseException as error:  # reported below, never lost in a thread
            failures.append(error)

    threads = [threading.Thread(target=client, args=(i,), name=f"mlfail-downtime-client-{i}", daemon=True)
               for i in range(scenario.clients)]
    try:
        service.inject(scenario.fault, scenario.store)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=deadline + 10)  # bounded: every call stops at the deadline
    finally:
        service.inject()
    if failures:
        raise failures[0]
    if any(thread.is_alive() for thread in threads):  # pragma: no cover - a bug, not a fault
        raise RuntimeError("a client thread did not stop by the run's deadline")
    return OutageRun.from_clients(label, scenario, False, logs, [t.attempts for t in transports])


def compare(runs: dict[str, OutageRun]) -> pd.DataFrame:
    """One row per run: availability, error rate, degraded share, latency p50/p99 (ms), load.

    ``runs`` maps a label (a fault, a policy) to a :class:`OutageRun`. The ``outcomes`` column
    counts how the requests ended.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import simulate
    >>> table = compare({"flaky": simulate(OutageScenario(fault=Fault(error_rate=1.0), duration=0.1))})
    >>> table.loc["flaky", "outcomes"], float(table.loc["flaky", "availability"])
    ('error 20', 0.0)
    """
    import pandas as pd

    rows = {}
    for label, run in runs.items():
        summary = run.summary()
        rows[label] = {
            "availability": summary.availability, "error_rate": summary.error_rate,
            "degraded": summary.degraded_rate, "p50_ms": summary.p50 * 1000,
            "p99_ms": summary.p99 * 1000, "attempts_per_request": summary.attempts_per_request,
            "requests": summary.calls,
            "outcomes": ", ".join(f"{kind} {count}" for kind, count in run.outcomes().items()),
            "simulated": run.simulated,
        }
    return pd.DataFrame.from_dict(rows, orient="index")

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Scenario": OutageScenario, "Summary": OutageSummary, "RunLog": OutageRun})
