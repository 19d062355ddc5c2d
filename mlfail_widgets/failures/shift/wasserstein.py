"""First Wasserstein (earth mover's) distance between two numeric samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ks import KSReference

if TYPE_CHECKING:
    import numpy as np

__all__ = ["wasserstein_distance"]


def wasserstein_distance(reference: Any, current: Any, *, normed: bool = False) -> float | np.ndarray:
    """First Wasserstein (earth mover's) distance between two numeric samples, per column.

    The area between the two ECDFs, in the feature's units; equal to
    ``scipy.stats.wasserstein_distance``. With ``normed=True`` it is divided by the reference's
    standard deviation (at least 0.001), as Evidently's "Wasserstein distance (normed)" does,
    so it reads in standard deviations: a 0.1-sd mean shift of a normal feature scores about 0.1.

    Examples
    --------
    >>> wasserstein_distance([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    5.0
    >>> round(wasserstein_distance([0.0, 1.0, 2.0, 3.0], [1.0, 2.0]), 3)
    0.5
    """
    prepared = KSReference(reference)
    distance = prepared.wasserstein(current, normed=normed)[0]
    return float(distance[0]) if distance.size == 1 and prepared.columns is None else distance
