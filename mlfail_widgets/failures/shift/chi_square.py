"""Chi-square test of homogeneity for a categorical feature (reference against current)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._inputs import category_labels

__all__ = ["METHODS", "MIN_EXPECTED", "ChiSquareResult", "SmallExpectedCountWarning", "chi_square_from_counts",
           "chi_square_test"]


@dataclass
class ChiSquareResult:
    """Chi-square test of homogeneity on the 2 x k table of category counts."""

    statistic: float
    pvalue: float
    dof: int
    categories: list
    table: np.ndarray


def _category_table(reference, current):
    fast = _categorical_table(reference, current)
    if fast is not None:
        return fast
    reference = category_labels(reference, "reference")
    current = category_labels(current, "current")
    categories, codes = np.unique(np.concatenate([reference, current]).astype(str), return_inverse=True)
    k = categories.size
    table = np.vstack([np.bincount(codes[: reference.size], minlength=k),
                       np.bincount(codes[reference.size:], minlength=k)]).astype(float)
    return categories.tolist(), table


def _categorical_table(reference, current):
    """The table straight from pandas categorical codes (no string conversion), when possible."""
    dtype = getattr(reference, "dtype", None)
    if dtype is None or str(dtype) != "category" or getattr(current, "dtype", None) != dtype:
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


#: The smallest expected count at which the chi-square approximation is trusted (Cochran's rule).
MIN_EXPECTED = 5.0
METHODS = ("asymptotic", "exact", "merged")


class SmallExpectedCountWarning(UserWarning):
    """A chi-square p-value computed with expected counts below 5: the approximation is off."""


def _statistic(table: np.ndarray, correction: bool) -> float:
    expected = table.sum(axis=-2, keepdims=True) * table.sum(axis=-1, keepdims=True) / table.sum(
        axis=(-2, -1), keepdims=True)
    observed = table
    if table.shape[-1] == 2 and correction:
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)
    return terms.sum(axis=(-2, -1))


def _merge_rare(categories: list, table: np.ndarray) -> tuple[list, np.ndarray]:
    """Pool the categories with expected counts below 5 (rarest first) into one "other" column
    until every expected count is at least 5 or two columns are left."""
    order = np.argsort(table.sum(axis=0), kind="stable")
    categories = [categories[i] for i in order]
    table = table[:, order]
    while table.shape[1] > 2:
        expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
        if expected.min() >= MIN_EXPECTED:
            break
        table = np.column_stack([table[:, 0] + table[:, 1], table[:, 2:]])
        first = categories[0] if str(categories[0]).startswith("other (") else f"other ({categories[0]}"
        categories = [first.rstrip(")") + f", {categories[1]})", *categories[2:]]
    return categories, table


def chi_square_test(reference: Any, current: Any, *, correction: bool = True, method: str = "asymptotic",
                    n_resamples: int = 5000, seed: int | np.random.Generator | None = 0) -> ChiSquareResult:
    """Chi-square test that two samples of a categorical feature share one distribution.

    The 2 x k table (reference and current counts of each category seen in either) is tested
    for homogeneity, as ``scipy.stats.chi2_contingency(table, correction=correction)`` does,
    with Yates' continuity correction when there is one degree of freedom (``correction``
    is that continuity correction, scipy's name, not a multiple-testing correction).

    Parameters
    ----------
    reference, current : array-like
        The two samples of category labels.
    correction : bool, default=True
        Yates' continuity correction for 2 x 2 tables.
    method : {"asymptotic", "exact", "merged"}, default="asymptotic"
        "asymptotic": the chi-square distribution, which is off when an expected count is
        below 5: then a :class:`SmallExpectedCountWarning` says so and names the two
        alternatives. "exact": the p-value of the same statistic under the exact conditional
        (permutation) distribution, by ``n_resamples`` seeded draws of the table with its
        margins fixed (multivariate hypergeometric). "merged": the rarest categories are
        pooled into one "other" column until every expected count is at least 5.
    n_resamples : int, default=5000
        Draws for ``method="exact"``.
    seed : int or numpy.random.Generator, default=0
        For ``method="exact"``.

    Examples
    --------
    >>> reference = ["web"] * 50 + ["app"] * 30 + ["branch"] * 20
    >>> current = ["web"] * 30 + ["app"] * 50 + ["branch"] * 20
    >>> result = chi_square_test(reference, current)
    >>> round(result.statistic, 3), round(result.pvalue, 4), result.dof
    (10.0, 0.0067, 2)

    A rare category (expected counts below 5): the exact p-value, or merged categories.

    >>> reference = ["web"] * 60 + ["app"] * 39 + ["kiosk"] * 1
    >>> current = ["web"] * 50 + ["app"] * 45 + ["kiosk"] * 5
    >>> round(chi_square_test(reference, current, method="exact").pvalue, 3)
    0.149
    >>> chi_square_test(reference, current, method="merged").categories
    ['other (kiosk, app)', 'web']
    """
    from ..._validation import check_choice

    method = check_choice(method, "method", METHODS)
    categories, table = _category_table(reference, current)
    return chi_square_from_counts(table, categories, correction=correction, method=method,
                                  n_resamples=n_resamples, seed=seed)


def chi_square_from_counts(table: Any, categories: list | None = None, *, correction: bool = True,
                           method: str = "asymptotic", n_resamples: int = 5000,
                           seed: int | np.random.Generator | None = 0, caller: str = "chi_square_test",
                           advice: str = "Use method='exact' (a permutation p-value) or method='merged' "
                                         "(rare categories pooled).") -> ChiSquareResult:
    """:func:`chi_square_test` on a 2 x k table of counts (reference row, current row) already made.

    For counts that come from elsewhere (chapter 08's log, counted by its engine). ``caller``
    and ``advice`` word the :class:`SmallExpectedCountWarning` for the function that called.

    Examples
    --------
    >>> result = chi_square_from_counts([[50, 30, 20], [30, 50, 20]])
    >>> round(result.statistic, 3), round(result.pvalue, 4), result.dof
    (10.0, 0.0067, 2)
    """
    import warnings

    from scipy.stats import chi2

    from ..._random import resolve_rng
    from ..._validation import check_choice, check_int

    method = check_choice(method, "method", METHODS)
    table = np.asarray(table, dtype=float)
    categories = list(range(table.shape[1])) if categories is None else list(categories)
    if method == "merged":
        categories, table = _merge_rare(categories, table)
    dof = table.shape[1] - 1
    if dof <= 0:
        return ChiSquareResult(0.0, 1.0, 0, categories, table)
    statistic = float(_statistic(table, correction))
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if method == "exact":
        n_resamples = check_int(n_resamples, "n_resamples", low=100, high=1_000_000)
        rng = resolve_rng(seed)
        columns = table.sum(axis=0).astype(np.int64)
        first = rng.multivariate_hypergeometric(columns, int(table[0].sum()), size=n_resamples)
        drawn = np.stack([first, columns - first], axis=1).astype(float)
        null = _statistic(drawn, correction)
        pvalue = float((1 + np.sum(null >= statistic - 1e-9)) / (1 + n_resamples))
        return ChiSquareResult(statistic, pvalue, dof, categories, table)
    if method == "asymptotic" and expected.min() < MIN_EXPECTED:
        warnings.warn(f"{caller}: {int((expected < MIN_EXPECTED).sum())} expected counts are below "
                      f"{MIN_EXPECTED:g} (smallest {expected.min():.2g}), so the chi-square p-value is only "
                      f"approximate. {advice}", SmallExpectedCountWarning, stacklevel=3)
    return ChiSquareResult(statistic, float(chi2.sf(statistic, dof)), dof, categories, table)
