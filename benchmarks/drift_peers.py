"""Drift detection against the tools a learner would otherwise use: Evidently and alibi-detect.

Issue 10, figure 4 (and issue 6's "at least 10 times faster than Evidently's default report"):
the same 100,000 x 20 reference and current data as ``drift_detection.py`` (standard normal
features, a 0.1-sd mean shift in the first 5), tested

* by us, in this process: ``ks_test`` (per-feature KS on arrays) and ``detect_drift`` (the
  chapter's report on DataFrames: KS with Bonferroni, plus PSI, Jensen-Shannon, Wasserstein);
* by Evidently 0.7.23's default data-drift report (``Report([DataDriftPreset()])``), and
* by alibi-detect's ``KSDrift`` (per-feature KS, Bonferroni over the features),

each peer in its own virtual environment under ``build/peers/`` (installed on first use, never a
project dependency; ``DO_NOT_TRACK=1`` keeps Evidently from reporting usage). Each round runs
ours and each peer in turns, the order rotating. Inside a peer's process only the detection
call is timed (with reading its result); the process start, the imports and loading the data
are reported in rows of their own. Then: which columns each flags, and why they disagree.

    python benchmarks/drift_peers.py [--quick]
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import Seconds, alternate, clock, main, ratio_row, row, unavailable_row
from _peers import PeerUnavailable, peer_python, run_in_peer
from drift_detection import FEATURES, ROWS, SHIFT, SHIFTED, data

NAME = "drift_peers"
LEVEL = 0.05
COLUMNS = [f"f{j}" for j in range(FEATURES)]
SHIFTED_COLUMNS = COLUMNS[:SHIFTED]
EVIDENTLY = {"name": "evidently", "label": "Evidently DataDriftPreset",
             "requirements": ["evidently==0.7.23", "pandas<3"]}
ALIBI = {"name": "alibi-detect", "label": "alibi-detect KSDrift", "requirements": ["alibi-detect"]}

# In Evidently's venv: the default data-drift report on the saved arrays as DataFrames.
EVIDENTLY_CODE = """
import json, sys, time
started = time.perf_counter()
import numpy as np, pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
import evidently
imported = time.perf_counter()
job = json.load(sys.stdin)
reference = pd.DataFrame(np.load(job["reference"]), columns=job["columns"])
current = pd.DataFrame(np.load(job["current"]), columns=job["columns"])
loaded = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
result = snapshot.dict()
seconds = time.perf_counter() - loaded
columns = {}
for metric in result["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        columns[config["column"]] = {"score": metric["value"], "method": config["method"],
                                     "threshold": config["threshold"]}
print(json.dumps({"seconds": seconds, "import_seconds": imported - started, "load_seconds": loaded - imported,
                  "version": evidently.__version__, "columns": columns}))
"""

# In alibi-detect's venv: KSDrift with its default Bonferroni correction over the features.
ALIBI_CODE = """
import json, sys, time
started = time.perf_counter()
import numpy as np
from alibi_detect.cd import KSDrift
import alibi_detect
imported = time.perf_counter()
job = json.load(sys.stdin)
reference, current = np.load(job["reference"]), np.load(job["current"])
loaded = time.perf_counter()
detector = KSDrift(reference, p_val=job["level"], correction="bonferroni")
batch = detector.predict(current, drift_type="batch", return_p_val=True)
seconds = time.perf_counter() - loaded
feature = detector.predict(current, drift_type="feature")  # untimed: its per-feature flags
print(json.dumps({"seconds": seconds, "import_seconds": imported - started, "load_seconds": loaded - imported,
                  "version": alibi_detect.__version__, "p_values": batch["data"]["p_val"].tolist(),
                  "threshold": float(batch["data"]["threshold"]), "is_drift": int(batch["data"]["is_drift"]),
                  "feature_flags": feature["data"]["is_drift"].tolist()}))
