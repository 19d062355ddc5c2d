"""Deprecated module path: the drift detectors live in one module each (:mod:`.ks`,
:mod:`.chi_square`, :mod:`.psi`, :mod:`.jensen_shannon`, :mod:`.wasserstein`).

Kept for one release (DEVELOPERS.md, "Modules"); import them from
:mod:`mlfail_widgets.failures.shift`.
"""

import warnings

from .chi_square import ChiSquareResult, chi_square_test
from .jensen_shannon import jensen_shannon_distance
from .ks import KS_EXACT_MAX_N, KSReference, KSResult, ks_test
from .psi import population_stability_index
from .wasserstein import wasserstein_distance

__all__ = [
    "KS_EXACT_MAX_N",
    "ChiSquareResult",
    "KSReference",
    "KSResult",
    "chi_square_test",
    "jensen_shannon_distance",
    "ks_test",
    "population_stability_index",
    "wasserstein_distance",
]

warnings.warn("mlfail_widgets.failures.shift.detectors is deprecated: import the detectors from "
              "mlfail_widgets.failures.shift; the old path will stop working in the next release.",
              DeprecationWarning, stacklevel=2)
