"""Numbers the chapter and the README quote, checked against their one source (issue 19).

Evidently's default report was run on the data of ``benchmarks/drift_peers.py``; the README's
benchmark note quotes its flags and scores. The chapter must quote the same, and
``evidently_default_rule`` (our restatement of Evidently's documented rule) must reproduce them
on the same data, so the numbers can be checked without Evidently installed.
"""

from __future__ import annotations

import re
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest

from mlfail_widgets.failures.shift import evidently_default_rule, ks_test

from .conftest import ROOT


def _readme_evidently() -> tuple[list[str], dict[str, float]]:
    note = next(line for line in (ROOT / "README.md").read_text().splitlines()
                if line.startswith("- drift_peers.py") and "Evidently f" in line)
    flagged = re.search(r"Evidently ((?:f\d+(?:, )?)+)\.", note).group(1).split(", ")
    scores = {name: float(value) for name, value in re.findall(r"(f\d+) (0\.\d+)", note)}
    return flagged, scores


def _chapter_text() -> str:
    notebook = nbformat.read(ROOT / "notebooks" / "05_data_distribution_shift.ipynb", as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_chapter_and_readme_quote_the_same_evidently_run():
    flagged, scores = _readme_evidently()
    text = " ".join(_chapter_text().split())
    quote = re.search(r"scored (0\.\d+) to (0\.\d+) and (\d) of the 5 were flagged \(([^)]*)\)", text)
    assert quote, "chapter 05 quotes Evidently's run as 'scored a to b and k of the 5 were flagged (...)'"
    low, high, count, names = quote.groups()
    assert float(low) == min(scores.values()) and float(high) == max(scores.values())
    assert int(count) == len(flagged)
    assert re.findall(r"f\d+", names) == flagged


def test_the_restated_rule_reproduces_the_quoted_run_on_the_benchmark_data():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from drift_detection import FEATURES, SHIFTED, data
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    flagged, scores = _readme_evidently()
    reference, current, _ = data()
    columns = [f"f{j}" for j in range(FEATURES)]
    rule = evidently_default_rule(pd.DataFrame(reference, columns=columns),
                                  pd.DataFrame(current, columns=columns)).set_index("column")
    assert rule.index[rule["drifted"]].tolist() == flagged
    for name, score in scores.items():
        assert rule.loc[name, "score"] == pytest.approx(score, abs=5e-4)
    assert len(scores) == SHIFTED


def test_ks_on_few_distinct_values_is_as_conservative_as_the_chapter_says():
    rng = np.random.default_rng(0)
    a, b = rng.poisson(3, size=(500, 2000)).astype(float), rng.poisson(3, size=(500, 2000)).astype(float)
    rate = float((ks_test(a, b).pvalue < 0.05).mean())
    assert 0.002 <= rate <= 0.01, rate  # "about 0.6% false alarms at the 5% level"
    assert "about 0.6%" in _chapter_text()
