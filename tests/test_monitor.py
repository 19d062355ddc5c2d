"""The live resource monitor: bounded sampling rate, plausible numbers, and a thread that always stops
(on close, when its duration runs out, when dropped, at exit), also when started by %mlfail_monitor."""

from __future__ import annotations

import base64
import gc
import subprocess
import sys
import textwrap
import time

import numpy as np
import psutil
import pytest

from mlfail_widgets import ParameterError
from mlfail_widgets.failures.hardware import CPUStress, ResourceSampler, usable_cores
from mlfail_widgets.widgets.monitor import ResourceMonitor


def sampler_threads():
    import threading

    return [t for t in threading.enumerate() if t.name in ("mlfail-resource-sampler", "mlfail-monitor-drawer")]


def test_sampling_never_runs_faster_than_its_interval():
    with ResourceSampler(interval=0.1, duration=1.0) as sampler:
        assert sampler.join(timeout=10)
    samples = sampler.samples
    assert 2 <= len(samples) <= 11
    assert np.all(np.diff(samples["time"]) >= 0.1 - 1e-3)
    with pytest.raises(ParameterError, match="faster than 10 Hz"):
        ResourceSampler(interval=0.05)


def test_numbers_are_plausible_under_real_stress():
    cores = psutil.cpu_count()
    with ResourceSampler(interval=0.2, duration=30) as sampler, CPUStress(usable_cores(), seconds=1.2) as stress:
        stress.wait(timeout=20)
    samples = sampler.samples
    per_core = samples[[f"core_{i}" for i in range(cores)]].to_numpy()
    assert len(samples) >= 3
    assert np.all((per_core >= 0) & (per_core <= 100))
    assert samples["cpu_percent"].max() > 50  # the stress was running on every usable core
    assert np.all((samples["process_cpu_percent"] >= 0) & (samples["process_cpu_percent"] <= 100 * cores + 5))
    memory = psutil.virtual_memory()
    assert samples["memory_percent"].iloc[-1] == pytest.approx(memory.percent, abs=5)
    assert samples["memory_used_gb"].iloc[-1] == pytest.approx((memory.total - memory.available) / 1e9, rel=0.2)
    rss = psutil.Process().memory_info().rss / 1e6
    assert samples["process_rss_mb"].iloc[-1] == pytest.approx(rss, rel=0.5)


def test_the_thread_stops_on_close_on_duration_and_when_dropped():
    monitor = ResourceMonitor(duration=60, interval=0.1).start()
    assert monitor.running
    monitor.close()
    assert not monitor.running and not monitor.sampler._thread.is_alive()

    short = ResourceMonitor(duration=0.3, interval=0.1).start()
    assert short.join(timeout=10) and not short.running

    sampler = ResourceSampler(interval=0.1, duration=60).start()
    thread = sampler._thread
    del sampler
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_the_thread_stops_when_the_interpreter_exits():
    script = textwrap.dedent("""
        from mlfail_widgets.widgets.monitor import ResourceMonitor
        monitor = ResourceMonitor(duration=600, interval=0.1).start()
        print("started", flush=True)
    """)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and "started" in done.stdout, done.stderr
    assert time.monotonic() - began < 30


def test_a_stopped_monitor_keeps_its_samples_and_a_new_start_records_afresh():
    with ResourceMonitor(duration=0.4, interval=0.1) as monitor:
        monitor.join(timeout=10)
    count = len(monitor.samples)
    assert count >= 2 and len(monitor.samples) == count
    monitor.start()
    monitor.stop()
    assert len(monitor.samples) < count + 2


def test_display_is_a_widget_with_a_static_png_fallback():
    with ResourceMonitor(duration=0.3, interval=0.1) as monitor:
        monitor.join(timeout=10)
        bundle = monitor._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert base64.b64decode(data["image/png"])[:4] == b"\x89PNG"
    assert "application/vnd.jupyter.widget-view+json" in data
    image = monitor._widgets["image"]
    assert "mlfail-figure" in image._dom_classes and image.value == monitor.png
    assert monitor.renders >= 1
    monitor.close()


def test_bad_monitor_arguments_are_clear_errors():
    # the learner called ResourceMonitor, which passes duration on to its ResourceSampler
    with pytest.raises(ParameterError, match="'duration' parameter of ResourceMonitor"):
        ResourceMonitor(duration=-1)
    with pytest.raises(ParameterError, match="'refresh' parameter of ResourceMonitor"):
        ResourceMonitor(interval=1.0, refresh=0.5)
    with pytest.raises(ParameterError, match="'window' parameter of ResourceMonitor"):
        ResourceMonitor(window=1)  # below 2 s


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    from mlfail_widgets import extension

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mlfail_widgets")
    yield shell
    shell.run_line_magic("unload_ext", "mlfail_widgets")
    assert not extension._MONITORS


def test_the_magic_starts_a_monitor_that_stops_by_itself(shell, capsys):
    from mlfail_widgets import extension

    shell.run_line_magic("mlfail_monitor", "0.5")
    (monitor,) = extension._MONITORS
    assert isinstance(monitor, ResourceMonitor) and monitor.sampler.duration == 0.5
    assert monitor.join(timeout=10) and not monitor.running
    assert len(monitor.samples) >= 1
    shell.run_line_magic("mlfail_monitor", "stop")
    assert not extension._MONITORS
    assert "Resource monitors stopped." in capsys.readouterr().out


def test_the_magic_stop_ends_a_running_monitor_and_rejects_nonsense(shell):
    from mlfail_widgets import extension

    shell.run_line_magic("mlfail_monitor", "")
    (monitor,) = extension._MONITORS
    assert monitor.running and monitor.sampler.duration == 120
    shell.run_line_magic("mlfail_monitor", "stop")
    assert not monitor.running and not sampler_threads_for(monitor)
    with pytest.raises(ParameterError, match="duration in seconds or 'stop'"):
        shell.run_line_magic("mlfail_monitor", "soon")
    with pytest.raises(ParameterError, match="'duration' parameter"):
        shell.run_line_magic("mlfail_monitor", "-5")


def sampler_threads_for(monitor):
    threads = [monitor.sampler._thread, monitor._drawer]
    return [t for t in threads if t is not None and t.is_alive()]


def test_no_monitor_thread_outlives_the_tests():
    gc.collect()
    deadline = time.monotonic() + 5
    while sampler_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sampler_threads()
