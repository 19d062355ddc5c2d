"""Execute notebooks headless from a clean kernel and say exactly where one failed.

Used by ``mlfail run``, ``make book`` and ``tests/test_notebooks.py``. Besides cell errors it
finds the errors that nbclient alone lets pass: an exception inside a widget callback is saved
in the notebook's widget state (an Output widget's outputs, or a panel's error line), not in
the cell outputs.
"""

from __future__ import annotations

import atexit
import html
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._tempdirs import pid_prefix, remove_stale_dirs

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["NotebookRun", "export_html", "run_notebook", "stop_running_kernels", "widget_errors",
           "write_index"]

_RUNNING: dict = {}  # the nbclient clients executing now -> their temporary folder
_RUNNING_LOCK = threading.Lock()

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    path: Path
    seconds: float
    status: str  # "ok" | "failed" | "interrupted" | "not run"
    cell: int | None = None  # 1-based index among all cells of the failing cell
    error: str = ""  # "NameError: name 'x' is not defined"
    line: str = ""  # the source line that raised, when it can be found
    notebook: NotebookNode | None = field(default=None, repr=False)
    where: str = ""  # what failed when it is no cell: "the file", "the kernel", ...

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        """One sentence naming the notebook, the cell and the error line."""
        if self.ok:
            return f"{self.path.name}: ok in {self.seconds:.1f} s"
        if self.status in ("interrupted", "not run"):
            return f"{self.path.name}: {self.status}" + (f" ({self.error})" if self.error else "")
        where = self.where or (f"cell {self.cell}" if self.cell else "a widget callback")
        text = f"{self.path.name}: {where} failed: {self.error}"
        if self.line:
            text += f"\n    at: {self.line}"
        return text


def _error_line(traceback: list[str]) -> str:
    lines = _ANSI.sub("", "\n".join(traceback)).splitlines()
    arrows = [line for line in lines if line.lstrip().startswith("---->") or line.lstrip().startswith("->")]
    if arrows:
        return re.sub(r"^\s*-+>\s*\d*\s*", "", arrows[0]).strip()
    return ""


def _last_line(path: str) -> str:
    """The last non-empty line of a text file ("" if there is none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            lines = [line.strip() for line in handle.read().decode(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return _ANSI.sub("", lines[-1])[:200] if lines else ""


def widget_errors(notebook: NotebookNode) -> list[str]:
    """Errors a widget callback left in the saved widget state of an executed notebook."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    found = []
    for model_id, model in state.items():
        values = model.get("state", {})
        for output in values.get("outputs", []) or []:
            if output.get("output_type") == "error":
                found.append(f"{output.get('ename')}: {output.get('evalue')} (Output widget {model_id})")
            elif output.get("name") == "stderr" and "Traceback" in output.get("text", ""):
                found.append(f"traceback on stderr in Output widget {model_id}")
        value = values.get("value")
        if isinstance(value, str) and "mlfail-error" in value:
            text = html.unescape(re.sub(r"<[^>]+>", " ", value))
            found.append(" ".join(text.split()))
    return found


