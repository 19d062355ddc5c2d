"""Exercises of chapter 00, "Why ML systems fail"."""

from ..failures.overview import outage_share
from . import choice, numeric, open_question

numeric(
    "00.1",
    "With outage_share, find the upper end of the 95% Wilson interval for the share of "
    "non-ML outages in a what-if study of 30 outages with the same share. Give it as a "
    "fraction (e.g. 0.5, not 50%).",
    lambda: outage_share(confidence=0.95, method="wilson", study_size=30).high,
    abs_tol=0.005,
    hint="Call outage_share(confidence=..., method=..., study_size=...) and read its .high.",
    explanation="With only 30 outages the interval is wide: it still reaches far on both sides "
    "of the observed 63%.",
)

choice(
    "00.2",
    "A fraud model's precision slides from 91% to 78% over six weeks. No job failed, no error "
    "was logged, every service answered. Which family of failure is the first suspect?",
    ["software system failure", "ML-specific failure"],
    "ML-specific failure",
    option_hints={
        "software system failure": "Software failures are usually loud: a crash, an error, a "
        "timeout, a missing file. What does 'no error, slow decline' point to?",
    },
    explanation="A slow, silent decline with healthy services is the signature of data "
    "distribution shift (chapter 05) or a feedback loop (chapter 06).",
)

open_question(
    "00.3",
    "The study found 60 of 96 outages were not ML-specific. Why might ML-specific failures "
    "still deserve more attention than their count suggests?",
    "Because they are harder to detect: a software failure usually announces itself with an "
    "error, while a shifted input distribution or a feedback loop degrades predictions "
    "silently, for weeks, until someone measures it. Count is not cost: a silent failure runs "
    "longer and does more damage per incident, and the standard software tooling (alerts on "
    "errors and latency) does not see it.",
)
