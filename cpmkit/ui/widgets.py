"""Small widget helpers every workbook uses: messages next to fields, escaped tables,
links shown once (with a Copy button and a QR code), the guard that turns errors into plain messages, and
redraws that leave nothing behind.

Whatever a user typed reaches the page through ``html.escape`` (or a text-only widget),
never as markup.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from importlib import resources
from typing import Any, Final, TypeAlias, TypeVar

import ipywidgets as W
from ipywidgets.widgets.widget_description import DescriptionWidget

from cpmkit.core.export import table_html
from cpmkit.core.qr import qr_svg
from cpmkit.errors import CpmkitError
from cpmkit.ui.copy_button import CopyButton

__all__ = [
    "NAMED",
    "NOT_SHOWN_AGAIN",
    "SHOWN_ONCE",
    "LinkShownOnce",
    "Links",
    "Loading",
    "MessageArea",
    "ask_to_confirm",
    "copy_buttons",
    "failure_message",
    "field",
    "fluid",
    "guard",
    "keep_links",
    "link_html",
    "message_area",
    "named",
    "qr_html",
    "replace_children",
    "scrolling_table",
    "stylesheet",
    "table_html",
    "widget_tree",
]

log = logging.getLogger("cpmkit")

Described = TypeVar("Described", bound=DescriptionWidget)

#: Said under a link whose secret the store keeps only scrambled, when it is shown.
SHOWN_ONCE: Final = "Copy this link now: for safety it is stored scrambled and cannot be shown again."
#: Said in place of such a link made before.
NOT_SHOWN_AGAIN: Final = (
    "A link was made before; for safety it is stored scrambled and cannot be shown again. "
    "If it was lost, make a new one (the old one then stops working)."
)
_REPLACE: Final = "Make a new link? The old link stops working: whoever has it must be sent the new one."


class Loading:
    """True while a form puts saved values into its widgets, so the observers that save a
    person's edits ignore what the code itself set: ``with self.loading: ...`` around the
    loading, ``if self.loading: return`` in the observer. One switch for every form."""

    def __init__(self) -> None:
        self._depth = 0

    def __bool__(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> None:
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1


#: What a ``LinkShownOnce`` shows: one link's address, or several links made together, by label.
Links: TypeAlias = str | Mapping[str, str]

UNEXPECTED = "Something went wrong and this change was not saved. Everything saved before is safe; please try again."
#: A kernel over its memory limit (CPMKIT_KERNEL_MEMORY_MB) raises MemoryError.
OUT_OF_MEMORY = (
    "This page ran out of memory and this change was not saved. Everything saved before is safe; "
    "reload the page to continue."
)


def replace_children(box: W.Box, children: Sequence[W.Widget]) -> None:
    """Show ``children`` in ``box`` and close the widgets they replace (with their children,
    layouts and styles), except any that ``children`` still hold.

    ipywidgets keeps every widget, in the kernel and in the page, until it is closed, so a
    list rebuilt on each redraw (a live retrospective board redraws on every card and vote)
    would otherwise pile up thousands of dead widgets in both.
    """
    kept = {id(widget) for widget in widget_tree(children)}
    replaced = [widget for widget in widget_tree(box.children) if id(widget) not in kept]
    box.children = tuple(children)
    for widget in replaced:
        widget.close()


def widget_tree(widgets: Iterable[W.Widget]) -> Iterator[W.Widget]:
    """Each widget, the widgets that style and lay it out, and all it contains, depth first."""
    for widget in widgets:
        yield widget
        for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
            if isinstance(part, W.Widget):
                yield part
        yield from widget_tree(getattr(widget, "children", ()))


def stylesheet() -> W.HTML:
    """The shared CSS, as a widget placed once at the top of an app."""
    css = resources.files("cpmkit.ui").joinpath("cpmkit.css").read_text(encoding="utf-8")
    return W.HTML(f"<style>{css}</style>", layout=W.Layout(display="none"))


class MessageArea(W.HTML):  # type: ignore[misc]
    """One HTML line for a message (escaped); for a field it also carries the field's label
    and help sentence, so a labelled input costs the page three widgets, not five."""

    def __init__(self, *, label: str = "", help_text: str = "", **widget: Any) -> None:
        """``widget`` goes to the HTML widget (e.g. a ``layout`` and ``style`` shared with others)."""
        header = "".join(
            [
                f"<b>{html.escape(label)}</b>" if label else "",
                f'<p class="cpmkit-help">{html.escape(help_text)}</p>' if help_text else "",
            ]
        )
        super().__init__(value=header, **widget)  # drawn whole when built: a change after costs a message
        self.label = label
        self._header = header

    def say(self, text: str, *, ok: bool = False) -> None:
        """Show ``text`` (escaped) under the label; an empty text clears the message."""
        kind = "ok" if ok else "error"
        message = f'<div class="cpmkit-message-{kind}">{html.escape(text)}</div>' if text else ""
        self.value = self._header + message


def message_area() -> MessageArea:
    """An empty place for a message about an action."""
    return MessageArea()


@contextmanager
def guard(area: MessageArea) -> Iterator[None]:
    """Run a user action; a CpmkitError shows its message, running out of memory says so,
    anything else a plain apology.

    Nothing propagates, so Voila never shows a traceback.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 (failure_message logs what is unexpected)
        area.say(failure_message(exc))
    else:
        area.say("")


