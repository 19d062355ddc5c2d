"""slice_metrics: per-slice numbers, intervals that cover, honest flags, defined edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mlfail_widgets import ParameterError
from mlfail_widgets.intervals import mean_interval, proportion_interval
from mlfail_widgets.metrics import log_loss, precision, recall, roc_auc
from mlfail_widgets.slicing import apply_min_size, slice_metrics


def frame(groups: dict[str, tuple[int, float]], seed: int = 0, positive_rate: float = 0.5) -> pd.DataFrame:
    """Rows per group with a given accuracy: group -> (rows, share of right predictions)."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, (rows, right) in groups.items():
        label = (rng.random(rows) < positive_rate).astype(int)
        correct = rng.random(rows) < right
        parts.append(pd.DataFrame({"group": name, "label": label,
                                   "prediction": np.where(correct, label, 1 - label)}))
    return pd.concat(parts, ignore_index=True)


SMALL = pd.DataFrame({
    "group": ["a", "a", "a", "a", "b", "b", "b", "b", "b", "b"],
    "label": [1, 0, 1, 1, 0, 0, 1, 1, 0, 1],
    "prediction": [1, 0, 0, 1, 1, 0, 1, 0, 0, 1],
    "score": [0.9, 0.2, 0.4, 0.8, 0.7, 0.1, 0.6, 0.3, 0.35, 0.95],
})


# ------------------------------------------------------------------ hand-computed numbers
def test_accuracy_per_slice_and_overall_match_hand_counts():
    result = slice_metrics(SMALL, "group", min_size=1)
    table = result.set_index("slice")
    # a: 3 of 4 right; b: 4 of 6 right (rows 4 and 7 wrong); overall 7 of 10
    assert table.loc["a", "metric"] == pytest.approx(3 / 4)
    assert table.loc["b", "metric"] == pytest.approx(4 / 6)
    assert result.overall == pytest.approx(0.7)
    assert table.loc["a", "gap"] == pytest.approx(0.75 - 0.7)
    assert table["size"].tolist() == [6, 4]  # sorted by metric, lowest first: b, a
    low, high = proportion_interval(4, 6, 0.95)
    assert (table.loc["b", "low"], table.loc["b", "high"]) == pytest.approx((low, high))
    assert result.method == "wilson"


@pytest.mark.parametrize(("metric", "column", "reference"), [
    ("precision", "prediction", precision),
    ("recall", "prediction", recall),
    ("auc", "score", roc_auc),
    ("log_loss", "score", log_loss),
    ("rate", "prediction", lambda y, p: float(np.mean(y))),
])
def test_each_named_metric_matches_the_metric_on_the_slice(metric, column, reference):
    result = slice_metrics(SMALL, "group", metric, prediction=column, min_size=1)
    table = result.set_index("slice")
    for group, rows in SMALL.groupby("group"):
        expected = reference(rows["label"].to_numpy(), rows[column].to_numpy())
        assert table.loc[group, "metric"] == pytest.approx(expected)
    assert result.overall == pytest.approx(reference(SMALL["label"].to_numpy(),
                                                     SMALL[column].to_numpy()))


def test_mae_and_its_t_interval():
    data = pd.DataFrame({"g": ["x"] * 4 + ["y"] * 3, "label": [1.0, 2, 3, 4, 5, 6, 7],
                         "prediction": [1.5, 2, 2, 6, 5, 5, 9]})
    result = slice_metrics(data, "g", "mae", min_size=1)
    table = result.set_index("slice")
    errors = np.array([0.5, 0, 1, 2])
    assert table.loc["x", "metric"] == pytest.approx(errors.mean())
    low, high = mean_interval(errors.mean(), errors.std(ddof=1), 4, 0.95)
    assert (table.loc["x", "low"], table.loc["x", "high"]) == pytest.approx((low, high))
    assert result.method == "t"


