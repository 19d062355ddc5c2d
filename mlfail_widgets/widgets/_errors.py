"""How every widget of the course shows a failure: one short line, and the widget keeps working.

The line carries the CSS class ``mlfail-error``, which the notebook tests (saved widget state)
and the browser tests look for.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

__all__ = ["ActionRunner", "error_html", "short_message"]


def short_message(error: BaseException, limit: int = 400) -> str:
    """``"TypeName: message"``, cut to ``limit`` characters.

    Examples
    --------
    >>> short_message(ValueError("bad slider"))
    'ValueError: bad slider'
    """
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_html(headline: str, message: str, note: str = "") -> str:
    """The error line a widget shows (empty message: no line).

    Examples
    --------
    >>> error_html("That action failed.", "ValueError: no model")[:30]
    '<div class="mlfail-error" styl'
    """
    if not message:
        return ""
    extra = f"<br><i>{html.escape(note)}</i>" if note else ""
    return (f'<div class="mlfail-error" style="color:#D55E00"><b>{html.escape(headline)}</b> '
            f"{html.escape(message)}{extra}</div>")


class ActionRunner:
    """For button-driven widgets: run an action; on an exception keep its message in ``error``.

    The subclass (a :class:`~mlfail_widgets.widgets._figure.FigureWidget`) provides ``_show()``,
    which redraws the widget and its error line (``FigureWidget._error_html``) after every action.
    """

    error: str | None = None

    def _show(self) -> None:  # pragma: no cover - provided by the widget
        raise NotImplementedError

    def _act(self, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except Exception as error:  # shown in the widget; the widget keeps working
            self.error = short_message(error)
            self._show()
            return None
        self.error = None
        self._show()
        return result
