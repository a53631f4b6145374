"""Values from the text cells of a survey export: dates and times, whole numbers on a scale,
and text. Each parser takes a whole column (stripped text, '' when empty) and returns the
values, missing where a cell is empty or unreadable, with a mask of the unreadable cells.

Exports repeat values a lot (scores, and timestamps to the second), so each distinct cell
is parsed once, in plain Python: without pyarrow, pandas' string methods are no faster.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = deferred_module("numpy")
    pd = deferred_module("pandas")

__all__ = ["integer_reader", "parse_datetimes", "parse_integers", "parse_text", "reads_day_first"]

#: What the survey tools write: 2026-11-03 09:41:07 (ISO, and workbook cells),
#: 2026/11/03 9:41:07 AM GMT+1 (Google Forms), 11/3/2026 9:41:07 or 11/03/2026 09:41:07 AM
#: (US style: Google Sheets, SurveyMonkey), 3/11/2026 9:41 (day first, European Excel).
#: A time zone is read and dropped: every tool writes the form owner's local time.
_DATETIME: Final = re.compile(
    r"""
    (?: (?P<y1>\d{4}) [-/.] (?P<m1>\d{1,2}) [-/.] (?P<d1>\d{1,2})
      | (?P<a>\d{1,2}) [-/.] (?P<b>\d{1,2}) [-/.] (?P<y2>\d{4}|\d{2}) )
    (?: (?:T|\s+) (?P<hour>\d{1,2}) : (?P<minute>\d{2}) (?: : (?P<second>\d{2}) (?:[.,]\d+)? )?
        \s* (?P<half>[AP]\.?M\.?)? )?
    \s* (?:Z|UTC|GMT)? \s* (?:[+-]\d{1,2}(?::?\d{2})?)?
    \Z""",
    re.VERBOSE | re.IGNORECASE,
)
#: The first two numbers of a date that does not start with the year.
_DAY_OR_MONTH: Final = re.compile(r"(\d{1,2})([-/.])(\d{1,2})[-/.]\d")
#: A whole number, alone or before its label: "9", "9.0", "9 - Very likely", "10 (Extremely likely)".
_INTEGER: Final = re.compile(r"([+-]?\d{1,9})(?:\.0*)?(?:\s*[-–—=:)]\s*\D.*|\.\s+\D.*|\s+\D.*)?\Z", re.DOTALL)
#: The longest text folded to be compared with a label (see _folded).
_FOLDED_CHARS: Final = 1000


def parse_text(cells: pd.Series) -> pd.Series:
    """Text with Windows and old Mac line breaks made plain; missing where empty."""
    plain = [cell.replace("\r\n", "\n").replace("\r", "\n") for cell in cells.tolist()]
    text = pd.Series(plain, index=cells.index, dtype=str)
    return text.where(text != "")


def parse_integers(
    cells: pd.Series, low: int, high: int, labels: Sequence[tuple[int, str]] = ()
) -> tuple[pd.Series, pd.Series]:
    """Whole numbers from ``low`` to ``high`` (nullable Int64), read as :func:`integer_reader`
    reads them; and the cells that are neither."""
    read = integer_reader(low, high, labels)
    codes, distinct = _each_distinct(cells, lambda text: math.nan if (value := read(text)) is None else float(value))
    numbers = pd.Series(np.asarray(distinct, dtype=float)[codes], index=cells.index).astype("Int64")
    return numbers, (cells != "") & numbers.isna()


def integer_reader(low: int, high: int, labels: Sequence[tuple[int, str]] = ()) -> Callable[[str], int | None]:
    """A reader of one cell: the whole number from ``low`` to ``high`` it holds, from the number
    ("9", "9 - Very likely") or from a (value, label) pair's label, any case; None if neither."""
    named = {_folded(label): value for value, label in labels}

    def whole(text: str) -> int | None:
        if (value := named.get(_folded(text))) is not None:
            return value
        found = _INTEGER.match(text)
        return int(found[1]) if found is not None and low <= int(found[1]) <= high else None

    return whole


def reads_day_first(cells: pd.Series) -> bool:
    """Whether a column's dates like 3/11/2026 are day first: if some date can only be read that
    way (13/11/2026) and none only month first (11/13/2026); and, when none tells, if they are
    written with dots (01.09.2026), as only day-first countries write them. So a later download
    of the same sheet, with a day past the 12th, keeps reading its first rows the same way."""
    day_first_only = month_first_only = dotted = False
    for text in cells.unique().tolist():  # a list: iterating a pandas array is 10 times slower
        found = _DAY_OR_MONTH.match(text)
        if found is not None:
            day_first_only |= int(found[1]) > 12
            month_first_only |= int(found[3]) > 12
            dotted |= found[2] == "."
    return (day_first_only or dotted) and not month_first_only


def parse_datetimes(cells: pd.Series, *, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    """Dates and times to the second (no time zone), and the cells that are not one."""

    def stamp(text: str) -> dt.datetime | None:
        found = _DATETIME.match(text)
        if found is None:
            return None
        if found["y1"]:
            year, month, day = int(found["y1"]), int(found["m1"]), int(found["d1"])
        else:
            first, second, year = int(found["a"]), int(found["b"]), int(found["y2"])
            month, day = (second, first) if dayfirst else (first, second)
            year += 2000 if year < 100 else 0
        hour = int(found["hour"] or 0)
        if found["half"]:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if found["half"][0] in "pP" else 0)
        try:
            return dt.datetime(year, month, day, hour, int(found["minute"] or 0), int(found["second"] or 0))
        except ValueError:  # 30 February, 25 o'clock...
            return None

    codes, distinct = _each_distinct(cells, stamp)
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object)).to_numpy(dtype="datetime64[s]")
    stamps = pd.Series(parsed[codes], index=cells.index)
    return stamps, (cells != "") & stamps.isna()


def _folded(text: str) -> str:
    """A label or cell as compared: spaces collapsed, any case. A text longer than any label
    (``_FOLDED_CHARS``) is kept as it is: folding a 50 MB cell took 750 MB for its list of words."""
    return text if len(text) > _FOLDED_CHARS else " ".join(text.split()).casefold()


def _each_distinct(cells: pd.Series, parse: Callable[[str], Any]) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """``parse`` applied once to each distinct cell; index the results with the codes returned."""
    codes, distinct = pd.factorize(cells)
    return codes, [parse(text) for text in distinct.tolist()]
