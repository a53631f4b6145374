"""What an import of pulse-survey answers fills: the fields of a survey export (when, by whom,
the tool's response id) and one field per question of the pulse survey, each with the
headings Google Forms, Microsoft Forms and SurveyMonkey give it, so that
:func:`cpmkit.feedback.survey_import.reader.suggest_mapping` finds its column.
"""

from __future__ import annotations

from typing import Final

from cpmkit.feedback.pulse.template import PulseQuestion, PulseSurvey
from cpmkit.feedback.survey_import.reader import RESPONDENT, RESPONSE_ID, SUBMITTED_AT, Target

__all__ = ["KIND_ALIASES", "import_targets"]

#: Headings other tools use for the NPS, CSAT and comment questions, besides the question itself
#: ("..." stands for any words; see Target).
KIND_ALIASES: Final = {
    "recommend": ("how likely ... recommend", "likely to recommend", "Net Promoter Score", "NPS"),
    "satisfaction": ("how satisfied", "satisfaction", "CSAT"),
    "rating": (),
    "text": (),
}


def import_targets(survey: PulseSurvey) -> tuple[Target, ...]:
    """When, by whom, the export's response id, then one field per question in survey order.

    Questions are never required in an import: an export may leave any answer blank, and a
    row should not be left out for it. Every export has the time it was sent, which is.
    """
    return (SUBMITTED_AT, RESPONDENT, RESPONSE_ID, *(_target(question) for question in survey.questions))


def _target(question: PulseQuestion) -> Target:
    """A question's field: its text is the heading the survey tools use (the label matches it)."""
    aliases = (question.id.replace("_", " "), *KIND_ALIASES[question.kind])
    if question.scale is None:
        return Target(question.id, question.text, "text", aliases)
    scale = question.scale
    return Target(question.id, question.text, "integer", aliases, low=scale.low, high=scale.high, labels=scale.labels)
