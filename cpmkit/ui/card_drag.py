"""Grouping cards by drag and drop, with a mouse (``card_drag.js``): the cards are the page's
own (elements with ``data-card="<id>"`` around the widget), so they stay where and as they are
drawn, escaped; the widget shows a hint and sends each drop to Python. Dragging is on only on a
``MOUSE_SCREEN`` (wider than a phone, a mouse or touchpad); a touch screen, a keyboard or a screen
reader has no way to drag: a page keeps a form that does the same."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, TypeGuard

import anywidget
import traitlets

__all__ = ["MOUSE_SCREEN", "CardDrag"]

#: Where cards drag: wider than a phone (cpmkit.css lays out a phone up to 600 px), and the main
#: pointer a mouse or touchpad (a tablet's finger scrolls the page instead).
MOUSE_SCREEN = "(min-width: 601px) and (hover: hover) and (pointer: fine)"

_CSS = f"""
.cpmkit-card-drag {{ margin: var(--jp-widgets-margin, 2px); }}
.cpmkit-card-drag-hint {{ margin: 0; }}
[data-card][draggable="true"] {{ cursor: grab; }}
.cpmkit-card-drop-target {{ outline: 3px dashed #1a5fb4; outline-offset: 2px; }}
@media not all and {MOUSE_SCREEN} {{ .cpmkit-card-drag {{ display: none !important; }} }}
"""


class CardDrag(anywidget.AnyWidget):
    """Lets a mouse drag the cards whose ids are in ``cards`` (none: nothing moves) inside the
    nearest ``scope`` around the widget: a card dropped onto a card outside its own ``group``
    calls ``on_group(card_id, under_card_id)``; a card matching ``grouped`` dropped onto its own
    ``column`` calls ``on_ungroup(card_id)``. Hidden, and inert, unless ``MOUSE_SCREEN`` matches."""

    _esm = resources.files("cpmkit.ui").joinpath("card_drag.js").read_text(encoding="utf-8")
    _css = _CSS
    cards = traitlets.List(traitlets.Int()).tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    scope = traitlets.Unicode().tag(sync=True)
    column = traitlets.Unicode().tag(sync=True)
    group = traitlets.Unicode().tag(sync=True)
    grouped = traitlets.Unicode().tag(sync=True)
    screen = traitlets.Unicode(MOUSE_SCREEN).tag(sync=True)

    def __init__(
        self,
        *,
        scope: str,
        column: str,
        group: str,
        grouped: str,
        on_group: Callable[[int, int], None],
        on_ungroup: Callable[[int], None],
        hint: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope=scope, column=column, group=group, grouped=grouped, hint=hint, **kwargs)
        self.on_group, self.on_ungroup = on_group, on_ungroup
        self.add_class("cpmkit-card-drag")
        self.on_msg(self._dropped)

    def show(self, card_ids: Sequence[int]) -> None:
        """Make these cards (and no others) draggable."""
        self.cards = list(card_ids)

    def _dropped(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A drop from the browser: ``{"group": [card_id, under_card_id]}`` or ``{"ungroup": card_id}``.
        ``cards`` is only a first filter (a malformed message or a card no longer offered, from a
        page drawn earlier, is ignored here): the guard is the store behind ``on_group`` and
        ``on_ungroup``, which checks the facilitator's key, the phase and the cards on each call."""
        if not isinstance(content, dict):
            return
        group, ungroup = content.get("group"), content.get("ungroup")
        if isinstance(group, list) and len(group) == 2 and all(self._offered(i) for i in group):
            self.on_group(group[0], group[1])
        elif self._offered(ungroup):
            self.on_ungroup(ungroup)

    def _offered(self, card_id: object) -> TypeGuard[int]:
        return type(card_id) is int and card_id in self.cards
