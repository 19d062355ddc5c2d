"""Exercises of chapter 08, "Your own system"."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import choice, numeric, open_question

if TYPE_CHECKING:
    from ..audit import FeedbackReport

REFERENCE = ("2026-01-05", "2026-01-19")  # the music log's first two weeks
CURRENT = ("2026-02-20", "2026-03-06")  # and its last two
FEATURES = ["position", "score", "device", "played"]


def _music_log() -> Path:
    from ..audit.datasets import music_log_path

    return music_log_path()


@functools.lru_cache(maxsize=1)
def _feedback() -> FeedbackReport:
    from ..audit import feedback_check

    return feedback_check(_music_log(), REFERENCE, CURRENT)


def _new_share() -> float:
    daily = _feedback().daily
    start, end = (np.datetime64(v) for v in CURRENT)
    inside = (daily["day"] >= start) & (daily["day"] < end)
    return float(daily.loc[inside, "new_item_share"].mean())


def _new_flagged() -> str:
    from ..audit import feedback_check

    slices = feedback_check(_music_log(), REFERENCE, CURRENT, new_days=14).slices
    return "yes" if bool(slices.set_index("slice").loc["new", "flagged"]) else "no"


def _top_rate() -> float:
    from ..audit import slice_report

    table = slice_report(_music_log(), "position", "rate", window=CURRENT, target="played")
    return float(table["metric"].iloc[0])


numeric(
    "08.1",
    "From feedback_check on the music log (the chapter's windows), what share of the impressions went "
    "to new songs, on average over the days of the current window?",
    _new_share,
    abs_tol=0.0002,
    hint="loop.daily has a 'day' and a 'new_item_share' column: keep the rows whose day is in CURRENT "
    "(start included, end excluded), then take the .mean() of the share.",
    explanation="About a tenth of a percent: new songs are released every few days, yet the popularity "
    "recommender almost never shows them, so they never gather the plays that would make them popular. "
    "That is the feedback loop of chapter 06, measured on a log.",
)

choice(
    "08.2",
    "In the chapter, the 'new' age slice (songs first shown less than 7 days before) is not flagged. "
    "Run feedback_check again with new_days=14: is the 'new' slice flagged for calibration now "
    "(yes or no)?",
    ["yes", "no"],
    _new_flagged(),
    option_hints={
        "yes": "Look at loop.slices for the slice 'new' with new_days=14: its 'flagged' column.",
        "no": "Look at loop.slices for the slice 'new' with new_days=14: its 'flagged' column.",
    },
    explanation="With 14 days, the new slice has about twice the rows, and its over-prediction (about "
    "+0.08) is now clear of chance after the correction. With 7 days it had 57 rows: too few to tell. "
    "A slice that is not flagged is not a slice that is fine; look at its size and interval.",
)

numeric(
    "08.3",
    "In the slice chart, slice by 'position' with the metric 'rate': what is the play rate of the "
    "slice of the top positions (the first row of the table)?",
    _top_rate,
    abs_tol=0.002,
    hint="chart.set(by='position', metric='rate') returns the table; the 'metric' column of its first row.",
    explanation="The top of the list is played several times as often as the bottom: position bias. A "
    "recommender that learns from these plays learns where it put songs, not only what listeners like.",
)

open_question(
    "08.4",
    "Point the chapter at a log of your own (or describe one you know). Which columns are the "
    "timestamp, the features, the prediction and the label; which two windows would you compare; "
    "which slice would you look at first, and why?",
    "A model answer for a click-through model: timestamp = the impression time (UTC); features = "
    "device, country, hour, the user's tenure, the item's age; prediction = the predicted click "
    "probability logged at serving time (not recomputed later); label = the click, known after a "
    "delay of a few minutes (rows younger than that are left unlabelled). Windows: the model's "
    "training period as the reference and the last full week as the current one, never windows "
    "that overlap. First slice: item age (new items) and the country with the most recent "
    "launch, because these are where the training data was thinnest and where a feedback loop or "
    "a shift shows first. Then check the load: the log is 200 million rows in Parquet, so pass the "
    "path (DuckDB) or the Spark dataframe, never a pandas copy.",
)
