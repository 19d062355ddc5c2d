"""Turn what a learner passes (arrays, Series, DataFrames) into checked numpy arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import argument_helper, check_columns, parameter_error

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def is_categorical(values: ArrayLike) -> bool:
    """True for strings, categories, booleans and objects: columns a KS test cannot take."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        return True
    return dtype.kind not in "iuf" or str(dtype) == "category"


def _frame_columns(data, columns, name: str) -> list:
    if columns is None:
        return [str(c) for c in data.columns]
    return check_columns(data, columns, name)


@argument_helper
def numeric_matrix(data: Any, name: str, *, columns: Any = None, allow_empty: bool = False) -> tuple[np.ndarray, list | None]:
    """``data`` as a float array of shape (rows, columns), with the column names.

    Accepts a 1-D or 2-D array-like, a Series or a DataFrame (optionally restricted to
    ``columns``). Categorical columns, NaN and empty input get a clear :class:`ParameterError`.
    """
    names = None
    if hasattr(data, "columns"):  # a DataFrame
        names = _frame_columns(data, columns, "columns")
        for column in names:
            if is_categorical(data[column]):
                raise parameter_error(
                    name, "numeric columns only", f"column {column!r} of dtype "
                    f"{data[column].dtype}", fix=f"{column!r} holds categories: test it with "
                    "chi_square_test, or leave it out of 'columns'.")
        array = data[names].to_numpy(dtype=float)
    else:
        raw = np.asarray(data)
        if raw.dtype.kind not in "iuf" or raw.dtype == bool:
            raise parameter_error(name, "an array of numbers", f"an array of dtype {raw.dtype}",
                                  fix="A categorical feature needs chi_square_test, not a KS test.")
        array = raw.astype(float, copy=False)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise parameter_error(name, "a 1-D or 2-D array (rows, features)",
                                  f"an array of shape {array.shape}")
    if array.shape[0] == 0 and not allow_empty:
        raise parameter_error(name, "at least one row", "an empty window",
                              fix="An empty window has no distribution to compare: check the "
                              "window's bounds or wait for data.")
    if not np.isfinite(array).all():
        raise parameter_error(name, "finite numbers", "NaN or infinite values",
                              fix="Drop or impute missing values before testing for drift.")
    return array, names


@argument_helper
def category_labels(data: Any, name: str) -> np.ndarray:
    """A 1-D array of category labels (strings, ints or booleans), not empty."""
    values = data.astype(object) if hasattr(data, "cat") else data
    array = np.asarray(values)
    if array.ndim != 1:
        raise parameter_error(name, "a 1-D column of categories", f"shape {array.shape}")
    if array.size == 0:
        raise parameter_error(name, "at least one row", "an empty window",
                              fix="An empty window has no distribution to compare.")
    if array.dtype.kind == "f":
        raise parameter_error(name, "categories (strings or whole numbers)",
                              f"floats of dtype {array.dtype}",
                              fix="A numeric feature needs ks_test or binning first.")
    missing = [v for v in np.unique(array.astype(str)) if v in ("nan", "None")]
    if missing:
        raise parameter_error(name, "categories without missing values",
                              f"missing values ({', '.join(missing)})",
                              fix="Fill them with an explicit category (e.g. 'unknown') first.")
    return array


def category_levels(frame: Any, categorical: Any) -> dict:
    """The categories of each categorical column, as strings, sorted."""
    return {c: sorted(map(str, frame[c].astype(str).unique())) for c in categorical}


def design_matrix(frame: Any, numeric: Any, categorical: Any, levels: dict) -> np.ndarray:
    """Numeric columns as they are, categorical ones one-hot over ``levels`` (unseen: all 0)."""
    parts = [frame[list(numeric)].to_numpy(dtype=float)] if numeric else []
    for column in categorical:
        values = frame[column]
        if str(values.dtype) == "category":  # compare the few categories, then index by code
            names = np.asarray([str(v) for v in values.dtype.categories], dtype=object)
            hits = (names[:, None] == np.asarray(levels[column], dtype=object)[None, :]).astype(float)
            codes = values.cat.codes.to_numpy()
            block = np.where((codes >= 0)[:, None], hits[codes], 0.0)
        else:
            block = (values.astype(str).to_numpy()[:, None] == np.asarray(levels[column])[None, :])
        parts.append(block.astype(float))
    if not parts:
        raise parameter_error("features", "at least one feature column", "none",
                              fix="Name the columns the model should learn from.")
    matrix = np.hstack(parts)
    if not np.isfinite(matrix).all():
        raise parameter_error("data", "finite feature values", "NaN or infinite values",
                              fix="Drop or impute missing values in the feature columns first.")
    return matrix
