"""Chapter 05 core: seeded shift generators, the penguins, label-free estimates, corrections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.shift import (
    TabularClassifier,
    class_mixture,
    compare_corrections,
    detect_drift,
    drift_profile,
    drift_stream,
    estimate_label_shift,
    estimate_performance,
    expected_accuracy,
    importance_weights,
    ks_test,
    load_penguins,
    make_shift,
    penguin_shift,
    performance_over_time,
    reference_data,
)
from mlfail_widgets.models import LogisticRegression


def test_generators_are_seeded():
    for kind in ("covariate", "label", "concept"):
        first, again = make_shift(kind, 1.0, seed=4), make_shift(kind, 1.0, seed=4)
        pd.testing.assert_frame_equal(first.current, again.current)
        assert not make_shift(kind, 1.0, seed=5).current.equals(first.current)
    pd.testing.assert_frame_equal(drift_stream(seed=2).data, drift_stream(seed=2).data)


def true_log_odds_weights(frame: pd.DataFrame) -> np.ndarray:
    """Fit the well-specified model (x1, x1^2, x2, x3, channel) and return its raw weights."""
    X = np.c_[frame["x1"], frame["x1"] ** 2, frame["x2"], frame["x3"],
              frame["channel"] == "app", frame["channel"] == "branch"].astype(float)
    model = LogisticRegression(l2=0.0).fit(X, frame["label"].to_numpy())
    return (model.coef_[1] - model.coef_[0]) / model.scale_


def test_covariate_shift_moves_inputs_but_not_the_labelling_rule():
    data = make_shift("covariate", 1.0, n_reference=60_000, n_current=60_000, seed=0)
    assert data.current["x1"].mean() == pytest.approx(1.0, abs=0.02)
    assert data.current["x2"].mean() == pytest.approx(0.0, abs=0.02)
    assert (data.current["channel"] == "app").mean() > (data.reference["channel"] == "app").mean() + 0.05
    truth = [2.0, -0.9, -1.2, 0.5, 0.6, -0.6]
    assert true_log_odds_weights(data.reference) == pytest.approx(truth, abs=0.1)
    assert true_log_odds_weights(data.current) == pytest.approx(truth, abs=0.1)


def test_label_shift_keeps_the_inputs_of_each_class():
    data = make_shift("label", 2.0, n_reference=20_000, n_current=20_000, seed=1)
    assert data.current["label"].mean() > data.reference["label"].mean() + 0.25
    for cls in (0, 1):
        r = data.reference.loc[data.reference["label"] == cls, ["x1", "x2", "x3", "x4"]].to_numpy()
        c = data.current.loc[data.current["label"] == cls, ["x1", "x2", "x3", "x4"]].to_numpy()
        assert (ks_test(r, c).pvalue > 0.001).all()


def test_concept_drift_leaves_the_inputs_alone():
    data = make_shift("concept", 3.0, n_reference=5000, n_current=5000, seed=2)
    assert not detect_drift(data.reference, data.current, columns=data.features).any
    positive_x2 = data.current["x2"] > 1
    assert data.current.loc[positive_x2, "label"].mean() > data.reference.loc[
        data.reference["x2"] > 1, "label"].mean() + 0.2


def test_drift_patterns_unfold_as_described():
    assert drift_profile("gradual", 5, start=1, duration=4).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    sudden = drift_stream("sudden", "covariate", 2.0, n_batches=6, batch_size=2000, start=3, seed=0)
    means = sudden.data.groupby("batch")["x1"].mean().to_numpy()
    assert np.allclose(means, [0, 0, 0, 2, 2, 2], atol=0.1)
    gradual = drift_stream("gradual", "covariate", 2.0, n_batches=6, batch_size=4000, start=1, duration=4, seed=0)
    x1 = gradual.data.loc[gradual.data["batch"] == 2, "x1"]
    assert ((x1 > 1).mean() > 0.25) and ((x1 < 0).mean() > 0.25)  # a mix of old and new rows
    recurring = drift_stream("recurring", "label", 2.0, n_batches=8, batch_size=2000, start=0, period=4, seed=0)
    rates = recurring.data.groupby("batch")["label"].mean().to_numpy()
    assert rates[2] > rates[0] + 0.2 and rates[6] > rates[4] + 0.2 and abs(rates[4] - rates[0]) < 0.05


def test_label_shift_estimation_recovers_known_priors():
    model_X, model_y = class_mixture(6000, priors=(1 / 3, 1 / 3, 1 / 3), seed=0)
    holdout_X, holdout_y = class_mixture(6000, priors=(1 / 3, 1 / 3, 1 / 3), seed=1)
    current_X, _ = class_mixture(8000, priors=(0.6, 0.3, 0.1), seed=2)
    frame = lambda X, y=None: pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": y if y is not None else 0})  # noqa: E731
    model = TabularClassifier(["a", "b"]).fit(frame(model_X, model_y))
    estimate = estimate_label_shift(model, frame(holdout_X, holdout_y), frame(current_X))
    assert estimate.current_priors == pytest.approx([0.6, 0.3, 0.1], abs=0.03)
    assert estimate.reference_priors == pytest.approx([1 / 3] * 3, abs=0.02)
    binary = make_shift("label", -2.0, n_reference=8000, n_current=8000, seed=3)
    model = TabularClassifier(binary.features).fit(binary.reference.iloc[:4000])
    estimate = estimate_label_shift(model, binary.reference.iloc[4000:], binary.current)
    assert estimate.current_priors[1] == pytest.approx(binary.current["label"].mean(), abs=0.03)


def test_expected_accuracy_tracks_realised_under_covariate_shift_not_concept_drift():
    assert expected_accuracy([[0.8, 0.2], [0.4, 0.6]]) == pytest.approx(0.7)
    model = TabularClassifier(["x1", "x2", "x3", "x4", "channel"]).fit(reference_data(5000, seed=0))
    helped = estimate_performance(model, make_shift("covariate", -2.0, n_current=5000, seed=1).current)
    assert helped.realised > 0.9 and abs(helped.gap) < 0.06  # covariate shift did not hurt here
    blind = estimate_performance(model, make_shift("concept", 3.0, n_current=5000, seed=1).current)
    assert blind.gap < -0.1  # the estimate cannot see a concept drift
    over_time = performance_over_time(model, drift_stream("sudden", "concept", 3.0, n_batches=4, start=2, seed=2))
    assert over_time["expected"].std() < 0.02 and over_time["realised"].iloc[3] < over_time["realised"].iloc[0] - 0.1


def test_each_correction_recovers_accuracy_where_it_should():
    label = compare_corrections(make_shift("label", 2.5, n_reference=3000, n_current=3000, seed=0)).set_index("method")
    assert label.loc["label-shift correction (BBSE)", "change"] > 0.05
    concept = compare_corrections(make_shift("concept", 3.0, n_reference=3000, n_current=3000, seed=0)).set_index("method")
    assert concept.loc["retrain on recent window", "change"] > 0.1
    assert abs(concept.loc["label-shift correction (BBSE)", "change"]) < 0.03
    covariate = compare_corrections(make_shift("covariate", 2.0, n_reference=3000, n_current=3000, seed=0)).set_index("method")
    assert covariate.loc["importance weighting", "change"] > 0.01


def test_importance_weights_lean_towards_the_current_data():
    data = make_shift("covariate", 1.0, seed=0)
    model = TabularClassifier(data.features).fit(data.reference)
    weights = importance_weights(model, data.reference, data.current, clip=5)
    assert weights.mean() == pytest.approx(1.0)
    weighted_mean = np.average(data.reference["x1"], weights=weights)
    assert weighted_mean == pytest.approx(data.current["x1"].mean(), abs=0.25)


def test_penguins_ship_with_the_course_and_shift_between_islands():
    penguins = load_penguins()
    assert len(penguins) == 333 and len(load_penguins(complete=False)) == 344
    assert penguins.groupby("island")["species"].unique().map(len).to_dict() == {
        "Biscoe": 2, "Dream": 2, "Torgersen": 1}
    data = penguin_shift("Biscoe", "Dream")
    assert "Chinstrap" in data.description and data.target == "sex"
    report = detect_drift(data.reference, data.current, columns=data.features)
    assert report.any
    model = TabularClassifier(data.features, "sex").fit(data.reference)
    estimate = estimate_performance(model, data.current)
    assert estimate.realised < estimate.expected - 0.05  # the confidence does not see the new species


def test_bad_input_to_the_core_is_named():
    with pytest.raises(ParameterError, match=r"'kind' parameter of make_shift .* Did you mean 'covariate'"):
        make_shift("covarite")
    with pytest.raises(ParameterError, match="'magnitude' parameter of make_shift must be a number in"):
        make_shift("label", 9)
    with pytest.raises(ParameterError, match="'priors' parameter of class_mixture"):
        class_mixture(10, priors=(0.5, 0.6))
    with pytest.raises(ParameterError, match="'train' parameter of penguin_shift"):
        penguin_shift("Anvers")
    model = TabularClassifier(["x1", "nope"])
    with pytest.raises(ParameterError, match="'nope'"):
        model.fit(reference_data(50))
    with pytest.raises(ParameterError, match="empty window"):
        estimate_performance(TabularClassifier(["x1"]).fit(reference_data(50)), reference_data(50).iloc[:0])