"""


@contextlib.contextmanager
def saved(reference: np.ndarray, current: np.ndarray) -> Iterator[dict]:
    """The two arrays as .npy files for the peers, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mlfail-bench-") as folder:
        paths = {"reference": str(Path(folder) / "reference.npy"), "current": str(Path(folder) / "current.npy")}
        np.save(paths["reference"], reference)
        np.save(paths["current"], current)
        yield paths


class Peer:
    """One peer's venv and its runs: detection seconds (timed inside), and the whole process's."""

    def __init__(self, spec: dict, code: str, job: dict):
        self.spec, self.code, self.job = spec, code, job
        self.error: BaseException | None = None
        self.python = None
        self.result: dict = {}
        self.times: list[float] = []  # the detection call, timed inside the peer
        self.process: list[float] = []  # the rest of the process: start, imports, data load, exit
        self.imports: list[float] = []
        try:
            self.python = peer_python(spec["name"], spec["requirements"])
        except PeerUnavailable as error:
            self.error = error

    def once(self) -> Seconds:
        wall, self.result = clock(lambda: run_in_peer(self.python, self.code, self.job, name=self.spec["name"]))
        self.process.append(wall - self.result["seconds"])
        self.imports.append(self.result["import_seconds"])
        return Seconds(self.result["seconds"])

    @property
    def label(self) -> str:
        version = self.result.get("version")
        return f"{self.spec['label']} ({version})" if version else self.spec["label"]


def _flagged(names, mask) -> list[str]:
    return [name for name, hit in zip(names, mask, strict=True) if hit]


def _agreement(ours: list[str], theirs: list[str]) -> str:
    if ours == theirs:
        return "same columns"
    missed, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    return "; ".join(part for part in (f"peer misses {', '.join(missed)}" if missed else "",
                                       f"peer adds {', '.join(extra)}" if extra else "") if part)


def evidently_rows(ks_times, report_times, peer: Peer, ours_flags: list[str], target: float) -> list[dict]:
    columns = peer.result["columns"]
    theirs = [c for c in COLUMNS if columns[c]["score"] >= columns[c]["threshold"]]
    methods = sorted({columns[c]["method"] for c in COLUMNS})
    scores = ", ".join(f"{c} {columns[c]['score']:.3f}" for c in SHIFTED_COLUMNS)
    why = (f"Evidently's default on more than 1,000 rows is {', '.join(methods)} with threshold "
           f"{columns[COLUMNS[0]]['threshold']:g} (a column drifts when the distance is >= it). A 0.1-sd "
           f"mean shift moves the normed distance by about 0.1, so the shifted columns sit on the threshold "
           f"({scores}) and it flags {len(theirs)} of {SHIFTED}; KS at 100,000 rows finds every one "
           f"(p < 1e-50). Neither is wrong: Evidently asks 'is the shift at least 0.1 sd?', the KS test "
           f"'is there any shift?'.")
    agreement = {"flagged_ours": ", ".join(ours_flags), "flagged_peer": ", ".join(theirs),
                 "agreement": _agreement(ours_flags, theirs), "why": why}
    return [
        ratio_row(NAME, f"per-feature KS (ks_test), {ROWS:,} x {FEATURES}, vs Evidently's default report",
                  ks_times, peer.times, peer.label, at_least=target, **agreement,
                  note=f"flags: ours {agreement['flagged_ours']}; Evidently {agreement['flagged_peer'] or 'none'}. "
                       + why),
        ratio_row(NAME, "drift report (detect_drift: KS, PSI, JS, Wasserstein) vs Evidently's default report",
                  report_times, peer.times, peer.label, target="report", ok=None, **agreement),
    ]


