"""Container limits from cgroup v2 (or v1) files; psutil reports the host."""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CgroupLimits", "cpu_limit", "read_cgroup_limits", "stress_capacity"]

_UNLIMITED_V1 = 2**62  # v1 reports "no memory limit" as about 2**63 (page-rounded)


@dataclass(frozen=True)
class CgroupLimits:
    """CPU and memory limits of this process's container (cgroup), and its CPU accounting.

    ``cpu_quota`` is in cores (0.5: half a core) and ``memory_limit`` in bytes; either is None
    when there is no limit. ``version`` is ``"v2"``, ``"v1"`` or ``"none"`` (no cgroup files,
    e.g. macOS). ``cpu_usage_seconds`` is the CPU time used by the whole cgroup so far;
    ``periods``, ``throttled_periods`` and ``throttled_seconds`` count the scheduler periods in
    which the cgroup hit its quota.

    Examples
    --------
    >>> CgroupLimits("v2", cpu_quota=1.5, memory_limit=2**30).describe().splitlines()[0]
    'cgroup v2: CPU quota 1.5 cores, memory limit 1.07 GB'
    """

    version: str
    cpu_quota: float | None = None
    memory_limit: int | None = None
    memory_usage: int | None = None
    cpu_usage_seconds: float | None = None
    periods: int | None = None
    throttled_periods: int | None = None
    throttled_seconds: float | None = None
    paths: dict[str, str] = field(default_factory=dict)
    nested: bool = False

    @property
    def is_container(self) -> bool:
        """True when this process runs in a cgroup of its own (not the machine's root) or under a quota."""
        return self.nested or self.cpu_quota is not None or self.memory_limit is not None

    def describe(self) -> str:
        """A few lines a learner can read."""
        if self.version == "none":
            return "no cgroup found: this system has no container limits to read."
        quota = "none (all host cores)" if self.cpu_quota is None else f"{self.cpu_quota:g} cores"
        memory = "none" if self.memory_limit is None else f"{self.memory_limit / 1e9:.2f} GB"
        lines = [f"cgroup {self.version}: CPU quota {quota}, memory limit {memory}"]
        if self.periods:
            lines.append(f"throttled in {self.throttled_periods} of {self.periods} scheduler periods so far")
        return "\n".join(lines)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _ancestors(root: Path, relative: str) -> list[Path]:
    """``root/relative`` and each of its parents up to ``root`` (deepest first, existing only)."""
    parts = [p for p in relative.strip("/").split("/") if p and p != ".."]
    found = []
    for depth in range(len(parts), -1, -1):
        folder = root.joinpath(*parts[:depth])
        if folder.is_dir():
            found.append(folder)
    return found


def _stat(text: str | None) -> dict:
    values = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            values[key] = int(value)
    return values


def _read_v2(root: Path, relative: str) -> CgroupLimits:
    folders = _ancestors(root, relative)
    quotas, memories = [], []
    for folder in folders:
        cpu_max = (_read(folder / "cpu.max") or "max").split()
        if cpu_max and cpu_max[0] != "max":
            with contextlib.suppress(ValueError, IndexError, ZeroDivisionError):
                quotas.append(int(cpu_max[0]) / int(cpu_max[1] if len(cpu_max) > 1 else 100000))
        memory = _read(folder / "memory.max")
        if memory and memory != "max":
            with contextlib.suppress(ValueError):
                memories.append(int(memory))
    own = folders[0] if folders else root
    stat = _stat(_read(own / "cpu.stat"))
    usage = _read(own / "memory.current")
    return CgroupLimits(
        "v2", cpu_quota=min(quotas) if quotas else None, memory_limit=min(memories) if memories else None,
        memory_usage=int(usage) if usage and usage.isdigit() else None,
        cpu_usage_seconds=stat["usage_usec"] / 1e6 if "usage_usec" in stat else None,
        periods=stat.get("nr_periods"), throttled_periods=stat.get("nr_throttled"),
        throttled_seconds=stat["throttled_usec"] / 1e6 if "throttled_usec" in stat else None,
        paths={"cpu": str(own), "memory": str(own)}, nested=bool(relative.strip("/")))


def _v1_folders(root: Path, lines: dict, controller: str) -> list[Path]:
    """The folders of a v1 controller for this process, deepest first.

    Controllers are mounted as ``root/cpu`` or ``root/cpu,cpuacct``; inside a container the
    mount often *is* the container's cgroup, so the path from /proc/self/cgroup may not exist
    under it: then the mount's own folder is the cgroup.
    """
    for names, relative in lines.items():
        if controller not in names.split(","):
            continue
        for mount in (root / controller, root / names):
            if mount.is_dir():
                return _ancestors(mount, relative) or [mount]
    return []


