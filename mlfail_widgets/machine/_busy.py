"""How busy the machine was during a measurement, beyond the measurement itself."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ._cgroup import cpu_limit, read_cgroup_limits

__all__ = ["BusyReading", "BusyWatch"]


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
    top: list[tuple[str, int, float]]
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

    def __init__(self) -> None:
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
        now, before = cgroup, self._cgroup
        if (now.periods is not None and before.periods is not None
                and now.throttled_periods is not None and before.throttled_periods is not None):
            periods = now.periods - before.periods
            if periods > 0:
                throttled = (now.throttled_periods - before.throttled_periods) / periods
        self.reading = BusyReading(seconds, float(sum(row[2] for row in used)), used[:20], steal_share,
                                   throttled, cpu_limit(cgroup))
        return self.reading

    def __exit__(self, *exc: object) -> None:
        if self.reading is None:
            self.stop()
