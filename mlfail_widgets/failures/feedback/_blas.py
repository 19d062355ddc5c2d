"""Keep numpy's matrix products on one thread while the simulator runs.

The simulator multiplies many small blocks ((1024 x 8) by (8 x songs)). On a busy 2-core machine
OpenBLAS's worker threads wait for each other and such a product can take 30 ms instead of 0.5
ms. OpenBLAS (0.3.27 and later) can set the thread count of the calling thread only
(``openblas_set_num_threads_local``), which changes nothing for other threads; where that symbol
is missing (another BLAS, another platform) this is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Iterator
from pathlib import Path

__all__ = ["single_threaded_blas"]


@functools.lru_cache(maxsize=1)
def _thread_local_setter():
    import numpy as np

    folder = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for library in sorted(folder.glob("*openblas*")):
        try:
            setter = ctypes.CDLL(str(library)).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        setter.restype = ctypes.c_int
        return setter
    return None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread in this thread; restore the previous count after.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float((np.ones((2, 3)) @ np.ones(3)).sum())
    6.0
    """
    setter = _thread_local_setter()
    if setter is None:
        yield
        return
    previous = setter(1)
    try:
        yield
    finally:
        setter(previous if previous > 0 else 0)
