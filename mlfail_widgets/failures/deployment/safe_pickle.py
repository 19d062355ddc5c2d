"""Loading a pickle runs code: a harmless malicious pickle, and an unpickler that refuses it.

A pickle is a small program for a stack machine. Its ``GLOBAL`` instructions import any
callable by name and its ``REDUCE`` instruction calls it, so ``pickle.loads`` on bytes you did
not produce can do whatever the producer wanted. The Python documentation's advice is to
restrict which globals may be loaded by overriding :meth:`pickle.Unpickler.find_class`; that is
what :class:`RestrictedUnpickler` does. It is a seat belt, not a sandbox: for files from
outside your organisation, prefer a format that holds only data (ONNX, safetensors, skops).
"""

from __future__ import annotations

import io
import os
import pathlib
import pickle
from collections.abc import Iterable
from typing import IO, Any, cast

from .errors import UnsafePickleError

__all__ = ["DEFAULT_ALLOWED", "RestrictedUnpickler", "malicious_pickle", "restricted_loads"]

#: The globals a pickled :class:`mlfail_widgets.models.LogisticRegression` needs: the class
#: and numpy's array and dtype reconstructors (numpy 1 and 2 names, pickle protocols 2 to 5).
DEFAULT_ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("mlfail_widgets.models", "LogisticRegression"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only imports the ``(module, name)`` pairs it was given.

    Parameters
    ----------
    file : binary file
        The pickle to read.
    allowed : iterable of (str, str), default=DEFAULT_ALLOWED
        The globals (module, qualified name) the pickle may use.

    Examples
    --------
    >>> import io, pickle, collections
    >>> data = pickle.dumps(collections.OrderedDict(a=1))
    >>> RestrictedUnpickler(io.BytesIO(data), allowed=[("collections", "OrderedDict")]).load()
    OrderedDict([('a', 1)])
    >>> RestrictedUnpickler(io.BytesIO(data)).load()
    Traceback (most recent call last):
    ...
    mlfail_widgets.failures.deployment.errors.UnsafePickleError: Refused to load 'collections.OrderedDict' from a pickle: it is not on the allowed list ...
    """

    def __init__(self, file: IO[bytes], *, allowed: Iterable[tuple[str, str]] = DEFAULT_ALLOWED) -> None:
        super().__init__(file)
        self.allowed = frozenset(tuple(pair) for pair in allowed)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"Refused to load {module + '.' + name!r} from a pickle: it is not on the allowed list "
            f"({len(self.allowed)} model classes and numpy helpers). Nothing in the file was run. "
            "If you produced this file yourself and need that class, add "
            f"({module!r}, {name!r}) to 'allowed'; never do so for a file you did not produce."
        )


def restricted_loads(data: bytes, allowed: Iterable[tuple[str, str]] | None = None) -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler` (``allowed`` adds to the defaults).

    Examples
    --------
    >>> import pickle
    >>> restricted_loads(pickle.dumps({"weights": [0.5, -1.0]}))
    {'weights': [0.5, -1.0]}
    """
    allow = DEFAULT_ALLOWED | frozenset(cast("tuple[str, str]", tuple(pair)) for pair in (allowed or ()))
    return RestrictedUnpickler(io.BytesIO(data), allowed=allow).load()


class _WritesMarker:
    """The payload: unpickling it calls ``Path.write_text(marker, ...)`` and nothing else."""

    def __init__(self, marker: str | os.PathLike[str]):
        self.marker = pathlib.Path(marker)

    def __reduce__(self) -> tuple[Any, tuple[pathlib.Path, str]]:
        return (pathlib.Path.write_text, (self.marker, "this file was written by a pickle\n"))


def malicious_pickle(marker: str | os.PathLike[str]) -> bytes:
    """A harmless malicious pickle: loading it writes the file ``marker`` and nothing more.

    A real attacker would call ``os.system`` the same way; this one only proves that code ran.

    Examples
    --------
    >>> import pickle, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     marker = pathlib.Path(folder) / "pwned.txt"
    ...     _ = pickle.loads(malicious_pickle(marker))  # plain pickle runs it
    ...     marker.exists()
    True
    """
    return pickle.dumps(_WritesMarker(marker), protocol=pickle.HIGHEST_PROTOCOL)
