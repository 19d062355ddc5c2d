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
