"""The course's statistics helpers, one of each: multiple-testing corrections, PSI, drift effects.

Every part of the package that corrects p-values for testing many things at once (features in
a drift report, windows of a monitor, slices of a slice chart) calls :func:`adjust_pvalues`;
every part that computes a population stability index calls :func:`psi_from_counts` (and
:func:`psi_null` for its threshold at a window's size); every drift table puts
:func:`drift_effect` (effect size, smallest detectable effect, power against a stated small
effect: :func:`ks_power` for KS) beside its p-values. One
spelling everywhere: the argument is ``correction=`` and "no correction" is ``"none"``;
``alpha`` is a significance level (flag when p < alpha), ``confidence`` a confidence level.

Pure numpy; the names of the rules follow statsmodels' ``multipletests`` (``"bonferroni"``,
``"holm"``, ``"fdr_bh"`` there, ``"bh"`` here).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._validation import argument_helper, check_choice, check_float, owner_name, parameter_error

__all__ = ["CORRECTIONS", "DRIFT_EFFECT_COLUMNS", "PSI_EPSILON", "SMALL_EFFECT", "DriftEffect", "adjust_pvalues",
           "drift_effect", "drift_effects", "ks_power", "psi_from_counts", "psi_null", "renamed_argument"]

#: The multiple-testing corrections: none, Bonferroni, Holm's step-down, Benjamini-Hochberg.
CORRECTIONS = ("none", "bonferroni", "holm", "bh")

#: The proportion given to an empty bin so PSI's logarithm stays finite. It matters: a category
#: seen only in production (0 % of the reference, 5 % now) adds ``(0.05 - eps) * ln(0.05 / eps)``,
#: 0.06 at eps = 1e-2, 0.31 at 1e-4 (this default) and 0.54 at 1e-6. Report PSI with its epsilon.
PSI_EPSILON = 1e-4


@argument_helper
def renamed_argument(new_name: str, new_value: Any, old_name: str, old_value: Any,
                     default: Any) -> Any:
    """Accept an argument's old name for one release, with a ``DeprecationWarning``.

    Returns the value to use: the old one when only it was given. Giving both is an error.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     renamed_argument("alpha", 0.05, "level", 0.01, 0.05)
    0.01
    >>> str(caught[0].message)  # called from detect_drift, the message names detect_drift
    "renamed_argument: 'level' is renamed 'alpha'; 'level' will stop working in the next release."
    """
    if old_value is None:
        return new_value
    if new_value is not default and new_value != default:
        raise parameter_error(old_name, f"left out when {new_name!r} is given", old_value,
                              fix=f"{old_name!r} is the old name of {new_name!r}; give only {new_name!r}.")
    warnings.warn(f"{owner_name()}: {old_name!r} is renamed {new_name!r}; {old_name!r} will stop working in "
                  "the next release.", DeprecationWarning, stacklevel=3)
    return old_value


@argument_helper
def check_correction(correction: Any, name: str = "correction") -> str:
    """The correction's one spelling; ``None`` (the old spelling of ``"none"``) is accepted
    with a ``DeprecationWarning``."""
    if correction is None:
        warnings.warn(f"{owner_name()}: correction=None is spelled correction='none' now; None will stop "
                      "working in the next release.", DeprecationWarning, stacklevel=3)
        return "none"
    return check_choice(correction, name, CORRECTIONS)


def adjust_pvalues(pvalues: ArrayLike, correction: str = "bonferroni", *, method: str | None = None) -> np.ndarray:
    """Adjust p-values for testing several hypotheses at once (along the last axis).

    Parameters
    ----------
    pvalues : array-like
        One p-value per hypothesis (feature, slice); a 2-D array holds one row per family
        (e.g. per monitoring window). NaN marks a hypothesis not tested: it stays NaN and does
        not count in its family's size.
    correction : {"none", "bonferroni", "holm", "bh"}, default="bonferroni"
        "bonferroni" multiplies by the number of tests; "holm" is Holm's step-down version
        (never less powerful, the same family-wise guarantee); "bh" is Benjamini-Hochberg's
        step-up false discovery rate. Equal to statsmodels' ``multipletests``.
    method : str, optional
        The old name of ``correction`` (deprecated).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1: reject a hypothesis when its adjusted p-value is
        below the significance level ``alpha``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, 0.03, 0.5], "bonferroni").tolist()
    [0.04, 0.08, 0.12, 1.0]
    >>> [round(p, 4) for p in adjust_pvalues([0.01, 0.02, 0.03, 0.5], "bh").tolist()]
    [0.04, 0.04, 0.04, 0.5]
    >>> adjust_pvalues([0.01, float("nan"), 0.02], "holm").tolist()
    [0.02, nan, 0.02]
    """
    correction = renamed_argument("correction", correction, "method", method, "bonferroni")
    correction = check_correction(correction)
    p = np.array(pvalues, dtype=float)
    tested = np.isfinite(p)
    if p.size == 0 or np.any(np.isinf(p)) or np.any((p[tested] < 0) | (p[tested] > 1)):
        raise parameter_error("pvalues", "a non-empty array of numbers in [0, 1] (NaN: not tested)",
                              p.tolist() if p.size < 8 else f"an array of shape {p.shape}")
    if correction == "none":
        return p
    squeeze = p.ndim == 0
    rows = np.atleast_1d(p).reshape(-1, p.shape[-1] if p.ndim else 1)
    out = np.full(rows.shape, np.nan)
    for i, row in enumerate(rows):  # one family per row; a loop keeps NaN handling exact
        keep = np.flatnonzero(np.isfinite(row))
        m = keep.size
        if not m:
            continue
        q = row[keep]
        if correction == "bonferroni":
            out[i, keep] = np.minimum(q * m, 1.0)
            continue
        order = np.argsort(q, kind="stable")
        ranked = q[order]
        if correction == "holm":
            stepped = np.maximum.accumulate(ranked * (m - np.arange(m)))
        else:
            stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
        out[i, keep] = adjusted
    return out.reshape(p.shape) if not squeeze else out.reshape(())


def psi_from_counts(reference_counts: ArrayLike, current_counts: ArrayLike, *, epsilon: float = PSI_EPSILON) -> np.ndarray | float:
    """Population stability index from bin counts: ``sum((c - r) * ln(c / r))``.

    Parameters
    ----------
    reference_counts, current_counts : array-like
        Counts per bin along the last axis (rows: windows or features), e.g. from a
        ``GROUP BY`` in a database. Both are turned into proportions of their own totals.
    epsilon : float, default=1e-4
        The proportion an empty bin is given so the logarithm stays finite (see
        :data:`PSI_EPSILON`: a bin seen on one side only contributes about ``p ln(p / eps)``,
        so a smaller epsilon gives a larger PSI).

    Returns
    -------
    float or numpy.ndarray
        One PSI per row (a float for 1-D counts).

    Examples
    --------
    >>> round(psi_from_counts([50, 50], [25, 75]), 4)
    0.2747

    A category seen only now (5 % of the current rows): epsilon sets the answer.

    >>> [round(psi_from_counts([95, 5, 0], [90, 5, 5], epsilon=e), 3) for e in (1e-2, 1e-4, 1e-6)]
    [0.067, 0.313, 0.544]
    """
    epsilon = check_float(epsilon, "epsilon", low=0, high=0.1, low_open=True)
    r = np.asarray(reference_counts, dtype=float)
    c = np.asarray(current_counts, dtype=float)
    if r.shape[-1] != c.shape[-1] or np.any(r < 0) or np.any(c < 0):
        raise parameter_error("current_counts",
                              f"non-negative counts over the same {r.shape[-1]} bins as the reference",
                              f"shape {c.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.maximum(r / r.sum(axis=-1, keepdims=True), epsilon)
        c = np.maximum(c / c.sum(axis=-1, keepdims=True), epsilon)
        psi = ((c - r) * np.log(c / r)).sum(axis=-1)
    return float(psi) if np.ndim(psi) == 0 else psi


def psi_null(reference_counts: ArrayLike, window: int, *, quantile: float = 0.95, n_resamples: int = 2000,
             epsilon: float = PSI_EPSILON, seed: Any = 0) -> dict[str, Any]:
    """PSI's distribution with no shift, for windows of ``window`` rows: a sample-size-aware threshold.

    The rule of thumb (PSI < 0.1 stable, > 0.25 major shift) ignores sample size, yet PSI of a
    small window is large by chance alone: its bin shares are noisy and every noisy share adds
    a positive term. This simulates windows with no shift against the reference counts as they
    are: the true bin shares are drawn from ``Dirichlet(reference_counts)`` (their uncertainty
    given the reference; for bins cut at the reference's own quantiles this is exactly the law of
    the shares the bins cover) and a window from ``Multinomial(window, shares)``. Its
    ``quantile`` is a threshold that raises a false alarm in about ``1 - quantile`` of the
    comparisons without shift, whatever the window size (checked by seeded simulation in
    ``tests/test_statistics.py`` for windows from 20 rows).

    Why the reference stays fixed: at small windows PSI's distribution is lumpy. An empty window
    bin adds ``share * ln(share / epsilon)`` (0.69 for a decile at the default epsilon), so PSI
    falls in clusters, one per number of empty bins. Redrawing the reference too (as a plain
    parametric bootstrap does) smears those clusters, and the real PSI, computed against one
    fixed reference, piles up beside the smeared quantile: 7-9 % false alarms at 30-50-row
    windows against a 200-row reference at a nominal 5 %. Keeping the reference counts fixed
    gives the null the same lumps as the real PSI.

    Parameters
    ----------
    reference_counts : array-like of int
        Reference counts per bin (deciles of a numeric feature, or categories). A bin empty in
        the reference gets no window rows in the simulation.
    window : int
        Rows per monitored window.
    quantile : float, default=0.95
        The null quantile returned as ``threshold`` (0.95: 5 % false alarms).
    n_resamples : int, default=2000
        Simulated windows.
    epsilon : float, default=1e-4
        As in :func:`psi_from_counts`.
    seed : int or numpy.random.Generator, default=0

    Returns
    -------
    dict
        ``threshold`` (the null quantile), ``mean`` (average PSI with no shift),
        ``above_0.1`` and ``above_0.25`` (the share of shift-free windows the rule of thumb
        calls moderate or major), and ``samples``.

    Examples
    --------
    Deciles of a 5,000-row reference, windows of 50 and of 5,000 rows:

    >>> small = psi_null([500] * 10, 50, seed=0)
    >>> round(small["threshold"], 2), round(small["mean"], 2), round(small["above_0.25"], 2)
    (0.74, 0.23, 0.28)
    >>> round(psi_null([500] * 10, 5000, seed=0)["threshold"], 4)
    0.007
    """
    from ._random import resolve_rng
    from ._validation import check_int

    window = check_int(window, "window", low=1, high=100_000_000)
    quantile = check_float(quantile, "quantile", low=0, high=1, low_open=True, high_open=True)
    n_resamples = check_int(n_resamples, "n_resamples", low=10, high=1_000_000)
    counts = np.asarray(reference_counts, dtype=float)
    if counts.ndim != 1 or counts.size < 2 or np.any(counts < 0) or counts.sum() <= 0:
        raise parameter_error("reference_counts", "at least two non-negative bin counts", counts.tolist())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):  # deterministic: remembered
        samples = _psi_null_samples(tuple(counts.tolist()), window, n_resamples, float(epsilon), int(seed)).copy()
    else:
        samples = _draw_psi_null(counts, window, n_resamples, epsilon, resolve_rng(seed))
    return {"threshold": float(np.quantile(samples, quantile)), "mean": float(samples.mean()),
            "above_0.1": float((samples > 0.1).mean()), "above_0.25": float((samples > 0.25).mean()),
            "samples": samples}


def _draw_psi_null(counts: np.ndarray, window: int, n_resamples: int, epsilon: float,
                   rng: np.random.Generator) -> np.ndarray:
    """PSI of ``n_resamples`` shift-free windows against the fixed reference ``counts`` (see :func:`psi_null`)."""
    seen = counts > 0
    shares = np.zeros((n_resamples, counts.size))
    shares[:, seen] = rng.dirichlet(counts[seen], size=n_resamples)
    windows = rng.multinomial(window, shares)
    return np.asarray(psi_from_counts(np.broadcast_to(counts, windows.shape), windows, epsilon=epsilon))


@lru_cache(maxsize=256)
def _psi_null_samples(counts: tuple[float, ...], window: int, n_resamples: int, epsilon: float,
                      seed: int) -> np.ndarray:
    """:func:`_draw_psi_null` with an integer seed, remembered: the features of a drift report often
    share their reference counts (deciles of the same number of rows), and a widget asks again on
    every move."""
    from ._random import resolve_rng

    samples = _draw_psi_null(np.asarray(counts), window, n_resamples, epsilon, resolve_rng(seed))
    samples.setflags(write=False)
    return samples


#: The small effects the drift table's power is computed against: a location shift of 0.2
#: standard deviations of a normal feature (Cohen's d = 0.2, "small") for numeric features, and
#: Cohen's w = 0.1 ("small") for categorical ones.
SMALL_EFFECT = {"numeric": "shift of 0.2 sd (normal)", "categorical": "Cohen's w = 0.1"}
SMALL_SHIFT_SD = 0.2
SMALL_W = 0.1

#: The columns :func:`drift_effect` adds to a drift table, in the order of :class:`DriftEffect`.
DRIFT_EFFECT_COLUMNS = ("effect_size", "effect_measure", "detectable", "power_small", "small_effect")


class DriftEffect(NamedTuple):
    """The effect beside a drift p-value (see :func:`drift_effect`)."""

    size: float
    measure: str
    detectable: float
    power_small: float
    small_effect: str


@lru_cache(maxsize=1)
def _brownian_bridges(reps: int = 2000, grid: int = 512) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two sets of seeded Brownian bridges on a grid of quantiles (a fixed seed: the power is deterministic)."""
    t = (np.arange(1, grid + 1) - 0.5) / grid
    walks = np.cumsum(np.random.default_rng(20181).normal(size=(2, reps, grid)) / np.sqrt(grid), axis=2)
    bridges = walks - t * walks[:, :, -1:]
    return t, bridges[0], bridges[1]


