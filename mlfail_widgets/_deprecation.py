"""Old public names that still work for one release, with a ``DeprecationWarning``.

A renamed argument goes through :func:`mlfail_widgets.statistics.renamed_argument`; a renamed
class or function of a module goes through :func:`renamed_names`, which builds the module's
``__getattr__`` (PEP 562), so ``from module import OldName`` keeps working and says what to use.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

__all__ = ["renamed_names"]


def renamed_names(module: str, renames: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that answers each old name in ``renames`` with its new one.

    Parameters
    ----------
    module : str
        The module's ``__name__``.
    renames : dict
        Old name -> new name, both attributes of ``module`` (the new one defined there).

    Examples
    --------
    >>> import types, warnings
    >>> demo = types.ModuleType("demo")
    >>> sys.modules["demo"] = demo
    >>> demo.NewName = 42
    >>> demo.__getattr__ = renamed_names("demo", {"OldName": "NewName"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     from demo import OldName
    >>> OldName, str(caught[0].message)
    (42, 'demo.OldName is renamed demo.NewName; OldName will stop working in the next release.')
    >>> del sys.modules["demo"]
    """

    def __getattr__(name: str) -> object:
        if name not in renames:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new = renames[name]
        warnings.warn(f"{module}.{name} is renamed {module}.{new}; {name} will stop working in the next "
                      "release.", DeprecationWarning, stacklevel=2)
        return getattr(sys.modules[module], new)

    return __getattr__
