"""Machine facts: cgroup limits (fixture folders for v2, v1 and a hybrid, and a real v1 cgroup where
root can make one), the busy-machine reading, and the machine-wide stress slots."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from mlfail_widgets.machine import (
    BusyReading,
    BusyWatch,
    CgroupLimits,
    Lesson,
    StressSlots,
    cpu_limit,
    read_cgroup_limits,
    stress_capacity,
)


def write(base: Path, relative: str, text: str) -> None:
    path = base / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ------------------------------------------------------------------------------ cgroup files
def test_v2_limits_take_the_smallest_of_the_cgroup_and_its_ancestors(tmp_path):
    write(tmp_path, "cgroup.controllers", "cpuset cpu io memory pids")
    write(tmp_path, "kubepods/cpu.max", "150000 100000")
    write(tmp_path, "kubepods/memory.max", "1073741824")
    write(tmp_path, "kubepods/pod7/cpu.max", "max 100000")
    write(tmp_path, "kubepods/pod7/memory.max", "max")
    write(tmp_path, "kubepods/pod7/memory.current", "52428800")
    write(tmp_path, "kubepods/pod7/cpu.stat",
          "usage_usec 2500000\nnr_periods 40\nnr_throttled 10\nthrottled_usec 300000\n")
    write(tmp_path, "proc", "0::/kubepods/pod7\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert limits.version == "v2"
    assert limits.cpu_quota == pytest.approx(1.5)  # the parent's quota binds
    assert limits.memory_limit == 2**30
    assert limits.memory_usage == 50 * 2**20
    assert limits.cpu_usage_seconds == pytest.approx(2.5)
    assert (limits.periods, limits.throttled_periods) == (40, 10)
    assert limits.throttled_seconds == pytest.approx(0.3)
    assert stress_capacity(limits) == 1 and cpu_limit(limits) == pytest.approx(min(1.5, os.cpu_count()))


def test_v2_without_limits_reports_none(tmp_path):
    write(tmp_path, "cgroup.controllers", "cpu memory")
    write(tmp_path, "user.slice/cpu.max", "max 100000")
    write(tmp_path, "user.slice/memory.max", "max")
    write(tmp_path, "proc", "0::/user.slice\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert (limits.version, limits.cpu_quota, limits.memory_limit) == ("v2", None, None)
    assert "none (all host cores)" in limits.describe()


def test_v1_limits_with_a_container_namespaced_mount(tmp_path):
    # Docker on cgroup v1: the mounts are the container's own cgroup; the path is not under them.
    write(tmp_path, "cpu,cpuacct/cpu.cfs_quota_us", "50000")
    write(tmp_path, "cpu,cpuacct/cpu.cfs_period_us", "100000")
    write(tmp_path, "cpu,cpuacct/cpu.stat", "nr_periods 100\nnr_throttled 50\nthrottled_time 2000000000\n")
    write(tmp_path, "cpu,cpuacct/cpuacct.usage", "7000000000")
    write(tmp_path, "memory/memory.limit_in_bytes", "268435456")
    write(tmp_path, "memory/memory.usage_in_bytes", "1048576")
    write(tmp_path, "proc", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert limits.version == "v1"
    assert limits.cpu_quota == pytest.approx(0.5) and limits.memory_limit == 256 * 2**20
    assert limits.cpu_usage_seconds == pytest.approx(7.0) and limits.throttled_seconds == pytest.approx(2.0)
    assert stress_capacity(limits) == 1
    assert "throttled in 50 of 100" in limits.describe()


def test_v1_unlimited_and_hybrid_with_a_v2_tree_without_cpu(tmp_path):
    # This machine's layout: v1 controllers plus /sys/fs/cgroup/unified holding only hugetlb.
    write(tmp_path, "cpu/cpu.cfs_quota_us", "-1")
    write(tmp_path, "cpu/cpu.cfs_period_us", "100000")
    write(tmp_path, "memory/a/memory.limit_in_bytes", str(9223372036854771712))
    write(tmp_path, "unified/cgroup.controllers", "hugetlb")
    write(tmp_path, "proc", "4:memory:/a\n1:cpu:/\n0::/\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert (limits.version, limits.cpu_quota, limits.memory_limit) == ("v1", None, None)


def test_no_cgroup_files_and_garbage_are_not_errors(tmp_path):
    assert read_cgroup_limits(tmp_path / "missing", tmp_path / "missing").version == "none"
    write(tmp_path, "cgroup.controllers", "cpu")
    write(tmp_path, "x/cpu.max", "garbage here")
    write(tmp_path, "x/memory.max", "lots")
    write(tmp_path, "proc", "0::/x\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert (limits.version, limits.cpu_quota, limits.memory_limit) == ("v2", None, None)


def test_this_machine_reads_without_error():
    limits = read_cgroup_limits()
    assert limits.version in ("v1", "v2", "none")
    assert 0 < cpu_limit(limits) <= (os.cpu_count() or 1)


def _v1_cgroup_reason() -> str:
    if os.geteuid() != 0:
        return "not root, so no cgroup can be created"
    if not os.path.isfile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):
        return ("this machine has no cgroup v1 cpu controller at /sys/fs/cgroup/cpu; its cgroup v2 "
                "tree cannot be tested here without delegating the cpu controller")
    return ""


REAL_CGROUP = _v1_cgroup_reason()


@pytest.mark.skipif(bool(REAL_CGROUP) and os.environ.get("CI") != "true", reason=REAL_CGROUP)
def test_a_real_v1_cgroup_with_half_a_core_and_256_mib():
    """Root makes a real cgroup (v1 here: this machine cannot give a v2 child cpu.max) and a child
    process in it reads its own limits."""
    if REAL_CGROUP:
        pytest.skip(f"CI=true, but this machine cannot create a cgroup: {REAL_CGROUP}")
    memory_parent = next(line.split(":", 2)[2] for line in Path("/proc/self/cgroup").read_text().splitlines()
                         if line.split(":")[1] == "memory")
    name = f"mlfail-test-{uuid.uuid4().hex[:8]}"
    cpu = Path("/sys/fs/cgroup/cpu") / name
    memory = Path("/sys/fs/cgroup/memory" + memory_parent.rstrip("/")) / name
    cpu.mkdir()
    try:
        memory.mkdir()
        (cpu / "cpu.cfs_period_us").write_text("100000")
        (cpu / "cpu.cfs_quota_us").write_text("50000")
        (memory / "memory.limit_in_bytes").write_text(str(256 * 2**20))
        code = ("import json, sys; from mlfail_widgets.machine import read_cgroup_limits, stress_capacity;"
                "l = read_cgroup_limits(); print(json.dumps([l.version, l.cpu_quota, l.memory_limit,"
                " stress_capacity(l)]))")
        script = f'echo $$ > {cpu}/cgroup.procs; echo $$ > {memory}/cgroup.procs; exec "$@"'
        out = subprocess.run(["sh", "-c", script, "_", sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=60, check=True).stdout
        assert json.loads(out) == ["v1", 0.5, 256 * 2**20, 1]
    finally:
        for folder in (cpu, memory):
            deadline = time.monotonic() + 5
            while folder.exists() and time.monotonic() < deadline:
                try:
                    folder.rmdir()
                except OSError:  # its last process is still being reaped
                    time.sleep(0.05)
        assert not cpu.exists() and not memory.exists()


# ------------------------------------------------------------------------------ busy machine
def test_busy_watch_counts_a_busy_neighbour_and_not_its_own_children():
    # the neighbour is a grandchild whose parent exits: re-parented, so not one of ours
    loop = "import time\nend = time.time() + 20\nwhile time.time() < end: pass"
    spawn = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
             "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL); "
             "print(p.pid)")
    neighbour = int(subprocess.run([sys.executable, "-c", spawn, loop], capture_output=True, text=True,
                                   check=True).stdout)
    own = subprocess.Popen([sys.executable, "-c", loop])
    try:
        time.sleep(0.2)
        with BusyWatch() as watch:
            time.sleep(1.5)
        reading = watch.reading
        pids = {pid: cores for _, pid, cores in reading.top}
        assert reading.seconds >= 1.5
        assert pids.get(neighbour, 0) > 0.05 and reading.others_cores >= pids[neighbour]
        assert own.pid not in pids  # this process's own children are the demo, not "others"
    finally:
        psutil.Process(neighbour).kill()
        own.kill()
        own.wait()


def test_busy_sentence_is_one_plain_sentence_only_when_busy():
    quiet = BusyReading(1.0, 0.1, [("python", 1, 0.1)], 0.0, None, 2.0)
    assert not quiet.busy and quiet.sentence() == ""
    stolen = BusyReading(1.0, 0.0, [], 0.3, None, 2.0)
    assert stolen.busy and "30% of the CPU time" in stolen.sentence()
    throttled = BusyReading(1.0, 0.0, [], None, 0.5, 0.5)
    text = throttled.sentence("the measurement ran 3 more rounds")
    assert "CPU quota in 50% of periods" in text and text.endswith("3 more rounds.") and text.count(".") == 1


def test_lesson_reads_as_a_sentence():
    assert str(Lesson(False, "x", "y", "Because z.")) == "Lesson NOT shown by this run: x (y). Because z."
    assert not Lesson(False, "x")


# ------------------------------------------------------------------------------ stress slots
def test_slots_never_exceed_capacity_and_dead_owners_are_ignored(tmp_path):
    slots = StressSlots(capacity=2, folder=tmp_path)
    # a dead owner's entry (a killed kernel) and an expired one hold nothing
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    entries = [{"pid": dead.pid, "started": None, "workers": 2, "until": time.time() + 60, "token": "dead"},
               {"pid": os.getpid(), "started": None, "workers": 2, "until": time.time() - 1, "token": "old"}]
    (tmp_path / StressSlots.FILE).write_text(json.dumps(entries))
    assert slots.in_use() == 0
    first = slots.acquire(2, seconds=5, wait=0)
    assert first.workers == 2 and first.message == ""
    started = time.monotonic()
    second = slots.acquire(1, seconds=5, wait=0.5)
    assert second.workers == 0 and time.monotonic() - started >= 0.5
    assert "running 0 worker(s) instead of 1" in second.message and "waited" in second.message and "held this machine" in second.message
    slots.release(first)
    assert slots.in_use() == 0
    third = slots.acquire(3, seconds=5, wait=0)
    assert third.workers == 2 and "running 2 worker(s) instead of 3" in third.message


def test_slots_are_shared_between_processes(tmp_path):
    code = (f"import time; from mlfail_widgets.machine import StressSlots; s = StressSlots(2, {str(tmp_path)!r});"
            "g = s.acquire(2, seconds=30, wait=0); print(g.workers, flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "2"
        slots = StressSlots(capacity=2, folder=tmp_path)
        assert slots.in_use() == 2 and slots.acquire(1, seconds=5, wait=0).workers == 0
        holder.kill()  # SIGKILL: the holder never releases; its entry is ignored
        holder.wait()
        assert slots.in_use() == 0 and slots.acquire(1, seconds=5, wait=0).workers == 1
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_corrupt_slots_file_is_treated_as_empty(tmp_path):
    (tmp_path / StressSlots.FILE).write_text("{not json")
    assert StressSlots(capacity=1, folder=tmp_path).acquire(1, seconds=1, wait=0).workers == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_cgroup_limits_describe_without_cgroups():
    assert "no cgroup" in CgroupLimits("none").describe()
    assert shutil.which("sh")


def test_a_container_is_recognised_and_the_sampler_draws_its_own_cpu(tmp_path, monkeypatch):
    from mlfail_widgets import machine
    from mlfail_widgets.failures.hardware import ResourceSampler
    from mlfail_widgets.plots import monitor

    write(tmp_path, "cgroup.controllers", "cpu memory")
    write(tmp_path, "pod/cpu.max", "100000 100000")
    write(tmp_path, "pod/cpu.stat", "usage_usec 1000000\nnr_periods 0\nnr_throttled 0\n")
    write(tmp_path, "proc", "0::/pod\n")
    limits = read_cgroup_limits(tmp_path, tmp_path / "proc")
    assert limits.is_container and not CgroupLimits("v1").is_container
    # the sampler reads the (fixture) container: one CPU-second used per wall second = 1 core
    started = time.monotonic()
    clock = {"usage": 1.0}

    def fake_limits(*args, **kwargs):
        clock["usage"] = 1.0 + (time.monotonic() - started)
        write(tmp_path, "pod/cpu.stat", f"usage_usec {int(clock['usage'] * 1e6)}\n")
        return read_cgroup_limits(tmp_path, tmp_path / "proc")

    monkeypatch.setattr(machine, "read_cgroup_limits", fake_limits)
    with ResourceSampler(interval=0.1, duration=0.45) as sampler:
        sampler.join(timeout=5)
    samples = sampler.samples
    assert "container_cpu_percent" in samples.columns
    expected = 100.0 / sampler.cores  # one core of the machine's cores
    assert samples["container_cpu_percent"].median() == pytest.approx(expected, rel=0.25)
    drawn = monitor.draw(samples)
    line = drawn.artists["container_cpu"]
    assert line.get_label() == "this container (% of machine)" and len(line.get_xdata()) == len(samples)


def test_doctor_reports_the_container_quota():
    from mlfail_widgets.doctor import _container, environment_report, format_report

    half = _container(CgroupLimits("v2", cpu_quota=0.5, memory_limit=256 * 2**20))
    assert not half.ok and "CPU quota 0.5 cores, memory limit 0.27 GB" in half.detail
    assert "at most 1 stress worker(s)" in half.detail and "1 CPU per user" in half.advice
    two = _container(CgroupLimits("v1", cpu_quota=2.0))
    assert two.ok and "CPU quota 2 cores" in two.detail
    text = format_report(environment_report())
    assert "container limits (cgroup)" in text and read_cgroup_limits().version in text + "none"


def test_quiet_lease_waits_for_stress_then_keeps_new_stress_out(tmp_path):
    slots = StressSlots(capacity=2, folder=tmp_path)
    grant = slots.acquire(1, seconds=0.4, wait=0)  # expires 5.4 s after: released by hand below
    with slots.quiet(seconds=5, wait=0.3) as waited:  # gives up waiting after 0.3 s
        assert waited >= 0.3
    slots.release(grant)
    with slots.quiet(seconds=5, wait=5) as waited:
        assert waited < 0.2
        # another learner (its own process) asks for stress while the idle measurement runs: nothing now ...
        other = subprocess.run([sys.executable, "-c", (
            "import sys; from mlfail_widgets.machine import StressSlots; "
            f"print(StressSlots(capacity=2, folder={str(tmp_path)!r}).acquire(2, seconds=5, wait=0).workers)")],
            capture_output=True, text=True, timeout=60)
        assert other.stdout.strip() == "0", other.stderr
        # ... and a learner who waits gets the slots as soon as the lease ends
        late = subprocess.Popen([sys.executable, "-c", (
            "import time; from mlfail_widgets.machine import StressSlots; t = time.monotonic(); "
            f"g = StressSlots(capacity=2, folder={str(tmp_path)!r}).acquire(2, seconds=5, wait=30); "
            "print(g.workers, round(time.monotonic() - t, 1), g.message)")], stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)
    workers, seconds, message = late.communicate(timeout=60)[0].split(" ", 2)
    assert workers == "2" and 1.0 <= float(seconds) < 10 and "idle measurements" in message
    # a lease is given back on error too, and a dead owner's lease is ignored
    with pytest.raises(RuntimeError), slots.quiet(seconds=5):
        raise RuntimeError("the measurement failed")
    assert slots.acquire(1, seconds=1, wait=0).workers == 1
    dead = subprocess.run([sys.executable, "-c", (
        "from mlfail_widgets.machine import StressSlots; "
        f"StressSlots(capacity=2, folder={str(tmp_path)!r}).quiet(seconds=30).__enter__(); "
        "import os; os._exit(0)")], timeout=60)  # killed while holding it: no clean-up ran
    assert dead.returncode == 0 and slots.acquire(1, seconds=1, wait=0).workers == 1


def test_a_long_wait_for_a_slot_is_announced_once_while_it_lasts(tmp_path, capsys):
    slots = StressSlots(capacity=1, folder=tmp_path)
    held = slots.acquire(1, seconds=10, wait=0)
    late = slots.acquire(1, seconds=1, wait=2.6)  # nobody frees the slot: waits it out, then runs none
    err = capsys.readouterr().err
    assert late.workers == 0 and "running 0 worker(s) instead of 1" in late.message
    assert err.count("Waiting for a stress slot") == 1 and "at most 3 s" in err
    slots.release(held)
    assert slots.acquire(1, seconds=1, wait=5).workers == 1 and "Waiting" not in capsys.readouterr().err
