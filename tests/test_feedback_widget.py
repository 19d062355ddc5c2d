"""Chapter 06's dashboard: the figure updates in place, the panel is marked for the browser
tests, every policy runs, and large runs show their progress."""

from __future__ import annotations

import numpy as np
import pytest

from mlfail_widgets.failures.feedback import loop_report
from mlfail_widgets.plots import feedback as feedback_plot
from mlfail_widgets.widgets import feedback as feedback_widget
from mlfail_widgets.widgets.feedback import POLICY_OPTIONS, feedback_panel

from .conftest import shows_a_full_draw


@pytest.fixture
def panel():
    panel = feedback_panel(n_users=200, n_songs=120)
    yield panel
    panel.close()


def test_update_changes_the_artists_in_place():
    drawn = feedback_plot.draw(loop_report(rounds=10, n_users=200, n_songs=120))
    figure, line = drawn.figure, drawn.artists.exposure
    before = line.get_ydata().copy()
    feedback_plot.update(drawn, loop_report(epsilon=0.5, rounds=20, n_users=200, n_songs=120))
    assert drawn.figure is figure and drawn.artists.exposure is line
    assert len(line.get_xdata()) == 20 and not np.array_equal(line.get_ydata()[:10], before)
    assert line.axes.get_xlim() == (0, 19)
    assert "epsilon 0.50" in drawn.artists.lorenz_text.get_text()


def test_a_move_redraws_only_what_changes_and_shows_what_a_full_draw_shows(panel):
    canvas = panel.figure.canvas
    for epsilon in (0.1, 0.35, 0.6, 0.85):  # flags and calibration gaps move; the scale holds
        panel.set(epsilon=epsilon)
        assert shows_a_full_draw(canvas), epsilon
    assert canvas.background_draws == 1
    slice_ax = panel.drawn.artists.slices.artists.points.axes
    assert slice_ax.get_xlim() == (-0.2, 0.2)  # centred on "well calibrated"
    for settings in ({"rounds": 12}, {"policy": "ctr+ipw", "k": 5, "position_bias": 2.0}):
        panel.set(**settings)  # a new x range: the background is drawn again
        assert shows_a_full_draw(canvas), settings


def test_the_calibration_axis_widens_in_steps_when_a_gap_needs_it():
    table = loop_report(rounds=10, n_users=200, n_songs=120).slices
    assert feedback_plot._gap_reach(table) == 0.2
    rows = table.by_slice
    wide = table.with_rows(rows.assign(high=rows["high"].where(rows.index != 2, 0.3)))
    assert feedback_plot._gap_reach(wide) == 0.5
    hit_rate = loop_report(rounds=10, n_users=200, n_songs=120, slice_metric="hit rate")
    drawn = feedback_plot.draw(hit_rate)  # not a gap around 0: the slice chart's own range
    assert drawn.artists.slices.artists.points.axes.get_xlim()[0] >= -0.01


def test_panel_is_marked_for_the_browser_tests(panel):
    assert "mlfail-main" in panel.widget._dom_classes
    assert "mlfail-drive" in panel.controls["epsilon"]._dom_classes
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "image/png" in data  # a static figure without a widget frontend


def test_moving_epsilon_changes_the_figure_and_the_numbers(panel):
    png, gini = panel.png, panel.result.history.final("exposure_gini")
    result = panel.set(epsilon=0.4)
    assert panel.png != png
    assert result.history.final("exposure_gini") < gini
    assert panel.error is None


@pytest.mark.parametrize("label", list(POLICY_OPTIONS))
def test_every_policy_of_the_menu_runs(panel, label):
    result = panel.set(policy=POLICY_OPTIONS[label], position_bias=1.5, k=5, rounds=10)
    assert panel.error is None
    assert result.history.rounds == 10 and result.history.settings["k"] == 5


def test_large_runs_show_progress(panel, monkeypatch):
    monkeypatch.setattr(feedback_widget, "LARGE_RUN", 0)
    progress = panel.widget.children[-1]
    panel.set(rounds=15)
    assert (progress.value, progress.max) == (15, 15)
    assert progress.layout.visibility == "hidden"  # hidden again once the run is done


def test_a_bad_value_from_code_is_refused(panel):
    with pytest.raises(ValueError, match="epsilon"):
        panel.set(epsilon=1.5)


def test_default_dashboard_flags_the_tail_under_popularity():
    panel = feedback_panel()
    try:
        tail = panel.result.slices.set_index("slice").loc["tail"]
        assert tail["flagged"] and tail["metric"] > 0.03
    finally:
        panel.close()
