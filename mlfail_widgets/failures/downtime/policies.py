"""How a client calls a service that may be down: five small policies, each one idea.

Every policy has one method, ``call(transport, request) -> Reply``. It talks to the service
only through ``transport.send(request, timeout)`` and waits only through ``transport.clock``,
so the very same code runs against the real HTTP service (:class:`~.service.HTTPTransport`,
real time) and inside the simulator (:class:`~.simulate.SimulatedTransport`, virtual time).

Policies wrap each other, one mitigation per layer::

    Fallback(Retry(CircuitBreaker(Timeout(0.1)), retries=3))

Each attempt goes through the breaker, so once it opens the retries stop at once (the order
Resilience4j uses: Retry outermost, then CircuitBreaker, then the time limit).

In production you would reach for a library: ``tenacity`` for retries with backoff and jitter,
``pybreaker`` for circuit breakers. These classes are short so that you can read all of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..._random import resolve_rng
from ..._validation import argument_helper, check_bool, check_choice, check_float, check_int, parameter_error
from .faults import MAX_LATENCY

if TYPE_CHECKING:
    import numpy as np

    from .faults import ServiceClock, VirtualClock

__all__ = [
    "POLICIES",
    "CallFailed",
    "CircuitBreaker",
    "CircuitOpen",
    "Fallback",
    "NoTimeout",
    "Policy",
    "PolicySettings",
    "Reply",
    "Retry",
    "Timeout",
    "Transport",
    "make_policy",
]


class CallFailed(Exception):
    """A call got no usable answer.

    ``kind`` says how: ``"refused"`` (nothing listens on the port), ``"timeout"`` (no answer in
    time), ``"reset"`` (the connection died mid-answer), ``"error"`` (HTTP 5xx), ``"rejected"``
    (HTTP 4xx: our request is wrong, trying again will not help), ``"open"`` (a circuit breaker
    refused to call).
    """

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind

    @property
    def retryable(self) -> bool:
        """Might the same request succeed if sent again later?"""
        return self.kind not in ("rejected", "open")


class CircuitOpen(CallFailed):
    """The circuit breaker is open: the call failed fast, without reaching the service."""

    def __init__(self):
        super().__init__("open", "circuit breaker open")


@dataclass(frozen=True)
class Reply:
    """An answer: the ``value`` (a prediction, or a feature row), and whether it is degraded.

    ``source`` says where it came from: ``"service"``, ``"cache"`` or ``"baseline"``.
    """

    value: Any
    degraded: bool = False
    source: str = "service"


class Transport:
    """Sends one request to one service. Subclasses implement ``_send``.

    It keeps what every policy needs in one place: the ``clock``, a hard ``deadline`` (no
    call waits past it, so every loop ends) and the time of every attempt (``attempts``),
    which is the load the client puts on the service.
    """

    def __init__(self, clock: ServiceClock | VirtualClock, deadline: float = math.inf) -> None:
        self.clock = _DeadlineClock(clock, self)
        self.deadline = deadline
        self.attempts: list[float] = []

    def send(self, request: Any, timeout: float | None = None) -> Reply:
        """Send ``request``; wait at most ``timeout`` seconds (None: until the deadline)."""
        now = self.clock.now()
        remaining = self.deadline - now
        if remaining <= 0:
            raise CallFailed("timeout", "the run's time limit was reached")
        self.attempts.append(now)
        return self._send(request, remaining if timeout is None else min(timeout, remaining))

    def _send(self, request: Any, wait: float) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError


class _DeadlineClock:
    """The transport's clock as the policies see it: no sleep reaches past the deadline."""

    def __init__(self, clock, transport: Transport):
        self.inner, self._transport = clock, transport

    def now(self) -> float:
        return self.inner.now()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(min(seconds, self._transport.deadline - self.inner.now()))


# ------------------------------------------------------------------------------------ policies
class Policy:
    """Base of the policies: ``call(transport, request) -> Reply``; shows itself as its stack."""

    name = "policy"

    def call(self, transport: Transport, request: Any) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return describe(self)


class NoTimeout(Policy):
    """Send the request and wait for the answer, however long it takes."""

    name = "no timeout"

    def call(self, transport: Transport, request: Any) -> Reply:
        return transport.send(request, timeout=None)


class Timeout(Policy):
    """Give up on an answer after ``seconds``: a slow service becomes a fast failure."""

    name = "timeout"

    def __init__(self, seconds: float = 0.1):
        self.seconds = check_float(seconds, "seconds", low=0.001, high=MAX_LATENCY,
                                   fix="A timeout is how long to wait for one answer, e.g. 0.1 s.")

    def call(self, transport: Transport, request: Any) -> Reply:
        return transport.send(request, timeout=self.seconds)


