"""Unit tests of cpmkit.gap.store.GapStore, each run on SQLite and on a real PostgreSQL server:
chosen dimensions, dated ratings and their carry-forward, satisfaction, notes, actions, status
lights, survey links, every refusal (nothing saved, the message names field and value), a
stakeholder deleted in workbook 1, the cascade, and several kernels saving one assessment at once.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from cpmkit.core.links import digest
from cpmkit.db.database import Store
from cpmkit.db.schema import GAP_TABLES, projects, survey_links
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.gap import store as gap_module
from cpmkit.gap.rules import RATING_COLUMNS
from cpmkit.gap.store import (
    ACTION_COLUMNS,
    ACTION_STATUSES,
    NO_RESPONSE,
    NOTE_COLUMNS,
    SATISFACTION_COLUMNS,
    GapStore,
)
from cpmkit.stakeholders.store import StakeholderStore

RunInProcesses = Callable[..., dict[int, Any]]  # the conftest fixture's call signature
GONE = "This stakeholder no longer exists; it may have been deleted in another window."
D1, D2, D3 = dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 5, 1)


@pytest.fixture
def gaps(store: Store) -> GapStore:
    return GapStore(store)


@pytest.fixture
def ada(stakeholder_store: StakeholderStore, project: int) -> int:
    return stakeholder_store.add_stakeholder(project, "Ada", category="customer")


@pytest.fixture
def bob(stakeholder_store: StakeholderStore, project: int) -> int:
    return stakeholder_store.add_stakeholder(project, "Bob")


@pytest.fixture
def elsewhere(store: Store, stakeholder_store: StakeholderStore) -> int:
    """A stakeholder of another project, whose rows must never show in Apollo's frames."""
    return stakeholder_store.add_stakeholder(store.create_project("Gemini"), "Cy")


def rate(gaps: GapStore, sid: int, dimension: str, on: dt.date, source: str = "estimate", **values: Any) -> None:
    for field, value in values.items():
        gaps.save_rating(sid, dimension, source=source, assessed_on=on, field=field, value=value)


def figures(gaps: GapStore, project: int) -> list[tuple[Any, ...]]:
    """The project's ratings as (stakeholder, dimension, source, date, expectation, perception, importance)."""
    frame = gaps.ratings(project).astype(object).where(lambda f: f.notna(), None)
    return [tuple(row) for row in frame.drop(columns="stakeholder_id").itertuples(index=False)]


def row_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in GAP_TABLES}


def test_exported_names() -> None:
    assert sorted(gap_module.__all__) == sorted(
        [
            "ACTION_COLUMNS",
            "ACTION_FIELDS",
            "ACTION_STATUSES",
            "DEFAULT_SATISFACTION",
            "NO_RESPONSE",
            "NOTE_COLUMNS",
            "NOTE_FIELDS",
            "SATISFACTION_COLUMNS",
            "GapData",
            "GapStore",
            "read_gap_data",
        ]
    )
    assert ACTION_STATUSES == ("open", "in progress", "done")


def test_an_unknown_importance_mode_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as info:
        GapStore(store, importance="points")
    assert str(info.value) == "Importance: 'points' is not one of: weights, rating."


# -- dimensions ----------------------------------------------------------------------------------


def test_dimensions_are_none_until_chosen_then_in_the_order_chosen(gaps: GapStore, project: int, store: Store) -> None:
    assert gaps.chosen_dimensions(project) is None
    gaps.choose_dimensions(project, ["schedule", "reliability", "schedule", "budget"])
    assert gaps.chosen_dimensions(project) == ["schedule", "reliability", "budget"]  # a repeat is ignored
    gaps.choose_dimensions(project, ("empathy",))
    assert gaps.chosen_dimensions(project) == ["empathy"]
    other = store.create_project("Gemini")
    assert gaps.chosen_dimensions(other) is None


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Dimensions: choose at least one dimension."),
        ("scope", "Dimensions: give a list of dimension ids."),
        (None, "Dimensions: give a list of dimension ids."),
        (
            ["scope", "Bad Id"],
            "Dimension: 'Bad Id' is not an id (lower-case letters, digits and _, starting with a letter).",
        ),
    ],
)
def test_a_bad_choice_of_dimensions_changes_nothing(gaps: GapStore, project: int, ids: Any, message: str) -> None:
    gaps.choose_dimensions(project, ["scope", "budget"])
    with pytest.raises(ValidationError) as info:
        gaps.choose_dimensions(project, ids)
    assert str(info.value) == message
    assert gaps.chosen_dimensions(project) == ["scope", "budget"]


