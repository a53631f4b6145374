"""Unit tests of cpmkit.feedback.trends: each trend table from plain frames, with no sessions,
one session and several; cards classified by the feedback taxonomy and recurring themes;
actions agreed, carried over while still open and done by the next retrospective; pulse
figures with their n and the small-n mark; the weighted gap per assessment date, built on
workbook 3's own scoring."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from cpmkit.feedback import trends
from cpmkit.feedback.pulse.template import UNTHEMED, feedback_taxonomy, pulse_survey
from cpmkit.feedback.scores import SMALL_N
from cpmkit.gap import rules as gap

BOARDS = pd.DataFrame(
    {
        "id": [11, 12, 13],
        "project_id": [1, 1, 1],
        "title": ["Sprint 1", "Sprint 2", "Sprint 2"],
        # Held out of id order: the second board made is the last retrospective held.
        "created_at": [dt.datetime(2026, 1, 5, 9), dt.datetime(2026, 3, 5, 9), dt.datetime(2026, 2, 5, 9)],
        # The last is still running.
        "finished_at": [dt.datetime(2026, 1, 5, 12), None, dt.datetime(2026, 2, 5, 12)],
    }
)
CARDS = pd.DataFrame(
    {
        "board_id": [11, 11, 13, 12, 12],
        "text": [
            "Communication with the client was slow",
            "Scope creep again",
            "Great demo",
            "Poor communication on the release",
            "<b>scope</b> keeps changing",
        ],
    }
)


def _action(
    action_id: int, board_id: int | None, status: str, created: dt.datetime, closed: dt.datetime | None
) -> dict[str, Any]:
    return {
        "id": action_id,
        "project_id": 1,
        "board_id": board_id,
        "status": status,
        "created_at": created,
        "closed_at": closed,
    }


ACTIONS = pd.DataFrame(
    [
        # Agreed at the first; done before the second: completed by the next, never carried.
        _action(1, 11, "done", dt.datetime(2026, 1, 5, 10), dt.datetime(2026, 1, 20)),
        # Agreed at the first; done between the second and the third: carried into the second only.
        _action(2, 11, "done", dt.datetime(2026, 1, 5, 10), dt.datetime(2026, 2, 20)),
        # Agreed at the first, still open: carried into both later ones.
        _action(3, 11, "open", dt.datetime(2026, 1, 5, 10), None),
        # Agreed at the second (board 13), dropped before the third: closed, not done.
        _action(4, 13, "dropped", dt.datetime(2026, 2, 5, 10), dt.datetime(2026, 2, 10)),
        # Agreed at the last, done since: done so far.
        _action(5, 12, "done", dt.datetime(2026, 3, 5, 10), dt.datetime(2026, 3, 10)),
    ]
).astype({"board_id": "Int64"})


def test_too_few_sessions_is_a_sentence() -> None:
    assert trends.too_few(1, what="retrospective") == "Trends need two retrospectives; this project has one."
    assert trends.too_few(0, what="gap assessment") == "Trends need two gap assessments; this project has none yet."
    assert trends.too_few(2, what="retrospective") is None


def test_retrospectives_run_in_the_order_held_with_labels_told_apart() -> None:
    held = trends.retrospectives(BOARDS)
    assert held["board_id"].tolist() == [11, 13, 12]
    assert held["retrospective"].tolist() == ["Sprint 1 (2026-01-05)", "Sprint 2 (2026-02-05)", "Sprint 2 (2026-03-05)"]
    twice = pd.DataFrame({"id": [1, 2], "title": ["Retro", "Retro"], "created_at": [dt.datetime(2026, 1, 1)] * 2})
    assert trends.retrospectives(twice)["retrospective"].tolist() == ["Retro (2026-01-01)", "Retro (2026-01-01) #2"]


def test_cards_are_classified_by_the_taxonomy_per_retrospective() -> None:
    trend = trends.theme_trend(BOARDS, CARDS, feedback_taxonomy())
    assert list(trend.columns) == trends.THEME_TREND_COLUMNS
    assert trend["retrospective"].drop_duplicates().tolist() == [
        "Sprint 1 (2026-01-05)",
        "Sprint 2 (2026-02-05)",
        "Sprint 2 (2026-03-05)",
    ]
    counted = trend[trend["cards"] > 0].set_index(["board_id", "theme"])["cards"].to_dict()
    assert counted == {
        (11, "communication"): 1,
        (11, "scope"): 1,
        (13, UNTHEMED): 1,
        (12, "communication"): 1,
        (12, "scope"): 1,
    }
    # Every retrospective has a row for every theme (zero where no card mentions it).
    assert len(trend) == 3 * (len(feedback_taxonomy().themes) + 1)


def test_a_theme_recurs_in_two_retrospectives_and_unthemed_never_does() -> None:
    cards = pd.concat([CARDS, pd.DataFrame({"board_id": [12], "text": ["Nice cake"]})], ignore_index=True)
    trend = trends.theme_trend(BOARDS, cards, feedback_taxonomy())
    recurring = trends.recurring_themes(trend)
    assert recurring[["theme", "retrospectives", "cards"]].values.tolist() == [
        ["communication", 2, 2],
        ["scope", 2, 2],
    ]
    unthemed = trend[trend["theme"] == UNTHEMED]
    assert set(unthemed["retrospectives"]) == {2} and not unthemed["recurring"].any()


def test_themes_of_no_cards_and_of_one_retrospective() -> None:
    empty = trends.theme_trend(BOARDS, CARDS.iloc[0:0], feedback_taxonomy())
    assert empty.empty and list(empty.columns) == trends.THEME_TREND_COLUMNS
    assert trends.recurring_themes(empty).empty
    one = trends.theme_trend(BOARDS, CARDS[CARDS["board_id"] == 11], feedback_taxonomy())
    assert one["retrospective"].nunique() == 1
    assert not one["recurring"].any()
    assert trends.too_few(one["retrospective"].nunique(), what="retrospective") is not None


def test_cards_of_boards_not_given_are_left_out() -> None:
    """A health check's board is not a retrospective: its cards (if any) count for nothing."""
    others = pd.DataFrame({"board_id": [99], "text": ["Communication"]})
    assert trends.theme_trend(BOARDS, others, feedback_taxonomy()).empty


