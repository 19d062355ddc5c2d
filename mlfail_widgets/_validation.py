"""Argument checks for the public API, with one error template.

Every public function validates its arguments where they enter the library, so a learner's
typo is answered with a sentence, not a traceback from deep inside numpy::

    The 'window' parameter of ks_drift must be an int in [10, 100000]. Got -3 instead.

An optional ``fix`` is appended as a second sentence that says what to do about it.

Nobody types the function's name: :func:`owner_name` (in :mod:`mlfail_widgets._owner`, with
the rule, re-exported here) reads it from the call stack, from the ``__qualname__`` of the
public function the learner called. ``owner=`` still overrides the name, for the rare check
that speaks for a function by another name.
"""

from __future__ import annotations

import difflib
import math
import numbers
import sys
from collections.abc import Iterable, Sequence
from typing import Any, overload

from ._owner import argument_helper, owner_name

__all__ = [
    "ParameterError",
    "argument_helper",
    "check_bool",
    "check_choice",
    "check_columns",
    "check_float",
    "check_int",
    "check_probability",
    "owner_name",
    "parameter_error",
]


class ParameterError(ValueError):
    """A public function was called with an argument it cannot use.

    Subclasses :class:`ValueError`, so ``except ValueError`` catches it.
    """


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@overload
def parameter_error(
    name: str, expected: str, value: Any, /, *, fix: str | None = None, owner: str | None = None
) -> ParameterError: ...
@overload
def parameter_error(
    name: str, owner: str, expected: str, value: Any, fix: str | None = None, /
) -> ParameterError: ...
@overload
def parameter_error(
    name: str, owner: str, expected: str, value: Any, /, *, fix: str | None = None
) -> ParameterError: ...
def parameter_error(name: str, *args: Any, fix: str | None = None, owner: str | None = None
                    ) -> ParameterError:
    """Build the library's standard error for a bad argument.

    Parameters
    ----------
    name : str
        The parameter's name as the learner typed it.
    expected : str
        What is allowed, as a phrase ("an int in [1, 10]").
    value : object
        The value received.
    fix : str, optional
        One sentence on how to fix the call.
    owner : str, optional
        The function or class that received it; by default :func:`owner_name` finds it.
        (The older call ``parameter_error(name, owner, expected, value[, fix])`` still works.)

    Examples
    --------
    >>> def ks_drift(window):
    ...     raise parameter_error("window", "an int in [10, 100000]", window)
    >>> ks_drift(-3)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'window' parameter of ks_drift must be an int in [10, 100000]. Got -3 instead.
    """
    if len(args) == 2:
        expected, value = args
    elif len(args) in (3, 4):  # the older form, with the owner typed by hand
        owner, expected, value, *rest = args
        fix = rest[0] if rest else fix
    else:
        raise TypeError("parameter_error(name, expected, value, *, fix=None) takes 3 positional "
                        f"arguments; {1 + len(args)} were given")
    if owner is None:
        owner = owner_name(sys._getframe(1))
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
    owner: str | None = None,
    *,
    low: int | None = None,
    high: int | None = None,
    fix: str | None = None,
) -> int:
    """Return ``value`` as an int if it is a whole number within [low, high].

    Examples
    --------
    >>> def simulate(k):
    ...     return check_int(k, "k", low=1)
    >>> simulate(3)
    3
    >>> simulate(0)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'k' parameter of simulate must be an int in [1, inf). Got 0 instead.
    """
    expected = "an int" + _interval(low, high, False, False)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if (not isinstance(value, bool) and isinstance(value, numbers.Real)
                and math.isfinite(value) and float(value).is_integer()):
            value = math.floor(value)
        else:
            raise parameter_error(name, expected, value, fix=fix, owner=owner)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise parameter_error(name, expected, value, fix=fix, owner=owner)
    return value


