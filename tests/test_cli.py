"""The `mlfail` command as a learner or instructor uses it."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def _mlfail(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlfail_widgets.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_run_names_the_failing_notebook_cell_and_line():
    result = _mlfail("run", str(FIXTURES / "broken.ipynb"))
    assert result.returncode == 1
    report = result.stdout + result.stderr
    assert "broken.ipynb: cell 3 failed: NameError" in report
    assert "z = undefined_name * 2" in report  # the line that raised
    assert "failed" in result.stdout.splitlines()[-2]  # the table's row


def test_run_prints_a_table_and_writes_html(tmp_path):
    chapter = ROOT / "notebooks" / "00_why_ml_systems_fail.ipynb"
    result = _mlfail("run", str(chapter), "--html", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("chapter") and "seconds" in line and "status" in line for line in lines)
    assert any(line.startswith("00_why_ml_systems_fail") and line.endswith("ok") for line in lines)
    page = (tmp_path / "00_why_ml_systems_fail.html").read_text()
    assert "data:image/png;base64" in page  # the panel's static fallback figure
    assert "unpkg.com/@jupyter-widgets" not in page  # no widget JS fetched from a CDN
    index = (tmp_path / "index.html").read_text()
    assert 'href="00_why_ml_systems_fail.html"' in index


def test_run_rejects_a_missing_notebook():
    result = _mlfail("run", "no_such_chapter.ipynb")
    assert result.returncode != 0
    assert "no such notebook: no_such_chapter.ipynb" in result.stderr


def test_doctor_reports_packages_and_sensors():
    result = _mlfail("doctor")
    assert "ipywidgets frontend in JupyterLab" in result.stdout
    assert "CPU temperature" in result.stdout
    assert "numpy" in result.stdout
    assert result.returncode == 0, result.stdout  # everything required is installed in the test env


def test_help_lists_the_commands():
    result = _mlfail("--help")
    for command in ("run", "lab", "doctor"):
        assert command in result.stdout
