"""Unit tests of cpmkit.ui.widgets.replace_children: a redraw closes what it replaces, in the
kernel (ipywidgets' registry) and so in the page, and keeps what it shows again."""

from __future__ import annotations

import ipywidgets as W
from ipywidgets.widgets.widget import _instances

from cpmkit.errors import ValidationError
from cpmkit.ui.widgets import OUT_OF_MEMORY, UNEXPECTED, guard, message_area, replace_children


def _row(text: str) -> W.HBox:
    return W.HBox([W.Button(description=text, layout=W.Layout(width="auto")), W.HTML(text)])


def _open(widget: W.Widget) -> bool:
    return widget.model_id in _instances if widget.comm is not None else False


def test_replaced_widgets_are_closed_with_their_parts() -> None:
    box = W.VBox()
    old = _row("old")
    button, text = old.children
    replace_children(box, [old])
    replace_children(box, [_row("new")])
    closed = [old, button, text, button.layout, button.style, text.style, old.layout]
    assert not any(_open(widget) for widget in closed)
    assert [child.children[1].value for child in box.children] == ["new"]


def test_widgets_shown_again_stay_open() -> None:
    box = W.VBox()
    header, kept, dropped = W.HTML("header"), _row("kept"), _row("dropped")
    replace_children(box, [header, kept, dropped])
    replace_children(box, [header, kept, _row("added")])
    assert all(_open(widget) for widget in (header, kept, *kept.children, kept.children[0].layout))
    assert not _open(dropped) and not any(_open(child) for child in dropped.children)


def test_a_redraw_loop_leaves_the_widget_count_flat() -> None:
    box = W.VBox()
    replace_children(box, [_row(f"row {n}") for n in range(20)])
    before = len(_instances)
    for redraw in range(10):
        replace_children(box, [_row(f"row {n} ({redraw})") for n in range(20)])
    assert len(_instances) == before


def test_guard_shows_a_cpmkit_error_as_it_is() -> None:
    area = message_area()
    with guard(area):
        raise ValidationError("Power: must be 1 to 5.")
    assert area.value == '<div class="cpmkit-message-error">Power: must be 1 to 5.</div>'


def test_guard_turns_anything_else_into_a_plain_apology() -> None:
    area = message_area()
    with guard(area):
        raise KeyError("/srv/app/secret.py")
    assert area.value == f'<div class="cpmkit-message-error">{UNEXPECTED}</div>'


def test_guard_says_when_the_page_ran_out_of_memory() -> None:
    area = message_area()
    with guard(area):
        raise MemoryError
    assert area.value == f'<div class="cpmkit-message-error">{OUT_OF_MEMORY}</div>'
    assert OUT_OF_MEMORY.startswith("This page ran out of memory")
    with guard(area):
        pass
    assert area.value == ""  # the next action that works clears it
