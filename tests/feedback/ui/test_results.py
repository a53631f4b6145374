"""The feedback results panel: NPS and CSAT per round with n beside each score and the change
since the round before, never 0 for a round no one answered; charts; themes and comments
(negative first, escaped, filtered); "Make a lesson" for a theme or a comment."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from cpmkit.db.database import Store
from cpmkit.feedback import comments
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import PulseQuestion
from cpmkit.feedback.ui.results import (
    NO_ANSWERS,
    NO_RESPONSES,
    SHOWN_COMMENTS,
    FeedbackResultsPanel,
    score_table,
)
from tests._tables import read_table

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


def answer(pulses: PulseStore, round_id: int, day: int, **answers: Any) -> int:
    response_id, _ = pulses.start_response(round_id, stakeholder_id=None, submitted_at=dt.datetime(2026, 10, day, 9))
    for question, value in answers.items():
        pulses.save_answer(response_id, question, value)
    return response_id


@pytest.fixture
def project(store: Store, pulses: PulseStore) -> int:
    project_id = store.create_project("Apollo")
    october = pulses.create_round(project_id, "October", dt.date(2026, 10, 1))
    november = pulses.create_round(project_id, "November", dt.date(2026, 10, 20))
    pulses.create_round(project_id, "December", dt.date(2026, 12, 1))
    answer(pulses, october, 2, recommend=10, satisfaction=5, comment="Great communication, thank you")
    answer(pulses, october, 3, recommend=9, satisfaction=4)
    answer(pulses, october, 4, recommend=3, satisfaction=2, comment=f"{SCRIPT} The budget is terrible and a worry")
    answer(pulses, november, 21, recommend=6, comment="Status updates are late and the budget is unclear")
    return project_id


def test_scores_per_round_show_n_change_and_never_zero_for_no_answers(store: Store, project: int) -> None:
    panel = FeedbackResultsPanel(store)
    panel.show(project)
    html = panel.scores.value
    assert "NPS 33 (n = 3)" in html and "NPS -100 (n = 1)" in html and "-133" in html
    assert "CSAT 67% (n = 3)" in html
    assert html.count(NO_RESPONSES) == 2  # December's NPS and CSAT
    assert html.count(NO_ANSWERS) == 1  # November's CSAT: one response, which left the score out
    assert "NPS 0" not in html
    assert all(chart.spec for chart in panel.charts.values())


def test_the_rating_questions_show_each_rounds_average_and_n(store: Store, pulses: PulseStore) -> None:
    project_id = store.create_project("Gemini")
    october = pulses.create_round(project_id, "October", dt.date(2026, 10, 1))
    pulses.create_round(project_id, "November", dt.date(2026, 11, 1))
    answer(pulses, october, 2, recommend=8, progress=4, as_expected=2, information=5)
    answer(pulses, october, 3, recommend=9, progress=5, as_expected=3)
    panel = FeedbackResultsPanel(store)
    panel.show(project_id)
    table = read_table(panel.ratings.value)
    headings = [f"{q.text} (1-5)" for q in pulses.survey.questions if q.kind == "rating"]
    assert list(table) == ["Round", *headings]
    assert table["Round"] == ["October", "November"]
    assert [table[heading][0] for heading in headings] == ["4.5 (n = 2)", "2.5 (n = 2)", "5.0 (n = 1)"]
    assert {table[heading][1] for heading in headings} == {NO_RESPONSES}


def test_a_rating_question_without_a_figure_says_why_and_the_rest_is_drawn(store: Store, pulses: PulseStore) -> None:
    """A trainer narrowed a question's scale after answers were saved, and added a question:
    those two columns say why they have no figure; the scores and comments still show."""
    project_id = store.create_project("Gemini")
    october = pulses.create_round(project_id, "October", dt.date(2026, 10, 1))
    answer(pulses, october, 2, recommend=3, progress=5, as_expected=2, comment="Slow replies")
    narrowed = [
        replace(q, scale=replace(q.scale, high=3, labels=q.scale.labels[:3])) if q.id == "progress" and q.scale else q
        for q in pulses.survey.questions
    ]
    added = PulseQuestion("trust", "rating", "Do you trust our estimates?", scale=narrowed[0].scale)
    survey = replace(pulses.survey, questions=(*narrowed, added))
    panel = FeedbackResultsPanel(store, survey=survey)
    panel.show(project_id)
    assert panel.message.value == ""
    table = read_table(panel.ratings.value)
    assert table["Are you comfortable with progress? (1-3)"] == [
        "answers outside 1-3: was the question's scale changed?"
    ]
    assert table["Do you trust our estimates? (1-3)"] == [NO_ANSWERS]
    assert table["Are we proceeding as you expected? (1-5)"] == ["2.0 (n = 1)"]
    assert "NPS -100 (n = 1)" in panel.scores.value
    assert ["Slow replies" in child.value for child in panel.comment_list.children] == [True]


def test_a_project_without_responses_says_so(store: Store, pulses: PulseStore) -> None:
    project_id = store.create_project("Empty")
    pulses.create_round(project_id, "October", dt.date(2026, 10, 1))
    panel = FeedbackResultsPanel(store)
    panel.show(project_id)
    assert NO_RESPONSES in panel.scores.value and "(n = " not in panel.scores.value
    assert panel.chart_box.layout.display == "none"
    assert "No comments yet" in panel.themes.value and panel.comment_list.children == ()
    panel.show(None)
    assert "No pulse rounds yet" in panel.scores.value


def test_themes_and_comments_are_escaped_negative_first_and_filtered(store: Store, project: int) -> None:
    panel = FeedbackResultsPanel(store)
    panel.show(project)
    assert "Budget and cost" in panel.themes.value
    assert "&lt;script&gt;" in panel.themes.value and SCRIPT not in panel.themes.value
    texts = [child.value for child in panel.comment_list.children]
    assert len(texts) == 3 and "3 comments." in panel.comment_count.value
    assert "terrible" in texts[0] and "Great communication" in texts[-1]  # most negative first
    assert all(SCRIPT not in text for text in texts) and "&lt;script&gt;" in texts[0]
    panel.theme_filter.value = "communication"
    assert [("Great" in c.value or "Status" in c.value) for c in panel.comment_list.children] == [True, True]
    panel.round_filter.value = "November"
    assert len(panel.comment_list.children) == 1 and "Status updates" in panel.comment_list.children[0].value
    panel.show(project)  # the tab opened again keeps the filters
    assert (panel.theme_filter.value, panel.round_filter.value) == ("communication", "November")
    assert len(panel.comment_list.children) == 1
    panel.show(store.create_project("Other"))
    assert (panel.theme_filter.label, panel.round_filter.label) == ("All themes", "All rounds")
    assert panel.theme_lessons.children == ()  # no register wired: no lesson buttons


def test_comments_are_analysed_again_only_when_the_responses_changed(
    store: Store, pulses: PulseStore, project: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = comments.analyse_comments
    monkeypatch.setattr(
        comments, "analyse_comments", lambda frame, *a, **k: calls.append(len(frame)) or real(frame, *a, **k)
    )
    panel = FeedbackResultsPanel(store)
    panel.show(project)
    panel.show(project)  # the tab opened again, nothing new
    assert calls == [4]
    november = int(pulses.rounds(project).set_index("name").loc["November", "id"])
    answer(pulses, november, 22, recommend=2, comment="Nobody answers our e-mails")
    panel.show(project)
    assert calls == [4, 5]
    assert any("Nobody answers" in c.value for c in panel.comment_list.children)


def test_a_theme_or_a_comment_becomes_a_lesson_in_one_click(store: Store, project: int) -> None:
    made: list[LessonSource] = []
    panel = FeedbackResultsPanel(store, on_lesson=made.append)
    panel.show(project)
    budget = next(b for b in panel.theme_lessons.children if b.description.endswith("Budget and cost"))
    budget.click()
    assert made[0].kind == "theme" and made[0].ref == "budget"
    assert made[0].excerpt.startswith("Budget and cost: 2 comments, e.g. '") and SCRIPT in made[0].excerpt
    first = panel.comment_list.children[0]
    first.children[1].click()
    assert (
        made[1].kind == "comment"
        and "terrible" in made[1].excerpt
        and made[1].ref.endswith(":comment")
        and made[1].ref.split(":")[0].isdigit()
    )
    assert "Lesson started" in panel.message.value


def test_long_comment_lists_keep_the_buttons_bounded(store: Store, pulses: PulseStore, project: int) -> None:
    extra = pulses.create_round(project, "Bulk", dt.date(2026, 10, 25))
    for i in range(SHOWN_COMMENTS + 5):
        answer(pulses, extra, 26, comment=f"note {i}")
    panel = FeedbackResultsPanel(store, on_lesson=lambda _source: None)
    panel.show(project)
    assert len(panel.comment_list.children) == SHOWN_COMMENTS
    assert f"{SHOWN_COMMENTS + 8} comments; the first {SHOWN_COMMENTS} are shown" in panel.comment_count.value


def test_score_table_rounds_without_minus_zero_and_lists_unanswered_rounds_last() -> None:
    nps = pd.DataFrame(
        {"round": ["A", "B"], "responses": [300, 2], "n": [300, 2], "nps": [-1 / 3, 50.0], "change": [None, 50.33]}
    )
    table = score_table(["Z", "A", "B"], nps, None)
    assert table["round"].tolist() == ["A", "B", "Z"]
    assert table["nps"].tolist() == ["NPS 0 (n = 300)", "NPS 50 (n = 2)", NO_RESPONSES]
    assert table["nps_change"].tolist() == ["", "+50", ""]
    assert table["csat"].tolist() == [NO_RESPONSES] * 3 and table["responses"].tolist() == [300, 2, 0]
