"""Workbook 1 logic: stakeholder fields, the power/interest grid, engagement gaps,
the communication plan and the value scorecard.

Pure functions over plain values and DataFrames: no widgets, no I/O. The store calls the
``clean_*`` functions before it writes, so a bad value is refused the same way from the
UI, the CLI or a test.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import (
    as_date,
    clean_choice,
    clean_date,
    clean_name,
    clean_number,
    clean_text,
    clean_whole_number,
    name_key,
    required,
    taken,
)
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "CADENCES",
    "CATEGORIES",
    "CHANNELS",
    "ENGAGEMENT_LEVELS",
    "MEASURE_FIELDS",
    "QUADRANTS",
    "STAKEHOLDER_FIELDS",
    "clean_measure_field",
    "clean_stakeholder_field",
    "communication_plan",
    "engagement_gaps",
    "name_key",
    "power_interest_grid",
    "progress_percent",
    "quadrant",
    "touchpoint_status",
    "value_scorecard",
]

CATEGORIES: Final = ("customer", "sponsor", "user", "team", "supplier", "other")
#: Ordered from least to most engaged; the gap is the distance between two positions.
ENGAGEMENT_LEVELS: Final = ("unaware", "resistant", "neutral", "supportive", "leading")
CHANNELS: Final = ("email", "call", "meeting", "chat", "text", "report")
#: Days between touchpoints; ``None`` means the PM sets each next touchpoint by hand.
CADENCES: Final[dict[str, int | None]] = {
    "weekly": 7,
    "fortnightly": 14,
    "monthly": 30,
    "per milestone": None,
}
SCALE: Final = (1, 5)
#: Power or interest at or above this value counts as high on the grid.
HIGH_FROM: Final = 3
QUADRANTS: Final = {
    (True, True): "manage closely",
    (True, False): "keep satisfied",
    (False, True): "keep informed",
    (False, False): "monitor",
}

_TEXT_LIMITS: Final = {
    "name": 120,
    "role": 200,
    "organisation": 200,
    "expected_value": 2000,
    "owner": 120,
    "metric": 200,
    "unit": 40,
}
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "category": CATEGORIES,
    "current_engagement": ENGAGEMENT_LEVELS,
    "desired_engagement": ENGAGEMENT_LEVELS,
    "channel": CHANNELS,
    "cadence": tuple(CADENCES),
}
STAKEHOLDER_FIELDS: Final = (
    "name",
    "role",
    "organisation",
    "category",
    "power",
    "interest",
    "current_engagement",
    "desired_engagement",
    "expected_value",
    "channel",
    "cadence",
    "owner",
    "last_contact",
    "next_touchpoint",
)
MEASURE_FIELDS: Final = ("metric", "unit", "baseline", "target", "latest", "measured_on")


def clean_stakeholder_field(field: str, value: Any, *, other_names: Iterable[str] = ()) -> Any:
    """Return ``value`` made canonical for ``field``, or raise a ValidationError saying why.

    ``other_names`` are the names of the project's other stakeholders, for the duplicate check.
    """
    if field not in STAKEHOLDER_FIELDS:
        raise ValidationError(f"Unknown stakeholder field {field!r}.", field=field, value=value)
    if field == "name":
        name = required(field, value, clean_name(field, value, limit=_TEXT_LIMITS[field]))
        if name_key(name) in {name_key(other) for other in other_names}:
            raise ValidationError.for_field(field, value, taken("stakeholder", name))
        return name
    if field in ("power", "interest"):
        return clean_whole_number(field, value, low=SCALE[0], high=SCALE[1])
    if field in _CHOICES:
        return clean_choice(field, value, _CHOICES[field])
    if field in ("last_contact", "next_touchpoint"):
        return clean_date(field, value)
    return _text(field, value)


def clean_measure_field(field: str, value: Any, *, current: Mapping[str, Any]) -> Any:
    """Return ``value`` made canonical for a success-measure field, checked against the
    measure's other saved fields (a target equal to the baseline measures no progress)."""
    if field not in MEASURE_FIELDS:
        raise ValidationError(f"Unknown measure field {field!r}.", field=field, value=value)
    if field == "metric":
        return required(field, value, _text(field, value))
    if field == "unit":
        return _text(field, value)
    if field == "measured_on":
        return clean_date(field, value)
    number = clean_number(field, value)
    merged = {**current, field: number}
    baseline, target = merged.get("baseline"), merged.get("target")
    if baseline is not None and target is not None and math.isclose(baseline, target):
        raise ValidationError.for_field(
            field, value, f"the target equals the baseline ({_fmt(baseline)}), so progress cannot be measured."
        )
    return number


def quadrant(power: int, interest: int) -> str:
    """The power/interest strategy for one stakeholder (Mendelow's grid)."""
    return QUADRANTS[(power >= HIGH_FROM, interest >= HIGH_FROM)]