def failure_message(exc: Exception, *, unexpected: str = UNEXPECTED) -> str:
    """What a user is told of ``exc``, raised by their action (call it where it is caught): a
    CpmkitError's own message; running out of memory, said so; anything else, logged with its
    traceback, and ``unexpected``."""
    if isinstance(exc, CpmkitError):
        return str(exc)
    if isinstance(exc, MemoryError):
        # No traceback: formatting one needs memory, and what ran out is all there is to say.
        log.error("a cpmkit widget callback ran out of memory (CPMKIT_KERNEL_MEMORY_MB)")
        return OUT_OF_MEMORY
    log.exception("unexpected error in a cpmkit widget callback")
    return unexpected


def scrolling_table(table: str, *, name: str = "Table") -> str:
    """A wide table (HTML) that scrolls sideways inside its own box, not the page; the box takes
    the keyboard's focus, so it can be scrolled without a mouse, and is named for a screen reader."""
    return f'<div class="cpmkit-table-scroll" role="region" tabindex="0" aria-label="{html.escape(name)}">{table}</div>'


#: The class of a control named by its description, which only a screen reader shows (``named``).
NAMED: Final = "cpmkit-named"


def named(control: Described, name: str) -> Described:
    """Give ``control`` the accessible name ``name`` without showing it twice: for a control whose
    name the page already shows nearby (a field's heading, a question, a column's title).

    The name is the widget's own description, so its <label> names the input for a screen
    reader; the class ``NAMED`` hides that label from the eye only (cpmkit.css). A control built
    many times a page is given both when built instead (``description=name``, ``NAMED`` among its
    ``_dom_classes``): each change after costs the page a message.
    """
    control.description = name
    control.add_class(NAMED)
    return control


def field(control: W.Widget, area: MessageArea) -> W.VBox:
    """An input under its label, help and message line (``area``, built with the label); an
    input without a description of its own is named by that label (see ``named``)."""
    if area.label and isinstance(control, DescriptionWidget) and not control.description:
        named(control, area.label)
    return W.VBox([area, control], layout=W.Layout(margin="0 12px 4px 0"))


def fluid(width: str, **layout: str) -> W.Layout:
    """A layout ``width`` wide at most that narrows with the screen, so a phone never scrolls sideways."""
    return W.Layout(width="100%", max_width=width, **layout)


def ask_to_confirm(box: W.Box, question: str, *, yes: str, on_yes: Callable[[], None]) -> None:
    """Put ``question`` in ``box`` with a red ``yes`` button and Cancel, for a step that cannot
    be undone; Cancel empties the box, ``yes`` calls ``on_yes``."""
    confirm = W.Button(description=yes, button_style="danger")
    cancel = W.Button(description="Cancel")
    confirm.on_click(lambda _: on_yes())
    cancel.on_click(lambda _: replace_children(box, []))
    replace_children(box, [W.Label(question), confirm, cancel])


def link_html(href: str, *, css_class: str = "cpmkit-link") -> str:
    """An escaped link that opens in a new tab and shows its own address, so it can be copied."""
    escaped = html.escape(href)
    return f'<a href="{escaped}" target="_blank" class="{html.escape(css_class)}">{escaped}</a>'


def qr_html(href: str, *, css_class: str = "cpmkit-qr-box") -> str:
    """``href`` as a QR code a phone can scan, drawn offline (``cpmkit.core.qr``); the SVG
    carries no text of the link, only its modules, so it is safe to embed."""
    return (
        f'<div class="{html.escape(css_class)}" role="img" aria-label="QR code of {html.escape(href)}">'
        f"{qr_svg(href)}</div>"
    )


