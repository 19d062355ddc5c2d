"""Position bias as the literature models it (issue 18, item 2 and item 5's IPS part).

The examination x relevance fit is checked against closed forms (expected counts) and against a
direct maximum-likelihood fit with scipy; the estimators' calibration, ranking and variance
against the simulator's truth by seeded simulation.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from mlfail_widgets._validation import ParameterError
from mlfail_widgets.failures.feedback import (
    BIAS_ESTIMATORS,
    controlled_log,
    fit_examination_model,
    position_bias_comparison,
    propensities_from_randomisation,
    relevance_estimates,
)


def expected_counts(relevance, exam, impressions):
    return impressions * exam[None, :] * relevance[:, None]


def test_em_recovers_both_factors_from_expected_counts():
    rng = np.random.default_rng(3)
    relevance = rng.uniform(0.05, 0.8, size=30)
    exam = (1.0 / np.arange(1, 7)) ** 0.7
    impressions = rng.integers(50, 500, size=(30, 6)).astype(float)
    plays = expected_counts(relevance, exam, impressions)
    fitted_relevance, fitted_exam = fit_examination_model(impressions, plays, iterations=20_000,
                                                          tolerance=1e-12)
    np.testing.assert_allclose(fitted_exam, exam, rtol=1e-4)
    np.testing.assert_allclose(fitted_relevance, relevance, rtol=1e-4)


def test_em_reaches_the_maximum_likelihood_of_scipy():
    log = controlled_log("relevance", n_songs=20, k=5, n_lists=4000, seed=1)
    n, c = log.impressions.astype(float), log.plays.astype(float)

    def negative_log_likelihood(params):
        relevance = 1 / (1 + np.exp(-params[:20]))
        exam = np.concatenate([[1.0], 1 / (1 + np.exp(-params[20:]))])
        p = np.clip(relevance[:, None] * exam[None, :], 1e-12, 1 - 1e-12)
        return -(c * np.log(p) + (n - c) * np.log(1 - p)).sum()

    reference = minimize(negative_log_likelihood, np.zeros(24), method="L-BFGS-B",
                         options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-10})
    relevance, exam = fit_examination_model(n, c, iterations=20_000, tolerance=1e-10)
    ours = np.concatenate([np.log(relevance / (1 - relevance)), np.log(exam[1:] / (1 - exam[1:]))])
    assert negative_log_likelihood(ours) <= reference.fun + 1e-4
    ref_relevance = 1 / (1 + np.exp(-reference.x[:20]))
    np.testing.assert_allclose(relevance, ref_relevance, rtol=2e-3)


def test_propensities_from_a_randomised_slice_closed_form():
    relevance = np.linspace(0.1, 0.6, 12)
    exam = 1.0 / np.arange(1, 5)
    impressions = np.full((12, 4), 300.0)  # random placement: every song equally at every slot
    plays = expected_counts(relevance, exam, impressions)
    np.testing.assert_allclose(propensities_from_randomisation(impressions, plays), exam)


@pytest.mark.parametrize("placement", ["relevance", "reverse"])
def test_multiplicative_fit_meets_the_issue_targets(placement):
    """Calibration ratio within [0.9, 1.1] and the examination curve within 10 % on every seed."""
    for seed in range(4):
        log = controlled_log(placement, seed=seed)
        table = relevance_estimates(log, ["multiplicative"])
        observed = log.random_plays[:, 0].sum()
        ratio = (log.random_impressions[:, 0] * table["multiplicative"]).sum() / observed
        assert 0.9 <= ratio <= 1.1, (seed, ratio)
        assert 0.95 <= table["multiplicative"].mean() / log.relevance.mean() <= 1.05
        exam = fit_examination_model(log.impressions, log.plays)[1]
        assert np.abs(exam / log.examination - 1).max() < 0.10, (seed, exam.round(3))


def test_comparison_table_tells_the_literature_story():
    table = position_bias_comparison(["relevance", "reverse"], seeds=3)
    ratio = table["slot1_calibration_truth"]
    tau = table["kendall_tau"]
    # the additive (logit) model misreads a multiplicative bias, in opposite directions
    assert ratio[("relevance", "position_feature")] > 1.04
    assert ratio[("reverse", "position_feature")] < 0.95
    for placement in ("relevance", "reverse"):
        assert abs(ratio[(placement, "multiplicative")] - 1) < 0.05
        assert abs(ratio[(placement, "ips")] - 1) < 0.06
        assert abs(ratio[(placement, "ips_self_normalised")] - 1) < 0.06
        assert ratio[(placement, "ips_clipped")] < 0.93  # clipping biases low
        assert ratio[(placement, "play_rate")] < 0.5  # plays at unexamined slots look like dislike
    # when placement already follows relevance, the naive play rate ranks best ...
    others = [tau[("relevance", m)] for m in BIAS_ESTIMATORS if m != "play_rate"]
    assert tau[("relevance", "play_rate")] > max(others)
    # ... and when it fights relevance, it ranks worst
    assert tau[("reverse", "play_rate")] < 0.3 < min(tau[("reverse", m)] for m in BIAS_ESTIMATORS
                                                       if m != "play_rate")
    assert (table["slot1_calibration_sd"] > 0).all() and (table["kendall_tau_sd"] > 0).all()
    # the chapter states the ratios it measures: the sentence is the table's numbers
    from mlfail_widgets.failures.feedback import calibration_summary

    additive, multiplicative = calibration_summary(table).splitlines()
    calibration = table["slot1_calibration"]
    assert (f"additive slot feature: x{calibration[('relevance', 'position_feature')]:.2f} with good songs on top, "
            f"x{calibration[('reverse', 'position_feature')]:.2f} with good songs at the bottom.") in additive
    assert f"x{calibration[('reverse', 'multiplicative')]:.2f} with good songs at the bottom." in multiplicative
    with pytest.raises(ParameterError, match="'comparison' parameter of calibration_summary"):
        calibration_summary(table.reset_index(drop=True)[["kendall_tau"]])


def test_ips_variants_mean_and_variance_against_closed_forms():
    """IPS with known propensities is unbiased with variance sum_p N_sp (r/e_p - r^2) / N_s^2;
    the clipped variant has mean r sum_p N_sp e_p min(1/e_p, M) / N_s and a smaller variance."""
    plain, clipped = [], []
    for seed in range(150):
        log = controlled_log("relevance", n_songs=20, k=5, n_lists=400, seed=seed)
        exam, r, n = log.examination, log.relevance, log.impressions.astype(float)
        table = relevance_estimates(log, ["ips", "ips_clipped", "ips_self_normalised"], clip=2.0,
                                    propensities=exam)
        total = n.sum(axis=1)
        variance = (n * (r[:, None] / exam - r[:, None] ** 2)).sum(axis=1) / total**2
        plain.append((table["ips"] - r) / np.sqrt(variance))
        weight = np.minimum(1 / exam, 2.0)
        mean = r * (n * exam * weight).sum(axis=1) / total
        clipped_variance = (n * (r[:, None] * exam * weight**2 - (r[:, None] * exam * weight) ** 2)
                            ).sum(axis=1) / total**2
        clipped.append((table["ips_clipped"] - mean) / np.sqrt(clipped_variance))
        assert (clipped_variance < variance).all()
    for z in (np.concatenate(plain), np.concatenate(clipped)):
        assert abs(z.mean()) < 0.05
        assert 0.9 < z.var() < 1.1


def test_bad_input_is_named():
    with pytest.raises(ParameterError, match=r"'placement' parameter of controlled_log.*relevance"):
        controlled_log("relevnce")
    with pytest.raises(ParameterError, match="'plays' parameter of fit_examination_model"):
        fit_examination_model([[10, 10]], [[11, 0]])
    with pytest.raises(ParameterError, match="'propensities' parameter of relevance_estimates"):
        relevance_estimates(controlled_log(n_lists=500), ["ips"], propensities=[1.0, 0.5])
    with pytest.raises(ParameterError, match="'impressions' parameter of propensities_from_randomisation"):
        propensities_from_randomisation([[10, 0]], [[3, 0]])
    with pytest.raises(ParameterError, match="'log' parameter of relevance_estimates"):
        relevance_estimates("log")