class Retry(Policy):
    """After a failure, wait and try again: exponential backoff with (full) jitter.

    The k-th retry waits a random time between 0 and ``min(cap, backoff * 2**k)``; without
    jitter it waits exactly that long, and clients that failed together retry together.
    """

    name = "retry"

    def __init__(self, inner: Policy, retries: int = 3, backoff: float = 0.02, cap: float = 1.0,
                 jitter: bool = True, seed: int | np.random.Generator = 0) -> None:
        self.inner = inner
        self.retries = check_int(retries, "retries", low=1, high=20,
                                 fix="Use Timeout(...) alone for no retries.")
        self.backoff = check_float(backoff, "backoff", low=0, high=5,
                                   fix="It is the first wait in seconds; 0 retries at once.")
        self.cap = check_float(cap, "cap", low=0, high=5)
        self.jitter = check_bool(jitter, "jitter")
        self.rng = resolve_rng(seed)

    def delay(self, retry: int) -> float:
        ceiling = min(self.cap, self.backoff * 2**retry)
        return self.rng.uniform(0, ceiling) if self.jitter else ceiling

    def call(self, transport: Transport, request: Any) -> Reply:
        for retry in range(self.retries + 1):
            try:
                return self.inner.call(transport, request)
            except CallFailed as failure:
                if retry == self.retries or not failure.retryable:
                    raise
            transport.clock.sleep(self.delay(retry))
        raise AssertionError("unreachable: the last retry returns or raises")  # pragma: no cover


class CircuitBreaker(Policy):
    """Stop calling a service that keeps failing; after a pause, let one probe through.

    closed: calls go through; ``failures`` failures in a row open the circuit.
    open: calls fail at once (:class:`CircuitOpen`), sparing the service, for ``reset_after`` s.
    half-open: the next call is a probe; success closes the circuit, failure opens it again.
    """

    name = "circuit breaker"

    def __init__(self, inner: Policy, failures: int = 3, reset_after: float = 0.1) -> None:
        self.inner = inner
        self.failures = check_int(failures, "failures", low=1, high=1000)
        self.reset_after = check_float(reset_after, "reset_after",
                                       low=0.001, high=600)
        self.state = "closed"
        self.failed = 0  # failures in a row
        self.opened_at = -math.inf

    def call(self, transport: Transport, request: Any) -> Reply:
        if self.state == "open":
            if transport.clock.now() - self.opened_at < self.reset_after:
                raise CircuitOpen()
            self.state = "half-open"  # this call is the probe
        try:
            reply = self.inner.call(transport, request)
        except CallFailed:
            self.failed += 1
            if self.state == "half-open" or self.failed >= self.failures:
                self.state, self.opened_at = "open", transport.clock.now()
            raise
        self.state, self.failed = "closed", 0
        return reply


class Fallback(Policy):
    """When the call fails, answer anyway: the last good answer for this request, else a baseline.

    The answer is marked ``degraded``: the user gets something sensible, the dashboard knows.
    """

    name = "fallback"

    def __init__(self, inner: Policy, baseline: Any = 0.5, cache: bool = True) -> None:
        self.inner = inner
        self.baseline = baseline
        self.cache: dict | None = {} if check_bool(cache, "cache") else None

    def call(self, transport: Transport, request: Any) -> Reply:
        try:
            reply = self.inner.call(transport, request)
        except CallFailed:
            if self.cache is not None and request in self.cache:
                return Reply(self.cache[request], degraded=True, source="cache")
            return Reply(self.baseline, degraded=True, source="baseline")
        if self.cache is not None and not reply.degraded:
            self.cache[request] = reply.value
        return reply


# ------------------------------------------------------------------------------------ ladder
#: The policies in the order the chapter adds them; each adds one mitigation to the one before.
POLICIES = ("no timeout", "timeout", "retry", "circuit breaker", "fallback")


@dataclass(frozen=True)
class PolicySettings:
    """The knobs of the policies :func:`make_policy` builds (each rung uses the ones it needs).

    Build one, change a field with :func:`dataclasses.replace`, and pass it to
    :func:`make_policy`, :func:`~.simulate.explore`, or as ``settings=`` to
    :func:`~.simulate.simulate` and :func:`~.measure.measure`; keywords given there override
    its fields.

    Parameters
    ----------
    timeout : float, default=0.1
        Seconds to wait for one answer (:class:`Timeout`).
    retries : int, default=3
        Retries after a failure, in [0, 20]; 0 makes ``"retry"`` a plain ``"timeout"``.
    backoff, cap : float, default=0.02, 1.0
        First wait before a retry, and the longest wait, in seconds (:class:`Retry`).
    jitter : bool, default=True
        Random (full jitter) waits instead of the same wait for every client.
    failures : int, default=3
        Failures in a row that open the circuit (:class:`CircuitBreaker`).
    reset_after : float, default=0.1
        Seconds the circuit stays open before a probe.
    baseline : object, optional
        The :class:`Fallback`'s answer when nothing better is cached. None: 0.5 in
        :func:`make_policy`, the prediction service's baseline prediction in
        :func:`~.simulate.simulate` and :func:`~.measure.measure`.

    Examples
    --------
    >>> PolicySettings(retries=2, jitter=False).retries
    2
    >>> PolicySettings(retries=-1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'retries' parameter of PolicySettings must be an int in [0, 20]. Got -1 instead.
    """

    timeout: float = 0.1
    retries: int = 3
    backoff: float = 0.02
    cap: float = 1.0
    jitter: bool = True
    failures: int = 3
    reset_after: float = 0.1
    baseline: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "retries", check_int(self.retries, "retries", low=0, high=20))


