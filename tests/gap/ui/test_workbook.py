"""Workbook 3's widgets, driven by setting .value as a user would, checked against the store."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest

from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import load_gap_template
from cpmkit.gap.ui.workbook import ExpectationGapApp
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.widgets import NOT_SHOWN_AGAIN, SHOWN_ONCE, LinkShownOnce
from tests._downloads import files

TODAY = dt.date(2026, 11, 25)
GAP_LIST, CHARTS, STATUS, SURVEYS = 2, 3, 4, 5


@pytest.fixture
def project(store: Store, stakeholder_store: StakeholderStore, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    project_id = store.create_project("Apollo")
    stakeholder_store.add_stakeholder(project_id, "Acme", category="customer", power=5)
    stakeholder_store.add_stakeholder(project_id, "Bea", category="team")
    return project_id


@pytest.fixture
def app(store: Store, project: int) -> ExpectationGapApp:
    return ExpectationGapApp(store, today=lambda: TODAY)


def gap_store(store: Store) -> GapStore:
    t = load_gap_template()
    return GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)


def rate(app: ExpectationGapApp, dimension: str, expectation: int, perception: int, importance: str) -> None:
    row = app.form.rows[dimension]
    row.controls["expectation"].value = expectation
    row.controls["perception"].value = perception
    row.controls["importance"].value = importance


def test_ratings_typed_by_the_pm_are_their_estimate_unless_they_choose_otherwise(
    app: ExpectationGapApp, store: Store, project: int
) -> None:
    assert app.source.value == load_gap_template().estimate_source == "estimate"
    rate(app, "reliability", 6, 3, "60")
    assert gap_store(store).ratings(project)["source"].tolist() == ["estimate"]


def test_ratings_are_saved_as_entered_and_dated(app: ExpectationGapApp, store: Store, project: int) -> None:
    app.source.value = "estimate"
    rate(app, "reliability", 6, 3, "60")
    saved = gap_store(store).ratings(project)
    assert saved[["stakeholder", "dimension", "source", "expectation", "perception", "importance"]].values.tolist() == [
        ["Acme", "reliability", "estimate", 6, 3, 60]
    ]
    assert saved["assessed_on"].tolist() == [TODAY]
    assert app.form.rows["reliability"].gap.value == "gap <b>-3</b>"
    assert "saved" in app.status.value
    assert "add up to 60, not 100" in app.weights.value


def test_a_refused_score_names_the_value_and_keeps_what_was_saved(
    app: ExpectationGapApp, store: Store, project: int
) -> None:
    rate(app, "reliability", 6, 3, "60")
    app.form.rows["reliability"].controls["importance"].value = "140"
    row = app.form.rows["reliability"]
    assert "140" in row.message.value
    assert gap_store(store).ratings(project)["importance"].tolist() == [60]


def test_the_gap_list_puts_the_worst_weighted_gap_first(app: ExpectationGapApp) -> None:
    rate(app, "reliability", 6, 5, "30")  # -1 x 0.3 = -0.3
    rate(app, "schedule", 6, 2, "70")  # -4 x 0.7 = -2.8
    app.tabs.selected_index = GAP_LIST
    table = app.tabs.children[GAP_LIST].children[0].children[2].value
    assert table.index("Schedule") < table.index("Reliability")
    assert "-2.8" in table


def test_a_dissatisfied_key_customer_turns_every_light_red(app: ExpectationGapApp, store: Store, project: int) -> None:
    app.tabs.selected_index = STATUS
    view = app.tabs.children[STATUS].children[0]
    for toggle in view.children[1].children:
        toggle.children[1].value = "green"
    assert "Every light is red" not in view.children[0].value
    app.tabs.selected_index = 1
    app.satisfaction.value = 2
    board = view.children[0].value
    assert "Every light is red" in board and "Acme" in board
    assert board.count("cpmkit-light-red") == 4
    assert gap_store(store).lights(project) == {"scope": "green", "schedule": "green", "budget": "green"}


def test_notes_and_actions_are_saved_per_gap(app: ExpectationGapApp, store: Store, project: int) -> None:
    app.note_dimension.value = "schedule"
    app.notes["stated_problem"].value = "Releases slip <always>"
    app.notes["underlying_expectation"].value = "A date they can plan around"
    app.new_action.value = "Publish a release calendar"
    app.add_action.click()
    saved = gap_store(store)
    assert saved.notes(project)[["dimension", "stated_problem"]].values.tolist() == [
        ["schedule", "Releases slip <always>"]
    ]
    actions = saved.actions(project)
    assert actions[["dimension", "what", "status"]].values.tolist() == [
        ["schedule", "Publish a release calendar", "open"]
    ]
    assert len(app.actions.children) == 1


def _survey_rows(app: ExpectationGapApp, project: int) -> dict[str, LinkShownOnce]:
    """Each stakeholder's survey link on the page, by name (in the order the page lists them)."""
    view = app.tabs.children[SURVEYS].children[0]
    register = app.register.stakeholders(project)
    names = dict(zip(register["id"], register["name"]))
    assert [row.children[1] for row in view.children[2].children] == [link.widget for link in app.survey_links.values()]
    return {names[sid]: link for sid, link in app.survey_links.items()}


