"""Exercises of chapter 05, "Data distribution shift"."""

from . import choice, numeric, open_question


def _dream_to_biscoe_accuracy() -> float:
    from ..failures.shift import TabularClassifier, penguin_shift

    data = penguin_shift("Dream", "Biscoe")
    model = TabularClassifier(data.features, target=data.target).fit(data.reference)
    return model.accuracy(data.current)


numeric(
    "05.1",
    "Reverse the penguin experiment: train a TabularClassifier on the penguins of Dream "
    "(penguin_shift('Dream', 'Biscoe'), features data.features, target data.target) and measure "
    "its accuracy on the penguins of Biscoe. Give it as a fraction (0.5, not 50%).",
    _dream_to_biscoe_accuracy,
    abs_tol=0.005,
    hint="data = penguin_shift('Dream', 'Biscoe'); model = TabularClassifier(data.features, "
    "target=data.target).fit(data.reference); then model.accuracy(...) on the current penguins.",
    explanation="Biscoe is mostly Gentoo penguins, a species the Dream model never saw; whether "
    "the model still separates the sexes depends on how the size-sex relation carries over.",
)

choice(
    "05.2",
    "A fraud model's monitoring shows no feature drift at all (every KS p-value above 0.2, "
    "every PSI below 0.02), yet the weekly labelled audit shows its precision fell from 90% to "
    "70%. Which correction do you reach for first?",
    ["importance weighting", "label-shift correction", "retrain on recent labelled data",
     "lower the drift alarm threshold"],
    "retrain on recent labelled data",
    option_hints={
        "importance weighting": "Importance weighting re-weights training rows to look like the new "
        "inputs. What does 'no feature drift at all' say about the inputs?",
        "label-shift correction": "Label-shift correction assumes P(X | label) stayed put and only "
        "the class shares moved. Would the inputs then look unchanged?",
        "lower the drift alarm threshold": "The detectors watch P(X). Can any threshold on P(X) "
        "reveal a change that leaves P(X) alone?",
    },
    explanation="Unchanged inputs with falling accuracy is the signature of concept drift: "
    "P(label | X) moved. Only labels reveal it, and only new labels fix it.",
)

open_question(
    "05.3",
    "A drift dashboard compares each day's 2 million rows with the training set and flags 18 of "
    "20 features every day with KS p-values below 1e-10, while the model's measured accuracy has "
    "not moved in months. The team now ignores the alarms. What is going on, and how would you "
    "redesign the alerting?",
    "With millions of rows a KS test detects differences far too small to matter: the p-value "
    "measures how sure we are that the distributions differ, not how much they differ, so on "
    "huge samples almost every feature is 'significant'. The alarms are true but useless, and "
    "alarm fatigue follows. Alert on effect sizes instead (a Wasserstein distance in standard "
    "deviations, PSI, or the KS statistic itself) with thresholds tied to what hurts the model; "
    "test fixed-size windows (or subsamples) so the sensitivity does not grow with traffic; "
    "correct for the number of features; weight features by their importance to the model; "
    "and watch the outcome itself where labels arrive (accuracy, calibration, expected versus "
    "measured accuracy), escalating only when a shift is both large and touches what the model "
    "relies on.",
)
