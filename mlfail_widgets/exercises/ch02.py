"""Exercises of chapter 02, "Deployment failure"."""

from . import choice, numeric, open_question


def _staleness_cost() -> float:
    from ..failures.deployment import accuracy_by_version, drifting_weeks

    table = accuracy_by_version(drifting_weeks(10, drift_per_week=15, seed=1), 10)
    return float(table.loc[10, "accuracy"] - table.loc[4, "accuracy"])


numeric(
    "02.1",
    "With accuracy_by_version(drifting_weeks(10, drift_per_week=15, seed=1), 10), how much "
    "accuracy does serving version 4 instead of version 10 cost on week 10's traffic? Give the "
    "difference as a fraction (0.05, not 5%).",
    _staleness_cost,
    abs_tol=0.005,
    hint="Build the table, then subtract the 'accuracy' of version 4 from that of version 10 "
    "(table.loc[version, 'accuracy']).",
    explanation="Six weeks of drift at 15 degrees a week turn the true boundary 90 degrees away "
    "from the old model's: it does no better than a coin flip on this week's traffic, and "
    "nothing raised an error.",
)

choice(
    "02.2",
    "A service keeps serving an old version because MODEL_VERSION was pinned in its "
    "environment. Which check catches it the moment a deploy finishes?",
    ["canary before promotion", "sha256 check at load", "restricted unpickler",
     "post-deploy served-version check"],
    "post-deploy served-version check",
    option_hints={
        "canary before promotion": "The canary scores the candidate before production moves; the "
        "candidate was fine. The trouble is what the service loads afterwards.",
        "sha256 check at load": "The old file is intact: its bytes match its own metadata. The hash "
        "proves the file is the one registered, not that it is the one production names.",
        "restricted unpickler": "Nothing malicious was loaded; an honest old model passes the allow "
        "list.",
    },
    explanation="Only a comparison of what the service reports it loaded (version and sha256) "
    "with what the registry says production is sees the gap between the two.",
)

open_question(
    "02.3",
    "After the permission incident, a colleague proposes running the model service as root, "
    "'so this can never happen again'. What do you answer?",
    "Running as root hides the symptom and enlarges the damage of everything else. The service "
    "parses requests from the network and unpickles model files, and a pickle can run code: "
    "under root, a tampered model or a request-handling bug owns the whole machine instead of "
    "one unprivileged account (least privilege). Mode bits would also stop protecting anything. "
    "Fix the cause instead: write model files with an explicit readable mode (0o644) or a group "
    "shared with the service, and add a deploy-time check that loads the model as the service's "
    "own user before traffic is switched.",
)
