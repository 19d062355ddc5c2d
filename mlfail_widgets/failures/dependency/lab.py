"""The sandbox of chapter 01: releases as real wheels, a real local index, real pip installs.

:class:`DependencyLab` owns one temporary directory. Everything the chapter creates lives in
it (the wheelhouse, the served index, the vendored wheelhouse, the tampered mirror, the lock
file, one install target per pip run) and it is removed by :meth:`DependencyLab.close`, on
leaving a ``with`` block (also on an error or KeyboardInterrupt), or when the Python process
exits.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..._tempdirs import make_temp_dir
from ..._validation import ParameterError, check_bool, check_choice, check_float, owner_name, parameter_error
from .checks import golden_test, lock_problems, lock_wheels, version_guard
from .pip import PIP_FLAGS, ClosedPort, InstallResult, LocalIndex, parse_requirement, run_pip
from .releases import (
    PIPELINE_VERSION,
    SCALEKIT_VERSIONS,
    pipeline_sources,
    scalekit_sources,
    train_pipeline,
)
from .runs import PipelineRun
from .smoke import run_pipeline
from .wheels import build_wheel, wheel_name

if TYPE_CHECKING:
    from ..._random import Seed

__all__ = ["LOCKED_VERSION", "SOURCES", "DependencyLab"]

LOCKED_VERSION = "1.1.0"
PIPELINE = f"songpipe=={PIPELINE_VERSION}"
#: Where pip may look: the package index (up or down), the vendored wheelhouse, or a mirror.
SOURCES = ("index", "vendored", "mirror")


class _Resources:
    """What must be released even if the lab object is never closed (see weakref.finalize)."""

    def __init__(self, root: Path):
        self.root = root
        self.index: LocalIndex | None = None
        self.down: ClosedPort | None = None

    def release(self) -> None:
        for item in (self.index, self.down):
            if item is not None:
                item.close()
        self.index = self.down = None
        shutil.rmtree(self.root, ignore_errors=True)


class DependencyLab:
    """A sandbox where a dependency breaks a pipeline, for real.

    On creation it trains the pipeline's model, builds the wheels of every ``scalekit``
    release and of the ``songpipe`` pipeline into a wheelhouse, serves the published releases
    on a local package index (HTTP on 127.0.0.1), and writes a lock file with hashes.
    Installs are real pip runs into throwaway folders; the pipeline runs in its own process.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default=0
        Seed of the songs the model is trained and golden-tested on.
    published : sequence of str, default=all releases
        The scalekit releases on the index at the start; :meth:`publish` adds more.
    timeout : float, default=60
        Seconds before a pip run is stopped.

    Attributes
    ----------
    root : Path
        The lab's temporary directory.
    wheelhouse : Path
        Every wheel built (what the publisher's CI produced).
    vendor : Path
        The vendored wheelhouse: the locked wheels only, as a project would commit them.
    lock : Lock
        The lock file: scalekit 1.1.0 and songpipe 1.0.0 with their sha256.
    golden : GoldenSet
        The model and its golden set.

    Examples
    --------
    Creating a lab builds wheels but runs no pip; :meth:`run` runs pip (about a second), so
    its lines are left to ``tests/test_dependency.py``.

    >>> with DependencyLab(seed=0, published=["1.0.0", "1.1.0"]) as lab:
    ...     print(lab.published, lab.lock.pins)
    ...     run = lab.run("scalekit>=1.0")  # doctest: +SKIP
    ...     print(run.resolved, run.golden.passed)  # doctest: +SKIP
    ('1.0.0', '1.1.0') {'scalekit': '1.1.0', 'songpipe': '1.0.0'}
    1.1.0 True
    """

    def __init__(self, *, seed: Seed = 0, published: str | Sequence[str] = SCALEKIT_VERSIONS,
                 timeout: float = 60.0) -> None:
        self.timeout = check_float(timeout, "timeout", low=1, high=600)
        if isinstance(published, str):
            published = [published]
        elif not isinstance(published, (list, tuple)):
            raise parameter_error("published", f"a list of scalekit releases from {SCALEKIT_VERSIONS}",
                                  published)
        published = list(published)
        for version in published:
            check_choice(version, "published", SCALEKIT_VERSIONS)
        # named mlfail-dependency-<pid>-...; folders of killed kernels are removed here
        self.root = make_temp_dir("mlfail-dependency-")
        self._resources = _Resources(self.root)
        self._finalizer = weakref.finalize(self, self._resources.release)
        self._lock = threading.Lock()
        self._cache: dict = {}
        self._counter = 0
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._closed = False
        try:
            self._build(seed, published)
        except BaseException:
            self.close()
            raise

    def _build(self, seed: Seed, published: list[str]) -> None:
        self.golden = train_pipeline(seed)
        self.wheelhouse = self.root / "wheelhouse"
        self.wheelhouse.mkdir()
        for version in SCALEKIT_VERSIONS:
            build_wheel(self.wheelhouse, "scalekit", version, scalekit_sources(version),
                        summary="Feature scaling for small tables (fictional)")
        build_wheel(self.wheelhouse, "songpipe", PIPELINE_VERSION,
                    pipeline_sources(self.golden.model, self.golden.reference),
                    requires=["scalekit>=1.0"], summary="Will a listener save this song? (fictional)")
        self.vendor = self.root / "vendor"
        self.vendor.mkdir()
        locked = [self._wheel("scalekit", LOCKED_VERSION), self._wheel("songpipe", PIPELINE_VERSION)]
        for wheel in locked:
            shutil.copy2(wheel, self.vendor / wheel.name)
        self.lock = lock_wheels(locked).write(self.root / "requirements.lock")
        self._published: list[str] = []
        self._index_folder = self.root / "index"
        # the lab uses self._index and self._down; _resources holds them to close them
        self._index = self._resources.index = LocalIndex(self._index_folder)
        self._index.publish(self._wheel("songpipe", PIPELINE_VERSION))
        for version in published:
            self.publish(version)
        self._down = self._resources.down = ClosedPort()
        self._mirror: Path | None = None

    def _wheel(self, name: str, version: str) -> Path:
        return self.wheelhouse / wheel_name(name, version)

    def _check_open(self) -> None:
        if self._closed:
            raise ParameterError(f"{owner_name()}: this DependencyLab is closed (its folder is deleted). "
                                 "Create a new one: DependencyLab(seed=...).")

    # ----------------------------------------------------------------- the index
    @property
    def published(self) -> tuple[str, ...]:
        """The scalekit releases on the package index, oldest first."""
        return tuple(self._published)

    @property
    def index_url(self) -> str:
        """The URL of the local package index (answers while the lab is open)."""
        self._check_open()
        return self._index.url

    @property
    def down_url(self) -> str:
        """An index URL on a port that refuses connections: the index is down."""
        self._check_open()
        return f"http://127.0.0.1:{self._down.port}/simple"

    def publish(self, version: str) -> None:
        """The third party publishes scalekit ``version`` on the index (from now on pip sees it)."""
        self._check_open()
        version = check_choice(version, "version", SCALEKIT_VERSIONS)
        if version not in self._published:
            self._index.publish(self._wheel("scalekit", version))
            self._published = sorted([*self._published, version], key=SCALEKIT_VERSIONS.index)

    def tampered_mirror(self) -> Path:
        """A mirror serving a tampered scalekit 1.1.0: same name and version, other bytes."""
        self._check_open()
        if self._mirror is None:
            mirror = self.root / "mirror"
            mirror.mkdir()
            build_wheel(mirror, "scalekit", LOCKED_VERSION,
                        scalekit_sources(LOCKED_VERSION, tampered=True),
                        summary="Feature scaling for small tables (fictional)")
            shutil.copy2(self._wheel("songpipe", PIPELINE_VERSION), mirror)
            self._mirror = mirror
        return self._mirror

    # ----------------------------------------------------------------- pip
    def _sources(self, source: str, index_up: bool) -> tuple[list[str], str]:
        if source == "vendored":
            return ["--no-index", "--find-links", str(self.vendor)], "the vendored wheelhouse"
        if source == "mirror":
            return ["--no-index", "--find-links", str(self.tampered_mirror())], "the mirror"
        if index_up:
            return ["--index-url", self.index_url], "the package index"
        return ["--index-url", self.down_url], "the package index"

    def _pip(self, arguments: list[str], requirements: list[str], where: str) -> InstallResult:
        with self._lock:
            if self._closed:
                raise ParameterError(f"{owner_name()}: this DependencyLab was closed while pip was about "
                                     "to run. Create a new one: DependencyLab(seed=...).")
            self._counter += 1
            self._active += 1
            self._idle.notify_all()
            target = self.root / "targets" / f"{self._counter:03d}"
        try:
            return run_pip(arguments, requirements, target, where=where, timeout=self.timeout)
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def install(self, requirement: str = "scalekit>=1.0", *, source: str = "index",
                index_up: bool = True) -> InstallResult:
        """Install the pipeline with real pip under ``requirement`` (a new target each time).

        Parameters
        ----------
        requirement : str, default="scalekit>=1.0"
            The requirement on scalekit next to ``songpipe==1.0.0``: ``"scalekit"`` (any),
            ``">=1.0"``, ``"==1.1.0"``, ``"~=1.1"``, ``"<2"``...
        source : {"index", "vendored", "mirror"}, default="index"
            Where pip looks: the package index (``--index-url``), the vendored wheelhouse or
            the tampered mirror (both ``--no-index --find-links``).
        index_up : bool, default=True
            Whether the index answers (False: its port refuses connections).
        """
        self._check_open()
        requirement = parse_requirement(requirement)
        source = check_choice(source, "source", SOURCES)
        index_up = check_bool(index_up, "index_up")
        arguments, where = self._sources(source, index_up)
        return self._pip(arguments, [PIPELINE, requirement], where)

    def install_locked(self, *, source: str = "vendored", index_up: bool = True) -> InstallResult:
        """Install exactly the lock file, hashes checked: ``pip install --require-hashes -r``."""
        self._check_open()
        source = check_choice(source, "source", SOURCES)
        index_up = check_bool(index_up, "index_up")
        arguments, where = self._sources(source, index_up)
        lock_file = self.lock.path
        if lock_file is None:  # a Lock built in memory and assigned to lab.lock
            raise ParameterError(f"{owner_name()}: lab.lock was never written to a file, so pip has "
                                 "nothing to read. Write it first: lab.lock.write(lab.root / "
                                 "'requirements.lock').")
        requirements = ["--require-hashes", "-r", str(lock_file)]
        try:
            text = lock_file.read_text()
        except (OSError, UnicodeDecodeError) as error:
            problems = [f"the lock file cannot be read ({type(error).__name__}: {error})"]
        else:
            problems = lock_problems(text, self.lock)
        if problems:  # pip would install nothing from an empty file, or blame a wheel for a cut hash
            command = [sys.executable, "-m", "pip", "--isolated", "install", *PIP_FLAGS, *arguments,
                       *requirements]
            return InstallResult(requirements, command, False, {}, None, 0.0, "", "",
                                 f"pip was not run: {'; '.join(problems)}. The lock file is the "
                                 "record of what was vetted; write it again from the vetted wheels "
                                 "(lab.lock.write(lab.lock.path)) or restore it from version control.",
                                 where, -1)
        result = self._pip(arguments, requirements, where)
        if result.ok and result.installed != self.lock.pins:
            return replace(result, ok=False, target=None, message=(
                f"pip succeeded but installed {result.installed or 'nothing'}, not the lock's "
                f"{self.lock.pins}. Check the lock file against the vetted wheels."))
        return result

    def run(self, requirement: str = "scalekit>=1.0", *, source: str = "index",
            index_up: bool = True) -> PipelineRun:
        """Install (real pip), run the pipeline in its own process, and check it.

        The same settings on the same published releases run pip once: later calls return
        the cached result with ``cached=True``.
        """
        self._check_open()
        requirement = parse_requirement(requirement)
        source = check_choice(source, "source", SOURCES)
        index_up = check_bool(index_up, "index_up")
        key = (requirement, source, index_up or source != "index", self.published)
        with self._lock:
            if key in self._cache:
                return replace(self._cache[key], cached=True)
        install = self.install(requirement, source=source, index_up=index_up)
        smoke = run_pipeline(install.target, self.golden.features) if install.ok else None
        golden = None
        if smoke is not None and smoke.probabilities is not None:
            golden = golden_test(smoke.probabilities, self.golden)
        run = PipelineRun(requirement, source, index_up, install, smoke, golden,
                          version_guard(install.installed, self.lock), finished_at=time.time())
        with self._lock:
            self._cache[key] = run
        return run

    def compare(self, requirements: str | Sequence[str], *, source: str = "index",
                index_up: bool = True) -> list[PipelineRun]:
        """:meth:`run` for several requirements, two pip processes at a time."""
        requirements = [requirements] if isinstance(requirements, str) else list(requirements)
        for requirement in requirements:
            parse_requirement(requirement)
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda r: self.run(r, source=source, index_up=index_up),
                                 requirements))

    # ----------------------------------------------------------------- cleanup
    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the index and delete the lab's folder (every wheel, target and lock).

        A pip run still in progress (from a widget's worker thread) is waited for, at most
        ``timeout`` seconds, so that it cannot write into the folder after it is deleted.
        """
        with self._lock:
            self._closed = True
            self._idle.wait_for(lambda: self._active == 0, timeout=self.timeout)
        self._finalizer()

    def __enter__(self) -> DependencyLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"index {self._index.url}"
        return f"DependencyLab(published={self.published}, {state})"


