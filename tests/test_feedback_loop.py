"""Chapter 06's simulator: mechanics, determinism, examination, estimators and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.feedback import (
    ROUND_METRICS,
    estimate_song_quality,
    examination_probability,
    fit_position_model,
    logged_data,
    loop_report,
    make_world,
    simulate_feedback_loop,
)
from mlfail_widgets.failures.feedback.examination import examine_and_play
from mlfail_widgets.failures.feedback.policies import random_lists, replace_slots, top_k_rows, top_k_shared

SMALL = {"n_users": 120, "n_songs": 80, "rounds": 6}


def assert_distinct_rows(lists):
    ordered = np.sort(lists, axis=1)
    assert not (np.diff(ordered, axis=1) == 0).any()


@pytest.mark.parametrize("policy", ["random", "popularity", "ctr", "personalised"])
def test_same_seed_same_history(policy):
    first = simulate_feedback_loop(policy, epsilon=0.1, audit_share=0.1, seed=7, **SMALL)
    second = simulate_feedback_loop(policy, epsilon=0.1, audit_share=0.1, seed=7, **SMALL)
    other = simulate_feedback_loop(policy, epsilon=0.1, audit_share=0.1, seed=8, **SMALL)
    assert np.array_equal(first.exposure, second.exposure)
    assert np.array_equal(first.plays, second.plays)
    for name in ROUND_METRICS:
        assert np.array_equal(first.metrics[name], second.metrics[name]), name
    for name, values in first.log.items():
        assert np.array_equal(values, second.log[name]), name
    assert not np.array_equal(first.plays, other.plays)


def test_history_shapes_and_bookkeeping():
    run = simulate_feedback_loop("popularity", k=5, audit_share=0.1, log_rounds=2, seed=0, **SMALL)
    world = run.world
    assert run.exposure.shape == run.plays.shape == (6, 80)
    assert (run.exposure.sum(axis=1) == 108 * 5).all()  # 12 audit listeners excluded
    assert (run.plays <= run.exposure).all()
    for round_ in range(6):  # nothing shown before its release
        assert run.exposure[round_, world.available(round_):].sum() == 0
    assert run.impressions_by_slot.sum() == run.exposure.sum()
    assert run.plays_by_slot.sum() == run.plays.sum()
    log = run.log
    assert len(log["song"]) == 2 * 120 * 5
    assert set(np.unique(log["round"]).tolist()) == {4, 5}
    assert log["audit"].sum() == 2 * 12 * 5
    assert ((log["predicted"] >= 0) & (log["predicted"] <= 1)).all()
    assert set(np.unique(log["position"]).tolist()) == {1, 2, 3, 4, 5}
    assert run.frame().shape == (6, len(ROUND_METRICS))
    assert run.final("coverage") == run.coverage[-1]


def test_world_releases_songs_as_a_growing_prefix():
    world = make_world(n_users=50, n_songs=100, rounds=10, new_songs=0.3, seed=2)
    assert world.n_initial == 70
    counts = [world.available(r) for r in range(10)]
    assert counts == sorted(counts) and counts[-1] == 100
    users, songs = np.array([[0, 1]]), np.array([[5, 6]])
    logit = world.base + world.appeal[songs] + np.einsum("nkd,nkd->nk", world.tastes[users],
                                                         world.styles[songs])
    assert np.allclose(world.affinity(users, songs), 1 / (1 + np.exp(-logit)), atol=1e-6)
    everyone = np.arange(50)[:, None]
    mean = world.affinity(everyone, np.full((50, 1), 42)).mean()
    assert world.true_quality[42] == pytest.approx(mean, rel=1e-5)


def test_progress_is_reported_every_round():
    calls = []
    simulate_feedback_loop("random", progress=lambda done, total: calls.append((done, total)), **SMALL)
    assert calls == [(r, 6) for r in range(1, 7)]


def test_lists_are_distinct_and_top_k_is_exact():
    rng = np.random.default_rng(0)
    assert_distinct_rows(random_lists(rng, 500, 10, 12))  # nearly the whole catalogue
    lists = random_lists(rng, 300, 8, 50)
    mask = rng.random(lists.shape) < 0.5
    replaced = replace_slots(rng, lists, mask, 50)
    assert_distinct_rows(replaced)
    assert np.array_equal(replaced[~mask], lists[~mask])
    for rows, songs in [(1, 700), (40, 2000), (40, 30)]:
        scores = rng.standard_normal((rows, songs)).astype(np.float32)
        probe = np.argsort(-scores.mean(axis=0))[:64]
        assert np.array_equal(top_k_rows(scores, 10, probe), np.argsort(-scores, axis=1)[:, :10])


def test_replaced_slots_show_unranked_songs():
    rng = np.random.default_rng(1)
    lists = random_lists(rng, 400, 5, 100)
    mask = np.zeros_like(lists, dtype=bool)
    mask[:, 3:] = True
    replaced = replace_slots(rng, lists, mask, 100)
    assert not (replaced[:, :, None] == lists[:, None, :]).any(axis=2)[mask].any()


def test_shared_ranking_breaks_ties_per_listener():
    rng = np.random.default_rng(2)
    score = np.array([5.0, 4.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    lists = top_k_shared(rng, score, 200, 3)
    assert (lists[:, 0] == 0).all() and (lists[:, 1] == 1).all()
    assert set(np.unique(lists[:, 2]).tolist()) == {2, 3, 4, 5}


def test_examination_models():
    assert examination_probability(3, 2.0).tolist() == pytest.approx([1, 1 / 4, 1 / 9])
    rng = np.random.default_rng(0)
    affinity = np.full((200_000, 3), 0.5)
    played, propensity = examine_and_play(rng, affinity, "position", 1.0, 0.8)
    assert played.mean(axis=0) == pytest.approx([0.5, 0.25, 0.5 / 3], abs=0.005)
    played, propensity = examine_and_play(rng, affinity, "cascade", 0.0, 0.8)
    # slot 2 is read when slot 1 was not liked (1/2) and the listener went on (0.8)
    assert played.mean(axis=0) == pytest.approx([0.5, 0.5 * 0.8 * 0.5, 0.5 * 0.4 * 0.4], abs=0.005)
    assert (played.sum(axis=1) <= 1).all()  # a cascade stops at the first play
    assert (propensity[played.cumsum(axis=1) - played > 0] == 0).all()


def test_estimators_on_a_log_with_known_quality():
    """Songs with quality q shown at fixed slots under (1/p)^1 examination."""
    rng = np.random.default_rng(4)
    quality = np.array([0.6, 0.4, 0.3, 0.2])
    slots = np.array([0, 1, 2, 3])  # the best song always on top, the worst at the bottom
    impressions = np.zeros((4, 4), dtype=int)
    impressions[np.arange(4), slots] = 40_000
    plays = np.zeros_like(impressions)
    plays[np.arange(4), slots] = rng.binomial(40_000, quality / (slots + 1))
    ipw = estimate_song_quality(impressions, plays, "ipw")
    assert ipw == pytest.approx(quality, abs=0.01)
    naive = estimate_song_quality(impressions, plays, "play_rate")
    assert naive == pytest.approx(quality / (slots + 1), abs=0.01)  # rank mistaken for quality


def test_position_model_recovers_slot_effects():
    rng = np.random.default_rng(5)
    song_effect = rng.normal(-1, 0.5, 200)
    slot_effect = np.array([0.0, -0.7, -1.2])
    impressions = rng.integers(200, 400, size=(200, 3))
    plays = rng.binomial(impressions, 1 / (1 + np.exp(-(song_effect[:, None] + slot_effect))))
    quality, slots = fit_position_model(impressions, plays, prior=0.0, iterations=60)
    assert slots == pytest.approx(slot_effect, abs=0.05)
    assert np.corrcoef(quality, song_effect)[0, 1] > 0.97


@pytest.mark.parametrize(("options", "words"), [
    ({"epsilon": 1.5}, "'epsilon' parameter of simulate_feedback_loop must be a number in \\[0, 1\\]"),
    ({"epsilon": -0.1}, "'epsilon'"),
    ({"k": 81}, "'k' parameter .* Show at most the 64 songs"),
    ({"n_users": 0}, "'n_users' .* at least one listener"),
    ({"policy": "populrity"}, "Did you mean 'popularity'"),
    ({"policy": "random", "debias": "ipw"}, "learned policies"),
    ({"debias": "ips"}, "'debias'"),
    ({"random_slots": 11}, "'random_slots'"),
    ({"rounds": 0}, "'rounds'"),
    ({"position_bias": -1}, "'position_bias'"),
    ({"examination": "scan"}, "'examination'"),
    ({"seed": -3}, "'seed'"),
    ({"progress": 5}, "'progress'"),
    ({"world": "big"}, "'world'"),
])
def test_bad_input_gets_a_clear_error(options, words):
    kwargs = {"n_users": 50, "n_songs": 80, "rounds": 5, **options}
    with pytest.raises(ParameterError, match=words):
        simulate_feedback_loop(**kwargs)


def test_other_functions_reject_bad_input():
    with pytest.raises(ParameterError, match=r"same .songs, slots. shape"):
        estimate_song_quality(np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ParameterError, match=r"'position' .* predict at one of them"):
        estimate_song_quality(np.ones((3, 2)), np.zeros((3, 2)), position=3)
    with pytest.raises(ParameterError, match="'n_users'"):
        make_world(n_users=0)
    with pytest.raises(ParameterError, match="a LoopRun"):
        logged_data("not a run")


@settings(max_examples=25, deadline=None)
@given(epsilon=st.floats(-2, 3, allow_nan=False), k=st.integers(-2, 60))
def test_learner_input_is_accepted_or_named(epsilon, k):
    valid = 0 <= epsilon <= 1 and 1 <= k <= 32
    try:
        run = simulate_feedback_loop("popularity", n_users=20, n_songs=40, rounds=2, k=k,
                                     epsilon=epsilon)
    except ParameterError as error:
        assert not valid
        assert ("'epsilon'" in str(error)) or ("'k'" in str(error))
    else:
        assert valid
        assert run.exposure.sum() == 2 * 20 * k


def test_loop_report_bundles_a_run_and_its_slices():
    report = loop_report("ctr+position_feature", 0.1, 1.0, 5, 6, n_users=200, n_songs=100)
    assert report.history.settings["debias"] == "position_feature"
    assert set(report.slices["slice"]) == {"head", "torso", "tail", "new", "old"}
    data = logged_data(report.history)
    assert data["popularity"].cat.ordered and list(data["popularity"].cat.categories) == [
        "head", "torso", "tail"]


def test_loop_report_takes_a_loop_settings_with_the_same_numbers():
    from mlfail_widgets.failures.feedback import LoopSettings

    by_keywords = loop_report("ctr+ipw", epsilon=0.1, k=5, rounds=6, n_users=200, n_songs=100)
    settings = LoopSettings("ctr", debias="ipw", epsilon=0.1, k=5, rounds=6, n_users=200, n_songs=100,
                            audit_share=0.1)
    by_settings = loop_report(settings)
    assert np.array_equal(by_keywords.history.exposure_gini, by_settings.history.exposure_gini)
    assert by_keywords.slices.to_frame().equals(by_settings.slices.to_frame())
    assert by_settings.policy == "ctr+ipw"
    overridden = loop_report(settings, epsilon=0.3)
    assert overridden.history.settings["epsilon"] == 0.3


def test_loop_report_old_positional_call_warns_and_gives_the_same_run():
    with pytest.warns(DeprecationWarning, match="positional form"):
        old = loop_report("popularity", 0.2, 1.0, 5, 6, n_users=200, n_songs=100)
    new = loop_report("popularity", epsilon=0.2, k=5, rounds=6, n_users=200, n_songs=100)
    assert np.array_equal(old.history.exposure_gini, new.history.exposure_gini)


def test_loop_report_unknown_keyword_names_the_closest_field():
    with pytest.raises(ParameterError, match=r"loop_report got an unexpected keyword argument 'epsilom'.*'epsilon'"):
        loop_report(epsilom=0.1, rounds=3)
    with pytest.raises(ParameterError, match=r"'epsilon' parameter of loop_report"):
        loop_report(epsilon=2, rounds=3)
