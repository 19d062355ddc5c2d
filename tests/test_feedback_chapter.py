"""Chapter 06's prose against its own runs (issue 19: one source for every quoted number).

Each test repeats a call of the notebook with the same arguments and seeds (the runs are
deterministic, so these are the numbers the executed chapter shows) and checks the claim the
prose makes about them. If a change to the simulator breaks a claim, the prose must change.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from mlfail_widgets.exercises import _get
from mlfail_widgets.exercises.ch06 import TABLE_SEEDS
from mlfail_widgets.failures.feedback import (
    compare_debiasing,
    controlled_log,
    examination_curves,
    exploration_tradeoff,
    homogenization_table,
    make_world,
    position_bias_comparison,
    simulate_feedback_loop,
    slice_report,
    slot_dependence,
    summarize_runs,
)

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "06_degenerate_feedback_loops.ipynb"
pytestmark = pytest.mark.slow


def notebook_source() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(cell.source for cell in nb.cells)


@pytest.fixture(scope="module")
def world():
    return make_world(n_users=1000, n_songs=500, rounds=30, seed=1)


@pytest.fixture(scope="module")
def runs(world):
    return {policy: simulate_feedback_loop(policy, world=world, seed=1)
            for policy in ["random", "popularity", "ctr", "personalised"]}


def test_the_notebook_makes_the_calls_checked_here():
    source = notebook_source()
    for call in ['make_world(n_users=1000, n_songs=500, rounds=30, seed=1)',
                 'simulate_feedback_loop(policy, world=world, seed=1)',
                 'simulate_feedback_loop("oracle", world=world, seed=1)',
                 'position_bias_comparison(["relevance", "reverse"], seeds=3)',
                 'examination_curves(controlled_log("relevance", seed=0))',
                 'biased = simulate_feedback_loop("ctr", epsilon=0.1, position_bias=1.0, world=world, seed=1)',
                 'compare_debiasing("ctr", epsilon=0.1, position_bias=1.0, seeds=2)']:
        assert call in source, call
    seeds = re.search(r"exploration_tradeoff\(\[[^\]]*\], seeds=(\d+)\)", source)
    assert seeds and int(seeds.group(1)) == TABLE_SEEDS


def test_exercise_06_1_uses_the_table_that_teaches_it():
    table = exploration_tradeoff([0.0, 0.05, 0.3], seeds=TABLE_SEEDS)
    expected = _get("06.1").expected()
    assert table.loc[0.3, "exploration_cost"] == pytest.approx(expected, abs=1e-12)
    # and the first rows of the table support "a little exploration costs almost nothing in total"
    assert table.loc[0.05, "plays_per_user"] > 0.98 * table.loc[0.0, "plays_per_user"]


def test_popularity_paragraph(runs):
    table = summarize_runs(runs)
    popular = table.loc["popularity"]
    assert popular["exposure_gini"] > 0.9
    assert popular["top_share"] > 0.5
    assert popular["new_song_success"] == 0
    assert popular["homogenization"] == 1
    # "the ranking does not merely stop improving: it gets worse"
    assert popular["kendall_tau"] < popular["kendall_tau_peak"] - 0.1
    assert table.loc["random", "exposure_gini"] < 0.2
    assert table.loc["personalised", "exposure_gini"] < popular["exposure_gini"]


def test_homogenization_paragraph(world, runs):
    oracle = simulate_feedback_loop("oracle", world=world, seed=1)
    table = homogenization_table({**runs, "oracle": oracle})
    assert table.loc["oracle", "consumed_overlap"] > 0.05
    policies = ["random", "popularity", "ctr", "personalised"]
    assert table.loc[policies, "vs_oracle"].idxmax() == "popularity"
    assert table.loc["personalised", "vs_oracle"] > 0
    assert (table.loc[policies, "utility"] < table.loc["oracle", "utility"]).all()
    assert table.loc["oracle", "exposure_gini"] > table.loc["personalised", "exposure_gini"]


def test_slice_paragraph(world):
    popular = simulate_feedback_loop("popularity", audit_share=0.05, log_rounds=5, world=world, seed=1)
    exploring = simulate_feedback_loop("popularity", epsilon=0.2, audit_share=0.05, log_rounds=5,
                                       world=world, seed=1)
    before = slice_report(popular).set_index("slice")
    after = slice_report(exploring).set_index("slice")
    assert before.loc["new", "size"] < 100  # "a few dozen rows out of 20,000"
    assert before.loc["tail", "metric"] > 0 and before.loc["torso", "metric"] > 0
    assert abs(after.loc["tail", "metric"]) < before.loc["tail", "metric"] / 2
    assert after.loc["new", "size"] > before.loc["new", "size"]


def test_random_insertion_costs_less(world, runs):
    table = summarize_runs({
        "epsilon 0.2": simulate_feedback_loop("popularity", epsilon=0.2, world=world, seed=1),
        "2 random slots": simulate_feedback_loop("popularity", random_slots=2, world=world, seed=1)})
    assert table.loc["2 random slots", "exploration_cost"] < table.loc["epsilon 0.2", "exploration_cost"]


def test_slot_table_paragraph(world):
    biased = simulate_feedback_loop("ctr", epsilon=0.1, position_bias=1.0, world=world, seed=1)
    table = slot_dependence(biased)
    row = table.loc["slot_table"]
    assert abs(row["kendall_tau"] - row["kendall_tau_last_slot"]) < 0.05
    assert row["same_ranking"] < min(row["kendall_tau"], row["kendall_tau_last_slot"])
    assert table.loc["play_rate", "slot_leak"] < -0.3
    assert table.loc["position_feature", "same_ranking"] == pytest.approx(1.0)
    debiased = compare_debiasing("ctr", epsilon=0.1, position_bias=1.0, seeds=2)
    for method in ("position_feature", "ipw"):  # better songs, and more concentrated exposure
        assert debiased.loc[method, "kendall_tau"] > debiased.loc["none", "kendall_tau"]
        assert debiased.loc[method, "exposure_gini"] > debiased.loc["none", "exposure_gini"]


def test_position_bias_take_home_points():
    curves = examination_curves(controlled_log("relevance", seed=0))
    assert curves["multiplicative_error"].abs().max() < 0.1
    table = position_bias_comparison(["relevance", "reverse"], seeds=3)
    ratio, spread = table["slot1_calibration"], table["slot1_calibration_sd"]
    tau = table["kendall_tau"]
    for placement in ("relevance", "reverse"):
        def at(method, column=ratio, placement=placement):
            return column[(placement, method)]
        for method in ("multiplicative", "ips", "ips_self_normalised"):
            assert 0.9 <= at(method) <= 1.1, (placement, method)
        assert at("ips", spread) == max(at(m, spread) for m in ("ips", "ips_self_normalised",
                                                                 "multiplicative"))
        assert at("ips_clipped", spread) < at("ips", spread)
        assert at("ips_self_normalised", spread) < at("ips", spread)
        assert at("ips_clipped") < at("ips")
        assert at("play_rate") < 0.5
    assert ratio[("relevance", "position_feature")] > 1.03  # over-predicts with good songs on top
    assert ratio[("reverse", "position_feature")] < 0.92  # under-predicts with them at the bottom
    clipped_bias = {p: 1 - ratio[(p, "ips_clipped")] for p in ("relevance", "reverse")}
    assert clipped_bias["reverse"] > clipped_bias["relevance"]  # "most when good songs sit low"
    best = tau.loc["relevance"].idxmax()
    assert best == "play_rate"
