"""A flipped bit in one replica's weights, caught by chapter 04's checksum and redundancy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["REPLICAS", "BitFlipFacts", "bit_flip_facts"]

REPLICAS = 4


@dataclass(frozen=True)
class BitFlipFacts:
    """What the integrity check and the shadow comparison of two replicas saw.

    ``disagreement`` is the share of mirrored requests on which the corrupted replica's label
    differs from a healthy one's; ``accuracy_cost`` the accuracy lost over all traffic when one
    replica in :data:`REPLICAS` serves corrupted weights.
    """

    weight: int
    bit: int
    field: str
    before: float
    after: float
    checksum: str
    corrupted_checksum: str
    disagreement: float
    mirrored: int
    accuracy_cost: float


@lru_cache(maxsize=4)
def bit_flip_facts(world: int) -> BitFlipFacts:
    """Flip one high bit of the largest weight of chapter 04's demo model; measure what changes.

    Examples
    --------
    >>> facts = bit_flip_facts(0)
    >>> facts.checksum != facts.corrupted_checksum, facts.disagreement > 0.05
    (True, True)
    """
    from ..hardware import bit_field, corrupt_model, model_checksum, redundant_predict, train_demo_model

    model, X, y = train_demo_model(seed=world)
    weight = int(np.argmax(np.abs(model.coef_.ravel())))
    bit = (63, 62, 61, 63)[world % 4]  # the sign, or a high exponent bit
    broken = corrupt_model(model, weight=weight, bit=bit)
    check = redundant_predict([model, broken], X)
    accuracy = [float(np.mean(labels == y)) for labels in check.labels]
    return BitFlipFacts(weight, bit, bit_field(bit), float(model.coef_.ravel()[weight]),
                        float(broken.coef_.ravel()[weight]), model_checksum(model)[:12],
                        model_checksum(broken)[:12], float(check.labels_differ.mean()), len(X),
                        (accuracy[0] - accuracy[1]) / REPLICAS)
