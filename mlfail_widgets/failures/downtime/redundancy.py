"""Replicas: how much availability do n copies buy, when they fail alone or together?

n replicas that fail independently, each available with probability a, are all down with
probability (1 - a)^n, so the service is available with probability 1 - (1 - a)^n.

Replicas in one zone (one data centre, one power feed, one cloud region) also fail together.
Here the zone is down with probability z (a common cause that takes every replica down); given
the zone is up, each replica is up independently with probability a / (1 - z), so that each
replica alone is still available with probability a. Then the service is available with
probability

    (1 - z) * (1 - (1 - a / (1 - z))^n)

which can never exceed 1 - z: past a few replicas, more copies in the same zone buy nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import check_float, check_int, parameter_error
from ...intervals import proportion_interval

if TYPE_CHECKING:
    import numpy as np

__all__ = ["RedundancyReport", "redundancy_table", "replica_availability", "simulate_replicas",
           "zone_table"]

_MINUTES_PER_MONTH = 30 * 24 * 60


def _check(availability, replicas, common_cause):
    availability = check_float(availability, "availability", low=0, high=1,
                               fix="It is the share of time one replica is up, e.g. 0.99.")
    replicas = check_int(replicas, "replicas", low=1, high=1000)
    common_cause = check_float(common_cause, "common_cause", low=0, high=1)
    if common_cause > 1 - availability + 1e-12:
        raise parameter_error(
            "common_cause", f"at most 1 - availability = {1 - availability:g}", common_cause,
            fix="A zone down more often than that would make one replica less available than "
            "'availability' says.")
    return availability, replicas, common_cause


def replica_availability(availability: float, replicas: int, common_cause: float = 0.0) -> float:
    """Availability of ``replicas`` copies, each up with probability ``availability``, in closed form.

    Parameters
    ----------
    availability : float
        Probability that one replica is up, in [0, 1].
    replicas : int
        How many replicas, in [1, 1000]. The service is up when at least one is.
    common_cause : float, default=0.0
        Probability that their shared zone is down, taking all replicas with it, in
        [0, 1 - availability]. 0 means independent failures.

    Examples
    --------
    >>> round(replica_availability(0.99, 2), 6)
    0.9999
    >>> round(replica_availability(0.99, 2, common_cause=0.005), 6)
    0.994975
    >>> replica_availability(1.2, 2)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'availability' parameter of replica_availability must be a number in [0, 1]. Got 1.2 instead. It is the share of time one replica is up, e.g. 0.99.
    """
    a, n, z = _check(availability, replicas, common_cause)
    if z >= 1:
        return 0.0
    return (1 - z) * (1 - (1 - a / (1 - z)) ** n)


def simulate_replicas(availability: float, replicas: int, common_cause: float = 0.0,
                      periods: int = 100_000, seed: int | np.random.Generator = 0) -> tuple[float, float, float]:
    """Draw ``periods`` independent moments; the share in which at least one replica is up.

    Returns the estimate and its 95% Wilson interval ``(estimate, low, high)``.

    Examples
    --------
    >>> estimate, low, high = simulate_replicas(0.9, 3, periods=20_000, seed=0)
    >>> low <= replica_availability(0.9, 3) <= high
    True
    """
    a, n, z = _check(availability, replicas, common_cause)
    periods = check_int(periods, "periods", low=10, high=10_000_000)
    rng = resolve_rng(seed)
    zone_up = rng.random(periods) >= z
    replica_up = rng.random((periods, n)) < (a / (1 - z) if z < 1 else 0.0)
    up = int((zone_up & replica_up.any(axis=1)).sum())
    low, high = proportion_interval(up, periods)
    return up / periods, low, high


@dataclass
class RedundancyReport:
    """Availability by number of replicas, independent and in one zone, closed form and simulated."""

    availability: float
    common_cause: float
    frame: Any  # pandas DataFrame, one row per number of replicas

    @property
    def ceiling(self) -> float:
        """What replicas in one zone can never beat: 1 - common_cause."""
        return 1 - self.common_cause


def redundancy_table(availability: float = 0.99, max_replicas: int = 5, common_cause: float = 0.005,
                     periods: int = 50_000, seed: int | np.random.Generator = 0) -> RedundancyReport:
    """Compare independent replicas with replicas in one zone, for 1 to ``max_replicas`` copies.

    The frame has, per number of replicas: the closed forms (``independent``, ``same_zone``),
    the seeded simulations with their 95% intervals, and the downtime per 30-day month in
    minutes implied by each closed form.

    Examples
    --------
    >>> table = redundancy_table(0.99, max_replicas=3, common_cause=0.005)
    >>> table.frame[["replicas", "independent", "same_zone"]].round(6).values.tolist()
    [[1.0, 0.99, 0.99], [2.0, 0.9999, 0.994975], [3.0, 0.999999, 0.995]]
    """
    a, n, z = _check(availability, max_replicas, common_cause)
    import pandas as pd

    rng = resolve_rng(seed)
    rows = []
    for replicas in range(1, n + 1):
        row: dict[str, float] = {"replicas": replicas}
        for name, cause in (("independent", 0.0), ("same_zone", z)):
            exact = replica_availability(a, replicas, cause)
            estimate, low, high = simulate_replicas(a, replicas, cause, periods, seed=rng)
            row.update({name: exact, f"{name}_simulated": estimate, f"{name}_low": low,
                        f"{name}_high": high,
                        f"{name}_downtime_minutes": (1 - exact) * _MINUTES_PER_MONTH})
        rows.append(row)
    return RedundancyReport(a, z, pd.DataFrame(rows))


def zone_table(availability: float = 0.99, max_replicas: int = 5, zone_share: float = 0.5,
               periods: int = 50_000, seed: int | np.random.Generator = 0) -> RedundancyReport:
    """:func:`redundancy_table` with the zone's part given as a share of a replica's downtime.

    ``zone_share`` = 0.5 means half of the time a replica is down, its whole zone is down
    (``common_cause = zone_share * (1 - availability)``); any share in [0, 1] is valid.

    Examples
    --------
    >>> round(zone_table(0.99, 2, zone_share=0.5, periods=1000).common_cause, 6)
    0.005
    """
    availability = check_float(availability, "availability", low=0, high=1)
    zone_share = check_float(zone_share, "zone_share", low=0, high=1,
                             fix="0 is independent replicas; 1 means a replica is only ever down with its zone.")
    return redundancy_table(availability, max_replicas, zone_share * (1 - availability), periods, seed)

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"RedundancyTable": RedundancyReport})
