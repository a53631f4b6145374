"""Workbook 1's tables as they are exported: one sheet per table, for ``core.export.to_xlsx``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.stakeholders.rules import communication_plan, engagement_gaps, power_interest_grid, value_scorecard

__all__ = ["stakeholder_tables"]


def stakeholder_tables(
    stakeholders: pd.DataFrame, measures: pd.DataFrame, *, today: dt.date
) -> dict[str, pd.DataFrame]:
    """Workbook 1's register, communication plan, engagement gaps, grid and scorecard, by sheet name."""
    register = stakeholders.drop(columns=["id"], errors="ignore")
    return {
        "register": register,
        "communication plan": communication_plan(register, today=today),
        "engagement gaps": engagement_gaps(register),
        "power-interest grid": power_interest_grid(register),
        "value scorecard": value_scorecard(measures),
    }
