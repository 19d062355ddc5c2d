"""A function's settings object, with the keywords of the call replacing its fields.

DEVELOPERS.md, "Result classes": a public function with more than eight options takes a
``...Settings`` dataclass (or the chapter's ``...Scenario``) and still accepts every field
as a keyword, which overrides it. :func:`settings_with` does that merge, once for all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeVar

from .._owner import argument_helper, owner_name
from .._validation import ParameterError, _suggestion, parameter_error

__all__ = ["settings_with"]

_S = TypeVar("_S")


@argument_helper
def settings_with(kind: type[_S], settings: _S | None, options: dict[str, Any], *,
                  name: str = "settings", also: Sequence[str] = ()) -> _S:
    """``settings`` (default ``kind()``) with each keyword of ``options`` replacing its field.

    An unknown keyword is a :class:`ParameterError` naming it, with the closest field (or name
    in ``also``, the function's other keywords, already taken out of ``options``); a bad
    value is the dataclass's own error, naming the function that was called.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class DemoSettings:
    ...     rounds: int = 3
    ...     width: int = 8
    >>> settings_with(DemoSettings, DemoSettings(width=4), {"rounds": 5})
    DemoSettings(rounds=5, width=4)
    >>> settings_with(DemoSettings, None, {"round": 5})
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: settings_with got an unexpected keyword argument 'round'. Did you mean 'rounds'?
    """
    if settings is None:
        settings = kind()
    elif not isinstance(settings, kind):
        raise parameter_error(name, f"a {kind.__name__} or None", settings,
                              fix=f"Build one with {kind.__name__}(...), or pass its fields as keywords.")
    known = [field.name for field in dataclasses.fields(kind)]  # type: ignore[arg-type]
    for key in options:
        if key not in known:
            hint = (_suggestion(key, [*known, *also])
                    or " Its settings are: " + ", ".join([*also, *known]) + ".")
            raise ParameterError(f"{owner_name()} got an unexpected keyword argument {key!r}.{hint}")
    if not options:
        return settings
    try:
        return dataclasses.replace(settings, **options)  # type: ignore[type-var]
    except ParameterError as error:
        # the dataclass checked the keyword, but the learner gave it to the function: name that
        own = f" parameter of {kind.__name__} "
        if own not in str(error):
            raise
        raise ParameterError(str(error).replace(own, f" parameter of {owner_name()} ", 1)) from None
