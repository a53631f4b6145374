"""Workbook 4's retrospective formats (start/stop/continue, 4Ls, mad/sad/glad, sailboat), each a
board of columns with a prompt, and the defaults of a new board, loaded from
``templates/retro_formats.yaml`` so a trainer can change them without code.

A malformed file is refused up front with a message naming the file, the format and the field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, entry_label, parsed_entries, read_yaml, required_id, required_text
from cpmkit.errors import TemplateError
from cpmkit.feedback.retro.rules import PHASES, vote_limit_problem

__all__ = [
    "RETRO_FORMATS_FILE",
    "RetroColumn",
    "RetroFormat",
    "RetroFormats",
    "load_retro_formats",
    "retro_formats",
]

RETRO_FORMATS_FILE: Final = "retro_formats.yaml"
_MIN_COLUMNS: Final = 2


@dataclass(frozen=True)
class RetroColumn:
    """One column of a board: its id (saved with each card), heading and prompt."""

    id: str
    label: str
    prompt: str


@dataclass(frozen=True)
class RetroFormat:
    """A retrospective format: its id (saved with each board), name, intro and columns."""

    id: str
    name: str
    intro: str
    columns: tuple[RetroColumn, ...]

    def column(self, column_id: str) -> RetroColumn:
        return next(c for c in self.columns if c.id == column_id)

    def label(self, column_id: str) -> str:
        """The column's heading; its id for a column no longer in the format (a board's vote limit
        can outlive its column in templates/retro_formats.yaml)."""
        return next((c.label for c in self.columns if c.id == column_id), column_id)

    @property
    def column_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.columns)


@dataclass(frozen=True)
class RetroFormats:
    """The formats by id (in file order), a new board's votes per member, and a sentence per phase."""

    formats: dict[str, RetroFormat]
    votes_per_member: int
    phase_guidance: dict[str, str]

    def format(self, format_id: str) -> RetroFormat:
        """The format ``format_id``; KeyError for one the file no longer has."""
        return self.formats[format_id]


def load_retro_formats(path: Path) -> RetroFormats:
    """Read and check a formats file; TemplateError names the file, format and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("defaults", "formats"), file, None)
    votes, guidance = _parse_defaults(data.get("defaults"), file)
    formats = {found.id: found for found in parsed_entries(data, "formats", _parse_format, file)}
    return RetroFormats(formats, votes, guidance)


@functools.cache
def retro_formats(templates: Path | None = None) -> RetroFormats:
    """The formats in ``templates/retro_formats.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return load_retro_formats(config.template_file(RETRO_FORMATS_FILE, templates))


def _parse_defaults(raw: Any, file: str) -> tuple[int, dict[str, str]]:
    if not isinstance(raw, dict):
        raise TemplateError("must be a mapping with votes_per_member and phases.", file=file, field="defaults")
    check_fields(raw, ("votes_per_member", "phases"), file, None, where="defaults")
    votes: Any = raw.get("votes_per_member")  # an int once vote_limit_problem finds nothing wrong
    problem = vote_limit_problem(votes)
    if problem is not None:
        raise TemplateError(problem, file=file, field="defaults.votes_per_member")
    phases = raw.get("phases")
    if not isinstance(phases, dict):
        raise TemplateError(
            f"must give one sentence for each phase: {', '.join(PHASES)}.", file=file, field="defaults.phases"
        )
    check_fields(phases, PHASES, file, None, where="defaults.phases")
    guidance = {phase: required_text(phases, phase, file, f"phase {phase}") for phase in PHASES}
    return votes, guidance


def _parse_format(raw: Any, index: int, file: str) -> RetroFormat:
    label = entry_label(raw, f"format {index}")
    if not isinstance(raw, dict):
        raise TemplateError("each format must be a mapping with id, name, intro and columns.", file=file, item=label)
    check_fields(raw, ("id", "name", "intro", "columns"), file, label)
    format_id = required_id(raw, file, label)
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, list) or len(raw_columns) < _MIN_COLUMNS:
        problem = f"must be a list of at least {_MIN_COLUMNS} columns."
        raise TemplateError(problem, file=file, item=label, field="columns")
    columns: list[RetroColumn] = []
    for number, raw_column in enumerate(raw_columns, start=1):
        where = f"{label}, column {entry_label(raw_column, str(number))}"
        if not isinstance(raw_column, dict):
            raise TemplateError("each column must be a mapping with id, label and prompt.", file=file, item=where)
        check_fields(raw_column, ("id", "label", "prompt"), file, where)
        column = RetroColumn(
            required_id(raw_column, file, where),
            required_text(raw_column, "label", file, where),
            required_text(raw_column, "prompt", file, where),
        )
        if any(c.id == column.id for c in columns):
            raise TemplateError("appears more than once.", file=file, item=where, field="id")
        columns.append(column)
    return RetroFormat(
        format_id, required_text(raw, "name", file, label), required_text(raw, "intro", file, label), tuple(columns)
    )
