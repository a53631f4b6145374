"""Workbook 1's widgets, driven by setting .value as a user would, checked against the store."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from cpmkit.db.database import Store
from cpmkit.stakeholders.export import SHEETS
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.stakeholders.ui import StakeholderValueApp
from tests._downloads import files

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def app(store: Store, monkeypatch: pytest.MonkeyPatch) -> StakeholderValueApp:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    store.create_project("Apollo")
    return StakeholderValueApp(store, today=lambda: TODAY)


GRID, GAPS, PLAN, SCORECARD, EXPORT = 1, 2, 3, 4, 5


def view(app: StakeholderValueApp, index: int) -> str:
    """Open a view tab as a user would and return its table's HTML."""
    app.tabs.selected_index = index
    return str(app.views[index].table.value)


def add(app: StakeholderValueApp, name: str) -> int:
    app.new_name.value = name
    app.add.click()
    assert app.stakeholder_id is not None
    return app.stakeholder_id


def test_every_answer_is_saved_as_it_is_entered(app: StakeholderValueApp, stakeholder_store: StakeholderStore) -> None:
    sid = add(app, "Dana Client")
    app.controls["power"].value = 5
    app.controls["interest"].value = 4
    app.controls["category"].value = "customer"
    app.controls["expected_value"].value = "Fewer support calls"
    app.controls["last_contact"].value = dt.date(2026, 11, 1)
    saved = stakeholder_store.stakeholder(sid)
    assert (saved["power"], saved["interest"], saved["category"]) == (5, 4, "customer")
    assert saved["expected_value"] == "Fewer support calls"
    assert saved["last_contact"] == dt.date(2026, 11, 1)
    grid = view(app, GRID)
    assert "Dana Client" in grid and "manage closely" in grid
    assert app.views[GRID].chart.spec["layer"], "the grid chart was drawn"
    assert "saved" in app.status.value


def test_a_new_app_on_the_same_store_shows_what_was_saved(app: StakeholderValueApp, store: Store) -> None:
    sid = add(app, "Dana")
    app.controls["role"].value = "CIO"
    again = StakeholderValueApp(store, today=lambda: TODAY)
    assert again.listing.value == sid
    assert again.controls["role"].value == "CIO"


def test_a_bad_value_shows_a_message_and_keeps_what_was_saved(
    app: StakeholderValueApp, stakeholder_store: StakeholderStore
) -> None:
    add(app, "Dana")
    sid = add(app, "Lee")
    app.controls["name"].value = "  DANA "
    assert "already called" in app.messages["name"].value
    assert stakeholder_store.stakeholder(sid)["name"] == "Lee"
    app.controls["name"].value = ""
    assert "cannot be empty" in app.messages["name"].value
    app.controls["name"].value = "Lee Sponsor"
    assert "cpmkit-message-error" not in app.messages["name"].value
    assert stakeholder_store.stakeholder(sid)["name"] == "Lee Sponsor"


def test_adding_a_duplicate_or_empty_stakeholder_is_refused(
    app: StakeholderValueApp, stakeholder_store: StakeholderStore
) -> None:
    add(app, "Dana")
    app.new_name.value = "dana"
    app.add.click()
    assert "already called" in app.add_message.value
    app.new_name.value = "   "
    app.add.click()
    assert "cannot be empty" in app.add_message.value
    assert len(stakeholder_store.stakeholders(app.bar.project_id)) == 1


def test_free_text_is_escaped_in_every_view(app: StakeholderValueApp) -> None:
    add(app, "<img src=x onerror=alert(1)>")
    app.controls["power"].value = 3
    app.controls["interest"].value = 3
    app.controls["current_engagement"].value = "neutral"
    app.controls["desired_engagement"].value = "leading"
    for index in (GRID, GAPS, PLAN):
        table = view(app, index)
        assert "<img" not in table
        assert "&lt;img src=x onerror=alert(1)&gt;" in table


def test_success_measures_and_the_scorecard(app: StakeholderValueApp, stakeholder_store: StakeholderStore) -> None:
    add(app, "Dana")
    view(app, SCORECARD)
    app.new_metric.value = "Tickets per week"
    app.add_metric.click()
    header, row = app.measures.children
    assert "Baseline" in header.value
    _metric, _unit, baseline, target, latest, _measured_on = row.children[0].children[:6]
    baseline.value = "40"
    target.value = "40"
    assert "equals the baseline" in row.children[1].value
    target.value = "20"
    latest.value = "30"
    assert "<td>50.0</td>" in app.views[SCORECARD].table.value  # half way from 40 to 20
    saved = stakeholder_store.measures(app.bar.project_id).iloc[0]
    assert (saved["baseline"], saved["target"], saved["latest"]) == (40, 20, 30)


def test_delete_asks_first_and_removes_only_after_yes(
    app: StakeholderValueApp, stakeholder_store: StakeholderStore
) -> None:
    add(app, "Dana")
    app.delete.click()
    prompt, _yes, no = app.confirm.children
    assert "Delete Dana" in prompt.value
    no.click()
    assert len(stakeholder_store.stakeholders(app.bar.project_id)) == 1
    app.delete.click()
    app.confirm.children[1].click()
    assert stakeholder_store.stakeholders(app.bar.project_id).empty
    assert app.listing.options == ()


def test_the_plan_flags_overdue_touchpoints(app: StakeholderValueApp) -> None:
    add(app, "Dana")
    app.controls["cadence"].value = "weekly"
    app.controls["last_contact"].value = TODAY - dt.timedelta(days=10)
    assert "OVERDUE by 3 day(s)" in view(app, PLAN)


def test_export_offers_xlsx_and_csv_downloads(app: StakeholderValueApp) -> None:
    add(app, "Dana")
    view(app, EXPORT)
    made = files(app.downloads)
    assert list(made) == [
        "stakeholder-value.xlsx",
        *(f"stakeholder-value-{name.replace(' ', '-')}.csv" for name in SHEETS),
    ]
    book = openpyxl.load_workbook(io.BytesIO(made["stakeholder-value.xlsx"]))
    assert book.sheetnames == list(SHEETS) and book["register"]["A2"].value == "Dana"
    assert "Dana" in made["stakeholder-value-register.csv"].decode("utf-8-sig")


def test_views_are_built_only_when_opened(app: StakeholderValueApp) -> None:
    add(app, "Dana")
    assert app.views == {}
    view(app, GRID)
    assert list(app.views) == [GRID]
    app.controls["power"].value = 2
    app.controls["interest"].value = 4
    assert "keep informed" in app.views[GRID].table.value  # an opened view follows every save


def test_the_project_in_the_url_is_opened(
    store: Store, stakeholder_store: StakeholderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_project("Apollo")
    gemini = store.create_project("Gemini")
    stakeholder_store.add_stakeholder(gemini, "Only in Gemini")
    monkeypatch.setenv("QUERY_STRING", f"project={gemini}")
    app = StakeholderValueApp(store, today=lambda: TODAY)
    assert app.bar.project_id == gemini
    assert [label for label, _ in app.listing.options] == ["Only in Gemini"]
