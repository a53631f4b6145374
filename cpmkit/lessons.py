"""Workbook 4's lessons-learned register: what a lesson holds and where it came from.

Pure: no widgets, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["SOURCE_KINDS", "LessonSource"]

#: What a lesson can be made from: a feedback theme, one pulse-survey comment, a retrospective card.
SOURCE_KINDS: Final = ("theme", "comment", "card")


@dataclass(frozen=True)
class LessonSource:
    """The feedback behind a lesson: its kind (see SOURCE_KINDS), its id there (a theme id, a
    pulse response id, a retro card id, as text) and what it said, kept with the lesson."""

    kind: str
    ref: str
    excerpt: str
