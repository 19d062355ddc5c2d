"""A file-based model registry: versions with metadata, and an atomic production pointer.

Layout of a registry folder::

    root/
      versions/v1/model.pkl        the pickled model
      versions/v1/metadata.json    version, sha256, training-data fingerprint, metrics, ...
      production.json              the pointer: which version production serves
      promotions.log               one JSON line per promotion (who replaced what, when)

Every file is written with :func:`~mlfail_widgets.failures.deployment.files.atomic_write`,
so a crash at any moment leaves either the old file or the new one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import platform
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._tempdirs import remove_stale_files
from ..._validation import argument_helper, check_int, parameter_error
from .checks import check_code_version, code_version_of, predictions, running_code_version, smoke_check
from .errors import CorruptFileError, DeploymentError, IntegrityError, UnsafePickleError
from .files import atomic_write, fingerprint, sha256_bytes
from .safe_pickle import restricted_loads

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

    from .checks import Predictor

__all__ = ["LoadedModel", "ModelRegistry", "ModelVersion", "Promotion", "TornLogWarning"]


class TornLogWarning(UserWarning):
    """A line of ``promotions.log`` could not be read (a promotion killed mid-write); skipped."""

POINTER = "production.json"
LOG = "promotions.log"
SMOKE_ROWS = 8


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _libraries() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "mlfail_widgets"):
        module = sys.modules.get(name)
        if module is not None:
            found[name] = getattr(module, "__version__", "unknown")
    return found


@dataclass(frozen=True)
class ModelVersion:
    """The metadata of one registered version (the ``metadata.json`` beside its pickle)."""

    version: int
    sha256: str
    size: int
    created_at: str
    code_version: str
    data_fingerprint: str | None
    metrics: dict = field(default_factory=dict)
    libraries: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    smoke_inputs: list = field(default_factory=list)
    smoke_outputs: list = field(default_factory=list)
    path: str = ""

    @property
    def short_sha(self) -> str:
        return self.sha256[:10]

    def describe(self) -> dict:
        """The metadata worth reading, without the recorded smoke inputs and outputs."""
        return {"version": self.version, "sha256": self.sha256, "size (bytes)": self.size,
                "created at": self.created_at, "code version": self.code_version,
                "training-data fingerprint": self.data_fingerprint, "metrics": self.metrics,
                "libraries": self.libraries, "tags": self.tags,
                "smoke test": f"{len(self.smoke_outputs)} recorded predictions"}


@dataclass(frozen=True)
class Promotion:
    """The production pointer: which version is in production, and which one it replaced."""

    version: int
    sha256: str
    promoted_at: str
    previous: int | None = None
    reason: str = ""


@dataclass
class LoadedModel:
    """A model loaded from the registry, with the version and the sha256 of the bytes read."""

    model: Any
    version: int
    sha256: str
    path: Path
    checks: list[str] = field(default_factory=list)

    def predict(self, X: ArrayLike) -> ArrayLike:
        return self.model.predict(X)


class ModelRegistry:
    """A folder of model versions with metadata and an atomically updated production pointer.

    Parameters
    ----------
    root : path-like
        The registry folder. It must exist, unless ``create=True``.
    create : bool, default=False
        Create ``root`` (and its parents) when it does not exist.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from mlfail_widgets.models import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] > 0).astype(int)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     registry = ModelRegistry(folder)
    ...     first = registry.register(LogisticRegression().fit(X, y), training_data=(X, y))
    ...     _ = registry.promote(first.version)
    ...     loaded = registry.load()
    ...     loaded.version, loaded.sha256 == first.sha256, loaded.model.score(X, y) > 0.95
    (1, True, True)
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = False) -> None:
        if not isinstance(root, (str, os.PathLike)) or not str(root).strip():
            raise parameter_error("root", "a folder path (str or pathlib.Path)", root,
                                  fix="For example ModelRegistry(sandbox.path / 'registry', create=True).")
        path = Path(root).expanduser()
        if create and not path.exists():
            path.mkdir(parents=True)
            os.chmod(path, 0o755)  # whatever the umask: the service user must traverse it
        if not path.is_dir():
            raise parameter_error(
                "root", "an existing folder", str(root),
                fix="Create it first (pathlib.Path(root).mkdir(parents=True)) or pass create=True.")
        self.root = path
        if not (self.root / "versions").is_dir():
            (self.root / "versions").mkdir()
            os.chmod(self.root / "versions", 0o755)
        self.removed_stale = self._remove_stale()

    def _remove_stale(self) -> list[Path]:
        """Remove the ``.<file>.<pid>.<hex>.tmp`` files of writes whose process was killed.

        An atomic write killed before its rename leaves its temporary file beside the target
        (the target itself is intact). Files of live processes are left alone.
        """
        removed = remove_stale_files(self.root)
        for folder in (self.root / "versions").glob("v*"):
            if folder.is_dir():
                removed += remove_stale_files(folder)
        return removed

    def __repr__(self) -> str:
        return f"ModelRegistry({str(self.root)!r}, versions={self.versions})"

    # ------------------------------------------------------------------ versions
    @property
    def versions(self) -> list[int]:
        """The registered versions (a version counts once its metadata file exists)."""
        found = []
        for folder in (self.root / "versions").glob("v*"):
            if folder.name[1:].isascii() and folder.name[1:].isdigit() and (folder / "metadata.json").is_file():
                found.append(int(folder.name[1:]))
        return sorted(found)

    @argument_helper
    def check_version(self, version: Any) -> int:
        """``version`` as a registered version number (``"v3"`` and ``3`` work); a clear error if not."""
        if isinstance(version, str):
            digits = version.strip().lower().removeprefix("v")
            if digits.isascii() and digits.isdigit():
                version = int(digits)
        known = self.versions
        if not known:
            raise parameter_error("version", "a registered version", version,
                                  fix="The registry is empty: register a model first.")
        listed = ", ".join(map(str, known))
        number = check_int(version, "version", low=1, fix=f"Registered versions: {listed}.")
        if number not in known:
            raise parameter_error("version", f"a registered version ({listed})", version,
                                  fix="Register the model first, or pick a registered version.")
        return number

    def _folder(self, version: int) -> Path:
        return self.root / "versions" / f"v{version}"

    def model_path(self, version: int | str) -> Path:
        """Where version ``version``'s pickle lives."""
        return self._folder(self.check_version(version)) / "model.pkl"

    def metadata(self, version: int | str) -> ModelVersion:
        """The metadata of ``version`` (``"v3"`` and ``3`` both work)."""
        number = self.check_version(version)
        path = self._folder(number) / "metadata.json"
        try:
            return ModelVersion(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
            raise CorruptFileError(
                f"The metadata of version {number} ({path}) is unreadable ({error}). Without it the "
                "model cannot be verified: re-register the model from its training run.") from error

    def register(self, model: Predictor, *, training_data: tuple | None = None, metrics: dict | None = None,
                 tags: dict | None = None, smoke_inputs: ArrayLike | None = None, file_mode: int = 0o644) -> ModelVersion:
        """Pickle ``model`` as the next version, with its metadata beside it.

        Parameters
        ----------
        model : object
            A fitted model with ``predict`` (and ideally ``predict_proba``).
        training_data : tuple of arrays, optional
            ``(X, y)`` it was trained on; recorded as a fingerprint (sha256), not stored.
        metrics : dict, optional
            Evaluation numbers to record (``{"accuracy": 0.93}``).
        tags : dict, optional
            Anything else worth recording (``{"week": 3}``).
        smoke_inputs : array, optional
            A few rows whose predictions are recorded now and re-checked at every load. By
            default the first 8 rows of the training data.
        file_mode : int, default=0o644
            Permission bits of the pickle (readable by the serving user).
        """

        if not callable(getattr(model, "predict", None)):
            raise parameter_error("model", "a fitted model with a predict "
                                  "method", model, fix="Fit the model before registering it.")
        if training_data is not None and (not isinstance(training_data, (tuple, list)) or len(training_data) < 1):
            raise parameter_error("training_data", "a tuple (X, y) of the training arrays",
                                  training_data, fix="Pass training_data=(X, y).")
        for name, value in (("metrics", metrics), ("tags", tags)):
            if value is not None and not isinstance(value, dict):
                raise parameter_error(name, "a dict such as {'accuracy': 0.93}", value)
        if smoke_inputs is None and training_data is not None:
            smoke_inputs = _rows(training_data[0], "training_data")[:SMOKE_ROWS]
        smoke = [] if smoke_inputs is None else _rows(smoke_inputs, "smoke_inputs").tolist()
        outputs = predictions(model, smoke).tolist() if smoke else []
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        number = max([*self.versions, 0]) + 1
        while True:  # claim the folder; os.mkdir fails if another process took the number
            try:
                self._folder(number).mkdir(mode=0o755)
                break
            except FileExistsError:
                number += 1
        os.chmod(self._folder(number), 0o755)
        atomic_write(self._folder(number) / "model.pkl", data, mode=file_mode)
        metadata = ModelVersion(
            version=number, sha256=sha256_bytes(data), size=len(data), created_at=_now(),
            code_version=code_version_of(type(model)),
            data_fingerprint=None if training_data is None else fingerprint(*training_data),
            metrics=dict(metrics or {}), libraries=_libraries(), tags=dict(tags or {}),
            smoke_inputs=smoke, smoke_outputs=outputs, path=str(self._folder(number) / "model.pkl"))
        atomic_write(self._folder(number) / "metadata.json",
                     json.dumps(asdict(metadata), indent=1).encode())
        return metadata

    # ------------------------------------------------------------------ production pointer
    def production(self) -> Promotion | None:
        """The production pointer, or None before the first promotion."""
        path = self.root / POINTER
        if not path.exists():
            return None
        try:
            return Promotion(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
            raise CorruptFileError(
                f"The production pointer {path} is broken ({type(error).__name__}: {error}); a "
                "promotion was interrupted while writing it in place. Promote a version again "
                "(registry.promote(N)); promotions with write-then-rename cannot leave it so."
            ) from error

    def promote(self, version: int | str, *, reason: str = "",
                on_stage: Callable[[str], None] | None = None) -> Promotion:
        """Point production at ``version``, atomically (write a temporary file, then rename).

        ``on_stage`` is for fault injection (see :func:`atomic_write`).
        """
        number = self.check_version(version)
        try:
            current = self.production()
        except CorruptFileError:
            current = None
        if current is None:
            previous = None
        elif current.version == number:  # a retried deploy: keep the version it replaced
            previous = current.previous
        else:
            previous = current.version
        pointer = Promotion(version=number, sha256=self.metadata(number).sha256,
                            promoted_at=_now(), previous=previous, reason=reason)
        atomic_write(self.root / POINTER, json.dumps(asdict(pointer)).encode(), on_stage=on_stage)
        self._append_log(asdict(pointer))
        return pointer

    def _append_log(self, record: dict) -> None:
        """Append one JSON line to ``promotions.log`` with one ``write`` (O_APPEND), fsynced.

        A process killed mid-write can still leave a torn last line (no newline): the next
        append first ends it, so the new record is never glued to it, and :meth:`history`
        skips it with a warning.
        """
        line = (json.dumps(record) + "\n").encode()
        fd = os.open(self.root / LOG, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def rollback(self, *, reason: str = "rollback") -> Promotion:
        """One step back: point production at the version it replaced (twice returns)."""
        current = self.production()
        if current is None or current.previous is None:
            raise DeploymentError("There is no previous production version to roll back to: "
                                  "promote a version first (registry.promote(N)).")
        return self.promote(current.previous, reason=reason)

    def history(self) -> list[Promotion]:
        """Every promotion so far, oldest first.

        A line that does not parse (a promotion killed while writing it) is skipped with a
        :class:`TornLogWarning` naming the line.
        """
        path = self.root / LOG
        if not path.exists():
            return []
        found = []
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                found.append(Promotion(**json.loads(line)))
            except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
                warnings.warn(
                    f"{path}, line {number}, is torn or unreadable ({line[:40]!r}): a promotion "
                    "was interrupted while writing it. Skipped; the production pointer is "
                    "unaffected (it is written atomically).", TornLogWarning, stacklevel=2)
        return found

    def version_at(self, path: str | os.PathLike[str]) -> int:
        """The version whose pickle is ``path`` (what a service that cached a path serves)."""
        folder = Path(path).parent.name
        if not (folder.startswith("v") and folder[1:].isdigit()):
            raise parameter_error("path", "a model.pkl inside the "
                                  "registry's versions/ folder", str(path))
        return int(folder[1:])

    # ------------------------------------------------------------------ loading
    def load(self, version: int | str | None = None, *, verify_hash: bool = True, restricted: bool = True,
             allowed: Iterable[tuple[str, str]] | None = None, check_code: bool = True,
             smoke_test: bool = True) -> LoadedModel:
        """Load a version (production by default) with every check a deployment should make.

        In order: the bytes' sha256 against the registry (:class:`IntegrityError`); the code
        version it was saved with against the one running (:class:`CodeVersionError`); a
        restricted unpickler (:class:`UnsafePickleError`); a smoke prediction on the recorded
        inputs (:class:`SmokeTestError`). A truncated or corrupt file that gets past the hash
        check raises :class:`CorruptFileError`. A file the process may not read raises the
        operating system's own :class:`PermissionError`.
        """
        if version is None:
            pointer = self.production()
            if pointer is None:
                raise DeploymentError("Nothing is in production yet: promote a version first "
                                      "(registry.promote(N)) or pass the version to load.")
            version = pointer.version
        metadata = self.metadata(version)
        path = self._folder(metadata.version) / "model.pkl"
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise CorruptFileError(f"The model file of version {metadata.version} is missing ({path}). "
                                   "Roll back, or re-register the model from its training run.") from error
        digest = sha256_bytes(data)
        checks = []
        if verify_hash:
            if digest != metadata.sha256:
                raise IntegrityError(
                    f"The model file of version {metadata.version} ({path}, {len(data)} bytes) has "
                    f"sha256 {digest[:12]}..., but the registry recorded {metadata.sha256[:12]}... "
                    f"({metadata.size} bytes): it was changed, truncated or replaced after "
                    "registration. It was not unpickled. Roll back to a version whose file is "
                    "intact, or re-register the model from its training run.")
            checks.append(f"sha256 matches the registry ({digest[:10]})")
        if check_code:
            checks.append(check_code_version(metadata.code_version, running_code_version(metadata.code_version)))
        model = _unpickle(data, path, restricted, allowed)
        if restricted:
            checks.append("loaded with the restricted unpickler")
        if smoke_test and metadata.smoke_inputs:
            checks.append(smoke_check(model, metadata.smoke_inputs, metadata.smoke_outputs))
        return LoadedModel(model, metadata.version, digest, path, checks)


def _rows(value: ArrayLike, name: str) -> np.ndarray:
    """``value`` as a 2-D float array of finite numbers with at least one row; a clear error if not."""
    import numpy as np

    expected = "rows of numbers (a 2-D array, one row per example)"
    try:
        rows = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise parameter_error(name, expected, value,
                              fix="Pass the feature matrix X (or a few of its rows), not labels or text.") from None
    if rows.ndim != 2 or rows.shape[0] == 0 or not np.isfinite(rows).all():
        raise parameter_error(name, expected + " with no NaN or inf", value,
                              fix="Pass X[:8], a few finite rows of the feature matrix.")
    return rows


def _unpickle(data: bytes, path: Path, restricted: bool,
              allowed: Iterable[tuple[str, str]] | None) -> Any:
    try:
        return restricted_loads(data, allowed) if restricted else pickle.loads(data)
    except UnsafePickleError:
        raise
    except Exception as error:  # EOFError, UnpicklingError, ValueError, ... from a bad file
        raise CorruptFileError(
            f"The model file {path} ({len(data)} bytes) could not be unpickled: "
            f"{type(error).__name__}: {error}. It is truncated or corrupt. Roll back to the "
            "previous version, or re-register the model from its training run.") from error


