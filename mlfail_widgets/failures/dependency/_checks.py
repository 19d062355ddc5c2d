"""Detection and mitigation that need no pip run: a hashed lock file, a version guard, a
golden-prediction test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..._validation import ParameterError, check_float
from ._wheels import file_sha256

__all__ = ["GoldenReport", "GuardReport", "Lock", "VersionCheck", "golden_test", "lock_wheels",
           "version_guard"]


@dataclass
class Lock:
    """A lock file: every package pinned to one version and to the sha256 of one wheel.

    ``text`` is what ``pip install --require-hashes -r <file>`` reads; it is the format
    ``pip-compile --generate-hashes`` writes.

    Attributes
    ----------
    pins : dict
        Package -> version.
    hashes : dict
        Package -> sha256 (hex) of the wheel that was vetted.
    path : Path or None
        Where the lock file was written.

    Examples
    --------
    >>> lock = Lock({"scalekit": "1.1.0"}, {"scalekit": "ab" * 32})
    >>> lock.text.splitlines()[3].strip()[:24]
    '--hash=sha256:ababababab'
    """

    pins: dict
    hashes: dict
    path: Path | None = None

    @property
    def text(self) -> str:
        lines = ["# requirements.lock: one version and one wheel hash per package.",
                 "# Install with: pip install --require-hashes -r requirements.lock"]
        for name in sorted(self.pins):
            lines.append(f"{name}=={self.pins[name]} \\")
            lines.append(f"    --hash=sha256:{self.hashes[name]}")
        return "\n".join(lines) + "\n"

    def write(self, path: str | Path) -> Lock:
        """Write :attr:`text` to ``path`` and remember it."""
        self.path = Path(path)
        self.path.write_text(self.text)
        return self

    def __repr__(self) -> str:
        return self.text


def lock_wheels(wheels: Iterable[str | Path]) -> Lock:
    """Pin each wheel's package to its version and its sha256 (what ``pip hash`` computes).

    Examples
    --------
    >>> import tempfile
    >>> from mlfail_widgets.failures.dependency import build_wheel
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     wheel = build_wheel(folder, "demo", "1.0.0", {"demo/__init__.py": ""})
    ...     lock = lock_wheels([wheel])
    >>> lock.pins, len(lock.hashes["demo"])
    ({'demo': '1.0.0'}, 64)
    """
    pins, hashes = {}, {}
    for wheel in wheels:
        wheel = Path(wheel)
        name, version = wheel.name.split("-")[:2]
        name = name.replace("_", "-").lower()
        pins[name], hashes[name] = version, file_sha256(wheel)
    return Lock(pins, hashes)


@dataclass(frozen=True)
class VersionCheck:
    """One package in the version guard: what the lock says and what is installed.

    Examples
    --------
    >>> VersionCheck("scalekit", locked="1.1.0", installed="2.0.0").status
    'drift'
    """

    package: str
    locked: str | None
    installed: str | None

    @property
    def status(self) -> str:
        if self.locked is None:
            return "not in the lock"
        if self.installed is None:
            return "missing"
        return "ok" if self.installed == self.locked else "drift"


@dataclass
class GuardReport:
    """The version guard's verdict: one :class:`VersionCheck` per package.

    Examples
    --------
    >>> report = version_guard({"scalekit": "1.1.0"}, {"scalekit": "1.1.0"})
    >>> report.ok, report.table()["status"].tolist()
    (True, ['ok'])
    """

    checks: list

    @property
    def ok(self) -> bool:
        """True when every installed package is exactly the locked version."""
        return all(check.status == "ok" for check in self.checks)

    @property
    def drifted(self) -> list:
        return [check for check in self.checks if check.status != "ok"]

    def describe(self) -> str:
        """One line: "matches the lock" or what drifted."""
        if self.ok:
            return "every package matches the lock"
        return "; ".join(f"{c.package}: locked {c.locked or '-'}, installed {c.installed or '-'}"
                         for c in self.drifted)

    def table(self):
        """The checks as a DataFrame (package, locked, installed, status)."""
        import pandas as pd

        return pd.DataFrame([(c.package, c.locked, c.installed, c.status) for c in self.checks],
                            columns=["package", "locked", "installed", "status"])

    def __repr__(self) -> str:
        return f"GuardReport({'ok' if self.ok else 'DRIFT'}: {self.describe()})"


def version_guard(installed: Mapping[str, str], lock: Lock | Mapping[str, str]) -> GuardReport:
    """Compare installed versions with the lock, package by package.

    Run at start-up (with ``importlib.metadata``), it turns a silent drift into a loud,
    early error: the pipeline refuses to run on versions nobody tested.

    Parameters
    ----------
    installed : mapping
        Package -> installed version (see :func:`installed_versions`).
    lock : Lock or mapping
        The locked versions.

    Examples
    --------
    >>> report = version_guard({"scalekit": "2.0.0", "songpipe": "1.0.0"},
    ...                        {"scalekit": "1.1.0", "songpipe": "1.0.0"})
    >>> report.ok, report.describe()
    (False, 'scalekit: locked 1.1.0, installed 2.0.0')
    """
    pins = lock.pins if isinstance(lock, Lock) else dict(lock)
    if not isinstance(installed, Mapping):
        raise ParameterError("The 'installed' parameter of version_guard must be a mapping "
                             f"package -> version. Got {type(installed).__name__} instead.")
    names = sorted(set(pins) | set(installed))
    return GuardReport([VersionCheck(name, pins.get(name), installed.get(name)) for name in names])


@dataclass
class GoldenReport:
    """The golden-prediction test's verdict.

    Attributes
    ----------
    expected, served : ndarray
        Probabilities recorded at release time, and those the installed pipeline returned.
    tolerance : float
        Largest allowed absolute difference.
    changed : ndarray of bool
        Songs whose probability moved by more than ``tolerance``.
    flipped : ndarray of bool
        Songs whose decision (probability >= 0.5) flipped.
    accuracy_expected, accuracy_served : float
        Accuracy of both on the golden labels.

    Examples
    --------
    >>> from mlfail_widgets.failures.dependency import train_pipeline
    >>> golden = train_pipeline(seed=0)
    >>> report = golden_test(1 - golden.expected, golden)
    >>> report.passed, report.n_flipped == len(golden), report.accuracy_served < 0.5
    (False, True, True)
    """

    expected: object
    served: object
    tolerance: float
    changed: object
    flipped: object
    accuracy_expected: float
    accuracy_served: float

    @property
    def passed(self) -> bool:
        return not bool(self.changed.any())

    @property
    def n_changed(self) -> int:
        return int(self.changed.sum())

    @property
    def n_flipped(self) -> int:
        return int(self.flipped.sum())

    @property
    def max_difference(self) -> float:
        return float(abs(self.served - self.expected).max())

    def describe(self) -> str:
        n = len(self.expected)
        if self.passed:
            return f"all {n} predictions match (largest difference {self.max_difference:.1e})"
        return (f"{self.n_changed} of {n} predictions changed, {self.n_flipped} decisions "
                f"flipped; accuracy {self.accuracy_expected:.2f} \u2192 {self.accuracy_served:.2f}")

    def __repr__(self) -> str:
        return f"GoldenReport({'passed' if self.passed else 'FAILED'}: {self.describe()})"


def golden_test(served, golden, *, tolerance: float = 1e-6) -> GoldenReport:
    """Compare the pipeline's predictions on the golden set with those recorded at release.

    A silent break changes no code path and raises nothing; only the numbers move. This test
    sees exactly that.

    Parameters
    ----------
    served : array-like
        Probabilities the installed pipeline returned for the golden songs.
    golden : GoldenSet
        The golden set (``expected`` probabilities and ``labels``).
    tolerance : float, default=1e-6
        Largest absolute difference still counted as "the same" (floating-point noise).

    Examples
    --------
    >>> from mlfail_widgets.failures.dependency import train_pipeline
    >>> golden = train_pipeline(seed=0)
    >>> golden_test(golden.expected, golden).passed
    True
    >>> report = golden_test(golden.expected + 0.2, golden)
    >>> report.passed, report.n_changed
    (False, 200)
    """
    import numpy as np

    tolerance = check_float(tolerance, "tolerance", "golden_test", low=0, high=1)
    expected = np.asarray(golden.expected, dtype=float)
    served = np.asarray(served, dtype=float)
    if served.shape != expected.shape:
        raise ParameterError(f"golden_test needs one prediction per golden song ({expected.size}); "
                             f"got an array of shape {served.shape}.")
    labels = np.asarray(golden.labels)
    return GoldenReport(expected, served, tolerance,
                        np.abs(served - expected) > tolerance,
                        (served >= 0.5) != (expected >= 0.5),
                        float(((expected >= 0.5) == labels).mean()),
                        float(((served >= 0.5) == labels).mean()))
