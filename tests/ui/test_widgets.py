"""Unit tests of cpmkit.ui.widgets.replace_children: a redraw closes what it replaces, in the
kernel (ipywidgets' registry) and so in the page, and keeps what it shows again."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
from ipywidgets.widgets.widget import _instances

from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.ui.copy_button import CopyButton
from cpmkit.ui.widgets import (
    NOT_SHOWN_AGAIN,
    OUT_OF_MEMORY,
    SHOWN_ONCE,
    UNEXPECTED,
    LinkShownOnce,
    Loading,
    MessageArea,
    field,
    fluid,
    guard,
    message_area,
    named,
    qr_html,
    replace_children,
    scrolling_table,
)


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


def test_message_areas_can_share_one_layout_and_style() -> None:
    first = MessageArea(label="One")
    second = MessageArea(label="Two", layout=first.layout, style=first.style)
    assert second.layout is first.layout and second.style is first.style


# -- a link shown once ---------------------------------------------------------------------------


def _maker(*hrefs: str) -> tuple[list[str], Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        made.append(hrefs[len(made)])
        return made[-1]

    return made, make


def test_a_link_not_made_yet_is_made_at_once_and_shown_once() -> None:
    made, make = _maker("form.ipynb?survey=a&b=<c>")
    link = LinkShownOnce(make, exists=False)
    assert "No link yet." in link.text.value and link.button.description == "Make the link"
    link.button.click()
    assert made == ["form.ipynb?survey=a&b=<c>"] and link.href == made[0]
    assert 'href="form.ipynb?survey=a&amp;b=&lt;c&gt;"' in link.text.value and "<c>" not in link.text.value  # escaped
    assert SHOWN_ONCE in link.text.value and link.button.description == "New link"


def test_a_link_made_before_is_not_shown_and_replacing_it_asks_first() -> None:
    made, make = _maker("x?t=1", "x?t=2")
    link = LinkShownOnce(make)
    assert NOT_SHOWN_AGAIN in link.text.value and link.href is None
    link.button.click()
    question, _yes, cancel = link.confirm.children
    assert "The old link stops working" in question.value and made == []
    cancel.click()
    assert link.confirm.children == () and made == []
    link.button.click()
    link.confirm.children[1].click()
    assert made == ["x?t=1"] and link.href == "x?t=1" and link.confirm.children == ()
    link.button.click()
    link.confirm.children[1].click()
    assert link.href == "x?t=2" and SHOWN_ONCE in link.text.value


def test_the_link_a_page_was_opened_with_is_shown_without_the_note() -> None:
    link = LinkShownOnce(lambda: "unused")
    link.show("page.ipynb?token=abc", once=False)
    assert 'href="page.ipynb?token=abc"' in link.text.value and SHOWN_ONCE not in link.text.value


def test_a_link_that_cannot_be_made_says_why_and_keeps_what_was_shown() -> None:
    def refuse() -> str:
        raise NotFoundError("This stakeholder no longer exists.")

    link = LinkShownOnce(refuse, exists=False)
    link.button.click()
    assert "This stakeholder no longer exists." in link.message.value and "No link yet." in link.text.value


def test_links_made_together_are_shown_together_by_label() -> None:
    link = LinkShownOnce(
        lambda: {"Members' link": "b?board=t", "Facilitator's link": "b?board=t&facilitator=k"}, exists=False
    )
    link.button.click()
    assert link.hrefs == {"Members' link": "b?board=t", "Facilitator's link": "b?board=t&facilitator=k"}
    assert link.href == "b?board=t"
    assert "Members&#x27; link: <a" in link.text.value and 'href="b?board=t&amp;facilitator=k"' in link.text.value
    assert link.text.value.count(SHOWN_ONCE) == 1


def test_values_set_while_loading_are_not_saved_again() -> None:
    saved: list[str] = []
    loading = Loading()
    text = W.Text()
    text.observe(lambda change: None if loading else saved.append(change["new"]), "value")
    with loading:
        text.value = "from the store"
        with loading:  # a load inside a load (a list that reloads its editor)
            text.value = "still loading"
        text.value = "loaded"
    assert not loading and saved == []
    text.value = "typed"
    assert saved == ["typed"]


def test_a_fluid_width_is_at_most_its_width_and_narrows_with_the_screen() -> None:
    layout = fluid("420px", height="64px")
    assert (layout.width, layout.max_width, layout.height) == ("100%", "420px", "64px")


def test_each_link_shown_has_a_copy_button_and_a_qr_code_and_none_when_none_is_shown() -> None:
    links = {"Members' link": "http://h/b?board=t", "Facilitator's link": "http://h/b?board=t&k=<k>"}
    link = LinkShownOnce(lambda: links, exists=False)
    assert link.copies.children == () and "<svg" not in link.text.value
    link.button.click()
    copies = link.copies.children
    assert all(isinstance(c, CopyButton) for c in copies)
    assert [(c.label, c.text) for c in copies] == [
        ("Copy members' link", "http://h/b?board=t"),
        ("Copy facilitator's link", "http://h/b?board=t&k=<k>"),
    ]
    assert link.text.value.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "<k>" not in link.text.value and "<script" not in link.text.value  # escaped, nothing that runs
    assert qr_html("http://h/b?board=t") in link.text.value


def test_a_field_names_its_input_by_its_label_for_screen_readers_only() -> None:
    date = W.DatePicker()
    field(date, MessageArea(label="Last contact", help_text="When did you last speak?"))
    assert date.description == "Last contact" and "cpmkit-named" in date._dom_classes
    own = W.Dropdown(options=["a"], description="Round")
    field(own, MessageArea(label="Which round"))
    assert own.description == "Round" and "cpmkit-named" not in own._dom_classes  # its own, shown label stays
    box = field(W.HBox([W.Text()]), MessageArea(label="New round"))  # a row of inputs names each itself
    assert isinstance(box, W.VBox)
    assert named(W.Text(), "Owner").description == "Owner"


def test_a_wide_table_scrolls_in_a_named_box_the_keyboard_reaches() -> None:
    shown = scrolling_table("<table></table>", name="Plan <draft>")
    assert shown.startswith(
        '<div class="cpmkit-table-scroll" role="region" tabindex="0" aria-label="Plan &lt;draft&gt;">'
    )
    assert shown.endswith("<table></table></div>")
