"""Run the installed pipeline in a fresh Python process whose path is the install target.

The kernel never imports ``scalekit`` or ``songpipe`` itself: two installs with two versions of
the same module can then be compared side by side, and nothing installed can leak into the
course's own environment. The child runs with ``-I -S`` (no user site, no site-packages, no
PYTHON* variables): its ``sys.path`` is the target folder and the standard library.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["SmokeResult", "run_pipeline"]

_SCRIPT = r'''
import json, sys, traceback, warnings
from importlib import metadata
target = sys.argv[1]
sys.path.insert(0, target)
payload = json.load(sys.stdin)
out = {"imported": False, "import_error": None, "clean_error": None, "clean_traceback": None,
       "predict_error": None, "probabilities": None, "module_file": None}

def describe(error):
    return type(error).__name__ + ": " + str(error)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import scalekit, songpipe
        out["imported"] = True
        out["module_file"] = scalekit.__file__
    except Exception as error:
        out["import_error"] = describe(error)
    if out["imported"]:
        try:
            songpipe.clean(payload["rows"])
        except Exception as error:
            out["clean_error"] = describe(error)
            out["clean_traceback"] = traceback.format_exc(limit=-2)
        try:
            out["probabilities"] = songpipe.predict_proba(payload["rows"])
        except Exception as error:
            out["predict_error"] = describe(error)
seen = []
for item in caught:
    text = item.category.__name__ + ": " + str(item.message)
    if text not in seen:
        seen.append(text)
out["warnings"] = seen
out["versions"] = {d.metadata["Name"]: d.version for d in metadata.distributions(path=[target])}
json.dump(out, sys.stdout)
'''


@dataclass
class SmokeResult:
    """What the pipeline did in its own process.

    Attributes
    ----------
    imported : bool
        ``import songpipe`` worked.
    import_error, clean_error, predict_error : str or None
        ``"AttributeError: ..."`` for each step that raised.
    clean_traceback : str or None
        The traceback of the cleaning step, as the nightly job's log would show it.
    probabilities : ndarray or None
        ``songpipe.predict_proba`` on the golden songs.
    warnings : tuple of str
        Every distinct warning raised while importing and running.
    versions : dict
        What ``importlib.metadata`` sees in the target, from inside the child.
    module_file : str or None
        Where ``scalekit`` was imported from (inside the target, never the course's venv).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     result = run_pipeline(empty, [[20.0, 0.5, 30.0]])
    >>> result.imported, result.probabilities is None, result.versions
    (False, True, {})
    """

    imported: bool
    import_error: str | None
    clean_error: str | None
    clean_traceback: str | None
    predict_error: str | None
    probabilities: Any
    warnings: tuple[str, ...]
    versions: dict[str, str]
    module_file: str | None
    seconds: float
    stderr: str = field(default="", repr=False)


def run_pipeline(target: str | Path | None, rows: ArrayLike, *, timeout: float = 30.0) -> SmokeResult:
    """Import ``songpipe`` from ``target`` in a new process, clean ``rows`` and score them.

    ``target`` None (nothing was installed) runs the same script against an empty folder, so
    the learner sees the ImportError a deploy without its packages would raise.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     result = run_pipeline(empty, [[20.0, 0.5, 30.0]])
    >>> result.imported, result.import_error
    (False, "ModuleNotFoundError: No module named 'scalekit'")
    """
    import numpy as np

    start = time.perf_counter()
    folder = str(target) if target is not None else str(Path(__file__).parent / "_nothing_installed")
    payload = json.dumps({"rows": np.asarray(rows, dtype=float).tolist()})
    try:
        process = subprocess.run([sys.executable, "-I", "-S", "-c", _SCRIPT, folder], input=payload,
                                 capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return SmokeResult(False, f"TimeoutError: the pipeline did not finish within {timeout:g} s",
                           None, None, None, None, (), {}, None, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        last = (process.stderr.strip().splitlines() or ["the child process failed"])[-1]
        return SmokeResult(False, last, None, None, None, None, (), {}, None, seconds, process.stderr)
    out = json.loads(process.stdout)
    probabilities = out["probabilities"]
    return SmokeResult(out["imported"], out["import_error"], out["clean_error"],
                       out["clean_traceback"], out["predict_error"],
                       None if probabilities is None else np.asarray(probabilities, dtype=float),
                       tuple(out["warnings"]), out["versions"], out["module_file"], seconds,
                       process.stderr)
