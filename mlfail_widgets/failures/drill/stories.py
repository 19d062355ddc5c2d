"""Deprecated module path: the drill's helpers moved to the private ``._stories``.

Kept for one release (DEVELOPERS.md, "Modules"); use :mod:`mlfail_widgets.failures.drill`.
"""

import warnings

from ._stories import *  # noqa: F403
from ._stories import __all__  # noqa: F401

warnings.warn("mlfail_widgets.failures.drill.stories is private now (mlfail_widgets.failures.drill._stories); the old "
              "path will stop working in the next release.", DeprecationWarning, stacklevel=2)
