"""Workbook 4's lessons-learned content: the categories and project phases a lesson is filed
under and the label and guidance of each field, loaded from ``templates/lessons.yaml`` so a
trainer can reword them without code.

A malformed file is refused up front with a message naming the file, the item and the field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, read_yaml, required_id, required_text
from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import TemplateError

__all__ = [
    "LESSONS_FILE",
    "LESSON_FIELDS",
    "Choice",
    "FieldGuide",
    "LessonsTemplate",
    "lessons_template",
    "load_lessons_template",
]

LESSONS_FILE: Final = "lessons.yaml"
#: What a lesson records, in the order a register shows it (columns of the ``lessons`` table).
LESSON_FIELDS: Final = ("what_happened", "impact", "root_cause", "recommendation", "category", "phase", "owner")


@dataclass(frozen=True)
class Choice:
    """A category or a phase: the id saved with lessons, the label shown, and (categories only)
    the feedback themes whose lessons start in it."""

    id: str
    label: str
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldGuide:
    """How a lesson field is shown: its label and the sentence that says what a good answer holds."""

    label: str
    help: str


@dataclass(frozen=True)
class LessonsTemplate:
    """The register's introduction, categories and phases (in the order offered) and field guides."""

    intro: str
    categories: tuple[Choice, ...]
    phases: tuple[Choice, ...]
    fields: dict[str, FieldGuide]

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    @property
    def phase_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.phases)

    @property
    def category_for_theme(self) -> dict[str, str]:
        """Feedback theme id -> the category its lessons start in (a category's own id included)."""
        found = {c.id: c.id for c in self.categories}
        found.update({theme: c.id for c in self.categories for theme in c.themes})
        return found

    def label(self, field: str, value: str | None) -> str:
        """The label of a category or phase id (the id itself if the file no longer has it)."""
        choices = {"category": self.categories, "phase": self.phases}[field]
        return next((c.label for c in choices if c.id == value), value or "")


def load_lessons_template(path: Path) -> LessonsTemplate:
    """Read and check a lessons file; TemplateError names the file, item and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("intro", "categories", "phases", "fields"), file, None)
    return LessonsTemplate(
        intro=required_text(data, "intro", file, None),
        categories=_choices(data, "categories", "category", file),
        phases=_choices(data, "phases", "phase", file),
        fields=_field_guides(data.get("fields"), file),
    )


@functools.cache
def lessons_template(templates: Path | None = None) -> LessonsTemplate:
    """The lessons content in ``templates/lessons.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return load_lessons_template(config.template_file(LESSONS_FILE, templates))


def _choices(data: dict[str, Any], key: str, what: str, file: str) -> tuple[Choice, ...]:
    raw_list = data.get(key)
    if not isinstance(raw_list, list) or not raw_list:
        raise TemplateError(f"must be a non-empty list of {key}.", file=file, field=key)
    found: list[Choice] = []
    for index, raw in enumerate(raw_list, start=1):
        named = isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip()
        label = str(raw["id"]).strip() if named else f"{what} {index}"
        if not isinstance(raw, dict):
            raise TemplateError("must be a mapping with id and label.", file=file, item=label)
        check_fields(raw, ("id", "label", "themes") if key == "categories" else ("id", "label"), file, label)
        choice = Choice(
            required_id(raw, file, label), required_text(raw, "label", file, label), _themes(raw, file, label)
        )
        if any(c.id == choice.id for c in found):
            raise TemplateError("appears more than once.", file=file, item=choice.id, field="id")
        found.append(choice)
    if key == "categories":
        claimed = [t for c in found for t in c.themes]
        twice = [t for t in claimed if claimed.count(t) > 1 or t in {c.id for c in found}]
        if twice:
            problem = f"theme {twice[0]!r} is given to more than one category (a category id counts as its own theme)."
            raise TemplateError(
                problem, file=file, item=next(c.id for c in found if twice[0] in c.themes), field="themes"
            )
    return tuple(found)


def _themes(raw: dict[str, Any], file: str, label: str) -> tuple[str, ...]:
    themes = raw.get("themes", [])
    if not isinstance(themes, list) or not all(isinstance(t, str) and ID_PATTERN.fullmatch(t) for t in themes):
        raise TemplateError("must be a list of feedback theme ids.", file=file, item=label, field="themes")
    return tuple(themes)


def _field_guides(raw: Any, file: str) -> dict[str, FieldGuide]:
    if not isinstance(raw, dict):
        raise TemplateError("must map each lesson field to its label and help.", file=file, field="fields")
    check_fields(raw, LESSON_FIELDS, file, None, where="fields")
    guides: dict[str, FieldGuide] = {}
    for name in LESSON_FIELDS:
        guide = raw.get(name)
        if not isinstance(guide, dict):
            raise TemplateError(
                "is missing: give it a label and a help sentence.", file=file, item=name, field="fields"
            )
        check_fields(guide, ("label", "help"), file, name)
        guides[name] = FieldGuide(required_text(guide, "label", file, name), required_text(guide, "help", file, name))
    return guides
