"""mlfail: see machine-learning systems fail, detect it, fix it, in a notebook.

The distribution (``pip install``, the ``mlfail`` command) is called ``mlfail``; the import
name is ``mlfail_widgets``, the package folder's name, which the notebooks, ``%load_ext
mlfail_widgets`` and the widget state saved in executed notebooks refer to.

The public surface is small and loads lazily: ``import mlfail_widgets`` imports no numpy,
pandas, matplotlib or ipywidgets; each name below loads its module on first use. The failure
chapters live in :mod:`mlfail_widgets.failures` (one module per failure).

In a notebook, ``%load_ext mlfail_widgets`` adds the course's magics (``%mlfail_env``,
``%mlfail_monitor``).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it (relative to this package)
_EXPORTS = {
    "Panel": ".widgets.panel",
    "Slider": ".widgets.controls",
    "Choice": ".widgets.controls",
    "Checkbox": ".widgets.controls",
    "SeedBox": ".widgets.controls",
    "SliceChart": ".widgets.slices",
    "slice_chart": ".widgets.slices",
    "ResourceMonitor": ".widgets.monitor",
    "slice_metrics": ".slicing",
    "LogisticRegression": ".models",
    "IncidentDrill": ".failures.drill",
    "ParameterError": "._validation",
    "environment_report": ".doctor",
    "check": ".exercises",
    "hint": ".exercises",
    "solution": ".exercises",
    "exercises": ".exercises",
}

__all__ = ["__version__", "load_ipython_extension", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlfail_widgets' has no attribute {name!r}")
    value = importlib.import_module(module, __name__)
    value = value if name == "exercises" else getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlfail_widgets``: register the course's magics in IPython."""
    from .extension import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mlfail_widgets``: stop anything the magics started."""
    from .extension import unload_ipython_extension as unload

    unload(ipython)
