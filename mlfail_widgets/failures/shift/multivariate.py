"""Multivariate drift detectors: a kernel two-sample test and a domain classifier.

Per-feature tests miss a shift that lives in the *relation* between features (each marginal
unchanged, the joint distribution moved). Both detectors here look at all features at once:

* :func:`mmd_test`: the maximum mean discrepancy with a Gaussian kernel, and a permutation test
  for its p-value;
* :func:`domain_classifier_test`: train a classifier to tell reference rows from current rows;
  if it beats chance on held-out rows (ROC AUC above 0.5), the two sets differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_bool, check_int, parameter_error
from ...metrics import roc_auc
from ...models import LogisticRegression
from ._inputs import category_levels, design_matrix, is_categorical, numeric_matrix

__all__ = ["DomainClassifierResult", "MMDResult", "domain_classifier_test", "mmd_test"]


def _features(reference, current, columns):
    """Both sets as numeric matrices; DataFrames get their categories one-hot encoded."""
    if hasattr(reference, "columns") and hasattr(current, "columns"):
        from ..._validation import check_columns

        columns = list(reference.columns) if columns is None else check_columns(reference, columns, "columns")
        check_columns(current, columns, "columns")
        categorical = [c for c in columns if is_categorical(reference[c])]
        numeric = [c for c in columns if c not in categorical]
        levels = category_levels(reference, categorical)
        for name, frame in (("reference", reference), ("current", current)):
            if len(frame) < 2:
                raise parameter_error(name, "at least 2 rows", f"{len(frame)} rows")
        return (design_matrix(reference, numeric, categorical, levels),
                design_matrix(current, numeric, categorical, levels))
    r, _ = numeric_matrix(reference, "reference")
    c, _ = numeric_matrix(current, "current")
    if r.shape[1] != c.shape[1]:
        raise parameter_error("current", f"{r.shape[1]} columns like the reference", f"{c.shape[1]} columns")
    for name, array in (("reference", r), ("current", c)):
        if array.shape[0] < 2:
            raise parameter_error(name, "at least 2 rows", f"{array.shape[0]} rows")
    return r, c


@dataclass
class MMDResult:
    """Maximum mean discrepancy (unbiased MMD squared), its permutation p-value and bandwidth."""

    statistic: float
    pvalue: float
    bandwidth: float
    n_permutations: int


def mmd_test(reference: Any, current: Any, columns: Any = None, *, n_permutations: int = 200, max_rows: int = 500,
             seed: int | np.random.Generator | None = 0) -> MMDResult:
    """Kernel two-sample test: the MMD with a Gaussian kernel and a permutation p-value.

    Features are standardised with the pooled mean and standard deviation, and the kernel
    bandwidth is the median distance between pooled rows (the "median heuristic"): both are
    the same for every permutation, which keeps the permutation test exact. The p-value
    is ``(1 + #{permuted MMD >= observed}) / (1 + n_permutations)``, which never falls below
    the nominal level under no shift. All permutations are evaluated at once as quadratic forms
    of one kernel matrix.

    Parameters
    ----------
    reference, current : array-like of shape (n, k) or DataFrame
    columns : list of str, optional
        With DataFrames, the features to use (categories are one-hot encoded).
    n_permutations : int, default=200
    max_rows : int, default=500
        Each set is subsampled (seeded) to at most this many rows: the kernel matrix has
        ``(2 * max_rows) ** 2`` entries.
    seed : int, Generator or None, default=0

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same = mmd_test(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)), seed=1)
    >>> moved = mmd_test(rng.normal(size=(200, 3)), rng.normal(0.5, 1, size=(200, 3)), seed=1)
    >>> same.pvalue > 0.05, moved.pvalue < 0.01
    (True, True)
    """
    n_permutations = check_int(n_permutations, "n_permutations", low=1, high=10_000)
    max_rows = check_int(max_rows, "max_rows", low=2, high=5000)
    rng = resolve_rng(seed)
    r, c = _features(reference, current, columns)
    if r.shape[0] > max_rows:
        r = r[rng.choice(r.shape[0], max_rows, replace=False)]
    if c.shape[0] > max_rows:
        c = c[rng.choice(c.shape[0], max_rows, replace=False)]
    pooled = np.vstack([r, c])
    scale = pooled.std(axis=0)
    scale[scale == 0] = 1.0
    pooled = (pooled - pooled.mean(axis=0)) / scale  # pooled: the same for every permutation
    squared = (pooled**2).sum(axis=1)
    distance2 = np.maximum(squared[:, None] + squared[None, :] - 2 * pooled @ pooled.T, 0.0)
    off_diagonal = distance2[np.triu_indices_from(distance2, k=1)]
    bandwidth = float(np.sqrt(np.median(off_diagonal))) or 1.0
    kernel = np.exp(-distance2 / (2 * bandwidth**2))
    n, m = r.shape[0], c.shape[0]
    total = n + m
    row_sums = kernel.sum(axis=1)
    grand = row_sums.sum()

    def mmd2(membership: np.ndarray) -> np.ndarray:  # (total, B) indicators of "reference"
        xx = (membership * (kernel @ membership)).sum(axis=0)
        to_rest = membership.T @ row_sums
        xy = to_rest - xx
        yy = grand - 2 * to_rest + xx
        return (xx - n) / (n * (n - 1)) + (yy - m) / (m * (m - 1)) - 2 * xy / (n * m)

    observed = float(mmd2(np.r_[np.ones(n), np.zeros(m)][:, None])[0])
    keys = rng.random((total, n_permutations)).argsort(axis=0)
    permuted = mmd2((keys < n).astype(float))
    pvalue = (1 + int((permuted >= observed).sum())) / (1 + n_permutations)
    return MMDResult(observed, pvalue, bandwidth, n_permutations)


@dataclass
class DomainClassifierResult:
    """How well a classifier tells current rows from reference rows, on held-out rows.

    ``auc`` is 0.5 when the sets cannot be told apart; ``pvalue`` is the one-sided
    Mann-Whitney p-value of the held-out scores (the AUC's own test).
    """

    auc: float
    pvalue: float
    n_test: int


def domain_classifier_test(reference: Any, current: Any, columns: Any = None, *, quadratic: bool = True,
                           seed: int | np.random.Generator | None = 0) -> DomainClassifierResult:
    """Train a classifier to tell reference from current rows; test its held-out ROC AUC.

    Half of each set (seeded) trains a logistic regression (with the squares and pairwise
    products of the features when ``quadratic``, so a change of spread or of correlation is
    visible too); the other half is scored. Because the
    scored rows were not used in training, the Mann-Whitney test of their scores is a valid
    test of "no shift" at its nominal level.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> result = domain_classifier_test(rng.normal(size=(500, 2)), rng.normal(0.4, 1, size=(500, 2)))
    >>> result.auc > 0.6, result.pvalue < 0.001
    (True, True)
    """
    from scipy.stats import mannwhitneyu

    quadratic = check_bool(quadratic, "quadratic")
    rng = resolve_rng(seed)
    r, c = _features(reference, current, columns)
    if quadratic:  # squares and pairwise products: a change of spread or of correlation shows
        i, j = np.triu_indices(r.shape[1])
        r, c = np.hstack([r, r[:, i] * r[:, j]]), np.hstack([c, c[:, i] * c[:, j]])
    r_train = rng.permutation(r.shape[0]) < r.shape[0] // 2
    c_train = rng.permutation(c.shape[0]) < c.shape[0] // 2
    X = np.vstack([r[r_train], c[c_train]])
    y = np.r_[np.zeros(r_train.sum()), np.ones(c_train.sum())]
    model = LogisticRegression().fit(X, y)
    score_r = model.predict_proba(r[~r_train])[:, 1]
    score_c = model.predict_proba(c[~c_train])[:, 1]
    auc = roc_auc(np.r_[np.zeros(score_r.size), np.ones(score_c.size)], np.r_[score_r, score_c])
    pvalue = float(mannwhitneyu(score_c, score_r, alternative="greater").pvalue)
    return DomainClassifierResult(float(auc), pvalue, score_r.size + score_c.size)
