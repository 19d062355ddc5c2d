"""Degenerate feedback loops: a music recommender that learns from the plays it caused.

The pieces, from the bottom up:

* :mod:`.world`: listeners and songs with hidden tastes, and new songs released over time;
* :mod:`.examination`: position bias (who looks at which slot) and ways to learn despite it;
* :mod:`.position_bias`: the examination x relevance model fitted on a controlled log (EM),
  propensities from a randomised slice; :mod:`.position_compare`: six estimators (naive, additive
  slot feature, IPS plain / clipped / self-normalised, the product fit) compared;
* :mod:`.settings`: :class:`LoopSettings`, everything that defines a run;
* :mod:`.policies`: random, popularity, play-rate and personalised recommenders;
* :mod:`.simulate`: the loop (recommend, listen, log, retrain) and its :class:`LoopRun`;
* :mod:`.metrics`: concentration, learning and homogenization measures;
* :mod:`.slices`: the logged data sliced by song popularity and age, to detect the loop;
* :mod:`.experiments`: the chapter's comparisons (exploration trade-off, debiasing).
"""

from ..._renamed import renamed_classes
from .examination import (
    EXAMINATION_MODELS,
    QUALITY_METHODS,
    estimate_song_quality,
    examination_probability,
    fit_position_model,
)
from .experiments import (
    LoopReport,
    compare_debiasing,
    exploration_tradeoff,
    homogenization_table,
    loop_report,
    slot_dependence,
    song_estimates,
    summarize_runs,
)
from .metrics import (
    consumed_overlap,
    coverage,
    gini,
    jaccard_overlap,
    kendall_tau,
    lorenz_curve,
    ndcg,
    top_share,
)
from .policies import DEBIAS, POLICIES
from .position_bias import (
    BIAS_ESTIMATORS,
    PLACEMENTS,
    PositionLog,
    controlled_log,
    fit_examination_model,
    propensities_from_randomisation,
)
from .position_compare import (
    calibration_summary,
    examination_curves,
    position_bias_comparison,
    relevance_estimates,
)
from .settings import LoopSettings
from .simulate import ROUND_METRICS, LoopRun, simulate_feedback_loop
from .slices import (
    AGE_GROUPS,
    POPULARITY_BUCKETS,
    SLICE_METRICS,
    calibration_gap,
    logged_data,
    slice_report,
)
from .world import World, make_world

__all__ = [
    "AGE_GROUPS",
    "BIAS_ESTIMATORS",
    "DEBIAS",
    "EXAMINATION_MODELS",
    "PLACEMENTS",
    "POLICIES",
    "POPULARITY_BUCKETS",
    "QUALITY_METHODS",
    "ROUND_METRICS",
    "SLICE_METRICS",
    "LoopReport",
    "LoopRun",
    "LoopSettings",
    "PositionLog",
    "World",
    "calibration_gap",
    "calibration_summary",
    "compare_debiasing",
    "consumed_overlap",
    "controlled_log",
    "coverage",
    "estimate_song_quality",
    "examination_curves",
    "examination_probability",
    "exploration_tradeoff",
    "fit_examination_model",
    "fit_position_model",
    "gini",
    "homogenization_table",
    "jaccard_overlap",
    "kendall_tau",
    "logged_data",
    "loop_report",
    "lorenz_curve",
    "make_world",
    "ndcg",
    "position_bias_comparison",
    "propensities_from_randomisation",
    "relevance_estimates",
    "simulate_feedback_loop",
    "slice_report",
    "slot_dependence",
    "song_estimates",
    "summarize_runs",
    "top_share",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"LoopHistory": LoopRun})
