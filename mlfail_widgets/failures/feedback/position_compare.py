"""Six estimators of song quality from one position-biased log, compared on a known truth.

The estimators and the model are described in :mod:`.position_bias`; here they are run on
:func:`~.position_bias.controlled_log` logs and scored on calibration at slot 1 and on ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import check_choice, check_float, check_int, parameter_error
from .examination import fit_position_model
from .metrics import kendall_tau
from .position_bias import (
    BIAS_ESTIMATORS,
    PLACEMENTS,
    PositionLog,
    controlled_log,
    fit_examination_model,
    propensities_from_randomisation,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["calibration_summary", "examination_curves", "position_bias_comparison", "relevance_estimates"]


def examination_curves(log: PositionLog) -> pd.DataFrame:
    """The examination curve three ways: the simulator's, the EM fit's and the randomised slice's.

    Returns
    -------
    pandas.DataFrame
        Indexed by slot (1 = top): ``truth``, ``multiplicative`` (:func:`fit_examination_model`
        on the whole log), ``randomised`` (:func:`propensities_from_randomisation` on the
        randomised slice), and each estimate's relative error (``..._error``).

    Examples
    --------
    >>> curves = examination_curves(controlled_log("relevance", seed=0))
    >>> bool(curves["multiplicative_error"].abs().max() < 0.1)
    True
    """
    import pandas as pd

    if not isinstance(log, PositionLog):
        raise parameter_error("log", "a PositionLog from controlled_log",
                              type(log).__name__)
    fitted = fit_examination_model(log.impressions, log.plays)[1]
    randomised = propensities_from_randomisation(log.random_impressions, log.random_plays)
    table = pd.DataFrame({"truth": log.examination, "multiplicative": fitted, "randomised": randomised},
                         index=pd.RangeIndex(1, log.examination.size + 1, name="slot"))
    for column in ("multiplicative", "randomised"):
        table[column + "_error"] = table[column] / table["truth"] - 1
    return table


def relevance_estimates(log: PositionLog, methods: Sequence[str] = BIAS_ESTIMATORS, *, clip: float = 5.0,
                        propensities: Any = None) -> pd.DataFrame:
    """Each estimator's play probability of every song at slot 1, from one log.

    Parameters
    ----------
    log : PositionLog
        From :func:`controlled_log`.
    methods : sequence of str
        Names from :data:`BIAS_ESTIMATORS` (see the module docstring).
    clip : float, default=5.0
        The largest weight ``ips_clipped`` gives a play.
    propensities : array of shape (k,), optional
        The examination curve the IPS estimators use; default: estimated from the log's
        randomised slice with :func:`propensities_from_randomisation`.

    Returns
    -------
    pandas.DataFrame
        One row per song: ``truth`` (its relevance), ``mean_slot`` and one column per method.

    Examples
    --------
    >>> table = relevance_estimates(controlled_log("relevance", seed=0))
    >>> bool(table["truth"].corr(table["multiplicative"]) > 0.95)
    True
    """
    import pandas as pd

    if not isinstance(log, PositionLog):
        raise parameter_error("log", "a PositionLog from controlled_log", type(log).__name__)
    methods = [check_choice(m, "methods", BIAS_ESTIMATORS) for m in methods]
    clip = check_float(clip, "clip", low=1.0, high=1e6)
    impressions, plays = log.impressions.astype(np.float64), log.plays.astype(np.float64)
    per_song = np.maximum(impressions.sum(axis=1), 1.0)
    k = impressions.shape[1]
    needs_propensity = {"ips", "ips_clipped", "ips_self_normalised"} & set(methods)
    if propensities is not None:
        exam = np.asarray(propensities, dtype=np.float64)
        if exam.shape != (k,) or not ((exam > 0) & (exam <= 1)).all():
            raise parameter_error("propensities", f"{k} examination probabilities in (0, 1]",
                                  propensities)
    elif needs_propensity:
        exam = propensities_from_randomisation(log.random_impressions, log.random_plays)
    table = pd.DataFrame({"truth": log.relevance,
                          "mean_slot": (impressions * np.arange(1, k + 1)).sum(axis=1) / per_song})
    for method in methods:
        if method == "play_rate":
            value = plays.sum(axis=1) / per_song
        elif method == "position_feature":
            quality, slots = fit_position_model(impressions, plays, prior=0.0, iterations=60)
            value = 1.0 / (1.0 + np.exp(-(quality + slots[0])))
        elif method == "ips":
            value = (plays / exam).sum(axis=1) / per_song
        elif method == "ips_clipped":
            value = (plays * np.minimum(1.0 / exam, clip)).sum(axis=1) / per_song
        elif method == "ips_self_normalised":
            value = plays.sum(axis=1) / np.maximum((impressions * exam).sum(axis=1), 1e-12)
        else:
            value = fit_examination_model(impressions, plays)[0]
        table[method] = value
    return table.rename_axis("song")


def _scores(log: PositionLog, table) -> dict:
    """Calibration at slot 1 (predicted over observed plays of the randomised slice's slot 1, and
    predicted over true mean relevance) and Kendall tau, per method."""
    shown_top, played_top = log.random_impressions[:, 0], log.random_plays[:, 0].sum()
    return {method: {"slot1_calibration": float((shown_top * table[method]).sum() / played_top),
                     "slot1_calibration_truth": float(table[method].mean() / log.relevance.mean()),
                     "kendall_tau": kendall_tau(table[method].to_numpy(), log.relevance)}
            for method in table.columns if method not in ("truth", "mean_slot")}


def position_bias_comparison(placements: Sequence[str] = ("relevance", "reverse"), *, seeds: int = 5,
                             methods: Sequence[str] = BIAS_ESTIMATORS, clip: float = 5.0, **log_options: Any) -> pd.DataFrame:
    """Compare the estimators on controlled logs: calibration at slot 1 and ranking.

    For every placement and seed, a :func:`controlled_log` is drawn and each estimator
    predicts every song's play probability at slot 1. Two scores:

    * ``slot1_calibration``: the plays the estimator predicts for the randomised slice's
      impressions at slot 1 over the plays observed there (1 = calibrated; > 1 over-predicts).
      In the randomised slice every song reaches slot 1 equally often, so this asks "if we put
      any song on top, would the estimate be right?". (On the logged traffic's own slot 1 the
      additive model is calibrated by construction: its slot-1 effect is fitted to those plays.)
      ``slot1_calibration_truth`` is the same ratio against the simulator's true relevances
      (the mean estimate over the mean relevance), free of the slice's sampling noise;
    * ``kendall_tau``: the estimator's ranking of the songs against their true relevance.

    Parameters
    ----------
    placements : sequence of {"relevance", "reverse", "random"}
        The logs to compare on.
    seeds : int, default=5
        Logs per placement (seeds 0, 1, ...); the spread over seeds shows each estimator's variance.
    methods : sequence of str
        From :data:`BIAS_ESTIMATORS`.
    clip : float, default=5.0
        The clipped IPS's largest weight.
    **log_options
        Passed to :func:`controlled_log` (``n_lists``, ``position_bias``, ``noise``...).

    Returns
    -------
    pandas.DataFrame
        Indexed by (placement, method): ``slot1_calibration``, ``slot1_calibration_truth`` and
        ``kendall_tau`` (means over seeds), and the standard deviations over seeds of the
        first and the last (``..._sd``).

    Examples
    --------
    >>> table = position_bias_comparison(["reverse"], seeds=2, n_lists=5000)
    >>> ratio = table.loc[("reverse", "multiplicative"), "slot1_calibration"]
    >>> bool(0.9 < ratio < 1.1)
    True
    """
    import pandas as pd

    placements = [check_choice(p, "placements", PLACEMENTS) for p in placements]
    if not placements:
        raise parameter_error("placements", "at least one placement", placements)
    seeds = check_int(seeds, "seeds", low=1, high=100)
    rows = []
    for placement in placements:
        for seed in range(seeds):
            log = controlled_log(placement, seed=seed, **log_options)
            for method, score in _scores(log, relevance_estimates(log, methods, clip=clip)).items():
                rows.append({"placement": placement, "method": method, **score})
    frame = pd.DataFrame(rows)
    grouped = frame.groupby(["placement", "method"], sort=False)
    table = grouped.mean()
    spread = grouped.std(ddof=1) if seeds > 1 else grouped.mean() * np.nan
    for column in ("slot1_calibration", "kendall_tau"):
        table[column + "_sd"] = spread[column]
    return table[["slot1_calibration", "slot1_calibration_sd", "slot1_calibration_truth", "kendall_tau",
                  "kendall_tau_sd"]]


_PLACED = {"relevance": "good songs on top", "reverse": "good songs at the bottom", "random": "songs placed at random"}
_NAMES = {"position_feature": "additive slot feature", "multiplicative": "multiplicative fit", "play_rate": "naive play rate",
          "ips": "IPS", "ips_clipped": "clipped IPS", "ips_self_normalised": "self-normalised IPS"}


def calibration_summary(comparison: Any, methods: Sequence[str] = ("position_feature", "multiplicative")) -> str:
    """One sentence per method: its slot-1 calibration on each placement, read from the table.

    The figures a chapter states about :func:`position_bias_comparison` come from the run, not
    from the text: this turns its ``slot1_calibration`` column into words (``x1.07``: 7 % more
    plays predicted at slot 1 than observed).

    Parameters
    ----------
    comparison : pandas.DataFrame
        The result of :func:`position_bias_comparison`.
    methods : sequence of str, default=("position_feature", "multiplicative")
        Which estimators to describe.

    Returns
    -------
    str

    Examples
    --------
    >>> table = position_bias_comparison(["relevance", "reverse"], seeds=1, n_lists=5000,
    ...                                  methods=("position_feature", "multiplicative"))
    >>> print(calibration_summary(table))  # doctest: +ELLIPSIS
    Slot-1 calibration (predicted over observed plays), additive slot feature: x1... with good songs on top, x0... with good songs at the bottom.
    Slot-1 calibration (predicted over observed plays), multiplicative fit: x... with good songs on top, x... with good songs at the bottom.
    """
    if not hasattr(comparison, "index") or "slot1_calibration" not in getattr(comparison, "columns", ()):
        raise parameter_error("comparison", "the table of position_bias_comparison", type(comparison).__name__)
    lines = []
    for method in methods:
        method = check_choice(method, "methods", BIAS_ESTIMATORS)
        parts = [f"x{comparison.loc[(placement, method), 'slot1_calibration']:.2f} with "
                 f"{_PLACED.get(placement, placement)}"
                 for placement in dict.fromkeys(comparison.index.get_level_values(0))
                 if (placement, method) in comparison.index]
        lines.append(f"Slot-1 calibration (predicted over observed plays), {_NAMES.get(method, method)}: "
                     + ", ".join(parts) + ".")
    return "\n".join(lines)
