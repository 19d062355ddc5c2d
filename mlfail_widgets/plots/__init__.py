"""Pure drawing: data -> matplotlib artists. No widgets, no state.

Each module draws one kind of figure with ``draw(data, ax=None) -> Drawn`` and changes it in
place with ``update(drawn, data)``.
"""

from ._base import Artists, Drawn, new_figure, render_png
from .style import PALETTE, context, label_simulated

__all__ = ["PALETTE", "Artists", "Drawn", "context", "label_simulated", "new_figure", "render_png"]
