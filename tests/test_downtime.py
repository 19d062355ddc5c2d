"""Chapter 03 core without sockets: faults, policies on a scripted transport, simulator, replicas."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.downtime import (
    POLICIES,
    CallFailed,
    CircuitBreaker,
    CircuitOpen,
    Fallback,
    Fault,
    NoTimeout,
    OutageScenario,
    Reply,
    Retry,
    Timeout,
    Transport,
    VirtualClock,
    explore,
    make_policy,
    outage_scenario,
    redundancy_table,
    replica_availability,
    simulate,
    simulate_replicas,
    sweep,
)

from .conftest import shows_a_full_draw


class ScriptedTransport(Transport):
    """Answers from a script: "ok" or a failure kind, each taking ``seconds`` of virtual time."""

    def __init__(self, script, seconds=0.01):
        super().__init__(VirtualClock())
        self.script, self.seconds, self.sent = list(script), seconds, 0
        self.states = []  # the breaker's state seen by each request that got through

    def _send(self, request, wait):
        self.sent += 1
        self.states.append(getattr(self, "breaker", None) and self.breaker.state)
        self.clock.sleep(min(self.seconds, wait))
        outcome = self.script.pop(0)
        if self.seconds > wait:
            raise CallFailed("timeout")
        if outcome != "ok":
            raise CallFailed(outcome)
        return Reply(0.7)


# ------------------------------------------------------------------------------------ faults
@given(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False))
def test_negative_latency_is_refused(latency):
    with pytest.raises(ParameterError, match="'latency' parameter of Fault"):
        Fault(latency=latency)


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9), st.just(float("nan"))))
def test_error_rate_outside_0_1_is_refused(rate):
    with pytest.raises(ParameterError, match=r"'error_rate' parameter of Fault must be a number in \[0, 1\]"):
        Fault(error_rate=rate)


@pytest.mark.parametrize("outages", [[(0.5, 0.2)], [(-1, 1)], [(0, 1, 2)], "0-1", [(0, "a")], 5])
def test_bad_outage_windows_are_refused_with_an_example(outages):
    with pytest.raises(ParameterError, match=re.escape("outages=[(0.2, 0.5)]")):
        Fault(outages=outages)


def test_outage_windows_merge_and_schedule():
    fault = Fault(outages=[(0.4, 0.6), (0.1, 0.2), (0.5, 0.8)])
    assert fault.outages == ((0.1, 0.2), (0.4, 0.8))
    assert [fault.is_down(t) for t in (0.05, 0.1, 0.15, 0.2, 0.5, 0.8)] == [False, True, True, False, True, False]
    assert [fault.next_change(t) for t in (0.0, 0.1, 0.3, 0.5, 0.9)] == [0.1, 0.2, 0.4, 0.8, None]
    assert fault.goes_down_between(0.2, 0.4) == 0.4 and fault.goes_down_between(0.2, 0.39) is None
    assert Fault(down=True).is_down(123.0) and Fault().healthy


# ------------------------------------------------------------------------------------ policies
def test_circuit_breaker_state_machine_on_a_scripted_sequence():
    transport = ScriptedTransport(["error", "ok", "error", "error", "error",  # closed ... open
                                   "error",  # half-open probe fails -> open again
                                   "ok", "ok"])  # probe succeeds -> closed
    breaker = CircuitBreaker(Timeout(1.0), failures=3, reset_after=1.0)
    transport.breaker = breaker
    clock = transport.clock

    def call():
        try:
            breaker.call(transport, 1)
            return "ok"
        except CircuitOpen:
            return "fast-fail"
        except CallFailed:
            return "failed"

    steps = []
    for _ in range(5):
        steps.append((call(), breaker.state, breaker.failed))
    assert steps == [("failed", "closed", 1), ("ok", "closed", 0), ("failed", "closed", 1),
                     ("failed", "closed", 2), ("failed", "open", 3)]
    opened = breaker.opened_at
    assert transport.sent == 5
    clock.sleep(0.5)  # not long enough: fail fast, the service is not called
    assert (call(), breaker.state, transport.sent) == ("fast-fail", "open", 5)
    clock.sleep(0.6)  # reset_after passed: the next call is a half-open probe, and it fails
    assert (call(), breaker.state) == ("failed", "open")
    assert transport.states[-1] == "half-open" and breaker.opened_at > opened
    assert call() == "fast-fail"  # re-opened: wait again
    clock.sleep(1.0)
    assert (call(), breaker.state, breaker.failed) == ("ok", "closed", 0)
    assert transport.states[-1] == "half-open"
    assert (call(), breaker.state) == ("ok", "closed") and transport.sent == 8


def test_retry_backoff_is_exponential_capped_and_jittered_below_it():
    plain = Retry(Timeout(), retries=6, backoff=0.01, cap=0.1, jitter=False)
    assert [plain.delay(k) for k in range(6)] == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.1, 0.1])
    jittered = Retry(Timeout(), retries=6, backoff=0.01, cap=0.1, jitter=True, seed=0)
    draws = np.array([[jittered.delay(k) for k in range(6)] for _ in range(200)])
    ceilings = np.array([0.01, 0.02, 0.04, 0.08, 0.1, 0.1])
    assert (draws >= 0).all() and (draws <= ceilings).all()
    assert draws.mean(axis=0) == pytest.approx(ceilings / 2, rel=0.2)


def test_retry_stops_at_success_and_does_not_retry_a_rejection():
    transport = ScriptedTransport(["refused", "error", "ok", "ok"])
    assert Retry(Timeout(1.0), retries=5, backoff=0.1, jitter=False).call(transport, 1).value == 0.7
    assert transport.sent == 3 and transport.attempts == pytest.approx([0.0, 0.11, 0.32])
    rejected = ScriptedTransport(["rejected", "ok"])
    with pytest.raises(CallFailed, match="rejected"):
        Retry(Timeout(1.0), retries=5).call(rejected, 1)
    assert rejected.sent == 1


@pytest.mark.parametrize("retries", [0, -1, 2.5, "3"])
def test_zero_or_negative_retries_are_refused(retries):
    with pytest.raises(ParameterError, match="'retries' parameter of Retry"):
        Retry(Timeout(), retries=retries)


def test_timeout_turns_a_slow_answer_into_a_fast_failure():
    slow = ScriptedTransport(["ok"], seconds=2.0)
    with pytest.raises(CallFailed, match="timeout"):
        Timeout(0.1).call(slow, 1)
    assert slow.clock.now() == pytest.approx(0.1)
    waited = ScriptedTransport(["ok"], seconds=2.0)
    assert NoTimeout().call(waited, 1).value == 0.7 and waited.clock.now() == pytest.approx(2.0)
    with pytest.raises(ParameterError, match="'seconds' parameter of Timeout"):
        Timeout(-1)


def test_fallback_answers_from_cache_then_baseline_and_says_so():
    policy = Fallback(Timeout(1.0), baseline=0.3)
    transport = ScriptedTransport(["ok", "refused", "refused"])
    assert policy.call(transport, 5) == Reply(0.7)
    assert policy.call(transport, 5) == Reply(0.7, degraded=True, source="cache")
    assert policy.call(transport, 6) == Reply(0.3, degraded=True, source="baseline")


def test_transport_deadline_bounds_every_call():
    transport = ScriptedTransport(["ok"] * 3, seconds=5.0)
    transport.deadline = 1.0
    with pytest.raises(CallFailed, match="timeout"):
        NoTimeout().call(transport, 1)
    assert transport.clock.now() == pytest.approx(1.0)
    with pytest.raises(CallFailed, match="time limit"):
        NoTimeout().call(transport, 1)


def test_policy_ladder_adds_one_mitigation_per_rung():
    def layers(policy):
        found = []
        while policy is not None:
            found.append(type(policy).__name__)
            policy = getattr(policy, "inner", None)
        return found
    stacks = [layers(make_policy(name)) for name in POLICIES]
    assert stacks[0] == ["NoTimeout"] and stacks[1] == ["Timeout"]
    for lower, higher in itertools.pairwise(stacks[1:]):
        assert set(lower) < set(higher) and len(higher) == len(lower) + 1
    assert stacks[-1] == ["Fallback", "Retry", "CircuitBreaker", "Timeout"]
    with pytest.raises(ParameterError, match="Did you mean 'fallback'"):
        make_policy("fallbak")


# ------------------------------------------------------------------------------------ simulator
def test_simulation_is_seeded():
    scenario = outage_scenario(0.3, clients=3, fault=Fault(error_rate=0.2))
    first, again = simulate(scenario, "fallback", seed=4), simulate(scenario, "fallback", seed=4)
    other = simulate(scenario, "fallback", seed=5)
    assert first.outcome.tolist() == again.outcome.tolist()
    np.testing.assert_array_equal(first.attempts, again.attempts)
    assert first.outcome.tolist() != other.outcome.tolist()


def test_retries_reduce_errors_for_a_transient_fault_in_simulation():
    flaky = OutageScenario(fault=Fault(error_rate=0.3), duration=3.0, clients=5, interval=0.02)
    single = simulate(flaky, "timeout", seed=1).summary()
    retried = simulate(flaky, "retry", retries=3, seed=1).summary()

    def binomial(p, n):
        return 4 * math.sqrt(p * (1 - p) / n)
    assert single.error_rate == pytest.approx(0.3, abs=binomial(0.3, single.calls))
    assert retried.error_rate == pytest.approx(0.3**4, abs=binomial(0.3**4, retried.calls))  # 4 tries fail
    assert retried.error_rate < single.error_rate / 10


def test_retries_amplify_load_during_a_long_outage_in_simulation():
    down = OutageScenario(fault=Fault(outages=[(0.0, 5.0)]), clients=5, duration=1.0, interval=0.01)
    single = simulate(down, "timeout", seed=1)
    storm = simulate(down, "retry", retries=4, backoff=0.0, seed=1)
    backed_off = simulate(down, "retry", retries=4, backoff=0.05, seed=1)
    assert single.summary().availability == storm.summary().availability == 0
    assert storm.summary().attempts_per_request == pytest.approx(5.0)
    assert storm.load_between(0, 1) > 4 * single.load_between(0, 1)
    assert backed_off.load_between(0, 1) < single.load_between(0, 1) / 4


def test_a_slow_store_cascades_unless_the_service_falls_back():
    slow_store = OutageScenario(store=Fault(latency=0.3), duration=0.5, interval=0.2)
    # The service gives up on the store after 0.25 s and answers 503 ...
    assert simulate(slow_store, "timeout", timeout=0.5).outcomes() == {"error": 3}
    # ... too late for a client that also waits only 0.1 s: it times out first.
    assert simulate(slow_store, "timeout", timeout=0.1).outcomes() == {"timeout": 3}
    degraded = simulate(replace_fallback(slow_store), "timeout", timeout=0.5).summary()
    assert degraded.availability == 1 and degraded.degraded_rate == 1


def replace_fallback(scenario):
    from dataclasses import replace

    return replace(scenario, store_fallback=True)


def test_a_hang_separates_timeouts_from_waiting_in_simulation():
    hang = outage_scenario(0.3, start=0.1, kind="hang", duration=0.6, interval=0.01)
    waits = simulate(hang, "no timeout").summary()
    gives_up = simulate(hang, "timeout", timeout=0.05).summary()
    breaker = simulate(hang, "circuit breaker", timeout=0.05, retries=0).summary()
    assert waits.availability == 1 and waits.p99 > 0.25  # answered, but late
    assert gives_up.error_rate > 0.05 and gives_up.p99 < waits.p99
    assert breaker.attempts_per_request < 0.8 and breaker.p99 < gives_up.p99  # fails fast, drains the queue


def test_sweep_and_explore_cover_every_knob():
    table = sweep("outage", [0.0, 0.2, 0.5], policy="timeout", scenario=OutageScenario(duration=1.0))
    assert table["availability"].tolist()[0] == 1 and table["availability"].is_monotonic_decreasing
    result = explore(outage=0.6, policy="circuit breaker", retries=0)
    summaries = result.summaries
    assert summaries["circuit breaker"].attempts_per_request < summaries["timeout"].attempts_per_request
    assert summaries["fallback"].availability == 1
    with pytest.raises(ParameterError, match="'parameter' parameter of sweep"):
        sweep("latency", [1])


def test_simulation_rejects_bad_arguments():
    with pytest.raises(ParameterError, match="'scenario' parameter of simulate"):
        simulate("short outage")
    with pytest.raises(ParameterError, match="'policy' parameter of simulate"):
        simulate(OutageScenario(), policy=Timeout(0.1))
    # the learner called simulate, which passes retries on to make_policy
    with pytest.raises(ParameterError, match="'retries' parameter of simulate"):
        simulate(OutageScenario(), "retry", retries=-2)


# ------------------------------------------------------------------------------------ replicas
@pytest.mark.parametrize(("a", "n"), [(0.9, 1), (0.9, 3), (0.99, 2), (0.5, 5), (0.2, 4)])
def test_independent_replicas_match_the_closed_form(a, n):
    exact = replica_availability(a, n)
    assert exact == pytest.approx(1 - (1 - a) ** n)
    periods = 200_000
    estimate, low, high = simulate_replicas(a, n, periods=periods, seed=11)
    tolerance = 4 * math.sqrt(exact * (1 - exact) / periods) + 1e-9
    assert abs(estimate - exact) <= tolerance
    assert low <= estimate <= high


def test_replicas_in_one_zone_hit_a_ceiling():
    table = redundancy_table(0.99, max_replicas=6, common_cause=0.005, periods=100_000, seed=2)
    frame = table.frame
    assert (frame["same_zone"] <= table.ceiling + 1e-12).all()
    assert frame["same_zone"].iloc[-1] == pytest.approx(0.995, abs=1e-6)
    assert (frame["independent"] >= frame["same_zone"]).all()
    for name in ("independent", "same_zone"):
        assert ((frame[f"{name}_low"] - 1e-3 <= frame[name]) & (frame[name] <= frame[f"{name}_high"] + 1e-3)).all()


@settings(max_examples=50)
@given(st.floats(0, 1), st.integers(1, 20), st.floats(0, 1))
def test_replica_arguments_are_checked(a, n, z):
    if z > 1 - a + 1e-12:
        with pytest.raises(ParameterError, match="'common_cause' parameter"):
            replica_availability(a, n, z)
    else:
        assert 0 <= replica_availability(a, n, z) <= 1


def test_replica_validation_messages():
    with pytest.raises(ParameterError, match="'replicas' parameter of replica_availability must be an int in \\[1, 1000\\]"):
        replica_availability(0.9, 0)


def test_the_dashboard_redraws_only_what_a_move_changes_and_shows_what_a_full_draw_shows():
    from mlfail_widgets.widgets.downtime import downtime_panel

    with downtime_panel(background=False) as panel:
        canvas = panel.figure.canvas
        for outage, policy in ((0.45, "retry"), (0.5, "retry"), (0.5, "fallback"), (0.0, "fallback")):
            panel.set(outage=outage, policy=policy)
            assert shows_a_full_draw(canvas), (outage, policy)
        # The axes were drawn again only for a new load-axis top or another highlighted policy.
        assert canvas.background_draws <= 4


# ------------------------------------------------------------------------------ checked lessons
def test_ladder_and_storm_lessons_hold_in_the_simulator_and_fail_when_contradicted():
    from mlfail_widgets.failures.downtime import ladder_lesson, storm_lesson

    hang = outage_scenario(0.3, start=0.1, kind="hang", duration=0.6, interval=0.01, fault=Fault(error_rate=0.05))
    options = dict(timeout=0.075, retries=3, backoff=0.02)
    ladder = {name: simulate(hang, name, **options) for name in POLICIES[1:]}
    lesson = ladder_lesson(ladder)
    assert lesson.held and "fallback 100%" in lesson.evidence
    # a "ladder" whose fallback answers less than the timeout rung: reported, not hidden
    broken = {"timeout": ladder["fallback"], "fallback": ladder["timeout"]}
    assert not ladder_lesson(broken).held
    with pytest.raises(ParameterError, match="'runs' parameter of ladder_lesson"):
        ladder_lesson({"timeout": ladder["timeout"]})

    storm = outage_scenario(0.3, start=0.2, duration=0.8, clients=10, interval=0.04, fault=Fault(latency=0.03))
    runs = {"no backoff": simulate(storm, "retry", retries=4, backoff=0.0),
            "backoff": simulate(storm, "retry", retries=4, backoff=0.03, jitter=True)}
    lesson = storm_lesson(runs, storm, (0.2, 0.5))
    assert lesson.held and "normal load 250/s" in lesson.evidence
    assert not storm_lesson({"a": runs["backoff"], "b": runs["no backoff"]}, storm, (0.2, 0.5)).held


def test_a_simulated_dependency_needs_its_policy():
    import numpy as np

    from mlfail_widgets._validation import ParameterError
    from mlfail_widgets.failures.downtime import Fault, SimulatedService

    store = SimulatedService(Fault(), 0.001, 0.0001, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="'dependency_policy' parameter of SimulatedService"):
        SimulatedService(Fault(), 0.001, 0.0001, np.random.default_rng(0), dependency=store)


# ------------------------------------------------------------------------------------ settings
def test_make_policy_takes_policy_settings_or_keywords():
    from mlfail_widgets.failures.downtime import PolicySettings

    settings = PolicySettings(timeout=0.07, retries=2, backoff=0.01, jitter=False, failures=5, reset_after=0.3)
    by_keyword = make_policy("fallback", timeout=0.07, retries=2, backoff=0.01, jitter=False, failures=5,
                             reset_after=0.3)
    by_settings = make_policy("fallback", settings)
    assert repr(by_settings) == repr(by_keyword) == \
        "Fallback(Retry(CircuitBreaker(Timeout(0.07)), retries=2, backoff=0.01, jitter=False))"
    breaker = by_settings.inner.inner
    assert (breaker.failures, breaker.reset_after, by_settings.baseline) == (5, 0.3, 0.5)
    # a keyword overrides the settings' field; the settings object is left as it was
    assert repr(make_policy("retry", settings, retries=4)).endswith("retries=4, backoff=0.01, jitter=False)")
    assert settings.retries == 2
    assert make_policy("fallback", PolicySettings(baseline=0.2)).baseline == 0.2
    with pytest.raises(ParameterError, match=r"make_policy got an unexpected keyword argument 'retry'\. "
                                             r"Did you mean 'retries'\?"):
        make_policy("retry", retry=2)
    with pytest.raises(ParameterError, match="'retries' parameter of make_policy must be an int in"):
        make_policy("retry", settings, retries=30)
    with pytest.raises(ParameterError, match="'settings' parameter of make_policy must be a PolicySettings"):
        make_policy("retry", {"retries": 2})


def test_simulate_with_policy_settings_is_the_same_run_as_with_keywords():
    from mlfail_widgets.failures.downtime import PolicySettings

    scenario = outage_scenario(0.4, clients=3, fault=Fault(error_rate=0.1))
    by_keyword = simulate(scenario, "fallback", timeout=0.05, retries=2, seed=3)
    by_settings = simulate(scenario, "fallback", settings=PolicySettings(timeout=0.05, retries=2), seed=3)
    assert by_keyword.outcome.tolist() == by_settings.outcome.tolist()
    assert by_keyword.end.tolist() == by_settings.end.tolist()
    assert by_keyword.summary().availability > 0.9
    # without a baseline of its own, the fallback answers the service's baseline in both forms
    from mlfail_widgets.failures.downtime import baseline_prediction
    from mlfail_widgets.failures.downtime.measure import policy_factory

    for options in ({}, {"settings": PolicySettings()}, {"baseline": None}):
        assert policy_factory("fallback", options)[0](0).baseline == baseline_prediction() != 0.5
    assert policy_factory("fallback", {"settings": PolicySettings(baseline=0.2)})[0](0).baseline == 0.2
    assert policy_factory("fallback", {"settings": PolicySettings(baseline=0.2), "baseline": 0.3})[0](0).baseline == 0.3


def test_explore_takes_a_scenario_and_policy_settings_or_keywords():
    from mlfail_widgets.failures.downtime import EXPLORE_SCENARIO, EXPLORE_SETTINGS, PolicySettings

    by_keyword = explore(outage=0.5, kind="hang", error_rate=0.1, latency=0.005, clients=3, retries=2,
                         jitter=False, policy="retry", seed=2)
    scenario = outage_scenario(0.5, start=0.3, kind="hang", duration=1.5, clients=3, interval=0.01,
                               fault=Fault(error_rate=0.1, latency=0.005))
    by_objects = explore(scenario, PolicySettings(timeout=0.05, retries=2, jitter=False), policy="retry", seed=2)
    assert by_keyword.run.outcome.tolist() == by_objects.run.outcome.tolist()
    assert {name: s.availability for name, s in by_keyword.summaries.items()} == \
        {name: s.availability for name, s in by_objects.summaries.items()}
    # keywords override the objects' fields: the same run again
    mixed = explore(EXPLORE_SCENARIO, EXPLORE_SETTINGS, outage=0.5, kind="hang", error_rate=0.1, latency=0.005,
                    clients=3, retries=2, jitter=False, policy="retry", seed=2)
    assert mixed.run.outcome.tolist() == by_keyword.run.outcome.tolist()
    # with a scenario and no outage keyword, no outage window is added
    assert explore(EXPLORE_SCENARIO).summaries["timeout"].availability == 1
    with pytest.raises(ParameterError, match=r"explore got an unexpected keyword argument 'outages'\. "
                                             r"Did you mean 'outage'"):
        explore(outages=0.4)
    with pytest.raises(ParameterError, match="Did you mean 'retries'"):
        explore(retrys=2)
    with pytest.raises(ParameterError, match="'scenario' parameter of explore"):
        explore(0.4)
