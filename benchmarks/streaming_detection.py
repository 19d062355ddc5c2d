"""Streaming change detection: Page-Hinkley on 1,000,000 points, ours (numpy) against river's.

Issue 6 asks for at least 3 times river's speed with identical detections. river is a peer,
installed on first use into ``build/peers/river`` (never a project dependency); its loop is
timed inside its own process, on the same stream (passed as a .npy file), alternating with ours.

    python benchmarks/streaming_detection.py [--quick] [--write-fixture]

``--write-fixture`` also recomputes ``tests/fixtures/river_pagehinkley.json``: river's
detections on a few small seeded streams, which ``tests/test_shift_streaming.py`` checks
without river.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import ROOT, Seconds, alternate, main, ratio_row, unavailable_row
from _peers import PeerUnavailable, peer_python, run_in_peer

NAME = "streaming_detection"

FIXTURE = ROOT / "tests" / "fixtures" / "river_pagehinkley.json"
RIVER = ["river"]  # as the other benchmarks ask for it: one shared venv
N_POINTS = 1_000_000

# One river detector (PageHinkley by default, ADWIN...) over a stream saved as .npy; only the
# loop is timed, inside river's process.
RIVER_LOOP = """
import json, sys, time
import numpy as np
from river import drift
job = json.load(sys.stdin)
stream = np.load(job["path"]).tolist()
detector = getattr(drift, job.get("detector", "PageHinkley"))(**job["params"])
found = []
start = time.perf_counter()
for i, x in enumerate(stream):
    detector.update(x)
    if detector.drift_detected:
        found.append(i)
seconds = time.perf_counter() - start
import river
print(json.dumps({"seconds": seconds, "detections": found, "version": river.__version__}))
"""

RIVER_FIXTURE = """
import json, sys
from river import drift
job = json.load(sys.stdin)
out = []
for case in job["cases"]:
    detector = drift.PageHinkley(**case["params"])
    found = []
    for i, x in enumerate(case["stream"]):
        detector.update(x)
        if detector.drift_detected:
            found.append(i)
    out.append(found)
import river
print(json.dumps({"detections": out, "version": river.__version__}))
"""

#: Small seeded streams for the fixture: (seed, segments of (length, mean, sd) or bernoulli rates, params).
FIXTURE_CASES = [
    {"seed": 1, "kind": "normal", "segments": [[2000, 0.0, 1.0], [2000, 2.0, 1.0], [2000, -1.0, 1.0]],
     "params": {}},
    {"seed": 2, "kind": "normal", "segments": [[3000, 0.0, 1.0], [3000, 0.5, 1.0]],
     "params": {"threshold": 20.0, "delta": 0.01, "mode": "up"}},
    {"seed": 3, "kind": "bernoulli", "segments": [[3000, 0.1], [3000, 0.3]],
     "params": {"threshold": 5.0, "alpha": 1.0, "min_instances": 10}},
    {"seed": 4, "kind": "normal", "segments": [[2500, 0.0, 2.0], [2500, -1.5, 2.0]],
     "params": {"threshold": 25.0, "mode": "down", "alpha": 0.999}},
    {"seed": 5, "kind": "walk", "segments": [[4000, 0.0, 0.03]],
     "params": {"threshold": 10.0, "delta": 0.05}},
]


def fixture_stream(case: dict) -> np.ndarray:
    """The stream of one fixture case (the test rebuilds it with the same call)."""
    from mlfail_widgets.failures.shift import segmented_stream

    return segmented_stream(case["segments"], kind=case["kind"], seed=case["seed"])


def benchmark_stream(seed: int = 0) -> np.ndarray:
    """1,000,000 standard normal points whose mean jumps by +-1 every 100,000 points."""
    rng = np.random.default_rng(seed)
    means = np.cumsum(rng.choice([-1.0, 1.0], size=10))
    return rng.normal(size=N_POINTS) + np.repeat(means, N_POINTS // 10)


def write_river_fixture() -> dict:
    python = peer_python("river", RIVER)
    cases = [{"stream": fixture_stream(c).tolist(), "params": c["params"]} for c in FIXTURE_CASES]
    result = run_in_peer(python, RIVER_FIXTURE, {"cases": cases}, name="river")
    fixture = {"source": f"river {result['version']} drift.PageHinkley, computed by "
                         "benchmarks/streaming_detection.py --write-fixture",
               "cases": []}
    for case, stream, detections in zip(FIXTURE_CASES, cases, result["detections"], strict=True):
        fixture["cases"].append({**case, "first_values": stream["stream"][:3],
                                 "total": float(np.sum(stream["stream"])), "detections": detections})
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    return fixture


@contextlib.contextmanager
def saved(stream: np.ndarray) -> Iterator[Path]:
    """The stream as a temporary .npy file, for a peer process to load; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mlfail-bench-") as folder:
        path = Path(folder) / "stream.npy"
        np.save(path, stream)
        yield path


def river_run(python: Path, path: Path, detector: str = "PageHinkley", params: dict | None = None) -> dict:
    """river's ``detector`` over the saved stream: {"seconds", "detections", "version"}."""
    job = {"path": str(path), "detector": detector, "params": params or {}}
    return run_in_peer(python, RIVER_LOOP, job, name="river")


def run(quick: bool = False, write_fixture: bool = False) -> list[dict]:
    from mlfail_widgets.failures.shift import page_hinkley

    if write_fixture:
        fixture = write_river_fixture()
        print(f"wrote {FIXTURE} ({len(fixture['cases'])} cases, {fixture['source']})")
    repeats = 2 if quick else 5
    stream = benchmark_stream()
    page_hinkley(stream[:10_000])  # scipy.signal imported on first use: not the detector's cost
    figure = "Page-Hinkley on 1,000,000 points (defaults of river)"
    target = ">= 3x river, same detections"
    try:
        python = peer_python("river", RIVER)
    except PeerUnavailable as error:
        ours = alternate({"ours": lambda: page_hinkley(stream)}, repeats)["ours"]
        return [unavailable_row(NAME, figure, "river", error, ours=ours, target=target)]
    found: dict = {}
    with saved(stream) as path:
        def ours():
            found["ours"] = page_hinkley(stream).tolist()

        def theirs():
            found["river"] = river_run(python, path)
            return Seconds(found["river"]["seconds"])

        times = alternate({"ours": ours, "river": theirs}, repeats)
    same = found["ours"] == found["river"]["detections"]
    ratio = np.median(times["river"]) / np.median(times["ours"])
    return [ratio_row(NAME, figure, times["ours"], times["river"], f"river {found['river']['version']}",
                      at_least=3, target=target, ok=bool(same and ratio >= 3), identical=same,
                      detections=len(found["ours"]))]


def _arguments(parser) -> None:
    parser.add_argument("--write-fixture", action="store_true",
                        help="recompute tests/fixtures/river_pagehinkley.json with river first")


if __name__ == "__main__":
    sys.exit(main(run, __doc__, arguments=_arguments))
