"""Chapter 02: the registry, atomic promotion, stale models, code versions, permissions, pickles."""

from __future__ import annotations

import json
import os
import pickle
import tempfile

import numpy as np
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlfail_widgets
from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.deployment import (
    CodeVersionError,
    CorruptFileError,
    DeploymentError,
    DeploymentTimeline,
    IntegrityError,
    ModelRegistry,
    ModelService,
    Sandbox,
    SmokeTestError,
    UnsafePickleError,
    accuracy_by_version,
    atomic_write,
    deploy,
    drifting_weeks,
    fingerprint,
    interrupt_promotion,
    load_across_versions,
    load_as_service_user,
    make_private,
    make_readable,
    malicious_pickle,
    promote_with_canary,
    register_weekly_models,
    restricted_loads,
    sha256_bytes,
    train_week,
    verify_deployment,
)

from .conftest import shows_a_full_draw

ROOT_USER = os.geteuid() == 0


@pytest.fixture(scope="module")
def data():
    return drifting_weeks(6, drift_per_week=12, seed=0)


@pytest.fixture
def registry(data):
    # A Sandbox, not tmp_path: pytest's base folder is mode 0o700, which the service user
    # could not traverse, so a permission error would be about the folder, not the model file.
    with Sandbox() as sandbox:
        registry = ModelRegistry(sandbox.path / "registry", create=True)
        register_weekly_models(registry, data, weeks=range(1, 7))
        registry.promote(1)
        yield registry
    assert not sandbox.path.exists()


@pytest.fixture(autouse=True)
def no_process_left():
    before = set(psutil.Process().children(recursive=True))  # e.g. a browser-test session's
    yield
    assert set(psutil.Process().children(recursive=True)) - before == set()


# ------------------------------------------------------------------ registry and metadata
def test_register_records_the_file_hash_fingerprint_and_versions(registry, data):
    meta = registry.metadata(6)
    on_disk = registry.model_path(6).read_bytes()
    assert meta.sha256 == sha256_bytes(on_disk) and meta.size == len(on_disk)
    assert meta.data_fingerprint == fingerprint(*data.train(6))
    assert meta.code_version == f"mlfail_widgets.models.LogisticRegression=={mlfail_widgets.__version__}"
    assert {"python", "numpy", "mlfail_widgets"} <= set(meta.libraries)
    assert meta.tags == {"week": 6} and 0.9 < meta.metrics["golden_accuracy"] <= 1
    assert json.loads((registry.model_path(6).parent / "metadata.json").read_text())["version"] == 6
    assert oct(registry.model_path(6).stat().st_mode & 0o777) == "0o644"


def test_load_runs_every_check_and_returns_the_same_model(registry, data):
    loaded = registry.load(6)
    assert loaded.version == 6 and len(loaded.checks) == 4
    expected = train_week(data, 6).predict_proba(data.traffic(6)[0])
    np.testing.assert_allclose(loaded.model.predict_proba(data.traffic(6)[0]), expected)


def test_rollback_restores_the_previous_version(registry):
    registry.promote(4)
    registry.promote(6)
    assert registry.rollback().version == 4
    assert registry.production().version == 4 and registry.production().previous == 6
    assert [p.version for p in registry.history()] == [1, 4, 6, 4]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"smoke_inputs": [["a", "b"]]}, "smoke_inputs"),  # issue 17, item 8: a raw ValueError before
    ({"smoke_inputs": [1.0, 2.0]}, "smoke_inputs"),
    ({"smoke_inputs": [[np.nan, 1.0]]}, "smoke_inputs"),
    ({"training_data": "X"}, "training_data"),
    ({"metrics": [0.9]}, "metrics"),
    ({"tags": "week 3"}, "tags"),
])
def test_register_arguments_are_checked(registry, data, kwargs, name):
    model = train_week(data, 1)
    before = registry.versions
    with pytest.raises(ParameterError, match=rf"'{name}' parameter of ModelRegistry\.register"):
        registry.register(model, **kwargs)
    assert registry.versions == before  # nothing half-written


