"""Univariate drift detectors: two-sample tests and the distances practitioners threshold.

* :func:`ks_test` (numeric) and :func:`chi_square_test` (categorical) are significance tests:
  they answer "could both samples come from one distribution?" with a p-value.
* :func:`population_stability_index`, :func:`jensen_shannon_distance` and
  :func:`wasserstein_distance` are distances: they say *how far* apart the samples are and
  are compared with a fixed threshold.

:class:`KSReference` prepares a reference sample once (each column sorted) so that many
current samples, or many windows of a stream, are tested against it without re-sorting it.

One module per test (as river's ``drift/`` has one per detector): :mod:`.ks`,
:mod:`.chi_square`, :mod:`.psi`, :mod:`.jensen_shannon`, :mod:`.wasserstein`. This module
re-exports them so ``from mlfail_widgets.failures.shift.detectors import ...`` keeps working.
"""

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
