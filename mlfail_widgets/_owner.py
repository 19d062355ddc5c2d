"""Who an argument error names: the public function the learner called, from the call stack.

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
rename of a method renames its messages. :mod:`mlfail_widgets._validation` builds the
messages and re-exports both names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, TypeVar

__all__ = ["argument_helper", "owner_name"]

_F = TypeVar("_F", bound=Callable[..., Any])
_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = _HERE + os.sep
# the frames of the checks themselves: the walk starts outside them
_CHECK_FILES = frozenset(os.path.join(_HERE, name) for name in ("_owner.py", "_validation.py"))
# the command line calls in from outside, like a learner's code: `mlfail assignments` names
# write_assignments, not cli.main
_ENTRY_FILES = _CHECK_FILES | {os.path.join(_HERE, "cli.py")}
# dunders that stand for their class in a message ("The 'x' parameter of Fault ...")
_CLASS_DUNDERS = ("__init__", "__post_init__", "__new__", "__call__")
_HELPERS: set[CodeType] = set()
_USE_CO_QUALNAME = True  # tests turn it off to check the Python 3.10 path


def argument_helper(function: _F) -> _F:
    """Mark a public function that checks arguments on behalf of its callers.

    The function is returned unchanged (no wrapper, no cost per call); its errors name the
    public function of this package that called it, or itself when the learner called it
    directly.

    Examples
    --------
    >>> from mlfail_widgets._validation import check_int
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
    while frame is not None and os.path.abspath(frame.f_code.co_filename) in _CHECK_FILES:
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
