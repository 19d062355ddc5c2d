"""Chapter 08's widgets: the log slice chart and drift-report panel take the audit's inputs; the
progress bar stays hidden for quick calls."""

from __future__ import annotations

import numpy as np
import pytest

from mlfail_widgets.audit import drift_report, slice_report
from mlfail_widgets.plots.audit import draw_timeline
from mlfail_widgets.widgets.audit import ProgressBar, drift_report_widget, log_slice_chart

from .test_audit import CURRENT, REFERENCE, make_log


@pytest.fixture(scope="module")
def log():
    return make_log()


def test_log_slice_chart_shows_slice_report_and_rejudges_without_recomputing(log, tmp_path):
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    chart = log_slice_chart(path, ["region", "channel"], ["accuracy", "calibration"], window=CURRENT,
                            target="label", prediction="score", progress=False)
    try:
        expected = slice_report(log, "region", "accuracy", window=CURRENT, prediction="score")
        assert chart.result["slice"].tolist() == expected["slice"].tolist()
        np.testing.assert_allclose(chart.result["metric"], expected["metric"], rtol=1e-12)
        assert chart.result.extra["engine"] == "duckdb"
        table = chart.set(by="channel", metric="calibration")
        assert set(table["slice"]) == {"app", "web"} and chart.updates == 1
        cached = len(chart._tables)
        big = chart.set(min_size=300)
        assert ((big["size"] < 300) == (big["status"] == "too small")).all() and len(chart._tables) == cached
        chart.clear_cache()  # after the log changed: the next move queries it again, same answer here
        again = chart.set(min_size=299)
        assert len(chart._tables) == 1 and again["metric"].tolist() == big["metric"].tolist()  # same table, recounted
    finally:
        chart.close()


def test_drift_report_widget_reapplies_the_correction_only(log):
    panel = drift_report_widget(log, REFERENCE, CURRENT, ["x", "z", "channel"], progress=False)
    try:
        expected = drift_report(log, REFERENCE, CURRENT, ["x", "z", "channel"], correction="holm", alpha=0.01)
        shown = panel.set(correction="holm", alpha=0.01)
        np.testing.assert_allclose(shown.table["adjusted_pvalue"], expected.table["adjusted_pvalue"], rtol=1e-12)
        assert shown.drifted == expected.drifted
        labels = [t.get_text() for t in panel.drawn.artists.labels]
        assert any("drifted" in text for text in labels)
    finally:
        panel.close()


@pytest.mark.parametrize("given", [
    {"correction": "holm"},
    {"alpha": 0.01},
    {"correction": "bh", "alpha": 0.02},
    {"settings": "holm 0.001"},
    {"settings": "holm 0.001", "alpha": 0.1},
], ids=["correction", "alpha", "both, alpha not offered", "settings", "settings and keyword"])
def test_drift_report_widget_starts_from_the_callers_settings(log, given):
    """correction= used to crash (TypeError: multiple values) and alpha= was ignored (0.05 shown)."""
    from mlfail_widgets.audit import DriftSettings

    given = dict(given)
    if "settings" in given:
        given["settings"] = DriftSettings(correction="holm", alpha=0.001)
    features = ["x", "z", "channel"]
    expected = drift_report(log, REFERENCE, CURRENT, features, **given)
    panel = drift_report_widget(log, REFERENCE, CURRENT, features, progress=False, **given)
    try:
        assert panel.controls["correction"].value == expected.correction
        assert panel.controls["alpha"].value == expected.alpha
        assert (panel.result.correction, panel.result.alpha) == (expected.correction, expected.alpha)
        for name in ["adjusted_pvalue", "detectable", "power_small", "psi_null95"]:
            np.testing.assert_allclose(panel.result.table[name], expected.table[name], rtol=1e-12, err_msg=name)
        assert panel.result.drifted == expected.drifted
        assert f"({expected.correction}, alpha {expected.alpha:g})" in panel.drawn.artists.title.get_text()
    finally:
        panel.close()


