"""Position bias: who looks at which slot, and how to learn song quality despite it.

A listener does not read the whole list. In the **position-based model** slot ``p`` (1 = top)
is examined with probability ``(1/p) ** position_bias``, independently of the songs; in the
**cascade model** the listener reads from the top, stops after the first play, and otherwise
moves on to the next slot with probability ``patience``. A song is played when it is examined
*and* liked (probability = its true affinity), so a log of plays mixes two things: how good a
song is, and where it was shown.

Four ways to read song quality from a log summarised as impressions and plays per
(song, slot):

* ``"play_rate"`` (naive): plays / impressions per song, the slot ignored. A song the loop keeps
  on top looks better than an equally good song it keeps at the bottom: rank is mistaken for
  quality.
* ``"slot_table"`` (naive, with the slot as a feature but no structure): the play rate of each
  song at each slot, as logged (a lookup table, or any flexible model over song and slot).
  Nothing ties a song's rate at one slot to its rate at another, so the ranking changes with
  the slot assumed at prediction time.
* ``"position_feature"``: a logistic model with one effect per song and one per slot,
  ``logit P(play) = quality_s + slot_p``, predicted at one fixed slot: the slot effect is shared
  by all songs, so the ranking is the same whatever slot you predict at.
* ``"ipw"``: inverse-propensity weighting: each play counts ``1 / P(examined)``, so a play at
  slot 10 (rarely examined) weighs more than one at slot 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import check_choice, check_float, check_int, parameter_error

__all__ = [
    "EXAMINATION_MODELS",
    "QUALITY_METHODS",
    "estimate_song_quality",
    "examination_probability",
    "fit_position_model",
]

EXAMINATION_MODELS = ("position", "cascade")
QUALITY_METHODS = ("play_rate", "slot_table", "position_feature", "ipw")


def examination_probability(k: int, position_bias: float = 1.0) -> np.ndarray:
    """Probability that each of the top ``k`` slots is examined, ``(1/rank) ** position_bias``.

    Parameters
    ----------
    k : int
        Slots shown, in [1, 1000].
    position_bias : float, default=1.0
        The exponent (eta), in [0, 5]. 0: every slot is examined; 1: slot 10 is examined one
        time in ten; larger: only the top matters.

    Examples
    --------
    >>> examination_probability(4, 1.0).round(3).tolist()
    [1.0, 0.5, 0.333, 0.25]
    >>> examination_probability(3, 0.0).tolist()
    [1.0, 1.0, 1.0]
    """
    k = check_int(k, "k", low=1, high=1000)
    position_bias = check_float(position_bias, "position_bias",
                                low=0.0, high=5.0)
    return (1.0 / np.arange(1, k + 1)) ** position_bias


def examine_and_play(rng: np.random.Generator, affinity: np.ndarray, model: str, position_bias: float, patience: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw plays for lists whose true affinities are ``affinity`` (n_lists, k).

    Returns ``(played, propensity)``: a bool array of plays, and for every slot the probability
    that it was examined as a debiaser can know it (the position-based probability; for the
    cascade, ``patience ** (p-1)`` when nothing above was played and 0 below a play).
    """
    n, k = affinity.shape
    if model == "position":
        exam = examination_probability(k, position_bias)
        played = rng.random((n, k), dtype=np.float32) < exam * affinity
        return played, np.broadcast_to(exam, (n, k))
    played = np.zeros((n, k), dtype=bool)
    reading = np.ones(n, dtype=bool)
    for slot in range(k):
        liked = rng.random(n, dtype=np.float32) < affinity[:, slot]
        played[:, slot] = reading & liked
        reading &= ~liked & (rng.random(n, dtype=np.float32) < patience)
    above = np.cumsum(played, axis=1) - played
    propensity = np.where(above > 0, 0.0, patience ** np.arange(k))
    return played, propensity


