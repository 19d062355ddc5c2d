"""How the recommender picks each listener's top k, and how it learns from the log.

Policies (``POLICIES``):

* ``"random"``: k distinct songs drawn uniformly from the catalogue.
* ``"popularity"``: the songs with the most plays so far (ties broken at random per listener).
* ``"ctr"``: the songs with the highest estimated play rate (plays / impressions, shrunk towards
  the average so a song never shown sits at the average).
* ``"oracle"``: every listener's k songs of highest *true* affinity, best first: the ideal
  recommender that knows each listener's hidden taste (Chaney, Stewart and Engelhardt 2018
  measure homogenization relative to it). It learns nothing and needs no warm-up.
* ``"personalised"``: a per-song logistic model on what the system knows about each listener,
  ``logit P(play) = b_s + x_u . w_s``, retrained on the log every round (one Newton step per
  round with the curvature accumulated over the whole log, so a round costs one pass over that
  round's rows).

Debiasing (``DEBIAS``, for ``"ctr"`` and ``"personalised"``): ``"none"``; ``"position_feature"``
(the slot enters the model as a feature shared by all songs, and songs are ranked as if shown
at slot 1); ``"ipw"`` (each logged row weighs ``1 / P(slot examined)``).

Everything is vectorised: a round of ``n`` listeners costs a few passes over ``n x k`` arrays,
plus, for the personalised model, one ``n x songs`` score block at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .examination import fit_position_model

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["DEBIAS", "LEARNED_POLICIES", "POLICIES", "make_policy"]

POLICIES = ("random", "popularity", "ctr", "personalised", "oracle")
LEARNED_POLICIES = ("ctr", "personalised")
DEBIAS = ("none", "position_feature", "ipw")
PRIOR_IMPRESSIONS = 5.0  # shrinkage of play-rate estimates towards the average
_BLOCK = 512  # listeners scored at once by the personalised model
_PROBE = 64  # songs whose scores give each listener a lower bound on their k-th best score


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------------------- list drawing
def _permutation_fill(rng, lists, mask, n_available):
    """Exact fallback for tiny catalogues: fill masked slots from a random order per row."""
    for row in np.flatnonzero(mask.any(axis=1)):
        keep = set(lists[row, ~mask[row]].tolist())
        order = [s for s in rng.permutation(n_available).tolist() if s not in keep]
        lists[row, mask[row]] = order[: int(mask[row].sum())]
    return lists


def replace_slots(rng: np.random.Generator, lists: np.ndarray, mask: np.ndarray, n_available: int, *,
                  avoid_replaced: bool = True) -> np.ndarray:
    """Put random catalogue songs into the masked slots, keeping every row's songs distinct.

    With ``avoid_replaced`` (and a catalogue of at least 2k songs) the new songs also differ
    from the songs they replace: they are "unranked" songs.
    """
    lists = lists.copy()
    if not mask.any():
        return lists
    k = lists.shape[1]
    earlier = np.tril(np.ones((k, k), dtype=bool), -1)  # [i, j]: slot j comes before slot i
    # [row, i, j]: slot i's new song may not equal the song in column j of `sub` below: an
    # earlier slot's song, a kept song, or (with avoid_replaced) one of the songs being replaced
    forbidden = earlier | (~mask[:, None, :] & ~np.eye(k, dtype=bool))
    replaced = None
    if avoid_replaced and n_available >= 2 * k:
        forbidden = np.concatenate([forbidden, np.broadcast_to(mask[:, None, :], forbidden.shape)], axis=2)
        replaced = np.where(mask, lists, -1)
    pending = mask.copy()
    rows = np.arange(lists.shape[0])
    for _ in range(100):
        lists[pending] = rng.integers(0, n_available, size=int(pending.sum()))
        rows = rows[pending[rows].any(axis=1)]  # only rows that drew again can clash
        sub = lists[rows] if replaced is None else np.concatenate([lists[rows], replaced[rows]], axis=1)
        clash = ((sub[:, :k, None] == sub[:, None, :]) & forbidden[rows]).any(axis=2)
        pending[rows] = clash & mask[rows]
        if not pending[rows].any():
            return lists
    return _permutation_fill(rng, lists, pending, n_available)


def random_lists(rng: np.random.Generator, n_lists: int, k: int, n_available: int) -> np.ndarray:
    """``n_lists`` lists of ``k`` distinct songs drawn uniformly from ``0 .. n_available-1``."""
    lists = np.zeros((n_lists, k), dtype=np.int64)
    return replace_slots(rng, lists, np.ones((n_lists, k), dtype=bool), n_available,
                         avoid_replaced=False)


def top_k_shared(rng: np.random.Generator, score: np.ndarray, n_lists: int, k: int) -> np.ndarray:
    """Every listener gets the k best songs by one shared score; ties at the cut-off are
    resolved at random for each listener, and ties within the list are shuffled."""
    order = np.argsort(-score, kind="stable")
    cut = score[order[k - 1]]
    sure = order[score[order] > cut]
    tied = np.flatnonzero(score == cut)
    n_sure = sure.size
    lists = np.empty((n_lists, k), dtype=np.int64)
    lists[:, :n_sure] = sure
    if n_sure < k:
        if tied.size == k - n_sure:
            picks = np.broadcast_to(np.arange(tied.size), (n_lists, tied.size))
            picks = rng.permuted(picks, axis=1)
        else:
            picks = random_lists(rng, n_lists, k - n_sure, tied.size)
        lists[:, n_sure:] = tied[picks]
    return lists


def top_k_rows(scores: np.ndarray, k: int, probe: np.ndarray) -> np.ndarray:
    """Each row's k best columns, best first, without sorting whole rows.

    The k-th best score among the ``probe`` columns is a lower bound on the row's k-th best
    score, so only the columns at or above it (a few dozen per row) are ranked; the rare row
    with many such columns is ranked in full.
    """
    n, m = scores.shape
    if m <= 4 * probe.size:
        top = np.argpartition(scores, m - k, axis=1)[:, m - k:]
    else:
        floor = np.partition(scores[:, probe], probe.size - k, axis=1)[:, probe.size - k]
        index = np.flatnonzero(scores >= floor[:, None])
        rows = index // m
        counts = np.bincount(rows, minlength=n)
        width = max(8 * k, int(np.partition(counts, int(0.95 * (n - 1)))[int(0.95 * (n - 1))]))
        crowded = np.flatnonzero(counts > width)
        width = min(width, int(counts.max()))
        fits = counts[rows] <= width
        index, rows = index[fits], rows[fits]
        kept = np.where(counts <= width, counts, 0)
        slot = np.arange(index.size) - (np.cumsum(kept) - kept)[rows]
        candidates = np.full((n, width), -np.inf, dtype=scores.dtype)
        columns = np.zeros((n, width), dtype=np.int64)
        candidates[rows, slot] = scores.ravel()[index]
        columns[rows, slot] = index - rows * m
        best = np.argpartition(candidates, width - k, axis=1)[:, width - k:]
        top = np.take_along_axis(columns, best, axis=1)
        if crowded.size:
            top[crowded] = np.argpartition(scores[crowded], m - k, axis=1)[:, m - k:]
    values = np.take_along_axis(scores, top, axis=1)
    return np.take_along_axis(top, np.argsort(-values, axis=1, kind="stable"), axis=1)


# --------------------------------------------------------------------------- models
class _PlayRates:
    """Counts per (song, slot) of the policy's own traffic, and play-rate estimates from them."""

    def __init__(self, n_songs: int, k: int, debias: str):
        self.impressions = np.zeros((n_songs, k), dtype=np.int64)
        self.plays = np.zeros((n_songs, k), dtype=np.int64)
        self.weighted_plays = np.zeros(n_songs)
        self.debias = debias
        self._fit: tuple[np.ndarray, np.ndarray] | None = None

    def update(self, lists, played, propensity):
        n_songs, k = self.impressions.shape
        cells = (lists * k + np.arange(k)).ravel()
        self.impressions += np.bincount(cells, minlength=n_songs * k).reshape(n_songs, k)
        self.plays += np.bincount(cells[played.ravel()], minlength=n_songs * k).reshape(n_songs, k)
        weights = np.divide(1.0, propensity, out=np.zeros(propensity.shape), where=propensity > 0)
        self.weighted_plays += np.bincount(lists.ravel(), (played * weights).ravel(), minlength=n_songs)
        if self.debias == "position_feature":
            self._fit = fit_position_model(self.impressions, self.plays, prior=PRIOR_IMPRESSIONS,
                                           iterations=3 if self._fit else 10, start=self._fit)

    def rates(self, n_available: int) -> np.ndarray:
        """Estimated play probability of each available song (at slot 1 when debiased)."""
        shown = self.impressions[:n_available].sum(axis=1)
        if self.debias == "position_feature" and self._fit is not None:
            return _sigmoid(self._fit[0][:n_available])
        plays = (self.weighted_plays[:n_available] if self.debias == "ipw"
                 else self.plays[:n_available].sum(axis=1))
        average = plays.sum() / shown.sum() if shown.sum() else 0.0
        return (plays + PRIOR_IMPRESSIONS * average) / (shown + PRIOR_IMPRESSIONS)

    def predict(self, lists, propensity, n_available):
        """Predicted play probability of each listed song at the slot it is shown in."""
        if self.debias == "ipw":
            return self.rates(n_available)[lists] * propensity
        if self.debias == "none":
            return self.rates(n_available)[lists]
        return self.positional_predict(lists)

    def positional_predict(self, lists):
        """The slot-aware model ``sigmoid(quality_s + slot_p)`` at the slots shown (fitted
        now if the policy does not keep it up to date)."""
        if self.debias != "position_feature" or self._fit is None:
            self._fit = fit_position_model(self.impressions, self.plays, prior=PRIOR_IMPRESSIONS,
                                           iterations=4 if self._fit else 15, start=self._fit)
        quality, slots = self._fit
        return _sigmoid(quality[lists] + slots[None, :])


