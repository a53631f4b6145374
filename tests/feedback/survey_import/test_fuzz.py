"""Fuzzed survey exports through the whole import: read_survey (files.py), then suggest_choices (the
mapping and the recodings, as the import panel suggests them) and apply_mapping on the pulse survey's import targets. Every input ends in an import or in a
CpmkitError with a plain message: never another exception, never a hang, never a memory blow-up.

Bounds, from files.py's and xlsx.py's documented limits:

* Time: a generated input (a few KB) is done in ``SMALL_SECONDS`` (it takes milliseconds); each
  large input in ``LARGE_SECONDS`` (files.py: a 50 MB CSV reads and imports in about 3.6 s on 2
  cores; a workbook bomb is refused from the zip's directory, before anything is unzipped).
  A SIGALRM ends an input that runs longer, so a hang fails instead of stalling the run.
* Memory, the peak of Python's allocations (tracemalloc) while one input is read and imported:
  ``BASE_MB`` (openpyxl opening a tiny workbook: 5.2 MB measured in test_reader) plus
  ``PER_BYTE`` times the file's size (files.py: about 4.5 times the file on top of its bytes;
  test_reader's 50 MB import asserts 10 times), plus ``PER_COLUMN_KB`` per column read (pandas
  keeps each text column apart: 10,000 columns took 29 MB, 3 KB a column).

Hypothesis runs derandomized (a fixed seed) with a bounded number of small examples; the few
large inputs (10,000 columns, a 50 MB cell, zip bombs, a file over MAX_FILE_BYTES) are built
once, in explicit tests.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import io
import random
import re
import signal
import tracemalloc
import zipfile
from collections.abc import Iterator
from types import FrameType
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cpmkit.errors import CpmkitError
from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.feedback.survey_import.choices import suggest_choices
from cpmkit.feedback.survey_import.files import MAX_FILE_BYTES, read_survey
from cpmkit.feedback.survey_import.reader import ImportResult, apply_mapping
from tests._workbooks import BOMBS

TARGETS = import_targets(pulse_survey())
IMPORTED_AT = dt.datetime(2026, 12, 7, 12, 0)

SMALL_SECONDS = 10.0
LARGE_SECONDS = 30.0
BASE_MB = 16
PER_BYTE = 10
PER_COLUMN_KB = 4

#: Examples per generated kind: enough to reach every branch of the readers, few enough that the
#: file runs in seconds.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,  # the time bound is SIGALRM's, looser on a loaded machine than Hypothesis' 200 ms
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Hang(BaseException):
    """Raised by SIGALRM: a BaseException, so that no ``except Exception`` in the reader hides it."""


@contextlib.contextmanager
def bounded(seconds: float) -> Iterator[list[int]]:
    """Fail when the body runs over ``seconds``; yields a list that gets the peak of memory allocated."""

    def timeout(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    peak: list[int] = []
    try:
        yield peak
        peak.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def imports(data: bytes, filename: str, seconds: float = SMALL_SECONDS) -> ImportResult | CpmkitError:
    """Read, map and import ``data`` within the bounds; the result, or the CpmkitError, checked plain."""
    columns = 0
    with bounded(seconds) as peak:
        try:
            table = read_survey(data, filename)
            columns = len(table.columns)
            choices = suggest_choices(table, TARGETS)  # the mapping, and the recoding of each rating column
            result: ImportResult | CpmkitError = apply_mapping(
                table, choices.mapping, recodings=choices.recodings, imported_at=IMPORTED_AT
            )
        except CpmkitError as exc:
            result = exc
    limit = BASE_MB * 2**20 + PER_BYTE * len(data) + PER_COLUMN_KB * 1024 * columns
    assert peak[0] <= limit, (
        f"{peak[0] / 2**20:.1f} MB allocated for {len(data):,} bytes (bound {limit / 2**20:.1f} MB)"
    )
    if isinstance(result, CpmkitError):
        message = str(result)
        assert message.strip(), "an error without a message"
        assert len(message) < 2000, message[:200]
        assert not re.search(r"Traceback|object at 0x|Errno|\bline \d+, in\b", message), message
    else:
        assert len(result.responses) <= len(table.cells)
        assert result.summary.strip()
    return result


# -- Generated inputs ----------------------------------------------------------------------------

#: Headings a mapper should recognise, so that generated files also reach apply_mapping's parsing.
HEADINGS = sorted({text for target in TARGETS for text in (target.label, *target.aliases)})
#: Cells like the ones exports hold, and the ones that trip readers.
CELLS = [
    "",
    "9",
    "10 - Extremely likely",
    "Mostly",
    "Not at all",
    "eleven",
    "-3",
    "99999999999999999999",
    "2026/11/03 9:41:07 AM GMT+1",
    "13/11/2026",
    "11/13/2026 25:61",
    "2026-02-30",
    "=SUM(A1:A3)",
    "=cmd|' /C calc'!A0",
    '"',
    "a,b;c\td",
    "line\nbreak",
    "\r",
    "\ufeff",
    "Café – €20",
    "x" * 300,
]
SPECIALS = ",;\t|\"'\n\r \\=-/:.0123456789aAéß€\ufeff\u2028"
cell_texts = st.one_of(
    st.sampled_from(CELLS),
    st.text(st.sampled_from(SPECIALS), max_size=12),
    st.text(max_size=8),
)
tables = st.lists(
    st.lists(cell_texts, min_size=1, max_size=6),
    min_size=0,
    max_size=6,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A table written as a CSV export might be: any encoding, separator, quoting and line end,
    or cells joined with no quoting at all; rows may be ragged."""
    headings = draw(st.lists(st.one_of(st.sampled_from(HEADINGS), cell_texts), min_size=1, max_size=6))
    rows = [headings, *draw(tables)]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    quoting = draw(st.sampled_from(["minimal", "all", "none", "raw"]))
    text = end.join(delimiter.join(row) for row in rows)
    if quoting != "raw":
        buffer = io.StringIO(newline="")
        mode = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL, "none": csv.QUOTE_NONE}[quoting]
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=end, quoting=mode, escapechar="\\")
        with contextlib.suppress(csv.Error):  # QUOTE_NONE cannot write a lone empty cell: keep the raw text
            writer.writerows(rows)
            text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "latin-1"]))
    return text.encode(encoding, errors="replace")


