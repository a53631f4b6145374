"""An HTML table as a page shows it, for tests that read what a panel drew."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def read_table(markup: str) -> dict[str, list[str]]:
    """An HTML table as the page shows it: ``{heading: [cell text, ...]}`` (entities decoded)."""
    reader = _TableReader()
    reader.feed(markup)
    assert reader.rows, f"no table in {markup!r}"
    header, *rows = reader.rows
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}
