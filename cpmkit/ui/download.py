"""A button that downloads a file in one click, offline (``download.js``): clicked, the kernel
makes the file's bytes (only then: a page of downloads costs nothing until one is wanted) and
sends them to the page, which saves them under the file's name. No server route, no data link
in the page; a file that cannot be made is said in words next to the button."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets as W
import traitlets

from cpmkit.core import export
from cpmkit.ui.widgets import failure_message

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DownloadButton", "download_row", "table_downloads"]

#: Said when making a file failed for a reason the user cannot act on.
NOT_MADE = "The file could not be made. Everything saved is safe; please try again."


class DownloadButton(anywidget.AnyWidget):
    """A button reading ``label`` that downloads ``make()``'s bytes as ``filename`` (a name, or
    a function giving it at the click: a name that follows the project) of type ``mime``."""

    _esm = resources.files("cpmkit.ui").joinpath("download.js").read_text(encoding="utf-8")
    label = traitlets.Unicode("Download").tag(sync=True)

    def __init__(
        self, label: str, *, filename: str | Callable[[], str], mime: str, make: Callable[[], bytes], **kwargs: Any
    ) -> None:
        super().__init__(label=label, **kwargs)
        self.filename, self.mime, self.make = filename, mime, make
        self.add_class("cpmkit-download")
        self.on_msg(self._asked)

    def _asked(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The page's ``{"download": true}``: make the file and send it as one binary buffer,
        with its name and type; or ``{"failed": message}`` in plain words."""
        if content != {"download": True}:
            return
        try:
            name, data = self.file()
        except Exception as exc:  # noqa: BLE001 (failure_message logs what is unexpected)
            self.send({"failed": failure_message(exc, unexpected=NOT_MADE)})
        else:
            self.send({"filename": name, "mime": self.mime}, buffers=[data])

    def file(self) -> tuple[str, bytes]:
        """The file's name and bytes, made now."""
        return self.filename() if callable(self.filename) else self.filename, self.make()


def download_row(buttons: list[DownloadButton]) -> W.HBox:
    """Download buttons side by side, wrapping on a narrow screen."""
    row = W.HBox(buttons)
    row.add_class("cpmkit-downloads")
    return row


def table_downloads(
    tables: Callable[[], Mapping[str, pd.DataFrame]], *, sheets: Sequence[str], stem: str, label: str
) -> W.HBox:
    """Buttons for ``tables()`` (read at the click) as one XLSX workbook (``label``) and each of
    its ``sheets`` as a CSV file, named ``stem``.xlsx and ``stem``-<sheet>.csv."""
    buttons = [
        DownloadButton(label, filename=f"{stem}.xlsx", mime=export.XLSX_MIME, make=lambda: export.to_xlsx(tables()))
    ]
    buttons += [
        DownloadButton(
            f"{sheet.capitalize()} (CSV)",
            filename=f"{stem}-{sheet.replace(' ', '-')}.csv",
            mime=export.CSV_MIME,
            make=partial(_csv, tables, sheet),
        )
        for sheet in sheets
    ]
    return download_row(buttons)


def _csv(tables: Callable[[], Mapping[str, pd.DataFrame]], sheet: str) -> bytes:
    return export.to_csv(tables()[sheet])
