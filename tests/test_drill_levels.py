"""Drills at three levels: still decidable at every level, harder where it should be.

Level 1 is one clear signal; level 2 adds a red herring and quiets the decisive signal; level 3
removes the failure's own log lines and adds a harmless change of another type at the same time,
so that no single panel decides. The rule-based diagnoser of ``test_drill`` (which combines
panels) must still decide at least 95 % of 400 seeds at every level, and at level 3 no rule that
reads one panel or one table may decide more than 70 %: for each panel, the best any rule can do
from what that panel shows is computed exactly (every distinct reading of the panel mapped to
the failure most drills with that reading have), which bounds every rule reading it.
"""

from __future__ import annotations

import collections
import re

import numpy as np
import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.drill import FAILURE_TYPES, IncidentDrill, answer_key, incident_for
from mlfail_widgets.failures.drill._data import DISPLAY_NAMES, USED

from .test_drill import rule_based_diagnosis

SEEDS = range(400)
LEVELS = (1, 2, 3)
_USED_NAMES = {DISPLAY_NAMES[c] for c in USED}


@pytest.fixture(scope="module")
def sweep():
    """(level, seed) -> (truth, variant, rule-based answer, readings of each panel)."""
    found = {}
    for level in LEVELS:
        for seed in SEEDS:
            drill = IncidentDrill(seed, level=level)
            evidence = drill.evidence
            truth = drill.reveal()
            found[level, seed] = (truth.failure, truth.variant, rule_based_diagnosis(evidence),
                                  panel_readings(evidence))
    return found


# ------------------------------------------------------------------ what each panel shows
def _hourly(evidence) -> tuple[bool, bool]:
    """The prediction service's hourly INFO summaries: a p99 spike, errors."""
    p99, errors, requests = [], [], []
    for line in evidence.logs:
        match = re.search(r"last hour: (\d+) sampled requests, (\d+) errors, p99 (\d+) ms", str(line))
        if match:
            requests.append(int(match[1]))
            errors.append(int(match[2]))
            p99.append(int(match[3]))
    p99 = np.array(p99, float)
    return bool((p99 > 2.5 * np.median(p99)).any()), bool(sum(errors) > 0.01 * max(sum(requests), 1))


def _logs(evidence) -> tuple:
    """Everything a reader of the logs alone can use: which component complained at which level,
    the distinctive phrases, which features the drift monitor names, the hourly summaries."""
    lines = [line for line in evidence.logs if line.level in ("WARN", "ERROR")]
    sources = frozenset((line.component, line.level) for line in lines)
    text = evidence.log_text()
    phrases = frozenset(p for p in ("8 of 8 cores", "4 of 8 cores", "Out of memory", "does not match the registry",
                                    "loading v4 failed", "slow feature-store call", "connection refused",
                                    "HTTP 500", "golden", "AttributeError", "disagree", "EDAC",
                                    "podcast episodes", "placed batch job", "canary", "lock updated")
                        if p in text)
    named = frozenset(name for name in DISPLAY_NAMES.values()
                      if re.search(rf"drift-monitor\s+{name}: PSI", text))
    return sources, phrases, frozenset(named & _USED_NAMES) != frozenset(), named, _hourly(evidence)


def panel_readings(evidence) -> dict:
    health, resources = evidence.health, evidence.resources
    p99 = health["p99_ms"].to_numpy(float)
    cpu = resources[[c for c in resources.columns if c.startswith("cpu_")]].to_numpy(float)
    serving = evidence.serving
    deps = evidence.dependencies
    drift = evidence.drift
    accuracy = evidence.quality["accuracy"].to_numpy(float)
    deploys = evidence.deploys
    return {
        "logs": _logs(evidence),
        "health": (bool((health["availability"] < 0.9).any()), bool((p99 > 2.5 * np.median(p99)).any())),
        "resources": (bool(cpu.mean(axis=1).max() > 85), bool(cpu.max() > 90), bool(resources["memory"].max() > 90)),
        "serving": (serving["version"].nunique() > 1, serving["sha256"].nunique() > 1),
        "deploys": frozenset(zip(deploys["component"], deploys["change"].str.split().str[0], strict=True)),
        "dependencies": frozenset(deps.loc[deps["status"] != "ok", "image"]),
        "golden": bool((~evidence.golden["passed"].astype(bool)).any()),
        "pipeline_runs": int((evidence.pipeline_runs["status"] != "ok").sum()) > 0,
        "drift": (bool((drift["flagged"] & drift["used_by_model"]).any()),
                  bool((drift["flagged"] & ~drift["used_by_model"]).any())),
        "quality": bool(accuracy[:5].mean() - accuracy[-3:].mean() > 0.05),
        "recommender": (bool(evidence.recommender["new_song_share"].iloc[-7:].mean() < 0.02),
                        bool(evidence.slices.set_index("slice").loc["new", "impression_share"] < 0.05)),
    }


