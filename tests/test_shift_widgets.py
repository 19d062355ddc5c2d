"""Chapter 05 widgets: one core call per move, the figure changed in place, errors shown."""

from __future__ import annotations

import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.shift import explore
from mlfail_widgets.widgets.shift import monitoring_dashboard, shift_panel, shift_slices

from .conftest import shows_a_full_draw


@pytest.fixture
def panel():
    panel = shift_panel(background=False)
    yield panel
    panel.close()


def test_the_shift_panel_is_the_main_widget_and_redraws_in_place(panel):
    figure, png = panel.figure, panel.png
    assert "mlfail-main" in panel.widget._dom_classes
    assert "mlfail-drive" in panel.controls["magnitude"]._dom_classes
    panel.controls["magnitude"].value = 3.0
    assert panel.figure is figure and panel.png != png
    assert panel.result.data.magnitude == 3.0 and panel.error is None
    assert panel.drawn.artists.test_title.get_text() == "3 of 5 features flagged"


def test_each_kind_reaches_the_figure(panel):
    result = panel.set(kind="concept", magnitude=3.0)
    assert result.report.drifted == [] and result.accuracy < result.reference_accuracy - 0.1
    assert panel.drawn.artists.data_title.get_text() == "Concept drift +3 (simulated data)"
    assert panel.set(kind="label", magnitude=2.0).data.current["label"].mean() > 0.8
    assert "P(label = 1)" in panel._summary(panel.result)


def test_a_move_redraws_only_what_changes_and_shows_what_a_full_draw_shows(panel):
    canvas = panel.figure.canvas
    for kind, magnitude in (("covariate", 3.0), ("label", -2.0), ("concept", 2.5), ("none", 0.0)):
        panel.set(kind=kind, magnitude=magnitude)
        assert shows_a_full_draw(canvas), (kind, magnitude)
    assert canvas.background_draws == 1


def test_a_bad_value_is_refused_and_a_failure_is_shown(panel):
    with pytest.raises(ParameterError, match=r"'magnitude' parameter of Panel\.set"):
        panel.set(magnitude=7)
    panel._compute = lambda **values: 1 / 0  # a broken core call must not kill the panel
    panel.controls["magnitude"].value = 1.5
    assert "ZeroDivisionError" in panel.error
    assert "mlfail-error" in panel._widgets["status"].value


def test_the_panel_has_a_static_image_for_exported_notebooks(panel):
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["image/png"]


def test_the_dashboard_rejudges_a_threshold_without_recomputing():
    dashboard = monitoring_dashboard(background=False)
    try:
        computed = explore._monitor.cache_info().misses
        dashboard.controls["threshold"].value = 0.2
        assert explore._monitor.cache_info().misses == computed
        assert dashboard.result.result.threshold == 0.2
        dashboard.controls["detector"].value = "wasserstein"
        assert explore._monitor.cache_info().misses == computed + 1
        assert dashboard.drawn.artists.title.get_text().startswith("Wasserstein, 1,000-row windows")
        before = dashboard.result.result.alarms.size
        dashboard.controls["window"].value = 2000
        assert dashboard.result.result.alarms.size == before // 2
    finally:
        dashboard.close()


def test_the_slice_chart_compares_bands_before_and_after():
    chart = shift_slices("covariate", 2.0, background=False)
    try:
        table = chart.result.set_index("slice")
        assert table.loc["x1 >= 1 | before", "metric"] > table.loc["x1 >= 1 | after", "metric"] + 0.1
        assert bool(table.loc["x1 >= 1 | after", "flagged"])
        assert chart.set(by="period")["slice"].tolist() != []
    finally:
        chart.close()
