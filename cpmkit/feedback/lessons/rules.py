"""Workbook 4's lessons-learned register: what a lesson holds and where it came from, a lesson
drafted in one step from a feedback theme, comment or retrospective card, search and filters,
and the register as a Markdown document or spreadsheet tables.

Pure: no widgets, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.export import markdown_text
from cpmkit.core.fields import (
    DEFAULT_TEXT_LIMIT,
    OWNER_LIMIT,
    blank,
    clean_choice,
    clean_text,
    required,
)
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.feedback.lessons.template import LESSON_FIELDS, Choice, LessonsTemplate

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "LESSON_COLUMNS",
    "LESSON_FIELDS",
    "SEARCHED_FIELDS",
    "SOURCE_COLUMNS",
    "SOURCE_KINDS",
    "SOURCE_TITLES",
    "LessonSource",
    "clean_lesson_field",
    "clean_source",
    "describe_source",
    "draft_from",
    "field_options",
    "file_stem",
    "filter_lessons",
    "lesson_numbers",
    "lesson_owners",
    "lessons_markdown",
    "lessons_tables",
]

#: What a lesson can be made from: a feedback theme, one pulse-survey comment, a retrospective card.
SOURCE_KINDS: Final = ("theme", "comment", "card")
#: How each kind of source is named in a lesson and in the register.
SOURCE_TITLES: Final = {"theme": "Feedback theme", "comment": "Pulse-survey comment", "card": "Retrospective card"}
#: The columns of a lessons frame and of a sources frame (``LessonStore.lessons`` / ``.sources``).
LESSON_COLUMNS: Final = ["id", *LESSON_FIELDS, "created_at", "updated_at"]
SOURCE_COLUMNS: Final = ["lesson_id", "kind", "ref", "excerpt"]
#: The fields a search looks in (with the excerpts of the lesson's sources).
SEARCHED_FIELDS: Final = ("what_happened", "impact", "root_cause", "recommendation", "owner")

_REF_LIMIT: Final = 200  # lesson_sources.ref
_MORE: Final = "…"


@dataclass(frozen=True)
class LessonSource:
    """The feedback behind a lesson: its kind (see SOURCE_KINDS), its id there (a theme id, a
    pulse response id and question as "12:comment", a retro card id, as text) and what it said, kept with the lesson."""

    kind: str
    ref: str
    excerpt: str


def clean_lesson_field(field: str, value: Any, template: LessonsTemplate) -> str | None:
    """One lesson field as saved: trimmed text within its limit, a category or phase id the
    template knows; None for a blank (cleared) field. "What happened" cannot be blank."""
    if field == "what_happened":
        return required(field, value, clean_text(field, value))
    if field in ("impact", "root_cause", "recommendation"):
        return clean_text(field, value)
    if field == "owner":
        return clean_text(field, value, limit=OWNER_LIMIT)
    if field == "category":
        return clean_choice(field, value, template.category_ids)
    if field == "phase":
        return clean_choice(field, value, template.phase_ids)
    raise ValidationError(f"Unknown lesson field {field!r}.", field=field, value=value)


def clean_source(source: LessonSource) -> LessonSource:
    """``source`` checked: a known kind, a non-blank ref, an excerpt within the text limit."""
    kind = required("kind", source.kind, clean_choice("kind", source.kind, SOURCE_KINDS))
    ref = required("ref", source.ref, clean_text("ref", source.ref, limit=_REF_LIMIT))
    return LessonSource(kind, ref, clean_text("excerpt", source.excerpt) or "")


def describe_source(source: LessonSource) -> str:
    """How a source is named to the PM: ``Feedback theme 'communication'``."""
    return f"{SOURCE_TITLES.get(source.kind, source.kind)} {source.ref!r}"


def draft_from(source: LessonSource, *, category_for_theme: Mapping[str, str] | None = None) -> dict[str, str]:
    """A new lesson's first fields, made from its source in one step: "what happened" says what
    the source said ("Feedback theme Communication: 7 comments, e.g. ...", "Retrospective card:
    ..."), and a lesson from a theme starts in the category ``category_for_theme``
    gives that theme (see ``LessonsTemplate.category_for_theme``), if any."""
    clean = clean_source(source)
    if not clean.excerpt:
        what = describe_source(clean)
    elif clean.kind == "theme":  # the excerpt starts with the theme's label: "Communication: 7 comments, e.g. ..."
        what = f"{SOURCE_TITLES['theme']} {clean.excerpt}"
    else:
        what = f"{SOURCE_TITLES[clean.kind]}: {clean.excerpt}"
    if len(what) > DEFAULT_TEXT_LIMIT:
        what = what[: DEFAULT_TEXT_LIMIT - len(_MORE)] + _MORE
    draft = {"what_happened": what}
    category = (category_for_theme or {}).get(clean.ref) if clean.kind == "theme" else None
    if category:
        draft["category"] = category
    return draft


def filter_lessons(
    lessons: pd.DataFrame,
    *,
    sources: pd.DataFrame | None = None,
    text: str | None = None,
    category: str | None = None,
    phase: str | None = None,
    owner: str | None = None,
) -> pd.DataFrame:
    """The lessons that match every filter given: ``text`` (each word, ignoring case, somewhere
    in a lesson's text fields or its sources' excerpts), a category id, a phase id, an owner
    (ignoring case and padding). A blank filter matches everything."""
    require_columns(lessons, ["id", *LESSON_FIELDS], "lessons register")
    keep = pd.Series(True, index=lessons.index)
    for field, wanted in (("category", category), ("phase", phase), ("owner", owner)):
        if not blank(wanted):
            keep &= lessons[field].map(lambda v, w=str(wanted): _folded(v) == w.strip().casefold())
    words = [] if blank(text) else str(text).casefold().split()
    if words:
        excerpts: dict[Any, list[str]] = {}
        if sources is not None and not sources.empty:
            for lesson_id, excerpt in zip(sources["lesson_id"], sources["excerpt"], strict=True):
                excerpts.setdefault(lesson_id, []).append(_folded(excerpt))
        haystacks = [
            " ".join([*(_folded(row[f]) for f in SEARCHED_FIELDS), *excerpts.get(row["id"], [])])
            for _, row in lessons.iterrows()
        ]
        keep &= pd.Series([all(w in h for w in words) for h in haystacks], index=lessons.index, dtype=bool)
    return lessons[keep].reset_index(drop=True)


def lesson_numbers(lessons: pd.DataFrame) -> dict[int, int]:
    """Each lesson's number in the register, ``{lesson id: number}``: 1 for the first in
    ``lessons``' order, as the list, the editor and the Markdown document count them."""
    require_columns(lessons, ["id"], "lessons register")
    return {int(lesson_id): number for number, lesson_id in enumerate(lessons["id"], start=1)}


def lesson_owners(lessons: pd.DataFrame) -> list[str]:
    """The owners named in the register, each once (padding trimmed), in alphabetical order
    ignoring case (then case, so "Ada" and "ada" always come in the same order)."""
    require_columns(lessons, ["owner"], "lessons register")
    named = {str(owner).strip() for owner in lessons["owner"] if not blank(owner)}
    return sorted(named, key=lambda owner: (owner.casefold(), owner))


def field_options(choices: tuple[Choice, ...], current: Any) -> list[tuple[str, str | None]]:
    """A choice field's (label, id) options, blank first, with the saved id kept if the template
    no longer offers it (so opening an older lesson neither loses nor changes its value)."""
    options: list[tuple[str, str | None]] = [("-", None), *((c.label, c.id) for c in choices)]
    if not blank(current) and current not in {c.id for c in choices}:
        options.append((str(current), str(current)))
    return options


def file_stem(project_name: str) -> str:
    """The register's download name without suffix: ``lessons-`` and the project name as
    letters, digits and hyphens."""
    return "lessons-" + (re.sub(r"[^\w]+", "-", project_name.casefold()).strip("-_") or "project")


def lessons_markdown(lessons: pd.DataFrame, sources: pd.DataFrame, template: LessonsTemplate, project_name: str) -> str:
    """The register as a Markdown document: one section per lesson with its fields as labelled
    lines and its sources listed. Everything a user typed goes through ``markdown_text``."""
    require_columns(lessons, ["id", *LESSON_FIELDS], "lessons register")
    count = len(lessons)
    parts = [f"# Lessons learned: {markdown_text(project_name)}", f"{count} lesson{'' if count == 1 else 's'}."]
    for number, (_, lesson) in enumerate(lessons.iterrows(), start=1):
        parts.append(f"## Lesson {number}")
        for field in LESSON_FIELDS:
            value = lesson[field]
            if field in ("category", "phase") and not blank(value):
                value = template.label(field, str(value))
            parts.append(f"**{template.fields[field].label}:** {markdown_text(value)}")
        mine = sources[sources["lesson_id"] == lesson["id"]] if not sources.empty else sources
        if not mine.empty:
            listed = [
                f"- {SOURCE_TITLES.get(kind, kind)} ({markdown_text(ref)}): {markdown_text(excerpt)}"
                for kind, ref, excerpt in zip(mine["kind"], mine["ref"], mine["excerpt"], strict=True)
            ]
            parts.append("**Sources:**\n\n" + "\n".join(listed))
    return "\n\n".join(parts) + "\n"


def lessons_tables(
    lessons: pd.DataFrame, sources: pd.DataFrame, template: LessonsTemplate | None = None
) -> dict[str, pd.DataFrame]:
    """The register and its sources as sheets for ``cpmkit.core.export.to_xlsx``; with a template,
    headings are the field labels and categories and phases their labels."""
    require_columns(lessons, LESSON_COLUMNS, "lessons register")
    register = lessons[LESSON_COLUMNS].copy()
    linked = sources[SOURCE_COLUMNS].copy()
    if template is not None:
        for field in ("category", "phase"):
            register[field] = register[field].map(lambda v, f=field: None if blank(v) else template.label(f, str(v)))
        register = register.rename(columns={f: template.fields[f].label for f in LESSON_FIELDS})
    headings = {"id": "lesson", "lesson_id": "lesson", "created_at": "created", "updated_at": "updated"}
    return {"lessons": register.rename(columns=headings), "sources": linked.rename(columns=headings)}


def _folded(value: Any) -> str:
    return "" if blank(value) else str(value).strip().casefold()
