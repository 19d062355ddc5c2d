"""Jensen-Shannon distance between the binned distributions of a feature."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import check_float, check_int
from .psi import _binned

__all__ = ["jensen_shannon_distance"]


def jensen_shannon_distance(reference: Any, current: Any, *, bins: int = 10, base: float = 2.0) -> float:
    """Jensen-Shannon distance between the binned distributions (0 = same, 1 = disjoint in base 2).

    The square root of the Jensen-Shannon divergence, the same number as
    ``scipy.spatial.distance.jensenshannon(r, c, base=base)`` on the bin proportions.

    Examples
    --------
    >>> jensen_shannon_distance(["a"] * 10, ["b"] * 10)
    1.0
    >>> round(jensen_shannon_distance(["a", "b"], ["a", "a"]), 4)
    0.5579
    """
    bins = check_int(bins, "bins", low=2, high=1000)
    base = check_float(base, "base", low=1, low_open=True)
    r, c = _binned(reference, current, bins)
    middle = (r + c) / 2

    def kl(p):
        inside = p > 0
        return float((p[inside] * np.log(p[inside] / middle[inside])).sum())

    return float(np.sqrt(max((kl(r) + kl(c)) / 2, 0.0) / np.log(base)))
