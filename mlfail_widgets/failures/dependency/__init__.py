"""Chapter 01, dependency failure: a third-party package changes under a working pipeline.

Everything is real except the packages' names: the fictional library ``scalekit`` and the
pipeline ``songpipe`` are built into real wheels at run time; real pip installs them from a
real package index served on 127.0.0.1 (or refuses to); the pipeline runs in a fresh Python
process whose path is the install folder.

* Cause: :class:`DependencyLab` publishes scalekit 2.0.0, which removes a function (a loud
  break) and changes a default (a silent break); an unpinned requirement picks it up.
* Detect: :func:`version_guard` (installed versions against the lock, via
  ``importlib.metadata``) and :func:`golden_test` (predictions against those recorded at
  release time).
* Mitigate: pins (``==``, ``~=``, ``<2``); a lock file with hashes that pip enforces
  (:meth:`DependencyLab.install_locked`); a vendored wheelhouse for when the index is down.
"""

from ..._renamed import renamed_classes
from .checks import (
    GoldenTestResult,
    GuardReport,
    Lock,
    VersionCheck,
    golden_test,
    lock_problems,
    lock_wheels,
    version_guard,
)
from .lab import LOCKED_VERSION, SOURCES, DependencyLab
from .pip import ClosedPort, InstallResult, LocalIndex, installed_versions, parse_requirement, run_pip
from .releases import (
    FEATURES,
    RELEASES,
    SCALEKIT_VERSIONS,
    GoldenSet,
    Release,
    make_songs,
    release_notes,
    train_pipeline,
)
from .runs import PipelineRun, PipelineStep, runs_table
from .smoke import SmokeResult, run_pipeline
from .wheels import build_wheel, file_sha256, wheel_name

__all__ = [
    "FEATURES",
    "LOCKED_VERSION",
    "RELEASES",
    "SCALEKIT_VERSIONS",
    "SOURCES",
    "ClosedPort",
    "DependencyLab",
    "GoldenSet",
    "GoldenTestResult",
    "GuardReport",
    "InstallResult",
    "LocalIndex",
    "Lock",
    "PipelineRun",
    "PipelineStep",
    "Release",
    "SmokeResult",
    "VersionCheck",
    "build_wheel",
    "file_sha256",
    "golden_test",
    "installed_versions",
    "lock_problems",
    "lock_wheels",
    "make_songs",
    "parse_requirement",
    "release_notes",
    "run_pip",
    "run_pipeline",
    "runs_table",
    "train_pipeline",
    "version_guard",
    "wheel_name",
]

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"Check": PipelineStep, "GoldenReport": GoldenTestResult})
