"""How :func:`~.contention.measure_latency` measures, in one object: :class:`LatencySettings`.

Also the checks of one measurement's arguments, shared by :meth:`~.server.ModelServer.measure`,
:class:`~.contention.ContentionScenario` and :class:`LatencySettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..._validation import check_float, check_int, parameter_error

__all__ = ["LatencySettings"]


def _check_measure(rate: object, seconds: float, max_batch: int, max_queue: int | None,
                   timeout: float | None, slo: float) -> tuple[float, float, int, int | None, float | None, float]:
    rate = check_float(rate, "rate", low=1, high=5000,
                       fix="Requests per second; a few hundred load one core.")
    seconds = check_float(seconds, "seconds", low=0.05, high=10,
                          fix="Measurements are kept short; a second or two is plenty.")
    if rate * seconds > 20_000:
        raise parameter_error("rate", "at most 20000 requests per measurement (rate x seconds)",
                              rate, fix="Lower the rate or the seconds.")
    max_batch = check_int(max_batch, "max_batch", low=1, high=256)
    if max_queue is not None:
        max_queue = check_int(max_queue, "max_queue", low=1, high=100_000,
                              fix="Use None for no admission control.")
    if timeout is not None:
        timeout = check_float(timeout, "timeout", low=0, high=60, low_open=True,
                              fix="Seconds a client waits; use None for no timeout.")
    slo = check_float(slo, "slo", low=0, high=60, low_open=True)
    return rate, seconds, max_batch, max_queue, timeout, slo


#: rate="auto": the highest rate it picks (requests per second).
AUTO_MAX_RATE = 400.0


@dataclass(frozen=True)
class LatencySettings:
    """How :func:`~.contention.measure_latency` measures: the load, the rounds, the model, the trace.

    Build one, change a field with :func:`dataclasses.replace`, and pass it to
    :func:`~.contention.measure_latency` (keywords given there override its fields).

    Parameters
    ----------
    rate : float or "auto", default=400.0
        Requests per second, as in :meth:`~.server.ModelServer.measure`. ``"auto"`` times a
        request on the machine as it is now (after the warm-up) and picks the rate that keeps
        the idle server busy 45 % of one core, at most 400: about 400 on a quiet machine, fewer
        on a slow or busy one, where a fixed 400 would overload even the idle server (and no
        stress could make it visibly worse). The rate used is in
        :attr:`~.contention.LatencyReport.rate` and the notes.
    seconds, slo :
        As in :meth:`~.server.ModelServer.measure` (``seconds`` per scenario and round).
    width : int, default=2048
        The model's hidden width (see :class:`~.server.ModelServer`).
    sample_interval : float or None, default=0.2
        Record the machine's utilisation every this many seconds during the experiment (the
        ``trace``); None records nothing.
    rounds : int, default=3
        Rounds of every scenario, in [1, 20].
    max_rounds : int, optional
        Up to this many rounds of the lesson's pair when the machine is busy or the rounds
        disagree, in [rounds, 40]; default ``3 * rounds`` (no adapting when ``rounds == 1``).
    warmup : float, default=0.2
        Seconds of uncounted requests each server serves first, in [0, 5].

    Examples
    --------
    >>> LatencySettings(rate="auto", rounds=1).rounds
    1
    >>> LatencySettings(rounds=4, max_rounds=2)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'max_rounds' parameter of LatencySettings must be an int in [4, 40]. Got 2 instead. It must be at least 'rounds'.
    """

    rate: float | str = 400.0
    seconds: float = 1.0
    slo: float = 0.025
    width: int = 2048
    sample_interval: float | None = 0.2
    rounds: int = 3
    max_rounds: int | None = None
    warmup: float = 0.2

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        auto = isinstance(self.rate, str) and self.rate == "auto"
        rate, seconds, _, _, _, slo = _check_measure(AUTO_MAX_RATE if auto else self.rate, self.seconds,
                                                     1, None, None, self.slo)
        set_(self, "rate", "auto" if auto else rate)
        set_(self, "seconds", seconds)
        set_(self, "slo", slo)
        set_(self, "width", check_int(self.width, "width", low=16, high=4096))
        if self.sample_interval is not None:
            set_(self, "sample_interval", check_float(self.sample_interval, "sample_interval",
                                                      low=0.1, high=5, fix="Use None to record no trace."))
        set_(self, "rounds", check_int(self.rounds, "rounds", low=1, high=20))
        if self.max_rounds is not None:
            set_(self, "max_rounds", check_int(self.max_rounds, "max_rounds", low=self.rounds, high=40,
                                               fix="It must be at least 'rounds'."))
        set_(self, "warmup", check_float(self.warmup, "warmup", low=0, high=5))

    @property
    def rounds_at_most(self) -> int:
        """``max_rounds``, or its default: ``3 * rounds`` (``rounds`` when there is one round)."""
        if self.max_rounds is not None:
            return self.max_rounds
        return self.rounds if self.rounds == 1 else 3 * self.rounds
