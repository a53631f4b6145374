"""Checks of an XLSX workbook made before openpyxl parses it, so that a small file cannot make
a kernel unzip, hold or walk through more than a real survey export needs.

openpyxl trusts the file. It unzips whatever a part holds; it keeps every shared string in
memory at once; opening a workbook, it parses each sheet up to its <dimension>, or to the end
of its rows when there is none, keeping an element per row; and reading a sheet, it pads the
rows up to the highest row number named (a 1.5 KB workbook with one row at r="50000000" made
it yield fifty million empty rows). So, before openpyxl opens the file:

* :func:`zip_problem`, from the zip's directory alone, nothing unzipped: each part's ratio of
  unzipped to zipped size, the whole workbook's unzipped size, and that of its shared strings
  (found as openpyxl finds them: in ``[Content_Types].xml``, itself small);
* :func:`part_extents` streams every part through expat in blocks, keeping nothing, and
  counts the rows and columns each would give as a sheet, as openpyxl counts them (a row's or
  cell's ``r=`` attribute when it has one, else one after the one before), stopping as soon as
  there are more cells than cpmkit reads, more row elements than openpyxl should keep, or
  more elements than those cells need.

zipfile never returns more than the size a part declares in the directory (a part that holds
more fails its CRC check, and openpyxl's error is reported as a damaged file), so the sizes
checked bound what is unzipped. Each function returns what is wrong, in words for the user
(after "<file>: "), or its result; a malformed zip raises, as it would in openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from typing import Final
from xml.etree import ElementTree
from xml.parsers import expat

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_WORKBOOK_UNZIPPED_BYTES",
    "part_extents",
    "too_many_cells",
    "zip_problem",
]

#: The most the whole workbook may unzip to. An XLSX spells a cell out in about 2.5 times the
#: bytes a CSV does (a 100,000-row Google Forms-like export: 16 MB as CSV, 40 MB of XML), so
#: this admits the same answers as the largest CSV (``MAX_FILE_BYTES``, 100 MB). The sheet is
#: streamed: this bounds the time to unzip and walk it (a few seconds), and the text read from it.
MAX_WORKBOOK_UNZIPPED_BYTES: Final = 250 * 1024 * 1024
#: The most the shared strings (the text of the cells, each distinct text once) may unzip to.
#: openpyxl holds all of them in memory at once, about 2.5 times their XML (700 MB of shared
#: strings took a kernel to 1.3-1.9 GB), so 100 MB costs at most about 250 MB: what the
#: largest CSV costs. As much text as that CSV holds fits in it.
MAX_SHARED_STRINGS_BYTES: Final = 100 * 1024 * 1024
#: The most any large part may unzip to per byte zipped. Deflate reaches about 1,030 at most,
#: which is what a zip bomb uses; the most repetitive sheet measured (1,000,000 cells all
#: "Yes") reached 22, a typical export 7.5. Five times that margin still refuses any bomb.
MAX_COMPRESSION_RATIO: Final = 100
#: Parts smaller than this unzipped are not held to the ratio: they cannot exhaust anything,
#: and a small part of repeated markup may compress well.
_RATIO_FROM_BYTES: Final = 1024 * 1024
#: ``[Content_Types].xml``, ``xl/workbook.xml`` and its relationships list a line per part or
#: sheet: a few KB. They are parsed whole (to find the shared strings and name the sheets), so
#: they are held to this first.
_SMALL_PART_BYTES: Final = 1024 * 1024
#: Elements walked in a part per cell a sheet may have (``MAX_WORKBOOK_CELLS``): a cell is
#: written with two or three (<c><v>, or <c><is><t>), a row adds one, a shared string two or
#: three; a typical export has 2.7 per cell. More is markup no answer needs: walking it would
#: only take time, and openpyxl would keep an element per row of it.
_ELEMENTS_PER_CELL: Final = 5
#: Bytes unzipped and parsed at a time while a sheet is walked.
_BLOCK_BYTES: Final = 64 * 1024

_CONTENT_TYPES: Final = "[Content_Types].xml"
_SHARED_STRINGS: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_WORKBOOK: Final = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: A row's r=: its number; a cell's: its column letters and row number. Digits are bounded so
#: that reading them costs nothing; a higher number is refused by the count of cells anyway.
_ROW_NUMBER: Final = re.compile(r"[0-9]{1,9}")
_CELL_REFERENCE: Final = re.compile(r"([A-Za-z]{1,3})[0-9]{1,9}")
_DAMAGED: Final = "no spreadsheet program writes that. The file is damaged or was made to exhaust the server's memory."
_AS_CSV: Final = (
    "If it really holds that many answers, save the sheet of answers as CSV (File > Save As > CSV UTF-8)"
    " and import that instead."
)


def zip_problem(archive: zipfile.ZipFile) -> str | None:
    """What makes the workbook too large to unzip, from its directory (and content types)."""
    parts = archive.infolist()
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            return (
                f"its part {part.filename!r} unzips to {ratio:,.0f} times its size, which no spreadsheet program"
                " writes: the file is damaged or was made to exhaust the server's memory. Download it again."
            )
    unzipped = sum(part.file_size for part in parts)
    if unzipped > MAX_WORKBOOK_UNZIPPED_BYTES:
        return (
            f"the workbook unzips to {_mb(unzipped)}, more than the {_mb(MAX_WORKBOOK_UNZIPPED_BYTES)} cpmkit reads."
            f" {_AS_CSV}"
        )
    strings = sum(archive.getinfo(name).file_size for name in _shared_strings(archive))
    if strings > MAX_SHARED_STRINGS_BYTES:
        return (
            f"the text of its cells unzips to {_mb(strings)}, more than the {_mb(MAX_SHARED_STRINGS_BYTES)}"
            f" cpmkit reads from a workbook. {_AS_CSV}"
        )
    return None


def part_extents(archive: zipfile.ZipFile, *, max_cells: int) -> dict[str, int] | str:
    """The rows each part would give openpyxl as a sheet, or what is wrong: a sheet with more
    than ``max_cells`` cells (rows x columns, as openpyxl would give them), a part with more
    row elements than that or more elements than its cells can need. A part that is not XML
    (an image) counts what comes before expat stops, as openpyxl would."""
    titles = _sheet_titles(archive)
    extents: dict[str, int] = {}
    for part in archive.infolist():
        where = f"the sheet {titles[part.filename]!r}" if part.filename in titles else f"its part {part.filename!r}"
        walk = _SheetWalk(where, max_cells)
        parser = expat.ParserCreate()
        parser.StartElementHandler = walk.start
        parser.StartDoctypeDeclHandler = walk.doctype
        try:
            with archive.open(part) as stream:
                while block := stream.read(_BLOCK_BYTES):
                    parser.Parse(block, False)
                parser.Parse(b"", True)
        except _Refused as refused:
            return refused.problem
        except expat.ExpatError:
            pass
        extents[part.filename] = walk.rows
    return extents


def too_many_cells(where: str, rows: int, columns: int, *, max_cells: int, at_least: bool = False) -> str | None:
    """What to say when ``where`` (a sheet) has more than ``max_cells`` cells; None if it has not.
    ``at_least``: the rows and columns are those counted when the count stopped."""
    if rows * columns <= max_cells:
        return None
    return (
        f"{where} has {'at least ' if at_least else ''}{_count(rows, 'row')} of {_count(columns, 'column')},"
        f" more than the {max_cells:,} cells"
        " cpmkit reads from a workbook. Save it as CSV (File > Save As > CSV UTF-8) and import that instead:"
        " it reads much faster."
    )


class _Refused(Exception):
    """Raised from expat's handler to end the walk with ``problem``."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _SheetWalk:
    """Handlers for expat that count a part's rows and columns as openpyxl does, and stop
    (raising _Refused) as soon as there are too many."""

    def __init__(self, where: str, max_cells: int) -> None:
        self.where = where
        self.max_cells = max_cells
        self.elements_left = max_cells * _ELEMENTS_PER_CELL
        self.rows_left = max_cells
        self.rows = self.row = self.columns = self.column = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements_left -= 1
        if self.elements_left < 0:
            raise _Refused(f"{self.where} holds more markup than {self.max_cells:,} cells need: {_DAMAGED}")
        local = name.rpartition(":")[2]
        if local == "row":
            number = attributes.get("r")
            if number is None:
                self.row += 1
            elif _ROW_NUMBER.fullmatch(number):
                self.row = int(number)
            else:
                raise _Refused(f"{self.where} has a row numbered {number[:20]!r}: {_DAMAGED}")
            self.column = 0
            self.rows_left -= 1  # openpyxl keeps an element per row while it opens a sheet without <dimension>
            if self.rows_left < 0:
                raise _Refused(f"{self.where} has more than {self.max_cells:,} rows: {_DAMAGED}")
            if self.row > self.rows:
                self.rows = self.row
                self._check()
        elif local == "c":
            reference = attributes.get("r")
            if reference is None:
                self.column += 1
            elif found := _CELL_REFERENCE.fullmatch(reference):
                self.column = _column_number(found[1])
            else:
                raise _Refused(f"{self.where} has a cell at {reference[:20]!r}: {_DAMAGED}")
            if self.column > self.columns:
                self.columns = self.column
                self._check()

    def doctype(self, *_args: object) -> None:
        raise _Refused(f"{self.where} declares a document type: {_DAMAGED}")

    def _check(self) -> None:
        problem = too_many_cells(self.where, self.rows, max(self.columns, 1), max_cells=self.max_cells, at_least=True)
        if problem is not None:
            raise _Refused(problem)


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """The title of each sheet by its part, for messages; {} if the workbook does not say
    where openpyxl's writers and Excel say (``xl/workbook.xml`` and its relationships)."""
    try:
        book, links = (ElementTree.fromstring(_small_part(archive, name)) for name in _WORKBOOK)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    targets = {
        link.get("Id"): posixpath.normpath(target[1:] if target.startswith("/") else f"xl/{target}")
        for link in links
        if (target := link.get("Target")) is not None
    }
    return {
        targets[key]: str(sheet.get("name"))
        for sheet in book.iter(f"{{{_MAIN}}}sheet")
        if (key := sheet.get(f"{{{_RELATIONSHIPS}}}id")) in targets
    }


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part parsed whole, refused (as a damaged zip) when larger than ``_SMALL_PART_BYTES``."""
    if archive.getinfo(name).file_size > _SMALL_PART_BYTES:
        raise zipfile.BadZipFile(f"{name} is larger than {_SMALL_PART_BYTES} bytes")
    return archive.read(name)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The parts ``[Content_Types].xml`` names as shared strings (openpyxl reads the first)."""
    root = ElementTree.fromstring(_small_part(archive, _CONTENT_TYPES))
    names = [
        str(override.get("PartName", "")).lstrip("/")
        for override in root
        if override.tag.endswith("Override") and override.get("ContentType") == _SHARED_STRINGS
    ]
    return [name for name in names if name in archive.NameToInfo]


def _column_number(letters: str) -> int:
    """1 for A, 27 for AA."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"