class Policy:
    """Base: the shared play-rate model (every policy's team keeps one, and logs it)."""

    name = "random"

    def __init__(self, world: Any, k: int, debias: str = "none") -> None:
        self.world, self.k, self.debias = world, k, debias
        self.rates = _PlayRates(world.n_songs, k, debias)

    def recommend(self, rng: np.random.Generator, users: np.ndarray, n_available: int) -> np.ndarray:
        return random_lists(rng, users.size, self.k, n_available)

    def predict(self, users: np.ndarray, lists: np.ndarray, propensity: ArrayLike, n_available: int) -> np.ndarray:
        """The play probability the team's model gives each listed song at its slot. Policies
        without a model of their own are monitored with the slot-aware play-rate model."""
        return self.rates.positional_predict(lists)

    def update(self, users: np.ndarray, lists: np.ndarray, played: ArrayLike, propensity: ArrayLike, n_available: int) -> None:
        self.rates.update(lists, played, propensity)

    def song_scores(self, n_available: int) -> np.ndarray:
        """The policy's view of every available song (what its ranking would be)."""
        return np.zeros(n_available)


class PopularityPolicy(Policy):
    name = "popularity"

    def recommend(self, rng: np.random.Generator, users: np.ndarray, n_available: int) -> np.ndarray:
        return top_k_shared(rng, self.song_scores(n_available), users.size, self.k)

    def song_scores(self, n_available: int) -> np.ndarray:
        return self.rates.plays[:n_available].sum(axis=1).astype(np.float64)


