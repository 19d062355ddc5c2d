"""The reveal's words: what happened in each variant, and how to fix it (with the chapter's tools)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._data import DISPLAY_NAMES
from ._hardware import bit_flip_facts
from ._pipeline import release_runs
from ._registry import registry_facts

if TYPE_CHECKING:
    from .catalogue import Incident

__all__ = ["fix_for", "story_for"]

_WORLDS = 4

_FIXES = {
    "removed function": "build images from the hashed lock (pip install --require-hashes -r requirements.lock), "
                        "not from a floating requirement; add a version guard at start-up; move from "
                        "clip_outliers to winsorize before adopting scalekit 2.x.",
    "changed default": "build images from the hashed lock; make the golden-prediction test a blocking step of "
                       "the image build; pass with_mean=True explicitly instead of relying on a default.",
    "stale model": "make the service read the registry's production pointer (drop the pin or the cached "
                   "path), redeploy, and add the post-deploy check that compares /version (version and sha256) "
                   "with the registry.",
    "unreadable model file": "write model files readable by the service (mode 0o644 or a shared group), load the "
                             "model as the service user before switching traffic, and make the readiness probe "
                             "load the model instead of only opening a port.",
    "pickle from another code version": "retrain and register the model with the serving code's release (or "
                                        "deploy the release it was saved with), and run the loader's checks in "
                                        "the canary, before promotion.",
    "feature store down": "put a timeout, retries with backoff and jitter, a circuit breaker and a fallback "
                          "(average features) between the service and the store; run the store with replicas.",
    "feature store slow": "give the store call a tight timeout and a fallback, so a slow dependency costs "
                          "degraded answers instead of slow ones; alert on p99, not only on errors.",
    "feature store flaky": "retry failed store calls with backoff and jitter (they are independent), behind a "
                           "circuit breaker; fix the store's bug.",
    "CPU saturation": "keep batch jobs off serving hosts (or cap their CPU), limit the model server's threads "
                      "and admit only what it can serve in time; alert on per-core utilisation together with p99.",
    "memory exhaustion": "bound the in-memory cache (size-limited LRU), set a memory limit with an alert well "
                         "before it, and page on repeated restarts.",
    "flipped bit in the weights": "drain serve-03, reload the weights from the registry (verified sha256), keep "
                                  "the nightly checksum and the shadow comparison, and replace the faulty memory.",
    "covariate shift": "retrain on recent data (or weight the training rows by importance), keep the per-feature "
                       "drift report and watch the slices where the new inputs fall.",
    "label shift": "estimate the new class balance from the model's own predictions (label-shift correction), "
                   "adjust the scores, and retrain with recent labels.",
    "concept drift": "retrain on recent labelled data, shorten the retraining cycle, and monitor quality from "
                     "delayed labels: input drift detectors cannot see this.",
    "popularity ranking": "put randomised exploration slots on the page, keep a small random audit bucket to "
                          "measure songs without the loop's bias, and watch the new-song and tail slices.",
    "too little exploration": "give exploration enough slots to matter (and target unseen songs), keep an audit "
                              "bucket, and watch the new-song share of plays.",
    "position bias": "learn with the position as a feature (or inverse-propensity weights), add exploration, "
                     "and compare the slices by song age and popularity.",
}


def fix_for(incident: Incident) -> str:
    """How to fix the variant, with the tools of its chapter.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill.catalogue import incident_for
    >>> fix_for(incident_for(0)) != ""
    True
    """
    return _FIXES[incident.variant]


def story_for(incident: Incident, notes: dict) -> str:
    """What happened, in a few sentences, with this drill's dates and numbers.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> "2026-" in IncidentDrill(0).reveal().what_happened
    True
    """
    world, variant = incident.seed % _WORLDS, incident.variant
    date = notes.get("change_date")
    window = f"from {notes.get('window_start')} to {notes.get('window_end')}" + (
        " (still going on)" if notes.get("ongoing") else "")
    if variant == "removed function":
        return (f"On {date} the training image was rebuilt from requirements.txt, whose 'scalekit>=1.0' let pip "
                "install scalekit 2.0.0, a major release that removed clip_outliers. The nightly cleaning step "
                "has raised AttributeError every night since, so no new play logs joined the training data.")
    if variant == "changed default":
        golden = release_runs(world)["2.0.0"].golden
        return (f"On {date} the serving image was rebuilt and picked up scalekit 2.0.0, whose Scaler() no longer "
                f"centres features by default. Nothing raised; every prediction moved ({golden.describe()}).")
    facts = registry_facts(world)
    if variant == "stale model":
        how = ("its environment still pins MODEL_VERSION=3" if notes.get("served") == "env var" else
               "it keeps reloading the model file path it resolved at its first start")
        return (f"On {notes['v4_date']} v4 was promoted and the service redeployed, but {how}: every replica "
                "loaded v3 again. The deploy tool saw 4/4 replicas ready; nobody compared /version with the "
                "registry, and v3 is a week staler on data that keeps drifting.")
    if variant == "unreadable model file":
        return (f"v4's pickle was written with mode {facts.file_mode} (a training job's umask 077). On "
                f"{notes['v4_date']} the service, an unprivileged user, could not read it, logged "
                "PermissionError and kept v3 in memory; the readiness probe only checked the port.")
    if variant == "pickle from another code version":
        return (f"v4 was trained in an image with release 1.0.0 of the serving library; the service runs "
                f"0.1.0. On {notes['v4_date']} the loader's code-version check refused the pickle and kept v3.")
    if variant.startswith("feature store"):
        store = notes.get("store", {})
        what = {"feature store down": "refused every connection",
                "feature store slow": f"answered {1000 * store.get('latency', 0):.0f} ms late (compaction backlog)",
                "feature store flaky": f"failed {store.get('error_rate', 0):.0%} of calls (a bug in one worker)"}
        return (f"The feature store {what[variant]} {window}. The prediction service calls it on every request "
                "and has no fallback, so its trouble became the service's.")
    if variant == "CPU saturation":
        return (f"A batch job was placed on the serving host without a CPU limit {window}; the model server "
                "competed for the cores and its requests queued.")
    if variant == "memory exhaustion":
        return (f"A weekly import added podcast episodes to an unbounded in-memory cache {window}. Memory grew "
                "until the kernel's OOM killer killed model-server, about every hour; each restart refused "
                "requests for a few minutes.")
    if variant == "flipped bit in the weights":
        bit = bit_flip_facts(world)
        return (f"On {date} a memory error flipped bit {bit.bit} ({bit.field}) of one weight in serve-03's copy "
                f"of the model: {bit.before:.4g} became {bit.after:.4g}. Nothing crashed; one request in four "
                "went to the corrupted replica.")
    _kind, magnitude = notes["quality"].get("shift", (None, 0.0))
    if variant == "covariate shift":
        return (f"From {date} a campaign brought in heavy listeners: {DISPLAY_NAMES['x1']} moved by {magnitude:g} "
                "standard deviations (and the client-app mix with it) while the link between inputs and saves "
                "stayed the same. The model, a linear approximation, errs more in the new region.")
    if variant == "label shift":
        direction = "more" if magnitude > 0 else "fewer"
        return (f"From {date} far {direction} listeners saved songs (log-odds {magnitude:+g}): the class balance "
                "moved, and the inputs moved with it, class by class.")
    if variant == "concept drift":
        return (f"On {date} the app moved its skip button: {DISPLAY_NAMES['x2']} now means something else (its "
                f"weight in the true relation moved by {0.8 * magnitude:+.2g}). No input's distribution changed, "
                "so drift detectors stayed silent; only delayed labels show it.")
    return {"popularity ranking": "The home page ranks songs by plays so far, with no exploration: what is shown "
                                  "gets played, what is played gets shown. New songs never get a first play.",
            "too little exploration": "The home page ranks by plays with 5% random slots: too few for a new song "
                                      "to earn the plays that would lift it into the ranking.",
            "position bias": "The personalised model learns from plays without correcting for position: songs "
                             "at the top are played because they are at the top, and it reads that as taste. "
                             "There is no exploration, so new songs stay unseen."}[variant]