def test_a_retried_promotion_keeps_the_version_to_roll_back_to(registry):
    # issue 17, defect 3: promote(1); promote(2); promote(2) set previous to 2, so rollback()
    # "rolled back" to the same version.
    registry.promote(1)
    registry.promote(2)
    again = registry.promote(2)
    assert (again.version, again.previous) == (2, 1)
    back = registry.rollback()
    assert (back.version, back.previous) == (1, 2)
    assert registry.rollback().version == 2  # twice returns


def test_a_torn_log_line_is_skipped_with_a_warning_and_never_glued_to(registry):
    # issue 17, item 8: a half-written line in promotions.log made history() raise a raw
    # JSONDecodeError, and the next promote appended to it.
    from mlfail_widgets.failures.deployment import TornLogWarning

    log = registry.root / "promotions.log"  # the fixture promoted version 1
    with open(log, "ab") as handle:  # what a promotion killed mid-write leaves
        handle.write(b'{"version": 2, "sha256": "ab')
    with pytest.warns(TornLogWarning, match=r"line 2, is torn or unreadable"):
        assert [p.version for p in registry.history()] == [1]
    registry.promote(3)
    lines = log.read_bytes().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["version"] == 3
    with pytest.warns(TornLogWarning):
        assert [p.version for p in registry.history()] == [1, 3]


def test_a_new_registry_removes_the_temporary_files_of_dead_writers_only(registry):
    dead = registry.root / ".production.json.999999999.ab12cd34.tmp"  # no process has this pid
    live = registry.root / f".production.json.{os.getpid()}.ab12cd34.tmp"
    in_version = registry.root / "versions" / "v1" / ".model.pkl.999999999.0a0b.tmp"
    for path in (dead, live, in_version):
        path.write_text("{")
    again = ModelRegistry(registry.root)
    assert sorted(again.removed_stale) == sorted([dead, in_version])
    assert live.exists() and not dead.exists() and not in_version.exists()
    live.unlink()


def test_rollback_without_a_previous_version_is_a_clear_error(tmp_path, data):
    registry = ModelRegistry(tmp_path)
    register_weekly_models(registry, data, [1])
    with pytest.raises(DeploymentError, match="no previous production version"):
        registry.rollback()
    registry.promote(1)
    with pytest.raises(DeploymentError, match="no previous production version"):
        registry.rollback()


# ------------------------------------------------------------------ atomic promotion
def test_a_promotion_killed_midway_leaves_the_old_pointer_intact(registry):
    crash = interrupt_promotion(registry, 6)
    assert crash.intact and crash.after == 1 and crash.readable
    assert registry.production().version == 1
    assert registry.load().version == 1
    assert len(crash.stray_files) == 1 and crash.stray_files[0].endswith(".tmp")
    assert registry.promote(6).version == 6  # the registry keeps working


def test_a_promotion_crash_needs_a_version_in_production(tmp_path, data):
    empty = ModelRegistry(tmp_path / "registry", create=True)
    register_weekly_models(empty, data, weeks=[1])
    with pytest.raises(DeploymentError, match=r"^interrupt_promotion needs a version in production"):
        interrupt_promotion(empty, 1)


def test_the_same_kill_breaks_an_in_place_write(registry):
    crash = interrupt_promotion(registry, 6, method="in place")
    assert not crash.intact and not crash.readable
    with pytest.raises(CorruptFileError, match="interrupted while writing it in place"):
        registry.production()
    assert registry.promote(6).version == 6  # an atomic promotion repairs it


def test_a_crash_injected_before_the_rename_keeps_the_old_file(tmp_path):
    target = tmp_path / "pointer.json"
    atomic_write(target, b"old")

    def crash(stage):
        if stage == "written":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new", on_stage=crash)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["pointer.json"]


