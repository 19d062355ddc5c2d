"""Assemble a drill's evidence: the routine life of the system, the failure, the red herring.

:func:`build_evidence` fills a :class:`~._story.Story` (failure first, so that routine events
and the red herring keep clear of its time), computes the simulated service, the data and the
recommender from the story's knobs, and writes everything into an :class:`~.evidence.Evidence`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._data import daily_quality, drift_report
from ._hardware import REPLICAS, bit_flip_facts
from ._inject import FAILURES, HERRINGS
from ._pipeline import release_runs
from ._recommender import DAYS, recommender_evidence
from ._registry import registry_facts
from ._service import BINS, CORES, resource_trace, service_health
from ._story import QUALITY_DAYS, Clock, Story
from .catalogue import Incident
from .evidence import Evidence, LogLine

__all__ = ["WORLDS", "build", "build_evidence"]

#: Drills share the expensive parts (models, registry, recommender runs) by ``seed % WORLDS``.
WORLDS = 4
_PACKAGES = {"songpipe": "1.0.0", "numpy": "1.26.4", "pandas": "2.2.1"}


def _routine(story: Story) -> None:
    """Weekly model releases, image rebuilds and a config change, on days clear of the failure."""
    clock, facts = story.clock, registry_facts(story.world)
    v3 = story.pick_day(-13, -11)
    v4 = story.serving.get("deploy_day") or story.pick_day(-9, -2, gap=2)
    story.serving["v3_day"], story.serving["v4_day"] = v3, v4
    story.busy_days.add(v4)
    for version, day in ((3, v3), (4, v4)):
        story.change(clock.day_time(day, 10, 2), "registry", f"promote v{version} to production",
                     f"canary passed (golden accuracy {facts.versions[version][1]:.1%})")
        story.change(clock.day_time(day, 10, 15), "prediction-service", f"rolling deploy (model v{version})",
                     f"{REPLICAS}/{REPLICAS} replicas ready")
    for image in ("training", "serving"):
        if story.installed[image] == "1.0.0":
            day = story.pick_day(-13, -2, gap=2)
            story.change(clock.day_time(day, 1, 10), f"{image} image", "rebuilt from requirements.txt",
                         "ok (12 packages installed)")
            if image == "serving":
                story.golden_runs.append((day, release_runs(story.world)["1.0.0"].golden))
    day = story.pick_day(-13, -1, gap=2)
    story.change(clock.day_time(day, 14, 40), "feature-store", "config: connection pool 32 -> 48", "ok")
    story.log(clock.day_time(-2, 9, 0, 12), "WARN", "monitor", "TLS certificate for api.songs.internal "
              "expires in 19 days")


def _routine_logs(story: Story, health, drift, recommender) -> None:
    clock, today = story.clock, 0
    for hour in range(0, BINS, 4):
        rows = health.iloc[hour:hour + 4]
        errors = round(float((rows["requests"] * rows["error_rate"]).sum()))
        story.log(clock.bin_time(hour + 4, 7), "INFO", "prediction-service",
                  f"last hour: {int(rows['requests'].sum())} sampled requests, {errors} errors, "
                  f"p99 {rows['p99_ms'].max():.0f} ms")
    story.log(clock.day_time(today, 3, 10, 2), "INFO", "recommender", "retrained on yesterday's plays; "
              f"{int(story.rng.integers(8, 16))} songs released in the last 5 days")
    story.log(clock.day_time(today, 5, 30, 40), "INFO", "feature-store", "compaction finished in 4m12s")
    story.log(clock.day_time(today, 7, 30, 5), "INFO", "autoscaler", "prediction-service: 3 -> 4 replicas "
              "(morning traffic)")
    facts = bit_flip_facts(story.world)
    for night in range(-QUALITY_DAYS, today + 1):
        moment = clock.day_time(night, 4, 0, 3)
        if story.integrity_mismatch_from is not None and night >= story.integrity_mismatch_from:
            story.log(moment, "ERROR", "integrity-check", f"serve-03: weights checksum "
                      f"{facts.corrupted_checksum} does not match the registry's {facts.checksum} (model v4)")
        elif night == today:
            story.log(moment, "INFO", "integrity-check", f"weights checksum ok on {REPLICAS} replicas")
        if night in story.failed_nights:
            continue
        moment = clock.day_time(night, 2, 0, 2)
        if night == today:
            story.log(moment, "INFO", "nightly-pipeline", "songpipe-clean started")
        for warning in story.nightly_warnings.get(night, ()):
            story.log(clock.day_time(night, 2, 0, 9), "WARN", "nightly-pipeline", warning)
    flagged = drift[drift["flagged"]]
    first = story.drift.get("unused_since", story.change_day)
    for row in flagged.itertuples():
        since = clock.date(min((first or -1) + 1, 0))
        story.log(clock.day_time(today, 6, 0, 11), "WARN", "drift-monitor", f"{row.feature}: PSI "
                  f"{row.psi:.2f}, adjusted p = {row.p_value:.1g} (raised daily since {since})")
    if flagged.empty:
        story.log(clock.day_time(today, 6, 0, 11), "INFO", "drift-monitor", "no feature flagged (5 tested)")


def _window_logs(story: Story, incident: Incident, health) -> None:
    """The prediction service's own complaints during a fault, counted from the simulation."""
    window = story.window
    if window is None or story.level >= 3:  # at level 3 the charts tell it, not the logs
        return
    rows = health.iloc[window.start:window.end]
    errors = round(float((rows["requests"] * rows["error_rate"]).sum()))
    first, last = story.at_bin(window.start), story.at_bin(window.end - 1)
    if incident.variant == "feature store down":
        story.log(story.clock.bin_time(window.start, 2), "ERROR", "health-check",
                  "feature-store: /health refused the connection")
        story.repeated(first, last, "ERROR", "prediction-service", "feature-store call failed: connection "
                       "refused (feature-store:7004)", errors)
    elif incident.variant == "feature store slow":
        delay = 1000 * window.store["latency"]
        story.log(story.clock.bin_time(window.start, 4), "WARN", "feature-store",
                  f"read p99 {delay:.0f} ms: disk queue depth 41 (compaction backlog)")
        story.repeated(first, last, "WARN", "prediction-service", f"slow feature-store call: {delay + 4:.0f} ms "
                       "(budget 25 ms)", int(rows["requests"].sum()))
    elif incident.variant == "feature store flaky":
        story.repeated(first, last, "ERROR", "feature-store", "worker 3: unhandled exception in get_features: "
                       "KeyError('segment')", errors)
        story.repeated(first, last, "ERROR", "prediction-service", "feature-store returned HTTP 500 for "
                       "user features", errors)
    elif incident.variant == "CPU saturation":
        story.repeated(first, last, "WARN", "prediction-service", "request queue depth above 100",
                       window.end - window.start)
    elif incident.variant == "memory exhaustion":
        for kill in story.resources["leak"][1]:
            count = round(float(health.loc[kill, "requests"] * health.loc[kill, "error_rate"]))
            story.repeated(story.clock.bin_time(kill, 5), story.clock.bin_time(kill, 170), "ERROR",
                           "prediction-service", "model-server refused the connection", max(count, 1))
    if window.end < BINS and incident.failure == "downtime":
        story.log(story.clock.bin_time(window.end, 20), "INFO", "health-check", "feature-store: /health ok")


