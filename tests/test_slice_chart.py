"""The slice chart: driven through its controls, updated in place, static when no frontend."""

from __future__ import annotations

import base64
import threading

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from mlfail_widgets import ParameterError
from mlfail_widgets.plots import render_png, slices, style
from mlfail_widgets.slicing import slice_metrics
from mlfail_widgets.widgets import Panel
from mlfail_widgets.widgets.slices import SliceChart, slice_chart

GENRES = ["pop", "rock", "hip-hop", "electronic", "classical", "jazz", "folk", "metal", "country", "blues"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """Ten genres, jazz served badly, blues tiny; an age column with a few missing values."""
    rng = np.random.default_rng(0)
    rows = 6000
    genre = rng.choice(GENRES, rows, p=[.25, .2, .12, .1, .1, .08, .07, .05, .025, .005])
    label = (rng.random(rows) < 0.4).astype(int)
    right = rng.random(rows) < np.where(genre == "jazz", 0.6, 0.88)
    age = np.where(rng.random(rows) < 0.03, np.nan, rng.gamma(4, 9, rows))
    return pd.DataFrame({"genre": genre, "age": age, "label": label,
                         "prediction": np.where(right, label, 1 - label),
                         "score": np.clip(np.where(right, label, 1 - label) * 0.6 + rng.random(rows) * 0.4, 0, 1)})


@pytest.fixture
def chart(data):
    chart = slice_chart(data, ["genre", "age"], ["accuracy", "recall"], background=False)
    yield chart
    chart.close()


def labels(chart) -> list[str]:
    return [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]


def test_it_is_a_panel_showing_the_first_column_and_metric(chart, data):
    assert isinstance(chart, Panel) and isinstance(chart, SliceChart)
    expected = slice_metrics(data, "genre", "accuracy", min_size=30)
    pd.testing.assert_frame_equal(chart.result.to_frame(), expected.to_frame())
    assert labels(chart) == expected["slice"].tolist()
    assert chart.result.loc[chart.result["flagged"], "slice"].iloc[0] == "jazz"
    assert set(chart.controls) == {"by", "metric", "min_size"}


def test_changing_column_metric_and_size_updates_the_same_figure(chart, data):
    figure, points = chart.figure, chart.drawn.artists.points
    table = chart.set(by="age")
    assert chart.figure is figure and chart.drawn.artists.points is points
    assert table["by"].unique().tolist() == ["age"] and labels(chart)[-1] == "missing"
    assert len(points.get_offsets()) == len(table)  # 4 bins and the missing slice
    assert chart.figure.axes[0].yaxis.label.get_text() == "age"
    png = chart.png
    table = chart.set(metric="recall")
    assert table.metric == "recall" and chart.png != png
    assert chart.figure.axes[0].xaxis.label.get_text().startswith("recall")
    chart.controls["by"].value = "genre"  # back to ten slices: the artists are reused
    assert len(chart.drawn.artists.points.get_offsets()) == len(GENRES)
    assert sum(t.get_visible() for t in chart.drawn.artists.sizes) == len(GENRES)


def test_the_minimum_size_slider_rejudges_without_recomputing(chart):
    computed = dict(chart._tables)
    table = chart.set(min_size=400)
    assert {key: id(value) for key, value in chart._tables.items()} == \
        {key: id(value) for key, value in computed.items()}  # nothing recomputed
    small = table[table["size"] < 400]
    assert len(small) and (small["status"] == "too small").all() and not small["flagged"].any()
    assert small["low"].isna().all() and small["metric"].notna().all()
    colours = {to_hex(c) for c in chart.drawn.artists.points.get_facecolors()}
    assert to_hex(style.MUTED) in colours and to_hex(style.ALARM) in colours
    notes = [t.get_text() for t in chart.drawn.artists.sizes if t.get_visible()]
    assert any("too small (< 400 rows)" in note for note in notes)


def test_flagged_slices_are_drawn_in_the_alarm_colour(chart):
    table = chart.result
    drawn = [to_hex(c) for c in chart.drawn.artists.points.get_facecolors()]
    for colour, flagged, status in zip(drawn, table["flagged"], table["status"], strict=True):
        assert colour == to_hex(style.ALARM if flagged else style.GOOD if status == "ok" else style.MUTED)
    jazz = labels(chart).index("jazz")
    assert to_hex(chart.figure.axes[0].get_yticklabels()[jazz].get_color()) == to_hex(style.ALARM)


def test_new_labels_get_a_new_layout_so_nothing_is_clipped(chart, data):
    long_names = data.assign(genre=data["genre"].map(lambda g: f"{g} (a rather long genre name)"))
    wide = slice_chart(long_names, "genre", background=False)
    try:
        for panel in (chart, wide):
            panel.set(by=panel.specs["by"].options[0])
            render_png(panel.figure)
            renderer = panel.figure.canvas.get_renderer()
            box = panel.figure.bbox
            for text in [*panel.figure.axes[0].get_yticklabels(), *panel.drawn.artists.sizes]:
                if text.get_visible() and text.get_text():
                    extent = text.get_window_extent(renderer)
                    assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
    finally:
        wide.close()


def test_the_static_fallback_is_the_chart_png(chart):
    bundle = chart._repr_mimebundle_()
    payload = bundle[0] if isinstance(bundle, tuple) else bundle
    assert base64.b64decode(payload["image/png"]) == chart.png
    assert "by='genre'" in payload["text/plain"]


def test_summary_names_the_flags_and_the_largest_gap(chart):
    assert chart.widget is not None  # build the widgets, as displaying the chart does
    text = chart._widgets["summary"].value
    assert "slices of <b>genre</b> flagged" in text and "largest gap: <b>jazz</b>" in text


def test_a_failing_callable_metric_is_shown_and_the_chart_keeps_working(data):
    def fragile(y, p):
        raise ValueError("this metric is broken")

    chart = slice_chart(data, "genre", ["accuracy", fragile], background=False)
    chart.controls["metric"].value = fragile
    assert chart.error == "ValueError: this metric is broken"
    assert "mlfail-error" in chart._widgets["status"].value
    assert chart.result.metric == "accuracy"
    chart.set(min_size=50)  # still the broken metric: still an error, still shown
    assert chart.error and chart.result.min_size == 30
    chart.set(metric="accuracy", min_size=50)
    assert chart.error is None and chart.result.min_size == 50
    chart.close()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": ["genre", "genr"]}, r"'by' parameter of slice_chart .*Did you mean 'genre'"),
    ({"metrics": ["accuracy", "auc_roc"]}, r"'metrics' parameter of slice_chart .*'auc'"),
    ({"min_size": 0}, r"'min_size' parameter of slice_chart"),
    ({"n_boots": 100}, r"slice_chart got an unexpected keyword argument 'n_boots'\. Did you mean 'n_boot'"),
    ({"by": []}, r"non-empty list"),
    ({"metrics": ["accuracy", "accuracy"]}, r"distinct names"),
])
def test_bad_arguments_are_refused_when_the_chart_is_built(data, kwargs, message):
    options = {"by": "genre"} | kwargs
    with pytest.raises(ParameterError, match=message):
        slice_chart(data, **options)


