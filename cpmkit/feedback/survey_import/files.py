"""Reading a survey export from the bytes of an uploaded file into a table of text cells.

Handles what Google Forms, Microsoft Forms and SurveyMonkey write: CSV in UTF-8 (with or
without a byte-order mark), Windows cp1252 or UTF-16, separated by commas, semicolons or
tabs, with line breaks inside quoted cells; XLSX workbooks; SurveyMonkey's second heading
row ("Response", "Open-Ended Response", or the option of a multiple-choice question).

Rows are numbered as a spreadsheet shows them: the heading is row 1 (SurveyMonkey's two are
rows 1 and 2), and a cell with line breaks is still one row. Blank rows are left out.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.xlsx import (
    MAX_COMPRESSION_RATIO,
    MAX_SHARED_STRINGS_BYTES,
    MAX_WORKBOOK_UNZIPPED_BYTES,
    part_extents,
    too_many_cells,
    zip_problem,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = deferred_module("numpy")
    pd = deferred_module("pandas")

__all__ = [
    "CHUNK_ROWS",
    "MAX_COMPRESSION_RATIO",
    "MAX_FILE_BYTES",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_WORKBOOK_CELLS",
    "MAX_WORKBOOK_UNZIPPED_BYTES",
    "Progress",
    "SurveyTable",
    "read_survey",
]

#: Called as ``progress(done, total)`` while a long step runs; only the ratio matters.
Progress = Callable[[int, int], None]

#: Larger files are refused before reading. Time and memory grow linearly: a 50 MB CSV
#: (420,000 answers) reads and imports in about 3.6 s on 2 cores, with about 4.5 times its
#: size in memory on top of the bytes (tests/test_feedback_import.py measures it); 100 MB takes
#: about 7 s and a kernel peaks near 650 MB, still fair beside the other kernels of a server.
MAX_FILE_BYTES: Final = 100 * 1024 * 1024
#: Workbooks with more cells are refused before reading: rows x columns as the sheet's own
#: dimensions say, and as openpyxl will give them (which can be far more: it pads up to the
#: highest row number named), counted first by streaming the sheet's XML. openpyxl reads about
#: 70,000 cells a second, so this is about 15 s. The same data saved as CSV reads some 30 times faster.
MAX_WORKBOOK_CELLS: Final = 1_000_000

_TEXT_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
_WORKBOOK_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
_SUFFIX_HINTS: Final = {
    ".zip": "it is a zip archive (SurveyMonkey sends its exports zipped): unzip it and choose the CSV or XLSX file inside.",
    ".xls": "it is an old-style Excel file: open it in Excel and save it as .xlsx or CSV.",
}
#: Likely names of the sheet holding the answers (Microsoft Forms "Sheet1", Google "Form Responses 1").
_ANSWER_SHEET = re.compile(r"(sheet|form|form responses|responses)\s*\d*", re.IGNORECASE)
#: SurveyMonkey's second heading row marks single-answer questions with these words.
_SUB_HEADINGS: Final = frozenset({"response", "open-ended response"})
#: Longer cells are not folded to compare with _SUB_HEADINGS: casefold() of a 50 MB cell took 750 MB.
_SUB_HEADING_CHARS: Final = max(map(len, _SUB_HEADINGS))
_DELIMITERS: Final = (",", ";", "\t")
_SAMPLE_BYTES: Final = 64 * 1024
_DECODE_BLOCK: Final = 1024 * 1024
#: Rows read, and rows converted, between two calls of ``progress``.
CHUNK_ROWS: Final = 20_000
_TOO_MANY_CELLS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_BLANK: Final = b" \t\r\n" + codecs.BOM_UTF8
_EMPTY: Final = "the file is empty."
_NOT_TEXT: Final = (
    "this is not a CSV text file: it holds binary data, like an image, or an Excel workbook renamed .csv."
    " Export the survey answers again as CSV or XLSX."
)


@dataclass(frozen=True)
class SurveyTable:
    """A survey export as read: a text column per heading, cells stripped ('' when empty).

    ``cells`` is indexed by row number, as described in the module docstring. ``encoding``
    and ``delimiter`` say how a CSV was read; ``sheet`` which sheet of a workbook.
    """

    filename: str
    cells: pd.DataFrame
    header_rows: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.cells.columns]


def read_survey(data: bytes, filename: str, *, progress: Progress | None = None) -> SurveyTable:
    """Read an uploaded CSV or XLSX export; a ValidationError names the file and what is wrong.

    ``progress`` is called as the file is read (bytes for CSV, rows for a workbook).
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in _TEXT_SUFFIXES | _WORKBOOK_SUFFIXES:
        hint = _SUFFIX_HINTS.get(suffix, "choose a CSV file or an Excel workbook (.xlsx).")
        raise _refused(filename, f"cpmkit cannot read this kind of file: {hint}")
    if len(data) > MAX_FILE_BYTES:
        raise _refused(
            filename,
            f"the file is {len(data) / 2**20:.0f} MB; cpmkit imports files of up to {MAX_FILE_BYTES // 2**20} MB."
            " Split the export by date, or leave out columns you do not need.",
        )
    if len(data) < _SAMPLE_BYTES and not data.strip(_BLANK):
        raise _refused(filename, _EMPTY)
    if suffix in _WORKBOOK_SUFFIXES:
        raw, sheet = _read_workbook(data, filename, progress)
        return _table(raw, filename, sheet=sheet)
    raw, encoding, delimiter = _read_text(data, filename, progress)
    return _table(raw, filename, encoding=encoding, delimiter=delimiter)


