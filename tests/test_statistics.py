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
