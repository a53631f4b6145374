"""The landing page: project choice, links carrying the project, the cockpit, the summary and
the portfolio."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.projects import ui as landing
from cpmkit.projects.ui import PORTFOLIO_AT_ONCE, LandingApp
from cpmkit.stakeholders.store import StakeholderStore
from tests.projects.seeding import seed_troubled_project


@pytest.fixture
def store(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    return sqlite_store


def test_creating_a_project_links_the_workbooks_to_it(store: Store) -> None:
    app = LandingApp(store)
    assert "Create a project" in app.summary.value
    app.bar.new_name.value = "Apollo"
    app.bar.create.click()
    project_id = app.bar.project_id
    assert project_id is not None
    assert f'href="01_stakeholder_value.ipynb?project={project_id}"' in app.links.value
    assert f'href="03_expectation_gap.ipynb?project={project_id}"' in app.links.value
    assert "03_stakeholder_survey" not in app.links.value, "a survey form opens only from its link"
    assert "none recorded yet" in app.summary.value
    assert store.get_setting("last_project") == str(project_id)


def test_summary_counts_the_register(store: Store, stakeholder_store: StakeholderStore) -> None:
    project = store.create_project("Apollo")
    stakeholder_store.add_stakeholder(project, "Dana", power=5, interest=5)
    app = LandingApp(store)
    assert "1 (1 to manage closely)" in app.summary.value


def test_a_duplicate_project_name_is_refused_with_a_message(store: Store) -> None:
    store.create_project("Apollo")
    app = LandingApp(store)
    app.bar.new_name.value = "apollo"
    app.bar.create.click()
    assert "already called" in app.bar.message.value
    assert len(store.list_projects()) == 1


def test_the_cockpit_shows_the_all_red_banner_actions_and_touchpoints(store: Store) -> None:
    today = dt.date(2026, 12, 8)
    project = seed_troubled_project(store, "Apollo", today=today)
    app = LandingApp(store, today=lambda: today)
    shown = app.cockpit.value
    assert "cpmkit-all-red" in shown and "Acme &lt;Corp&gt;" in shown and "Acme <Corp>" not in shown
    assert shown.count("cpmkit-light-red") == 4
    assert "0 (n = 2, few answers)" in shown and "50% (n = 2, few answers)" in shown
    assert "Trends need two pulse rounds with answers; this project has one." in shown
    actions = shown[shown.index("cpmkit-actions") :]
    assert actions.index("Publish a release calendar") < actions.index("Review within a day")
    assert "2026-12-03 <b class='cpmkit-flag'>OVERDUE by 5 day(s)</b></td><td>Dana</td>" in actions
    assert (
        f"href='03_expectation_gap.ipynb?project={project}' class='cpmkit-cockpit-link'>Expectation gap</a>" in actions
    )
    assert f"href='04_lessons_learned.ipynb?project={project}' class='cpmkit-cockpit-link'>Retrospective</a>" in actions
    assert "<b>Acme &lt;Corp&gt;</b>: OVERDUE by 13 day(s)" in shown
    assert "The next pulse round is due on 2026-12-12 (every 14 days)" in shown
    assert app.portfolio.value == "", "one project: no portfolio"


def test_a_new_project_says_what_each_section_needs(store: Store) -> None:
    store.create_project("Apollo")
    shown = LandingApp(store).cockpit.value
    assert "cpmkit-all-red" not in shown
    assert "No pulse round has answers yet" in shown
    assert "No open action from gaps or retrospectives." in shown
    assert "No touchpoint is overdue." in shown


def test_a_section_that_cannot_be_read_says_so(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_troubled_project(store, "Apollo", today=dt.date.today())
    monkeypatch.setattr(PulseStore, "responses", lambda self, project_id: 1 / 0)
    shown = LandingApp(store).cockpit.value
    assert "The NPS and CSAT figures could not be read; the rest of the page is shown." in shown
    assert "cpmkit-all-red" in shown and "Publish a release calendar" in shown


def test_a_section_that_cannot_be_drawn_says_so_and_the_rest_is_shown(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_troubled_project(store, "Apollo", today=dt.date.today())
    monkeypatch.setattr(landing, "_touchpoints_html", lambda found: 1 / 0)
    monkeypatch.setattr(landing, "stakeholder_summary", lambda *args, **kwargs: 1 / 0)
    app = LandingApp(store)
    assert "cpmkit-all-red" in app.cockpit.value and "Publish a release calendar" in app.cockpit.value
    assert "cpmkit-flag" in app.cockpit.value and "Traceback" not in app.cockpit.value
    assert "cpmkit-flag" in app.summary.value


def test_switching_project_does_not_read_the_portfolio_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    first = seed_troubled_project(store, "Borealis", today=dt.date.today())
    second = store.create_project("Apollo")
    app = LandingApp(store)
    reads: list[object] = []
    none = pd.DataFrame(columns=["id", "name", "lights", "all_red", "reason"])
    monkeypatch.setattr(landing, "read_portfolio", lambda *args, **kwargs: reads.append(args) or none)
    shown = app.portfolio.value
    app.bar.choice.value = second if app.bar.project_id == first else first
    assert reads == [] and app.portfolio.value == shown
    app.bar.new_name.value = "Cassini"
    app.bar.create.click()
    assert len(reads) == 1  # a new project is a new row: read again


def test_with_several_projects_the_portfolio_has_a_row_each(store: Store) -> None:
    troubled = seed_troubled_project(store, "Borealis", today=dt.date.today())
    calm = store.create_project("Apollo <1>")
    shown = LandingApp(store).portfolio.value
    assert shown.index("Apollo &lt;1&gt;") < shown.index("Borealis")
    assert f"href='index.ipynb?project={calm}'" in shown and f"href='index.ipynb?project={troubled}'" in shown
    assert shown.count("All red") == 1


def test_with_many_projects_the_portfolio_is_read_on_a_click(store: Store) -> None:
    for number in range(PORTFOLIO_AT_ONCE + 1):
        store.create_project(f"Project {number}")
    app = LandingApp(store)
    assert app.portfolio.value == ""
    assert app.show_portfolio.layout.display == "flex"
    assert app.show_portfolio.description == f"Show the lights of your {PORTFOLIO_AT_ONCE + 1} projects"
    app.show_portfolio.click()
    assert app.portfolio.value.count("cpmkit-portfolio-link") == PORTFOLIO_AT_ONCE + 1
    assert app.show_portfolio.layout.display == "none"
