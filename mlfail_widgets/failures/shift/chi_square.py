"""Chi-square test of homogeneity for a categorical feature (reference against current)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._inputs import category_labels

__all__ = ["ChiSquareResult", "chi_square_test"]


@dataclass
class ChiSquareResult:
    """Chi-square test of homogeneity on the 2 x k table of category counts."""

    statistic: float
    pvalue: float
    dof: int
    categories: list
    table: np.ndarray


def _category_table(reference, current, owner: str):
    fast = _categorical_table(reference, current)
    if fast is not None:
        return fast
    reference = category_labels(reference, "reference", owner)
    current = category_labels(current, "current", owner)
    categories, codes = np.unique(np.concatenate([reference, current]).astype(str), return_inverse=True)
    k = categories.size
    table = np.vstack([np.bincount(codes[: reference.size], minlength=k),
                       np.bincount(codes[reference.size:], minlength=k)]).astype(float)
    return categories.tolist(), table


def _categorical_table(reference, current):
    """The table straight from pandas categorical codes (no string conversion), when possible."""
    dtype = getattr(reference, "dtype", None)
    if str(dtype) != "category" or getattr(current, "dtype", None) != dtype:
        return None
    if not len(reference) or not len(current):
        return None  # let category_labels name the empty side
    r, c = reference.cat.codes.to_numpy(), current.cat.codes.to_numpy()
    if (r < 0).any() or (c < 0).any():
        return None  # missing values: category_labels explains
    k = len(dtype.categories)
    table = np.vstack([np.bincount(r, minlength=k), np.bincount(c, minlength=k)]).astype(float)
    seen = table.sum(axis=0) > 0
    categories = [str(v) for v in dtype.categories]
    order = np.argsort(categories)  # the same order as the general path (sorted labels)
    order = order[seen[order]]
    return [categories[i] for i in order], table[:, order]


def chi_square_test(reference, current, *, correction: bool = True) -> ChiSquareResult:
    """Chi-square test that two samples of a categorical feature share one distribution.

    The 2 x k table (reference and current counts of each category seen in either) is tested
    for homogeneity, as ``scipy.stats.chi2_contingency(table, correction=correction)`` does,
    with Yates' continuity correction when there is one degree of freedom.

    Examples
    --------
    >>> reference = ["web"] * 50 + ["app"] * 30 + ["branch"] * 20
    >>> current = ["web"] * 30 + ["app"] * 50 + ["branch"] * 20
    >>> result = chi_square_test(reference, current)
    >>> round(result.statistic, 3), round(result.pvalue, 4), result.dof
    (10.0, 0.0067, 2)
    """
    from scipy.stats import chi2

    categories, table = _category_table(reference, current, "chi_square_test")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    dof = table.shape[1] - 1
    if dof == 0:
        return ChiSquareResult(0.0, 1.0, 0, categories, table)
    observed = table
    if dof == 1 and correction:
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return ChiSquareResult(statistic, float(chi2.sf(statistic, dof)), dof, categories, table)
