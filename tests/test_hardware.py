"""Chapter 04's core: bounded stress that always cleans up, plausible psutil readings, real latency
measurements with mitigations that keep their promises, the thermal model against its closed
form, a memory-limited child that dies, and a flipped bit that gets caught."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets import ParameterError
from mlfail_widgets.failures.hardware import (
    ContentionScenario,
    CPUStress,
    LatencyRun,
    ModelServer,
    ThermalModel,
    bit_field,
    bit_flip_effects,
    corrupt_model,
    cpu_busy_percent,
    flip_bit,
    machine_report,
    measure_latency,
    model_checksum,
    redundant_predict,
    run_memory_limited,
    simulate_thermal,
    train_demo_model,
    usable_cores,
    weights_checksum,
)

from .conftest import shows_a_full_draw

CORES = usable_cores()


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (exited, or a zombie waiting for its reaper)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def my_children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True) if not gone(child.pid)}


# ------------------------------------------------------------------------------------ stress
def test_stress_workers_burn_cpu_and_are_gone_after_the_block():
    before = my_children()
    with CPUStress(workers=CORES, seconds=20) as stress:
        pids = stress.pids
        assert len(pids) == CORES and stress.alive == CORES
        assert set(pids) <= my_children()
        burned = wait_until(lambda: psutil.Process(pids[0]).cpu_times().user >= 0.1)
    assert burned, "a stress worker did not use the CPU"
    assert all(gone(pid) for pid in pids)
    assert stress.alive == 0 and stress.pids == []
    assert my_children() <= before


def test_stress_stops_by_itself_after_its_seconds():
    stress = CPUStress(workers=1, seconds=0.3).start()
    try:
        assert stress.wait(timeout=20)
        assert stress.alive == 0
    finally:
        stress.stop()


def test_a_keyboard_interrupt_inside_the_block_kills_every_worker():
    with pytest.raises(KeyboardInterrupt), CPUStress(workers=CORES, seconds=30) as stress:
        pids = stress.pids
        raise KeyboardInterrupt
    assert all(gone(pid) for pid in pids)


def test_a_sigint_while_waiting_interrupts_and_kills_every_worker():
    """What a kernel interrupt does: SIGINT to the process while it waits for the stress."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    pids = []
    try:
        with pytest.raises(KeyboardInterrupt), CPUStress(workers=CORES, seconds=30) as stress:
            pids = stress.pids
            timer.start()
            stress.wait(timeout=25)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert pids and all(gone(pid) for pid in pids)


def run_script(code: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_workers_exit_when_their_parent_dies_without_cleaning_up():
    done = run_script("""
        import os
        from mlfail_widgets.failures.hardware import CPUStress
        stress = CPUStress(workers=1, seconds=30).start()
        print(*stress.pids, flush=True)
        os._exit(0)  # no finally, no atexit, no finalizer: as if the kernel were killed
    """)
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids, done.stderr
    assert wait_until(lambda: all(gone(pid) for pid in pids), timeout=10)


def test_workers_are_killed_at_interpreter_exit():
    done = run_script("""
        from mlfail_widgets.failures.hardware import CPUStress
        stress = CPUStress(workers=1, seconds=30).start()
        print(*stress.pids, flush=True)
    """)
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids and done.returncode == 0, done.stderr
    assert wait_until(lambda: all(gone(pid) for pid in pids), timeout=2)


def test_nice_workers_run_at_low_priority():
    with CPUStress(workers=1, seconds=10, nice=19) as stress:
        assert wait_until(lambda: psutil.Process(stress.pids[0]).nice() == 19, timeout=5)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"workers": 0}, "'workers' parameter of CPUStress must be an int in [1, "),
    ({"workers": CORES + 1}, "more workers than cores"),
    ({"seconds": -1}, "'seconds' parameter of CPUStress"),
    ({"seconds": 61}, "Stress runs are bounded"),
    ({"nice": 20}, "'nice' parameter of CPUStress"),
    ({"cpus": [CORES + 5]}, "'cpus' parameter of CPUStress"),
])
def test_bad_stress_arguments_are_clear_errors(arguments, message):
    with pytest.raises(ParameterError) as error:
        CPUStress(**arguments)
    assert message in str(error.value)


@given(st.integers(-5, 64))
def test_the_number_of_workers_is_never_more_than_the_cores(workers):
    if 1 <= workers <= CORES:
        assert CPUStress(workers=workers).workers == workers
    else:
        with pytest.raises(ParameterError, match="workers"):
            CPUStress(workers=workers)


