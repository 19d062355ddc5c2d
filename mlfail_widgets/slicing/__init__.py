"""A model's metric per slice of the data, with confidence intervals and honest flags.

Split as river splits its modules: :mod:`._binning` (slices of a column), :mod:`._data`
(per-row quantities of each metric), :mod:`._intervals` (each slice's own interval),
:mod:`._flags` (each slice against the rest, from aggregates), :mod:`._result` (the result
object), :mod:`._settings` (:class:`SliceSettings`) and :mod:`._api` (:func:`slice_metrics`). Import from here:
``from mlfail_widgets.slicing import slice_metrics``.
"""

from .._renamed import renamed_classes
from ._api import CORRECTIONS, METRICS, STATUSES, apply_min_size, slice_metrics
from ._flags import KINDS, SliceComparisonReport, compare_slices, delong_auc, slice_flag_rates
from ._result import SliceResult
from ._settings import SLICE_OPTIONS, SliceSettings

__all__ = [
    "CORRECTIONS",
    "KINDS",
    "METRICS",
    "SLICE_OPTIONS",
    "STATUSES",
    "SliceComparisonReport",
    "SliceResult",
    "SliceSettings",
    "apply_min_size",
    "compare_slices",
    "delong_auc",
    "slice_flag_rates",
    "slice_metrics",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"SliceComparison": SliceComparisonReport})
