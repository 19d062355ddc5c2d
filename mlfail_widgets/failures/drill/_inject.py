"""What each failure (and each red herring) writes into a :class:`~._story.Story`.

One function per type. Each draws its details (when, how big) from the story's generator and
takes its numbers and messages from the chapters' own code (the registry facts, the pipeline
runs, the bit-flip facts); the simulated service and the data are computed in :mod:`.build`
from the knobs set here.

Levels (``story.level``): at 1 each failure shows one clear signal. At 2 the decisive signal
is quieter (a smaller, shorter effect; :func:`_quiet` picks from the lower range). At 3 the
failure's own log lines are gone (the trace is in the tables and the charts only) and a second,
harmless change of another type happens at the same time (:data:`COMPOUNDS`): a deployment that
also shifts an input's distribution, a feedback loop under a seasonal shift, a shift on the day
of a routine deploy, a saturated host while the feature store restarts a replica, a dependency
upgrade on the day a model is deployed. Exactly one root cause remains, but no single panel
decides it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._hardware import REPLICAS, bit_flip_facts
from ._pipeline import release_runs
from ._registry import registry_facts
from ._service import BINS, Window

if TYPE_CHECKING:
    from ._story import Story

__all__ = ["FAILURES", "HERRINGS"]


def _quiet(story, loud: tuple[float, float], quiet: tuple[float, float]) -> float:
    """A magnitude from the loud range at level 1, from the quiet range at levels 2 and 3."""
    low, high = loud if story.level == 1 else quiet
    return float(story.rng.uniform(low, high))


def _loud(story) -> bool:
    """Whether the failure writes its own log lines (not at level 3)."""
    return story.level < 3


def _compound_drift(story) -> None:
    """Level 3: a used input moves, harmlessly (a client release, a season), like a shift would."""
    if story.rng.random() < 0.5:
        story.drift["shift"] = ("covariate", round(float(story.rng.uniform(1.0, 1.3)), 2))
    else:
        story.drift["shift"] = ("label", round(float(story.rng.choice([-1, 1])) * float(story.rng.uniform(1.8, 2.2)), 2))


def _compound_store_restart(story, start: int) -> None:
    """Level 3: a feature-store replica restarts during the symptoms (harmless: calls are retried)."""
    story.log(story.at_bin(start + 0.3), "WARN", "feature-store", "replica fs-2 restarting "
              "(kernel update); fs-1 and fs-3 keep serving")
    story.log(story.at_bin(start + 0.8), "WARN", "prediction-service", f"{int(story.rng.integers(12, 40))} "
              "feature-store calls retried after a connection reset; all answered")
    story.log(story.at_bin(start + 1.6), "INFO", "feature-store", "replica fs-2 back in rotation")


def _slow_change(story) -> int:
    """The day a slow failure began (3 to 10 days ago), reserved in the calendar."""
    story.change_day = int(story.rng.integers(-10, -2))
    story.busy_days.add(story.change_day)
    return story.change_day


def _window(story, low: int, high: int, shortest: int, longest: int) -> tuple[int, int]:
    start = int(story.rng.integers(low, high + 1))
    end = min(start + int(story.rng.integers(shortest, longest + 1)), BINS)
    story.blocked_bins = ((start, end),)
    return start, end


# ---------------------------------------------------------------------------------- failures
def dependency(story: Story, variant: str) -> None:
    day = _slow_change(story)
    new = release_runs(story.world)["2.0.0"]
    image = "training" if variant == "removed function" else "serving"
    story.installed[image] = "2.0.0"
    if story.level >= 3:  # the compound: a routine model deploy on the day of the rebuild, an input moves
        story.serving["deploy_day"] = day
        _compound_drift(story)
    story.change(story.clock.day_time(day, 1, 10), f"{image} image", "rebuilt from requirements.txt",
                 "ok (12 packages installed)")
    story.busy_days.add(day)
    if image == "training":
        for night in range(day, 1):
            story.failed_nights[night] = new.clean_error
            moment = story.clock.day_time(night, 2, 0, 4)
            for line in new.clean_traceback.rstrip().splitlines() if _loud(story) else ():
                story.log(moment, "ERROR", "nightly-pipeline", line)
    else:
        story.golden_runs.append((day, new.golden))
        if _loud(story):
            story.log(story.clock.day_time(day, 1, 24, 31), "ERROR", "golden-test",
                      f"serving:{story.clock.date(day)}: {new.golden.describe()}")
        story.quality["accuracy_cost"] = new.golden.accuracy_expected - new.golden.accuracy_served
        story.quality["change_day"] = day


def deployment(story: Story, variant: str) -> None:
    day = _slow_change(story)
    facts = registry_facts(story.world)
    story.serving["deploy_day"] = day
    story.quality.update(change_day=day, accuracy_cost=max(facts.accuracy_cost, 0.03))
    if story.level >= 3:  # the compound: the new version's client also moves a used input
        _compound_drift(story)
    if variant == "stale model":
        story.serving["served"] = "env var" if story.rng.random() < 0.5 else "cached path"
        return
    story.serving["served"] = "kept"
    error = facts.permission_error if variant == "unreadable model file" else facts.code_version_error
    for replica in range(1, REPLICAS + 1) if _loud(story) else ():
        moment = story.clock.day_time(day, 10, 15, 20 + 9 * replica)
        story.log(moment, "ERROR", "model-loader", f"serve-0{replica}: loading v4 failed: {error}")
        story.log(moment, "WARN", "model-loader", f"serve-0{replica}: keeping the model already in memory (v3)")


def downtime(story: Story, variant: str) -> None:
    start, end = _window(story, 12, 40, 4, 12) if story.level == 1 else _window(story, 12, 40, 3, 6)
    store: dict[str, bool | float]
    if variant == "feature store down":
        store = {"down": True}
    elif variant == "feature store slow":
        store = {"latency": round(_quiet(story, (0.12, 0.2), (0.08, 0.11)), 3)}
    else:
        store = {"error_rate": round(_quiet(story, (0.15, 0.35), (0.14, 0.2)), 2)}
    story.window = Window(start, end, store=store)
    if story.level >= 3:
        _compound_store_restart(story, start)


def hardware(story: Story, variant: str) -> None:
    if variant == "CPU saturation":
        start, end = _window(story, 12, 40, 3, 10) if story.level == 1 else _window(story, 12, 40, 3, 5)
        latency = round(_quiet(story, (0.05, 0.12), (0.05, 0.07)), 3)
        story.window = Window(start, end, fault={"latency": latency})
        story.resources["saturated"] = (start, end)
        job = f"embed-backfill-{int(story.rng.integers(1000, 9999))}"
        story.log(story.at_bin(start), "INFO", "scheduler", f"placed batch job {job} on serve-01 "
                  "(requests 8 CPUs, no limit)")
        if _loud(story):
            story.repeated(story.at_bin(start + 0.5), story.at_bin(end - 1), "WARN", "monitor",
                           "serve-01: CPU busy above 95% on 8 of 8 cores", end - start)
        else:  # the compound: a feature-store replica restarts in the same minutes (harmless)
            _compound_store_restart(story, start)
        if end < BINS:
            story.log(story.at_bin(end), "INFO", "scheduler", f"batch job {job} finished")
    elif variant == "memory exhaustion":
        start, _ = _window(story, 10, 28, 4, 4)
        kills = tuple(range(start + 4, BINS, 4))
        story.blocked_bins = ((start, BINS),)
        story.window = Window(start, BINS, fault={"outages": [(k - start, k - start + 0.2) for k in kills]})
        story.resources["leak"] = (start, kills)
        if story.level >= 3:
            _compound_store_restart(story, start + 4)
        story.log(story.at_bin(start), "INFO", "catalogue", "weekly import: 48,211 podcast episodes added "
                  "to the in-memory feature cache")
        for restart, kill in enumerate(kills, start=1):
            pid = int(story.rng.integers(20000, 60000))
            if not _loud(story):  # the host's memory chart and the dips tell it; the kernel log is not shipped
                continue
            story.log(story.at_bin(kill - 1), "WARN", "monitor", "serve-01: memory 97% used")
            story.log(story.clock.bin_time(kill, 3), "ERROR", "kernel", f"Out of memory: Killed process {pid} "
                      f"(model-server) total-vm:9871244kB, anon-rss:{int(story.rng.integers(7_800_000, 7_990_000))}kB")
            story.log(story.clock.bin_time(kill, 4), "WARN", "supervisor", "model-server exited with signal 9 "
                      f"(SIGKILL); restarting ({restart} restarts today)")
    else:
        day = _slow_change(story)
        facts = bit_flip_facts(story.world)
        story.integrity_mismatch_from = day
        story.quality.update(change_day=day, accuracy_cost=facts.accuracy_cost)
        story.log(story.clock.day_time(day, 3, 41, 7), "WARN", "kernel",
                  "EDAC MC0: 1 CE memory read error on DIMM_B2 (serve-03)")
        for night in range(day, 1):
            story.log(story.clock.day_time(night, 5, 30, 2), "WARN", "shadow-compare",
                      f"serve-03 and serve-01 disagree on {facts.disagreement:.1%} of {facts.mirrored:,} "
                      "mirrored requests")


def shift(story: Story, variant: str) -> None:
    day = _slow_change(story)
    if variant == "covariate shift":
        parameters = ("covariate", round(_quiet(story, (1.2, 2.0), (1.0, 1.3)), 2))
    elif variant == "label shift":
        parameters = ("label", round(float(story.rng.choice([-1, 1])) * _quiet(story, (2.0, 3.0), (1.8, 2.2)), 2))
    else:
        parameters = ("concept", round(_quiet(story, (1.8, 2.8), (1.6, 2.0)), 2))
    story.quality.update(change_day=day, shift=parameters)
    story.drift["shift"] = parameters
    if story.level >= 3:  # the compound: a routine model deploy on the same day (harmless)
        story.serving["deploy_day"] = day
        if variant == "concept drift":  # and an input moves too, as in the other compounds
            _compound_drift(story)


def feedback(story: Story, variant: str) -> None:
    story.recommender = variant
    if story.level >= 3:  # the compound: a seasonal move of a used input (harmless to the loop)
        _slow_change(story)
        _compound_drift(story)


FAILURES = {"dependency": dependency, "deployment": deployment, "downtime": downtime,
            "hardware": hardware, "shift": shift, "feedback": feedback}


# ---------------------------------------------------------------------------------- herrings
def _herring_dependency(story) -> None:
    day = story.pick_day(-9, -2, gap=2)
    minor = release_runs(story.world)["1.1.0"]
    story.lock["scalekit"] = "1.1.0"
    story.installed.update(training="1.1.0", serving="1.1.0")
    story.change(story.clock.day_time(day, 1, 5), "training + serving images",
                 "lock updated: scalekit 1.0.0 -> 1.1.0 (minor release)", "ok (reviewed)")
    story.golden_runs.append((day, minor.golden))
    for night in range(day, 1):
        story.nightly_warnings[night] = minor.warnings


def _herring_deployment(story) -> None:
    day = story.pick_day(max(story.serving.get("v4_day", -9) + 1, -9), -1, gap=2)
    message = registry_facts(story.world).canary_failure
    story.change(story.clock.day_time(day, 10, 2), "registry", "canary for v5 (weekly retrain)",
                 message.removeprefix("canary for v5 ").capitalize())
    story.log(story.clock.day_time(day, 10, 2, 41), "WARN", "registry", message)


def _herring_downtime(story) -> None:
    b = story.pick_bins(2)
    story.log(story.at_bin(b), "WARN", "feature-store", "replica fs-2 restarting (kernel update); "
              "fs-1 and fs-3 keep serving")
    count = int(story.rng.integers(12, 40))
    story.log(story.at_bin(b + 0.6), "WARN", "prediction-service", f"{count} feature-store calls retried "
              "after a connection reset; all answered")
    story.log(story.at_bin(b + 1.5), "INFO", "feature-store", "replica fs-2 back in rotation")


def _herring_hardware(story) -> None:
    b = story.pick_bins(3)
    story.resources["busy_cores"] = (b, b + 3, 4)
    story.log(story.at_bin(b), "INFO", "cron", "nightly-reindex started on serve-01 (pinned to cores 0-3)")
    story.repeated(story.at_bin(b + 0.4), story.at_bin(b + 2), "WARN", "monitor",
                   "serve-01: CPU busy above 95% on 4 of 8 cores", 3)
    story.log(story.at_bin(b + 3), "INFO", "cron", "nightly-reindex finished")


def _herring_shift(story) -> None:
    day = story.pick_day(-9, -2, gap=2)
    story.drift["unused_offset"] = round(float(story.rng.uniform(0.6, 1.0)), 2)
    story.drift["unused_since"] = day
    story.change(story.clock.day_time(day, 9, 30), "client app", "release 7.2 (new audio settings screen)",
                 "ok")


HERRINGS = {"dependency": _herring_dependency, "deployment": _herring_deployment,
            "downtime": _herring_downtime, "hardware": _herring_hardware, "shift": _herring_shift}