# ------------------------------------------------------------------------------------ psutil readings
def test_cpu_busy_percent_by_hand():
    from collections import namedtuple

    Times = namedtuple("Times", "user system idle iowait guest guest_nice")
    before = Times(10, 5, 80, 5, 2, 0)
    after = Times(12, 6, 81, 6, 3, 0)  # 3 busy seconds of 5 (iowait counts as idle; guest inside user)
    assert cpu_busy_percent(before, after) == pytest.approx(60.0)
    assert cpu_busy_percent(after, after) == 0.0


def test_machine_report_is_plausible_and_says_what_is_missing():
    report = machine_report(interval=0.1)
    assert report.logical_cores == psutil.cpu_count() == len(report.core_percent)
    assert all(0 <= p <= 100 for p in report.core_percent)
    assert report.memory_total_gb == pytest.approx(psutil.virtual_memory().total / 1e9)
    text = report.describe()
    if not psutil.sensors_temperatures():
        assert report.temperatures is None and "temperatures: not exposed" in text
        assert any("temperature" in note for note in report.notes)
    frequency = psutil.cpu_freq()
    if frequency is None or not frequency.max:
        assert report.frequency_range_mhz is None
        assert any("frequency" in note for note in report.notes)


# ------------------------------------------------------------------------------------ latency
def test_latency_run_numbers_by_hand():
    arrival = np.array([0.0, 0.1, 0.2, 0.3])
    finish = np.array([0.010, 0.140, 0.2, 0.35])
    run = LatencyRun("toy", arrival, arrival, finish, np.array([0, 0, 1, 2]), slo=0.025)
    assert run.p50_ms == pytest.approx(25.0)  # served: 10 ms and 40 ms
    assert run.p99_ms == pytest.approx(10 + 0.99 * 30)
    assert run.over_slo == pytest.approx(0.75)  # only the first is served in time
    assert (run.shed, run.timed_out) == (0.25, 0.25)


@pytest.fixture(scope="module")
def server():
    with ModelServer(threads=1, width=2048) as server:  # about 1 ms a request: 4000/s overloads it
        yield server
    assert not server.running


def test_the_same_seed_gives_the_same_arrivals(server):
    first = server.measure(rate=300, seconds=0.2, seed=4)
    second = server.measure(rate=300, seconds=0.2, seed=4)
    np.testing.assert_array_equal(first.arrival, second.arrival)
    assert 30 < first.status.size < 90  # about 60 Poisson arrivals
    assert np.all(first.start[first.served] >= first.arrival[first.served])


def test_admission_control_never_lets_the_queue_grow_past_its_bound(server):
    run = server.measure(rate=4000, seconds=0.3, max_queue=3, seed=1)  # far above capacity
    assert run.shed > 0.2
    admitted = np.flatnonzero(run.status != 1)
    for i in admitted:  # requests still waiting when request i arrived
        waiting = (run.arrival[admitted] < run.arrival[i]) & (run.start[admitted] > run.arrival[i])
        assert waiting.sum() < 3


def test_timeouts_bound_every_answer_and_batching_groups_requests(server):
    run = server.measure(rate=4000, seconds=0.3, timeout=0.02, seed=2)
    assert run.timed_out > 0.2
    assert np.all(run.latency[run.served] <= 0.02 + 1e-9)
    np.testing.assert_allclose(run.latency[run.status == 2], 0.02, atol=1e-9)
    batched = server.measure(rate=4000, seconds=0.3, max_batch=8, seed=2)
    assert batched.batch[batched.served].max() == 8 and batched.batch[batched.served].min() >= 1


def test_measure_latency_records_a_trace_and_leaves_no_process():
    before = my_children()
    experiment = measure_latency([ContentionScenario("idle", threads=1), ContentionScenario("stress", stress_workers=1, threads=1)],
                                 rate=200, seconds=0.3, width=128)
    assert list(experiment.summary.index) == ["idle", "stress"]
    names = [name for name, _, _ in experiment.windows]
    # interleaved rounds (A B, B A, A B, ...), as many windows as runs
    assert names[:4] == ["idle", "stress", "stress", "idle"]
    assert names.count("idle") == len(experiment.rounds["idle"]) >= 3
    assert (experiment.summary["rounds"] >= 3).all()
    assert experiment.lesson is not None and experiment.busy is not None
    assert experiment.trace["time"].is_monotonic_increasing and len(experiment.trace) >= 2
    assert my_children() <= before


