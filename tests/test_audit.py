"""mlfail_widgets.audit: the course's detectors on a log, in any engine, against the pandas path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.audit import (
    binned_ks,
    binned_wasserstein,
    drift_report,
    estimate_log_performance,
    feedback_check,
    monitor_metric,
    slice_report,
)
from mlfail_widgets.failures.shift import detect_drift, ks_test, wasserstein_distance
from mlfail_widgets.slicing import slice_metrics

REFERENCE = ("2026-01-01", "2026-01-11")
CURRENT = ("2026-01-11", "2026-01-21")


def make_log(rows: int = 4000, shift: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Half the rows in each window; x and the channel mix move in the current one."""
    rng = np.random.default_rng(seed)
    half = rows // 2
    current = np.arange(rows) >= half
    x = rng.normal(size=rows) + shift * current
    channel = np.where(rng.random(rows) < np.where(current, 0.5, 0.3), "app", "web")
    score = 1 / (1 + np.exp(-x))
    label = (rng.random(rows) < score).astype(int)
    return pd.DataFrame({
        "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(rows) * (20 * 86400 / rows), unit="s"),
        "x": x, "z": rng.normal(size=rows), "n_items": rng.integers(0, 5, rows),
        "channel": channel, "region": rng.choice(["north", "south", "new"], size=rows),
        "score": score, "label": label})


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return make_log()


def windows(log: pd.DataFrame):
    t = log["timestamp"]
    first = log[(t >= REFERENCE[0]) & (t < REFERENCE[1])]
    second = log[(t >= CURRENT[0]) & (t < CURRENT[1])]
    return first.reset_index(drop=True), second.reset_index(drop=True)


FEATURES = ["x", "z", "n_items", "channel", "region"]


def engines(log: pd.DataFrame, tmp_path):
    """The same log in every engine the audit accepts (each a test case)."""
    import duckdb
    import polars as pl
    import pyarrow as pa

    connection = duckdb.connect()
    parquet = tmp_path / "log.parquet"
    log.to_parquet(parquet)
    csv = tmp_path / "log.csv"
    log.to_csv(csv, index=False)
    return {"pandas": log, "polars": pl.from_pandas(log), "polars-lazy": pl.from_pandas(log).lazy(),
            "pyarrow": pa.Table.from_pandas(log), "duckdb": connection.from_df(log),
            "parquet": parquet, "csv": str(csv)}, connection


ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "parquet", "csv"]


# ----------------------------------------------------------------------------- count maths
def test_binned_ks_bounds_hold_against_scipy():
    rng = np.random.default_rng(3)
    for trial in range(30):
        a, b = rng.normal(size=500), rng.normal(rng.uniform(-0.5, 0.5), rng.uniform(0.5, 2), size=700)
        edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), rng.integers(8, 200))
        ca = np.histogram(a, edges)[0]
        cb = np.histogram(b, edges)[0]
        low, high = binned_ks(ca, cb)
        true = ks_test(a, b).statistic
        assert low - 1e-12 <= true <= high + 1e-12, trial
        estimate, bound = binned_wasserstein(ca, cb, edges[1] - edges[0])
        assert abs(wasserstein_distance(a, b) - estimate) <= bound + 1e-12, trial


def test_binned_ks_on_equal_samples_is_zero_with_one_bin_of_slack():
    assert binned_ks([3, 3, 3], [3, 3, 3]) == (0.0, pytest.approx(1 / 3))


def test_binned_flags_hold_their_level_when_nothing_moves():
    """Flags from the binned path (its conservative p-value) make at most ~5% false alarms."""
    from scipy.stats import kstwo

    rng = np.random.default_rng(11)
    n, m, trials, alarms = 3000, 3000, 400, 0
    effective = round(n * m / (n + m))
    for _ in range(trials):
        a, b = rng.normal(size=n), rng.normal(size=m)
        edges = np.linspace(-6, 6, 513)
        low, _ = binned_ks(np.histogram(a, edges)[0], np.histogram(b, edges)[0])
        alarms += kstwo.sf(low, effective) < 0.05
    rate = alarms / trials
    assert rate <= 0.05 + 2.6 * np.sqrt(0.05 * 0.95 / trials)  # at most the level (one-sided 99.5%)


# ----------------------------------------------------------------------------- drift report
def test_exact_path_equals_the_pandas_report(log):
    reference, current = windows(log)
    report = drift_report(log, REFERENCE, CURRENT, FEATURES)
    ours = report.table
    theirs = detect_drift(reference, current, FEATURES).table
    for column in ["statistic", "pvalue", "adjusted_pvalue", "psi", "jensen_shannon", "wasserstein_sd"]:
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=1e-12, err_msg=column)
    assert ours["drifted"].tolist() == theirs["drifted"].tolist()
    assert set(ours["method"]) == {"exact"}
    assert report.rows == {"reference": len(reference), "current": len(current)}
    assert report.engine == "pandas" and report.grid is None
    assert report.windows["reference"][0].startswith(REFERENCE[0])