def ks_power(sizes: tuple[int, int], alpha: float, shift_sd: float = SMALL_SHIFT_SD) -> float:
    """Power of the two-sample KS test against a location shift of a normal feature.

    With ``n`` reference rows from ``F`` and ``m`` current rows from ``G``, the ECDF gap is
    asymptotically ``F - G + B1(F) / sqrt(n) - B2(G) / sqrt(m)`` for two independent Brownian
    bridges. On the reference's quantiles ``t``, ``G = Phi(Phi^-1(t) - shift_sd)``. The power is
    the share of 2,000 seeded pairs of bridges (on 512 quantiles) whose largest absolute gap
    exceeds the test's critical D (``scipy.stats.kstwo`` at the effective size
    ``n m / (n + m)``, as ``scipy.stats.ks_2samp`` uses on large samples). It agrees with seeded
    simulations of ``ks_2samp`` within a few points from about 100 rows a side
    (``tests/test_statistics.py``); on fewer rows, or on discrete data (ties), the real test is
    more conservative.

    Parameters
    ----------
    sizes : tuple of int
        Rows of the reference and of the current window.
    alpha : float
        The level the test is run at.
    shift_sd : float, default=0.2
        The location shift, in standard deviations.

    Returns
    -------
    float
        The chance the test flags that shift.

    Examples
    --------
    >>> round(ks_power((1000, 1000), 0.05), 2)
    0.97
    """
    return _ks_power(int(sizes[0]), int(sizes[1]), float(alpha), float(shift_sd))


