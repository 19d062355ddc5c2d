"""The model registry and the serving path, built for real with chapter 02's parts.

One build per world: a :class:`~mlfail_widgets.failures.deployment.ModelRegistry` in a
temporary folder (removed before the function returns) holds four weekly versions of
chapter 02's drifting task; services with each deploy path load them; the checks of chapter 02
say what they serve. What the drill needs is kept as plain facts, with the temporary path
replaced by the path the dashboard shows (``/srv/models``).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["SHOWN_ROOT", "RegistryFacts", "registry_facts"]

SHOWN_ROOT = "/srv/models"
_NEWER_CODE = "1.0.0"  # the release of the serving library the training image had


@dataclass(frozen=True)
class RegistryFacts:
    """What one build of the registry and its services established.

    ``versions`` maps version -> (short sha256, golden accuracy); ``served`` maps a way of
    serving ("pointer", "env var", "cached path") -> (version, short sha256, resolved from,
    the post-deploy check's detail); the ``*_error`` fields hold the messages the loader
    raised; ``accuracy_cost`` is what serving v3 instead of v4 costs on week 4's traffic.
    """

    versions: dict
    served: dict
    permission_error: str
    file_mode: str
    code_version_error: str
    canary_failure: str
    accuracy_cost: float


def _shown(text: str, root: str) -> str:
    return text.replace(root, SHOWN_ROOT)


@lru_cache(maxsize=4)
def registry_facts(world: int) -> RegistryFacts:
    """Register, promote, deploy and check, in a temporary registry; return the facts.

    Examples
    --------
    >>> facts = registry_facts(0)
    >>> facts.served["pointer"][0], facts.served["env var"][0], facts.served["cached path"][0]
    (4, 3, 3)
    >>> facts.permission_error.startswith("PermissionError: [Errno 13]")
    True
    """
    from ..deployment import (
        CodeVersionError,
        ModelRegistry,
        ModelService,
        Sandbox,
        accuracy_by_version,
        canary,
        check_code_version,
        drifting_weeks,
        make_private,
        make_readable,
        register_weekly_models,
        train_week,
        verify_deployment,
    )

    data = drifting_weeks(5, drift_per_week=12, seed=world)
    with Sandbox(prefix="mlfail-drill-") as sandbox:
        root = str(sandbox.path / "registry")
        registry = ModelRegistry(root, create=True)
        register_weekly_models(registry, data, [1, 2, 3, 4])
        for version in (1, 2, 3):
            registry.promote(version, reason="canary passed")
        services = {"pointer": ModelService(registry),
                    "cached path": ModelService(registry, deploy_path="cached path"),
                    "env var": ModelService(registry, deploy_path="env var", env={"MODEL_VERSION": "3"})}
        for service in services.values():
            service.reload()
        registry.promote(4, reason="canary passed")
        served = {}
        for name, service in services.items():
            now = service.reload()
            check = verify_deployment(registry, service)
            served[name] = (now.version, now.sha256[:10], _shown(now.source, root), _shown(check.detail, root))
        versions = {v: (registry.metadata(v).sha256[:10], registry.metadata(v).metrics["golden_accuracy"])
                    for v in registry.versions}

        path = registry.model_path(4)
        mode = make_private(path)  # what a training job with umask 077 leaves
        readable_by_service = bool(mode & 0o004)  # the service runs as another, unprivileged user
        denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), _shown(str(path), root))
        make_readable(path)

        saved = registry.metadata(4).code_version
        try:
            check_code_version(saved.partition("==")[0] + "==" + _NEWER_CODE, saved)
            code_error = ""
        except CodeVersionError as error:
            code_error = f"CodeVersionError: {error}"

        flipped = train_week(data, 5, flipped_labels=True)  # a label-encoding bug upstream
        baseline = canary(registry.load(), data.golden(5), min_accuracy=0).accuracy
        refused = canary(flipped, data.golden(5), baseline=baseline, version=5)

    table = accuracy_by_version(data, 4)
    return RegistryFacts(
        versions=versions, served=served,
        permission_error="" if readable_by_service else f"PermissionError: {denied}",
        file_mode=oct(mode), code_version_error=code_error,
        canary_failure=f"canary for v5 failed: {refused.detail}; not promoted",
        accuracy_cost=float(table.loc[4, "accuracy"] - table.loc[3, "accuracy"]))
