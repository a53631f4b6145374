"""Import of survey exports (Google Forms, Microsoft Forms, SurveyMonkey; CSV or XLSX) as
feedback responses: read the file, map its columns to the fields the import fills, recode
the answer options of rating columns, preview, convert. Each step is a pure function a UI
calls with plain values::

    table = read_survey(data, filename)                   # the bytes of a FileUpload
    mapping = suggest_mapping(table.columns, targets)     # the user adjusts: mapping.choose(...)
    recodings = {...}                                     # target id -> suggest_recoding(...), adjusted
    preview(table, mapping, recodings=recodings)          # the first rows as they would be imported
    result = apply_mapping(table, mapping, recodings=recodings, imported_at=now, progress=bar)

A bad cell costs one answer, not the row: a cell that cannot be read, or a text longer than a
typed answer may be (``DEFAULT_TEXT_LIMIT`` characters), is imported as not answered and
listed (row, column, value, reason). Only a row with nothing usable (no question answered)
is left out. A response with no time of its own is dated ``imported_at``.

Each response has a ``response_key``: the hash of the export's own response id when a target
of kind "id" is mapped and filled, else of the mapped values as the file gives them (never
the import date). Importing the same export again, or a later download of it with more
answers, gives the same keys, so a store that upserts on the key does not duplicate
responses. Response ids are unique within one form only: the store should upsert on
(survey round, response_key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import DEFAULT_TEXT_LIMIT, shorten, too_long
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.cells import (
    parse_datetimes,
    parse_integers,
    parse_text,
    reads_day_first,
)
from cpmkit.feedback.survey_import.files import (
    CHUNK_ROWS,
    MAX_COMPRESSION_RATIO,
    MAX_FILE_BYTES,
    MAX_SHARED_STRINGS_BYTES,
    MAX_WORKBOOK_CELLS,
    MAX_WORKBOOK_UNZIPPED_BYTES,
    Progress,
    SurveyTable,
    read_survey,
)
from cpmkit.feedback.survey_import.mapping import (
    RESPONDENT,
    RESPONSE_ID,
    SUBMITTED_AT,
    ColumnMapping,
    Target,
    TargetKind,
    suggest_mapping,
)
from cpmkit.feedback.survey_import.recoding import Recoding

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
    "RESPONDENT",
    "RESPONSE_ID",
    "SUBMITTED_AT",
    "ColumnMapping",
    "ImportResult",
    "Progress",
    "RowProblem",
    "SurveyTable",
    "Target",
    "TargetKind",
    "apply_mapping",
    "preview",
    "read_survey",
    "suggest_mapping",
]

#: Rows or columns a message lists before "and N more".
_SHOWN: Final = 10
_EMPTY_REASON: Final = "is empty, but every response needs an answer here"
_LEFT_OUT: Final = "The row would be left out: no question is answered."
#: Targets that answer no question (nor does the response id): a row with only these is left out.
_NOT_QUESTIONS: Final = (SUBMITTED_AT.id, RESPONDENT.id)
#: Characters of a cell a RowProblem keeps: more than its message shows.
_QUOTED: Final = 200
#: Kinds whose cells are imported as text, so held to the length of a typed answer.
_TEXT_KINDS: Final = ("text", "id")


@dataclass(frozen=True)
class RowProblem:
    """A cell that cannot be imported: it is left blank (not answered), the rest of its row imports."""

    row: int
    column: str
    value: str
    reason: str

    @property
    def message(self) -> str:
        """'Row 14, column 'How likely...?': 'eleven' is not a whole number from 0 to 10.'"""
        subject = f"'{shorten(self.value, 60)}'" if self.value else "the cell"
        return f"Row {self.row}, column '{shorten(self.column, 80)}': {subject} {self.reason}."


@dataclass(frozen=True)
class ImportResult:
    """What an import gives: the responses, the cells left blank and the rows left out, and why.

    ``responses`` has the columns "row" (in the file), "response_key" and one per target, by
    id: datetime64 for "datetime", nullable Int64 for "integer", text otherwise; missing
    where not answered. ``problems`` are the cells imported as not answered although the file
    has something in them (or a required target's empty cells). ``left_out_rows`` had nothing
    usable; ``duplicate_rows`` repeat an earlier row's key. ``time_note`` says how responses
    without a time of their own were dated ("" when every response has its own).
    """

    filename: str
    responses: pd.DataFrame
    problems: tuple[RowProblem, ...]
    duplicate_rows: tuple[int, ...]
    left_out_rows: tuple[int, ...] = ()
    time_note: str = ""

    @property
    def summary(self) -> str:
        """One paragraph for the user: how many responses, cells left blank, rows left out, the time note."""
        n = len(self.responses)
        parts = [f"{n:,} response{'s' if n != 1 else ''} read from {self.filename}."]
        left_out = set(self.left_out_rows)
        blank = sum(problem.row not in left_out for problem in self.problems)
        if blank:
            cells = f"{blank:,} cell{'s' if blank != 1 else ''}"
            parts.append(f"{cells} could not be read and {'was' if blank == 1 else 'were'} left blank.")
        if self.left_out_rows:
            rows = self.left_out_rows
            parts.append(f"{_rows(rows)} had no answer that could be read and {_verb(rows, 'was', 'were')} left out.")
        if self.duplicate_rows:
            repeated = self.duplicate_rows
            parts.append(
                f"{_rows(repeated)} {_verb(repeated, 'repeats', 'repeat')} an earlier row"
                f" and {_verb(repeated, 'was', 'were')} left out."
            )
        if self.time_note:
            parts.append(self.time_note)
        return " ".join(parts)


def preview(
    table: SurveyTable,
    mapping: ColumnMapping,
    *,
    recodings: Mapping[str, Recoding] = MappingProxyType({}),
    n: int = 5,
    dayfirst: bool | None = None,
    imported_at: dt.datetime | None = None,
) -> pd.DataFrame:
    """The first ``n`` rows as they would be imported: "Row", a column per mapped target (by
    label) and "Problems": the cells left blank, and whether the row would be left out.
    A row without a time of its own shows ``imported_at`` (when given)."""
    _check_columns(table, mapping, recodings)
    head = table.cells.head(n)
    values, problems, _read = _convert(head, mapping, _day_first(table, mapping, dayfirst), recodings)
    if imported_at is not None and SUBMITTED_AT.id in values.columns:
        _date_undated(values, imported_at)
    mapped = [
        t
        for t in mapping.targets
        if mapping.columns[t.id] is not None or (t.id == SUBMITTED_AT.id and imported_at is not None)
    ]
    shown = values[[t.id for t in mapped]].set_axis([t.label for t in mapped], axis=1)
    shown.insert(0, "Row", head.index)
    messages: dict[int, list[str]] = {}
    for problem in problems:
        messages.setdefault(problem.row, []).append(problem.message)
    for row in head.index[~_usable(values, mapping)].tolist():
        messages.setdefault(row, []).append(_LEFT_OUT)
    shown["Problems"] = [" ".join(messages.get(row, [])) for row in head.index]
    return shown.reset_index(drop=True)


def apply_mapping(
    table: SurveyTable,
    mapping: ColumnMapping,
    *,
    recodings: Mapping[str, Recoding] = MappingProxyType({}),
    dayfirst: bool | None = None,
    imported_at: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Convert every row, ``CHUNK_ROWS`` at a time, calling ``progress(rows done, rows)``.

    An "integer" target with a Recoding takes the recoded value of a cell the recoding lists
    (None: not answered); other cells are read as numbers or labels. Dates like 3/11/2026 are
    read month first unless ``dayfirst`` is True, or it is None and the column has a date that
    only reads day first (13/11/2026). A response with no time of its own (no time column, or
    an unreadable cell) is dated ``imported_at``. Rows with no answer, and rows repeating an
    earlier row's response_key, are left out. A ValidationError names the file when a
    required target has no column, or a response has no time and ``imported_at`` is None.
    """
    _check_columns(table, mapping, recodings)
    needed = [  # the time is needed only when there is no import date to give instead
        t
        for t in mapping.targets
        if mapping.columns[t.id] is None and (imported_at is None if t.id == SUBMITTED_AT.id else t.required)
    ]
    if needed:
        names = _listed([f"'{t.label}'" for t in needed])
        columns = ", ".join(f"'{shorten(c, 40)}'" for c in table.columns[:_SHOWN])
        columns += ", ..." if len(table.columns) > _SHOWN else ""
        raise ValidationError(
            f"{table.filename}: no column was chosen for {names}, which every response needs."
            f" The file's columns are {columns}.",
            field="mapping",
            value=table.filename,
        )
    orders = _day_first(table, mapping, dayfirst)
    total = len(table.cells)
    parts: list[pd.DataFrame] = []
    problems: list[RowProblem] = []
    left_out: list[int] = []
    for start in range(0, max(total, 1), CHUNK_ROWS):
        values, found, read = _convert(table.cells.iloc[start : start + CHUNK_ROWS], mapping, orders, recodings)
        problems.extend(found)
        usable = _usable(values, mapping)
        left_out.extend(values.index[~usable].tolist())
        good = values[usable]
        good.insert(0, "response_key", _keys(read[usable], mapping))  # the file's own content: see _convert
        parts.append(good)
        if progress is not None:
            progress(min(start + CHUNK_ROWS, total), total)
    responses = pd.concat(parts).rename_axis("row").reset_index()
    if not _rows_told_apart(responses, mapping):
        _number_alike_rows(responses)
    repeated = responses["response_key"].duplicated()
    duplicates = tuple(int(row) for row in responses.loc[repeated, "row"])
    responses = responses[~repeated].reset_index(drop=True)
    note = _date_responses(responses, mapping, imported_at, table.filename)
    return ImportResult(table.filename, responses, tuple(problems), duplicates, tuple(left_out), note)


def _rows_told_apart(responses: pd.DataFrame, mapping: ColumnMapping) -> bool:
    """Whether two rows of the same answers are one response sent twice: the file says who sent
    each, gives its own id, or a time of day. Without, they are two people who answered alike."""
    if any(mapping.columns[t.id] is not None for t in mapping.targets if t.kind == "id" or t.id == RESPONDENT.id):
        return True
    if mapping.columns.get(SUBMITTED_AT.id) is None:
        return False
    stamps = responses[SUBMITTED_AT.id].dropna()
    return bool(len(stamps)) and not _dates_only(stamps)


def _dates_only(stamps: pd.Series) -> bool:
    """Whether the times read (none missing) are all midnights: a column of dates without times."""
    return bool(len(stamps)) and bool((stamps == stamps.dt.normalize()).all())


def _number_alike_rows(responses: pd.DataFrame) -> None:
    """Give each row that repeats an earlier one's key a key of its own: the key and how many
    alike came before (the first keeps its key, so a later download of the file keeps them all)."""
    keys = responses["response_key"]
    before = keys.groupby(keys).cumcount()
    again = before > 0
    responses.loc[again, "response_key"] = [
        hashlib.blake2b(f"{key}#{n}".encode(), digest_size=16).hexdigest()
        for key, n in zip(keys[again].tolist(), before[again].tolist())
    ]


def _date_responses(
    responses: pd.DataFrame, mapping: ColumnMapping, imported_at: dt.datetime | None, filename: str
) -> str:
    """Date the responses without a time of their own ``imported_at``; return the note that says
    so, and whether the time column holds dates only ("" when every response has its own time)."""
    if SUBMITTED_AT.id not in responses.columns:
        return ""
    column = mapping.columns[SUBMITTED_AT.id]
    stamps = responses[SUBMITTED_AT.id].dropna()
    notes = []
    if column is not None and _dates_only(stamps):
        notes.append(f"Column '{shorten(column, 80)}' holds dates only: each response is dated at midnight of its day.")
    undated = responses.loc[responses[SUBMITTED_AT.id].isna(), "row"].tolist()
    if undated:
        if imported_at is None:
            raise ValidationError(
                f"{filename}: {_rows(undated)} {_verb(undated, 'has', 'have')} no time that can be read,"
                " and no import date was given to date them.",
                field="imported_at",
            )
        _date_undated(responses, imported_at)
        day = f"{imported_at.day} {imported_at:%B %Y}, the day of the import"
        if column is None:
            notes.append(f"The file has no time column: every response is dated {day}.")
        else:
            dated = _verb(undated, "it is", "they are")
            notes.append(
                f"{_rows(undated)} {_verb(undated, 'has', 'have')} no time that can be read: {dated} dated {day}."
            )
    return " ".join(notes)


def _date_undated(values: pd.DataFrame, imported_at: dt.datetime) -> None:
    """Give the rows of ``values`` without a time of their own ``imported_at`` (its wall-clock time, to the second)."""
    undated = values[SUBMITTED_AT.id].isna()
    values.loc[undated, SUBMITTED_AT.id] = np.datetime64(imported_at.replace(tzinfo=None, microsecond=0), "s")


def _check_columns(table: SurveyTable, mapping: ColumnMapping, recodings: Mapping[str, Recoding]) -> None:
    absent = [c for c in mapping.columns.values() if c is not None and c not in table.cells.columns]
    if absent:
        raise ValidationError(f"{table.filename}: there is no column {', '.join(map(repr, absent))} in the file.")
    targets = {t.id: t for t in mapping.targets}
    unknown = [target_id for target_id in recodings if target_id not in targets]
    if unknown:
        raise ValidationError(f"These are not import fields: {', '.join(map(repr, unknown))}.")
    for target_id, recoding in recodings.items():
        recoding.checked(targets[target_id])


def _day_first(table: SurveyTable, mapping: ColumnMapping, dayfirst: bool | None) -> dict[str, bool]:
    return {
        t.id: reads_day_first(table.cells[column]) if dayfirst is None else dayfirst
        for t in mapping.targets
        if t.kind == "datetime" and (column := mapping.columns[t.id]) is not None
    }


def _convert(
    cells: pd.DataFrame, mapping: ColumnMapping, dayfirst: Mapping[str, bool], recodings: Mapping[str, Recoding]
) -> tuple[pd.DataFrame, list[RowProblem], pd.DataFrame]:
    """A column per target (unmapped ones missing), the cells left blank because they cannot be
    read, and what the response keys are made of: each cell as read without recoding, or as
    written when it cannot be read. So a key depends on the file alone, not on the recoding
    chosen nor the import date, and a row every cell of which could be read keys as it did
    before recodings existed (an earlier import of the same export is recognised)."""
    values = pd.DataFrame(index=cells.index)
    read = pd.DataFrame(index=cells.index)
    problems: list[RowProblem] = []
    for target in mapping.targets:
        column = mapping.columns[target.id]
        texts = cells[column] if column is not None else pd.Series("", index=cells.index, dtype=str)
        parsed, bad, reason = _parse(target, texts, dayfirst.get(target.id, False))
        as_read = _canonical(parsed)
        as_read[bad.to_numpy()] = ("\x1e" + texts[bad]).to_numpy(dtype=object)  # marked: never equal to a value
        read[target.id] = as_read
        if (recoding := recodings.get(target.id)) is not None:
            recoded = texts.isin(list(recoding.values))
            parsed = parsed.mask(recoded, texts[recoded].map(recoding.values).astype("Int64"))
            bad &= ~recoded
        values[target.id] = parsed.where(~bad)
        if target.required and column is not None:
            bad |= texts == ""
        unreadable = texts[bad]
        for row, text in zip(unreadable.index.tolist(), unreadable.tolist()):
            problems.append(RowProblem(row, str(column), text[:_QUOTED], reason if text else _EMPTY_REASON))
        if target.kind in _TEXT_KINDS:  # as long as a typed answer may be (PulseStore.save_answer), no longer
            lengths = values[target.id].str.len()
            over = lengths > DEFAULT_TEXT_LIMIT
            for row, text, length in zip(texts[over].index.tolist(), texts[over].tolist(), lengths[over].tolist()):
                problems.append(RowProblem(row, str(column), text[:_QUOTED], too_long(int(length))))
            values[target.id] = values[target.id].where(~over)  # left blank, like any unreadable cell
    problems.sort(key=lambda problem: problem.row)  # stable: a row's problems stay in target order
    return values, problems, read


def _usable(values: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """The rows with a question answered: a mapped target other than the time, respondent and
    response id (or, when no question is mapped, any mapped target) has a value."""
    mapped = [t.id for t in mapping.targets if mapping.columns[t.id] is not None]
    questions = [t.id for t in mapping.targets if t.id in mapped and t.id not in _NOT_QUESTIONS and t.kind != "id"]
    questions = questions or mapped
    return values[questions].notna().any(axis=1)


def _parse(target: Target, texts: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series, str]:
    """The values of one target's column as written (no recoding), the unreadable cells, and why they are."""
    if target.kind == "datetime":
        example = "3/11/2026 9:41 AM" if dayfirst else "11/3/2026 9:41 AM"
        stamps, bad = parse_datetimes(texts, dayfirst=dayfirst)
        return stamps, bad, f"is not a date and time cpmkit can read, such as 2026-11-03 09:41 or {example}"
    if target.kind == "integer":
        assert target.low is not None and target.high is not None  # Target checks this
        numbers, bad = parse_integers(texts, target.low, target.high, target.labels)
        labels = f", nor one of {_listed([label for _value, label in target.labels], 'or')}" if target.labels else ""
        return numbers, bad, f"is not a whole number from {target.low} to {target.high}{labels}"
    return parse_text(texts), pd.Series(False, index=texts.index), ""


def _keys(read: pd.DataFrame, mapping: ColumnMapping) -> list[str]:
    """The response_key of each row: a hash of the response id, else of every filled cell, as
    ``_convert`` read them for keys."""
    mapped = sorted((t for t in mapping.targets if mapping.columns[t.id] is not None), key=lambda t: t.id)
    texts = np.full(len(read), "", dtype=object)
    for target in mapped:  # sorted: the order targets are listed in does not change keys
        shown = read[target.id].to_numpy(dtype=object)
        filled = pd.notna(shown)
        texts[filled] += f"{target.id}=" + shown[filled] + "\x1f"
    for target in (t for t in mapped if t.kind == "id"):  # at most one: ColumnMapping checks
        ids = read[target.id].to_numpy(dtype=object)
        filled = pd.notna(ids)
        texts[filled] = "id=" + ids[filled]
    return [hashlib.blake2b(text.encode(), digest_size=16).hexdigest() for text in texts]


def _canonical(values: pd.Series) -> np.ndarray[Any, Any]:
    """Values as text that does not depend on the pandas version; missing stays missing."""
    if pd.api.types.is_datetime64_dtype(values):
        shown = np.datetime_as_string(values.to_numpy(dtype="datetime64[s]"), unit="s").astype(object)
        shown[values.isna().to_numpy()] = None
        return shown
    return values.astype(str).to_numpy(dtype=object)


def _listed(items: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _rows(rows: Sequence[int]) -> str:
    listed = ", ".join(map(str, rows[:_SHOWN])) + (f" and {len(rows) - _SHOWN:,} more" if len(rows) > _SHOWN else "")
    return f"Row {listed}" if len(rows) == 1 else f"Rows {listed}"


def _verb(rows: Sequence[int], one: str, more: str) -> str:
    return one if len(rows) == 1 else more
