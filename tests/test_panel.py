"""The slider panel: in-place updates, latest-value-wins, errors shown, static fallback."""

from __future__ import annotations

import base64
import threading
import time

import numpy as np
import pytest

from mlfail_widgets import ParameterError
from mlfail_widgets.plots import Drawn, new_figure
from mlfail_widgets.widgets import Checkbox, Choice, Panel, SeedBox, Slider


def line_compute(slope=1.0, shape="line", noisy=False, seed=0, delay=0.0):
    time.sleep(delay)
    x = np.linspace(0, 1, 20)
    y = slope * x if shape == "line" else slope * x**2
    if noisy:
        y = y + np.random.default_rng(seed).normal(0, 0.1, x.size)
    return x, y


def line_draw(result):
    fig, ax = new_figure((4, 3))
    (line,) = ax.plot(*result)
    ax.set_ylim(-3, 3)
    return Drawn(fig, {"line": line, "draws": [0]})


def line_update(drawn, result):
    drawn.artists["line"].set_data(*result)
    drawn.artists["draws"][0] += 1


CONTROLS = {
    "slope": Slider(-2.0, 2.0, value=1.0),
    "shape": Choice(["line", "square"]),
    "noisy": Checkbox(False),
    "seed": SeedBox(0),
}


@pytest.fixture
def panel():
    panel = Panel(line_compute, line_draw, line_update, CONTROLS, background=False)
    yield panel
    panel.close()


def test_a_control_change_updates_result_and_figure_in_place(panel):
    figure, line = panel.figure, panel.drawn.artists["line"]
    png = panel.png
    panel.controls["slope"].value = -1.5
    assert panel.result[1][-1] == pytest.approx(-1.5)
    assert panel.figure is figure and panel.drawn.artists["line"] is line  # nothing re-created
    assert line.get_ydata()[-1] == pytest.approx(-1.5)
    assert panel.png != png and panel.controls and panel._widgets["image"].value == panel.png
    assert panel.drawn.artists["draws"][0] == 1


def test_every_kind_of_control_reaches_the_function(panel):
    result = panel.set(shape="square", noisy=True, seed=3)
    expected = line_compute(1.0, "square", True, 3)
    np.testing.assert_allclose(result[1], expected[1])
    assert panel.values == {"slope": 1.0, "shape": "square", "noisy": True, "seed": 3}


def test_set_validates_against_the_control_range(panel):
    with pytest.raises(ParameterError, match=r"'slope' parameter of Panel.set must be a number in \[-2, 2\]"):
        panel.set(slope=5)
    with pytest.raises(ParameterError, match="Did you mean 'line'"):
        panel.set(shape="lin")
    with pytest.raises(ParameterError, match="unknown control 'slop'"):
        panel.set(slop=1)


def test_reset_restores_defaults_with_one_update(panel):
    panel.set(slope=-2.0, shape="square")
    updates = panel.updates
    panel.reset()
    assert panel.values == {name: spec.value for name, spec in CONTROLS.items()}
    assert panel.updates == updates + 1


def test_an_exception_is_shown_and_the_panel_keeps_working():
    def fragile(slope):
        if slope < 0:
            raise ValueError("negative slopes are not allowed here")
        return line_compute(slope)

    panel = Panel(fragile, line_draw, line_update, {"slope": Slider(-2.0, 2.0, value=1.0)},
                  background=False)
    panel.controls["slope"].value = -1.0
    assert panel.error == "ValueError: negative slopes are not allowed here"
    assert "negative slopes" in panel._widgets["status"].value
    assert panel.values["slope"] == 1.0  # the figure still shows the last good values
    panel.controls["slope"].value = 0.5
    assert panel.error is None and panel._widgets["status"].value == ""
    assert panel.result[1][-1] == pytest.approx(0.5)
    panel.close()


def test_a_slow_update_is_superseded_by_the_latest_value():
    calls = []

    def slow(slope):
        calls.append(slope)
        time.sleep(0.15)
        return line_compute(slope)

    panel = Panel(slow, line_draw, line_update, {"slope": Slider(-2.0, 2.0, value=0.0)},
                  background=True)
    calls.clear()
    for value in (0.25, 0.5, 0.75, 1.0, 1.25):
        panel.controls["slope"].value = value
        time.sleep(0.01)
    assert panel.wait(timeout=5)
    assert panel.values["slope"] == 1.25 and panel.result[1][-1] == pytest.approx(1.25)
    assert len(calls) < 5  # intermediate values were skipped, not queued
    assert panel.updates <= 2
    panel.close()
    assert not any(t.name == "mlfail-panel" and t.is_alive() for t in threading.enumerate())


def test_play_control_steps_the_parameter():
    panel = Panel(lambda rounds: line_compute(rounds / 10), line_draw, line_update,
                  {"rounds": Slider(0, 20, value=5, play=True)}, background=False)
    play = panel._widgets["plays"][0] if panel.controls else None
    play.value = 12
    assert panel.values["rounds"] == 12
    panel.close()


