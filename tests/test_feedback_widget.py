"""Chapter 06's dashboard: the figure updates in place, the panel is marked for the browser
tests, every policy runs, and large runs show their progress."""

from __future__ import annotations

import numpy as np
import pytest

from mlfail_widgets.failures.feedback import loop_report
from mlfail_widgets.plots import feedback as feedback_plot
from mlfail_widgets.widgets import feedback as feedback_widget
from mlfail_widgets.widgets.feedback import POLICY_OPTIONS, feedback_panel


@pytest.fixture
def panel():
    panel = feedback_panel(n_users=200, n_songs=120)
    yield panel
    panel.close()


def test_update_changes_the_artists_in_place():
    drawn = feedback_plot.draw(loop_report(rounds=10, n_users=200, n_songs=120))
    figure, line = drawn.figure, drawn.artists["exposure"]
    before = line.get_ydata().copy()
    feedback_plot.update(drawn, loop_report(epsilon=0.5, rounds=20, n_users=200, n_songs=120))
    assert drawn.figure is figure and drawn.artists["exposure"] is line
    assert len(line.get_xdata()) == 20 and not np.array_equal(line.get_ydata()[:10], before)
    assert line.axes.get_xlim() == (0, 19)
    assert "epsilon 0.50" in drawn.artists["lorenz_text"].get_text()


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
