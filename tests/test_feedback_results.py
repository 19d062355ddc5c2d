"""The results chapter 06 shows, checked on seeded runs of the loop.

Each claim of the chapter is a test: popularity concentrates exposure; exploration buys a
truer ranking and less concentration for a measurable price in plays; position debiasing
recovers the true ranking and does not depend on the slot assumed; slicing the log exposes the
tail under popularity, much less under exploration.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlfail_widgets.failures.feedback import (
    compare_debiasing,
    exploration_tradeoff,
    simulate_feedback_loop,
    slice_report,
    slot_dependence,
)

SIZE = {"n_users": 1000, "n_songs": 500, "rounds": 30}


def test_popularity_concentrates_exposure():
    for seed in range(3):
        popular = simulate_feedback_loop("popularity", seed=seed, **SIZE)
        spread = simulate_feedback_loop("random", seed=seed, **SIZE)
        assert popular.exposure_gini[-1] > popular.exposure_gini[0] + 0.5  # it rises
        assert popular.exposure_gini[-1] > spread.exposure_gini[-1] + 0.6  # well above random
        assert spread.exposure_gini[-1] < 0.2
        assert popular.new_song_success() == 0.0  # new songs never surface
        assert popular.final("homogenization") > 0.95  # everybody hears the same list


def test_exploration_trades_plays_now_for_a_truer_ranking():
    epsilons = [0.0, 0.1, 0.2, 0.3, 0.5]
    table = exploration_tradeoff(epsilons, seeds=2, **SIZE)
    tau, gini = table["kendall_tau"].to_numpy(), table["exposure_gini"].to_numpy()
    cost = table["exploration_cost"].to_numpy()
    assert tau[2] > tau[0] + 0.15  # epsilon 0.2 learns the ranking much better
    assert (np.diff(gini) < 0).all()  # every step of exploration slows concentration
    assert cost[0] == 0 and (np.diff(cost) > 0).all()  # and costs more plays, step by step
    assert cost[2] > 0.1  # a measurable price: a tenth of a play per listener and round
    assert table.loc[0.5, "plays_per_user"] < table.loc[0.0, "plays_per_user"]
    assert table.loc[0.2, "new_song_success"] > 0.5 > table.loc[0.0, "new_song_success"]


def test_debiasing_recovers_the_true_ranking_under_position_bias():
    table = compare_debiasing("ctr", seeds=2, epsilon=0.1, position_bias=1.0, **SIZE)
    naive = table.loc["none"]
    for method in ("position_feature", "ipw"):
        assert table.loc[method, "kendall_tau"] > naive["kendall_tau"] + 0.02
        assert table.loc[method, "ndcg"] > naive["ndcg"]
        assert table.loc[method, "plays_per_user"] > naive["plays_per_user"]


def test_personalised_model_gains_from_the_position_feature():
    table = compare_debiasing("personalised", ["none", "position_feature"], epsilon=0.1, **SIZE)
    assert table.loc["position_feature", "kendall_tau"] > table.loc["none", "kendall_tau"] + 0.1


def test_naive_ranking_depends_on_the_slot_assumed_and_debiased_does_not():
    run = simulate_feedback_loop("ctr", epsilon=0.1, position_bias=1.0, seed=0, **SIZE)
    table = slot_dependence(run)
    assert table.loc["slot_table", "same_ranking"] < 0.7
    assert table.loc["position_feature", "same_ranking"] == pytest.approx(1.0)
    assert table.loc["ipw", "same_ranking"] == pytest.approx(1.0)
    # the naive play rate mistakes rank for quality: songs shown higher look better
    assert table.loc["play_rate", "slot_leak"] < -0.3
    assert abs(table.loc["ipw", "slot_leak"]) < 0.15
    for method in ("position_feature", "ipw"):
        assert table.loc[method, "kendall_tau"] > table.loc["play_rate", "kendall_tau"] + 0.05


def test_without_position_bias_nothing_depends_on_the_slot():
    run = simulate_feedback_loop("ctr", epsilon=0.1, position_bias=0.0, seed=0, **SIZE)
    table = slot_dependence(run)
    assert abs(table.loc["play_rate", "slot_leak"]) < 0.2


def test_slices_show_a_worse_tail_under_popularity_than_under_exploration():
    gaps = {}
    for name, options in (("popularity", {}), ("exploration", {"epsilon": 0.2})):
        run = simulate_feedback_loop("popularity", audit_share=0.05, log_rounds=5, seed=0,
                                     **SIZE, **options)
        table = slice_report(run).set_index("slice")
        gaps[name] = table
    tail_popular = gaps["popularity"].loc["tail"]
    tail_explore = gaps["exploration"].loc["tail"]
    assert tail_popular["flagged"]
    assert tail_popular["metric"] > 2 * tail_explore["metric"]
    assert tail_popular["metric"] > 0.04  # predicts tail songs as if they were hits
    assert abs(gaps["popularity"].loc["head", "metric"]) < 0.01  # while the head is calibrated
    # under popularity new songs are hardly logged at all
    assert gaps["popularity"].loc["new", "size"] < gaps["exploration"].loc["new", "size"] / 3


def test_same_concentration_trend_as_trecs_popularity():
    """T-RECS's popularity recommender at 1000 x 1000 x 100 ends near a Gini of 0.99 of
    interactions (passes 0.9 within five steps); so does this simulator."""
    run = simulate_feedback_loop("popularity", n_users=1000, n_songs=1000, rounds=100,
                                 new_songs=0.0, position_bias=0.0, seed=0)
    assert run.play_gini[4] > 0.9
    assert run.play_gini[-1] > 0.97
