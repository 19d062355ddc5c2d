"""The audit on Apache Spark (a real local[2] session, a JVM started here): the same results as DuckDB.

Nothing is distributed by hand: narwhals hands the expressions to Spark SQL, whose executors run
them; only the aggregates come back to Python. The session, its JVM and its temporary folders
are started and stopped by the fixture, and no process outlives the module.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import psutil
import pytest

from mlfail_widgets.audit import drift_report, feedback_check, monitor_metric, slice_report

from .test_audit import CURRENT, FEATURES, REFERENCE, impressions, make_log

pytestmark = pytest.mark.slow
pyspark_sql = pytest.importorskip("pyspark.sql", reason="Spark comes with the engines extra: pip install -e '.[engines]'")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scratch = tmp_path_factory.mktemp("spark")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    session = (pyspark_sql.SparkSession.builder.master("local[2]").appName("mlfail-audit-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.memory", "1g").config("spark.sql.session.timeZone", "UTC")
               .config("spark.local.dir", str(scratch)).getOrCreate())
    try:
        yield session
    finally:
        from pyspark import SparkContext

        gateway = session.sparkContext._gateway
        session.stop()
        gateway.shutdown()
        process = getattr(gateway, "proc", None)
        if process is not None:  # the JVM's launcher: stop it and wait, so no JVM outlives the tests
            process.terminate()
            process.wait(timeout=30)
        SparkContext._gateway = SparkContext._jvm = None
        left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)
                if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"Spark processes left running: {left}"


def _parquet(log: pd.DataFrame, path) -> str:
    # Spark reads microsecond timestamps; pandas writes nanoseconds unless told
    log.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    return str(path)


def test_drift_report_on_spark_equals_duckdb(spark, tmp_path):
    import duckdb

    path = _parquet(make_log(20_000), tmp_path / "log.parquet")
    frame = spark.read.parquet(path)
    connection = duckdb.connect()
    for exact in (0, 10**6):  # binned (histograms in the engine) and exact (tested columns come back)
        ours_report = drift_report(frame, REFERENCE, CURRENT, FEATURES, exact_max_rows=exact)
        theirs_report = drift_report(connection.read_parquet(path), REFERENCE, CURRENT, FEATURES,
                              exact_max_rows=exact)
        ours, theirs = ours_report.table, theirs_report.table
        assert ours_report.engine == "pyspark" and theirs_report.engine == "duckdb"
        assert ours_report.rows == theirs_report.rows
        for column in ["statistic", "pvalue", "psi", "jensen_shannon", "wasserstein_sd", "statistic_bound"]:
            np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=1e-12, err_msg=column)
        assert ours["drifted"].tolist() == theirs["drifted"].tolist()
        assert ours["drifted"].any(), "the log's shifted features must be flagged on Spark too"
    connection.close()


def test_slices_feedback_and_monitor_on_spark_equal_pandas(spark, tmp_path):
    log = make_log(8000)
    frame = spark.read.parquet(_parquet(log, tmp_path / "log.parquet"))
    for by, metric, options in (("region", "accuracy", {}), ("x", "calibration", {"edges": [-1, 0, 1]})):
        ours = slice_report(frame, by, metric, prediction="score", **options)
        theirs = slice_report(log, by, metric, prediction="score", **options)
        assert ours["slice"].tolist() == theirs["slice"].tolist()
        np.testing.assert_allclose(ours["metric"], theirs["metric"], rtol=1e-9)
        np.testing.assert_allclose(ours["p_value"], theirs["p_value"], rtol=1e-9)
    plays = impressions(days=20)
    played = spark.read.parquet(_parquet(plays, tmp_path / "plays.parquet"))
    windows = ("2026-01-01", "2026-01-10"), ("2026-01-10", "2026-01-21")
    ours = feedback_check(played, *windows)
    theirs = feedback_check(plays, *windows)
    pd.testing.assert_frame_equal(ours.daily, theirs.daily, check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(ours.slices["metric"], theirs.slices["metric"], rtol=1e-12)
    a = monitor_metric(played, "mean", column="played", baseline=7)
    b = monitor_metric(plays, "mean", column="played", baseline=7)
    np.testing.assert_allclose(a.daily["value"], b.daily["value"], rtol=1e-12)
