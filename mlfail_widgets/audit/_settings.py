"""The options of chapter 08's audit functions, one settings dataclass each.

:func:`~mlfail_widgets.audit.drift_report` takes a :class:`DriftSettings`,
:func:`~mlfail_widgets.audit.feedback_check` a :class:`FeedbackSettings`,
:func:`~mlfail_widgets.audit.monitor_metric` a :class:`MonitorSettings`, and the slice
functions (:func:`~mlfail_widgets.audit.slice_report`, ``slice_table``,
``log_slice_chart``) the course's one :class:`~mlfail_widgets.slicing.SliceSettings`. Each
field is also accepted as a keyword, which overrides it (merged by
:func:`mlfail_widgets._settings.settings_with`). What the data is (columns, windows) and how
to run (``threads``, ``progress``) stay keywords of the functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int
from ..statistics import check_correction

__all__ = ["DETECTORS", "DriftSettings", "FeedbackSettings", "MonitorSettings"]

DETECTORS = ("cusum", "page_hinkley")


def _store(settings: object, checked: dict) -> None:
    """Set the checked values on a frozen settings object (its ``__post_init__``)."""
    for name, value in checked.items():
        object.__setattr__(settings, name, value)


def _unit_open(value: float, name: str) -> float:
    return check_float(value, name, low=0, high=1, low_open=True, high_open=True)


@dataclass(frozen=True)
class DriftSettings:
    """What :func:`~mlfail_widgets.audit.drift_report` tests, and how.

    Parameters
    ----------
    alpha : float, default=0.05
        Significance level of the corrected p-values, in (0, 1).
    correction : {"bonferroni", "holm", "bh", "none"}, default="bonferroni"
        Multiple-comparison correction over the features.
    bins : int, default=10
        Bins of PSI and Jensen-Shannon for numeric columns, in [2, 1000].
    grid : int, default=2048
        Bins per numeric column on the binned path, in [16, 100000].
    exact_max_rows : int, default=1_000_000
        Up to this many rows in the two windows, the exact tests run on the rows.
    min_rows : int, default=20
        The fewest rows a window may have (at least 2).

    Examples
    --------
    >>> DriftSettings(alpha=0.01, correction="holm").grid
    2048
    >>> DriftSettings(grid=4)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'grid' parameter of DriftSettings must be an int in [16, 100000]. Got 4 instead.
    """

    alpha: float = 0.05
    correction: str = "bonferroni"
    bins: int = 10
    grid: int = 2048
    exact_max_rows: int = 1_000_000
    min_rows: int = 20

    def __post_init__(self) -> None:
        _store(self, dict(alpha=_unit_open(self.alpha, "alpha"), correction=check_correction(self.correction),
                          bins=check_int(self.bins, "bins", low=2, high=1000),
                          grid=check_int(self.grid, "grid", low=16, high=100_000),
                          exact_max_rows=check_int(self.exact_max_rows, "exact_max_rows", low=0),
                          min_rows=check_int(self.min_rows, "min_rows", low=2)))


@dataclass(frozen=True)
class FeedbackSettings:
    """How :func:`~mlfail_widgets.audit.feedback_check` slices items and judges the slices.

    Parameters
    ----------
    new_days : int, default=7
        An item is new for this many days after it is first shown (at least 1).
    head, torso : float, default=0.1, 0.5
        The top ``head`` share of items by reference plays is the head, down to ``torso``
        (``head <= torso <= 1``) the torso, the rest the tail.
    min_size : int, default=30
        Slices with fewer rows are "too small" (at least 1).
    confidence : float, default=0.95
        Confidence level of the intervals, in (0, 1).

    Examples
    --------
    >>> FeedbackSettings(head=0.2).torso
    0.5
    >>> FeedbackSettings(head=0.6)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'torso' parameter of FeedbackSettings must be a number in [0.6, 1]. Got 0.5 instead. torso is a larger share than head.
    """

    new_days: int = 7
    head: float = 0.1
    torso: float = 0.5
    min_size: int = 30
    confidence: float = 0.95

    def __post_init__(self) -> None:
        head = check_float(self.head, "head", low=0, high=1, low_open=True)
        _store(self, dict(new_days=check_int(self.new_days, "new_days", low=1), head=head,
                          torso=check_float(self.torso, "torso", low=head, high=1,
                                            fix="torso is a larger share than head."),
                          min_size=check_int(self.min_size, "min_size", low=1),
                          confidence=_unit_open(self.confidence, "confidence")))


@dataclass(frozen=True)
class MonitorSettings:
    """The change detector of :func:`~mlfail_widgets.audit.monitor_metric`.

    Parameters
    ----------
    detector : {"cusum", "page_hinkley"}, default="cusum"
    baseline : int, default=14
        Days that set the standardisation and the warm-up (at least 3).
    threshold : float, default=5.0
        The alarm threshold, in baseline standard deviations (> 0).
    delta : float, default=0.5
        The detector's allowance, in baseline standard deviations (>= 0).

    Examples
    --------
    >>> MonitorSettings(detector="page_hinkley", threshold=8).threshold
    8.0
    """

    detector: str = "cusum"
    baseline: int = 14
    threshold: float = 5.0
    delta: float = 0.5

    def __post_init__(self) -> None:
        _store(self, dict(detector=check_choice(self.detector, "detector", DETECTORS),
                          baseline=check_int(self.baseline, "baseline", low=3),
                          threshold=check_float(self.threshold, "threshold", low=0, low_open=True),
                          delta=check_float(self.delta, "delta", low=0)))
