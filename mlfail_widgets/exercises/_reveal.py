"""Text that appears only when the learner asks: a button in Jupyter, a sentence elsewhere.

Model answers, explanations and a drill's reveal are :class:`Hidden`. Displayed in a notebook,
a ``Hidden`` is a button ("Show the model answer") over an empty box; the text is sent to the
page only when the learner clicks. "Run all", a headless run and the exported HTML therefore
show the button's label and a sentence, never the answer. ``print(hidden)`` or ``str(hidden)``
is the way to read it where no widget frontend runs (a terminal): that, too, is the learner's
own act.
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ipywidgets as w

__all__ = ["Hidden"]


@dataclass(frozen=True)
class Hidden:
    """A text kept back until the learner clicks its button (or prints it).

    Parameters
    ----------
    title : str
        What it is ("Model answer of 05.3").
    text : str
        The text itself, shown on request.
    label : str, default="Show the model answer"
        The button's label.
    render_html : callable, optional
        Builds the HTML shown after the click (default: the escaped text).

    Examples
    --------
    >>> secret = Hidden("Model answer of 00.3", "Because they are silent.")
    >>> str(secret)
    'Because they are silent.'
    >>> "silent" in repr(secret)
    False
    """

    title: str
    text: str
    label: str = "Show the model answer"
    render_html: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"{self.title}: hidden until you ask. In Jupyter, click \"{self.label}\"; "
                "elsewhere, print() it.")

    def to_html(self) -> str:
        """The revealed HTML (what the button shows once clicked)."""
        if self.render_html is not None:
            return self.render_html()
        body = _html.escape(self.text).replace("\n", "<br>")
        return (f'<div class="mlfail-revealed" style="border-left:4px solid #0072B2;padding:4px 10px">'
                f"<b>{_html.escape(self.title)}.</b> {body}</div>")

    def _placeholder_html(self) -> str:
        return (f'<div class="mlfail-hidden"><button disabled>{_html.escape(self.label)}</button> '
                f"<i>{_html.escape(self.title)}: click the button in Jupyter to show it.</i></div>")

    def widget(self) -> w.VBox:
        """A button and an empty box; the click fills the box (an ipywidgets ``VBox``)."""
        import ipywidgets as w

        button = w.Button(description=self.label, icon="eye", layout=w.Layout(width="auto"))
        button.add_class("mlfail-reveal-button")
        shown = w.HTML(value="")
        shown.add_class("mlfail-revealed")

        def reveal(_button: w.Button) -> None:
            shown.value = self.to_html()
            button.disabled = True

        button.on_click(reveal)
        box = w.VBox([button, shown])
        box.add_class("mlfail-hidden")
        return box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        try:
            bundle = self.widget()._repr_mimebundle_()
        except ImportError:  # no ipywidgets: the sentence only
            bundle = {}
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        # Without a widget frontend (exported HTML, a terminal): the label and how to ask.
        data["text/plain"] = repr(self)
        data["text/html"] = self._placeholder_html()
        return bundle