def test_actions_agreed_carried_over_and_done_by_the_next() -> None:
    table = trends.action_trend(BOARDS, ACTIONS)
    assert list(table.columns) == trends.ACTION_TREND_COLUMNS
    assert table[["board_id", "created", "carried_over", "completed_by_next", "next_held"]].values.tolist() == [
        [11, 3, 0, 1, True],  # 1 done before the next; 2 and 3 were not
        [13, 1, 2, 0, True],  # 2 and 3 still open when it began; 4 was dropped, not done
        [12, 1, 1, 1, False],  # 3 still open; 5 done so far
    ]


def test_an_action_of_a_deleted_board_is_carried_over() -> None:
    actions = pd.DataFrame([_action(7, None, "in progress", dt.datetime(2026, 1, 1), None)]).astype(
        {"board_id": "Int64"}
    )
    table = trends.action_trend(BOARDS, actions)
    assert table["carried_over"].tolist() == [1, 1, 1]
    assert table["created"].tolist() == [0, 0, 0]


def test_an_open_action_is_carried_into_the_retrospectives_held_after_its_own() -> None:
    """Board 13 was held before board 12: its open action is carried into 12, ids notwithstanding."""
    actions = pd.DataFrame([_action(6, 13, "open", dt.datetime(2026, 2, 5, 10), None)]).astype({"board_id": "Int64"})
    table = trends.action_trend(BOARDS, actions)
    assert table[["board_id", "created", "carried_over"]].values.tolist() == [[11, 0, 0], [13, 1, 0], [12, 0, 1]]


def test_an_action_marked_done_while_the_next_retrospective_reviews_it_counts() -> None:
    """Done by the next: closed up to the end of the next retrospective (its finished_at), as teams
    mark actions done during its review; without a finished_at, up to the start of the one after."""
    actions = pd.DataFrame(
        [
            _action(6, 11, "done", dt.datetime(2026, 1, 5, 10), dt.datetime(2026, 2, 5, 11)),  # during 13's review
            _action(7, 11, "done", dt.datetime(2026, 1, 5, 10), dt.datetime(2026, 2, 5, 13)),  # after 13 finished
        ]
    ).astype({"board_id": "Int64"})
    assert trends.action_trend(BOARDS, actions)["completed_by_next"].tolist() == [1, 0, 0]
    running = BOARDS.assign(finished_at=None)  # 13 never finished: up to the start of 12
    assert trends.action_trend(running, actions)["completed_by_next"].tolist() == [2, 0, 0]


