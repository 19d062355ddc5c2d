"""What a feedback loop does to a catalogue and its listeners, in numbers.

Concentration (:func:`gini`, :func:`lorenz_curve`, :func:`top_share`, :func:`coverage`),
learning (:func:`kendall_tau`, :func:`ndcg`) and listeners (:func:`jaccard_overlap`, how alike
different listeners' lists have become; :func:`consumed_overlap`, how alike the songs they played
are, the measure of Chaney et al. 2018).

Concentration is a *proxy* for a degenerate loop, not its definition. Jiang, Chiappa,
Lattimore, Gyorgy and Kohli ("Degenerate Feedback Loops in Recommender Systems", AIES 2019)
call a loop degenerate when users' interests drift without bound towards what they are shown
(their interest vectors diverge); the simulator's listeners have fixed hidden tastes, so the
course watches what that drift produces instead: exposure piling onto a few songs (the Gini of
impressions), lists and plays becoming alike across listeners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..._random import resolve_rng
from ..._validation import check_float, check_int, parameter_error

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["consumed_overlap", "coverage", "gini", "jaccard_overlap", "kendall_tau", "lorenz_curve", "ndcg", "top_share"]


def _counts(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise parameter_error(name, "a non-empty array", "an empty array")
    if not np.isfinite(values).all() or (values < 0).any():
        raise parameter_error(name, "finite and non-negative (counts of plays or views)",
                              "an array with negative or non-finite values")
    return values


def gini(values: ArrayLike) -> float:
    """Gini coefficient of non-negative amounts: 0 = spread evenly, near 1 = one item has all.

    .. math:: G = \\frac{\\sum_{i=1}^{n} (2i - n - 1)\\, x_{(i)}}{n \\sum_i x_i}

    with :math:`x_{(i)}` sorted ascending. All zeros count as evenly spread (0).

    Examples
    --------
    >>> gini([5, 5, 5, 5])
    0.0
    >>> gini([0, 0, 0, 1])
    0.75
    """
    x = np.sort(_counts(values, "values"))
    total = x.sum()
    if total == 0:
        return 0.0
    n = x.size
    value = ((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * total)
    # Equal amounts give exactly 0 in exact arithmetic; floating-point rounding can leave
    # -3e-17, which would read as "more equal than equal". Clip to the coefficient's range.
    return float(min(max(value, 0.0), 1.0))


def lorenz_curve(values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve: share of items (x, poorest first) against their share of the total (y).

    Both arrays start at 0 and end at 1; the diagonal is perfect equality, and the Gini
    coefficient is twice the area between the diagonal and the curve.

    Examples
    --------
    >>> x, y = lorenz_curve([0, 0, 0, 1])
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0, 1.0])
    """
    x = np.sort(_counts(values, "values"))
    total = x.sum()
    share = np.concatenate([[0.0], np.cumsum(x) / total if total else np.linspace(0, 1, x.size + 1)[1:]])
    return np.linspace(0.0, 1.0, x.size + 1), share


def top_share(values: ArrayLike, share: float = 0.01) -> float:
    """Share of the total held by the top ``share`` of items (at least one item).

    Examples
    --------
    >>> top_share([1] * 99 + [101])
    0.505
    """
    share = check_float(share, "share", low=0.0, high=1.0, low_open=True)
    x = _counts(values, "values")
    total = x.sum()
    if total == 0:
        return 0.0
    n_top = max(1, int(np.ceil(share * x.size - 1e-9)))
    return float(np.partition(x, x.size - n_top)[x.size - n_top:].sum() / total)


def coverage(exposure: ArrayLike) -> float:
    """Share of the catalogue shown at least once.

    Examples
    --------
    >>> coverage([3, 0, 1, 0])
    0.5
    """
    x = _counts(exposure, "exposure")
    return float((x > 0).mean())