def best_single_panel_rule(rows, panel: str) -> float:
    """The accuracy of the best rule that reads only ``panel``: each distinct reading of the panel
    answers the failure most drills with that reading have (in-sample, so an upper bound)."""
    by_reading = collections.defaultdict(collections.Counter)
    for truth, _, _, readings in rows:
        by_reading[readings[panel]][truth] += 1
    return sum(counts.most_common(1)[0][1] for counts in by_reading.values()) / len(rows)


# ------------------------------------------------------------------ the tests
@pytest.mark.timeout(3600)  # the first test builds the sweep: 1,200 drills (about 60 s on an idle machine)
@pytest.mark.parametrize("level", LEVELS)
def test_the_diagnoser_decides_at_every_level(sweep, level):
    rows = [row for (lv, _), row in sweep.items() if lv == level]
    wrong = [(truth, variant, guess) for truth, variant, guess, _ in rows if guess != truth]
    assert 1 - len(wrong) / len(rows) >= 0.95, collections.Counter(wrong).most_common(5)


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_is_balanced_across_the_six_types(sweep, level):
    counts = collections.Counter(truth for (lv, _), (truth, *_rest) in sweep.items() if lv == level)
    assert set(counts) == set(FAILURE_TYPES) and max(counts.values()) - min(counts.values()) <= 1
    key = answer_key(30, workshop_seed=2026, level=level)
    assert key["failure"].value_counts().tolist() == [5] * 6 and set(key["level"]) == {level}


def test_at_level_3_no_single_panel_decides(sweep):
    rows3 = [row for (lv, _), row in sweep.items() if lv == 3]
    rows1 = [row for (lv, _), row in sweep.items() if lv == 1]
    panels = list(rows3[0][3])
    best3 = {panel: best_single_panel_rule(rows3, panel) for panel in panels}
    assert max(best3.values()) <= 0.70, best3
    # the bound has teeth: at level 1 the logs alone nearly decide
    assert best_single_panel_rule(rows1, "logs") > 0.85


def test_level_2_has_a_red_herring_and_a_quieter_signal(sweep):
    assert all(IncidentDrill(seed, level=2).red_herring for seed in range(12))
    assert not IncidentDrill(0, level=2, red_herring=False).red_herring
    assert all(incident_for(seed, level=2).red_herring != incident_for(seed).failure for seed in range(60))

    def worst(level, failure, measure):
        return np.median([measure(IncidentDrill(seed, level=level).evidence) for seed in SEEDS[:120]
                          if incident_for(seed).failure == failure])

    def bad_bins(evidence):
        p99 = evidence.health["p99_ms"].to_numpy(float)
        return int(((evidence.health["availability"] < 0.9) | (p99 > 2.5 * np.median(p99))).sum())

    def psi(evidence):
        drift = evidence.drift
        return float(drift.loc[drift["used_by_model"], "psi"].max())

    assert worst(2, "downtime", bad_bins) < worst(1, "downtime", bad_bins)
    assert worst(2, "hardware", bad_bins) <= worst(1, "hardware", bad_bins)
    assert worst(2, "shift", psi) < worst(1, "shift", psi)


def test_level_3_hides_the_failures_own_log_lines():
    for seed in range(60):
        drill = IncidentDrill(seed, level=3)
        variant = drill.reveal().variant
        if variant == "flipped bit in the weights":
            continue  # the nightly integrity check is the only trace of a flipped bit
        text = drill.evidence.log_text(level="ERROR")
        for phrase in ("loading v4 failed", "golden-test", "Out of memory", "slow feature-store call",
                       "connection refused", "HTTP 500", "AttributeError"):
            assert phrase not in text, (seed, variant, phrase)


def test_levels_are_checked_and_named():
    assert IncidentDrill(5, level=3).level == 3 and "level=3" in repr(IncidentDrill(5, level=3))
    assert IncidentDrill(5).evidence.equals(IncidentDrill(5, level=1).evidence)
    with pytest.raises(ParameterError, match=r"'level' parameter of IncidentDrill.for_learner must be an int in \[1, 3\]"):
        IncidentDrill.for_learner(7, workshop_seed=2026, level=4)
    with pytest.raises(ParameterError, match=r"'level' parameter of answer_key"):
        answer_key(3, level=0)
    assert IncidentDrill(5, level=2).reveal().level == 2
