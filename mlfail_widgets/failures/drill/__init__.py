"""Chapter 07, the incident drill: one hidden failure in a small production system.

The system is made of the chapters' own parts: a nightly pipeline and a serving image that
depend on a third-party library (chapter 01), a model registry and its serving path
(chapter 02), a prediction service with a feature store (chapter 03), a serving host with its
resources and a model in memory (chapter 04), the model's incoming data and delayed labels
(chapter 05), and a home-page recommender with its log (chapter 06). A seed picks one failure
among the six types, and a variant of it, and the dashboard shows what an on-call engineer
would see.

* :class:`IncidentDrill`: ``drill.evidence`` (the dashboard's data), ``drill.diagnose(answer)``,
  ``drill.reveal()``, ``IncidentDrill.for_learner(name_or_number, workshop_seed=...)``.
* :func:`answer_key`: the instructor's table for a room.

Examples
--------
>>> from mlfail_widgets.failures.drill import IncidentDrill, FAILURE_TYPES
>>> drill = IncidentDrill(11)
>>> feedback = drill.diagnose("downtime")
>>> feedback.correct in (True, False), drill.reveal().failure in FAILURE_TYPES
(True, True)
"""

from ..._renamed import renamed_classes
from .catalogue import FAILURE_TYPES, HERRING_TYPES, VARIANTS, Incident, incident_for, learner_seed
from .drill import IncidentDrill, Reveal, answer_key
from .evidence import Evidence, LogLine
from .findings import EvidenceSummary, read_evidence

__all__ = [
    "FAILURE_TYPES",
    "HERRING_TYPES",
    "VARIANTS",
    "Evidence",
    "EvidenceSummary",
    "Incident",
    "IncidentDrill",
    "LogLine",
    "Reveal",
    "answer_key",
    "incident_for",
    "learner_seed",
    "read_evidence",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Findings": EvidenceSummary})
