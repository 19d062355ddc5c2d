"""The chapter's scenario as a state machine: weeks pass, versions are trained, promoted, deployed.

Everything is real underneath: a :class:`ModelRegistry` in a temporary folder, pickles on
disk, a :class:`ModelService` that loads them through a (possibly buggy) deploy path. Each
action returns the event it logged; :meth:`DeploymentTimeline.snapshot` returns the run so far
(a :class:`DeploymentRun`, plain data) for the figure. The widget only maps buttons to these methods.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import check_float, check_int
from .drift import drifting_weeks, register_weekly_models
from .errors import DeploymentError
from .files import folder_or_sandbox
from .registry import ModelRegistry
from .service import ModelService, deploy, promote_with_canary

if TYPE_CHECKING:
    from ..._random import Seed

__all__ = ["DeploymentRun", "DeploymentTimeline", "TimelineEvent"]


@dataclass(frozen=True)
class TimelineEvent:
    """One action and the state right after it."""

    time: float  # in weeks; several actions in one week are spread over it
    week: int
    action: str  # "start", "train", "promote", "deploy", "rollback"
    verified: bool
    outcome: str  # "done" (nobody checked), "passed", "caught" (a check failed), "refused"
    message: str
    production: int | None
    served: int | None
    served_accuracy: float  # the served model's accuracy on this week's traffic
    production_accuracy: float  # what the production version would score on it


@dataclass(frozen=True)
class DeploymentRun:
    """The simulated run so far, week by week: everything the figure and the summary need, as plain data.

    :meth:`DeploymentTimeline.snapshot` returns it (``TimelineState`` is its old name).

    Examples
    --------
    >>> with DeploymentTimeline(seed=0) as timeline:
    ...     _ = timeline.next_week()
    ...     run = timeline.snapshot()
    >>> run.week, run.weeks, [event.action for event in run.events]
    (2, 12, ['start', 'train'])
    """

    weeks: int
    week: int
    deploy_path: str
    registered: tuple[tuple[int, int], ...]  # (week trained, version)
    events: tuple[TimelineEvent, ...]
    production_sha: str
    served_sha: str
    served_source: str

    @property
    def last(self) -> TimelineEvent:
        return self.events[-1]

    def series(self) -> dict[str, np.ndarray]:
        """Step series over time: production and served version, and their accuracies."""
        def column(name: str) -> np.ndarray:
            return np.array([np.nan if getattr(e, name) is None else getattr(e, name) for e in self.events],
                            dtype=float)
        return {"time": column("time"), "production": column("production"), "served": column("served"),
                "served_accuracy": column("served_accuracy"),
                "production_accuracy": column("production_accuracy")}


class DeploymentTimeline:
    """A model's life over weeks of drifting data, with a deploy path that may be broken.

    At week 1, version 1 is trained, promoted and deployed. Someone pinned ``MODEL_VERSION=1``
    in the service's environment that day; with ``deploy_path="env var"`` it silently wins over
    every later promotion. Week ``broken_week``'s training labels come flipped (an upstream
    job swapped the class encoding), so that version is bad: a canary should refuse it.

    Parameters
    ----------
    deploy_path : {"pointer", "cached path", "env var"}, default="env var"
    weeks : int, default=12
        Length of the scenario, in [2, 52].
    drift_per_week : float, default=12.0
        Degrees the true decision boundary turns per week.
    broken_week : int or None, default=6
        The week whose model is trained on flipped labels (None: no such week).
    min_accuracy : float, default=0.75
        The canary's bar on the golden set.
    seed : int, numpy.random.Generator or None, default=0
    folder : path-like, optional
        Where the registry lives; a temporary folder (removed by :meth:`close`) by default.

    Examples
    --------
    >>> with DeploymentTimeline(seed=0) as timeline:
    ...     _ = timeline.next_week(); _ = timeline.next_week()
    ...     _ = timeline.promote(verify=True)
    ...     unverified = timeline.deploy(verify=False)
    ...     verified = timeline.deploy(verify=True)
    >>> unverified.outcome, unverified.production, unverified.served
    ('done', 3, 1)
    >>> verified.outcome
    'caught'
    """

    def __init__(self, *, deploy_path: str = "env var", weeks: int = 12, drift_per_week: float = 12.0,
                 broken_week: int | None = 6, min_accuracy: float = 0.75, seed: Seed = 0,
                 folder: str | os.PathLike[str] | None = None) -> None:
        self.weeks = check_int(weeks, "weeks", low=2, high=52)
        self.broken_week = None if broken_week is None else check_int(
            broken_week, "broken_week", low=2, high=self.weeks)
        self.min_accuracy = check_float(min_accuracy, "min_accuracy", low=0, high=1)
        self.data = drifting_weeks(self.weeks, rows_per_week=1600, drift_per_week=drift_per_week,
                                   seed=resolve_rng(seed))
        root, self._sandbox = folder_or_sandbox(folder)
        try:
            self.registry = ModelRegistry(root / "registry", create=True)
            self.service = ModelService(self.registry, deploy_path=deploy_path, env={"MODEL_VERSION": "1"})
            self.week = 1
            self.registered: list[tuple[int, int]] = []
            self.events: list[TimelineEvent] = []
            self._models: dict[int, Any] = {}
            self._train()
            self.registry.promote(1, reason="launch")
            self.service.reload()
        except BaseException:
            self.close()
            raise
        self._log("start", False, "done", "week 1: v1 trained, promoted and deployed; "
                  "MODEL_VERSION=1 pinned in the service's environment")

    # ------------------------------------------------------------------ plumbing
    def __enter__(self) -> DeploymentTimeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the registry's temporary folder (when the timeline created it)."""
        if self._sandbox is not None:
            self._sandbox.close()

    @property
    def deploy_path(self) -> str:
        return self.service.deploy_path

    @deploy_path.setter
    def deploy_path(self, value: str) -> None:
        self.service.deploy_path = value  # validated by the service

    def _train(self) -> int:
        flipped = [self.week] if self.week == self.broken_week else []
        (added,) = register_weekly_models(self.registry, self.data, [self.week], flipped_weeks=flipped)
        self.registered.append((self.week, added.version))
        return added.version

    def _accuracy(self, version: int | None) -> float:
        if version is None:
            return float("nan")
        if version not in self._models:
            self._models[version] = self.registry.load(version).model
        return self._models[version].score(*self.data.traffic(self.week))

    def _log(self, action: str, verified: bool, outcome: str, message: str) -> TimelineEvent:
        in_week = sum(e.week == self.week for e in self.events)
        pointer = self.registry.production()
        served = self.service.served
        X, y = self.data.traffic(self.week)
        event = TimelineEvent(
            time=self.week + min(in_week, 6) * 0.12, week=self.week, action=action, verified=verified,
            outcome=outcome, message=message, production=pointer.version if pointer else None,
            served=served.version if served else None,
            served_accuracy=float(np.mean(self.service.predict(X) == y)) if served else float("nan"),
            production_accuracy=self._accuracy(pointer.version if pointer else None))
        self.events.append(event)
        return event

    # ------------------------------------------------------------------ actions
    def next_week(self) -> TimelineEvent:
        """A week passes: new data arrives and a new version is trained and registered."""
        if self.week >= self.weeks:
            raise DeploymentError(f"The scenario ends at week {self.weeks}. Create a new timeline "
                                  "(or a new console) to start over.")
        self.week += 1
        version = self._train()
        note = " (labels came flipped from upstream: a bad model)" if self.week == self.broken_week else ""
        return self._log("train", False, "done", f"week {self.week}: v{version} trained and registered{note}")

    def promote(self, *, verify: bool = False) -> TimelineEvent:
        """Point production at the newest version; with ``verify``, only if it passes the canary."""
        newest = self.registered[-1][1]
        if not verify:
            self.registry.promote(newest, reason="unverified")
            return self._log("promote", False, "done", f"production -> v{newest} (no canary)")
        result = promote_with_canary(self.registry, newest, self.data.golden(self.week),
                                     min_accuracy=self.min_accuracy)
        if result.passed:
            return self._log("promote", True, "passed", f"canary passed, production -> v{newest}: {result.detail}")
        return self._log("promote", True, "refused", f"canary refused v{newest}: {result.detail}")

    def deploy(self, *, verify: bool = False) -> TimelineEvent:
        """Reload the service; with ``verify``, check what it serves against the registry."""
        report = deploy(self.registry, self.service, verify=verify, golden=self.data.golden(self.week))
        served = f"the service now serves v{report.served.version} (from {report.served.source})"
        if not verify:
            return self._log("deploy", False, "done", f"deployed without checks: {served}")
        failed = [c.detail for c in report.checks if not c.passed]
        if failed:
            return self._log("deploy", True, "caught", "post-deploy check FAILED: " + failed[0])
        return self._log("deploy", True, "passed", f"post-deploy checks passed: {served}")

    def rollback(self, *, verify: bool = False) -> TimelineEvent:
        """One step back in the registry, then deploy (with or without verification)."""
        pointer = self.registry.rollback()
        event = self.deploy(verify=verify)
        message = f"rolled back to v{pointer.version}; " + event.message
        self.events[-1] = event = replace(event, action="rollback", message=message)
        return event

    def snapshot(self) -> DeploymentRun:
        """The current state, as plain data."""
        pointer = self.registry.production()
        served = self.service.served
        return DeploymentRun(self.weeks, self.week, self.deploy_path, tuple(self.registered),
                             tuple(self.events), pointer.sha256 if pointer else "",
                             served.sha256 if served else "", served.source if served else "")


# Old name (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"TimelineState": DeploymentRun})
