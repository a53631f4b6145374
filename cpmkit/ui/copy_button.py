"""A Copy button for a link, working offline (``copy_button.js``: the clipboard API where the
page is a secure context, a selected text area elsewhere, as on a LAN address over http)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import anywidget
import traitlets

__all__ = ["CopyButton"]


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the clipboard when clicked, and says so."""

    _esm = resources.files("cpmkit.ui").joinpath("copy_button.js").read_text(encoding="utf-8")
    text = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Copy link").tag(sync=True)

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(text=text, **kwargs)
        self.add_class("cpmkit-copy-button")
