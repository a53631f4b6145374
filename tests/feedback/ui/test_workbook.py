"""Workbook 4's app: one tab per panel, each re-read when opened, and feedback turned into a
lesson in one click."""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.ui.workbook import LessonsLearnedApp

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def store(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    return sqlite_store


def tab(app: LessonsLearnedApp, title: str) -> int:
    return list(app.panels).index(title)


def test_every_tab_opens_without_a_project(store: Store) -> None:
    app = LessonsLearnedApp(store, today=lambda: TODAY)
    assert list(app.tabs.titles) == [
        "Pulse rounds",
        "Import responses",
        "Results",
        "Retrospectives",
        "Trends",
        "Lessons register",
    ]
    for index in range(len(app.panels)):
        app.tabs.selected_index = index
    assert app.status.value == ""
    assert "cpmkit-ready" in app.widget._dom_classes


def test_a_retrospective_card_becomes_a_lesson_in_one_click(store: Store) -> None:
    project = store.create_project("Apollo")
    retros = RetroStore(store)
    board = retros.create_board(project, "Sprint 4", "start_stop_continue", 3)
    member = retros.join(board["id"], "Ada", "0" * 32)
    card = retros.add_card(board["id"], member, "stop", "Stop <b>skipping</b> the demo", anonymous=True)
    app = LessonsLearnedApp(store, today=lambda: TODAY)

    app.tabs.selected_index = tab(app, "Retrospectives")
    buttons = [
        w for row in app.panels["Retrospectives"].cards.children for w in row.children if isinstance(w, W.Button)
    ]
    assert [b.description for b in buttons] == ["Make a lesson"]
    buttons[0].click()

    assert app.tabs.selected_index == tab(app, "Lessons register")
    lessons = LessonStore(store)
    [lesson] = lessons.lessons(project).to_dict("records")
    assert "Stop <b>skipping</b> the demo" in lesson["what_happened"]
    assert lessons.sources(project)[["kind", "ref"]].values.tolist() == [["card", str(card)]]
    register = app.panels["Lessons register"]
    assert register.lesson_id == lesson["id"]  # type: ignore[attr-defined]
    assert "complete the fields below" in register.note.value  # type: ignore[attr-defined]


def test_a_lesson_needs_a_project(store: Store) -> None:
    app = LessonsLearnedApp(store, today=lambda: TODAY)
    app.lesson_from(LessonSource("theme", "communication", "Communication: 2 comments"))
    assert "Choose a project first" in app.status.value


def test_choosing_another_project_shows_its_data_in_the_open_tab(store: Store) -> None:
    first, second = store.create_project("Apollo"), store.create_project("Zeus")
    LessonStore(store).add_lesson(second, what_happened="Demo slipped twice")
    app = LessonsLearnedApp(store, today=lambda: TODAY)
    app.bar.choice.value = first
    app.tabs.selected_index = tab(app, "Lessons register")
    register = app.panels["Lessons register"]
    assert register.lessons.empty  # type: ignore[attr-defined]
    app.bar.choice.value = second
    assert register.lessons["what_happened"].tolist() == ["Demo slipped twice"]  # type: ignore[attr-defined]
