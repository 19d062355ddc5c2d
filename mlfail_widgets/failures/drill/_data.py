"""The model's inputs and its quality: chapter 05's task, a drift report and delayed labels.

The production model is chapter 05's :class:`~mlfail_widgets.failures.shift.TabularClassifier`
on four of the five logged features (``x4`` is logged for another team and not used). Daily
quality is its accuracy on that day's requests once their labels arrive (a day later). A shift
draws the days after the change from :func:`~mlfail_widgets.failures.shift.make_shift`; a
failure elsewhere that corrupts the served predictions (a stale model, a changed library
default, a flipped bit) makes a measured share of them wrong (``accuracy_cost``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DISPLAY_NAMES", "USED", "daily_quality", "drift_report"]

#: How the dashboard names chapter 05's features (all standardised).
DISPLAY_NAMES = {"x1": "listening_time", "x2": "skip_rate", "x3": "playlist_adds",
                 "x4": "device_volume", "channel": "client_app"}
USED = ("x1", "x2", "x3", "channel")
_ALL = ("x1", "x2", "x3", "x4", "channel")
ROWS_PER_DAY = 1000
DRIFT_ROWS = 2000
PSI_FLOOR = 0.1


@lru_cache(maxsize=8)
def _model(world: int):
    from ..shift import TabularClassifier, reference_data

    return TabularClassifier(list(USED)).fit(reference_data(4000, seed=100 + world))


@lru_cache(maxsize=8)
def _training_sample(world: int):
    from ..shift import reference_data

    return reference_data(DRIFT_ROWS, seed=200 + world)


def _sample(n: int, rng, shift: tuple | None):
    from ..shift import make_shift, reference_data

    if shift is None:
        return reference_data(n, seed=rng)
    kind, magnitude = shift
    return make_shift(kind, magnitude, n_reference=1, n_current=n, seed=rng).current


def daily_quality(world: int, days: int, rng: np.random.Generator, *, change_day: int | None = None,
                  shift: tuple | None = None, accuracy_cost: float = 0.0) -> pd.DataFrame:
    """Accuracy and predicted-positive share per day (``day`` counts back: -1 is yesterday).

    Examples
    --------
    >>> import numpy as np
    >>> table = daily_quality(0, 14, np.random.default_rng(0), change_day=-5, shift=("concept", 2.5))
    >>> table["day"].tolist()[:3], bool(table["accuracy"].iloc[-1] < table["accuracy"].iloc[0] - 0.05)
    ([-14, -13, -12], True)
    """
    import pandas as pd

    model = _model(world)
    day_numbers = np.arange(-days, 0)
    after = np.zeros(days, dtype=bool) if change_day is None else day_numbers >= change_day
    n_after = int(after.sum())
    frames = [_sample(ROWS_PER_DAY * (days - n_after), rng, None)]
    if n_after:
        frames.append(_sample(ROWS_PER_DAY * n_after, rng, shift))
    frame = pd.concat(frames, ignore_index=True) if n_after else frames[0]
    predicted = model.predict(frame)
    correct = predicted == frame["label"].to_numpy()
    if n_after and accuracy_cost > 0:  # a measured share of served predictions goes wrong
        tail = slice(ROWS_PER_DAY * (days - n_after), None)
        share = accuracy_cost / max(float(correct[tail].mean()), 1e-9)
        correct[tail] &= rng.random(ROWS_PER_DAY * n_after) >= share
    per_day = correct.reshape(days, ROWS_PER_DAY).mean(axis=1)
    positive = (predicted == 1).reshape(days, ROWS_PER_DAY).mean(axis=1)
    return pd.DataFrame({"day": day_numbers, "labelled": ROWS_PER_DAY, "accuracy": per_day,
                         "predicted_positive": positive})


def drift_report(world: int, rng: np.random.Generator, *, shift: tuple | None = None,
                 unused_offset: float = 0.0) -> pd.DataFrame:
    """Chapter 05's per-feature drift tests: training data against the last 24 hours.

    Returns the table the learner sees: ``feature``, ``used_by_model``, ``test``,
    ``statistic``, ``p_value`` (Bonferroni-adjusted), ``psi``, ``flagged``: adjusted p < 0.01
    and PSI >= 0.1 (with 2,000 rows a test finds trivial differences too; the PSI floor keeps
    the alarm for moves that matter).

    Examples
    --------
    >>> import numpy as np
    >>> table = drift_report(0, np.random.default_rng(1), unused_offset=0.8)
    >>> table.loc[table["flagged"], "feature"].tolist()
    ['device_volume']
    """
    import pandas as pd

    from ..shift import detect_drift

    current = _sample(DRIFT_ROWS, rng, shift)
    if unused_offset:
        current["x4"] = current["x4"] + unused_offset
    report = pd.DataFrame(detect_drift(_training_sample(world), current, columns=list(_ALL), alpha=0.01).table)
    return pd.DataFrame({
        "feature": [DISPLAY_NAMES[c] for c in report["column"]],
        "used_by_model": [c in USED for c in report["column"]],
        "test": report["test"].to_numpy(),
        "statistic": report["statistic"].to_numpy(float),
        "p_value": report["adjusted_pvalue"].to_numpy(float),
        "psi": report["psi"].to_numpy(float),
        "flagged": report["drifted"].to_numpy(bool) & (report["psi"].to_numpy(float) >= PSI_FLOOR),
    })