def test_a_callable_metric_gets_a_seeded_bootstrap():
    def hit_rate(y, p):
        return float(np.mean(y == p))

    one = slice_metrics(frame({"a": (200, 0.8), "b": (200, 0.6)}), "group", hit_rate, n_boot=200)
    two = slice_metrics(frame({"a": (200, 0.8), "b": (200, 0.6)}), "group", hit_rate, n_boot=200)
    assert one.method == "bootstrap" and one.metric == "hit_rate"
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    named = slice_metrics(frame({"a": (200, 0.8), "b": (200, 0.6)}), "group", "accuracy")
    np.testing.assert_allclose(one["metric"], named["metric"])


def test_numeric_columns_are_cut_at_quantiles_or_given_edges():
    data = pd.DataFrame({"age": np.arange(100.0), "label": 1, "prediction": 1})
    quartiles = slice_metrics(data, "age", min_size=1)
    assert quartiles["slice"].tolist() == ["[0, 24.8)", "[24.8, 49.5)", "[49.5, 74.2)", "[74.2, 99]"]
    assert quartiles["size"].tolist() == [25, 25, 25, 25]
    given = slice_metrics(data, "age", edges=[10, 50, 90], min_size=1)
    assert given["slice"].tolist() == ["< 10", "[10, 50)", "[50, 90]", "> 90"]
    assert given["size"].tolist() == [10, 40, 41, 9]
    by_value = slice_metrics(data.assign(stars=np.arange(100) % 3 + 1), "stars", min_size=1)
    assert by_value["slice"].tolist() == ["1", "2", "3"]  # few distinct values: one slice each


def test_several_columns_stack_in_blocks_and_share_one_correction():
    data = frame({"a": (300, 0.9), "b": (300, 0.6)}).assign(n=lambda d: np.arange(len(d)) % 2)
    table = slice_metrics(data, ["group", "n"])
    assert table["by"].tolist() == ["group", "group", "n", "n"]
    tested = table["p_value"].notna().sum()
    holm = np.sort(table["p_value"]) * (tested - np.arange(tested))
    assert table["p_adjusted"].min() == pytest.approx(min(1, holm[0]))


# ------------------------------------------------------------------ coverage
def _coverage(make, truth, reps, **options) -> float:
    hits = 0
    for seed in range(reps):
        table = slice_metrics(make(seed), "group", seed=seed, **options)
        row = table.iloc[0]
        hits += row["low"] <= truth <= row["high"]
    return hits / reps


def _within_binomial(rate: float, nominal: float, reps: int, sds: float = 3.5) -> bool:
    return abs(rate - nominal) <= sds * np.sqrt(nominal * (1 - nominal) / reps)


@pytest.mark.parametrize("interval", ["auto", "bootstrap"])
def test_accuracy_interval_covers_the_true_accuracy_at_its_nominal_rate(interval):
    reps = 300
    rate = _coverage(lambda s: frame({"a": (150, 0.8)}, seed=s), 0.8, reps, interval=interval,
                     n_boot=500)
    assert _within_binomial(rate, 0.95, reps), rate


def test_mae_interval_covers_the_true_mean_absolute_error():
    reps = 300

    def make(seed):
        rng = np.random.default_rng(seed)
        return pd.DataFrame({"group": "a", "label": rng.normal(0, 1, 200), "prediction": 0.0})

    rate = _coverage(make, np.sqrt(2 / np.pi), reps, metric="mae")  # E|Z| for a standard normal
    assert _within_binomial(rate, 0.95, reps), rate


def test_auc_bootstrap_interval_covers_the_true_auc():
    reps, shift = 200, 1.0

    def make(seed):
        rng = np.random.default_rng(seed)
        label = (rng.random(400) < 0.4).astype(int)
        return pd.DataFrame({"group": "a", "label": label, "prediction": rng.normal(shift * label, 1)})

    truth = stats.norm.cdf(shift / np.sqrt(2))  # P(X1 > X0) for two unit normals shift apart
    rate = _coverage(make, truth, reps, metric="auc", n_boot=400)
    assert _within_binomial(rate, 0.95, reps), rate