class RatePolicy(Policy):
    name = "ctr"

    def recommend(self, rng: np.random.Generator, users: np.ndarray, n_available: int) -> np.ndarray:
        return top_k_shared(rng, self.song_scores(n_available), users.size, self.k)

    def predict(self, users: np.ndarray, lists: np.ndarray, propensity: ArrayLike, n_available: int) -> np.ndarray:
        return self.rates.predict(lists, propensity, n_available)

    def song_scores(self, n_available: int) -> np.ndarray:
        return self.rates.rates(n_available)


class PersonalPolicy(Policy):
    """``logit P(play) = b_s + x_u . w_s (+ slot_p)``; online Newton steps on each round's log."""

    name = "personalised"
    ridge = 1.0

    def __init__(self, world: Any, k: int, debias: str = "none") -> None:
        super().__init__(world, k, debias)
        n, d = world.n_songs, world.user_features.shape[1]
        self.bias = np.zeros(n)
        self.weights = np.zeros((n, d))
        self.slots = np.zeros(k)
        self.bias_curvature = np.zeros(n)
        self.weight_curvature = np.zeros((n, d))
        self.slot_curvature = np.zeros(k)
        self.ready = 0  # songs whose bias has been initialised

    def _initialise(self, n_available):
        if n_available > self.ready:
            seen = self.bias_curvature[: self.ready] > 0
            self.bias[self.ready:n_available] = self.bias[: self.ready][seen].mean() if seen.any() else 0.0
            self.ready = n_available

    def _logits(self, users, lists, with_slots):
        x = self.world.user_features[users].astype(np.float64)
        z = self.bias[lists] + np.einsum("nd,nkd->nk", x, self.weights[lists])
        return z + self.slots if with_slots else z

    def recommend(self, rng: np.random.Generator, users: np.ndarray, n_available: int) -> np.ndarray:
        self._initialise(n_available)
        # [x_u, 1] @ [w_s; b_s]: one product gives the scores, bias included
        songs = np.vstack([self.weights[:n_available].T, self.bias[None, :n_available]]).astype(np.float32)
        features = self.world.user_features
        average = np.append(features[users].mean(axis=0), 1.0) @ songs
        probe = np.argpartition(-average, min(_PROBE, n_available) - 1)[:_PROBE]
        lists = np.empty((users.size, self.k), dtype=np.int64)
        block = np.ones((min(_BLOCK, users.size), songs.shape[0]), dtype=np.float32)
        for start in range(0, users.size, _BLOCK):
            rows = users[start:start + _BLOCK]
            block[: rows.size, :-1] = features[rows]
            lists[start:start + rows.size] = top_k_rows(block[: rows.size] @ songs, self.k, probe)
        return lists

    def predict(self, users: np.ndarray, lists: np.ndarray, propensity: ArrayLike, n_available: int) -> np.ndarray:
        self._initialise(n_available)
        mu = _sigmoid(self._logits(users, lists, self.debias == "position_feature"))
        return mu * propensity if self.debias == "ipw" else mu

    def update(self, users: np.ndarray, lists: np.ndarray, played: Any, propensity: Any, n_available: int) -> None:
        super().update(users, lists, played, propensity, n_available)
        self._initialise(n_available)
        positional = self.debias == "position_feature"
        mu = _sigmoid(self._logits(users, lists, positional))
        if self.debias == "ipw":
            # unbiased pointwise loss: the target is play / P(examined), whose mean is the affinity
            seen = propensity > 0
            target = np.divide(played, propensity, out=np.zeros(propensity.shape), where=seen)
            error = (seen * (mu - target)).ravel()
            curve = (seen * mu * (1 - mu)).ravel()
        else:
            error = (mu - played).ravel()
            curve = (mu * (1 - mu)).ravel()
        songs = lists.ravel()
        n = self.world.n_songs
        x = np.repeat(self.world.user_features[users].astype(np.float64), self.k, axis=0)
        self.bias_curvature += np.bincount(songs, curve, minlength=n)
        step_bias = np.bincount(songs, error, minlength=n) / (self.bias_curvature + self.ridge)
        for j in range(x.shape[1]):
            self.weight_curvature[:, j] += np.bincount(songs, curve * x[:, j] ** 2, minlength=n)
            gradient = np.bincount(songs, error * x[:, j], minlength=n)
            self.weights[:, j] -= 0.5 * gradient / (self.weight_curvature[:, j] + self.ridge)
        self.bias -= 0.5 * step_bias
        if positional:
            position = np.tile(np.arange(self.k), users.size)
            self.slot_curvature += np.bincount(position, curve, minlength=self.k)
            step = np.bincount(position, error, minlength=self.k) / (self.slot_curvature + self.ridge)
            self.slots[1:] -= 0.5 * step[1:]

    def song_scores(self, n_available: int) -> np.ndarray:
        self._initialise(n_available)
        mean_features = self.world.user_features.mean(axis=0)
        return self.bias[:n_available] + self.weights[:n_available] @ mean_features


