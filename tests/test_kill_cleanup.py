"""Nothing left behind, even after SIGKILL (issue 17, item 5), and nothing reopened after close.

A child process makes what a learner's kernel makes (a dependency lab, a sandbox, a registry
promoting versions, an ``mlfail run``) and is killed with SIGKILL at a random (seeded) moment;
no handler runs. The next lab, run or registry must then remove what the dead process left, and
never what a live process owns. Every test works in a private temporary folder (``TMPDIR``),
so other users' folders on a shared machine are never looked at.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

from mlfail_widgets._tempdirs import make_temp_dir, owner_alive, remove_stale_dirs, remove_stale_files
from mlfail_widgets._validation import ParameterError

SEED = 17


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _child(code: str, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _wait_line(process: subprocess.Popen, word: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(word):
            return line.strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"the child never printed {word!r}")


def _sigkill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close()


def _dead_pid() -> int:
    """The pid of a process that has just exited (so certainly not alive now)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ------------------------------------------------------------------------------ the helper
def test_only_dead_owners_folders_and_files_are_removed(private_tmp):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _dead_pid()
        assert owner_alive(live.pid) and not owner_alive(dead)
        mine = private_tmp / f"mlfail-demo-{os.getpid()}-abc"
        theirs = private_tmp / f"mlfail-demo-{live.pid}-abc"
        stale = private_tmp / f"mlfail-demo-{dead}-abc"
        legacy = private_tmp / "mlfail-demo-k3j9x1ab"  # no pid in the name: never touched
        other = private_tmp / f"mlfail-other-{dead}-abc"  # another prefix
        for folder in (mine, theirs, stale, legacy, other):
            (folder / "inside").mkdir(parents=True)
        assert remove_stale_dirs("mlfail-demo-") == [stale]
        assert sorted(p.name for p in private_tmp.iterdir()) == sorted(
            p.name for p in (mine, theirs, legacy, other))
        files = [private_tmp / f".production.json.{pid}.ab12.tmp" for pid in (dead, live.pid, os.getpid())]
        for path in files:
            path.write_text("{")
        (private_tmp / "production.json").write_text("{}")
        assert remove_stale_files(private_tmp) == [files[0]]
        assert all(path.exists() for path in files[1:]) and (private_tmp / "production.json").exists()
    finally:
        live.kill()
        live.wait()
    made = make_temp_dir("mlfail-demo-")
    assert made.parent == private_tmp and made.name.startswith(f"mlfail-demo-{os.getpid()}-")


# ------------------------------------------------------------------------------ the dependency lab
def test_a_new_lab_removes_the_folders_of_killed_labs_but_not_a_live_one(private_tmp):
    from mlfail_widgets.failures.dependency import DependencyLab

    rng = random.Random(SEED)
    code = """
        import time
        from mlfail_widgets.failures.dependency import DependencyLab
        print("start", flush=True)
        lab = DependencyLab(seed=0, published=["1.1.0"])
        print("ready", lab.root, flush=True)
        time.sleep(120)
    """
    killed = []
    for _ in range(3):  # killed while building (training, wheels, index) or idle
        child = _child(code, private_tmp)
        _wait_line(child, "start")
        time.sleep(rng.uniform(0.0, 4.0))
        killed.append(child.pid)
        _sigkill(child)
    left = [p for p in private_tmp.iterdir() if p.name.startswith("mlfail-dependency-")]
    assert left, "no kill left a folder behind: the kills missed the lab's lifetime"
    assert {int(p.name.split("-")[2]) for p in left} <= set(killed)
    alive = _child(code, private_tmp)
    try:
        live_root = Path(_wait_line(alive, "ready").split(" ", 1)[1])
        with DependencyLab(seed=0, published=["1.1.0"]) as lab:
            assert sorted(private_tmp.iterdir()) == sorted([lab.root, live_root])
            assert lab.root.name.startswith(f"mlfail-dependency-{os.getpid()}-")
        assert list(private_tmp.iterdir()) == [live_root]
    finally:
        _sigkill(alive)