def test_static_fallback_carries_the_default_figure(panel):
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG") and png == panel.png
    assert "slope=1.0" in data["text/plain"]


def test_continuous_update_is_chosen_per_control():
    panel = Panel(line_compute, line_draw, line_update,
                  {"slope": Slider(-2.0, 2.0, value=1.0, continuous=False), "seed": SeedBox(0)},
                  background=False)
    assert panel.controls["slope"].continuous_update is False
    panel.close()


def test_draw_must_return_drawn():
    with pytest.raises(ParameterError, match=r"must return a plots\.Drawn"):
        Panel(line_compute, lambda result: None, line_update, {"slope": Slider(-2.0, 2.0, value=1.0)})


def test_draw_and_update_run_in_the_course_style():
    def titled_update(drawn, result):
        line_update(drawn, result)
        drawn.figure.axes[0].set_title(f"slope {result[1][-1]:.1f}")  # rcParams read at call time

    panel = Panel(line_compute, line_draw, titled_update, {"slope": Slider(-2.0, 2.0, value=1.0)},
                  background=False)
    panel.controls["slope"].value = 0.5
    title = panel.figure.axes[0].title
    assert title.get_text() == "slope 0.5" and title.get_fontweight() == "bold"
    panel.close()


def test_an_update_can_ask_for_one_new_layout():
    def relabel(drawn, result):
        line_update(drawn, result)
        ax = drawn.figure.axes[0]
        ax.set_yticks([0], ["a much, much longer tick label" if result[1][-1] < 0 else "short"])
        drawn.figure.set_layout_engine("constrained")  # new margins needed: one layout pass

    panel = Panel(line_compute, line_draw, relabel, {"slope": Slider(-2.0, 2.0, value=1.0)},
                  background=False)
    left = panel.figure.axes[0].get_position().x0
    panel.controls["slope"].value = -1.0
    assert panel.figure.axes[0].get_position().x0 > left  # room made for the long label
    assert type(panel.figure.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"  # frozen again
    panel.close()


def test_a_rendered_png_decodes_to_exactly_the_canvas_pixels():
    """The PNG every frame is sent as (plots._base.encode_png) is lossless and readable by Pillow."""
    import io

    from PIL import Image

    from mlfail_widgets.plots import render_png
    from mlfail_widgets.plots._base import encode_png

    fig, ax = new_figure((3, 2))
    ax.plot([0, 1, 2], [2, 0, 1], label="a line")
    ax.set_title("pixels")
    png = render_png(fig)
    decoded = np.asarray(Image.open(io.BytesIO(png)))
    assert decoded.shape == (200, 300, 3)
    assert (decoded == np.asarray(fig.canvas.buffer_rgba())[:, :, :3]).all()
    noise = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)  # odd sizes, no flat areas
    assert (np.asarray(Image.open(io.BytesIO(encode_png(noise)))) == noise).all()
    with pytest.raises(ValueError, match=r"uint8 array of shape \(height, width, 3\)"):
        encode_png(noise.astype(float))


# ------------------------------------------------------------------ control specs (issue 17, item 8)
@pytest.mark.parametrize(("make", "name", "owner"), [
    (lambda: SeedBox(value="x"), "value", "SeedBox"),  # was a raw ValueError from int("x")
    (lambda: SeedBox(value=-1), "value", "SeedBox"),  # was accepted
    (lambda: SeedBox(value=2.5), "value", "SeedBox"),  # was silently truncated to 2
    (lambda: Slider(0, 1, step=-0.1), "step", "Slider"),  # was accepted
    (lambda: Slider(0, 1, step=0), "step", "Slider"),
    (lambda: Slider(0, 1, step=2), "step", "Slider"),
    (lambda: Slider(0, float("inf")), "high", "Slider"),
    (lambda: Slider(float("nan"), 1), "low", "Slider"),
    (lambda: Slider(1, 0), "high", "Slider"),
    (lambda: Slider("0", 1), "low", "Slider"),
    (lambda: Slider(0, 1, value=2), "value", "Slider"),
    (lambda: Choice(5), "options", "Choice"),  # was a raw TypeError from len(5)
    (lambda: Choice("ab"), "options", "Choice"),  # a string is not a list of options
    (lambda: Choice([]), "options", "Choice"),
    (lambda: Checkbox("no"), "value", "Checkbox"),  # was silently True
])
def test_a_bad_control_spec_names_its_parameter(make, name, owner):
    with pytest.raises(ParameterError, match=rf"The '{name}' parameter of {owner} must be"):
        make()


def test_good_control_specs_keep_their_values():
    assert SeedBox(2026).value == 2026 and SeedBox(3.0).value == 3
    assert Slider(0, 10, 2).is_int and Slider(0, 10, 2).step == 2
    assert Slider(0.0, 1.0, step=0.05, value=0.1).value == 0.1
    assert Choice(("a", "b")).value == "a" and Choice({"A": 1}).value == 1
    assert Checkbox(np.bool_(True)).value is True