def test_survey_links_are_made_per_stakeholder_and_shown_once(
    app: ExpectationGapApp, store: Store, project: int
) -> None:
    app.tabs.selected_index = SURVEYS
    view = app.tabs.children[SURVEYS].children[0]
    rows = _survey_rows(app, project)
    assert len(rows) == 2 and all(link.href is None and "No link yet" in link.text.value for link in rows.values())
    view.children[1].click()  # Create survey links
    rows = _survey_rows(app, project)
    hrefs = [link.href for link in rows.values()]
    assert (
        all(h is not None and h.startswith("/voila/render/03_stakeholder_survey.ipynb?survey=") for h in hrefs)
        and len(set(hrefs)) == 2
    )
    acme = next(link for name, link in rows.items() if "Acme" in name)
    assert all("Not submitted yet." in row.children[2].value for row in view.children[2].children)
    assert SHOWN_ONCE in acme.text.value and f'href="{acme.href}"' in acme.text.value
    token = unquote(str(acme.href).split("survey=", 1)[1])
    gaps = gap_store(store)
    assert gaps.survey(token)["stakeholder"] == "Acme"

    # Once they submit, the PM sees when, and their comment as written.
    acme_id = int(gaps.survey(token)["stakeholder_id"])
    gaps.save_survey_comment(acme_id, "More <demos>, please.")
    gaps.submit_survey(acme_id)

    # Reopened, the page cannot show the links again, and says so.
    again = ExpectationGapApp(store, today=lambda: TODAY)
    again.tabs.selected_index = SURVEYS
    said = [row.children[2].value for row in again.tabs.children[SURVEYS].children[0].children[2].children]
    assert sum("Submitted " in text and "More &lt;demos&gt;, please." in text for text in said) == 1
    later = _survey_rows(again, project)
    assert all(link.href is None and NOT_SHOWN_AGAIN in link.text.value for link in later.values())
    assert all(link.button.description == "New link" for link in later.values())

    # "New link" asks first, then replaces the link: the old one stops working.
    renewed = next(link for name, link in later.items() if "Acme" in name)
    renewed.button.click()
    assert renewed.href is None and "The old link stops working" in renewed.confirm.children[0].value
    renewed.confirm.children[1].click()  # Make a new link
    assert renewed.href is not None and SHOWN_ONCE in renewed.text.value
    with pytest.raises(NotFoundError):
        gaps.survey(token)
    assert gaps.survey(unquote(renewed.href.split("survey=", 1)[1]))["stakeholder"] == "Acme"


def test_a_stakeholder_deleted_in_workbook_1_gets_a_plain_message(
    app: ExpectationGapApp, stakeholder_store: StakeholderStore
) -> None:
    assert app.stakeholder_id is not None
    stakeholder_store.delete_stakeholder(app.stakeholder_id)
    app.form.rows["reliability"].controls["expectation"].value = 5
    assert "no longer exists" in app.form.rows["reliability"].message.value


def test_the_charts_draw_and_the_report_downloads_without_code(app: ExpectationGapApp) -> None:
    rate(app, "reliability", 6, 5, "30")
    rate(app, "schedule", 6, 2, "70")
    app.tabs.selected_index = CHARTS
    charts = app.tabs.children[CHARTS].children[0].children
    assert len(charts) == 3 and all(chart.spec for chart in charts), "dumbbell, heat map and trend were drawn"
    app.tabs.selected_index = STATUS
    view = app.tabs.children[STATUS].children[0]
    report = files(view)["status-report.html"].decode("utf-8")
    assert report.startswith("<!DOCTYPE html>") and "Acme" in report


def test_the_stakeholders_own_figures_show_beside_the_estimate(
    app: ExpectationGapApp, store: Store, project: int
) -> None:
    acme = app.stakeholder_id
    assert acme is not None
    for name, value in (("expectation", 7), ("perception", 3)):
        gap_store(store).save_rating(acme, "schedule", source="survey", assessed_on=TODAY, field=name, value=value)
    app.show_ratings()  # as the page shows them once the stakeholder has answered
    rate(app, "schedule", 6, 5, "50")
    assert "expect 7, perceive 3" in app.form.rows["schedule"].aside.value
    app.tabs.selected_index = GAP_LIST
    misread = app.tabs.children[GAP_LIST].children[0].children[4].value
    assert "Schedule" in misread and "<td>2</td>" in misread  # you estimated perception 5, they perceive 3
