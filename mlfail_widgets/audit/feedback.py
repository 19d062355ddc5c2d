"""The feedback-loop check of chapter 06 on your own impressions log, from one GROUP BY.

A recommender's log (one row per item shown: when, which item, whether it was played, and the
model's predicted play probability) is aggregated in its engine to one row per (day, item):
impressions, plays, and the sums the slice statistics need. Everything else is numpy on that
small table:

* exposure Gini per day over the items released so far (:func:`~mlfail_widgets.failures.feedback.gini`),
* the share of impressions that went to new items (first shown less than ``new_days`` ago),
* the calibration (or play rate) of the current window by item popularity (head, torso, tail,
  ranked by plays in the reference window) and by item age (new, old), with the intervals and
  corrected flags of :func:`mlfail_widgets.audit.slice_report`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._renamed import renamed_classes
from .._settings import settings_with
from .._validation import parameter_error
from ._frames import as_log, check_window_rows, timestamp_expression, windows_apart
from ._progress import Steps
from ._settings import FeedbackSettings

__all__ = ["FeedbackReport", "feedback_check"]



@dataclass
class FeedbackReport:
    """What :func:`feedback_check` found.

    Attributes
    ----------
    daily : pandas.DataFrame
        One row per day: ``day``, ``impressions``, ``items_shown``, ``catalogue`` (items first
        shown by then), ``exposure_gini``, ``new_item_share``, ``play_rate``.
    slices : SliceResult
        The slices (as ``slice_metrics`` returns them) of the current window by ``popularity``
        and ``age``.
    metric : str
        ``"calibration"`` (mean predicted minus played) or ``"rate"`` (play rate).
    """

    daily: Any
    slices: Any
    metric: str

    @property
    def gini_change(self) -> float:
        """Exposure Gini of the last day minus that of the first."""
        gini = self.daily["exposure_gini"].to_numpy()
        return float(gini[-1] - gini[0])


def feedback_check(
    data: Any,
    reference: Sequence,
    current: Sequence,
    settings: FeedbackSettings | None = None,
    *,
    item: str = "item_id",
    timestamp: str = "timestamp",
    played: str = "played",
    prediction: str | None = "score",
    threads: int | None = None,
    progress: Callable[[int, int, str], None] | str | None = "auto",
    **overrides: Any,
) -> FeedbackReport:
    """Chapter 06's feedback-loop check on an impressions log.

    Parameters
    ----------
    data : dataframe or str or Path
        One row per item shown (any engine, or a Parquet/CSV path).
    reference, current : (start, end)
        Popularity is ranked on the reference window; slices are judged on the current one.
        Each must hold rows of the log, and they may not overlap (an item's plays would rank
        it and be judged by that rank). A window is matched by day: a row counts if its day
        starts inside it.
    settings : FeedbackSettings, optional
        How items are sliced and the slices judged: the fields below from ``new_days`` to
        ``confidence``; default ``FeedbackSettings()``. Each field can also be given as a
        keyword, which overrides ``settings``.
    item, timestamp, played, prediction : str
        Column names: the item shown, when, whether it was played (0/1), and the model's
        predicted play probability (None: judge the play rate instead of calibration).
    threads : int, optional
        DuckDB threads, when ``data`` is a file path.
    progress : "auto", None or callable, default="auto"
        ``progress(done, total, label)``, called before each step; ``"auto"`` writes a text bar to
        standard error once the call has run for 2 s (in a notebook or a terminal); None is silent.
    **overrides
        Fields of :class:`FeedbackSettings`:

    new_days : int, default=7
        An item is new for this many days after it is first shown in the log.
    head, torso : float, default=0.1, 0.5
        The top ``head`` share of items by reference plays is the head, down to ``torso`` the
        torso, the rest (and items never played then) the tail.
    min_size, confidence
        As in :func:`mlfail_widgets.audit.slice_report` (Holm's correction over all slices).

    Returns
    -------
    FeedbackReport

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> days = np.repeat(pd.date_range("2026-01-01", periods=20), 500)
    >>> items = np.minimum(rng.zipf(1.5, size=days.size), 200)
    >>> log = pd.DataFrame({"timestamp": days, "item_id": items,
    ...                     "played": (rng.random(days.size) < 0.3).astype(int), "score": 0.3})
    >>> check = feedback_check(log, ("2026-01-01", "2026-01-11"), ("2026-01-11", "2026-01-21"))
    >>> len(check.daily), round(float(check.daily["exposure_gini"].iloc[-1]), 2)
    (20, 0.91)
    >>> check.slices[["slice", "flagged"]].values.tolist()
    [['head', False], ['torso', False], ['tail', False], ['new', False], ['old', False]]

    The same check from a settings object, a keyword overriding one of its fields:

    >>> wide = FeedbackSettings(head=0.2, torso=0.6, min_size=50)
    >>> again = feedback_check(log, ("2026-01-01", "2026-01-11"), ("2026-01-11", "2026-01-21"), wide, head=0.1)
    >>> again.slices.min_size, again.slices.to_frame().equals(check.slices.to_frame())
    (50, False)
    """
    import narwhals as nw
    import pandas as pd

    from ..failures.feedback import gini
    from ..slicing import apply_min_size
    from ._row_values import binary_check
    from .slices import slice_table

    chosen = settings_with(FeedbackSettings, settings, overrides,
                           also=("item", "timestamp", "played", "prediction", "threads", "progress"))
    new_days, head, torso = chosen.new_days, chosen.head, chosen.torso
    min_size, confidence = chosen.min_size, chosen.confidence
    log = as_log(data, threads=threads)
    log.check([item, played], "item" if item not in log.columns else "played")
    if prediction is not None:
        log.check(prediction, "prediction")
    bounds = windows_apart({"reference": reference, "current": current})  # popularity from other rows
    steps = Steps(progress, 2, "feedback_check")
    steps("checking the columns")
    binary_check(log, log.frame, played, "played")
    t = timestamp_expression(log, timestamp)
    y = nw.col(played).cast(nw.Float64)
    value = y if prediction is None else nw.col(prediction).cast(nw.Float64) - y
    steps("impressions per day and item")
    out = log.collect(
        log.frame.select(t.dt.truncate("1d").alias("_day"), nw.col(item).alias("_item"), y.alias("_plays"),
                         value.alias("_v"), (value * value).alias("_q"))
        .group_by("_day", "_item").agg(nw.len().alias("_n"), nw.col("_plays").sum(), nw.col("_v").sum(),
                                       nw.col("_q").sum()))
    if not len(out["_day"]):
        raise parameter_error("data", "a log with rows", "an empty log")
    day = pd.to_datetime(out["_day"]).to_numpy()
    days, day_index = np.unique(day, return_inverse=True)
    items, item_index = np.unique(out["_item"].astype(str) if out["_item"].dtype == object else out["_item"],
                                  return_inverse=True)
    n, plays, v, q = (out[k].astype(float) for k in ("_n", "_plays", "_v", "_q"))
    first = np.full(items.size, days.size)
    np.minimum.at(first, item_index, day_index)

    rows = []
    exposure = np.zeros((days.size, items.size))
    np.add.at(exposure, (day_index, item_index), n)
    age_days = (days[day_index] - days[first[item_index]]) / np.timedelta64(1, "D")
    new = age_days < new_days
    for d in range(days.size):
        released = first <= d
        today = day_index == d
        shown = exposure[d].sum()
        rows.append((days[d], int(shown), int((exposure[d] > 0).sum()), int(released.sum()),
                     gini(exposure[d, released]), float(n[today & new].sum() / shown),
                     float(plays[today].sum() / shown)))
    daily = pd.DataFrame(rows, columns=["day", "impressions", "items_shown", "catalogue", "exposure_gini",
                                        "new_item_share", "play_rate"])

    def in_window(name):
        start, end = bounds[name]
        return (day >= np.datetime64(start)) & (day < np.datetime64(end))

    before, now = in_window("reference"), in_window("current")
    # an empty reference would rank no item (every one the tail, new/old judged on nothing)
    check_window_rows(log, timestamp, bounds, {"reference": n[before].sum(), "current": n[now].sum()})
    reference_plays = np.zeros(items.size)
    np.add.at(reference_plays, item_index[before], plays[before])
    ranked = np.argsort(-reference_plays, kind="stable")
    share = np.empty(items.size)
    share[ranked] = np.arange(items.size) / items.size
    tier = np.where((share < head) & (reference_plays > 0), 0,
                    np.where((share < torso) & (reference_plays > 0), 1, 2))
    metric = "rate" if prediction is None else "calibration"
    kind = "proportion" if prediction is None else "mean"
    values = plays if prediction is None else v
    blocks = []
    for by, codes, labels in (("popularity", tier[item_index], ["head", "torso", "tail"]),
                              ("age", np.where(new, 0, 1), ["new", "old"])):
        k = len(labels)
        sums = [np.bincount(codes[now], weights=w[now], minlength=k) for w in (n, values, q)]
        blocks.append(slice_table(by, labels, sums[0], sums[1], sums[2], kind=kind, metric=metric, fixed=True,
                                  confidence=confidence, correction="holm", min_size=1, engine=log.engine))
    both = blocks[0].with_rows(pd.concat([b.by_slice for b in blocks], ignore_index=True))
    steps.finish()
    return FeedbackReport(daily, apply_min_size(both, min_size), metric)


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"FeedbackCheck": FeedbackReport})
