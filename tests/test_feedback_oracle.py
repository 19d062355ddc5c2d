"""The oracle policy, homogenization as Chaney et al. measure it, LoopSettings, and BLAS threads."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.feedback import (
    LoopSettings,
    consumed_overlap,
    homogenization_table,
    make_world,
    simulate_feedback_loop,
)
from mlfail_widgets.failures.feedback.policies import make_policy

SMALL = {"n_users": 150, "n_songs": 90, "rounds": 6}


def test_oracle_shows_each_listener_their_true_top_k():
    world = make_world(n_users=300, n_songs=400, seed=2)
    users = np.arange(0, 300, 3)
    lists = make_policy("oracle", world, 10).recommend(np.random.default_rng(0), users, 320)
    affinity = world.affinity(users[:, None], np.arange(320)[None, :])
    expected = np.argsort(-affinity, axis=1, kind="stable")[:, :10]
    np.testing.assert_array_equal(lists, expected)


def test_consumed_overlap_matches_sets():
    rng = np.random.default_rng(5)
    consumed = rng.random((12, 40)) < 0.15
    consumed[3] = False
    consumed[7] = False
    values = []
    for a, b in itertools.combinations(range(12), 2):
        first, second = set(np.flatnonzero(consumed[a])), set(np.flatnonzero(consumed[b]))
        if first | second:
            values.append(len(first & second) / len(first | second))
    assert consumed_overlap(consumed) == pytest.approx(np.mean(values), abs=1e-12)


def test_consumed_songs_are_the_tracked_listeners_plays():
    run = simulate_feedback_loop("ctr", log_rounds=6, seed=3, **SMALL)
    tracked = np.unique(np.linspace(0, 149, 150).round().astype(int))
    log = run.log
    rows = ~log["audit"] & log["played"]
    expected = np.zeros_like(run.consumed)
    expected[log["user"][rows], log["song"][rows]] = True
    np.testing.assert_array_equal(run.consumed, expected[tracked])


def test_homogenization_relative_to_the_oracle():
    world = make_world(n_users=600, n_songs=300, rounds=20, seed=4)
    runs = {p: simulate_feedback_loop(p, world=world, rounds=20, seed=4)
            for p in ["popularity", "personalised", "oracle"]}
    table = homogenization_table(runs)
    assert table.loc["oracle", "vs_oracle"] == 0
    assert table.loc["popularity", "vs_oracle"] > 0.3  # everyone plays the same few songs
    assert table.loc["popularity", "vs_oracle"] > table.loc["personalised", "vs_oracle"]
    assert runs["oracle"].final("kendall_tau") == pytest.approx(1.0)
    assert table.loc["oracle", "utility"] > table.loc["popularity", "utility"]
    with pytest.raises(ParameterError, match="oracle"):
        homogenization_table({"popularity": runs["popularity"]})
    other = simulate_feedback_loop("oracle", n_users=600, n_songs=300, rounds=20, seed=5)
    with pytest.raises(ParameterError, match="same world"):
        homogenization_table({"popularity": runs["popularity"], "oracle": other})


def test_settings_object_and_keywords_give_the_same_run():
    settings = LoopSettings("ctr", epsilon=0.1, audit_share=0.1, **SMALL)
    by_object = simulate_feedback_loop(settings, seed=2)
    by_keywords = simulate_feedback_loop("ctr", epsilon=0.1, audit_share=0.1, seed=2, **SMALL)
    by_both = simulate_feedback_loop(settings=LoopSettings("ctr", **SMALL), epsilon=0.1,
                                     audit_share=0.1, seed=2)
    for run in (by_keywords, by_both):
        np.testing.assert_array_equal(run.plays, by_object.plays)
        assert run.settings == by_object.settings
    overridden = simulate_feedback_loop(settings, epsilon=0.0, seed=2)
    assert overridden.settings["epsilon"] == 0.0 and settings.epsilon == 0.1


def test_settings_errors_name_the_function_called():
    with pytest.raises(ParameterError, match="'epsilon' parameter of simulate_feedback_loop"):
        simulate_feedback_loop(epsilon=2, **SMALL)
    with pytest.raises(ParameterError, match="'epsilon' parameter of LoopSettings"):
        LoopSettings(epsilon=-1)
    with pytest.raises(ParameterError, match=r"simulate_feedback_loop.*'epsilno'.*Did you mean 'epsilon'"):
        simulate_feedback_loop(epsilno=0.1, **SMALL)
    with pytest.raises(ParameterError, match="'settings' parameter of simulate_feedback_loop"):
        simulate_feedback_loop("ctr", settings={"epsilon": 0.1})


def test_blas_runs_on_one_thread_inside_and_is_restored():
    from threadpoolctl import threadpool_info

    from mlfail_widgets.failures.feedback._blas import single_threaded_blas

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    with single_threaded_blas():
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert inside and set(inside) == {1}
    assert after == before
