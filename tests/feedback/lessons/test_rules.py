"""Unit tests of cpmkit.feedback.lessons.rules: field cleaning, one-step drafts from feedback, search and
filters, and the register as Markdown (inert user text) and spreadsheet tables."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cpmkit.core.export import to_xlsx
from cpmkit.core.fields import DEFAULT_TEXT_LIMIT
from cpmkit.errors import ValidationError
from cpmkit.feedback.lessons.rules import (
    LESSON_COLUMNS,
    SOURCE_COLUMNS,
    LessonSource,
    clean_lesson_field,
    clean_source,
    describe_source,
    draft_from,
    field_options,
    file_stem,
    filter_lessons,
    lesson_numbers,
    lesson_owners,
    lessons_markdown,
    lessons_tables,
)
from cpmkit.feedback.lessons.template import Choice, LessonsTemplate, lessons_template

EVIL = "<script>alert(1)</script> see [x](http://evil) ![i](http://evil/i.png)"


@pytest.fixture(scope="module")
def template() -> LessonsTemplate:
    return lessons_template()


def lesson(lesson_id: int, what: str, **fields: str | None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(LESSON_COLUMNS)
    row.update(id=lesson_id, what_happened=what, **fields)
    return row


@pytest.fixture
def register() -> pd.DataFrame:
    return pd.DataFrame(
        [
            lesson(
                1,
                "Client heard of the delay from a supplier",
                category="communication",
                phase="execution",
                owner="Ada",
                root_cause="No weekly update was agreed",
            ),
            lesson(
                2,
                "Demo slipped twice",
                category="schedule",
                phase="execution",
                owner="ada ",
                recommendation="Plan demos with a buffer",
            ),
            lesson(3, "Scope grew without a change request", category="scope", phase="planning", owner="Bea"),
        ],
        columns=LESSON_COLUMNS,
    )


@pytest.fixture
def sources() -> pd.DataFrame:
    return pd.DataFrame(
        [
            [1, "theme", "communication", "7 comments, e.g. 'nobody told us'"],
            [3, "card", "12", "Stakeholders were surprised"],
        ],
        columns=SOURCE_COLUMNS,
    )


# -- cleaning --------------------------------------------------------------------------------


def test_text_fields_are_trimmed_and_what_happened_is_required(template: LessonsTemplate) -> None:
    assert clean_lesson_field("root_cause", "  no agenda  ", template) == "no agenda"
    assert clean_lesson_field("impact", "   ", template) is None
    with pytest.raises(ValidationError, match="What happened: cannot be empty"):
        clean_lesson_field("what_happened", " ", template)
    with pytest.raises(ValidationError, match="the limit is 2000"):
        clean_lesson_field("recommendation", "x" * 2001, template)
    with pytest.raises(ValidationError, match="Owner: is 121 characters"):
        clean_lesson_field("owner", "x" * 121, template)


def test_category_and_phase_must_be_known_ids(template: LessonsTemplate) -> None:
    assert clean_lesson_field("category", " Communication ", template) == "communication"
    assert clean_lesson_field("phase", "monitoring_and_control", template) == "monitoring_and_control"
    assert clean_lesson_field("phase", None, template) is None
    with pytest.raises(ValidationError, match="Category: 'gossip' is not one of: communication"):
        clean_lesson_field("category", "gossip", template)
    with pytest.raises(ValidationError, match="Unknown lesson field 'id'"):
        clean_lesson_field("id", 3, template)


def test_a_source_needs_a_known_kind_and_a_ref() -> None:
    assert clean_source(LessonSource("card", " 12 ", "  Late  ")) == LessonSource("card", "12", "Late")
    with pytest.raises(ValidationError, match="Kind: 'email' is not one of"):
        clean_source(LessonSource("email", "1", ""))
    with pytest.raises(ValidationError, match="Ref: cannot be empty"):
        clean_source(LessonSource("card", " ", "x"))
    assert describe_source(LessonSource("card", "12", "")) == "Retrospective card '12'"


# -- one-step drafts -------------------------------------------------------------------------


def test_a_theme_draft_quotes_the_excerpt_and_guesses_the_category(template: LessonsTemplate) -> None:
    source = LessonSource("theme", "communication", "Communication: 7 comments, e.g. 'nobody told us'")
    draft = draft_from(source, category_for_theme=template.category_for_theme)
    assert draft == {
        "what_happened": "Feedback theme Communication: 7 comments, e.g. 'nobody told us'",
        "category": "communication",
    }
    assert (
        draft_from(LessonSource("theme", "people", "x"), category_for_theme=template.category_for_theme)["category"]
        == "team"
    )
    assert "category" not in draft_from(
        LessonSource("theme", "unthemed", "x"), category_for_theme=template.category_for_theme
    )
    assert "category" not in draft_from(source)  # no mapping given: no guess


def test_card_and_comment_drafts_say_where_they_came_from(template: LessonsTemplate) -> None:
    card = draft_from(
        LessonSource("card", "communication", "Demo was a surprise"), category_for_theme=template.category_for_theme
    )
    assert card == {"what_happened": "Retrospective card: Demo was a surprise"}  # only a theme guesses a category
    assert draft_from(LessonSource("comment", "41", ""))["what_happened"] == "Pulse-survey comment '41'"
    assert draft_from(LessonSource("theme", "scope", " "))["what_happened"] == "Feedback theme 'scope'"
    long = draft_from(LessonSource("comment", "41", "y" * DEFAULT_TEXT_LIMIT))["what_happened"]
    assert len(long) == DEFAULT_TEXT_LIMIT and long.endswith("…")


# -- search and filters ----------------------------------------------------------------------


def test_every_word_must_match_somewhere_ignoring_case(register: pd.DataFrame, sources: pd.DataFrame) -> None:
    assert filter_lessons(register, text="WEEKLY client")["id"].tolist() == [1]
    assert filter_lessons(register, text="demo buffer")["id"].tolist() == [2]
    assert filter_lessons(register, text="demo weekly")["id"].tolist() == []
    assert filter_lessons(register, text="   ")["id"].tolist() == [1, 2, 3]


def test_search_looks_in_the_source_excerpts(register: pd.DataFrame, sources: pd.DataFrame) -> None:
    assert filter_lessons(register, sources=sources, text="nobody")["id"].tolist() == [1]
    assert filter_lessons(register, sources=sources, text="surprised scope")["id"].tolist() == [3]
    assert filter_lessons(register, text="nobody")["id"].tolist() == []


def test_filters_narrow_by_category_phase_and_owner(register: pd.DataFrame) -> None:
    assert filter_lessons(register, phase="execution")["id"].tolist() == [1, 2]
    assert filter_lessons(register, phase="execution", category="schedule")["id"].tolist() == [2]
    assert filter_lessons(register, owner=" ADA")["id"].tolist() == [1, 2]
    assert filter_lessons(register, category="", owner=None)["id"].tolist() == [1, 2, 3]
    assert filter_lessons(register.iloc[0:0], text="x").empty


# -- Markdown --------------------------------------------------------------------------------


def test_markdown_has_a_section_per_lesson_with_labelled_fields_and_sources(
    register: pd.DataFrame, sources: pd.DataFrame, template: LessonsTemplate
) -> None:
    text = lessons_markdown(register, sources, template, "Apollo")
    assert text.startswith("# Lessons learned: Apollo\n\n3 lessons.")
    assert text.count("\n## Lesson ") == 3
    first = text.split("## Lesson 2")[0]
    assert "**What happened:** Client heard of the delay from a supplier" in first
    assert "**Category:** Communication" in first
    assert "**Project phase:** Execution" in first
    assert "**Impact:** —" in first
    assert "- Feedback theme (communication): 7 comments, e.g. 'nobody told us'" in first
    assert "Sources" not in text.split("## Lesson 2")[1].split("## Lesson 3")[0]


def test_user_text_cannot_add_links_or_html_to_the_rendered_register(template: LessonsTemplate) -> None:
    mistune = pytest.importorskip("mistune")
    lessons = pd.DataFrame(
        [lesson(1, EVIL, impact="line one\n\n    indented code?\n- a list?\n1. numbered?\n===")], columns=LESSON_COLUMNS
    )
    linked = pd.DataFrame([[1, "card", "[r](http://evil)", "<img src=x onerror=alert(1)>"]], columns=SOURCE_COLUMNS)
    rendered = mistune.html(lessons_markdown(lessons, linked, template, "<b>Apollo</b>"))
    assert "<script" not in rendered and "<img" not in rendered and "<b>Apollo" not in rendered
    assert "<a " not in rendered and "<code" not in rendered and "<ol" not in rendered and "<h1>" in rendered
    assert rendered.count("<ul>") == 1  # the sources list only
    assert "&lt;script&gt;alert(1)&lt;/script&gt; see [x](http://evil)" in rendered  # shown as typed


# -- spreadsheet tables ----------------------------------------------------------------------


def test_tables_for_xlsx_use_labels_and_open_in_pandas(
    register: pd.DataFrame, sources: pd.DataFrame, template: LessonsTemplate
) -> None:
    register.loc[0, "owner"] = '=HYPERLINK("http://evil")'
    tables = lessons_tables(register, sources, template)
    assert list(tables) == ["lessons", "sources"]
    assert list(tables["lessons"].columns[:3]) == ["lesson", "What happened", "Impact"]
    assert tables["lessons"]["Category"].tolist() == [
        "Communication",
        "Schedule and deadlines",
        "Scope and requirements",
    ]
    assert list(tables["sources"].columns) == ["lesson", "kind", "ref", "excerpt"]
    book = pd.read_excel(io.BytesIO(to_xlsx(tables)), sheet_name=None)
    assert book["lessons"]["Owner"].tolist()[0] == '=HYPERLINK("http://evil")'  # kept as text, not run
    assert book["sources"]["Ref"].astype(str).tolist() == ["communication", "12"]


def test_tables_without_a_template_keep_the_ids(register: pd.DataFrame, sources: pd.DataFrame) -> None:
    tables = lessons_tables(register, sources)
    assert tables["lessons"]["category"].tolist() == ["communication", "schedule", "scope"]
    assert list(tables["lessons"].columns) == [
        "lesson",
        "what_happened",
        "impact",
        "root_cause",
        "recommendation",
        "category",
        "phase",
        "owner",
        "created",
        "updated",
    ]


# -- what the register panel shows -----------------------------------------------------------


def test_lessons_are_numbered_in_the_registers_order(register: pd.DataFrame) -> None:
    assert lesson_numbers(register.iloc[[2, 0, 1]]) == {3: 1, 1: 2, 2: 3}
    assert lesson_numbers(register.iloc[0:0]) == {}


def test_owners_are_listed_once_trimmed_and_alphabetically(register: pd.DataFrame) -> None:
    register.loc[3] = lesson(4, "Nobody owns this", owner="  ")
    register.loc[5] = lesson(5, "Again", owner=" Bea")
    assert lesson_owners(register) == ["Ada", "ada", "Bea"]  # the filter then matches both Ada and ada
    assert lesson_owners(register.iloc[0:0]) == []


def test_a_fields_options_keep_a_saved_id_the_template_no_longer_offers() -> None:
    choices = (Choice("scope", "Scope"), Choice("budget", "Budget"))
    assert field_options(choices, "scope") == [("-", None), ("Scope", "scope"), ("Budget", "budget")]
    assert field_options(choices, None) == field_options(choices, "") == field_options(choices, "scope")
    assert field_options(choices, "morale") == [
        ("-", None),
        ("Scope", "scope"),
        ("Budget", "budget"),
        ("morale", "morale"),
    ]


def test_the_download_name_is_the_project_name_made_safe() -> None:
    assert file_stem("Apollo 11") == "lessons-apollo-11"
    assert file_stem("R&D / Ünïcode: phase_2!") == "lessons-r-d-ünïcode-phase_2"
    assert file_stem("***") == file_stem("") == "lessons-project"
