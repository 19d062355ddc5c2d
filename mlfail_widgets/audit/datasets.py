"""The chapter's example log: 60 days of a music service's impressions, shipped in ``data/``.

``data/music_impressions.parquet`` was written once by :func:`make_music_log` (seed 0): chapter
06's simulator (:func:`~mlfail_widgets.failures.feedback.simulate_feedback_loop`, a popularity
recommender, 300 listeners, 400 songs of which a fifth are released during the run) with its
rounds as days and a schema like a real service's log: one row per song shown. Everything in it
is simulated; the chapter says so. :func:`music_log_path` finds the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MUSIC_LOG", "make_music_log", "music_log_path", "penguins_path"]

#: The shipped file's name in ``data/``.
MUSIC_LOG = "music_impressions.parquet"
_START = "2026-01-05"


def make_music_log(*, days: int = 60, listeners: int = 300, songs: int = 400, seed: int = 0) -> pd.DataFrame:
    """Simulate the impressions log (the shipped file is ``make_music_log()``).

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (when the song was shown), ``user_id``, ``device`` (each listener's, at
        random), ``item_id``, ``position`` (1 = top of the list), ``score`` (the model's
        predicted play probability), ``played`` (0/1), ``audit`` (1 on the share of lists shown
        at random, the recommender's exploration traffic).

    Examples
    --------
    >>> log = make_music_log(days=3, listeners=20, songs=50)
    >>> len(log), log.columns.tolist()
    (600, ['timestamp', 'user_id', 'device', 'item_id', 'position', 'score', 'played', 'audit'])
    """
    import numpy as np
    import pandas as pd

    from ..failures.feedback import simulate_feedback_loop

    run = simulate_feedback_loop("popularity", n_users=listeners, n_songs=songs, rounds=days,
                                 audit_share=0.05, log_rounds=days, seed=seed)
    rng = np.random.default_rng(seed)
    log = pd.DataFrame(run.log)
    user = log["user"].to_numpy()
    device = np.array(["app", "web", "tv"])[rng.choice(3, size=listeners, p=[0.6, 0.3, 0.1])]
    session = rng.uniform(6 * 3600, 23 * 3600, size=(days, listeners))  # each listener's daily visit
    seconds = session[log["round"].to_numpy(), user] + log["position"].to_numpy() * 20.0
    timestamp = (pd.Timestamp(_START) + pd.to_timedelta(log["round"].to_numpy(), unit="D")
                 + pd.to_timedelta(np.round(seconds), unit="s"))
    out = pd.DataFrame({
        "timestamp": timestamp, "user_id": [f"u{u:04d}" for u in user], "device": device[user],
        "item_id": [f"s{s:04d}" for s in log["song"].to_numpy()],
        "position": log["position"].to_numpy().astype(np.int16),
        "score": np.round(log["predicted"].to_numpy(dtype=float), 6),
        "played": log["played"].to_numpy().astype(np.int8), "audit": log["audit"].to_numpy().astype(np.int8)})
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


def penguins_path() -> Path:
    """Path of ``data/penguins.csv`` (the Palmer penguins of chapter 05), wherever the course runs.

    Examples
    --------
    >>> penguins_path().name
    'penguins.csv'
    """
    from .._data import data_path

    return data_path("penguins.csv")


def music_log_path() -> Path:
    """Path of ``data/music_impressions.parquet``.

    Examples
    --------
    >>> music_log_path().name
    'music_impressions.parquet'
    """
    from .._data import data_path

    return data_path(MUSIC_LOG)
