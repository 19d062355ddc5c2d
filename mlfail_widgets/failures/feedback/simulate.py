"""The loop itself: recommend, listen, log, retrain, round after round.

Each round every listener gets a list of ``k`` songs from the policy (or, in the first
``warmup_rounds``, at random), exploration replaces some slots with random songs, the listener
examines slots by position and plays what they examine and like, and the policy learns from
the log before the next round. A share of listeners (``audit_share``) may instead get a random
list that the policy never trains on: a small randomised bucket kept to measure the model
without the loop's bias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._settings import settings_values
from ..._validation import check_choice, check_int, parameter_error
from ._blas import single_threaded_blas
from .examination import examination_probability, examine_and_play
from .metrics import (
    consumed_overlap,
    coverage,
    gini,
    jaccard_overlap,
    kendall_tau,
    lorenz_curve,
    ndcg,
    top_share,
)
from .policies import make_policy, random_lists, replace_slots
from .settings import _SETTINGS_DOC, LoopSettings, _check
from .world import World, make_world

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ROUND_METRICS", "LoopRun", "LoopSettings", "simulate_feedback_loop"]  # LoopSettings re-exported

#: Per-round measurements kept in :class:`LoopRun` (each an array of length ``rounds``).
ROUND_METRICS = {
    "exposure_gini": "Gini of impressions per song so far (policy traffic): a proxy for degeneracy, "
                     "which Jiang et al. (2019) define through users' interests",
    "play_gini": "Gini of plays per song so far",
    "top_share": "share of all plays so far going to the top 1% of songs",
    "coverage": "share of the catalogue shown at least once so far",
    "kendall_tau": "Kendall tau between the policy's song scores and true quality",
    "ndcg": "NDCG@k of the policy's song ranking against true quality",
    "new_song_share": "share of the round's plays going to songs released in the last `new_window` rounds",
    "plays_per_user": "plays per listener in the round (the short-term reward)",
    "utility": "mean true affinity of the songs played in the round",
    "homogenization": "mean Jaccard overlap of two listeners' lists in the round",
    "exploration_cost": "expected plays per listener given up in the round's explored slots "
                        "(against the ranked songs they replaced)",
}
LOG_LIMIT = 1_000_000  # logged rows kept by default (the last rounds that fit)
TRACKED_LISTENERS = 200  # listeners whose consumed songs are kept (homogenization as Chaney et al.)


@dataclass(eq=False)
class LoopRun:
    """Everything a run of :func:`simulate_feedback_loop` produced.

    Attributes
    ----------
    settings : dict
        The arguments of the run.
    world : World
        Listeners and songs (with their hidden tastes).
    exposure, plays : int arrays of shape (rounds, n_songs)
        Impressions and plays per song in every round (the policy's traffic, audit excluded).
    metrics : dict of str -> ndarray
        One array of length ``rounds`` per entry of :data:`ROUND_METRICS`.
    song_scores : ndarray
        The policy's final view of every song in the catalogue (its ranking).
    impressions_by_slot, plays_by_slot : int arrays of shape (n_songs, k)
        The policy's traffic summarised per (song, slot), for the debiasing estimators.
    log : dict of str -> ndarray
        The logged rows of the last rounds: ``round``, ``user``, ``song``, ``position``
        (1 = top), ``played``, ``predicted`` (the model's play probability at serving time) and
        ``audit`` (a row of the randomised bucket).
    consumed : bool array of shape (n_tracked, n_songs)
        For a fixed panel of up to :data:`TRACKED_LISTENERS` listeners (evenly spaced ids, the
        same in every run on the same world): the songs each played at least once, policy
        traffic only. :meth:`consumed_overlap` reads it.
    """

    settings: dict
    world: World
    exposure: np.ndarray
    plays: np.ndarray
    metrics: dict
    song_scores: np.ndarray
    impressions_by_slot: np.ndarray
    plays_by_slot: np.ndarray
    log: dict = field(repr=False)
    consumed: np.ndarray | None = field(default=None, repr=False)

    def __getattr__(self, name):
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"LoopRun has no attribute {name!r}")

    @property
    def rounds(self) -> int:
        return int(self.exposure.shape[0])

    def frame(self) -> pd.DataFrame:
        """The per-round metrics as a DataFrame indexed by round."""
        import pandas as pd

        return pd.DataFrame(self.metrics).rename_axis("round")

    def lorenz(self, of: str = "plays", upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lorenz curve ``(x, y)`` of cumulative plays (or ``of="exposure"``) per available song."""
        of = check_choice(of, "of", ["plays", "exposure"])
        upto = self.rounds if upto is None else check_int(upto, "upto",
                                                           low=1, high=self.rounds)
        totals = getattr(self, of)[:upto].sum(axis=0)[: self.world.available(upto - 1)]
        return lorenz_curve(totals)

    def new_song_success(self, window: int | None = None) -> float:
        """Share of songs released during the run that were played at least once in their first
        ``window`` rounds (songs released too late to have ``window`` rounds are left out)."""
        window = self.settings["new_window"] if window is None else check_int(
            window, "window", low=1, high=self.rounds)
        release = self.world.release
        songs = np.flatnonzero((release > 0) & (release + window <= self.rounds))
        if songs.size == 0:
            return float("nan")
        cumulative = np.vstack([np.zeros(self.world.n_songs, dtype=np.int64), self.plays.cumsum(axis=0)])
        early = cumulative[release[songs] + window, songs] - cumulative[release[songs], songs]
        return float((early > 0).mean())

    def consumed_overlap(self) -> float:
        """Homogenization as Chaney et al. (2018) measure it: the mean Jaccard index of the sets
        of songs two listeners of the tracked panel played over the whole run (see
        :func:`~.metrics.consumed_overlap`)."""
        return consumed_overlap(self.consumed)

    def final(self, name: str) -> float:
        """The last round's value of a per-round metric."""
        check_choice(name, "name", list(ROUND_METRICS))
        return float(self.metrics[name][-1])


def simulate_feedback_loop(
    policy: str | LoopSettings | None = None,
    settings: LoopSettings | None = None,
    *,
    world: World | None = None,
    seed: int | np.random.Generator | None = 0,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> LoopRun:
    """Run a recommender's feedback loop and measure what it does to the catalogue.

    The run is described by a :class:`LoopSettings` (``settings``, or the first argument), and
    any of its fields can also be given as a keyword, which overrides it:
    ``simulate_feedback_loop("ctr", epsilon=0.1)`` and
    ``simulate_feedback_loop(LoopSettings("ctr", epsilon=0.1))`` are the same run.

    Parameters
    ----------
    policy : str or LoopSettings, optional
        The policy (default "popularity", or the one in ``settings``), or the whole settings.
    settings : LoopSettings, optional
        The run's settings; default ``LoopSettings()``.
    world : World, optional
        Reuse a world (to compare policies on the same listeners and songs).
    seed : int, Generator or None, default=0
        Same seed, same history.
    progress : callable, optional
        ``progress(done_rounds, rounds)`` called after every round.
    **options
        Fields of :class:`LoopSettings`:
{doc}

    Returns
    -------
    LoopRun

    Examples
    --------
    >>> popular = simulate_feedback_loop("popularity", n_users=300, n_songs=200, rounds=15, seed=1)
    >>> spread = simulate_feedback_loop("random", n_users=300, n_songs=200, rounds=15, seed=1)
    >>> bool(popular.exposure_gini[-1] > spread.exposure_gini[-1] + 0.3)
    True
    >>> small = LoopSettings("popularity", n_users=300, n_songs=200, rounds=15)
    >>> bool((simulate_feedback_loop(small, seed=1).plays == popular.plays).all())
    True
    """
    checked = _check(settings_values(LoopSettings, settings, options, first=("policy", policy)), world)
    rng = resolve_rng(seed)
    world_rng, loop_rng, metric_rng = rng.spawn(3)
    if world is None:
        with single_threaded_blas():
            world = make_world(checked["n_users"], checked["n_songs"], rounds=checked["rounds"],
                               new_songs=checked["new_songs"], seed=world_rng)
    rounds, k = checked["rounds"], checked["k"]
    if checked["log_rounds"] is None:
        checked["log_rounds"] = min(rounds, max(1, LOG_LIMIT // max(1, world.n_users * k)))
    if progress is not None and not callable(progress):
        raise parameter_error("progress", "a callable or None", progress)
    model = make_policy(checked["policy"], world, k, checked["debias"])
    with single_threaded_blas():
        return _run(world, model, checked, loop_rng, metric_rng, progress)


simulate_feedback_loop.__doc__ = (simulate_feedback_loop.__doc__ or "").replace(
    "{doc}", "\n".join("    " + line if line else line for line in _SETTINGS_DOC.splitlines()[1:]))


def _run(world, model, settings, rng, metric_rng, progress) -> LoopRun:
    rounds, k, n_users = settings["rounds"], settings["k"], world.n_users
    exposure = np.zeros((rounds, world.n_songs), dtype=np.int32)
    plays = np.zeros((rounds, world.n_songs), dtype=np.int32)
    metrics = {name: np.zeros(rounds) for name in ROUND_METRICS}
    gains = world.true_quality - world.true_quality.min()
    n_audit = round(settings["audit_share"] * n_users)
    log_parts: list[dict] = []
    total_exposure = np.zeros(world.n_songs, dtype=np.int64)
    total_plays = np.zeros(world.n_songs, dtype=np.int64)
    tracked = np.unique(np.linspace(0, n_users - 1, min(n_users, TRACKED_LISTENERS)).round().astype(np.int64))
    consumed = np.zeros((tracked.size, world.n_songs), dtype=bool)
    for round_ in range(rounds):
        n_available = world.available(round_)
        order = rng.permutation(n_users) if n_audit else np.arange(n_users)
        audit, users = np.sort(order[:n_audit]), np.sort(order[n_audit:])
        if settings["policy"] == "random" or (round_ < settings["warmup_rounds"]
                                               and settings["policy"] != "oracle"):
            lists = random_lists(rng, users.size, k, n_available)
        else:
            lists = model.recommend(rng, users, n_available)
        explore = rng.random(lists.shape) < settings["epsilon"]
        if settings["random_slots"]:
            explore[:, k - settings["random_slots"]:] = True
        ranked, lists = lists, replace_slots(rng, lists, explore, n_available)
        metrics["exploration_cost"][round_] = _exploration_cost(world, users, ranked, lists, explore,
                                                                settings)
        affinity = world.affinity(users[:, None], lists)
        played, propensity = examine_and_play(rng, affinity, settings["examination"],
                                              settings["position_bias"], settings["patience"])
        logging = round_ >= rounds - settings["log_rounds"]
        if logging:
            predicted = model.predict(users, lists, propensity, n_available)
        model.update(users, lists, played, propensity, n_available)

        exposure[round_] = np.bincount(lists.ravel(), minlength=world.n_songs)
        plays[round_] = np.bincount(lists[played], minlength=world.n_songs)
        total_exposure += exposure[round_]
        total_plays += plays[round_]
        _track(consumed, tracked, users, lists, played)
        _measure(metrics, round_, world, model, settings, n_available, total_exposure, total_plays,
                 plays[round_], lists, played, affinity, gains, metric_rng)
        if logging:
            log_parts.append(_log_rows(round_, users, lists, played, predicted, False))
            if n_audit:
                audit_lists = random_lists(rng, audit.size, k, n_available)
                audit_played, audit_propensity = examine_and_play(
                    rng, world.affinity(audit[:, None], audit_lists), settings["examination"],
                    settings["position_bias"], settings["patience"])
                log_parts.append(_log_rows(round_, audit, audit_lists, audit_played,
                                           model.predict(audit, audit_lists, audit_propensity,
                                                         n_available), True))
        if progress is not None:
            progress(round_ + 1, rounds)
    log = {name: np.concatenate([part[name] for part in log_parts]) if log_parts else np.zeros(0)
           for name in ("round", "user", "song", "position", "played", "predicted", "audit")}
    return LoopRun(settings, world, exposure, plays, metrics,
                       model.song_scores(world.available(rounds - 1)),
                       model.rates.impressions, model.rates.plays, log, consumed)


def _track(consumed, tracked, users, lists, played) -> None:
    """Mark the songs the tracked listeners played this round (``users`` is sorted)."""
    if users.size == 0:
        return
    where = np.minimum(np.searchsorted(users, tracked), users.size - 1)
    present = users[where] == tracked
    rows = where[present]
    hit = played[rows]
    panel = np.repeat(np.flatnonzero(present), lists.shape[1]).reshape(hit.shape)
    consumed[panel[hit], lists[rows][hit]] = True


def _exploration_cost(world, users, ranked, lists, explore, settings) -> float:
    """Expected plays lost because explored slots did not show the songs ranked there."""
    if not explore.any() or users.size == 0:
        return 0.0
    rows, slots = np.nonzero(explore)
    if settings["examination"] == "position":
        seen = examination_probability(ranked.shape[1], settings["position_bias"])[slots]
    else:
        seen = settings["patience"] ** slots
    lost = world.affinity(users[rows], ranked[rows, slots]) - world.affinity(users[rows], lists[rows, slots])
    return float((seen * lost).sum() / users.size)


def _log_rows(round_, users, lists, played, predicted, audit) -> dict:
    n, k = lists.shape
    return {"round": np.full(n * k, round_, dtype=np.int32),
            "user": np.repeat(users, k).astype(np.int32),
            "song": lists.ravel().astype(np.int32),
            "position": np.tile(np.arange(1, k + 1, dtype=np.int8), n),
            "played": played.ravel(),
            "predicted": np.asarray(predicted, dtype=np.float32).ravel(),
            "audit": np.full(n * k, audit)}


def _measure(metrics, round_, world, model, settings, n_available, total_exposure, total_plays,
             round_plays, lists, played, affinity, gains, rng):
    available_exposure = total_exposure[:n_available]
    available_plays = total_plays[:n_available]
    metrics["exposure_gini"][round_] = gini(available_exposure)
    metrics["play_gini"][round_] = gini(available_plays)
    metrics["top_share"][round_] = top_share(available_plays, 0.01)
    metrics["coverage"][round_] = coverage(available_exposure)
    scores = model.song_scores(n_available)
    metrics["kendall_tau"][round_] = kendall_tau(scores, world.true_quality[:n_available])
    metrics["ndcg"][round_] = ndcg(scores, gains[:n_available], settings["k"])
    new = world.release[:n_available] > round_ - settings["new_window"]
    new &= world.release[:n_available] > 0
    n_plays = round_plays.sum()
    metrics["new_song_share"][round_] = round_plays[:n_available][new].sum() / n_plays if n_plays else 0.0
    metrics["plays_per_user"][round_] = played.sum() / max(lists.shape[0], 1)
    metrics["utility"][round_] = affinity[played].mean() if played.any() else 0.0
    metrics["homogenization"][round_] = (jaccard_overlap(lists, pairs=128, seed=rng)
                                         if lists.shape[0] > 1 else 1.0)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"LoopHistory": LoopRun})
