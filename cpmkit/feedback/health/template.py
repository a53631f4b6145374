"""Workbook 4's team health checks (a project team's squad health check): each check a list of
dimensions, each with what green and what red look like, loaded from
``templates/health_check.yaml`` so a trainer can change them without code.

A malformed file is refused up front with a message naming the file, the check, the dimension
and the field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, entry_label, parsed_entries, read_yaml, required_id, required_text
from cpmkit.errors import TemplateError

__all__ = [
    "HEALTH_CHECK_FILE",
    "HealthCheck",
    "HealthChecks",
    "HealthDimension",
    "health_checks",
    "load_health_checks",
]

HEALTH_CHECK_FILE: Final = "health_check.yaml"
_MIN_DIMENSIONS: Final = 2


@dataclass(frozen=True)
class HealthDimension:
    """One card of a check: its id (saved with each vote), name, and what green and red look like."""

    id: str
    name: str
    green: str
    red: str


@dataclass(frozen=True)
class HealthCheck:
    """A health check: its id (saved with each check, in ``retro_boards.format``), name, intro and dimensions."""

    id: str
    name: str
    intro: str
    dimensions: tuple[HealthDimension, ...]

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    @property
    def names(self) -> dict[str, str]:
        """Each dimension's name by its id, in the check's order."""
        return {d.id: d.name for d in self.dimensions}


@dataclass(frozen=True)
class HealthChecks:
    """The checks of the file by id, in file order."""

    checks: dict[str, HealthCheck]

    @property
    def names(self) -> dict[str, str]:
        """Every dimension's name by id, across the file's checks, in file order (what the
        history of checks is labelled with)."""
        return {d: name for check in self.checks.values() for d, name in check.names.items()}


def load_health_checks(path: Path) -> HealthChecks:
    """Read and check a health checks file; TemplateError names the file, check, dimension and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("checks",), file, None)
    return HealthChecks({found.id: found for found in parsed_entries(data, "checks", _parse_check, file)})


def health_checks(templates: Path | None = None) -> HealthChecks:
    """The checks in ``templates/health_check.yaml`` (or ``CPMKIT_TEMPLATES_DIR``'s). A custom
    folder set up before health checks existed has no such file: the packaged one serves then."""
    return _checks_in(config.template_file(HEALTH_CHECK_FILE, templates))


@functools.cache
def _checks_in(path: Path) -> HealthChecks:
    return load_health_checks(path)


def _parse_check(raw: Any, index: int, file: str) -> HealthCheck:
    label = entry_label(raw, f"check {index}")
    if not isinstance(raw, dict):
        raise TemplateError("each check must be a mapping with id, name, intro and dimensions.", file=file, item=label)
    check_fields(raw, ("id", "name", "intro", "dimensions"), file, label)
    check_id = required_id(raw, file, label)
    raw_dimensions = raw.get("dimensions")
    if not isinstance(raw_dimensions, list) or len(raw_dimensions) < _MIN_DIMENSIONS:
        problem = f"must be a list of at least {_MIN_DIMENSIONS} dimensions."
        raise TemplateError(problem, file=file, item=label, field="dimensions")
    dimensions: list[HealthDimension] = []
    for number, raw_dimension in enumerate(raw_dimensions, start=1):
        where = f"{label}, dimension {entry_label(raw_dimension, str(number))}"
        if not isinstance(raw_dimension, dict):
            raise TemplateError("each dimension must be a mapping with id, name, green and red.", file=file, item=where)
        check_fields(raw_dimension, ("id", "name", "green", "red"), file, where)
        dimension = HealthDimension(
            required_id(raw_dimension, file, where),
            *(required_text(raw_dimension, field, file, where) for field in ("name", "green", "red")),
        )
        if any(d.id == dimension.id for d in dimensions):
            raise TemplateError("appears more than once.", file=file, item=where, field="id")
        dimensions.append(dimension)
    return HealthCheck(
        check_id, required_text(raw, "name", file, label), required_text(raw, "intro", file, label), tuple(dimensions)
    )
