"""Chapter 01: real wheels, real pip, a real local index; loud and silent breaks, and their cures.

One lab (one wheelhouse, one index) is shared by the module; its runs are made once, two pip
processes at a time, and the tests read them.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures import dependency
from mlfail_widgets.failures.dependency import (
    DependencyLab,
    build_wheel,
    golden_test,
    installed_versions,
    parse_requirement,
    run_pip,
    runs_table,
    version_guard,
)
from mlfail_widgets.failures.dependency.releases import scalekit_sources

EXPECTED = {
    "scalekit>=1.0": "2.0.0",
    "scalekit": "2.0.0",
    "scalekit==1.0.0": "1.0.0",
    "scalekit==1.1.0": "1.1.0",
    "scalekit~=1.1": "1.1.0",
    "scalekit~=1.0": "1.1.0",
    "scalekit<2": "1.1.0",
    "scalekit==2.0.0": "2.0.0",
}


@pytest.fixture(scope="module")
def lab():
    with DependencyLab(seed=0, published=["1.0.0", "1.1.0"]) as lab:
        lab.yesterday = lab.run("scalekit>=1.0")
        lab.publish("2.0.0")
        lab.runs = dict(zip(EXPECTED, lab.compare(list(EXPECTED)), strict=True))
        yield lab


# ----------------------------------------------------------------- wheels
def test_wheel_follows_the_spec_and_is_reproducible(tmp_path):
    first = build_wheel(tmp_path, "demo", "1.2.0", {"demo/__init__.py": "x = 1\n"},
                        requires=["scalekit>=1.0"])
    archive = zipfile.ZipFile(first)
    record = archive.read("demo-1.2.0.dist-info/RECORD").decode().splitlines()
    for line in record:
        path, digest, size = line.rsplit(",", 2)
        if path.endswith("RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}" and int(size) == len(data)
    assert "Tag: py3-none-any" in archive.read("demo-1.2.0.dist-info/WHEEL").decode()
    (tmp_path / "again").mkdir()
    again = build_wheel(tmp_path / "again", "demo", "1.2.0", {"demo/__init__.py": "x = 1\n"},
                        requires=["scalekit>=1.0"])
    assert first.read_bytes() == again.read_bytes()


def test_every_release_is_valid_python():
    for version in dependency.SCALEKIT_VERSIONS:
        for tampered in (False, True):
            compile(scalekit_sources(version, tampered=tampered)["scalekit/__init__.py"], version, "exec")


# ----------------------------------------------------------------- resolution
def test_yesterday_the_unpinned_requirement_got_the_compatible_minor(lab):
    assert lab.yesterday.resolved == "1.1.0"
    assert lab.yesterday.ok


@pytest.mark.parametrize("requirement", list(EXPECTED))
def test_real_pip_resolves_the_expected_version(lab, requirement):
    run = lab.runs[requirement]
    assert run.install.ok, run.install.stderr
    assert run.resolved == EXPECTED[requirement]
    assert run.install.installed["songpipe"] == "1.0.0"
    assert f"Successfully installed scalekit-{EXPECTED[requirement]}" in run.install.stdout


def test_the_kernel_never_imports_the_installed_packages(lab):
    assert "scalekit" not in sys.modules and "songpipe" not in sys.modules
    for run in lab.runs.values():
        assert run.smoke.module_file.startswith(str(run.install.target))
        # what the child saw equals what the kernel reads from the target's metadata
        assert installed_versions(run.install.target) == run.smoke.versions


# ----------------------------------------------------------------- loud and silent
def test_the_major_release_breaks_loudly_at_run_time(lab):
    run = lab.runs["scalekit>=1.0"]
    assert run.imported  # the import works: the break waits for the code path
    assert run.clean_error.startswith("AttributeError: module 'scalekit' has no attribute 'clip_outliers'")
    assert "songpipe/__init__.py" in run.smoke.clean_traceback


def test_the_minor_release_warned_about_both_breaks(lab):
    warnings = " ".join(lab.runs["scalekit==1.1.0"].warnings)
    assert "DeprecationWarning: clip_outliers" in warnings and "FutureWarning" in warnings
    assert lab.runs["scalekit==1.0.0"].warnings == ()


def test_the_golden_test_catches_the_silent_break(lab):
    run = lab.runs["scalekit==2.0.0"]
    assert run.smoke.predict_error is None  # no error anywhere in scoring
    assert not run.golden.passed
    assert run.golden.n_changed == len(lab.golden)  # every prediction moved
    assert run.golden.n_flipped > 20
    assert run.golden.accuracy_served < run.golden.accuracy_expected - 0.05


@pytest.mark.parametrize("requirement", ["scalekit==1.0.0", "scalekit==1.1.0", "scalekit<2"])
def test_the_golden_test_passes_the_compatible_releases(lab, requirement):
    golden = lab.runs[requirement].golden
    assert golden.passed and golden.max_difference < 1e-9


def test_golden_test_on_a_hand_computed_case():
    class Golden:
        expected = np.array([0.2, 0.6, 0.9])
        labels = np.array([0, 1, 1])

    report = golden_test([0.2, 0.4, 0.9 + 1e-9], Golden)
    assert (report.n_changed, report.n_flipped) == (1, 1)
    assert report.accuracy_expected == 1.0 and report.accuracy_served == pytest.approx(2 / 3)
    assert golden_test([0.2, 0.6, 0.9], Golden).passed
    with pytest.raises(ParameterError, match="'served' parameter of golden_test must be one prediction per golden song"):
        golden_test([0.2], Golden)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_golden_test_fails_predictions_that_are_not_numbers(lab, bad):
    # issue 17, defect 1: all-NaN predictions passed ("all 200 predictions match (largest
    # difference nan)").
    n = len(lab.golden)
    report = golden_test(np.full(n, bad), lab.golden)
    assert not report.passed
    assert (report.n_changed, report.n_flipped, report.n_missing) == (n, n, n)
    assert report.accuracy_served == 0.0 and report.max_difference == np.inf
    assert f"{n} of them are not numbers (NaN or inf)" in report.describe()
    one = lab.golden.expected.copy()
    one[7] = bad
    report = golden_test(one, lab.golden)
    assert (report.n_changed, report.n_flipped, report.n_missing) == (1, 1, 1)


def test_golden_test_rejects_predictions_that_are_not_numbers_at_all(lab):
    with pytest.raises(ParameterError, match="'served' parameter of golden_test"):
        golden_test(["a"] * len(lab.golden), lab.golden)


# ----------------------------------------------------------------- detection
def test_the_version_guard_flags_the_drift(lab):
    drifted = lab.runs["scalekit>=1.0"].guard
    assert not drifted.ok
    assert [(c.package, c.locked, c.installed) for c in drifted.drifted] == [("scalekit", "1.1.0", "2.0.0")]
    assert lab.runs["scalekit==1.1.0"].guard.ok
    assert not lab.runs["scalekit==1.0.0"].guard.ok  # an older version is a drift too


def test_version_guard_statuses():
    report = version_guard({"scalekit": "1.1.0", "extra": "0.1"}, {"scalekit": "1.1.0", "songpipe": "1.0.0"})
    assert {c.package: c.status for c in report.checks} == {
        "scalekit": "ok", "songpipe": "missing", "extra": "not in the lock"}


# ----------------------------------------------------------------- mitigation
def test_the_lock_installs_from_the_vendored_wheelhouse(lab):
    result = lab.install_locked(source="vendored")
    assert result.ok, result.stderr
    assert result.installed == lab.lock.pins


@pytest.mark.parametrize("cut", ["empty", "5 bytes short", "one entry"])
def test_a_damaged_lock_file_is_reported_not_installed(lab, cut):
    # issue 17, defect 2: an empty lock installed nothing and reported ok; a lock cut 5 bytes
    # short was blamed on a tampered wheel.
    text = lab.lock.text
    damaged = {"empty": "", "5 bytes short": text[:-5], "one entry": text[:text.index("songpipe")]}[cut]
    lab.lock.path.write_text(damaged)
    try:
        result = lab.install_locked(source="vendored")
    finally:
        lab.lock.write(lab.lock.path)
    assert not result.ok and result.installed == {} and result.target is None
    assert result.message.startswith("pip was not run: ")
    assert "tamper" not in result.message.lower()
    reason = {"empty": "the lock file is empty", "5 bytes short": "has 60 hex digits instead of 64",
              "one entry": "songpipe is missing from the lock file"}[cut]
    assert reason in result.message
    assert "lab.lock.write(lab.lock.path)" in result.message
    assert lab.install_locked(source="vendored").ok  # the rewritten lock works again


def test_lock_problems_reads_a_good_lock_as_clean_and_names_each_fault():
    from mlfail_widgets.failures.dependency import Lock, lock_problems

    lock = Lock({"scalekit": "1.1.0", "songpipe": "1.0.0"}, {"scalekit": "ab" * 32, "songpipe": "cd" * 32})
    assert lock_problems(lock.text, lock) == []
    assert lock_problems(lock.text.replace("1.1.0", "2.0.0"), lock) == [
        "scalekit is pinned to 2.0.0, not the vetted 1.1.0"]
    assert lock_problems(lock.text.replace("ab" * 32, "ef" * 32), lock) == [
        "the hash of scalekit in the file is not the vetted wheel's"]
    assert lock_problems("scalekit==1.1.0\n") == [
        "scalekit==1.1.0 has no --hash=sha256:... (the file is truncated or edited)"]
    assert lock_problems("# only a comment\n") == [
        "the lock file is empty: it pins no package (pip would install nothing and report success)"]


def test_pip_rejects_a_tampered_wheel_with_the_same_version(lab):
    result = lab.install_locked(source="mirror")
    assert not result.ok
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert lab.lock.hashes["scalekit"] in result.stderr  # pip shows the expected hash
    assert "someone may have tampered" in result.pip_error
    assert result.installed == {} and result.target is None
    target = Path(result.command[result.command.index("--target") + 1])
    assert not (target / "scalekit").exists()  # nothing of the tampered wheel was installed


def test_the_install_fails_when_the_index_is_down_and_the_vendored_one_works(lab):
    down = lab.install("scalekit==1.1.0", index_up=False)
    assert not down.ok
    assert "Connection refused" in down.stderr
    assert "could not reach the package index" in down.message
    vendored = lab.run("scalekit>=1.0", source="vendored", index_up=False)
    assert vendored.install.ok and vendored.resolved == "1.1.0" and vendored.ok
    assert "--no-index" in vendored.install.command


def test_an_unknown_version_lists_the_available_ones(lab):
    result = lab.install("scalekit==3.0")
    assert not result.ok
    assert "No matching distribution found for scalekit==3.0" in result.stderr
    assert "1.0.0, 1.1.0, 2.0.0" in result.message and "scalekit==3.0" in result.message


def test_a_run_is_cached_per_setting(lab):
    again = lab.run("scalekit~=1.1")
    assert again.cached and again.install is lab.runs["scalekit~=1.1"].install
    assert runs_table(lab.runs.values())["scalekit"].tolist() == list(EXPECTED.values())


def test_pip_is_stopped_at_its_timeout(tmp_path):
    result = run_pip(["--no-index", "--find-links", str(tmp_path)], ["scalekit"], tmp_path / "t",
                     timeout=0.01)
    assert not result.ok and "did not finish" in result.message


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("text", ["scalekit=>1.0", "scalekit>=", "scalekit 1.0", ">>1"])
def test_an_unparseable_requirement_is_a_clear_error(text):
    with pytest.raises(ParameterError) as error:
        parse_requirement(text)
    message = str(error.value)
    assert repr(text) in message and "'scalekit~=1.1'" in message and "It does not parse" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_requirement_is_a_clear_error_not_an_unpinned_install(text):
    # issue 17, item 8: parse_requirement("") silently became the bare package name.
    with pytest.raises(ParameterError, match=r"It is empty: write 'scalekit' for any version"):
        parse_requirement(text)
    assert parse_requirement("scalekit") == "scalekit"  # the explicit "any version"


def test_the_index_pages_use_pep_503_names(tmp_path):
    from mlfail_widgets.failures.dependency import LocalIndex

    wheel = build_wheel(tmp_path, "Song_Pipe.Extra", "1.0.0", {"song_pipe_extra/__init__.py": ""})
    with LocalIndex(tmp_path / "index") as index:
        index.publish(wheel)
        assert (tmp_path / "index" / "simple" / "song-pipe-extra" / "index.html").is_file()


def test_a_requirement_on_another_package_is_refused():
    with pytest.raises(ParameterError, match="only publishes scalekit"):
        parse_requirement("numpy>=1")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_any_text_parses_or_gets_a_clear_error(text):
    try:
        parsed = parse_requirement(text)
    except ParameterError as error:
        assert "requirement on scalekit" in str(error)
    else:
        assert parsed.startswith("scalekit")


def test_bad_arguments_of_the_lab(lab):
    with pytest.raises(ParameterError, match=r"'source' parameter of DependencyLab\.run"):
        lab.run("scalekit", source="pypi")
    with pytest.raises(ParameterError, match="'published' parameter of DependencyLab"):
        DependencyLab(published=["3.0.0"])


# ----------------------------------------------------------------- widget and figure
def test_the_panel_shows_the_runs_and_is_marked_main(lab):
    from mlfail_widgets.widgets.dependency import dependency_panel

    panel = dependency_panel(lab, background=False)
    try:
        assert "mlfail-main" in panel.widget._dom_classes
        assert "mlfail-drive" in panel.controls["requirement"]._dom_classes
        first = panel.png
        assert panel.set(requirement="scalekit<2").resolved == "1.1.0"
        assert panel.png != first
        assert "cached" in panel._widgets["summary"].value  # the module's runs were reused
        panel.set(index_up=False, requirement="scalekit==1.0.0")
        assert panel.result.install.ok is False and panel.error is None
    finally:
        panel.close()


def test_the_figure_is_updated_in_place(lab):
    from mlfail_widgets.plots import dependency as plot

    drawn = plot.draw(lab.runs["scalekit>=1.0"])
    figure, points = drawn.figure, drawn.artists["points"]
    assert "FAILED" in points.axes.get_title()
    plot.update(drawn, lab.runs["scalekit==1.1.0"])
    assert drawn.figure is figure and "passed" in points.axes.get_title()
    assert len(points.get_offsets()) == len(lab.golden)


# ----------------------------------------------------------------- cleanup
def _lab_dirs() -> set:
    return set(Path(tempfile.gettempdir()).glob("mlfail-dependency-*"))


def test_close_removes_everything_and_stops_the_index():
    before = _lab_dirs()
    lab = DependencyLab(seed=1)
    url, root, server = lab.index_url, lab.root, lab._resources.index._thread
    port = int(url.split(":")[2].split("/")[0])
    lab.close()
    assert not root.exists() and _lab_dirs() == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    assert not server.is_alive() and server not in threading.enumerate()
    with pytest.raises(ParameterError, match="closed"):
        lab.run("scalekit")


def test_nothing_is_left_after_an_error_or_an_interrupt(monkeypatch):
    before = _lab_dirs()
    with pytest.raises(RuntimeError), DependencyLab(seed=2):
        raise RuntimeError("boom")
    assert _lab_dirs() == before

    def interrupted(seed):
        raise KeyboardInterrupt

    monkeypatch.setattr(dependency.lab, "train_pipeline", interrupted)
    with pytest.raises(KeyboardInterrupt):
        DependencyLab(seed=3)
    assert _lab_dirs() == before


def test_close_waits_for_a_pip_run_in_progress():
    """A widget's worker may be running pip when the lab closes: nothing may be left behind."""
    lab = DependencyLab(seed=4)
    results = []
    worker = threading.Thread(target=lambda: results.append(lab.install("scalekit<2")))
    with lab._lock:  # hold the lab's lock so that the worker is counted before close() runs
        worker.start()
        lab._idle.wait_for(lambda: lab._active == 1, timeout=30)
    lab.close()
    worker.join(timeout=60)
    assert results and results[0].ok  # the run finished before the folder went
    assert not lab.root.exists()
