"""Silent data corruption: one flipped bit in one model weight, and two ways to catch it.

A float64 is 1 sign bit (63), 11 exponent bits (52-62) and 52 mantissa bits (0-51). Flipping
a low mantissa bit changes a weight in its 16th significant digit; flipping a high exponent
bit multiplies it by up to 2^1024. Memory errors, cosmic rays and faulty cores flip such bits
in real fleets ("silent data corruption"); nothing crashes, so nothing alerts.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import check_int, parameter_error

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = [
    "RedundantPredictionResult",
    "bit_field",
    "bit_flip_effects",
    "corrupt_model",
    "flip_bit",
    "model_checksum",
    "redundant_predict",
    "train_demo_model",
    "weights_checksum",
]


def bit_field(bit: int) -> str:
    """Which part of a float64 bit ``bit`` belongs to: "mantissa", "exponent" or "sign".

    Examples
    --------
    >>> bit_field(0), bit_field(52), bit_field(63)
    ('mantissa', 'exponent', 'sign')
    """
    bit = check_int(bit, "bit", low=0, high=63, fix="A float64 has bits 0 to 63.")
    return "mantissa" if bit < 52 else ("exponent" if bit < 63 else "sign")


def flip_bit(values: ArrayLike, index: int, bit: int) -> np.ndarray:
    """A copy of the float64 array ``values`` with bit ``bit`` of element ``index`` flipped.

    The array is viewed as 64-bit integers and the bit is XOR-ed: exactly what a memory
    error does to the stored number.

    Parameters
    ----------
    values : array-like of float64
    index : int
        Flat index of the element, in [0, size - 1].
    bit : int
        Bit position, in [0, 63] (0 is the lowest mantissa bit, 63 the sign).

    Examples
    --------
    >>> flip_bit([0.5, 1.0], 1, 63).tolist()  # the sign bit
    [0.5, -1.0]
    >>> float(flip_bit([0.5], 0, 0)[0]) - 0.5  # the lowest mantissa bit: one unit in the last place
    1.1102230246251565e-16
    >>> float(flip_bit([0.5], 0, 62)[0])  # the top exponent bit
    8.98846567431158e+307
    >>> flip_bit([0.5], 3, 0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'index' parameter of flip_bit must be an int in [0, 0]. Got 3 instead. The array has 1 element(s).
    """
    array = np.array(values, dtype=np.float64, copy=True)
    if array.dtype != np.float64 or array.size == 0:
        raise parameter_error("values", "a non-empty array of float64 numbers", values)
    index = check_int(index, "index", low=0, high=array.size - 1,
                      fix=f"The array has {array.size} element(s).")
    bit = check_int(bit, "bit", low=0, high=63, fix="A float64 has bits 0 to 63.")
    flat = array.reshape(-1).view(np.uint64)
    flat[index] ^= np.uint64(1) << np.uint64(bit)
    return array


def weights_checksum(*arrays: ArrayLike) -> str:
    """SHA-256 of the arrays' bytes (with their shapes and dtypes): any flipped bit changes it.

    Examples
    --------
    >>> a = np.array([0.5, 1.0])
    >>> weights_checksum(a) == weights_checksum(a.copy()), weights_checksum(a) == weights_checksum(flip_bit(a, 0, 0))
    (True, False)
    """
    from ..deployment import fingerprint  # chapter 02's identity of a data set: the same sha256

    return fingerprint(*arrays)


def _parameters(model) -> list[np.ndarray]:
    if not hasattr(model, "coef_"):
        raise parameter_error("model", "a fitted model (it has no weights yet)", model, fix="Fit it first.")
    return [model.coef_, model.intercept_, model.mean_, model.scale_]


def model_checksum(model: Any) -> str:
    """The checksum of a fitted :class:`~mlfail_widgets.models.LogisticRegression`'s parameters.

    Examples
    --------
    >>> model, X, y = train_demo_model(seed=0)
    >>> model_checksum(model) == model_checksum(corrupt_model(model, weight=0, bit=0))
    False
    """
    return weights_checksum(*_parameters(model))


def corrupt_model(model: Any, *, weight: int = 0, bit: int = 62) -> Any:
    """A deep copy of ``model`` with bit ``bit`` of weight ``weight`` (flat index of ``coef_``) flipped.

    Examples
    --------
    >>> model, X, y = train_demo_model(seed=0)
    >>> bool(corrupt_model(model, weight=0, bit=63).coef_.ravel()[0] == -model.coef_.ravel()[0])
    True
    """
    _parameters(model)
    size = np.asarray(model.coef_).size
    weight = check_int(weight, "weight", low=0, high=size - 1,
                       fix=f"The model has {size} weights: pass a flat index from 0 to {size - 1}.")
    bit = check_int(bit, "bit", low=0, high=63, fix="A float64 has bits 0 to 63.")
    broken = copy.deepcopy(model)
    broken.coef_ = flip_bit(model.coef_, weight, bit).reshape(model.coef_.shape)
    return broken


def train_demo_model(seed: int | np.random.Generator = 0, *, rows: int = 2000,
                     features: int = 8) -> tuple[Any, np.ndarray, np.ndarray]:
    """A small fitted classifier and its held-out data ``(model, X_test, y_test)``, seeded.

    Examples
    --------
    >>> model, X, y = train_demo_model(seed=0)
    >>> X.shape, model.score(X, y) > 0.8
    ((1000, 8), True)
    """
    from ...models import LogisticRegression

    rng = resolve_rng(seed)
    rows = check_int(rows, "rows", low=20, high=1_000_000)
    features = check_int(features, "features", low=1, high=1000)
    X = rng.normal(size=(rows, features))
    truth = rng.normal(size=features)
    y = (X @ truth + rng.normal(scale=1.0, size=rows) > 0).astype(int)
    half = rows // 2
    model = LogisticRegression().fit(X[:half], y[:half])
    return model, X[half:], y[half:]


@dataclass
class RedundantPredictionResult:
    """Predictions of several replicas of one model on the same rows, and where they disagree."""

    probabilities: list[np.ndarray]
    labels: list[np.ndarray]

    @property
    def outputs_differ(self) -> np.ndarray:
        """Rows where some replica's probabilities are not bit-for-bit those of the first."""
        first = self.probabilities[0]
        differ = np.zeros(first.shape[0], dtype=bool)
        for other in self.probabilities[1:]:
            differ |= ~np.all(other.view(np.uint64) == first.view(np.uint64), axis=1)
        return differ

    @property
    def labels_differ(self) -> np.ndarray:
        """Rows where some replica predicts another label."""
        first = self.labels[0]
        differ = np.zeros(first.shape[0], dtype=bool)
        for other in self.labels[1:]:
            differ |= other != first
        return differ

    @property
    def detected(self) -> bool:
        """True when the replicas disagree anywhere (bit-for-bit): corruption caught."""
        return bool(self.outputs_differ.any())


def redundant_predict(replicas: Sequence[Any], X: ArrayLike) -> RedundantPredictionResult:
    """Run the same rows through every replica (each with its own copy of the weights) and compare.

    Deterministic code on identical weights gives bit-identical outputs, so any difference
    means one replica's weights (or its hardware) went wrong.

    Examples
    --------
    >>> model, X, y = train_demo_model(seed=0)
    >>> redundant_predict([model, copy.deepcopy(model)], X).detected
    False
    >>> redundant_predict([model, corrupt_model(model, weight=0, bit=60)], X).detected
    True
    """
    replicas = list(replicas)
    if len(replicas) < 2:
        raise parameter_error("replicas", "at least two models", len(replicas),
                              fix="Redundancy needs a second replica to compare with.")
    with np.errstate(all="ignore"):  # a corrupted replica may overflow: that is the point
        probabilities = [np.asarray(r.predict_proba(X), dtype=np.float64) for r in replicas]
    labels = [r.classes_[np.argmax(p, axis=1)] for r, p in zip(replicas, probabilities, strict=True)]
    return RedundantPredictionResult(probabilities, labels)


def bit_flip_effects(model: Any, X: ArrayLike, y: ArrayLike | None = None, *, weight: int = 0) -> pd.DataFrame:
    """Flip each of the 64 bits of one weight in turn; what changes, and what catches it.

    Returns a DataFrame with one row per bit: ``bit``, ``field``, ``weight_before``,
    ``weight_after``, ``relative_change``, ``labels_changed`` (share of rows whose predicted
    label changed), ``accuracy`` (if ``y`` is given), ``checksum_detects`` and
    ``redundancy_detects`` (replica outputs differ bit-for-bit).

    Examples
    --------
    >>> model, X, y = train_demo_model(seed=0)
    >>> effects = bit_flip_effects(model, X, y, weight=0)
    >>> bool(effects["checksum_detects"].all()), float(effects.loc[0, "labels_changed"]), bool(effects.loc[62, "labels_changed"] > 0.1)
    (True, 0.0, True)
    """
    import pandas as pd

    _parameters(model)
    weight = check_int(weight, "weight", low=0, high=model.coef_.size - 1,
                       fix=f"The model has {model.coef_.size} weights.")
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise parameter_error("X", "a 2-D array of numbers (rows x features)",
                              X, fix="Pass the feature matrix the model was trained on.") from None
    if X.ndim != 2 or X.shape[1] != np.asarray(model.coef_).shape[-1] or X.shape[0] == 0:
        raise parameter_error("X",
                              f"a 2-D array with {np.asarray(model.coef_).shape[-1]} feature columns and at "
                              "least one row", f"an array of shape {X.shape}",
                              fix="Pass the feature matrix the model was trained on.")
    reference = model_checksum(model)
    before = float(model.coef_.ravel()[weight])
    rows = []
    for bit in range(64):
        broken = corrupt_model(model, weight=weight, bit=bit)
        check = redundant_predict([model, broken], X)
        after = float(broken.coef_.ravel()[weight])
        with np.errstate(all="ignore"):
            relative = abs(after - before) / abs(before) if before else float("inf")
        row = {"bit": bit, "field": bit_field(bit), "weight_before": before, "weight_after": after,
               "relative_change": relative, "labels_changed": float(check.labels_differ.mean()),
               "checksum_detects": model_checksum(broken) != reference,
               "redundancy_detects": check.detected}
        if y is not None:
            row["accuracy"] = float(np.mean(check.labels[1] == np.asarray(y)))
        rows.append(row)
    return pd.DataFrame(rows)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"RedundantPrediction": RedundantPredictionResult})
