"""Chapter 06's loop metrics against hand-computed cases, closed forms and scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.feedback import (
    coverage,
    gini,
    jaccard_overlap,
    kendall_tau,
    lorenz_curve,
    ndcg,
    top_share,
)


def gini_by_pairs(x) -> float:
    """Gini as the mean absolute difference over all pairs / (2 * mean)."""
    x = np.asarray(x, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean()))


def tau_b_by_pairs(x, y) -> float:
    """Kendall's tau-b from its definition, pair by pair."""
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif dx == dy:
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / np.sqrt((concordant + discordant + ties_x)
                                               * (concordant + discordant + ties_y))


@pytest.mark.parametrize(("values", "expected"), [
    ([5, 5, 5, 5], 0.0),
    ([0, 0, 0, 1], 0.75),  # (2*4 - 4 - 1) * 1 / (4 * 1)
    ([1, 2, 3, 4], 0.25),  # (-3*1 - 1*2 + 1*3 + 3*4) / (4 * 10)
    ([0, 0, 0, 0], 0.0),
    ([7], 0.0),
])
def test_gini_hand_computed(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_matches_the_mean_absolute_difference_and_the_lorenz_area():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.pareto(1.5, size=rng.integers(2, 60))
        assert gini(x) == pytest.approx(gini_by_pairs(x), rel=1e-12)
        share, cumulative = lorenz_curve(x)
        area = np.trapezoid(cumulative, share)
        assert gini(x) == pytest.approx(1 - 2 * area, abs=1e-12)


def test_gini_one_song_takes_all_tends_to_one():
    assert gini([0] * 999 + [1]) == pytest.approx(0.999)


def test_lorenz_curve_ends_and_order():
    share, cumulative = lorenz_curve([3, 1, 0, 6])
    assert share.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert cumulative.tolist() == [0, 0, 0.1, 0.4, 1]


def test_top_share_and_coverage():
    assert top_share([10, 0, 0, 0], 0.25) == 1.0
    assert top_share(list(range(1, 101)), 0.01) == pytest.approx(100 / 5050)
    assert top_share([1, 1, 1, 1], 0.5) == 0.5
    assert top_share([0, 0]) == 0.0
    assert coverage([1, 0, 0, 2, 0]) == 0.4


@pytest.mark.parametrize(("x", "y", "expected"), [
    ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
    ([1, 2, 3], [1, 3, 2], 1 / 3),  # 2 concordant, 1 discordant
    ([1, 1, 2, 2], [1, 2, 3, 4], 4 / np.sqrt((6 - 2) * 6)),  # 4 concordant, 2 pairs tied in x
    ([3, 3, 3], [1, 2, 3], 0.0),  # a constant ranking carries no information
])
def test_kendall_tau_hand_computed(x, y, expected):
    assert kendall_tau(x, y) == pytest.approx(expected)


def test_kendall_tau_matches_its_definition_and_scipy_with_ties():
    rng = np.random.default_rng(0)
    # both sides of PAIRWISE_TAU_LIMIT (all pairs below it, scipy above)
    for n, levels in [(8, 3), (30, 5), (60, 100), (300, 40), (301, 40), (900, 1000)]:
        x = rng.integers(0, levels, n).astype(float)
        y = x + rng.integers(0, levels, n)
        if n < 900:  # the definition's loop is slow
            assert kendall_tau(x, y) == pytest.approx(tau_b_by_pairs(x, y), abs=1e-12)
        assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)


def test_ndcg_hand_computed():
    gains = np.array([3.0, 2.0, 0.0, 1.0])
    assert ndcg([4, 3, 2, 1], gains, k=4) == pytest.approx(
        (3 + 2 / np.log2(3) + 0 + 1 / np.log2(5)) / (3 + 2 / np.log2(3) + 1 / np.log2(4)))
    assert ndcg(gains, gains, k=2) == 1.0
    assert ndcg([0, 0, 1, 0], gains, k=1) == 0.0


def test_jaccard_overlap_hand_computed():
    lists = np.array([[1, 2, 3], [2, 3, 4]])  # 2 shared of 4 distinct
    assert jaccard_overlap(lists, pairs=10) == pytest.approx(0.5)


@pytest.mark.parametrize(("call", "words"), [
    (lambda: gini([1, -1]), "non-negative"),
    (lambda: gini([]), "non-empty"),
    (lambda: kendall_tau([1, 2], [1, 2, 3]), "as long as truth"),
    (lambda: kendall_tau([1, np.nan], [1, 2]), "finite"),
    (lambda: top_share([1, 2], 0), "share"),
    (lambda: ndcg([1, 2], [1, 2], k=0), "'k'"),
    (lambda: jaccard_overlap(np.array([[1, 2]])), "at least 2 listeners"),
])
def test_bad_input_is_named(call, words):
    with pytest.raises(ParameterError, match=words):
        call()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_gini_stays_in_its_range(values):
    value = gini(values)
    assert 0.0 <= value <= 1.0
    assert value <= 1 - 1 / len(values) + 1e-9  # the most unequal n items can be
