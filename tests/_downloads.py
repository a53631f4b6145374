"""Download buttons clicked as the page clicks them (``download.js`` sends ``{"download": true}``),
for tests that read the files a panel offers. A module of its own, imported by the UI tests."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from cpmkit.ui.download import DownloadButton


def click(button: DownloadButton) -> tuple[dict[str, Any], list[bytes]]:
    """What the kernel sends the page when ``button`` is clicked: the message and its buffers."""
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    button.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    try:
        button._handle_custom_msg({"download": True}, [])
    finally:
        del button.send
    assert len(sent) == 1, sent
    return sent[0]


def buttons(widget: W.Widget) -> list[DownloadButton]:
    """Every download button in ``widget``'s tree, in order."""
    if isinstance(widget, DownloadButton):
        return [widget]
    return [found for child in getattr(widget, "children", ()) for found in buttons(child)]


def files(widget: W.Widget) -> dict[str, bytes]:
    """The files ``widget``'s download buttons download when clicked, by file name."""
    made: dict[str, bytes] = {}
    for button in buttons(widget):
        message, data = click(button)
        assert "failed" not in message, message
        made[message["filename"]] = data[0]
    return made
