"""Data that drifts week by week, so that a newer model is a better model on current data.

The true decision boundary of a two-feature classification task turns by a few degrees every
week (concept drift: the same inputs come to mean something else). A model trained on week
``w`` fits week ``w``; on later weeks it is wrong on a growing wedge of the input space. That
is what makes a stale deployment costly, and silent: the old model still answers, with
confidence, just more often wrongly.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_float, check_int
from ...models import LogisticRegression

if TYPE_CHECKING:
    import pandas as pd

    from ..._random import Seed
    from .registry import ModelRegistry, ModelVersion

__all__ = ["WeeklyData", "accuracy_by_version", "drifting_weeks", "register_weekly_models", "train_week"]


@dataclass(frozen=True)
class WeeklyData:
    """Labelled data for weeks 1..``weeks``; each week split into train, golden and traffic rows.

    ``train`` (half of the week) fits that week's model; ``golden`` (a quarter) is the labelled
    set a canary checks a candidate on; ``traffic`` (a quarter) stands for the requests the
    service answers that week, labelled later, on which its accuracy is measured.
    """

    X: np.ndarray  # (weeks, rows per week, 2)
    y: np.ndarray  # (weeks, rows per week)
    angle: np.ndarray  # the true boundary's angle per week, degrees
    drift_per_week: float

    @property
    def weeks(self) -> int:
        return self.X.shape[0]

    def _rows(self, week: int, part: str) -> tuple[np.ndarray, np.ndarray]:
        week = check_int(week, "week", low=1, high=self.weeks)
        n = self.X.shape[1]
        cut = {"train": slice(0, n // 2), "golden": slice(n // 2, 3 * n // 4),
               "traffic": slice(3 * n // 4, n)}[part]
        return self.X[week - 1, cut], self.y[week - 1, cut]

    def train(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows week ``week``'s model is trained on."""
        return self._rows(week, "train")

    def golden(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """The labelled golden set of week ``week`` (what a canary is checked on)."""
        return self._rows(week, "golden")

    def traffic(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """The requests of week ``week``, with their (later known) labels."""
        return self._rows(week, "traffic")


def drifting_weeks(weeks: int = 12, *, rows_per_week: int = 800, drift_per_week: float = 8.0,
                   noise: float = 0.15, seed: Seed = None) -> WeeklyData:
    """Weeks of labelled data whose decision boundary turns by ``drift_per_week`` degrees a week.

    Parameters
    ----------
    weeks : int, default=12
        How many weeks, in [1, 104].
    rows_per_week : int, default=800
        Rows per week, in [40, 100000] (half train, a quarter golden, a quarter traffic).
    drift_per_week : float, default=8.0
        Degrees the true boundary turns per week, in [0, 45].
    noise : float, default=0.15
        Label noise: standard deviation of the noise added to the score before thresholding.
    seed : int, numpy.random.Generator or None
        Seeds everything.

    Examples
    --------
    >>> data = drifting_weeks(6, seed=0)
    >>> data.X.shape, data.angle.tolist()
    ((6, 800, 2), [0.0, 8.0, 16.0, 24.0, 32.0, 40.0])
    >>> X, y = data.train(6)
    >>> X.shape, round(float(y.mean()), 2)
    ((400, 2), 0.56)
    """
    weeks = check_int(weeks, "weeks", low=1, high=104)
    rows = check_int(rows_per_week, "rows_per_week", low=40, high=100_000)
    drift = check_float(drift_per_week, "drift_per_week", low=0, high=45)
    noise = check_float(noise, "noise", low=0, high=5)
    rng = resolve_rng(seed)
    angle = drift * np.arange(weeks, dtype=float)
    radians = np.deg2rad(angle)
    normal = np.stack([np.cos(radians), np.sin(radians)], axis=1)  # (weeks, 2)
    X = rng.normal(size=(weeks, rows, 2))
    score = np.einsum("wnk,wk->wn", X, normal) + noise * rng.normal(size=(weeks, rows))
    return WeeklyData(X, (score > 0).astype(int), angle, drift)


def train_week(data: WeeklyData, week: int, *, flipped_labels: bool = False) -> LogisticRegression:
    """Train week ``week``'s model; ``flipped_labels`` simulates a label-encoding bug upstream.

    With ``flipped_labels`` the 0 and 1 labels are swapped (a new upstream job encodes the
    classes the other way round): the model trains without complaint and learns the opposite.

    Examples
    --------
    >>> data = drifting_weeks(4, seed=0)
    >>> good = train_week(data, 4)
    >>> bad = train_week(data, 4, flipped_labels=True)
    >>> good.score(*data.traffic(4)) > 0.9, bad.score(*data.traffic(4)) < 0.1
    (True, True)
    """
    X, y = data.train(week)
    if flipped_labels:
        y = 1 - y
    return LogisticRegression().fit(X, y)


def accuracy_by_version(data: WeeklyData, week: int) -> pd.DataFrame:
    """The accuracy, on week ``week``'s traffic, of the model trained in each week up to it.

    Version ``v`` is the model trained on week ``v``; ``weeks_old`` is how stale it is.

    Examples
    --------
    >>> table = accuracy_by_version(drifting_weeks(6, seed=0), 6)
    >>> table.columns.tolist(), table.index.tolist()
    (['weeks_old', 'accuracy'], [1, 2, 3, 4, 5, 6])
    >>> bool(table.loc[6, "accuracy"] > table.loc[1, "accuracy"] + 0.1)
    True
    """
    import pandas as pd

    week = check_int(week, "week", low=1, high=data.weeks)
    X, y = data.traffic(week)
    scores = [train_week(data, version).score(X, y) for version in range(1, week + 1)]
    return pd.DataFrame({"weeks_old": [week - v for v in range(1, week + 1)], "accuracy": scores},
                        index=pd.Index(range(1, week + 1), name="version"))


def register_weekly_models(registry: ModelRegistry, data: WeeklyData, weeks: Iterable[int], *,
                           flipped_weeks: Container[int] = ()) -> list[ModelVersion]:
    """Train one model per week in ``weeks`` and register each (version numbers follow).

    Each version records its golden-set accuracy under ``metrics`` and its week under ``tags``.
    Weeks in ``flipped_weeks`` are trained on flipped labels (a label-encoding bug).

    Examples
    --------
    >>> import tempfile
    >>> from mlfail_widgets.failures.deployment import ModelRegistry
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     added = register_weekly_models(registry, drifting_weeks(3, seed=0), [1, 2, 3])
    >>> [(v.version, v.tags["week"]) for v in added]
    [(1, 1), (2, 2), (3, 3)]
    """
    added = []
    for week in weeks:
        model = train_week(data, week, flipped_labels=week in flipped_weeks)
        accuracy = model.score(*data.golden(week))
        added.append(registry.register(model, training_data=data.train(week),
                                       metrics={"golden_accuracy": round(accuracy, 4)},
                                       tags={"week": int(week)}))
    return added
