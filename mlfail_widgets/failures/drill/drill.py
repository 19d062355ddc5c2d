"""The capstone: one hidden failure in a small production system, and a learner on call.

:class:`IncidentDrill` picks an incident from its seed (:mod:`.catalogue`), builds the
evidence on first use (:mod:`.build`), judges a diagnosis with feedback that points at the
evidence (:meth:`IncidentDrill.diagnose`) and explains everything on request
(:meth:`IncidentDrill.reveal`). :func:`answer_key` is the instructor's table for a room.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import _course_mode
from ..._validation import ParameterError
from ..overview import FAILURE_TYPES as _COURSE_TYPES
from ._build import build
from ._stories import fix_for, story_for
from .catalogue import (
    FAILURE_TYPES,
    MAX_SEED,
    Incident,
    IncidentLike,
    check_level,
    demonstration_incident,
    incident_for,
    learner_seed,
    normalise_failure,
)
from .evidence import Evidence
from .findings import EvidenceSummary, read_evidence

if TYPE_CHECKING:
    import pandas as pd

    from ...exercises import Feedback, Hidden

__all__ = ["IncidentDrill", "Reveal", "answer_key"]

_CHAPTERS = {kind.key: kind for kind in _COURSE_TYPES}


@dataclass(frozen=True)
class Reveal:
    """The answer of a drill: what failed, how it showed, how to fix it, where to read more.

    Examples
    --------
    >>> revealed = IncidentDrill(2).reveal()
    >>> revealed.failure, revealed.chapter
    ('hardware', '04_hardware_failure')
    """

    seed: int
    failure: str
    name: str
    variant: str
    what_happened: str
    how_detected: str
    fix: str
    chapter: str
    red_herring: str | None
    title: str = ""
    level: int = 1

    @property
    def _heading(self) -> str:
        return self.title or f"Drill {self.seed}"

    def __str__(self) -> str:
        lines = [f"{self._heading}: {self.name} ({self.variant}).", "",
                 f"What happened: {self.what_happened}", f"How it showed: {self.how_detected}",
                 f"Fix: {self.fix}", f"Read more: notebooks/{self.chapter}.ipynb"]
        if self.red_herring:
            lines += ["", f"Red herring: {self.red_herring}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return repr(self.hidden())

    def hidden(self) -> Hidden:
        """The reveal behind a button (what a notebook shows): nothing until the learner clicks."""
        from ...exercises import Hidden

        return Hidden(f"The answer of {self._heading.lower()}", str(self), label="Reveal the answer",
                      render_html=self.to_html)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.hidden()._repr_mimebundle_(include, exclude)

    def to_html(self) -> str:
        """The reveal as HTML (what the button shows once clicked)."""
        parts = [("What happened", self.what_happened), ("How it showed", self.how_detected),
                 ("Fix", self.fix), ("Read more", f"notebooks/{self.chapter}.ipynb")]
        if self.red_herring:
            parts.append(("Red herring", self.red_herring))
        items = "".join(f"<li><b>{k}:</b> {html.escape(v)}</li>" for k, v in parts)
        return (f'<div class="mlfail-reveal"><b>{html.escape(self._heading)}: {html.escape(self.name)} '
                f"({html.escape(self.variant)}).</b><ul>{items}</ul></div>")


class IncidentDrill(IncidentLike):
    """A small production system with exactly one hidden failure, and its monitoring.

    Parameters
    ----------
    seed : int
        Picks the failure (one of six types, balanced over consecutive seeds), its variant
        and every detail. The same seed gives the same incident on every machine.
    red_herring : bool, optional
        Add one alarming but harmless signal of another type. Default: no at level 1, yes at
        levels 2 and 3.
    level : {1, 2, 3}, default=1
        How hard the drill is. 1: one clear signal. 2: a red herring, and the decisive signal
        quieter. 3: a subtle or compound incident (a second, harmless change that looks like
        another type at the same time) that no single panel decides; still exactly one root
        cause among the six types.

    Attributes
    ----------
    evidence : Evidence
        What the monitoring shows (built on first access, then kept).

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import FAILURE_TYPES
    >>> drill = IncidentDrill(4)
    >>> drill.diagnose("feedback").correct in (True, False)
    True
    >>> drill.reveal().failure in FAILURE_TYPES
    True
    """

    def __init__(self, seed: int, *, red_herring: bool | None = None, level: int = 1):
        self._incident = incident_for(seed, red_herring=red_herring, level=level)
        self._evidence: Evidence | None = None
        self._notes: dict = {}
        self._findings: EvidenceSummary | None = None
        self.title = f"Drill {self._incident.seed}"

    @classmethod
    def for_learner(cls, name_or_number: int | str, *, workshop_seed: int = 0, red_herring: bool | None = None,
                    level: int = 1) -> IncidentDrill:
        """The drill of one learner in a workshop (see :func:`~.catalogue.learner_seed`).

        The drill's title names the learner (the number or name they were given), not its seed.

        Examples
        --------
        >>> drill = IncidentDrill.for_learner(3, workshop_seed=2026, level=2)
        >>> drill.seed, drill.title, drill.red_herring
        (12158, 'Learner 3 (workshop 2026)', True)
        """
        level = check_level(level)
        drill = cls(learner_seed(name_or_number, workshop_seed=workshop_seed), red_herring=red_herring,
                    level=level)
        who = " ".join(name_or_number.split()) if isinstance(name_or_number, str) else name_or_number
        drill.title = f"Learner {who} (workshop {workshop_seed})"
        return drill

    @classmethod
    def demonstration(cls) -> IncidentDrill:
        """The drill of chapter 07's worked example: a seed no learner is ever given.

        Its seed, :data:`~.catalogue.DEMONSTRATION_SEED`, lies outside the seeds
        ``IncidentDrill(seed)`` accepts and :func:`~.catalogue.learner_seed` gives, so querying
        its evidence in the open spoils no learner's drill.

        Examples
        --------
        >>> demo = IncidentDrill.demonstration()
        >>> demo.title, demo.seed > 2**31 - 1
        ('Demonstration drill', True)
        """
        drill = cls.__new__(cls)
        drill._incident = demonstration_incident()
        drill._evidence, drill._notes, drill._findings = None, {}, None
        drill.title = "Demonstration drill"
        return drill

    @property
    def seed(self) -> int:
        return self._incident.seed

    @property
    def level(self) -> int:
        """The difficulty level (1, 2 or 3)."""
        return self._incident.level

    @property
    def red_herring(self) -> bool:
        """Whether a harmless signal was added (not which one)."""
        return self._incident.red_herring is not None

    @property
    def evidence(self) -> Evidence:
        if self._evidence is None:
            self._evidence, self._notes = build(self._incident)
        return self._evidence

    @property
    def findings(self) -> EvidenceSummary:
        """The evidence summed up in numbers (see :func:`~.findings.read_evidence`)."""
        if self._findings is None:
            self._findings = read_evidence(self.evidence)
        return self._findings

    def __repr__(self) -> str:
        if self.seed > MAX_SEED:
            return "IncidentDrill.demonstration()"
        herring = ", red_herring=True" if self.red_herring and self.level == 1 else ""
        herring = ", red_herring=False" if not self.red_herring and self.level > 1 else herring
        level = f", level={self.level}" if self.level > 1 else ""
        return f"IncidentDrill({self.seed}{herring}{level})"

    def _failure_lines(self) -> tuple[str, ...]:
        """The log messages the failure itself wrote (its decisive lines; for the course's tests)."""
        self.evidence  # noqa: B018 - builds the notes
        return self._notes.get("failure_lines", ())

    # ------------------------------------------------------------------ judging
    def diagnose(self, answer: Any) -> Feedback:
        """Judge a diagnosis: one of ``FAILURE_TYPES`` ("deployment", "shift", ...).

        Right: what in the evidence decides it. Wrong: what in the evidence rules that answer
        out, without naming the right one.

        Examples
        --------
        >>> drill = IncidentDrill(0)
        >>> drill.diagnose(drill.reveal().failure).correct
        True
        >>> drill.diagnose(...).correct is None  # a placeholder is not judged
        True
        """
        from ...exercises import Feedback

        label = self.title.lower() if self.title.startswith("Drill") else self.title
        if answer is ... or answer is None:
            return Feedback(label, None, "Replace the ... with your diagnosis: one of "
                            + ", ".join(map(repr, FAILURE_TYPES)) + ".")
        try:
            picked = normalise_failure(answer)
        except ParameterError:
            return Feedback(label, None, f"{str(answer)[:40]!r} is not one of the six failure types. "
                            "Answer with one of " + ", ".join(map(repr, FAILURE_TYPES)) + ".")
        if picked == self._incident.failure:
            return Feedback(label, True, "Right. " + self._decisive())
        return Feedback(label, False, self._ruled_out(picked))

    def _decisive(self) -> str:
        f, variant = self.findings, self._incident.variant
        if self._incident.failure == "dependency":
            text = f"The dependency report shows {'; '.join(f.drifted_packages)}. " + (
                f"The nightly job has failed {f.failed_nights} nights in a row since {f.first_failed_night}."
                if f.failed_nights else f"The serving image's golden test failed: {f.golden_failed}.")
        elif self._incident.failure == "deployment":
            text = (f"Production points to {f.production} but the service reports {f.served}, "
                    f"{f.served_detail}." + (f" The model loader logged {f.loader_errors} errors when the new "
                                             "version was deployed." if f.loader_errors else ""))
        elif self._incident.failure == "downtime" and self.level >= 3:
            text = (f"{_span(f).capitalize()} {_symptoms(f)} while the host's CPU and memory stayed in their "
                    "usual range and the service served the right model: what it calls, the feature store, failed.")
        elif self._incident.failure == "downtime":
            text = (f"{_span(f).capitalize()} {_symptoms(f)}; the logs blame the feature store at the same "
                    "time, and the host's CPU and memory stayed in their usual range.")
        elif variant == "CPU saturation":
            text = (f"{_span(f).capitalize()} {_symptoms(f)} exactly while every core of the serving host was "
                    f"busy (mean CPU {f.cpu_in_bad_bins:.0f}%), after a batch job was placed on it.")
        elif variant == "memory exhaustion":
            text = (f"{_span(f).capitalize()} {_symptoms(f)}: each dip comes right after memory reached "
                    f"{f.memory_peak:.0f}% and the kernel killed the model server (out of memory).")
        elif self._incident.failure == "hardware":
            text = (f"The nightly integrity check finds a replica's weights no longer match the registry's "
                    f"checksum ({f.integrity_errors} nights), and the replicas disagree on mirrored requests.")
        elif self._incident.failure == "shift":
            text = (f"The drift report flags {', '.join(f.flagged_used)}, used by the model." if f.flagged_used
                    else f"No input drifted, yet accuracy from delayed labels fell from {f.accuracy_before:.1%} "
                    f"to {f.accuracy_recent:.1%} (from {f.quality_drop_date}), with no change in the code, the "
                    "model or the machines: the relation between inputs and labels moved.")
        else:
            text = (f"New songs got {f.new_song_share:.1%} of plays over the last week and {f.new_impressions:.1%} "
                    "of impressions: the recommender keeps showing what it already shows, and learns only "
                    "from that.")
        return text + " Run drill.reveal() for the full story."

    def _ruled_out(self, picked: str) -> str:
        f, herring = self.findings, self._incident.red_herring
        if picked == herring:
            return "That alarm is real but harmless. " + _HERRING_NOTES[herring](f)
        health_hit = bool(f.bad_bins)
        if picked == "dependency":
            return ("Ruled out by the dependency report: every installed package matches the lock in both "
                    "images, the golden test passes and the nightly job ran every night.")
        if picked == "deployment":
            return (f"Ruled out: the service reports {f.served}, exactly the version and hash production "
                    "points to, and the model loader logged no error.")
        if picked == "downtime":
            if health_hit:
                return (f"The service did suffer {_span(f)}, but the feature store answered throughout: "
                        "no refused, slow or failed store calls in the logs then. What else was happening "
                        "at those moments?")
            return ("Ruled out: availability stayed above 90% and p99 in its usual range for the whole "
                    "12 hours: nothing the service calls went away.")
        if picked == "hardware":
            if health_hit:
                question = ("What does the service depend on?" if self.level >= 3
                            else "Which component complained in the logs at that time?")
                return (f"The service did suffer {_span(f)}, but CPU and memory of the serving host stayed "
                        f"in their usual range then (mean CPU {f.cpu_in_bad_bins:.0f}%). {question}")
            return ("Ruled out: the service's latency never left its range, memory never neared its limit, "
                    "and the nightly integrity check found the weights intact on every replica.")
        if picked == "shift":
            if f.quality_drop_date:
                return ("No feature the model uses is flagged in the drift report, and the drop in quality "
                        f"begins on {f.quality_drop_date}. What else changed that day?")
            return ("Ruled out: no feature the model uses is flagged, and accuracy from delayed labels is "
                    f"where it was ({f.accuracy_recent:.1%}).")
        return (f"Ruled out: new songs got {f.new_song_share:.1%} of plays over the last week and "
                f"{f.new_impressions:.1%} of impressions; the recommender is not starving anything.")

    # ------------------------------------------------------------------ the answer
    def reveal(self) -> Reveal:
        """What failed, how it showed in the evidence, the fix, and the chapter to reread.

        Examples
        --------
        >>> IncidentDrill(0).reveal().chapter.startswith("0")
        True
        """
        _course_mode.refuse_in_graded_course("drill.reveal()")  # MLFAIL_GRADED=1: answers off
        incident = self._incident
        course = _CHAPTERS[incident.failure]
        herring = None
        if incident.red_herring:
            herring = _HERRING_NOTES[incident.red_herring](self.findings)
        self.evidence  # noqa: B018 - builds the notes
        what = story_for(incident, self._notes)
        return Reveal(incident.seed, incident.failure, course.name, incident.variant, what,
                      self._decisive().removesuffix(" Run drill.reveal() for the full story."),
                      fix_for(incident), course.chapter, herring, self.title, incident.level)


def _span(f: EvidenceSummary) -> str:
    return f"from {f.first_bad} to {f.last_bad}"


def _symptoms(f: EvidenceSummary) -> str:
    parts = []
    if f.worst_availability < 0.9:
        parts.append(f"availability fell to {f.worst_availability:.0%}")
    if f.worst_p99_ms > 2.5 * f.usual_p99_ms:
        parts.append(f"p99 latency rose to {f.worst_p99_ms:.0f} ms (usually {f.usual_p99_ms:.0f} ms)")
    return " and ".join(parts) or "the service left its usual range"


_HERRING_NOTES = {
    "dependency": lambda f: ("Both images moved to a new minor release of scalekit, but the lock was "
                             "updated with it (installed matches locked) and the golden test still passes; "
                             "the new warnings only announce a future release."),
    "deployment": lambda f: ("The failed canary did its job: v5 was never promoted, and the service still "
                             f"serves {f.served}, what production points to."),
    "downtime": lambda f: ("The feature-store replica restart was absorbed: the calls it broke were retried "
                           "and answered, and availability did not dip."),
    "hardware": lambda f: (f"The CPU alarm at {f.cpu_spike_time} was the nightly reindex, pinned to 4 of 8 "
                           "cores: the service's latency did not move while it ran."),
    "shift": lambda f: (f"The drift report flags {', '.join(f.flagged_unused) or 'a feature'}, which the "
                        "model does not use: its move (after a client-app release) cannot change a prediction."),
}


_DECIDED_BY = {
    "dependency": "dependency report (installed vs locked); nightly runs or golden test",
    "deployment": "serving: /version vs the production pointer; model-loader errors",
    "downtime": "health dip while the logs blame the feature store; host resources normal",
    "hardware": "CPU or memory at the moment of the symptoms; weights checksum",
    "shift": "drift report on used features, or a quality drop with nothing else changed",
    "feedback": "new songs' share of plays; impressions per slice",
}


#: At level 3 the failure's own log lines are gone and a harmless change rides along.
_DECIDED_BY_LEVEL_3 = {
    "dependency": "dependency report (installed vs locked) with the nightly runs or golden test; the deploy "
                  "that day is routine",
    "deployment": "serving: /version vs the production pointer; the input that moved with the deploy is not "
                  "the cause",
    "downtime": "health dip with host resources normal and the right model served (no store log lines)",
    "hardware": "CPU or memory at the limit exactly during the dip (the store restart is harmless); or the "
                "weights checksum",
    "shift": "drift report on used features, or a quality drop with nothing else wrong; the deploy that day "
             "serves the right model",
    "feedback": "new songs' share of plays; the seasonal drift of an input is harmless to it",
}


def answer_key(learners: int, *, workshop_seed: int = 0, red_herring: bool | None = None,
               level: int = 1) -> pd.DataFrame:
    """The instructor's table: learner, drill seed, level, failure type, variant, where the evidence is.

    Parameters
    ----------
    learners : int
        How many learners (numbered 1..learners).
    workshop_seed : int, default=0
        The room's number; every learner runs ``IncidentDrill.for_learner(k, workshop_seed=...)``.
    red_herring : bool, optional
        Default: no at level 1, yes at levels 2 and 3.
    level : {1, 2, 3}, default=1
        The drills' difficulty (see :class:`IncidentDrill`).

    Examples
    --------
    >>> key = answer_key(12, workshop_seed=2026, level=3)
    >>> len(key), key["failure"].value_counts().tolist() == [2] * 6, set(key["level"])
    (12, True, {3})
    """
    import pandas as pd

    from ..._validation import check_int

    learners = check_int(learners, "learners", low=1, high=10_000,
                         fix="Give the number of learners in the room.")
    level = check_level(level)
    rows = []
    for number in range(1, learners + 1):
        incident: Incident = incident_for(learner_seed(number, workshop_seed=workshop_seed),
                                          red_herring=red_herring, level=level)
        row = {"learner": number, "seed": incident.seed, "level": incident.level, "failure": incident.failure,
               "variant": incident.variant}
        if incident.red_herring:
            row["red_herring"] = incident.red_herring
        row["decided_by"] = (_DECIDED_BY_LEVEL_3 if level >= 3 else _DECIDED_BY)[incident.failure]
        rows.append(row)
    return pd.DataFrame(rows)