def test_actions_of_no_retrospectives_and_of_one() -> None:
    assert trends.action_trend(BOARDS.iloc[0:0], ACTIONS).empty
    one = trends.action_trend(BOARDS.iloc[:1], ACTIONS[ACTIONS["board_id"] == 11])
    assert one[["created", "carried_over", "completed_by_next", "next_held"]].values.tolist() == [[3, 0, 2, False]]


RESPONSES = pd.DataFrame(
    {
        "round": ["June"] * 3 + ["May"] * 6,
        "submitted_at": [dt.datetime(2026, 6, 2)] * 3 + [dt.datetime(2026, 5, 2)] * 6,
        "recommend": pd.array([10, 9, 3, 9, 9, 9, 10, 6, 7], dtype="Int64"),
        "satisfaction": pd.array([None] * 3 + [4, 4, 5, 3, 4, 4], dtype="Int64"),
        "progress": pd.array([3, 4, None, 4, 4, 5, 3, 4, 4], dtype="Int64"),
        "as_expected": pd.array([2] * 9, dtype="Int64"),
        "information": pd.array([5] * 9, dtype="Int64"),
        "anything_else": [None] * 9,
    }
)


def test_pulse_per_round_has_every_measure_with_its_n() -> None:
    trend = trends.pulse_trend(RESPONSES, pulse_survey())[0]
    assert list(trend.columns) == trends.PULSE_COLUMNS
    assert trend["round"].drop_duplicates().tolist() == ["May", "June"]  # the order they ran
    figures = trend.set_index(["round", "measure"])
    assert figures.loc[("May", "nps"), "value"] == pytest.approx(100 * (4 - 1) / 6)
    assert figures.loc[("June", "nps"), ["n", "small_n"]].tolist() == [3, True]
    assert figures.loc[("May", "csat"), ["value", "n", "small_n"]].tolist() == [pytest.approx(500 / 6), 6, False]
    assert figures.loc[("June", "progress"), ["value", "n"]].tolist() == [3.5, 2]
    assert set(trend["measure"]) == {"nps", "csat", "progress", "as_expected", "information"}
    assert figures.loc[("May", "progress"), ["low", "high"]].tolist() == [1, 5]


def test_a_round_no_one_answered_a_question_is_n_0_not_a_score_of_0() -> None:
    figures = trends.pulse_trend(RESPONSES, pulse_survey())[0].set_index(["round", "measure"])
    assert figures.loc[("June", "csat"), "n"] == 0
    assert pd.isna(figures.loc[("June", "csat"), "value"])


def test_the_pulse_table_writes_each_figure_with_n_and_few_answers() -> None:
    table, headings = trends.pulse_table(trends.pulse_trend(RESPONSES, pulse_survey(), small_n=SMALL_N)[0])
    assert list(headings)[:3] == ["round", "nps", "csat"]
    assert headings["progress"] == "Are you comfortable with progress?"
    rows = table.set_index("round")
    assert rows.loc["May", "nps"] == "50 (n = 6)"
    assert rows.loc["June", "nps"] == "33 (n = 3, few answers)"
    assert rows.loc["June", "csat"] == "not answered (n = 0)"
    assert rows.loc["May", "csat"] == "83% (n = 6)"
    assert rows.loc["June", "progress"] == "3.5 (n = 2, few answers)"
    assert table["round"].tolist() == ["May", "June"]


def test_a_comfort_question_answered_outside_its_scale_is_left_out_with_why() -> None:
    """One answer of 7 on a 1-5 question (its scale narrowed after answers were saved): that
    question is left out, saying why; NPS, CSAT and the other comfort questions are drawn."""
    responses = RESPONSES.assign(progress=RESPONSES["progress"].replace(5, 7))
    trend, left_out = trends.pulse_trend(responses, pulse_survey())
    assert set(trend["measure"]) == {"nps", "csat", "as_expected", "information"}
    assert left_out == [
        "Are you comfortable with progress?: left out, answers outside 1-5: was the question's scale changed?"
    ]
    assert trends.pulse_trend(RESPONSES, pulse_survey())[1] == []


def test_pulse_of_no_responses_and_of_one_round() -> None:
    assert trends.pulse_trend(RESPONSES.iloc[0:0], pulse_survey())[0].empty
    one = trends.pulse_trend(RESPONSES[RESPONSES["round"] == "May"], pulse_survey())[0]
    assert one["round"].nunique() == 1
    assert trends.too_few(1, what="pulse round") == "Trends need two pulse rounds; this project has one."


