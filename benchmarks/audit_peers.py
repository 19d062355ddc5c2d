"""Chapter 08 at 10 million rows: our drift report (DuckDB, pandas and Dask paths) against Evidently's.

Issue 20's comparison: the 10-million-row version of ``audit_scale.py``'s log (10 numeric and 3
categorical features, two windows of 5 million rows; written once into ``build/audit/`` by
DuckDB), tested in turns in one run, each side in a fresh interpreter whose peak memory
(``VmHWM``) is its own:

* ours, DuckDB path: ``drift_report(path, ...)`` on the Parquet file (2 threads);
* ours, pandas path: the same call on the two windows loaded as one pandas DataFrame (the load
  is not timed; the peak memory includes it, as Evidently's does);
* ours, Dask path: the same call on ``dask.dataframe.read_parquet(path)`` with a
  ``LocalCluster`` of two single-threaded workers (the cluster's start is not timed); its table
  must equal the DuckDB path's to 1e-9;
* Evidently 0.7.23's default data-drift report (``Report([DataDriftPreset()])``) on the same two
  windows as pandas DataFrames, in its own virtual environment under ``build/peers/`` (installed
  on first use, ``DO_NOT_TRACK=1``). Only the report call is timed.

Goal: at least 50x faster than Evidently with at most a quarter of its peak memory.

    python benchmarks/audit_peers.py [--quick]

``--quick`` uses the 2-million-row log and skips Evidently (a smoke run, not the figure).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from _common import PEAK_RSS_SOURCE, ROOT, main, ratio_row, row, unavailable_row
from _peers import PeerUnavailable, peer_python, run_in_peer
from audit_scale import CATEGORICAL, NUMERIC, WINDOWS, make_log

NAME = "audit_peers"
EVIDENTLY = {"name": "evidently", "label": "Evidently DataDriftPreset",
             "requirements": ["evidently==0.7.23", "pandas<3", "pyarrow"]}
SPEED_TARGET = 50.0
MEMORY_SHARE = 0.25

_LOAD = """
import pandas as pd
frame = pd.read_parquet(job["path"], columns=["timestamp", *job["columns"]])
t = frame["timestamp"]
reference = frame[(t >= job["windows"]["reference"][0]) & (t < job["windows"]["reference"][1])][job["columns"]]
current = frame[(t >= job["windows"]["current"][0]) & (t < job["windows"]["current"][1])][job["columns"]]
"""

OURS = PEAK_RSS_SOURCE + """
import json, sys, time
job = json.loads(sys.argv[1])
sys.path.insert(0, job["root"])
from mlfail_widgets.audit import drift_report
windows, columns = job["windows"], job["columns"]
data, client = job["path"], None
if job["engine"] == "pandas":
    import pandas as pd
    data = pd.read_parquet(job["path"], columns=["timestamp", *columns])
elif job["engine"] == "dask":
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit="3GiB",
                           host="127.0.0.1")
    client = Client(cluster)
    data = dd.read_parquet(job["path"], columns=["timestamp", *columns])
started = time.perf_counter()
report = drift_report(data, windows["reference"], windows["current"], columns=columns, threads=2)
seconds = time.perf_counter() - started
if client is not None:
    client.close(); cluster.close()
table = report.table
print(json.dumps({"seconds": seconds, "peak_bytes": peak_rss_bytes(), "drifted": report.drifted,
                  "table": {c: table[c].tolist() for c in ["column", "statistic", "pvalue", "psi",
                                                           "jensen_shannon", "wasserstein_sd"]}}))
"""

EVIDENTLY_CODE = PEAK_RSS_SOURCE + """
import json, sys, time
job = json.load(sys.stdin)
from evidently import Report
from evidently.presets import DataDriftPreset
import evidently
""" + _LOAD + """
started = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
result = snapshot.dict()
seconds = time.perf_counter() - started
drifted = []
for metric in result["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift") and metric["value"] >= config["threshold"]:
        drifted.append(config["column"])
print(json.dumps({"seconds": seconds, "peak_bytes": peak_rss_bytes(), "version": evidently.__version__,
                  "drifted": drifted}))
