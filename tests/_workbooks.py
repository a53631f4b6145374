"""Workbooks made to exhaust a kernel's memory, as the security review found them, and
others just over each bound: a few KB or MB each, built with zipfile. A module of its own,
imported by the import tests (tests/test_feedback_import.py, tests/test_ui_feedback_import.py)."""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
SHEET_START = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"
_STRINGS_TYPE = b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'


def sheet(*rows: bytes) -> bytes:
    """A sheet's XML (with no <dimension>, as some writers leave it out) holding ``rows``."""
    return SHEET_START + b"".join(rows) + SHEET_END


def row(number: int | str | None, *cells: tuple[str | None, str]) -> bytes:
    """<row r=number> with inline-text cells (reference or None, text)."""
    attribute = "" if number is None else f' r="{number}"'
    shown = "".join(
        f'<c{"" if ref is None else f" r={chr(34)}{ref}{chr(34)}"} t="inlineStr"><is><t>{text}</t></is></c>'
        for ref, text in cells
    )
    return f"<row{attribute}>{shown}</row>".encode()


HEADING_ROW = row(1, ("A1", "Timestamp"), ("B1", "Score"))
ANSWER_ROW = row(2, ("A2", "2026-11-03 09:41"), ("B2", "9"))


@functools.cache
def _base() -> bytes:
    """A workbook as openpyxl writes it: one sheet, 'Sheet1', of inline text (no shared strings)."""
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Sheet1"
    book.active.append(["Timestamp", "Score"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook(
    part: str, start: bytes, block: bytes = b"", times: int = 0, end: bytes = b"", *, declared: int | None = None
) -> bytes:
    """XLSX (written by openpyxl) whose ``part`` (the shared strings too) holds ``start``, ``block``
    ``times`` over, then ``end``. The block is deflated once and its output repeated (a full
    flush makes each copy the same), so a 700 MB part costs a 1 MB block to build. The zip's
    directory says the part unzips to ``declared`` bytes if given, else to what it does."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(start) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH) if times else b""
    stream = head + unit * times + compressor.compress(end) + compressor.flush()
    crc = zlib.crc32(start)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    size = len(start) + len(block) * times + len(end) if declared is None else declared
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_base())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml" and part == STRINGS:  # openpyxl writes none: say where they are
                content = content.replace(b"</Types>", _STRINGS_TYPE + b"</Types>")
            if info.filename != part:
                target.writestr(info.filename, content)
        target.writestr(zipfile.ZipInfo(part), stream)  # stored as it is; the headers are made to say deflated below
    data = bytearray(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as written:
        local, central = written.getinfo(part).header_offset, written.start_dir
    while data[central + 46 : central + 46 + len(part)] != part.encode():
        central += 46 + sum(struct.unpack("<HHH", data[central + 28 : central + 34]))
    for at, fields in ((local + 8, "<H"), (central + 10, "<H")):  # compression method: deflate
        data[at : at + 2] = struct.pack(fields, zipfile.ZIP_DEFLATED)
    for at in (local + 14, central + 16):  # CRC, compressed size, uncompressed size
        data[at : at + 12] = struct.pack("<III", crc, len(stream), size)
    return bytes(data)


def _answers(choices: Sequence[str], template: str, size: int) -> bytes:
    """About ``size`` bytes of ``template`` elements, each with one of ``choices`` at random
    (seeded): markup that deflates 50 to 90 times, as a real sheet's does at most."""
    pick = random.Random(7)
    elements = [template.format(pick.choice(choices)) for _ in range(size // len(template))]
    return "".join(elements).encode()


def _shared_strings_xml(count: int) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}">'.encode()


#: The findings as reproduced, and one workbook over each bound with an ordinary compression ratio.
BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    # 1.5 KB; openpyxl padded fifty million empty rows: a kernel at full CPU for 140 s, up to 3.4 GB.
    "a row at r=50000000": (
        lambda: workbook(SHEET, sheet(HEADING_ROW, row(50_000_000, ("A50000000", "x")))),
        r"bomb.xlsx: the sheet 'Sheet1' has at least 50,000,000 rows of 2 columns, more than the 1,000,000 cells",
    ),
    # 0.7 MB; 700 MB of shared strings, all held by openpyxl: 1.3-1.9 GB.
    "700 MB of shared strings": (
        lambda: workbook(STRINGS, _shared_strings_xml(1) + b"<si><t>", b"a" * 2**20, 700, b"</t></si></sst>"),
        r"bomb.xlsx: its part 'xl/sharedStrings.xml' unzips to 1,0\d\d times its size, which no spreadsheet program writes",
    ),
    "101 MB of shared strings at an ordinary ratio": (
        lambda: workbook(
            STRINGS,
            _shared_strings_xml(70_000 * 101),
            _answers(["Yes", "No"], "<si><t>{}</t></si>", 2**20),
            101,
            b"</sst>",
        ),
        r"bomb.xlsx: the text of its cells unzips to 10\d MB, more than the 100 MB cpmkit reads from a workbook\.",
    ),
    "251 MB of sheet at an ordinary ratio": (
        lambda: workbook(
            SHEET,
            SHEET_START + HEADING_ROW,
            _answers(["Yes", "No", "Mostly", "Late"], '<row><c t="inlineStr"><is><t>{}</t></is></c></row>', 2**20),
            251,
            SHEET_END,
        ),
        r"bomb.xlsx: the workbook unzips to 2\d\d MB, more than the 250 MB cpmkit reads\.",
    ),
    # Its directory says 100 KB, it holds 7 MB: zipfile unzips no more than 100 KB, and the CRC check fails.
    "a sheet that holds more than its directory says": (
        lambda: workbook(SHEET, SHEET_START + HEADING_ROW, ANSWER_ROW * 10_000, 10, SHEET_END, declared=100_000),
        r"bomb.xlsx: the workbook cannot be opened: it may be damaged",
    ),
}


def plain_workbook(rows: Sequence[Sequence[object]]) -> bytes:
    """An ordinary .xlsx, as Excel saves a sheet: ``rows`` on its first sheet, the headings first."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in rows:
        sheet.append(list(cells))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
