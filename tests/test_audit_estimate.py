"""Chapter 08's label-free estimate with CBPE's calibration (issue 18 point 4, issue 20 point 1):
the same numbers as chapter 05's `calibrate_confidence` + `estimate_performance`, and a clear
error for a reference window that cannot calibrate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets import ParameterError
from mlfail_widgets.audit import estimate_log_performance
from mlfail_widgets.failures.shift import calibrate_confidence, estimate_performance

REFERENCE, CURRENT = ("2026-01-01", "2026-01-15"), ("2026-01-15", "2026-02-01")


def miscalibrated_log(n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, object]:
    """A log with no shift and a miscalibrated model (trained on features 3x too large: under-confident)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    label = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] + 0.5 * x[:, 1])))).astype(int)
    log = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", "2026-01-31 23:00", periods=n),
                        "x": x[:, 0], "z": x[:, 1], "label": label})
    model = LogisticRegression(C=1e4).fit(3 * log[["x", "z"]].iloc[:200], log["label"].iloc[:200])
    return log, model


class Chapter05View:
    """The same model as chapter 05's functions take it: the frame, and a target name."""

    target = "label"

    def __init__(self, model):
        self.model, self.classes_ = model, model.classes_

    def predict_proba(self, frame):
        return self.model.predict_proba(frame[["x", "z"]])


def test_cbpe_on_a_log_equals_chapter_05_and_closes_the_gap_of_a_miscalibrated_model():
    log, model = miscalibrated_log()
    raw = estimate_log_performance(log, model, ["x", "z"], window=CURRENT, target="label")
    cbpe = estimate_log_performance(log, model, ["x", "z"], window=CURRENT, reference=REFERENCE, target="label")
    reference = log[(log.timestamp >= REFERENCE[0]) & (log.timestamp < REFERENCE[1])]
    current = log[(log.timestamp >= CURRENT[0]) & (log.timestamp < CURRENT[1])]
    view = Chapter05View(model)
    theirs = estimate_performance(view, current, calibration=calibrate_confidence(view, reference))
    assert cbpe.expected == pytest.approx(theirs.expected, rel=1e-12)
    assert cbpe.realised == pytest.approx(theirs.realised, rel=1e-12) == raw.realised
    assert cbpe.calibrated and not raw.calibrated and cbpe.calibration_rows == len(reference)
    assert cbpe.raw_expected == pytest.approx(raw.expected, rel=1e-12)
    # the raw confidence misses the accuracy by 7 points; calibrated on the reference, the gap nearly closes
    assert abs(raw.gap) > 0.05 and abs(cbpe.gap) < 0.015 and abs(cbpe.gap) < abs(raw.gap) / 3
    assert cbpe.daily["expected"].mul(cbpe.daily["rows"]).sum() / cbpe.n == pytest.approx(cbpe.expected)


def test_a_reference_window_that_cannot_calibrate_is_refused_clearly():
    log, model = miscalibrated_log(1500)
    with pytest.raises(ParameterError, match=r"'target' parameter.*CBPE learns how often"):
        estimate_log_performance(log, model, ["x", "z"], window=CURRENT, reference=REFERENCE)
    few = log.assign(label=log["label"].astype(float).where(log.index % 40 == 0))  # labels on 1 row in 40
    with pytest.raises(ParameterError, match=r"'reference' parameter.*at least 50 labelled rows.*It has 1[0-9]"):
        estimate_log_performance(few, model, ["x", "z"], window=CURRENT, reference=REFERENCE, target="label")
    with pytest.raises(ParameterError, match=r"'reference' parameter.*a window with rows"):
        estimate_log_performance(log, model, ["x", "z"], window=CURRENT, reference=("2030-01-01", "2030-02-01"),
                                 target="label")


def test_chapter_08_quotes_its_own_cbpe_figures():
    import json
    import re
    from pathlib import Path

    import duckdb

    from mlfail_widgets.audit.datasets import penguins_path
    from mlfail_widgets.failures.shift import TabularClassifier
    from mlfail_widgets.intervals import proportion_interval

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "08_your_own_system.ipynb"
    text = " ".join(" ".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]
                             if c["cell_type"] == "markdown").split())
    penguins = duckdb.sql(f"""SELECT *, make_date(year::INT, 7, 1) AS timestamp
        FROM read_csv('{penguins_path()}', nullstr='NA') WHERE sex IS NOT NULL AND body_mass_g IS NOT NULL""")
    measurements = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    model = TabularClassifier(measurements, target="sex").fit(penguins.filter("year = 2007").df())
    y2008 = estimate_log_performance(penguins, model, measurements, window=("2008-01-01", "2009-01-01"), target="sex")
    y2009 = estimate_log_performance(penguins, model, measurements, window=("2009-01-01", "2010-01-01"),
                                     reference=("2008-01-01", "2009-01-01"), target="sex")
    assert f"({y2008.realised:.0%} against {y2008.raw_expected:.0%})".replace("%", " %") in text
    assert f"from {y2009.raw_expected:.3f} to {y2009.expected:.3f}" in text
    assert f"2009's labels say {y2009.realised:.3f}" in text and f"chance on {y2009.n} penguins" in text
    low, high = proportion_interval(round(y2009.realised * y2009.n), y2009.n)
    assert re.search(rf"runs from about {low:.2f} to {high:.2f}", text)


def test_the_calibration_window_may_not_overlap_the_estimated_one():
    log, model = miscalibrated_log(1500)
    with pytest.raises(ParameterError, match=r"'window' parameter.*does not overlap 'reference'.*start 'window' at"):
        estimate_log_performance(log, model, ["x", "z"], window=("2026-01-10", "2026-02-01"), reference=REFERENCE,
                                 target="label")
