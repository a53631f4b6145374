"""Unit tests of cpmkit.stakeholders.summary: the landing page's few lines per workbook."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.stakeholders.rules import MEASURE_FIELDS, STAKEHOLDER_FIELDS
from cpmkit.stakeholders.summary import stakeholder_summary

TODAY = dt.date(2024, 6, 15)
REGISTER_COLUMNS = ["id", *STAKEHOLDER_FIELDS]
MEASURE_COLUMNS = ["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS]


def _register() -> pd.DataFrame:
    d = dt.date
    rows = [
        # manage closely; gap +2; weekly from 06-01 -> 06-08, overdue
        {
            "id": 1,
            "name": "Ann",
            "power": 5,
            "interest": 4,
            "current_engagement": "neutral",
            "desired_engagement": "leading",
            "cadence": "weekly",
            "last_contact": d(2024, 6, 1),
        },
        # manage closely (boundary 3, 3); gap -1; monthly from 06-10 -> 07-10, not overdue
        {
            "id": 2,
            "name": "Bob",
            "power": 3,
            "interest": 3,
            "current_engagement": "leading",
            "desired_engagement": "supportive",
            "cadence": "monthly",
            "last_contact": d(2024, 6, 10),
        },
        # keep satisfied; gap +1; manual touchpoint 06-14, overdue
        {
            "id": 3,
            "name": "Cy",
            "power": 4,
            "interest": 1,
            "current_engagement": "unaware",
            "desired_engagement": "resistant",
            "cadence": "per milestone",
            "next_touchpoint": d(2024, 6, 14),
        },
        # not rated; no engagement; never contacted: due today, not overdue
        {"id": 4, "name": "Dee"},
    ]
    return pd.DataFrame(rows, columns=REGISTER_COLUMNS)


def _measures() -> pd.DataFrame:
    rows = [
        (1, 1, "Ann", "NPS", None, 20.0, 50.0, 50.0, None),  # target met
        (2, 1, "Ann", "Wait", "days", 10.0, 5.0, 7.0, None),  # in progress
        (3, 2, "Bob", "Sales", None, 100.0, 200.0, 250.0, None),  # beyond the target: met
        (4, 3, "Cy", "Defects", None, None, None, None, None),  # not defined
    ]
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def test_stakeholder_summary() -> None:
    assert stakeholder_summary(_register(), _measures(), today=TODAY) == [
        ("Stakeholders", "4 (2 to manage closely)"),
        ("Engagement gaps", "2 below the engagement needed"),
        ("Touchpoints overdue", "2"),
        ("Success measures", "2 of 4 at target"),
    ]


def test_stakeholder_summary_without_measures() -> None:
    lines = stakeholder_summary(_register(), pd.DataFrame(columns=MEASURE_COLUMNS), today=TODAY)
    assert lines[-1] == ("Success measures", "0 of 0 at target")


def test_stakeholder_summary_of_unrated_stakeholders() -> None:
    register = pd.DataFrame([{"id": 1, "name": "Solo"}], columns=REGISTER_COLUMNS)
    assert stakeholder_summary(register, pd.DataFrame(columns=MEASURE_COLUMNS), today=TODAY) == [
        ("Stakeholders", "1 (0 to manage closely)"),
        ("Engagement gaps", "0 below the engagement needed"),
        ("Touchpoints overdue", "0"),
        ("Success measures", "0 of 0 at target"),
    ]


def test_stakeholder_summary_of_an_empty_project() -> None:
    empty = pd.DataFrame(columns=REGISTER_COLUMNS)
    assert stakeholder_summary(empty, pd.DataFrame(columns=MEASURE_COLUMNS), today=TODAY) == [
        ("Stakeholders", "none recorded yet")
    ]
