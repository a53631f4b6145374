"""Unit tests of cpmkit.feedback.pulse.targets: one import field per pulse question, scored ones with
their scale and labels, and headings of Google Forms, Microsoft Forms and SurveyMonkey
exports found by suggest_mapping."""

from __future__ import annotations

from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.feedback.survey_import.reader import (
    RESPONDENT,
    RESPONSE_ID,
    SUBMITTED_AT,
    suggest_mapping,
)

SURVEY = pulse_survey()


def test_every_question_is_an_import_field_after_the_tool_columns() -> None:
    targets = import_targets(SURVEY)
    assert targets[:3] == (SUBMITTED_AT, RESPONDENT, RESPONSE_ID)
    assert [t.id for t in targets[3:]] == [q.id for q in SURVEY.questions]
    recommend = next(t for t in targets if t.id == "recommend")
    assert (recommend.kind, recommend.low, recommend.high, recommend.required) == ("integer", 0, 10, False)
    progress = next(t for t in targets if t.id == "progress")
    assert dict(progress.labels)[4] == "Mostly" and progress.label == SURVEY.question("progress").text
    assert next(t for t in targets if t.id == "comment").kind == "text"


def test_google_forms_headings_are_the_questions_themselves() -> None:
    columns = ["Timestamp", "Email Address", *(q.text for q in SURVEY.questions)]
    mapping = suggest_mapping(columns, import_targets(SURVEY))
    assert mapping.columns["submitted_at"] == "Timestamp" and mapping.columns["respondent"] == "Email Address"
    assert all(mapping.columns[q.id] == q.text for q in SURVEY.questions)


def test_other_tools_short_headings_find_the_nps_and_csat_questions() -> None:
    microsoft = [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "How likely are you to recommend us?",
        "Satisfaction",
    ]
    mapping = suggest_mapping(microsoft, import_targets(SURVEY))
    assert mapping.columns["response_id"] == "ID" and mapping.columns["submitted_at"] == "Completion time"
    assert mapping.columns["recommend"] == "How likely are you to recommend us?"
    assert mapping.columns["satisfaction"] == "Satisfaction"
    monkey = ["Respondent ID", "End Date", "Net Promoter Score", "CSAT", "As expected"]
    mapping = suggest_mapping(monkey, import_targets(SURVEY))
    assert [
        mapping.columns[k] for k in ("response_id", "submitted_at", "recommend", "satisfaction", "as_expected")
    ] == monkey