def test_dimensions_of_a_missing_project_are_refused(gaps: GapStore) -> None:
    with pytest.raises(NotFoundError, match="^This project no longer exists"):
        gaps.choose_dimensions(999, ["scope"])


# -- ratings -------------------------------------------------------------------------------------


def test_ratings_are_saved_one_figure_at_a_time(
    gaps: GapStore, project: int, ada: int, bob: int, elsewhere: int
) -> None:
    assert gaps.save_rating(ada, "reliability", source="estimate", assessed_on=D1, field="expectation", value="6") == 6
    assert gaps.save_rating(ada, "reliability", source="estimate", assessed_on=D1, field="perception", value=3.0) == 3
    assert gaps.save_rating(ada, "reliability", source="estimate", assessed_on=D1, field="importance", value=40) == 40
    rate(gaps, bob, "schedule", D1, source="survey", expectation=5)
    rate(gaps, elsewhere, "reliability", D1, expectation=1)

    frame = gaps.ratings(project)
    assert list(frame.columns) == RATING_COLUMNS
    assert figures(gaps, project) == [
        ("Ada", "reliability", "estimate", D1, 6, 3, 40),
        ("Bob", "schedule", "survey", D1, 5, None, None),
    ]
    assert list(frame["stakeholder_id"]) == [ada, bob]
    assert all(type(day) is dt.date for day in frame["assessed_on"])


def test_saving_a_figure_again_changes_only_that_figure(gaps: GapStore, project: int, ada: int) -> None:
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3, importance=40)
    rate(gaps, ada, "reliability", D1, perception=5)
    assert figures(gaps, project) == [("Ada", "reliability", "estimate", D1, 6, 5, 40)]


def test_a_date_may_be_given_as_text(gaps: GapStore, project: int, ada: int) -> None:
    gaps.save_rating(ada, "scope", source="estimate", assessed_on=" 2024-03-01 ", field="expectation", value=4)  # type: ignore[arg-type]
    assert gaps.ratings(project)["assessed_on"].tolist() == [D1]


def test_a_blank_clears_a_figure_and_an_empty_assessment_is_removed(gaps: GapStore, project: int, ada: int) -> None:
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3)
    assert (
        gaps.save_rating(ada, "reliability", source="estimate", assessed_on=D1, field="perception", value="  ") is None
    )
    assert figures(gaps, project) == [("Ada", "reliability", "estimate", D1, 6, None, None)]
    rate(gaps, ada, "reliability", D1, expectation=None)
    assert gaps.ratings(project).empty
    rate(gaps, ada, "scope", D1, importance=float("nan"))  # clearing what was never set leaves no row
    assert gaps.ratings(project).empty


def test_a_new_dated_assessment_starts_from_the_latest_earlier_one(gaps: GapStore, project: int, ada: int) -> None:
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3, importance=40)
    rate(gaps, ada, "reliability", D3, expectation=7, perception=7, importance=90)  # later: never copied back
    rate(gaps, ada, "reliability", D2, perception=4)
    assert figures(gaps, project) == [
        ("Ada", "reliability", "estimate", D1, 6, 3, 40),
        ("Ada", "reliability", "estimate", D2, 6, 4, 40),
        ("Ada", "reliability", "estimate", D3, 7, 7, 90),
    ]
    rate(gaps, ada, "reliability", D3 + dt.timedelta(days=1), importance=None)  # the latest, D3, not D1
    assert figures(gaps, project)[-1] == ("Ada", "reliability", "estimate", D3 + dt.timedelta(days=1), 7, 7, None)


def test_only_a_new_row_is_carried_forward(gaps: GapStore, project: int, ada: int) -> None:
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3)
    rate(gaps, ada, "reliability", D2, perception=4)
    rate(gaps, ada, "reliability", D1, expectation=2)  # changing the earlier one later ...
    rate(gaps, ada, "reliability", D2, importance=30)  # ... does not reach the existing row
    assert figures(gaps, project) == [
        ("Ada", "reliability", "estimate", D1, 2, 3, None),
        ("Ada", "reliability", "estimate", D2, 6, 4, 30),
    ]


