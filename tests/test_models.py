"""The shared classifier and metrics, checked against closed forms and hand-computed cases."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from mlfail_widgets import LogisticRegression, ParameterError
from mlfail_widgets.metrics import accuracy, log_loss, mean_absolute_error, precision, recall, roc_auc


def test_logistic_regression_recovers_known_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 2))
    logit = 1.5 * X[:, 0] - 0.5 * X[:, 1] + 0.3
    y = (rng.random(20000) < 1 / (1 + np.exp(-logit))).astype(int)
    model = LogisticRegression(l2=0).fit(X, y)
    # binary softmax: the weight difference between the classes is the logistic weight
    weights = (model.coef_[1] - model.coef_[0]) / model.scale_
    assert weights == pytest.approx([1.5, -0.5], abs=0.08)


def test_multiclass_and_pickle_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [3, 0], [0, 3]])
    y = rng.integers(0, 3, 600)
    X = centres[y] + rng.normal(size=(600, 2))
    model = LogisticRegression().fit(X, y)
    assert model.score(X, y) > 0.9
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    again = pickle.loads(path.read_bytes())
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1)


def test_sample_weights_shift_the_decision():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    plain = LogisticRegression().fit(X, y).predict_proba([[1.5]])[0, 1]
    weighted = LogisticRegression().fit(X, y, sample_weight=[1, 1, 5, 5]).predict_proba([[1.5]])[0, 1]
    assert weighted > plain


@pytest.mark.parametrize("call,match", [
    (lambda m: m.fit(np.zeros(5), np.zeros(5)), "2-D array"),
    (lambda m: m.fit(np.zeros((5, 1)), np.zeros(5)),
     r"^The 'y' parameter of LogisticRegression.fit must be labels of at least two classes. Got \[0.0\]"),
    (lambda m: m.fit(np.zeros((5, 1)), np.zeros(4)),
     r"^The 'y' parameter of LogisticRegression.fit must be one label per row of X, an array of shape \(5,\)\. "
     r"Got \(4,\) instead\.$"),
    (lambda m: m.fit(np.zeros((4, 1)), [0, 1, 0, 1], sample_weight=[1, -1, 1, 1]),
     r"^The 'sample_weight' parameter of LogisticRegression.fit must be one finite, non-negative weight"),
    (lambda m: m.predict([[1.0]]), "before fit"),
    # the error names the method the learner called (predict), not the one that checks (predict_proba)
    (lambda m: m.fit(np.arange(4.0).reshape(4, 1), [0, 0, 1, 1]).predict(np.zeros((2, 3))),
     r"^The 'X' parameter of LogisticRegression.predict must be an array with the 1 feature column\(s\) "
     r"the model was trained on\. Got \(2, 3\) instead\.$"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ParameterError, match=match):
        call(LogisticRegression())


def test_metrics_on_hand_computed_cases():
    y = np.array([1, 0, 1, 1, 0])
    p = np.array([0.9, 0.6, 0.4, 0.8, 0.1])
    assert accuracy(y, p) == pytest.approx(3 / 5)  # labels 1,1,0,1,0
    assert precision(y, p) == pytest.approx(2 / 3)
    assert recall(y, p) == pytest.approx(2 / 3)
    # positives 0.9, 0.4, 0.8 vs negatives 0.6, 0.1: pairs won = 2 + 1 + 2 = 5 of 6
    assert roc_auc(y, p) == pytest.approx(5 / 6)
    expected = -(np.log(0.9) + np.log(0.4) + np.log(0.4) + np.log(0.8) + np.log(0.9)) / 5
    assert log_loss(y, p) == pytest.approx(expected)
    assert mean_absolute_error([1, 2], [2, 4]) == pytest.approx(1.5)


def test_roc_auc_matches_the_mann_whitney_statistic():
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 500)
    score = rng.normal(size=500) + y * 0.5
    u = mannwhitneyu(score[y == 1], score[y == 0]).statistic
    assert roc_auc(y, score) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))
