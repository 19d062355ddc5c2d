"""Confidence intervals against scipy, and their coverage over many seeded repetitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlfail_widgets.intervals import mean_interval, proportion_interval


@pytest.mark.parametrize("successes,n", [(0, 10), (3, 10), (60, 96), (999, 1000), (10, 10)])
@pytest.mark.parametrize("method,scipy_method", [("wilson", "wilson"), ("clopper-pearson", "exact")])
def test_proportion_interval_equals_scipy(successes, n, method, scipy_method):
    expected = stats.binomtest(successes, n).proportion_ci(0.9, method=scipy_method)
    low, high = proportion_interval(successes, n, confidence=0.9, method=method)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_vectorised_over_groups_and_empty_groups_are_nan():
    low, high = proportion_interval(np.array([1, 0, 5]), np.array([4, 0, 5]))
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert low[0] < 0.25 < high[0] and high[2] == pytest.approx(1.0)


def test_wilson_covers_close_to_nominal_and_wald_undercovers_for_small_n():
    rng = np.random.default_rng(0)
    reps, n = 20000, 40
    p = rng.uniform(0.1, 0.9, size=reps)  # coverage averaged over p smooths out discreteness
    successes = rng.binomial(n, p)
    low, high = proportion_interval(successes, np.full(reps, n), confidence=0.95, method="wilson")
    assert abs(np.mean((low <= p) & (p <= high)) - 0.95) < 0.01
    successes = rng.binomial(30, 0.1, size=reps)
    low, high = proportion_interval(successes, np.full(reps, 30), confidence=0.95, method="normal")
    assert np.mean((low <= 0.1) & (high >= 0.1)) < 0.93  # the textbook interval's known failure


def test_mean_interval_equals_scipy_t_interval():
    sample = np.random.default_rng(3).normal(5, 2, size=40)
    low, high = mean_interval(sample.mean(), sample.std(ddof=1), sample.size, confidence=0.99)
    expected = stats.t.interval(0.99, sample.size - 1, loc=sample.mean(), scale=stats.sem(sample))
    assert (low, high) == pytest.approx(expected)
    assert all(np.isnan(mean_interval(1.0, 0.0, 1)))
