"""Real pip, run in a subprocess, into a throwaway ``--target``; a local index; requirements.

Nothing here touches the course's own environment: every install goes into a fresh target
folder inside the lab's temporary directory, with ``--isolated`` (no pip config files, no
``PIP_*`` variables) and ``--no-cache-dir``.
"""

from __future__ import annotations

import functools
import html
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..._validation import argument_helper, parameter_error
from .wheels import file_sha256

__all__ = [
    "ClosedPort",
    "InstallResult",
    "LocalIndex",
    "installed_versions",
    "parse_requirement",
    "run_pip",
]

_SWITCHES = ("--isolated", "--disable-pip-version-check", "--no-cache-dir", "--no-input",
             "--no-compile")
_VALUED_FLAGS = {"--retries": "1", "--timeout": "5"}
PIP_FLAGS = (*_SWITCHES[1:], *(item for pair in _VALUED_FLAGS.items() for item in pair))
EXAMPLES = "'scalekit>=1.0', 'scalekit==1.1.0', 'scalekit~=1.1' or 'scalekit<2'"


@argument_helper
def parse_requirement(requirement: str, package: str = "scalekit") -> str:
    """Check a requirement on ``package`` and return it normalised (``"scalekit>=1.0"``).

    A bare specifier (``">=1.0"``) is read as a requirement on ``package``; the bare name
    means "any version" (unpinned). An empty string is an error: write the name for "any
    version", so that an unpinned install is always a visible choice.

    Examples
    --------
    >>> parse_requirement("scalekit >= 1.0")
    'scalekit>=1.0'
    >>> parse_requirement("~=1.1")
    'scalekit~=1.1'
    >>> parse_requirement("scalekit=>1.0")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'requirement' parameter of parse_requirement must be a requirement on scalekit, such as 'scalekit>=1.0', 'scalekit==1.1.0', 'scalekit~=1.1' or 'scalekit<2'. Got 'scalekit=>1.0' instead. It does not parse: ...
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    expected = f"a requirement on {package}, such as {EXAMPLES}"
    text = requirement
    if not isinstance(text, str):
        raise parameter_error("requirement", expected, text, fix="Pass it as a string.")
    stripped = text.strip()
    if not stripped:
        raise parameter_error("requirement", expected, text, fix=f"It is empty: write {package!r} for any "
                              f"version (unpinned), or a pin such as '{package}==1.1.0'.")
    candidate = package + stripped if stripped[:1] in ("<", ">", "=", "!", "~") else stripped
    try:
        parsed = Requirement(candidate)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        raise parameter_error("requirement", expected, text, fix=f"It does not parse: {reason}. The "
                              "operators are ==, !=, <, <=, >, >=, ~= (compatible release) and ===.") from None
    if canonicalize_name(parsed.name) != canonicalize_name(package):
        raise parameter_error("requirement", expected, text, fix=f"This sandbox only publishes {package}; "
                              f"write the requirement on {package}.")
    if parsed.extras or parsed.url or parsed.marker:
        raise parameter_error("requirement", expected, text, fix="Leave out extras, URLs and markers.")
    return f"{package}{parsed.specifier}"


@dataclass
class InstallResult:
    """What one real ``pip install`` did.

    Attributes
    ----------
    requirements : list of str
        What was asked for (``["songpipe==1.0.0", "scalekit>=1.0"]`` or ``["-r", lock]``).
    command : list of str
        The full pip command line that ran.
    ok : bool
        pip's exit status was 0.
    installed : dict
        Package -> version found in the target afterwards (read with importlib.metadata).
    target : Path or None
        The folder pip installed into (None when pip failed).
    seconds : float
        Wall time of the pip process.
    stdout, stderr : str
        pip's own output, unedited.
    message : str
        One or two sentences for the learner: what happened and, on failure, what to do.

    Examples
    --------
    Every InstallResult comes from a real pip run (about a second), so the doctest does not
    run this; ``tests/test_dependency.py`` does.

    >>> from mlfail_widgets.failures.dependency import DependencyLab
    >>> with DependencyLab(seed=0) as lab:  # doctest: +SKIP
    ...     result = lab.install("scalekit~=1.1")
    >>> result.ok, result.version("scalekit")  # doctest: +SKIP
    (True, '1.1.0')
    >>> result.command_line  # doctest: +SKIP
    "pip install --target <lab>/targets/001 --index-url http://127.0.0.1:.../simple 'songpipe==1.0.0' 'scalekit~=1.1'"
    """

    requirements: list[str]
    command: list[str]
    ok: bool
    installed: dict[str, str]
    target: Path | None
    seconds: float
    stdout: str
    stderr: str
    message: str
    where: str = ""
    returncode: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pip_error(self) -> str:
        """pip's own ERROR (and WARNING) lines, as the learner would see them in a terminal."""
        lines = [line for line in self.stderr.splitlines()
                 if line.strip() and not line.startswith("[notice]")]
        return "\n".join(lines)

    def version(self, package: str = "scalekit") -> str | None:
        """The version of ``package`` that pip installed, or None."""
        return self.installed.get(package)

    @property
    def command_line(self) -> str:
        """The command as a learner would type it (quiet-making flags left out, paths shortened)."""
        shown, skip = [], False
        for part in self.command[3:]:  # after "python -m pip"
            if skip:
                skip = False
            elif part in _VALUED_FLAGS:
                skip = True
            elif part not in _SWITCHES:
                shown.append(_quote(_shorten(part)))
        return "pip " + " ".join(shown)

    def __repr__(self) -> str:
        status = "ok" if self.ok else "FAILED"
        return (f"InstallResult({status} in {self.seconds:.2f} s: {self.message})\n"
                f"  $ {self.command_line}")


