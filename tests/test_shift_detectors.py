"""Chapter 05 detectors: scipy's numbers, hand-computed cases, nominal false-alarm rates, power."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.shift import (
    KSReference,
    adjust_pvalues,
    chi_square_test,
    detect_drift,
    domain_classifier_test,
    evidently_default_rule,
    jensen_shannon_distance,
    ks_test,
    make_shift,
    mmd_test,
    population_stability_index,
    wasserstein_distance,
)


def binomial_band(level: float, trials: int, sds: float = 4.0) -> tuple[float, float]:
    half = sds * math.sqrt(level * (1 - level) / trials)
    return level - half, level + half


# --------------------------------------------------------------------------- KS against scipy
def sample_pairs(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n1, n2 = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        if trial % 3 == 0:
            yield rng.normal(size=n1), rng.normal(rng.uniform(0, 1), 1, size=n2)
        elif trial % 3 == 1:  # heavy ties, inside and across the samples
            yield rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float)
        else:
            yield np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.3, 1, size=n2), 1)


def test_ks_equals_scipy_exact_on_small_samples_with_ties():
    for reference, current in sample_pairs(seed=0, count=150):
        ours = ks_test(reference, current)
        theirs = stats.ks_2samp(reference, current)
        assert ours.method == "exact"
        assert abs(ours.statistic - theirs.statistic) <= 1e-12
        assert abs(ours.pvalue - theirs.pvalue) <= 1e-10


def test_ks_equals_scipy_asymptotic_column_by_column():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(12_000, 4))
    current = rng.normal([0.0, 0.02, 0.05, 0.0], 1, size=(3000, 4))
    current[:, 3] = np.round(current[:, 3], 2)  # ties with the reference's values too
    reference[:500, 3] = np.round(reference[:500, 3], 2)
    ours = ks_test(reference, current)
    assert ours.method == "asymp"
    for j in range(4):
        theirs = stats.ks_2samp(reference[:, j], current[:, j])
        assert ours.statistic[j] == pytest.approx(theirs.statistic, abs=1e-12)
        assert ours.pvalue[j] == pytest.approx(theirs.pvalue, abs=1e-10)


@pytest.mark.parametrize("method", ["exact", "asymp"])
def test_ks_forced_method_equals_scipy(method):
    rng = np.random.default_rng(2)
    reference, current = rng.normal(size=400), rng.normal(0.2, 1, size=150)
    ours = ks_test(reference, current, method=method)
    theirs = stats.ks_2samp(reference, current, method=method)
    assert (ours.statistic, ours.pvalue) == pytest.approx((theirs.statistic, theirs.pvalue), abs=1e-12)


def test_windows_of_a_prepared_reference_equal_one_scipy_call_each():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(20_000, 3))
    windows = rng.normal(0.05, 1, size=(6, 400, 3))
    result = KSReference(reference).test_windows(windows)
    for w in range(6):
        for j in range(3):
            theirs = stats.ks_2samp(reference[:, j], windows[w, :, j])
            assert result.statistic[w, j] == theirs.statistic
            assert result.pvalue[w, j] == theirs.pvalue


def test_ks_on_dataframes_keeps_column_names():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    current = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    result = ks_test(reference, current, columns=["b"])
    assert result.columns == ["b"]
    assert result.pvalue[0] == pytest.approx(stats.ks_2samp(reference["b"], current["b"]).pvalue, abs=1e-12)


# --------------------------------------------------------------------------- chi-square, PSI, JS, W
@pytest.mark.parametrize("correction", [True, False])
@pytest.mark.parametrize("categories", [2, 3, 5])
def test_chi_square_equals_scipy(correction, categories):
    rng = np.random.default_rng(categories)
    letters = np.array(list("abcde"))[:categories]
    reference = rng.choice(letters, 400)
    current = rng.choice(letters, 250, p=np.linspace(1, 2, categories) / np.linspace(1, 2, categories).sum())
    ours = chi_square_test(reference, current, correction=correction)
    table = np.array([[np.sum(reference == c) for c in letters], [np.sum(current == c) for c in letters]])
    theirs = stats.chi2_contingency(table, correction=correction)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-10)
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-10)
    assert ours.dof == theirs.dof


def test_chi_square_with_one_category_is_no_evidence():
    result = chi_square_test(["web"] * 5, ["web"] * 9)
    assert (result.statistic, result.pvalue, result.dof) == (0.0, 1.0, 0)


def test_psi_hand_computed():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    expected = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert population_stability_index(["a"] * 2 + ["b"] * 2, ["a"] + ["b"] * 3) == pytest.approx(expected, abs=1e-12)
    assert population_stability_index(["a", "b"], ["a", "b"]) == 0.0
    # a bin the current sample never visits gets epsilon: (1e-4 - 0.5) ln(1e-4 / 0.5) + ...
    expected = (1e-4 - 0.5) * math.log(1e-4 / 0.5) + 0.5 * math.log(1 / 0.5)
    assert population_stability_index(["a", "b"], ["b", "b"]) == pytest.approx(expected, abs=1e-12)


def test_psi_numeric_bins_are_reference_deciles():
    reference = np.arange(100.0)  # deciles: 10 rows per bin
    current = np.r_[np.zeros(50), np.full(50, 99.0)]  # half in the first bin, half in the last
    r, c = np.full(10, 0.1), np.r_[0.5, np.full(8, 1e-4), 0.5]
    assert population_stability_index(reference, current) == pytest.approx(((c - r) * np.log(c / r)).sum())


def test_jensen_shannon_hand_computed_and_equal_to_scipy():
    assert jensen_shannon_distance(["a"] * 3, ["b"] * 3) == pytest.approx(1.0)
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4)
    divergence = 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)) + 0.5 * math.log(1 / 0.75)
    ours = jensen_shannon_distance(["a", "b"], ["a", "a"])
    assert ours == pytest.approx(math.sqrt(divergence / math.log(2)), abs=1e-12)
    assert ours == pytest.approx(jensenshannon([0.5, 0.5], [1.0, 0.0], base=2), abs=1e-12)
    assert jensen_shannon_distance(["a", "b"], ["a", "a"], base=math.e) == pytest.approx(
        jensenshannon([0.5, 0.5], [1.0, 0.0]), abs=1e-12)


def test_wasserstein_hand_computed_and_equal_to_scipy():
    assert wasserstein_distance([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]) == pytest.approx(5.0)
    assert wasserstein_distance([0.0, 1.0, 2.0, 3.0], [1.0, 2.0]) == pytest.approx(0.5)
    rng = np.random.default_rng(5)
    for _ in range(100):
        a = np.round(rng.normal(size=int(rng.integers(1, 60))), 1)
        b = np.round(rng.normal(0.3, 2, size=int(rng.integers(1, 60))), 1)
        assert wasserstein_distance(a, b) == pytest.approx(stats.wasserstein_distance(a, b), abs=1e-12)


def test_normed_wasserstein_reads_in_reference_standard_deviations():
    rng = np.random.default_rng(6)
    reference = rng.normal(0, 3, size=200_000)
    current = rng.normal(0.3, 3, size=200_000)
    assert wasserstein_distance(reference, current, normed=True) == pytest.approx(0.1, abs=0.01)


# --------------------------------------------------------------------------- multiple testing
def test_adjusted_pvalues_known_values():
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_pvalues(p, "bonferroni").tolist() == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust_pvalues(p, "holm").tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues(p, "bh").tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_pvalues(p, "none").tolist() == p
    rows = adjust_pvalues([p, p[::-1]], "bh")  # one row per window
    assert rows[1].tolist() == pytest.approx(adjust_pvalues(p[::-1], "bh").tolist())


def test_bonferroni_keeps_the_family_wise_false_alarm_rate_at_the_level():
    """20 features, no shift: any-feature alarms ~64% uncorrected, <= 5% with Bonferroni."""
    rng = np.random.default_rng(7)
    trials, features = 600, 20
    pvalues = rng.uniform(size=(trials, features))  # exact p-values under no shift are uniform
    uncorrected = (pvalues < 0.05).any(axis=1).mean()
    assert uncorrected == pytest.approx(1 - 0.95**20, abs=0.06)
    for method in ("bonferroni", "holm", "bh"):
        rate = (adjust_pvalues(pvalues, method) < 0.05).any(axis=1).mean()
        assert rate <= binomial_band(0.05, trials)[1]


# --------------------------------------------------------------------------- false alarms and power
def test_ks_false_alarm_rate_is_its_nominal_level():
    rng = np.random.default_rng(8)
    trials = 1000
    result = ks_test(rng.normal(size=(300, trials)), rng.normal(size=(500, trials)))
    low, high = binomial_band(0.05, trials)
    assert low <= (result.pvalue < 0.05).mean() <= high


def test_chi_square_false_alarm_rate_is_its_nominal_level():
    rng = np.random.default_rng(9)
    trials = 600
    levels = np.array(["web", "app", "branch"])
    alarms = [chi_square_test(rng.choice(levels, 300, p=[0.5, 0.3, 0.2]),
                              rng.choice(levels, 300, p=[0.5, 0.3, 0.2])).pvalue < 0.05 for _ in range(trials)]
    low, high = binomial_band(0.05, trials)
    assert low <= np.mean(alarms) <= high


def test_mmd_and_domain_classifier_false_alarm_rates_are_their_nominal_level():
    rng = np.random.default_rng(10)
    trials = 150
    mmd = [mmd_test(rng.normal(size=(60, 2)), rng.normal(size=(60, 2)), n_permutations=99, seed=i).pvalue
           for i in range(trials)]
    domain = [domain_classifier_test(rng.normal(size=(80, 2)), rng.normal(size=(80, 2)), seed=i).pvalue
              for i in range(trials)]
    low, high = binomial_band(0.05, trials)
    assert max(low, 0) <= np.mean(np.array(mmd) <= 0.05) <= high
    assert max(low, 0) <= np.mean(np.array(domain) < 0.05) <= high


def ks_power(n: int, shift: float, trials: int = 300, seed: int = 11) -> float:
    rng = np.random.default_rng(seed)
    result = ks_test(rng.normal(size=(n, trials)), rng.normal(shift, 1, size=(n, trials)), method="asymp")
    return float((result.pvalue < 0.05).mean())


def test_ks_power_grows_with_sample_size_and_shift():
    by_size = [ks_power(n, 0.2) for n in (50, 200, 800)]
    by_shift = [ks_power(200, shift) for shift in (0.1, 0.2, 0.4)]
    assert by_size == sorted(by_size) and by_size[-1] > by_size[0] + 0.5
    assert by_shift == sorted(by_shift) and by_shift[-1] > by_shift[0] + 0.5


def test_multivariate_detectors_see_a_shift_in_the_relation_between_features():
    """Each marginal is N(0, 1) in both sets; only the correlation flips."""
    rng = np.random.default_rng(12)
    cov = [[1, 0.8], [0.8, 1]]
    reference = rng.multivariate_normal([0, 0], cov, size=400)
    current = rng.multivariate_normal([0, 0], [[1, -0.8], [-0.8, 1]], size=400)
    assert (ks_test(reference, current).pvalue > 0.01).all()
    assert mmd_test(reference, current, seed=0).pvalue < 0.01


# --------------------------------------------------------------------------- reports
def test_detect_drift_flags_the_shifted_features_only():
    data = make_shift("covariate", 0.5, n_reference=3000, n_current=3000, seed=3)
    report = detect_drift(data.reference, data.current, columns=data.features)
    assert report.drifted == ["x1", "x4", "channel"]
    concept = make_shift("concept", 3.0, n_reference=3000, n_current=3000, seed=3)
    assert not detect_drift(concept.reference, concept.current, columns=concept.features).any


def test_evidently_rule_misses_a_tenth_of_a_standard_deviation_that_ks_flags():
    rng = np.random.default_rng(13)
    reference = pd.DataFrame({"x": rng.normal(size=100_000)})
    current = pd.DataFrame({"x": rng.normal(0.09, 1, size=100_000)})
    rule = evidently_default_rule(reference, current).iloc[0]
    assert rule["test"] == "Wasserstein distance (normed)" and rule["score"] < 0.1 and not rule["drifted"]
    assert ks_test(reference, current).pvalue[0] < 1e-50
    small = evidently_default_rule(reference.iloc[:1000], current.iloc[:1000]).iloc[0]
    assert small["test"] == "Kolmogorov-Smirnov p-value"


# --------------------------------------------------------------------------- bad input
def test_a_column_that_does_not_exist_is_named():
    data = make_shift("none", seed=0, n_reference=50, n_current=50)
    with pytest.raises(ParameterError, match=r"'columns' parameter of detect_drift .* Got 'x7'"):
        detect_drift(data.reference, data.current, columns=["x7"])
    with pytest.raises(ParameterError, match="'x7'"):
        ks_test(data.reference, data.current, columns=["x7"])


def test_a_categorical_column_passed_to_ks_is_refused_with_the_fix():
    data = make_shift("none", seed=0, n_reference=50, n_current=50)
    with pytest.raises(ParameterError, match=r"'channel' holds categories: test it with chi_square_test"):
        ks_test(data.reference, data.current, columns=["x1", "channel"])
    with pytest.raises(ParameterError, match="chi_square_test"):
        ks_test(["web", "app"], ["app", "app"])


def test_an_empty_window_is_refused():
    with pytest.raises(ParameterError, match="empty window"):
        ks_test(np.ones(10), np.array([]))
    with pytest.raises(ParameterError, match="empty window"):
        chi_square_test(["a"], [])
    with pytest.raises(ParameterError, match="NaN"):
        ks_test([1.0, np.nan], [1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.text(max_size=4), st.none()))
def test_levels_and_corrections_are_validated(value):
    data = make_shift("none", seed=0, n_reference=30, n_current=30)
    ok_level = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
    if ok_level:
        detect_drift(data.reference, data.current, alpha=value)
    else:
        with pytest.raises(ParameterError, match="'alpha' parameter of detect_drift"):
            detect_drift(data.reference, data.current, alpha=value)
    with pytest.raises(ParameterError, match="'correction' parameter"):
        detect_drift(data.reference, data.current, correction=str(value) + "x")


def test_the_callers_arrays_are_left_unsorted():
    rng = np.random.default_rng(14)
    reference, current = rng.normal(size=50), rng.normal(size=(3, 40, 1))
    before = reference.copy(), current.copy()
    prepared = KSReference(reference)
    prepared.test_windows(current)
    prepared.wasserstein(current)
    assert np.array_equal(reference, before[0]) and np.array_equal(current, before[1])


def test_domain_classifier_sees_a_flipped_correlation_too():
    rng = np.random.default_rng(12)
    reference = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=400)
    current = rng.multivariate_normal([0, 0], [[1, -0.8], [-0.8, 1]], size=400)
    result = domain_classifier_test(reference, current)
    assert result.auc > 0.75 and result.pvalue < 1e-6
    assert domain_classifier_test(reference, current, quadratic=False).pvalue > 0.01