def test_nothing_is_carried_across_stakeholders_dimensions_or_sources(
    gaps: GapStore, project: int, ada: int, bob: int
) -> None:
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3, importance=40)
    rate(gaps, bob, "reliability", D2, perception=1)
    rate(gaps, ada, "schedule", D2, perception=2)
    rate(gaps, ada, "reliability", D2, source="survey", perception=5)
    rate(gaps, ada, "reliability", D1 - dt.timedelta(days=1), perception=7)  # nothing earlier than it
    assert figures(gaps, project) == [
        ("Ada", "reliability", "estimate", D1 - dt.timedelta(days=1), None, 7, None),
        ("Ada", "reliability", "estimate", D1, 6, 3, 40),
        ("Ada", "reliability", "survey", D2, None, 5, None),
        ("Ada", "schedule", "estimate", D2, None, 2, None),
        ("Bob", "reliability", "estimate", D2, None, 1, None),
    ]


@pytest.mark.parametrize(
    ("mode", "field", "value", "message"),
    [
        ("weights", "expectation", 9, "Expectation: must be a whole number from 1 to 7, not 9."),
        ("weights", "expectation", 0, "Expectation: must be a whole number from 1 to 7, not 0."),
        ("weights", "perception", "2.5", "Perception: must be a whole number from 1 to 7, not '2.5'."),
        ("weights", "perception", "high", "Perception: must be a whole number from 1 to 7, not 'high'."),
        ("weights", "perception", True, "Perception: must be a whole number from 1 to 7, not True."),
        ("weights", "importance", 140, "Importance: must be a whole number from 0 to 100, not 140."),
        ("weights", "importance", -5, "Importance: must be a whole number from 0 to 100, not -5."),
        ("rating", "importance", 0, "Importance: must be a whole number from 1 to 5, not 0."),
        ("rating", "importance", "6", "Importance: must be a whole number from 1 to 5, not '6'."),
    ],
)
def test_a_bad_figure_names_field_and_value_and_saves_nothing(
    store: Store, project: int, ada: int, mode: str, field: str, value: Any, message: str
) -> None:
    gaps = GapStore(store, importance=mode)
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3, importance=4)
    for day in (D1, D2):  # neither a change to an existing row nor a new (carried-forward) row
        with pytest.raises(ValidationError) as info:
            gaps.save_rating(ada, "reliability", source="estimate", assessed_on=day, field=field, value=value)
        assert str(info.value) == message
        assert (info.value.field, info.value.value) == (field, value)
    assert figures(gaps, project) == [("Ada", "reliability", "estimate", D1, 6, 3, 4)]


def test_the_scale_and_importance_modes_bound_the_figures(store: Store, project: int, ada: int) -> None:
    wide = GapStore(store, scale=(0, 10), importance="rating")
    rate(wide, ada, "scope", D1, expectation=0, perception=10, importance=5)
    weights = GapStore(store)
    rate(weights, ada, "budget", D1, importance=0)
    rate(weights, ada, "quality", D1, importance=100)
    assert [f[4:] for f in figures(weights, project)] == [(None, None, 0), (None, None, 100), (0, 10, 5)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"field": "gap"}, "Unknown rating field 'gap'."),
        ({"dimension": "Reliability"}, "Dimension: 'Reliability' is not an id"),
        ({"dimension": ""}, "Dimension: '' is not an id"),
        ({"source": "the PM"}, "Source: 'the PM' is not an id"),
        ({"assessed_on": None}, "Assessed on: cannot be empty."),
        ({"assessed_on": "1/3/2024"}, "Assessed on: '1/3/2024' is not a date (use YYYY-MM-DD)."),
    ],
)
def test_a_bad_key_is_refused_and_saves_nothing(
    gaps: GapStore, project: int, ada: int, kwargs: dict[str, Any], message: str
) -> None:
    call = {
        "dimension": "reliability",
        "source": "estimate",
        "assessed_on": D1,
        "field": "expectation",
        "value": 5,
        **kwargs,
    }
    with pytest.raises(ValidationError) as info:
        gaps.save_rating(ada, call.pop("dimension"), **call)
    assert str(info.value).startswith(message)
    assert gaps.ratings(project).empty


# -- satisfaction --------------------------------------------------------------------------------


