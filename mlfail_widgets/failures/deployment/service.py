"""The serving side: a service that loads a model, and the checks that catch a stale one.

A deployment has two sides that can disagree: the registry says which version *should* be
served, the service decides which one *is*. :class:`ModelService` resolves its model through
one of three deploy paths, two of them with a classic bug:

* ``"pointer"``: reads the registry's production pointer at every (re)load. Correct.
* ``"cached path"``: resolved the model file's path at first start and keeps reloading that
  file; later promotions never reach it.
* ``"env var"``: a ``MODEL_VERSION`` environment variable, pinned once by hand, overrides the
  registry.

The service always reports the version and the sha256 of the bytes it actually loaded, so
:func:`verify_deployment` can compare them with the registry. :func:`canary` runs a candidate
(or the service) on a labelled golden set.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..._renamed import renamed_classes
from ..._validation import check_choice, check_float
from .errors import DeploymentError
from .registry import ModelRegistry

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .checks import Predictor

__all__ = [
    "DEPLOY_PATHS",
    "CanaryResult",
    "DeployReport",
    "DeploymentCheckResult",
    "ModelService",
    "ServedModel",
    "canary",
    "deploy",
    "promote_with_canary",
    "verify_deployment",
]


DEPLOY_PATHS = ("pointer", "cached path", "env var")


@dataclass(frozen=True)
class ServedModel:
    """What a service reports it serves (its ``/version`` endpoint)."""

    version: int
    sha256: str
    source: str  # how the service resolved which model to load
    loaded_at: str


@dataclass(frozen=True)
class DeploymentCheckResult:
    """One named check of a deployment: passed or not, and why."""

    name: str
    passed: bool
    detail: str


class ModelService:
    """A model server, in process: loads a model from the registry through a deploy path.

    Parameters
    ----------
    registry : ModelRegistry
    deploy_path : {"pointer", "cached path", "env var"}, default="pointer"
        How it resolves which version to load (see the module docstring).
    env : mapping, optional
        The service's environment, read by the ``"env var"`` path (``MODEL_VERSION``).
        Defaults to :data:`os.environ`.

    Examples
    --------
    >>> import tempfile
    >>> from mlfail_widgets.failures.deployment import drifting_weeks, register_weekly_models
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     _ = register_weekly_models(registry, drifting_weeks(3, seed=0), [1, 2, 3])
    ...     _ = registry.promote(1)
    ...     service = ModelService(registry, deploy_path="env var", env={"MODEL_VERSION": "1"})
    ...     _ = service.reload()
    ...     _ = registry.promote(3)
    ...     served = service.reload()
    >>> served.version, served.source
    (1, 'environment variable MODEL_VERSION=1')
    """

    def __init__(self, registry: ModelRegistry, *, deploy_path: str = "pointer",
                 env: Mapping[str, str] | None = None):
        self.registry = registry
        self.deploy_path = deploy_path
        self.env = os.environ if env is None else env
        self.served: ServedModel | None = None
        self._model = None
        self._cached_path: Path | None = None

    @property
    def deploy_path(self) -> str:
        return self._deploy_path

    @deploy_path.setter
    def deploy_path(self, value: str) -> None:
        self._deploy_path = check_choice(value, "deploy_path", DEPLOY_PATHS)

    def _resolve(self) -> tuple[int, str]:
        if self.deploy_path == "env var" and self.env.get("MODEL_VERSION"):
            value = self.env["MODEL_VERSION"]
            return self.registry.check_version(value), \
                f"environment variable MODEL_VERSION={value}"
        if self.deploy_path == "cached path" and self._cached_path is not None:
            return self.registry.version_at(self._cached_path), f"cached path {self._cached_path}"
        pointer = self.registry.production()
        if pointer is None:
            raise DeploymentError("The service has nothing to load: no version is in production. "
                                  "Promote one first (registry.promote(N)).")
        return pointer.version, "production pointer"

    def reload(self) -> ServedModel:
        """(Re)load the model its deploy path resolves to; return what it now serves."""
        version, source = self._resolve()
        loaded = self.registry.load(version)
        if self.deploy_path == "cached path" and self._cached_path is None:
            self._cached_path = loaded.path
        self._model = loaded.model
        self.served = ServedModel(loaded.version, loaded.sha256, source,
                                  dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        return self.served

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Answer a request."""
        if self._model is None:
            raise DeploymentError("The service has not loaded a model yet: call reload() first.")
        return self._model.predict(X)

    def version_info(self) -> dict[str, int | str | None]:
        """What a ``/version`` endpoint returns: the version and hash actually loaded."""
        if self.served is None:
            return {"version": None, "sha256": None, "source": None}
        return {"version": self.served.version, "sha256": self.served.sha256,
                "source": self.served.source}


def verify_deployment(registry: ModelRegistry, service: ModelService) -> DeploymentCheckResult:
    """The post-deploy check: does the service serve the version and hash production names?

    Examples
    --------
    >>> import tempfile
    >>> from mlfail_widgets.failures.deployment import drifting_weeks, register_weekly_models
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     _ = register_weekly_models(registry, drifting_weeks(2, seed=0), [1, 2])
    ...     _ = registry.promote(1)
    ...     service = ModelService(registry, deploy_path="cached path")
    ...     _ = service.reload()
    ...     _ = registry.promote(2)
    ...     _ = service.reload()
    ...     verify_deployment(registry, service).passed
    False
    """
    expected = registry.production()
    served = service.served
    if expected is None or served is None:
        return DeploymentCheckResult("served version", False, "nothing in production, or the service has not loaded")
    if (served.version, served.sha256) == (expected.version, expected.sha256):
        return DeploymentCheckResult("served version", True,
                     f"serves v{served.version} ({served.sha256[:10]}), as production says")
    return DeploymentCheckResult("served version", False,
                 f"production is v{expected.version} ({expected.sha256[:10]}) but the service serves "
                 f"v{served.version} ({served.sha256[:10]}), resolved from {served.source}. Fix the "
                 "deploy path so the service reads the production pointer, then deploy again.")


