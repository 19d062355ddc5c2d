"""The home-page recommender: chapter 06's feedback-loop simulator, healthy or degenerate.

A run is 28 rounds (days) of 600 listeners and a catalogue growing to 300 songs; the
dashboard shows the last 21 (the first week is the loop's warm-up). The healthy system ranks by estimated play rate with 10% exploration; each
degenerate variant is one of chapter 06's loops. Runs are cached per world (``seed % 4``), so
a sweep over hundreds of drills simulates each configuration once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CONFIGS", "DAYS", "recommender_evidence"]

DAYS = 21
_ROUNDS = 28
CONFIGS: dict[str | None, dict[str, Any]] = {
    None: {"policy": "ctr", "epsilon": 0.1},
    "popularity ranking": {"policy": "popularity", "epsilon": 0.0},
    "too little exploration": {"policy": "popularity", "epsilon": 0.05},
    "position bias": {"policy": "personalised", "epsilon": 0.0, "position_bias": 2.0},
}


@lru_cache(maxsize=16)
def recommender_evidence(world: int, variant: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(daily, slices)``: per-day loop metrics and the hit rate per slice of the last 3 days.

    ``daily`` has ``day`` (-21 .. -1), ``new_song_share`` (share of plays going to songs
    released in the last 5 days) and its 5-day mean ``new_song_share_5d``,
    ``exposure_gini``, ``coverage`` and ``plays_per_listener``; ``slices`` has ``by``, ``slice``, ``impressions``,
    ``impression_share``, ``hit_rate``, ``low``, ``high``.

    Examples
    --------
    >>> daily, slices = recommender_evidence(0)
    >>> len(daily), slices["slice"].tolist()
    (21, ['head', 'torso', 'tail', 'new', 'old'])
    """
    import pandas as pd

    from ..feedback import logged_data, simulate_feedback_loop, slice_report

    run = simulate_feedback_loop(n_users=600, n_songs=300, rounds=_ROUNDS, audit_share=0.05,
                                 log_rounds=3, seed=world, **CONFIGS[variant])
    metrics = {name: np.asarray(values, dtype=float) for name, values in run.metrics.items()}
    mean = np.convolve(metrics["new_song_share"], np.ones(5) / 5, mode="valid")
    keep = slice(_ROUNDS - DAYS, _ROUNDS)
    daily = pd.DataFrame({"day": np.arange(-DAYS, 0), "new_song_share": metrics["new_song_share"][keep],
                          "new_song_share_5d": mean[-DAYS:],
                          "exposure_gini": metrics["exposure_gini"][keep], "coverage": metrics["coverage"][keep],
                          "plays_per_listener": metrics["plays_per_user"][keep]})
    table = slice_report(run, "hit rate", n_boot=100, max_rows=6000, seed=world)
    log = logged_data(run)
    counts = {**log["popularity"].value_counts().to_dict(), **log["age"].value_counts().to_dict()}
    slices = pd.DataFrame({
        "by": table["by"].to_numpy(), "slice": table["slice"].astype(str).to_numpy(),
        "impressions": [int(counts.get(s, 0)) for s in table["slice"].astype(str)],
        "hit_rate": table["metric"].to_numpy(float), "low": table["low"].to_numpy(float),
        "high": table["high"].to_numpy(float)})
    slices.insert(3, "impression_share", slices["impressions"] / len(log))
    return daily, slices
