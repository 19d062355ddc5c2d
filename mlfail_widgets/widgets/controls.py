"""Declarative control specs: what a parameter's control is, before any widget exists.

A chapter says ``Slider(0, 1, step=0.05, value=0.1)`` for a parameter; :class:`Panel` turns it
into an ipywidgets control, validates values set from code against the same bounds, and resets
to ``value``. Keeping the spec separate from the widget lets tests and the static fallback run
without a widget frontend.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import (
    ParameterError,
    argument_helper,
    check_choice,
    check_float,
    check_int,
    owner_name,
    parameter_error,
)

__all__ = ["Checkbox", "Choice", "Control", "SeedBox", "Slider", "as_control"]


@dataclass
class Control:
    """Base of the control specs. ``value`` is the default; ``label`` what the learner reads."""

    value: Any = None
    label: str | None = None
    continuous: bool = False

    def build(self, name: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @argument_helper
    def check(self, name: str, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def description(self, name: str) -> str:
        return self.label or name.replace("_", " ")


@dataclass(init=False)
class Slider(Control):
    """A numeric range; an int slider when ``low``, ``high`` and ``step`` are all whole numbers.

    Parameters
    ----------
    low, high : float
        The range (both ends allowed).
    step : float, optional
        The step; 1 for ints, (high - low) / 100 for floats by default.
    value : float, optional
        The default value; ``low`` when omitted.
    label : str, optional
        The text shown beside the slider.
    continuous : bool, default=True
        Update while dragging (True) or only on release (False). Choose False when one update
        takes more than about 100 ms.
    play : bool, default=False
        Add a play button that steps this parameter (rounds, windows, time).
    fmt : str, optional
        Readout format, e.g. ``".2f"``.

    Examples
    --------
    >>> Slider(0, 10).is_int
    True
    >>> Slider(0, 1, step=0.05, value=0.1).check("epsilon", 0.3)
    0.3
    """

    low: float = 0
    high: float = 1
    step: float | None = None
    play: bool = False
    fmt: str | None = None

    def __init__(self, low: float, high: float, step: float | None = None, value: float | None = None,
                 label: str | None = None, continuous: bool = True, play: bool = False,
                 fmt: str | None = None) -> None:
        # checked, but kept as given: ints stay ints (an int slider)
        check_float(low, "low", fix="Give the slider's range as two finite numbers.")
        check_float(high, "high", low=float(low), low_open=True,
                    fix="The range must be low < high, e.g. Slider(0, 1).")
        if step is not None:
            check_float(step, "step", low=0, high=float(high - low), low_open=True,
                        fix="The step is a positive number no larger than high - low.")
        self.low, self.high, self.step = low, high, step
        self.value = low if value is None else value
        self.label, self.continuous, self.play, self.fmt = label, continuous, play, fmt
        self.check("value", self.value)

    @property
    def is_int(self) -> bool:
        whole = [v for v in (self.low, self.high, self.step) if v is not None]
        return all(float(v).is_integer() for v in whole) and isinstance(self.value, numbers.Integral)

    @argument_helper
    def check(self, name: str, value: Any) -> Any:
        if self.is_int:
            return check_int(value, name, low=int(self.low), high=int(self.high),
                             fix="Move the slider or pass a value inside its range.")
        return check_float(value, name, low=self.low, high=self.high,
                           fix="Move the slider or pass a value inside its range.")

    def build(self, name: str) -> Any:
        import ipywidgets as w

        common = {
            "value": self.value,
            "min": self.low,
            "max": self.high,
            "description": self.description(name),
            "continuous_update": self.continuous,
            "style": {"description_width": "initial"},
            "layout": w.Layout(width="auto", min_width="260px"),
        }
        if self.is_int:
            widget = w.IntSlider(step=int(self.step or 1), **common)
        else:
            step = self.step if self.step is not None else (self.high - self.low) / 100
            widget = w.FloatSlider(step=step, readout_format=self.fmt or ".3g", **common)
        return widget


@dataclass(init=False)
class Choice(Control):
    """A choice among options (a dropdown); ``options`` may be a list or a {label: value} dict.

    Examples
    --------
    >>> Choice(["random", "popularity"]).value
    'random'
    """

    options: Sequence[Any] | dict = ()

    def __init__(self, options: Any, value: Any = None, label: str | None = None) -> None:
        if isinstance(options, (str, bytes)) or not isinstance(options, (Sequence, dict)) or not len(options):
            raise parameter_error("options", "a non-empty list of options or a "
                                  "{label: value} dict", options, fix="For example Choice(['random', 'popularity']).")
        self.options = options
        values = list(options.values()) if isinstance(options, dict) else list(options)
        self.value = values[0] if value is None else value
        self.label, self.continuous = label, False
        self.check("value", self.value)

    def _values(self) -> list:
        return list(self.options.values()) if isinstance(self.options, dict) else list(self.options)

    @argument_helper
    def check(self, name: str, value: Any) -> Any:
        return check_choice(value, name, self._values())

    def build(self, name: str) -> Any:
        import ipywidgets as w

        options = list(self.options.items()) if isinstance(self.options, dict) else list(self.options)
        return w.Dropdown(options=options, value=self.value, description=self.description(name),
                          style={"description_width": "initial"})


@dataclass(init=False)
class Checkbox(Control):
    """A flag.

    Examples
    --------
    >>> Checkbox(True, label="use positional feature").value
    True
    """

    def __init__(self, value: bool = False, label: str | None = None) -> None:
        self.value, self.label, self.continuous = self.check("value", value), label, False

    @argument_helper
    def check(self, name: str, value: Any) -> Any:
        # numpy's bool is numpy.bool_ (numpy 1) or numpy.bool (numpy 2)
        if isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool")):
            return bool(value)
        raise ParameterError(f"The {name!r} parameter of {owner_name()} must be True or False. Got {value!r} instead.")

    def build(self, name: str) -> Any:
        import ipywidgets as w

        return w.Checkbox(value=self.value, description=self.description(name), indent=False)


@dataclass(init=False)
class SeedBox(Control):
    """The random seed: a whole number box, so a learner can re-draw and come back.

    Examples
    --------
    >>> SeedBox(2026).value
    2026
    """

    def __init__(self, value: int = 0, label: str = "seed") -> None:
        value = self.check("value", value)
        self.value, self.label, self.continuous = value, label, False

    @argument_helper
    def check(self, name: str, value: Any) -> Any:
        return check_int(value, name, low=0, high=2**32 - 1,
                         fix="A seed is a whole number such as 0 or 2026.")

    def build(self, name: str) -> Any:
        import ipywidgets as w

        return w.BoundedIntText(value=self.value, min=0, max=2**32 - 1, step=1,
                                description=self.description(name),
                                layout=w.Layout(width="170px"),
                                style={"description_width": "initial"})


def as_control(spec: Any) -> Control:
    """Accept a Control, a (low, high) or (low, high, step) tuple, a list of options or a bool.

    Examples
    --------
    >>> as_control((0, 10)).is_int
    True
    >>> as_control(["a", "b"]).value
    'a'
    """
    if isinstance(spec, Control):
        return spec
    if isinstance(spec, bool):
        return Checkbox(spec)
    if isinstance(spec, tuple) and 2 <= len(spec) <= 4 and all(isinstance(v, numbers.Real) for v in spec):
        return Slider(*spec)
    if isinstance(spec, (list, dict)):
        return Choice(spec)
    raise ParameterError(
        f"Cannot make a control from {spec!r}: use Slider(low, high), Choice([...]), "
        "Checkbox(value) or SeedBox(seed)."
    )
