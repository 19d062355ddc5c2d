"""The one statistics helper: corrections against statsmodels, PSI from counts, renamed arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets import ParameterError
from mlfail_widgets.failures.shift import KSReference, detect_drift, make_shift, population_stability_index
from mlfail_widgets.failures.shift.monitoring import _psi
from mlfail_widgets.intervals import mean_interval, proportion_interval
from mlfail_widgets.slicing import slice_metrics
from mlfail_widgets.statistics import adjust_pvalues, psi_from_counts


@pytest.mark.parametrize(("ours", "theirs"), [("bonferroni", "bonferroni"), ("holm", "holm"),
                                              ("bh", "fdr_bh")])
def test_adjust_pvalues_equals_statsmodels_multipletests_and_skips_nan(ours, theirs):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.random(12) ** 3
        expected = multipletests(p, method=theirs)[1]
        assert adjust_pvalues(p, ours) == pytest.approx(expected, abs=1e-12)
        with_gaps = np.insert(p, [2, 7], np.nan)  # untested hypotheses: left out of the family
        adjusted = adjust_pvalues(with_gaps, ours)
        assert np.isnan(adjusted[[2, 8]]).all()
        assert adjusted[np.isfinite(adjusted)] == pytest.approx(expected, abs=1e-12)
    rows = rng.random((5, 8))
    assert adjust_pvalues(rows, ours) == pytest.approx(np.array([multipletests(r, method=theirs)[1]
                                                                  for r in rows]), abs=1e-12)


def test_none_is_spelled_once_and_old_spellings_warn():
    p = [0.01, 0.04]
    assert adjust_pvalues(p, "none").tolist() == p
    with pytest.warns(DeprecationWarning, match="correction='none'"):
        assert adjust_pvalues(p, None).tolist() == p
    with pytest.warns(DeprecationWarning, match="'method' is renamed 'correction'"):
        assert adjust_pvalues(p, method="holm").tolist() == [0.02, 0.04]
    with pytest.raises(ParameterError, match="'method' parameter of adjust_pvalues"):
        adjust_pvalues(p, "holm", method="bh")


def test_psi_has_one_implementation():
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=5000), rng.normal(0.3, 1, size=(4, 500))
    windows = _psi(np.sort(reference)[:, None], current[:, :, None])[:, 0]
    for row, value in zip(current, windows, strict=True):
        assert population_stability_index(reference, row) == pytest.approx(value, abs=1e-12)
    counts_r, counts_c = np.array([50, 30, 20, 0]), np.array([40, 30, 25, 5])
    r, c = np.maximum(counts_r / 100, 1e-4), np.maximum(counts_c / 100, 1e-4)
    assert psi_from_counts(counts_r, counts_c) == pytest.approx(((c - r) * np.log(c / r)).sum())


def test_old_argument_names_still_work_for_one_release_with_a_warning():
    data = make_shift("covariate", 0.5, n_reference=300, n_current=300, seed=0)
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'alpha'"):
        old = detect_drift(data.reference, data.current, level=0.01)
    new = detect_drift(data.reference, data.current, alpha=0.01)
    assert old.alpha == new.alpha == 0.01 and old.drifted == new.drifted
    with pytest.warns(DeprecationWarning):
        assert old.level == 0.01
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'confidence'"):
        assert proportion_interval(3, 10, level=0.9) == proportion_interval(3, 10, confidence=0.9)
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'confidence'"):
        assert mean_interval(1.0, 2.0, 9, level=0.9) == mean_interval(1.0, 2.0, 9, 0.9)
    frame = pd.DataFrame({"g": ["a", "b"] * 20, "label": 1, "prediction": 1})
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'confidence'"):
        assert slice_metrics(frame, "g", level=0.9).confidence == 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names do not warn
        slice_metrics(frame, "g", confidence=0.9, correction="none")


def test_ks_reference_names_the_method_that_was_called():
    prepared = KSReference(np.arange(20.0))
    with pytest.raises(ParameterError, match=r"of KSReference\.test_windows"):
        prepared.test_windows(np.ones((1, 5, 1)), method="fast")
    with pytest.raises(ParameterError, match=r"of KSReference\.test must"):
        prepared.test(np.ones(5), method="fast")


def test_psi_null_threshold_holds_its_false_alarm_rate_where_the_rule_of_thumb_does_not():
    from mlfail_widgets.statistics import psi_null

    rng = np.random.default_rng(21)
    for n_ref, window in [(5000, 100), (1000, 1000), (5000, 500)]:
        null = psi_null([n_ref / 10] * 10, window, seed=0, n_resamples=20_000)
        values = np.array([population_stability_index(rng.normal(size=n_ref), rng.normal(size=window))
                           for _ in range(3000)])
        false_alarms = (values > null["threshold"]).mean()
        assert 0.03 <= false_alarms <= 0.07, (n_ref, window, false_alarms)
        assert null["mean"] == pytest.approx(values.mean(), rel=0.15)
    small = psi_null([500] * 10, 50, seed=0)  # issue 18: 50-row windows average 0.23 with no shift
    assert small["mean"] == pytest.approx(0.23, abs=0.02) and small["above_0.25"] > 0.25
    assert psi_null([500] * 10, 100, seed=0)["above_0.1"] > 0.35


@pytest.mark.parametrize("n_ref, window", [(200, 20), (200, 50), (1000, 30), (5000, 50)])
def test_psi_null_holds_its_level_on_small_windows(n_ref, window):
    """Real shift-free windows, each against its own reference and that reference's threshold:
    about 5 % false alarms from 20-row windows (the old bootstrap, which redrew the reference,
    gave 7-9 % at 30-50 rows against 200 reference rows)."""
    from mlfail_widgets.failures.shift.psi import _binned_counts
    from mlfail_widgets.statistics import psi_null

    rng = np.random.default_rng(n_ref + window)
    reps, alarms = 1500, 0
    for _ in range(reps):
        reference, current = rng.normal(size=n_ref), rng.normal(size=window)
        r, c = _binned_counts(reference, current, 10)
        alarms += psi_from_counts(r, c) > psi_null(r, window, seed=rng, n_resamples=1000)["threshold"]
    assert 0.03 <= alarms / reps <= 0.07, alarms / reps


def test_ks_power_matches_a_simulation_of_scipy_ks_2samp():
    """The asymptotic power of KS against a 0.2-sd shift of a normal, against ks_2samp's rejection rate."""
    from scipy import stats

    from mlfail_widgets.statistics import ks_power

    rng = np.random.default_rng(18)
    reps = 1000  # the simulated rate's standard error is at most 0.016: 0.045 is under 3 of them
    for n, m, alpha in [(1000, 1000, 0.01), (500, 200, 0.05), (5000, 300, 0.01), (200, 200, 0.05)]:
        rejected = np.mean([stats.ks_2samp(rng.normal(size=n), rng.normal(0.2, 1, size=m)).pvalue < alpha
                            for _ in range(reps)])
        power = ks_power((n, m), alpha)
        assert abs(power - rejected) <= 0.045, (n, m, alpha, power, rejected)
    assert ks_power((1000, 1000), 0.05, shift_sd=0.0) == pytest.approx(0.05, abs=0.015)  # no shift: the level


