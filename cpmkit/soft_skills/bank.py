"""Question banks for the soft-skills self-assessment (workbook 2): competencies, behavioural
items and the answer scale, loaded from a YAML file in templates/ that a trainer can copy
and edit without code.

A malformed bank is refused up front with a message naming the file, the item and the field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from cpmkit import config
from cpmkit.core.content import check_fields, required_id, required_text
from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import TemplateError, ValidationError

__all__ = [
    "DEFAULT_BANK",
    "Competency",
    "Item",
    "QuestionBank",
    "Scale",
    "bank_named",
    "bank_names",
    "default_bank",
    "load_bank",
]

#: Competency and item ids are stored with each answer, so they stay short and plain.
_BANK_FIELDS = ("name", "scale", "competencies")
_COMPETENCY_FIELDS = ("id", "name", "description", "practices", "items")
_ITEM_FIELDS = ("id", "text", "source", "reverse", "competency")
_MIN_SCALE_POINTS = 3
_MIN_ITEMS = 2


@dataclass(frozen=True)
class Scale:
    """The answer scale: each point's value and label, lowest first (1 'never' .. 5 'always')."""

    points: tuple[tuple[int, str], ...]

    @property
    def low(self) -> int:
        return self.points[0][0]

    @property
    def high(self) -> int:
        return self.points[-1][0]


@dataclass(frozen=True)
class Competency:
    """A soft skill the bank measures, with the practices a development plan can suggest."""

    id: str
    name: str
    description: str
    practices: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """One behavioural statement; ``reverse`` items score high when answered low."""

    id: str
    competency: str
    text: str
    source: str
    reverse: bool = False


@dataclass(frozen=True)
class QuestionBank:
    """A whole instrument: its scale, competencies (in the order asked) and items."""

    name: str
    scale: Scale
    competencies: tuple[Competency, ...]
    items: tuple[Item, ...]

    def items_for(self, competency: str) -> tuple[Item, ...]:
        """The items of one competency, in the bank's order."""
        return tuple(item for item in self.items if item.competency == competency)

    def competency(self, competency_id: str) -> Competency:
        return next(c for c in self.competencies if c.id == competency_id)


def load_bank(path: Path) -> QuestionBank:
    """Read and check a question bank file; TemplateError names the file, item and field."""
    file = path.name
    data = _parse_file(path)
    check_fields(data, _BANK_FIELDS, file, None)
    name = required_text(data, "name", file, None)
    scale = _parse_scale(data.get("scale"), file)
    raw_competencies = data.get("competencies")
    if not isinstance(raw_competencies, list) or not raw_competencies:
        raise TemplateError("must be a non-empty list of competencies.", file=file, field="competencies")
    known = {c["id"].strip() for c in raw_competencies if isinstance(c, dict) and isinstance(c.get("id"), str)}
    competencies: list[Competency] = []
    items: list[Item] = []
    for index, raw in enumerate(raw_competencies, start=1):
        competency, its = _parse_competency(raw, index, known, file)
        if any(c.id == competency.id for c in competencies):
            raise TemplateError("appears more than once.", file=file, item=competency.id, field="id")
        for item in its:
            if any(i.id == item.id for i in items):
                raise TemplateError("appears more than once in the bank.", file=file, item=item.id, field="id")
            items.append(item)
        competencies.append(competency)
    return QuestionBank(name, scale, tuple(competencies), tuple(items))


#: The bank a workshop uses unless it names another (``templates/soft_skills.yaml``).
DEFAULT_BANK: Final = "soft_skills"


@functools.cache
def bank_named(name: str) -> QuestionBank:
    """The bank a workshop names: the file ``<name>.yaml`` in the templates folder."""
    if not isinstance(name, str) or not ID_PATTERN.fullmatch(name):
        raise ValidationError(f"This workshop's question bank {name!r} is not a name cpmkit can load.")
    return load_bank(config.template_file(f"{name}.yaml"))


