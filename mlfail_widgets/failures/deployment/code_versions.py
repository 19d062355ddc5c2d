"""A pickle saved by one release of the serving code, loaded by the next.

A pickle does not store a model's code, only the name of its class and the object's
attributes. Load it with a changed class and Python happily builds an object of the *new*
class carrying the *old* attributes. Whether that fails depends on the change:

* ``"renamed attribute"``: release 2.0 renamed ``weights``/``bias`` to ``coef``/``intercept``.
  The pickle loads; the first prediction raises ``AttributeError``. Loud, but only at predict
  time, after the deploy looked fine.
* ``"renamed with a default"``: release 2.0 renamed ``cutoff`` to ``threshold`` and gave the
  class a default ``threshold = 0.5``. The old object has no ``threshold``, so it silently
  gets the default instead of its tuned 0.3: predictions change, nothing raises.
* ``"none"``: the same release loads it (the control).

Both releases are real modules written to a folder; each side runs in its own Python
subprocess with one release on ``sys.path``, as a training job and a server would.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..._random import resolve_rng
from ..._renamed import renamed_classes
from ..._validation import check_choice, check_float, check_int
from .checks import check_code_version
from .errors import CodeVersionError, DeploymentError
from .files import folder_or_sandbox

if TYPE_CHECKING:
    from ..._random import Seed

__all__ = ["CODE_CHANGES", "CrossVersionLoadResult", "code_change", "load_across_versions"]

_RELEASE_1 = '''"""Churn scorer: serving code release 1.0."""
import math

__version__ = "1.0"


class ChurnScorer:
    """probability = sigmoid(bias + weights . row); churn predicted above cutoff."""

    def __init__(self, weights, bias, cutoff=0.5):
        self.weights = list(weights)
        self.bias = float(bias)
        self.cutoff = float(cutoff)

    def probability(self, row):
        z = self.bias + sum(w * x for w, x in zip(self.weights, row))
        return 1.0 / (1.0 + math.exp(-z))

    def predict(self, rows):
        return [int(self.probability(row) >= self.cutoff) for row in rows]
'''

_RELEASES = {
    "none": _RELEASE_1,
    "renamed attribute": _RELEASE_1.replace("release 1.0", "release 2.0")
    .replace('"1.0"', '"2.0"').replace("self.weights", "self.coef").replace("self.bias", "self.intercept")
    .replace("weights, bias,", "coef, intercept,").replace("list(weights)", "list(coef)")
    .replace("float(bias)", "float(intercept)").replace("bias + weights", "intercept + coef"),
    "renamed with a default": _RELEASE_1.replace("release 1.0", "release 2.0")
    .replace('"1.0"', '"2.0"').replace("cutoff=0.5", "threshold=0.5")
    .replace("self.cutoff = float(cutoff)", "self.threshold = float(threshold)")
    .replace(">= self.cutoff", ">= self.threshold").replace("above cutoff.", "above threshold.")
    .replace('above threshold."""\n', 'above threshold."""\n\n    threshold = 0.5  # default for objects '
             'built without one\n'),
}

#: The code changes :func:`load_across_versions` can make between saving and loading.
CODE_CHANGES = tuple(_RELEASES)

_CHILD = r'''
import json, pickle, sys
mode, code_dir, pickle_path = sys.argv[1:4]
sys.path.insert(0, code_dir)
import scoring
spec = json.loads(sys.stdin.read())
out = {"code_version": "scoring.ChurnScorer==" + scoring.__version__, "loaded": False,
       "load_error": "", "predict_error": "", "predictions": None}
if mode == "save":
    model = scoring.ChurnScorer(spec["weights"], spec["bias"], spec["cutoff"])
    with open(pickle_path, "wb") as handle:
        pickle.dump(model, handle)
    out["loaded"] = True
else:
    try:
        with open(pickle_path, "rb") as handle:
            model = pickle.load(handle)
        out["loaded"] = True
    except Exception as error:
        out["load_error"] = f"{type(error).__name__}: {error}"
if out["loaded"]:
    try:
        out["predictions"] = model.predict(spec["rows"])
    except Exception as error:
        out["predict_error"] = f"{type(error).__name__}: {error}"
print(json.dumps(out))
'''


def code_change(change: str) -> str:
    """The unified diff between release 1.0 and the release that loads the pickle.

    Examples
    --------
    >>> print(code_change("renamed with a default").splitlines()[0])
    --- scoring.py (release 1.0, saves the model)
    """
    change = check_choice(change, "change", CODE_CHANGES)
    return "".join(difflib.unified_diff(
        _RELEASE_1.splitlines(keepends=True), _RELEASES[change].splitlines(keepends=True),
        "scoring.py (release 1.0, saves the model)", "scoring.py (the release that loads it)", n=1))


@dataclass(frozen=True)
class CrossVersionLoadResult:
    """What happened when release 1.0's pickle was loaded by another release."""

    change: str
    saved_with: str
    loaded_with: str
    loaded: bool
    load_error: str
    predict_error: str
    expected: tuple[int, ...]  # the predictions at save time
    predictions: tuple[int, ...] | None  # the predictions after loading (None if it failed)
    version_check: str  # the metadata version check's verdict
    version_check_passed: bool

    @property
    def changed(self) -> int:
        """How many predictions differ from the ones recorded at save time."""
        if self.predictions is None:
            return len(self.expected)
        return sum(a != b for a, b in zip(self.expected, self.predictions, strict=True))

    @property
    def outcome(self) -> str:
        """``"works"``, ``"fails at load"``, ``"fails at predict"`` or ``"silently wrong"``."""
        if not self.loaded:
            return "fails at load"
        if self.predict_error:
            return "fails at predict"
        return "silently wrong" if self.changed else "works"

    @property
    def smoke_test_passed(self) -> bool:
        """Load plus smoke-predict: it loads, predicts, and reproduces the recorded predictions."""
        return self.outcome == "works"


