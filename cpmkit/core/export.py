"""Workbook tables as files people open in a spreadsheet: CSV and XLSX, as bytes; as an
escaped HTML table, for a page or a report saved as HTML; and user text made inert in a
Markdown report (a lessons register, a retrospective's summary).

Text that a spreadsheet would run as a formula (starting with =, +, - or @) cannot become
one on someone's machine (CSV injection): a CSV cell gets an apostrophe in front; an XLSX cell
keeps the user's exact text, stored as text and marked to stay text (``quotePrefix``, as
Excel's own leading apostrophe), which Excel, LibreOffice and Google Sheets show as typed and
never run.
"""

from __future__ import annotations

import datetime as dt
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

__all__ = [
    "CSV_MIME",
    "MARKDOWN_MIME",
    "XLSX_MIME",
    "heading",
    "markdown_text",
    "rows_html",
    "table_html",
    "to_csv",
    "to_xlsx",
]

#: The media type of what ``to_xlsx`` returns, for a download.
XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The media type of what ``to_csv`` returns, for a download.
CSV_MIME: Final = "text/csv"

#: The media type of a Markdown report, for a download.
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
    """Several tables as one XLSX workbook, a sheet each, ready to read: headings in words
    (``heading``) in a bold header row that stays in view, columns as wide as their content,
    dates as dates, numbers as numbers, and formula-like text kept as text."""
    from openpyxl import Workbook  # type: ignore[import-untyped]  # here: kernels that never export skip it

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, table in tables.items():
        sheet, n = name[:31], 1
        while sheet.casefold() in used:  # Excel limits names to 31 characters, case-insensitive
            n += 1
            sheet = f"{name[: 31 - len(str(n)) - 1]}~{n}"
        used.add(sheet.casefold())
        _write_sheet(book.create_sheet(sheet), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def heading(column: Any) -> str:
    """A column's name as a heading people read: ``current_engagement`` -> "Current engagement",
    ``nps`` -> "NPS"; a name already written for a reader ("Owner", "by when") only starts
    with a capital."""
    words = str(column).replace("_", " ").split(" ")
    text = " ".join(_ACRONYMS.get(word.casefold(), word) for word in words)
    return text[:1].upper() + text[1:]


#: Control characters XLSX cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, kept here so it loads only to write).
_ILLEGAL_IN_XLSX: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Words a heading writes in capitals.
_ACRONYMS: Final = {word.casefold(): word for word in ("ID", "NPS", "PM", "URL", "KPI", "RACI", "CSV", "XLSX")}
#: How wide a column may grow, in characters: longer text wraps in the cell instead.
_MAX_WIDTH: Final = 60
_DATE_FORMAT: Final = "yyyy-mm-dd"
_DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"


def _write_sheet(sheet: Any, table: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    headings = [_xlsx_value(heading(c)) for c in table.columns]
    sheet.append(headings)
    widths = [len(h) for h in headings]
    for row in table.itertuples(index=False, name=None):
        sheet.append([_xlsx_value(v) for v in row])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=1):  # headings too: a column may be named by user text
        for cell in row:
            value = cell.value
            if isinstance(value, dt.datetime):
                cell.number_format = _DATETIME_FORMAT
                shown = len(_DATETIME_FORMAT)
            elif isinstance(value, dt.date):
                cell.number_format = _DATE_FORMAT
                shown = len(_DATE_FORMAT)
            elif isinstance(value, str):
                if _FORMULA_START.match(value):
                    cell.data_type = "s"  # never a formula (openpyxl makes "=..." one)
                    cell.quotePrefix = True  # and still text when someone edits the cell
                shown = max((len(line) for line in value.splitlines()), default=0)
                if shown > _MAX_WIDTH or "\n" in value:
                    cell.alignment = wrap
            else:
                shown = len(str(value)) if value is not None else 0
            widths[cell.column - 1] = max(widths[cell.column - 1], shown)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, _MAX_WIDTH) + 2


def _xlsx_value(value: Any) -> Any:
    """A cell's value as openpyxl writes it: NumPy and pandas scalars as Python's, a missing value
    as an empty cell, a date-time without its time zone (Excel has none)."""
    if value is None or (not isinstance(value, (str, list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy.int64 and the like
    if isinstance(value, str):
        # A vertical tab is a line break in some spreadsheets' exports; other control characters
        # cannot be written to XLSX at all (openpyxl refuses the whole file), so they are dropped.
        return _ILLEGAL_IN_XLSX.sub("", value.replace("\x0b", "\n"))
    if isinstance(value, (int, float, bool, dt.date, dt.time, dt.timedelta)) or value is None:
        return value
    return _xlsx_value(str(value))


def _neutralise(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with an apostrophe before each text a spreadsheet would run as a formula (CSV)."""
    safe = table.rename(columns=lambda c: "'" + c if isinstance(c, str) and _FORMULA_START.match(c) else c)
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
