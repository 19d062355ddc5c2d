"""Slices of a column: quantile bins or given edges for numbers, values for categories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_int, parameter_error


def _number_labels(values: np.ndarray) -> list[str]:
    """Shortest '%g' labels that keep distinct numbers distinct."""
    for digits in range(3, 17):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(set(values.tolist())):
            return labels
    return [repr(float(v)) for v in values]  # pragma: no cover - 17 digits always suffice


def _edges_for(column: str, bins: Any, edges: Any, x: np.ndarray) -> np.ndarray | None:
    """The bin edges of a numeric column (None: slice by value), validated."""
    given = edges.get(column) if isinstance(edges, Mapping) else edges
    if given is not None:
        cut = np.asarray(given, dtype=float)
        if cut.ndim != 1 or cut.size < 2 or np.isnan(cut).any() or np.any(np.diff(cut) <= 0):
            raise parameter_error("edges", "at least two strictly increasing numbers",
                                  given, fix="Give e.g. edges=[0, 18, 65, 120] (or a dict column -> edges).")
        return cut
    count = bins.get(column, 4) if isinstance(bins, Mapping) else bins
    count = check_int(count, "bins", low=1, high=1000)
    finite = x[np.isfinite(x)]  # -inf / inf fall below / above the finite bins
    if finite.size == 0 or _at_most_distinct(x[~np.isnan(x)], count):
        return None  # few distinct values (or no finite one): one slice per value
    return np.unique(np.quantile(finite, np.linspace(0, 1, count + 1)))


def _at_most_distinct(values: np.ndarray, count: int) -> bool:
    """Whether ``values`` hold at most ``count`` distinct numbers.

    A prefix with more settles it without sorting the whole column (a continuous column, the
    usual case, shows ``count + 1`` distinct values within its first few rows).
    """
    if np.unique(values[: 8 * (count + 1)]).size > count:
        return False
    return bool(np.unique(values).size <= count)


def _numeric_slices(x: np.ndarray, cut: np.ndarray | None) -> tuple[np.ndarray, list[str], bool]:
    missing = np.isnan(x)
    if cut is None:
        values = np.unique(x[~missing])
        return np.searchsorted(values, x), _number_labels(values), True
    names = _number_labels(cut[np.isfinite(cut)])
    text = iter(names)
    shown = ["-inf" if v == -np.inf else "inf" if v == np.inf else next(text) for v in cut]
    labels = []
    for i in range(cut.size - 1):
        if cut[i] == -np.inf:
            labels.append(f"< {shown[i + 1]}")
        elif cut[i + 1] == np.inf:
            labels.append(f">= {shown[i]}")
        else:
            labels.append(f"[{shown[i]}, {shown[i + 1]}{']' if i == cut.size - 2 else ')'}")
    codes = np.searchsorted(cut, x, side="right") - 1  # [e_i, e_i+1); the last bin is closed
    codes[x == cut[-1]] = cut.size - 2
    below, above = (x < cut[0]) & ~missing, (x > cut[-1]) & ~missing
    codes = codes + 1  # room for a "below" slice at 0
    labels = [f"< {shown[0]}", *labels, f"> {shown[-1]}"]
    codes[above] = len(labels) - 1
    keep = [below.any(), *[True] * (cut.size - 1), above.any()]
    remap = np.cumsum(keep) - 1
    return remap[codes], [label for label, k in zip(labels, keep, strict=True) if k], True


def _slices(data, column: str, bins: Any, edges: Any) -> tuple[np.ndarray, list[str], bool, bool]:
    """Codes in [0, k) for every row, the k labels in display order, whether that order is
    fixed (bins, ordered categories) rather than by metric, and whether the last slice holds
    the missing values (NaN, None), labelled 'missing'."""
    import pandas as pd

    series = data[column]
    dtype = series.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        labels, fixed = [str(c) for c in dtype.categories], bool(dtype.ordered)
    elif numeric:
        x = series.to_numpy(dtype=float, na_value=np.nan)
        codes, labels, fixed = _numeric_slices(x, _edges_for(column, bins, edges, x))
        codes = np.where(np.isnan(x), -1, codes)
    else:
        if isinstance(edges, Mapping) and column in edges:
            raise parameter_error("edges", "given for numeric columns only", edges,
                                  fix=f"Column {column!r} is not numeric; it is sliced by value.")
        try:
            codes, uniques = pd.factorize(series, sort=True)
        except TypeError:  # values of mixed types cannot be sorted
            codes, uniques = pd.factorize(series, sort=False)
        labels, fixed = [str(u) for u in uniques], False
    codes = np.asarray(codes, dtype=np.int64)
    missing = bool((codes < 0).any())
    if missing:
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("missing" if "missing" not in labels else "missing (NaN)")
    return codes, labels, fixed, missing
