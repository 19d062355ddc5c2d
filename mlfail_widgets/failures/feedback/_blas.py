"""Keep numpy's matrix products on one thread while the simulator runs.

The simulator multiplies many small blocks ((1024 x 8) by (8 x songs)). On a busy 2-core machine
OpenBLAS's worker threads wait for each other and such a product can take 30 ms instead of 0.5
ms. threadpoolctl finds the BLAS numpy actually loaded (OpenBLAS from a pip wheel, OpenBLAS or MKL
from conda, Accelerate...) by inspecting the process's loaded libraries, so this works however
numpy was installed; where no BLAS it knows is loaded, the block runs unchanged.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

__all__ = ["single_threaded_blas"]


@functools.lru_cache(maxsize=1)
def _controller():
    """One threadpoolctl controller per process (finding the libraries costs a few ms)."""
    import numpy  # noqa: F401  (the BLAS must be loaded before it is looked for)
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController().select(user_api="blas")
    return controller if controller.lib_controllers else None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread; restore the previous thread count after.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float((np.ones((2, 3)) @ np.ones(3)).sum())
    6.0
    """
    controller = _controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1):
        yield
