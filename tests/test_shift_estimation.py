"""Label-free performance estimation done as NannyML's CBPE does (issue 18 item 4)."""

from __future__ import annotations

import numpy as np
import pytest

from mlfail_widgets.failures.shift.estimation import _isotonic, label_free_failures


def test_isotonic_calibration_equals_scipy():
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(0)
    x = rng.random(300)
    y = (rng.random(300) < x).astype(float)
    knots, values = _isotonic(x, y)
    order = np.argsort(x, kind="stable")
    expected = isotonic_regression(y[order]).x
    fitted = values[np.searchsorted(knots, x[order], side="right") - 1]
    assert fitted == pytest.approx(expected, abs=1e-12)
    assert np.all(np.diff(values) >= 0)


def test_cbpe_is_calibrated_with_no_shift_and_fails_under_concept_and_label_shift():
    table = label_free_failures(seeds=range(5)).set_index("shift")
    none = table.loc["none 0"]
    assert abs(none["cbpe_gap"]) < 0.005 < none["raw_gap"]  # raw confidence is off by ~0.017
    assert table.loc["concept 3", "cbpe_gap"] < -0.1  # the model is confident and wrong
    assert table.loc["label +2", "cbpe_gap"] > 0.015 and table.loc["label -2", "cbpe_gap"] < -0.015
