"""Chapter 05: production data that differs from the training data.

Cause it (:mod:`.generators`, :mod:`.datasets`), detect it (:mod:`.detectors`, :mod:`.report`,
:mod:`.multivariate`, :mod:`.streaming`, :mod:`.monitoring`, :mod:`.estimation`) and correct
for it (:mod:`.corrections`). Every name below is importable from this package.
"""

from ..._renamed import renamed_classes
from .binned import (
    BinnedKSResult,
    binned_ks,
    binned_ks_test,
    binned_wasserstein,
    jensen_shannon_from_counts,
    merge_bins,
)
from .chi_square import ChiSquareResult, chi_square_from_counts, chi_square_test
from .corrections import (
    LabelShiftEstimate,
    adjust_for_label_shift,
    compare_corrections,
    effective_sample_size,
    estimate_label_shift,
    importance_weights,
)
from .datasets import ISLANDS, MEASUREMENTS, load_penguins, penguin_shift
from .estimation import (
    ConfidenceCalibration,
    PerformanceEstimate,
    calibrate_confidence,
    estimate_performance,
    expected_accuracy,
    label_free_failures,
    performance_over_time,
)
from .explore import (
    MonitoringView,
    ShiftResult,
    before_after,
    deployed_model,
    monitoring_view,
    shift_snapshot,
    significance_vs_size,
)
from .generators import (
    CATEGORIES,
    DRIFT_PATTERNS,
    FEATURES,
    NUMERIC_FEATURES,
    SHIFT_KINDS,
    ShiftData,
    ShiftStream,
    class_mixture,
    drift_profile,
    drift_stream,
    make_shift,
    reference_data,
    segmented_stream,
)
from .jensen_shannon import jensen_shannon_distance
from .ks import KS_EXACT_MAX_N, KSReference, KSResult, ks_test
from .model import TabularClassifier
from .monitoring import DETECTORS, MonitoringResult, monitor_stream, window_tradeoff
from .multivariate import DomainClassifierResult, MMDResult, domain_classifier_test, mmd_test
from .psi import population_stability_index, psi_by_window
from .report import CORRECTIONS, DriftReport, adjust_pvalues, detect_drift, evidently_default_rule
from .streaming import Cusum, PageHinkley, cusum, cusum_run_length, page_hinkley
from .wasserstein import wasserstein_distance

__all__ = [
    "CATEGORIES",
    "CORRECTIONS",
    "DETECTORS",
    "DRIFT_PATTERNS",
    "FEATURES",
    "ISLANDS",
    "KS_EXACT_MAX_N",
    "MEASUREMENTS",
    "NUMERIC_FEATURES",
    "SHIFT_KINDS",
    "BinnedKSResult",
    "ChiSquareResult",
    "ConfidenceCalibration",
    "Cusum",
    "DomainClassifierResult",
    "DriftReport",
    "KSReference",
    "KSResult",
    "LabelShiftEstimate",
    "MMDResult",
    "MonitoringResult",
    "MonitoringView",
    "PageHinkley",
    "PerformanceEstimate",
    "ShiftData",
    "ShiftResult",
    "ShiftStream",
    "TabularClassifier",
    "adjust_for_label_shift",
    "adjust_pvalues",
    "before_after",
    "binned_ks",
    "binned_ks_test",
    "binned_wasserstein",
    "calibrate_confidence",
    "chi_square_from_counts",
    "chi_square_test",
    "class_mixture",
    "compare_corrections",
    "cusum",
    "cusum_run_length",
    "deployed_model",
    "detect_drift",
    "domain_classifier_test",
    "drift_profile",
    "drift_stream",
    "effective_sample_size",
    "estimate_label_shift",
    "estimate_performance",
    "evidently_default_rule",
    "expected_accuracy",
    "importance_weights",
    "jensen_shannon_distance",
    "jensen_shannon_from_counts",
    "ks_test",
    "label_free_failures",
    "load_penguins",
    "make_shift",
    "merge_bins",
    "mmd_test",
    "monitor_stream",
    "monitoring_view",
    "page_hinkley",
    "penguin_shift",
    "performance_over_time",
    "population_stability_index",
    "psi_by_window",
    "reference_data",
    "segmented_stream",
    "shift_snapshot",
    "significance_vs_size",
    "wasserstein_distance",
    "window_tradeoff",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"BinnedKS": BinnedKSResult, "ShiftSnapshot": ShiftResult})
