"""The landing page, the project's cockpit: choose or create a project, open a workbook, and see
the project at a glance: its status lights (all red, and why, when a key customer is
dissatisfied), NPS and CSAT per pulse round with n, the open actions overdue first, the overdue
touchpoints and the last pulse round, each linking to the workbook where it is handled; with
several projects, one row per project with its lights. Entry point: ``app()``."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import ipywidgets as W

from cpmkit.core.content import load_notebook_templates, notebook_file
from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.export import table_html
from cpmkit.db.database import Store
from cpmkit.feedback import trends
from cpmkit.gap.status import lights_html
from cpmkit.gap.template import load_gap_template
from cpmkit.projects.store import ProjectOverview, read_overview, read_portfolio
from cpmkit.stakeholders.rules import touchpoint_status
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.stakeholders.summary import stakeholder_summary
from cpmkit.ui.page_header import PageHeader
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import failure_message, scrolling_table, stylesheet

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = ["PORTFOLIO_AT_ONCE", "LandingApp", "app", "cockpit_html", "page_href", "portfolio_html"]

#: Up to this many projects, the landing page shows the portfolio at once; beyond, on a click
#: (each project's lights are a read and the landing page is the first page opened).
PORTFOLIO_AT_ONCE: Final = 6


def app() -> W.Widget:
    """Build the landing page on the default store."""
    return safe_app(lambda: LandingApp(open_store()).widget)


class LandingApp:
    """Project choice, links to each workbook for that project, the project's cockpit and, with
    several projects, the portfolio."""

    def __init__(self, store: Store, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.store, self.today = store, today
        self.register = StakeholderStore(store)
        self.template = load_gap_template()
        self.links = W.HTML()
        self.cockpit = W.HTML()
        self.summary = W.HTML()
        self.portfolio = W.HTML()
        self.show_portfolio = W.Button(icon="table", layout=W.Layout(width="auto", display="none"))
        self.show_portfolio.on_click(lambda _: self._fill_portfolio())
        self._portfolio_of: tuple[tuple[int, str], ...] | None = None  # the projects the portfolio shows
        self.header = PageHeader(store, "index", on_change=lambda _: self.refresh())
        self.bar = self.header.bar
        self.widget = W.VBox(
            [
                stylesheet(),
                self.header.widget,
                W.HTML("<h3>Workbooks</h3>"),
                self.links,
                self.cockpit,
                W.HTML("<h3>Stakeholders</h3>"),
                self.summary,
                self.portfolio,
                self.show_portfolio,
            ]
        )
        self.widget.add_class("cpmkit-app")
        self.refresh()
        self.widget.add_class("cpmkit-ready")

    def refresh(self) -> None:
        project_id = self.bar.project_id
        workbooks = [t for t in load_notebook_templates() if t.listed and t.page != "index"]
        query = f"?project={project_id}" if project_id is not None else ""
        items = "".join(
            f'<li><a href="{quote(t.file)}{query}" class="cpmkit-workbook-link">{html.escape(t.title)}</a></li>'
            for t in workbooks
        )
        self.links.value = f"<ul>{items}</ul>"
        self._portfolio()
        if project_id is None:
            self.cockpit.value = ""
            self.summary.value = '<p class="cpmkit-help">Create a project to begin.</p>'
            return
        today = self.today()
        self.cockpit.value = cockpit_html(
            read_overview(self.store, project_id, today=today, gap_template=self.template)
        )
        self.summary.value = _section(None, lambda: self._summary_html(project_id, today))

    def _summary_html(self, project_id: int, today: dt.date) -> str:
        lines = stakeholder_summary(
            self.register.stakeholders(project_id), self.register.measures(project_id), today=today
        )
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines)
        return f'<table class="cpmkit-table cpmkit-summary">{rows}</table>'

    def _portfolio(self) -> None:
        """The portfolio when the owner has several projects: shown at once up to
        ``PORTFOLIO_AT_ONCE`` of them, beyond that on a click (each project is a read)."""
        projects = tuple((p["id"], p["name"]) for p in self.store.list_projects(self.bar.owner))
        if projects == self._portfolio_of:
            return  # switching project changes no row: keep what is shown (or opened by a click)
        self._portfolio_of = projects
        count = len(projects)
        self.portfolio.value = ""
        self.show_portfolio.description = f"Show the lights of your {count} projects"
        self.show_portfolio.layout.display = "flex" if count > PORTFOLIO_AT_ONCE else "none"
        if 1 < count <= PORTFOLIO_AT_ONCE:
            self._fill_portfolio()

    def _fill_portfolio(self) -> None:
        self.show_portfolio.layout.display = "none"
        self.portfolio.value = portfolio_html(read_portfolio(self.store, self.bar.owner, gap_template=self.template))


def page_href(page: str, project_id: int) -> str:
    """The relative address of ``page`` (``notebooks.yaml``) opened on ``project_id``."""
    return f"{quote(notebook_file(page))}?project={project_id}"


def cockpit_html(found: ProjectOverview) -> str:
    """The cockpit's sections as escaped HTML, each with its link to where it is handled; a
    section that could not be read says so and the others are shown."""
    pid = found.project_id
    sections = [
        ("Status", "expectation_gap", "Set the lights in workbook 3", "status", _status_html),
        ("Customer feedback: NPS and CSAT", "lessons_learned", "Pulse surveys in workbook 4", "pulse", _scores_html),
        ("Open actions", None, "", "actions", _actions_html),
        (
            "Overdue touchpoints",
            "stakeholder_value",
            "Communication plan in workbook 1",
            "touchpoints",
            _touchpoints_html,
        ),
        ("Pulse rounds", "lessons_learned", "Open a round in workbook 4", "rounds", _pulse_round_html),
    ]
    parts = []
    for title, page, label, section, shown in sections:
        link = f"<p class='cpmkit-help'>{_link(page_href(page, pid), label)}</p>" if page else ""
        body = _section(found.problems.get(section), functools.partial(shown, found))
        parts.append(f"<h3>{html.escape(title)}</h3>{link}{body}")
    return f"<div class='cpmkit-cockpit'>{''.join(parts)}</div>"


def portfolio_html(table: pd.DataFrame) -> str:
    """One row per project: its name (opening its cockpit), its lights, and why all are red."""
    rows = []
    for row in table.to_dict("records"):
        lights = "".join(
            f"<span class='cpmkit-light cpmkit-light-{html.escape((colour or 'not set').replace(' ', '-'))}'>"
            f"<span class='cpmkit-dot'></span>{html.escape(area.capitalize())}: {html.escape(colour or 'not set')}</span>"
            for area, colour in row["lights"].items()
        )
        flag = "<b class='cpmkit-flag'>All red</b> " if row["all_red"] else ""
        rows.append(
            f"<tr><td><a href='{page_href('index', int(row['id']))}' class='cpmkit-portfolio-link'>"
            f"{html.escape(str(row['name']))}</a></td><td><div class='cpmkit-lights'>{lights}</div></td>"
            f"<td>{flag}{html.escape(str(row['reason']))}</td></tr>"
        )
    head = "<tr><th>Project</th><th>Lights</th><th>Why</th></tr>"
    body = f"<table class='cpmkit-table cpmkit-portfolio'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    return "<h3>Your projects</h3>" + scrolling_table(body, name="Your projects")


def _section(problem: str | None, shown: Callable[[], str]) -> str:
    """A section's HTML, or the sentence saying why it cannot be shown: its read failed
    (``problem``) or drawing it did; the page's other sections are shown either way."""
    if problem is None:
        try:
            return shown()
        except Exception as exc:  # noqa: BLE001 - failure_message logs it; one section must not hide the rest
            problem = failure_message(exc)
    return f"<p class='cpmkit-flag'>{html.escape(problem)}</p>"


