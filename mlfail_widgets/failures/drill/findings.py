"""What the evidence of a drill says, in numbers: the facts behind the drill's feedback.

:func:`read_evidence` reads only the :class:`~.evidence.Evidence` (what the learner sees) and
sums it up: where health or latency left their usual range, what the host's resources did
then, whether the service serves what production names, what the dependency report, the drift
report, delayed labels and the recommender say. :mod:`.drill` builds its feedback from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..._renamed import renamed_classes

if TYPE_CHECKING:
    from .evidence import Evidence

__all__ = ["EvidenceSummary", "read_evidence"]


@dataclass(frozen=True)
class EvidenceSummary:
    """The evidence, summed up (see :func:`read_evidence`).

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> IncidentDrill(2).findings.bad_bins != ()  # drill 2's service left its usual range
    True
    """

    bad_bins: tuple  # bins where availability < 90% or p99 > 2.5 times its median
    first_bad: str | None
    last_bad: str | None
    worst_availability: float
    worst_p99_ms: float
    usual_p99_ms: float
    cpu_in_bad_bins: float  # mean busy % over all cores in the bad bins (nan if none)
    memory_peak: float
    cpu_spike_time: str | None  # a bin with some core above 90% (any)
    production: str
    served: str
    served_detail: str
    drifted_packages: tuple  # "image: package locked X, installed Y"
    golden_failed: str | None
    failed_nights: int
    first_failed_night: str | None
    flagged_used: tuple
    flagged_unused: tuple
    accuracy_before: float
    accuracy_recent: float
    quality_drop_date: str | None
    new_song_share: float
    new_impressions: float
    loader_errors: int
    integrity_errors: int
    store_errors: int


def _quality_drop(quality) -> tuple[float, float, str | None]:
    accuracy = quality["accuracy"].to_numpy(float)
    before, recent = float(np.mean(accuracy[:5])), float(np.mean(accuracy[-3:]))
    if before - recent < 0.05:
        return before, recent, None
    below = np.flatnonzero(accuracy < before - 0.6 * (before - recent))
    return before, recent, str(quality["date"].iloc[int(below[0])]) if below.size else None


def _bin_end(stamp: str) -> str:
    import datetime as dt

    return (dt.datetime.fromisoformat(stamp) + dt.timedelta(minutes=15)).strftime("%H:%M")


def read_evidence(evidence: Evidence) -> EvidenceSummary:
    """Sum up ``evidence`` the way a careful on-call engineer would read the dashboard.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> findings = read_evidence(IncidentDrill(0).evidence)
    >>> findings.production.startswith("v")
    True
    """
    health, resources = evidence.health, evidence.resources
    p99 = health["p99_ms"].to_numpy(float)
    usual = float(np.nanmedian(p99))
    bad = np.flatnonzero((health["availability"].to_numpy(float) < 0.9) | (p99 > 2.5 * usual))
    cpu = resources[[c for c in resources.columns if c.startswith("cpu_")]].to_numpy(float)
    spikes = np.flatnonzero(cpu.max(axis=1) > 90)
    serving = evidence.serving.set_index("source")
    production = serving.iloc[0]
    served = serving.iloc[1]
    deps = evidence.dependencies
    drifted = tuple(f"{r.image}: {r.package} locked {r.locked}, installed {r.installed}"
                    for r in deps.itertuples() if r.status != "ok")
    golden = evidence.golden
    failed_golden = golden[~golden["passed"].astype(bool)]
    runs = evidence.pipeline_runs
    failed = runs[runs["status"] != "ok"]
    drift = evidence.drift
    before, recent, drop_date = _quality_drop(evidence.quality)
    slices = evidence.slices.set_index("slice")
    text = [str(line) for line in evidence.logs]
    return EvidenceSummary(
        bad_bins=tuple(int(b) for b in bad),
        first_bad=None if not bad.size else str(health["time"].iloc[bad[0]])[11:],
        last_bad=None if not bad.size else _bin_end(str(health["time"].iloc[bad[-1]])),
        worst_availability=float(health["availability"].min()),
        worst_p99_ms=float(np.nanmax(p99)), usual_p99_ms=usual,
        cpu_in_bad_bins=float(cpu[bad].mean()) if bad.size else float("nan"),
        memory_peak=float(resources["memory"].max()),
        cpu_spike_time=None if not spikes.size else str(resources["time"].iloc[spikes[0]])[11:],
        production=f"{production['version']} ({production['sha256']})",
        served=f"{served['version']} ({served['sha256']})",
        served_detail=str(served["detail"]),
        drifted_packages=drifted,
        golden_failed=None if failed_golden.empty else str(failed_golden["result"].iloc[-1]),
        failed_nights=len(failed),
        first_failed_night=None if failed.empty else str(failed["night"].iloc[0]),
        flagged_used=tuple(drift.loc[drift["flagged"] & drift["used_by_model"], "feature"]),
        flagged_unused=tuple(drift.loc[drift["flagged"] & ~drift["used_by_model"], "feature"]),
        accuracy_before=before, accuracy_recent=recent, quality_drop_date=drop_date,
        new_song_share=float(evidence.recommender["new_song_share"].iloc[-7:].mean()),
        new_impressions=float(slices.loc["new", "impression_share"]),
        loader_errors=sum("model-loader" in line and "ERROR" in line for line in text),
        integrity_errors=sum("integrity-check" in line and "ERROR" in line for line in text),
        store_errors=sum("feature-store" in line and ("ERROR" in line or "slow" in line) for line in text),
    )


# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Findings": EvidenceSummary})
