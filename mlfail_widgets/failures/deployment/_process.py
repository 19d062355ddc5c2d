"""A forked child that reports through a pipe, always killed and reaped on the way out."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
import warnings
from collections.abc import Callable, Iterator

from .errors import DeploymentError

__all__ = ["forked", "read_pipe"]


@contextlib.contextmanager
def forked(child: Callable[[int], None]) -> Iterator[int]:
    """Fork; the child runs ``child(write_fd)`` and exits; the parent gets the pipe's read end.

    The child never returns into the parent's code (``os._exit``), and on leaving the block
    the parent SIGKILLs it (if still running) and reaps it, so no process is left behind.

    Examples
    --------
    >>> with forked(lambda fd: os.write(fd, b"hello")) as pipe:
    ...     read_pipe(pipe, timeout=5)
    b'hello'
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        raise DeploymentError("This demonstration needs os.fork (Linux or macOS).")
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in a threaded process (a
        warnings.simplefilter("ignore", DeprecationWarning)  # kernel); the child only does file I/O
        pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            child(write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        yield read_end
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)


def read_pipe(fd: int, *, timeout: float, limit: int | None = None) -> bytes:
    """Read from ``fd`` until end of file, ``limit`` bytes, or ``timeout`` seconds."""
    chunks: list[bytes] = []
    size, deadline = 0, time.monotonic() + timeout
    while (limit is None or size < limit) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536 if limit is None else limit - size) if ready else b""
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
