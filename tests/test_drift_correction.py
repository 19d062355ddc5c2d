"""DriftReport.with_correction gives the report computed directly with that correction and level,
in every column (the effect columns too, whose per-test level depends on both)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets.audit import drift_report
from mlfail_widgets.failures.shift import detect_drift, make_shift
from mlfail_widgets.statistics import CORRECTIONS

from .test_audit import CURRENT, REFERENCE, make_log

FEATURES = ["x", "z", "n_items", "channel", "region"]  # numeric and categorical


def assert_same_report(found, expected) -> None:
    assert found.correction == expected.correction and found.alpha == expected.alpha
    assert list(found.table.columns) == list(expected.table.columns)
    for name in expected.table.columns:
        got, want = found.table[name], expected.table[name]
        if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
            np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-12, atol=1e-12,
                                       equal_nan=True, err_msg=name)
        else:
            assert got.tolist() == want.tolist(), name


@pytest.fixture(scope="module")
def shifted():
    return make_shift("covariate", 0.5, n_reference=1000, n_current=800, seed=0)


@pytest.mark.parametrize("start", ["none", "bonferroni"])
@pytest.mark.parametrize("target", CORRECTIONS)
def test_with_correction_equals_detect_drift_with_that_correction(shifted, start, target):
    data = shifted
    base = detect_drift(data.reference, data.current, columns=data.features, correction=start)
    direct = detect_drift(data.reference, data.current, columns=data.features, correction=target, alpha=0.01)
    assert_same_report(base.with_correction(target, 0.01), direct)


def test_the_reviewed_case_changes_detectable_and_power(shifted):
    """'none' -> 'bonferroni' used to keep 'none''s level: detectable 0.0494 instead of 0.0579."""
    data = shifted
    base = detect_drift(data.reference, data.current, columns=data.features, correction="none")
    moved = base.with_correction("bonferroni")
    numeric = moved.table["type"] == "numeric"
    assert (moved.table.loc[numeric, "detectable"] > base.table.loc[numeric, "detectable"]).all()
    assert (moved.table["power_small"] < base.table["power_small"]).all()
    np.testing.assert_array_equal(moved.table["effect_size"], base.table["effect_size"])


@pytest.mark.parametrize("exact_max_rows", [0, 10**6], ids=["binned", "exact"])
@pytest.mark.parametrize("target", ["bonferroni", "holm", "bh", "none"])
def test_with_correction_equals_the_audit_report_with_that_correction(exact_max_rows, target):
    log = make_log()
    base = drift_report(log, REFERENCE, CURRENT, FEATURES, correction="none", exact_max_rows=exact_max_rows)
    assert base.table["method"].iloc[0] == ("binned" if exact_max_rows == 0 else "exact")
    direct = drift_report(log, REFERENCE, CURRENT, FEATURES, correction=target, alpha=0.001,
                          exact_max_rows=exact_max_rows)
    assert set(base.dofs) == {"channel", "region"} and base.dofs == direct.dofs
    assert_same_report(base.with_correction(target, 0.001), direct)


def test_a_report_without_sizes_is_refused_not_silently_stale(shifted):
    from dataclasses import replace

    data = shifted
    report = replace(detect_drift(data.reference, data.current, columns=data.features), rows={})
    with pytest.raises(ValueError, match=r"report\.rows.*lacks rows"):
        report.with_correction("holm")
    report = replace(detect_drift(data.reference, data.current, columns=data.features), dofs={})
    with pytest.raises(ValueError, match=r"dofs of \['channel'\]"):
        report.with_correction("holm")
