"""Corrections with their diagnostics (issue 18 item 5): BBSE's interval and condition number,
importance weights' effective sample size, CUSUM with a known target and its run length."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets.failures.shift import Cusum, cusum, estimate_label_shift, make_shift
from mlfail_widgets.failures.shift.corrections import (
    IllConditionedWarning,
    compare_corrections,
    effective_sample_size,
)
from mlfail_widgets.failures.shift.streaming import cusum_run_length


class _Flipper:
    """A stand-in classifier whose prediction is the label flipped with a fixed chance (stored in
    the rows), so BBSE's confusion matrix is known: [[1 - f, f], [f, 1 - f]] by column."""

    classes_ = np.array([0, 1])
    target = "label"

    def predict_proba(self, frame):
        predicted = frame["predicted"].to_numpy()
        return np.column_stack([predicted == 0, predicted == 1]).astype(float)


def _rows(rng, n, prior, flip):
    label = (rng.random(n) < prior).astype(int)
    predicted = np.where(rng.random(n) < flip, 1 - label, label)
    return pd.DataFrame({"label": label, "predicted": predicted})


def test_bbse_bootstrap_interval_covers_the_true_prior_and_reports_the_condition_number():
    rng = np.random.default_rng(0)
    covered, reps = 0, 150
    for i in range(reps):
        holdout, current = _rows(rng, 1000, 0.5, 0.2), _rows(rng, 1000, 0.8, 0.2)
        estimate = estimate_label_shift(_Flipper(), holdout, current, n_boot=200, seed=i)
        covered += estimate.low[1] <= 0.8 <= estimate.high[1]
        assert estimate.condition_number == pytest.approx(np.linalg.cond(estimate.confusion))
    assert covered / reps >= 0.9  # nominal 0.95, 150 seeded runs
    assert 1.4 < estimate.condition_number < 2.0  # 0.5 / 0.3 for a 20 % flip at equal priors


def test_bbse_warns_when_the_model_barely_separates_the_classes():
    rng = np.random.default_rng(1)
    holdout, current = _rows(rng, 2000, 0.5, 0.47), _rows(rng, 2000, 0.7, 0.47)
    with pytest.warns(IllConditionedWarning, match="RLLS"):
        estimate = estimate_label_shift(_Flipper(), holdout, current, n_boot=0)
    assert estimate.condition_number > 10 and estimate.low is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate_label_shift(_Flipper(), _rows(rng, 500, 0.5, 0.1), _rows(rng, 500, 0.7, 0.1), n_boot=0)


def test_effective_sample_size_is_kish_and_the_corrections_table_reports_it():
    w = np.random.default_rng(2).exponential(size=500)
    assert effective_sample_size(w) == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert effective_sample_size(np.ones(40)) == 40
    table = compare_corrections(make_shift("covariate", 2.0, n_reference=2000, n_current=2000, seed=0),
                                labelled=300).set_index("method")
    assert table.loc["importance weighting", "diagnostic"].startswith("effective size 73 of 1,400")
    assert table.loc["label-shift correction (BBSE)", "diagnostic"].startswith("cond 1.9; priors")


def test_cusum_with_a_known_target_needs_no_warm_up_and_matches_the_class():
    rng = np.random.default_rng(3)
    stream = np.r_[rng.normal(0, 1, 300), rng.normal(1, 1, 300)]
    fast = cusum(stream, delta=0.5, threshold=5, target=0.0)
    detector = Cusum(delta=0.5, threshold=5, target=0.0)
    slow = [i for i, x in enumerate(stream) if detector.update(x).drift_detected]
    assert fast.tolist() == slow and fast[0] >= 300


def test_cusum_run_length_known_target_matches_siegmund_and_estimated_is_shorter_and_spread():
    k, h = 0.5, 5.0
    b = h + 1.166
    one_sided = (np.exp(2 * k * b) - 2 * k * b - 1) / (2 * k**2)  # Siegmund's approximation
    known = cusum_run_length(delta=k, threshold=h, known_target=True, n_streams=300, max_length=20_000, seed=0)
    estimated = cusum_run_length(delta=k, threshold=h, n_streams=300, max_length=20_000, seed=0)
    assert known["mean"] == pytest.approx(one_sided / 2, rel=0.15)  # two-sided: half
    assert estimated["median"] < 0.75 * known["median"]
    assert estimated["mean"] / estimated["median"] > known["mean"] / known["median"]  # heavier tail
