"""Small widget helpers every workbook uses: messages next to fields, escaped tables,
download links, and the guard that turns errors into plain messages.

Whatever a user typed reaches the page through ``html.escape`` (or a text-only widget),
never as markup.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources

import ipywidgets as W
import pandas as pd

from cpmkit.errors import CpmkitError

__all__ = ["download_link", "field", "guard", "message_area", "show", "stylesheet", "table_html"]

log = logging.getLogger("cpmkit")

UNEXPECTED = "Something went wrong and this change was not saved. Everything saved before is safe; please try again."


def stylesheet() -> W.HTML:
    """The shared CSS, as a widget placed once at the top of an app."""
    css = resources.files("cpmkit.ui").joinpath("cpmkit.css").read_text(encoding="utf-8")
    return W.HTML(f"<style>{css}</style>", layout=W.Layout(display="none"))


def message_area() -> W.HTML:
    """An empty place for a message about one field or action."""
    return W.HTML("", layout=W.Layout(margin="0 0 4px 0"))


def show(area: W.HTML, text: str, *, ok: bool = False) -> None:
    """Show ``text`` (escaped) in a message area; an empty text clears it."""
    kind = "ok" if ok else "error"
    area.value = f'<span class="cpmkit-message-{kind}">{html.escape(text)}</span>' if text else ""


@contextmanager
def guard(area: W.HTML) -> Iterator[None]:
    """Run a user action; a CpmkitError shows its message, anything else a plain apology.

    Nothing propagates, so Voila never shows a traceback.
    """
    try:
        yield
    except CpmkitError as exc:
        show(area, str(exc))
    except Exception:
        log.exception("unexpected error in a cpmkit widget callback")
        show(area, UNEXPECTED)
    else:
        show(area, "")


def field(label: str, control: W.Widget, area: W.HTML, *, help_text: str | None = None) -> W.VBox:
    """A labelled input with its help sentence above it and its message area below."""
    parts: list[W.Widget] = [W.Label(label, style={"font_weight": "bold"})]
    if help_text:
        parts.append(W.HTML(f'<p class="cpmkit-help">{html.escape(help_text)}</p>'))
    parts += [control, area]
    return W.VBox(parts, layout=W.Layout(margin="0 12px 4px 0"))


def table_html(frame: pd.DataFrame, *, columns: Mapping[str, str], empty: str = "Nothing to show yet.") -> str:
    """``frame``'s ``columns`` (name -> heading) as an escaped HTML table."""
    if frame.empty:
        return f'<p class="cpmkit-help">{html.escape(empty)}</p>'
    shown = frame[list(columns)].rename(columns=columns)
    return shown.to_html(index=False, escape=True, na_rep="", classes="cpmkit-table", border=0)


def download_link(data: bytes, *, filename: str, mime: str, label: str) -> str:
    """A link that downloads ``data`` from the page itself: no server route, works offline."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{encoded}" '
        f'class="cpmkit-download">{html.escape(label)}</a>'
    )
