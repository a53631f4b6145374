"""The register import's plan, pure: columns suggested from a register's headings, each row added,
updated (its name is saved already, whatever its case or spacing) or skipped, each refused cell
named by row and column in the form's own words and left as it was, formulas kept as text."""

from __future__ import annotations

import datetime as dt

import pytest

from cpmkit.core.fields import name_key
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.files import read_survey
from cpmkit.feedback.survey_import.mapping import suggest_mapping
from cpmkit.stakeholders.register_import.rules import ADD, REGISTER_TARGETS, SKIP, UPDATE, plan_import

REGISTER = (
    b"Stakeholder,Job title,Company,Type,Influence,Interest,Last contacted\n"
    b"Ada Lovelace,Sponsor,Acme,sponsor,5,4,2026-10-01\n"
    b"  grace HOPPER ,CIO,Acme,customer,high,3,\n"
    b",nobody,,,,,\n"
    b"Ada  Lovelace,again,,,,,\n"
    b'=HYPERLINK("http://x"),<b>x</b>,,boss,2,2,yesterday\n'
)


def test_a_register_is_mapped_and_planned_row_by_row() -> None:
    table = read_survey(REGISTER, "register.csv")
    mapping = suggest_mapping(table.columns, REGISTER_TARGETS)
    assert dict(mapping.columns) == {
        "name": "Stakeholder", "role": "Job title", "organisation": "Company", "category": "Type",
        "power": "Influence", "interest": "Interest", "current_engagement": None, "desired_engagement": None,
        "expected_value": None, "channel": None, "cadence": None, "owner": None,
        "last_contact": "Last contacted", "next_touchpoint": None,
    }  # fmt: skip
    plan = plan_import(table, mapping, {name_key("Grace Hopper"): 7})
    assert [(r.row, r.action, r.name) for r in plan.rows] == [
        (2, ADD, "Ada Lovelace"),
        (3, UPDATE, "grace HOPPER"),
        (4, SKIP, ""),
        (5, SKIP, "Ada  Lovelace"),
        (6, ADD, '=HYPERLINK("http://x")'),
    ]
    ada, grace, *_rest, formula = plan.rows
    assert ada.values == {
        "role": "Sponsor", "organisation": "Acme", "category": "sponsor", "power": 5, "interest": 4,
        "last_contact": dt.date(2026, 10, 1),
    }  # fmt: skip
    assert "power" not in grace.values and "last_contact" not in grace.values  # refused, or empty: left as it was
    assert formula.values["role"] == "<b>x</b>"  # text, as typed
    messages = [p.message for p in plan.problems]
    assert messages[0] == "Row 3, column 'Influence': the cell must be a whole number from 1 to 5, not 'high'."
    assert messages[1].startswith("Row 4, column 'Stakeholder': the cell ")
    assert (
        messages[2] == "Row 5, column 'Stakeholder': 'Ada Lovelace' repeats the name in row 2, so the row is skipped."
    )
    assert messages[3].startswith("Row 6, column 'Type': the cell 'boss' is not one of: customer")
    assert messages[4] == "Row 6, column 'Last contacted': the cell 'yesterday' is not a date (use YYYY-MM-DD)."
    assert (
        plan.summary
        == "2 stakeholders to add, 1 to update, 2 rows skipped; 3 cells cannot be imported (each is left as it was)."
    )
    preview = plan.preview(3)
    assert list(preview.columns) == [
        "Row", "Import", "Name", "Role", "Organisation", "Category", "Power", "Interest", "Last contact", "Problems",
    ]  # fmt: skip
    assert list(preview.columns)[:3] == ["Row", "Import", "Name"] and list(preview["Import"]) == [
        "add", "update", "skipped",
    ]  # fmt: skip


def test_a_register_without_a_name_column_is_refused() -> None:
    table = read_survey(b"Role,Company\nCIO,Acme\n", "roles.csv")
    with pytest.raises(ValidationError, match="roles.csv: choose the column that holds each stakeholder's name"):
        plan_import(table, suggest_mapping(table.columns, REGISTER_TARGETS), {})
