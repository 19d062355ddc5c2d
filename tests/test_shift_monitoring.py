"""Chapter 05 windowed monitoring: scipy's numbers per window, alarms, delay, false alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.shift import (
    KSReference,
    drift_stream,
    monitor_stream,
    population_stability_index,
    reference_data,
    wasserstein_distance,
    window_tradeoff,
)


def stream_with_shift(seed=0, before=4000, after=4000, shift=0.5, features=3):
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=(20_000, features))
    stream = rng.normal(size=(before + after, features))
    stream[before:, 0] += shift
    return reference, stream


def test_ks_monitoring_equals_scipy_window_by_window():
    reference, stream = stream_with_shift()
    result = monitor_stream(reference, stream, window=500, correction="none")
    assert result.pvalues.shape == (16, 3)
    for w in range(16):
        for j in range(3):
            theirs = stats.ks_2samp(reference[:, j], stream[w * 500:(w + 1) * 500, j])
            assert result.statistics[w, j] == theirs.statistic
            assert result.pvalues[w, j] == theirs.pvalue


def test_distance_detectors_equal_the_one_sample_functions():
    reference, stream = stream_with_shift(seed=1)
    wasserstein = monitor_stream(reference, stream, window=1000, detector="wasserstein")
    psi = monitor_stream(reference, stream, window=1000, detector="psi")
    for w in (0, 5):
        rows = stream[w * 1000:(w + 1) * 1000]
        for j in range(3):
            assert wasserstein.statistics[w, j] == pytest.approx(
                stats.wasserstein_distance(reference[:, j], rows[:, j]) / reference[:, j].std(), abs=1e-9)
            assert psi.statistics[w, j] == pytest.approx(
                population_stability_index(reference[:, j], rows[:, j]), abs=1e-12)
    assert wasserstein.threshold == 0.1 and psi.threshold == 0.2


def test_alarms_delay_and_false_alarm_rate():
    reference, stream = stream_with_shift(seed=2, before=6000, after=6000, shift=0.6)
    result = monitor_stream(reference, stream, window=1000, shift_row=6000)
    assert result.alarms[6:].all()
    assert result.first_alarm == 6 and result.detection_delay == 1000
    assert result.false_alarm_rate == 0.0
    reference, stream = stream_with_shift(seed=2, before=5500, after=6500, shift=0.6)
    straddling = monitor_stream(reference, stream, window=1000, shift_row=5500)
    assert straddling.detection_delay == 500  # the window that straddles the shift counts
    assert straddling.before_shift.sum() == 5


def test_false_alarm_rate_with_nothing_shifted_is_the_level():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(20_000, 1))
    result = monitor_stream(reference, rng.normal(size=(400_000, 1)), window=200, threshold=0.05)
    assert result.first_alarm is None and result.detection_delay is None
    assert result.false_alarm_rate == pytest.approx(0.05, abs=4 * np.sqrt(0.05 * 0.95 / 2000))


def test_bonferroni_across_features_in_each_window():
    rng = np.random.default_rng(4)
    reference = rng.normal(size=(20_000, 10))
    stream = rng.normal(size=(200 * 400, 10))
    raw = monitor_stream(reference, stream, window=200, correction="none")
    corrected = monitor_stream(reference, stream, window=200)
    assert raw.false_alarm_rate > 0.3  # 1 - 0.95**10 = 0.40
    assert corrected.false_alarm_rate <= 0.05 + 4 * np.sqrt(0.05 * 0.95 / 400)


def test_monitoring_a_dataframe_stream_uses_its_numeric_columns():
    stream = drift_stream("sudden", "covariate", 1.0, n_batches=6, batch_size=500, start=3, seed=0)
    result = monitor_stream(reference_data(5000, seed=1), stream.data.drop(columns="batch"),
                            window=500, shift_row=stream.shift_row)
    assert result.columns == ["x1", "x2", "x3", "x4", "label"]
    assert result.alarms.tolist() == [False, False, False, True, True, True]


def test_wider_windows_alarm_less_often_but_later():
    table = window_tradeoff((100, 500, 2500), magnitude=0.15, alpha=0.01, n_repeats=12, seed=0)
    assert table["false_alarms_per_10k_rows"].is_monotonic_decreasing
    assert (table["false_alarm_rate"] <= 0.01 + 4 * np.sqrt(0.01 * 0.99 / 400)).all()
    assert table["power"].is_monotonic_increasing and table["power"].iloc[-1] > 0.9 > 0.3 > table["power"].iloc[0]
    assert table["median_delay"].iloc[-1] == 2500  # a large window must fill before it can alarm
    assert table["median_delay"].iloc[0] < table["median_delay"].iloc[-1]


def test_significance_on_huge_windows_flags_what_distance_thresholds_ignore():
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(100_000, 1))
    stream = rng.normal(0.05, 1, size=(200_000, 1))
    ks = monitor_stream(reference, stream, window=100_000)
    wasserstein = monitor_stream(reference, stream, window=100_000, detector="wasserstein")
    assert ks.alarms.all() and not wasserstein.alarms.any()
    assert wasserstein_distance(reference[:, 0], stream[:100_000, 0], normed=True) < 0.1


def test_empty_windows_and_bad_settings_are_refused():
    reference, stream = stream_with_shift()
    with pytest.raises(ParameterError, match="An empty window cannot be tested"):
        monitor_stream(reference, stream[:10], window=100)
    with pytest.raises(ParameterError, match="An empty window"):
        monitor_stream(reference, stream[:0], window=100)
    with pytest.raises(ParameterError, match="'detector' parameter of monitor_stream"):
        monitor_stream(reference, stream, detector="kss")
    with pytest.raises(ParameterError, match="3 feature columns like the reference"):
        monitor_stream(reference, stream[:, :2])
    frame = pd.DataFrame(stream, columns=["a", "b", "c"])
    with pytest.raises(ParameterError, match="'d'"):
        monitor_stream(frame, frame, columns=["a", "d"])


def test_a_prepared_reference_is_reused_as_is():
    reference, stream = stream_with_shift(seed=6)
    prepared = KSReference(reference)
    first = monitor_stream(None, stream, window=1000, prepared=prepared)
    second = monitor_stream(reference, stream, window=1000)
    assert np.array_equal(first.pvalues, second.pvalues)
