"""Kill a promotion half-way, for real, and look at the production pointer it leaves behind.

A child process (``os.fork``) starts the promotion; at the moment between writing the new
pointer and finishing, it tells the parent through a pipe and waits; the parent kills it with
SIGKILL, which no handler can intercept (the same as a power cut for this purpose, minus the
page cache). Then the parent reads the pointer. Written in place, the pointer is half a JSON
document; written with write-then-rename, it is the old pointer, intact.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..._renamed import renamed_classes
from ..._validation import check_choice, check_float, owner_name
from ._process import forked, read_pipe
from .errors import CorruptFileError, DeploymentError
from .registry import POINTER, ModelRegistry

__all__ = ["PROMOTION_METHODS", "InterruptedPromotionResult", "interrupt_promotion"]

PROMOTION_METHODS = ("write-then-rename", "in place")


@dataclass(frozen=True)
class InterruptedPromotionResult:
    """What a promotion killed half-way left behind."""

    method: str
    target: int
    before: int | None  # the production version before the promotion
    after: int | None  # the production version read after the kill (None if unreadable)
    readable: bool
    error: str  # the error reading the pointer raised, "" when readable
    pointer_bytes: int
    stray_files: tuple[str, ...]  # temporary files the killed process left

    @property
    def intact(self) -> bool:
        """True when production still points, readably, at the version it pointed at before."""
        return self.readable and self.after == self.before


def _promote_in_place(registry: ModelRegistry, version: int, on_stage: Callable[[str], None]) -> None:
    """The naive promotion: truncate the pointer and write it where it is."""
    pointer = json.dumps({"version": version, "sha256": registry.metadata(version).sha256,
                          "promoted_at": "", "previous": None, "reason": ""}).encode()
    with open(registry.root / POINTER, "wb") as handle:  # truncates the old pointer now
        handle.write(pointer[: len(pointer) // 2])
        handle.flush()
        os.fsync(handle.fileno())
        on_stage("written")
        handle.write(pointer[len(pointer) // 2 :])


def interrupt_promotion(registry: ModelRegistry, version: int | str, *, method: str = "write-then-rename",
                        timeout: float = 10.0) -> InterruptedPromotionResult:
    """Start promoting ``version`` in a child process and SIGKILL it in the middle of the write.

    Parameters
    ----------
    registry : ModelRegistry
        A registry with a version in production.
    version : int
        The version the killed promotion was installing.
    method : {"write-then-rename", "in place"}, default="write-then-rename"
        How the child writes the pointer: the registry's atomic :meth:`ModelRegistry.promote`,
        or a naive ``open(..., "wb")`` that truncates the file first.
    timeout : float, default=10.0
        Seconds to wait for the child to reach the write (it is killed in any case).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from mlfail_widgets.models import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(100, 2)); y = (X[:, 0] > 0).astype(int)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     for _ in range(2):
    ...         _ = registry.register(LogisticRegression().fit(X, y))
    ...     _ = registry.promote(1)
    ...     safe = interrupt_promotion(registry, 2)
    ...     naive = interrupt_promotion(registry, 2, method="in place")
    >>> safe.intact, safe.after, len(safe.stray_files)
    (True, 1, 1)
    >>> naive.intact, naive.readable
    (False, False)
    """
    method = check_choice(method, "method", PROMOTION_METHODS)
    timeout = check_float(timeout, "timeout", low=0.1, high=120)
    number = registry.check_version(version)
    current = registry.production()
    if current is None:
        raise DeploymentError(f"{owner_name()} needs a version in production to protect: "
                              "promote one first (registry.promote(N)).")
    before = set(registry.root.iterdir())

    def child(pipe: int) -> None:  # promote, and stop at the dangerous moment
        def stop_here(stage: str) -> None:
            if stage == "written":
                os.write(pipe, b"w")
                time.sleep(timeout + 5)  # the parent kills us here

        if method == "in place":
            _promote_in_place(registry, number, stop_here)
        else:
            registry.promote(number, on_stage=stop_here)

    with forked(child) as pipe:
        if read_pipe(pipe, timeout=timeout, limit=1) != b"w":
            raise DeploymentError(f"The promotion child did not reach the write within {timeout} s.")
    stray = tuple(sorted(p.name for p in set(registry.root.iterdir()) - before))
    pointer_bytes = (registry.root / POINTER).stat().st_size
    try:
        after = registry.production()
    except CorruptFileError as error:
        return InterruptedPromotionResult(method, number, current.version, None, False, str(error),
                                    pointer_bytes, stray)
    assert after is not None  # the old pointer is intact, so something is in production
    return InterruptedPromotionResult(method, number, current.version, after.version, True, "",
                                pointer_bytes, stray)

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"InterruptedPromotion": InterruptedPromotionResult})
