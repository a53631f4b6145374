"""A key the browser keeps for a form, so the same person opening the same link again, in the
same browser, continues their answers instead of starting a second response."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any, Final

import anywidget
import traitlets

from cpmkit.core.links import new_browser_key

__all__ = ["KEY_PATTERN", "BrowserKey"]

#: What a key looks like (32 hex digits, as browser_key.js makes them); anything else is ignored.
KEY_PATTERN: Final = re.compile(r"[0-9a-f]{32}")


class BrowserKey(anywidget.AnyWidget):
    """Invisible; ``key`` arrives from the browser's localStorage entry ``name`` (made there on
    the first visit). ``renew()`` gives the browser a new key, for a fresh start."""

    _esm = resources.files("cpmkit.ui").joinpath("browser_key.js").read_text(encoding="utf-8")
    name = traitlets.Unicode().tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.add_class("cpmkit-browser-key")

    @property
    def valid_key(self) -> str | None:
        """The key, if it is one the browser could have made; None before it arrives."""
        return self.key if KEY_PATTERN.fullmatch(self.key) else None

    def renew(self) -> str:
        """A new key, kept by the browser from now on in place of the old one."""
        self.key = new_browser_key()
        return self.key
