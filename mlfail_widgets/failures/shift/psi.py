"""Population stability index (PSI) of a feature: reference quantile bins or categories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import check_float, check_int, parameter_error
from ...statistics import PSI_EPSILON, psi_from_counts
from ._inputs import numeric_matrix
from .chi_square import _category_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["population_stability_index", "psi_by_window"]


def _binned_counts(reference, current, bins: int):
    """Counts of both samples over bins: reference quantiles, or categories."""
    numeric = getattr(np.asarray(reference), "dtype", np.dtype(object)).kind in "iuf" and \
        not hasattr(reference, "cat")
    if not numeric:
        _, table = _category_table(reference, current)
        return table[0], table[1]
    reference, _ = numeric_matrix(reference, "reference")
    current, _ = numeric_matrix(current, "current")
    if reference.shape[1] != 1 or current.shape[1] != 1:
        raise parameter_error("reference", "one column (a 1-D array)",
                              f"{reference.shape[1]} columns", fix="Call it once per feature.")
    inner = np.unique(np.quantile(reference[:, 0], np.arange(1, bins) / bins))
    counts = [np.bincount(np.searchsorted(inner, s[:, 0], side="right"), minlength=inner.size + 1)
              for s in (reference, current)]
    return counts[0].astype(float), counts[1].astype(float)


def _binned(reference, current, bins: int):
    """Proportions of both samples over bins: reference quantiles, or categories."""
    r, c = _binned_counts(reference, current, bins)
    return r / r.sum(), c / c.sum()


def population_stability_index(reference: Any, current: Any, *, bins: int = 10,
                               epsilon: float = PSI_EPSILON) -> float:
    """Population stability index: ``sum((c - r) * ln(c / r))`` over bins.

    Numeric features are cut at the reference's quantiles into ``bins`` bins (deciles by
    default), categorical ones by category. Empty bins get proportion ``epsilon`` so the
    logarithm stays finite; epsilon changes the answer when a bin is empty on one side (see
    :data:`mlfail_widgets.statistics.PSI_EPSILON`). A common rule of thumb reads < 0.1 as
    stable, 0.1-0.25 as a moderate shift and > 0.25 as a major shift; it ignores sample size:
    on small windows PSI is large by chance alone (see :func:`mlfail_widgets.statistics.psi_null`).
    The arithmetic is :func:`mlfail_widgets.statistics.psi_from_counts`.

    Examples
    --------
    >>> round(population_stability_index(["a"] * 50 + ["b"] * 50, ["a"] * 25 + ["b"] * 75), 4)
    0.2747
    """
    bins = check_int(bins, "bins", low=2, high=1000)
    epsilon = check_float(epsilon, "epsilon", low=0, high=0.1,
                          low_open=True)
    r, c = _binned_counts(reference, current, bins)
    return float(psi_from_counts(r, c, epsilon=epsilon))


def psi_by_window(windows: Any = (50, 100, 500, 1000, 5000), *, reference_rows: int = 5000, bins: int = 10,
                  seed: int | np.random.Generator | None = 0) -> pd.DataFrame:
    """PSI with no shift at all, by window size, against the 0.1 / 0.25 rule of thumb.

    A numeric feature cut into ``bins`` reference quantile bins (equal shares); for each window
    size, :func:`mlfail_widgets.statistics.psi_null` gives PSI's distribution when nothing
    moved: its mean, how often the rule of thumb calls it a moderate (> 0.1) or major (> 0.25)
    shift, and the sample-size-aware threshold (its 95th percentile) to use instead.

    Returns
    -------
    pandas.DataFrame
        ``window``, ``mean_psi``, ``above_0.1``, ``above_0.25``, ``threshold_95``.

    Examples
    --------
    >>> psi_by_window((50, 5000))["above_0.25"].round(2).tolist()
    [0.28, 0.0]
    """
    import pandas as pd

    from ...statistics import psi_null

    bins = check_int(bins, "bins", low=2, high=1000)
    reference_rows = check_int(reference_rows, "reference_rows", low=bins, high=100_000_000)
    counts = np.full(bins, reference_rows / bins)
    rows = []
    for window in windows:
        null = psi_null(counts, window, seed=seed)
        rows.append((int(window), null["mean"], null["above_0.1"], null["above_0.25"], null["threshold"]))
    return pd.DataFrame(rows, columns=["window", "mean_psi", "above_0.1", "above_0.25", "threshold_95"])
