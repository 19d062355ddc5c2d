"""Which incident a seed gives: the failure type, its variant, the red herring, and the story.

The six types are those of the course (:data:`mlfail_widgets.failures.overview.FAILURE_TYPES`).
Types are exactly balanced over consecutive seeds: seeds ``6b .. 6b + 5`` hold the six types
once each, in an order shuffled by ``b``. So a room of learners numbered 1..30 gets five
incidents of each type, and nobody can guess a neighbour's type from their own. Everything is
drawn from :func:`numpy.random.default_rng` seeded with integers: the same seed gives the same
incident on every machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._validation import argument_helper, check_bool, check_int, parameter_error
from ..overview import FAILURE_TYPES as _COURSE_TYPES

__all__ = ["DEMONSTRATION_SEED", "FAILURE_TYPES", "HERRING_TYPES", "LEVELS", "MAX_SEED", "VARIANTS",
           "Incident", "incident_for", "learner_seed", "normalise_failure"]

#: The answers a learner may give, in the course's order.
FAILURE_TYPES: tuple[str, ...] = tuple(kind.key for kind in _COURSE_TYPES)
#: Each type's variants (the seed picks one).
VARIANTS: dict[str, tuple[str, ...]] = {
    "dependency": ("removed function", "changed default"),
    "deployment": ("stale model", "unreadable model file", "pickle from another code version"),
    "downtime": ("feature store down", "feature store slow", "feature store flaky"),
    "hardware": ("CPU saturation", "memory exhaustion", "flipped bit in the weights"),
    "shift": ("covariate shift", "label shift", "concept drift"),
    "feedback": ("popularity ranking", "too little exploration", "position bias"),
}
#: Types that can play the red herring (the feedback loop has no harmless look-alike here).
HERRING_TYPES: tuple[str, ...] = ("dependency", "deployment", "downtime", "hardware", "shift")
MAX_SEED = 2**31 - 1
#: The drill of chapter 07's worked example. It lies outside [0, MAX_SEED], the seeds
#: ``IncidentDrill(seed)`` and every learner's drill can have, so no learner is ever given it.
DEMONSTRATION_SEED = MAX_SEED + 1
#: Difficulty levels: 1 one clear signal; 2 a red herring and a quieter signal; 3 compound.
LEVELS = (1, 2, 3)
_SALT = 20260307  # fixed: changing it changes every incident
_ALIASES = {
    "dependency failure": "dependency", "deployment failure": "deployment",
    "downtime failure": "downtime", "hardware failure": "hardware",
    "data shift": "shift", "data distribution shift": "shift", "distribution shift": "shift",
    "feedback loop": "feedback", "degenerate feedback loop": "feedback",
    "degenerate feedback loops": "feedback",
}


@dataclass(frozen=True)
class Incident:
    """The hidden answer of one drill (what :meth:`IncidentDrill.reveal` explains).

    Examples
    --------
    >>> incident = incident_for(7)
    >>> incident.failure in FAILURE_TYPES, incident.variant in VARIANTS[incident.failure]
    (True, True)
    """

    seed: int
    failure: str
    variant: str
    red_herring: str | None = None
    level: int = 1


def _generator(*keys: int) -> np.random.Generator:
    return np.random.default_rng([_SALT, *keys])


@argument_helper
def incident_for(seed: int, *, red_herring: bool | None = None, level: int = 1) -> Incident:
    """The failure type, variant and (optionally) red herring of drill ``seed``.

    Parameters
    ----------
    seed : int
        In [0, 2**31 - 1].
    red_herring : bool, optional
        Add one harmless but alarming signal of another type. Default: no at level 1, yes at
        levels 2 and 3.
    level : {1, 2, 3}, default=1
        1: one clear signal; 2: a red herring and a quieter decisive signal; 3: a subtle or
        compound incident that no single panel decides. The type and variant of a seed are the
        same at every level.

    Examples
    --------
    >>> sorted(incident_for(seed).failure for seed in range(6)) == sorted(FAILURE_TYPES)
    True
    >>> incident_for(3, red_herring=True).red_herring != incident_for(3).failure
    True
    """
    if isinstance(seed, IncidentLike):
        raise parameter_error("seed", "an int (a drill's number)", seed,
                              fix=f"Pass the drill itself to drill_console(drill), or its number: seed={seed.seed}.")
    seed = check_int(seed, "seed", low=0, high=MAX_SEED,
                     fix="Any whole number works; the same seed gives the same incident.")
    level = check_level(level)
    red_herring = level >= 2 if red_herring is None else check_bool(red_herring, "red_herring")
    return _incident(seed, red_herring, level)


@argument_helper
def check_level(level: Any) -> int:
    """``level`` as 1, 2 or 3, or a clear error naming ``owner``."""
    return check_int(level, "level", low=1, high=3,
                     fix="1: one clear signal; 2: a red herring and a quieter signal (workshops); "
                     "3: compound incidents that no single panel decides.")


def demonstration_incident() -> Incident:
    """The worked example's incident (seed :data:`DEMONSTRATION_SEED`, never a learner's).

    A CPU saturation: a loud latency symptom and warning lines, good to show a query on.

    Examples
    --------
    >>> demonstration_incident().seed > MAX_SEED
    True
    """
    return Incident(DEMONSTRATION_SEED, "hardware", "CPU saturation", None, 1)


class IncidentLike:
    """Marker base of :class:`~.drill.IncidentDrill` (so a drill passed as a seed is recognised)."""

    @property
    def seed(self) -> int:  # pragma: no cover - IncidentDrill's
        """The drill's seed."""
        raise NotImplementedError