def test_bad_latency_arguments_are_clear_errors(server):
    with pytest.raises(ParameterError, match="'stress_workers' parameter of ContentionScenario"):
        ContentionScenario("too many", stress_workers=CORES + 1)
    with pytest.raises(ParameterError, match="'max_queue' parameter"):
        ContentionScenario("q", max_queue=0)
    with pytest.raises(ParameterError, match="'timeout' parameter"):
        server.measure(timeout=-0.1)
    with pytest.raises(ParameterError, match="'scenarios' parameter of measure_latency must be scenarios with distinct names"):
        measure_latency([ContentionScenario("a"), ContentionScenario("a")])
    with pytest.raises(ParameterError, match="ContentionScenario objects"):
        measure_latency([])


# ------------------------------------------------------------------------------------ thermal model
NO_THROTTLE = ThermalModel(throttle_at=200, critical_at=250)


def test_temperature_follows_the_closed_form_and_settles_at_its_steady_state():
    model, u, dt = NO_THROTTLE, 0.7, 0.5
    run = simulate_thermal([u], dt, model=model, duration=600, start_temperature=30.0)
    steady = model.ambient + model.power(u) / model.cooling  # T_ss = T_amb + P / k
    assert model.steady_state(u) == pytest.approx(steady)
    expected = steady + (30.0 - steady) * np.exp(-model.cooling * run.time / model.capacity)
    np.testing.assert_allclose(run.temperature, expected, rtol=1e-12)
    assert run.temperature[-1] == pytest.approx(steady, abs=1e-6)


def test_throttling_settles_where_heat_in_equals_heat_out():
    model = ThermalModel()
    run = simulate_thermal([1.0], 1.0, model=model, duration=900)
    # P(f(T)) = k (T - T_amb) with f linear between throttle_at and critical_at, solved by hand
    slope = (1 - model.min_frequency) / (model.critical_at - model.throttle_at)
    dynamic = model.max_power - model.idle_power
    solved = ((model.idle_power + dynamic * (1 + slope * model.throttle_at) + model.cooling * model.ambient)
              / (model.cooling + dynamic * slope))
    assert run.temperature[-1] == pytest.approx(solved, abs=1e-6)
    assert run.frequency[-1] == pytest.approx(model.frequency(solved))
    assert not run.crashed and 0 < run.work_done < 1


def test_a_weak_cooler_crashes_the_cpu_when_it_reaches_critical():
    model = ThermalModel()
    run = simulate_thermal([1.0], 0.5, model=model, duration=300, cooling=0.4)
    assert run.crashed
    first_hot = np.argmax(run.temperature >= model.critical_at)
    assert run.crashed_at == pytest.approx(first_hot * 0.5)
    assert not run.alive[first_hot:].any() and run.alive[:first_hot].all()
    assert run.temperature[-1] < run.temperature[first_hot]  # a dead CPU cools down


def test_a_sweep_equals_one_run_per_cooler_and_percent_input_is_understood():
    trace = [20, 100, 100, 35, 90]
    sweep = simulate_thermal(trace, 0.5, duration=120, cooling=[0.5, 1.0, 2.0])
    for k, cooling in enumerate([0.5, 1.0, 2.0]):
        single = simulate_thermal(np.array(trace) / 100, 0.5, duration=120, cooling=cooling)
        np.testing.assert_allclose(sweep.temperature[k], single.temperature)
        assert sweep.crashed[k] == single.crashed


@settings(max_examples=40, deadline=None)
@given(cooling=st.floats(0.3, 3.0), load=st.floats(0.0, 2.0))
def test_temperature_stays_between_ambient_and_the_full_power_steady_state(cooling, load):
    model = ThermalModel()
    run = simulate_thermal([0.3, 1.0, 0.8], 1.0, duration=200, cooling=cooling, load=load)
    assert run.temperature.min() >= model.ambient - 1e-9
    assert run.temperature.max() <= model.ambient + model.max_power / cooling + 1e-9
    assert np.all((run.frequency >= model.min_frequency) & (run.frequency <= 1))


@pytest.mark.parametrize(("arguments", "message"), [
    ({"utilisation": []}, "'utilisation' parameter"),
    ({"utilisation": [0.5, -0.1]}, "'utilisation' parameter"),
    ({"interval": 0}, "'interval' parameter of simulate_thermal"),
    ({"cooling": 0}, "'cooling' parameter of simulate_thermal"),
    ({"load": -1}, "'load' parameter of simulate_thermal"),
    ({"duration": 1e9}, "'duration' parameter of simulate_thermal"),
])
def test_bad_thermal_arguments_are_clear_errors(arguments, message):
    call = {"utilisation": [0.5], "interval": 1.0, **arguments}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        simulate_thermal(call.pop("utilisation"), call.pop("interval"), **call)


