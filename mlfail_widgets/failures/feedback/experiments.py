"""The chapter's comparisons, each a few seeded runs of the loop summarised in a table.

* :func:`exploration_tradeoff`: what epsilon-greedy exploration buys (a truer ranking, less
  concentration, new songs heard) and what it costs (plays now).
* :func:`compare_debiasing`: the same learned policy with and without position debiasing.
* :func:`slot_dependence`: four estimators of song quality read from one position-biased log,
  and whether their ranking depends on the slot assumed at prediction time.
* :func:`loop_report`: one run and its slice table, what the chapter's dashboard shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._settings import settings_values
from ..._validation import check_choice, check_int, check_probability, parameter_error
from .examination import QUALITY_METHODS, estimate_song_quality
from .metrics import kendall_tau
from .policies import DEBIAS, LEARNED_POLICIES
from .settings import LoopSettings, _check
from .simulate import LoopRun, simulate_feedback_loop
from .slices import slice_report
from .world import make_world

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["REPORT_SETTINGS", "LoopReport", "compare_debiasing", "exploration_tradeoff", "homogenization_table", "loop_report",
           "slot_dependence", "song_estimates", "summarize_runs"]


SHORT_TERM = 5  # rounds after the warm-up whose plays count as the short term


def _summary(history: LoopRun) -> dict:
    start = history.settings["warmup_rounds"]
    return {
        "exploration_cost": float(history.exploration_cost[start:].mean()),
        "short_term_plays": float(history.plays_per_user[start:start + SHORT_TERM].mean()),
        "kendall_tau": history.final("kendall_tau"),
        "ndcg": history.final("ndcg"),
        "exposure_gini": history.final("exposure_gini"),
        "plays_per_user": float(history.plays_per_user.mean()),
        "utility": float(history.utility.mean()),
        "coverage": history.final("coverage"),
        "new_song_success": history.new_song_success(),
    }


def summarize_runs(runs: dict) -> pd.DataFrame:
    """One row per run: the final ranking quality and concentration, plays, coverage, new songs.

    ``runs`` maps a label to a :class:`LoopRun`; the columns are those of
    :func:`exploration_tradeoff`, plus ``top_share`` and ``homogenization`` (final round),
    ``kendall_tau_peak`` (the best Kendall tau of any round after the warm-up: a final value
    below it means the ranking got *worse* as the loop ran) and ``consumed_overlap`` (the
    Jaccard index of the songs two listeners played, see :func:`homogenization_table`).

    Examples
    --------
    >>> runs = {p: simulate_feedback_loop(p, n_users=200, n_songs=100, rounds=8) for p in ["random", "popularity"]}
    >>> summarize_runs(runs)["exposure_gini"].round(2).tolist()
    [0.13, 0.82]
    """
    import pandas as pd

    rows = {}
    for label, run in runs.items():
        if not isinstance(run, LoopRun):
            raise parameter_error("runs", "a dict of label -> LoopRun",
                                  type(run).__name__)
        start = min(run.settings["warmup_rounds"], run.rounds - 1)
        rows[label] = {**_summary(run), "top_share": run.final("top_share"),
                       "homogenization": run.final("homogenization"),
                       "kendall_tau_peak": float(run.kendall_tau[start:].max()),
                       "consumed_overlap": run.consumed_overlap()}
    return pd.DataFrame.from_dict(rows, orient="index")


def homogenization_table(runs: dict, oracle: str = "oracle") -> pd.DataFrame:
    """Homogenization as Chaney et al. (2018) measure it: consumed items, relative to the ideal.

    Chaney, Stewart and Engelhardt ("How algorithmic confounding in recommendation systems
    increases homogeneity and decreases utility", RecSys 2018) compare the Jaccard index of
    the items two users *consumed* under each recommender with the same index under an ideal
    recommender that knows users' true preferences: users with similar tastes consume similar
    items even when served perfectly, so only the excess is the loop's doing.

    Parameters
    ----------
    runs : dict of str -> LoopRun
        Runs on the same world (the same tracked listeners), one of them the oracle policy.
    oracle : str, default="oracle"
        The key of the oracle run.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``consumed_overlap`` (mean Jaccard of the songs two tracked listeners
        played over the run), ``vs_oracle`` (minus the oracle's: the homogenization the loop
        added), ``list_overlap`` (the final round's Jaccard of the lists shown),
        ``exposure_gini`` (final) and ``utility`` (mean true affinity of the songs played).

    Examples
    --------
    >>> world = make_world(n_users=300, n_songs=200, rounds=10, seed=0)
    >>> runs = {p: simulate_feedback_loop(p, world=world, rounds=10) for p in ["popularity", "oracle"]}
    >>> table = homogenization_table(runs)
    >>> bool(table.loc["popularity", "vs_oracle"] > 0.2), float(table.loc["oracle", "vs_oracle"])
    (True, 0.0)
    """
    import pandas as pd

    if not isinstance(runs, dict) or oracle not in runs:
        raise parameter_error("runs", f"a dict of label -> LoopRun with an {oracle!r} run",
                              runs if not isinstance(runs, dict) else list(runs),
                              fix="Add simulate_feedback_loop('oracle', world=world) on the same world.")
    for label, run in runs.items():
        if not isinstance(run, LoopRun):
            raise parameter_error("runs", "a dict of label -> LoopRun", type(run).__name__)
        if run.world is not runs[oracle].world:
            raise parameter_error("runs", "runs on the same world as the oracle", label,
                                  fix="Pass world=... to every simulate_feedback_loop call.")
    rows = {label: {"consumed_overlap": run.consumed_overlap(),
                    "list_overlap": run.final("homogenization"),
                    "exposure_gini": run.final("exposure_gini"),
                    "utility": float(run.utility.mean())} for label, run in runs.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.insert(1, "vs_oracle", table["consumed_overlap"] - table.loc[oracle, "consumed_overlap"])
    return table


def _world_for(kwargs: dict, seed: int):
    """One world per seed, shared by every variant compared (the same listeners and songs)."""
    size = {key: kwargs[key] for key in ("n_users", "n_songs", "rounds", "new_songs") if key in kwargs}
    return make_world(**size, seed=seed + 10_000)


def _sweep(option: str, values: list, seeds: int, policy: str, loop_options: dict):
    """Run ``policy`` once per value of ``option`` and seed (one world per seed), and average."""
    import pandas as pd

    rows = []
    for seed in range(seeds):
        world = _world_for(loop_options, seed)
        for value in values:
            run = simulate_feedback_loop(policy, world=world, seed=seed, **{option: value}, **loop_options)
            rows.append({option: value, **_summary(run)})
    return pd.DataFrame(rows).groupby(option, sort=False).mean()


def exploration_tradeoff(epsilons: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5), *,
                         policy: str = "popularity", seeds: int = 1, **loop_options: Any) -> pd.DataFrame:
    """Run the loop once per epsilon (and seed) and tabulate what exploration buys and costs.

    Parameters
    ----------
    epsilons : sequence of float
        Exploration rates to try, each in [0, 1].
    policy : str, default="popularity"
        The policy explored around.
    seeds : int, default=1
        Runs per epsilon (seeds 0, 1, ...); the table averages them.
    **loop_options
        Passed to :func:`simulate_feedback_loop` (``n_users``, ``rounds``, ``position_bias``...).

    Returns
    -------
    pandas.DataFrame
        One row per epsilon: ``exploration_cost`` (expected plays per listener and round given
        up in the explored slots, against the ranked songs they replaced), ``short_term_plays`` (plays per listener and round in the first
        five rounds after the warm-up: the price of exploring now), ``kendall_tau`` and ``ndcg``
        (final ranking vs true quality), ``exposure_gini`` (final), ``plays_per_user`` and
        ``utility`` (means over all rounds), ``coverage``, ``new_song_success``.

    Examples
    --------
    >>> table = exploration_tradeoff([0.0, 0.3], n_users=300, n_songs=200, rounds=15)
    >>> bool(table.loc[0.3, "kendall_tau"] > table.loc[0.0, "kendall_tau"])
    True
    >>> bool(table.loc[0.3, "exploration_cost"] > table.loc[0.0, "exploration_cost"] == 0)
    True
    """
    epsilons = [check_probability(e, "epsilons") for e in epsilons]
    if not epsilons:
        raise parameter_error("epsilons", "at least one value", epsilons)
    seeds = check_int(seeds, "seeds", low=1, high=100)
    return _sweep("epsilon", epsilons, seeds, policy, loop_options)


def compare_debiasing(policy: str = "ctr", methods: Sequence[str] = DEBIAS, *, seeds: int = 1,
                      **loop_options: Any) -> pd.DataFrame:
    """Run a learned policy once per debiasing method on the same worlds and compare.

    Parameters
    ----------
    policy : {"ctr", "personalised"}, default="ctr"
        The learned policy.
    methods : sequence of {"none", "position_feature", "ipw"}
        The variants.
    seeds : int, default=1
        Runs per method; the table averages them.
    **loop_options
        Passed to :func:`simulate_feedback_loop` (e.g. ``position_bias=1.0, epsilon=0.1``).

    Returns
    -------
    pandas.DataFrame
        One row per method, the columns of :func:`exploration_tradeoff`.

    Examples
    --------
    >>> table = compare_debiasing("ctr", n_users=400, n_songs=200, rounds=20, epsilon=0.1)
    >>> bool(table.loc["position_feature", "kendall_tau"] > table.loc["none", "kendall_tau"])
    True
    """
    policy = check_choice(policy, "policy", LEARNED_POLICIES)
    methods = [check_choice(m, "methods", DEBIAS) for m in methods]
    seeds = check_int(seeds, "seeds", low=1, high=100)
    return _sweep("debias", methods, seeds, policy, loop_options)


def song_estimates(history: LoopRun, methods: Sequence[str] = QUALITY_METHODS) -> pd.DataFrame:
    """Every song's true quality, where it was shown, and each method's estimate of its quality.

    Returns
    -------
    pandas.DataFrame
        One row per song in the final catalogue: ``true_quality``, ``impressions``,
        ``mean_slot`` (average slot shown, 1 = top; NaN if never shown) and one column per
        method (estimated play probability at slot 1, see :func:`estimate_song_quality`).

    Examples
    --------
    >>> run = simulate_feedback_loop("ctr", n_users=300, n_songs=200, rounds=10, seed=0)
    >>> list(song_estimates(run, ["play_rate", "ipw"]).columns)
    ['true_quality', 'impressions', 'mean_slot', 'play_rate', 'ipw']
    """
    import pandas as pd

    if not isinstance(history, LoopRun):
        raise parameter_error("history", "a LoopRun", type(history).__name__)
    methods = [check_choice(m, "methods", QUALITY_METHODS) for m in methods]
    n_available = history.world.available(history.rounds - 1)
    impressions = history.impressions_by_slot[:n_available]
    plays = history.plays_by_slot[:n_available]
    shown = impressions.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_slot = (impressions * np.arange(1, impressions.shape[1] + 1)).sum(axis=1) / shown
    table = pd.DataFrame({"true_quality": history.world.true_quality[:n_available],
                          "impressions": shown, "mean_slot": mean_slot})
    for method in methods:
        table[method] = estimate_song_quality(impressions, plays, method,
                                              position_bias=history.settings["position_bias"])
    return table.rename_axis("song")


def slot_dependence(history: LoopRun, methods: Sequence[str] = QUALITY_METHODS, *,
                    min_impressions: int = 20) -> pd.DataFrame:
    """Read song quality from one run's log four ways, and check each against the truth.

    Parameters
    ----------
    history : LoopRun
        A run (its impressions and plays per song and slot are the log).
    methods : sequence of str
        Estimators from :func:`estimate_song_quality`.
    min_impressions : int, default=20
        Songs shown at least this often are used for ``slot_leak``.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``kendall_tau`` (estimate at slot 1 vs true quality),
        ``kendall_tau_last_slot`` (estimate at slot k vs true quality), ``same_ranking``
        (Kendall tau between the rankings predicted at slot 1 and at slot k: 1 = the slot
        assumed does not matter) and ``slot_leak`` (Spearman correlation between a song's
        estimation error and the average slot it was shown in: negative = songs shown higher
        look better than they are, rank mistaken for quality).

    Examples
    --------
    >>> run = simulate_feedback_loop("ctr", n_users=500, n_songs=300, rounds=20, epsilon=0.1, seed=0)
    >>> table = slot_dependence(run)
    >>> table.loc[["slot_table", "position_feature"], "same_ranking"].round(2).tolist()
    [0.43, 1.0]
    """
    import pandas as pd
    from scipy.stats import spearmanr

    if not isinstance(history, LoopRun):
        raise parameter_error("history", "a LoopRun", type(history).__name__)
    methods = [check_choice(m, "methods", QUALITY_METHODS) for m in methods]
    min_impressions = check_int(min_impressions, "min_impressions", low=1)
    n_available = history.world.available(history.rounds - 1)
    impressions = history.impressions_by_slot[:n_available]
    plays = history.plays_by_slot[:n_available]
    k = impressions.shape[1]
    truth = history.world.true_quality[:n_available]
    shown = impressions.sum(axis=1)
    mean_slot = (impressions * np.arange(1, k + 1)).sum(axis=1) / np.maximum(shown, 1)
    used = shown >= min_impressions
    bias = history.settings["position_bias"]
    rows = []
    for method in methods:
        top = estimate_song_quality(impressions, plays, method, position=1, position_bias=bias)
        last = estimate_song_quality(impressions, plays, method, position=k, position_bias=bias)
        error = np.log(np.clip(top, 1e-9, None) / truth)
        leak = spearmanr(error[used], mean_slot[used]).statistic if used.sum() > 2 else np.nan
        rows.append({"method": method, "kendall_tau": kendall_tau(top, truth),
                     "kendall_tau_last_slot": kendall_tau(last, truth),
                     "same_ranking": kendall_tau(top, last), "slot_leak": float(leak)})
    return pd.DataFrame(rows).set_index("method")


@dataclass(eq=False)
class LoopReport:
    """One run of the loop and the slice table of its log (see :func:`loop_report`)."""

    history: LoopRun
    slices: object  # the slice_metrics DataFrame
    policy: str


#: The dashboard's run unless a :class:`LoopSettings` is given: a small world, 10% of listeners
#: in the randomised audit bucket.
REPORT_SETTINGS = LoopSettings(n_users=300, n_songs=200, audit_share=0.1)
#: The positional arguments ``loop_report`` took after ``policy`` before :class:`LoopSettings`.
_OLD_POSITIONS = ("epsilon", "position_bias", "k", "rounds")


def loop_report(policy: str | LoopSettings | None = None, settings: LoopSettings | float | None = None,
                *old_positions: float, slice_metric: str = "calibration",
                seed: int | np.random.Generator | None = 0,
                progress: Callable[[int, int], None] | None = None, **overrides: Any) -> LoopReport:
    """Run the loop and slice its log by song popularity and age: the chapter's dashboard.

    The run is described as in :func:`simulate_feedback_loop`: a :class:`LoopSettings`
    (``settings``, or the first argument) whose fields keywords override; without one, the
    dashboard's :data:`REPORT_SETTINGS` (300 listeners, 200 songs, 10% of listeners in the
    randomised audit bucket). Unless ``log_rounds`` is set, the last 3 rounds are logged.

    Parameters
    ----------
    policy : str or LoopSettings, optional
        A policy of :func:`simulate_feedback_loop` (default "popularity"), optionally with a
        position correction after a plus sign: ``"ctr+position_feature"``,
        ``"personalised+ipw"``; or the whole settings.
    settings : LoopSettings, optional
        The run's settings. (The old call ``loop_report(policy, epsilon, position_bias, k,
        rounds)`` still works for one release, with a ``DeprecationWarning``.)
    slice_metric : {"calibration", "hit rate"}, default="calibration"
        What :func:`slice_report` computes per slice (200 bootstrap replicates, at most 5,000
        rows, so that the dashboard stays fast).
    seed, progress
        As in :func:`simulate_feedback_loop`.
    **overrides
        Fields of :class:`LoopSettings` (``epsilon``, ``position_bias``, ``k``, ``rounds``,
        ``n_users``, ``n_songs``...); an unknown one is an error naming the closest field.

    Returns
    -------
    LoopReport
        The run's history, its slice table and the policy's name.

    Examples
    --------
    >>> report = loop_report("popularity", rounds=10, n_users=300, n_songs=200)
    >>> report.history.rounds, sorted(set(report.slices["by"]))
    (10, ['age', 'popularity'])
    >>> same = loop_report(LoopSettings("popularity", rounds=10, n_users=300, n_songs=200,
    ...                                 audit_share=0.1))
    >>> bool((same.history.exposure_gini == report.history.exposure_gini).all())
    True
    """
    if settings is not None and not isinstance(settings, LoopSettings):  # the old positional call
        given = (settings, *old_positions)
        if len(given) > len(_OLD_POSITIONS):
            raise parameter_error("settings", "a LoopSettings or None", settings)
        warnings.warn("loop_report(policy, epsilon, position_bias, k, rounds) is written "
                      "loop_report(policy, epsilon=..., k=...) now; the positional form will stop "
                      "working in the next release.", DeprecationWarning, stacklevel=2)
        clash = [name for name in _OLD_POSITIONS[:len(given)] if name in overrides]
        if clash:
            raise parameter_error(clash[0], "given once", overrides[clash[0]],
                                  fix=f"{clash[0]!r} was also given by position.")
        overrides = {**dict(zip(_OLD_POSITIONS, given, strict=False)), **overrides}
        settings = None
    elif old_positions:
        raise parameter_error("settings", "the last positional argument", old_positions[0],
                              fix="Give the other settings as keywords.")
    name = policy
    if isinstance(policy, str) and "+" in policy:
        name, _, debias = policy.partition("+")
        overrides = {"debias": debias or "none", **overrides}
    if settings is None and not isinstance(policy, LoopSettings):
        settings = REPORT_SETTINGS
    values = _check(settings_values(LoopSettings, settings, overrides, first=("policy", name)), None)
    if values["log_rounds"] is None:
        values["log_rounds"] = min(3, values["rounds"])
    run = simulate_feedback_loop(LoopSettings(**values), seed=seed, progress=progress)
    table = slice_report(run, slice_metric, n_boot=200, max_rows=5000, seed=seed)
    label = policy if isinstance(policy, str) else values["policy"] + (
        "" if values["debias"] == "none" else "+" + values["debias"])
    return LoopReport(run, table, label)
