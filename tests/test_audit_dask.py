"""The audit on a real Dask cluster (two local worker processes): the same results as DuckDB.

Nothing is distributed by hand: narwhals hands the expressions to Dask, whose scheduler runs
them on the workers; only the aggregates come back. The cluster is started and stopped here,
and no worker process outlives the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psutil
import pytest

from mlfail_widgets.audit import drift_report, feedback_check, monitor_metric, slice_report

from .test_audit import CURRENT, FEATURES, REFERENCE, impressions, make_log

pytestmark = pytest.mark.slow
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                       memory_limit="1GiB", host="127.0.0.1")
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
        # multiprocessing's own helper (resource tracker / forkserver) lives as long as this
        # interpreter by design; a worker or nanny must not.
        left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)
                if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        left = [c for c in left if "resource_tracker" not in c and "forkserver" not in c]
        assert not left, f"worker processes left running: {left}"


def test_drift_report_on_dask_equals_duckdb(client, tmp_path):
    import duckdb

    log = make_log(20_000)
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    frame = dd.read_parquet(str(path)).repartition(npartitions=4)
    assert len(client.scheduler_info()["workers"]) == 2
    connection = duckdb.connect()
    for exact in (0, 10**6):
        ours_report = drift_report(frame, REFERENCE, CURRENT, FEATURES, exact_max_rows=exact)
        theirs_report = drift_report(connection.read_parquet(str(path)), REFERENCE, CURRENT, FEATURES,
                              exact_max_rows=exact)
        ours, theirs = ours_report.table, theirs_report.table
        assert ours_report.engine == "dask" and theirs_report.engine == "duckdb"
        for column in ["statistic", "pvalue", "psi", "jensen_shannon", "wasserstein_sd", "statistic_bound"]:
            np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=1e-12, err_msg=column)
        assert ours["drifted"].tolist() == theirs["drifted"].tolist()
    connection.close()


def test_slices_feedback_and_monitor_on_dask_equal_pandas(client):
    log = make_log(8000)
    frame = dd.from_pandas(log, npartitions=4)
    for by, metric, options in (("region", "accuracy", {}), ("x", "calibration", {"edges": [-1, 0, 1]})):
        ours = slice_report(frame, by, metric, prediction="score", **options)
        theirs = slice_report(log, by, metric, prediction="score", **options)
        assert ours["slice"].tolist() == theirs["slice"].tolist()
        np.testing.assert_allclose(ours["p_value"], theirs["p_value"], rtol=1e-9)
    plays = impressions(days=20)
    windows = ("2026-01-01", "2026-01-10"), ("2026-01-10", "2026-01-21")
    ours = feedback_check(dd.from_pandas(plays, npartitions=3), *windows)
    theirs = feedback_check(plays, *windows)
    pd.testing.assert_frame_equal(ours.daily, theirs.daily, check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(ours.slices["metric"], theirs.slices["metric"], rtol=1e-12)
    a = monitor_metric(dd.from_pandas(plays, npartitions=3), "mean", column="played", baseline=7)
    b = monitor_metric(plays, "mean", column="played", baseline=7)
    np.testing.assert_allclose(a.daily["value"], b.daily["value"], rtol=1e-12)