"""


def ours(path, engine: str) -> dict:
    job = {"root": str(ROOT), "path": str(path), "windows": WINDOWS, "columns": NUMERIC + CATEGORICAL,
           "engine": engine}
    out = subprocess.run([sys.executable, "-c", OURS, json.dumps(job)], capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _max_difference(a: dict, b: dict) -> float:
    import numpy as np

    worst = 0.0
    for column in ["statistic", "pvalue", "psi", "jensen_shannon", "wasserstein_sd"]:
        x, y = np.asarray(a["table"][column], float), np.asarray(b["table"][column], float)
        both = np.isnan(x) & np.isnan(y)
        scale = np.maximum(np.abs(y), 1e-12)
        worst = max(worst, float(np.max(np.where(both, 0.0, np.abs(x - y) / scale))))
    return worst


def run(quick: bool = False) -> list[dict]:
    rows = 2_000_000 if quick else 10_000_000
    path = make_log(rows)
    label = f"{rows / 1e6:g} M rows x 13 features"
    out: list[dict] = []
    evidently = None
    if not quick:
        try:
            evidently = peer_python(EVIDENTLY["name"], EVIDENTLY["requirements"])
        except PeerUnavailable as error:
            out.append(unavailable_row(NAME, f"{label}: Evidently's default drift report", EVIDENTLY["label"], error))
    # In turns: ours (DuckDB), ours (pandas), Evidently, ours (Dask).
    duck = ours(path, "duckdb")
    pandas_result = ours(path, "pandas")
    peer = None
    if evidently is not None:
        job = {"path": str(path), "windows": WINDOWS, "columns": NUMERIC + CATEGORICAL}
        try:
            peer = run_in_peer(evidently, EVIDENTLY_CODE, job, name="evidently", timeout=3600)
        except PeerUnavailable as error:
            out.append(unavailable_row(NAME, f"{label}: Evidently's default drift report", EVIDENTLY["label"], error))
    try:
        started = time.perf_counter()
        dask_result = ours(path, "dask")
        dask_wall = time.perf_counter() - started
    except Exception as error:  # reported, never skipped silently
        dask_result, dask_wall = None, None
        out.append(row(NAME, f"{label}: drift report on Dask (2 workers)", [float("nan")], target="report",
                       ok=False, error=str(error)))
    gb = 1e9
    if peer is not None:
        memory_ok = duck["peak_bytes"] <= MEMORY_SHARE * peer["peak_bytes"]
        out.append(ratio_row(NAME, f"{label}: drift report, DuckDB path, vs Evidently", [duck["seconds"]],
                             [peer["seconds"]], f"{EVIDENTLY['label']} ({peer['version']})", at_least=SPEED_TARGET,
                             flagged_ours=", ".join(duck["drifted"]), flagged_peer=", ".join(peer["drifted"]),
                             note=f"flags: ours {', '.join(duck['drifted'])}; Evidently {', '.join(peer['drifted']) or 'none'}"))
        out.append(ratio_row(NAME, f"{label}: drift report, pandas path, vs Evidently", [pandas_result["seconds"]],
                             [peer["seconds"]], f"{EVIDENTLY['label']} ({peer['version']})", target="report", ok=None))
        out.append(row(NAME, f"{label}: peak memory, DuckDB path (Evidently: {peer['peak_bytes'] / gb:.2f} GB)",
                       [duck["peak_bytes"] / gb], unit="GB", target=f"<= {MEMORY_SHARE:g} x Evidently's",
                       ok=memory_ok, peer_peak_gb=peer["peak_bytes"] / gb))
        out.append(row(NAME, f"{label}: peak memory, pandas path (data loaded, as Evidently's)",
                       [pandas_result["peak_bytes"] / gb], unit="GB", target="report", ok=None))
    else:
        out.append(row(NAME, f"{label}: drift report, DuckDB path", [duck["seconds"]]))
        out.append(row(NAME, f"{label}: drift report, pandas path", [pandas_result["seconds"]]))
        out.append(row(NAME, f"{label}: peak memory, DuckDB path", [duck["peak_bytes"] / gb], unit="GB"))
    if dask_result is not None:
        difference = _max_difference(dask_result, duck)
        out.append(row(NAME, f"{label}: drift report on Dask (2 workers), equal to DuckDB's",
                       [dask_result["seconds"]], target="report; equal to 1e-9", ok=difference <= 1e-9,
                       max_relative_difference=difference, process_seconds=dask_wall))
    pandas_difference = _max_difference(pandas_result, duck)
    out.append(row(NAME, f"{label}: pandas path equal to DuckDB's", [pandas_difference], unit="",
                   target="<= 1e-9", ok=pandas_difference <= 1e-9))
    return out


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
