"""The self-assessment's state and its pure updates (cpmkit.soft_skills.state), without widgets:
what the page shows for a state, and how answers, paging and the plan change it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cpmkit.errors import ValidationError
from cpmkit.soft_skills.state import (
    COMMITMENTS,
    AssessmentState,
    Commitment,
    answer,
    is_complete,
    next_page,
    page_view,
    previous_page,
    resume,
    show_page,
    with_commitment,
    with_plan,
    with_reflection,
)
from tests.soft_skills._banks import BANK


def test_a_state_is_frozen_and_keeps_only_answers_the_bank_asks() -> None:
    state = AssessmentState(BANK, {"L1": 4, "gone": 3, "L2": 9})  # an item since removed, a value off the scale
    assert dict(state.answers) == {"L1": 4}
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.page = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.answers["L2"] = 3  # type: ignore[index]
    assert state.commitments == (Commitment(),) * COMMITMENTS and state.reflection == ""
    assert AssessmentState(BANK, page=99).page == 2 and AssessmentState(BANK, page=-1).page == 0


def test_answer_returns_a_new_state_and_leaves_the_old_one() -> None:
    before = AssessmentState(BANK)
    after = answer(before, "L1", 4)
    assert dict(after.answers) == {"L1": 4} and dict(before.answers) == {}
    assert dict(answer(after, "L1", 2).answers) == {"L1": 2}  # a changed answer replaces the old one
    for item, value in (("nope", 3), ("L1", 6), ("L1", 0), ("L1", True)):
        with pytest.raises(ValidationError):
            answer(before, item, value)


def test_paging_stays_within_the_competencies() -> None:
    state = AssessmentState(BANK)
    assert previous_page(state).page == 0
    assert next_page(state).page == 1 and next_page(next_page(next_page(state))).page == 2
    assert show_page(state, 2).page == 2 and previous_page(show_page(state, 2)).page == 1
    assert show_page(state, 7).page == 2


def test_the_page_view_shows_one_competency_with_its_answers_and_the_progress() -> None:
    state = answer(answer(AssessmentState(BANK), "L1", 4), "C2", 1)
    first = page_view(state)
    assert first.competency.id == "listen" and (first.number, first.pages) == (1, 3)
    assert [(item.id, given) for item, given in first.items] == [("L1", 4), ("L2", None)]
    assert (first.answered, first.total) == (2, 6)
    assert first.first and not first.last and not first.complete
    last = page_view(show_page(state, 2))
    assert last.last and not last.first and [item.id for item, _given in last.items] == ["F1", "F2"]


def test_resume_opens_at_the_first_unanswered_item() -> None:
    state = AssessmentState(BANK, {"L1": 3, "L2": 3, "C1": 3})
    assert resume(state).page == 1
    everything = AssessmentState(BANK, {item.id: 3 for item in BANK.items}, page=2)
    assert is_complete(everything) and not is_complete(state)
    assert resume(everything).page == 2  # all answered: the page stays
    assert page_view(everything).complete


def test_the_plan_as_saved() -> None:
    state = with_reflection(AssessmentState(BANK), "  I listen less than I thought.\n")
    assert state.reflection == "I listen less than I thought."
    state = with_commitment(state, 2, "  Ask clients first ", dt.date(2027, 1, 31))
    assert state.commitments[1] == Commitment("Ask clients first", dt.date(2027, 1, 31))
    assert state.commitments[0] == state.commitments[2] == Commitment()
    for position in (0, COMMITMENTS + 1):
        with pytest.raises(ValidationError, match="a commitment is number 1 to 3"):
            with_commitment(state, position, "x", None)


def test_with_plan_reads_the_stores_plan() -> None:
    plan = {
        "reflection": None,
        "commitments": [
            {"position": 3, "what": "Run a retro", "by_when": "2027-02-01"},
            {"position": 1, "what": "Ask first", "by_when": None},
        ],
    }
    state = with_plan(AssessmentState(BANK, {"L1": 2}), plan)
    assert state.reflection == "" and dict(state.answers) == {"L1": 2}
    assert state.commitments == (
        Commitment("Ask first", None),
        Commitment(),
        Commitment("Run a retro", dt.date(2027, 2, 1)),
    )
