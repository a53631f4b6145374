"""Unit tests of cpmkit.feedback.survey_import.mapping: headings matched to the fields an import
fills, by meaning (the pulse survey's questions paraphrased, spreadsheet headings) and not when
unrelated; the confidence of each suggestion; columns left out on purpose; the mapping as data."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.feedback.survey_import.mapping import (
    RESPONDENT,
    RESPONSE_ID,
    SUBMITTED_AT,
    ColumnMapping,
    Target,
    confidence_label,
    plain_words,
    suggest_mapping,
)
from tests.feedback.survey_import.exports import SM_META

PULSE = import_targets(pulse_survey())
RECOMMEND = Target(
    "recommend", "Recommend score", "integer", ("how likely ... recommend",), required=True, low=0, high=10
)
TARGETS = (SUBMITTED_AT, RESPONSE_ID, RESPONDENT, RECOMMEND)


def suggested(columns: list[str], targets: tuple[Target, ...] = PULSE) -> dict[str, str]:
    """The targets given a column, and the column each is given."""
    mapping = suggest_mapping(columns, targets)
    return {target_id: column for target_id, column in mapping.columns.items() if column is not None}


# -- Suggestions by meaning ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "target_id", "how_sure"),
    [
        ("Are you comfortable with the progress of the project?", "progress", "likely"),
        ("How comfortable are you with the project's progress?", "progress", "likely"),
        ("Q1. Are you comfortable with progress?", "progress", "likely"),
        ("Do you have the information you need?", "information", "likely"),
        ("Any other comments?", "comment", "sure"),
        ("Anything else you want to tell us?", "comment", "sure"),  # the first sentence of the question
        ("Any further comments?", "comment", "likely"),
        ("How likely are you to recommend us?", "recommend", "sure"),
        ("Overall satisfaction", "satisfaction", "a guess"),
    ],
)
def test_pulse_questions_are_found_in_other_words(heading: str, target_id: str, how_sure: str) -> None:
    mapping = suggest_mapping(["Timestamp", heading], PULSE)
    assert suggested(["Timestamp", heading]) == {"submitted_at": "Timestamp", target_id: heading}
    assert confidence_label(mapping.confidence[target_id]) == how_sure
    assert mapping.confidence["submitted_at"] == 1.0


def test_the_questions_texts_are_sure_and_the_template_is_the_one_asked() -> None:
    survey = pulse_survey()
    assert survey.question("progress").text == "Are you comfortable with progress?"
    assert survey.question("comment").text.startswith("Anything else you want to tell us?")
    mapping = suggest_mapping([q.text for q in survey.questions], PULSE)
    assert all(mapping.columns[q.id] == q.text and mapping.confidence[q.id] == 1.0 for q in survey.questions)


@pytest.mark.parametrize(
    "columns",
    [
        ["Date", "Name", "Recommend (0-10)", "Comments"],
        ["Date", "Stakeholder", "Score", "Feedback"],
        ["Time", "Respondent", "NPS score", "Remarks"],
    ],
)
def test_spreadsheet_headings_find_time_respondent_nps_and_comment(columns: list[str]) -> None:
    mapping = suggest_mapping(columns, PULSE)
    assert suggested(columns) == dict(zip(("submitted_at", "respondent", "recommend", "comment"), columns))
    assert mapping.unaccounted(columns) == ()
    assert mapping.confidence["submitted_at"] == mapping.confidence["respondent"] == 1.0
    assert mapping.confidence["recommend"] == (0.85 if columns[2] == "Recommend (0-10)" else 1.0)


def test_columns_the_tools_add_are_not_taken_for_answers() -> None:
    monkey = [*SM_META, "Language"]
    mapping = suggest_mapping(monkey, PULSE)
    assert suggested(monkey) == {
        "submitted_at": "End Date",  # not "Start Date"
        "respondent": "Email Address",
        "response_id": "Respondent ID",
    }
    assert mapping.unaccounted(monkey) == tuple(c for c in monkey if c not in mapping.columns.values())
    # Without the columns that are the time, the id and the respondent, none of the others is taken for them.
    assert suggested(["Collector ID", "Start Date", "IP Address", "First Name", "Language", "Custom Data 1"]) == {}
    assert suggested(["Start time", "Completion time", "Total score", "Last modified time"]) == {
        "submitted_at": "Completion time"
    }


def test_unrelated_headings_are_not_matched() -> None:
    columns = [
        "Favourite colour",
        "Department",
        "Budget (EUR)",
        "Is it working?",
        "What do you want?",
        "Notes on the demo",
        "x" * 50_000,
    ]
    assert suggested(columns) == {}


def test_exact_beats_partial_and_each_column_and_target_is_used_once() -> None:
    columns = ["How likely are you to recommend us?", "Score", "Comments", "Any other comments?"]
    mapping = suggest_mapping(columns, PULSE)
    assert mapping.columns["recommend"] == "Score"  # exact, above the alias "how likely ... recommend" it contains
    assert mapping.columns["comment"] == "Comments"  # both exact: the earlier alias
    assert mapping.unaccounted(columns) == ("How likely are you to recommend us?", "Any other comments?")
    contact = Target("contact", "Contact", "text", ("Email",))
    assert dict(suggest_mapping(["Email"], [contact, RESPONDENT]).columns) == {"contact": "Email", "respondent": None}


def test_suggestions_prefer_exact_then_earlier_alias_and_use_each_column_once() -> None:
    # Moved from test_reader.py; SUBMITTED_AT is no longer required (issue 14: the import date stands in).
    columns = [
        "Respondent ID",
        "Collector ID",
        "ID",
        "Name",
        "Email",
        "What is your employee ID?",
        "How likely are you to recommend us?",
        "Recommend",
    ]
    mapping = suggest_mapping(columns, TARGETS)
    assert mapping.columns["response_id"] == "Respondent ID"  # exact, and the earlier alias
    assert mapping.columns["respondent"] == "Email"  # "Email" is listed before "Name"
    assert mapping.columns["recommend"] == "How likely are you to recommend us?"  # "..." spans words
    assert mapping.columns["submitted_at"] is None
    assert not SUBMITTED_AT.required and mapping.unmapped_required == ()
    assert suggest_mapping(["Timestamp"], TARGETS).unmapped_required == (RECOMMEND,)
    single_word = suggest_mapping(["My email is below"], [Target("mail", "Mail", "text", ("email",))])
    assert single_word.columns["mail"] is None  # a one-word alias is not half of a heading
    accents = suggest_mapping(
        ["Êtes-vous À L'AISE avec l'avancement ?"], [Target("ok", "à l'aise", "text", ("a l aise avec",))]
    )
    assert accents.columns["ok"] is not None


def test_a_wide_file_is_mapped_in_bounded_time() -> None:
    columns = [f"Question {n} about the project's progress and information" for n in range(10_000)]
    started = time.perf_counter()
    mapping = suggest_mapping(columns, PULSE)
    assert time.perf_counter() - started < 5
    assert len(mapping.unaccounted(columns)) == 10_000 - sum(c is not None for c in mapping.columns.values())


@pytest.mark.parametrize(
    ("value", "label"),
    [(1.0, "sure"), (0.9, "sure"), (0.89, "likely"), (0.6, "likely"), (0.59, "a guess"), (0, "a guess")],
)
def test_confidence_reads_in_words(value: float, label: str) -> None:
    assert confidence_label(value) == label


# -- The mapping: choices, columns left out, checks ------------------------------------------------


def test_mapping_is_copied_on_change_and_checked() -> None:
    # Moved from test_reader.py; "Score" is now a guess for the recommend score, so the test starts from "Total".
    mapping = suggest_mapping(["Timestamp", "Total"], TARGETS)
    changed = mapping.choose("recommend", "Total")
    assert mapping.columns["recommend"] is None and changed.columns["recommend"] == "Total"
    with pytest.raises(TypeError):
        changed.columns["recommend"] = "x"  # type: ignore[index]
    with pytest.raises(ValidationError, match="'nps' is not an import field"):
        mapping.choose("nps", "Score")
    with pytest.raises(ValidationError, match="not import fields"):
        ColumnMapping(TARGETS, {"nps": "Score"})
    with pytest.raises(ValidationError, match="Each import field can appear only once"):
        ColumnMapping((RECOMMEND, RECOMMEND), {})
    with pytest.raises(ValidationError, match="Only one import field can be the response id"):
        ColumnMapping((RESPONSE_ID, Target("other_id", "Other", "id")), {})
    for bad in [
        {"kind": "integer"},
        {"kind": "text", "low": 0, "high": 5},
        {"kind": "integer", "low": 5, "high": 1},
        {"kind": "number"},
        {"id": "Row"},
        {"id": "row"},
        {"labels": ((1, "One"),)},
        {"kind": "integer", "low": 1, "high": 5, "labels": ((6, "Six"),)},
    ]:
        with pytest.raises(ValidationError):
            Target(**{"id": "x", "label": "X", "kind": "text", **bad})  # type: ignore[arg-type]


def test_choosing_is_the_pms_word_and_ignoring_leaves_a_column_out() -> None:
    columns = ["Date", "Name", "Recommend (0-10)", "Department", "Notes"]
    mapping = suggest_mapping(columns, PULSE)
    assert mapping.unaccounted(columns) == ("Department", "Notes")
    assert mapping.confidence["recommend"] == 0.85 and "comment" not in mapping.confidence

    ignored = mapping.ignore("Department")
    assert ignored.ignored == {"Department"} and ignored.unaccounted(columns) == ("Notes",)
    assert ignored.unmapped(columns) == ("Department", "Notes")  # left out on purpose or not
    assert ignored.ignore("Department", False).unaccounted(columns) == ("Department", "Notes")

    chosen = ignored.choose("comment", "Notes").choose("recommend", "Recommend (0-10)")
    assert chosen.unaccounted(columns) == () and chosen.confidence["comment"] == chosen.confidence["recommend"] == 1.0
    unmapped = chosen.choose("comment", None)
    assert "comment" not in unmapped.confidence and unmapped.unaccounted(columns) == ("Notes",)

    assert mapping.ignore("Department").choose("comment", "Department").ignored == frozenset()  # chosen: not ignored
    left_out = mapping.ignore("Name")  # a mapped column left out: its target loses it
    assert left_out.columns["respondent"] is None and "respondent" not in left_out.confidence
    assert mapping.ignored == frozenset() and mapping.columns["respondent"] == "Name"  # copies, not changes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": {"recommend": "Score"}, "ignored": frozenset({"Score"})}, "both imported and left out: 'Score'"),
        ({"columns": {}, "confidence": {"nps": 0.5}}, "not import fields: 'nps'"),
        ({"columns": {"recommend": "Score"}, "confidence": {"recommend": 1.5}}, "a number from 0 to 1"),
        ({"columns": {"recommend": "Score"}, "confidence": {"recommend": "high"}}, "a number from 0 to 1"),
    ],
)
def test_a_mapping_that_contradicts_itself_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ColumnMapping(TARGETS, **kwargs)


# -- The mapping as data ---------------------------------------------------------------------------


def test_a_mapping_is_remembered_as_data_and_recalled_for_the_same_columns() -> None:
    columns = ["Date", "Name", "Recommend (0-10)", "Department", "Notes"]
    mapping = suggest_mapping(columns, PULSE).ignore("Department").choose("comment", "Notes")
    data = json.loads(json.dumps(mapping.to_data()))
    assert data["ignored"] == ["Department"] and data["columns"]["comment"] == "Notes"
    assert data["confidence"] == {"submitted_at": 1.0, "respondent": 1.0, "recommend": 0.85, "comment": 1.0}
    assert ColumnMapping.from_data(data, PULSE, columns) == mapping


def test_recalled_data_keeps_only_fields_that_exist_and_columns_in_the_file() -> None:
    data = {
        "columns": {"submitted_at": "Date", "respondent": "Who", "retired_question": "Old", "recommend": None},
        "ignored": ["Department", "Gone"],
        "confidence": {"submitted_at": 0.5, "respondent": 1.0, "retired_question": 1.0},
    }
    recalled = ColumnMapping.from_data(data, PULSE, ["Date", "Department", "Score"])
    assert {k: v for k, v in recalled.columns.items() if v is not None} == {"submitted_at": "Date"}
    assert recalled.ignored == {"Department"} and dict(recalled.confidence) == {"submitted_at": 0.5}
    assert recalled.unaccounted(["Date", "Department", "Score"]) == ("Score",)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "columns",
        {},
        {"columns": {}, "ignored": []},
        {"columns": {}, "ignored": [], "confidence": {}, "recodings": {}},
        {"columns": [], "ignored": [], "confidence": {}},
        {"columns": {"recommend": 3}, "ignored": [], "confidence": {}},
        {"columns": {"recommend": ["Score"]}, "ignored": [], "confidence": {}},
        {"columns": {1: "Score"}, "ignored": [], "confidence": {}},
        {"columns": {}, "ignored": "Score", "confidence": {}},
        {"columns": {}, "ignored": [None], "confidence": {}},
        {"columns": {}, "ignored": [], "confidence": []},
        {"columns": {}, "ignored": [], "confidence": {"recommend": "1"}},
        {"columns": {}, "ignored": [], "confidence": {"recommend": True}},
        {"columns": {}, "ignored": [], "confidence": {"recommend": -0.1}},
        {"columns": {}, "ignored": [], "confidence": {"recommend": float("nan")}},
        {"columns": {}, "ignored": [], "confidence": {"recommend": 10**400}},
    ],
)
def test_damaged_data_is_refused_in_plain_words(data: Any) -> None:
    with pytest.raises(ValidationError, match="^The saved column mapping cannot be used: .+\\.$"):
        ColumnMapping.from_data(data, PULSE, ["Score"])


def test_recalled_data_that_maps_a_left_out_column_is_refused() -> None:
    data = {"columns": {"recommend": "Score"}, "ignored": ["Score"], "confidence": {}}
    with pytest.raises(ValidationError, match="A column cannot be both imported and left out: 'Score'."):
        ColumnMapping.from_data(data, PULSE, ["Score"])


def test_headings_in_any_script_are_matched() -> None:
    question = Target("progress", "Довольны ли вы ходом проекта?", "integer", low=1, high=5)
    mapping = suggest_mapping(["Отметка времени", "Довольны ли вы ходом проекта?"], [SUBMITTED_AT, question])
    assert mapping.columns["progress"] == "Довольны ли вы ходом проекта?" and mapping.confidence["progress"] == 1.0
    assert plain_words("¿Sí?  Да, Ελλάδα!") == "si да ελλαδα"
