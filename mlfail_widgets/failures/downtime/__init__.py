"""Chapter 03, downtime failure: your system stops when a server it relies on stops.

A real prediction service and its feature store on 127.0.0.1 (:mod:`.service`), faults to
inject into either (:mod:`.faults`), five client policies from "no timeout" to "fallback"
(:mod:`.policies`), measurements from real requests (:mod:`.measure`), a fast simulator that
runs the same policy code on a virtual clock (:mod:`.simulate`), and the arithmetic of
replicas (:mod:`.redundancy`).

Examples
--------
>>> from mlfail_widgets.failures.downtime import PredictionService, Fault, measure, OutageScenario
>>> with PredictionService() as service:
...     run = measure(service, OutageScenario(store=Fault(down=True), duration=0.2))
>>> run.outcomes()["error"] == run.summary().calls  # the store's outage cascades
True
"""

from ..._renamed import renamed_classes
from .faults import MAX_LATENCY, Fault, ServiceClock, VirtualClock
from .measure import (
    GRACE,
    OUTAGE_KINDS,
    OutageRun,
    OutageScenario,
    OutageSummary,
    compare,
    measure,
    outage_scenario,
    run_client,
)
from .policies import (
    POLICIES,
    CallFailed,
    CircuitBreaker,
    CircuitOpen,
    Fallback,
    NoTimeout,
    Policy,
    PolicySettings,
    Reply,
    Retry,
    Timeout,
    Transport,
    make_policy,
)
from .redundancy import (
    RedundancyReport,
    redundancy_table,
    replica_availability,
    simulate_replicas,
    zone_table,
)
from .rounds import FaultReport, ladder_lesson, measure_faults, storm_lesson
from .service import USERS, HTTPTransport, PredictionService, baseline_prediction, user_predictions
from .simulate import (
    EXPLORE_SCENARIO,
    EXPLORE_SETTINGS,
    SWEEPABLE,
    PolicyReport,
    SimulatedService,
    SimulatedTransport,
    Timing,
    calibrate,
    explore,
    simulate,
    sweep,
)

__all__ = [
    "EXPLORE_SCENARIO",
    "EXPLORE_SETTINGS",
    "GRACE",
    "MAX_LATENCY",
    "OUTAGE_KINDS",
    "POLICIES",
    "SWEEPABLE",
    "USERS",
    "CallFailed",
    "CircuitBreaker",
    "CircuitOpen",
    "Fallback",
    "Fault",
    "FaultReport",
    "HTTPTransport",
    "NoTimeout",
    "OutageRun",
    "OutageScenario",
    "OutageSummary",
    "Policy",
    "PolicyReport",
    "PolicySettings",
    "PredictionService",
    "RedundancyReport",
    "Reply",
    "Retry",
    "ServiceClock",
    "SimulatedService",
    "SimulatedTransport",
    "Timeout",
    "Timing",
    "Transport",
    "VirtualClock",
    "baseline_prediction",
    "calibrate",
    "compare",
    "explore",
    "ladder_lesson",
    "make_policy",
    "measure",
    "measure_faults",
    "outage_scenario",
    "redundancy_table",
    "replica_availability",
    "run_client",
    "simulate",
    "simulate_replicas",
    "storm_lesson",
    "sweep",
    "user_predictions",
    "zone_table",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Scenario": OutageScenario, "Summary": OutageSummary, "RunLog": OutageRun, "Exploration": PolicyReport, "RedundancyTable": RedundancyReport, "FaultComparison": FaultReport})
