"""Argument checks for the public API, with one error template.

Every public function validates its arguments where they enter the library, so a learner's
typo is answered with a sentence, not a traceback from deep inside numpy::

    The 'window' parameter of ks_drift must be an int in [10, 100000]. Got -3 instead.

An optional ``fix`` is appended as a second sentence that says what to do about it.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ParameterError",
    "check_bool",
    "check_choice",
    "check_columns",
    "check_float",
    "check_int",
    "check_probability",
    "parameter_error",
]


class ParameterError(ValueError):
    """A public function was called with an argument it cannot use.

    Subclasses :class:`ValueError`, so ``except ValueError`` catches it.
    """


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parameter_error(
    name: str, owner: str, expected: str, value: Any, fix: str | None = None
) -> ParameterError:
    """Build the library's standard error for a bad argument.

    Parameters
    ----------
    name : str
        The parameter's name as the learner typed it.
    owner : str
        The function or class that received it.
    expected : str
        What is allowed, as a phrase ("an int in [1, 10]").
    value : object
        The value received.
    fix : str, optional
        One sentence on how to fix the call.

    Examples
    --------
    >>> print(parameter_error("window", "ks_drift", "an int in [10, 100000]", -3))
    The 'window' parameter of ks_drift must be an int in [10, 100000]. Got -3 instead.
    """
    message = f"The {name!r} parameter of {owner} must be {expected}. Got {_describe(value)} instead."
    if fix:
        message += " " + fix
    return ParameterError(message)


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return ""
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f" in {left}{lo}, {hi}{right}"


def check_int(
    value: Any,
    name: str,
    owner: str,
    *,
    low: int | None = None,
    high: int | None = None,
    fix: str | None = None,
) -> int:
    """Return ``value`` as an int if it is a whole number within [low, high].

    Examples
    --------
    >>> check_int(3, "k", "simulate")
    3
    >>> check_int(0, "k", "simulate", low=1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'k' parameter of simulate must be an int in [1, inf). Got 0 instead.
    """
    expected = "an int" + _interval(low, high, False, False)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if (not isinstance(value, bool) and isinstance(value, numbers.Real)
                and math.isfinite(value) and float(value).is_integer()):
            value = int(value)
        else:
            raise parameter_error(name, owner, expected, value, fix)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise parameter_error(name, owner, expected, value, fix)
    return value


def check_float(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    fix: str | None = None,
) -> float:
    """Return ``value`` as a finite float within the given interval.

    Examples
    --------
    >>> check_float(0.5, "epsilon", "simulate", low=0, high=1)
    0.5
    >>> check_float(-1, "latency", "Fault", low=0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'latency' parameter of Fault must be a number in [0, inf). Got -1 instead.
    """
    expected = "a number" + _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise parameter_error(name, owner, expected, value, fix)
    number = float(value)
    bad = not math.isfinite(number)
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise parameter_error(name, owner, expected, value, fix)
    return number


def check_probability(value: Any, name: str, owner: str, *, fix: str | None = None) -> float:
    """Return ``value`` as a float in [0, 1].

    Examples
    --------
    >>> check_probability(1.5, "error_rate", "Fault")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'error_rate' parameter of Fault must be a number in [0, 1]. Got 1.5 instead.
    """
    return check_float(value, name, owner, low=0.0, high=1.0, fix=fix)


def check_bool(value: Any, name: str, owner: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools included)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise parameter_error(name, owner, "True or False", value)


def _suggestion(value: Any, allowed: Sequence[Any]) -> str:
    names = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(value), names, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_choice(value: Any, name: str, owner: str, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; suggest the closest one otherwise.

    Examples
    --------
    >>> check_choice("popularity", "policy", "simulate", ["random", "popularity"])
    'popularity'
    >>> check_choice("populrity", "policy", "simulate", ["random", "popularity"])
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'policy' parameter of simulate must be one of 'random', 'popularity'. Got 'populrity' instead. Did you mean 'popularity'?
    """
    allowed = list(allowed)
    try:
        if value in allowed:
            return value
    except TypeError:  # unhashable or incomparable values
        pass
    expected = "one of " + ", ".join(repr(a) for a in allowed)
    raise parameter_error(name, owner, expected, value, _suggestion(value, allowed).strip() or None)


def check_columns(frame: Any, columns: Iterable[str], name: str, owner: str) -> list[str]:
    """Check that every name in ``columns`` is a column of the DataFrame ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"age": [1]}), ["age"], "by", "slice_metrics")
    ['age']
    >>> check_columns(pd.DataFrame({"age": [1]}), ["agee"], "by", "slice_metrics")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'by' parameter of slice_metrics must be a column of the data (columns: 'age'). Got 'agee' instead. Did you mean 'age'?
    """
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    available = [str(c) for c in frame.columns]
    for column in columns:
        if column not in frame.columns:
            shown = ", ".join(repr(c) for c in available[:12])
            if len(available) > 12:
                shown += f", ... ({len(available)} in all)"
            raise parameter_error(
                name,
                owner,
                f"a column of the data (columns: {shown})",
                column,
                _suggestion(column, available).strip() or None,
            )
    return columns