def test_a_slice_settings_object_gives_the_tables_and_the_slider_start(data):
    from mlfail_widgets.slicing import SliceSettings

    settings = SliceSettings(min_size=60, correction="bonferroni", n_boot=200)
    chart = slice_chart(data, "genre", "accuracy", settings, background=False, confidence=0.9)
    try:
        expected = slice_metrics(data, "genre", "accuracy", settings, confidence=0.9)
        pd.testing.assert_frame_equal(chart.result.to_frame(), expected.to_frame())
        assert chart.controls["min_size"].value == 60 and chart.result.correction == "bonferroni"
    finally:
        chart.close()
    with pytest.raises(ParameterError, match="'confidence' parameter of slice_chart"):
        slice_chart(data, "genre", settings=settings, confidence=2)


def test_set_checks_values_against_the_controls(chart):
    with pytest.raises(ParameterError, match="Did you mean 'genre'"):
        chart.set(by="genr")
    with pytest.raises(ParameterError, match=r"'min_size' parameter of Panel\.set"):
        chart.set(min_size=10**9)


def test_background_updates_and_close_leave_no_thread(data):
    chart = slice_chart(data, ["genre", "age"], background=True)
    chart.controls["by"].value = "age"
    chart.controls["min_size"].value = 100
    assert chart.wait(timeout=30)
    assert chart.values == {"by": "age", "metric": "accuracy", "min_size": 100}
    assert chart.result["by"].iloc[0] == "age"
    chart.close()
    assert not any(t.name == "mlfail-panel" and t.is_alive() for t in threading.enumerate())


