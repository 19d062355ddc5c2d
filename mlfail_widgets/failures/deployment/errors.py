"""The errors a deployment step raises: each message says what broke and how to fix it.

They are not :class:`~mlfail_widgets._validation.ParameterError`: the arguments were fine, a
file or a process was not. ``except DeploymentError`` catches them all.
"""

from __future__ import annotations

import pickle

__all__ = [
    "CodeVersionError",
    "CorruptFileError",
    "DeploymentError",
    "IntegrityError",
    "SmokeTestError",
    "UnsafePickleError",
]


class DeploymentError(RuntimeError):
    """A deployment step failed; the message names the problem and the fix."""


class CorruptFileError(DeploymentError):
    """A model, metadata or pointer file is missing, truncated or not what it should be."""


class IntegrityError(DeploymentError):
    """A model file's sha256 differs from the one the registry recorded: it was changed."""


class UnsafePickleError(DeploymentError, pickle.UnpicklingError):
    """The restricted unpickler met a class or function that is not on its allowed list."""


class SmokeTestError(DeploymentError):
    """The model loaded, but fails or predicts differently on the inputs it was registered with."""


class CodeVersionError(DeploymentError):
    """The model was saved by an incompatible version of the code that must load it."""