def test_every_input_type_gives_the_same_report(log, tmp_path):
    frames, connection = engines(log, tmp_path)
    expected = drift_report(log, REFERENCE, CURRENT, FEATURES, exact_max_rows=0).table
    for name, data in frames.items():
        for exact in (0, 10**6):
            found = drift_report(data, REFERENCE, CURRENT, FEATURES, exact_max_rows=exact)
            table = found.table
            reference = expected if not exact else drift_report(log, REFERENCE, CURRENT, FEATURES).table
            for column in ["statistic", "pvalue", "psi", "jensen_shannon", "wasserstein_sd"]:
                np.testing.assert_allclose(table[column], reference[column], rtol=1e-9, atol=1e-12,
                                           err_msg=f"{name} exact={exact} {column}")
            assert found.engine in ("pandas", "polars", "pyarrow", "duckdb"), name
    connection.close()


def test_binned_path_is_within_its_stated_bounds(log):
    from scipy.stats import kstwo

    reference, current = windows(log)
    exact = detect_drift(reference, current, FEATURES).table.set_index("column")
    binned = drift_report(log, REFERENCE, CURRENT, FEATURES, exact_max_rows=0, grid=512).table.set_index("column")
    assert set(binned["method"]) == {"binned"}
    for column in ["x", "z", "n_items"]:
        row, truth = binned.loc[column], exact.loc[column]
        assert row["statistic"] - 1e-12 <= truth["statistic"] <= row["statistic"] + row["statistic_bound"] + 1e-12
        asymptotic = kstwo.sf(truth["statistic"], round(len(reference) * len(current) / (len(reference) + len(current))))
        assert row["pvalue_low"] - 1e-12 <= asymptotic <= row["pvalue"] + 1e-12  # scipy's large-sample p
        assert abs(row["wasserstein_sd"] - truth["wasserstein_sd"]) <= row["wasserstein_bound"] + 1e-9
    for column in ["channel", "region"]:  # categories: counts only, so exact on any size
        for field in ["statistic", "pvalue", "psi", "jensen_shannon"]:
            assert binned.loc[column, field] == pytest.approx(exact.loc[column, field], rel=1e-9, abs=1e-12)
    assert binned.loc["x", "statistic_bound"] < 0.02
    assert binned.loc["x", "drifted"] and binned.loc["channel", "drifted"]


def test_binned_path_uses_a_quantile_grid_tight_where_the_data_is(log):
    """A long-tailed column, a continuous one and a discrete one: the stated bounds hold against
    the exact path and stay small (an equal-width grid puts a long tail's bulk in one bin)."""
    data = log.assign(heavy=np.exp(np.random.default_rng(3).normal(0, 3, len(log))))
    columns = ["x", "z", "n_items", "heavy"]
    reference, current = windows(data)
    exact = detect_drift(reference, current, columns).table.set_index("column")
    binned = drift_report(data, REFERENCE, CURRENT, columns, exact_max_rows=0, grid=512).table.set_index("column")
    for column in columns:
        row, truth = binned.loc[column], exact.loc[column]
        assert row["statistic"] - 1e-12 <= truth["statistic"] <= row["statistic"] + row["statistic_bound"] + 1e-12
        assert abs(row["wasserstein_sd"] - truth["wasserstein_sd"]) <= row["wasserstein_bound"] + 1e-9
    # about one reference bin's share (1/512 of 2000 rows is 4 rows) plus the current's in it
    assert binned.loc["x", "statistic_bound"] <= 0.004 and binned.loc["z", "statistic_bound"] <= 0.004
    assert binned.loc["heavy", "statistic_bound"] <= 0.02
    # DuckDB's path (one scan, binned in numpy) finds the same bins, the log-scaled ones too
    import duckdb

    connection = duckdb.connect()
    duck = drift_report(connection.from_df(data), REFERENCE, CURRENT, columns, exact_max_rows=0,
                        grid=512).table.set_index("column")
    connection.close()
    for field in ["statistic", "statistic_bound", "pvalue", "psi", "wasserstein_sd", "wasserstein_bound"]:
        np.testing.assert_allclose(duck[field], binned[field], rtol=1e-9, atol=1e-12, err_msg=field)
    # integers 0-4: each bin holds one value, so the statistic is exact
    assert binned.loc["n_items", "statistic_bound"] == 0.0
    assert binned.loc["n_items", "statistic"] == pytest.approx(exact.loc["n_items", "statistic"], abs=1e-12)
    assert binned.loc["n_items", "wasserstein_sd"] == pytest.approx(exact.loc["n_items", "wasserstein_sd"], rel=1e-9)


