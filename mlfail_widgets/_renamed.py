"""Old names of renamed classes, importable for one release with a ``DeprecationWarning``.

A module that renames a public class keeps the old name working through a module-level
``__getattr__`` made here (``DEVELOPERS.md``, "Result classes"):

>>> import types, warnings
>>> module = types.ModuleType("example")
>>> class OutageScenario:
...     pass
>>> module.__getattr__ = renamed_classes("example", {"Scenario": OutageScenario})
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     module.Scenario is OutageScenario
True
>>> str(caught[0].message)
'example.Scenario is renamed OutageScenario; the old name will stop working in the next release.'
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["renamed_classes"]


def renamed_classes(module: str, renamed: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that answers each old name in ``renamed`` with its new class.

    Parameters
    ----------
    module : str
        The module's ``__name__`` (for the message and the ``AttributeError``).
    renamed : dict
        Old name -> the class now under its new name.

    Returns
    -------
    callable
        ``__getattr__(name)``: the new class, after a ``DeprecationWarning`` naming both names.
    """
    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new = renamed[name]
        warnings.warn(f"{module}.{name} is renamed {new.__name__}; the old name will stop working in the "
                      "next release.", DeprecationWarning, stacklevel=2)
        return new

    return __getattr__
