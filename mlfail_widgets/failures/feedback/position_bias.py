"""Position bias as the literature models it: examination x relevance, fitted and compared.

The simulator's listeners follow the **position-based model** (Craswell et al. 2008; Chuklin,
Markov and de Rijke, *Click Models for Web Search*, 2015): a song at slot ``p`` is played when
the slot is examined (probability ``e_p``) *and* the song is liked (its relevance ``r_s``),

.. math:: P(\\text{play} \\mid s, p) = e_p \\, r_s .

The bias is *multiplicative*. This module draws a controlled log from that model
(:func:`controlled_log`), estimates the examination curve from a randomised slice of traffic
(:func:`propensities_from_randomisation`, as Joachims, Swaminathan and Schnabel, WSDM 2017,
propose), fits the multiplicative model with both factors unknown by expectation-maximisation
(:func:`fit_examination_model`: the EM of Wang et al., "Position Bias Estimation for Unbiased
Learning to Rank in Personal Search", WSDM 2018, with one relevance per song where they
regress it on features; PAL, Guo et al., RecSys 2019, fits the same product with two neural
towers), and compares six estimators of each song's play probability at slot 1
(:func:`~.position_compare.relevance_estimates`,
:func:`~.position_compare.position_bias_comparison`):

* ``play_rate``: plays / impressions, the slot ignored;
* ``position_feature``: the additive baseline ``logit P = quality_s + slot_p`` (the slot as a
  feature shared by all songs), predicted at slot 1; misspecified, because the truth is a
  product, not a sum of logits;
* ``ips``: inverse-propensity scoring, each play weighted ``1 / e_p`` (propensities from the
  randomised slice): unbiased, but a play at a rarely examined slot weighs a lot (variance);
* ``ips_clipped``: the weights capped at ``clip``: less variance, biased low for songs mostly
  shown at rarely examined slots (Joachims et al. 2017 discuss the trade-off);
* ``ips_self_normalised``: the plays over the *expected* examinations,
  ``sum_p C_sp / sum_p N_sp e_p``: the IPS terms averaged with weights that sum to one (a
  Hajek-type ratio); consistent, and a rare play at a low slot no longer dominates;
* ``multiplicative``: the EM fit of ``e_p r_s``, which needs no randomised traffic but does
  need songs shown at more than one slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_choice, check_float, check_int, parameter_error
from .examination import _check_counts, examination_probability

if TYPE_CHECKING:
    pass

__all__ = ["BIAS_ESTIMATORS", "PLACEMENTS", "PositionLog", "controlled_log", "fit_examination_model",
           "propensities_from_randomisation"]

PLACEMENTS = ("relevance", "reverse", "random")
BIAS_ESTIMATORS = ("play_rate", "position_feature", "ips", "ips_clipped", "ips_self_normalised",
                   "multiplicative")


@dataclass(frozen=True, eq=False)
class PositionLog:
    """A play log summarised per (song, slot), with the truth it was drawn from.

    Attributes
    ----------
    impressions, plays : int arrays of shape (n_songs, k)
        The logged traffic (placed by ``placement``), randomised slice included.
    random_impressions, random_plays : int arrays of shape (n_songs, k)
        The randomised slice alone (songs placed uniformly at random).
    relevance : ndarray of shape (n_songs,)
        Each song's true play probability once examined.
    examination : ndarray of shape (k,)
        The true examination curve, ``examination[0] == 1``.
    placement : str
        How the non-randomised lists were ordered.
    """

    impressions: np.ndarray
    plays: np.ndarray
    random_impressions: np.ndarray
    random_plays: np.ndarray
    relevance: np.ndarray
    examination: np.ndarray
    placement: str


def controlled_log(placement: str = "relevance", *, n_songs: int = 100, k: int = 10,
                   n_lists: int = 40_000, position_bias: float = 1.0, noise: float = 0.5,
                   randomised_share: float = 0.1, seed: int | np.random.Generator | None = 0) -> PositionLog:
    """Draw a play log from the position-based model with a known truth.

    Every list shows ``k`` distinct songs drawn uniformly from the catalogue, ordered by
    ``placement``; slot ``p`` is examined with probability ``(1/p) ** position_bias`` and an
    examined song is played with probability its relevance (uniform in [0.05, 0.6]).

    Parameters
    ----------
    placement : {"relevance", "reverse", "random"}, default="relevance"
        ``"relevance"``: the better songs on top (a good ranker); ``"reverse"``: the better songs
        at the bottom; ``"random"``: no order. The order is by relevance plus Gaussian noise.
    n_songs, k, n_lists : int, default=100, 10, 40_000
        Catalogue, slots per list, lists.
    position_bias : float, default=1.0
        The examination exponent eta, in [0, 5].
    noise : float, default=0.5
        Standard deviation of the noise added to the relevance before ordering, in units of the
        relevances' standard deviation (0: a perfect order; the songs then sit at the same
        slots whenever they meet, and only the randomised slice moves them).
    randomised_share : float, default=0.1
        Share of lists ordered uniformly at random (the randomised slice), in [0, 1].
    seed : int, Generator or None, default=0

    Returns
    -------
    PositionLog

    Examples
    --------
    >>> log = controlled_log("relevance", n_lists=2000, seed=0)
    >>> int(log.impressions.sum()), log.examination.round(2)[:4].tolist()
    (20000, [1.0, 0.5, 0.33, 0.25])
    >>> int(log.random_impressions.sum())  # about 10% of the lists, randomised
    2010
    """
    placement = check_choice(placement, "placement", PLACEMENTS)
    n_songs = check_int(n_songs, "n_songs", low=2, high=100_000)
    k = check_int(k, "k", low=1, high=min(n_songs, 100),
                  fix="A list shows at most every song once (and at most 100 slots).")
    n_lists = check_int(n_lists, "n_lists", low=1, high=10_000_000)
    position_bias = check_float(position_bias, "position_bias", low=0.0, high=5.0)
    noise = check_float(noise, "noise", low=0.0, high=100.0)
    randomised_share = check_float(randomised_share, "randomised_share", low=0.0, high=1.0)
    rng = resolve_rng(seed)
    relevance = rng.uniform(0.05, 0.6, size=n_songs)
    exam = examination_probability(k, position_bias)
    per_order = n_songs // k  # lists cut from one random order of the catalogue: k distinct songs each
    orders = rng.permuted(np.tile(np.arange(n_songs), (-(-n_lists // per_order), 1)), axis=1)
    lists = orders[:, : per_order * k].reshape(-1, k)[:n_lists]
    randomised = rng.random(n_lists) < randomised_share
    order_score = relevance[lists] + noise * relevance.std() * rng.standard_normal(lists.shape)
    if placement == "reverse":
        order_score = -order_score
    elif placement == "random":
        order_score = rng.random(lists.shape)
    order_score[randomised] = rng.random((int(randomised.sum()), k))
    lists = np.take_along_axis(lists, np.argsort(-order_score, axis=1), axis=1)
    played = rng.random(lists.shape) < exam * relevance[lists]

    def counts(rows):
        cells = (lists[rows] * k + np.arange(k)).ravel()
        shown = np.bincount(cells, minlength=n_songs * k).reshape(n_songs, k)
        hits = np.bincount(cells[played[rows].ravel()], minlength=n_songs * k).reshape(n_songs, k)
        return shown, hits

    impressions, plays = counts(np.ones(n_lists, dtype=bool))
    random_impressions, random_plays = counts(randomised)
    return PositionLog(impressions, plays, random_impressions, random_plays, relevance, exam, placement)


def propensities_from_randomisation(impressions: Any, plays: Any) -> np.ndarray:
    """The examination curve from a randomised slice: play rate per slot over slot 1's.

    When songs are placed uniformly at random, every slot sees the same mix of songs, so the
    play rate at slot ``p`` is ``e_p`` times the catalogue's mean relevance, and the ratio to
    slot 1 is ``e_p / e_1`` (result randomisation, Joachims et al. 2017; swapping pairs of
    slots, Wang et al. 2018, costs less but needs more bookkeeping).

    Parameters
    ----------
    impressions, plays : arrays of shape (n_songs, k)
        The randomised slice's counts (``PositionLog.random_impressions``, ``random_plays``).

    Returns
    -------
    ndarray of shape (k,)
        Estimated examination probability of each slot relative to slot 1.

    Examples
    --------
    >>> propensities_from_randomisation([[100, 100], [100, 100]], [[40, 20], [20, 10]]).tolist()
    [1.0, 0.5]
    """
    impressions, plays = _check_counts(impressions, plays)
    shown = impressions.sum(axis=0)
    if (shown == 0).any() or plays[:, 0].sum() == 0:
        raise parameter_error("impressions", "a randomised slice with impressions at "
                              "every slot and plays at slot 1", "empty slots or no play at slot 1",
                              fix="Randomise a larger share of the traffic.")
    rate = plays.sum(axis=0) / shown
    return rate / rate[0]


def fit_examination_model(impressions: Any, plays: Any, *, iterations: int = 500, tolerance: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``P(play | s, p) = e_p r_s`` with both factors unknown, by EM.

    The expectation-maximisation of the position-based model (Wang et al. 2018, with one
    relevance parameter per song): a play means examined and relevant; a shown song not
    played was examined with probability ``e_p (1 - r_s) / (1 - e_p r_s)`` and relevant with
    ``(1 - e_p) r_s / (1 - e_p r_s)``; each factor is re-estimated as the mean of those
    posteriors over its cells, until the largest change is below ``tolerance``. The scale is
    fixed by ``e_1 = 1``.

    Parameters
    ----------
    impressions, plays : arrays of shape (n_songs, k)
        The log per (song, slot). Songs must be seen at more than one slot for the two factors
        to separate (a randomised slice, or a noisy order, provides that).
    iterations : int, default=500
        Most EM steps.
    tolerance : float, default=1e-6

    Returns
    -------
    relevance : ndarray of shape (n_songs,)
        Estimated play probability once examined (= at slot 1); NaN for songs never shown.
    examination : ndarray of shape (k,)
        Estimated examination curve, ``examination[0] == 1``.

    Examples
    --------
    Expected counts from ``e = (1, 0.5)`` and ``r = (0.4, 0.2)``, each song shown 100 times at
    each slot: the fit recovers both.

    >>> r, e = fit_examination_model([[100, 100], [100, 100]], [[40, 20], [20, 10]])
    >>> r.round(3).tolist(), e.round(3).tolist()
    ([0.4, 0.2], [1.0, 0.5])
    """
    impressions, plays = _check_counts(impressions, plays)
    iterations = check_int(iterations, "iterations", low=1, high=100_000)
    tolerance = check_float(tolerance, "tolerance", low=0.0, high=1.0)
    per_song, per_slot = impressions.sum(axis=1), impressions.sum(axis=0)
    shown = per_song > 0
    misses = impressions - plays
    relevance = np.clip((plays.sum(axis=1) + 1) / (per_song + 2), 1e-4, 1 - 1e-4)
    exam = np.full(impressions.shape[1], 0.5)  # not 1: e = 1 everywhere is a fixed point of EM
    for _ in range(iterations):
        joint = np.clip(exam[None, :] * relevance[:, None], None, 1 - 1e-12)
        examined = plays + misses * exam[None, :] * (1 - relevance[:, None]) / (1 - joint)
        liked = plays + misses * (1 - exam[None, :]) * relevance[:, None] / (1 - joint)
        new_exam = np.divide(examined.sum(axis=0), per_slot, out=exam.copy(), where=per_slot > 0)
        new_relevance = np.divide(liked.sum(axis=1), per_song, out=relevance.copy(), where=shown)
        change = max(np.abs(new_exam - exam).max(), np.abs(new_relevance - relevance).max())
        exam, relevance = new_exam, new_relevance
        if change < tolerance:
            break
    scale = exam[0] if exam[0] > 0 else 1.0
    relevance = np.where(shown, relevance * scale, np.nan)
    return relevance, exam / scale
