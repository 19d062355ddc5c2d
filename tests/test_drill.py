"""Chapter 07: the incident drill is decidable from its evidence, fair, stable and clean."""

from __future__ import annotations

import collections
import hashlib
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.drill import (
    FAILURE_TYPES,
    HERRING_TYPES,
    VARIANTS,
    IncidentDrill,
    answer_key,
    incident_for,
    learner_seed,
)
from mlfail_widgets.failures.overview import FAILURE_TYPES as COURSE_TYPES

from .conftest import shows_a_full_draw

SEEDS = range(200)
NAMES = {kind.key: kind.name.lower() for kind in COURSE_TYPES}


# ------------------------------------------------------------------------------ the diagnoser
def rule_based_diagnosis(evidence) -> str:
    """A careful on-call engineer in a dozen rules, reading only what the dashboard shows."""
    health, resources = evidence.health, evidence.resources
    p99 = health["p99_ms"].to_numpy(float)
    bad = (health["availability"].to_numpy(float) < 0.9) | (p99 > 2.5 * np.median(p99))
    cpu = resources[[c for c in resources.columns if c.startswith("cpu_")]].to_numpy(float).mean(axis=1)
    logs = evidence.log_text()
    serving = evidence.serving
    if serving["version"].iloc[0] != serving["version"].iloc[1] or serving["sha256"].nunique() > 1:
        return "deployment"  # the service does not serve what production names
    drifted = (evidence.dependencies["status"] != "ok").any()
    broke = (~evidence.golden["passed"].astype(bool)).any() or (evidence.pipeline_runs["status"] != "ok").any()
    if drifted and broke:
        return "dependency"  # a package nobody locked, and something it broke
    if "does not match the registry" in logs:
        return "hardware"  # the weights in memory are not the weights that were registered
    if bad.any():
        if cpu[bad].mean() > 85 or resources["memory"].max() > 90 or "Out of memory" in logs:
            return "hardware"  # the symptoms coincide with the host running out of something
        return "downtime"  # symptoms with a healthy host: something the service calls
    if evidence.recommender["new_song_share"].iloc[-7:].mean() < 0.02:
        return "feedback"  # new songs get no plays at all
    drift = evidence.drift
    if (drift["flagged"] & drift["used_by_model"]).any():
        return "shift"  # an input the model uses moved
    accuracy = evidence.quality["accuracy"].to_numpy(float)
    if accuracy[:5].mean() - accuracy[-3:].mean() > 0.05:
        return "shift"  # quality fell and nothing else changed: the concept moved
    return "no idea"


@pytest.fixture(scope="module")
def sweep():
    """Every drill of the sweep, with and without a red herring: (drill, rule-based answer)."""
    found = {}
    for herring in (False, True):
        for seed in SEEDS:
            drill = IncidentDrill(seed, red_herring=herring)
            found[seed, herring] = (drill, rule_based_diagnosis(drill.evidence))
    return found


@pytest.mark.parametrize("herring", [False, True], ids=["plain", "red herring"])
def test_the_evidence_decides_the_failure(sweep, herring):
    results = [(drill.reveal().failure, guess) for (_, h), (drill, guess) in sweep.items() if h == herring]
    right = sum(truth == guess for truth, guess in results)
    wrong = [(truth, guess) for truth, guess in results if truth != guess]
    assert right / len(results) >= 0.95, f"{len(wrong)} undecidable drills: {wrong[:10]}"


def test_types_are_balanced_and_every_variant_and_herring_occurs(sweep):
    counts = collections.Counter(incident_for(seed).failure for seed in SEEDS)
    assert set(counts) == set(FAILURE_TYPES)
    assert max(counts.values()) - min(counts.values()) <= 1  # exactly balanced, blocks of six
    for block in range(0, 60, 6):
        assert sorted(incident_for(s).failure for s in range(block, block + 6)) == sorted(FAILURE_TYPES)
    variants = {(drill.reveal().failure, drill.reveal().variant) for drill, _ in sweep.values()}
    assert variants == {(kind, v) for kind, names in VARIANTS.items() for v in names}
    herrings = [incident_for(s, red_herring=True) for s in SEEDS]
    assert {i.red_herring for i in herrings} == set(HERRING_TYPES)
    assert all(i.red_herring != i.failure for i in herrings)


def test_a_red_herring_is_visible_and_harmless():
    # a drill whose herring is the unused-feature drift: the report flags only an unused feature
    seed = next(s for s in SEEDS if incident_for(s, red_herring=True).red_herring == "shift"
                and incident_for(s).failure in ("dependency", "deployment", "feedback"))
    plain, noisy = IncidentDrill(seed).evidence, IncidentDrill(seed, red_herring=True).evidence
    assert not plain.drift["flagged"].any()
    flagged = noisy.drift[noisy.drift["flagged"]]
    assert len(flagged) == 1 and not flagged["used_by_model"].iloc[0]
    assert "drift-monitor" in noisy.log_text(level="WARN")


