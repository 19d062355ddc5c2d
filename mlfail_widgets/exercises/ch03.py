"""Exercises of chapter 03, "Downtime failure"."""

from ..failures.downtime import Fault, OutageScenario, replica_availability, simulate
from . import choice, numeric, open_question

numeric(
    "03.1",
    "A flaky prediction service fails 20% of requests. Simulate 2 seconds of it, one request "
    "every 10 ms, with the 'retry' policy, retries=2 and seed=0. On average, how many attempts "
    "does one request cost the service?",
    lambda: simulate(OutageScenario(fault=Fault(error_rate=0.2), duration=2.0, interval=0.01), "retry",
                     retries=2, seed=0).summary().attempts_per_request,
    abs_tol=0.01,
    hint="simulate(OutageScenario(fault=Fault(error_rate=...), duration=..., interval=...), 'retry', "
    "retries=..., seed=...).summary() has an attempts_per_request field.",
    explanation="Every request costs one attempt, a fifth of them a second, and a fifth of those "
    "a third: about 1 + 0.2 + 0.04. Retries turn a 20% error rate into well under 1%, for about a "
    "quarter more load while the fault is transient.",
)

choice(
    "03.2",
    "Your prediction service calls a feature store that sometimes freezes for 30 seconds: it "
    "accepts requests and answers none. Your service waits for the store without a timeout. "
    "Which single change keeps your users getting answers during a freeze?",
    [
        "retries with exponential backoff and jitter",
        "a timeout on the store call, with a fallback to default features",
        "two more replicas of the store in the same zone",
        "a longer timeout in the clients that call your service",
    ],
    "a timeout on the store call, with a fallback to default features",
    option_hints={
        "retries with exponential backoff and jitter": "A retry starts after a failure. Without "
        "a time limit, when does a call to a frozen store fail?",
        "two more replicas of the store in the same zone": "Replicas help only if the client can "
        "give up on the frozen one, and replicas in one zone tend to fail together.",
        "a longer timeout in the clients that call your service": "That makes your users wait "
        "longer for the same missing answer.",
    },
    explanation="Only a timeout turns a hang into a failure your code can handle, and only a "
    "fallback turns that failure into an answer (degraded, and marked so).",
)

numeric(
    "03.3",
    "Three replicas of the prediction service run in one zone. Each replica is up 99.5% of the "
    "time, and the whole zone is down 0.2% of the time. With replica_availability, compute the "
    "expected downtime of the service per 30-day month, in minutes: (1 - availability) * 30 * "
    "24 * 60.",
    lambda: (1 - replica_availability(0.995, 3, common_cause=0.002)) * 30 * 24 * 60,
    rel_tol=0.01,
    hint="replica_availability(availability, replicas, common_cause=...) gives the availability; "
    "the zone's share is the common cause.",
    explanation="Almost all of it is the zone: three independent replicas would be down about "
    "0.005 minutes a month, but nothing in one zone can beat 1 - 0.002. To buy more, spread the "
    "replicas over zones.",
)

open_question(
    "03.4",
    "Exponential backoff already spreads retries out in time. Why add jitter? Use the retry "
    "storm figure of this chapter in your answer.",
    "Backoff spreads one client's retries over time, but clients that failed at the same moment "
    "(all the requests in flight when the server crashed) compute the same delays, so they retry "
    "at the same instants: the load arrives in synchronised bursts, and after recovery the server "
    "sits idle and is then hit by everyone at once. Jitter draws each delay at random below the "
    "backoff, so the retries of different clients fall at different moments and the load on a "
    "recovering server stays smooth, close to its normal rate. In the storm figure, the backoff "
    "without jitter shows bursts and a silent gap after recovery; with jitter the line is flat.",
)