# ------------------------------------------------------------------ failure (a): stale model
@pytest.mark.parametrize("path, env", [("env var", {"MODEL_VERSION": "1"}), ("cached path", {})])
def test_a_stale_deployment_is_caught_by_the_version_check_and_the_golden_check(registry, data, path, env):
    service = ModelService(registry, deploy_path=path, env=env)
    service.reload()
    registry.promote(6)
    unverified = deploy(registry, service, verify=False)
    assert unverified.ok is None and unverified.served.version == 1  # silently stale
    X, y = data.traffic(6)
    served = np.mean(service.predict(X) == y)
    assert served < registry.load().model.score(X, y) - 0.1  # the accuracy really dropped
    report = deploy(registry, service, verify=True, golden=data.golden(6))
    assert report.ok is False
    assert [c.passed for c in report.checks] == [False, False]
    assert "serves v1" in report.checks[0].detail
    assert service.version_info()["sha256"] == registry.metadata(1).sha256


def test_the_pointer_deploy_path_passes_the_checks(registry, data):
    service = ModelService(registry)
    service.reload()
    registry.promote(6)
    report = deploy(registry, service, verify=True, golden=data.golden(6))
    assert report.ok and verify_deployment(registry, service).passed


def test_the_canary_refuses_a_bad_model_and_production_does_not_move(registry, data):
    bad = registry.register(train_week(data, 6, flipped_labels=True), training_data=data.train(6))
    result = promote_with_canary(registry, bad.version, data.golden(6))
    assert not result.passed and result.accuracy < 0.2
    assert registry.production().version == 1
    assert promote_with_canary(registry, 6, data.golden(6)).passed
    assert registry.production().version == 6


def test_staleness_costs_accuracy_as_the_data_drifts(data):
    table = accuracy_by_version(data, 6)
    assert table["accuracy"].is_monotonic_increasing
    assert table.loc[6, "accuracy"] - table.loc[1, "accuracy"] > 0.15


def test_the_same_seed_gives_the_same_data():
    first, second = drifting_weeks(3, seed=5), drifting_weeks(3, seed=5)
    np.testing.assert_array_equal(first.X, second.X)
    assert not np.array_equal(first.X, drifting_weeks(3, seed=6).X)


# ------------------------------------------------------------------ failure (b): code versions
def test_a_pickle_from_another_code_version_fails_or_mispredicts(tmp_path):
    outcomes = {change: load_across_versions(change, seed=0, folder=tmp_path / change.replace(" ", "_"))
                for change in ("none", "renamed attribute", "renamed with a default")}
    same, loud, silent = outcomes.values()
    assert same.outcome == "works" and same.version_check_passed and same.smoke_test_passed
    assert loud.loaded and loud.outcome == "fails at predict" and "AttributeError" in loud.predict_error
    assert silent.loaded and silent.outcome == "silently wrong" and not silent.predict_error
    assert 0 < silent.changed < len(silent.expected)
    assert silent.saved_with.endswith("==1.0") and silent.loaded_with.endswith("==2.0")
    for outcome in (loud, silent):
        assert not outcome.version_check_passed and not outcome.smoke_test_passed
        assert "saved by scoring.ChurnScorer==1.0" in outcome.version_check


def test_the_registry_refuses_a_model_saved_by_another_code_release(registry):
    path = registry.model_path(6).parent / "metadata.json"
    meta = json.loads(path.read_text())
    meta["code_version"] = "mlfail_widgets.models.LogisticRegression==0.9.0"
    path.write_text(json.dumps(meta))
    with pytest.raises(CodeVersionError, match=r"saved by mlfail_widgets.models.LogisticRegression==0.9.0"):
        registry.load(6)


def test_the_smoke_test_catches_a_model_that_predicts_differently(registry):
    path = registry.model_path(6).parent / "metadata.json"
    meta = json.loads(path.read_text())
    meta["smoke_outputs"] = [[1 - p for p in row] for row in meta["smoke_outputs"]]
    path.write_text(json.dumps(meta))
    with pytest.raises(SmokeTestError, match="predicts differently"):
        registry.load(6)


