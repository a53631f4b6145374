"""Recoding of a rating column's own answer options onto the scale of the question it feeds:
the distinct answers an export holds, a value for each (suggested, then changed by the PM),
so that "Yes / Somewhat / No" imports as 5 / 3 / 1 instead of being refused.

A suggestion places each answer by the question's labels, by its number ("9 - Very likely"),
or by the ordered answer scales of ``templates/answer_scales.yaml`` (words in several
languages): the scale that holds most of the answers is spread evenly over the question's
scale. An answer placed nowhere is left out of the suggestion: its cells are read as any
other (and, unreadable, left blank and listed as problems) until the PM gives it a value or
says it is "not an answer" (None: left blank on purpose, not listed).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, parsed_entries, read_yaml, required_id
from cpmkit.core.fields import is_whole
from cpmkit.errors import TemplateError, ValidationError
from cpmkit.feedback.survey_import.cells import integer_reader
from cpmkit.feedback.survey_import.mapping import Target, plain_words

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ANSWER_SCALES_FILE",
    "NOT_AN_ANSWER",
    "AnswerCount",
    "Recoding",
    "WordScale",
    "answer_scales",
    "distinct_answers",
    "load_answer_scales",
    "suggest_recoding",
]

ANSWER_SCALES_FILE: Final = "answer_scales.yaml"
#: How a UI names the value None of a recoding: the answer is imported as not answered.
NOT_AN_ANSWER: Final = "not an answer"
#: A distinct answer of a column and how many cells hold it.
AnswerCount = tuple[str, int]
#: Longer answers are not compared with the answer scales' words (a hostile file's 50 MB cell
#: would only cost time): no scale's phrase is near that long.
_LONGEST_ANSWER: Final = 200


@dataclass(frozen=True)
class WordScale:
    """An ordered answer scale: its points from lowest to highest, each the phrases (folded,
    see :func:`_folded`) that name it in any language."""

    id: str
    points: tuple[frozenset[str], ...]

    def point(self, answer: str) -> int | None:
        """The position (0 = lowest) of the point ``answer`` names; None if it names none."""
        return self.point_of_words(plain_words(answer))

    def point_of_words(self, words: str) -> int | None:
        """``point`` of an answer already made ``plain_words``."""
        return next((i for i, phrases in enumerate(self.points) if words in phrases), None)


@dataclass(frozen=True)
class Recoding:
    """The value each answer of a column imports as: a whole number on the question's scale,
    or None ("not an answer": the cell is imported as not answered)."""

    values: Mapping[str, int | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def with_value(self, answer: str, value: int | None) -> Recoding:
        """A copy in which ``answer`` imports as ``value``."""
        return Recoding({**self.values, answer: value})

    def without(self, answer: str) -> Recoding:
        """A copy that gives ``answer`` no value: its cells are read as any other."""
        return Recoding({known: value for known, value in self.values.items() if known != answer})

    def to_data(self) -> dict[str, Any]:
        """The recoding as JSON-able data, read back by :meth:`from_data`."""
        return {"values": dict(self.values)}

    @classmethod
    def from_data(cls, data: Any, target: Target) -> Recoding:
        """A recoding saved by :meth:`to_data` for ``target``; ValidationError if the data is
        malformed or gives a value off the target's scale (the template may have changed)."""
        values = data.get("values") if isinstance(data, dict) else None
        if not isinstance(values, dict):
            raise ValidationError(f"The saved answer values of '{target.label}' are not readable.")
        return cls(values).checked(target)

    def checked(self, target: Target) -> Recoding:
        """This recoding, if it gives ``target``'s answers values on its scale; else ValidationError."""
        if target.kind != "integer" or target.low is None or target.high is None:
            raise ValidationError(f"'{target.label}' is not answered on a scale, so its answers cannot be recoded.")
        for answer, value in self.values.items():
            if not isinstance(answer, str) or not (
                value is None or (is_whole(value) and target.low <= value <= target.high)
            ):
                raise ValidationError(
                    f"The answer values of '{target.label}': {answer!r} is given {value!r},"
                    f" not a whole number from {target.low} to {target.high} nor {NOT_AN_ANSWER!r}."
                )
        return self


def distinct_answers(cells: pd.Series) -> list[AnswerCount]:
    """The non-empty answers of a column (stripped) with how many cells hold each, most
    frequent first, then by text: what a PM recodes."""
    counts = Counter(text for cell in cells.tolist() if (text := str(cell).strip()))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def suggest_recoding(answers: Sequence[str], target: Target) -> Recoding:
    """A value on ``target``'s scale for each answer: by the target's labels or the answer's
    number first; then by the answer scale (``answer_scales.yaml``) that names most of the rest,
    its points spread evenly over low..high (fewer points win a tie). An answer placed nowhere
    is left out: the PM gives it a value, or its cells are listed as unreadable."""
    if target.kind != "integer" or target.low is None or target.high is None:
        raise ValidationError(f"'{target.label}' is not answered on a scale, so its answers cannot be recoded.")
    low, high = target.low, target.high
    read = integer_reader(low, high, target.labels)
    values = {answer: read(answer) for answer in answers}
    rest = {a: plain_words(a) for a, value in values.items() if value is None and len(a) <= _LONGEST_ANSWER}
    placed = {
        scale: sum(scale.point_of_words(words) is not None for words in rest.values()) for scale in answer_scales()
    }
    best = max(placed, key=lambda scale: (placed[scale], -len(scale.points)), default=None)
    if best is not None and placed[best]:
        steps = len(best.points) - 1
        for answer, words in rest.items():
            if (
                point := best.point_of_words(words)
            ) is not None:  # rounded half up: the middle of 0..10 in 5 is 3, 5, 8
                values[answer] = low + (2 * point * (high - low) + steps) // (2 * steps)
    return Recoding({answer: value for answer, value in values.items() if value is not None})


@functools.cache
def answer_scales(templates: Path | None = None) -> tuple[WordScale, ...]:
    """The scales of ``templates/answer_scales.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return load_answer_scales(config.template_file(ANSWER_SCALES_FILE, templates))


def load_answer_scales(path: Path) -> tuple[WordScale, ...]:
    """Read and check an answer scales file; TemplateError names the file, scale and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("scales",), file, None)
    return tuple(parsed_entries(data, "scales", _parse_scale, file))


def _parse_scale(raw: Any, index: int, file: str) -> WordScale:
    if not isinstance(raw, dict):
        raise TemplateError("each scale must be a mapping with id and points.", file=file, item=f"scale {index}")
    label = str(raw.get("id") or f"scale {index}")
    check_fields(raw, ("id", "points"), file, label)
    scale_id = required_id(raw, file, label)
    raw_points = raw.get("points")
    if (
        not isinstance(raw_points, list)
        or len(raw_points) < 2
        or not all(isinstance(p, list) and p for p in raw_points)
    ):
        problem = "must list at least two points, lowest first, each a non-empty list of words or phrases."
        raise TemplateError(problem, file=file, item=label, field="points")
    seen: set[str] = set()
    points = []
    for phrases in raw_points:
        folded = [plain_words(phrase) if isinstance(phrase, str) else "" for phrase in phrases]
        for phrase, normal in zip(phrases, folded):
            if not normal:
                problem = f"{phrase!r} is not a word or phrase (put every phrase in quotes: YAML reads no as false)."
                raise TemplateError(problem, file=file, item=label, field="points")
            if normal in seen:
                raise TemplateError(
                    f"lists {phrase!r} twice: a phrase names one point.", file=file, item=label, field="points"
                )
            seen.add(normal)
        points.append(frozenset(folded))
    return WordScale(scale_id, tuple(points))
