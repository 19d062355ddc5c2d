"""Detection and mitigation that need no pip run: a hashed lock file, a version guard, a
golden-prediction test."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..._renamed import renamed_classes
from ..._validation import check_float, parameter_error
from .wheels import file_sha256

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike

    from .releases import GoldenSet

__all__ = ["GoldenTestResult", "GuardReport", "Lock", "VersionCheck", "golden_test", "lock_problems",
           "lock_wheels", "version_guard"]


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

    pins: dict[str, str]
    hashes: dict[str, str]
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


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
_HASH = re.compile(r"^--hash=sha256:(\S*)$")


def lock_problems(text: str, expected: Lock | None = None) -> list[str]:
    """What is wrong with the text of a lock file, as sentences (an empty list: nothing).

    pip reads an empty lock file as "nothing to install" and succeeds; a hash cut short is
    reported by pip as a wheel that does not match, which blames the wheel for the lock's
    fault. This reads the file first: every entry must be ``name==version`` followed by a
    complete ``--hash=sha256:`` of 64 hex digits, and, given ``expected``, pin the same
    packages, versions and hashes.

    Examples
    --------
    >>> lock = Lock({"scalekit": "1.1.0"}, {"scalekit": "ab" * 32})
    >>> lock_problems(lock.text, lock)
    []
    >>> lock_problems("", lock)
    ['the lock file is empty: it pins no package (pip would install nothing and report success)']
    >>> lock_problems(lock.text[:-5], lock)
    ['the hash of scalekit==1.1.0 has 60 hex digits instead of 64 (the file is truncated or edited)']
    """
    entries: list[tuple[str, str, list[str]]] = []
    problems: list[str] = []
    logical, pending = [], ""
    for raw in text.splitlines():
        line = pending + " " + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        pending = ""
        logical.append(line)
    if pending:
        logical.append(pending)
    for line in logical:
        if not line or line.startswith("#"):
            continue
        words = line.split()
        match = _PIN.match(words[0])
        if match is None:
            problems.append(f"the line {line[:60]!r} is not 'name==version --hash=sha256:...'")
            continue
        name, version = match.group(1).replace("_", "-").lower(), match.group(2)
        hashes = []
        for word in words[1:]:
            found = _HASH.match(word)
            if found is None:
                problems.append(f"{name}=={version} has {word[:40]!r} where a --hash=sha256:... belongs")
                continue
            digest = found.group(1)
            if len(digest) != 64 or re.fullmatch(r"[0-9a-f]*", digest) is None:
                problems.append(f"the hash of {name}=={version} has {len(digest)} hex digits instead of "
                                "64 (the file is truncated or edited)")
            hashes.append(digest)
        if not hashes:
            problems.append(f"{name}=={version} has no --hash=sha256:... (the file is truncated or edited)")
        entries.append((name, version, hashes))
    if not entries and not problems:
        return ["the lock file is empty: it pins no package (pip would install nothing and report success)"]
    if expected is not None and not problems:
        written = {name: (version, hashes) for name, version, hashes in entries}
        for name in sorted(expected.pins):
            if name not in written:
                problems.append(f"{name} is missing from the lock file (the file is truncated or edited)")
            elif written[name][0] != expected.pins[name]:
                problems.append(f"{name} is pinned to {written[name][0]}, not the vetted {expected.pins[name]}")
            elif expected.hashes[name] not in written[name][1]:
                problems.append(f"the hash of {name} in the file is not the vetted wheel's")
        for name in sorted(set(written) - set(expected.pins)):
            problems.append(f"{name} is in the lock file but was never vetted")
    return problems


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

    checks: list[VersionCheck]

    @property
    def ok(self) -> bool:
        """True when every installed package is exactly the locked version."""
        return all(check.status == "ok" for check in self.checks)

    @property
    def drifted(self) -> list[VersionCheck]:
        return [check for check in self.checks if check.status != "ok"]

    def describe(self) -> str:
        """One line: "matches the lock" or what drifted."""
        if self.ok:
            return "every package matches the lock"
        return "; ".join(f"{c.package}: locked {c.locked or '-'}, installed {c.installed or '-'}"
                         for c in self.drifted)

    def table(self) -> pd.DataFrame:
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
    if not isinstance(lock, (Lock, Mapping)):
        raise parameter_error("lock", "a Lock or a mapping package -> version", type(lock).__name__,
                              fix="Pass lab.lock.")
    pins = lock.pins if isinstance(lock, Lock) else dict(lock)
    if not isinstance(installed, Mapping):
        raise parameter_error("installed", "a mapping package -> version", type(installed).__name__)
    names = sorted(set(pins) | set(installed))
    return GuardReport([VersionCheck(name, pins.get(name), installed.get(name)) for name in names])


@dataclass
class GoldenTestResult:
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

    expected: np.ndarray
    served: np.ndarray
    tolerance: float
    changed: np.ndarray
    flipped: np.ndarray
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
    def n_missing(self) -> int:
        """Predictions that are not numbers (NaN) or infinite: the pipeline gave no answer."""
        import numpy as np

        return int((~np.isfinite(self.served)).sum())

    @property
    def max_difference(self) -> float:
        """The largest absolute difference (inf when a prediction is NaN or infinite)."""
        import numpy as np

        if self.n_missing:
            return float("inf")
        return float(np.abs(self.served - self.expected).max())

    def describe(self) -> str:
        n = len(self.expected)
        if self.passed:
            return f"all {n} predictions match (largest difference {self.max_difference:.1e})"
        text = (f"{self.n_changed} of {n} predictions changed, {self.n_flipped} decisions "
                f"flipped; accuracy {self.accuracy_expected:.2f} \u2192 {self.accuracy_served:.2f}")
        if self.n_missing:
            text += (f"; {self.n_missing} of them are not numbers (NaN or inf): the pipeline "
                     "returned no prediction for those songs")
        return text

    def __repr__(self) -> str:
        return f"GoldenTestResult({'passed' if self.passed else 'FAILED'}: {self.describe()})"


def golden_test(served: ArrayLike, golden: GoldenSet, *, tolerance: float = 1e-6) -> GoldenTestResult:
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

    tolerance = check_float(tolerance, "tolerance", low=0, high=1)
    expected = np.asarray(golden.expected, dtype=float)
    try:
        served = np.asarray(served, dtype=float)
    except (TypeError, ValueError):
        raise parameter_error("served", f"an array of {expected.size} probabilities", str(served),
                              fix="Pass what the pipeline's predict_proba returned.") from None
    if served.shape != expected.shape:
        raise parameter_error("served", f"one prediction per golden song, an array of shape {expected.shape}",
                              served.shape, fix="Pass the pipeline's probabilities for golden.features, in order.")
    labels = np.asarray(golden.labels)
    # NaN or inf is no prediction at all: it counts as changed, flipped and wrong. (A plain
    # ``abs(served - expected) > tolerance`` is False for NaN, which would pass the test.)
    missing = ~np.isfinite(served)
    with np.errstate(invalid="ignore"):
        changed = ~(np.abs(served - expected) <= tolerance)
        decided = served >= 0.5
    return GoldenTestResult(expected, served, tolerance, changed,
                        missing | (decided != (expected >= 0.5)),
                        float(((expected >= 0.5) == labels).mean()),
                        float(((decided == labels) & ~missing).mean()))

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"GoldenReport": GoldenTestResult})
