"""The `mlfail` command as a learner or instructor uses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

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


# ------------------------------------------------------------------ issue 17, items 6 and 8
def _notebook(path, source: str):
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


@pytest.mark.parametrize("arguments", [["--allow-root", "--no-browser", "--port", "9999"],
                                       ["--no-browser", "--ServerApp.allow_root=True"],
                                       ["--", "--allow-root", "--port=9999"]])
def test_lab_passes_every_option_to_jupyter_in_order(monkeypatch, arguments):
    from mlfail_widgets import cli

    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command, cwd: calls.append(command) or 0)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)  # as root, as in a container
    assert cli.main(["lab", *arguments]) == 0
    passed = arguments[1:] if arguments[0] == "--" else arguments
    assert calls[0][-len(passed):] == passed
    assert calls[0][1:4] == ["-m", "jupyterlab", f"notebooks/{cli.FIRST_CHAPTER}"]


def test_lab_as_root_says_how_to_run_as_root(monkeypatch, capsys):
    from mlfail_widgets import cli

    monkeypatch.setattr(cli.subprocess, "call", lambda command, cwd: pytest.fail("Jupyter was started"))
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    assert cli.main(["lab", "--no-browser"]) == 1
    message = capsys.readouterr().err
    assert "you are root" in message and "mlfail lab --allow-root --no-browser" in message


def test_lab_as_an_ordinary_user_starts_jupyter(monkeypatch):
    from mlfail_widgets import cli

    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command, cwd: calls.append(command) or 0)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    assert cli.main(["lab"]) == 0 and calls[0][-1] == f"notebooks/{cli.FIRST_CHAPTER}"


@pytest.mark.parametrize("value", ["-5", "0", "abc"])
def test_run_refuses_a_timeout_that_is_not_a_positive_whole_number(value):
    result = _mlfail("run", "--timeout", value, "x.ipynb")
    assert result.returncode == 2
    assert "argument --timeout: must be a whole number in [1, 86400]" in result.stderr


def test_other_commands_still_refuse_unknown_options():
    result = _mlfail("doctor", "--allow-root")
    assert result.returncode == 2 and "unrecognized arguments: --allow-root" in result.stderr


def test_a_corrupt_notebook_is_one_failed_row_and_the_next_still_runs(tmp_path):
    corrupt = tmp_path / "01_corrupt.ipynb"
    corrupt.write_text('{"cells": [')  # a notebook cut short by a full disk or a bad merge
    quick = _notebook(tmp_path / "02_quick.ipynb", "print(6 * 7)")
    result = _mlfail("run", str(corrupt), str(quick))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines()
            if line.startswith(("01_corrupt", "02_quick"))}
    assert rows == {"01_corrupt": "failed", "02_quick": "ok"}
    assert "01_corrupt.ipynb: the file failed: not a readable notebook (NotJSONError" in result.stderr


@pytest.mark.parametrize(("signum", "code", "name"), [(signal.SIGINT, 130, "Ctrl-C (SIGINT)"),
                                                      (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_stops_run_with_a_summary_and_leaves_nothing(tmp_path, signum, code, name):
    import psutil

    private = tmp_path / "tmp"
    private.mkdir()
    first = _notebook(tmp_path / "01_first.ipynb", "print('done')")
    slow = _notebook(tmp_path / "02_slow.ipynb", "open('slow-started', 'w').close()\nimport time\ntime.sleep(120)")
    later = _notebook(tmp_path / "03_later.ipynb", "print('never')")
    env = dict(os.environ, TMPDIR=str(private))
    process = subprocess.Popen([sys.executable, "-m", "mlfail_widgets.cli", "run", str(first), str(slow),
                                str(later)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (tmp_path / "slow-started").exists():
        time.sleep(0.3)
    kernels = psutil.Process(process.pid).children(recursive=True)
    assert kernels, "the slow notebook's kernel never started"
    time.sleep(1)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, (out, err)
    assert f"Stopped by {name}." in out
    assert "Traceback" not in out + err, err[-3000:]
    rows = {line.split()[0]: line.split()[-1] for line in out.splitlines()
            if line.startswith(("01_first", "02_slow", "03_later"))}
    assert rows["02_slow"] == "interrupted" and rows["03_later"] == "run"  # "not run"
    assert "02_slow.ipynb was interrupted; 1 not run." in out
    _, alive = psutil.wait_procs(kernels, timeout=10)
    for leftover in alive:
        leftover.kill()
    assert not alive, "a kernel outlived `mlfail run`"
    assert list(private.iterdir()) == []