def test_binned_path_fills_psi_null95_from_the_reference_counts(log):
    from mlfail_widgets.statistics import psi_null

    reference, current = windows(log)
    exact = detect_drift(reference, current, FEATURES).table.set_index("column")
    binned = drift_report(log, REFERENCE, CURRENT, FEATURES, exact_max_rows=0).table.set_index("column")
    assert binned["psi_null95"].notna().all()
    for column in ["channel", "region", "n_items"]:  # the same reference counts: the same threshold
        assert binned.loc[column, "psi_null95"] == pytest.approx(exact.loc[column, "psi_null95"], rel=1e-12)
    counts = reference["channel"].value_counts().sort_index().to_numpy()
    assert binned.loc["channel", "psi_null95"] == pytest.approx(psi_null(counts, len(current), seed=0)["threshold"])
    for column in ["x", "z"]:  # deciles cut at grid edges next to the quantiles: nearly the same
        assert binned.loc[column, "psi_null95"] == pytest.approx(exact.loc[column, "psi_null95"], rel=0.1)


def test_quantile_lookup_finds_the_bins_the_edges_say():
    from mlfail_widgets.audit._counts import quantile_lookup

    rng = np.random.default_rng(5)
    for values in (rng.normal(size=5000), np.exp(rng.normal(0, 4, 5000)), rng.integers(0, 20, 5000).astype(float)):
        lookup = quantile_lookup(np.sort(values[:1000]), 128)
        found = lookup.bins(values)
        expected = np.searchsorted(lookup.edges, values, side="right")
        # edges moved to the fine grid sit within rounding of a fine bin's start
        assert np.mean(found == expected) > 0.999
        assert np.all(np.abs(found - expected) <= 1)


