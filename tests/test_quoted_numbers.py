"""One source for every quoted number: the prose of chapters 00, 01, 02 and 07 and the README
quotes numbers that come from a run; each is checked here against the call that produces it
(or against the benchmark table it was copied from)."""

from __future__ import annotations

import re

import nbformat
import pytest

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def _markdown(name: str) -> str:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_chapter_00_quotes_its_own_interval():
    from mlfail_widgets.failures.overview import load_outage_study, outage_share

    text = " ".join(_markdown("00_why_ml_systems_fail.ipynb").split())
    study = load_outage_study().set_index("family")["outages"]
    not_ml, total = int(study.loc["not ML-specific"]), int(study.sum())
    assert f"{not_ml} of the {total} were not ML-specific" in text
    assert f"{not_ml} of {total} is {100 * not_ml / total:g}%" in text
    share = outage_share()
    low, high = re.search(r"the 95% interval runs from about (\d+)% to (\d+)%", text).groups()
    assert (int(low), int(high)) == (round(100 * share.low), round(100 * share.high))
    assert share.majority_is_sure and "With 20 outages it would not" in text
    assert not outage_share(study_size=20).majority_is_sure
    assert "96 independent" in text  # the caveat of issue 18: one pipeline, correlated outages


def test_chapter_00_exercise_uses_the_settings_its_prose_teaches():
    from mlfail_widgets.exercises import all_exercises

    text = " ".join(_markdown("00_why_ml_systems_fail.ipynb").split())
    assert "95% Wilson interval" in text and "**30** outages" in text
    assert all_exercises()["00.1"].expected() == pytest.approx(
        __import__("mlfail_widgets.failures.overview", fromlist=["x"]).outage_share(
            confidence=0.95, method="wilson", study_size=30).high)


@pytest.mark.parametrize("name", ["07_incident_drill.ipynb", "README"])
def test_the_outage_study_is_quoted_from_its_data(name):
    from mlfail_widgets.failures.overview import load_outage_study

    study = load_outage_study().set_index("family")["outages"]
    not_ml, total = int(study.loc["not ML-specific"]), int(study.sum())
    text = (ROOT / "README.md").read_text() if name == "README" else _markdown(name)
    text = " ".join(text.split())
    assert f"{total} outages" in text and (f"{not_ml} of {total}" in text or f"{not_ml} were not" in text)


def test_chapter_01_golden_set_size_is_the_labs():
    from mlfail_widgets.failures.dependency import train_pipeline

    text = " ".join(_markdown("01_dependency_failure.ipynb").split())
    size = int(re.search(r"the \*\*golden set\*\*: (\d+)", text).group(1))
    assert size == len(train_pipeline(seed=0))


def _bench_table() -> dict[str, str]:
    text = (ROOT / "benchmarks" / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 3 and cells[0].endswith(".py"):
            rows[f"{cells[0]}: {cells[1]}"] = cells[2]
    return rows


def test_readme_key_figures_come_from_the_benchmark_table():
    readme = " ".join((ROOT / "README.md").read_text().split())
    table = _bench_table()
    bench_text = (ROOT / "benchmarks" / "README.md").read_text()
    date = re.search(r"Measured by `make bench` on (\d{4}-\d\d-\d\d)", bench_text).group(1)
    assert f"Key figures from the run of {date}" in readme
    assert "benchmarks/README.md" in readme and "<!-- bench:start -->" not in readme
    chapters = [p.stem for p in sorted(NOTEBOOKS.glob("0*.ipynb"))]
    # A chapter added after the last `make bench` has no row yet: the README must say so.
    unmeasured = [name for name in chapters if f"course_time.py: notebook {name}" not in table]
    for name in unmeasured:
        assert f"chapter {name[:2]} is not yet in that table" in readme, (
            f"{name} has no course_time row: re-run make bench, or say so in the README")
    times = {name: table[f"course_time.py: notebook {name}"] for name in chapters if name not in unmeasured}
    seconds = {name: float(value.split()[0]) for name, value in times.items()}
    quoted = dict(re.findall(r"\b(0\d) (\d+\.\d) s\b", readme))
    for name, value in seconds.items():
        assert quoted.get(name[:2]) == f"{value:.1f}", (name, quoted.get(name[:2]), value)
    total = float(table[f"course_time.py: all {len(chapters)} notebooks in series"].split()[0])
    assert f"in {total:.0f} s altogether" in readme and f"runs headless in {total:.0f} s" in readme
    assert f"every notebook under {max(seconds.values()) + 0.5:.0f} s" in readme
    # chapter 08 at scale: the 100 M-row time and the ratio to Evidently are the table's
    scale = table.get("audit_scale.py: 100 M rows: drift report + slice chart")
    if scale is not None:
        assert f"and a 10-slice chart in {scale}" in readme, scale
    ratio = re.search(r"\| audit_peers\.py \| 10 M rows x 13 features: drift report, DuckDB path, vs Evidently \|"
                      r"[^\n]*\| ([\d.]+)x faster", bench_text)
    if ratio is not None:
        assert f"drift report is {float(ratio.group(1)):.0f}x faster than Evidently" in readme, ratio.group(1)
