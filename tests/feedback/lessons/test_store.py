"""Unit tests of cpmkit.feedback.lessons.store.LessonStore, each run on SQLite and on a real PostgreSQL
server: adding a lesson with its sources in one transaction, one-step creation from feedback,
saving one field at a time, refusals that save nothing, links to feedback, a project or lesson
deleted meanwhile, the cascade, and several kernels editing one lesson at once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from cpmkit.db.database import Store
from cpmkit.db.schema import lesson_sources, lessons, projects
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.lessons.rules import LESSON_COLUMNS, SOURCE_COLUMNS, LessonSource
from cpmkit.feedback.lessons.store import LessonStore

RunInProcesses = Callable[..., dict[int, Any]]  # the conftest fixture's call signature
THEME = LessonSource("theme", "communication", "Communication: 7 comments, e.g. 'nobody told us'")
CARD = LessonSource("card", "12", "The demo surprised the client")


def delete_project(store: Store, project_id: int) -> None:
    with store.write() as conn:
        conn.execute(projects.delete().where(projects.c.id == project_id))


def count(store: Store, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_lesson_is_saved_with_its_sources(register: LessonStore, project: int) -> None:
    lesson_id = register.add_lesson(
        project,
        what_happened=" Client heard of a delay late ",
        category="communication",
        phase="execution",
        owner="Ada",
        sources=[THEME, CARD],
    )
    saved = register.lessons(project)
    assert list(saved.columns) == LESSON_COLUMNS
    row = saved.iloc[0]
    assert (row["id"], row["what_happened"], row["category"], row["phase"], row["owner"]) == (
        lesson_id,
        "Client heard of a delay late",
        "communication",
        "execution",
        "Ada",
    )
    assert row["impact"] is None and row["created_at"] is not None
    sources = register.sources(project)
    assert list(sources.columns) == SOURCE_COLUMNS
    assert sources.values.tolist() == [
        [lesson_id, "theme", "communication", THEME.excerpt],
        [lesson_id, "card", "12", CARD.excerpt],
    ]


def test_a_refused_field_or_source_saves_nothing(register: LessonStore, store: Store, project: int) -> None:
    with pytest.raises(ValidationError, match="What happened: cannot be empty"):
        register.add_lesson(project, what_happened="  ", sources=[CARD])
    with pytest.raises(ValidationError, match="Phase: 'later' is not one of"):
        register.add_lesson(project, what_happened="x", phase="later")
    with pytest.raises(ValidationError, match="Kind: 'email'"):
        register.add_lesson(project, what_happened="x", sources=[LessonSource("email", "1", "")])
    with pytest.raises(ValidationError, match="Unknown lesson field 'colour'"):
        register.add_lesson(project, what_happened="x", colour="red")
    assert count(store, lessons) == 0 and count(store, lesson_sources) == 0


def test_the_same_source_twice_is_linked_once(register: LessonStore, project: int) -> None:
    register.add_lesson(project, what_happened="x", sources=[CARD, LessonSource("card", "12", "newer")])
    assert register.sources(project)["excerpt"].tolist() == ["newer"]


def test_create_from_makes_a_linked_draft_in_one_step(register: LessonStore, project: int) -> None:
    lesson_id = register.create_from(project, THEME)
    saved = register.lesson(lesson_id)
    assert saved["what_happened"] == "Feedback theme Communication: 7 comments, e.g. 'nobody told us'"
    assert saved["category"] == "communication" and saved["project_id"] == project
    people = register.create_from(project, LessonSource("theme", "people", "3 comments"))
    assert register.lesson(people)["category"] == "team"  # the template maps theme 'people' to category 'team'
    card = register.create_from(project, CARD)
    assert register.lesson(card)["category"] is None
    assert register.sources(project)[["lesson_id", "kind", "ref"]].values.tolist() == [
        [lesson_id, "theme", "communication"],
        [people, "theme", "people"],
        [card, "card", "12"],
    ]


def test_one_field_is_saved_as_typed_and_stamped(register: LessonStore, project: int) -> None:
    lesson_id = register.add_lesson(project, what_happened="Demo slipped")
    before = register.lesson(lesson_id)
    assert register.update_lesson(lesson_id, "root_cause", "  No buffer  ") == "No buffer"
    assert register.update_lesson(lesson_id, "category", "Schedule") == "schedule"
    assert register.update_lesson(lesson_id, "owner", "") is None
    after = register.lesson(lesson_id)
    assert (after["root_cause"], after["category"], after["what_happened"]) == ("No buffer", "schedule", "Demo slipped")
    assert after["updated_at"] >= before["updated_at"]


def test_a_refused_update_keeps_what_was_saved(register: LessonStore, project: int) -> None:
    lesson_id = register.add_lesson(project, what_happened="Demo slipped", phase="planning")
    with pytest.raises(ValidationError, match="What happened: cannot be empty"):
        register.update_lesson(lesson_id, "what_happened", " ")
    with pytest.raises(ValidationError, match="'someday' is not one of"):
        register.update_lesson(lesson_id, "phase", "someday")
    with pytest.raises(ValidationError, match="Unknown lesson field 'project_id'"):
        register.update_lesson(lesson_id, "project_id", 2)
    saved = register.lesson(lesson_id)
    assert (saved["what_happened"], saved["phase"]) == ("Demo slipped", "planning")


def test_sources_can_be_linked_updated_and_unlinked(register: LessonStore, project: int) -> None:
    lesson_id = register.add_lesson(project, what_happened="x")
    register.link_source(lesson_id, CARD)
    register.link_source(lesson_id, LessonSource("card", "12", "edited"))
    register.link_source(lesson_id, LessonSource("comment", "41", ""))
    linked = register.sources(project)
    assert linked[["kind", "ref"]].values.tolist() == [["card", "12"], ["comment", "41"]]
    assert linked["excerpt"].iloc[0] == "edited" and pd.isna(linked["excerpt"].iloc[1])
    register.unlink_source(lesson_id, "card", "12")
    register.unlink_source(lesson_id, "card", "99")  # never linked: nothing happens
    assert register.sources(project)["ref"].tolist() == ["41"]


def test_lessons_are_kept_per_project(register: LessonStore, store: Store, project: int) -> None:
    other = store.create_project("Gemini")
    register.add_lesson(project, what_happened="ours", sources=[CARD])
    register.add_lesson(other, what_happened="theirs", sources=[CARD])
    assert register.lessons(project)["what_happened"].tolist() == ["ours"]
    assert register.sources(other)["lesson_id"].tolist() == register.lessons(other)["id"].tolist()


def test_deleting_a_lesson_removes_its_links_only(register: LessonStore, store: Store, project: int) -> None:
    keep = register.add_lesson(project, what_happened="keep", sources=[CARD])
    gone = register.add_lesson(project, what_happened="gone", sources=[THEME, CARD])
    register.delete_lesson(gone)
    register.delete_lesson(gone)  # already gone: nothing happens
    assert register.lessons(project)["id"].tolist() == [keep]
    assert register.sources(project)["lesson_id"].tolist() == [keep]


def test_a_deleted_lesson_is_named_plainly(register: LessonStore, project: int) -> None:
    lesson_id = register.add_lesson(project, what_happened="x")
    register.delete_lesson(lesson_id)
    gone = "This lesson no longer exists; it may have been deleted in another window."
    for attempt in (
        lambda: register.update_lesson(lesson_id, "impact", "y"),
        lambda: register.link_source(lesson_id, CARD),
        lambda: register.lesson(lesson_id),
    ):
        with pytest.raises(NotFoundError) as info:
            attempt()
        assert str(info.value) == gone


def test_a_deleted_project_takes_its_lessons_and_refuses_new_ones(
    register: LessonStore, store: Store, project: int
) -> None:
    register.add_lesson(project, what_happened="x", sources=[CARD])
    delete_project(store, project)
    assert count(store, lessons) == 0 and count(store, lesson_sources) == 0
    for attempt in (
        lambda: register.add_lesson(project, what_happened="y", sources=[CARD]),
        lambda: register.create_from(project, THEME),
    ):
        with pytest.raises(NotFoundError, match="This project no longer exists"):
            attempt()
    assert count(store, lessons) == 0 and count(store, lesson_sources) == 0


# -- several kernels at once -----------------------------------------------------------------

FIELDS_BY_WORKER = (("impact", "owner"), ("root_cause", "phase"), ("recommendation", "category"), ("what_happened",))
ROUNDS = 5
PHASES = ("initiation", "planning", "execution", "monitoring_and_control", "closing")
CATEGORIES = ("communication", "scope", "schedule", "budget", "quality")


def _value(field: str, round_: int) -> str:
    return {"phase": PHASES, "category": CATEGORIES}.get(field, [f"{field} {r}" for r in range(ROUNDS)])[round_]


def _edit_worker(barrier: Any, idx: int, url: str, project: int, lesson_id: int) -> Any:
    """One kernel editing its own fields of the shared lesson, linking a card and adding a lesson."""
    with closing(Store.open(url)) as store:
        register = LessonStore(store)
        barrier.wait()
        for round_ in range(ROUNDS):
            for field in FIELDS_BY_WORKER[idx]:
                register.update_lesson(lesson_id, field, _value(field, round_))
        register.link_source(lesson_id, LessonSource("card", str(idx), f"card {idx}"))
        return register.create_from(project, LessonSource("comment", str(idx), f"comment {idx}"))


def test_kernels_editing_one_lesson_at_once_lose_nothing(
    store_url: str, register: LessonStore, project: int, run_in_processes: RunInProcesses
) -> None:
    shared = register.add_lesson(project, what_happened="start")
    created = run_in_processes(_edit_worker, [(i, store_url, project, shared) for i in range(len(FIELDS_BY_WORKER))])
    saved = register.lesson(shared)
    for fields in FIELDS_BY_WORKER:
        for field in fields:
            assert saved[field] == _value(field, ROUNDS - 1)
    assert sorted(register.lessons(project)["id"].tolist()) == sorted([shared, *created.values()])
    sources = register.sources(project)
    assert sorted(sources[sources["lesson_id"] == shared]["ref"]) == [str(i) for i in range(len(FIELDS_BY_WORKER))]
    assert len(sources) == 2 * len(FIELDS_BY_WORKER)