def _quote(part: str) -> str:
    special = any(c in part for c in "<>=~!* ") and not part.startswith(("--", "<lab>"))
    return f"'{part}'" if special else part


def _shorten(part: str) -> str:
    return re.sub(r"\S*/mlfail-dependency-[^/\s]+", "<lab>", part)


def installed_versions(target: str | Path) -> dict[str, str]:
    """Package -> version of every distribution in ``target`` (read, never imported).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     installed_versions(folder)
    {}
    """
    from importlib import metadata

    from packaging.utils import canonicalize_name

    return {canonicalize_name(d.metadata["Name"]): d.version
            for d in metadata.distributions(path=[str(target)])}


def _environment() -> dict:
    dropped = ("PIP_", "PYTHON", "FORCE_COLOR", "CLICOLOR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1", "TERM": "dumb"})
    return env


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


_NO_MATCH = re.compile(r"Could not find a version that satisfies the requirement (\S+) "
                       r"\(from versions: ([^)]*)\)")


def _explain(stderr: str, where: str) -> str:
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in stderr:
        return ("pip refused a wheel whose sha256 differs from the lock file: same name and "
                "version, different bytes. Do not install it; find out who changed it.")
    if "Connection refused" in stderr or "NewConnectionError" in stderr:
        return (f"pip could not reach {where}: connection refused. Install from a vendored "
                "wheelhouse (--no-index --find-links) or retry when the index is back.")
    match = _NO_MATCH.search(stderr)
    if match:
        wanted, versions = match.groups()
        if versions.strip() == "none":
            return (f"pip found no release at all for {wanted} ({where}). The index is down or "
                    "the package is not there; check the index URL or use a vendored wheelhouse.")
        return (f"pip found no release matching {wanted}. The releases it could see ({where}): "
                f"{versions}. Pick one of these, e.g. 'scalekit==1.1.0', or a range such as "
                "'scalekit<2'.")
    if "ResolutionImpossible" in stderr or "conflicting dependencies" in stderr:
        return "pip found no set of versions that satisfies every requirement at once."
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return errors[-1] if errors else "pip failed; see its output in .stderr."


