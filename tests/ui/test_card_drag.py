"""CardDrag: what a drop from the browser calls, and what it ignores."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from cpmkit.ui.card_drag import MOUSE_SCREEN, CardDrag


def drag_widget(calls: list[tuple[Any, ...]]) -> CardDrag:
    return CardDrag(
        scope=".board",
        column=".column",
        group=".group",
        grouped=".grouped",
        on_group=lambda card, under: calls.append(("group", card, under)),
        on_ungroup=lambda card: calls.append(("ungroup", card)),
        hint="Drag a card",
    )


def drop(widget: CardDrag, content: Any) -> None:
    """What card_drag.js's ``model.send`` delivers to the kernel."""
    widget._handle_custom_msg(content, [])


def test_drops_call_back_with_the_cards_ids() -> None:
    calls: list[tuple[Any, ...]] = []
    widget = drag_widget(calls)
    widget.show([3, 5, 8])
    assert widget.cards == [3, 5, 8] and "cpmkit-card-drag" in widget._dom_classes
    drop(widget, {"group": [5, 3]})
    drop(widget, {"ungroup": 8})
    assert calls == [("group", 5, 3), ("ungroup", 8)]


@pytest.mark.parametrize(
    "content",
    [
        {"group": [5, 9]},  # a card the widget does not offer (another board's, or removed)
        {"group": [5]},
        {"group": ["5", 3]},
        {"group": [True, 3]},
        {"ungroup": None},
        {"ungroup": 9},
        {"other": 1},
        "group",
        [5, 3],
    ],
)
def test_a_drop_of_cards_not_offered_or_a_malformed_message_is_ignored(content: Any) -> None:
    calls: list[tuple[Any, ...]] = []
    widget = drag_widget(calls)
    widget.show([3, 5])
    drop(widget, content)
    assert calls == []


def test_nothing_is_offered_until_shown_and_the_script_writes_no_markup() -> None:
    calls: list[tuple[Any, ...]] = []
    widget = drag_widget(calls)
    drop(widget, {"group": [5, 3]})
    assert calls == [] and widget.cards == []
    assert "innerHTML" not in widget._esm and "textContent" in widget._esm


def test_cards_drag_only_with_a_mouse_on_a_screen_wider_than_cpmkit_css_phones() -> None:
    """One media query, from Python, for the script and the style: the phone layout's breakpoint
    (cpmkit.css) plus a mouse or touchpad, so a tablet's finger never starts a drag."""
    phones = "@media (max-width: 600px)"
    assert phones in resources.files("cpmkit.ui").joinpath("cpmkit.css").read_text(encoding="utf-8")
    assert MOUSE_SCREEN == "(min-width: 601px) and (hover: hover) and (pointer: fine)"
    widget = drag_widget([])
    assert widget.screen == MOUSE_SCREEN and widget.group == ".group"
    assert f"@media not all and {MOUSE_SCREEN} " in str(widget._css)
    assert "width" not in widget._esm  # the script asks `screen`, it has no breakpoint of its own
