"""Temporary folders and files that name their owner's pid, and the cleanup of dead owners' ones.

A context manager removes its folder on exit, on an error and on KeyboardInterrupt, but not
when its process is killed with SIGKILL (a kernel killed by the notebook server, the
out-of-memory killer, ``kill -9``). So every temporary folder the course makes is called
``<prefix><pid>-<random>`` (``mlfail-dependency-4242-k3j9x1ab``), and every temporary file of
an atomic write ``.<name>.<pid>.<hex>.tmp``. The next lab, run or registry removes the ones
whose owner process no longer exists, and never one whose owner is alive (another learner's
kernel on a shared machine, or another user's: a process we may not signal counts as alive).

Used by the dependency lab, ``mlfail run`` (its kernel's socket folder) and the deployment
registry and sandbox.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["make_temp_dir", "owner_alive", "pid_prefix", "remove_stale_dirs", "remove_stale_files"]

_TMP_FILE = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.tmp$")


def _tmp_file_owner(name: str) -> int | None:
    """The pid in ``.<name>.<pid>.<hex>.tmp``, or None if ``name`` is not such a file."""
    match = _TMP_FILE.match(name)
    return int(match.group(1)) if match else None


def owner_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists (one we may not signal counts as alive).

    Examples
    --------
    >>> owner_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:  # pragma: no cover - platforms without signals: never remove
        return True
    return True


def pid_prefix(prefix: str) -> str:
    """``prefix`` followed by this process's pid and a dash: what :func:`make_temp_dir` uses.

    Examples
    --------
    >>> pid_prefix("mlfail-kernel-") == f"mlfail-kernel-{os.getpid()}-"
    True
    """
    return f"{prefix}{os.getpid()}-"


def _dead_owners_entries(folder: str | Path, owner: Callable[[str], int | None]) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` that ``owner`` reads a pid from and whose process is dead."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [entry for entry in entries
            if (pid := owner(entry.name)) is not None and not owner_alive(pid)]


def _owner(name: str, prefix: str) -> int | None:
    """The pid in ``<prefix><pid>-<random>``, or None if ``name`` is not such a folder."""
    if not name.startswith(prefix):
        return None
    match = re.fullmatch(r"(\d+)-[A-Za-z0-9_]+", name[len(prefix):])
    return int(match.group(1)) if match else None


def remove_stale_dirs(prefix: str, directory: str | Path | None = None) -> list[Path]:
    """Remove the folders ``<prefix><pid>-*`` in ``directory`` whose owner process is dead.

    Parameters
    ----------
    prefix : str
        The folders' common start, e.g. ``"mlfail-dependency-"``.
    directory : path-like, optional
        Where to look; the system temporary folder (:func:`tempfile.gettempdir`) by default.

    Returns
    -------
    list of Path
        The folders removed.

    Examples
    --------
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     dead = Path(folder, "mlfail-demo-999999999-abc")   # no process has this pid
    ...     live = Path(folder, f"mlfail-demo-{os.getpid()}-abc")
    ...     dead.mkdir(); live.mkdir()
    ...     removed = remove_stale_dirs("mlfail-demo-", folder)
    ...     [p.name for p in removed], live.exists()
    (['mlfail-demo-999999999-abc'], True)
    """
    folder = Path(tempfile.gettempdir() if directory is None else directory)
    removed: list[Path] = []
    for entry in _dead_owners_entries(folder, lambda name: _owner(name, prefix)):
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    return removed


def remove_stale_files(directory: str | Path) -> list[Path]:
    """Remove the files ``.<name>.<pid>.<hex>.tmp`` in ``directory`` whose owner process is dead.

    These are what an atomic write leaves when its process is killed between writing the
    temporary file and renaming it over the target.

    Examples
    --------
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     Path(folder, ".production.json.999999999.ab12.tmp").write_text("{")
    ...     Path(folder, f".production.json.{os.getpid()}.ab12.tmp").write_text("{")
    ...     [p.name for p in remove_stale_files(folder)]
    1
    1
    ['.production.json.999999999.ab12.tmp']
    """
    removed: list[Path] = []
    for entry in _dead_owners_entries(directory, _tmp_file_owner):
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError:  # pragma: no cover - a folder with that name, or no permission
            continue
        removed.append(Path(entry.path))
    return removed


def make_temp_dir(prefix: str, directory: str | Path | None = None) -> Path:
    """Create ``<prefix><pid>-<random>``, after removing that prefix's folders of dead owners.

    Examples
    --------
    >>> folder = make_temp_dir("mlfail-demo-")
    >>> folder.name.startswith(f"mlfail-demo-{os.getpid()}-")
    True
    >>> folder.rmdir()
    """
    remove_stale_dirs(prefix, directory)
    return Path(tempfile.mkdtemp(prefix=pid_prefix(prefix), dir=directory))