# ------------------------------------------------------------------ failure (c): permission
@pytest.mark.skipif(not ROOT_USER, reason="dropping to another uid needs root")
def test_the_permission_failure_is_real_and_about_the_model_file(registry):
    model = registry.model_path(6)
    assert make_private(model) == 0o600
    denied = load_as_service_user(model)
    assert denied.dropped_privileges and denied.uid == 65534 and denied.gid == 65534
    assert not denied.ok and denied.error_type == "PermissionError" and denied.errno == 13
    assert str(model) in denied.error and denied.could_reach and denied.blamed == "the file"
    assert registry.load(6).version == 6  # root itself still reads it: mode bits do not stop root
    make_readable(model)
    allowed = load_as_service_user(model)
    assert allowed.ok and allowed.uid == 65534 and allowed.sha256 == registry.metadata(6).sha256


@pytest.mark.skipif(not ROOT_USER, reason="dropping to another uid needs root")
def test_a_closed_folder_is_blamed_on_the_folder(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"x")  # pytest's folders are 0o700: nobody cannot enter
    attempt = load_as_service_user(tmp_path / "model.pkl")
    assert not attempt.ok and attempt.error_type == "PermissionError"
    assert attempt.blamed == "a folder on the way"


@pytest.mark.skipif(ROOT_USER, reason="as root the child drops privileges instead")
def test_as_a_normal_user_mode_000_blocks_the_read(tmp_path):
    model = tmp_path / "model.pkl"
    model.write_bytes(b"x")
    assert make_private(model) == 0
    attempt = load_as_service_user(model)
    assert not attempt.dropped_privileges and not attempt.ok and attempt.error_type == "PermissionError"
    make_readable(model)


def test_an_unknown_service_user_is_a_clear_error(registry):
    with pytest.raises(ParameterError, match="'user' parameter"):
        load_as_service_user(registry.model_path(1), user="no-such-user-here")


# ------------------------------------------------------------------ security
def test_the_payload_is_real_when_loaded_with_plain_pickle(tmp_path):
    marker = tmp_path / "pwned.txt"
    pickle.loads(malicious_pickle(marker))
    assert marker.exists()


def test_a_malicious_pickle_never_runs_through_the_registry(registry, tmp_path):
    marker = tmp_path / "pwned.txt"
    registry.model_path(6).write_bytes(malicious_pickle(marker))
    with pytest.raises(IntegrityError, match="It was not unpickled"):
        registry.load(6)
    assert not marker.exists()
    with pytest.raises(UnsafePickleError, match=r"'pathlib.Path.write_text'"):
        registry.load(6, verify_hash=False)
    assert not marker.exists()
    with pytest.raises(UnsafePickleError):
        restricted_loads(malicious_pickle(marker))
    assert not marker.exists()


# ------------------------------------------------------------------ bad input
def test_a_truncated_model_file_is_a_clear_error(registry):
    path = registry.model_path(6)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IntegrityError, match=r"changed, truncated or replaced.*Roll back"):
        registry.load(6)
    with pytest.raises(CorruptFileError, match=r"could not be unpickled.*truncated or corrupt.*Roll back"):
        registry.load(6, verify_hash=False)


def test_a_garbage_or_missing_model_file_is_a_clear_error(registry):
    registry.model_path(5).write_bytes(b"not a pickle at all")
    with pytest.raises(CorruptFileError, match="truncated or corrupt"):
        registry.load(5, verify_hash=False)
    registry.model_path(4).unlink()
    with pytest.raises(CorruptFileError, match="is missing"):
        registry.load(4)
    (registry.model_path(3).parent / "metadata.json").write_text("{half")
    with pytest.raises(CorruptFileError, match="metadata of version 3"):
        registry.load(3)


def test_a_registry_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match=r"must be an existing folder.*create=True"):
        ModelRegistry(tmp_path / "nowhere")
    old_umask = os.umask(0o077)  # a strict umask must not lock the service user out
    try:
        created = ModelRegistry(tmp_path / "nowhere" / "deeper", create=True)
    finally:
        os.umask(old_umask)
    assert created.versions == []
    for folder in (created.root, created.root / "versions"):
        assert oct(folder.stat().st_mode & 0o777) == "0o755"


