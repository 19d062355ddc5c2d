"""Small file tools: hashes, fingerprints, an atomic write, and a sandbox folder."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..._tempdirs import pid_prefix, remove_stale_dirs

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Sandbox", "atomic_write", "fingerprint", "folder_or_sandbox", "sha256_bytes"]


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of ``data``.

    Examples
    --------
    >>> sha256_bytes(b"model")[:12]
    '9372c470eead'
    """
    return hashlib.sha256(data).hexdigest()


def fingerprint(*arrays: ArrayLike) -> str:
    """A sha256 over the shapes, dtypes and bytes of arrays: the identity of a training set.

    Two data sets with the same fingerprint hold the same numbers in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> fingerprint(X, [0, 1, 1]) == fingerprint(X.copy(), [0, 1, 1])
    True
    >>> fingerprint(X, [0, 1, 1]) == fingerprint(X, [0, 1, 0])
    False
    """
    import numpy as np

    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds the entry (POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644,
                 on_stage: Callable[[str], None] | None = None) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new, never half.

    The bytes go to a temporary file in the same folder (a rename is only atomic within one
    file system), are flushed and fsynced to disk, and the temporary file is then renamed over
    ``path`` with :func:`os.replace`, which POSIX guarantees to be atomic. A crash before the
    rename leaves the old file intact (and a stray ``.<name>.*.tmp``); a crash after it, the
    new one.

    Parameters
    ----------
    path : path-like
        The file to replace (or create).
    data : bytes
        Its new content.
    mode : int, default=0o644
        The file's permission bits, set explicitly (a strict umask would otherwise make the
        file unreadable to the service's user).
    on_stage : callable, optional
        Fault injection: called with ``"written"`` after the fsync and before the rename, and
        with ``"renamed"`` after it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = pathlib.Path(folder) / "pointer.json"
    ...     atomic_write(target, b'{"version": 1}')
    ...     atomic_write(target, b'{"version": 2}')
    ...     target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'{"version": 2}', ['pointer.json'])
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if on_stage is not None:
            on_stage("written")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    if on_stage is not None:
        on_stage("renamed")


class Sandbox:
    """A temporary folder for a chapter's registry and files, removed on close.

    Also removed when the object is garbage collected or the interpreter exits (a
    :class:`tempfile.TemporaryDirectory` underneath), so an error half-way through a notebook
    leaves nothing behind. The folder is made traversable by every user (mode 0o755), so a
    service running as another user reaches the files inside and meets their own permissions.

    Examples
    --------
    >>> with Sandbox() as sandbox:
    ...     folder = sandbox.path
    ...     folder.is_dir(), oct(folder.stat().st_mode & 0o777)
    (True, '0o755')
    >>> folder.exists()
    False
    """

    def __init__(self, prefix: str = "mlfail-deployment-"):
        remove_stale_dirs(prefix)  # folders of killed kernels (<prefix><pid>-...)
        self._folder = tempfile.TemporaryDirectory(prefix=pid_prefix(prefix))
        self.path = Path(self._folder.name)
        os.chmod(self.path, 0o755)

    def close(self) -> None:
        """Remove the folder and everything in it (idempotent)."""
        self._folder.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox({str(self.path)!r})"


def folder_or_sandbox(folder: str | os.PathLike[str] | None) -> tuple[Path, Sandbox | None]:
    """``folder`` as a Path, or (when it is None) the path of a new :class:`Sandbox` and the
    sandbox, which the caller closes when done.

    Examples
    --------
    >>> root, sandbox = folder_or_sandbox(None)
    >>> root.is_dir(), sandbox is not None
    (True, True)
    >>> sandbox.close(); root.exists()
    False
    >>> root, sandbox = folder_or_sandbox("my-registry")
    >>> root.name, sandbox
    ('my-registry', None)
    """
    if folder is not None:
        return Path(folder), None
    sandbox = Sandbox()
    return sandbox.path, sandbox
