"""Import of a stakeholder register kept in a spreadsheet (CSV or XLSX): the fields a register's
columns can feed, and the plan of an import: which rows add a stakeholder, which update one
already saved (matched by name, ignoring case, spacing and look-alikes, as the store's unique
name does), which are skipped, and each cell that cannot be imported and why.

The file is read, and its columns suggested, by the survey import's own functions
(``read_survey``, ``suggest_mapping``); each cell is checked by ``clean_stakeholder_field``,
the check the register's form uses. A refused cell costs that cell only: it is left as it was
(empty for a new stakeholder, the saved value for one already there) and listed. An empty cell
changes nothing, so importing a sheet with fewer columns never wipes what was typed. A row is
skipped when its name is missing or refused, or repeats an earlier row's name. Cells are text,
never formulas: a workbook's formula gives the value it shows, a CSV's "=..." is kept as typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import name_key
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.files import SurveyTable
from cpmkit.feedback.survey_import.mapping import ColumnMapping, Target
from cpmkit.feedback.survey_import.reader import RowProblem
from cpmkit.stakeholders.rules import STAKEHOLDER_FIELDS, clean_stakeholder_field

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = ["ADD", "REGISTER_KIND", "REGISTER_TARGETS", "SKIP", "UPDATE", "RegisterPlan", "RegisterRow", "plan_import"]

#: The kind under which a register's column mapping is remembered (never shared with a survey's).
REGISTER_KIND: Final = "stakeholder register"
ADD: Final = "add"
UPDATE: Final = "update"
SKIP: Final = "skip"

#: Each register field: its label and the headings a register kept by hand gives it.
_FIELDS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "name": ("Name", ("Stakeholder", "Stakeholder name", "Full name", "Person", "Who")),
    "role": ("Role", ("Job title", "Title", "Position", "Function")),
    "organisation": ("Organisation", ("Organization", "Company", "Department", "Org", "Team", "Employer")),
    "category": ("Category", ("Type", "Stakeholder type", "Group", "Kind")),
    "power": ("Power", ("Power (1-5)", "Influence", "Authority")),
    "interest": ("Interest", ("Interest (1-5)", "Impact", "Concern")),
    "current_engagement": ("Engagement now", ("Current engagement", "Engagement", "Current")),
    "desired_engagement": ("Engagement needed", ("Desired engagement", "Target engagement", "Desired")),
    "expected_value": ("Value they expect", ("Expected value", "Expectations", "Needs", "What they want")),
    "channel": ("Preferred channel", ("Channel", "Communication channel", "Contact method")),
    "cadence": ("How often", ("Cadence", "Frequency", "Communication frequency")),
    "owner": ("Relationship owner", ("Owner", "Contact owner", "Responsible", "Account owner")),
    "last_contact": ("Last contact", ("Last contacted", "Last contact date", "Last meeting")),
    "next_touchpoint": ("Next touchpoint", ("Next contact", "Next meeting", "Next touchpoint date", "Follow up")),
}
REGISTER_TARGETS: Final = tuple(
    Target(field, _FIELDS[field][0], "text", _FIELDS[field][1], required=field == "name")
    for field in STAKEHOLDER_FIELDS
)
_DATES: Final = ("last_contact", "next_touchpoint")
#: Characters of a cell a problem keeps.
_QUOTED: Final = 200


@dataclass(frozen=True)
class RegisterRow:
    """One row of the file as it will be saved: its number, ``action`` (ADD, UPDATE or SKIP), the
    name, and the filled cells that could be read, checked (field -> value as stored)."""

    row: int
    action: str
    name: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class RegisterPlan:
    """What importing a register file would do, row by row, and the cells it cannot import."""

    filename: str
    rows: tuple[RegisterRow, ...]
    problems: tuple[RowProblem, ...]

    def count(self, action: str) -> int:
        """How many rows ``action`` (ADD, UPDATE or SKIP) applies to."""
        return sum(row.action == action for row in self.rows)

    @property
    def saved(self) -> tuple[RegisterRow, ...]:
        """The rows an import saves (added or updated)."""
        return tuple(row for row in self.rows if row.action != SKIP)

    @property
    def summary(self) -> str:
        """'3 stakeholders to add, 1 to update, 1 row skipped; 2 cells cannot be imported.'"""
        added, updated, skipped = self.count(ADD), self.count(UPDATE), self.count(SKIP)
        text = f"{_n(added, 'stakeholder')} to add, {updated:,} to update, {_n(skipped, 'row')} skipped"
        skipped_rows = {row.row for row in self.rows if row.action == SKIP}
        cells = sum(problem.row not in skipped_rows for problem in self.problems)
        return text + (f"; {_n(cells, 'cell')} cannot be imported (each is left as it was)." if cells else ".")

    def preview(self, n: int | None = None) -> pd.DataFrame:
        """The first ``n`` rows (all when None) for the PM to check: "Row", "Import" (what
        happens), "Name", a column per other field the file fills (by label, each value as it
        will be saved) and "Problems"."""
        messages: dict[int, list[str]] = {}
        for problem in self.problems:
            messages.setdefault(problem.row, []).append(problem.message)
        shown = self.rows if n is None else self.rows[:n]
        filled = [t for t in REGISTER_TARGETS if t.id != "name" and any(t.id in row.values for row in self.rows)]
        frame = pd.DataFrame(
            {
                "Row": [row.row for row in shown],
                "Import": [_ACTIONS[row.action] for row in shown],
                "Name": [row.name for row in shown],
                **{t.label: [row.values.get(t.id) for row in shown] for t in filled},
                "Problems": [" ".join(messages.get(row.row, [])) for row in shown],
            }
        )
        return frame


_ACTIONS: Final = {ADD: "add", UPDATE: "update", SKIP: "skipped"}


def plan_import(table: SurveyTable, mapping: ColumnMapping, existing: Mapping[str, int]) -> RegisterPlan:
    """What importing ``table`` with ``mapping`` does to a register whose saved stakeholders have
    these name keys (``name_key(name)`` -> id): each row added, updated or skipped, and why.

    A ValidationError says so when no column is chosen for the name, or a chosen column is not in the file."""
    if mapping.columns.get("name") is None:
        raise ValidationError(
            f"{table.filename}: choose the column that holds each stakeholder's name.", field="mapping"
        )
    absent = [c for c in mapping.columns.values() if c is not None and c not in table.cells.columns]
    if absent:
        raise ValidationError(f"{table.filename}: there is no column {', '.join(map(repr, absent))} in the file.")
    mapped = [(field, column) for field, column in mapping.columns.items() if column is not None]
    seen: dict[str, int] = {}
    rows: list[RegisterRow] = []
    problems: list[RowProblem] = []
    name_column = str(mapping.columns["name"])
    for number, cells in zip(table.cells.index.tolist(), table.cells[[c for _f, c in mapped]].itertuples(index=False)):
        texts = dict(zip((f for f, _c in mapped), cells))
        raw_name = str(texts["name"])
        try:
            name = clean_stakeholder_field("name", raw_name)
        except ValidationError as exc:
            problems.append(_problem(number, name_column, exc))
            rows.append(RegisterRow(number, SKIP, raw_name, {}))
            continue
        key = name_key(name)
        if key in seen:
            reason = f"repeats the name in row {seen[key]}, so the row is skipped"
            problems.append(RowProblem(number, name_column, raw_name[:_QUOTED], reason))
            rows.append(RegisterRow(number, SKIP, name, {}))
            continue
        seen[key] = number
        values: dict[str, Any] = {}
        for field, column in mapped:
            text = str(texts[field])
            if field == "name" or not text.strip():
                continue
            try:
                values[field] = clean_stakeholder_field(field, _as_date(text) if field in _DATES else text)
            except ValidationError as exc:
                problems.append(_problem(number, str(column), exc))
        rows.append(RegisterRow(number, UPDATE if key in existing else ADD, name, values))
    return RegisterPlan(table.filename, tuple(rows), tuple(problems))


def _as_date(text: str) -> str:
    """A workbook's date cell ("2026-11-03 00:00:00", as read) as the date it shows; other text as it is."""
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return stamp.date().isoformat() if stamp.time() == dt.time() else text


def _problem(row: int, column: str, exc: ValidationError) -> RowProblem:
    """The cell refused with ``exc``: "the cell" and the form's own reason, without the field's
    label (the column names it): "the cell must be a whole number from 1 to 5, not 'high'"."""
    return RowProblem(row, column, "", str(exc).split(": ", 1)[-1].rstrip("."))


def _n(count: int, thing: str) -> str:
    return f"{count:,} {thing}{'' if count == 1 else 's'}"