def run_pip(sources: Sequence[str], requirements: Sequence[str], target: str | Path, *,
            where: str = "", timeout: float = 60.0) -> InstallResult:
    """Run ``python -m pip install --target TARGET SOURCES REQUIREMENTS`` for real.

    Parameters
    ----------
    sources : sequence of str
        Where pip looks (``["--no-index", "--find-links", folder]`` or ``["--index-url", url]``).
    requirements : sequence of str
        What to install (``["songpipe==1.0.0", "scalekit>=1.0"]`` or ``["-r", lock_file]``).
    target : path
        A folder that does not exist yet; pip creates it and installs into it.
    where : str
        Where pip looks, in words, for the messages ("the vendored wheelhouse").
    timeout : float
        Seconds before pip is stopped.

    Examples
    --------
    Each call starts pip (about a second), so this example is not run by the doctests;
    ``tests/test_dependency.py`` runs it.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
    ...     result = run_pip(["--no-index", "--find-links", folder], ["scalekit"],
    ...                      pathlib.Path(folder) / "target", where="an empty wheelhouse")
    >>> result.ok, result.message  # doctest: +SKIP
    (False, 'pip found no release at all for scalekit (an empty wheelhouse). ...')
    """
    target = Path(target)
    command = [sys.executable, "-m", "pip", "--isolated", "install", *PIP_FLAGS,
               "--target", str(target), *sources, *requirements]
    start = time.perf_counter()
    try:
        process = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                 env=_environment(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        return InstallResult(list(requirements), command, False, {}, None,
                             time.perf_counter() - start, _text(error.stdout), _text(error.stderr),
                             f"pip did not finish within {timeout:g} s and was stopped.", where, -1)
    seconds = time.perf_counter() - start
    stdout, stderr = _ANSI.sub("", process.stdout), _ANSI.sub("", process.stderr)
    ok = process.returncode == 0
    installed = installed_versions(target) if ok and target.exists() else {}
    if ok:
        listed = ", ".join(f"{name} {version}" for name, version in sorted(installed.items()))
        message = f"pip installed {listed} from {where or 'its sources'}."
    else:
        message = _explain(stderr, where or "its sources")
    return InstallResult(list(requirements), command, ok, installed, target if ok else None,
                         seconds, stdout, stderr, message, where, process.returncode)


def _text(output: str | bytes | None) -> str:
    if output is None:
        return ""
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    return _ANSI.sub("", text)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no request log on the learner's screen
        pass


class LocalIndex:
    """A real package index (PEP 503 "simple" pages) served over HTTP on 127.0.0.1.

    ``publish(wheel)`` puts a wheel on the index; pip reads it with
    ``--index-url {url}``. The server runs in a daemon thread until :meth:`close`.

    Examples
    --------
    >>> import tempfile, urllib.request
    >>> with tempfile.TemporaryDirectory() as folder, LocalIndex(folder) as index:
    ...     page = urllib.request.urlopen(index.url + "/").read().decode()
    >>> index.url.startswith("http://127.0.0.1:"), "Simple index" in page
    (True, True)
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        (self.folder / "simple").mkdir(parents=True, exist_ok=True)
        (self.folder / "files").mkdir(exist_ok=True)
        self._write_pages()
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mlfail-index",
                                        daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    def publish(self, wheel: str | Path) -> None:
        """Copy ``wheel`` onto the index and rewrite the pages."""
        wheel = Path(wheel)
        (self.folder / "files" / wheel.name).write_bytes(wheel.read_bytes())
        self._write_pages()

    def _write_pages(self) -> None:
        from packaging.utils import canonicalize_name

        wheels = sorted((self.folder / "files").glob("*.whl"))
        projects: dict[str, list[Path]] = {}
        for wheel in wheels:  # PEP 503: one page per normalised project name
            projects.setdefault(canonicalize_name(wheel.name.split("-")[0]), []).append(wheel)
        for project, files in projects.items():
            links = "".join(f'<a href="../../files/{html.escape(w.name)}#sha256={file_sha256(w)}">'
                            f"{html.escape(w.name)}</a><br>\n" for w in files)
            page = self.folder / "simple" / project
            page.mkdir(exist_ok=True)
            (page / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
        listing = "".join(f'<a href="{p}/">{p}</a><br>\n' for p in sorted(projects))
        (self.folder / "simple" / "index.html").write_text(
            f"<!DOCTYPE html>\n<html><head><title>Simple index</title></head><body>\n{listing}"
            "</body></html>\n")

    def close(self) -> None:
        """Stop serving and free the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> LocalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ClosedPort:
    """A port on 127.0.0.1 that refuses connections: bound, never listening, held until exit.

    An index URL on it is an index that is down, for real: pip's connection is refused.

    Examples
    --------
    >>> import socket
    >>> with ClosedPort() as port:
    ...     try:
    ...         socket.create_connection(("127.0.0.1", port), timeout=1)
    ...     except ConnectionRefusedError:
    ...         print("refused")
    refused
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> int:
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.close()