def _refused(filename: str, problem: str) -> ValidationError:
    return ValidationError(f"{filename}: {problem}", field="file", value=filename)


# -- CSV -----------------------------------------------------------------------------------------


def _read_text(data: bytes, filename: str, progress: Progress | None) -> tuple[pd.DataFrame, str, str]:
    encoding = _encoding(data, filename)
    delimiter = _delimiter(codecs.getincrementaldecoder(encoding)().decode(data[:_SAMPLE_BYTES]))
    buffer = io.BytesIO(data)
    chunks = []
    try:
        with pd.read_csv(
            buffer,
            sep=delimiter,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            chunksize=CHUNK_ROWS,
        ) as reader:
            for chunk in reader:
                chunks.append(chunk)
                if progress is not None:
                    progress(buffer.tell(), len(data))
    except pd.errors.ParserError as exc:
        found = _TOO_MANY_CELLS.search(str(exc))
        detail = (
            f"row {found[2]} has {found[3]} cells but the heading row has {found[1]}"
            if found
            else "it is not laid out as rows and columns"
        )
        raise _refused(filename, f"the file cannot be read as a table: {detail}.") from exc
    except pd.errors.EmptyDataError as exc:
        raise _refused(filename, _EMPTY) from exc
    return pd.concat(chunks, ignore_index=True), encoding, delimiter


