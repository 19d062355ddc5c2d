"""Detecting the loop: slice the logged data by song popularity and song age.

A degenerate loop hides in the aggregate: the model is well calibrated on the songs it shows
all the time (the head), and those rows are nearly all of the log. Split the log by song
popularity (head / torso / tail) and by song age (new / old) and the tail and the new songs
stand out: the model predicts them as if they were hits, because it has hardly ever seen them.
A large gap between slices is the warning sign of a degenerate feedback loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_choice, check_float, check_int, parameter_error
from .simulate import LoopRun

if TYPE_CHECKING:
    import pandas as pd

    from ...slicing import SliceResult

__all__ = ["AGE_GROUPS", "POPULARITY_BUCKETS", "SLICE_METRICS", "calibration_gap", "logged_data",
           "slice_report"]

POPULARITY_BUCKETS = ("head", "torso", "tail")
AGE_GROUPS = ("new", "old")


def calibration_gap(played: Any, predicted: Any) -> float:
    """Mean predicted play probability minus the observed play rate (0 = calibrated).

    Examples
    --------
    >>> calibration_gap([0, 1, 0, 0], [0.5, 0.5, 0.5, 0.5])
    0.25
    """
    return float(np.mean(predicted) - np.mean(played))


calibration_gap.__name__ = "calibration gap (predicted minus observed play rate)"

#: The metrics offered per slice: a name for the learner -> what ``slice_metrics`` gets.
SLICE_METRICS = {"calibration": "calibration", "hit rate": "rate"}


def logged_data(history: LoopRun, *, head: float = 0.1, torso: float = 0.5) -> pd.DataFrame:
    """The run's logged rows as a DataFrame, with each song's popularity bucket and age group.

    Parameters
    ----------
    history : LoopRun
        A run of :func:`simulate_feedback_loop` (its ``log`` holds the last ``log_rounds``).
    head, torso : float, default=0.1, 0.5
        Songs ranked by plays at the end of the run: the top ``head`` share of the catalogue is
        the head, down to the top ``torso`` share the torso, the rest the tail.

    Returns
    -------
    pandas.DataFrame
        Columns ``round``, ``user``, ``song``, ``position``, ``played`` (0/1), ``predicted``,
        ``audit``, ``popularity`` (ordered head < torso < tail), ``age`` (``new``: released in
        the ``new_window`` rounds before the row, else ``old``).

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop
    >>> run = simulate_feedback_loop("popularity", n_users=200, n_songs=100, rounds=10,
    ...                              audit_share=0.1, log_rounds=2, seed=0)
    >>> data = logged_data(run)
    >>> len(data), data["popularity"].value_counts().sort_index().tolist()
    (4000, [3645, 166, 189])
    """
    import pandas as pd

    if not isinstance(history, LoopRun):
        raise parameter_error("history", "a LoopRun from simulate_feedback_loop",
                              type(history).__name__)
    head = check_float(head, "head", low=0.0, high=1.0, low_open=True)
    torso = check_float(torso, "torso", low=head, high=1.0,
                        fix="torso is a larger share than head (the head is part of it).")
    frame = pd.DataFrame(history.log)
    if frame.empty:
        raise parameter_error("history", "a run that logged rows (log_rounds >= 1)",
                              "a run with log_rounds=0")
    world = history.world
    n_available = world.available(history.rounds - 1)
    plays = history.plays.sum(axis=0)[:n_available]
    rank = np.empty(n_available, dtype=np.int64)
    rank[np.argsort(-plays, kind="stable")] = np.arange(n_available)
    share = rank / n_available
    bucket = np.where(share < head, 0, np.where(share < torso, 1, 2))
    songs = frame["song"].to_numpy()
    frame["played"] = frame["played"].astype(np.int8)
    frame["popularity"] = pd.Categorical.from_codes(bucket[songs], POPULARITY_BUCKETS, ordered=True)
    release = world.release[songs]
    new = (release > 0) & (frame["round"].to_numpy() - release < history.settings["new_window"])
    frame["age"] = pd.Categorical.from_codes(np.where(new, 0, 1), AGE_GROUPS, ordered=True)
    return frame


def slice_report(history: LoopRun, metric: str = "calibration", *,
                 by: Any = ("popularity", "age"), min_size: int = 30, n_boot: int = 400,
                 max_rows: int | None = 20_000, seed: int | np.random.Generator | None = 0) -> SliceResult:
    """The model's performance on every popularity bucket and age group of the log.

    Parameters
    ----------
    history : LoopRun
        The run to inspect.
    metric : {"calibration", "hit rate"}, default="calibration"
        ``"calibration"``: :func:`calibration_gap` of the logged play probabilities (a signed
        mean with a t-interval); ``"hit rate"``: the share of shown songs that were played.
    by : sequence of {"popularity", "age"}
        The slicing columns.
    min_size : int, default=30
        Slices with fewer rows are reported as too small to judge.
    n_boot : int, default=400
        Bootstrap replicates, for callables passed as metrics (the named metrics have
        analytic intervals).
    max_rows : int or None, default=20_000
        Judge a uniform random sample of at most this many rows (keeps the bootstrap fast);
        None: all rows.
    seed : int, Generator or None, default=0
        For the sample and the bootstrap.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`mlfail_widgets.slicing.slice_metrics` (``by``, ``slice``, ``size``,
        ``metric``, ``low``, ``high``, ``gap``, ``flagged``, ``status``...).

    Examples
    --------
    >>> from mlfail_widgets.failures.feedback import simulate_feedback_loop
    >>> run = simulate_feedback_loop("popularity", n_users=500, n_songs=300, rounds=20,
    ...                              audit_share=0.05, log_rounds=4, seed=0)
    >>> table = slice_report(run, n_boot=100)
    >>> table.set_index("slice").loc[["head", "tail"], "metric"].round(3).tolist()
    [-0.002, 0.029]
    """
    from ...slicing import slice_metrics

    metric = check_choice(metric, "metric", list(SLICE_METRICS))
    columns = [by] if isinstance(by, str) else list(by)
    for column in columns:
        check_choice(column, "by", ["popularity", "age"])
    n_boot = check_int(n_boot, "n_boot", low=20, high=100_000)
    rng = resolve_rng(seed)
    data = logged_data(history)
    if max_rows is not None:
        max_rows = check_int(max_rows, "max_rows", low=100)
        if len(data) > max_rows:
            data = data.iloc[np.sort(rng.choice(len(data), size=max_rows, replace=False))]
    return slice_metrics(data, columns, SLICE_METRICS[metric], target="played", prediction="predicted",
                         min_size=min_size, n_boot=n_boot, seed=rng)