@dataclass(frozen=True)
class CanaryResult:
    """A candidate's accuracy on the golden set, against the bar it had to clear."""

    version: int | None
    accuracy: float
    bar: float
    passed: bool
    detail: str


def canary(predictor: Predictor, golden: tuple[ArrayLike, ArrayLike], *, min_accuracy: float = 0.8, baseline: float | None = None,
           tolerance: float = 0.02, version: int | None = None) -> CanaryResult:
    """Score ``predictor`` on the labelled ``golden`` set; pass if it clears the bar.

    The bar is ``min_accuracy``, raised to ``baseline - tolerance`` when a baseline (the
    production model's golden accuracy) is given: a candidate may not be clearly worse.

    Examples
    --------
    >>> import numpy as np
    >>> class Always1:
    ...     def predict(self, X): return np.ones(len(X), dtype=int)
    >>> golden = (np.zeros((4, 2)), np.array([1, 1, 1, 0]))
    >>> canary(Always1(), golden, min_accuracy=0.7).passed
    True
    >>> canary(Always1(), golden, min_accuracy=0.7, baseline=0.9).detail
    'golden accuracy 75.0%, below the bar 88.0%'
    """
    min_accuracy = check_float(min_accuracy, "min_accuracy", low=0, high=1)
    tolerance = check_float(tolerance, "tolerance", low=0, high=1)
    if baseline is not None:
        baseline = check_float(baseline, "baseline", low=0, high=1,
                               fix="The baseline is the production model's golden accuracy, or None.")
    X, y = golden
    accuracy = float(np.mean(np.asarray(predictor.predict(X)) == np.asarray(y)))
    bar = min_accuracy if baseline is None else max(min_accuracy, baseline - tolerance)
    passed = accuracy >= bar
    relation = "clears" if passed else "below"
    return CanaryResult(version, accuracy, bar, passed, f"golden accuracy {accuracy:.1%}, {relation} the bar {bar:.1%}")


def promote_with_canary(registry: ModelRegistry, version: int | str, golden: tuple[ArrayLike, ArrayLike], *, min_accuracy: float = 0.8,
                        tolerance: float = 0.02) -> CanaryResult:
    """Promote ``version`` only if it loads cleanly and passes the canary on ``golden``.

    Loading runs every check of :meth:`ModelRegistry.load` (hash, code version, restricted
    unpickler, smoke test); a failure there fails the canary. The baseline is the production
    model's accuracy on the same golden set.
    """
    number = registry.check_version(version)
    try:
        candidate = registry.load(number)
    except DeploymentError as error:
        return CanaryResult(number, float("nan"), min_accuracy, False, f"does not load: {error}")
    baseline = None
    if registry.production() is not None:
        baseline = canary(registry.load(), golden, min_accuracy=0).accuracy
    result = canary(candidate, golden, min_accuracy=min_accuracy, baseline=baseline,
                    tolerance=tolerance, version=number)
    if result.passed:
        registry.promote(number, reason="canary passed")
    return result


@dataclass(frozen=True)
class DeployReport:
    """The outcome of a deploy: what the service serves, and the checks (none if unverified)."""

    served: ServedModel
    expected: int | None
    checks: tuple[DeploymentCheckResult, ...] = field(default_factory=tuple)

    @property
    def verified(self) -> bool:
        return bool(self.checks)

    @property
    def ok(self) -> bool | None:
        """True or False after verification; None when nobody checked."""
        return all(c.passed for c in self.checks) if self.checks else None


def deploy(registry: ModelRegistry, service: ModelService, *, verify: bool = True,
           golden: tuple | None = None) -> DeployReport:
    """Reload the service; with ``verify``, check what it serves against the registry.

    Two checks: the served version and hash (:func:`verify_deployment`), and, given a golden
    set, that the service answers it exactly as the production model loaded from the registry
    does (a stale or wrong model disagrees).

    Examples
    --------
    >>> import tempfile
    >>> from mlfail_widgets.failures.deployment import drifting_weeks, register_weekly_models
    >>> data = drifting_weeks(3, seed=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     _ = register_weekly_models(registry, data, [1, 2, 3])
    ...     _ = registry.promote(3)
    ...     service = ModelService(registry, deploy_path="env var", env={"MODEL_VERSION": "1"})
    ...     report = deploy(registry, service, golden=data.golden(3))
    >>> report.ok, [check.passed for check in report.checks]
    (False, [False, False])
    """
    served = service.reload()
    pointer = registry.production()
    if not verify:
        return DeployReport(served, None if pointer is None else pointer.version)
    checks = [verify_deployment(registry, service)]
    if golden is not None and pointer is not None:
        X, _ = golden
        agree = float(np.mean(np.asarray(service.predict(X)) == np.asarray(registry.load().predict(X))))
        checks.append(DeploymentCheckResult("golden answers", agree == 1.0,
                            f"the service agrees with production v{pointer.version} on {agree:.0%} of "
                            f"{len(X)} golden rows"))
    return DeployReport(served, pointer.version if pointer else None, tuple(checks))

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"Check": DeploymentCheckResult, "DeploymentCheck": DeploymentCheckResult})