xlsx_values = st.one_of(
    cell_texts.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)),
    st.sampled_from(["=SUM(A1:A3)", "=1/0", '=HYPERLINK("https://example.com","9")', "=B2", "=NOW()"]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.none(),
)


@st.composite
def xlsx_files(draw: st.DrawFn) -> bytes:
    """A workbook as openpyxl writes it: any cell types, formulas (no cached value, as openpyxl
    saves them), merged heading cells over the first two rows, the answers on any sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = draw(st.sampled_from(["Sheet1", "Form Responses 1", "Responses", "Data", "Antworten"]))
    if draw(st.booleans()):
        book.create_sheet(draw(st.sampled_from(["Summary", "Sheet2", "Info"])), 0).append(["not the answers"])
    headings = draw(st.lists(st.one_of(st.sampled_from(HEADINGS), xlsx_values), min_size=1, max_size=6))
    for values in [headings, *draw(st.lists(st.lists(xlsx_values, max_size=6), max_size=6))]:
        sheet.append(values)
    for _ in range(draw(st.integers(0, 2))):
        row = draw(st.integers(1, 2))
        first = draw(st.integers(1, 5))
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=first + draw(st.integers(1, 3)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@functools.cache
def base_workbook() -> bytes:
    """A small but real export for the damage tests to break."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Timestamp", TARGETS[-4].label, "Comment"])
    sheet.append([dt.datetime(2026, 11, 3, 9, 41), 9, "fine"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".tsv", ".txt", ".xlsx", ".xlsm"]))
def test_random_bytes(data: bytes, suffix: str) -> None:
    imports(data, f"random{suffix}")


@FUZZ
@given(data=csv_files())
def test_random_csv(data: bytes) -> None:
    imports(data, "export.csv")


@FUZZ
@given(data=xlsx_files())
def test_random_xlsx(data: bytes) -> None:
    imports(data, "export.xlsx")


@settings(FUZZ, max_examples=40)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=0, max_size=4)), min_size=1, max_size=4),
    truncate=st.booleans(),
)
def test_damaged_xlsx(cuts: list[tuple[int, bytes]], truncate: bool) -> None:
    """A real workbook with bytes overwritten here and there, or cut short."""
    data = bytearray(base_workbook())
    for at, replacement in cuts:
        at %= len(data)
        if truncate:
            del data[at:]
            break
        data[at : at + len(replacement)] = replacement
    imports(bytes(data), "damaged.xlsx")