def kendall_tau(scores: ArrayLike, truth: ArrayLike) -> float:
    """Kendall's tau-b between a ranking's scores and the true values (ties handled).

    1: same order; 0: unrelated; -1: reversed. A constant ranking (no information) gives 0
    (where :func:`scipy.stats.kendalltau` gives NaN). Up to :data:`PAIRWISE_TAU_LIMIT` values
    every pair is compared; above it scipy computes it (the tests check both against scipy).

    Examples
    --------
    >>> kendall_tau([1, 2, 3, 4], [10, 20, 30, 40])
    1.0
    >>> round(kendall_tau([1, 2, 3, 4], [10, 30, 20, 40]), 4)
    0.6667
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    truth = np.asarray(truth, dtype=np.float64).ravel()
    if scores.shape != truth.shape or scores.size < 2:
        raise parameter_error("scores", f"an array as long as truth ({truth.size}), "
                              "with at least 2 values", f"{scores.size} values")
    if not (np.isfinite(scores).all() and np.isfinite(truth).all()):
        raise parameter_error("scores", "finite numbers", "an array with NaN or inf")
    if np.ptp(scores) == 0 or np.ptp(truth) == 0:
        return 0.0
    if scores.size <= PAIRWISE_TAU_LIMIT:
        return _tau_b_by_pairs(scores, truth)
    from scipy.stats import kendalltau

    return float(kendalltau(scores, truth).statistic)


#: Up to this many songs :func:`kendall_tau` compares every pair (n^2 signs, a few times faster
#: than scipy's O(n log n) sort at the dashboard's catalogue sizes, where a call's fixed cost
#: dominates); above it, scipy.
PAIRWISE_TAU_LIMIT = 300


def _tau_b_by_pairs(x: np.ndarray, y: np.ndarray) -> float:
    """Tau-b from the signs of all pairwise differences: sum(sx * sy) / sqrt(sum(sx^2) sum(sy^2)).

    Over the full n x n matrices each pair counts twice and tied pairs (sign 0) drop out of
    the products and of the counts, which is exactly tau-b.
    """
    sx = (x[:, None] > x).view(np.int8) - (x[:, None] < x).view(np.int8)
    sy = (y[:, None] > y).view(np.int8) - (y[:, None] < y).view(np.int8)
    agree = int((sx * sy).sum(dtype=np.int64))
    return float(agree / np.sqrt(float(np.count_nonzero(sx)) * float(np.count_nonzero(sy))))


def ndcg(scores: ArrayLike, gains: ArrayLike, k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top ``k`` items ranked by ``scores``.

    ``gains`` are the true values (non-negative, e.g. true quality above the catalogue's
    minimum). 1 means the top ``k`` are the truly best, in the right order. Ties in
    ``scores`` are broken by position in the array.

    Examples
    --------
    >>> ndcg([3, 2, 1], [3, 2, 1], k=3)
    1.0
    >>> round(ndcg([1, 2, 3], [3, 2, 1], k=1), 3)
    0.333
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    gains = _counts(gains, "gains")
    if scores.shape != gains.shape:
        raise parameter_error("scores", f"an array as long as gains ({gains.size})",
                              f"{scores.size} values")
    k = check_int(k, "k", low=1)
    k = min(k, scores.size)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ranked = np.argsort(-scores, kind="stable")[:k]
    ideal = np.sort(gains)[::-1][:k]
    best = (ideal * discount).sum()
    return float((gains[ranked] * discount).sum() / best) if best > 0 else 0.0


def jaccard_overlap(lists: np.ndarray, *, pairs: int = 256, seed: int | np.random.Generator | None = 0) -> float:
    """Mean Jaccard overlap of the recommendation lists of random pairs of listeners.

    0: different listeners see different songs; 1: everybody sees the same list
    (homogenization).

    Parameters
    ----------
    lists : int array of shape (n_users, k)
        Each listener's list of song ids (distinct within a row).
    pairs : int, default=256
        Random pairs of distinct listeners to average over.
    seed : int, Generator or None, default=0
        Random seed for drawing the pairs.

    Examples
    --------
    >>> jaccard_overlap(np.array([[1, 2], [1, 2], [1, 2]]))
    1.0
    >>> jaccard_overlap(np.array([[1, 2], [3, 4]]))
    0.0
    """
    lists = np.asarray(lists)
    if lists.ndim != 2 or lists.shape[0] < 2:
        raise parameter_error("lists", "a (listeners, k) array with at least "
                              "2 listeners", getattr(lists, "shape", lists))
    pairs = check_int(pairs, "pairs", low=1, high=1_000_000)
    rng = resolve_rng(seed)
    n, k = lists.shape
    first = rng.integers(0, n, size=pairs)
    second = (first + rng.integers(1, n, size=pairs)) % n
    common = (lists[first][:, :, None] == lists[second][:, None, :]).any(axis=2).sum(axis=1)
    return float((common / (2 * k - common)).mean())


def consumed_overlap(consumed: Any) -> float:
    """Mean Jaccard index of the sets of songs two listeners consumed, over all pairs.

    This is how Chaney, Stewart and Engelhardt ("How algorithmic confounding in recommendation
    systems increases homogeneity and decreases utility", RecSys 2018) measure homogenization:
    on what users *consumed* (here: played), not on what they were shown, and relative to an
    ideal recommender (see :func:`~.experiments.homogenization_table`). Pairs of which neither
    listener consumed anything are left out.

    Parameters
    ----------
    consumed : bool array of shape (n_users, n_songs)
        ``consumed[u, s]``: listener ``u`` played song ``s`` at least once.

    Examples
    --------
    >>> round(consumed_overlap(np.array([[1, 1, 0], [0, 1, 1], [1, 1, 0]], dtype=bool)), 4)
    0.5556
    """
    consumed = np.asarray(consumed)
    if consumed.ndim != 2 or consumed.shape[0] < 2:
        raise parameter_error("consumed", "a (listeners, songs) array with at "
                              "least 2 listeners", getattr(consumed, "shape", consumed))
    matrix = consumed[:, consumed.any(axis=0)].astype(np.float32)
    common = (matrix @ matrix.T).astype(np.float64)  # exact: counts far below 2**24
    sizes = np.diag(common)
    union = sizes[:, None] + sizes[None, :] - common
    upper = np.triu_indices(consumed.shape[0], 1)
    union, common = union[upper], common[upper]
    keep = union > 0
    return float((common[keep] / union[keep].astype(np.float64)).mean()) if keep.any() else 0.0