def run_notebook(path: str | Path, *, timeout: int = 180, kernel_name: str = "python3") -> NotebookRun:
    """Execute ``path`` from a clean kernel in its own folder; never raises for a cell error.

    The file on disk is not changed; the executed notebook is in ``run.notebook``.
    """
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    path = Path(path)
    start = time.perf_counter()
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # NotJSONError, ValidationError, UnicodeDecodeError, OSError...
        reason = (str(error).strip().splitlines() or [""])[0][:160]
        return NotebookRun(path, time.perf_counter() - start, "failed", None,
                           f"not a readable notebook ({type(error).__name__}: {reason}). Restore "
                           f"the file (git checkout -- {path.name}, or download it again)", "", None,
                           "the file")
    try:
        # The kernel talks over Unix sockets in a temporary folder, not TCP ports: nothing to
        # eavesdrop on (ipykernel warns about TCP), and nothing left behind after the run. The
        # folder (with the connection file) is named mlfail-kernel-<pid>-...: a later run
        # removes those of a killed `mlfail run`.
        remove_stale_dirs("mlfail-kernel-")
        with tempfile.TemporaryDirectory(prefix=pid_prefix("mlfail-kernel-")) as sockets:
            ipc = {"transport": "ipc", "ip": os.path.join(sockets, "kernel"),
                   "connection_file": os.path.join(sockets, "kernel.json")}
            client = nbclient.NotebookClient(
                notebook,
                config=Config({"KernelManager": ipc}),
                timeout=timeout,
                kernel_name=kernel_name,
                resources={"metadata": {"path": str(path.parent.resolve())}},
                store_widget_state=True,
            )
            with _RUNNING_LOCK:
                _RUNNING[client] = sockets
            # The kernel's own stderr (its log: tracebacks of its message loop when it is
            # stopped, "parent appears to have exited") goes to a file, not the learner's
            # terminal; its last line is quoted if the kernel dies.
            log = os.path.join(sockets, "kernel-stderr.log")
            try:
                with open(log, "wb") as kernel_stderr:
                    client.execute(stderr=kernel_stderr)
            except DeadKernelError as error:
                raise DeadKernelError(f"{error} ({_last_line(log)})" if _last_line(log) else str(error)) from None
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.pop(client, None)
                # nbclient registers its kernel cleanup with atexit and unregisters it only
                # when the cleanup succeeds; a kernel killed by `mlfail run` on Ctrl-C can make
                # it fail, and it would then fail again, with a traceback, at exit.
                atexit.unregister(client._cleanup_kernel)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        seconds = time.perf_counter() - start
        for index, cell in enumerate(notebook.cells, start=1):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return NotebookRun(path, seconds, "failed", index,
                                       f"{output.get('ename')}: {_ANSI.sub('', output.get('evalue', ''))}",
                                       _error_line(output.get("traceback", [])), notebook)
        message = str(error).strip().splitlines()
        return NotebookRun(path, seconds, "failed", None, message[-1] if message else type(error).__name__,
                           "", notebook, "the kernel" if isinstance(error, DeadKernelError) else "")
    except Exception as error:  # a notebook nbclient cannot execute at all: one failed row
        reason = (str(error).strip().splitlines() or [""])[0][:160]
        return NotebookRun(path, time.perf_counter() - start, "failed", None,
                           f"could not be executed ({type(error).__name__}: {reason})", "", notebook,
                           "the notebook")
    seconds = time.perf_counter() - start
    errors = widget_errors(notebook)
    if errors:
        return NotebookRun(path, seconds, "failed", None, errors[0], "", notebook)
    return NotebookRun(path, seconds, "ok", notebook=notebook)


def stop_running_kernels(*, remove_folders: bool = False) -> int:
    """Kill the kernels of the notebooks executing now (and their process groups); return how many.

    ``mlfail run`` calls this on Ctrl-C or SIGTERM: the run in progress then ends with a dead
    kernel, its temporary folder is removed as usual, and no kernel outlives the command. With
    ``remove_folders``, the kernels' temporary folders are removed too (for a command about to
    exit without waiting for the run to notice).
    """
    with _RUNNING_LOCK:
        clients = list(_RUNNING)
        folders = list(_RUNNING.values())
    stopped = 0
    for client in clients:
        process = getattr(getattr(getattr(client, "km", None), "provisioner", None), "process", None)
        if process is None or process.poll() is not None:
            continue
        try:
            if os.getpgid(process.pid) == process.pid:  # the kernel leads its own session
                os.killpg(process.pid, signal.SIGKILL)  # ... with whatever a demo started
            else:  # pragma: no cover - kernels launched without a session of their own
                process.kill()
            stopped += 1
        except (ProcessLookupError, PermissionError):
            continue
    if remove_folders:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    return stopped


def export_html(run: NotebookRun, directory: str | Path) -> Path:
    """Write the executed notebook as a static HTML page (figures as images, no widget JS).

    A notebook that could not be read or run at all gets a one-paragraph page saying why.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    notebook = run.notebook
    if notebook is None:
        target = directory / (run.path.stem + ".html")
        target.write_text(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                          f"{html.escape(run.path.stem)}</title></head><body><p>"
                          f"{html.escape(run.describe())}</p></body></html>\n", encoding="utf-8")
        return target
    from nbconvert import HTMLExporter

    # Static pages show each panel's fallback image; the live widget state would need a CDN.
    notebook.metadata.pop("widgets", None)
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(notebook)
    target = directory / (run.path.stem + ".html")
    target.write_text(body, encoding="utf-8")
    return target


def _title(notebook: NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def write_index(runs: list[NotebookRun], directory: str | Path) -> Path:
    """Write ``index.html`` linking every chapter in order, with its run time and status."""
    directory = Path(directory)
    rows = []
    for run in runs:
        title = html.escape(_title(run.notebook, run.path.stem)) if run.notebook else run.path.stem
        status = "ok" if run.ok else "failed"
        rows.append(
            f'<li><a href="{html.escape(run.path.stem)}.html">{title}</a> '
            f'<span class="meta">{run.seconds:.1f} s, {status}</span></li>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlfail: why ML systems fail</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46em;margin:3em auto;line-height:1.5;color:#222}}
li{{margin:.4em 0}} .meta{{color:#777;font-size:.9em}} a{{color:#0072B2}}</style></head>
<body><h1>mlfail: why machine-learning systems fail</h1>
<p>The course, executed. Each chapter shows a failure happen, how to detect it and how to fix it.
Run it yourself with <code>make lab</code> to move the sliders.</p>
<ol>
{chr(10).join(rows)}
</ol></body></html>
"""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
