"""Issue 20 point 6 for direct calls: a long audit call shows its progress (a text bar on stderr after
2 s, where someone watches), a quick one leaves nothing, and a batch job's log stays clean."""

from __future__ import annotations

import io
import sys
import time

import pytest

from mlfail_widgets import ParameterError
from mlfail_widgets.audit import drift_report
from mlfail_widgets.audit._progress import Steps, TextProgress

from .test_audit import CURRENT, REFERENCE, make_log


def test_a_quick_call_shows_nothing_and_a_long_one_a_bar_that_ends_its_line():
    quick, slow = io.StringIO(), io.StringIO()
    bar = TextProgress("drift_report", delay=2.0, stream=quick)
    for done, label in ((0, "counts"), (1, "histograms"), (3, "done")):
        bar(done, 3, label)
    assert quick.getvalue() == ""
    bar = TextProgress("drift_report", delay=0.05, stream=slow)
    bar(0, 3, "counts")
    time.sleep(0.06)
    bar(1, 3, "histograms")
    bar(3, 3, "done")
    lines = slow.getvalue().split("\r")[1:]
    assert lines[0].startswith("drift_report [###-------] 1/3 histograms (")
    assert lines[-1].startswith("drift_report [##########] 3/3 done (") and lines[-1].endswith(" s)\n")


def test_auto_is_a_text_bar_in_a_kernel_and_silent_in_a_batch_job(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert Steps("auto", 3, "slice_report").progress is None  # pytest: stderr is not a terminal
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # as inside a Jupyter kernel
    progress = Steps("auto", 3, "slice_report").progress
    assert isinstance(progress, TextProgress) and progress.name == "slice_report"
    with pytest.raises(ParameterError, match=r"'progress' parameter of Steps must be \"auto\", None or a callable"):
        Steps("yes", 3)


def test_drift_report_reports_its_steps_to_a_callable():
    seen = []
    drift_report(make_log(2000), REFERENCE, CURRENT, ["x", "channel"],
                 progress=lambda done, total, label: seen.append((done, total, label)))
    assert seen[0][0] == 0 and seen[-1] == (seen[-1][1], seen[-1][1], "done") and len(seen) >= 3