def _link(href: str, label: str) -> str:
    return f"<a href='{html.escape(href)}' class='cpmkit-cockpit-link'>{html.escape(label)}</a>"


def _status_html(found: ProjectOverview) -> str:
    assert found.status is not None
    return lights_html(found.status)


def _scores_html(found: ProjectOverview) -> str:
    pulse = found.pulse
    assert pulse is not None
    answered = pulse[pulse["n"] > 0]
    if answered.empty:
        return "<p class='cpmkit-help'>No pulse round has answers yet: NPS and CSAT show here once one has.</p>"
    table, headings = trends.pulse_table(pulse)
    few = trends.too_few(
        answered["round"].nunique(), what="pulse round with answers", plural="pulse rounds with answers"
    )
    note = f"<p class='cpmkit-help'>{html.escape(few)}</p>" if few else ""
    return scrolling_table(table_html(table, columns=headings), name="NPS and CSAT per round") + note


def _actions_html(found: ProjectOverview) -> str:
    actions = found.actions
    assert actions is not None
    if actions.empty:
        return "<p class='cpmkit-help'>No open action from gaps or retrospectives.</p>"
    rows = []
    for row in actions.to_dict("records"):
        due = row["due"]
        when = f"{due:%Y-%m-%d}" if due is not None else "no due date"
        late = f" <b class='cpmkit-flag'>OVERDUE by {row['days_overdue']} day(s)</b>" if row["overdue"] else ""
        about = f" <span class='cpmkit-help'>({html.escape(str(row['about']))})</span>" if row["about"] else ""
        href = page_href(str(row["page"]), found.project_id)
        rows.append(
            f"<tr class='cpmkit-open-action'><td>{html.escape(when)}{late}</td><td>{html.escape(_text(row['owner'], 'no owner'))}</td>"
            f"<td>{html.escape(str(row['what']))}{about}</td><td>{html.escape(_text(row['status'], 'open'))}</td>"
            f"<td>{_link(href, str(row['source']))}</td></tr>"
        )
    head = "<tr><th>Due</th><th>Owner</th><th>Action</th><th>Status</th><th>Handled in</th></tr>"
    table = f"<table class='cpmkit-table cpmkit-actions'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    return scrolling_table(table, name="Open actions")


def _pulse_round_html(found: ProjectOverview) -> str:
    sentence, late = found.pulse_round
    return f"<p class='cpmkit-pulse-round{' cpmkit-flag' if late else ''}'>{html.escape(sentence)}</p>"


def _touchpoints_html(found: ProjectOverview) -> str:
    late = found.touchpoints
    assert late is not None
    if late.empty:
        return "<p class='cpmkit-help'>No touchpoint is overdue.</p>"
    status = touchpoint_status(late.assign(overdue=True))
    items = "".join(
        f"<li><b>{html.escape(str(row['name']))}</b>: {html.escape(text)}"
        f" (due {row['next_due']:%Y-%m-%d}; {html.escape(_text(row['channel'], 'no channel'))},"
        f" owner {html.escape(_text(row['owner'], 'not set'))})</li>"
        for row, text in zip(late.to_dict("records"), status)
    )
    return f"<ul class='cpmkit-touchpoints'>{items}</ul>"


def _text(value: Any, unset: str) -> str:
    """A stored text as shown; ``unset`` for None, NaN or blank."""
    return (
        unset
        if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip()
        else str(value)
    )
