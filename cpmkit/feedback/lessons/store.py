"""Workbook 4's saved lessons: the lessons-learned register of each project and the feedback
(themes, pulse-survey comments, retrospective cards) each lesson came from.

Built on a :class:`~cpmkit.db.database.Store` like ``GapStore``: each answer is one short write
transaction; a lesson and its sources are written together; one field is saved per call, so
several people editing one lesson at once lose nothing. Lessons go with their project and
sources with their lesson (ON DELETE CASCADE); a write for a project or lesson deleted
meanwhile raises NotFoundError and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import pandas as pd
from sqlalchemy import func, select

from cpmkit.db.database import NO_PROJECT, Store, upsert
from cpmkit.db.schema import lesson_sources, lessons
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.feedback.lessons.rules import (
    LESSON_COLUMNS,
    LESSON_FIELDS,
    SOURCE_COLUMNS,
    LessonSource,
    clean_lesson_field,
    clean_source,
    draft_from,
)
from cpmkit.feedback.lessons.template import LessonsTemplate, lessons_template

__all__ = ["LessonStore"]

_NO_LESSON: Final = gone("lesson")


class LessonStore:
    """Lessons and their sources, in a :class:`Store`; fields are checked against ``template``
    (default: ``templates/lessons.yaml``)."""

    def __init__(self, store: Store, template: LessonsTemplate | None = None) -> None:
        self.store = store
        self.template = template or lessons_template()

    def add_lesson(self, project_id: int, *, sources: Iterable[LessonSource] = (), **fields: Any) -> int:
        """Add a lesson (``what_happened`` required) with the feedback behind it, in one
        transaction; returns its id. Every field and source is checked first."""
        unknown = [f for f in fields if f not in LESSON_FIELDS]
        if unknown:
            raise ValidationError(f"Unknown lesson field {unknown[0]!r}.", field=unknown[0])
        values = {f: clean_lesson_field(f, fields.get(f), self.template) for f in LESSON_FIELDS}
        linked = list(
            {(s.kind, s.ref): s for s in map(clean_source, sources)}.values()
        )  # a repeat keeps the last excerpt
        with self.store.write(missing=NO_PROJECT) as conn:
            stmt = lessons.insert().values(project_id=project_id, **values).returning(lessons.c.id)
            lesson_id = int(conn.execute(stmt).scalar_one())
            if linked:
                conn.execute(lesson_sources.insert(), [_source_row(lesson_id, s) for s in linked])
        return lesson_id

    def create_from(self, project_id: int, source: LessonSource) -> int:
        """A lesson made in one step from a theme, comment or card (see ``lessons.draft_from``),
        linked to it; the PM completes the other fields afterwards."""
        draft = draft_from(source, category_for_theme=self.template.category_for_theme)
        return self.add_lesson(project_id, sources=[source], **draft)

    def update_lesson(self, lesson_id: int, field: str, value: Any) -> str | None:
        """Save one field of a lesson as typed; returns it as stored. A bad value raises and
        saves nothing; only this field (and the time of the change) is written."""
        clean = clean_lesson_field(field, value, self.template)
        with self.store.write() as conn:
            changed = (
                lessons.update()
                .where(lessons.c.id == lesson_id)
                .values({field: clean, "updated_at": func.current_timestamp()})
            )
            if not conn.execute(changed).rowcount:
                raise NotFoundError(_NO_LESSON)
        return clean

    def delete_lesson(self, lesson_id: int) -> None:
        """Delete a lesson and its links to feedback (the feedback itself stays)."""
        with self.store.write() as conn:
            conn.execute(lessons.delete().where(lessons.c.id == lesson_id))

    def link_source(self, lesson_id: int, source: LessonSource) -> None:
        """Link a lesson to more feedback; linking the same source again updates its excerpt."""
        clean = clean_source(source)
        with self.store.write(missing=_NO_LESSON) as conn:
            keys = [lesson_sources.c.lesson_id, lesson_sources.c.kind, lesson_sources.c.ref]
            conn.execute(
                upsert(self.store.engine, lesson_sources, _source_row(lesson_id, clean), keys=keys, update=["excerpt"])
            )

    def unlink_source(self, lesson_id: int, kind: str, ref: str) -> None:
        """Remove one source from a lesson (nothing happens if it was not linked)."""
        with self.store.write() as conn:
            conn.execute(
                lesson_sources.delete().where(
                    lesson_sources.c.lesson_id == lesson_id, lesson_sources.c.kind == kind, lesson_sources.c.ref == ref
                )
            )

    def lesson(self, lesson_id: int) -> dict[str, Any]:
        """One lesson's saved fields (``LESSON_COLUMNS`` and ``project_id``); NotFoundError if deleted."""
        with self.store.read() as conn:
            row = conn.execute(select(lessons).where(lessons.c.id == lesson_id)).first()
        if row is None:
            raise NotFoundError(_NO_LESSON)
        return dict(row._mapping)

    def lessons(self, project_id: int) -> pd.DataFrame:
        """The project's register in the order recorded (``LESSON_COLUMNS``)."""
        query = (
            select(*(lessons.c[c] for c in LESSON_COLUMNS))
            .where(lessons.c.project_id == project_id)
            .order_by(lessons.c.id)
        )
        return self.store.frame(query, list(LESSON_COLUMNS))

    def sources(self, project_id: int) -> pd.DataFrame:
        """The feedback behind the project's lessons, by lesson, in the order linked (``SOURCE_COLUMNS``)."""
        query = (
            select(*(lesson_sources.c[c] for c in SOURCE_COLUMNS))
            .join(lessons, lessons.c.id == lesson_sources.c.lesson_id)
            .where(lessons.c.project_id == project_id)
            .order_by(lesson_sources.c.lesson_id, lesson_sources.c.id)
        )
        return self.store.frame(query, list(SOURCE_COLUMNS))


def _source_row(lesson_id: int, source: LessonSource) -> dict[str, Any]:
    return {"lesson_id": lesson_id, "kind": source.kind, "ref": source.ref, "excerpt": source.excerpt or None}