def test_a_thermal_model_must_throttle_before_it_shuts_down():
    with pytest.raises(ParameterError, match="throttle before it shuts down"):
        ThermalModel(throttle_at=95, critical_at=90)


# ------------------------------------------------------------------------------------ memory pressure
def test_the_memory_limited_child_dies_and_the_parent_reports_it():
    kernel_before = psutil.Process().memory_info().rss
    result = run_memory_limited(limit_mb=160, allocate_mb=1024, step_mb=16)
    assert result.died and result.returncode == 1 and result.error == "MemoryError"
    assert 0 < result.reached_mb < 160 and result.reached_mb < result.requested_mb
    assert result.reached_mb * 0.9 <= result.peak_rss_mb <= 160 + 16
    assert "MemoryError" in result.describe()
    assert psutil.Process().memory_info().rss - kernel_before < 50e6  # the kernel was not the one


def test_a_child_under_its_limit_finishes_and_a_slow_one_is_killed():
    assert not run_memory_limited(limit_mb=128, allocate_mb=32, step_mb=8).died
    slow = run_memory_limited(limit_mb=8192, allocate_mb=4096, step_mb=8, timeout=0.05)
    assert slow.timed_out and slow.signal == "SIGKILL" and slow.died


def test_bad_memory_arguments_are_clear_errors():
    with pytest.raises(ParameterError, match="'limit_mb' parameter of run_memory_limited"):
        run_memory_limited(limit_mb=8)
    with pytest.raises(ParameterError, match="at most 1000 steps"):
        run_memory_limited(allocate_mb=4096, step_mb=1)


# ------------------------------------------------------------------------------------ bit flips
@given(value=st.floats(allow_nan=False, allow_infinity=False), bit=st.integers(0, 63))
def test_flipping_a_bit_changes_exactly_that_bit_and_flipping_it_again_undoes_it(value, bit):
    original = np.array([value])
    flipped = flip_bit(original, 0, bit)
    assert original[0] == value or np.isnan(value)  # the input is not modified
    difference = int(original.view(np.uint64)[0] ^ flipped.view(np.uint64)[0])
    assert difference == 1 << bit
    assert flip_bit(flipped, 0, bit).view(np.uint64)[0] == original.view(np.uint64)[0]


def test_known_bits_of_a_float64():
    assert flip_bit([1.5], 0, 63)[0] == -1.5  # sign
    assert flip_bit([1.5], 0, 0)[0] == np.nextafter(1.5, 2)  # one unit in the last place
    assert flip_bit([1.5], 0, 52)[0] == 0.75  # exponent 1023 -> 1022: halves
    assert np.isnan(flip_bit([1.5], 0, 62)[0])  # exponent -> all ones: not a number any more
    assert [bit_field(b) for b in (0, 51, 52, 62, 63)] == ["mantissa", "mantissa", "exponent", "exponent", "sign"]


@pytest.mark.parametrize(("arguments", "message"), [
    ((0, 64), "'bit' parameter of flip_bit"),
    ((0, -1), "'bit' parameter of flip_bit"),
    ((5, 0), "'index' parameter of flip_bit"),
])
def test_bad_bit_flips_are_clear_errors(arguments, message):
    with pytest.raises(ParameterError, match=message):
        flip_bit([1.0, 2.0], *arguments)


@pytest.fixture(scope="module")
def demo():
    return train_demo_model(seed=3)


def test_every_bit_flip_is_caught_by_the_checksum(demo):
    model, X, y = demo
    effects = bit_flip_effects(model, X, y, weight=2)
    assert effects["checksum_detects"].all()
    low = effects[effects["bit"] < 20]
    assert (low["labels_changed"] == 0).all()  # silent: no prediction changes...
    assert effects["redundancy_detects"].sum() > effects["labels_changed"].gt(0).sum()  # ...but outputs do
    assert effects.loc[62, "labels_changed"] > 0.05 or effects.loc[61, "labels_changed"] > 0.05