def test_draw_into_given_axes_and_update_with_fewer_slices(data):
    from mlfail_widgets.plots import new_figure

    fig, axes = new_figure((10, 4), ncols=2)
    drawn = slices.draw(slice_metrics(data, "genre"), ax=axes[1])
    assert drawn.figure is fig and drawn.artists.points.axes is axes[1]
    slices.update(drawn, slice_metrics(data, "age", "auc", prediction="score", n_boot=100))
    assert [t.get_text() for t in axes[1].get_yticklabels()][-1] == "missing"
    assert axes[1].title.get_text().startswith("ROC AUC by age")
    assert render_png(fig).startswith(b"\x89PNG")


def test_a_long_column_name_does_not_run_into_the_header():
    rng = np.random.default_rng(3)
    name = "number_of_days_since_the_listener_last_opened_the_app_on_any_device"
    frame = pd.DataFrame({name: rng.integers(0, 40, 800), "label": rng.integers(0, 2, 800),
                          "prediction": rng.random(800)})
    drawn = slices.draw(slice_metrics(frame, name, target="label", prediction="prediction"))
    render_png(drawn.figure)
    renderer = drawn.figure.canvas.get_renderer()
    title = drawn.artists.header.axes.title.get_window_extent(renderer)
    header = drawn.artists.header.get_window_extent(renderer)
    assert not title.overlaps(header)
    assert drawn.figure.bbox.contains(title.x0, title.y0) and drawn.figure.bbox.contains(title.x1, title.y1)


def test_a_table_without_the_default_columns_gets_an_error_naming_slice_chart_s_parameters():
    from mlfail_widgets import ParameterError, slice_chart

    frame = pd.DataFrame({"g": ["a", "b"] * 20, "y": 1, "prediction": 1})
    with pytest.raises(ParameterError, match=r"'target' parameter of slice_chart .*its columns: 'g', 'y'"):
        slice_chart(frame, by=["g"], metrics=["accuracy"])
    chart = slice_chart(frame, by=["g"], metrics=["accuracy"], target="y")
    assert chart.result.overall == 1.0
    chart.close()


@pytest.mark.parametrize("by", ["genre", "age", ["genre", "age"]])
def test_the_own_figure_is_laid_out_where_constrained_layout_would_put_it(data, by):
    """update() places its own figure's axes from the texts' sizes (no layout pass per move);
    matplotlib's constrained layout, asked afterwards, finds the same place."""
    table = slice_metrics(data, by, min_size=400)  # bold flagged labels and "too small" notes
    drawn = slices.draw(table)
    fig, ax = drawn.figure, drawn.artists.points.axes
    render_png(fig)
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    ours = ax.get_position().frozen()
    with style.context():
        fig.set_layout_engine("constrained")
        fig.canvas.draw()
    pixels = np.abs(np.subtract(ours.extents, ax.get_position().extents)) * np.tile(fig.bbox.size, 2)
    assert pixels.max() < 1, pixels


def test_switching_columns_back_and_forth_keeps_the_text_measurements(chart):
    """The figure's height follows the number of slices; its canvas keeps a renderer per size."""
    renderers = set()
    for by in ("age", "genre", "age", "genre"):
        chart.set(by=by)
        renderers.add(id(chart.figure.canvas.get_renderer()))
    assert len(renderers) == 2
