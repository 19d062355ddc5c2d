"""Slice flags at their stated level (issue 18, item 1), by seeded simulation.

Four slices of 40/30/20/10 % of 2,000 rows with the same true metric everywhere: each slice's
false-flag rate at a nominal 0.05 (no correction) must lie in [0.03, 0.07], Holm's family-wise
rate must be <= 0.05, and each slice's own interval must cover the truth >= 93 % of the time,
for every metric the slice chart offers (accuracy with Wilson, t-interval metrics such as
calibration and MAE, AUC). The test of a slice against the overall value treated as known
(the old flags) gave 0.01 / 0.018 / 0.018 / 0.05 here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlfail_widgets.slicing import compare_slices, slice_metrics
from mlfail_widgets.slicing._api import _auc_pvalues

SHARES = np.array([0.4, 0.3, 0.2, 0.1])
ROWS = 2000
SIZES = (SHARES * ROWS).astype(int)
slice_of = np.repeat(np.arange(4), SIZES)


def _at_most(rate: float, reps: int) -> float:
    """A simulated rate is "at most ``rate``" unless it is two standard errors above it."""
    return rate + 2 * np.sqrt(rate * (1 - rate) / reps)


def _rates(flags: np.ndarray) -> np.ndarray:
    return np.asarray(flags, dtype=float).mean(axis=0)


def test_accuracy_flags_hold_their_level_and_intervals_cover():
    rng = np.random.default_rng(18)
    reps = 4000
    right = rng.binomial(SIZES, 0.85, size=(reps, 4))
    none = np.array([compare_slices(SIZES, r, correction="none").flagged for r in right])
    holm = np.array([compare_slices(SIZES, r, correction="holm").flagged for r in right])
    per_slice = _rates(none)
    assert ((per_slice >= 0.03) & (per_slice <= 0.07)).all(), per_slice
    assert holm.any(axis=1).mean() <= _at_most(0.05, reps)  # 0.050 in these 4,000 runs
    covered = np.array([(lambda c: (c.low <= 0.85) & (c.high >= 0.85))(compare_slices(SIZES, r))
                        for r in right[:500]])
    assert (_rates(covered) >= 0.93).all()


def test_slice_metrics_flags_are_compare_slices_on_the_same_rows():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"g": np.array(list("abcd"))[slice_of], "label": 1,
                          "prediction": (rng.random(ROWS) < 0.85).astype(int)})
    table = slice_metrics(frame, "g", correction="none").set_index("slice").loc[list("abcd")]
    right = frame.groupby("g")["prediction"].sum().loc[list("abcd")].to_numpy()
    direct = compare_slices(SIZES, right, correction="none")
    assert table["p_value"].to_numpy() == pytest.approx(direct.p_value, rel=1e-12)
    assert table["low"].to_numpy() == pytest.approx(direct.low, rel=1e-12)


@pytest.mark.parametrize("metric", ["calibration", "mae"])
def test_mean_metrics_flags_hold_their_level_with_welch_against_the_rest(metric):
    rng = np.random.default_rng(7)
    reps = 2000
    values = rng.normal(0.0, 0.3, size=(reps, ROWS))
    if metric == "mae":
        values = np.abs(values)
    truth = 0.0 if metric == "calibration" else 0.3 * np.sqrt(2 / np.pi)
    n = np.tile(SIZES, (reps, 1))
    total = np.stack([values[:, slice_of == g].sum(axis=1) for g in range(4)], axis=1)
    square = np.stack([(values[:, slice_of == g] ** 2).sum(axis=1) for g in range(4)], axis=1)
    results = [compare_slices(n[i], total[i], square[i], kind="mean", correction="none") for i in range(reps)]
    per_slice = _rates([r.flagged for r in results])
    assert ((per_slice >= 0.03) & (per_slice <= 0.07)).all(), per_slice
    holm = [compare_slices(n[i], total[i], square[i], kind="mean").flagged.any() for i in range(reps)]
    assert np.mean(holm) <= _at_most(0.05, reps)
    covered = _rates([(r.low <= truth) & (truth <= r.high) for r in results])
    assert (covered >= 0.93).all(), covered
    # the p-value is scipy's Welch test of the slice against the other rows
    inside = slice_of == 3
    expected = stats.ttest_ind(values[0, inside], values[0, ~inside], equal_var=False).pvalue
    assert results[0].p_value[3] == pytest.approx(expected, rel=1e-9)


def test_auc_flags_hold_their_level_with_delong_against_the_rest():
    rng = np.random.default_rng(11)
    reps = 1000
    flags = np.empty((reps, 4), bool)
    holm = np.empty(reps, bool)
    from mlfail_widgets.statistics import adjust_pvalues

    for i in range(reps):
        y = (rng.random(ROWS) < 0.4).astype(int)
        score = rng.normal(y * 1.0, 1.0)
        p = _auc_pvalues({"y": y, "score": score}, slice_of, 4)
        flags[i] = p < 0.05
        holm[i] = (adjust_pvalues(p, "holm") < 0.05).any()
    per_slice = _rates(flags)
    assert ((per_slice >= 0.03) & (per_slice <= 0.07)).all(), per_slice
    assert holm.mean() <= _at_most(0.05, reps)


@pytest.mark.slow
def test_callable_metric_flags_hold_their_level_with_a_bootstrap_z_test():
    """A metric given as a function (AUC here), on the issue's 4 slices of 2,000 rows: each slice
    against the rest by a z-test whose standard error comes from bootstrapping both (2-4 min:
    400 tables of 200 replicates). The old p-value, the share of bootstrap differences beyond 0,
    could not go below 1/201, so Holm's first step (0.0125) was almost never reached:
    family-wise 0.013 in 300 runs. On smaller slices the normal approximation is a little
    liberal: 1,000 rows (a 100-row slice) gave family-wise 0.058 and 0.070 in two sets of 600 runs."""
    from mlfail_widgets.metrics import roc_auc
    from mlfail_widgets.statistics import adjust_pvalues

    rng = np.random.default_rng(12)
    reps, rows = 400, ROWS
    sizes = (SHARES * rows).astype(int)
    group = np.repeat(np.array(list("abcd")), sizes)
    truth = stats.norm.cdf(1 / np.sqrt(2))  # AUC of N(1, 1) positives against N(0, 1) negatives
    p_values, covered = np.empty((reps, 4)), np.empty((reps, 4), bool)
    for i in range(reps):
        y = (rng.random(rows) < 0.5).astype(int)
        frame = pd.DataFrame({"g": group, "label": y, "prediction": rng.normal(y * 1.0, 1.0)})
        table = slice_metrics(frame, "g", roc_auc, n_boot=200, correction="none", seed=i)
        table = table.by_slice.set_index("slice").loc[list("abcd")]
        p_values[i] = table["p_value"].to_numpy()
        covered[i] = (table["low"] <= truth) & (truth <= table["high"])
    per_slice = _rates(p_values < 0.05)
    assert ((per_slice >= 0.03) & (per_slice <= 0.07)).all(), per_slice
    assert (adjust_pvalues(p_values, "holm") < 0.05).any(axis=1).mean() <= _at_most(0.05, reps)
    assert (_rates(covered) >= 0.93).all(), _rates(covered)


def test_power_for_a_small_bad_slice_the_chapter_reports():
    """A 10 % slice at 0.75 against 0.85 elsewhere, Holm over four slices: flagged 84 % of the
    time (83.7 % in 4,000 runs; the old test against the overall value flagged it 80 %)."""
    rng = np.random.default_rng(0)
    reps = 4000
    right = rng.binomial(SIZES, [0.85, 0.85, 0.85, 0.75], size=(reps, 4))
    power = np.mean([compare_slices(SIZES, r).flagged[3] for r in right])
    assert 0.81 <= power <= 0.87, power


def test_delong_variance_equals_its_definition_by_all_pairs():
    from mlfail_widgets.slicing import delong_auc

    rng = np.random.default_rng(9)
    y = (rng.random(60) < 0.4).astype(int)
    score = np.round(rng.normal(y, 1.0), 1)  # rounded: ties count one half
    pos, neg = score[y == 1], score[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    auc, variance = delong_auc(y, score)
    assert auc == pytest.approx(psi.mean())
    assert variance == pytest.approx(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size)
