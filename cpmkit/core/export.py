"""Workbook tables as files people open in a spreadsheet: CSV and XLSX, as bytes; as an
escaped HTML table, for a page or a report saved as HTML; and user text made inert in a
Markdown report (a lessons register, a retrospective's summary).

Cells that a spreadsheet would run as a formula (text starting with =, +, - or @) are
prefixed with an apostrophe, so a stakeholder name cannot become a formula on someone's
machine (CSV injection).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import blank

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = ["MARKDOWN_MIME", "XLSX_MIME", "markdown_text", "rows_html", "table_html", "to_csv", "to_xlsx"]

#: The media type of what ``to_xlsx`` returns, for a download link.
XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The media type of a Markdown report, for a download link.
MARKDOWN_MIME: Final = "text/markdown"

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
#: Characters that make Markdown markup anywhere in a line (links, images, emphasis, code, HTML, entities, tables).
_MARKUP = re.compile(r"([\\`*_\[\]()<>!|~&#])")
#: What makes markup at the start of a line: a list item or heading underline; a numbered item.
_LINE_START = re.compile(r"^[-+=]")
_NUMBERED = re.compile(r"^(\d+)\.")


def table_html(frame: pd.DataFrame, *, columns: Mapping[str, str], empty: str = "Nothing to show yet.") -> str:
    """``frame``'s ``columns`` (name -> heading) as an escaped HTML table: for a page, or a report
    saved as HTML."""
    if frame.empty:
        return f'<p class="cpmkit-help">{html.escape(empty)}</p>'
    shown = frame[list(columns)].rename(columns=columns)
    shown = shown.astype(object).where(shown.notna(), "")  # na_rep misses pandas' NA in nullable columns
    return shown.to_html(index=False, escape=True, na_rep="", classes="cpmkit-table", border=0)


def rows_html(
    rows: Sequence[Mapping[str, Any]], *, columns: Mapping[str, str], empty: str = "Nothing to show yet."
) -> str:
    """Rows of text already written for a reader (figures formatted) as ``table_html``'s escaped
    table, with no DataFrame: what a participant's page shows (a forked kernel's first frame
    copies 6 MB of the zygote's memory). A frame's figures are formatted by ``table_html``."""
    if not rows:
        return f'<p class="cpmkit-help">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(heading, quote=False)}</th>" for heading in columns.values())
    body = "".join(  # as table_html: in a cell's text, quotes are harmless
        "<tr>" + "".join(f"<td>{_cell(row[name])}</td>" for name in columns) + "</tr>" for row in rows
    )
    return f'<table class="cpmkit-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value), quote=False)


def to_csv(table: pd.DataFrame) -> bytes:
    """One table as UTF-8 CSV with a byte-order mark, which Excel needs to read accents right."""
    return _neutralise(table).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Several tables as one XLSX workbook, a sheet each."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            sheet, n = name[:31], 1
            while sheet.casefold() in used:  # Excel limits names to 31 characters, case-insensitive
                n += 1
                sheet = f"{name[: 31 - len(str(n)) - 1]}~{n}"
            used.add(sheet.casefold())
            _neutralise(table).to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def _neutralise(table: pd.DataFrame) -> pd.DataFrame:
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA_START.match(v) else v)
    return safe


def markdown_text(value: Any) -> str:
    """User text made inert in Markdown: markup characters backslash-escaped (so a lesson
    cannot add a link, an image or HTML to a rendered register), each line trimmed, lines
    joined with hard line breaks and blank lines dropped (so text cannot start a new block)."""
    if blank(value):
        return "—"
    lines = [line.strip() for line in str(value).splitlines() if line.strip()]
    escaped = (_MARKUP.sub(r"\\\1", line) for line in lines)
    return "\\\n".join(_NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\\\g<0>", line)) for line in escaped)