def test_chi_square_warns_below_five_expected_and_offers_exact_and_merged():
    from scipy.stats import chi2_contingency

    from mlfail_widgets.failures.shift import chi_square_test
    from mlfail_widgets.failures.shift.chi_square import SmallExpectedCountWarning

    reference = ["web"] * 60 + ["app"] * 39 + ["kiosk"] * 1
    current = ["web"] * 50 + ["app"] * 45 + ["kiosk"] * 5
    with pytest.warns(SmallExpectedCountWarning, match="method='exact'.*method='merged'"):
        plain = chi_square_test(reference, current)
    assert plain.pvalue == pytest.approx(chi2_contingency(plain.table).pvalue)
    merged = chi_square_test(reference, current, method="merged")
    assert merged.table.tolist() == [[40, 60], [50, 50]]
    assert merged.pvalue == pytest.approx(chi2_contingency(merged.table).pvalue)
    # the exact (conditional) test: a 2 x 2 table's permutation p-value is Fisher's
    from scipy.stats import fisher_exact

    a, b = ["x"] * 3 + ["y"] * 17, ["x"] * 9 + ["y"] * 11
    exact = chi_square_test(a, b, method="exact", correction=False, n_resamples=20_000, seed=1)
    assert exact.pvalue == pytest.approx(fisher_exact([[3, 17], [9, 11]]).pvalue, abs=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chi_square_test(["a"] * 50 + ["b"] * 50, ["a"] * 40 + ["b"] * 60)  # enough counts: quiet


def test_drift_table_carries_effect_sizes_detectable_effects_and_the_psi_threshold():
    from scipy import stats

    data = make_shift("covariate", 0.5, n_reference=1000, n_current=1000, seed=0)
    table = detect_drift(data.reference, data.current, columns=data.features).table.set_index("column")
    assert (table.loc["x1", "effect_size"] == table.loc["x1", "statistic"])
    assert table.loc["x1", "detectable"] == pytest.approx(stats.kstwo.isf(0.05 / 5, 500))
    chi = table.loc["channel"]
    assert chi["effect_size"] == pytest.approx(np.sqrt(chi["statistic"] / 2000))
    assert chi["power_small"] == pytest.approx(stats.ncx2.sf(stats.chi2.isf(0.01, 2), 2, 2000 * 0.01))
    assert chi["small_effect"] == "Cohen's w = 0.1" and table.loc["x1", "small_effect"] == "shift of 0.2 sd (normal)"
    from mlfail_widgets.statistics import ks_power

    assert table.loc["x1", "power_small"] == ks_power((1000, 1000), 0.05 / 5) and 0.7 < table.loc["x1", "power_small"] < 0.95
    assert (table["psi_null95"] < 0.1).all()  # 1,000 rows: far below the rule of thumb's 0.1
    # the power is the test's: chi-square tests at Cohen's w = 0.1 (shares moved by d) reject as often
    rng = np.random.default_rng(4)
    shares, d = np.array([0.5, 0.3, 0.2]), 0.0836  # sum (r - c)^2 / (2 (r + c)) = 0.1^2
    moved = shares + d * np.array([1, -1, 0])
    from mlfail_widgets.failures.shift import chi_square_test

    reps = 400
    rejected = np.mean([chi_square_test(rng.choice(3, 1000, p=shares), rng.choice(3, 1000, p=moved)).pvalue
                        < 0.01 for _ in range(reps)])
    assert rejected == pytest.approx(chi["power_small"], abs=3 * np.sqrt(0.06 * 0.94 / reps))


def test_psi_null_remembered_for_an_integer_seed_is_the_same_draw_and_safe_to_change():
    from mlfail_widgets.statistics import psi_null

    fresh = psi_null([120, 80, 100, 100], 60, seed=np.random.default_rng(3))  # a Generator: drawn anew
    first = psi_null([120, 80, 100, 100], 60, seed=3)
    np.testing.assert_array_equal(first["samples"], fresh["samples"])
    first["samples"][:] = -1.0  # the caller's copy: the remembered draw stays intact
    again = psi_null([120, 80, 100, 100], 60, seed=3)
    np.testing.assert_array_equal(again["samples"], fresh["samples"])
    assert again["threshold"] == fresh["threshold"]
