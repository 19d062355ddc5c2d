"""Every public entry point the notebooks and the README show, fuzzed with bad arguments.

Issue 17, item 7. For each function and each of its parameters, hypothesis draws a value that
is certainly wrong (a wrong type, NaN, inf, empty, out of range) and calls the function with
otherwise good arguments. The call must raise the project's ``ParameterError`` (or the
documented error class) whose message names the parameter: never a raw ``ValueError``,
``TypeError``, ``KeyError`` or ``StopIteration`` from inside numpy or pandas, never a silent
answer, and never a hang (each example has a deadline).

Failures in modules owned by other engineers are marked ``xfail(strict=True)`` with the owner
and the exact input, so the mark fails (and must be removed) once their fix is merged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.intervals import PROPORTION_METHODS

NAN, INF = float("nan"), float("inf")

# Values wrong for any parameter of the kind: the type, NaN and the infinities, emptiness.
NOT_A_NUMBER = [NAN, INF, -INF, "abc", "", [], [1, 2], {}, b"1", 1j, object()]
NOT_AN_INT = [*NOT_A_NUMBER, 1.5, True]
NOT_A_BOOL = ["yes", "", 2, 0.5, NAN, [], None]
NOT_A_TEXT = [5, 1.5, NAN, None, [], b"scalekit", object()]


def bad(*extra: Any, base: list | None = None) -> st.SearchStrategy:
    """A strategy over the given wrong values (``base`` plus ``extra``)."""
    values = list(base or []) + list(extra)
    return st.sampled_from(values)


def wrong_text(allowed: list[str]) -> st.SearchStrategy:
    """A text that is none of ``allowed``, or a value that is not text at all."""
    return st.one_of(st.text(max_size=12).filter(lambda t: t not in allowed), bad(base=NOT_A_TEXT))


@dataclass
class Entry:
    """One public callable: how to call it well, and what is wrong for each parameter."""

    name: str
    call: Callable[..., Any]
    good: dict
    wrong: dict  # parameter -> strategy of wrong values
    errors: tuple = (ParameterError,)
    xfail: dict = field(default_factory=dict)  # parameter -> reason (owner, input, error)


# ------------------------------------------------------------------------------ fixtures (lazy)
_CACHE: dict = {}


def _weeks():
    if "weeks" not in _CACHE:
        from mlfail_widgets.failures.deployment import drifting_weeks

        _CACHE["weeks"] = drifting_weeks(3, rows_per_week=120, seed=0)
    return _CACHE["weeks"]


def _registry():
    if "registry" not in _CACHE:
        import tempfile

        from mlfail_widgets.failures.deployment import ModelRegistry, register_weekly_models

        folder = tempfile.TemporaryDirectory(prefix="mlfail-fuzz-")
        registry = ModelRegistry(folder.name)
        register_weekly_models(registry, _weeks(), [1, 2])
        registry.promote(1)
        _CACHE["registry"], _CACHE["registry-folder"] = registry, folder
    return _CACHE["registry"]


def _golden():
    if "golden" not in _CACHE:
        from mlfail_widgets.failures.dependency import train_pipeline

        _CACHE["golden"] = train_pipeline(seed=0)
    return _CACHE["golden"]


def _demo():
    if "demo" not in _CACHE:
        from mlfail_widgets.failures.hardware import train_demo_model

        _CACHE["demo"] = train_demo_model(0, rows=200)
    return _CACHE["demo"]


def _table():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"age": rng.normal(40, 10, 300), "label": rng.integers(0, 2, 300),
                         "prediction": rng.integers(0, 2, 300)})


# ------------------------------------------------------------------------------ the entries
def _entries() -> list[Entry]:
    from mlfail_widgets import Checkbox, Choice, SeedBox, Slider, slice_metrics
    from mlfail_widgets.failures import downtime, feedback, hardware, overview, shift
    from mlfail_widgets.failures.dependency import (
        DependencyLab,
        golden_test,
        parse_requirement,
        version_guard,
    )
    from mlfail_widgets.failures.deployment import (
        ModelRegistry,
        ModelService,
        canary,
        drifting_weeks,
        train_week,
    )
    from mlfail_widgets.failures.drill import IncidentDrill

    lock = {"scalekit": "1.1.0", "songpipe": "1.0.0"}
    return [
        # ---------------------------------------------------------------- chapter 01 (dependency)
        Entry("golden_test", lambda **k: golden_test(**k), {"served": None, "golden": None},
              {"served": bad("abc", [], [[0.1, 0.2]], [0.5] * 3, {"a": 1}, None),
               "tolerance": bad(-0.1, 2.0, base=NOT_A_NUMBER)}),
        Entry("version_guard", version_guard, {"installed": {"scalekit": "1.1.0"}, "lock": lock},
              {"installed": bad("abc", 5, [1, 2], None, 1.5), "lock": bad("abc", 5, [1, 2], None, 1.5)}),
        Entry("parse_requirement", parse_requirement, {"requirement": "scalekit>=1.0"},
              {"requirement": st.one_of(bad("", "  ", "numpy>=1", "scalekit>=", "scalekit[x]", base=NOT_A_TEXT))}),
        Entry("DependencyLab", DependencyLab, {},  # only wrong values: a good one builds a lab
              {"timeout": bad(0, -1, 1e9, base=NOT_A_NUMBER),
               "published": bad("3.0.0", ["9.9.9"], [5], [None], 5, [[]])}),
        # ---------------------------------------------------------------- chapter 02 (deployment)
        Entry("drifting_weeks", drifting_weeks, {"weeks": 2, "rows_per_week": 60, "seed": 0},
              {"weeks": bad(0, -1, 10**9, base=NOT_AN_INT), "rows_per_week": bad(0, -5, base=NOT_AN_INT),
               "drift_per_week": bad(base=NOT_A_NUMBER), "noise": bad(-0.1, 6.0, base=NOT_A_NUMBER),
               "seed": bad(-1, 1.5, "abc", [], NAN)}),
        Entry("train_week", lambda **k: train_week(_weeks(), **k), {"week": 1},
              {"week": bad(0, 99, -1, None, base=NOT_AN_INT)}),
        Entry("ModelRegistry", ModelRegistry, {"root": None},
              {"root": bad(5, 1.5, None, [], "", "/no/such/folder/mlfail", NAN)}),
        Entry("ModelRegistry.promote", lambda **k: _registry().promote(**k), {"version": 1},
              {"version": bad(0, 99, -1, "v99", "", None, base=NOT_AN_INT)}),
        Entry("ModelRegistry.load", lambda **k: _registry().load(**k), {"version": 1},
              {"version": bad(0, 99, -1, "v99", "", base=NOT_AN_INT)}),
        Entry("ModelRegistry.register", lambda **k: _registry().register(**k), {"model": None},
              {"model": bad("model", 5, None, [], object()),
               "smoke_inputs": bad([["a", "b"]], [1.0, 2.0], [[NAN, 1.0]], [], "abc", 5),
               "metrics": bad([0.9], "accuracy", 5), "tags": bad("week", 5, [1])}),
        Entry("ModelService", lambda **k: ModelService(_registry(), **k), {"deploy_path": "pointer"},
              {"deploy_path": wrong_text(["pointer", "cached path", "env var"])}),
        Entry("canary", lambda **k: canary(_registry().load(), _weeks().golden(1), **k), {},
              {"min_accuracy": bad(-0.1, 1.5, base=NOT_A_NUMBER), "tolerance": bad(-0.1, 2.0, base=NOT_A_NUMBER),
               "baseline": bad(-0.1, 1.5, "abc", NAN, INF)}),
        # ---------------------------------------------------------------- the controls
        Entry("Slider", Slider, {"low": 0, "high": 1},
              {"low": bad(base=NOT_A_NUMBER), "high": bad(-1, 0, base=NOT_A_NUMBER),
               "step": bad(0, -0.1, 2.0, base=NOT_A_NUMBER), "value": bad(2, -1, base=NOT_A_NUMBER)}),
        Entry("SeedBox", SeedBox, {"value": 0}, {"value": bad(-1, 2**32, base=NOT_AN_INT)}),
        Entry("Choice", Choice, {"options": ["a", "b"]},
              {"options": bad(5, "ab", [], {}, None, 1.5), "value": bad("c", 5, None.__class__)}),
        Entry("Checkbox", Checkbox, {"value": True}, {"value": bad("yes", "", 2, 0.5, NAN, [])}),
        # ---------------------------------------------------------------- other engineers' chapters
        Entry("outage_share", overview.outage_share, {},
              {"confidence": bad(0, 1, 1.5, base=NOT_A_NUMBER), "method": wrong_text(list(PROPORTION_METHODS)),
               "study_size": bad(0, -1, base=NOT_AN_INT)}),
        Entry("replica_availability", downtime.replica_availability,
              {"availability": 0.99, "replicas": 2},
              {"availability": bad(-0.1, 1.5, base=NOT_A_NUMBER), "replicas": bad(0, -1, base=NOT_AN_INT),
               "common_cause": bad(-0.1, 1.5, base=NOT_A_NUMBER)}),
        Entry("Fault", downtime.Fault, {},
              {"latency": bad(-1, base=NOT_A_NUMBER), "error_rate": bad(-0.1, 1.5, base=NOT_A_NUMBER),
               "down": bad(*NOT_A_BOOL[:-1]), "seed": bad(-1, base=NOT_AN_INT)}),
        Entry("OutageScenario", downtime.OutageScenario, {},
              {"duration": bad(0, -1, base=NOT_A_NUMBER), "clients": bad(0, -1, base=NOT_AN_INT),
               "interval": bad(0, -1, base=NOT_A_NUMBER)}),
        Entry("make_policy", downtime.make_policy, {"name": "retry"},
              {"name": wrong_text(list(downtime.POLICIES)), "timeout": bad(0, -1, base=NOT_A_NUMBER),
               "retries": bad(-1, base=NOT_AN_INT)}),
        Entry("simulate_thermal", hardware.simulate_thermal, {"utilisation": 1.0, "interval": 1.0},
              {"utilisation": bad("abc", "", {}, 1j, object()), "interval": bad(0, -1, base=NOT_A_NUMBER)}),
        Entry("train_demo_model", hardware.train_demo_model, {"seed": 0, "rows": 200},
              {"seed": bad(-1, 1.5, "abc", [], NAN), "rows": bad(0, -1, base=NOT_AN_INT),
               "features": bad(0, -1, base=NOT_AN_INT)}),
        Entry("corrupt_model", lambda **k: hardware.corrupt_model(_demo()[0], **k), {},
              {"weight": bad(-1, 10**6, base=NOT_AN_INT), "bit": bad(-1, 64, base=NOT_AN_INT)}),
        Entry("bit_flip_effects", lambda **k: hardware.bit_flip_effects(_demo()[0], k.pop("X", _demo()[1]),
                                                                         _demo()[2], **k), {},
              {"weight": bad(-1, 10**6, base=NOT_AN_INT), "X": bad("abc", [["a", "b"]])}),
        Entry("outage_scenario", downtime.outage_scenario, {},
              {"length": bad(-1, base=NOT_A_NUMBER), "start": bad(-1, base=NOT_A_NUMBER),
               "kind": wrong_text(["down", "hang"])}),
        Entry("simulate", lambda **k: downtime.simulate(downtime.outage_scenario(0.1, duration=0.3), **k), {},
              {"policy": wrong_text(list(downtime.POLICIES)), "seed": bad(-1, 1.5, "abc", [], NAN)}),
        Entry("IncidentDrill", IncidentDrill, {"seed": 1},
              {"seed": bad(-1, 1.5, "abc", [], NAN, None), "red_herring": bad("yes", 2, 0.5, NAN, [])}),
        Entry("make_world", feedback.make_world, {"n_users": 40, "n_songs": 30, "rounds": 3},
              {"n_users": bad(0, -1, base=NOT_AN_INT), "n_songs": bad(0, -1, base=NOT_AN_INT),
               "rounds": bad(0, -1, base=NOT_AN_INT), "new_songs": bad(-0.1, 1.5, base=NOT_A_NUMBER),
               "seed": bad(-1, 1.5, "abc", [], NAN)}),
        Entry("simulate_feedback_loop", feedback.simulate_feedback_loop,
              {"n_users": 40, "n_songs": 30, "rounds": 2, "k": 5},
              # policy=None is the documented default ("popularity", or the policy in settings=).
              {"policy": wrong_text(["popularity", "random", "personalized", "epsilon_greedy"]).filter(
                  lambda value: value is not None),
               "k": bad(0, -1, 10**6, base=NOT_AN_INT), "epsilon": bad(-0.1, 1.5, base=NOT_A_NUMBER),
               "rounds": bad(0, -1, base=NOT_AN_INT)}),
        Entry("make_shift", shift.make_shift, {"n_reference": 100, "n_current": 100},
              {"kind": wrong_text(list(shift.SHIFT_KINDS)), "magnitude": bad(base=NOT_A_NUMBER),
               "n_reference": bad(0, -1, base=NOT_AN_INT)}),
        Entry("detect_drift", lambda **k: shift.detect_drift(
            k.pop("reference", _table()[["age"]]), k.pop("current", _table()[["age"]]), **k), {},
              {"alpha": bad(0, 1, -0.1, 1.5, base=NOT_A_NUMBER),
               # None is the deprecated spelling of "none" (accepted for one release with a warning).
               "correction": wrong_text(list(shift.CORRECTIONS)).filter(lambda value: value is not None),
               "bins": bad(0, -1, 1, base=NOT_AN_INT), "reference": bad("abc", 5, None, [], pd.DataFrame())}),
        Entry("slice_metrics", lambda **k: slice_metrics(k.pop("data", _table()), k.pop("by", "age"), **k), {},
              {"by": bad("agee", 5, None, [], ""), "metric": wrong_text(["accuracy", "error_rate", "precision",
                                                                        "recall", "f1", "auc", "brier"]),
               "min_size": bad(-1, base=NOT_AN_INT), "confidence": bad(0, 1, 1.5, base=NOT_A_NUMBER),
               "bins": bad(0, -1, base=NOT_AN_INT)}),
        Entry("IncidentDrill.for_learner", IncidentDrill.for_learner, {"name_or_number": 1},
              {"name_or_number": bad(0, -1, NAN, INF, None, [], 1.5, b"x"),
               "workshop_seed": bad(-1, base=NOT_AN_INT)}),
    ]


ENTRIES = {entry.name: entry for entry in _entries()}
CASES = []
for entry in ENTRIES.values():
    for parameter in entry.wrong:
        marks = []
        if parameter in entry.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=entry.xfail[parameter]))
        CASES.append(pytest.param(entry.name, parameter, id=f"{entry.name}-{parameter}", marks=marks))


def _good(entry: Entry) -> dict:
    good = dict(entry.good)
    if entry.name == "golden_test":
        good = {"served": _golden().expected, "golden": _golden()}
    if entry.name == "ModelRegistry":
        good = {"root": _registry().root}
    if entry.name == "ModelRegistry.register":
        good = {"model": train_week_cached()}
    return good


def train_week_cached():
    if "model" not in _CACHE:
        from mlfail_widgets.failures.deployment import train_week

        _CACHE["model"] = train_week(_weeks(), 1)
    return _CACHE["model"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


@pytest.mark.parametrize(("name", "parameter"), CASES)
@settings(max_examples=25, deadline=5000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_wrong_argument_gets_a_clear_error_naming_it(name, parameter, data):
    entry = ENTRIES[name]
    value = data.draw(entry.wrong[parameter], label=parameter)
    arguments = {**_good(entry), parameter: value}
    try:
        result = entry.call(**arguments)
    except entry.errors as error:
        message = str(error)
        assert parameter in message or (parameter == "name_or_number" and "learner" in message), (
            f"{name}({parameter}={_show(value)}) raised {type(error).__name__} without naming "
            f"{parameter!r}: {message}")
        return
    except Exception as error:
        pytest.fail(f"{name}({parameter}={_show(value)}) raised a raw {type(error).__name__}: {error}")
    pytest.fail(f"{name}({parameter}={_show(value)}) was accepted and returned {_show(result)}")


def test_the_good_arguments_are_good():
    """The baseline calls succeed, so each fuzzed failure is about the one wrong value."""
    for entry in ENTRIES.values():
        if entry.name == "DependencyLab":
            continue  # a real lab (wheels, an index) is tested in test_dependency.py
        entry.call(**_good(entry))


def test_slice_metrics_with_infinite_values_in_a_slicing_column():
    """+-inf used to raise a bare StopIteration; they now go to the outer slices, as documented."""
    from mlfail_widgets import slice_metrics

    table = _table()
    table.loc[3, "age"] = math.inf
    table.loc[5, "age"] = -math.inf
    frame = slice_metrics(table, "age").to_frame()
    finite = table["age"][np.isfinite(table["age"])]
    assert frame["size"].sum() == len(table)
    lowest, highest = frame.iloc[0], frame.iloc[-1]
    assert str(lowest["slice"]).startswith("<") and lowest["size"] == 1
    assert str(highest["slice"]).startswith(">") and highest["size"] == 1
    assert finite.size == len(table) - 2
