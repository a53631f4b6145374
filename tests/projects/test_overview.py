"""The cockpit's rules: open actions overdue first, overdue touchpoints, the last pulse round
and the portfolio's rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cpmkit.gap.status import StatusReport
from cpmkit.projects.overview import (
    OPEN_ACTION_COLUMNS,
    TOUCHPOINT_COLUMNS,
    next_pulse_round,
    open_actions,
    overdue_touchpoints,
    portfolio_table,
)

TODAY = dt.date(2026, 12, 8)
GAP = ["stakeholder", "dimension", "what", "owner", "due", "status"]
RETRO = ["what", "owner", "due", "status"]


def test_open_actions_put_the_longest_overdue_first_and_leave_done_ones_out() -> None:
    gap = pd.DataFrame(
        [
            ["Acme", "schedule", "Publish a calendar", "Dana", dt.date(2026, 12, 20), "open"],
            ["Acme", "budget", "Explain the invoice", "Lee", dt.date(2026, 12, 1), "in progress"],
            ["Acme", "scope", "Done already", "Lee", dt.date(2026, 11, 1), "done"],
        ],
        columns=GAP,
    )
    retro = pd.DataFrame(
        [
            ["Review within a day", "Ana", dt.date(2026, 11, 20), "open"],
            ["Try a new format", None, None, "open"],
            ["Dropped idea", "Ana", dt.date(2026, 11, 1), "dropped"],
        ],
        columns=RETRO,
    )
    found = open_actions(gap, retro, today=TODAY, dimension_names={"budget": "Budget", "schedule": "Schedule"})
    assert list(found.columns) == OPEN_ACTION_COLUMNS
    assert found["what"].tolist() == [
        "Review within a day",
        "Explain the invoice",
        "Publish a calendar",
        "Try a new format",
    ]
    assert found["days_overdue"].tolist() == [18, 7, 0, 0]
    assert found["overdue"].tolist() == [True, True, False, False]
    assert found["page"].tolist() == ["lessons_learned", "expectation_gap", "expectation_gap", "lessons_learned"]
    assert found["about"].tolist()[1] == "Acme, Budget"


def test_no_actions_give_an_empty_frame_with_the_columns() -> None:
    found = open_actions(pd.DataFrame(columns=GAP), pd.DataFrame(columns=RETRO), today=TODAY)
    assert found.empty and list(found.columns) == OPEN_ACTION_COLUMNS


def test_a_datetime_due_counts_by_its_day() -> None:
    retro = pd.DataFrame([["Call back", "Ana", pd.Timestamp("2026-12-07 23:00"), None]], columns=RETRO)
    found = open_actions(pd.DataFrame(columns=GAP), retro, today=TODAY)
    assert found[["due", "days_overdue"]].values.tolist() == [[dt.date(2026, 12, 7), 1]]


def test_overdue_touchpoints_are_the_late_ones_longest_first() -> None:
    plan = pd.DataFrame(
        [
            ["Bo", "email", "Dana", dt.date(2026, 12, 6), True, 2],
            ["Acme", "meeting", "Lee", dt.date(2026, 11, 28), True, 10],
            ["Cy", "call", "Lee", dt.date(2026, 12, 20), False, 0],
        ],
        columns=[*TOUCHPOINT_COLUMNS[:4], "overdue", "days_overdue"],
    )
    found = overdue_touchpoints(plan)
    assert list(found.columns) == TOUCHPOINT_COLUMNS
    assert found["name"].tolist() == ["Acme", "Bo"]


def test_the_next_pulse_round_is_due_a_cadence_after_the_last() -> None:
    rounds = pd.DataFrame(
        [["October", dt.date(2026, 10, 1), 1], ["November", dt.date(2026, 11, 24), 12]],
        columns=["name", "opened_on", "responses"],
    )
    last = "the last, November, opened on 2026-11-24 and has 12 answers."
    assert next_pulse_round(rounds, every_days=21, today=TODAY) == (
        f"The next pulse round is due on 2026-12-15 (every 21 days); {last}",
        False,
    )
    assert next_pulse_round(rounds, every_days=14, today=TODAY) == (
        f"The next pulse round is due today (every 14 days); {last}",
        False,
    )
    assert next_pulse_round(rounds, every_days=7, today=TODAY) == (
        f"The next pulse round was due on 2026-12-01: OVERDUE by 7 day(s) (every 7 days); {last}",
        True,
    )


def test_without_a_cadence_or_a_round_the_sentence_says_what_is_known() -> None:
    rounds = pd.DataFrame([["October", dt.date(2026, 10, 1), 1]], columns=["name", "opened_on", "responses"])
    assert next_pulse_round(rounds, every_days=None, today=TODAY) == (
        "The last pulse round, October, opened on 2026-10-01 and has 1 answer.",
        False,
    )
    sentence, late = next_pulse_round(rounds.iloc[:0], every_days=14, today=TODAY)
    assert sentence.startswith("No pulse round yet") and not late


def test_the_portfolio_has_a_row_per_project_with_its_lights() -> None:
    red = StatusReport(
        lights={"scope": "red", "customer satisfaction": "red"},
        set_lights={"scope": "green"},
        all_red=True,
        reasons=("Every light is red: Acme is dissatisfied.",),
        customers=pd.DataFrame(),
    )
    fine = StatusReport(
        lights={"scope": "green"}, set_lights={"scope": "green"}, all_red=False, reasons=(), customers=pd.DataFrame()
    )
    projects = [{"id": 1, "name": "Apollo"}, {"id": 2, "name": "Borealis"}, {"id": 3, "name": "Cygnus"}]
    table = portfolio_table(projects, {1: red, 2: fine, 3: "The status lights could not be read."})
    assert table["name"].tolist() == ["Apollo", "Borealis", "Cygnus"]
    assert table["all_red"].tolist() == [True, False, False]
    assert table["lights"].tolist()[0] == {"scope": "red", "customer satisfaction": "red"}
    assert table["reason"].tolist() == [
        "Every light is red: Acme is dissatisfied.",
        "",
        "The status lights could not be read.",
    ]