def test_count_based_tests_equal_scipy_and_refuse_bad_counts():
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import ks_2samp
    from scipy.stats import wasserstein_distance as scipy_wasserstein

    from mlfail_widgets.failures.shift import (
        binned_ks_test,
        jensen_shannon_from_counts,
        merge_bins,
    )

    rng = np.random.default_rng(11)
    a, b = rng.normal(size=3000), rng.normal(0.1, 1.2, size=2500)
    edges = np.quantile(a, np.linspace(0, 1, 257))
    edges[0], edges[-1] = min(a.min(), b.min()), max(a.max(), b.max())
    ca, cb = np.histogram(a, edges)[0], np.histogram(b, edges)[0]
    result = binned_ks_test(ca, cb, edges)
    truth = ks_2samp(a, b, method="asymp")
    assert result.statistic <= truth.statistic <= result.statistic + result.statistic_bound
    assert result.pvalue_low <= truth.pvalue * 1.0001 and truth.pvalue <= result.pvalue * 1.0001 + 1e-15
    estimate, bound = binned_wasserstein(ca, cb, edges)
    assert abs(estimate - scipy_wasserstein(a, b)) <= bound
    assert jensen_shannon_from_counts(ca, cb) == pytest.approx(jensenshannon(ca / ca.sum(), cb / cb.sum(), base=2),
                                                               rel=1e-12)
    merged_a, merged_b = merge_bins(ca, cb, 10)
    assert merged_a.sum() == ca.sum() and merged_b.sum() == cb.sum() and merged_a.size == 10
    np.testing.assert_allclose(merged_a / ca.sum(), 0.1, atol=1 / 256)
    with pytest.raises(ParameterError, match="'current_counts' parameter of binned_ks_test"):
        binned_ks_test([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="'reference_counts' parameter of jensen_shannon_from_counts"):
        jensen_shannon_from_counts([0, 0], [1, 2])
    with pytest.raises(ParameterError, match="'edges' parameter of binned_wasserstein"):
        binned_wasserstein([1, 2], [2, 1], [0.0, 1.0])


def test_text_timestamps_are_parsed_in_the_engine(log):
    text = log.assign(timestamp=log["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
    a = drift_report(text, REFERENCE, CURRENT, ["x"]).table
    b = drift_report(log, REFERENCE, CURRENT, ["x"]).table
    assert a["statistic"].tolist() == b["statistic"].tolist()


def test_progress_is_reported_step_by_step(log):
    seen = []
    drift_report(log, REFERENCE, CURRENT, ["x", "channel"], exact_max_rows=0,
                 progress=lambda done, total, label: seen.append((done, total, label)))
    assert [s[0] for s in seen] == [*list(range(len(seen) - 1)), seen[-1][1]]
    assert seen[-1][2] == "done"


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("change", "call", "words"), [
    ({}, dict(columns=["xx"]), ["'columns'", "Did you mean 'x'"]),
    ({}, dict(timestamp="timestmp"), ["'timestamp'", "Did you mean 'timestamp'"]),
    ({"timestamp": "yesterday-ish"}, {}, ["'timestamp'", "do not parse", "yesterday-ish"]),
    ({"timestamp": 5}, {}, ["'timestamp'", "Convert it first"]),
    ({}, dict(current=("2027-01-01", "2027-02-01")),
     ["'current'", "holds 0 rows", "at least 20 rows", "runs from '2026-01-01 00:00:00' to '2026-01-20 23:52:48'"]),
    ({}, dict(reference=("2025-01-01", "2025-02-01")), ["'reference'", "holds 0 rows", "pick dates inside it"]),
    ({}, dict(current=("2026-01-20 23:00", "2026-01-21"), min_rows=100), ["'current'", "at least 100 rows"]),
    ({}, dict(current=("2026-01-05", "2026-01-15")),
     ["'current'", "does not overlap", "start 'current' at '2026-01-11 00:00:00'"]),
    ({}, dict(current=("soon", "later")), ["'current'", "pair (start, end)"]),
    ({"x": np.nan}, {}, ["'columns'", "missing"]),
])
def test_bad_input_gets_a_clear_error(log, change, call, words):
    data = log.copy()
    for column, value in change.items():
        if column == "x":
            data.loc[5, "x"] = value
        else:
            data[column] = value
    arguments = dict(reference=REFERENCE, current=CURRENT, columns=FEATURES) | call
    with pytest.raises(ParameterError) as caught:
        drift_report(data, **arguments)
    for word in words:
        assert word in str(caught.value)
    assert "drift_report" in str(caught.value)


@pytest.mark.parametrize("engine", ["pandas", "polars", "pyarrow", "polars-lazy", "duckdb"])
def test_a_time_value_that_does_not_parse_is_shown_with_its_row(log, engine, tmp_path):
    """One bad string at row 2,500: the error shows it (and, for a table in memory, its row),
    not the first valid value of the column."""
    text = log["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    text[2500] = "2026-04-31 oops"
    frames, connection = engines(log.assign(timestamp=text), tmp_path)
    try:
        with pytest.raises(ParameterError) as caught:
            drift_report(frames[engine], REFERENCE, CURRENT, ["x"])
    finally:
        connection.close()
    message = str(caught.value)
    assert "'timestamp' parameter of drift_report" in message
    assert "1 value does not parse as a date, e.g. '2026-04-31 oops'" in message
    assert "Fix or drop those rows, or convert the column first" in message
    assert ("at row 2,500" in message) == (engine != "polars-lazy" and engine != "duckdb")
    assert "2026-01-01 00:00:00'" not in message.split("Got")[1]  # no valid value shown as the culprit


def test_an_impossible_date_is_caught_in_a_table_in_memory(log):
    text = log["timestamp"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    text[[7, 3000]] = "2026-02-30"
    with pytest.raises(ParameterError, match=r"2 values do not parse as a date, e\.g\. '2026-02-30', '2026-02-30' "
                       r"at rows 7, 3,000"):
        slice_report(log.assign(timestamp=text), "region", window=CURRENT, prediction="score")


def test_iso_text_timestamps_work_in_a_duckdb_relation(log):
    import duckdb

    connection = duckdb.connect()
    text = log.assign(timestamp=log["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
    found = drift_report(connection.from_df(text), REFERENCE, CURRENT, ["x", "channel"])
    connection.close()
    expected = drift_report(log, REFERENCE, CURRENT, ["x", "channel"])
    assert found.rows == expected.rows
    np.testing.assert_allclose(found.table["statistic"], expected.table["statistic"], rtol=1e-12)


def test_binned_chi_square_warns_below_expected_count_5_like_the_exact_path(log):
    from mlfail_widgets.failures.shift.chi_square import SmallExpectedCountWarning

    rare = log.assign(channel=np.where(np.arange(len(log)) == 3, "kiosk", log["channel"]))
    with pytest.warns(SmallExpectedCountWarning, match="method='exact'"):
        exact = drift_report(rare, REFERENCE, CURRENT, ["channel"]).table
    with pytest.warns(SmallExpectedCountWarning, match=r"column 'channel': 2 expected counts are below 5 "
                      r"\(smallest 0\.5\).*method='merged'.*method='exact'"):
        binned = drift_report(rare, REFERENCE, CURRENT, ["channel"], exact_max_rows=0).table
    assert binned["method"].tolist() == ["binned"]
    for field in ["statistic", "pvalue"]:  # the same test from counts as on the rows
        assert binned.loc[0, field] == pytest.approx(exact.loc[0, field], rel=1e-12)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallExpectedCountWarning)  # no rare category: no warning
        drift_report(log, REFERENCE, CURRENT, ["channel"], exact_max_rows=0)


def test_binned_duckdb_path_counts_missing_and_nan_values_in_its_error(log):
    import duckdb

    connection = duckdb.connect()
    relation = connection.from_df(log).query(
        "_t", "SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY timestamp) = 5 THEN NULL "
              "WHEN row_number() OVER (ORDER BY timestamp) = 6 THEN 'nan'::DOUBLE ELSE x END AS x) FROM _t")
    with pytest.raises(ParameterError, match="'x' has 2 missing"):
        drift_report(relation, REFERENCE, CURRENT, ["x", "z"], exact_max_rows=0)
    connection.close()


def test_not_a_dataframe_and_a_missing_file(tmp_path):
    with pytest.raises(ParameterError, match="'data' parameter of drift_report"):
        drift_report({"x": [1]}, REFERENCE, CURRENT)
    with pytest.raises(ParameterError, match="existing file"):
        drift_report(tmp_path / "nope.parquet", REFERENCE, CURRENT)
    with pytest.raises(ParameterError, match=r"parquet or \.csv"):
        drift_report(tmp_path / "log.xlsx", REFERENCE, CURRENT)


# ----------------------------------------------------------------------------- slices
@pytest.mark.parametrize(("by", "metric", "options"), [
    ("region", "accuracy", {}),
    ("channel", "calibration", {}),
    ("n_items", "rate", {}),
    ("x", "log_loss", {"edges": [-1.0, 0.0, 1.0]}),
    ("region", "precision", {}),
    ("channel", "recall", {"correction": "bh"}),
    ("region", "mae", {"confidence": 0.9}),
])
def test_slice_report_equals_slice_metrics(log, tmp_path, by, metric, options):
    expected = slice_metrics(log, by, metric, target="label", prediction="score", **options)
    frames, connection = engines(log, tmp_path)
    for name in ENGINES:
        table = slice_report(frames[name], by, metric, target="label", prediction="score", **options)
        assert table["slice"].tolist() == expected["slice"].tolist(), name
        assert table["size"].tolist() == expected["size"].tolist(), name
        assert table["flagged"].tolist() == expected["flagged"].tolist(), name
        for column in ["metric", "low", "high", "p_value", "p_adjusted", "gap"]:
            np.testing.assert_allclose(table[column], expected[column], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name} {column}")
        assert table.attrs["overall"] == pytest.approx(expected.attrs["overall"], rel=1e-12)
    connection.close()


def test_slice_report_in_a_window_and_by_quantile_bins(log):
    _reference, current = windows(log)
    table = slice_report(log, "x", "accuracy", window=CURRENT, prediction="score")
    assert table["size"].sum() == len(current)
    assert len(table) == 4 and table.attrs["rows"] == len(current)
    assert table["size"].min() > 0.2 * len(current)  # quartiles from the fine grid: about a quarter each


def test_slice_report_refuses_a_label_column_with_other_values(log):
    data = log.assign(label=np.where(np.arange(len(log)) % 7 == 0, 2, log["label"]))
    with pytest.raises(ParameterError) as caught:
        slice_report(data, "region", "accuracy", prediction="score")
    assert "'target' parameter of slice_report" in str(caught.value)
    assert "0/1" in str(caught.value) and "2" in str(caught.value)


def test_slice_report_refuses_an_empty_window(log):
    with pytest.raises(ParameterError, match=r"'window' parameter of slice_report must be a window with rows.*"
                       r"holds 0 rows.*runs from '2026-01-01 00:00:00' to '2026-01-20 23:52:48'.*pick dates inside"):
        slice_report(log, "region", window=("2030-01-01", "2030-02-01"), prediction="score")


# ----------------------------------------------------------------------------- feedback, estimate, monitor
def impressions(days: int = 30, per_day: int = 600, seed: int = 0) -> pd.DataFrame:
    """A recommender log: popular items shown more; a new item every day; tail under-predicted."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), per_day)
    item = np.minimum(rng.zipf(1.4, size=day.size), 50 + day) - 1  # item i released on day i - 50
    played = (rng.random(day.size) < np.where(item < 5, 0.4, 0.25)).astype(int)
    return pd.DataFrame({"timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(day, unit="D"),
                         "item_id": item, "played": played, "score": 0.3})


def test_feedback_check_matches_the_course_metrics_on_the_rows():
    from mlfail_widgets.failures.feedback import gini

    log = impressions()
    check = feedback_check(log, ("2026-01-01", "2026-01-15"), ("2026-01-15", "2026-01-31"), new_days=3)
    day5 = log[log["timestamp"] == pd.Timestamp("2026-01-06")]
    seen = log[log["timestamp"] <= pd.Timestamp("2026-01-06")]["item_id"].unique()
    exposure = day5["item_id"].value_counts().reindex(seen, fill_value=0).to_numpy()
    row = check.daily.iloc[5]
    assert row["exposure_gini"] == pytest.approx(gini(exposure), rel=1e-12)
    assert row["catalogue"] == len(seen) and row["impressions"] == len(day5)
    first = log.groupby("item_id")["timestamp"].min()
    new = (day5["timestamp"] - day5["item_id"].map(first)).dt.days < 3
    assert row["new_item_share"] == pytest.approx(new.mean(), rel=1e-12)
    # the slices equal slice_metrics on the current rows, with the same tiers and ages
    current = log[log["timestamp"] >= pd.Timestamp("2026-01-15")].copy()
    plays = log[log["timestamp"] < pd.Timestamp("2026-01-15")].groupby("item_id")["played"].sum()
    items = np.sort(log["item_id"].unique())
    ref = plays.reindex(items, fill_value=0)
    rank = pd.Series(np.argsort(np.argsort(-ref.to_numpy(), kind="stable")), index=items) / len(items)
    share, played = current["item_id"].map(rank), current["item_id"].map(ref)
    tier = np.where((share < 0.1) & (played > 0), "head", np.where((share < 0.5) & (played > 0), "torso", "tail"))
    current["popularity"] = pd.Categorical(tier, ["head", "torso", "tail"], ordered=True)
    age = (current["timestamp"] - current["item_id"].map(first)).dt.days < 3
    current["age"] = pd.Categorical(np.where(age, "new", "old"), ["new", "old"], ordered=True)
    expected = slice_metrics(current, ["popularity", "age"], "calibration", target="played", prediction="score")
    np.testing.assert_allclose(check.slices["metric"], expected["metric"], rtol=1e-9)
    np.testing.assert_allclose(check.slices["p_adjusted"], expected["p_adjusted"], rtol=1e-9, atol=1e-15)
    assert check.slices["flagged"].tolist() == expected["flagged"].tolist()
    assert check.slices.set_index("slice").loc["head", "flagged"]  # popular items under-predicted


@pytest.mark.parametrize("engine", ENGINES)
def test_feedback_check_gives_the_pandas_numbers_on_every_input_type(engine, tmp_path):
    log = impressions()
    window = dict(reference=("2026-01-01", "2026-01-15"), current=("2026-01-15", "2026-01-31"))
    expected = feedback_check(log, **window, new_days=3)
    frames, connection = engines(log, tmp_path)
    try:
        found = feedback_check(frames[engine], **window, new_days=3)
    finally:
        connection.close()
    pd.testing.assert_frame_equal(found.daily, expected.daily, check_dtype=False, check_exact=False, rtol=1e-12)
    assert found.slices["slice"].tolist() == ["head", "torso", "tail", "new", "old"]
    assert found.slices["size"].tolist() == expected.slices["size"].tolist()
    assert found.slices["flagged"].tolist() == expected.slices["flagged"].tolist()
    for column in ["metric", "p_adjusted"]:
        np.testing.assert_allclose(found.slices[column], expected.slices[column], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("reference", "words"), [
    (("2025-01-01", "2025-01-10"), ["'reference' parameter of feedback_check", "holds 0 rows",
                                    "runs from '2026-01-01 00:00:00' to '2026-01-30 00:00:00'", "pick dates inside"]),
    (("2026-01-01", "2026-01-20"), ["'current' parameter of feedback_check", "does not overlap 'reference'",
                                    "start 'current' at '2026-01-20 00:00:00'"]),
])
def test_feedback_check_refuses_an_empty_or_overlapping_reference(reference, words):
    """An empty reference put every item in the tail (head and torso empty) and judged new/old anyway."""
    with pytest.raises(ParameterError) as caught:
        feedback_check(impressions(), reference, ("2026-01-15", "2026-01-31"))
    for word in words:
        assert word in str(caught.value)


def test_feedback_check_refuses_an_empty_current_window():
    with pytest.raises(ParameterError, match=r"'current' parameter of feedback_check must be a window with rows.*"
                       r"holds 0 rows.*runs from '2026-01-01 00:00:00'"):
        feedback_check(impressions(), ("2026-01-01", "2026-01-15"), ("2027-01-01", "2027-02-01"))


def test_feedback_check_refuses_a_play_column_that_is_not_0_or_1():
    log = impressions(days=5).assign(played=lambda f: f["played"] * 3)
    with pytest.raises(ParameterError, match="'played' parameter of feedback_check must be a column of 0/1"):
        feedback_check(log, ("2026-01-01", "2026-01-03"), ("2026-01-03", "2026-01-06"))


def test_estimate_with_a_scikit_learn_pipeline_equals_the_chapter_05_estimate():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlfail_widgets.failures.shift import estimate_performance

    log = make_log(3000)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(log[["x", "z"]], log["label"])
    ours = estimate_log_performance(log, model, ["x", "z"], window=CURRENT, target="label")
    _, current = windows(log)

    class Wrapped:  # chapter 05's function takes the frame and the model's target name
        classes_ = model.classes_
        target = "label"

        def predict_proba(self, frame):
            return model.predict_proba(frame[["x", "z"]])

    theirs = estimate_performance(Wrapped(), current)
    assert ours.expected == pytest.approx(theirs.expected, rel=1e-12)
    assert ours.realised == pytest.approx(theirs.realised, rel=1e-12)
    assert ours.daily["rows"].sum() == len(current) == ours.n


def test_estimate_refuses_a_model_without_predict_proba_and_unknown_labels():
    from sklearn.svm import LinearSVC

    log = make_log(600)
    model = LinearSVC().fit(log[["x"]], log["label"])
    with pytest.raises(ParameterError, match="'model' parameter of estimate_log_performance"):
        estimate_log_performance(log, model, ["x"])
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(log[["x"]], log["label"])
    with pytest.raises(ParameterError, match=r"'target' parameter.*classes_"):
        estimate_log_performance(log.assign(label=log["label"] + 5), model, ["x"], target="label")
    with pytest.raises(ParameterError, match="Did you mean 'x'"):
        estimate_log_performance(log, model, ["xx"])


def test_monitor_metric_alarms_after_the_change_and_not_before():
    rng = np.random.default_rng(5)
    days = np.repeat(pd.date_range("2026-01-01", periods=90), 300)
    correct = rng.random(days.size) < np.where(days >= pd.Timestamp("2026-03-01"), 0.75, 0.85)
    log = pd.DataFrame({"timestamp": days, "label": 1, "prediction": correct.astype(int)})
    for detector in ("cusum", "page_hinkley"):
        timeline = monitor_metric(log, "accuracy", detector=detector, threshold=5)
        assert timeline.alarms and min(timeline.alarms) >= pd.Timestamp("2026-03-01"), detector
        assert min(timeline.alarms) <= pd.Timestamp("2026-03-05"), detector
    daily = log.groupby("timestamp")["prediction"].mean().to_numpy()
    np.testing.assert_allclose(timeline.daily["value"], daily, rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_monitor_metric_gives_the_pandas_numbers_on_every_input_type(engine, tmp_path):
    rng = np.random.default_rng(5)
    days = np.repeat(pd.date_range("2026-01-01", periods=40), 200)
    correct = rng.random(days.size) < np.where(days >= pd.Timestamp("2026-01-25"), 0.7, 0.85)
    log = pd.DataFrame({"timestamp": days, "label": 1, "prediction": correct.astype(int)})
    expected = monitor_metric(log, "accuracy", baseline=10, window=("2026-01-03", "2026-02-10"))
    assert expected.alarms and min(expected.alarms) >= pd.Timestamp("2026-01-25")
    frames, connection = engines(log, tmp_path)
    try:
        found = monitor_metric(frames[engine], "accuracy", baseline=10, window=("2026-01-03", "2026-02-10"))
    finally:
        connection.close()
    assert found.alarms == expected.alarms
    assert found.daily["rows"].tolist() == [200] * 38
    np.testing.assert_allclose(found.daily["value"], expected.daily["value"], rtol=1e-12)
    np.testing.assert_allclose(found.daily["z"], expected.daily["z"], rtol=1e-9)


def test_monitor_metric_blames_an_empty_window_not_the_baseline():
    with pytest.raises(ParameterError) as caught:
        monitor_metric(impressions(days=10), "mean", column="played", window=("2030-01-01", "2030-02-01"))
    message = str(caught.value)
    assert "'window' parameter of monitor_metric must be a window with rows" in message
    assert "runs from '2026-01-01 00:00:00' to '2026-01-10 00:00:00'" in message and "baseline" not in message


def test_monitor_metric_needs_more_days_than_its_baseline():
    log = impressions(days=10)
    with pytest.raises(ParameterError, match=r"'baseline' parameter of monitor_metric must be at most 8 days: "
                       r"the log has 10 days.*Got 14 instead\. Use a shorter baseline"):
        monitor_metric(log, "mean", column="played")


# ----------------------------------------------------------------------------- settings objects
def test_drift_report_takes_drift_settings_and_keywords_override_them(log):
    from mlfail_widgets.audit import DriftSettings

    by_keywords = drift_report(log, REFERENCE, CURRENT, FEATURES, alpha=0.01, correction="holm", bins=8,
                               grid=512, exact_max_rows=0)
    settings = DriftSettings(alpha=0.01, correction="holm", bins=8, grid=512, exact_max_rows=0)
    by_settings = drift_report(log, REFERENCE, CURRENT, FEATURES, settings)
    pd.testing.assert_frame_equal(by_settings.table, by_keywords.table)
    assert by_settings.grid == 512 and by_settings.alpha == 0.01
    overridden = drift_report(log, REFERENCE, CURRENT, FEATURES, settings=settings, grid=1024, alpha=0.05)
    assert overridden.grid == 1024 and overridden.alpha == 0.05 and overridden.correction == "holm"
    with pytest.warns(DeprecationWarning, match="level"):
        old = drift_report(log, REFERENCE, CURRENT, FEATURES, level=0.01)
    assert old.alpha == 0.01
    with pytest.raises(ParameterError, match="unexpected keyword argument 'exact_max_row'\\. Did you mean 'exact_max_rows'"):
        drift_report(log, REFERENCE, CURRENT, exact_max_row=0)
    with pytest.raises(ParameterError, match="'grid' parameter of drift_report must be an int in \\[16, 100000\\]"):
        drift_report(log, REFERENCE, CURRENT, grid=4)
    with pytest.raises(ParameterError, match="'settings' parameter of drift_report must be a DriftSettings"):
        drift_report(log, REFERENCE, CURRENT, settings={"alpha": 0.01})


def test_slice_report_and_slice_table_take_slice_settings(log):
    from mlfail_widgets.audit import SliceSettings, slice_table
    from mlfail_widgets.slicing import SliceSettings as SlicingSettings

    assert SliceSettings is SlicingSettings  # one settings class for every slice table
    settings = SliceSettings(edges=[-1.0, 0.0, 1.0], confidence=0.9, correction="bh", min_size=700)
    expected = slice_metrics(log, "x", "accuracy", settings, prediction="score")
    by_settings = slice_report(log, "x", "accuracy", prediction="score", settings=settings)
    by_keywords = slice_report(log, "x", "accuracy", prediction="score", edges=[-1.0, 0.0, 1.0],
                               confidence=0.9, correction="bh", min_size=700)
    for table in (by_settings, by_keywords):
        assert table["status"].tolist() == expected["status"].tolist()
        assert table["flagged"].tolist() == expected["flagged"].tolist()
        np.testing.assert_allclose(table["p_adjusted"], expected["p_adjusted"], rtol=1e-9)
    overridden = slice_report(log, "x", "accuracy", prediction="score", settings=settings, min_size=1)
    assert (overridden["status"] == "ok").all() and by_settings["status"].eq("too small").any()
    keyed = slice_report(log, "x", "accuracy", prediction="score", settings=settings, edges={"x": [-1.0, 0.0, 1.0]})
    pd.testing.assert_frame_equal(keyed.to_frame(), by_settings.to_frame())
    with pytest.raises(ParameterError, match="unexpected keyword argument 'confidance'\\. Did you mean 'confidence'"):
        slice_report(log, "region", prediction="score", confidance=0.9)
    with pytest.raises(ParameterError, match="'interval' parameter of slice_report"):
        slice_report(log, "region", prediction="score", interval="bootstrap")
    aggregates = ("region", ["north", "south", "new"], [900, 900, 300], [765, 770, 180])
    strict = slice_table(*aggregates, settings=SliceSettings(confidence=0.999, correction="bonferroni"))
    same = slice_table(*aggregates, confidence=0.999, correction="bonferroni")
    pd.testing.assert_frame_equal(strict.to_frame(), same.to_frame())
    assert strict.confidence == 0.999 and strict.correction == "bonferroni"
    with pytest.raises(ParameterError, match="Did you mean 'min_size'"):
        slice_table(*aggregates, minsize=5)


def test_feedback_check_and_monitor_metric_take_their_settings():
    from mlfail_widgets.audit import FeedbackSettings, MonitorSettings

    data = impressions()
    window = dict(reference=("2026-01-01", "2026-01-16"), current=("2026-01-16", "2026-01-31"))
    by_keywords = feedback_check(data, **window, new_days=3, head=0.2, torso=0.6, min_size=50, confidence=0.9)
    settings = FeedbackSettings(new_days=3, head=0.2, torso=0.6, min_size=50, confidence=0.9)
    by_settings = feedback_check(data, **window, settings=settings)
    pd.testing.assert_frame_equal(by_settings.daily, by_keywords.daily)
    pd.testing.assert_frame_equal(by_settings.slices.to_frame(), by_keywords.slices.to_frame())
    assert by_settings.slices.confidence == 0.9
    overridden = feedback_check(data, **window, settings=settings, new_days=7)
    default_age = feedback_check(data, **window, head=0.2, torso=0.6, min_size=50, confidence=0.9)
    pd.testing.assert_frame_equal(overridden.daily, default_age.daily)
    with pytest.raises(ParameterError, match="Did you mean 'new_days'"):
        feedback_check(data, **window, newdays=3)
    with pytest.raises(ParameterError, match="'torso' parameter of feedback_check"):
        feedback_check(data, **window, head=0.7)

    log = impressions(days=40)
    keywords = monitor_metric(log, "mean", column="played", detector="page_hinkley", baseline=10, threshold=3)
    chosen = monitor_metric(log, "mean", column="played",
                            settings=MonitorSettings(detector="page_hinkley", baseline=10, threshold=3))
    pd.testing.assert_frame_equal(chosen.daily, keywords.daily)
    assert chosen.detector == "page_hinkley" and chosen.baseline == 10
    assert monitor_metric(log, "mean", column="played", settings=MonitorSettings(baseline=10),
                          baseline=20).baseline == 20
    with pytest.raises(ParameterError, match="Did you mean 'detector'"):
        monitor_metric(log, "mean", column="played", detektor="cusum")


def test_log_slice_chart_takes_slice_settings(log):
    from mlfail_widgets.slicing import SliceSettings
    from mlfail_widgets.widgets.audit import log_slice_chart

    settings = SliceSettings(min_size=700, correction="bonferroni", edges=[-1.0, 0.0, 1.0])
    chart = log_slice_chart(log, "x", prediction="score", settings=settings, progress=False)
    expected = slice_report(log, "x", prediction="score", settings=settings)
    try:
        assert chart.result["status"].tolist() == expected["status"].tolist()
        np.testing.assert_allclose(chart.result["p_adjusted"], expected["p_adjusted"], rtol=1e-12)
        assert chart.result.correction == "bonferroni"
    finally:
        chart.close()
    chart = log_slice_chart(log, "x", prediction="score", settings=settings, min_size=5, progress=False)
    try:
        assert (chart.result["status"] == "ok").all()
    finally:
        chart.close()
    with pytest.raises(ParameterError, match="log_slice_chart got an unexpected keyword argument 'binz'\\. Did you mean 'bins'"):
        log_slice_chart(log, "x", prediction="score", binz=3, progress=False)
