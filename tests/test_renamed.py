"""Renamed result classes: the old names still import, for one release, with a DeprecationWarning."""

from __future__ import annotations

import importlib

import pytest

RENAMED = [  # module, old name, new name
    ("mlfail_widgets.failures.downtime", "Scenario", "OutageScenario"),
    ("mlfail_widgets.failures.downtime", "Summary", "OutageSummary"),
    ("mlfail_widgets.failures.downtime", "RunLog", "OutageRun"),
    ("mlfail_widgets.failures.downtime", "Exploration", "PolicyReport"),
    ("mlfail_widgets.failures.downtime", "RedundancyTable", "RedundancyReport"),
    ("mlfail_widgets.failures.downtime", "FaultComparison", "FaultReport"),
    ("mlfail_widgets.failures.downtime.measure", "Scenario", "OutageScenario"),
    ("mlfail_widgets.failures.downtime.measure", "Summary", "OutageSummary"),
    ("mlfail_widgets.failures.downtime.measure", "RunLog", "OutageRun"),
    ("mlfail_widgets.failures.downtime.simulate", "Exploration", "PolicyReport"),
    ("mlfail_widgets.failures.downtime.redundancy", "RedundancyTable", "RedundancyReport"),
    ("mlfail_widgets.failures.downtime.rounds", "FaultComparison", "FaultReport"),
    ("mlfail_widgets.failures.hardware", "Scenario", "ContentionScenario"),
    ("mlfail_widgets.failures.hardware", "MemoryPressureResult", "MemoryPressureRun"),
    ("mlfail_widgets.failures.hardware", "LatencyExperiment", "LatencyReport"),
    # chapters 01 and 02, the doctor (issue 22): three unrelated Check classes, and results named by the rule
    ("mlfail_widgets.doctor", "Check", "EnvironmentCheck"),
    ("mlfail_widgets.failures.dependency", "Check", "PipelineStep"),
    ("mlfail_widgets.failures.dependency", "GoldenReport", "GoldenTestResult"),
    ("mlfail_widgets.failures.dependency.checks", "GoldenReport", "GoldenTestResult"),
    ("mlfail_widgets.failures.deployment", "Check", "DeploymentCheckResult"),
    ("mlfail_widgets.failures.deployment", "DeploymentCheck", "DeploymentCheckResult"),
    ("mlfail_widgets.failures.deployment", "CrossVersionLoad", "CrossVersionLoadResult"),
    ("mlfail_widgets.failures.deployment", "InterruptedPromotion", "InterruptedPromotionResult"),
    ("mlfail_widgets.failures.deployment", "ReadAttempt", "ServiceUserReadResult"),
    ("mlfail_widgets.failures.deployment.service", "Check", "DeploymentCheckResult"),
    ("mlfail_widgets.failures.deployment.service", "DeploymentCheck", "DeploymentCheckResult"),
    ("mlfail_widgets.failures.deployment.code_versions", "CrossVersionLoad", "CrossVersionLoadResult"),
    ("mlfail_widgets.failures.deployment.crash", "InterruptedPromotion", "InterruptedPromotionResult"),
    ("mlfail_widgets.failures.deployment.permission", "ReadAttempt", "ServiceUserReadResult"),
    # chapters 00 and 02 (issue 22): a share with its interval is an Estimate; the timeline so far is a Run
    ("mlfail_widgets.failures.overview", "OutageShare", "OutageShareEstimate"),
    ("mlfail_widgets.failures.deployment", "TimelineState", "DeploymentRun"),
    ("mlfail_widgets.failures.deployment.timeline", "TimelineState", "DeploymentRun"),
    # the rest of the rule (issue 22 review): chapters 04-08's results
    ("mlfail_widgets.audit", "LogPerformance", "LogPerformanceEstimate"),
    ("mlfail_widgets.audit", "FeedbackCheck", "FeedbackReport"),
    ("mlfail_widgets.audit", "MetricTimeline", "MonitorRun"),
    ("mlfail_widgets.audit.estimate", "LogPerformance", "LogPerformanceEstimate"),
    ("mlfail_widgets.audit.feedback", "FeedbackCheck", "FeedbackReport"),
    ("mlfail_widgets.audit.monitor", "MetricTimeline", "MonitorRun"),
    ("mlfail_widgets.failures.feedback", "LoopHistory", "LoopRun"),
    ("mlfail_widgets.failures.feedback.simulate", "LoopHistory", "LoopRun"),
    ("mlfail_widgets.failures.shift", "BinnedKS", "BinnedKSResult"),
    ("mlfail_widgets.failures.shift", "ShiftSnapshot", "ShiftResult"),
    ("mlfail_widgets.failures.shift.binned", "BinnedKS", "BinnedKSResult"),
    ("mlfail_widgets.failures.shift.explore", "ShiftSnapshot", "ShiftResult"),
    ("mlfail_widgets.slicing", "SliceComparison", "SliceComparisonReport"),
    ("mlfail_widgets.failures.hardware", "RedundantPrediction", "RedundantPredictionResult"),
    ("mlfail_widgets.failures.hardware.bitflip", "RedundantPrediction", "RedundantPredictionResult"),
    ("mlfail_widgets.failures.drill", "Findings", "EvidenceSummary"),
    ("mlfail_widgets.failures.drill.findings", "Findings", "EvidenceSummary"),
]