def fit_position_model(impressions: np.ndarray, plays: np.ndarray, *, prior: float = 5.0,
                       iterations: int = 8, start: tuple[np.ndarray, np.ndarray] | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``logit P(play | song s, slot p) = quality_s + slot_p`` to counts per (song, slot).

    Alternating one-dimensional Newton steps, vectorised over songs and slots; ``slot_0`` is
    fixed at 0 (the top slot is the reference), and each song's effect is pulled towards the
    impression-weighted mean effect with the weight of ``prior`` impressions, so a song never
    shown sits at the average. ``start`` = ``(quality, slots)`` warm-starts the fit.

    Returns ``(quality, slots)``: arrays of length n_songs and k.

    Examples
    --------
    >>> impressions = np.array([[100, 100], [100, 100], [0, 0]])
    >>> plays = np.array([[40, 20], [20, 10], [0, 0]])
    >>> quality, slots = fit_position_model(impressions, plays, prior=0.0, iterations=50)
    >>> bool(quality[0] > quality[1]), bool(slots[1] < 0)
    (True, True)
    """
    n_songs, k = impressions.shape
    impressions = impressions.astype(np.float64)
    plays = plays.astype(np.float64)
    total = impressions.sum()
    if start is None:
        rate = (plays.sum() + 0.5) / (total + 1.0)
        quality = np.full(n_songs, np.log(rate / (1 - rate)))
        slots = np.zeros(k)
    else:
        quality, slots = (np.array(a, dtype=np.float64) for a in start)
    per_song = impressions.sum(axis=1)
    song_plays = plays.sum(axis=1)
    for _ in range(iterations):
        center = (quality * per_song).sum() / per_song.sum() if per_song.sum() else quality.mean()
        mu = 1.0 / (1.0 + np.exp(-(quality[:, None] + slots[None, :])))
        gradient = (impressions * mu).sum(axis=1) - song_plays + prior * (quality - center)
        curvature = (impressions * mu * (1 - mu)).sum(axis=1) + prior + 1e-9
        quality = quality - np.clip(gradient / curvature, -2, 2)
        mu = 1.0 / (1.0 + np.exp(-(quality[:, None] + slots[None, :])))
        gradient = (impressions * mu).sum(axis=0) - plays.sum(axis=0) + 1e-3 * slots
        curvature = (impressions * mu * (1 - mu)).sum(axis=0) + 1e-3
        slots = slots - np.clip(gradient / curvature, -2, 2)
        slots -= slots[0]
    return quality, slots


def estimate_song_quality(
    impressions: np.ndarray,
    plays: np.ndarray,
    method: str = "play_rate",
    *,
    position: int = 1,
    position_bias: float = 1.0,
    prior: float = 5.0,
) -> np.ndarray:
    """Estimate each song's play probability at slot ``position`` from a position-biased log.

    Parameters
    ----------
    impressions, plays : array of shape (n_songs, k)
        Times each song was shown at each slot, and played there.
    method : {"play_rate", "slot_table", "position_feature", "ipw"}, default="play_rate"
        See the module docstring.
    position : int, default=1
        The slot (1 = top) the prediction assumes. The slot table's ranking depends on it;
        the other methods' rankings do not.
    position_bias : float, default=1.0
        The examination exponent, for ``"ipw"`` (the propensities are assumed known, e.g.
        measured with a randomised experiment) and to express its estimate at ``position``.
    prior : float, default=5.0
        Pseudo-impressions pulling an estimate towards the average (shrinkage for songs
        rarely or never shown).

    Returns
    -------
    ndarray of shape (n_songs,)
        Estimated play probability at slot ``position``.

    Examples
    --------
    Two songs equally good, one always shown on top and one always at slot 2; half the
    listeners look at slot 2:

    >>> impressions = np.array([[1000, 0], [0, 1000]])
    >>> plays = np.array([[300, 0], [0, 150]])
    >>> estimate_song_quality(impressions, plays, "play_rate").round(2).tolist()
    [0.3, 0.15]
    >>> estimate_song_quality(impressions, plays, "ipw").round(2).tolist()
    [0.3, 0.3]
    """
    impressions, plays = _check_counts(impressions, plays)
    method = check_choice(method, "method", QUALITY_METHODS)
    k = impressions.shape[1]
    position = check_int(position, "position", low=1, high=k,
                         fix=f"The log has {k} slots; predict at one of them.")
    prior = check_float(prior, "prior", low=0.0, high=1e6)
    exam = examination_probability(k, position_bias)
    per_song = impressions.sum(axis=1).astype(np.float64)
    if method == "position_feature":
        quality, slots = fit_position_model(impressions, plays, prior=prior, iterations=25)
        return 1.0 / (1.0 + np.exp(-(quality + slots[position - 1])))
    if method == "ipw":
        weighted = (plays / exam).sum(axis=1)
        overall = weighted.sum() / max(per_song.sum(), 1.0)
        return np.clip((weighted + prior * overall) / (per_song + prior), 0, 1) * exam[position - 1]
    pooled_rate = plays.sum() / max(per_song.sum(), 1.0)
    song_rate = (plays.sum(axis=1) + prior * pooled_rate) / (per_song + prior)
    if method == "play_rate":
        return song_rate
    column = position - 1
    return (plays[:, column] + prior * song_rate) / (impressions[:, column] + prior)


def _check_counts(impressions: Any, plays: Any) -> tuple[np.ndarray, np.ndarray]:
    """``impressions`` and ``plays`` as float arrays of one (songs, slots) shape, plays within
    0 and the impressions of their cell (errors name the public function that called it)."""
    impressions = np.asarray(impressions, dtype=np.float64)
    plays = np.asarray(plays, dtype=np.float64)
    if impressions.ndim != 2 or impressions.shape != plays.shape:
        raise parameter_error("plays", "an array with the same (songs, slots) shape as "
                              "impressions", getattr(plays, "shape", plays))
    if (plays > impressions).any() or (plays < 0).any():
        raise parameter_error("plays", "between 0 and the impressions in every cell",
                              "a cell outside that range")
    return impressions, plays