def _tables(story: Story) -> tuple[Any, Any, Any, Any, Any]:
    import pandas as pd

    from ..dependency import version_guard

    clock, facts = story.clock, registry_facts(story.world)
    changes = sorted(story.changes)
    deploys = pd.DataFrame([(clock.stamp(t, seconds=False), *rest) for t, *rest in changes],
                           columns=["time", "component", "change", "result"])
    v3, v4 = story.serving["v3_day"], story.serving["v4_day"]
    served = story.serving.get("served", "pointer")
    if served == "kept":
        version, sha, source, loaded = 3, facts.versions[3][0], "production pointer", v3
    else:
        version, sha, source = facts.served[served][:3]
        loaded = v4
    serving = pd.DataFrame([
        ("registry: production pointer", "v4", facts.versions[4][0], f"promoted {clock.date(v4)} 10:02"),
        ("prediction-service: /version", f"v{version}", sha,
         f"resolved from {source}; loaded {clock.date(loaded)} 10:15")],
        columns=["source", "version", "sha256", "detail"])
    lock = {"scalekit": story.lock["scalekit"], **_PACKAGES}
    frames = []
    for image in ("training", "serving"):
        table = version_guard({"scalekit": story.installed[image], **_PACKAGES}, lock).table()
        table.insert(0, "image", image)
        frames.append(table)
    dependencies = pd.concat(frames, ignore_index=True)
    golden = pd.DataFrame([(f"serving:{clock.date(day)}", clock.date(day), report.passed, report.describe())
                           for day, report in sorted(story.golden_runs, key=lambda item: item[0])],
                          columns=["image", "run", "passed", "result"])
    runs = []
    for night in range(-QUALITY_DAYS + 1, 1):
        if night in story.failed_nights:
            runs.append((clock.date(night), "songpipe-clean", "failed", story.failed_nights[night]))
        else:
            warned = len(story.nightly_warnings.get(night, ()))
            detail = f"cleaned {int(story.rng.integers(40_000, 56_000)):,} rows"
            runs.append((clock.date(night), "songpipe-clean", "ok",
                         detail + (f", {warned} warnings" if warned else "")))
    pipeline_runs = pd.DataFrame(runs, columns=["night", "job", "status", "detail"])
    return deploys, serving, dependencies, golden, pipeline_runs


