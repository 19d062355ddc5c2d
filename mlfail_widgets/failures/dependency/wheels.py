"""Real wheels, built with :mod:`zipfile` alone (no build backend, no network).

A wheel (PEP 427, the "binary distribution format") is a zip archive named
``{name}-{version}-{python tag}-{abi tag}-{platform tag}.whl`` holding the package's files and a
``{name}-{version}.dist-info`` folder with three files pip reads:

* ``METADATA``: name, version, summary, and one ``Requires-Dist`` line per dependency;
* ``WHEEL``: the wheel format version and the tags (``py3-none-any``: pure Python, any OS);
* ``RECORD``: every file of the archive with its sha256 (urlsafe base64, no padding) and size;
  RECORD lists itself with empty hash and size.

Entries get a fixed timestamp, so the same sources always give the same bytes and hash.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["build_wheel", "file_sha256", "wheel_name"]

_TIMESTAMP = (2024, 1, 1, 0, 0, 0)


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file as hex, as ``pip hash`` and ``--hash=sha256:`` write it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "empty"
    ...     _ = path.write_bytes(b"")
    ...     file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_name(name: str, version: str) -> str:
    """The file name of a pure-Python wheel.

    Examples
    --------
    >>> wheel_name("scalekit", "1.1.0")
    'scalekit-1.1.0-py3-none-any.whl'
    """
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def build_wheel(directory: str | Path, name: str, version: str, files: Mapping[str, str], *,
                requires: Iterable[str] = (), summary: str = "") -> Path:
    """Write a pure-Python wheel of ``files`` into ``directory`` and return its path.

    Parameters
    ----------
    directory : path
        Where the ``.whl`` is written (the wheelhouse).
    name, version : str
        The distribution's name and version.
    files : mapping
        Path inside the wheel (``"scalekit/__init__.py"``) -> text.
    requires : iterable of str
        Dependencies, one ``Requires-Dist`` line each (``"scalekit>=1.0"``).
    summary : str
        One line for the ``Summary`` field.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = build_wheel(folder, "demo", "1.0.0", {"demo/__init__.py": "x = 1\\n"},
    ...                        requires=["scalekit>=1.0"])
    ...     names = zipfile.ZipFile(path).namelist()
    ...     metadata = zipfile.ZipFile(path).read("demo-1.0.0.dist-info/METADATA").decode()
    >>> path.name, names[-1]
    ('demo-1.0.0-py3-none-any.whl', 'demo-1.0.0.dist-info/RECORD')
    >>> "Requires-Dist: scalekit>=1.0" in metadata
    True
    """
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    metadata = (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                f"Summary: {summary or name}\nRequires-Python: >=3.8\n"
                + "".join(f"Requires-Dist: {requirement}\n" for requirement in requires))
    wheel = ("Wheel-Version: 1.0\nGenerator: mlfail_widgets.failures.dependency\n"
             "Root-Is-Purelib: true\nTag: py3-none-any\n")
    entries = {**files, f"{dist_info}/METADATA": metadata, f"{dist_info}/WHEEL": wheel}
    path = Path(directory) / wheel_name(name, version)
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in entries.items():
            data = text.encode("utf-8")
            info = zipfile.ZipInfo(member, _TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            record.append(f"{member},{_record_hash(data)},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        info = zipfile.ZipInfo(f"{dist_info}/RECORD", _TIMESTAMP)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, "\n".join(record) + "\n")
    return path
