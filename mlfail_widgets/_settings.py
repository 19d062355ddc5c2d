"""A function's settings object, with the keywords of the call replacing its fields.

DEVELOPERS.md, "Result classes": a public function with more than eight options takes a
``...Settings`` dataclass (or the chapter's ``...Scenario``) and still accepts every field
as a keyword, which overrides it. :func:`settings_with` does that merge, once for the whole
package (``failures``, ``slicing``, ``widgets``); :func:`settings_values` is the same merge
for a caller that validates the values itself, with more than the settings know (the
``world`` of :func:`~mlfail_widgets.failures.feedback.simulate_feedback_loop`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ._owner import argument_helper, owner_name
from ._validation import ParameterError, _suggestion, parameter_error

__all__ = ["settings_values", "settings_with"]

_S = TypeVar("_S")


def _fields(kind: type) -> list[dataclasses.Field]:
    return list(dataclasses.fields(kind))


@argument_helper
def settings_values(kind: type[_S], settings: _S | None, options: Mapping[str, Any], *,
                    name: str = "settings", also: Sequence[str] = (),
                    first: tuple[str, Any] | None = None,
                    renamed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every field of ``settings`` (default ``kind()``), with the keywords ``options`` replacing them.

    The values are merged, not validated (:func:`settings_with` validates them by building
    the settings). An unknown keyword is a :class:`ParameterError` naming the function the
    learner called, with the closest field (or name in ``also``, the function's other
    keywords, already taken out of ``options``).

    Parameters
    ----------
    kind : type
        The settings dataclass.
    settings : kind or None
        The settings given (``None``: the defaults).
    options : mapping
        The keywords of the call that are fields of ``kind`` (or old names in ``renamed``).
    name : str, default="settings"
        The parameter that took ``settings``, for its error.
    also : sequence of str, default=()
        The function's other keywords, suggested for a misspelt one.
    first : (str, object), optional
        The function's first argument when it takes either a field or a whole settings
        object there: ``("policy", policy)``. A ``kind`` there is the settings (``settings``
        must then be ``None``); anything else but ``None`` sets that field, before ``options``.
    renamed : mapping of str to str, optional
        Old keyword -> its field, accepted with a ``DeprecationWarning``
        (:func:`~mlfail_widgets.statistics.renamed_argument`); giving both is an error.

    Returns
    -------
    dict
        Field name -> value, for every field of ``kind``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class DemoSettings:
    ...     mode: str = "fast"
    ...     rounds: int = 3
    >>> settings_values(DemoSettings, None, {"rounds": 5}, first=("mode", "slow"))
    {'mode': 'slow', 'rounds': 5}
    >>> settings_values(DemoSettings, None, {}, first=("mode", DemoSettings(rounds=7)))
    {'mode': 'fast', 'rounds': 7}
    """
    options = dict(options)
    if first is not None:
        field, value = first
        if isinstance(value, kind):
            if settings is not None:
                raise parameter_error(name, f"None when the first argument is already a {kind.__name__}",
                                      settings)
            settings = value
        elif value is not None:
            options = {field: value, **options}
    if settings is None:
        settings = kind()
    elif not isinstance(settings, kind):
        raise parameter_error(name, f"a {kind.__name__} or None", settings,
                              fix=f"Build one with {kind.__name__}(...), or pass its fields as keywords.")
    renamed = dict(renamed or {})
    known = [field.name for field in _fields(kind)]
    for key in options:
        if key not in known and key not in renamed:
            hint = (_suggestion(key, [*known, *also])
                    or " Its settings are: " + ", ".join([*also, *known]) + ".")
            raise ParameterError(f"{owner_name()} got an unexpected keyword argument {key!r}.{hint}")
    values = {field: getattr(settings, field) for field in known}
    old_values = {old: options.pop(old) for old in renamed if old in options}
    values.update(options)
    if old_values:
        from .statistics import renamed_argument

        defaults = {field.name: field.default for field in _fields(kind)}
        for old, value in old_values.items():
            new = renamed[old]
            values[new] = renamed_argument(new, values[new], old, value, defaults[new])
    return values


@argument_helper
def settings_with(kind: type[_S], settings: _S | None, options: Mapping[str, Any], *,
                  name: str = "settings", also: Sequence[str] = (),
                  first: tuple[str, Any] | None = None,
                  renamed: Mapping[str, str] | None = None) -> _S:
    """``settings`` (default ``kind()``) with each keyword of ``options`` replacing its field.

    The one merge of a settings object and a call's keywords (DEVELOPERS.md); the arguments
    are those of :func:`settings_values`. An unknown keyword is a :class:`ParameterError`
    naming it, with the closest field (or name in ``also``, the function's other keywords,
    already taken out of ``options``); a bad value is the dataclass's own error (its
    ``__post_init__`` validates), naming the function that was called.

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
    values = settings_values(kind, settings, options, name=name, also=also, first=first, renamed=renamed)
    if settings is not None and not options and first is None:
        return settings
    try:
        return kind(**values)
    except ParameterError as error:
        # the dataclass checked the keyword, but the learner gave it to the function: name that
        own = f" parameter of {kind.__name__} "
        if own not in str(error):
            raise
        raise ParameterError(str(error).replace(own, f" parameter of {owner_name()} ", 1)) from None