def test_satisfaction_is_saved_changed_and_cleared(
    gaps: GapStore, project: int, ada: int, bob: int, elsewhere: int
) -> None:
    assert gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score="2") == 2
    assert gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score=4) == 4
    gaps.save_satisfaction(ada, source="estimate", assessed_on=D1, score=3)
    gaps.save_satisfaction(bob, source="survey", assessed_on=D2, score=5)
    gaps.save_satisfaction(elsewhere, source="survey", assessed_on=D2, score=1)
    frame = gaps.satisfaction(project)
    assert list(frame.columns) == SATISFACTION_COLUMNS
    assert frame.drop(columns="stakeholder_id").values.tolist() == [
        ["Ada", "estimate", D1, 3],
        ["Ada", "survey", D1, 4],
        ["Bob", "survey", D2, 5],
    ]
    assert gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score="") is None
    assert gaps.satisfaction(project)["source"].tolist() == ["estimate", "survey"]


@pytest.mark.parametrize("score", [0, 6, 2.5, "very"])
def test_a_bad_satisfaction_is_refused_and_keeps_the_saved_one(
    gaps: GapStore, project: int, ada: int, score: Any
) -> None:
    gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score=3)
    with pytest.raises(ValidationError) as info:
        gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score=score)
    assert str(info.value) == f"Satisfaction: must be a whole number from 1 to 5, not {score!r}."
    assert gaps.satisfaction(project)["score"].tolist() == [3]


def test_the_satisfaction_scale_is_a_parameter(store: Store, project: int, ada: int) -> None:
    gaps = GapStore(store, satisfaction=(0, 10))
    assert gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score=10) == 10
    with pytest.raises(ValidationError, match="from 0 to 10, not 11"):
        gaps.save_satisfaction(ada, source="survey", assessed_on=D1, score=11)


# -- notes -----------------------------------------------------------------------------------------


def test_a_note_has_two_halves_saved_apart(gaps: GapStore, project: int, ada: int, elsewhere: int) -> None:
    assert gaps.save_note(ada, "schedule", "stated_problem", "  Releases slip <always> ") == "Releases slip <always>"
    assert gaps.save_note(ada, "schedule", "underlying_expectation", "A date to plan around") == "A date to plan around"
    gaps.save_note(elsewhere, "schedule", "stated_problem", "Not Apollo's")
    frame = gaps.notes(project)
    assert list(frame.columns) == NOTE_COLUMNS
    assert frame.drop(columns="stakeholder_id").values.tolist() == [
        ["Ada", "schedule", "Releases slip <always>", "A date to plan around"]
    ]
    assert gaps.save_note(ada, "schedule", "stated_problem", "") is None  # the other half stays
    assert gaps.notes(project)[["stated_problem", "underlying_expectation"]].values.tolist() == [
        [None, "A date to plan around"]
    ]
    gaps.save_note(ada, "schedule", "underlying_expectation", None)
    assert gaps.notes(project).empty


def test_a_bad_note_is_refused_and_keeps_the_saved_one(gaps: GapStore, project: int, ada: int) -> None:
    gaps.save_note(ada, "schedule", "stated_problem", "Slips")
    with pytest.raises(ValidationError) as info:
        gaps.save_note(ada, "schedule", "stated_problem", "x" * 2001)
    assert str(info.value) == "Stated problem: is 2001 characters long; the limit is 2000."
    with pytest.raises(ValidationError, match="^Unknown note field 'solution'"):
        gaps.save_note(ada, "schedule", "solution", "Plan")
    with pytest.raises(ValidationError, match="^Dimension: 'Sched ule' is not an id"):
        gaps.save_note(ada, "Sched ule", "stated_problem", "Plan")
    assert gaps.notes(project)["stated_problem"].tolist() == ["Slips"]


# -- actions ---------------------------------------------------------------------------------------