# ------------------------------------------------------------------------------ sandbox and registry
def test_a_new_sandbox_removes_the_folder_of_a_killed_one(private_tmp):
    from mlfail_widgets.failures.deployment import Sandbox

    child = _child("""
        import time
        from mlfail_widgets.failures.deployment import Sandbox
        box = Sandbox()
        print("ready", box.path, flush=True)
        time.sleep(120)
    """, private_tmp)
    stale = Path(_wait_line(child, "ready").split(" ", 1)[1])
    _sigkill(child)
    assert stale.is_dir()
    with Sandbox() as sandbox:
        assert list(private_tmp.iterdir()) == [sandbox.path]
    assert list(private_tmp.iterdir()) == []


def test_promotions_killed_at_random_points_leave_a_readable_registry_and_nothing_stale(private_tmp):
    from mlfail_widgets.failures.deployment import ModelRegistry, TornLogWarning
    from mlfail_widgets.models import LogisticRegression

    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    root = private_tmp / "registry"
    registry = ModelRegistry(root, create=True)
    for _ in range(2):
        registry.register(LogisticRegression().fit(X, y))
    registry.promote(1)
    code = f"""
        from mlfail_widgets.failures.deployment import ModelRegistry
        registry = ModelRegistry({str(root)!r})
        print("ready", flush=True)
        while True:
            registry.promote(2)
            registry.promote(1)
    """
    delays = random.Random(SEED)
    for _ in range(12):
        child = _child(code, private_tmp)
        _wait_line(child, "ready")
        time.sleep(delays.uniform(0.0, 0.3))
        _sigkill(child)
    again = ModelRegistry(root)
    assert not [p for p in root.rglob("*.tmp")], "a stray temporary file survived the next start"
    assert again.production().version in (1, 2)  # the pointer is always whole
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLogWarning)  # a torn last line is allowed, and skipped
        before = again.history()
    assert len(before) >= 12
    again.promote(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLogWarning)
        after = again.history()
    assert len(after) == len(before) + 1 and after[-1].version == 2
    assert json.loads((root / "promotions.log").read_bytes().splitlines()[-1])["version"] == 2


# ------------------------------------------------------------------------------ mlfail run
def _notebook(path: Path, source: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def test_a_new_run_removes_the_kernel_folder_of_a_killed_mlfail_run(private_tmp, tmp_path):
    from mlfail_widgets.runner import run_notebook

    slow = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    env = dict(os.environ, TMPDIR=str(private_tmp))
    child = subprocess.Popen([sys.executable, "-m", "mlfail_widgets.cli", "run", str(slow)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    kernels = []
    while time.monotonic() < deadline and not kernels:
        time.sleep(0.2)
        kernels = psutil.Process(child.pid).children(recursive=True)
    assert kernels, "the kernel never started"
    time.sleep(random.Random(SEED).uniform(0.0, 2.0))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    stale = [p for p in private_tmp.iterdir() if p.name.startswith("mlfail-kernel-")]
    assert [p.name.split("-")[2] for p in stale] == [str(child.pid)]
    _gone, alive = psutil.wait_procs(kernels, timeout=15)  # the kernel sees its parent die
    for process in alive:
        process.kill()
    assert not alive, "the kernel outlived the killed `mlfail run`"
    run = run_notebook(_notebook(tmp_path / "quick.ipynb", "1 + 1"))
    assert run.ok, run.describe()
    assert list(private_tmp.iterdir()) == [], "the next run left the killed run's folder (or its own)"


# ------------------------------------------------------------------------------ defect 4
def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_measure_on_a_closed_service_is_an_error_and_reopens_nothing():
    # issue 17, defect 4: measure() on a closed PredictionService reopened both ports, left
    # them listening with their threads, and reported availability 1.0.
    from mlfail_widgets.failures.downtime import PredictionService, measure

    with PredictionService() as service:
        ports = [int(url.rsplit(":", 1)[1]) for url in (service.url, service.store_url)]
    with pytest.raises(ParameterError, match="not running"):
        measure(service)
    assert not any(_listening(port) for port in ports)
    never_started = PredictionService()
    with pytest.raises(ParameterError, match="not running"):
        never_started.inject()