def _rating(
    who: int, dimension: str, day: dt.date, expectation: int, perception: int, importance: int
) -> dict[str, Any]:
    return {
        "stakeholder_id": who,
        "stakeholder": f"S{who}",
        "dimension": dimension,
        "source": "pm_estimate",
        "assessed_on": day,
        "expectation": expectation,
        "perception": perception,
        "importance": importance,
    }


JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)
RATINGS = pd.DataFrame(
    [
        _rating(1, "quality", JAN, 6, 3, 60),
        _rating(1, "speed", JAN, 5, 5, 40),
        _rating(2, "quality", JAN, 5, 4, 50),
        _rating(2, "speed", JAN, 6, 4, 50),
        # In February only stakeholder 1 is assessed again; stakeholder 2's January figures still count.
        _rating(1, "quality", FEB, 6, 5, 60),
        _rating(1, "speed", FEB, 5, 4, 40),
    ]
)


def test_the_weighted_gap_per_assessment_date_uses_the_gap_workbooks_scoring() -> None:
    trend = trends.weighted_gap_trend(RATINGS, sources=["pm_estimate"], dimensions=["quality", "speed"])
    assert list(trend.columns) == trends.GAP_TREND_COLUMNS
    for day in (JAN, FEB):
        known = gap.current_ratings(RATINGS[RATINGS["assessed_on"] <= day], sources=["pm_estimate"])
        table = gap.gap_table(known, dimensions=["quality", "speed"])
        mine = trend[trend["assessed_on"] == day].set_index("dimension")
        for dimension in ("quality", "speed"):
            rows = table[table["dimension"] == dimension]
            expected = (rows["gap"] * rows["weight"]).sum() / rows["weight"].sum()
            assert mine.loc[dimension, "weighted_gap"] == pytest.approx(expected)
        overall = table.groupby("stakeholder_id")["weighted_gap"].sum().mean()
        assert mine.loc[trends.OVERALL, "weighted_gap"] == pytest.approx(overall)
        assert mine.loc[trends.OVERALL, "stakeholders"] == 2
    january = trend[trend["assessed_on"] == JAN].set_index("dimension")["weighted_gap"]
    # quality: (S1 -3 x 0.6 + S2 -1 x 0.5) / 1.1; speed: (S1 0 x 0.4 + S2 -2 x 0.5) / 0.9;
    # overall: S1 -3 x 0.6 + 0 x 0.4 = -1.8, S2 -1 x 0.5 - 2 x 0.5 = -1.5, their mean.
    assert january.to_dict() == pytest.approx({"quality": -2.3 / 1.1, "speed": -1 / 0.9, trends.OVERALL: -1.65})


def test_the_overall_gap_lies_among_the_dimensions_gaps() -> None:
    """One scale: each figure is a gap (perceived - expected), so the overall, a mean of the
    stakeholders' weighted mean gaps, is never below every dimension nor above every one."""
    trend = trends.weighted_gap_trend(RATINGS, sources=["pm_estimate"], dimensions=["quality", "speed"])
    for _, day in trend.groupby("assessed_on"):
        figures = day.set_index("dimension")["weighted_gap"]
        dimensions = figures.drop(trends.OVERALL)
        assert dimensions.min() <= figures[trends.OVERALL] <= dimensions.max()


def test_the_gap_trend_of_chosen_dimensions_only_and_of_nothing() -> None:
    trend = trends.weighted_gap_trend(RATINGS, sources=["pm_estimate"], dimensions=["speed"])
    assert set(trend["dimension"]) == {"speed", trends.OVERALL}
    # Weighted within the chosen dimensions: speed is all of each stakeholder's importance.
    assert trend.set_index(["assessed_on", "dimension"]).loc[(JAN, "speed"), "weighted_gap"] == pytest.approx(-1.0)
    assert trends.weighted_gap_trend(RATINGS.iloc[0:0], sources=["pm_estimate"], dimensions=["speed"]).empty
    assert trends.weighted_gap_trend(RATINGS, sources=["stakeholder"], dimensions=["speed"]).empty
    one = trends.weighted_gap_trend(
        RATINGS[RATINGS["assessed_on"] == JAN], sources=["pm_estimate"], dimensions=["speed"]
    )
    assert one["assessed_on"].nunique() == 1
