"""A project's cockpit read from the store: its status report, NPS and CSAT per pulse round,
open actions, overdue touchpoints and next pulse round due (``read_overview``), and the status of
each of an owner's projects (``read_portfolio``). Each section is read on its own: one that
fails says so in a sentence (``ProjectOverview.problems``) and the others are still there.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from cpmkit.accounts.owners import LOCAL_OWNER, Owner
from cpmkit.db.database import Store
from cpmkit.errors import CpmkitError
from cpmkit.feedback import trends
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import PulseSurvey
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.status import StatusReport
from cpmkit.gap.store import GapStore, read_gap_data
from cpmkit.gap.template import GapTemplate, load_gap_template
from cpmkit.projects import overview
from cpmkit.stakeholders.rules import communication_plan
from cpmkit.stakeholders.store import StakeholderStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SECTIONS", "ProjectOverview", "read_overview", "read_portfolio"]

log = logging.getLogger(__name__)

#: The cockpit's sections, each read on its own, and what a failed read calls it.
SECTIONS: Final = {
    "status": "The status lights",
    "pulse": "The NPS and CSAT figures",
    "actions": "The open actions",
    "touchpoints": "The communication plan",
    "rounds": "The pulse rounds",
}

T = TypeVar("T")


@dataclass(frozen=True)
class ProjectOverview:
    """One project's cockpit. A section whose read failed is None (``pulse_round``: ``("", False)``) and
    ``problems`` holds the sentence saying so, by section (``SECTIONS``).

    ``status``: the status report (lights, the all-red rule and its reasons); ``pulse``: NPS and
    CSAT per round with n (``trends.pulse_trend`` rows); ``actions``: the open actions, overdue
    first (``overview.OPEN_ACTION_COLUMNS``); ``touchpoints``: the overdue touchpoints
    (``overview.TOUCHPOINT_COLUMNS``); ``pulse_round``: when the next pulse round is due, in a
    sentence, and whether it is late (``overview.next_pulse_round``)."""

    project_id: int
    status: StatusReport | None
    pulse: pd.DataFrame | None
    actions: pd.DataFrame | None
    touchpoints: pd.DataFrame | None
    pulse_round: tuple[str, bool]
    problems: dict[str, str]


def read_overview(
    store: Store,
    project_id: int,
    *,
    today: dt.date,
    gap_template: GapTemplate | None = None,
    survey: PulseSurvey | None = None,
) -> ProjectOverview:
    """Read one project's cockpit (the caller checks the owner may see the project)."""
    template = gap_template or load_gap_template()
    gaps = _gap_store(store, template)
    pulses = PulseStore(store, survey)
    problems: dict[str, str] = {}

    def section(name: str, read: Callable[[], T]) -> T | None:
        return _section(problems, name, read)

    data = section("status", lambda: read_gap_data(gaps, StakeholderStore(store), project_id, template))
    status = section("status", lambda: data.status(template)) if data is not None else None
    pulse = section("pulse", lambda: _scores(pulses, project_id))
    actions = section(
        "actions",
        lambda: overview.open_actions(
            gaps.actions(project_id),
            RetroStore(store).actions(project_id),
            today=today,
            dimension_names=template.dimension_names,
        ),
    )
    register = data.register if data is not None else None
    touchpoints = section(
        "touchpoints",
        lambda: overview.overdue_touchpoints(
            communication_plan(
                register if register is not None else StakeholderStore(store).stakeholders(project_id), today=today
            )
        ),
    )
    pulse_round = section(
        "rounds",
        lambda: overview.next_pulse_round(pulses.rounds(project_id), every_days=pulses.survey.every_days, today=today),
    )
    return ProjectOverview(project_id, status, pulse, actions, touchpoints, pulse_round or ("", False), problems)


def read_portfolio(
    store: Store, owner: Owner = LOCAL_OWNER, *, gap_template: GapTemplate | None = None
) -> pd.DataFrame:
    """One row per project ``owner`` may see, by name, with its lights and whether every light
    is red (``overview.PORTFOLIO_COLUMNS``); a project whose status cannot be read says why."""
    template = gap_template or load_gap_template()
    gaps, register = _gap_store(store, template), StakeholderStore(store)
    projects = store.list_projects(owner)
    reports: dict[int, StatusReport | str] = {}
    for project in projects:
        problems: dict[str, str] = {}
        found = _section(problems, "status", functools.partial(_status, gaps, register, project["id"], template))
        reports[project["id"]] = found if found is not None else problems["status"]
    return overview.portfolio_table(projects, reports)


def _status(gaps: GapStore, register: StakeholderStore, project_id: int, template: GapTemplate) -> StatusReport:
    return read_gap_data(gaps, register, project_id, template).status(template)


def _gap_store(store: Store, template: GapTemplate) -> GapStore:
    return GapStore(store, scale=template.scale, importance=template.importance, satisfaction=template.satisfaction)


def _scores(pulses: PulseStore, project_id: int) -> pd.DataFrame:
    """NPS and CSAT per pulse round with their n (the rating questions are workbook 4's)."""
    trend, _ = trends.pulse_trend(pulses.responses(project_id), pulses.survey)
    return trend[trend["measure"].isin(trends.SCORE_MEASURES)].reset_index(drop=True)


def _section(problems: dict[str, str], name: str, read: Callable[[], T]) -> T | None:
    """``read()``, or None with the sentence saying it failed in ``problems[name]``: a
    CpmkitError's own message, anything else logged and a plain sentence."""
    try:
        return read()
    except CpmkitError as exc:
        problems[name] = f"{SECTIONS[name]} could not be read: {exc}"
    except Exception:
        log.exception("reading the cockpit's %s failed", name)
        problems[name] = f"{SECTIONS[name]} could not be read; the rest of the page is shown."
    return None
