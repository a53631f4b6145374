"""Which column of a survey export feeds each field an import fills: the fields (targets), a
mapping from target to column with the columns the PM leaves out on purpose, a first
suggestion made from the column headings with how sure it is, and the mapping as plain data
to remember for the next export of the same form.

Headings are matched by meaning, not only letter for letter: the words a heading shares with
a target's label and aliases, once common words are dropped and endings stripped ("Comments"
is "comment", "comfortable" is "comfort"), give a score from 0 to 1 (see suggest_mapping).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import ValidationError

__all__ = [
    "RESPONDENT",
    "RESPONSE_ID",
    "SUBMITTED_AT",
    "ColumnMapping",
    "Target",
    "TargetKind",
    "confidence_label",
    "plain_words",
    "suggest_mapping",
]

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
    A heading matches the label (or one of its sentences) or an alias that it equals, case,
    accents and punctuation aside; one of two words or more that it contains ("..." in an
    alias stands for any words: "how likely ... recommend"); or one whose words it shares,
    when most of its own words are the target's (see suggest_mapping). ``required``: an
    import cannot run while the target has no column.
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
#: Microsoft "Completion time", SurveyMonkey "End Date"), by whom, and the tool's response id;
#: and the headings a spreadsheet kept by hand gives them. The time is not required: a file
#: without one is dated by the import.
SUBMITTED_AT: Final = Target(
    "submitted_at",
    "Submitted at",
    "datetime",
    (
        "Timestamp", "Completion time", "End Date", "Submitted at", "Submission time", "Date submitted",
        "Submitted", "Submitted on", "Date", "Time", "Date and time", "Response date", "Created", "Created at", "When",
    ),
)  # fmt: skip
RESPONDENT: Final = Target(
    "respondent",
    "Respondent",
    "text",
    (
        "Email", "Email Address", "Name", "Respondent", "Respondent email", "Stakeholder", "Who", "Customer",
        "Client", "Full name",
    ),
)  # fmt: skip
RESPONSE_ID: Final = Target("response_id", "Response id", "id", ("Respondent ID", "Response ID", "ID"))

#: The least confidence read as "sure", and as "likely" (see confidence_label).
_SURE: Final = 0.9
_LIKELY: Final = 0.6


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the export feeds each target (None: not imported), the columns the PM
    leaves out on purpose, and how sure the suggestion of each mapped target was (0..1; 1.0
    for an exact heading or a column the PM chose)."""

    targets: tuple[Target, ...]
    columns: Mapping[str, str | None]
    ignored: frozenset[str] = frozenset()
    confidence: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [target.id for target in self.targets]
        if len(set(ids)) != len(ids):
            raise ValidationError("Each import field can appear only once.")
        if sum(target.kind == "id" for target in self.targets) > 1:
            raise ValidationError("Only one import field can be the response id.")
        unknown = [key for key in (*self.columns, *self.confidence) if key not in ids]
        if unknown:
            raise ValidationError(f"These are not import fields: {', '.join(map(repr, dict.fromkeys(unknown)))}.")
        columns = {i: self.columns.get(i) for i in ids}
        both = sorted(set(columns.values()) & self.ignored, key=str)
        if both:
            raise ValidationError(f"A column cannot be both imported and left out: {', '.join(map(repr, both))}.")
        if not all(_is_confidence(value) for value in self.confidence.values()):
            raise ValidationError("A confidence is a number from 0 to 1.")
        object.__setattr__(self, "columns", MappingProxyType(columns))
        object.__setattr__(self, "ignored", frozenset(self.ignored))
        confidence = {i: float(value) for i, value in self.confidence.items() if columns[i] is not None}
        object.__setattr__(self, "confidence", MappingProxyType(confidence))

    def choose(self, target_id: str, column: str | None) -> ColumnMapping:
        """A copy in which ``column`` feeds ``target_id`` (None: not imported): the PM's choice,
        so its confidence is 1.0, and the column is no longer left out."""
        if target_id not in self.columns:
            raise ValidationError(f"{target_id!r} is not an import field.")
        return replace(
            self,
            columns={**self.columns, target_id: column},
            ignored=self.ignored - {column},
            confidence={**self.confidence, target_id: 1.0},
        )

    def ignore(self, column: str, ignored: bool = True) -> ColumnMapping:
        """A copy in which ``column`` is left out on purpose (no target takes it any more), or,
        with ``ignored`` False, no longer."""
        if not ignored:
            return replace(self, ignored=self.ignored - {column})
        columns = {i: None if chosen == column else chosen for i, chosen in self.columns.items()}
        return replace(self, columns=columns, ignored=self.ignored | {column})

    def unmapped(self, columns: Sequence[str]) -> tuple[str, ...]:
        """The ``columns`` (a file's headings) that feed no field, in file order, left out on purpose or not."""
        mapped = set(self.columns.values())
        return tuple(column for column in columns if column not in mapped)

    def unaccounted(self, columns: Sequence[str]) -> tuple[str, ...]:
        """The ``columns`` neither mapped nor left out, in file order: those an import would drop
        without the PM having said so."""
        return tuple(column for column in self.unmapped(columns) if column not in self.ignored)

    @property
    def unmapped_required(self) -> tuple[Target, ...]:
        """The required targets without a column: an import cannot run until each has one."""
        return tuple(t for t in self.targets if t.required and self.columns[t.id] is None)

    def to_data(self) -> dict[str, Any]:
        """The mapping as JSON-able data, to remember for the next export of the same form."""
        return {
            "columns": dict(self.columns),
            "ignored": sorted(self.ignored),
            "confidence": dict(self.confidence),
        }

    @classmethod
    def from_data(cls, data: Any, targets: Sequence[Target], columns: Sequence[str]) -> ColumnMapping:
        """The mapping ``to_data`` gave, for ``targets`` and a file with ``columns``: fields no
        longer among the targets and columns not in the file are dropped. Data of another shape
        (damaged, or not written by to_data) is refused with a ValidationError."""
        if not isinstance(data, Mapping) or set(data) != {"columns", "ignored", "confidence"}:
            raise _damaged("it must hold 'columns', 'ignored' and 'confidence', and nothing else")
        chosen, ignored, confidence = data["columns"], data["ignored"], data["confidence"]
        if not isinstance(chosen, Mapping) or not all(
            isinstance(key, str) and (value is None or isinstance(value, str)) for key, value in chosen.items()
        ):
            raise _damaged("'columns' must name a column heading (or none) for each field")
        if not isinstance(ignored, (list, tuple)) or not all(isinstance(column, str) for column in ignored):
            raise _damaged("'ignored' must list column headings")
        if not isinstance(confidence, Mapping) or not all(
            isinstance(key, str) and _is_confidence(value) for key, value in confidence.items()
        ):
            raise _damaged("'confidence' must give each field a number from 0 to 1")
        ids, present = {target.id for target in targets}, set(columns)
        kept = {i: column for i, column in chosen.items() if i in ids and column in present}
        return cls(
            tuple(targets),
            kept,
            frozenset(column for column in ignored if column in present),
            {i: value for i, value in confidence.items() if i in kept},
        )


