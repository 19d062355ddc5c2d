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
