"""Streaming change detection against river: Page-Hinkley, CUSUM and ADWIN on one change.

Issue 10, figure 5: 1,000,000 standard normal points whose mean jumps by 1 sd at point
500,000. Ours, in this process (``mlfail_widgets.failures.shift``): ``page_hinkley`` with
river's defaults and ``cusum`` (delta 0.5, threshold 10); river's ``PageHinkley`` and ``ADWIN``
with their defaults, in river's virtual environment (``build/peers/river``, never a project
dependency), each timed inside its process on its loop over the points. The four run in turns,
the order rotating each round.

For each detector: the time, the ratio to river's (ours against the same algorithm where river
has it; CUSUM, which river lacks, against ADWIN, the detector river recommends), the detection
delay (points from the change to the first detection after it) and the false alarms (detections
before the change). ``streaming_detection.py`` checks Page-Hinkley's detections against river's
on a stream with ten changes; this script reuses its river loop.

    python benchmarks/streaming_peers.py [--quick]
"""

from __future__ import annotations

import sys

import numpy as np
from _common import Seconds, alternate, main, ratio_row, row, unavailable_row
from _peers import PeerUnavailable, peer_python
from streaming_detection import N_POINTS, RIVER, river_run, saved

NAME = "streaming_peers"
CHANGE, JUMP = N_POINTS // 2, 1.0
CUSUM = {"delta": 0.5, "threshold": 10.0}


def one_change_stream(seed: int = 0) -> np.ndarray:
    """1,000,000 standard normal points; the mean jumps by ``JUMP`` at ``CHANGE``."""
    stream = np.random.default_rng(seed).normal(size=N_POINTS)
    stream[CHANGE:] += JUMP
    return stream


def outcome(detections) -> dict:
    """Detection delay (points after the change; None if missed) and false alarms before it."""
    detections = np.asarray(detections, dtype=np.int64)
    after = detections[detections >= CHANGE]
    return {"delay": int(after[0] - CHANGE) if after.size else None,
            "false_alarms": int((detections < CHANGE).sum()), "detections": int(detections.size)}


def _describe(label: str, found: dict) -> str:
    delay = f"delay {found['delay']:,} points" if found["delay"] is not None else "change missed"
    return f"{label}: {delay}, {found['false_alarms']} false alarm(s) in {CHANGE:,} unchanged points"


def run(quick: bool = False) -> list[dict]:
    from mlfail_widgets.failures.shift import cusum, page_hinkley

    rounds = 2 if quick else 5
    stream = one_change_stream()
    page_hinkley(stream[:10_000])  # imports warm
    found: dict = {}

    def ours(name, detect):
        def once():
            found[name] = detect(stream)
        return once

    sides = {"page_hinkley": ours("page_hinkley", page_hinkley),
             "cusum": ours("cusum", lambda x: cusum(x, **CUSUM))}
    error = None
    try:
        python = peer_python("river", RIVER)
    except PeerUnavailable as problem:
        error = problem
    with saved(stream) as path:
        if error is None:
            def theirs(name, detector):
                def once():
                    found[name] = river_run(python, path, detector)
                    return Seconds(found[name]["seconds"])
                return once

            sides.update(river_ph=theirs("river_ph", "PageHinkley"), river_adwin=theirs("river_adwin", "ADWIN"))
        try:
            times = alternate(sides, rounds)
        except PeerUnavailable as problem:  # river installed but failing: ours alone, and why
            error = problem
            times = alternate({k: sides[k] for k in ("page_hinkley", "cusum")}, rounds)

    ph, cs = outcome(found["page_hinkley"]), outcome(found["cusum"])
    figure_ph = f"Page-Hinkley (river's defaults), {N_POINTS:,} points, one {JUMP:g}-sd jump"
    figure_cs = f"CUSUM (delta {CUSUM['delta']:g}, threshold {CUSUM['threshold']:g}), same stream"
    if error is not None:
        return [unavailable_row(NAME, figure_ph, "river", error, ours=times["page_hinkley"], **ph,
                                note=_describe("ours", ph)),
                unavailable_row(NAME, figure_cs, "river ADWIN", error, ours=times["cusum"], **cs,
                                note=_describe("ours", cs))]

    version = found["river_ph"]["version"]
    river_ph, adwin = outcome(found["river_ph"]["detections"]), outcome(found["river_adwin"]["detections"])
    same = found["page_hinkley"].tolist() == found["river_ph"]["detections"]
    versus_ph = ratio_row(NAME, figure_ph, times["page_hinkley"], times["river_ph"], f"river {version} PageHinkley",
                          at_least=3, target=">= 3x faster than river, same detections", identical=same, **ph,
                          river=river_ph, note=f"{_describe('ours', ph)}; {_describe('river', river_ph)}; "
                                               f"identical detections: {same}")
    versus_ph["ok"] = versus_ph["ok"] and same
    return [
        versus_ph,
        ratio_row(NAME, figure_cs, times["cusum"], times["river_adwin"], f"river {version} ADWIN",
                  target="report", ok=None, **cs, river=adwin,
                  note=f"{_describe('ours (CUSUM)', cs)}; {_describe('river ADWIN', adwin)}"),
        row(NAME, f"river {version} PageHinkley loop (inside its process)", times["river_ph"], **river_ph),
        row(NAME, f"river {version} ADWIN loop, defaults (inside its process)", times["river_adwin"], **adwin),
    ]


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
