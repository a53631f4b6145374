"""The landing page: project choice, links carrying the project, and the summary."""

from __future__ import annotations

import pytest

from cpmkit.db.database import Store
from cpmkit.projects.ui import LandingApp
from cpmkit.stakeholders.store import StakeholderStore


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