def test_actions_are_added_open_and_updated_field_by_field(
    gaps: GapStore, project: int, ada: int, bob: int, elsewhere: int
) -> None:
    first = gaps.add_action(ada, "schedule", "  Publish a release calendar ")
    second = gaps.add_action(bob, "budget", "Monthly cost report")
    gaps.add_action(elsewhere, "budget", "Not Apollo's")
    frame = gaps.actions(project)
    assert list(frame.columns) == ACTION_COLUMNS
    assert frame.values.tolist() == [
        [first, ada, "Ada", "schedule", "Publish a release calendar", None, None, "open"],
        [second, bob, "Bob", "budget", "Monthly cost report", None, None, "open"],
    ]
    assert gaps.update_action(first, "owner", " Grace ") == "Grace"
    assert gaps.update_action(first, "due", "2024-07-01") == dt.date(2024, 7, 1)
    assert gaps.update_action(first, "status", " In Progress ") == "in progress"
    assert (
        gaps.update_action(first, "what", "Publish and keep a release calendar")
        == "Publish and keep a release calendar"
    )
    assert gaps.actions(project).iloc[0].tolist() == [
        first,
        ada,
        "Ada",
        "schedule",
        "Publish and keep a release calendar",
        "Grace",
        dt.date(2024, 7, 1),
        "in progress",
    ]
    assert gaps.update_action(first, "owner", "") is None
    assert gaps.update_action(first, "due", None) is None
    assert gaps.actions(project).iloc[0][["owner", "due"]].tolist() == [None, None]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("what", "  ", "What: cannot be empty."),
        ("what", "w" * 2001, "What: is 2001 characters long; the limit is 2000."),
        ("owner", "o" * 121, "Owner: is 121 characters long; the limit is 120."),
        ("due", "next week", "Due: 'next week' is not a date (use YYYY-MM-DD)."),
        ("status", "later", "Status: 'later' is not one of: open, in progress, done."),
        ("status", None, "Status: cannot be empty."),
        ("colour", "red", "Unknown action field 'colour'."),
    ],
)
def test_a_bad_action_field_is_refused_and_changes_nothing(
    gaps: GapStore, project: int, ada: int, field: str, value: Any, message: str
) -> None:
    action = gaps.add_action(ada, "schedule", "Calendar")
    gaps.update_action(action, "owner", "Grace")
    before = gaps.actions(project)
    with pytest.raises(ValidationError) as info:
        gaps.update_action(action, field, value)
    assert str(info.value) == message
    assert (info.value.field, info.value.value) == (field, value)
    pd.testing.assert_frame_equal(gaps.actions(project), before)


def test_an_action_needs_what_and_a_dimension(gaps: GapStore, project: int, ada: int) -> None:
    with pytest.raises(ValidationError, match="^What: cannot be empty."):
        gaps.add_action(ada, "schedule", "")
    with pytest.raises(ValidationError, match="^Dimension: None is not an id"):
        gaps.add_action(ada, None, "Calendar")  # type: ignore[arg-type]
    assert gaps.actions(project).empty


def test_deleting_an_action(gaps: GapStore, project: int, ada: int) -> None:
    keep = gaps.add_action(ada, "schedule", "Keep")
    gone = gaps.add_action(ada, "schedule", "Drop")
    gaps.delete_action(gone)
    gaps.delete_action(gone)  # deleted in another window already: nothing to do
    assert gaps.actions(project)["id"].tolist() == [keep]
    with pytest.raises(NotFoundError) as info:
        gaps.update_action(gone, "status", "done")
    assert str(info.value) == "This action no longer exists; it may have been deleted in another window."


# -- status lights ---------------------------------------------------------------------------------


def test_lights_are_set_changed_and_cleared_per_project(gaps: GapStore, store: Store, project: int) -> None:
    other = store.create_project("Gemini")
    assert gaps.lights(project) == {}
    gaps.set_light(project, "scope", "green")
    gaps.set_light(project, "budget", " AMBER ")
    gaps.set_light(project, "scope", "red")
    gaps.set_light(other, "scope", "green")
    assert gaps.lights(project) == {"budget": "amber", "scope": "red"}
    gaps.set_light(project, "budget", None)
    assert gaps.lights(project) == {"scope": "red"}
    assert gaps.lights(other) == {"scope": "green"}


def test_a_bad_light_is_refused_and_keeps_the_saved_one(gaps: GapStore, project: int) -> None:
    gaps.set_light(project, "scope", "green")
    with pytest.raises(ValidationError) as info:
        gaps.set_light(project, "scope", "purple")
    assert str(info.value) == "Scope: 'purple' is not one of: green, amber, red."
    with pytest.raises(ValidationError, match="^Area: 'Scope' is not an id"):
        gaps.set_light(project, "Scope", "red")
    with pytest.raises(NotFoundError, match="^This project no longer exists"):
        gaps.set_light(999, "scope", "red")
    assert gaps.lights(project) == {"scope": "green"}


# -- survey links ----------------------------------------------------------------------------------


