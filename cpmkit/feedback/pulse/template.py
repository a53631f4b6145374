"""Workbook 4's content: the pulse survey's questions and the feedback taxonomy (themes with
their keywords, and the tone words and phrases added to the sentiment lexicon), each loaded
from a YAML file in templates/ that a trainer can copy and edit without code.

A malformed file is refused up front with a message naming the file, the item and the field.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cpmkit import config
from cpmkit.core.content import check_fields, parsed_entries, read_yaml, required_id, required_text
from cpmkit.core.fields import is_whole
from cpmkit.errors import TemplateError

__all__ = [
    "FEEDBACK_THEMES_FILE",
    "PULSE_SURVEY_FILE",
    "QUESTION_KINDS",
    "RESERVED_QUESTION_IDS",
    "TONE_RANGE",
    "UNTHEMED",
    "AnswerScale",
    "FeedbackTaxonomy",
    "PulseQuestion",
    "PulseSurvey",
    "Theme",
    "feedback_taxonomy",
    "load_feedback_taxonomy",
    "load_pulse_survey",
    "pulse_survey",
]

PULSE_SURVEY_FILE: Final = "pulse_survey.yaml"
FEEDBACK_THEMES_FILE: Final = "feedback_themes.yaml"
#: rating: a labelled scale; recommend: the NPS question (0-10); satisfaction: CSAT (1-5); text: free text.
QUESTION_KINDS: Final = ("rating", "recommend", "satisfaction", "text")
#: Other columns of a responses frame (and of analysed comments), so no question may take these ids.
RESERVED_QUESTION_IDS: Final = (
    "round", "submitted_at", "stakeholder", "question", "text", "sentiment", "tone", "themes",
)  # fmt: skip
#: The theme of comments that match no keyword; no theme in the taxonomy may take this id.
UNTHEMED: Final = "unthemed"
#: VADER's valence scale, which tone words are scored on.
TONE_RANGE: Final = (-4.0, 4.0)

#: A keyword: words separated by single spaces; a word is letters or digits, may be joined by
#: hyphens or apostrophes ("e-mail", "didn't") and may end with * (a stem).
_PART = r"[^\W_]+"
_JOINER = re.compile(r"[-'’]")
_WORD = rf"{_PART}(?:{_JOINER.pattern}{_PART})*"
_KEYWORD = re.compile(rf"{_WORD}\*?(?: {_WORD}\*?)*")
_TONE_WORD = re.compile(_WORD)
_TONE_PHRASE = re.compile(rf"{_WORD}(?: {_WORD})+")
_MIN_STEM = 3
_FIXED_SCALES: Final = {"recommend": (0, 10), "satisfaction": (1, 5)}
_MIN_RATING_POINTS = 3
_MAX_EVERY_DAYS = 365


@dataclass(frozen=True)
class AnswerScale:
    """The whole numbers ``low``..``high`` a question is answered with, and the labels of some or all."""

    low: int
    high: int
    labels: tuple[tuple[int, str], ...]

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)

    def label(self, value: int) -> str:
        """The label shown with ``value``; "" for an unlabelled point (NPS labels only its ends)."""
        return dict(self.labels).get(value, "")


@dataclass(frozen=True)
class PulseQuestion:
    """One question of the pulse survey; ``scale`` is None for free text."""

    id: str
    kind: str
    text: str
    required: bool = False
    scale: AnswerScale | None = None


@dataclass(frozen=True)
class PulseSurvey:
    """The pulse survey: its title, introduction and questions in the order asked, and how many
    days apart its rounds are meant to be (None: no cadence, each round is the PM's call)."""

    name: str
    intro: str
    questions: tuple[PulseQuestion, ...]
    every_days: int | None = None

    def question(self, question_id: str) -> PulseQuestion:
        return next(q for q in self.questions if q.id == question_id)

    @property
    def recommend(self) -> PulseQuestion:
        """The Net Promoter question (the survey has exactly one)."""
        return next(q for q in self.questions if q.kind == "recommend")

    @property
    def satisfaction(self) -> PulseQuestion | None:
        """The CSAT question, if the survey asks one."""
        return next((q for q in self.questions if q.kind == "satisfaction"), None)

    @property
    def rating_scales(self) -> dict[str, tuple[int, int]]:
        """The rating questions (the comfort questions) with a scale, in the order asked: id to (low, high)."""
        return {q.id: (q.scale.low, q.scale.high) for q in self.questions if q.kind == "rating" and q.scale is not None}

    @property
    def text_ids(self) -> tuple[str, ...]:
        """The ids of the free-text questions: the columns whose comments are analysed."""
        return tuple(q.id for q in self.questions if q.kind == "text")


@dataclass(frozen=True)
class Theme:
    """A feedback theme and the keywords (lowercase, single-spaced) that put a comment in it."""

    id: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackTaxonomy:
    """The themes in report order, the tone words added to the sentiment lexicon, and the tone
    phrases (lowercase, single-spaced) scored as one word in place of the words they are made of."""

    themes: tuple[Theme, ...]
    tone_words: tuple[tuple[str, float], ...] = ()
    tone_phrases: tuple[tuple[str, float], ...] = ()

    def theme(self, theme_id: str) -> Theme:
        return next(t for t in self.themes if t.id == theme_id)


def load_pulse_survey(path: Path) -> PulseSurvey:
    """Read and check a pulse survey file; TemplateError names the file, question and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("name", "intro", "every_days", "questions"), file, None)
    questions = parsed_entries(data, "questions", _parse_question, file)
    kinds = [q.kind for q in questions]
    if kinds.count("recommend") != 1:
        problem = f"needs exactly one question of kind 'recommend' (the NPS question), not {kinds.count('recommend')}."
        raise TemplateError(problem, file=file, field="questions")
    if kinds.count("satisfaction") > 1:
        raise TemplateError("may have at most one question of kind 'satisfaction'.", file=file, field="questions")
    every_days = data.get("every_days")
    if every_days is not None and not (is_whole(every_days) and 1 <= every_days <= _MAX_EVERY_DAYS):
        problem = f"must be a whole number of days from 1 to {_MAX_EVERY_DAYS}, not {every_days!r}."
        raise TemplateError(problem, file=file, field="every_days")
    return PulseSurvey(
        required_text(data, "name", file, None),
        required_text(data, "intro", file, None),
        tuple(questions),
        every_days,
    )


def load_feedback_taxonomy(path: Path) -> FeedbackTaxonomy:
    """Read and check a feedback taxonomy file; TemplateError names the file, theme and field."""
    file = path.name
    data = read_yaml(path)
    check_fields(data, ("themes", "tone_words", "tone_phrases"), file, None)
    themes = parsed_entries(data, "themes", _parse_theme, file)
    words = _parse_tones(data.get("tone_words", {}), file, "tone_words")
    phrases = _parse_tones(data.get("tone_phrases", {}), file, "tone_phrases")
    return FeedbackTaxonomy(tuple(themes), words, phrases)


@functools.cache
def pulse_survey(templates: Path | None = None) -> PulseSurvey:
    """The pulse survey in ``templates/pulse_survey.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return load_pulse_survey(config.template_file(PULSE_SURVEY_FILE, templates))


@functools.cache
def feedback_taxonomy(templates: Path | None = None) -> FeedbackTaxonomy:
    """The taxonomy in ``templates/feedback_themes.yaml`` (or ``CPMKIT_TEMPLATES_DIR``)."""
    return load_feedback_taxonomy(config.template_file(FEEDBACK_THEMES_FILE, templates))


# -- pulse survey ----------------------------------------------------------------------------


def _parse_question(raw: Any, index: int, file: str) -> PulseQuestion:
    label = _label(raw, index, "question")
    if not isinstance(raw, dict):
        raise TemplateError("each question must be a mapping with id, kind and text.", file=file, item=label)
    check_fields(raw, ("id", "kind", "text", "required", "scale"), file, label)
    question_id = required_id(raw, file, label)
    if question_id in RESERVED_QUESTION_IDS:
        problem = f"is reserved for another column of the responses ({', '.join(RESERVED_QUESTION_IDS)})."
        raise TemplateError(problem, file=file, item=label, field="id")
    text = required_text(raw, "text", file, label)
    kind = raw.get("kind")
    if kind not in QUESTION_KINDS:
        raise TemplateError(f"must be one of {', '.join(QUESTION_KINDS)}.", file=file, item=label, field="kind")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise TemplateError("must be true or false.", file=file, item=label, field="required")
    if kind == "text":
        if "scale" in raw:
            raise TemplateError("a text question has no scale.", file=file, item=label, field="scale")
        scale = None
    else:
        scale = _parse_scale(raw.get("scale"), kind, file, label)
    return PulseQuestion(question_id, kind, text, required, scale)


def _parse_scale(raw: Any, kind: str, file: str, label: str) -> AnswerScale:
    if not isinstance(raw, dict):
        problem = "must be a mapping like {low: 1, high: 5, labels: {...}}."
        raise TemplateError(problem, file=file, item=label, field="scale")
    check_fields(raw, ("low", "high", "labels"), file, label, where="scale")
    low, high = raw.get("low"), raw.get("high")
    if not is_whole(low) or not is_whole(high) or high <= low:
        problem = "needs whole numbers low and high, with high above low."
        raise TemplateError(problem, file=file, item=label, field="scale")
    fixed = _FIXED_SCALES.get(kind)
    if fixed is not None and (low, high) != fixed:
        problem = f"must run from {fixed[0]} to {fixed[1]} for a {kind} question, not {low} to {high}."
        raise TemplateError(problem, file=file, item=label, field="scale")
    if high - low + 1 < _MIN_RATING_POINTS:
        problem = f"needs at least {_MIN_RATING_POINTS} points, not {high - low + 1}."
        raise TemplateError(problem, file=file, item=label, field="scale")
    labels = raw.get("labels")
    if not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
        raise TemplateError("must map scale values to non-empty labels.", file=file, item=label, field="scale.labels")
    outside = [key for key in labels if not is_whole(key) or not low <= key <= high]
    if outside:
        problem = f"labels {', '.join(repr(k) for k in outside)}, which are not whole numbers from {low} to {high}."
        raise TemplateError(problem, file=file, item=label, field="scale.labels")
    needed = [low, high] if kind == "recommend" else list(range(low, high + 1))
    unlabelled = [value for value in needed if value not in labels]
    if unlabelled:
        problem = f"has no label for {', '.join(str(v) for v in unlabelled)}."
        raise TemplateError(problem, file=file, item=label, field="scale.labels")
    return AnswerScale(low, high, tuple((value, labels[value].strip()) for value in sorted(labels)))


# -- feedback taxonomy -----------------------------------------------------------------------


def _parse_theme(raw: Any, index: int, file: str) -> Theme:
    label = _label(raw, index, "theme")
    if not isinstance(raw, dict):
        raise TemplateError("each theme must be a mapping with id, label and keywords.", file=file, item=label)
    check_fields(raw, ("id", "label", "keywords"), file, label)
    theme_id = required_id(raw, file, label)
    if theme_id == UNTHEMED:
        problem = f"{UNTHEMED!r} is reserved for comments that match no theme."
        raise TemplateError(problem, file=file, item=label, field="id")
    raw_keywords = raw.get("keywords")
    if not isinstance(raw_keywords, list) or not raw_keywords:
        raise TemplateError("must be a non-empty list of words or phrases.", file=file, item=label, field="keywords")
    keywords: list[str] = []
    for keyword in raw_keywords:
        normal = _keyword(keyword, file, label)
        if normal in keywords:
            raise TemplateError(f"lists {normal!r} twice.", file=file, item=label, field="keywords")
        keywords.append(normal)
    return Theme(theme_id, required_text(raw, "label", file, label), tuple(keywords))


def _keyword(raw: Any, file: str, label: str) -> str:
    """A keyword in normal form (case-folded, single spaces), checked against the grammar above."""
    normal = " ".join(raw.split()).casefold() if isinstance(raw, str) else ""
    if not _KEYWORD.fullmatch(normal):
        problem = (
            f"{raw!r} is not a keyword: use words of letters or digits, joined by spaces, hyphens or "
            "apostrophes, each may end with * (quote words YAML reads otherwise, such as 'no' or 'on')."
        )
        raise TemplateError(problem, file=file, item=label, field="keywords")
    stems = [_JOINER.split(word)[-1][:-1] for word in normal.split() if word.endswith("*")]
    short = [stem for stem in stems if len(stem) < _MIN_STEM]
    if short:
        problem = f"{raw!r}: a stem before * needs at least {_MIN_STEM} letters, or it matches too many words."
        raise TemplateError(problem, file=file, item=label, field="keywords")
    return normal


#: What each tone section holds: the grammar of its entries, the noun, and the rule in words.
_TONE_ENTRIES: Final = {
    "tone_words": (
        _TONE_WORD,
        "word",
        "must be a single word (quote words YAML reads otherwise, such as 'no' or 'on').",
    ),
    "tone_phrases": (
        _TONE_PHRASE,
        "phrase",
        (
            "must be two or more words of letters or digits, which may be joined by hyphens or apostrophes "
            "(single words go in tone_words)."
        ),
    ),
}


def _parse_tones(raw: Any, file: str, field: str) -> tuple[tuple[str, float], ...]:
    """The ``tone_words`` or ``tone_phrases`` section: entries in normal form (case-folded,
    single-spaced), each with a score on VADER's scale."""
    grammar, noun, rule = _TONE_ENTRIES[field]
    if not isinstance(raw, dict):
        raise TemplateError(f"must map each {noun} to its tone, a number.", file=file, field=field)
    low, high = TONE_RANGE
    entries: dict[str, float] = {}
    spellings: set[str] = set()  # hyphens and apostrophes aside, as comments are read: "didn't" is "didnt"
    for entry, tone in raw.items():
        normal = " ".join(entry.split()).casefold() if isinstance(entry, str) else ""
        if not grammar.fullmatch(normal):
            raise TemplateError(rule, file=file, item=str(entry), field=field)
        if _JOINER.sub("", normal) in spellings:
            raise TemplateError("appears more than once.", file=file, item=str(entry), field=field)
        spellings.add(_JOINER.sub("", normal))
        if isinstance(tone, bool) or not isinstance(tone, int | float) or not low <= tone <= high:
            problem = f"must be a number from {low:g} (most negative) to {high:g} (most positive), not {tone!r}."
            raise TemplateError(problem, file=file, item=str(entry), field=field)
        entries[normal] = float(tone)
    return tuple(entries.items())


# -- shared checks ---------------------------------------------------------------------------


def _label(raw: Any, index: int, what: str) -> str:
    """How an entry is named in errors: its id if it has one, else '<what> <index>'."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return str(raw["id"]).strip()
    return f"{what} {index}"
