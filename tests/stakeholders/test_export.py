"""Unit tests of cpmkit.stakeholders.export: workbook 1's tables, one sheet each."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from cpmkit.core.export import to_xlsx
from cpmkit.stakeholders.export import stakeholder_tables
from cpmkit.stakeholders.rules import MEASURE_FIELDS, STAKEHOLDER_FIELDS


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _sheet_rows(data: bytes, sheet: str) -> list[tuple[object, ...]]:
    workbook = _workbook(data)
    try:
        return list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()


TODAY = dt.date(2024, 6, 15)


@pytest.fixture
def register() -> pd.DataFrame:
    rows = [
        {
            "id": 1,
            "name": "=Ann",
            "power": 4,
            "interest": 4,
            "current_engagement": "neutral",
            "desired_engagement": "leading",
            "cadence": "weekly",
            "last_contact": dt.date(2024, 6, 1),
        },
        {
            "id": 2,
            "name": "Bob",
            "power": 1,
            "interest": 2,
            "current_engagement": "leading",
            "desired_engagement": "leading",
            "cadence": "monthly",
            "last_contact": dt.date(2024, 6, 10),
        },
    ]
    return pd.DataFrame(rows, columns=["id", *STAKEHOLDER_FIELDS])


@pytest.fixture
def measures() -> pd.DataFrame:
    return pd.DataFrame(
        [(1, 1, "=Ann", "NPS", "pts", 20.0, 50.0, 35.0, dt.date(2024, 6, 1))],
        columns=["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS],
    )


def test_stakeholder_tables(register: pd.DataFrame, measures: pd.DataFrame) -> None:
    tables = stakeholder_tables(register, measures, today=TODAY)
    assert list(tables) == [
        "register",
        "communication plan",
        "engagement gaps",
        "power-interest grid",
        "value scorecard",
    ]
    assert "id" not in tables["register"].columns
    assert list(tables["register"].columns) == list(STAKEHOLDER_FIELDS)
    plan = tables["communication plan"]
    # Ann: 06-01 + 7 = 06-08, 7 days overdue; Bob: 06-10 + 30 = 07-10.
    assert plan[["name", "next_due", "days_overdue"]].values.tolist() == [
        ["=Ann", dt.date(2024, 6, 8), 7],
        ["Bob", dt.date(2024, 7, 10), 0],
    ]
    assert tables["engagement gaps"][["name", "gap"]].values.tolist() == [["=Ann", 2], ["Bob", 0]]
    assert tables["power-interest grid"]["strategy"].tolist() == ["manage closely", "monitor"]
    assert tables["value scorecard"]["progress"].tolist() == [0.5]
    assert "id" in register.columns  # the caller's frame keeps its ids


def test_stakeholder_tables_to_xlsx(register: pd.DataFrame, measures: pd.DataFrame) -> None:
    data = to_xlsx(stakeholder_tables(register, measures, today=TODAY))
    workbook = _workbook(data)
    try:
        assert workbook.sheetnames == [
            "register",
            "communication plan",
            "engagement gaps",
            "power-interest grid",
            "value scorecard",
        ]
        assert workbook["register"]["A2"].value == "=Ann" and workbook["register"]["A2"].data_type == "s"
        assert workbook["value scorecard"]["A2"].value == "=Ann" and workbook["value scorecard"]["A2"].quotePrefix
    finally:
        workbook.close()


def test_stakeholder_tables_of_an_empty_project() -> None:
    register = pd.DataFrame(columns=["id", *STAKEHOLDER_FIELDS])
    measures = pd.DataFrame(columns=["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS])
    tables = stakeholder_tables(register, measures, today=TODAY)
    assert all(table.empty for table in tables.values())
    data = to_xlsx(tables)
    assert _sheet_rows(data, "power-interest grid") == [("Power", "Interest", "Strategy", "Count", "Names")]