def confidence_label(value: float) -> str:
    """How a suggestion's confidence reads to the PM: "sure", "likely" or "a guess"."""
    return "sure" if value >= _SURE else "likely" if value >= _LIKELY else "a guess"


def _is_confidence(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def _damaged(problem: str) -> ValidationError:
    return ValidationError(f"The saved column mapping cannot be used: {problem}.", field="mapping")


# -- Suggestions -------------------------------------------------------------------------------

#: Words that say nothing of what a heading asks: they are left out of word overlap (never of
#: an exact match, so a heading "Who" still matches the alias "Who").
_STOP_WORDS: Final = frozenset({
    "a", "about", "additional", "after", "all", "also", "am", "an", "and", "another", "any", "are", "as", "at",
    "be", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "further",
    "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "more", "my", "no", "not", "of",
    "on", "or", "other", "our", "over", "please", "so", "some", "than", "that", "the", "their", "them", "there",
    "these", "they", "this", "those", "to", "too", "us", "very", "was", "we", "were", "what", "when", "where",
    "which", "who", "will", "with", "would", "you", "your",
})  # fmt: skip
#: Endings stripped so that forms of one word meet ("comments", "commented": "comment"): the
#: first that leaves a stem of at least _MIN_STEM letters, replaced as given.
_SUFFIXES: Final = (
    ("sses", "ss"), ("ies", "y"), ("ss", "ss"), ("ations", ""), ("ation", ""), ("ments", ""), ("ment", ""),
    ("ings", ""), ("ing", ""), ("ably", ""), ("able", ""), ("edly", ""), ("ed", ""), ("s", ""),
)  # fmt: skip
_MIN_STEM: Final = 4
#: Scores: an exact heading is 1.0; one containing an alias of two words or more scores from
#: _CONTAINED up to _CONTAINED + _CONTAINED_SPAN, by how many of its words the alias has; one
#: sharing words up to _OVERLAP. Below _MIN_SCORE the heading is not suggested: one word in
#: common with a phrase of four is not enough.
_CONTAINED: Final = 0.6
_CONTAINED_SPAN: Final = 0.3
_OVERLAP: Final = 0.85
_MIN_SCORE: Final = 0.4
#: A longer heading is not matched: no question is that long, and a hostile file's 50 MB
#: heading would only cost time.
_LONGEST_HEADING: Final = 1000
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_NOT_WORD: Final = re.compile(r"[\W_]+")


class _Text(NamedTuple):
    """A heading or alias as matched: its words (see plain_words) and the stems of those that count."""

    words: str
    stems: frozenset[str]


def suggest_mapping(columns: Sequence[str], targets: Sequence[Target]) -> ColumnMapping:
    """The column each target most likely comes from, by heading, with its score as the
    confidence; each column is used once, the best-scoring pairs first (on a tie, the earlier
    alias, then the shorter heading).

    A heading scores against a target's label, each sentence of a label of several, and
    each alias ("..." parts in order): 1.0 when equal (case, accents and punctuation aside);
    when it contains an alias of two words or more, 0.6 to 0.9 as that alias makes up more of
    its words; else, when more than half of its words (common words aside, endings stripped)
    are words of the target, up to 0.85 by the words it shares with the alias (Dice overlap).
    So "Collector ID" is not the response id, nor "IP Address" the respondent's "Email Address".
    """
    headings = [_text(column) if len(column) <= _LONGEST_HEADING else None for column in columns]
    by_words: dict[str, list[int]] = {}
    by_stem: dict[str, set[int]] = {}
    for c, heading in enumerate(headings):
        if heading is not None:
            by_words.setdefault(heading.words, []).append(c)
            for stem in heading.stems:
                by_stem.setdefault(stem, set()).add(c)
    best: dict[tuple[int, int], tuple[float, int, int]] = {}  # (target, column): (-score, rank, heading length)
    for t, target in enumerate(targets):
        phrases = _phrases(target)
        vocabulary = frozenset().union(*(phrase.stems for _rank, _parts, phrase in phrases))
        for rank, parts, phrase in phrases:
            near = set(by_words.get(parts[0], ())) if len(parts) == 1 else set()
            near.update(*(by_stem.get(stem, ()) for stem in phrase.stems))
            for c in near:
                heading = headings[c]
                assert heading is not None  # only headings short enough are indexed
                score = _score(heading, parts, phrase.stems, vocabulary)
                order = (-score, rank, len(columns[c]))
                if score >= _MIN_SCORE and order < best.get((t, c), (0.0, 0, 0)):
                    best[(t, c)] = order
    chosen: dict[str, str | None] = {}
    confidence: dict[str, float] = {}
    used: set[int] = set()
    for (negative_score, *_tie), t, c in sorted((order, t, c) for (t, c), order in best.items()):
        if targets[t].id not in chosen and c not in used:
            chosen[targets[t].id], confidence[targets[t].id] = columns[c], round(-negative_score, 2)
            used.add(c)
    return ColumnMapping(tuple(targets), chosen, confidence=confidence)


def _phrases(target: Target) -> list[tuple[int, tuple[str, ...], _Text]]:
    """What a heading is matched against, with its rank (the label and its sentences first, then
    the aliases in order): the words of each "..." part, and the whole phrase as a _Text."""
    sentences = _SENTENCE_END.split(target.label.strip())
    named = [(0, target.label), *((0, s) for s in sentences if len(sentences) > 1)]
    named += [(rank, alias) for rank, alias in enumerate(target.aliases, start=1)]
    phrases = []
    for rank, text in named:
        parts = tuple(words for part in text.split("...") if (words := plain_words(part)))
        if parts:
            phrases.append((rank, parts, _text(" ".join(parts))))
    return phrases


def _score(heading: _Text, parts: Sequence[str], stems: frozenset[str], vocabulary: frozenset[str]) -> float:
    """How well ``heading`` matches a phrase of ``parts`` (0..1, see suggest_mapping); ``vocabulary``
    holds the stems of all the target's phrases."""
    if len(parts) == 1 and heading.words == parts[0]:
        return 1.0
    shared = len(heading.stems & stems)
    dice = 2 * shared / (len(heading.stems) + len(stems)) if shared else 0.0
    if sum(len(part.split()) for part in parts) >= 2 and _contains(heading.words, parts):
        return _CONTAINED + _CONTAINED_SPAN * dice
    if 2 * len(heading.stems & vocabulary) > len(heading.stems):
        return _OVERLAP * dice
    return 0.0


def _text(text: str) -> _Text:
    words = plain_words(text)
    return _Text(words, frozenset(_stem(word) for word in words.split() if _counts(word)))


def _counts(word: str) -> bool:
    """Whether a word says something of the heading: not a common word, a number or a letter."""
    return len(word) > 1 and not word.isdigit() and word not in _STOP_WORDS


def _stem(word: str) -> str:
    """``word`` without its ending (see _SUFFIXES)."""
    for suffix, replacement in _SUFFIXES:
        stem = word[: len(word) - len(suffix)] + replacement
        if word.endswith(suffix) and len(stem) >= _MIN_STEM:
            return stem
    return word


def plain_words(text: str) -> str:
    """Text for matching headings and answers: lower case, accents and punctuation dropped,
    single spaces; letters of any script kept ("¿Sí?" is "si", "Да" is "да")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def _contains(heading: str, parts: Sequence[str]) -> bool:
    """Whether ``parts`` appear in ``heading``, in order, as whole words."""
    at, padded = 0, f" {heading} "
    for part in parts:
        found = padded.find(f" {part} ", at)
        if found < 0:
            return False
        at = found + len(part) + 1
    return True
