"""Chapter 02, deployment failure: a model registry, and the ways a deployment goes wrong.

* :class:`ModelRegistry`: versions with metadata (sha256, training-data fingerprint, metrics,
  library versions) and an atomically updated production pointer.
* Stale model: :class:`ModelService` with its deploy paths, :func:`verify_deployment`,
  :func:`canary`, :func:`deploy`, one-step :meth:`ModelRegistry.rollback`.
* A pickle from another code version: :func:`load_across_versions` (real subprocesses).
* Permission: :func:`load_as_service_user` (a forked child that really runs as another user).
* Security: :func:`malicious_pickle`, :class:`RestrictedUnpickler`.
* :class:`DeploymentTimeline`: the state machine behind the chapter's widget.
"""

from ..._renamed import renamed_classes
from .checks import check_code_version, code_version_of, smoke_check
from .code_versions import CODE_CHANGES, CrossVersionLoadResult, code_change, load_across_versions
from .crash import PROMOTION_METHODS, InterruptedPromotionResult, interrupt_promotion
from .drift import WeeklyData, accuracy_by_version, drifting_weeks, register_weekly_models, train_week
from .errors import (
    CodeVersionError,
    CorruptFileError,
    DeploymentError,
    IntegrityError,
    SmokeTestError,
    UnsafePickleError,
)
from .files import Sandbox, atomic_write, fingerprint, sha256_bytes
from .permission import ServiceUserReadResult, load_as_service_user, make_private, make_readable, service_user
from .registry import LoadedModel, ModelRegistry, ModelVersion, Promotion, TornLogWarning
from .safe_pickle import DEFAULT_ALLOWED, RestrictedUnpickler, malicious_pickle, restricted_loads
from .service import (
    DEPLOY_PATHS,
    CanaryResult,
    DeploymentCheckResult,
    DeployReport,
    ModelService,
    ServedModel,
    canary,
    deploy,
    promote_with_canary,
    verify_deployment,
)
from .timeline import DeploymentRun, DeploymentTimeline, TimelineEvent

__all__ = [
    "CODE_CHANGES",
    "DEFAULT_ALLOWED",
    "DEPLOY_PATHS",
    "PROMOTION_METHODS",
    "CanaryResult",
    "CodeVersionError",
    "CorruptFileError",
    "CrossVersionLoadResult",
    "DeployReport",
    "DeploymentCheckResult",
    "DeploymentError",
    "DeploymentRun",
    "DeploymentTimeline",
    "IntegrityError",
    "InterruptedPromotionResult",
    "LoadedModel",
    "ModelRegistry",
    "ModelService",
    "ModelVersion",
    "Promotion",
    "RestrictedUnpickler",
    "Sandbox",
    "ServedModel",
    "ServiceUserReadResult",
    "SmokeTestError",
    "TimelineEvent",
    "TornLogWarning",
    "UnsafePickleError",
    "WeeklyData",
    "accuracy_by_version",
    "atomic_write",
    "canary",
    "check_code_version",
    "code_change",
    "code_version_of",
    "deploy",
    "drifting_weeks",
    "fingerprint",
    "interrupt_promotion",
    "load_across_versions",
    "load_as_service_user",
    "make_private",
    "make_readable",
    "malicious_pickle",
    "promote_with_canary",
    "register_weekly_models",
    "restricted_loads",
    "service_user",
    "sha256_bytes",
    "smoke_check",
    "train_week",
    "verify_deployment",
]

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {
    "Check": DeploymentCheckResult,
    "CrossVersionLoad": CrossVersionLoadResult,
    "DeploymentCheck": DeploymentCheckResult,
    "InterruptedPromotion": InterruptedPromotionResult,
    "ReadAttempt": ServiceUserReadResult,
    "TimelineState": DeploymentRun,
})
