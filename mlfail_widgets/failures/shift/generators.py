"""Seeded data with a known shift: covariate, label and concept shift, and drifting streams.

All generators share one synthetic scoring task, so a model trained on the reference data can
be carried into every kind of shift:

* four numeric features ``x1`` .. ``x4``, each standard normal in the reference data, and a
  categorical ``channel`` (``web`` 50%, ``app`` 30%, ``branch`` 20%);
* a binary ``label`` drawn from ``P(label = 1 | x) = sigmoid(f(x))`` with
  ``f(x) = 2 x1 - 1.2 x2 + 0.5 x3 - 0.9 (x1**2 - 1) + channel effect``. ``x4`` plays no part in
  the label: a shift in it is harmless. The curvature in ``x1`` means a linear model is only a
  local approximation, which is what lets a covariate shift hurt it.

The three kinds of shift, each with a signed ``magnitude`` (0 = no shift):

covariate
    ``P(X)`` moves, ``P(label | X)`` stays: ``x1`` and ``x4`` move by ``magnitude`` standard
    deviations and the channel mix leans towards (or away from) ``app``.
label
    ``P(label)`` moves, ``P(X | label)`` stays: the log-odds of the positive class move by
    ``magnitude``; rows are drawn class by class from the reference population.
concept
    ``P(label | X)`` moves, ``P(X)`` stays: the weight of ``x2`` moves from -1.2 by
    ``0.8 * magnitude`` (at +1.5 it vanishes, at +3 it is reversed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_choice, check_float, check_int, parameter_error

if TYPE_CHECKING:

    import pandas as pd

__all__ = [
    "CATEGORIES",
    "DRIFT_PATTERNS",
    "FEATURES",
    "NUMERIC_FEATURES",
    "SHIFT_KINDS",
    "ShiftData",
    "ShiftStream",
    "class_mixture",
    "drift_profile",
    "drift_stream",
    "make_shift",
    "reference_data",
    "segmented_stream",
]

NUMERIC_FEATURES = ("x1", "x2", "x3", "x4")
CATEGORIES = ("web", "app", "branch")
FEATURES = (*NUMERIC_FEATURES, "channel")
SHIFT_KINDS = ("none", "covariate", "label", "concept")
DRIFT_PATTERNS = ("sudden", "gradual", "incremental", "recurring")

_CHANNEL_P = np.array([0.5, 0.3, 0.2])
_CHANNEL_EFFECT = np.array([0.0, 0.6, -0.6])
_MAX_ROWS = 2_000_000


@dataclass
class ShiftData:
    """A reference set and a current set, with what was shifted and by how much.

    Attributes
    ----------
    reference, current : pandas.DataFrame
        Feature columns and a ``label`` column.
    kind : str
        "none", "covariate", "label", "concept", or a description for real data.
    magnitude : float
        The shift's size (0 for none, nan for real data).
    numeric, categorical : tuple of str
        The feature columns by type.
    target : str
        The label column.
    description : str
        One sentence on what moved.
    """

    reference: Any
    current: Any
    kind: str
    magnitude: float
    numeric: tuple = NUMERIC_FEATURES
    categorical: tuple = ("channel",)
    target: str = "label"
    description: str = ""

    @property
    def features(self) -> tuple:
        """All feature columns, numeric first."""
        return (*self.numeric, *self.categorical)


@dataclass
class ShiftStream:
    """A stream of batches whose distribution drifts over time.

    Attributes
    ----------
    data : pandas.DataFrame
        Rows in arrival order: ``batch`` (0, 1, ...), the features, and ``label``.
    magnitude : numpy.ndarray
        The shift applied to each batch (its mean over the batch's rows for gradual drift).
    pattern, kind : str
        How the shift unfolds over time, and what it moves.
    start : int
        The first batch touched by the drift.
    batch_size : int
    """

    data: Any
    magnitude: np.ndarray
    pattern: str
    kind: str
    start: int
    batch_size: int
    numeric: tuple = NUMERIC_FEATURES
    categorical: tuple = ("channel",)
    target: str = "label"
    extra: dict = field(default_factory=dict)

    @property
    def shift_row(self) -> int:
        """Index of the first row touched by the drift."""
        return self.start * self.batch_size


def _logit(x: np.ndarray, channel: np.ndarray, concept) -> np.ndarray:
    x2_weight = -1.2 + 0.8 * np.asarray(concept, dtype=float)
    return (2.0 * x[:, 0] + x2_weight * x[:, 1] + 0.5 * x[:, 2]
            - 0.9 * (x[:, 0] ** 2 - 1.0) + _CHANNEL_EFFECT[channel])


def _draw(n: int, rng: np.random.Generator, covariate=0.0, concept=0.0):
    """Features and labels with per-row covariate and concept shifts (scalars or arrays)."""
    covariate = np.broadcast_to(np.asarray(covariate, dtype=float), (n,))
    x = rng.normal(size=(n, 4))
    x[:, 0] += covariate
    x[:, 3] += covariate
    # The channel mix: the log-weight of "app" moves by half the covariate shift.
    weights = _CHANNEL_P[None, :] * np.exp(np.outer(covariate * 0.5, [0.0, 1.0, 0.0]))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    channel = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1)
    probability = 1.0 / (1.0 + np.exp(-_logit(x, channel, concept)))
    label = (rng.random(n) < probability).astype(int)
    return x, channel, label


def _frame(x, channel, label, batch=None):
    import pandas as pd

    columns = {"batch": batch} if batch is not None else {}
    columns.update({name: x[:, i] for i, name in enumerate(NUMERIC_FEATURES)})
    columns["channel"] = pd.Categorical.from_codes(channel, CATEGORIES)
    columns["label"] = label
    return pd.DataFrame(columns)


def _label_shifted(n: int, rng: np.random.Generator, log_odds) -> tuple:
    """Rows whose class prior moves by ``log_odds`` while P(X | label) stays the reference's."""
    log_odds = np.broadcast_to(np.asarray(log_odds, dtype=float), (n,))
    pool_x, pool_channel, pool_label = _draw(4 * n + 2000, rng)
    base = pool_label.mean()
    target = 1.0 / (1.0 + np.exp(-(np.log(base / (1 - base)) + log_odds)))
    label = (rng.random(n) < target).astype(int)
    x = np.empty((n, 4))
    channel = np.empty(n, dtype=int)
    for cls in (0, 1):
        rows = np.flatnonzero(label == cls)
        members = np.flatnonzero(pool_label == cls)
        chosen = rng.choice(members, size=rows.size, replace=rows.size > members.size)
        x[rows], channel[rows] = pool_x[chosen], pool_channel[chosen]
    return x, channel, label


def _shifted(n, rng, kind, magnitude):
    if kind == "covariate":
        return _draw(n, rng, covariate=magnitude)
    if kind == "concept":
        return _draw(n, rng, concept=magnitude)
    if kind == "label":
        return _label_shifted(n, rng, magnitude)
    return _draw(n, rng)


def reference_data(n: int = 2000, seed: int | np.random.Generator | None = 0) -> pd.DataFrame:
    """The unshifted task: ``n`` rows of features and labels.

    Examples
    --------
    >>> data = reference_data(1000, seed=0)
    >>> list(data.columns)
    ['x1', 'x2', 'x3', 'x4', 'channel', 'label']
    >>> round(float(data["x1"].std()), 2), round(float(data["label"].mean()), 2)
    (0.99, 0.56)
    """
    n = check_int(n, "n", low=1, high=_MAX_ROWS)
    rng = resolve_rng(seed)
    return _frame(*_draw(n, rng))


def make_shift(kind: str = "covariate", magnitude: float = 1.0, *, n_reference: int = 2000,
               n_current: int = 2000, seed: int | np.random.Generator | None = 0) -> ShiftData:
    """A reference set and a current set that differs from it by one kind of shift.

    Parameters
    ----------
    kind : {"none", "covariate", "label", "concept"}, default="covariate"
        What moves: P(X), P(label), or P(label | X) (see the module's notes).
    magnitude : float, default=1.0
        Signed size of the shift, in [-5, 5]: standard deviations of ``x1`` and ``x4`` for
        covariate shift, log-odds of the positive class for label shift, and steps of 0.8 on
        the weight of ``x2`` for concept drift. Ignored for "none".
    n_reference, n_current : int, default=2000
        Rows in each set.
    seed : int, Generator or None, default=0

    Returns
    -------
    ShiftData

    Examples
    --------
    >>> data = make_shift("covariate", 2.0, n_reference=1000, n_current=1000, seed=1)
    >>> round(float(data.current["x1"].mean() - data.reference["x1"].mean()), 1)
    1.9
    >>> data = make_shift("label", 2.0, seed=1)
    >>> float(data.reference["label"].mean()) < 0.6 < float(data.current["label"].mean())
    True
    """
    kind = check_choice(kind, "kind", SHIFT_KINDS)
    magnitude = check_float(magnitude, "magnitude", low=-5, high=5)
    n_reference = check_int(n_reference, "n_reference", low=1, high=_MAX_ROWS)
    n_current = check_int(n_current, "n_current", low=1, high=_MAX_ROWS)
    rng = resolve_rng(seed)
    reference = _frame(*_draw(n_reference, rng))
    current = _frame(*_shifted(n_current, rng, kind, magnitude))
    what = {
        "none": "nothing moved: both sets come from the same distribution",
        "covariate": f"x1 and x4 moved by {magnitude:+.2g} sd and the channel mix moved; "
                     "P(label | X) is unchanged",
        "label": f"the log-odds of label = 1 moved by {magnitude:+.2g}; P(X | label) is unchanged",
        "concept": f"the weight of x2 in P(label | X) moved by {0.8 * magnitude:+.2g}; "
                   "P(X) is unchanged",
    }[kind]
    return ShiftData(reference, current, kind, magnitude if kind != "none" else 0.0,
                     description=what)


def drift_profile(pattern: str, n_batches: int, *, start: int, duration: int = 10,
                  period: int = 20) -> np.ndarray:
    """How far along the drift is in each batch, from 0 (reference) to 1 (fully shifted).

    ``sudden`` jumps to 1 at ``start``; ``gradual`` and ``incremental`` rise linearly from
    ``start`` over ``duration`` batches (gradual mixes old and new rows in that proportion,
    incremental moves every row by that fraction); ``recurring`` is a seasonal cycle of
    ``period`` batches starting at ``start``.

    Examples
    --------
    >>> drift_profile("sudden", 6, start=3).tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    >>> drift_profile("incremental", 6, start=2, duration=2).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0, 1.0]
    >>> drift_profile("recurring", 6, start=0, period=4).round(2).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    """
    pattern = check_choice(pattern, "pattern", DRIFT_PATTERNS)
    t = np.arange(n_batches, dtype=float) - start
    if pattern == "sudden":
        return (t >= 0).astype(float)
    if pattern in ("gradual", "incremental"):
        return np.clip((t + 1) / max(duration, 1), 0.0, 1.0)
    return np.where(t >= 0, (1.0 - np.cos(2 * np.pi * t / period)) / 2, 0.0)


def drift_stream(pattern: str = "sudden", kind: str = "covariate", magnitude: float = 1.0, *,
                 n_batches: int = 60, batch_size: int = 500, start: int = 30, duration: int = 10,
                 period: int = 20, seed: int | np.random.Generator | None = 0) -> ShiftStream:
    """A stream of batches in which one kind of shift unfolds over time.

    Parameters
    ----------
    pattern : {"sudden", "gradual", "incremental", "recurring"}, default="sudden"
        How the shift unfolds (see :func:`drift_profile`). Gradual drift mixes rows of the old
        and the new distribution, the new ones ever more often; incremental drift moves every
        row a little further each batch.
    kind : {"covariate", "label", "concept"}, default="covariate"
        What the shift moves (see :func:`make_shift`).
    magnitude : float, default=1.0
        The size of the fully developed shift, in [-5, 5].
    n_batches, batch_size : int, default=60, 500
    start : int, default=30
        The first batch touched by the drift.
    duration : int, default=10
        Batches over which gradual and incremental drift build up.
    period : int, default=20
        Batches per cycle of recurring drift.
    seed : int, Generator or None, default=0

    Returns
    -------
    ShiftStream

    Examples
    --------
    >>> stream = drift_stream("sudden", "covariate", 2.0, n_batches=4, batch_size=500, start=2)
    >>> stream.data.groupby("batch")["x1"].mean().round(1).tolist()
    [0.0, -0.0, 2.0, 2.0]
    >>> stream.shift_row
    1000
    """
    pattern = check_choice(pattern, "pattern", DRIFT_PATTERNS)
    kind = check_choice(kind, "kind", SHIFT_KINDS[1:])
    magnitude = check_float(magnitude, "magnitude", low=-5, high=5)
    n_batches = check_int(n_batches, "n_batches", low=1, high=10_000)
    batch_size = check_int(batch_size, "batch_size", low=1, high=1_000_000)
    if n_batches * batch_size > _MAX_ROWS:
        raise parameter_error("batch_size", f"at most {_MAX_ROWS:,} rows in all",
                              batch_size, fix=f"Use fewer than {_MAX_ROWS // n_batches + 1} rows per batch.")
    start = check_int(start, "start", low=0, high=n_batches)
    duration = check_int(duration, "duration", low=1, high=10_000)
    period = check_int(period, "period", low=2, high=10_000)
    rng = resolve_rng(seed)

    progress = drift_profile(pattern, n_batches, start=start, duration=duration, period=period)
    batch = np.repeat(np.arange(n_batches), batch_size)
    row_progress = progress[batch]
    if pattern == "gradual":  # each row is either old or new; new ones grow more frequent
        row_progress = (rng.random(row_progress.size) < row_progress).astype(float)
    row_magnitude = magnitude * row_progress
    x, channel, label = _shifted(batch.size, rng, kind, row_magnitude)
    data = _frame(x, channel, label, batch=batch)
    per_batch = np.bincount(batch, weights=row_magnitude, minlength=n_batches) / batch_size
    return ShiftStream(data, per_batch, pattern, kind, start, batch_size)


def class_mixture(n: int = 3000, priors: Any = (1 / 3, 1 / 3, 1 / 3), *, separation: float = 2.0,
                  seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A multiclass task with known class priors: class ``k`` is N(mu_k, I) in two dimensions.

    ``P(X | class)`` never depends on ``priors``, so two calls with different priors differ by
    a pure label shift: the test bed for label-shift estimation.

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), classes 0 .. len(priors) - 1

    Examples
    --------
    >>> X, y = class_mixture(3000, priors=(0.6, 0.3, 0.1), seed=0)
    >>> np.bincount(y).tolist()
    [1821, 886, 293]
    """
    n = check_int(n, "n", low=1, high=_MAX_ROWS)
    separation = check_float(separation, "separation", low=0, high=20)
    priors = np.asarray(priors, dtype=float)
    if priors.ndim != 1 or priors.size < 2 or (priors < 0).any() or not np.isclose(priors.sum(), 1):
        raise parameter_error("priors",
                              "at least two non-negative probabilities that sum to 1",
                              priors.tolist() if priors.ndim else priors)
    rng = resolve_rng(seed)
    k = priors.size
    angles = 2 * np.pi * np.arange(k) / k
    centres = separation * np.c_[np.cos(angles), np.sin(angles)]
    y = rng.choice(k, size=n, p=priors / priors.sum())
    X = centres[y] + rng.normal(size=(n, 2))
    return X, y


def segmented_stream(segments: Any, *, kind: str = "normal", seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """A stream of numbers made of segments, for change detectors.

    Parameters
    ----------
    segments : list of tuples
        ``(length, mean, sd)`` for "normal" and "walk", ``(length, rate)`` for "bernoulli".
    kind : {"normal", "bernoulli", "walk"}, default="normal"
        Independent normal values, 0/1 values (a model's errors, say), or a random walk whose
        steps are normal (the cumulative sum of the "normal" stream).
    seed : int, Generator or None, default=0

    Examples
    --------
    >>> stream = segmented_stream([(1000, 0.0, 1.0), (1000, 2.0, 1.0)], seed=0)
    >>> round(float(stream[:1000].mean()), 1), round(float(stream[1000:].mean()), 1)
    (-0.0, 2.0)
    >>> segmented_stream([(5, 0.5)], kind="bernoulli", seed=1).tolist()
    [0.0, 0.0, 1.0, 0.0, 1.0]
    """
    kind = check_choice(kind, "kind", ("normal", "bernoulli", "walk"))
    rng = resolve_rng(seed)
    parts = []
    for segment in segments:
        length = check_int(segment[0], "segments", low=0, high=_MAX_ROWS)
        if kind == "bernoulli":
            parts.append((rng.random(length) < check_float(segment[1], "segments",
                                                           low=0, high=1)).astype(float))
        else:
            parts.append(rng.normal(segment[1], segment[2], length))
    stream = np.concatenate(parts) if parts else np.empty(0)
    return np.cumsum(stream) if kind == "walk" else stream
