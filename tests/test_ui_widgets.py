"""Unit tests of cpmkit.ui.widgets.replace_children: a redraw closes what it replaces, in the
kernel (ipywidgets' registry) and so in the page, and keeps what it shows again."""

from __future__ import annotations

import ipywidgets as W
from ipywidgets.widgets.widget import _instances

from cpmkit.ui.widgets import replace_children


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
