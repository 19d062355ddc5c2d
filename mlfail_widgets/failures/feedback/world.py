"""The world the recommender lives in: listeners, songs, hidden tastes and new releases.

Every listener ``u`` has a hidden taste vector ``t_u`` and every song ``s`` a hidden style
vector ``v_s`` and a hidden appeal ``q_s``. The probability that ``u`` plays ``s`` once they
look at it (the *true affinity*) is

.. math:: a_{us} = \\sigma(\\text{base} + \\text{appeal} \\cdot q_s + \\text{taste} \\cdot t_u^\\top v_s)

with :math:`\\sigma` the logistic function. The recommender never sees ``t``, ``v`` or ``q``:
it sees plays, and a noisy view ``x_u`` of each listener's taste (what a real system knows from
sign-up answers and listening history). Songs are numbered by release: songs ``0 .. n_initial-1``
exist from round 0, the rest are released one batch per round, so the catalogue at round ``r``
is the prefix ``0 .. available(r)-1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_float, check_int

__all__ = ["World", "make_world"]

_CHUNK = 2048  # listeners per block when a (listeners x songs) array is needed


@dataclass(frozen=True, eq=False)
class World:
    """Listeners and songs with their hidden tastes; made by :func:`make_world`.

    Attributes
    ----------
    tastes : ndarray, shape (n_users, dim), float32
        Hidden listener tastes ``t_u``.
    user_features : ndarray, shape (n_users, dim), float32
        What the recommender knows about each listener: ``t_u`` plus noise.
    styles : ndarray, shape (n_songs, dim), float32
        Hidden song styles ``v_s``.
    appeal : ndarray, shape (n_songs,), float32
        Hidden song appeal ``q_s`` (how much everyone tends to like the song).
    release : ndarray, shape (n_songs,), int
        The round in which each song enters the catalogue (non-decreasing).
    true_quality : ndarray, shape (n_songs,), float64
        Each song's mean true affinity over all listeners: the ranking a perfect
        non-personalised recommender would use.
    base, appeal_scale, taste_scale : float
        The affinity formula's constants.
    """

    tastes: np.ndarray
    user_features: np.ndarray
    styles: np.ndarray
    appeal: np.ndarray
    release: np.ndarray
    true_quality: np.ndarray
    base: float
    appeal_scale: float
    taste_scale: float

    @property
    def n_users(self) -> int:
        return int(self.tastes.shape[0])

    @property
    def n_songs(self) -> int:
        return int(self.styles.shape[0])

    @property
    def n_initial(self) -> int:
        """Songs in the catalogue at round 0."""
        return self.available(0)

    def available(self, round_: int) -> int:
        """How many songs are in the catalogue at round ``round_`` (a prefix of the songs)."""
        return int(np.searchsorted(self.release, round_, side="right"))

    def affinity_logit(self, users: np.ndarray, songs: np.ndarray) -> np.ndarray:
        """The true affinity's logit for listener/song pairs of the same shape."""
        dot = np.einsum("...d,...d->...", self.tastes[users], self.styles[songs])
        return self.base + self.appeal_scale * self.appeal[songs] + self.taste_scale * dot

    def affinity(self, users: np.ndarray, songs: np.ndarray) -> np.ndarray:
        """The true affinity (play probability once examined) for pairs of the same shape.

        Examples
        --------
        >>> world = make_world(n_users=50, n_songs=40, seed=1)
        >>> a = world.affinity(np.array([[0, 1]]), np.array([[3, 3]]))
        >>> a.shape, bool(((a > 0) & (a < 1)).all())
        ((1, 2), True)
        """
        return 1.0 / (1.0 + np.exp(-self.affinity_logit(users, songs)))


def _mean_affinity(tastes, styles, appeal, base, appeal_scale, taste_scale) -> np.ndarray:
    """Mean affinity of every song over all listeners, block by block (no users x songs array)."""
    total = np.zeros(styles.shape[0])
    offset = (base + appeal_scale * appeal).astype(np.float32)
    for start in range(0, tastes.shape[0], _CHUNK):
        logits = tastes[start:start + _CHUNK] @ (taste_scale * styles).T
        logits += offset
        np.negative(logits, out=logits)
        np.exp(logits, out=logits)
        logits += 1.0
        total += (1.0 / logits).sum(axis=0, dtype=np.float64)
    return total / tastes.shape[0]


def make_world(
    n_users: int = 1000,
    n_songs: int = 500,
    *,
    rounds: int = 30,
    new_songs: float = 0.2,
    dim: int = 8,
    base: float = -1.5,
    appeal_scale: float = 1.0,
    taste_scale: float = 1.0,
    feature_noise: float = 0.3,
    seed: int | np.random.Generator | None = 0,
) -> World:
    """Draw listeners, songs, hidden tastes and a release schedule.

    Parameters
    ----------
    n_users : int, default=1000
        Listeners, in [1, 1_000_000].
    n_songs : int, default=500
        Songs in the catalogue by the last round, in [2, 100_000].
    rounds : int, default=30
        Rounds of the simulation the release schedule spans.
    new_songs : float, default=0.2
        Share of the songs released during the run (one batch per round from round 1);
        the rest exist from round 0. In [0, 0.9].
    dim : int, default=8
        Dimension of the hidden tastes.
    base, appeal_scale, taste_scale : float
        Constants of the affinity formula (see the module docstring). The defaults give a mean
        affinity near 0.25, with appeal and personal taste about equally important.
    feature_noise : float, default=0.3
        Standard deviation of the noise on the listener features the recommender sees.
    seed : int, Generator or None, default=0
        Random seed.

    Returns
    -------
    World

    Examples
    --------
    >>> world = make_world(n_users=200, n_songs=100, rounds=10, new_songs=0.3, seed=0)
    >>> world.n_users, world.n_songs, world.n_initial, world.available(9)
    (200, 100, 70, 100)
    >>> round(float(world.true_quality.mean()), 2)
    0.24
    """
    n_users = check_int(n_users, "n_users", low=1, high=1_000_000,
                        fix="A simulation needs at least one listener.")
    n_songs = check_int(n_songs, "n_songs", low=2, high=100_000)
    rounds = check_int(rounds, "rounds", low=1, high=10_000)
    new_songs = check_float(new_songs, "new_songs", low=0.0, high=0.9)
    dim = check_int(dim, "dim", low=1, high=256)
    base = check_float(base, "base", low=-10, high=10)
    appeal_scale = check_float(appeal_scale, "appeal_scale", low=0, high=10)
    taste_scale = check_float(taste_scale, "taste_scale", low=0, high=10)
    feature_noise = check_float(feature_noise, "feature_noise", low=0, high=10)
    rng = resolve_rng(seed)

    tastes = (rng.standard_normal((n_users, dim)) / np.sqrt(dim)).astype(np.float32)
    styles = rng.standard_normal((n_songs, dim)).astype(np.float32)
    appeal = rng.standard_normal(n_songs).astype(np.float32)
    features = (tastes + feature_noise * rng.standard_normal((n_users, dim)) / np.sqrt(dim)
                ).astype(np.float32)
    n_new = round(new_songs * n_songs) if rounds > 1 else 0
    release = np.zeros(n_songs, dtype=np.int64)
    if n_new:
        release[n_songs - n_new:] = np.sort(rng.integers(1, rounds, size=n_new))
    quality = _mean_affinity(tastes, styles, appeal, base, appeal_scale, taste_scale)
    return World(tastes, features, styles, appeal, release, quality, base, appeal_scale, taste_scale)