# ------------------------------------------------------------------ flags
def test_a_planted_bad_slice_is_flagged_and_the_good_ones_rarely_are():
    groups = {f"g{i}": (2000, 0.85) for i in range(9)} | {"bad": (500, 0.6)}
    bad_flags, good_flags = 0, 0
    for seed in range(20):
        table = slice_metrics(frame(groups, seed=seed), "group").set_index("slice")
        bad_flags += table.loc["bad", "flagged"]
        good_flags += table.drop("bad")["flagged"].sum()
        assert table.iloc[0]["flagged"] and table.index[0] == "bad"  # lowest first
    assert bad_flags == 20
    assert good_flags <= 0.05 * 20 * 9 + 3


def test_null_case_false_flags_stay_near_alpha_only_after_correction():
    groups = {f"g{i}": (300, 0.8) for i in range(10)}
    any_holm = any_none = 0
    reps = 200
    for seed in range(reps):
        data = frame(groups, seed=seed)
        any_holm += slice_metrics(data, "group")["flagged"].any()
        any_none += slice_metrics(data, "group", correction="none")["flagged"].any()
    assert any_holm / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)  # family-wise error <= alpha
    assert any_none / reps > 0.15  # ten uncorrected looks: false alarms are common


def test_bonferroni_flag_is_the_two_proportion_test_against_the_rest_at_the_corrected_level():
    from statsmodels.stats.proportion import proportions_ztest

    data = frame({"a": (400, 0.9), "b": (400, 0.83), "c": (400, 0.8), "d": (400, 0.75)}, seed=3)
    table = slice_metrics(data, "group", correction="bonferroni").set_index("slice")
    right = data["label"] == data["prediction"]
    for name in "abcd":
        inside = data["group"] == name
        _, p = proportions_ztest([right[inside].sum(), right[~inside].sum()], [inside.sum(), (~inside).sum()])
        assert table.loc[name, "p_value"] == pytest.approx(p, rel=1e-9)
        assert table.loc[name, "flagged"] == (min(1, 4 * p) < 0.05)


def test_benjamini_hochberg_flags_at_least_what_holm_flags():
    data = frame({"a": (400, 0.9), "b": (400, 0.84), "c": (400, 0.8), "d": (400, 0.76)}, seed=5)
    holm = slice_metrics(data, "group", correction="holm")["flagged"]
    bh = slice_metrics(data, "group", correction="bh")["flagged"]
    assert (bh | ~holm).all()


# ------------------------------------------------------------------ edge cases
def test_too_small_slices_keep_their_metric_but_no_interval_and_no_flag():
    data = frame({"big": (1000, 0.9), "tiny": (10, 0.0)})
    table = slice_metrics(data, "group", min_size=30).set_index("slice")
    tiny = table.loc["tiny"]
    assert tiny["status"] == "too small" and tiny["metric"] == 0.0
    assert np.isnan(tiny["low"]) and not tiny["flagged"] and "too small" in tiny["note"]
    assert apply_min_size(slice_metrics(data, "group", min_size=1), 30).equals(table.reset_index()[
        slice_metrics(data, "group", min_size=1).columns])


def test_apply_min_size_cannot_bring_back_an_interval_it_never_had():
    table = slice_metrics(frame({"a": (100, 0.9), "b": (20, 0.5)}), "group", min_size=50)
    with pytest.raises(ParameterError, match="min_size=1"):
        apply_min_size(table, 10)


