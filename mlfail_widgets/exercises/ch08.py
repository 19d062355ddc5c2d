"""Exercises of chapter 08, "Your own system"."""

import functools

from . import choice, numeric, open_question

REFERENCE = ("2026-01-05", "2026-01-19")  # the music log's first two weeks
CURRENT = ("2026-02-20", "2026-03-06")  # and its last two
FEATURES = ["position", "score", "device", "played"]


def _music_log():
    from ..audit.datasets import music_log_path

    return music_log_path()


@functools.lru_cache(maxsize=1)
def _feedback():
    from ..audit import feedback_check

    return feedback_check(_music_log(), REFERENCE, CURRENT)


def _last_gini() -> float:
    return float(_feedback().daily["exposure_gini"].iloc[-1])


def _drifted() -> str:
    from ..audit import drift_report

    drifted = drift_report(_music_log(), REFERENCE, CURRENT, FEATURES).drifted
    return drifted[0] if len(drifted) == 1 else "none of them"


def _flagged_tier() -> str:
    slices = _feedback().slices
    flagged = slices[(slices["by"] == "popularity") & slices["flagged"]]["slice"].tolist()
    return flagged[0] if len(flagged) == 1 else "none"


numeric(
    "08.1",
    "From feedback_check on the music log (reference and current windows as in the chapter), what "
    "is the exposure Gini coefficient of the log's last day?",
    _last_gini,
    abs_tol=0.005,
    hint="check.daily is one row per day; the column 'exposure_gini' holds it; .iloc[-1] is the last row.",
    explanation="Close to 1: almost every impression goes to a few songs, although hundreds are in the "
    "catalogue. The popularity recommender of chapter 06 concentrated exposure within days of launch.",
)

choice(
    "08.2",
    "Run drift_report on the music log with columns position, score, device and played, between the "
    "chapter's two windows. Which feature does it flag as drifted (Bonferroni, level 0.05)?",
    [*FEATURES, "none of them"],
    _drifted(),
    option_hints={
        "position": "Every list has the same ten positions, every day: can their distribution move?",
        "device": "Each listener keeps their device for the whole log: look at the chi-square p-value.",
        "played": "The play rate moves a little; is it significant after the correction?",
        "none of them": "Look at report.drifted, or at the 'adjusted_pvalue' column.",
    },
    explanation="The model's scores moved: the recommender's own predictions shifted as it learned from "
    "the plays it caused, while the inputs a listener controls (device) did not. A drift in the scores "
    "with no drift in the inputs points at the model or its feedback loop, not at the users.",
)

choice(
    "08.3",
    "In feedback_check's slices of the current window, which popularity tier is flagged for "
    "calibration (predicted minus observed play rate)?",
    ["head", "torso", "tail", "none"],
    _flagged_tier(),
    option_hints={
        "head": "The head is shown most, so its predictions are corrected by the most feedback.",
        "torso": "Look at check.slices: which row of 'popularity' has flagged == True?",
        "none": "Look at check.slices: is any row of 'popularity' flagged?",
    },
    explanation="The tail: songs rarely shown get predictions from few plays, and the recommender over-"
    "predicts them. The loop never shows them enough to learn otherwise, which is chapter 06's lesson "
    "measured on a log.",
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
