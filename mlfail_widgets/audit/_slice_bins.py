"""Slices of a numeric column of a log: quantile edges from the engine, and the bin of every row."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._frames import LogFrame

__all__ = ["grid_edges", "numeric_codes", "quantile_edges"]


def quantile_edges(log: LogFrame, frame: Any, column: str, bins: int, distinct: int) -> np.ndarray:
    """Quantile edges of a numeric column, as ``np.quantile`` (linear) gives them on the rows.

    Up to 100,000 distinct values the engine returns each value's count and the quantiles
    are exact; above, they come from a fine histogram (each edge the grid edge nearest its
    quantile, within one 1/4096 of the range).
    """
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    if distinct > 100_000:
        return grid_edges(log, frame, column, bins)
    out = log.collect(frame.filter(~x.is_null()).select(x.alias("_v")).group_by("_v").agg(nw.len().alias("_n")))
    order = np.argsort(out["_v"])
    values, counts = out["_v"][order].astype(float), out["_n"][order].astype(np.int64)
    ends = np.cumsum(counts)  # the sorted rows [ends - counts, ends) hold each value
    h = (ends[-1] - 1) * np.linspace(0, 1, bins + 1)
    below = np.floor(h).astype(np.int64)
    value_at = values[np.searchsorted(ends, below, side="right")]
    value_next = values[np.searchsorted(ends, np.minimum(below + 1, ends[-1] - 1), side="right")]
    quantiles = value_at + (value_next - value_at) * (h - below)
    return np.unique(quantiles)


def grid_edges(log: LogFrame, frame: Any, column: str, bins: int, grid: int = 4096) -> np.ndarray:
    """Quantile edges of a numeric column from a fine histogram in the engine (approximate:
    each edge is the grid edge nearest its quantile)."""
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    ends = log.collect(frame.select(x.min().alias("lo"), x.max().alias("hi")))
    lo, hi = float(ends["lo"][0]), float(ends["hi"][0])
    span = hi - lo if hi > lo else 1.0
    position = ((x - lo) / span * grid).floor()
    code = nw.when(position >= grid).then(nw.lit(grid - 1)).otherwise(position).cast(nw.Int64)
    out = log.collect(frame.filter(~x.is_null()).select(code.alias("_bin")).group_by("_bin").agg(nw.len().alias("_n")))
    counts = np.zeros(grid)
    counts[out["_bin"].astype(int)] = out["_n"].astype(float)
    cumulative = np.cumsum(counts) / counts.sum()
    cut = np.searchsorted(cumulative, np.arange(1, bins) / bins, side="left") + 1
    inner = lo + np.unique(cut[(cut > 0) & (cut < grid)]) * span / grid
    return np.unique(np.r_[lo, inner, hi])


def _label(value: float) -> str:
    return f"{value:.4g}"


def numeric_codes(column: str, edges: np.ndarray) -> tuple[Any, list[str]]:
    """Code expression and labels for bins [e_i, e_i+1) (the last closed), below and above."""
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    labels = [f"< {_label(edges[0])}"]
    code = nw.when(x < edges[0]).then(nw.lit(0))
    for i in range(edges.size - 1):
        last = i == edges.size - 2
        labels.append(f"[{_label(edges[i])}, {_label(edges[i + 1])}{']' if last else ')'}")
        inside = (x <= edges[i + 1]) if last else (x < edges[i + 1])
        code = code.when(inside).then(nw.lit(i + 1))
    labels.append(f"> {_label(edges[-1])}")
    code = code.when(x > edges[-1]).then(nw.lit(edges.size))
    return code.cast(nw.Int64), labels