def test_a_single_class_slice_has_an_undefined_auc():
    data = pd.DataFrame({"group": ["one"] * 40 + ["two"] * 40,
                         "label": [1] * 40 + [0, 1] * 20, "prediction": np.linspace(0, 1, 80)})
    table = slice_metrics(data, "group", "auc", n_boot=100).set_index("slice")
    assert table.loc["one", "status"] == "undefined" and np.isnan(table.loc["one", "metric"])
    assert table.loc["one", "note"] == "undefined: one class only" and not table.loc["one", "flagged"]
    assert table.index[-1] == "one"  # undefined slices after the defined ones
    assert table.loc["two", "status"] == "ok"


def test_no_predicted_positive_makes_precision_undefined():
    data = pd.DataFrame({"group": ["a"] * 40 + ["b"] * 40, "label": 1,
                         "prediction": [0] * 40 + [1] * 40})
    table = slice_metrics(data, "group", "precision").set_index("slice")
    assert table.loc["a", "status"] == "undefined" and "no predicted positives" in table.loc["a", "note"]


def test_an_empty_bin_is_kept_as_an_empty_slice():
    data = pd.DataFrame({"age": [1.0, 2, 3, 30, 31, 32] * 10, "label": 1, "prediction": 1})
    table = slice_metrics(data, "age", edges=[0, 10, 20, 40], min_size=1)
    assert table["slice"].tolist() == ["[0, 10)", "[10, 20)", "[20, 40]"]
    empty = table.iloc[1]
    assert empty["status"] == "empty" and empty["size"] == 0 and empty["note"] == "no rows"
    assert np.isnan(empty["metric"]) and not empty["flagged"]


def test_unused_categories_are_empty_slices():
    data = pd.DataFrame({"tier": pd.Categorical(["low"] * 40 + ["high"] * 40,
                                                categories=["low", "mid", "high"], ordered=True),
                         "label": 1, "prediction": 1})
    table = slice_metrics(data, "tier")
    assert table["slice"].tolist() == ["low", "mid", "high"]  # ordered categories keep their order
    assert table["status"].tolist() == ["ok", "empty", "ok"]


@pytest.mark.parametrize("column", ["city", "age"])
def test_missing_values_form_their_own_slice_last(column):
    data = pd.DataFrame({"city": ["Oslo", None, "Rome", "Oslo", None, "Rome"] * 20,
                         "age": [20.0, np.nan, 40, 60, np.nan, 80] * 20, "label": 1, "prediction": 1})
    table = slice_metrics(data, column, min_size=1)
    assert table["slice"].iloc[-1] == "missing" and table["size"].iloc[-1] == 40
    assert table["size"].sum() == len(data)  # nothing dropped


def test_a_category_called_missing_does_not_collide_with_nan():
    data = pd.DataFrame({"g": ["missing", None] * 20, "label": 1, "prediction": 1})
    assert slice_metrics(data, "g", min_size=1)["slice"].tolist() == ["missing", "missing (NaN)"]


def test_same_seed_same_numbers_other_seed_other_bootstrap():
    data = frame({"a": (300, 0.8), "b": (300, 0.7)}).assign(score=lambda d: d["prediction"] * 0.5 + 0.25)
    one = slice_metrics(data, "group", "auc", prediction="score", seed=7, n_boot=300)
    two = slice_metrics(data, "group", "auc", prediction="score", seed=7, n_boot=300)
    other = slice_metrics(data, "group", "auc", prediction="score", seed=8, n_boot=300)
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    assert not np.allclose(one["low"], other["low"])


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": "grup"}, r"'by' parameter of slice_metrics must be a column of the data .*Did you mean 'group'"),
    ({"metric": "acuracy"}, r"'metric' .* Did you mean 'accuracy'"),
    ({"target": "lable"}, r"'target' .* Did you mean 'label'"),
    ({"min_size": 0}, r"'min_size' .* int in \[1, inf\)"),
    ({"confidence": 1.0}, r"'confidence' .* number in \(0, 1\)"),
    ({"confidence": 95}, r"'confidence' .* e\.g\. 0\.95"),
    ({"correction": "fdr"}, r"'correction' .* 'none', 'bonferroni', 'holm', 'bh'"),
    ({"interval": "wilson"}, r"'interval' .* 'auto', 'bootstrap'"),
    ({"by": "age", "edges": [3, 1, 2]}, r"'edges' .* strictly increasing"),
    ({"by": "age", "bins": {"agee": 3}}, r"'bins key' .* Did you mean 'age'"),
    ({"by": []}, r"'by' .* non-empty list"),
])
def test_bad_arguments_get_a_clear_error(kwargs, message):
    options = {"by": "group"} | kwargs
    with pytest.raises(ParameterError, match=message):
        slice_metrics(SMALL.assign(age=np.arange(10.0)), **options)


