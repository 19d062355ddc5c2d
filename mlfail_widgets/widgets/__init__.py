"""Thin interactive layers: controls -> one core call -> a figure updated in place."""

from .controls import Checkbox, Choice, SeedBox, Slider
from .panel import Panel, in_kernel

__all__ = ["Checkbox", "Choice", "Panel", "SeedBox", "Slider", "in_kernel"]