def test_a_survey_token_opens_the_stakeholders_survey(
    gaps: GapStore, store: Store, stakeholder_store: StakeholderStore, project: int, ada: int, bob: int
) -> None:
    assert gaps.survey_links(project) == {}
    token = gaps.new_survey_token(ada)
    assert len(token) >= 32 and set(token) <= set(string.ascii_letters + string.digits + "-_")
    assert gaps.new_survey_token(bob) != token
    expected = {"stakeholder_id": ada, "stakeholder": "Ada", "project_id": project, "project": "Apollo"}
    assert gaps.survey(token) == expected
    assert gaps.survey(f"  {token}\n") == expected
    stakeholder_store.update_stakeholder(ada, "name", "Ada Lovelace")
    assert gaps.survey(token)["stakeholder"] == "Ada Lovelace"
    links = gaps.survey_links(project)
    assert set(links) == {ada, bob} and all(isinstance(t, dt.datetime) for t in links.values())
    other = store.create_project("Zeus")
    assert gaps.survey_links(other) == {}


def test_the_store_keeps_only_the_digest_of_a_survey_token(gaps: GapStore, store: Store, ada: int) -> None:
    token = gaps.new_survey_token(ada)
    assert store.frame(select(survey_links.c.token), ["token"])["token"].tolist() == [digest(token)]
    with pytest.raises(NotFoundError):
        gaps.survey(digest(token))  # a copy of the store opens nothing


def test_a_new_survey_token_replaces_the_old_link(gaps: GapStore, store: Store, project: int, ada: int) -> None:
    old = gaps.new_survey_token(ada)
    rate(gaps, ada, "scope", D1, expectation=5)
    new = gaps.new_survey_token(ada)
    assert new != old
    with pytest.raises(NotFoundError, match="^This survey link is not valid"):
        gaps.survey(old)
    assert gaps.survey(new)["stakeholder_id"] == ada
    assert list(gaps.survey_links(project)) == [ada]  # still one link per stakeholder
    assert gaps.ratings(project)["expectation"].tolist() == [5]  # their answers stay


@pytest.mark.parametrize("token", ["", "   ", None, "not-a-token", 42])
def test_an_unknown_survey_token_is_refused(gaps: GapStore, ada: int, token: Any) -> None:
    gaps.new_survey_token(ada)
    with pytest.raises(NotFoundError) as info:
        gaps.survey(token)
    assert str(info.value) == "This survey link is not valid (or the stakeholder was removed)."


def test_a_removed_stakeholders_survey_link_stops_working(
    gaps: GapStore, stakeholder_store: StakeholderStore, ada: int
) -> None:
    token = gaps.new_survey_token(ada)
    stakeholder_store.delete_stakeholder(ada)
    with pytest.raises(NotFoundError, match="^This survey link is not valid"):
        gaps.survey(token)


def test_a_survey_comment_is_kept_as_entered_and_submitting_again_moves_the_time(
    gaps: GapStore, stakeholder_store: StakeholderStore, project: int, ada: int, bob: int, elsewhere: int
) -> None:
    def response(sid: int) -> dict[str, Any]:
        return gaps.survey_responses(project).get(sid, NO_RESPONSE)

    assert response(ada) == {"comment": None, "submitted_at": None}
    said = "  Fewer meetings, please.\nAnd earlier news of slips.  "
    assert gaps.save_survey_comment(ada, said) == said.strip()
    gaps.submit_survey(ada)
    first = response(ada)
    assert first["comment"] == said.strip() and isinstance(first["submitted_at"], dt.datetime)
    assert gaps.save_survey_comment(ada, "Fine now.") == "Fine now."
    gaps.submit_survey(ada)
    again = response(ada)
    assert again["comment"] == "Fine now." and again["submitted_at"] >= first["submitted_at"]
    assert response(bob) == {"comment": None, "submitted_at": None}
    gaps.save_survey_comment(bob, "x")
    gaps.save_survey_comment(bob, " ")  # a blank clears it, and an empty row goes
    assert response(bob) == {"comment": None, "submitted_at": None}
    gaps.save_survey_comment(elsewhere, "Another project's")
    assert list(gaps.survey_responses(project)) == [ada]
    stakeholder_store.delete_stakeholder(ada)
    assert response(ada) == {"comment": None, "submitted_at": None}


# -- a stakeholder deleted in workbook 1 -----------------------------------------------------------