@lru_cache(maxsize=256)
def _ks_power(n: int, m: int, alpha: float, shift_sd: float) -> float:
    """:func:`ks_power`, remembered: a drift table asks again for the same sizes on every move."""
    from scipy import stats

    t, first, second = _brownian_bridges()
    moved = stats.norm.cdf(stats.norm.ppf(t) - shift_sd)
    at_moved = np.clip(np.round(moved * t.size - 0.5).astype(int), 0, t.size - 1)
    gaps = np.abs(t - moved + first / np.sqrt(n) - second[:, at_moved] / np.sqrt(m)).max(axis=1)
    critical = _ks_critical(alpha, max(round(n * m / (n + m)), 1))
    return float((gaps > critical).mean())


@lru_cache(maxsize=256)
def _ks_critical(alpha: float, effective: int) -> float:
    """The two-sample KS test's critical D at level ``alpha`` and effective size ``n m / (n + m)``
    (``scipy.stats.kstwo``; remembered: a root search, asked once per feature of a report)."""
    from scipy import stats

    return float(stats.kstwo.isf(alpha, effective))


def drift_effect(kind: str, statistic: float, sizes: tuple[int, int], alpha_each: float,
                 dof: int | None = None) -> DriftEffect:
    """Effect size beside a drift test, the smallest effect flagged at these sizes, and power.

    Parameters
    ----------
    kind : {"numeric", "categorical"}
        ``"numeric"``: ``statistic`` is the two-sample KS D; ``"categorical"``: the chi-square.
    statistic : float
    sizes : tuple of int
        Rows of the reference and of the current window.
    alpha_each : float
        The level each test is run at (Bonferroni's ``alpha / features`` in a report).
    dof : int, optional
        Degrees of freedom of the chi-square (categories - 1); needed when categorical.

    Returns
    -------
    DriftEffect
        ``size`` (KS D, or Cramer's V), ``measure`` (its name), ``detectable`` (the smallest
        effect flagged at these sizes), ``power_small`` (the chance of flagging a small
        effect at these sizes) and ``small_effect`` (which one, see :data:`SMALL_EFFECT`): for
        KS a location shift of 0.2 sd of a normal feature (:func:`ks_power`), for chi-square
        Cohen's w = 0.1 (the noncentral chi-square with ``noncentrality = (n + m) w^2``).

    Examples
    --------
    >>> effect = drift_effect("categorical", 40.0, (1000, 1000), 0.01, dof=3)
    >>> round(effect.size, 3), effect.measure, round(effect.detectable, 3), round(effect.power_small, 2)
    (0.141, "Cramer's V", 0.075, 0.91)
    >>> effect = drift_effect("numeric", 0.05, (1000, 1000), 0.01)
    >>> round(effect.detectable, 3), round(effect.power_small, 2), effect.small_effect
    (0.072, 0.89, 'shift of 0.2 sd (normal)')
    """
    from scipy import stats

    n, m = sizes
    if kind == "numeric":
        effective = int(np.round(max(n, m) * min(n, m) / (n + m)))
        return DriftEffect(float(statistic), "KS D (largest ECDF gap)",
                           _ks_critical(float(alpha_each), effective), ks_power(sizes, alpha_each),
                           SMALL_EFFECT["numeric"])
    total, dof = n + m, max(int(dof or 1), 1)
    critical = stats.chi2.isf(alpha_each, dof)
    return DriftEffect(float(np.sqrt(statistic / total)), "Cramer's V", float(np.sqrt(critical / total)),
                       float(stats.ncx2.sf(critical, dof, total * SMALL_W**2)), SMALL_EFFECT["categorical"])


