"""The learner's path (issue 19): each friction a cold learner met, gone, with a test each."""

from __future__ import annotations

import re

import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.drill import IncidentDrill

from .conftest import ROOT


def test_the_readme_drill_console_line_runs_and_names_the_learner():
    from mlfail_widgets.widgets.drill import drill_console

    readme = (ROOT / "README.md").read_text()
    call = re.search(r"`(drill_console\(IncidentDrill\.for_learner\([^`]*\)\))`", readme).group(1)
    console = eval(call, {"drill_console": drill_console, "IncidentDrill": IncidentDrill})
    with console:
        drill = IncidentDrill.for_learner(7, workshop_seed=2026, level=2)
        assert console.drill.seed == drill.seed and console.drill.level == 2
        title = console.drawn.artists.title.get_text()
        assert title.startswith("Learner 7 (workshop 2026)") and str(drill.seed) not in title
        assert "Learner 7" in console._header() and str(drill.seed) not in console._header()
        bundle = console._repr_mimebundle_()
        assert "Learner 7" in (bundle[0] if isinstance(bundle, tuple) else bundle)["text/plain"]


def test_a_drill_given_with_a_conflicting_level_is_a_clear_error():
    from mlfail_widgets.widgets.drill import DrillConsole

    drill = IncidentDrill.for_learner(7, workshop_seed=2026)
    with pytest.raises(ParameterError, match=r"DrillConsole got .* level=3.*Pass the drill alone"):
        DrillConsole(drill, level=3)


def test_a_drill_passed_as_a_seed_gets_a_hint():
    drill = IncidentDrill.for_learner(7, workshop_seed=2026)
    with pytest.raises(ParameterError, match=r"'seed' parameter of IncidentDrill .*drill_console\(drill\)"):
        IncidentDrill(drill)


def test_outage_share_with_a_study_size_first_suggests_study_size():
    from mlfail_widgets.failures.overview import outage_share

    with pytest.raises(ParameterError, match=r"'confidence' parameter of outage_share.*Did you mean study_size=30\?"):
        outage_share(30)
    with pytest.raises(ParameterError, match=r"Did you mean confidence=0\.95 or study_size=95\?"):
        outage_share(95)


def test_diagnose_any_text_gets_feedback_like_a_placeholder():
    drill = IncidentDrill(3)
    for answer in ("network", "", 42):
        feedback = drill.diagnose(answer)
        assert feedback.correct is None and "not one of the six failure types" in feedback.message
    assert drill.diagnose(...).correct is None


@pytest.mark.parametrize(("call", "function"), [
    (lambda: IncidentDrill(-1), "IncidentDrill"),
    (lambda: IncidentDrill(1, level=4), "IncidentDrill"),
    (lambda: IncidentDrill.for_learner(0, workshop_seed=2026), "IncidentDrill.for_learner"),
    (lambda: IncidentDrill.for_learner(7, workshop_seed=2026, level=9), "IncidentDrill.for_learner"),
    (lambda: IncidentDrill.for_learner(7, workshop_seed=-3), "IncidentDrill.for_learner"),
    (lambda: __import__("mlfail_widgets.failures.drill", fromlist=["x"]).answer_key(3, level=7), "answer_key"),
    (lambda: __import__("mlfail_widgets.failures.overview", fromlist=["x"]).outage_share(study_size=1),
     "outage_share"),
])
def test_errors_name_the_function_the_learner_called(call, function):
    with pytest.raises(ParameterError) as error:
        call()
    assert f"parameter of {function} must be" in str(error.value)


def test_the_console_names_itself_in_its_errors():
    from mlfail_widgets.widgets.drill import drill_console

    with pytest.raises(ParameterError, match=r"parameter of drill_console must be"):
        drill_console(seed=-1)
    with pytest.raises(ParameterError, match=r"'level' parameter of drill_console"):
        drill_console(seed=1, level=0)


def test_the_demonstration_drill_is_never_a_learners():
    from mlfail_widgets.failures.drill.catalogue import DEMONSTRATION_SEED, MAX_SEED, learner_seed

    demo = IncidentDrill.demonstration()
    assert demo.seed == DEMONSTRATION_SEED > MAX_SEED
    with pytest.raises(ParameterError):
        IncidentDrill(DEMONSTRATION_SEED)  # no seed a learner can be given reaches it
    assert all(0 <= learner_seed(n, workshop_seed=w) <= MAX_SEED for n in (1, 10_000) for w in (0, 10**6))
    assert demo.reveal().failure == "hardware" and repr(demo) == "IncidentDrill.demonstration()"
    assert demo.evidence.health["p99_ms"].max() > 2.5 * demo.evidence.health["p99_ms"].median()


def test_outage_share_takes_confidence_and_its_old_name_level_for_one_release():
    from mlfail_widgets.failures.overview import outage_share

    new = outage_share(confidence=0.9, study_size=30)
    assert new.confidence == 0.9 and new.low < 0.6 < new.high
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'confidence'"):
        old = outage_share(level=0.9, study_size=30)
    assert (old.low, old.high) == (new.low, new.high)
    with pytest.warns(DeprecationWarning, match="OutageShareEstimate.level is renamed OutageShareEstimate.confidence"):
        assert old.level == 0.9
    with pytest.raises(ParameterError, match="'level' parameter of outage_share must be left out when "
                                             "'confidence' is given"):
        outage_share(0.8, level=0.9)
