"""Exercises of chapter 04, "Hardware failure"."""

from ..failures.hardware import simulate_thermal
from . import choice, numeric, open_question

numeric(
    "04.1",
    "With simulate_thermal, run a constant full load (utilisation [1.0], interval 1 s) for 600 "
    "simulated seconds on a weak cooler of 0.5 W/K, with the default ThermalModel. After how many "
    "seconds does the simulated CPU shut down?",
    lambda: float(simulate_thermal([1.0], 1.0, duration=600, cooling=0.5).crashed_at),
    abs_tol=1.0,
    hint="Call simulate_thermal([1.0], 1.0, duration=..., cooling=...) and read .crashed_at.",
    explanation="Throttling slows the heating down but cannot stop it: even at the lowest "
    "frequency the CPU makes more heat than a 0.5 W/K cooler carries away below 100 °C.",
)

choice(
    "04.2",
    "Your model server shares a 2-core machine with a nightly retraining job that keeps every core "
    "busy. While the job runs, the server's p99 latency explodes. The job cannot move to another "
    "machine, and no request may be refused. Which change protects the server's latency best?",
    [
        "add retries to the clients",
        "run the retraining job at nice 19",
        "give the server more BLAS threads",
        "shed requests when the queue is long",
    ],
    "run the retraining job at nice 19",
    option_hints={
        "add retries to the clients": "A retry is one more request for a machine that is already "
        "short of CPU. What does that do to the queue?",
        "give the server more BLAS threads": "Look at the 'stress' rows of the latency experiment: "
        "what happens to a multi-threaded computation when every core is already busy?",
        "shed requests when the queue is long": "Shedding keeps the latency of the requests it "
        "admits low, but the question says no request may be refused.",
    },
    explanation="At nice 19 the scheduler gives the job only the CPU time the server does not "
    "want: the server keeps its latency and the job still finishes, a little later.",
)

open_question(
    "04.3",
    "Flipping a low mantissa bit of one weight changed no prediction on the test set. Why is it "
    "still worth detecting, and would you deploy a checksum of the weights, redundant replicas, "
    "or both?",
    "Because 'no visible change on this test set' is not 'no change': the outputs did change (the "
    "replicas disagree bit for bit), other inputs near the decision boundary can flip, and a "
    "machine that flips one bit will flip others, so the first silent flip is the warning before "
    "a loud one. Deploy both: a checksum of the weights, checked at load time and periodically, is "
    "cheap and catches any corruption of the stored weights; redundant computation (two replicas, "
    "or a sample of requests recomputed elsewhere) catches what a checksum cannot see, a core that "
    "computes wrong on correct weights, at the price of extra compute.",
)
