"""Cleaners for one entered value: text, whole numbers on a scale, numbers, dates, choices, ids.

Every workbook saves one answer at a time, so each value is checked alone, the same way from
the UI, the CLI or a test. A cleaner returns the value made canonical, ``None`` for a blank
(the field is cleared), or raises a ValidationError whose message names the field and value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any, Final, TypeVar

import pandas as pd

from cpmkit.errors import ValidationError

__all__ = [
    "ACTION_FIELDS",
    "DEFAULT_TEXT_LIMIT",
    "ID_PATTERN",
    "OWNER_LIMIT",
    "as_date",
    "blank",
    "clean_action_field",
    "clean_choice",
    "clean_date",
    "clean_id",
    "clean_number",
    "clean_text",
    "clean_whole_number",
    "required",
    "shorten",
    "too_long",
]

DEFAULT_TEXT_LIMIT: Final = 2000
#: Ids of content items (dimensions, sources, areas): short, lower case, safe in a URL or a column name.
ID_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_ID_LIMIT: Final = 64
#: An owner's name, as a stakeholder's owner in workbook 1.
OWNER_LIMIT: Final = 120
#: How many times its limit ``shorten`` reads of a text: enough for runs of spaces to collapse.
_SHORTEN_LOOKS_AT: Final = 4
#: What an action item holds, in workbook 3 (closing a gap) and 4 (from a retrospective).
ACTION_FIELDS: Final = ("what", "owner", "due", "status")

T = TypeVar("T")


def blank(value: Any) -> bool:
    """None, an empty or all-space string, NaN, NaT or pd.NA: the field is cleared."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def required(field: str, value: Any, clean: T | None) -> T:
    """``clean`` (a cleaner's result for ``value``), refused when the field was left blank."""
    if clean is None:
        raise ValidationError.for_field(field, value, "cannot be empty.")
    return clean


def clean_text(field: str, value: Any, *, limit: int = DEFAULT_TEXT_LIMIT) -> str | None:
    """The text trimmed (inner spacing kept), at most ``limit`` characters."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationError.for_field(field, value, f"{too_long(len(text), limit)}.")
    return text


def too_long(length: int, limit: int = DEFAULT_TEXT_LIMIT) -> str:
    """Why a text of ``length`` characters is refused, as a field's message or an import's says it."""
    return f"is {length} characters long; the limit is {limit}"


def clean_whole_number(field: str, value: Any, *, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high``; ``"3"``, ``3.0`` and ``" 3 "`` are 3, ``True`` is not."""
    if blank(value):
        return None
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer() or not low <= number <= high:
        raise ValidationError.for_field(field, value, f"must be a whole number from {low} to {high}, not {value!r}.")
    return int(number)


def clean_number(field: str, value: Any) -> float | None:
    """A finite number; text may use thousands separators (``"1,200"``)."""
    if blank(value):
        return None
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValidationError.for_field(field, value, f"{value!r} is not a number.") from None
    if not math.isfinite(number):
        raise ValidationError.for_field(field, value, f"{value!r} is not a finite number.")
    return number


def clean_date(field: str, value: Any) -> dt.date | None:
    """A date, from a date, a datetime or Timestamp (its day) or ``YYYY-MM-DD`` text."""
    if blank(value):
        return None
    if isinstance(value, dt.date):
        return as_date(value)
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError.for_field(field, value, f"{value!r} is not a date (use YYYY-MM-DD).") from None


def clean_choice(field: str, value: Any, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (lower case), ignoring case and padding."""
    if blank(value):
        return None
    text = str(value).strip().lower()
    if text not in choices:
        raise ValidationError.for_field(field, value, f"{value!r} is not one of: {', '.join(choices)}.")
    return text


def clean_id(field: str, value: Any) -> str:
    """A content id such as ``"reliability"`` (see ``ID_PATTERN``); never blank."""
    if not isinstance(value, str) or len(value) > _ID_LIMIT or not ID_PATTERN.fullmatch(value):
        raise ValidationError.for_field(
            field, value, f"{value!r} is not an id (lower-case letters, digits and _, starting with a letter)."
        )
    return value


def as_date(value: dt.date) -> dt.date:
    """The day of a date, datetime or Timestamp, as a plain ``datetime.date``."""
    return value.date() if isinstance(value, dt.datetime) else value


def clean_action_field(field: str, value: Any, statuses: Sequence[str]) -> Any:
    """One field of an action item (``ACTION_FIELDS``): what (required), owner, due date, and
    status, one of ``statuses``."""
    if field == "what":
        return required(field, value, clean_text(field, value))
    if field == "owner":
        return clean_text(field, value, limit=OWNER_LIMIT)
    if field == "due":
        return clean_date(field, value)
    if field == "status":
        return required(field, value, clean_choice(field, value, tuple(statuses)))
    raise ValidationError(f"Unknown action field {field!r}.", field=field, value=value)


def shorten(text: Any, limit: int) -> str:
    """``text`` on one line (runs of spaces and line breaks as one space), cut to ``limit``
    characters with an ellipsis: for a message, a list or a tooltip that quotes what someone wrote.
    Only the first ``_SHORTEN_LOOKS_AT`` times ``limit`` characters are read, so quoting a cell of
    50 MB costs what quoting a sentence does."""
    whole = str(text)
    head = whole[: _SHORTEN_LOOKS_AT * limit]
    flat = " ".join(head.split())
    return flat if len(flat) <= limit and len(head) == len(whole) else flat[: limit - 1] + "…"
