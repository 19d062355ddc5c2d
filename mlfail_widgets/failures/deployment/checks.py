"""Checks a deployment runs before it switches traffic: code version and smoke prediction."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Protocol

from .errors import CodeVersionError, SmokeTestError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = ["check_code_version", "code_version_of", "running_code_version", "smoke_check"]


class Predictor(Protocol):
    """What deployment code calls on a model: ``predict`` (and ``predict_proba`` if it has one).

    A fitted :class:`~mlfail_widgets.models.LogisticRegression` or scikit-learn estimator, a
    :class:`~mlfail_widgets.failures.deployment.LoadedModel` and a
    :class:`~mlfail_widgets.failures.deployment.ModelService` all are.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfail_widgets.models import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(40, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model: Predictor = LogisticRegression().fit(X, y)
    >>> predictions(model, X[:3]).shape  # predict_proba: one column per class
    (3, 2)
    """

    def predict(self, X: ArrayLike) -> ArrayLike: ...



def code_version_of(cls: type) -> str:
    """``module.Class==version``: the class that must unpickle a model, and its package's version.

    Examples
    --------
    >>> from mlfail_widgets.models import LogisticRegression
    >>> code_version_of(LogisticRegression)
    'mlfail_widgets.models.LogisticRegression==...'
    """
    package = sys.modules.get(cls.__module__.split(".")[0])
    version = getattr(package, "__version__", "unknown")
    return f"{cls.__module__}.{cls.__qualname__}=={version}"


def _release(version: str) -> tuple[str, ...]:
    """The part of a version that must match: the major, or major.minor while the major is 0."""
    parts = version.split(".")
    return tuple(parts[:2]) if parts[0] == "0" else tuple(parts[:1])


def check_code_version(saved: str, running: str) -> str:
    """Refuse to load a model saved by an incompatible release of its code (semver rules).

    The class must be the same, and the release must agree on the major version (on the minor
    too while the major is 0). Returns a one-line verdict; raises :class:`CodeVersionError`.

    Examples
    --------
    >>> check_code_version("scoring.Scorer==1.2", "scoring.Scorer==1.4")
    'code version compatible: saved by scoring.Scorer==1.2, running scoring.Scorer==1.4'
    >>> check_code_version("scoring.Scorer==1.2", "scoring.Scorer==2.0")
    Traceback (most recent call last):
    ...
    mlfail_widgets.failures.deployment.errors.CodeVersionError: The model was saved by scoring.Scorer==1.2 but the serving code is scoring.Scorer==2.0: ...
    """
    saved_class, _, saved_version = saved.partition("==")
    running_class, _, running_version = running.partition("==")
    if saved_class != running_class or _release(saved_version) != _release(running_version):
        raise CodeVersionError(
            f"The model was saved by {saved} but the serving code is {running}: a pickle stores "
            "attribute names, not meaning, so it may load and then fail or mispredict. Retrain "
            "and register the model with the serving code's release, or deploy the code "
            "release the model was saved with."
        )
    return f"code version compatible: saved by {saved}, running {running}"


def running_code_version(saved: str) -> str:
    """The code version this process would use to unpickle a model saved as ``saved``.

    Examples
    --------
    >>> import mlfail_widgets
    >>> running_code_version("mlfail_widgets.models.LogisticRegression==0.0.9") == (
    ...     "mlfail_widgets.models.LogisticRegression==" + mlfail_widgets.__version__)
    True
    """
    qualified = saved.partition("==")[0]
    module_name, _, name = qualified.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise CodeVersionError(f"The model needs {qualified}, which the serving code does not have "
                               f"({error}). Deploy the code release the model was saved with.") from error
    return code_version_of(cls)


def predictions(model: Predictor, rows: ArrayLike) -> np.ndarray:
    """Probabilities (or labels) of ``model`` on ``rows``, as floats: what a smoke test compares."""
    import numpy as np

    X = np.asarray(rows, dtype=float)
    predict_proba = getattr(model, "predict_proba", None)
    if callable(predict_proba):
        return np.asarray(predict_proba(X), dtype=float)
    return np.asarray(model.predict(X), dtype=float)


def smoke_check(model: Predictor, inputs: ArrayLike, expected: ArrayLike, *, tolerance: float = 1e-9) -> str:
    """Predict on the recorded ``inputs``; raise :class:`SmokeTestError` unless it matches ``expected``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfail_widgets.models import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(50, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> smoke_check(model, X[:3], model.predict_proba(X[:3]))
    'smoke test passed: 3 recorded predictions reproduced'
    >>> smoke_check(model, X[:3], 1 - model.predict_proba(X[:3]))
    Traceback (most recent call last):
    ...
    mlfail_widgets.failures.deployment.errors.SmokeTestError: The model loads but predicts differently ...
    """
    import numpy as np

    try:
        got = predictions(model, inputs)
    except Exception as error:
        raise SmokeTestError(
            f"The model loads but fails at predict time: {type(error).__name__}: {error}. The "
            "serving code does not match the code that saved the model; do not switch traffic "
            "to it. Deploy the matching code release or retrain with this one.") from error
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape or not np.allclose(got, expected, atol=tolerance, rtol=0):
        gap = np.max(np.abs(got - expected)) if got.shape == expected.shape else float("nan")
        raise SmokeTestError(
            f"The model loads but predicts differently from when it was registered (largest "
            f"difference {gap:.3g} on {len(expected)} recorded inputs). The code that runs it "
            "changed its meaning; do not switch traffic to it.")
    return f"smoke test passed: {len(expected)} recorded predictions reproduced"