def _read_v1(root: Path, lines: dict) -> CgroupLimits:
    quotas, memories, paths = [], [], {}
    cpu_folders = _v1_folders(root, lines, "cpu")
    nested = any(relative.strip("/") for names, relative in lines.items() if "cpu" in names.split(","))
    for folder in cpu_folders:
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        with contextlib.suppress(ValueError, ZeroDivisionError):
            if quota is not None and period is not None and int(quota) > 0:
                quotas.append(int(quota) / int(period))
    memory_folders = _v1_folders(root, lines, "memory")
    for folder in memory_folders:
        limit = _read(folder / "memory.limit_in_bytes")
        with contextlib.suppress(ValueError):
            if limit is not None and int(limit) < _UNLIMITED_V1:
                memories.append(int(limit))
    stat, usage_seconds, memory_usage = {}, None, None
    if cpu_folders:
        paths["cpu"] = str(cpu_folders[0])
        stat = _stat(_read(cpu_folders[0] / "cpu.stat"))
    accounting = _v1_folders(root, lines, "cpuacct")
    if accounting:
        usage = _read(accounting[0] / "cpuacct.usage")
        if usage and usage.isdigit():
            usage_seconds = int(usage) / 1e9
    if memory_folders:
        paths["memory"] = str(memory_folders[0])
        usage = _read(memory_folders[0] / "memory.usage_in_bytes")
        memory_usage = int(usage) if usage and usage.isdigit() else None
    return CgroupLimits(
        "v1", cpu_quota=min(quotas) if quotas else None, memory_limit=min(memories) if memories else None,
        memory_usage=memory_usage, cpu_usage_seconds=usage_seconds, periods=stat.get("nr_periods"),
        throttled_periods=stat.get("nr_throttled"),
        throttled_seconds=stat["throttled_time"] / 1e9 if "throttled_time" in stat else None,
        paths=paths, nested=nested)


def read_cgroup_limits(root: str | os.PathLike = "/sys/fs/cgroup",
                       proc_cgroup: str | os.PathLike = "/proc/self/cgroup") -> CgroupLimits:
    """Read this process's container limits from cgroup v2 (or v1) files.

    The limits of the process's own cgroup and of every ancestor are read and the smallest
    wins, as the kernel enforces them. On a hybrid system (v1 controllers plus a v2 tree
    holding no ``cpu`` controller) the v1 controllers are read.

    Parameters
    ----------
    root : path, default="/sys/fs/cgroup"
        Where the cgroup file systems are mounted (a fixture folder in tests).
    proc_cgroup : path, default="/proc/self/cgroup"
        The file naming this process's cgroups (``/proc/<pid>/cgroup``).

    Returns
    -------
    CgroupLimits
        ``version="none"`` when neither file exists (not Linux, or no cgroups).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     base = pathlib.Path(folder)
    ...     (base / "kubepods" / "pod1").mkdir(parents=True)
    ...     _ = (base / "kubepods" / "cpu.max").write_text("200000 100000")
    ...     _ = (base / "kubepods" / "pod1" / "cpu.max").write_text("50000 100000")
    ...     _ = (base / "kubepods" / "pod1" / "memory.max").write_text("268435456")
    ...     _ = (base / "cgroup").write_text("0::/kubepods/pod1")
    ...     limits = read_cgroup_limits(base, base / "cgroup")
    >>> limits.version, limits.cpu_quota, limits.memory_limit
    ('v2', 0.5, 268435456)
    """
    root, proc_cgroup = Path(root), Path(proc_cgroup)
    text = _read(proc_cgroup)
    if text is None or not root.is_dir():
        return CgroupLimits("none")
    lines = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            lines[parts[1]] = parts[2]
    v1 = {names: path for names, path in lines.items() if names and not names.startswith("name=")}
    unified = lines.get("")
    if unified is not None:
        v2_root = root / "unified" if (root / "unified").is_dir() and not (root / "cgroup.controllers").exists() \
            else root
        controllers = (_read(v2_root / "cgroup.controllers") or "").split()
        if not v1 or "cpu" in controllers:
            return _read_v2(v2_root, unified)
    if v1:
        return _read_v1(root, v1)
    return CgroupLimits("none")


def cpu_limit(limits: CgroupLimits | None = None) -> float:
    """The cores this process can really use: its CPU affinity, capped by the cgroup quota.

    Examples
    --------
    >>> cpu_limit(CgroupLimits("v2", cpu_quota=0.5))
    0.5
    >>> cpu_limit(CgroupLimits("none")) == len(os.sched_getaffinity(0))
    True
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limits = read_cgroup_limits() if limits is None else limits
    return float(min(cores, limits.cpu_quota)) if limits.cpu_quota else float(cores)


def stress_capacity(limits: CgroupLimits | None = None) -> int:
    """How many stress workers fit: one per core this process may use (at least one).

    Examples
    --------
    >>> stress_capacity(CgroupLimits("v2", cpu_quota=1.5))
    1
    """
    return max(1, math.floor(cpu_limit(limits) + 1e-9))