def make_policy(name: str = "fallback", settings: PolicySettings | None = None, *,
                seed: int | np.random.Generator = 0, **options: Any) -> Policy:
    """A fresh policy from the ladder :data:`POLICIES`, each rung adding one mitigation.

    no timeout -> ``Timeout`` -> ``Retry(Timeout)`` -> ``Retry(CircuitBreaker(Timeout))`` ->
    ``Fallback(Retry(CircuitBreaker(Timeout)))``.

    ``"retry"`` with ``retries=0`` is plain ``"timeout"`` (no retries), so a slider may reach 0.

    Parameters
    ----------
    name : {"no timeout", "timeout", "retry", "circuit breaker", "fallback"}, default="fallback"
        The rung of the ladder.
    settings : PolicySettings, optional
        The policies' knobs; default ``PolicySettings()``.
    seed : int or numpy.random.Generator, default=0
        Seeds the retries' jitter.
    **options
        Fields of :class:`PolicySettings` (``timeout``, ``retries``, ``backoff``, ``cap``,
        ``jitter``, ``failures``, ``reset_after``, ``baseline``); they override ``settings``.

    Returns
    -------
    Policy

    Examples
    --------
    >>> make_policy("fallback", retries=2)
    Fallback(Retry(CircuitBreaker(Timeout(0.1)), retries=2, backoff=0.02, jitter=True))
    >>> make_policy("fallback", PolicySettings(retries=2))
    Fallback(Retry(CircuitBreaker(Timeout(0.1)), retries=2, backoff=0.02, jitter=True))
    >>> make_policy("retry", retries=0)
    Timeout(0.1)
    >>> make_policy("retries")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'name' parameter of make_policy must be one of 'no timeout', 'timeout', 'retry', 'circuit breaker', 'fallback'. Got 'retries' instead. Did you mean 'retry'?
    >>> make_policy("retry", retry=2)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: make_policy got an unexpected keyword argument 'retry'. Did you mean 'retries'?
    """
    from ..._settings import settings_with

    name = check_choice(name, "name", POLICIES)
    knobs = settings_with(PolicySettings, settings, options)
    if name == "no timeout":
        return NoTimeout()
    policy: Policy = Timeout(knobs.timeout)
    if name in ("circuit breaker", "fallback"):
        policy = CircuitBreaker(policy, failures=knobs.failures, reset_after=knobs.reset_after)
    if name != "timeout" and knobs.retries:
        policy = Retry(policy, retries=knobs.retries, backoff=knobs.backoff, cap=knobs.cap,
                       jitter=knobs.jitter, seed=seed)
    if name == "fallback":
        policy = Fallback(policy, baseline=0.5 if knobs.baseline is None else knobs.baseline)
    return policy


def describe(policy: Policy) -> str:
    """The policy stack as one line (also its ``repr``)."""
    if isinstance(policy, Timeout):
        return f"Timeout({policy.seconds:g})"
    if isinstance(policy, Retry):
        return (f"Retry({describe(policy.inner)}, retries={policy.retries}, "
                f"backoff={policy.backoff:g}, jitter={policy.jitter})")
    if isinstance(policy, (CircuitBreaker, Fallback)):
        return f"{type(policy).__name__}({describe(policy.inner)})"
    if isinstance(policy, NoTimeout):
        return "NoTimeout()"
    return type(policy).__name__


@argument_helper
def check_policy(policy: Any) -> str | Callable[[], Policy]:
    """Accept a policy name from :data:`POLICIES` or a zero-argument factory of policies."""
    if isinstance(policy, str):
        return check_choice(policy, "policy", POLICIES)
    if callable(policy) and not hasattr(policy, "call"):
        return policy
    raise parameter_error("policy", "a name from POLICIES or a function returning a new policy",
                          policy, fix="Pass for example policy='retry' or policy=lambda: Timeout(0.05).")