def copy_buttons(hrefs: Mapping[str, str]) -> list[CopyButton]:
    """A Copy button for each link of ``hrefs`` (by label; "" for a single link)."""
    return [CopyButton(href, label=f"Copy {label.lower()}" if label else "Copy link") for label, href in hrefs.items()]


class LinkShownOnce:
    """A link whose secret the store keeps only scrambled (``cpmkit.core.links``): it is shown
    once, when it is made, with ``SHOWN_ONCE`` under it; later only ``NOT_SHOWN_AGAIN``. Its
    button makes a new one with ``make()`` (which returns the new link's address, or several
    links made together by label) and shows it once; replacing a link asks first, since the
    old one stops working.

    ``exists`` says whether a link was made before; ``css_class`` marks the shown links.
    """

    def __init__(self, make: Callable[[], Links], *, exists: bool = True, css_class: str = "cpmkit-link") -> None:
        self.make, self.exists, self.css_class = make, exists, css_class
        self.hrefs: dict[str, str] = {}  # what is shown, by label ("" for a single link)
        self.text = W.HTML(layout=W.Layout(flex="0 1 auto"))
        self.copies = W.HBox(layout=W.Layout(flex_flow="row wrap", grid_gap="6px"))
        self.button = W.Button(icon="refresh", layout=W.Layout(width="auto", flex="0 0 auto"))
        self.confirm = W.HBox()
        self.message = message_area()
        self.button.on_click(lambda _b: self._ask())
        self.widget = W.VBox(
            [
                W.HBox([self.text, self.button], layout=W.Layout(align_items="center", grid_gap="8px")),
                self.copies,
                self.confirm,
                self.message,
            ]
        )
        self.widget.add_class("cpmkit-link-once")
        self._draw(None, once=False)

    @property
    def href(self) -> str | None:
        """The (first) link shown; None when none is."""
        return next(iter(self.hrefs.values()), None)

    def show(self, links: Links, *, once: bool = True) -> None:
        """Show ``links``; ``once`` adds ``SHOWN_ONCE`` (not for the link the page was opened
        with, which its reader has already)."""
        self.exists = True
        self._draw(links, once=once)

    def renew(self) -> None:
        """Make a new link now and show it once; the old one, if any, stops working."""
        replace_children(self.confirm, [])
        with guard(self.message):
            self.show(self.make())

    def _ask(self) -> None:
        if not self.exists:
            self.renew()
            return
        ask_to_confirm(self.confirm, _REPLACE, yes="Make a new link", on_yes=self.renew)

    def _draw(self, links: Links | None, *, once: bool) -> None:
        self.hrefs = {"": links} if isinstance(links, str) else dict(links or {})
        self.button.description = "New link" if self.exists else "Make the link"
        self.button.tooltip = "Make a new link; the old one stops working" if self.exists else ""
        replace_children(self.copies, copy_buttons(self.hrefs))
        if not self.hrefs:
            self.text.value = (
                f'<span class="cpmkit-help">{html.escape(NOT_SHOWN_AGAIN if self.exists else "No link yet.")}</span>'
            )
            return
        shown = "".join(
            f"<div>{html.escape(label) + ': ' if label else ''}{link_html(href, css_class=self.css_class)}"
            f"{qr_html(href)}</div>"
            for label, href in self.hrefs.items()
        )
        note = f'<div class="cpmkit-help cpmkit-link-note">{html.escape(SHOWN_ONCE)}</div>' if once else ""
        self.text.value = shown + note


def keep_links(
    links: dict[int, LinkShownOnce],
    ids: Iterable[int],
    make: Callable[[int], Links],
    *,
    made: Container[int] | None = None,
    css_class: str = "cpmkit-link",
) -> None:
    """Keep ``links`` to one ``LinkShownOnce`` per id of ``ids`` (a stakeholder, a round, a
    board), for a list redrawn as its rows change: an id new to it gets one whose button calls
    ``make(id)``, made before if it is in ``made`` (default: every id); an id gone is dropped;
    the others are kept as they are, so a link shown stays shown until the page is left."""
    wanted = list(ids)
    for gone in set(links) - set(wanted):
        del links[gone]
    for key in wanted:
        if key not in links:
            links[key] = LinkShownOnce(partial(make, key), exists=made is None or key in made, css_class=css_class)