WRITES: list[tuple[str, Callable[[GapStore, int], Any]]] = [
    ("rating", lambda g, s: g.save_rating(s, "scope", source="survey", assessed_on=D2, field="perception", value=5)),
    (
        "cleared rating",
        lambda g, s: g.save_rating(s, "scope", source="survey", assessed_on=D2, field="perception", value=None),
    ),
    ("satisfaction", lambda g, s: g.save_satisfaction(s, source="survey", assessed_on=D2, score=4)),
    ("cleared satisfaction", lambda g, s: g.save_satisfaction(s, source="survey", assessed_on=D2, score=None)),
    ("note", lambda g, s: g.save_note(s, "scope", "stated_problem", "Slips")),
    ("cleared note", lambda g, s: g.save_note(s, "scope", "stated_problem", "")),
    ("action", lambda g, s: g.add_action(s, "scope", "Calendar")),
    ("survey token", lambda g, s: g.new_survey_token(s)),
    ("survey comment", lambda g, s: g.save_survey_comment(s, "More demos")),
    ("survey submitted", lambda g, s: g.submit_survey(s)),
]


@pytest.mark.parametrize(("what", "write"), WRITES, ids=[w for w, _ in WRITES])
def test_a_write_for_a_deleted_stakeholder_is_refused_and_writes_nothing(
    gaps: GapStore,
    store: Store,
    stakeholder_store: StakeholderStore,
    ada: int,
    bob: int,
    what: str,
    write: Callable[[GapStore, int], Any],
) -> None:
    rate(gaps, bob, "scope", D1, expectation=5)
    stakeholder_store.delete_stakeholder(ada)
    before = row_counts(store)
    with pytest.raises(NotFoundError) as info:
        write(gaps, ada)
    assert str(info.value) == GONE
    assert row_counts(store) == before
    with pytest.raises(NotFoundError, match=f"^{GONE}$"):
        write(gaps, 999_999)  # never existed


def test_deleting_a_stakeholder_removes_their_gap_figures(
    gaps: GapStore, store: Store, stakeholder_store: StakeholderStore, project: int, ada: int, bob: int
) -> None:
    for sid in (ada, bob):
        rate(gaps, sid, "scope", D1, expectation=5, perception=2, importance=50)
        gaps.save_satisfaction(sid, source="survey", assessed_on=D1, score=2)
        gaps.save_note(sid, "scope", "stated_problem", "Slips")
        gaps.add_action(sid, "scope", "Calendar")
        gaps.new_survey_token(sid)
        gaps.save_survey_comment(sid, "More demos")
    stakeholder_store.delete_stakeholder(ada)  # workbook 1's delete: the cascade does the rest
    for frame in (gaps.ratings(project), gaps.satisfaction(project), gaps.notes(project), gaps.actions(project)):
        assert frame["stakeholder_id"].tolist() == [bob]
    assert row_counts(store) == {
        "gap_dimensions": 0,
        "gap_ratings": 1,
        "satisfaction_scores": 1,
        "gap_notes": 1,
        "gap_actions": 1,
        "status_lights": 0,
        "survey_links": 1,
        "survey_responses": 1,
    }


def test_deleting_a_project_removes_its_dimensions_and_lights(
    gaps: GapStore, store: Store, project: int, ada: int
) -> None:
    gaps.choose_dimensions(project, ["scope"])
    gaps.set_light(project, "scope", "red")
    rate(gaps, ada, "scope", D1, expectation=5)
    with store.write() as conn:  # there is no delete in the UI yet; the schema is ready for it
        conn.execute(projects.delete().where(projects.c.id == project))
    assert sum(row_counts(store).values()) == 0


# -- frames ----------------------------------------------------------------------------------------


def test_an_empty_project_has_empty_frames_with_their_columns(gaps: GapStore, project: int) -> None:
    for frame, columns in (
        (gaps.ratings(project), RATING_COLUMNS),
        (gaps.satisfaction(project), SATISFACTION_COLUMNS),
        (gaps.notes(project), NOTE_COLUMNS),
        (gaps.actions(project), ACTION_COLUMNS),
    ):
        assert frame.empty and list(frame.columns) == columns


# -- several kernels at once -------------------------------------------------------------------------

DIMENSIONS = ("reliability", "schedule", "budget")
FIELDS = ("expectation", "perception", "importance")
DATES = tuple(D2 + dt.timedelta(days=i) for i in range(4))