def test_an_unknown_version_is_a_clear_error(registry):
    with pytest.raises(ParameterError, match=r"registered version \(1, 2, 3, 4, 5, 6\). Got 9"):
        registry.promote(9)
    assert registry.metadata("v3").version == registry.metadata("3").version == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(version=st.one_of(st.integers(-5, 20), st.text(max_size=5), st.floats(allow_nan=True), st.none()))
def test_any_version_argument_is_accepted_or_refused_clearly(registry, version):
    try:
        number = registry.check_version(version)
    except ParameterError as error:
        assert "'version' parameter" in str(error)
    else:
        assert number in registry.versions


# ------------------------------------------------------------------ timeline, widget, cleanup
def test_the_timeline_scenario(tmp_path):
    with DeploymentTimeline(seed=0, folder=tmp_path) as timeline:
        for _ in range(4):
            timeline.next_week()
        assert timeline.promote().production == 5
        stale = timeline.deploy()
        assert stale.outcome == "done" and stale.served == 1
        assert stale.served_accuracy < stale.production_accuracy - 0.1
        assert timeline.deploy(verify=True).outcome == "caught"
        timeline.deploy_path = "pointer"
        assert timeline.deploy(verify=True).outcome == "passed"
        bad = timeline.next_week()  # week 6: flipped labels
        assert "flipped" in bad.message
        assert timeline.promote(verify=True).outcome == "refused"
        timeline.promote()
        shipped = timeline.deploy(verify=True)
        assert shipped.outcome == "passed" and shipped.served_accuracy < 0.2
        back = timeline.rollback(verify=True)
        assert back.action == "rollback" and back.served == 5 and back.served_accuracy > 0.8
        state = timeline.snapshot()
        assert len(state.series()["time"]) == len(state.events) and state.week == 6


def test_the_timeline_is_seeded():
    def run():
        with DeploymentTimeline(seed=3) as timeline:
            timeline.next_week()
            timeline.promote()
            return [e.served_accuracy for e in timeline.snapshot().events]

    assert run() == run()


def test_temporary_folders_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    timeline = DeploymentTimeline(seed=0)
    assert any(tmp_path.iterdir())
    timeline.close()
    load_across_versions("renamed attribute", seed=0)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ParameterError):
        DeploymentTimeline(seed=0, deploy_path="wrong")
    assert list(tmp_path.iterdir()) == []


def test_the_console_buttons_change_the_figure_and_show_errors(tmp_path, monkeypatch):
    from mlfail_widgets.widgets.deployment import deployment_console

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    console = deployment_console(seed=0)
    parts = (console.widget, console._widgets)[1]
    assert "mlfail-main" in parts["box"]._dom_classes
    assert "mlfail-figure" in parts["image"]._dom_classes
    assert "mlfail-drive" in parts["next_week"]._dom_classes
    before = parts["image"].value
    parts["next_week"].click()
    assert parts["image"].value != before and "v2 trained" in parts["summary"].value
    parts["rollback"].click()  # nothing to roll back to
    assert 'class="mlfail-error"' in parts["status"].value and "no previous" in parts["status"].value
    parts["promote"].click()
    assert parts["status"].value == ""
    parts["path"].value = "pointer"
    parts["verify"].value = True
    parts["deploy"].click()
    assert console.timeline.events[-1].outcome == "passed"
    bundle = console._repr_mimebundle_()
    assert "image/png" in (bundle[0] if isinstance(bundle, tuple) else bundle)
    console.close()
    assert list(tmp_path.iterdir()) == []


def test_a_console_click_redraws_only_the_data_and_shows_what_a_full_draw_shows(tmp_path, monkeypatch):
    from mlfail_widgets.widgets.deployment import deployment_console

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    console = deployment_console(seed=0)
    try:
        canvas = console.drawn.figure.canvas
        # a week passes, promote, a stale deploy (a STALE status box), roll back, deploy verified
        for action in (console.next_week, console.promote, console.deploy, console.next_week,
                       console.promote, console.rollback, console.deploy):
            action()
            assert shows_a_full_draw(canvas), console.timeline.events[-1]
        assert canvas.background_draws == 1
    finally:
        console.close()

