"""Workbook 1's tables as they are exported: one sheet per table, for ``core.export.to_xlsx``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.stakeholders.rules import communication_plan, engagement_gaps, power_interest_grid, value_scorecard

__all__ = ["SHEETS", "stakeholder_tables"]

#: The sheets of an export, in order (a file each as CSV).
SHEETS = ("register", "communication plan", "engagement gaps", "power-interest grid", "value scorecard")


def stakeholder_tables(
    stakeholders: pd.DataFrame, measures: pd.DataFrame, *, today: dt.date
) -> dict[str, pd.DataFrame]:
    """Workbook 1's register, communication plan, engagement gaps, grid and scorecard, by sheet name."""
    register = stakeholders.drop(columns=["id"], errors="ignore")
    tables = (
        register,
        communication_plan(register, today=today),
        engagement_gaps(register),
        power_interest_grid(register),
        value_scorecard(measures),
    )
    return dict(zip(SHEETS, tables, strict=True))
