"""A self-assessment on the page (or a colleague's rating) as one frozen value, and the pure
updates the page makes to it, the Solara way: the page shows ``page_view(state)``; each thing a
user does makes a new state (``answer``, ``next_page``, ``with_reflection``...), and the page
saves what changed to the store before it takes the new state. No widgets, no store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError
from cpmkit.soft_skills.bank import Competency, Item, QuestionBank
from cpmkit.soft_skills.scoring import known_answers, next_unanswered, progress

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "COMMITMENTS",
    "AssessmentState",
    "Commitment",
    "PageView",
    "answer",
    "is_complete",
    "next_page",
    "page_view",
    "previous_page",
    "resume",
    "show_page",
    "with_commitment",
    "with_plan",
    "with_reflection",
]

#: Commitments a development plan holds (numbered 1 to 3).
COMMITMENTS: Final = 3


@dataclass(frozen=True)
class Commitment:
    """One commitment of the development plan: what the participant will do, by when."""

    what: str = ""
    by_when: dt.date | None = None


@dataclass(frozen=True)
class AssessmentState:
    """What one page of the self-assessment holds: the bank, the answers so far (only those to
    the bank's items, on its scale), the competency shown (``page``, 0-based) and the plan."""

    bank: QuestionBank
    answers: Mapping[str, int] = field(default_factory=dict)
    page: int = 0
    reflection: str = ""
    commitments: tuple[Commitment, ...] = (Commitment(),) * COMMITMENTS

    def __post_init__(self) -> None:
        # Answers saved against a bank edited since stay out of the way; the page stays in range.
        object.__setattr__(self, "answers", MappingProxyType(known_answers(self.bank, self.answers)))
        object.__setattr__(self, "page", max(0, min(self.page, len(self.bank.competencies) - 1)))


@dataclass(frozen=True)
class PageView:
    """What the questions page shows for a state: one competency, its items with their answers,
    the progress, and which of Back / Next / Finish apply."""

    competency: Competency
    number: int  # 1-based, of ``pages``
    pages: int
    items: tuple[tuple[Item, int | None], ...]
    answered: int
    total: int

    @property
    def first(self) -> bool:
        return self.number == 1

    @property
    def last(self) -> bool:
        return self.number == self.pages

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def page_view(state: AssessmentState) -> PageView:
    """The competency ``state.page`` as the page shows it."""
    competency = state.bank.competencies[state.page]
    answered, total = progress(state.bank, state.answers)
    return PageView(
        competency=competency,
        number=state.page + 1,
        pages=len(state.bank.competencies),
        items=tuple((item, state.answers.get(item.id)) for item in state.bank.items_for(competency.id)),
        answered=answered,
        total=total,
    )


def is_complete(state: AssessmentState) -> bool:
    """Whether every item of the bank is answered."""
    answered, total = progress(state.bank, state.answers)
    return answered == total


def answer(state: AssessmentState, item_id: str, value: int) -> AssessmentState:
    """The state with ``item_id`` answered ``value``; ValidationError for an item the bank does
    not ask or a value off its scale."""
    if item_id not in {item.id for item in state.bank.items}:
        raise ValidationError.for_field("item_id", item_id, f"{item_id!r} is not a question of this assessment.")
    points = [point for point, _label in state.bank.scale.points]
    if isinstance(value, bool) or value not in points:
        raise ValidationError.for_field("value", value, f"an answer is one of {points}, not {value!r}.")
    return replace(state, answers={**state.answers, item_id: int(value)})


def show_page(state: AssessmentState, page: int) -> AssessmentState:
    """The state showing competency ``page`` (0-based, kept in range)."""
    return replace(state, page=page)


def next_page(state: AssessmentState) -> AssessmentState:
    """The next competency (the last one stays)."""
    return show_page(state, state.page + 1)


def previous_page(state: AssessmentState) -> AssessmentState:
    """The previous competency (the first one stays)."""
    return show_page(state, state.page - 1)


def resume(state: AssessmentState) -> AssessmentState:
    """Where a participant coming back starts: the competency of the first unanswered item (the
    page shown stays when everything is answered)."""
    position = next_unanswered(state.bank, state.answers)
    return state if position is None else show_page(state, position[0])


def with_reflection(state: AssessmentState, text: str) -> AssessmentState:
    """The state with the reflection as the store keeps it (spaces around it trimmed)."""
    return replace(state, reflection=text.strip())


def with_commitment(state: AssessmentState, position: int, what: str, by_when: dt.date | None) -> AssessmentState:
    """The state with commitment ``position`` (1 to ``COMMITMENTS``) as the store keeps it."""
    if not 1 <= position <= COMMITMENTS:
        raise ValidationError.for_field(
            "position", position, f"a commitment is number 1 to {COMMITMENTS}, not {position!r}."
        )
    commitments = list(state.commitments)
    commitments[position - 1] = Commitment(what.strip(), by_when)
    return replace(state, commitments=tuple(commitments))


def with_plan(state: AssessmentState, plan: Mapping[str, Any]) -> AssessmentState:
    """The state with a plan as the store's ``plan()`` returns it (reflection, numbered commitments)."""
    by_position = {int(c["position"]): c for c in plan["commitments"]}
    commitments = tuple(
        Commitment(str(by_position[n]["what"] or ""), _date(by_position[n]["by_when"]))
        if n in by_position
        else Commitment()
        for n in range(1, COMMITMENTS + 1)
    )
    return replace(state, reflection=plan["reflection"] or "", commitments=commitments)


def _date(value: Any) -> dt.date | None:
    """A saved date (a date, ISO text, or a missing value) as a date or None."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