@pytest.mark.parametrize(("module", "old", "new"), RENAMED)
def test_old_name_is_the_new_class_with_a_deprecation_warning(module, old, new):
    imported = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is renamed {new}; the old name will stop"):
        value = getattr(imported, old)
    assert value is getattr(imported, new)
    assert value.__name__ == new
    assert old not in getattr(imported, "__all__", [])  # the old name is not advertised


def test_from_import_of_an_old_name_works():
    with pytest.warns(DeprecationWarning, match="ContentionScenario"):
        from mlfail_widgets.failures.hardware import Scenario
    assert Scenario(name="idle").name == "idle"


def test_unknown_names_still_raise_attribute_error():
    downtime = importlib.import_module("mlfail_widgets.failures.downtime")
    with pytest.raises(AttributeError, match="has no attribute 'Scenarios'"):
        downtime.Scenarios  # noqa: B018


def test_the_two_scenarios_are_different_classes():
    from mlfail_widgets.failures.downtime import OutageScenario
    from mlfail_widgets.failures.hardware import ContentionScenario

    assert OutageScenario is not ContentionScenario
    assert OutageScenario().duration == 1.0 and ContentionScenario("x").name == "x"


@pytest.mark.parametrize("module", ["build", "stories"])
def test_old_module_paths_of_the_drill_still_import_with_a_warning(module):
    import sys

    sys.modules.pop(f"mlfail_widgets.failures.drill.{module}", None)
    with pytest.warns(DeprecationWarning, match=f"drill.{module} is private now"):
        old = importlib.import_module(f"mlfail_widgets.failures.drill.{module}")
    new = importlib.import_module(f"mlfail_widgets.failures.drill._{module}")
    assert old.__all__ == new.__all__ and all(getattr(old, name) is getattr(new, name) for name in new.__all__)


def test_two_chapters_never_share_a_public_class_name():
    # DEVELOPERS.md, "Result classes": the name starts with what it is about (chapters 03 and 04 had
    # two unrelated `Scenario`s); the overview (chapter 00) counts as a chapter
    import inspect
    import pkgutil

    import mlfail_widgets.failures as failures

    chapters: dict[str, dict[str, type]] = {}
    for info in pkgutil.iter_modules(failures.__path__):
        module = importlib.import_module(f"{failures.__name__}.{info.name}")
        chapters[info.name] = {name: value for name in getattr(module, "__all__", [])
                               if inspect.isclass(value := getattr(module, name))}
    assert {"overview", "deployment", "downtime", "hardware"} <= set(chapters)
    owners: dict[str, list[str]] = {}
    for chapter, classes in chapters.items():
        for name in classes:
            owners.setdefault(name, []).append(chapter)
    shared = {name: where for name, where in owners.items() if len(where) > 1}
    assert not shared, f"one class name in two chapters: {shared}"
    assert chapters["overview"]["OutageShareEstimate"].__name__ == "OutageShareEstimate"