def alibi_rows(ks_times, peer: Peer, ours_p: np.ndarray, ours_flags: list[str]) -> list[dict]:
    result = peer.result
    p_values = np.asarray(result["p_values"], dtype=float)
    theirs = _flagged(COLUMNS, p_values < result["threshold"])
    uncorrected = _flagged(COLUMNS, result["feature_flags"])
    difference = float(np.max(np.abs(p_values - ours_p)))
    why = (f"KSDrift's batch decision uses Bonferroni (p < {LEVEL:g} / {FEATURES} = {result['threshold']:g}), "
           f"as detect_drift does: the same KS p-values (largest difference {difference:.1e}: alibi keeps "
           f"them as float32), the same columns. "
           f"Its drift_type='feature' flags are NOT corrected (p < {LEVEL:g}): {', '.join(uncorrected)}"
           + (f", of which {', '.join(c for c in uncorrected if c not in SHIFTED_COLUMNS)} unshifted "
              "(false alarms expected from 20 uncorrected tests)." if set(uncorrected) - set(SHIFTED_COLUMNS)
              else "."))
    return [ratio_row(NAME, f"per-feature KS (ks_test), {ROWS:,} x {FEATURES}, vs alibi-detect KSDrift",
                      ks_times, peer.times, peer.label, target="report; same flags",
                      ok=theirs == ours_flags and difference <= 1e-6, flagged_ours=", ".join(ours_flags),
                      flagged_peer=", ".join(theirs), flagged_peer_uncorrected=", ".join(uncorrected),
                      agreement=_agreement(ours_flags, theirs), max_abs_pvalue_difference=difference, why=why,
                      note=why)]


def run(quick: bool = False) -> list[dict]:
    import pandas as pd

    from mlfail_widgets.failures.shift import detect_drift, ks_test

    rounds = 1 if quick else 5
    reference, current, _ = data()
    frames = pd.DataFrame(reference, columns=COLUMNS), pd.DataFrame(current, columns=COLUMNS)
    ks_test(reference[:1000], current[:1000])  # imports and caches warm
    last: dict = {}

    def ours_ks():
        last["ks"] = ks_test(reference, current)

    def ours_report():
        last["report"] = detect_drift(*frames, alpha=LEVEL, correction="bonferroni")

    rows = []
    with saved(reference, current) as paths:
        job = {**paths, "columns": COLUMNS, "level": LEVEL}
        peers = {"evidently": Peer(EVIDENTLY, EVIDENTLY_CODE, job), "alibi": Peer(ALIBI, ALIBI_CODE, job)}
        while True:
            sides = {"ks": ours_ks, "report": ours_report}
            sides.update({name: peer.once for name, peer in peers.items() if peer.error is None})
            try:
                times = alternate(sides, rounds)
                break
            except PeerUnavailable as error:  # installed, but failed to import or run: without it
                next(p for p in peers.values() if p.spec["name"] == error.name).error = error
    ours_p = last["ks"].pvalue
    ours_flags = _flagged(COLUMNS, np.minimum(ours_p * FEATURES, 1) < LEVEL)  # Bonferroni, as detect_drift
    if last["report"].drifted != ours_flags:
        raise RuntimeError(f"detect_drift flags {last['report'].drifted}, ks_test + Bonferroni {ours_flags}")
    rows.append(row(NAME, f"ours: ks_test, {ROWS:,} x {FEATURES} (shift {SHIFT} sd in {SHIFTED})", times["ks"],
                    flagged=", ".join(ours_flags)))
    rows.append(row(NAME, "ours: detect_drift report on DataFrames", times["report"],
                    flagged=", ".join(last["report"].drifted)))
    for name, peer in peers.items():
        if peer.error is not None:
            figure = f"per-feature KS (ks_test) vs {peer.spec['label']}"
            rows.append(unavailable_row(NAME, figure, peer.spec["label"], peer.error, ours=times["ks"]))
            continue
        peer.times = times[name]
        if name == "evidently":
            rows += evidently_rows(times["ks"], times["report"], peer, ours_flags, target=10)
        else:
            rows += alibi_rows(times["ks"], peer, ours_p, ours_flags)
        rows.append(row(NAME, f"{peer.label}: process start, imports, data load (not in the ratio)",
                        peer.process, import_median=float(np.median(peer.imports))))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
