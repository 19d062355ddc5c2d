"""The result of :func:`slice_metrics`: per-slice rows plus what they are measured against.

In the spirit of fairlearn's ``MetricFrame`` (``overall``, ``by_group``): the settings and the
overall value are attributes of the result, not metadata in ``DataFrame.attrs`` (which pandas
marks experimental and drops in many operations).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SliceResult"]


@dataclass(frozen=True)
class SliceResult:
    """Per-slice metrics with intervals and flags, and the overall value they are compared with.

    Attributes
    ----------
    by_slice : pandas.DataFrame
        One row per slice (see :func:`slice_metrics` for the columns and their order).
    overall, overall_low, overall_high : float
        The metric on all rows and its interval at ``confidence``.
    metric : str
        The metric's name.
    confidence : float
        Confidence level of the intervals; flags are at significance level ``1 - confidence``.
    correction : str
        The multiple-testing correction over the slices (``"none"`` for none).
    method : str
        How the intervals are computed: ``"wilson"``, ``"t"`` or ``"bootstrap"``.
    test : str
        What a flag tests (each slice against the rest of the rows).
    rows, min_size : int
        Rows in the data; the smallest slice judged.

    Notes
    -----
    Reading a column (``result["flagged"]``), ``len(result)`` and DataFrame methods
    (``result.set_index(...)``) go to :attr:`by_slice`, so code written for the DataFrame this
    function used to return keeps working; ``result.attrs`` is kept for one release.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfail_widgets.slicing import slice_metrics
    >>> data = pd.DataFrame({"group": ["a"] * 60 + ["b"] * 40, "label": 1,
    ...                      "prediction": [1] * 55 + [0] * 5 + [1] * 20 + [0] * 20})
    >>> result = slice_metrics(data, "group")
    >>> round(result.overall, 2), result.flagged["slice"].tolist()
    (0.75, ['b', 'a'])

    With two slices, each is the other's rest: both are flagged or neither.
    >>> result.to_frame().columns[:4].tolist()
    ['by', 'slice', 'size', 'metric']
    """

    by_slice: Any
    overall: float
    overall_low: float
    overall_high: float
    metric: str
    confidence: float
    correction: str
    method: str
    test: str
    rows: int
    min_size: int
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def flagged(self) -> pd.DataFrame:
        """The rows of the slices flagged after the correction."""
        return self.by_slice[self.by_slice["flagged"].to_numpy(bool)]

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`by_slice`, a plain DataFrame."""
        return self.by_slice.copy()

    def with_rows(self, by_slice: Any, **changes: Any) -> SliceResult:
        """The same result over other rows (used by :func:`apply_min_size`)."""
        return replace(self, by_slice=by_slice, **changes)

    @property
    def attrs(self) -> dict:
        """The settings as the old ``DataFrame.attrs`` dict (``level`` is ``confidence``)."""
        return {"overall": self.overall, "overall_low": self.overall_low, "overall_high": self.overall_high,
                "metric": self.metric, "level": self.confidence, "confidence": self.confidence,
                "correction": self.correction, "method": self.method, "rows": self.rows,
                "min_size": self.min_size, "test": self.test}

    @property
    def level(self) -> float:
        """The old name of :attr:`confidence` (deprecated)."""
        warnings.warn("SliceResult.level is renamed confidence; level will stop working in the next "
                      "release.", DeprecationWarning, stacklevel=2)
        return self.confidence

    # --- the DataFrame this function used to return ------------------------------------
    def __getitem__(self, key: Any) -> Any:
        return self.by_slice[key]

    def __len__(self) -> int:
        return len(self.by_slice)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "by_slice":
            raise AttributeError(name)
        return getattr(self.by_slice, name)

    def __repr__(self) -> str:
        return (f"SliceResult(metric={self.metric!r}, overall={self.overall:.4g}, "
                f"slices={len(self.by_slice)}, flagged={int(self.by_slice['flagged'].sum())}, "
                f"correction={self.correction!r}, confidence={self.confidence:g})\n{self.by_slice!r}")

    def _repr_html_(self) -> str:
        head = (f"<p>{self.metric}: overall {self.overall:.4g} ({self.confidence:.0%} interval "
                f"{self.overall_low:.4g} to {self.overall_high:.4g}); flags: {self.test}, "
                f"{self.correction} correction.</p>")
        return head + self.by_slice.to_html()