def check_float(
    value: Any,
    name: str,
    owner: str | None = None,
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
    >>> class Fault:
    ...     def __init__(self, latency):
    ...         self.latency = check_float(latency, "latency", low=0)
    >>> Fault(0.5).latency
    0.5
    >>> Fault(-1)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'latency' parameter of Fault must be a number in [0, inf). Got -1 instead.
    """
    expected = "a number" + _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise parameter_error(name, expected, value, fix=fix, owner=owner)
    number = float(value)
    bad = not math.isfinite(number)
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise parameter_error(name, expected, value, fix=fix, owner=owner)
    return number


def check_probability(value: Any, name: str, owner: str | None = None, *, fix: str | None = None
                      ) -> float:
    """Return ``value`` as a float in [0, 1].

    Examples
    --------
    >>> check_probability(1.5, "error_rate", owner="Fault")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'error_rate' parameter of Fault must be a number in [0, 1]. Got 1.5 instead.
    """
    return check_float(value, name, owner, low=0.0, high=1.0, fix=fix)


def check_bool(value: Any, name: str, owner: str | None = None) -> bool:
    """Return ``value`` if it is a bool (numpy bools included).

    Examples
    --------
    >>> check_bool(True, "verbose")
    True
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise parameter_error(name, "True or False", value, owner=owner)


def _suggestion(value: Any, allowed: Sequence[Any]) -> str:
    names = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(value), names, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


@overload
def check_choice(value: Any, name: str, allowed: Iterable[Any], /, *, owner: str | None = None
                 ) -> Any: ...
@overload
def check_choice(value: Any, name: str, owner: str, allowed: Iterable[Any], /) -> Any: ...
@overload
def check_choice(value: Any, name: str, /, *, allowed: Iterable[Any], owner: str | None = None
                 ) -> Any: ...
def check_choice(value: Any, name: str, *args: Any, allowed: Iterable[Any] | None = None,
                 owner: str | None = None) -> Any:
    """Return ``value`` if it is one of ``allowed``; suggest the closest one otherwise.

    Called as ``check_choice(value, name, allowed)``; the older
    ``check_choice(value, name, owner, allowed)`` still works.

    Examples
    --------
    >>> def simulate(policy):
    ...     return check_choice(policy, "policy", ["random", "popularity"])
    >>> simulate("popularity")
    'popularity'
    >>> simulate("populrity")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'policy' parameter of simulate must be one of 'random', 'popularity'. Got 'populrity' instead. Did you mean 'popularity'?
    """
    if len(args) == 2 and allowed is None:
        owner, allowed = args
    elif len(args) == 1 and allowed is None:
        allowed = args[0]
    elif len(args) == 1:
        owner = args[0]
    if allowed is None or len(args) > 2:
        raise TypeError("check_choice(value, name, allowed, *, owner=None) needs the allowed values")
    choices = list(allowed)
    try:
        if value in choices:
            return value
    except TypeError:  # unhashable or incomparable values
        pass
    expected = "one of " + ", ".join(repr(a) for a in choices)
    raise parameter_error(name, expected, value, fix=_suggestion(value, choices).strip() or None,
                          owner=owner)


def check_columns(frame: Any, columns: Iterable[Any] | str, name: str, owner: str | None = None
                  ) -> list[Any]:
    """Check that every name in ``columns`` is a column of the DataFrame ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> def slice_metrics(data, by):
    ...     return check_columns(data, by, "by")
    >>> slice_metrics(pd.DataFrame({"age": [1]}), ["age"])
    ['age']
    >>> slice_metrics(pd.DataFrame({"age": [1]}), ["agee"])
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'by' parameter of slice_metrics must be a column of the data (columns: 'age'). Got 'agee' instead. Did you mean 'age'?
    """
    names = [columns] if isinstance(columns, str) else list(columns)
    available = [str(c) for c in frame.columns]
    for column in names:
        if column not in frame.columns:
            shown = ", ".join(repr(c) for c in available[:12])
            if len(available) > 12:
                shown += f", ... ({len(available)} in all)"
            raise parameter_error(
                name,
                f"a column of the data (columns: {shown})",
                column,
                fix=_suggestion(column, available).strip() or None,
                owner=owner,
            )
    return names