def _value(dimension: str, field: str, day: dt.date) -> int:
    """What the worker for (dimension, field) saves on ``day``: distinct from the D1 figures (1)."""
    return 2 + (DIMENSIONS.index(dimension) + FIELDS.index(field) + DATES.index(day)) % 5


def _rating_worker(barrier: Any, idx: int, url: str, sid: int, dimension: str, field: str) -> Any:
    """One kernel saving one figure of every dated assessment, racing the others on the same rows."""
    with closing(Store.open(url)) as store:
        gaps = GapStore(store)
        barrier.wait()
        for day in DATES:
            gaps.save_rating(
                sid, dimension, source="survey", assessed_on=day, field=field, value=_value(dimension, field, day)
            )
            if idx == 0:
                gaps.save_satisfaction(sid, source="survey", assessed_on=day, score=3)
            if field == "perception":
                gaps.save_note(sid, dimension, "stated_problem", f"{dimension} {day}")
            if field == "importance":
                gaps.save_note(sid, dimension, "underlying_expectation", f"{dimension} {day}")


def test_kernels_saving_one_assessment_at_once_lose_nothing(
    store_url: str, gaps: GapStore, project: int, ada: int, run_in_processes: RunInProcesses
) -> None:
    for dimension in DIMENSIONS:  # an earlier assessment every new row is carried forward from
        rate(gaps, ada, dimension, D1, source="survey", expectation=1, perception=1, importance=1)
    jobs = [(dimension, field) for dimension in DIMENSIONS for field in FIELDS]
    run_in_processes(_rating_worker, [(i, store_url, ada, d, f) for i, (d, f) in enumerate(jobs)])

    expected = [("Ada", d, "survey", D1, 1, 1, 1) for d in DIMENSIONS] + [
        ("Ada", d, "survey", day, *(_value(d, f, day) for f in FIELDS)) for d in DIMENSIONS for day in DATES
    ]
    assert sorted(figures(gaps, project), key=repr) == sorted(expected, key=repr)
    assert gaps.satisfaction(project)["assessed_on"].tolist() == list(DATES)
    notes = gaps.notes(project)
    assert notes[["dimension", "stated_problem", "underlying_expectation"]].values.tolist() == sorted(
        [d, f"{d} {DATES[-1]}", f"{d} {DATES[-1]}"] for d in DIMENSIONS
    )


def _link_worker(barrier: Any, idx: int, url: str, project: int, sid: int) -> Any:
    """One kernel opening the survey links and choosing the dimensions, as everyone else does."""
    with closing(Store.open(url)) as store:
        gaps = GapStore(store)
        barrier.wait()
        token = gaps.new_survey_token(sid)
        gaps.choose_dimensions(project, [DIMENSIONS[idx % 3], DIMENSIONS[(idx + 1) % 3]])
        return token


def test_kernels_making_a_survey_link_at_once_leave_one_link(
    store_url: str, gaps: GapStore, project: int, ada: int, run_in_processes: RunInProcesses
) -> None:
    tokens = run_in_processes(_link_worker, [(i, store_url, project, ada) for i in range(6)])
    assert len(set(tokens.values())) == 6
    opening = []
    for token in tokens.values():
        try:
            opening.append(gaps.survey(token)["stakeholder_id"])
        except NotFoundError:
            pass
    assert opening == [ada]  # the last one made replaced the others
    assert list(gaps.survey_links(project)) == [ada]
    chosen = gaps.chosen_dimensions(project)
    assert chosen in [[DIMENSIONS[i % 3], DIMENSIONS[(i + 1) % 3]] for i in range(3)]  # one kernel's choice, whole


def test_rating_history_reads_the_ratings_and_the_chosen_dimensions_at_once(
    gaps: GapStore, project: int, ada: int, elsewhere: int
) -> None:
    assert gaps.rating_history(project)[1] is None
    rate(gaps, ada, "reliability", D1, expectation=6, perception=3)
    rate(gaps, elsewhere, "reliability", D1, expectation=1)
    gaps.choose_dimensions(project, ["schedule", "reliability"])
    ratings, chosen = gaps.rating_history(project)
    assert chosen == ["schedule", "reliability"]
    assert list(ratings.columns) == RATING_COLUMNS
    assert ratings.equals(gaps.ratings(project))
    assert all(type(day) is dt.date for day in ratings["assessed_on"])
