"""One way to turn a ``seed`` argument into a random generator."""

from __future__ import annotations

import numbers
from typing import Any, TypeAlias

import numpy as np

from ._validation import argument_helper, parameter_error

__all__ = ["Seed", "resolve_rng"]

#: What a ``seed`` parameter accepts (annotate ``seed: Seed``; :func:`resolve_rng` reads it).
Seed: TypeAlias = "int | np.random.Generator | None"


@argument_helper
def resolve_rng(seed: Any, owner: str | None = None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int (>= 0) gives the same numbers on every machine; a Generator is used as is
        (so a caller can thread one generator through several calls); None draws fresh
        entropy, which notebooks never do.
    owner : str, optional
        Overrides the function the error names (by default the public function the learner
        called, found by :func:`mlfail_widgets._validation.owner_name`; a public function of
        this package that calls ``resolve_rng(seed)`` is named in its errors).

    Examples
    --------
    >>> resolve_rng(7).integers(100, size=3).tolist() == resolve_rng(7).integers(100, size=3).tolist()
    True
    >>> resolve_rng(-1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'seed' parameter of resolve_rng must be an int >= 0, a numpy.random.Generator or None. Got -1 instead.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0:
        return np.random.default_rng(int(seed))
    raise parameter_error("seed", "an int >= 0, a numpy.random.Generator or None", seed, owner=owner)