def test_a_target_that_is_not_binary_is_refused_for_classification_metrics():
    data = SMALL.assign(label=["cat", "dog"] * 5)
    with pytest.raises(ParameterError, match=r"0/1 values for metric 'accuracy'.*Encode the positive class"):
        slice_metrics(data, "group")
    numeric = SMALL.assign(label=np.arange(10))
    with pytest.raises(ParameterError, match="0/1 values"):
        slice_metrics(numeric, "group", "auc", prediction="score")
    assert slice_metrics(numeric, "group", "mae", min_size=1)["metric"].notna().all()


def test_missing_truth_and_bad_probabilities_are_refused():
    with pytest.raises(ParameterError, match="2 missing values; drop or fill"):
        slice_metrics(SMALL.assign(label=[1, 0, np.nan, 1, 0, 0, np.nan, 1, 0, 1]), "group")
    with pytest.raises(ParameterError, match=r"probabilities in \[0, 1\].*range from"):
        slice_metrics(SMALL.assign(score=SMALL["score"] * 3), "group", "log_loss", prediction="score")
    with pytest.raises(ParameterError, match="pandas DataFrame"):
        slice_metrics(SMALL.to_numpy(), "group")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level=st.floats(allow_nan=True, allow_infinity=True))
def test_confidence_outside_zero_one_is_refused(level):
    if 0 < level < 1:
        assert slice_metrics(SMALL, "group", confidence=level, min_size=1).confidence == level
    else:
        with pytest.raises(ParameterError, match="'confidence'"):
            slice_metrics(SMALL, "group", confidence=level)


@settings(max_examples=40, deadline=None)
@given(min_size=st.one_of(st.integers(-5, 20), st.floats(-2, 20), st.text(max_size=3)))
def test_min_size_must_be_a_positive_whole_number(min_size):
    whole = isinstance(min_size, int) or (isinstance(min_size, float) and min_size.is_integer())
    if whole and min_size >= 1:
        table = slice_metrics(SMALL, "group", min_size=min_size)
        assert set(table["status"]) <= {"ok", "too small"}
    else:
        with pytest.raises(ParameterError, match="'min_size'"):
            slice_metrics(SMALL, "group", min_size=min_size)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.booleans(), st.booleans()),
                min_size=1, max_size=60))
def test_sizes_add_up_and_accuracy_equals_a_groupby(rows):
    data = pd.DataFrame(rows, columns=["g", "label", "prediction"]).astype({"label": int, "prediction": int})
    table = slice_metrics(data, "g", min_size=1)
    assert table["size"].sum() == len(data)
    expected = (data["label"] == data["prediction"]).groupby(data["g"].fillna("missing")).mean()
    assert table.set_index("slice")["metric"].to_dict() == pytest.approx(expected.to_dict())


