"""Chapter 05 streaming detectors: river's detections (from a committed fixture), loop = numpy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.shift import Cusum, PageHinkley, cusum, page_hinkley, segmented_stream

from .conftest import ROOT

FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "river_pagehinkley.json").read_text())


def rebuild(case: dict) -> np.ndarray:
    """The fixture's stream, rebuilt with the call benchmarks/streaming_detection.py made."""
    return segmented_stream(case["segments"], kind=case["kind"], seed=case["seed"])


def loop(detector, stream) -> list[int]:
    return [i for i, x in enumerate(stream) if detector.update(float(x)).drift_detected]


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[f"seed{c['seed']}" for c in FIXTURE["cases"]])
def test_page_hinkley_detects_where_river_does(case):
    stream = rebuild(case)
    # the stream is the one river saw (numpy's generator has not changed under us)
    assert stream[:3].tolist() == case["first_values"]
    assert float(stream.sum()) == pytest.approx(case["total"], rel=1e-12)
    assert case["detections"], "each fixture stream has at least one detection"
    assert page_hinkley(stream, **case["params"]).tolist() == case["detections"]
    assert loop(PageHinkley(**case["params"]), stream) == case["detections"]


def test_fixture_says_where_it_came_from():
    assert FIXTURE["source"].startswith("river ")
    assert {"up", "down"} <= {c["params"].get("mode", "both") for c in FIXTURE["cases"]}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), threshold=st.floats(1, 30), delta=st.floats(0, 0.5),
       min_instances=st.integers(1, 50), mode=st.sampled_from(["up", "down", "both"]),
       alpha=st.sampled_from([1.0, 0.9999, 0.99]))
def test_vectorised_page_hinkley_equals_the_loop(seed, threshold, delta, min_instances, mode, alpha):
    rng = np.random.default_rng(seed)
    stream = np.r_[rng.normal(0, 1, 1500), rng.normal(rng.uniform(-2, 2), 1, 1500)]
    params = dict(threshold=threshold, delta=delta, min_instances=min_instances, mode=mode, alpha=alpha)
    assert page_hinkley(stream, **params).tolist() == loop(PageHinkley(**params), stream)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), threshold=st.floats(0.5, 30), delta=st.floats(0, 1),
       min_instances=st.integers(1, 50), mode=st.sampled_from(["up", "down", "both"]))
def test_vectorised_cusum_equals_the_loop(seed, threshold, delta, min_instances, mode):
    rng = np.random.default_rng(seed)
    stream = np.r_[rng.normal(0, 1, 1500), rng.normal(rng.uniform(-2, 2), 1, 3000)]
    params = dict(threshold=threshold, delta=delta, min_instances=min_instances, mode=mode)
    assert cusum(stream, **params).tolist() == loop(Cusum(**params), stream)


def test_long_streams_cross_chunk_boundaries():
    rng = np.random.default_rng(0)
    stream = np.r_[rng.normal(0, 0.1, 30_000), rng.normal(1, 0.1, 30_000)]
    found = page_hinkley(stream)
    assert found.tolist() == loop(PageHinkley(), stream)
    assert found.size and 30_000 <= found[0] < 30_100
    assert cusum(stream, delta=0.05, threshold=2).tolist() == loop(Cusum(delta=0.05, threshold=2), stream)


def test_cusum_detects_a_slow_drift_before_page_hinkley():
    """CUSUM's target is frozen after the warm-up; Page-Hinkley's mean follows the drift."""
    stream = np.linspace(0, 3, 20_000) + np.random.default_rng(1).normal(0, 0.1, 20_000)
    first_cusum = cusum(stream, delta=0.1, threshold=5)[0]
    first_page_hinkley = page_hinkley(stream, delta=0.1, threshold=5)[0]
    assert first_cusum < 0.7 * first_page_hinkley


def test_bad_streams_and_parameters_get_clear_errors():
    with pytest.raises(ParameterError, match="'stream' parameter of page_hinkley must be finite numbers"):
        page_hinkley([1.0, np.nan])
    with pytest.raises(ParameterError, match="a 1-D array of numbers"):
        cusum(["a", "b"])
    with pytest.raises(ParameterError, match=r"'mode' parameter of PageHinkley .* Did you mean 'down'"):
        PageHinkley(mode="dwn")
    with pytest.raises(ParameterError, match="'threshold' parameter of cusum"):
        cusum([1.0, 2.0], threshold=0)
    assert page_hinkley([]).tolist() == [] and cusum(np.ones(5)).tolist() == []
