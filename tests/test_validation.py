"""Argument checks: one readable template, and no value slips through or is wrongly refused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlfail_widgets._random import resolve_rng
from mlfail_widgets._validation import (
    ParameterError,
    check_choice,
    check_columns,
    check_float,
    check_int,
    check_probability,
)


@given(st.integers(-1000, 1000), st.integers(-50, 50), st.integers(0, 100))
def test_check_int_accepts_exactly_the_interval(value, low, width):
    high = low + width
    if low <= value <= high:
        assert check_int(value, "k", "f", low=low, high=high) == value
    else:
        with pytest.raises(ParameterError, match=rf"The 'k' parameter of f must be an int in \[{low}, {high}\]\. Got {value} instead\."):
            check_int(value, "k", "f", low=low, high=high)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_probability_accepts_exactly_zero_to_one(value):
    if math.isfinite(value) and 0 <= value <= 1:
        assert check_probability(value, "p", "f") == value
    else:
        with pytest.raises(ParameterError, match=r"must be a number in \[0, 1\]"):
            check_probability(value, "p", "f")


@pytest.mark.parametrize("value", ["3", None, True, [1], 2.5])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(ParameterError):
        check_int(value, "k", "f")


def test_whole_floats_count_as_ints():
    assert check_int(4.0, "k", "f") == 4


def test_open_bounds():
    with pytest.raises(ParameterError, match=r"in \(0, 1\)"):
        check_float(0.0, "level", "f", low=0, high=1, low_open=True, high_open=True)


def test_choice_suggests_the_closest_option():
    with pytest.raises(ParameterError, match="Did you mean 'wilson'"):
        check_choice("wilsn", "method", "f", ["wilson", "normal"])
    assert check_choice("normal", "method", "f", ["wilson", "normal"]) == "normal"


def test_columns_error_lists_the_columns_and_a_suggestion():
    frame = pd.DataFrame({"age": [1], "income": [2]})
    with pytest.raises(ParameterError, match=r"columns: 'age', 'income'\)\. Got 'incme' instead\. Did you mean 'income'\?"):
        check_columns(frame, "incme", "by", "slice_metrics")


@given(st.integers(0, 2**32))
def test_the_same_seed_gives_the_same_numbers(seed):
    assert np.array_equal(resolve_rng(seed).random(4), resolve_rng(seed).random(4))


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ParameterError, match="'seed' parameter"):
        resolve_rng(seed, "f")


def test_a_generator_is_used_as_is():
    generator = np.random.default_rng(1)
    assert resolve_rng(generator) is generator


# ----------------------------------------------------------------- the owner comes from __qualname__
def test_a_method_names_itself_from_its_qualname_not_a_hand_typed_string():
    from mlfail_widgets.failures.shift import KSReference

    reference = KSReference(np.arange(50.0))
    with pytest.raises(ParameterError, match=r"'method' parameter of KSReference\.test_windows must"):
        reference.test_windows(np.zeros((1, 20, 1)), method="exakt")
    # test() calls test_windows(): the error names the method the learner called
    with pytest.raises(ParameterError, match=r"'method' parameter of KSReference\.test must"):
        reference.test(np.zeros(20), method="exakt")
    with pytest.raises(ParameterError, match=r"'reference' parameter of KSReference must"):
        KSReference(np.array([np.nan, 1.0]))  # __init__ names its class; checked by a helper


def test_a_helper_names_its_public_caller_and_the_explicit_owner_still_wins():
    from mlfail_widgets.failures.shift import ks_test

    with pytest.raises(ParameterError, match=r"'reference' parameter of ks_test must be at least one row"):
        ks_test([], [1.0, 2.0])  # checked by numeric_matrix, an @argument_helper
    with pytest.raises(ParameterError, match=r"'seed' parameter of resolve_rng"):
        resolve_rng(-1)  # a helper called directly names itself
    with pytest.raises(ParameterError, match=r"'k' parameter of my_function must"):
        check_int(0, "k", "my_function", low=1)  # the older call, owner typed by hand
    with pytest.raises(ParameterError, match=r"'k' parameter of other must"):
        check_int(0, "k", owner="other", low=1)


def test_the_older_positional_forms_keep_working():
    from mlfail_widgets._validation import parameter_error

    old = parameter_error("window", "ks_drift", "an int", -3, "Use 10 or more.")
    new = parameter_error("window", "an int", -3, fix="Use 10 or more.", owner="ks_drift")
    assert str(old) == str(new) == ("The 'window' parameter of ks_drift must be an int. Got -3 instead. "
                                    "Use 10 or more.")
    assert check_choice("a", "policy", "simulate", ["a", "b"]) == "a"
    assert check_choice("a", "policy", ["a", "b"]) == "a"
    assert check_choice("a", "policy", allowed=["a", "b"]) == "a"
    with pytest.raises(ParameterError, match="'policy' parameter of simulate"):
        check_choice("c", "policy", "simulate", ["a", "b"])


@pytest.mark.parametrize("use_co_qualname", [True, False])
def test_the_name_is_the_same_with_and_without_co_qualname(monkeypatch, use_co_qualname):
    # Python 3.10 has no code.co_qualname: the function object is found from the frame instead
    from mlfail_widgets import _owner
    from mlfail_widgets.failures.downtime import Fault
    from mlfail_widgets.failures.shift import KSReference

    monkeypatch.setattr(_owner, "_USE_CO_QUALNAME", use_co_qualname)
    with pytest.raises(ParameterError, match=r"'method' parameter of KSReference\.test_windows must"):
        KSReference(np.arange(50.0)).test_windows(np.zeros((1, 20, 1)), method="exakt")
    with pytest.raises(ParameterError, match=r"parameter of Fault must"):
        Fault(latency=-1)
    with pytest.raises(ParameterError, match=r"'seed' parameter of resolve_rng"):
        resolve_rng(-1)


def test_a_nested_callback_is_not_named_but_the_method_that_defines_it():
    # DrillConsole.new_incident runs a nested function through ActionRunner._act; the error
    # line names the method the learner called, not the nested "move"
    from mlfail_widgets.widgets.drill import drill_console

    console = drill_console(seed=3)
    try:
        console.widget  # noqa: B018 - build the widgets so the error line exists
        assert console.new_incident(seed=-1) is None
        status = console._widgets["status"].value
        assert "parameter of DrillConsole.new_incident must be an int" in status
    finally:
        console.close()