def _run(mode: str, code: Path, pickle_path: Path, spec: dict, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, mode, str(code), str(pickle_path)],
                              input=json.dumps(spec), capture_output=True, text=True, timeout=timeout,
                              cwd=code, check=False)
    except subprocess.TimeoutExpired as error:
        raise DeploymentError(f"The {mode} process did not finish within {timeout} s.") from error
    if done.returncode != 0:
        raise DeploymentError(f"The {mode} process failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


def load_across_versions(change: str = "renamed attribute", *, rows: int = 200, seed: Seed = None,
                         folder: str | os.PathLike[str] | None = None, timeout: float = 30.0) -> CrossVersionLoadResult:
    """Save a model with release 1.0 in one process and load it with another release in another.

    Parameters
    ----------
    change : {"none", "renamed attribute", "renamed with a default"}, default="renamed attribute"
        What the second release changed (see the module docstring).
    rows : int, default=200
        Requests scored before and after, in [1, 10000].
    seed : int, numpy.random.Generator or None
        Seeds the requests.
    folder : path-like, optional
        Where to write the two releases and the pickle (created if missing); a temporary
        folder, removed afterwards, by default.
    timeout : float, default=30.0
        Seconds each process may take.

    Examples
    --------
    >>> loud = load_across_versions("renamed attribute", seed=0)
    >>> loud.outcome, loud.predict_error
    ('fails at predict', "AttributeError: 'ChurnScorer' object has no attribute 'intercept'")
    >>> silent = load_across_versions("renamed with a default", seed=0)
    >>> silent.outcome, silent.changed > 0, silent.version_check_passed
    ('silently wrong', True, False)
    """
    change = check_choice(change, "change", CODE_CHANGES)
    rows = check_int(rows, "rows", low=1, high=10_000)
    timeout = check_float(timeout, "timeout", low=1, high=600)
    requests = resolve_rng(seed).normal(size=(rows, 3)).round(4).tolist()
    spec = {"weights": [1.2, -0.8, 0.5], "bias": -0.4, "cutoff": 0.3, "rows": requests}
    root, sandbox = folder_or_sandbox(folder)
    try:
        for name, source in (("release_1", _RELEASE_1), ("loading_release", _RELEASES[change])):
            (root / name).mkdir(parents=True, exist_ok=True)
            (root / name / "scoring.py").write_text(source)
        pickle_path = root / "churn_model.pkl"
        saved = _run("save", root / "release_1", pickle_path, spec, timeout)
        loaded = _run("load", root / "loading_release", pickle_path, spec, timeout)
    finally:
        if sandbox:
            sandbox.close()
    try:
        verdict, passed = check_code_version(saved["code_version"], loaded["code_version"]), True
    except CodeVersionError as error:
        verdict, passed = str(error), False
    predictions = None if loaded["predictions"] is None else tuple(loaded["predictions"])
    return CrossVersionLoadResult(change, saved["code_version"], loaded["code_version"], loaded["loaded"],
                            loaded["load_error"], loaded["predict_error"], tuple(saved["predictions"]),
                            predictions, verdict, passed)

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"CrossVersionLoad": CrossVersionLoadResult})
