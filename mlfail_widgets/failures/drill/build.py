"""Deprecated module path: the drill's helpers moved to the private ``._build``.

Kept for one release (DEVELOPERS.md, "Modules"); use :mod:`mlfail_widgets.failures.drill`.
"""

import warnings

from ._build import *  # noqa: F403
from ._build import __all__  # noqa: F401

warnings.warn("mlfail_widgets.failures.drill.build is private now (mlfail_widgets.failures.drill._build); the old "
              "path will stop working in the next release.", DeprecationWarning, stacklevel=2)
