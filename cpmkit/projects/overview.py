"""The project's cockpit, as rules: the open actions from gaps and retrospectives (overdue
first), the overdue touchpoints, when the next pulse round is due, and one row per project for
the portfolio. Pure: plain data and DataFrames in, ``today`` passed in; no store, no widgets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import ACTION_FIELDS, as_date
from cpmkit.core.frames import require_columns
from cpmkit.feedback.retro.rules import OPEN_STATUSES
from cpmkit.gap.status import StatusReport

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_PAGES",
    "OPEN_ACTION_COLUMNS",
    "PORTFOLIO_COLUMNS",
    "TOUCHPOINT_COLUMNS",
    "next_pulse_round",
    "open_actions",
    "overdue_touchpoints",
    "portfolio_table",
]

#: An action still to do, in either workbook (gap actions: open, in progress, done; retro
#: actions also dropped).
#: Where each kind of action is handled: its source's label and the page (``notebooks.yaml``).
ACTION_PAGES: Final = {"gap": ("Expectation gap", "expectation_gap"), "retro": ("Retrospective", "lessons_learned")}
OPEN_ACTION_COLUMNS: Final = ["source", "page", "about", *ACTION_FIELDS, "overdue", "days_overdue"]
TOUCHPOINT_COLUMNS: Final = ["name", "channel", "owner", "next_due", "days_overdue"]
PORTFOLIO_COLUMNS: Final = ["id", "name", "lights", "all_red", "reason"]


def open_actions(
    gap_actions: pd.DataFrame,
    retro_actions: pd.DataFrame,
    *,
    today: dt.date,
    dimension_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The actions still open or in progress from workbook 3's gaps and workbook 4's
    retrospectives (``OPEN_ACTION_COLUMNS``): the overdue ones first, the longest overdue
    first, then by due date, those with no due date last. ``about`` names the stakeholder and
    dimension of a gap's action."""
    require_columns(gap_actions, ["stakeholder", "dimension", *ACTION_FIELDS], "open actions")
    require_columns(retro_actions, list(ACTION_FIELDS), "open actions")
    names = dimension_names or {}
    gap = gap_actions.assign(
        source="gap",
        about=[
            f"{who}, {names.get(str(d), str(d))}"
            for who, d in zip(gap_actions["stakeholder"], gap_actions["dimension"])
        ],
    )
    retro = retro_actions.assign(source="retro", about="")
    parts = [frame[["source", "about", *ACTION_FIELDS]] for frame in (gap, retro) if not frame.empty]
    if not parts:
        return pd.DataFrame(columns=OPEN_ACTION_COLUMNS)
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["status"].isna() | rows["status"].isin(OPEN_STATUSES)].copy()
    rows["due"] = [_date(due) for due in rows["due"]]
    rows["overdue"] = [due is not None and due < today for due in rows["due"]]
    rows["days_overdue"] = [(today - due).days if over else 0 for due, over in zip(rows["due"], rows["overdue"])]
    rows["page"] = rows["source"].map(lambda source: ACTION_PAGES[source][1])
    rows["source"] = rows["source"].map(lambda source: ACTION_PAGES[source][0])
    rows["_due"] = [due or dt.date.max for due in rows["due"]]
    rows = rows.sort_values(["overdue", "_due", "source"], ascending=[False, True, True], kind="stable")
    return rows[OPEN_ACTION_COLUMNS].reset_index(drop=True)


def overdue_touchpoints(plan: pd.DataFrame) -> pd.DataFrame:
    """The touchpoints of the communication plan (``stakeholders.rules.communication_plan``)
    that are overdue, the longest overdue first (``TOUCHPOINT_COLUMNS``)."""
    require_columns(plan, [*TOUCHPOINT_COLUMNS, "overdue"], "overdue touchpoints")
    late = plan[plan["overdue"].astype(bool)].sort_values(["days_overdue", "name"], ascending=[False, True])
    return late[TOUCHPOINT_COLUMNS].reset_index(drop=True)


def next_pulse_round(rounds: pd.DataFrame, *, every_days: int | None, today: dt.date) -> tuple[str, bool]:
    """When the next pulse round is due, in a sentence, and whether it is late: the last round's
    opening day plus ``every_days`` (the pulse survey's cadence); with no cadence, the sentence
    says only when the last round opened. ``rounds`` is ``PulseStore.rounds`` (earliest first)."""
    require_columns(rounds, ["name", "opened_on", "responses"], "pulse rounds")
    if rounds.empty:
        return "No pulse round yet: open the first one in workbook 4.", False
    latest = rounds.iloc[-1]
    opened = as_date(latest["opened_on"])
    answers = int(latest["responses"])
    last = f"{latest['name']}, opened on {opened:%Y-%m-%d} and has {answers} answer{'s' if answers != 1 else ''}"
    if every_days is None:
        return f"The last pulse round, {last}.", False
    due = opened + dt.timedelta(days=every_days)
    late = (today - due).days
    if late > 0:
        when = f"was due on {due:%Y-%m-%d}: OVERDUE by {late} day(s)"
    else:
        when = "is due today" if late == 0 else f"is due on {due:%Y-%m-%d}"
    return f"The next pulse round {when} (every {every_days} days); the last, {last}.", late > 0


def portfolio_table(projects: Sequence[Mapping[str, Any]], reports: Mapping[int, StatusReport | str]) -> pd.DataFrame:
    """One row per project (``projects``: ``{"id", "name"}``, in the order given) with its lights
    (``{area: colour}``), whether every light is red and the first reason; ``reports`` holds
    each project's status report, or the sentence saying why it could not be read."""
    rows = []
    for project in projects:
        found = reports.get(int(project["id"]), "Not read.")
        if isinstance(found, str):
            rows.append({"id": project["id"], "name": project["name"], "lights": {}, "all_red": False, "reason": found})
            continue
        reason = found.reasons[0] if found.reasons else ""
        rows.append(
            {
                "id": project["id"],
                "name": project["name"],
                "lights": dict(found.lights),
                "all_red": found.all_red,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=PORTFOLIO_COLUMNS)


def _date(value: Any) -> dt.date | None:
    """A stored date (a date, datetime or Timestamp; None or NaT when unset) as a plain date."""
    return None if value is None or pd.isna(value) else as_date(value)