def _encoding(data: bytes, filename: str) -> str:
    """UTF-16 when marked so, else the first of UTF-8 (BOM or not) and cp1252 that decodes it all;
    refused when the one it must be does not (UTF-16 cut short by a byte, or with half a character)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data[:_SAMPLE_BYTES]:
        raise _refused(filename, _NOT_TEXT)
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        view = memoryview(data)
        try:
            for start in range(0, len(data), _DECODE_BLOCK):
                decoder.decode(view[start : start + _DECODE_BLOCK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refused(filename, _NOT_TEXT)


def _delimiter(sample: str) -> str:
    """The separator that gives the heading most cells and the next rows the same number."""

    def score(delimiter: str) -> tuple[bool, int]:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row][:20]
        complete = rows[:-1] or rows  # the sample may end inside the last row
        return all(len(row) == len(complete[0]) for row in complete), len(complete[0])

    try:
        return max(_DELIMITERS, key=score)
    except (csv.Error, IndexError):
        return ","


# -- XLSX ----------------------------------------------------------------------------------------


def _read_workbook(data: bytes, filename: str, progress: Progress | None) -> tuple[pd.DataFrame, str]:
    import openpyxl  # type: ignore[import-untyped]  # here, not at the top: 0.1 s less for kernels that never read a workbook

    damaged = "the workbook cannot be opened: it may be damaged or only partly downloaded. Download it again."
    rows: list[list[str]] = []
    # openpyxl warns about styles and extensions that real exports use; none matter to the answers.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:  # before openpyxl: see survey_import.xlsx
                checked = zip_problem(archive) or part_extents(archive, max_cells=MAX_WORKBOOK_CELLS)
            if isinstance(checked, str):
                raise _refused(filename, checked)
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except ValidationError:
            raise
        except Exception as exc:  # openpyxl raises a dozen types (BadZipFile, KeyError, ParseError...)
            raise _refused(filename, damaged) from exc
        try:
            sheet = book[_answer_sheet(book.sheetnames)]
            _check_cells(filename, sheet.title, sheet.max_row or 0, sheet.max_column or 0)  # as its <dimension> says
            # rows as counted (openpyxl's path of the part is set in ReadOnlyWorksheet.__init__), or padded up to <dimension>
            total = max(checked[sheet._worksheet_path], sheet.max_row or 0)
            for row in sheet.iter_rows(values_only=True):
                rows.append([_cell_text(value) for value in row])
                if progress is not None and len(rows) % CHUNK_ROWS == 0:
                    progress(len(rows), total)
        except ValidationError:
            raise
        except Exception as exc:  # a damaged zip member only shows while its rows are read
            raise _refused(filename, damaged) from exc
        finally:
            book.close()
    if progress is not None:
        progress(len(rows), len(rows))
    return pd.DataFrame(rows, dtype=object), sheet.title


def _check_cells(filename: str, sheet: str, rows: int, columns: int) -> None:
    problem = too_many_cells(f"the sheet {sheet!r}", rows, columns, max_cells=MAX_WORKBOOK_CELLS)
    if problem is not None:
        raise _refused(filename, problem)


def _answer_sheet(names: Sequence[str]) -> str:
    return next((name for name in names if _ANSWER_SHEET.fullmatch(name.strip())), names[0])


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold (dates in ISO form, 9.0 as 9)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# -- Both ----------------------------------------------------------------------------------------


def _table(
    raw: pd.DataFrame,
    filename: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> SurveyTable:
    # Stripped and tested as one array of cells, not column by column: a file of 10,000
    # columns took 7 s in pandas' per-column steps.
    texts = raw.to_numpy(dtype=object).ravel().tolist()
    grid = np.array([cell.strip() if isinstance(cell, str) else "" for cell in texts], dtype=object)
    grid = grid.reshape(raw.shape)
    filled = grid != ""
    if grid.size == 0 or not filled.any():
        raise _refused(filename, _EMPTY)
    header_rows = 2 if len(grid) > 1 and any(map(_is_sub_heading, grid[1].tolist())) else 1
    sub_headings = grid[1].tolist() if header_rows == 2 else None
    answered = filled[header_rows:].any(axis=1)
    if not answered.any():
        raise _refused(filename, "the file has column headings but no answers.")
    rows = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(answered), name="row")[answered]
    names = _column_names(grid[0].tolist(), sub_headings)
    cells = pd.DataFrame(grid[header_rows:][answered], index=rows, columns=names, dtype=str)
    return SurveyTable(filename, cells, header_rows, encoding, delimiter, sheet)


def _is_sub_heading(cell: str) -> bool:
    """Whether a cell of the second row is one of SurveyMonkey's words for a single-answer question."""
    return len(cell) <= _SUB_HEADING_CHARS and cell.casefold() in _SUB_HEADINGS


def _column_names(headings: list[str], sub_headings: list[str] | None) -> list[str]:
    """One unique name per column: the heading (SurveyMonkey's question, with the option under
    it when there is one), spaces collapsed; a blank heading is named by its column letter."""
    names: list[str] = []
    taken: set[str] = set()
    suffixes: dict[str, int] = {}
    question = ""
    for index, heading in enumerate(headings):
        question = heading or question  # SurveyMonkey leaves the cells after a question blank
        sub = sub_headings[index] if sub_headings is not None else ""
        if sub and not _is_sub_heading(sub):
            name = f"{question} - {sub}" if question else sub
        else:
            name = heading
        name = " ".join(name.split()) or f"Column {_column_letter(index + 1)}"
        unique, n = name, suffixes.get(name, 1)
        while unique in taken:  # from the last number given to this name: 10,000 alike stay linear
            n += 1
            unique = f"{name} ({n})"
        suffixes[name] = n
        taken.add(unique)
        names.append(unique)
    return names


def _column_letter(number: int) -> str:
    """The letters a spreadsheet shows above column ``number`` (1: A, 27: AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
