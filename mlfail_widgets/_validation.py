"""Argument checks for the public API, with one error template.

Every public function validates its arguments where they enter the library, so a learner's
typo is answered with a sentence, not a traceback from deep inside numpy::

    The 'window' parameter of ks_drift must be an int in [10, 100000]. Got -3 instead.

An optional ``fix`` is appended as a second sentence that says what to do about it.

Nobody types the function's name: when a check fails, :func:`owner_name` reads it from the
call stack, from the ``__qualname__`` of the function the learner called (``KSReference``
for ``KSReference.__init__``, ``KSReference.test_windows`` for that method). The rule:

* walk out from the failing check through the frames of this package (the run of frames
  ends where the learner's code, a test, a thread, a widget callback or the ``mlfail``
  command line called in);
* the *outermost public* function there names the error: the function the learner called
  (public: a name without a leading underscore, or ``__init__``/``__post_init__``/
  ``__new__``/``__call__``, which name their class). ``slice_chart`` building a
  ``SliceChart`` names ``slice_chart``; ``KSReference.test`` calling ``test_windows`` names
  ``KSReference.test``;
* a public function decorated with :func:`argument_helper` names the error only when no other
  public function is on that run: it checks arguments on behalf of its callers
  (``numeric_matrix`` checks ``ks_drift``'s ``reference``; ``resolve_rng`` every ``seed``).

So a check in a private helper names the public function that called the helper, and a
rename of a method renames its messages. ``owner=`` still overrides the name, for the rare
check that speaks for a function by another name (and for code written before this rule).
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from types import CodeType, FrameType
from typing import Any, TypeVar, overload

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

_F = TypeVar("_F", bound=Callable[..., Any])
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_THIS_FILE = os.path.abspath(__file__)
# the command line calls in from outside, like a learner's code: `mlfail assignments` names
# write_assignments, not cli.main
_ENTRY_FILES = frozenset({_THIS_FILE, os.path.join(os.path.dirname(_THIS_FILE), "cli.py")})
# dunders that stand for their class in a message ("The 'x' parameter of Fault ...")
_CLASS_DUNDERS = ("__init__", "__post_init__", "__new__", "__call__")
_HELPERS: set[CodeType] = set()
_USE_CO_QUALNAME = True  # tests turn it off to check the Python 3.10 path


class ParameterError(ValueError):
    """A public function was called with an argument it cannot use.

    Subclasses :class:`ValueError`, so ``except ValueError`` catches it.
    """


def argument_helper(function: _F) -> _F:
    """Mark a public function that checks arguments on behalf of its callers.

    The function is returned unchanged (no wrapper, no cost per call); its errors name the
    public function of this package that called it, or itself when the learner called it
    directly.

    Examples
    --------
    >>> @argument_helper
    ... def positive_count(value):
    ...     return check_int(value, "count", low=1)
    >>> def draw_songs(count):
    ...     return positive_count(count)
    >>> positive_count(2)
    2
    """
    code = getattr(function, "__code__", None)
    if code is not None:
        _HELPERS.add(code)
    return function


def _in_package(code: CodeType) -> bool:
    filename = code.co_filename
    return filename.startswith(_PACKAGE) and os.path.abspath(filename) not in _ENTRY_FILES


def _is_public(code: CodeType) -> bool:
    name = code.co_name
    return not name.startswith(("_", "<")) or name in _CLASS_DUNDERS


def _full_qualname(frame: FrameType) -> str | None:
    """The ``__qualname__`` of the function running in ``frame`` (None if it cannot be found)."""
    code = frame.f_code
    qualname = getattr(code, "co_qualname", None) if _USE_CO_QUALNAME else None  # Python 3.11+
    if qualname is None:  # Python 3.10: find the function object whose code this is
        first = code.co_varnames[0] if code.co_argcount else None
        holder = frame.f_locals.get(first) if first in ("self", "cls") else None
        candidates: list[Any] = [frame.f_globals.get(code.co_name)]
        if holder is not None:
            klass = holder if isinstance(holder, type) else type(holder)
            candidates += [vars(k).get(code.co_name) for k in klass.__mro__]
        for candidate in candidates:
            for function in (candidate, getattr(candidate, "__func__", None),
                             getattr(candidate, "fget", None), getattr(candidate, "fset", None)):
                while function is not None and getattr(function, "__code__", None) is not code:
                    function = getattr(function, "__wrapped__", None)
                if function is not None:
                    qualname = function.__qualname__
                    break
            else:
                continue
            break
    return qualname


def _function_qualname(frame: FrameType) -> str:
    """The name a message uses for the function running in ``frame``."""
    qualname = _full_qualname(frame) or frame.f_code.co_name
    qualname = qualname.rsplit("<locals>.", 1)[-1]
    head, _, tail = qualname.rpartition(".")
    return head if head and tail in _CLASS_DUNDERS else qualname


def owner_name(frame: FrameType | None = None) -> str:
    """Name the public function whose argument check is failing, from the call stack.

    Call it inside a check to write a message of your own; :func:`parameter_error` and the
    ``check_*`` functions call it when they raise. ``frame`` defaults to the caller's.

    Examples
    --------
    >>> class KSReference:
    ...     def test_windows(self, window):
    ...         return owner_name()
    >>> KSReference().test_windows(3)
    'KSReference.test_windows'
    """
    frame = sys._getframe(1) if frame is None else frame
    while frame is not None and os.path.abspath(frame.f_code.co_filename) == _THIS_FILE:
        frame = frame.f_back
    if frame is None:
        return "this function"
    first = frame
    entry = helper = None
    # the contiguous run of this package's frames from the check outwards: the outermost public
    # function there is the one the learner called
    while frame is not None and _in_package(frame.f_code):
        code = frame.f_code
        qualname = _full_qualname(frame) if _is_public(code) else None
        # a function nested in another (a button's callback, a thread's target) is not public
        if qualname is not None and "<locals>" not in qualname:
            if code in _HELPERS:
                helper = frame
            else:
                entry = frame
        frame = frame.f_back
    return _function_qualname(entry or helper or first)


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