def test_same_seed_same_evidence_and_another_seed_another():
    first, again = IncidentDrill(17, red_herring=True).evidence, IncidentDrill(17, red_herring=True).evidence
    assert first.equals(again)
    assert not first.equals(IncidentDrill(18, red_herring=True).evidence)
    assert incident_for(17) == incident_for(17)


_DIGEST = (
    "import hashlib; from mlfail_widgets.failures.drill import IncidentDrill;"
    "e = IncidentDrill(23, red_herring=True).evidence;"
    "text = e.log_text() + ''.join(t.to_csv(float_format='%.6g') for t in e.tables().values());"
    "print(hashlib.sha256(text.encode()).hexdigest())"
)


def test_the_evidence_does_not_depend_on_hash_randomisation_or_the_clock():
    digests = set()
    for hash_seed in ("1", "4242"):
        env = {"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
        result = subprocess.run([sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_learner_seeds_are_stable_and_balanced_across_a_room():
    assert learner_seed(1, workshop_seed=2026) == 6 * 2026
    assert [learner_seed(n, workshop_seed=7) for n in (1, 2, 3)] == [42, 43, 44]
    digest = hashlib.sha256(b"mlfail-drill:2026:ada lovelace").digest()
    assert learner_seed("  Ada   LOVELACE ", workshop_seed=2026) == int.from_bytes(digest[:8], "big") % 2**31
    assert learner_seed("Ada", workshop_seed=1) != learner_seed("Ada", workshop_seed=2)
    assert IncidentDrill.for_learner("Grace", workshop_seed=3).seed == learner_seed("Grace", workshop_seed=3)
    key = answer_key(30, workshop_seed=2026)
    assert key["failure"].value_counts().tolist() == [5] * 6
    assert key["seed"].tolist() == list(range(12156, 12186))
    assert list(key.columns) == ["learner", "seed", "level", "failure", "variant", "decided_by"]


def test_right_answers_explain_and_wrong_answers_never_give_the_answer_away(sweep):
    for (seed, herring), (drill, _) in list(sweep.items())[::7]:
        revealed = drill.reveal()
        giveaways = {revealed.failure, NAMES[revealed.failure], revealed.variant.lower(), revealed.chapter}
        for answer in FAILURE_TYPES:
            feedback = drill.diagnose(answer)
            if answer == revealed.failure:
                assert feedback.correct and feedback.message.startswith("Right.")
            else:
                assert feedback.correct is False
                text = feedback.message.lower()
                assert not [word for word in giveaways if word in text], (seed, herring, answer, text)
        assert revealed.name.lower() in str(revealed).lower() and revealed.chapter in str(revealed)


def test_nothing_on_screen_names_the_failure(sweep):
    """Titles, log lines and table headers never name a failure type."""
    from mlfail_widgets.plots import drill as plot

    names = [*NAMES.values(), "dependency failure", "deployment failure", "feedback loop"]
    for (seed, herring), (drill, _) in list(sweep.items())[::25]:
        evidence = drill.evidence
        shown = evidence.log_text() + " ".join(
            " ".join(map(str, table.columns)) + table.astype(str).to_string() for table in evidence.tables().values())
        assert not [name for name in names if name in shown.lower()], (seed, herring)
    drawn = plot.draw(drill.evidence)
    texts = [ax.get_title().lower() for ax in drawn.figure.axes] + [drawn.artists.title.get_text().lower()]
    assert not [name for name in names if any(name in t for t in texts)]


def test_reveal_names_the_failure_its_chapter_and_the_red_herring():
    for seed in (0, 1, 2):
        revealed = IncidentDrill(seed, red_herring=True).reveal()
        incident = incident_for(seed, red_herring=True)
        assert (revealed.failure, revealed.variant) == (incident.failure, incident.variant)
        assert revealed.red_herring and revealed.fix and revealed.what_happened
        assert revealed.chapter.startswith(f"0{FAILURE_TYPES.index(incident.failure) + 1}_")
    assert IncidentDrill(0).reveal().red_herring is None


def test_the_drill_uses_the_chapters_numbers():
    from mlfail_widgets.failures.dependency import train_pipeline
    from mlfail_widgets.failures.drill._pipeline import release_runs
    from mlfail_widgets.failures.drill._registry import registry_facts

    runs = release_runs(1)
    assert runs["1.0.0"].golden.passed and not runs["2.0.0"].golden.passed
    assert runs["2.0.0"].clean_error.startswith("AttributeError: module 'scalekit' has no attribute 'clip_outliers'")
    golden = train_pipeline(seed=1)  # with_mean=False on the same model: every probability moves
    assert runs["2.0.0"].golden.n_changed == len(golden)
    facts = registry_facts(1)
    assert [facts.served[path][0] for path in ("pointer", "env var", "cached path")] == [4, 3, 3]
    assert facts.served["pointer"][1] == facts.versions[4][0]
    seed = next(s for s in SEEDS if incident_for(s).variant == "feature store down")
    evidence = IncidentDrill(seed).evidence
    assert (evidence.health["availability"] == 0).sum() >= 2  # nothing answered while the store is down
    assert "feature-store: /health refused the connection" in evidence.log_text(level="ERROR")


def test_building_a_registry_leaves_no_temporary_folder(monkeypatch, tmp_path):
    from mlfail_widgets.failures.drill._registry import registry_facts

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    registry_facts.cache_clear()
    try:
        facts = registry_facts(2)
        assert facts.permission_error.startswith("PermissionError: [Errno 13]")
        assert "/srv/models" in facts.served["cached path"][2] and str(tmp_path) not in str(facts)
        assert list(tmp_path.iterdir()) == []
    finally:
        registry_facts.cache_clear()


def test_bad_input_is_a_clear_error():
    with pytest.raises(ParameterError, match=r"'seed' parameter of IncidentDrill must be an int in \[0"):
        IncidentDrill(-1)
    with pytest.raises(ParameterError, match="'red_herring'"):
        IncidentDrill(1, red_herring="yes")
    feedback = IncidentDrill(1).diagnose("network")  # like diagnose(...): feedback, not an error
    assert feedback.correct is None and "'network' is not one of the six failure types" in feedback.message
    with pytest.raises(ParameterError, match="'name_or_number'"):
        IncidentDrill.for_learner(0)
    with pytest.raises(ParameterError, match="non-empty name"):
        IncidentDrill.for_learner("   ")
    with pytest.raises(ParameterError, match="'learners'"):
        answer_key(0)
    assert IncidentDrill(1).diagnose("Degenerate feedback loop").exercise == "drill 1"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_judged_or_refused_clearly(text):
    feedback = _DRILL.diagnose(text)
    assert feedback.correct in (True, False) or "is not one of the six failure types" in feedback.message


_DRILL = IncidentDrill(5)


def test_the_console_updates_its_figure_in_place_and_shows_errors():
    from mlfail_widgets.widgets.drill import drill_console

    with drill_console(seed=8) as console:
        box = console.widget
        assert "mlfail-main" in box._dom_classes
        image = console._widgets["image"]
        assert "mlfail-figure" in image._dom_classes and "mlfail-drive" in console._widgets["new"]._dom_classes
        figure, before = console.drawn.figure, image.value
        console._widgets["new"].click()
        assert console.drill.seed == 9 and image.value != before and console.drawn.figure is figure
        console._widgets["answer"].value = console.drill.reveal().failure
        console._widgets["diagnose"].click()
        assert "Correct" in console._widgets["feedback"].value
        console._widgets["reveal"].click()
        assert "Read more" in console._widgets["reveal_box"].value
        assert console.diagnose("gravity").correct is None
        assert "not one of the six" in console._widgets["feedback"].value
        assert console.new_incident(seed=-1) is None  # a bad seed: an error line naming the function
        assert 'class="mlfail-error"' in console._widgets["status"].value
        assert "DrillConsole.new_incident" in console._widgets["status"].value  # the method the learner called
        bundle = console._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        assert data["image/png"] and "data:image/png;base64" in data["text/html"]
        console.diagnose("shift")
        assert console._widgets["status"].value == ""


def test_new_incident_redraws_only_the_data_and_shows_what_a_full_draw_shows():
    """The dashboard's axes are drawn once; each incident redraws the data over them, same pixels."""
    from mlfail_widgets.widgets.drill import drill_console

    with drill_console(seed=3) as console:
        canvas = console.drawn.figure.canvas
        for _ in range(3):  # a shift (long PSI bars), a downtime, a deployment failure
            console.new_incident()
            assert shows_a_full_draw(canvas), console.drill.seed
        assert canvas.background_draws == 1


def test_the_console_builds_the_next_drill_while_one_is_read_and_leaves_no_thread():
    import threading

    from mlfail_widgets.failures.drill import IncidentDrill
    from mlfail_widgets.widgets.drill import drill_console

    def prefetching():
        return [t for t in threading.enumerate() if t.name == "mlfail-drill-prefetch" and t.is_alive()]

    with drill_console(seed=20) as console:
        built = console._join_prefetch()  # what the background thread built while drill 20 showed
        assert list(built) == [21]
        assert built[21].evidence.table_html("deploys") == IncidentDrill(21).evidence.table_html("deploys")
        console._prefetch(21)
        assert console.new_incident().seed == 21 and console.drill is not None
        assert console.new_incident(seed=40).seed == 40  # not the prefetched seed: built now
        assert console.new_incident().seed == 41
    assert not prefetching()
