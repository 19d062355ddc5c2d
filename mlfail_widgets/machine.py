"""Facts about the machine a demo runs on: container limits, how busy it is, and shared stress slots.

Three things a real measurement must know and psutil alone does not say:

* **container limits** (:func:`read_cgroup_limits`): inside a container, ``os.cpu_count()``,
  ``os.sched_getaffinity`` and psutil report the *host's* cores and memory. The quota is in the
  cgroup files (v2: ``cpu.max``, ``memory.max``; v1: ``cpu.cfs_quota_us``,
  ``memory.limit_in_bytes``), read here for this process's cgroup and every ancestor;
* **how busy the machine is** (:class:`BusyWatch`): the CPU time other processes used during a
  measurement, the CPU steal of a virtual machine and the cgroup's throttling, summed up in one
  plain sentence when they matter;
* **stress slots shared by everyone on the machine** (:class:`StressSlots`): a count of live
  stress workers in a lock-protected file under the system temp folder, so a room of learners
  never runs more stress workers than the machine has cores. Entries of dead owners are ignored.

:class:`Lesson` is what a real demo returns about its own lesson: held or not, and why.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BusyReading",
    "BusyWatch",
    "CgroupLimits",
    "Lesson",
    "StressSlots",
    "cpu_limit",
    "read_cgroup_limits",
    "stress_capacity",
]

_UNLIMITED_V1 = 2**62  # v1 reports "no memory limit" as about 2**63 (page-rounded)


# ---------------------------------------------------------------------------------- lessons
@dataclass(frozen=True)
class Lesson:
    """Whether a real demo's lesson held on this run, and why (or why not).

    ``held`` is True or False; ``statement`` is the lesson in one sentence; ``evidence`` the
    numbers behind the verdict; ``why`` says what went against it (a busy machine, too few
    samples) when it did not hold.

    Examples
    --------
    >>> lesson = Lesson(True, "stress raises the p99", "p99 4 ms idle, 180 ms under stress")
    >>> print(lesson)
    Lesson held: stress raises the p99 (p99 4 ms idle, 180 ms under stress).
    >>> bool(lesson)
    True
    """

    held: bool
    statement: str
    evidence: str = ""
    why: str = ""

    def __bool__(self) -> bool:
        return bool(self.held)

    def __str__(self) -> str:
        head = "Lesson held" if self.held else "Lesson NOT shown by this run"
        text = f"{head}: {self.statement}" + (f" ({self.evidence})" if self.evidence else "") + "."
        return text + (f" {self.why}" if self.why else "")


# ------------------------------------------------------------------------------ cgroup limits
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
    paths: dict = field(default_factory=dict)
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
        with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
            if int(quota) > 0:
                quotas.append(int(quota) / int(period))
    memory_folders = _v1_folders(root, lines, "memory")
    for folder in memory_folders:
        limit = _read(folder / "memory.limit_in_bytes")
        with contextlib.suppress(TypeError, ValueError):
            if int(limit) < _UNLIMITED_V1:
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


# --------------------------------------------------------------------------- busy machine
@dataclass(frozen=True)
class BusyReading:
    """How busy the machine was during a measurement, beyond the measurement itself.

    ``others_cores`` is the CPU (in cores) used by processes other than this one and its
    children; ``top`` lists the busiest of them as ``(name, pid, cores)``; ``steal_share`` is the
    share of CPU time a hypervisor gave to other virtual machines; ``throttled_share`` the share
    of scheduler periods in which this container hit its CPU quota (None where not exposed).

    Examples
    --------
    >>> reading = BusyReading(2.0, 1.9, [("python", 11, 1.0), ("python", 12, 0.9)], 0.0, None, 2.0)
    >>> reading.busy
    True
    >>> print(reading.sentence())
    This machine was busy: other programs used 1.9 of its 2 cores (python 1.0, python 0.9), so every number below is slower and more spread out than on a quiet machine.
    """

    seconds: float
    others_cores: float
    top: list
    steal_share: float | None
    throttled_share: float | None
    cores: float

    @property
    def busy(self) -> bool:
        """Other programs used a quarter of the cores or more, or steal/throttling hit 10 %."""
        return (self.others_cores >= 0.25 * self.cores or (self.steal_share or 0) >= 0.10
                or (self.throttled_share or 0) >= 0.10)

    def sentence(self, adapted: str = "") -> str:
        """One plain sentence: how busy, what it does to the numbers (empty when quiet)."""
        if not self.busy:
            return ""
        causes = []
        if self.others_cores >= 0.25 * self.cores:
            names = ", ".join(f"{name} {cores:.1f}" for name, _, cores in self.top[:3] if cores >= 0.05)
            causes.append(f"other programs used {self.others_cores:.1f} of its {self.cores:g} cores"
                          + (f" ({names})" if names else ""))
        if (self.steal_share or 0) >= 0.10:
            causes.append(f"the hypervisor gave {self.steal_share:.0%} of the CPU time to other machines")
        if (self.throttled_share or 0) >= 0.10:
            causes.append(f"the container hit its CPU quota in {self.throttled_share:.0%} of periods")
        return ("This machine was busy: " + "; ".join(causes) + ", so every number below is slower and "
                "more spread out than on a quiet machine" + (f"; {adapted}" if adapted else "") + ".")


def _process_table(exclude: set[int]) -> dict:
    import psutil

    table = {}
    for process in psutil.process_iter(["pid", "name", "cpu_times"]):
        info = process.info
        if info["pid"] in exclude or info["cpu_times"] is None:
            continue
        times = info["cpu_times"]
        table[(info["pid"], info["name"])] = times.user + times.system
    return table


def _ours() -> set[int]:
    import psutil

    me = psutil.Process()
    try:
        return {me.pid, *(child.pid for child in me.children(recursive=True))}
    except psutil.Error:  # pragma: no cover - a child ended while listed
        return {me.pid}


class BusyWatch:
    """Measure how much CPU *other* processes use while a block runs.

    Reads psutil's per-process CPU times, the machine's steal time and the cgroup's throttling
    at the start and at the end; processes of this one (itself and its children, e.g. the
    servers and stress workers of a demo) are not counted as others.

    Examples
    --------
    >>> with BusyWatch() as watch:
    ...     _ = sum(range(10000))
    >>> reading = watch.reading
    >>> reading.seconds > 0 and reading.others_cores >= 0
    True
    """

    def __init__(self):
        self.reading: BusyReading | None = None

    def __enter__(self) -> BusyWatch:
        import psutil

        self._started = time.monotonic()
        self._table = _process_table(_ours())
        self._cpu = psutil.cpu_times()
        self._cgroup = read_cgroup_limits()
        return self

    def stop(self) -> BusyReading:
        """Take the second reading; returns (and stores) the :class:`BusyReading`."""
        import psutil

        seconds = max(time.monotonic() - self._started, 1e-6)
        ours = _ours()
        after = _process_table(ours)
        used = []
        for key, total in after.items():
            if key[0] in ours:
                continue
            delta = total - self._table.get(key, total)  # a process started during the block: unknown
            if delta > 0:
                used.append((key[1], key[0], delta / seconds))
        used.sort(key=lambda row: -row[2])
        cpu = psutil.cpu_times()
        total_delta = sum(cpu) - sum(self._cpu)
        steal = getattr(cpu, "steal", None)
        steal_share = None
        if steal is not None and total_delta > 0:
            steal_share = max(0.0, (steal - self._cpu.steal) / total_delta)
        cgroup = read_cgroup_limits()
        throttled = None
        if cgroup.periods is not None and self._cgroup.periods is not None:
            periods = cgroup.periods - self._cgroup.periods
            if periods > 0:
                throttled = (cgroup.throttled_periods - self._cgroup.throttled_periods) / periods
        self.reading = BusyReading(seconds, float(sum(row[2] for row in used)), used[:20], steal_share,
                                   throttled, cpu_limit(cgroup))
        return self.reading

    def __exit__(self, *exc) -> None:
        if self.reading is None:
            self.stop()


# ---------------------------------------------------------------------------- stress slots
def _alive(pid: int, started: float | None) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.Error:
        return False


class StressSlots:
    """Stress workers shared by everyone on the machine: at most one per core, across learners.

    Each holder's entry (its pid, start time, worker count and an end time) lives in a JSON
    file under the system temp folder, read and written under an exclusive ``flock``. Entries
    whose owner process is dead, or whose end time has passed (the workers stop by themselves),
    are ignored and dropped, so a killed kernel never holds slots.

    Parameters
    ----------
    capacity : int, optional
        Workers allowed at once machine-wide (default :func:`stress_capacity`).
    folder : path, optional
        Where the file lives (default: the system temp folder).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     slots = StressSlots(capacity=2, folder=folder)
    ...     first = slots.acquire(2, seconds=5, wait=0)
    ...     second = slots.acquire(1, seconds=5, wait=0)
    ...     slots.release(first)
    ...     third = slots.acquire(1, seconds=5, wait=0)
    >>> first.workers, second.workers, third.workers
    (2, 0, 1)
    """

    FILE = "mlfail-stress-slots.json"

    def __init__(self, capacity: int | None = None, folder: str | os.PathLike | None = None):
        self.capacity = stress_capacity() if capacity is None else int(capacity)
        self.folder = Path(folder or tempfile.gettempdir())
        self.path = self.folder / self.FILE

    @contextlib.contextmanager
    def _locked(self):
        import fcntl

        lock_path = self.folder / (self.FILE + ".lock")
        with open(lock_path, "a+") as lock:
            with contextlib.suppress(OSError):
                os.chmod(lock_path, 0o666)  # shared by every user of the machine
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    entries = json.loads(self.path.read_text() or "[]")
                    if not isinstance(entries, list):
                        entries = []
                except (OSError, ValueError):
                    entries = []
                now = time.time()
                live = [e for e in entries if isinstance(e, dict) and e.get("until", 0) > now
                        and _alive(int(e.get("pid", -1)), e.get("started"))]
                yield live
                temporary = self.path.with_name(f"{self.FILE}.{os.getpid()}.tmp")
                temporary.write_text(json.dumps(live))
                with contextlib.suppress(OSError):
                    os.chmod(temporary, 0o666)
                os.replace(temporary, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def in_use(self) -> int:
        """Workers held right now by live owners (all learners on this machine)."""
        with self._locked() as live:
            return sum(int(e["workers"]) for e in live)

    def wait_quiet(self, timeout: float = 10.0) -> float:
        """Wait until no stress worker of anyone runs (at most ``timeout`` s); the seconds waited.

        An "idle" measurement is only idle when other learners' stress is not running.
        """
        began = time.monotonic()
        while self.in_use() and time.monotonic() - began < timeout:
            time.sleep(0.1)
        return time.monotonic() - began

    def acquire(self, workers: int, seconds: float, *, wait: float = 30.0) -> SlotGrant:
        """Reserve up to ``workers`` slots for ``seconds``; wait up to ``wait`` s for all of them.

        Returns a :class:`SlotGrant` with the number granted (possibly fewer, or 0 when none was
        free in time) and a sentence for the learner when they had to wait or shrink.
        """
        import psutil

        began = time.monotonic()
        me = psutil.Process()
        while True:
            with self._locked() as live:
                used = sum(int(e["workers"]) for e in live)
                free = max(0, self.capacity - used)
                waited = time.monotonic() - began
                if free >= workers or waited >= wait:
                    granted = min(free, workers)
                    token = f"{me.pid}-{time.monotonic_ns()}"
                    if granted:
                        live.append({"pid": me.pid, "started": me.create_time(), "workers": granted,
                                     "until": time.time() + seconds + 5, "token": token})
                    break
            time.sleep(0.2)
        message = ""
        if granted < workers or waited >= 0.5:
            message = (f"Other learners on this machine were running {used} stress worker(s) of the "
                       f"{self.capacity} it allows (one per core)")
            message += f"; waited {waited:.1f} s" if waited >= 0.5 else ""
            message += (f"; running {granted} worker(s) instead of {workers}." if granted < workers
                        else f"; running all {workers}.")
        return SlotGrant(granted, token, waited, message)

    def release(self, grant: SlotGrant) -> None:
        """Give the slots of ``grant`` back (nothing happens if it holds none)."""
        if not grant.workers:
            return
        with self._locked() as live:
            live[:] = [e for e in live if e.get("token") != grant.token]


@dataclass(frozen=True)
class SlotGrant:
    """Slots granted by :meth:`StressSlots.acquire`: how many, and what the learner is told."""

    workers: int
    token: str
    waited: float
    message: str = ""
