"""What an import of pulse-survey answers fills: the fields of a survey export (when, by whom,
the tool's response id) and one field per question of the pulse survey, each with the
headings Google Forms, Microsoft Forms, SurveyMonkey and hand-kept spreadsheets give it, so
that :func:`cpmkit.feedback.survey_import.mapping.suggest_mapping` finds its column.
"""

from __future__ import annotations

from typing import Final

from cpmkit.feedback.pulse.template import PulseQuestion, PulseSurvey
from cpmkit.feedback.survey_import.mapping import RESPONDENT, RESPONSE_ID, SUBMITTED_AT, Target

__all__ = ["COMMENT_ALIASES", "KIND_ALIASES", "import_targets"]

#: Headings other tools and spreadsheets use for the NPS and CSAT questions, besides the
#: question itself ("..." stands for any words; see Target).
KIND_ALIASES: Final = {
    "recommend": ("how likely ... recommend", "likely to recommend", "Net Promoter Score", "NPS", "NPS score", "Score"),
    "satisfaction": ("how satisfied", "satisfaction", "Satisfaction score", "CSAT"),
    "rating": (),
    "text": (),
}
#: Headings a spreadsheet gives its closing free-text column: they go to the survey's last
#: free-text question, which invites any other comment (the pulse survey's "comment").
COMMENT_ALIASES: Final = ("Comments", "Feedback", "Any other comments", "Remarks")


def import_targets(survey: PulseSurvey) -> tuple[Target, ...]:
    """When, by whom, the export's response id, then one field per question in survey order.

    Nothing is required in an import: an export may leave any answer blank, and a row should
    not be left out for it; a file without a time column is dated by the import.
    """
    last_text = survey.text_ids[-1] if survey.text_ids else None
    return (
        SUBMITTED_AT,
        RESPONDENT,
        RESPONSE_ID,
        *(_target(question, question.id == last_text) for question in survey.questions),
    )


def _target(question: PulseQuestion, closing: bool) -> Target:
    """A question's field: its text is the heading the survey tools use (the label matches it);
    ``closing``: it is the last free-text question, which takes COMMENT_ALIASES."""
    aliases = (question.id.replace("_", " "), *KIND_ALIASES[question.kind], *(COMMENT_ALIASES if closing else ()))
    if question.scale is None:
        return Target(question.id, question.text, "text", aliases)
    scale = question.scale
    return Target(question.id, question.text, "integer", aliases, low=scale.low, high=scale.high, labels=scale.labels)