def test_calibration_is_the_signed_mean_error_with_a_t_interval():
    from scipy import stats

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"group": rng.choice(["a", "b"], 400), "played": rng.integers(0, 2, 400),
                          "predicted": rng.random(400)})
    table = slice_metrics(frame, "group", "calibration", target="played", prediction="predicted",
                          confidence=0.9, correction="none").set_index("slice")
    for name, rows in frame.groupby("group"):
        error = rows["predicted"] - rows["played"]
        assert table.loc[name, "metric"] == pytest.approx(rows["predicted"].mean() - rows["played"].mean())
        low, high = stats.t.interval(0.9, len(error) - 1, loc=error.mean(), scale=stats.sem(error))
        assert (table.loc[name, "low"], table.loc[name, "high"]) == pytest.approx((low, high))


def test_infinite_values_in_a_slicing_column_fall_outside_the_finite_bins():
    data = pd.DataFrame({"x": np.r_[np.arange(98.0), np.inf, -np.inf], "label": 1, "prediction": 1})
    table = slice_metrics(data, "x", min_size=1)
    assert table["slice"].tolist() == ["< 0", "[0, 24.2)", "[24.2, 48.5)", "[48.5, 72.8)", "[72.8, 97]", "> 97"]
    assert table["size"].tolist() == [1, 25, 24, 24, 25, 1]
    only = slice_metrics(pd.DataFrame({"x": [np.inf, -np.inf] * 20, "label": 1, "prediction": 1}), "x")
    assert only["slice"].tolist() == ["-inf", "inf"]


# --- SliceSettings: one object for the options of slice_metrics and slice_chart -------------
def _settings_data():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    group = rng.choice(["a", "b", "c"], 900)
    correct = rng.random(900) < np.where(group == "c", 0.6, 0.85)
    return pd.DataFrame({"group": group, "age": rng.integers(18, 80, 900), "label": 1,
                         "prediction": correct.astype(int)})


def test_settings_give_the_same_numbers_as_the_keywords():
    from mlfail_widgets.slicing import SliceSettings, slice_metrics

    data = _settings_data()
    keywords = dict(bins=3, min_size=50, confidence=0.9, interval="bootstrap", n_boot=200,
                    correction="bonferroni")
    by_keywords = slice_metrics(data, ["group", "age"], seed=4, **keywords)
    by_settings = slice_metrics(data, ["group", "age"], "accuracy", SliceSettings(**keywords), seed=4)
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(by_keywords.to_frame(), by_settings.to_frame())
    assert (by_settings.confidence, by_settings.correction, by_settings.min_size) == (0.9, "bonferroni", 50)


def test_a_keyword_overrides_the_settings_field():
    from mlfail_widgets.slicing import SliceSettings, slice_metrics

    data = _settings_data()
    result = slice_metrics(data, "group", "accuracy", SliceSettings(correction="bonferroni", min_size=10),
                           correction="none")
    assert result.correction == "none" and result.min_size == 10
    direct = slice_metrics(data, "group", correction="none", min_size=10)
    assert result.to_frame().equals(direct.to_frame())


@pytest.mark.parametrize(("call", "message"), [
    (lambda f, d: f(d, "group", n_boots=100), r"slice_metrics got an unexpected keyword argument 'n_boots'\. Did you mean 'n_boot'"),
    (lambda f, d: f(d, "group", settings={"n_boot": 100}), r"'settings' parameter of slice_metrics.*SliceSettings"),
    (lambda f, d: f(d, "group", n_boot=5), r"'n_boot' parameter of slice_metrics"),
])
def test_bad_settings_name_slice_metrics(call, message):
    from mlfail_widgets._validation import ParameterError
    from mlfail_widgets.slicing import slice_metrics

    with pytest.raises(ParameterError, match=message):
        call(slice_metrics, _settings_data())


def test_settings_are_checked_when_built():
    from mlfail_widgets._validation import ParameterError
    from mlfail_widgets.slicing import SliceSettings

    with pytest.raises(ParameterError, match="'confidence' parameter of SliceSettings"):
        SliceSettings(confidence=1.5)
    import dataclasses

    with pytest.raises(ParameterError, match="'n_boot' parameter of SliceSettings"):
        dataclasses.replace(SliceSettings(), n_boot=5)
