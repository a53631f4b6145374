"""The lessons-learned register panel, driven by setting .value and clicking as a user would,
checked against the store: escaped list, filters and search, saving each field as typed,
refusals next to the field, one-step creation from feedback, delete with confirmation, and
the XLSX and Markdown downloads."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.lessons.ui import LessonsPanel
from tests._downloads import buttons, click, files

TODAY = dt.date(2026, 11, 25)
SCRIPT = "<script>alert(1)</script>"
CARD = LessonSource("card", "12", "Demo <b>surprised</b> the client")


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def project(store: Store, register: LessonStore) -> int:
    project_id = store.create_project("Apollo 11")
    register.add_lesson(
        project_id,
        what_happened=f"Client heard of the delay late {SCRIPT}",
        category="communication",
        phase="execution",
        owner="Ada",
        sources=[LessonSource("theme", "communication", "nobody told us")],
    )
    register.add_lesson(
        project_id, what_happened="Demo slipped twice", category="schedule", phase="execution", owner="Bea"
    )
    register.add_lesson(
        project_id, what_happened="Scope grew without a change request", category="scope", phase="planning"
    )
    return project_id


@pytest.fixture
def panel(store: Store, project: int) -> LessonsPanel:
    shown = LessonsPanel(store, today=lambda: TODAY)
    shown.show(project)
    return shown


def listed(panel: LessonsPanel) -> str:
    return "".join(row.children[1].value for row in panel.rows.children)


def ids(register: LessonStore, project: int) -> list[int]:
    return [int(i) for i in register.lessons(project)["id"]]


def test_the_list_shows_every_lesson_escaped(panel: LessonsPanel) -> None:
    html = listed(panel)
    assert len(panel.rows.children) == 3
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Communication · Execution · Ada" in html
    assert "3 lessons." in panel.count.value
    assert panel.editor.layout.display == "none"  # nothing chosen yet


def test_without_a_project_nothing_can_be_added(store: Store) -> None:
    empty = LessonsPanel(store)
    assert "Choose a project" in empty.count.value
    assert empty.new.disabled
    assert {click(b)[0]["failed"] for b in buttons(empty.downloads)} == {"Create or choose a project first."}


def test_filters_and_search_narrow_the_list(panel: LessonsPanel) -> None:
    panel.phase.value = "execution"
    assert len(panel.rows.children) == 2
    assert "3 lessons, 2 shown." in panel.count.value
    panel.owner.value = "Bea"
    assert "Demo slipped" in listed(panel) and len(panel.rows.children) == 1
    panel.owner.value = ""
    panel.phase.value = ""
    panel.search.value = "NOBODY client"  # the second word is in the lesson, the first in its source
    assert len(panel.rows.children) == 1 and "delay" in listed(panel)
    panel.search.value = "change scope"
    panel.category.value = "scope"
    assert "Scope grew" in listed(panel)
    panel.category.value = "budget"
    assert panel.rows.children == ()


def test_editing_saves_each_field_as_typed(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    second = ids(register, project)[1]
    panel.edit_buttons[second].click()
    assert panel.lesson_id == second and panel.editor.layout.display is None
    assert panel.controls["what_happened"].value == "Demo slipped twice"
    assert panel.controls["category"].value == "schedule"
    panel.controls["root_cause"].value = "No buffer before the demo"
    panel.controls["phase"].value = "monitoring_and_control"
    panel.controls["owner"].value = "Cy"
    saved = register.lesson(second)
    assert (saved["root_cause"], saved["phase"], saved["owner"]) == (
        "No buffer before the demo",
        "monitoring_and_control",
        "Cy",
    )
    assert "saved" in panel.message.value
    assert "Cy" in [label for label, _ in panel.owner.options]  # the owner filter offers the new owner


def test_a_refused_value_is_explained_next_to_its_field_and_nothing_is_lost(
    panel: LessonsPanel, register: LessonStore, project: int
) -> None:
    first = ids(register, project)[0]
    panel.edit_buttons[first].click()
    panel.controls["what_happened"].value = "   "
    assert "What happened: cannot be empty." in panel.messages["what_happened"].value
    assert panel.controls["what_happened"].value == "   "  # what was typed stays in the field
    assert register.lesson(first)["what_happened"].startswith("Client heard")
    panel.controls["owner"].value = "x" * 121
    assert "the limit is 120" in panel.messages["owner"].value
    assert register.lesson(first)["owner"] == "Ada"


def test_the_editor_lists_the_lessons_sources_escaped(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    first = ids(register, project)[0]
    register.link_source(first, CARD)
    panel.show(project)
    panel.edit_buttons[first].click()
    assert "Feedback theme (communication): nobody told us" in panel.source_list.value
    assert "Retrospective card (12): Demo &lt;b&gt;surprised&lt;/b&gt; the client" in panel.source_list.value
    assert "<b>surprised" not in panel.source_list.value


def test_a_new_lesson_opens_in_the_editor(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    panel.phase.value = "planning"
    panel.new.click()
    assert "What happened: cannot be empty." in panel.message.value
    panel.new_what.value = "Kick-off had no client sponsor"
    panel.new.click()
    new = ids(register, project)[-1]
    assert panel.lesson_id == new and panel.new_what.value == ""
    assert panel.phase.value == "" and len(panel.rows.children) == 4  # filters cleared so it shows
    assert panel.controls["what_happened"].value == "Kick-off had no client sponsor"


def test_delete_asks_first(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    first = ids(register, project)[0]
    panel.edit_buttons[first].click()
    panel.delete.click()
    prompt, _yes, no = panel.confirm.children
    assert "cannot be undone" in prompt.value
    no.click()
    assert panel.confirm.children == () and first in ids(register, project)
    panel.delete.click()
    panel.confirm.children[1].click()
    assert first not in ids(register, project)
    assert panel.lesson_id is None and len(panel.rows.children) == 2


def test_create_from_makes_the_lesson_and_selects_it(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    panel.category.value = "budget"
    lesson_id = panel.create_from(LessonSource("theme", "people", "People and team: 4 comments, e.g. 'who decides?'"))
    assert panel.lesson_id == lesson_id and lesson_id in panel.edit_buttons
    assert panel.controls["what_happened"].value == "Feedback theme People and team: 4 comments, e.g. 'who decides?'"
    assert panel.controls["category"].value == "team"
    assert "Lesson created from this feedback theme: complete the fields below." in panel.note.value
    assert register.sources(project)["lesson_id"].tolist()[-1] == lesson_id
    panel.controls["recommendation"].value = "Name the decision maker at kick-off"
    assert register.lesson(lesson_id)["recommendation"] == "Name the decision maker at kick-off"


def test_create_from_without_a_project_is_refused(store: Store) -> None:
    empty = LessonsPanel(store)
    with pytest.raises(ValidationError, match="Choose a project first"):
        empty.create_from(CARD)


def test_a_deleted_lesson_is_explained_when_saved(panel: LessonsPanel, register: LessonStore, project: int) -> None:
    first = ids(register, project)[0]
    panel.edit_buttons[first].click()
    register.delete_lesson(first)  # in another window
    panel.controls["impact"].value = "Lost a week"
    assert "no longer exists" in panel.messages["impact"].value


def test_downloads_open_as_xlsx_and_markdown(panel: LessonsPanel) -> None:
    panel.phase.value = "planning"  # downloads hold the whole register, whatever the filters
    made = files(panel.downloads)
    assert set(made) == {"lessons-apollo-11.xlsx", "lessons-apollo-11.md"}
    book = pd.read_excel(io.BytesIO(made["lessons-apollo-11.xlsx"]), sheet_name=None)
    assert book["lessons"]["What happened"].tolist()[1:] == [
        "Demo slipped twice",
        "Scope grew without a change request",
    ]
    assert book["sources"]["Excerpt"].tolist() == ["nobody told us"]
    assert openpyxl.load_workbook(io.BytesIO(made["lessons-apollo-11.xlsx"])).sheetnames == ["lessons", "sources"]
    markdown = made["lessons-apollo-11.md"].decode("utf-8")
    assert markdown.startswith("# Lessons learned: Apollo 11")
    assert "\\<script\\>" in markdown and markdown.count("## Lesson") == 3
    assert "whatever the filters" in panel.downloads.children[-1].value