def build_evidence(incident: Incident) -> Evidence:
    """Everything the dashboard of ``incident`` shows (deterministic in the incident).

    Examples
    --------
    >>> from mlfail_widgets.failures.drill.catalogue import incident_for
    >>> evidence = build_evidence(incident_for(0))
    >>> len(evidence.health), len(evidence.quality), len(evidence.recommender)
    (48, 14, 21)
    """
    return build(incident)[0]


def _notes(story: Story) -> dict:
    """The hidden details :meth:`IncidentDrill.reveal` tells (never shown on the dashboard)."""
    clock, window = story.clock, story.window
    notes = {"change_date": None if story.change_day is None else clock.date(story.change_day),
             "quality": dict(story.quality), "drift": dict(story.drift), "served": story.serving.get("served"),
             "v4_date": clock.date(story.serving["v4_day"])}
    if window is not None:
        notes.update(window_start=clock.stamp(clock.bin_time(window.start), seconds=False)[11:],
                     window_end=clock.stamp(clock.bin_time(window.end), seconds=False)[11:],
                     ongoing=window.end >= BINS, fault=window.fault, store=window.store)
    return notes


def build(incident: Incident) -> tuple[Evidence, dict]:
    """The evidence of ``incident`` and the hidden notes behind it (for the reveal).

    Examples
    --------
    >>> from mlfail_widgets.failures.drill.catalogue import incident_for
    >>> evidence, notes = build(incident_for(4))
    >>> evidence.seed, notes["window_start"] < notes["window_end"]
    (4, True)
    """
    import pandas as pd

    world = incident.seed % WORLDS
    keys = [20260307, 2, incident.seed, incident.red_herring is not None]
    story = Story(incident.seed, world, Clock.for_seed(incident.seed),
                  np.random.default_rng(keys if incident.level == 1 else [*keys, incident.level]),
                  level=incident.level)
    FAILURES[incident.failure](story, incident.variant)
    failure_lines = len(story.logs)
    _routine(story)
    if incident.red_herring is not None:
        HERRINGS[incident.red_herring](story)
    rng = story.rng
    health = service_health(world, story.window, rng)
    cpu, memory = resource_trace(story.clock.hour_of_day(), rng, **story.resources)
    quality = daily_quality(world, QUALITY_DAYS, rng, **story.quality)
    drift = drift_report(world, rng, shift=story.drift.get("shift"),
                         unused_offset=story.drift.get("unused_offset", 0.0))
    daily, slices = recommender_evidence(world, story.recommender)
    before = len(story.logs)
    _window_logs(story, incident, health)
    failure_logs = story.logs[:failure_lines] + story.logs[before:]
    _routine_logs(story, health, drift, daily)
    clock = story.clock
    times = [clock.stamp(clock.bin_time(b), seconds=False) for b in range(BINS)]
    health.insert(0, "time", times)
    health = health.drop(columns="bin")
    resources = pd.DataFrame({"time": times, **{f"cpu_{c}": cpu[:, c] for c in range(CORES)},
                              "memory": memory})
    quality.insert(1, "date", [clock.date(d) for d in quality["day"]])
    recommender = daily.copy()
    recommender.insert(1, "date", [clock.date(d) for d in range(-DAYS, 0)])
    start, oldest = clock.start, clock.now - pd.Timedelta(days=QUALITY_DAYS)
    logs = tuple(LogLine(clock.stamp(t), level, component, message)
                 for t, level, component, message in sorted(story.logs, key=lambda item: item[0])
                 if t <= clock.now and (t >= start if level == "INFO" else t >= oldest))
    evidence = Evidence(incident.seed, clock.stamp(clock.now, seconds=False), health, resources, logs,
                        *_tables(story), drift, quality, recommender, slices.copy())
    notes = _notes(story)
    # The failure's own log lines (the decisive evidence a worked example must not print).
    notes["failure_lines"] = tuple(message for _, _, _, message in failure_logs)
    return evidence, notes
