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

from ._busy import BusyReading, BusyWatch
from ._cgroup import CgroupLimits, cpu_limit, read_cgroup_limits, stress_capacity
from ._lesson import Lesson
from ._slots import SLOT_WAIT, SlotGrant, StressSlots

__all__ = [
    "SLOT_WAIT",
    "BusyReading",
    "BusyWatch",
    "CgroupLimits",
    "Lesson",
    "SlotGrant",
    "StressSlots",
    "cpu_limit",
    "read_cgroup_limits",
    "stress_capacity",
]