def bank_names(templates: Path | None = None) -> list[str]:
    """The question banks a trainer can choose: each YAML file in the templates folder, or among
    the defaults, with a top-level ``competencies`` list (a copy of soft_skills.yaml, say), by file stem."""
    files = {path.name: path for path in config.default_templates_dir().glob("*.yaml")}
    files.update({path.name: path for path in (templates or config.templates_dir()).glob("*.yaml")})
    names = []
    for path in (files[name] for name in sorted(files)):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # not readable as YAML: load_bank explains why if it is chosen by name
        if isinstance(data, dict) and isinstance(data.get("competencies"), list) and ID_PATTERN.fullmatch(path.stem):
            names.append(path.stem)
    return names


def default_bank() -> QuestionBank:
    """The bank shipped in ``templates/soft_skills.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return bank_named(DEFAULT_BANK)


def _parse_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"file not found ({path}).", file=path.name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be read"
        raise TemplateError(f"is not valid YAML{where}: {problem}.", file=path.name) from None
    if not isinstance(data, dict):
        raise TemplateError("expected a mapping (name, scale, competencies) at the top level.", file=path.name)
    return data


def _parse_scale(raw: Any, file: str) -> Scale:
    if not isinstance(raw, list) or len(raw) < _MIN_SCALE_POINTS:
        problem = f"must list at least {_MIN_SCALE_POINTS} points, each with a value and a label."
        raise TemplateError(problem, file=file, field="scale")
    points: list[tuple[int, str]] = []
    for index, point in enumerate(raw, start=1):
        label = f"scale point {index}"
        if not isinstance(point, dict):
            raise TemplateError("must be a mapping like {value: 1, label: never}.", file=file, item=label)
        check_fields(point, ("value", "label"), file, label)
        value = point.get("value")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TemplateError("must be a whole number.", file=file, item=label, field="value")
        if points and value != points[-1][0] + 1:
            problem = f"must be {points[-1][0] + 1}: scale values are consecutive whole numbers, lowest first."
            raise TemplateError(problem, file=file, item=label, field="value")
        points.append((value, required_text(point, "label", file, label)))
    return Scale(tuple(points))


def _parse_competency(raw: Any, index: int, known: set[str], file: str) -> tuple[Competency, list[Item]]:
    label = str(raw.get("id") or f"competency {index}") if isinstance(raw, dict) else f"competency {index}"
    if not isinstance(raw, dict):
        raise TemplateError("each competency must be a mapping.", file=file, item=label)
    check_fields(raw, _COMPETENCY_FIELDS, file, label)
    competency_id = required_id(raw, file, label)
    competency = Competency(
        competency_id,
        required_text(raw, "name", file, label),
        required_text(raw, "description", file, label),
        _parse_practices(raw.get("practices"), file, label),
    )
    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or len(raw_items) < _MIN_ITEMS:
        raise TemplateError(f"must list at least {_MIN_ITEMS} items.", file=file, item=label, field="items")
    items = [
        _parse_item(item, f"{competency_id} item {n}", competency_id, known, file)
        for n, item in enumerate(raw_items, start=1)
    ]
    return competency, items


def _parse_practices(raw: Any, file: str, label: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise TemplateError(
            "must be a non-empty list of suggested practices.", file=file, item=label, field="practices"
        )
    if not all(isinstance(p, str) and p.strip() for p in raw):
        raise TemplateError("each practice must be a non-empty sentence.", file=file, item=label, field="practices")
    return tuple(p.strip() for p in raw)


def _parse_item(raw: Any, label: str, owner: str, known: set[str], file: str) -> Item:
    if not isinstance(raw, dict):
        raise TemplateError("each item must be a mapping with id, text and source.", file=file, item=label)
    label = str(raw.get("id") or label)
    check_fields(raw, _ITEM_FIELDS, file, label)
    item_id = required_id(raw, file, label)
    declared = raw.get("competency", owner)
    if declared not in known:
        raise TemplateError(f"names an unknown competency {declared!r}.", file=file, item=label, field="competency")
    if declared != owner:
        problem = f"says {declared!r} but the item is listed under {owner!r}."
        raise TemplateError(problem, file=file, item=label, field="competency")
    reverse = raw.get("reverse", False)
    if not isinstance(reverse, bool):
        raise TemplateError("must be true or false.", file=file, item=label, field="reverse")
    return Item(
        item_id, owner, required_text(raw, "text", file, label), required_text(raw, "source", file, label), reverse
    )
