"""Exercises of chapter 07, "The incident drill"."""

from . import choice, numeric, open_question

WALKTHROUGH = 39  # the drill of the chapter (with its red herring)
SECOND = 37  # the drill the learner diagnoses alone (with its red herring)


def _minutes_slow() -> float:
    from ..failures.drill import IncidentDrill

    health = IncidentDrill(WALKTHROUGH, red_herring=True).evidence.health
    slow = health["p99_ms"] > 2.5 * health["p99_ms"].median()
    return float(15 * slow.sum())


def _second_answer() -> str:
    from ..failures.drill import incident_for

    return incident_for(SECOND, red_herring=True).failure


numeric(
    "07.1",
    "An alert rule pages when the p99 latency of a 15-minute bin is above 2.5 times its median over "
    "the last 12 hours. From the health table of the chapter's drill "
    f"(IncidentDrill({WALKTHROUGH}, red_herring=True).evidence.health), for how many minutes would "
    "it have paged?",
    _minutes_slow,
    abs_tol=0.5,
    hint="Compare the 'p99_ms' column with 2.5 times its .median(), count the True values with .sum(), "
    "and multiply by the 15 minutes of a bin.",
    explanation="The rule fires for the whole window in which the feature store answered slowly, and "
    "never for the CPU spike of the nightly reindex: latency is the symptom users feel.",
)

choice(
    "07.2",
    f"Diagnose IncidentDrill({SECOND}, red_herring=True) on your own: which failure type is it?",
    ["dependency", "deployment", "downtime", "hardware", "shift", "feedback"],
    _second_answer(),
    option_hints={
        "dependency": "Compare locked and installed versions in both images, and read the nightly runs "
        "and the golden test: is anything off there?",
        "deployment": "Something alarming did happen in the registry. Did it reach production? Compare "
        "the service's /version with the production pointer.",
        "downtime": "Look at the 12-hour panels: did the service ever stop answering, or slow down?",
        "hardware": "Did CPU, memory or the nightly weights checksum ever leave their usual state?",
        "feedback": "Do new songs still get their plays? Look at the two recommender panels.",
    },
    explanation="The service, its host, its dependencies and its deployments are all fine, and the "
    "failed canary never reached production. No input drifted either, yet accuracy from delayed "
    "labels fell on one day and stayed down: the relation between inputs and labels moved (concept "
    "drift), which only delayed labels can show.",
)

open_question(
    "07.3",
    f"Write a five-line postmortem of the chapter's drill (drill {WALKTHROUGH} with its red herring): "
    "impact, timeline, root cause, how it was detected, and what will prevent it or catch it sooner. "
    "Blameless: describe the system, not a person.",
    "Impact: from 02:15 to 05:15 every prediction took about 150 ms at p99 instead of about 30 ms; "
    "requests were still answered (availability stayed above 96%), so no error alert fired. "
    "Timeline: 02:15 the feature store's disk queue backed up during compaction and its reads slowed "
    "to about 123 ms; the prediction service logged slow store calls from 02:15; the store caught up "
    "at 05:15 and latency returned to normal. Root cause: the prediction service calls the feature "
    "store on every request, with a generous timeout and no fallback, so a slow dependency became a "
    "slow service (chapter 03). Not the cause: the CPU alarm at midnight was the nightly reindex on "
    "4 of 8 cores, and latency did not move while it ran. Detection: p99 per 15 minutes, read against "
    "the logs by time and by component. Actions: a tight timeout (25 ms) with a fallback to average "
    "features; alert on p99, not only on errors; schedule compaction off-peak with a read-latency "
    "budget.",
)
