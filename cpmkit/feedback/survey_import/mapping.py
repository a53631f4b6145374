"""Which column of a survey export feeds each field an import fills: the fields (targets),
a mapping from target to column, and a first suggestion made from the column headings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final, Literal

from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import ValidationError

__all__ = ["RESPONDENT", "RESPONSE_ID", "SUBMITTED_AT", "ColumnMapping", "Target", "TargetKind", "suggest_mapping"]

TargetKind = Literal["datetime", "text", "integer", "id"]
_KINDS: Final = ("datetime", "text", "integer", "id")
#: Columns of ImportResult.responses besides one per target.
_OWN_COLUMNS: Final = ("row", "response_key")


@dataclass(frozen=True)
class Target:
    """A field the import fills, and how to recognise its column in an export.

    ``kind`` is "datetime", "text", "integer" or "id" (the export's own response id, text).
    An "integer" is a whole number from ``low`` to ``high``, perhaps followed by a label
    ("9 - Very likely"), or one of the ``labels`` alone ("Mostly"), as (value, label) pairs
    like a pulse question's scale: Microsoft Forms exports a choice by its label.
    A heading matches an alias (or the label) that it equals, case, accents and punctuation
    aside, or, for aliases of two words or more, one that it contains; "..." in an alias
    stands for any words: "how likely ... recommend".
    """

    id: str
    label: str
    kind: TargetKind
    aliases: tuple[str, ...] = ()
    required: bool = False
    low: int | None = None
    high: int | None = None
    labels: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if not ID_PATTERN.fullmatch(self.id) or self.id in _OWN_COLUMNS:
            raise ValidationError(
                f"{self.id!r} cannot name an import field: use lower-case letters, digits and _ (not 'row' or 'response_key')."
            )
        if self.kind not in _KINDS:
            raise ValidationError(
                f"Import field {self.id!r}: the kind must be one of {', '.join(_KINDS)}; not {self.kind!r}."
            )
        span = range(self.low, self.high + 1) if isinstance(self.low, int) and isinstance(self.high, int) else range(0)
        is_range = len(span) > 0
        if (self.kind == "integer") != is_range or (not is_range and (self.low, self.high) != (None, None)):
            raise ValidationError(
                f"Import field {self.id!r}: a range low <= high goes with kind 'integer', and only with it."
            )
        if any(value not in span for value, _label in self.labels):
            raise ValidationError(
                f"Import field {self.id!r}: labels name values from low to high of an 'integer' field."
            )


#: The columns the survey tools add themselves: when a response was sent (Google "Timestamp",
#: Microsoft "Completion time", SurveyMonkey "End Date"), by whom, and the tool's response id.
SUBMITTED_AT: Final = Target(
    "submitted_at",
    "Submitted at",
    "datetime",
    ("Timestamp", "Completion time", "End Date", "Submitted at", "Submission time", "Date submitted"),
    required=True,
)
RESPONDENT: Final = Target(
    "respondent", "Respondent", "text", ("Email", "Email Address", "Name", "Respondent", "Respondent email")
)
RESPONSE_ID: Final = Target("response_id", "Response id", "id", ("Respondent ID", "Response ID", "ID"))


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the export feeds each target; None: the target is not imported."""

    targets: tuple[Target, ...]
    columns: Mapping[str, str | None]

    def __post_init__(self) -> None:
        ids = [target.id for target in self.targets]
        if len(set(ids)) != len(ids):
            raise ValidationError("Each import field can appear only once.")
        if sum(target.kind == "id" for target in self.targets) > 1:
            raise ValidationError("Only one import field can be the response id.")
        unknown = [key for key in self.columns if key not in ids]
        if unknown:
            raise ValidationError(f"These are not import fields: {', '.join(map(repr, unknown))}.")
        object.__setattr__(self, "columns", MappingProxyType({i: self.columns.get(i) for i in ids}))

    def choose(self, target_id: str, column: str | None) -> ColumnMapping:
        """A copy in which ``column`` feeds ``target_id`` (None: not imported)."""
        if target_id not in self.columns:
            raise ValidationError(f"{target_id!r} is not an import field.")
        return replace(self, columns={**self.columns, target_id: column})

    @property
    def unmapped_required(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.required and self.columns[t.id] is None)


def suggest_mapping(columns: Sequence[str], targets: Sequence[Target]) -> ColumnMapping:
    """The column each target most likely comes from, by heading; each column used once.

    An exact match beats a partial one, then an earlier alias, then a shorter heading.
    """
    headings = [_words(column) for column in columns]
    candidates = []
    for t, target in enumerate(targets):
        for rank, alias in enumerate((target.label, *target.aliases)):
            parts = [_words(part) for part in alias.split("...") if _words(part)]
            for c, heading in enumerate(headings):
                exact = parts == [heading]
                if exact or (sum(len(p.split()) for p in parts) >= 2 and _contains(heading, parts)):
                    candidates.append((not exact, rank, len(heading), t, c))
    chosen: dict[str, str | None] = {}
    used: set[int] = set()
    for *_order, t, c in sorted(candidates):
        if targets[t].id not in chosen and c not in used:
            chosen[targets[t].id] = columns[c]
            used.add(c)
    return ColumnMapping(tuple(targets), chosen)


def _words(text: str) -> str:
    """Text for matching: lower case, accents and punctuation dropped, single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _contains(heading: str, parts: Sequence[str]) -> bool:
    """Whether ``parts`` appear in ``heading``, in order, as whole words."""
    at, padded = 0, f" {heading} "
    for part in parts:
        found = padded.find(f" {part} ", at)
        if found < 0:
            return False
        at = found + len(part) + 1
    return True
