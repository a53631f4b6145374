"""The one-screen project summary on the landing page: each workbook contributes a
function that turns its tables into a few (label, value) lines."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.stakeholders.rules import communication_plan, engagement_gaps, power_interest_grid, value_scorecard

__all__ = ["stakeholder_summary"]

Line = tuple[str, str]


def stakeholder_summary(stakeholders: pd.DataFrame, measures: pd.DataFrame, *, today: dt.date) -> list[Line]:
    """Workbook 1 in a few lines: who, how engaged, who is overdue, how much value is shown."""
    if stakeholders.empty:
        return [("Stakeholders", "none recorded yet")]
    grid = power_interest_grid(stakeholders)
    closely = int(grid.loc[grid["strategy"] == "manage closely", "count"].sum())
    gaps = engagement_gaps(stakeholders)
    plan = communication_plan(stakeholders, today=today)
    card = value_scorecard(measures)
    met = int((card["status"] == "target met").sum())
    return [
        ("Stakeholders", f"{len(stakeholders)} ({closely} to manage closely)"),
        ("Engagement gaps", f"{int((gaps['gap'] > 0).sum())} below the engagement needed"),
        ("Touchpoints overdue", str(int(plan["overdue"].sum()))),
        ("Success measures", f"{met} of {len(card)} at target"),
    ]
