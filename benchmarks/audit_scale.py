"""Chapter 08 at scale: the drift report and a 10-slice chart on a 100-million-row Parquet log.

Issue 20's figures: a log of 100 million rows (10 numeric and 3 categorical features, a score and
a 0/1 label; two windows of 50 million rows, the second with a 0.1-sd mean shift in five
features and a changed mix in one category) is written once into ``build/`` by DuckDB itself
(a seeded hash of the row number, so the same file on every machine; never committed). Then, in
a fresh interpreter each time so the peak memory is that call's own (``VmHWM``):

* ``mlfail_widgets.audit.drift_report(path, ...)`` with ``threads=2`` (target < 45 s together
  with the slice chart, peak < 1 GB);
* ``mlfail_widgets.audit.slice_report(path, by="c0", metric="accuracy", ...)`` on the current
  window (10 categories: a 10-slice chart).

The Dask path (time and equality with DuckDB, at 10 million rows) is in ``audit_peers.py``.

    python benchmarks/audit_scale.py [--quick] [--rows N]

``--quick`` uses 2 million rows (a CI smoke run, not the figure).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from _common import PEAK_RSS_SOURCE, ROOT, main, row

NAME = "audit_scale"
BUILD = ROOT / "build" / "audit"
NUMERIC = [f"x{j}" for j in range(10)]
CATEGORICAL = ["c0", "c1", "c2"]
START = "2026-01-01"
DAYS = 100
WINDOWS = {"reference": ("2026-01-01", "2026-02-20"), "current": ("2026-02-20", "2026-04-11")}
TIME_TARGET = 45.0
MEMORY_TARGET = 1.0  # GB


def log_sql(rows: int) -> str:
    """DuckDB SQL for the synthetic log: row i at START + i * (DAYS days / rows)."""
    half = rows // 2

    def uniform(k: int) -> str:  # a seeded uniform in (0, 1) from the row number
        return f"((hash(i * 31 + {k}) % 9007199254740991)::DOUBLE + 0.5) / 9007199254740991.0"

    def normal(k: int) -> str:
        return f"sqrt(-2 * ln({uniform(2 * k)})) * cos(2 * pi() * {uniform(2 * k + 1)})"

    numeric = [f"{normal(j)} + CASE WHEN i >= {half} AND {j} < 5 THEN 0.1 ELSE 0 END AS x{j}" for j in range(10)]
    categories = [
        # c0: 10 regions, the last over-represented in the current window
        f"'r' || CASE WHEN i >= {half} AND {uniform(40)} < 0.05 THEN 9 ELSE (hash(i * 31 + 41) % 10) END AS c0",
        "'d' || (hash(i * 31 + 42) % 4) AS c1",
        "'v' || (hash(i * 31 + 43) % 3) AS c2",
    ]
    score = f"1 / (1 + exp(-({normal(30)} * 0.3 + x0_raw)))"
    return f"""
        SELECT TIMESTAMP '{START}' + to_microseconds((i * ({DAYS} * 86400000000 // {rows}))::BIGINT) AS timestamp,
               {', '.join(numeric)}, {', '.join(categories)},
               {score} AS score,
               ({uniform(50)} < {score})::INTEGER AS label
        FROM (SELECT i, {normal(0)} AS x0_raw FROM range({rows}) t(i))
    """


def make_log(rows: int, path: Path | None = None) -> Path:
    """Write the log once (``build/audit/log_<rows>.parquet``); reuse it when present."""
    import duckdb

    path = path or BUILD / f"log_{rows}.parquet"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    connection = duckdb.connect()
    connection.execute("PRAGMA threads=2")
    connection.execute(f"COPY ({log_sql(rows)}) TO '{partial}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    connection.close()
    partial.rename(path)
    return path


CHILD = PEAK_RSS_SOURCE + """
import json, sys, time
job = json.loads(sys.argv[1])
sys.path.insert(0, job["root"])
from mlfail_widgets.audit import drift_report, slice_report
windows = job["windows"]
started = time.perf_counter()
report = drift_report(job["path"], windows["reference"], windows["current"], columns=job["columns"],
                      threads=2)
drift_seconds = time.perf_counter() - started
started = time.perf_counter()
table = slice_report(job["path"], "c0", "accuracy", window=windows["current"], target="label",
                     prediction="score", threads=2)
slice_seconds = time.perf_counter() - started
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"drift_seconds": drift_seconds, "slice_seconds": slice_seconds,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_bytes": peak_rss_bytes(), "drifted": report.drifted,
                  "slices": int(len(table)), "flagged": table.loc[table["flagged"], "slice"].tolist(),
                  "bound": float(report.table["statistic_bound"].max())}))
"""


def run_child(path: Path) -> dict:
    job = {"root": str(ROOT), "path": str(path), "windows": WINDOWS, "columns": NUMERIC + CATEGORICAL}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(job)], capture_output=True, text=True,
                         check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False, rows: int | None = None) -> list[dict]:
    rows = rows or (2_000_000 if quick else 100_000_000)
    started = time.perf_counter()
    path = make_log(rows)
    made = time.perf_counter() - started
    result = run_child(path)
    total = result["drift_seconds"] + result["slice_seconds"]
    label = f"{rows / 1e6:g} M rows"
    with open("/proc/loadavg") as handle:
        load = float(handle.read().split()[0])
    out = [
        row(NAME, f"{label}: writing the Parquet log (once; 0 if reused)", [made], target=None),
        row(NAME, f"{label}: drift report, 13 features (DuckDB, 2 threads)", [result["drift_seconds"]]),
        row(NAME, f"{label}: 10-slice accuracy chart (DuckDB)", [result["slice_seconds"]]),
        row(NAME, f"{label}: drift report + slice chart", [total], limit=None if quick else TIME_TARGET),
        row(NAME, f"{label}: peak memory of that process", [result["peak_bytes"] / 1e9], unit="GB",
            limit=None if quick else MEMORY_TARGET),
        row(NAME, f"{label}: CPU seconds of that process / 2 cores (its time on an idle machine)",
            [result["cpu_seconds"] / 2], target="report",
            note=f"1-minute load average {load:.1f} at the end of the run on this 2-core machine: wall "
                 "times above are stretched by the other processes' load when it is above 2."),
    ]
    for r in out:
        r["detail"] = {k: result[k] for k in ("drifted", "flagged", "slices", "bound")}
    return out


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