@settings(FUZZ, max_examples=30)
@given(
    ratio=st.integers(2, 2000),
    megabytes=st.integers(1, 4),
    part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "docProps/app.xml"]),
)
def test_highly_compressed_parts(ratio: int, megabytes: int, part: str) -> None:
    """A part of a real workbook replaced by ``megabytes`` MB of XML: blank space with 1/``ratio``
    of random text in each 64 KB (deflating some 2 x ``ratio`` times, 1,000 at most). Refused when
    over MAX_COMPRESSION_RATIO, else read (or refused as damaged) within the bounds."""
    noise = random.Random(ratio).randbytes(2**15 // ratio).hex().encode()
    block = b"<!--" + noise + b"-->" + b" " * (2**16 - 7 - len(noise))
    xml = b'<?xml version="1.0"?><worksheet>' + block * (16 * megabytes) + b"</worksheet>"
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base_workbook())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, xml if info.filename == part else source.read(info))
        if part not in source.namelist():
            target.writestr(part, xml)
    imports(out.getvalue(), "compressed.xlsx")


# -- Built once: the large and the edge cases ----------------------------------------------------

EMPTY = {
    "nothing": b"",
    "a byte-order mark": codecs.BOM_UTF8,
    "a UTF-16 byte-order mark": codecs.BOM_UTF16_LE,
    "blank lines": b"\r\n \r\n\t\r\n",
    "separators only": b",,,\r\n;;;\r\n",
    "a heading only": b"Timestamp,Score\r\n",
    "a lone quote": b'"',
    "an odd UTF-16 byte": codecs.BOM_UTF16_LE + "Timestamp,Score\r\n2026-11-03,9".encode("utf-16-le") + b"\x00\xd8",
}


@pytest.mark.parametrize("case", list(EMPTY))
def test_empty_and_truncated_text(case: str) -> None:
    imports(EMPTY[case], "empty.csv")


def _xlsx(rows: list[list[Any]], merged: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    for cells in merged:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_empty_workbook_is_refused_plainly() -> None:
    assert isinstance(imports(_xlsx([]), "empty.xlsx"), CpmkitError)


def test_merged_heading_rows_and_formulas_import() -> None:
    """Two heading rows, a question's heading merged over its options; formulas, which openpyxl
    saves without a value, read as blank cells."""
    rows = [
        ["Timestamp", "Feedback", None, None],
        [None, "How likely are you to recommend us?", "Comment", "Total"],
        [dt.datetime(2026, 11, 3, 9, 41), 9, "Good", "=B3*2"],
        [dt.datetime(2026, 11, 4, 10, 0), "=1/0", "Late", "=SUM(B3:B4)"],
    ]
    result = imports(_xlsx(rows, merged=("B1:D1", "A1:A2")), "merged.xlsx")
    assert isinstance(result, ImportResult)


def test_ten_thousand_columns() -> None:
    headings = [TARGETS[0].aliases[0], *(f"Question {n}" for n in range(1, 10_000))]
    rows = [headings, ["2026-11-03 09:41", *(str(n % 11) for n in range(1, 10_000))]]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    assert isinstance(imports(buffer.getvalue().encode(), "wide.csv", LARGE_SECONDS), ImportResult | CpmkitError)
    assert isinstance(imports(_xlsx(rows), "wide.xlsx", LARGE_SECONDS), ImportResult | CpmkitError)


@pytest.mark.parametrize("target_id", ["comment", "progress"])
def test_a_50_mb_cell(target_id: str) -> None:
    """In a text column (too long for an answer) and in a rating column (not on the scale)."""
    heading = next(t for t in TARGETS if t.id == target_id).label
    cell = ("A long comment, with “quotes”, commas and line breaks.\r\n" * (50 * 2**20 // 60)).replace('"', '""')
    data = f'Timestamp,"{heading}"\r\n2026/11/03 9:41:07 AM GMT+1,"{cell}"\r\n'.encode()
    assert len(data) > 50 * 2**20
    result = imports(data, "long.csv", LARGE_SECONDS)
    assert isinstance(result, ImportResult)  # the row, or its cell, is left out
    assert result.problems and len(result.problems[0].value) <= 200


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    assert isinstance(imports(b"a" * (MAX_FILE_BYTES + 1), "huge.csv", LARGE_SECONDS), CpmkitError)


@pytest.mark.parametrize("case", list(BOMBS))
def test_zip_bombs_are_refused_within_bounds(case: str) -> None:
    assert isinstance(imports(BOMBS[case][0](), "bomb.xlsx", LARGE_SECONDS), CpmkitError)
