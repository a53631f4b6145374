"""What the PM decides for one import: which column feeds each field (a ``ColumnMapping``) and
what each answer of a rating column stands for (a ``Recoding`` per field). Suggested from the
file, changed one choice at a time, and kept as plain data so that a second export of the same
form is mapped and recoded as the first was, in one click.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.files import SurveyTable
from cpmkit.feedback.survey_import.mapping import ColumnMapping, Target, suggest_mapping
from cpmkit.feedback.survey_import.recoding import Recoding, distinct_answers, suggest_recoding

__all__ = ["ImportChoices", "suggest_choices"]


@dataclass(frozen=True)
class ImportChoices:
    """The column of each field and the recoding of each mapped rating field (by target id)."""

    mapping: ColumnMapping
    recodings: Mapping[str, Recoding]

    def __post_init__(self) -> None:
        object.__setattr__(self, "recodings", MappingProxyType(dict(self.recodings)))

    def choose(self, table: SurveyTable, target_id: str, column: str | None) -> ImportChoices:
        """``column`` feeds ``target_id``; a rating field's answers are recoded afresh for it."""
        mapping = self.mapping.choose(target_id, column)
        kept = {k: v for k, v in _still_mapped(self.recodings, mapping).items() if k != target_id}
        return replace(self, mapping=mapping, recodings={**kept, **_recodings(table, mapping, {}, only=target_id)})

    def recode(self, target_id: str, answer: str, value: int | None) -> ImportChoices:
        """The answer ``answer`` of ``target_id``'s column stands for ``value`` (None: not an answer)."""
        return replace(
            self, recodings={**self.recodings, target_id: self._recoding(target_id).with_value(answer, value)}
        )

    def forget(self, target_id: str, answer: str) -> ImportChoices:
        """``answer`` of ``target_id``'s column gets no value: its cells are read as any other."""
        return replace(self, recodings={**self.recodings, target_id: self._recoding(target_id).without(answer)})

    def _recoding(self, target_id: str) -> Recoding:
        if target_id not in self.recodings:
            raise ValidationError("Choose a column for this question before saying what its answers mean.")
        return self.recodings[target_id]

    def ignore(self, column: str, ignored: bool = True) -> ImportChoices:
        """Leave ``column`` out on purpose (or take that back); a field it fed has no recoding left."""
        mapping = self.mapping.ignore(column, ignored)
        return replace(self, mapping=mapping, recodings=_still_mapped(self.recodings, mapping))

    def ignore_rest(self, columns: Sequence[str]) -> ImportChoices:
        """Leave out every column of ``columns`` that feeds no field."""
        mapping = self.mapping
        for column in mapping.unaccounted(columns):
            mapping = mapping.ignore(column)
        return replace(self, mapping=mapping)

    def to_data(self) -> dict[str, Any]:
        """Plain, JSON-able data: what ``from_data`` reads back."""
        return {
            "mapping": self.mapping.to_data(),
            "recodings": {target_id: recoding.to_data() for target_id, recoding in self.recodings.items()},
        }

    @classmethod
    def from_data(cls, data: object, table: SurveyTable, targets: Sequence[Target]) -> ImportChoices:
        """Choices saved with ``to_data`` applied to ``table``: answers the saved recoding does not
        know (a later export has new ones) are suggested as for a new file."""
        if not isinstance(data, Mapping) or not isinstance(data.get("recodings", {}), Mapping):
            raise ValidationError("The saved columns and values of this form cannot be read; choose them again.")
        mapping = ColumnMapping.from_data(data.get("mapping"), targets, table.columns)
        by_id = {target.id: target for target in targets}
        saved = {
            target_id: Recoding.from_data(raw, by_id[target_id])
            for target_id, raw in data.get("recodings", {}).items()
            if target_id in by_id and by_id[target_id].kind == "integer"
        }
        return cls(mapping, _recodings(table, mapping, saved))


def suggest_choices(table: SurveyTable, targets: Sequence[Target]) -> ImportChoices:
    """The columns suggested from the headings, and a suggested value for every answer found
    in each mapped rating column."""
    mapping = suggest_mapping(table.columns, targets)
    return ImportChoices(mapping, _recodings(table, mapping, {}))


def _recodings(
    table: SurveyTable, mapping: ColumnMapping, known: Mapping[str, Recoding], *, only: str | None = None
) -> dict[str, Recoding]:
    """A recoding for each mapped rating field (or the field ``only``): for each answer in its
    column, the value ``known`` gives it, else the suggested one (none for an answer placed nowhere)."""
    recodings: dict[str, Recoding] = {}
    for target in mapping.targets:
        column = mapping.columns[target.id]
        if target.kind != "integer" or column is None or only not in (None, target.id):
            continue
        answers = [text for text, _count in distinct_answers(table.cells[column])]
        values = dict(suggest_recoding(answers, target).values)
        if target.id in known:
            values.update((a, v) for a, v in known[target.id].values.items() if a in answers)
        recodings[target.id] = Recoding(values)
    return recodings


def _still_mapped(recodings: Mapping[str, Recoding], mapping: ColumnMapping) -> dict[str, Recoding]:
    """The recodings of the fields ``mapping`` still gives a column."""
    return {target_id: recoding for target_id, recoding in recodings.items() if mapping.columns[target_id] is not None}
