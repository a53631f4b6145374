"""The stakeholder's survey form: a link opens it, answers are saved as given, dead links explain."""

from __future__ import annotations

import datetime as dt

import pytest

from cpmkit.db.database import Store
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import load_gap_template
from cpmkit.gap.ui.survey import GapSurveyApp
from cpmkit.stakeholders.store import StakeholderStore

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def gaps(store: Store) -> GapStore:
    t = load_gap_template()
    return GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)


@pytest.fixture
def link(store: Store, stakeholder_store: StakeholderStore, gaps: GapStore) -> tuple[int, str]:
    project_id = store.create_project("Apollo")
    sid = stakeholder_store.add_stakeholder(project_id, "Acme <Corp>", category="customer")
    gaps.choose_dimensions(project_id, ["reliability", "schedule"])
    return project_id, gaps.new_survey_token(sid)


def test_answers_are_saved_as_survey_figures_dated_today(store: Store, gaps: GapStore, link: tuple[int, str]) -> None:
    project_id, token = link
    form = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    assert list(form.form.rows) == ["reliability", "schedule"]
    assert "Acme &lt;Corp&gt;" in form.heading.value
    form.form.rows["schedule"].controls["expectation"].value = 7
    form.form.rows["schedule"].controls["importance"].value = "70"
    form.satisfaction.value = 2
    saved = gaps.ratings(project_id)
    assert saved[["dimension", "source", "expectation", "importance"]].values.tolist() == [
        ["schedule", "survey", 7, 70]
    ]
    assert saved["assessed_on"].tolist() == [TODAY]
    assert gaps.satisfaction(project_id)["score"].tolist() == [2]
    assert "70</b> of 100" in form.weights.value
    again = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    assert again.form.rows["schedule"].controls["expectation"].value == 7
    assert again.satisfaction.value == 2


@pytest.mark.parametrize("query", ["", "survey=nope"])
def test_a_missing_or_dead_link_explains_itself(store: Store, link: tuple[int, str], query: str) -> None:
    form = GapSurveyApp(store, query=query, today=lambda: TODAY)
    assert form.form.rows == {}
    assert "link" in form.status.value