def test_drift_report_widget_passes_other_settings_and_names_a_misspelt_one(log):
    from mlfail_widgets._validation import ParameterError

    panel = drift_report_widget(log, REFERENCE, CURRENT, ["x"], exact_max_rows=0, grid=512, progress=False)
    try:
        assert panel.result.grid == 512 and panel.result.table["method"].tolist() == ["binned"]
    finally:
        panel.close()
    with pytest.raises(ParameterError, match=r"drift_report_widget got an unexpected keyword argument 'alpah'\. "
                                             r"Did you mean 'alpha'"):
        drift_report_widget(log, REFERENCE, CURRENT, ["x"], alpah=0.01, progress=False)
    with pytest.raises(ParameterError, match="'correction' parameter of drift_report_widget"):
        drift_report_widget(log, REFERENCE, CURRENT, ["x"], correction="holmes", progress=False)


def test_the_drift_figure_marks_each_features_own_noise_level():
    """Each bar has a tick at its psi_null95 and its label says whether PSI is above it; on 200
    rows per window PSI 0.098 of a feature that did not move sits at the 0.1 rule of thumb but
    within its no-shift 95th percentile (0.18)."""
    from mlfail_widgets.plots.audit import draw_drift, update_drift

    from .test_audit import make_log

    report = drift_report(make_log(rows=400), REFERENCE, CURRENT, ["x", "z", "channel"])
    drawn = draw_drift(report)
    table = report.table
    ticks = drawn.artists.noise.get_offsets()
    np.testing.assert_allclose(ticks[:, 0], table["psi_null95"], rtol=1e-12)
    np.testing.assert_array_equal(ticks[:, 1], np.arange(len(table)))
    for label, row in zip(drawn.artists.labels, table.itertuples(), strict=True):
        side = "above" if row.psi > row.psi_null95 else "within"
        assert f"{side} its no-shift 95% ({row.psi_null95:.2g})" in label.get_text()
        assert label.get_position()[0] > max(row.psi, row.psi_null95)  # text clear of bar and tick
    x = table.set_index("column").loc["x"]
    assert 0.09 < x["psi"] < 0.1 < x["psi_null95"] and not x["drifted"]
    legend = [t.get_text() for t in drawn.figure.legends[0].get_texts()]
    assert any("psi_null95" in t for t in legend) and any("rule of thumb" in t for t in legend)
    other = drift_report(make_log(rows=400, seed=1), REFERENCE, CURRENT, ["x", "z", "channel"])
    update_drift(drawn, other)
    np.testing.assert_allclose(drawn.artists.noise.get_offsets()[:, 0], other.table["psi_null95"], rtol=1e-12)


def test_progress_bar_counts_steps_and_stays_hidden_when_quick(log):
    bar = ProgressBar(delay=2.0, show=False)
    drift_report(log, REFERENCE, CURRENT, ["x", "channel"], exact_max_rows=0, progress=bar)
    assert bar.steps[-1] == "done" and bar.widget.value == bar.widget.max
    assert not bar.revealed and bar.widget.layout.visibility == "hidden"
    assert bar.widget.description.startswith("done in")


def test_the_timeline_marks_the_alarms():
    import pandas as pd

    from mlfail_widgets.audit import monitor_metric

    days = np.repeat(pd.date_range("2026-01-01", periods=40), 200)
    right = np.random.default_rng(0).random(days.size) < np.where(days >= days[4000], 0.7, 0.9)
    frame = pd.DataFrame({"timestamp": days, "label": 1, "prediction": right.astype(int)})
    timeline = monitor_metric(frame, "accuracy")
    drawn = draw_timeline(timeline)
    assert len(drawn.artists.alarms.get_offsets()) == len(timeline.alarms) >= 1
    assert "alarm" in drawn.artists.ax.get_title()
