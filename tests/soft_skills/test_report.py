"""The personal report and the results page's HTML (cpmkit.soft_skills.report), without widgets:
the tables of the download, and escaped HTML wherever a person typed the text."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pandas as pd

from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.report import (
    others_html,
    others_note_html,
    own_change_html,
    personal_report_html,
    plan_html,
    report_tables,
    scored,
    scored_rows,
    scores_html,
)
from cpmkit.soft_skills.scoring import PeerRelease, own_change_rows, released_rows
from cpmkit.soft_skills.state import AssessmentState, with_commitment, with_reflection

BANK = default_bank()
TODAY = dt.date(2026, 11, 25)
XSS = "<script>alert(1)</script>"


def everything(score: int = 3) -> AssessmentState:
    """Every item answered so that each scores ``score`` (reverse items turned round)."""
    return AssessmentState(BANK, {item.id: 6 - score if item.reverse else score for item in BANK.items})


def nobody_else(state: AssessmentState) -> list[dict[str, Any]]:
    return released_rows(BANK, state.answers, None, finished=0)


def test_scores_show_incomplete_competencies_as_incomplete() -> None:
    first = BANK.competencies[0]
    state = AssessmentState(BANK, {item.id: 4 for item in BANK.items_for(first.id) if not item.reverse})
    table = scores_html(scored_rows(state)[0])
    assert table.count("<td>incomplete</td>") >= len(BANK.competencies) - 1
    assert f"<td>{html.escape(first.name)}</td>" in table


def test_the_rows_the_page_draws_are_the_reports_frames() -> None:
    """The page draws plain rows (no DataFrame in a participant's kernel), the report's tables
    are frames: one logic makes both, with equal scores, incomplete competencies and ties."""
    first, second = BANK.competencies[0], BANK.competencies[1]
    answers = {item.id: 2 if item.reverse else 4 for item in BANK.items if item.competency != first.id}
    answers |= {item.id: 5 for item in BANK.items_for(second.id) if not item.reverse}
    state = AssessmentState(BANK, answers)
    for frame, rows in zip(scored(state), scored_rows(state), strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(rows, columns=frame.columns).astype(frame.dtypes), frame)


def test_strengths_and_development_list_the_practices_escaped() -> None:
    scores, strengths, _development = scored_rows(everything(4))
    shown = plan_html("My <b>strengths</b>", strengths, "none")
    assert "<b>strengths</b>" not in shown and "My &lt;b&gt;strengths&lt;/b&gt;" in shown
    for row in strengths:
        assert html.escape(row["name"]) in shown and all(html.escape(p) in shown for p in row["practices"])
    assert plan_html("To develop", [], "Answer <all>") == (
        "<h4>To develop</h4><p class='cpmkit-help'>Answer &lt;all&gt;</p>"
    )
    assert len(scores) == len(BANK.competencies)


def test_others_are_shown_only_once_released() -> None:
    state = everything(4)
    hidden = others_html(released_rows(BANK, state.answers, None, finished=2))
    assert "needs 1 more rater" in hidden
    release = PeerRelease(raters=frozenset({1, 2, 3}), others={c.id: 2 for c in BANK.competencies})
    shown = re.sub(r">\s+<", "><", others_html(released_rows(BANK, state.answers, release, finished=3)))
    assert "<td>4.00</td><td>2.0</td><td>-2.00</td><td>3 raters</td>" in shown
    assert "Shown once 3 colleagues" in others_note_html(0, 0)
    assert "(2 so far)" in others_note_html(0, 2)
    assert "the average of 3 colleagues" in others_note_html(3, 1) and "(1 so far)" in others_note_html(3, 1)


def test_the_report_escapes_every_text_a_person_typed() -> None:
    state = with_reflection(everything(), f"Reflection {XSS} & more")
    state = with_commitment(state, 1, '<img src=x onerror="alert(2)">', dt.date(2027, 1, 31))
    report = personal_report_html(state, nobody_else(state), display_name=XSS, today=TODAY)
    assert "<script" not in report and "<img" not in report
    assert "<title>Soft-skills self-assessment of &lt;script&gt;alert(1)&lt;/script&gt;</title>" in report
    assert "Reflection &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in report
    assert '&lt;img src=x onerror="alert(2)"&gt;' in report and "2027-01-31" in report
    assert "My strengths" in report and "To develop" in report and TODAY.isoformat() in report


def test_an_empty_plan_says_so() -> None:
    state = everything()
    report = personal_report_html(state, nobody_else(state), display_name=None, today=TODAY)
    assert "No reflection yet." in report and "No commitments yet." in report
    assert "<title>Soft-skills self-assessment</title>" in report


def test_the_tables_hold_what_the_report_shows() -> None:
    state = with_commitment(with_reflection(everything(5), "Listen more"), 3, "Run a retro", None)
    tables = report_tables(state, nobody_else(state))
    assert list(tables) == ["scores", "strengths", "to develop", "others view", "reflection", "commitments"]
    assert list(tables["scores"]["score"]) == [5.0] * len(BANK.competencies)
    assert tables["others view"].empty  # nothing of others before three colleagues finished
    assert list(tables["reflection"]["reflection"]) == ["Listen more"]
    assert tables["commitments"].to_dict("records") == [{"commitment": 3, "what": "Run a retro", "by when": None}]
    practices = {c.name: "; ".join(c.practices) for c in BANK.competencies}
    assert [practices[name] for name in tables["strengths"]["name"]] == list(tables["strengths"]["practices"])


def test_the_own_change_table_escapes_round_names_and_shows_nothing_without_an_earlier_score() -> None:
    rows = own_change_rows(BANK, everything(2).answers, everything(4).answers)
    page = own_change_html(rows, before=XSS, after="after")
    assert XSS not in page and html.escape(XSS, quote=False) in page
    assert page.count("<td>+2.00</td>") == len(BANK.competencies)
    assert own_change_html(own_change_rows(BANK, {}, everything(4).answers), before="before", after="after") == ""
