"""The service cannot read the model file: a real PermissionError from a process of another user.

Services run as an unprivileged user (``nobody``, ``www-data``, a container's uid 1000); the
training job that wrote the model often ran as someone else, with a strict umask or through
:func:`tempfile.mkstemp`, which creates files with mode 0o600: readable by their owner only.

:func:`load_as_service_user` forks a child process that gives up its privileges (supplementary
groups, gid, then uid: in that order, since only root may change them) *before* it opens the
file, then reports back through a pipe. As root, mode bits do not stop reads, so a root child
would read anything; after dropping to ``nobody`` it meets the file's permissions like any
service. (A new Python started as that user might not even be able to enter the folder the
interpreter lives in, which is why the child forks instead of running a new interpreter.)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..._renamed import renamed_classes
from ..._validation import check_float, parameter_error
from ._process import forked, read_pipe
from .errors import DeploymentError

__all__ = ["ServiceUserReadResult", "load_as_service_user", "make_private", "make_readable", "service_user"]

NOBODY = 65534


def service_user(user: str = "nobody") -> tuple[str, int, int]:
    """``(name, uid, gid)`` of ``user`` (``nobody`` falls back to 65534 where it is not in passwd).

    Examples
    --------
    >>> service_user()[1:]
    (65534, 65534)
    """
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        if user == "nobody":
            return user, NOBODY, NOBODY
        raise parameter_error("user", "a user name of this machine", user,
                              fix="Use 'nobody', or a user listed in /etc/passwd.") from None
    return user, entry.pw_uid, entry.pw_gid


@dataclass(frozen=True)
class ServiceUserReadResult:
    """How a service process running as another user fared opening a model file."""

    path: str
    user: str
    uid: int  # the uid the child really ran as (read back with os.getuid in the child)
    gid: int
    dropped_privileges: bool  # False when not started as root (then the child is you)
    could_reach: bool  # os.stat worked: every folder on the way is traversable
    ok: bool
    error: str  # the exception's text, "" when the read worked
    error_type: str
    errno: int | None
    sha256: str  # of the bytes read, "" when the read failed

    @property
    def blamed(self) -> str:
        """What stopped the read: ``"nothing"``, ``"the file"`` or ``"a folder on the way"``."""
        if self.ok:
            return "nothing"
        return "the file" if self.could_reach else "a folder on the way"


def _child(path: str, uid: int, gid: int, write_end: int) -> None:
    result: dict = {"dropped": False}
    try:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            result["dropped"] = True
        result.update(uid=os.getuid(), gid=os.getgid(), could_reach=True, ok=False, error="",
                      error_type="", errno=None, sha256="")
        try:
            os.stat(path)
        except OSError:
            result["could_reach"] = False
        try:
            with open(path, "rb") as handle:
                result["sha256"] = hashlib.sha256(handle.read()).hexdigest()
            result["ok"] = True
        except OSError as error:
            result.update(error=str(error), error_type=type(error).__name__, errno=error.errno)
    except BaseException as error:  # a failed setuid: report it rather than die silently
        result["child_error"] = f"{type(error).__name__}: {error}"
    os.write(write_end, json.dumps(result).encode())


def load_as_service_user(path: str | os.PathLike[str], *, user: str = "nobody", timeout: float = 10.0) -> ServiceUserReadResult:
    """Open ``path`` from a forked child running as ``user``; return what happened.

    Run as root, the child drops to ``user`` before opening the file. Run as anyone else,
    it cannot change user, and reads as you (make the file mode 000 to see the failure).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     model = pathlib.Path(folder) / "model.pkl"
    ...     _ = model.write_bytes(b"weights")
    ...     make_readable(folder)
    ...     _ = make_private(model)
    ...     denied = load_as_service_user(model)
    ...     make_readable(model)
    ...     allowed = load_as_service_user(model)
    >>> denied.ok, denied.error_type, denied.blamed, allowed.ok
    (False, 'PermissionError', 'the file', True)
    """
    target = Path(path).absolute()
    if not target.is_file():
        raise parameter_error("path", "an existing file", str(path),
                              fix="Pass the model file's path (registry.model_path(N)).")
    timeout = check_float(timeout, "timeout", low=0.1, high=120)
    name, uid, gid = service_user(user)
    with forked(lambda pipe: _child(str(target), uid, gid, pipe)) as pipe:
        answer = read_pipe(pipe, timeout=timeout)
    if not answer:
        raise DeploymentError(f"The service-user process did not answer within {timeout} s.")
    result = json.loads(answer)
    if "child_error" in result:
        raise DeploymentError(f"The service-user process could not become {name!r} (uid {uid}): "
                              f"{result['child_error']}.")
    return ServiceUserReadResult(str(target), name, result["uid"], result["gid"], result["dropped"],
                       result["could_reach"], result["ok"], result["error"], result["error_type"],
                       result["errno"], result["sha256"])


def make_private(path: str | os.PathLike[str]) -> int:
    """Make ``path`` unreadable to the service user; return the new mode.

    As root: mode 0o600, what a training job with ``umask 077`` or :func:`tempfile.mkstemp`
    leaves (the owner, root, may read; ``nobody`` may not). As another user, who would still
    read a 0o600 file of their own: mode 0o000, unreadable to everyone but root.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as handle:
    ...     oct(make_private(handle.name)) in ("0o600", "0o0")
    True
    """
    mode = 0o600 if os.geteuid() == 0 else 0o000
    os.chmod(path, mode)
    return mode


def make_readable(path: str | os.PathLike[str]) -> None:
    """The fix: mode 0o644 for a file (0o755 for a folder): anyone may read, only the owner write.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile() as handle:
    ...     make_readable(handle.name)
    ...     oct(os.stat(handle.name).st_mode & 0o777)
    '0o644'
    """
    os.chmod(path, 0o755 if Path(path).is_dir() else 0o644)

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"ReadAttempt": ServiceUserReadResult})
