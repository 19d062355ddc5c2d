"""The map of the course: the six failure types and the outage study behind the two families.

Papasian and Underwood ("How ML Breaks: A Decade of Outages for One Large ML Pipeline",
USENIX OpML 2020) read the postmortems of 96 outages of one large ML pipeline at Google and
found that 60 of them were not ML-specific. :func:`outage_share` asks how sure that "most"
is, given only 96 outages.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._data import data_path
from .._renamed import renamed_classes
from .._validation import check_choice, check_float, check_int
from ..intervals import PROPORTION_METHODS, proportion_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FAILURE_TYPES", "FailureType", "OutageShareEstimate", "load_outage_study", "outage_share"]


@dataclass(frozen=True)
class FailureType:
    """One of the six failure types of the course."""

    key: str
    name: str
    family: str
    chapter: str
    cause: str
    detect: str
    mitigate: str


FAILURE_TYPES: tuple[FailureType, ...] = (
    FailureType("dependency", "Dependency failure", "software", "01_dependency_failure",
                "a third-party package changes or disappears under the pipeline",
                "a version guard against a lock file; a golden-prediction smoke test",
                "pins, a hashed lock file, a vendored wheelhouse"),
    FailureType("deployment", "Deployment failure", "software", "02_deployment_failure",
                "an older model is served, or the service cannot load the model",
                "the service reports the model version and hash it loaded; a post-deploy check",
                "atomic promotion, load-and-smoke-test before switching, one-step rollback"),
    FailureType("downtime", "Downtime failure", "software", "03_downtime_failure",
                "a server or service the system calls stops answering",
                "health checks, error rate and latency percentiles from real requests",
                "timeouts, retries with backoff and jitter, circuit breakers, fallbacks, replicas"),
    FailureType("hardware", "Hardware failure", "software", "04_hardware_failure",
                "heavy computation saturates, overheats or corrupts the machine",
                "per-core utilisation, latency under load, checksums of the weights",
                "thread limits, admission control, batching, redundancy"),
    FailureType("shift", "Data distribution shift", "ML-specific", "05_data_distribution_shift",
                "production data drifts away from the training data",
                "two-sample tests per feature, windowed monitoring, slice metrics",
                "importance weighting, label-shift correction, retraining on recent data"),
    FailureType("feedback", "Degenerate feedback loop", "ML-specific", "06_degenerate_feedback_loops",
                "the model's predictions shape the feedback it learns from",
                "slice performance by item popularity and age; concentration of exposure",
                "randomization (exploration) and positional features"),
)


def load_outage_study() -> pd.DataFrame:
    """The outage study as a DataFrame (``family``, ``outages``, ``examples``).

    Examples
    --------
    >>> study = load_outage_study()
    >>> int(study["outages"].sum()), int(study.set_index("family").loc["not ML-specific", "outages"])
    (96, 60)
    """
    import pandas as pd

    return pd.read_csv(data_path("outage_study.csv"))


@dataclass
class OutageShareEstimate:
    """The share of outages that were not ML-specific, with its confidence interval.

    :func:`outage_share` returns it (``OutageShare`` is its old name).

    Examples
    --------
    >>> estimate = outage_share(confidence=0.9)
    >>> estimate.share, estimate.confidence, estimate.majority_is_sure
    (0.625, 0.9, True)
    """

    not_ml: int
    total: int
    confidence: float
    method: str
    low: float
    high: float

    @property
    def level(self) -> float:
        """Deprecated: the old name of :attr:`confidence` (kept for one release)."""
        warnings.warn("OutageShareEstimate.level is renamed OutageShareEstimate.confidence; level will stop "
                      "working in the next release.", DeprecationWarning, stacklevel=2)
        return self.confidence

    @property
    def share(self) -> float:
        return self.not_ml / self.total

    @property
    def majority_is_sure(self) -> bool:
        """True when the whole interval lies above one half."""
        return self.low > 0.5


def outage_share(confidence: float = 0.95, method: str = "wilson", study_size: int = 96, *,
                 level: float | None = None) -> OutageShareEstimate:
    """How sure is "most outages are not ML-specific"? The interval for the non-ML share.

    Parameters
    ----------
    confidence : float, default=0.95
        Confidence level of the interval, in [0.5, 0.999].
    method : {"wilson", "clopper-pearson", "normal"}, default="wilson"
        How the interval is computed (see :func:`mlfail_widgets.intervals.proportion_interval`).
    study_size : int, default=96
        A what-if: a study of this many outages with the same share (60/96) as the real one.
    level : float, optional
        The old name of ``confidence`` (deprecated, accepted for one release with a
        ``DeprecationWarning``).

    Examples
    --------
    >>> result = outage_share()
    >>> result.not_ml, result.total, round(result.share, 3), result.majority_is_sure
    (60, 96, 0.625, True)
    >>> outage_share(study_size=20).majority_is_sure
    False
    """
    from ..statistics import renamed_argument

    confidence = renamed_argument("confidence", confidence, "level", level, 0.95)
    fix = None
    if (isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
            and 1 < confidence <= 100_000):
        options = [f"confidence={confidence / 100:g}"] if 50 <= confidence < 100 else []
        if float(confidence).is_integer() and confidence >= 2:
            options.append(f"study_size={int(confidence)}")
        if options:
            fix = ("The first argument is the confidence level, a fraction (e.g. 0.95). Did you mean "
                   + " or ".join(options) + "? Pass other arguments by name: outage_share(study_size=...).")
    confidence = check_float(confidence, "confidence", low=0.5, high=0.999, fix=fix)
    method = check_choice(method, "method", PROPORTION_METHODS)
    study_size = check_int(study_size, "study_size", low=2, high=100_000)
    study = load_outage_study().set_index("family")["outages"]
    real_not_ml, real_total = int(study.loc["not ML-specific"]), int(study.sum())
    not_ml = round(real_not_ml / real_total * study_size)
    low, high = proportion_interval(not_ml, study_size, confidence, method=method)
    return OutageShareEstimate(not_ml, study_size, confidence, method, low, high)


# Old name (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"OutageShare": OutageShareEstimate})