def test_redundant_replicas_agree_until_one_is_corrupted(demo):
    model, X, _ = demo
    clean = corrupt_model(corrupt_model(model, weight=1, bit=60), weight=1, bit=60)  # flipped back
    assert model_checksum(clean) == model_checksum(model)
    assert not redundant_predict([model, clean], X).detected
    broken = corrupt_model(model, weight=1, bit=62)
    check = redundant_predict([model, broken], X)
    assert check.detected and check.outputs_differ.all()
    assert model_checksum(model) != model_checksum(broken)
    assert weights_checksum(model.coef_) == weights_checksum(model.coef_.copy())


def test_redundancy_needs_two_replicas(demo):
    with pytest.raises(ParameterError, match="second replica"):
        redundant_predict([demo[0]], demo[1])


def test_an_interrupted_latency_experiment_leaves_no_server_and_no_worker():
    before = my_children()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            measure_latency([ContentionScenario("stress", stress_workers=1, threads=1)], rate=100, seconds=8, width=64)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert wait_until(lambda: my_children() <= before, timeout=5)


# ------------------------------------------------------------------------------------ widgets
def test_the_thermal_panel_is_the_main_widget_and_answers_its_slider():
    from mlfail_widgets.widgets.hardware import thermal_panel

    panel = thermal_panel([20.0, 100.0, 90.0], interval=0.5, background=False)
    try:
        assert "mlfail-main" in panel.widget._dom_classes
        assert "mlfail-drive" in panel.controls["cooling"]._dom_classes
        png = panel.png
        panel.controls["cooling"].value = 0.4
        assert panel.result.crashed and panel.png != png and panel.error is None
        assert panel._widgets["image"].value == panel.png
    finally:
        panel.close()


def test_a_thermal_slider_move_redraws_only_the_curves_and_shows_what_a_full_draw_shows():
    from mlfail_widgets.widgets.hardware import thermal_panel

    panel = thermal_panel([20.0, 100.0, 90.0, 40.0], interval=0.5, background=False)
    try:
        canvas = panel.drawn.figure.canvas
        for cooling, load in ((0.4, 1.0), (2.5, 1.0), (0.6, 1.8), (1.2, 0.3)):  # crash, none, crash, idle
            panel.set(cooling=cooling, load=load)
            assert shows_a_full_draw(canvas), (cooling, load)
        assert canvas.background_draws == 1
    finally:
        panel.close()


def test_the_contention_lab_runs_bounded_and_cleans_up():
    from mlfail_widgets.widgets.hardware import ContentionLab

    before = my_children()
    lab = ContentionLab(seconds=0.3, rate=200, width=64)
    try:
        lab.widget  # noqa: B018 - build the widgets, as a display would
        lab._widgets["workers"].value = 1
        lab._widgets["mitigation"].value = "batching (up to 16)"
        lab._clicked(None)
        assert lab.wait(timeout=60)
        assert lab.error is None and lab.result.status.size > 20
        assert "p99" in lab._widgets["status"].value and not lab.monitor.running
        data = lab._repr_mimebundle_()
        data = data[0] if isinstance(data, tuple) else data
        assert data["image/png"]
        with pytest.raises(ParameterError, match="'mitigation' parameter"):
            lab.run(1, "pray")
    finally:
        lab.close()
    assert my_children() <= before


def test_an_error_in_the_lab_is_shown_in_the_widget(monkeypatch):
    from mlfail_widgets.widgets import hardware as widgets

    def broken(*args, **kwargs):
        raise RuntimeError("the model server did not start")

    monkeypatch.setattr(widgets, "measure_latency", broken)
    lab = widgets.ContentionLab(seconds=0.3, width=64)
    try:
        lab.widget  # noqa: B018
        lab._clicked(None)
        assert lab.wait(timeout=30)
        assert 'class="mlfail-error"' in lab._widgets["status"].value
        assert "did not start" in lab.error and not lab._widgets["run"].disabled
    finally:
        lab.close()


def test_simulate_thermal_with_text_is_a_clear_error():
    with pytest.raises(ParameterError, match="'utilisation' parameter of simulate_thermal"):
        simulate_thermal("abc", 1.0)
    with pytest.raises(ParameterError, match="'cooling' parameter of simulate_thermal"):
        simulate_thermal([1.0], 1.0, cooling="strong")


