"""How a slice table is computed, in one object: :class:`SliceSettings`.

:func:`~mlfail_widgets.slicing.slice_metrics` and
:func:`~mlfail_widgets.widgets.slice_chart` take a :class:`SliceSettings` and, for the calls
written before it existed, the same fields as keywords (which override its fields). Both are
validated by :func:`_check_settings` (the settings when built; the keywords through
:func:`mlfail_widgets._settings.settings_with`), with the name of the function the learner
called in every error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from .._validation import check_choice, check_float, check_int, parameter_error
from ..statistics import check_correction

__all__ = ["SLICE_OPTIONS", "SliceSettings"]


@dataclass(frozen=True)
class SliceSettings:
    """The options of a slice table: how slices are cut, judged and flagged.

    Build one, change a field with :func:`dataclasses.replace`, and pass it to
    :func:`slice_metrics` or :func:`~mlfail_widgets.widgets.slice_chart` (keywords given there
    override its fields). What is sliced (``data``, ``by``, ``metric``, ``target``,
    ``prediction``) and the ``seed`` stay arguments of those functions.

    Parameters
    ----------
    bins : int or dict, default=4
        Quantile bins for numeric columns (a dict gives a number per column).
    edges : list of float or dict, optional
        Bin edges for numeric columns (a dict: column -> edges).
    min_size : int, default=30
        Slices with fewer rows get status ``"too small"``: no interval, never flagged.
    confidence : float, default=0.95
        Confidence level of the intervals, in (0, 1); flags at level ``1 - confidence``.
    interval : {"auto", "bootstrap"}, default="auto"
        The interval of each slice (see :func:`slice_metrics`).
    n_boot : int, default=1000
        Bootstrap replicates, in [20, 100000].
    correction : {"holm", "bonferroni", "bh", "none"}, default="holm"
        Multiple-comparison correction over the slices.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfail_widgets.slicing import slice_metrics
    >>> strict = SliceSettings(min_size=10, correction="bonferroni")
    >>> data = pd.DataFrame({"group": ["a"] * 40 + ["b"] * 20, "label": 1, "prediction": 1})
    >>> slice_metrics(data, "group", settings=strict, min_size=25)["status"].tolist()
    ['ok', 'too small']
    >>> SliceSettings(n_boot=5)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'n_boot' parameter of SliceSettings must be an int in [20, 100000]. Got 5 instead.
    """

    bins: int | Mapping[str, int] = 4
    edges: Sequence[float] | Mapping[str, Sequence[float]] | None = None
    min_size: int = 30
    confidence: float = 0.95
    interval: str = "auto"
    n_boot: int = 1000
    correction: str = "holm"

    def __post_init__(self) -> None:
        for name, value in _check_settings(asdict(self)).items():
            object.__setattr__(self, name, value)


#: The fields of :class:`SliceSettings`: the keywords that override them.
SLICE_OPTIONS = tuple(f.name for f in fields(SliceSettings))
#: Old keyword -> its field, still accepted with a DeprecationWarning.
RENAMED_OPTIONS = {"level": "confidence"}


def _check_settings(values: dict) -> dict:
    """Validate ``values`` (a dict of every field of :class:`SliceSettings`)."""
    bins, edges = values["bins"], values["edges"]
    if not isinstance(bins, (Mapping, int, np.integer)) or isinstance(bins, bool):
        raise parameter_error("bins", "an int or a dict column -> int", bins)
    if edges is not None and not isinstance(edges, (Mapping, Sequence, np.ndarray)):
        raise parameter_error("edges", "a list of numbers or a dict column -> list", edges)
    for name, option in (("bins", bins), ("edges", edges)):
        if isinstance(option, Mapping) and not option:
            raise parameter_error(name, "an int or a non-empty dict column -> value", option,
                                  fix=f"Leave {name} out for the default, or name a column: {{'age': 4}}.")
    min_size = check_int(values["min_size"], "min_size", low=1,
                         fix="A slice needs at least one row to have a metric.")
    confidence = check_float(values["confidence"], "confidence", low=0, high=1, low_open=True,
                             high_open=True, fix="Use e.g. 0.95 for 95% intervals.")
    interval = check_choice(values["interval"], "interval", ["auto", "bootstrap"])
    n_boot = check_int(values["n_boot"], "n_boot", low=20, high=100_000)
    correction = check_correction(values["correction"])
    return dict(bins=bins, edges=edges, min_size=min_size, confidence=confidence, interval=interval,
                n_boot=n_boot, correction=correction)

