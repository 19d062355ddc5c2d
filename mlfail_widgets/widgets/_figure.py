"""The one base of the course's figure widgets: :class:`Panel` and the hand-built consoles.

Every widget of the course shows a matplotlib figure as a PNG in an ``ipywidgets.Image``, a
line of key numbers, and a line for errors; it has a static PNG fallback for exported HTML and
frontends without ipywidgets, and a ``close()`` that leaves nothing behind. Those parts live
here once. A widget provides:

* ``_build_widgets() -> dict``: its ipywidgets, with the whole box under ``"box"`` (built on
  first use of :attr:`FigureWidget.widget`; :meth:`FigureWidget._figure_image`,
  :meth:`FigureWidget._line` and :meth:`FigureWidget._box` make the shared parts);
* ``png``: the latest rendered figure (:meth:`FigureWidget._render_figure` keeps it and the image in
  step);
* optionally ``_describe()`` (the ``text/plain`` line), ``_static_png()`` / ``_static_html()``
  (the fallback, by default ``png``) and ``_release()`` (threads, servers and folders to stop
  before the ipywidgets close).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from ..plots._base import render_png
from ._errors import error_html

__all__ = ["FigureWidget"]


def _each_widget(parts: Iterable[Any]) -> Iterable[Any]:
    for part in parts:
        if isinstance(part, dict):
            yield from _each_widget(part.values())
        elif isinstance(part, (list, tuple)):
            yield from _each_widget(part)
        elif hasattr(part, "close"):
            yield part


class FigureWidget:
    """Image, static fallback, error line and close, shared by every figure widget.

    Examples
    --------
    >>> from mlfail_widgets.plots import Drawn, new_figure
    >>> class Dot(FigureWidget):
    ...     def __init__(self):
    ...         figure, ax = new_figure((2, 2))
    ...         ax.plot([0], [0], "o")
    ...         self.drawn = Drawn(figure, {})
    ...         self._render_figure(freeze_layout=True)
    ...     def _build_widgets(self):
    ...         image = self._figure_image()
    ...         return {"box": self._box([image], "mlfail-panel"), "image": image}
    >>> dot = Dot()
    >>> dot.png[:4] == b"\\x89PNG", sorted(dot.widget._dom_classes)
    (True, ['mlfail-panel'])
    >>> bundle = dot._repr_mimebundle_()
    >>> "image/png" in (bundle[0] if isinstance(bundle, tuple) else bundle)
    True
    >>> dot.close()
    """

    png: bytes = b""
    drawn: Any = None
    error: str | None = None
    _widgets: dict[str, Any] | None = None

    # ----------------------------------------------------------------- provided by a widget
    def _build_widgets(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _describe(self) -> str:
        return f"<mlfail {type(self).__name__}>"

    def _static_png(self) -> bytes:
        return self.png

    def _static_html(self) -> str | None:
        return None

    def _release(self) -> None:
        """Stop what the widget started (threads, servers, folders); called first by close()."""

    # ----------------------------------------------------------------- shared parts
    @property
    def widget(self) -> Any:
        """The widget as one ipywidgets box, for ``display`` or embedding in a layout."""
        if self._widgets is None:
            self._widgets = self._build_widgets()
        return self._widgets["box"]

    def _figure_image(self, png: bytes | None = None) -> Any:
        """The figure's ``ipywidgets.Image`` (CSS class ``mlfail-figure``)."""
        import ipywidgets as w

        image = w.Image(value=self.png if png is None else png, format="png",
                        layout=w.Layout(max_width="100%", height="auto"))
        image.add_class("mlfail-figure")
        return image

    @staticmethod
    def _line(css_class: str, value: str = "") -> Any:
        """A line of HTML with a CSS class (``mlfail-summary``, ``mlfail-status``...)."""
        import ipywidgets as w

        line = w.HTML(value)
        line.add_class(css_class)
        return line

    @staticmethod
    def _box(children: list[Any], *css_classes: str) -> Any:
        """A ``VBox`` of ``children`` with the given CSS classes."""
        import ipywidgets as w

        box = w.VBox(children)
        for css_class in css_classes:
            box.add_class(css_class)
        return box

    def _render_figure(self, *, freeze_layout: bool = False) -> bytes:
        """Render ``self.drawn.figure`` into ``png`` and show it in the image, if built."""
        self.png = render_png(self.drawn.figure, freeze_layout=freeze_layout)
        if self._widgets is not None and "image" in self._widgets:
            self._widgets["image"].value = self.png
        return self.png

    def _error_html(self, headline: str = "That action failed.", note: str = "") -> str:
        """The ``mlfail-error`` line for ``self.error`` (empty when there is none)."""
        return error_html(headline, self.error or "", note)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        # The static fallback: exported HTML and frontends without ipywidgets show this image.
        data["image/png"] = base64.b64encode(self._static_png()).decode("ascii")
        static_html = self._static_html()
        if static_html is not None:
            data["text/html"] = static_html
        data["text/plain"] = self._describe()
        return bundle

    def close(self) -> None:
        """Stop what the widget started, then close every ipywidget it built."""
        try:
            self._release()
        finally:
            parts, self._widgets = self._widgets, None
            if parts is not None:
                for widget in _each_widget(parts.values()):
                    widget.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