def power_interest_grid(stakeholders: pd.DataFrame) -> pd.DataFrame:
    """One row per occupied grid cell: power, interest, strategy, how many and who.

    Aggregated here so a chart of hundreds of stakeholders stays a handful of points.
    """
    require_columns(stakeholders, ["name", "power", "interest"], "power/interest grid")
    rated = stakeholders.dropna(subset=["power", "interest"]).copy()
    if rated.empty:
        return pd.DataFrame(columns=["power", "interest", "strategy", "count", "names"])
    rated["power"] = rated["power"].astype(int)
    rated["interest"] = rated["interest"].astype(int)
    cells = (
        rated.sort_values("name", key=lambda s: s.str.casefold())
        .groupby(["power", "interest"], as_index=False)
        .agg(count=("name", "size"), names=("name", ", ".join))
    )
    cells.insert(2, "strategy", [quadrant(p, i) for p, i in zip(cells["power"], cells["interest"])])
    return cells.sort_values(["power", "interest"], ascending=False, ignore_index=True)


def engagement_gaps(stakeholders: pd.DataFrame) -> pd.DataFrame:
    """Current against desired engagement per stakeholder, the largest gap first.

    ``gap`` counts steps on the unaware..leading scale; negative means more engaged than needed.
    """
    require_columns(stakeholders, ["name", "current_engagement", "desired_engagement"], "engagement gaps")
    rows = stakeholders.dropna(subset=["current_engagement", "desired_engagement"]).copy()
    order = {level: i for i, level in enumerate(ENGAGEMENT_LEVELS)}
    rows["gap"] = rows["desired_engagement"].map(order) - rows["current_engagement"].map(order)
    rows = rows[["name", "current_engagement", "desired_engagement", "gap"]]
    rows["gap"] = rows["gap"].astype(int)
    rows["_abs"] = rows["gap"].abs()
    rows["_name"] = rows["name"].map(lambda name: str(name).casefold())
    rows = rows.sort_values(["_abs", "gap", "_name"], ascending=[False, False, True], ignore_index=True)
    return rows.drop(columns=["_abs", "_name"])


def communication_plan(stakeholders: pd.DataFrame, *, today: dt.date) -> pd.DataFrame:
    """Who hears from us, about what value, how and how often; when next, and what is overdue.

    The next touchpoint is the date set by hand if there is one, else the last contact plus
    the cadence; a stakeholder never contacted is due today.
    """
    columns = ["name", "expected_value", "channel", "cadence", "owner", "last_contact", "next_touchpoint"]
    require_columns(stakeholders, columns, "communication plan")
    plan = stakeholders[columns].copy()
    plan["next_due"] = [
        _next_due(last, manual, cadence, today=today)
        for last, manual, cadence in zip(plan["last_contact"], plan["next_touchpoint"], plan["cadence"])
    ]
    plan["overdue"] = [due is not None and due < today for due in plan["next_due"]]
    plan["days_overdue"] = [(today - due).days if over else 0 for due, over in zip(plan["next_due"], plan["overdue"])]
    plan = plan.drop(columns=["next_touchpoint"])
    plan["_due"] = [due or dt.date.max for due in plan["next_due"]]
    plan = plan.sort_values(["overdue", "_due", "name"], ascending=[False, True, True], ignore_index=True)
    return plan.drop(columns="_due")


def touchpoint_status(plan: pd.DataFrame) -> list[str]:
    """What the plan's status column says per row of ``communication_plan``: how many days an
    overdue touchpoint is late, nothing for one that is not due yet."""
    require_columns(plan, ["overdue", "days_overdue"], "touchpoint status")
    return [f"OVERDUE by {days} day(s)" if over else "" for over, days in zip(plan["overdue"], plan["days_overdue"])]


def value_scorecard(measures: pd.DataFrame) -> pd.DataFrame:
    """Progress of each success measure from its baseline to its target (0 = baseline, 1 = target).

    Progress is signed, so a measure moving away from its target shows below zero.
    """
    columns = ["stakeholder", "metric", "unit", "baseline", "target", "latest", "measured_on"]
    require_columns(measures, columns, "value scorecard")
    card = measures[columns].copy()
    span = card["target"] - card["baseline"]
    card["progress"] = ((card["latest"] - card["baseline"]) / span.where(span != 0)).astype(float).round(3)
    card["status"] = [_status(p, b, t) for p, b, t in zip(card["progress"], card["baseline"], card["target"])]
    return card.sort_values(["progress", "stakeholder", "metric"], na_position="first", ignore_index=True)


def progress_percent(card: pd.DataFrame) -> pd.Series:
    """Each measure's progress (``value_scorecard``) in whole percent: 1 (the target) is 100."""
    require_columns(card, ["progress"], "progress in percent")
    return (card["progress"] * 100).round(0)


def _status(progress: float, baseline: float | None, target: float | None) -> str:
    if pd.isna(baseline) or pd.isna(target):
        return "not defined"
    if pd.isna(progress):
        return "not measured"
    if progress >= 1:
        return "target met"
    return "moving away" if progress < 0 else "in progress"


def _next_due(last: Any, manual: Any, cadence: Any, *, today: dt.date) -> dt.date | None:
    if not pd.isna(manual):
        return as_date(manual)
    if pd.isna(last):
        return today
    days = CADENCES.get(cadence) if isinstance(cadence, str) else None
    return None if days is None else as_date(last) + dt.timedelta(days=days)


def _text(field: str, value: Any) -> str | None:
    return clean_text(field, value, limit=_TEXT_LIMITS[field])


def _fmt(number: float) -> str:
    return f"{number:g}"