def _incident(seed: int, red_herring: bool, level: int) -> Incident:
    block, position = divmod(seed, len(FAILURE_TYPES))
    failure = FAILURE_TYPES[int(_generator(0, block).permutation(len(FAILURE_TYPES))[position])]
    rng = _generator(1, seed)
    variants = VARIANTS[failure]
    variant = variants[int(rng.integers(len(variants)))]
    herring = None
    if red_herring:
        others = [kind for kind in HERRING_TYPES if kind != failure]
        herring = others[int(rng.integers(len(others)))]
    return Incident(seed, failure, variant, herring, level)


@argument_helper
def normalise_failure(answer: Any) -> str:
    """A learner's answer as one of :data:`FAILURE_TYPES` ("Data shift" -> "shift").

    Examples
    --------
    >>> normalise_failure("Degenerate feedback loop"), normalise_failure(" Deployment ")
    ('feedback', 'deployment')
    """
    text = " ".join(str(answer).strip().lower().replace("_", " ").replace("-", " ").split())
    text = _ALIASES.get(text, text)
    if text not in FAILURE_TYPES:
        raise parameter_error("answer", "one of " + ", ".join(map(repr, FAILURE_TYPES)),
                              answer, fix="Name the failure type the evidence points to.")
    return text


def learner_seed(learner: int | str, *, workshop_seed: int = 0) -> int:
    """The drill seed of a learner: a number gives consecutive seeds, a name a stable hash.

    Learners 1, 2, 3, ... of a workshop get consecutive seeds starting at a multiple of six,
    so every block of six learners covers the six types once. A name is hashed with SHA-256
    (never Python's ``hash``, which changes from one process to the next).

    Examples
    --------
    >>> learner_seed(1, workshop_seed=2026), learner_seed(2, workshop_seed=2026)
    (12156, 12157)
    >>> learner_seed("Ada", workshop_seed=2026) == learner_seed(" ada ", workshop_seed=2026)
    True
    """
    workshop_seed = check_int(workshop_seed, "workshop_seed", low=0,
                              high=10**6, fix="Use the number the instructor gave the room.")
    if isinstance(learner, str):
        name = " ".join(learner.split()).lower()
        if not name:
            raise parameter_error("name_or_number",
                                  "a learner number (1, 2, ...) or a non-empty name", learner)
        digest = hashlib.sha256(f"mlfail-drill:{workshop_seed}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % (MAX_SEED + 1)
    number = check_int(learner, "name_or_number", low=1, high=10_000,
                       fix="Number learners 1, 2, 3, ... or pass a name.")
    return len(FAILURE_TYPES) * workshop_seed + number - 1