def drift_effects(kinds: Sequence[str], statistics: Sequence[float], sizes: tuple[int, int], alpha: float,
                  correction: str, dofs: Sequence[int | None]) -> dict[str, list]:
    """The effect columns of a drift table: :func:`drift_effect` for every tested feature.

    The detectable effect and the power are given at the level each test is run at: Bonferroni's
    ``alpha / features`` when p-values are corrected (the most conservative of the corrections,
    so the figures hold for all of them), ``alpha`` itself with ``correction="none"``.

    Returns
    -------
    dict
        One list per name of :data:`DRIFT_EFFECT_COLUMNS`, in the features' order.

    Examples
    --------
    >>> columns = drift_effects(["categorical"], [40.0], (1000, 1000), 0.04, "bonferroni", [3])
    >>> round(columns["effect_size"][0], 3), round(columns["detectable"][0], 3)
    (0.141, 0.064)
    """
    each = alpha / len(kinds) if correction != "none" else alpha  # Bonferroni's per-test level
    effects = [drift_effect(kind, statistic, sizes, each, dof)
               for kind, statistic, dof in zip(kinds, statistics, dofs, strict=True)]
    return {name: list(values) for name, values in zip(DRIFT_EFFECT_COLUMNS, zip(*effects, strict=True), strict=True)}