def test_measure_latency_lesson_holds_on_this_machine_and_counts_rounds():
    experiment = measure_latency([ContentionScenario("idle", threads=1), ContentionScenario("stress", stress_workers=CORES, threads=1)],
                                 rate="auto", seconds=0.3, rounds=3)
    summary = experiment.summary
    assert (summary["p99_min"] <= summary["p99_ms"]).all() and (summary["p99_ms"] <= summary["p99_max"]).all()
    assert experiment.lesson.held, experiment.describe()
    idle = [run.p99_ms for run in experiment.rounds["idle"]]
    assert summary.loc["idle", "p99_ms"] == pytest.approx(np.median(idle))
    assert any(run is experiment["idle"] for run in experiment.rounds["idle"])  # the figure shows a real round
    assert ("This machine was busy" in experiment.describe()) == experiment.busy.busy


def test_the_lesson_judge_reports_a_contradiction_instead_of_hiding_it():
    from mlfail_widgets.failures.hardware.contention import _judge

    def run(name, p99):
        latency = np.full(100, p99 / 1000)
        return LatencyRun(name, np.zeros(100), np.zeros(100), latency, np.zeros(100, int), settings={"seconds": 0.3})

    pair = (ContentionScenario("idle"), ContentionScenario("stress", stress_workers=1))
    lesson, decided = _judge(pair, {"idle": [run("idle", 50), run("idle", 60), run("idle", 40)],
                                    "stress": [run("stress", 30), run("stress", 20), run("stress", 90)]})
    assert not lesson.held and not decided and "could not separate them" in str(lesson)
    assert "more than 1.2 times slower in 1 of 3 paired rounds" in str(lesson)
    # both saturated at the ceiling of a 0.3 s measurement (0.7 s): not a lesson, and it says why
    lesson, _ = _judge(pair, {"idle": [run("idle", 560)] * 3, "stress": [run("stress", 600)] * 3})
    assert not lesson.held and "Even idle, the server could not keep up" in lesson.why
    lesson, decided = _judge(pair, {"idle": [run("idle", 5)] * 3, "stress": [run("stress", 300)] * 3})
    assert lesson.held and decided


def test_auto_rate_times_a_request_and_keeps_the_idle_load():
    experiment = measure_latency([ContentionScenario("idle", threads=1)], rate="auto", seconds=0.2, width=512, rounds=1,
                                 sample_interval=None)
    assert 20 <= experiment.rate <= 400
    if experiment.rate < 400:
        assert any("requests arrived at" in note for note in experiment.notes)
    with pytest.raises(ParameterError, match="'rate' parameter of measure_latency"):
        measure_latency([ContentionScenario("idle")], rate="fast")


def test_draw_trace_without_a_trace_names_the_fix():
    from mlfail_widgets._validation import ParameterError
    from mlfail_widgets.failures.hardware import LatencyReport
    from mlfail_widgets.plots.hardware import draw_trace

    with pytest.raises(ParameterError, match=r"'experiment' parameter of draw_trace .* sample_interval=0\.2"):
        draw_trace(LatencyReport([], {}, 100.0, 0.025))


def test_measure_latency_takes_latency_settings_or_keywords():
    from mlfail_widgets.failures.hardware import LatencySettings

    scenarios = [ContentionScenario("idle", threads=1)]
    quick = dict(rate=150, seconds=0.2, width=64, rounds=1, sample_interval=None, warmup=0.0)
    by_keyword = measure_latency(scenarios, seed=4, **quick)
    by_settings = measure_latency(scenarios, LatencySettings(**quick), seed=4)
    # overriding a field of the settings: rounds=1 over rounds=2
    overridden = measure_latency(scenarios, LatencySettings(**{**quick, "rounds": 2}), seed=4, rounds=1)
    for report in (by_settings, overridden):
        assert report.rate == by_keyword.rate == 150 and report.trace is None
        assert report["idle"].settings["seconds"] == 0.2 and report["idle"].settings["seed"] == 4
        # the same seeded arrivals: the same requests, measured again
        np.testing.assert_array_equal(report["idle"].arrival, by_keyword["idle"].arrival)
        assert int(report.summary.loc["idle", "rounds"]) == 1
    assert LatencySettings(rounds=1).rounds_at_most == 1 and LatencySettings(rounds=4).rounds_at_most == 12
    with pytest.raises(ParameterError, match=r"measure_latency got an unexpected keyword argument 'round'\. "
                                             r"Did you mean 'rounds'\?"):
        measure_latency(scenarios, round=2)
    with pytest.raises(ParameterError, match="'max_rounds' parameter of measure_latency"):
        measure_latency(scenarios, LatencySettings(rounds=3), max_rounds=2)
    with pytest.raises(ParameterError, match="'rate' parameter of LatencySettings"):
        LatencySettings(rate="fast")
