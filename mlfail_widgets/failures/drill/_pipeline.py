"""The team's pipeline and its third-party library: chapter 01's code, run against each release.

Chapter 01 builds ``scalekit`` and ``songpipe`` into wheels and installs them with real pip.
The drill needs only what they do, many times and fast, so it runs the very same source text
in memory: each ``scalekit`` release becomes a module object, and ``songpipe``'s code runs
against it (its ``import scalekit`` and its ``model.json`` are served from memory). The
cleaning step, the predictions, the warnings and the traceback are the code's own.
"""

from __future__ import annotations

import builtins
import io
import linecache
import traceback
import types
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["RELEASE_FILES", "ReleaseRun", "release_runs"]

_SITE = "/opt/venv/lib/python3.11/site-packages"
RELEASE_FILES = {"scalekit": f"{_SITE}/scalekit/__init__.py", "songpipe": f"{_SITE}/songpipe/__init__.py"}


@dataclass(frozen=True)
class ReleaseRun:
    """The pipeline run against one ``scalekit`` release.

    ``clean_error`` and ``clean_traceback`` are None when the cleaning step worked;
    ``golden`` is chapter 01's :class:`~mlfail_widgets.failures.dependency.GoldenTestResult`;
    ``warnings`` the distinct warnings raised (``"DeprecationWarning: ..."``).
    """

    version: str
    clean_error: str | None
    clean_traceback: str | None
    golden: Any
    warnings: tuple


def _module(name: str, source: str, extra_builtins: dict | None = None) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = RELEASE_FILES[name]
    if extra_builtins:
        module.__dict__["__builtins__"] = {**vars(builtins), **extra_builtins}
    linecache.cache[module.__file__] = (len(source), None, source.splitlines(True), module.__file__)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def _pipeline(version: str, golden):
    from ..dependency.releases import pipeline_sources, scalekit_sources

    scalekit = _module("scalekit", scalekit_sources(version)["scalekit/__init__.py"])
    files = pipeline_sources(golden.model, golden.reference)

    def imports(name, *args, **kwargs):
        return scalekit if name == "scalekit" else builtins.__import__(name, *args, **kwargs)

    def opens(path, *args, **kwargs):
        if str(path).endswith("model.json"):
            return io.StringIO(files["songpipe/model.json"])
        raise FileNotFoundError(path)

    return _module("songpipe", files["songpipe/__init__.py"], {"__import__": imports, "open": opens})


@lru_cache(maxsize=4)
def release_runs(world: int) -> dict:
    """Run the pipeline's cleaning step and its golden test against every ``scalekit`` release.

    Examples
    --------
    >>> runs = release_runs(0)
    >>> runs["1.1.0"].golden.passed, runs["2.0.0"].golden.passed
    (True, False)
    >>> runs["2.0.0"].clean_error.split(":")[0], len(runs["1.1.0"].warnings)
    ('AttributeError', 2)
    """
    import numpy as np

    from ..dependency import SCALEKIT_VERSIONS, golden_test, train_pipeline

    golden = train_pipeline(seed=world)
    rows = golden.features.tolist()
    runs = {}
    for version in SCALEKIT_VERSIONS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            songpipe = _pipeline(version, golden)
            error = trace = None
            try:
                songpipe.clean(rows)
            except Exception as failure:  # what the nightly job's log shows
                error = f"{type(failure).__name__}: {failure}"
                trace = "".join(traceback.format_exception(failure, limit=-2))
            served = np.asarray(songpipe.predict_proba(rows))
        seen = []
        for item in caught:
            text = f"{item.category.__name__}: {item.message}"
            if text not in seen:
                seen.append(text)
        runs[version] = ReleaseRun(version, error, trace, golden_test(served, golden), tuple(seen))
    return runs
