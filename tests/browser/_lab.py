"""A throwaway JupyterLab server for the browser tests, and the REST calls they need.

The server runs from this interpreter (``python -m jupyterlab``), binds 127.0.0.1 on a port the
OS picks, uses a random token and keeps every piece of its state (config, runtime, IPython,
matplotlib, workspaces, settings overrides) under one temporary directory. It serves a COPY of
the course (``notebooks/`` and ``data/`` side by side), so the repository's notebooks are never
rewritten by a test.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["LabError", "LabServer"]

# Turn off what would reach the network or write files behind the tests' back, and attach every
# cell to the DOM (the default "contentVisibility" windowing can hide off-screen outputs).
SETTINGS_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


class LabError(RuntimeError):
    """The server did not start, or answered a REST call with an error."""


class LabServer:
    """Start JupyterLab on a copy of the course; a context manager that always stops it.

    Parameters
    ----------
    course : Path
        The checkout: ``notebooks/`` and ``data/`` are copied from here.
    extra : dict, optional
        Name in the served folder -> a file to copy there too (fixture notebooks).
    disabled_extensions : list of str, optional
        Lab extensions to disable in the page config, as ``jupyter labextension disable`` does
        (the trap test disables the ipywidgets frontend this way).
    startup_timeout : float
        Seconds to wait for ``/api/status``.
    """

    def __init__(self, course: Path, extra: dict[str, Path] | None = None, *,
                 disabled_extensions: list[str] | None = None, startup_timeout: float = 60.0):
        self.course = Path(course)
        self.extra = dict(extra or {})
        self.disabled_extensions = list(disabled_extensions or [])
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(24)
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._log = None

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> LabServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="mlfail-browser-")
        try:
            self._start(Path(self._tmp.name))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def root(self) -> Path:
        """The folder the server serves (the copy of the course)."""
        return Path(self._tmp.name) / "course"

    def _start(self, tmp: Path) -> None:
        root = tmp / "course"
        shutil.copytree(self.course / "notebooks", root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "screenshots", "__pycache__"))
        shutil.copytree(self.course / "data", root / "data")
        for name, source in self.extra.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

        dirs = {name: tmp / name for name in ("config", "runtime", "data", "ipython", "mpl", "workspaces",
                                               "settings")}
        for folder in dirs.values():
            folder.mkdir()
        # No language-server scan: not needed here, and it costs start-up time.
        (dirs["config"] / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_lsp": False}}}))
        (dirs["settings"] / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=1))
        if self.disabled_extensions:
            (dirs["settings"] / "page_config.json").write_text(
                json.dumps({"disabledExtensions": self.disabled_extensions}))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the test process sets Agg; a learner's kernel has the inline default
        env.update({
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "IPYTHONDIR": str(dirs["ipython"]),
            "MPLCONFIGDIR": str(dirs["mpl"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
        })
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", "--port=0", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            f"--LabApp.app_settings_dir={dirs['settings']}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
        ]
        self.log_path = tmp / "server.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        # With --port=0 the OS picks the port; the server writes it to its runtime file.
        info_file = dirs["runtime"] / f"jpserver-{self.process.pid}.json"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            if info_file.is_file():
                try:
                    info = json.loads(info_file.read_text())
                except json.JSONDecodeError:  # being written
                    info = None
                if info and info.get("port"):
                    self.base_url = f"http://127.0.0.1:{info['port']}"
                    try:
                        self.api("GET", "/api/status", timeout=2)
                        return
                    except (LabError, OSError):
                        pass
            time.sleep(0.1)
        raise LabError(f"JupyterLab did not answer /api/status within {self.startup_timeout:.0f} s:\n"
                       f"{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s), wait for it, remove the temp dir."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except (OSError, AttributeError):
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------ REST
    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
        """Call the server's REST API with the token; the decoded JSON answer (None if empty)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise LabError(f"{method} {path} -> HTTP {error.code}: {error.read().decode(errors='replace')}") from None
        return json.loads(text) if text else None

    def start_session(self, path: str) -> dict:
        """Start a kernel for the notebook at ``path`` (relative to the served root)."""
        return self.api("POST", "/api/sessions", {"path": path, "name": Path(path).name, "type": "notebook",
                                                   "kernel": {"name": "python3"}})

    def session(self, session_id: str) -> dict:
        return self.api("GET", f"/api/sessions/{session_id}")

    def stop_session(self, session_id: str) -> None:
        """Delete the session, which shuts its kernel down."""
        with contextlib.suppress(LabError):  # already gone
            self.api("DELETE", f"/api/sessions/{session_id}")

    def wait_kernel_ready(self, session_id: str, timeout: float = 60.0, *, on_wait=None) -> dict:
        """Poll until the session's kernel is idle and a browser is connected to it.

        ``on_wait`` is called on every poll (the page uses it to accept a kernel dialog).
        """
        deadline = time.monotonic() + timeout
        kernel = {}
        while time.monotonic() < deadline:
            kernel = self.session(session_id)["kernel"]
            if kernel.get("execution_state") == "idle" and kernel.get("connections", 0) >= 1:
                return kernel
            if on_wait is not None:
                on_wait()
            time.sleep(0.2)
        raise LabError(f"the kernel was not idle and connected within {timeout:.0f} s: {kernel}")

    def url(self, path: str, **query: str) -> str:
        """A browser URL for a notebook, carrying the token."""
        params = urllib.parse.urlencode({"token": self.token, **query})
        return f"{self.base_url}/lab/tree/{urllib.parse.quote(path)}?{params}"