class OraclePolicy(Policy):
    """Ranks by the true affinity of each listener (the hidden tastes): the ideal recommender."""

    name = "oracle"

    def recommend(self, rng: np.random.Generator, users: np.ndarray, n_available: int) -> np.ndarray:
        world = self.world
        songs = np.vstack([(world.taste_scale * world.styles[:n_available]).T,
                           (world.base + world.appeal_scale * world.appeal[None, :n_available])]
                          ).astype(np.float32)
        average = np.append(world.tastes[users].mean(axis=0), 1.0) @ songs
        probe = np.argpartition(-average, min(_PROBE, n_available) - 1)[:_PROBE]
        lists = np.empty((users.size, self.k), dtype=np.int64)
        block = np.ones((min(_BLOCK, users.size), songs.shape[0]), dtype=np.float32)
        for start in range(0, users.size, _BLOCK):
            rows = users[start:start + _BLOCK]
            block[: rows.size, :-1] = world.tastes[rows]
            lists[start:start + rows.size] = top_k_rows(block[: rows.size] @ songs, self.k, probe)
        return lists

    def predict(self, users: np.ndarray, lists: np.ndarray, propensity: ArrayLike, n_available: int) -> np.ndarray:
        return self.world.affinity(users[:, None], lists) * propensity

    def song_scores(self, n_available: int) -> np.ndarray:
        return self.world.true_quality[:n_available].astype(np.float64)


_CLASSES = {"random": Policy, "popularity": PopularityPolicy, "ctr": RatePolicy,
            "personalised": PersonalPolicy, "oracle": OraclePolicy}


def make_policy(name: str, world: Any, k: int, debias: str = "none") -> Policy:
    """The policy object for ``name`` (arguments are validated by the caller)."""
    return _CLASSES[name](world, k, debias)
