"""Unit tests of cpmkit.feedback.retro.rules, the retrospective's pure logic: phases and what each allows,
groups of cards with their votes, the vote limit (cap, default, counting, the refusal once all are used),
which cards and votes are a member's own, top groups, carried-over actions, and a board's status
(finished, archived, reopened) as pure updates; facilitation: private writing and its reveal, the
phase's timer, who is ready, vote limits per column."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback.retro import rules as retro
from cpmkit.feedback.retro.rules import (
    ACTION_STATUSES,
    GROUP_COLUMNS,
    MAX_VOTES,
    OPEN_STATUSES,
    PHASE_RULES,
    PHASES,
    TALLY_PHASES,
    allows,
    carried_actions,
    check_phase,
    check_vote_left,
    groups,
    my_cards,
    my_votes,
    next_phase,
    previous_phase,
    shows_tally,
    top_groups,
    vote_limit,
    vote_limit_problem,
    votes_left,
    votes_used,
)

T0 = pd.Timestamp("2026-03-01 10:00")


def cards(*rows: tuple[int, str, str, int | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "column_id", "text", "group_id"]).astype({"group_id": "Int64"})


def votes(*pairs: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["card_id", "member_id"])


# -- phases ----------------------------------------------------------------------------------


def test_phases_go_forward_and_back_one_at_a_time() -> None:
    assert PHASES == ("collect", "group", "vote", "discuss", "act")
    assert [next_phase(p) for p in PHASES] == ["group", "vote", "discuss", "act", None]
    assert [previous_phase(p) for p in PHASES] == [None, "collect", "group", "vote", "discuss"]


def test_an_unknown_phase_is_refused() -> None:
    with pytest.raises(ValidationError, match="'review' is not one of: collect"):
        next_phase("review")


@pytest.mark.parametrize(
    ("what", "phases"),
    [
        ("add cards", {"collect", "group"}),
        ("change cards", {"collect", "group"}),
        ("group cards", {"group"}),
        ("vote", {"vote"}),
        ("add actions", {"discuss", "act"}),
    ],
)
def test_each_phase_allows_its_own_work(what: str, phases: set[str]) -> None:
    assert {p for p in PHASES if allows(p, what)} == phases
    assert set(PHASE_RULES[what]) == phases


def test_check_phase_says_when_it_can_be_done() -> None:
    check_phase("vote", "vote")
    with pytest.raises(ValidationError) as info:
        check_phase("collect", "vote")
    assert str(info.value) == "You can vote only in the vote phase; this board is in the collect phase now."
    with pytest.raises(ValidationError, match="add cards only in the collect and group phase"):
        check_phase("act", "add cards")


# -- groups and votes ------------------------------------------------------------------------


def test_groups_gather_cards_under_their_lead_and_count_every_vote_in_the_group() -> None:
    board = cards(
        (1, "wind", "Demos", None),
        (2, "anchors", "Slow reviews", None),
        (3, "wind", "Demos help", 1),
        (4, "wind", "Show work", 1),
    )
    grouped = groups(board, votes((1, 10), (3, 11), (2, 10)))
    assert list(grouped.columns) == GROUP_COLUMNS
    assert grouped.to_dict("records") == [
        {
            "card_id": 1,
            "column_id": "wind",
            "text": "Demos",
            "member_ids": [3, 4],
            "members": ["Demos help", "Show work"],
            "votes": 2,
        },
        {"card_id": 2, "column_id": "anchors", "text": "Slow reviews", "member_ids": [], "members": [], "votes": 1},
    ]


def test_groups_with_equal_votes_keep_the_earliest_card_first() -> None:
    board = cards((5, "a", "later", None), (2, "a", "earlier", None), (9, "b", "no votes", None))
    grouped = groups(board, votes((5, 1), (2, 1)))
    assert grouped["card_id"].tolist() == [2, 5, 9]
    assert grouped["votes"].tolist() == [1, 1, 0]


def test_a_card_under_a_missing_lead_leads_itself_and_chains_are_followed() -> None:
    board = cards(
        (1, "a", "lead", None),
        (2, "a", "chained", 3),
        (3, "a", "member", 1),
        (4, "a", "orphan", 99),
        (5, "a", "loop", 6),
        (6, "a", "loop2", 5),
    )
    grouped = groups(board, votes((2, 1), (99, 1)))  # a vote on a card not in the frame is ignored
    assert grouped.set_index("card_id")["member_ids"].to_dict() == {1: [2, 3], 4: [], 5: [6]}
    assert grouped.set_index("card_id")["votes"].to_dict() == {1: 1, 4: 0, 5: 0}


def test_groups_of_an_empty_board() -> None:
    grouped = groups(cards(), votes())
    assert grouped.empty and list(grouped.columns) == GROUP_COLUMNS


def test_groups_need_their_columns() -> None:
    with pytest.raises(ValidationError, match="group_id"):
        groups(pd.DataFrame({"id": [1], "column_id": ["a"], "text": ["x"]}), votes())


def test_top_groups_are_the_most_voted_or_the_first_when_nobody_voted() -> None:
    board = cards((1, "a", "one", None), (2, "a", "two", None), (3, "a", "three", None))
    assert top_groups(groups(board, votes((3, 1), (3, 2), (2, 1))), 1)["card_id"].tolist() == [3]
    assert top_groups(groups(board, votes((3, 1))), 3)["card_id"].tolist() == [3]  # unvoted groups are not top
    assert top_groups(groups(board, votes()), 2)["card_id"].tolist() == [1, 2]
    assert top_groups(groups(board, votes()), -1).empty


def test_votes_left_counts_each_vote_of_the_member() -> None:
    cast = votes((1, 7), (1, 7), (2, 7), (1, 8))
    assert votes_left(cast, 7, 5) == 2
    assert votes_left(cast, 8, 5) == 4
    assert votes_left(cast, 9, 5) == 5
    assert votes_left(cast, 7, 2) == 0  # never below zero, even if the limit was lowered
    assert [votes_used(cast, m) for m in (7, 8, 9)] == [3, 1, 0]


def test_the_tally_shows_once_the_votes_are_counted() -> None:
    assert TALLY_PHASES == ("discuss", "act")
    assert [p for p in PHASES if shows_tally(p)] == ["discuss", "act"]


# -- the vote limit --------------------------------------------------------------------------


def test_a_vote_limit_entered_is_a_whole_number_up_to_the_cap_or_the_default() -> None:
    assert MAX_VOTES == 20
    assert [vote_limit(v, 5) for v in (3, "3", " 3 ", 3.0, MAX_VOTES, None, "", "  ")] == [3, 3, 3, 3, 20, 5, 5, 5]
    for bad in (0, -1, MAX_VOTES + 1, 2.5, "many", True):
        with pytest.raises(ValidationError, match=f"Votes per member: must be a whole number from 1 to {MAX_VOTES}"):
            vote_limit(bad, 5)


def test_a_vote_limit_in_a_content_file_must_be_a_whole_number_up_to_the_cap() -> None:
    assert vote_limit_problem(1) is None and vote_limit_problem(MAX_VOTES) is None
    for bad in (0, MAX_VOTES + 1, True, "3", 3.0, None):
        assert vote_limit_problem(bad) == f"must be a whole number from 1 to {MAX_VOTES}, not {bad!r}."


def test_one_more_vote_is_refused_once_all_are_used() -> None:
    assert check_vote_left(0, 3) == 2
    assert check_vote_left(2, 3) == 0
    for used in (3, 4):  # 4: the limit was lowered after the votes
        with pytest.raises(ValidationError) as info:
            check_vote_left(used, 3)
        assert str(info.value) == "You have used all 3 of your votes; take one back to vote for something else."


# -- a member's own cards and votes ------------------------------------------------------------


def test_my_cards_are_those_a_member_posted_anonymous_or_not() -> None:
    board = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "member_id": pd.array([7, 8, 7, None], dtype="Int64"),
            "anonymous": [False, False, True, False],
        }
    )
    assert my_cards(board, 7) == {1, 3}
    assert my_cards(board, 8) == {2}
    assert my_cards(board, 9) == frozenset()
    assert my_cards(board.head(0), 7) == frozenset()


def test_my_votes_count_a_members_votes_by_card() -> None:
    cast = votes((1, 7), (1, 7), (2, 7), (1, 8))
    assert my_votes(cast, 7) == {1: 2, 2: 1}
    assert my_votes(cast, 8) == {1: 1}
    assert my_votes(cast, 9) == {} == my_votes(votes(), 7)


# -- carried actions -------------------------------------------------------------------------


def actions(*rows: tuple[int, int, int | None, str, pd.Timestamp, pd.Timestamp | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "project_id", "board_id", "status", "created_at", "closed_at"]).astype(
        {"board_id": "Int64", "closed_at": "datetime64[ns]"}
    )


def test_statuses() -> None:
    assert ACTION_STATUSES == ("open", "in progress", "done", "dropped")
    assert OPEN_STATUSES == ("open", "in progress")


def test_carried_actions_are_open_ones_of_earlier_boards_of_the_project_oldest_first() -> None:
    day = pd.Timedelta(days=1)
    frame = actions(
        (1, 1, 1, "done", T0, T0),  # closed before this board: reviewed already
        (2, 1, 2, "in progress", T0 + day, None),
        (3, 1, 1, "open", T0 + 2 * day, None),
        (4, 1, 5, "open", T0 + 3 * day, None),  # this board's own
        (5, 1, 7, "open", T0 + 3 * day, None),  # a later board's
        (6, 2, 1, "open", T0, None),  # another project's
        (7, 1, None, "open", T0 - day, None),  # its board was deleted: still carried
        (8, 1, 2, "done", T0, T0 + 4 * day),  # closed during this retrospective: still shown, after the open ones
    )
    board = {"id": 5, "project_id": 1, "created_at": T0 + 3 * day}
    assert carried_actions(frame, board)["id"].tolist() == [7, 2, 3, 8]


def test_carried_actions_of_a_first_board_are_none() -> None:
    assert carried_actions(actions((1, 1, 1, "open", T0, None)), {"id": 1, "project_id": 1, "created_at": T0}).empty


def test_a_closed_action_edited_later_is_not_carried_again() -> None:
    day = pd.Timedelta(days=1)
    frame = actions((1, 1, 1, "done", T0, T0)).assign(updated_at=T0 + 10 * day)  # its owner corrected since
    assert carried_actions(frame, {"id": 2, "project_id": 1, "created_at": T0 + 5 * day}).empty


# -- finishing, archiving and reopening a board ------------------------------------------------

OPEN_BOARD: dict[str, Any] = {"id": 1, "phase": "act", "finished_at": None, "archived_at": None}
LATER = pd.Timestamp("2026-03-02 11:00")


def test_a_board_is_open_until_finished_or_archived() -> None:
    assert retro.board_status(OPEN_BOARD) == "open" and retro.closed_problem(OPEN_BOARD) is None
    assert retro.board_status({"phase": "act"}) == "open", "a row from before revision 0005"
    assert retro.board_status({**OPEN_BOARD, "finished_at": pd.NaT}) == "open"
    assert retro.board_status({**OPEN_BOARD, "finished_at": LATER}) == "finished"
    assert retro.board_status({**OPEN_BOARD, "finished_at": LATER, "archived_at": LATER}) == "archived"
    assert set(retro.BOARD_STATUSES) == {"open", "finished", "archived"}


def test_finishing_is_a_pure_update_at_the_last_phase_only() -> None:
    done = retro.finished(OPEN_BOARD, LATER)
    assert done == {**OPEN_BOARD, "finished_at": LATER} and OPEN_BOARD["finished_at"] is None
    with pytest.raises(ValidationError, match="only in its last phase, act; it is in vote"):
        retro.finished({**OPEN_BOARD, "phase": "vote"}, LATER)
    with pytest.raises(ValidationError, match="This retrospective is finished"):
        retro.finished(done, LATER)


def test_a_closed_board_refuses_changes_with_a_plain_message() -> None:
    retro.check_open(OPEN_BOARD)
    with pytest.raises(ValidationError, match="finished: nothing on it can change now"):
        retro.check_open({**OPEN_BOARD, "finished_at": LATER})
    with pytest.raises(ValidationError, match="This board is archived: nothing on it can change"):
        retro.check_open({**OPEN_BOARD, "archived_at": LATER})


def test_archiving_and_reopening_bring_a_board_back_as_it_was() -> None:
    for before in (OPEN_BOARD, retro.finished(OPEN_BOARD, LATER), {**OPEN_BOARD, "phase": "collect"}):
        shelved = retro.archived(before, LATER)
        assert retro.board_status(shelved) == "archived"
        with pytest.raises(ValidationError, match="archived already"):
            retro.archived(shelved, LATER)
        assert retro.reopened(shelved) == {**before, "archived_at": None}
    with pytest.raises(ValidationError, match="Only an archived board can be reopened"):
        retro.reopened(OPEN_BOARD)


# -- facilitation ----------------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 10, 0, 0)


def board(phase: str = "collect", **values: Any) -> dict[str, Any]:
    return {"id": 5, "phase": phase, "format": "sailboat", "votes_per_member": 3, **values}


def members(*rows: tuple[int, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([(*row, False) for row in rows], columns=["id", "name", "ready_phase", "facilitating"])


def test_check_phase_names_three_phases_plainly() -> None:
    with pytest.raises(ValidationError) as info:
        check_phase("discuss", "set vote limits")
    assert str(info.value).startswith("You can set vote limits only in the collect, group and vote phase;")


def test_cards_written_privately_are_hidden_from_others_until_revealed_or_the_board_moves_on() -> None:
    written = pd.DataFrame({"id": [1, 2, 3], "member_id": pd.array([7, 8, None], dtype="Int64")})
    private = board(private_writing=True, revealed_at=None)
    assert retro.hides_cards(private)
    assert retro.visible_cards(written, private, 7)["id"].tolist() == [1]
    assert retro.visible_cards(written, private, None).empty  # the PM's panel: nobody's own
    for open_board in (board(private_writing=False), {**private, "revealed_at": T0}, {**private, "phase": "group"}):
        assert not retro.hides_cards(open_board)
        assert retro.visible_cards(written, open_board, 7)["id"].tolist() == [1, 2, 3]


def test_private_writing_is_chosen_while_collecting_and_never_hides_revealed_cards() -> None:
    assert retro.with_private_writing(board(), True, NOW, cards=0)["private_writing"] is True
    assert retro.with_private_writing(board(private_writing=True), False, NOW, cards=0)["private_writing"] is False
    with pytest.raises(ValidationError, match="only in the collect phase"):
        retro.with_private_writing(board("group"), True, NOW, cards=0)
    with pytest.raises(ValidationError, match="shown already"):
        retro.with_private_writing(board(private_writing=True, revealed_at=T0), True, NOW, cards=0)
    with pytest.raises(ValidationError, match="finished"):
        retro.with_private_writing(board(finished_at=T0), True, NOW, cards=0)


def test_turning_private_writing_off_on_a_hidden_board_reveals_it_for_good() -> None:
    hidden = board(private_writing=True, revealed_at=None)
    unticked = retro.with_private_writing(hidden, False, NOW, cards=2)
    assert unticked["revealed_at"] == NOW and not retro.hides_cards(unticked)
    assert retro.private_writing_problem(unticked, 2) is not None
    with pytest.raises(ValidationError, match="shown already"):
        retro.with_private_writing(unticked, True, NOW, cards=2)  # ticked again: what all saw stays


def test_a_board_written_in_the_open_is_never_hidden_once_shown() -> None:
    written = retro.with_private_writing(board(private_writing=False), True, NOW, cards=0)  # nothing written yet
    assert written["private_writing"] is True
    with pytest.raises(ValidationError, match="written in the open"):
        retro.with_private_writing(board(private_writing=False), True, NOW, cards=1)
    grouped = retro.moved_to(board(private_writing=False, revealed_at=None), "group", NOW)
    assert grouped["revealed_at"] == NOW  # leaving collect shows the cards, private or not
    back = retro.moved_to(grouped, "collect", NOW)
    with pytest.raises(ValidationError, match="shown already"):
        retro.with_private_writing(back, True, NOW, cards=0)


def test_reveal_sets_the_time_once_and_only_for_private_writing() -> None:
    shown = retro.revealed(board(private_writing=True, revealed_at=None), NOW)
    assert shown["revealed_at"] == NOW and not retro.hides_cards(shown)
    assert retro.revealed(shown, NOW + dt.timedelta(hours=1))["revealed_at"] == NOW
    with pytest.raises(ValidationError, match="written in the open: there is nothing to reveal"):
        retro.revealed(board(private_writing=False), NOW)
    with pytest.raises(ValidationError, match="archived"):
        retro.revealed(board(private_writing=True, archived_at=T0), NOW)


def test_a_new_phase_clears_the_timer_and_leaving_collect_reveals() -> None:
    running = board(private_writing=True, revealed_at=None, timer_phase="collect", timer_ends_at=NOW)
    moved = retro.moved_to(running, "group", NOW)
    assert (moved["phase"], moved["timer_phase"], moved["timer_ends_at"], moved["revealed_at"]) == (
        "group",
        None,
        None,
        NOW,
    )
    back = retro.moved_to(moved, "collect", NOW + dt.timedelta(minutes=5))
    assert back["revealed_at"] == NOW and not retro.hides_cards(back)  # not hidden again
    assert retro.moved_to(running, "collect", NOW) == running  # no move: the timer runs on
    assert retro.moved_to(board(private_writing=False), "vote", NOW)["revealed_at"] == NOW
    with pytest.raises(ValidationError, match="Phase: 'review' is not one of"):
        retro.moved_to(running, "review", NOW)


@pytest.mark.parametrize(("given", "minutes"), [("5", 5), (1, 1), (" 60 ", 60), (3.0, 3)])
def test_a_timer_runs_for_the_minutes_given_in_the_current_phase(given: Any, minutes: int) -> None:
    started = retro.timer_started(board("vote"), given, NOW)
    assert (started["timer_phase"], started["timer_ends_at"]) == ("vote", NOW + dt.timedelta(minutes=minutes))
    assert retro.timer_end(started) == NOW + dt.timedelta(minutes=minutes)
    assert retro.timer_end({**started, "phase": "discuss"}) is None  # a timer of another phase
    assert retro.timer_end(retro.timer_stopped(started)) is None


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "Minutes: cannot be empty."),
        ("abc", "Minutes: must be a whole number from 1 to 60, not 'abc'."),
        (0, "Minutes: must be a whole number from 1 to 60"),
        ("61", "Minutes: must be a whole number from 1 to 60"),
        ("2.5", "Minutes: must be a whole number from 1 to 60"),
    ],
)
def test_a_bad_timer_gets_a_plain_message(given: Any, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        retro.timer_started(board(), given, NOW)
    assert str(info.value).startswith(words)


def test_a_timer_counts_down_in_minutes_and_seconds_then_time_is_up() -> None:
    ends = NOW + dt.timedelta(minutes=3, seconds=12)
    assert retro.timer_text(retro.seconds_left(ends, NOW)) == "3:12 left"
    assert retro.timer_text(retro.seconds_left(ends, ends - dt.timedelta(milliseconds=300))) == "0:01 left"
    assert retro.seconds_left(ends, ends) == 0 and retro.seconds_left(ends, ends + dt.timedelta(hours=1)) == 0
    assert retro.timer_text(0) == "Time is up"
    assert retro.timer_text(3600) == "60:00 left"
    with pytest.raises(ValidationError, match="finished"):
        retro.timer_started(board(finished_at=T0), 5, NOW)
    with pytest.raises(ValidationError, match="archived"):
        retro.timer_stopped(board(archived_at=T0))


def test_ready_counts_only_in_the_phase_the_board_is_in() -> None:
    team = members((1, "Ana", "vote"), (2, "Ben", "group"), (3, "Cy", None), (4, "Di", "vote"))
    assert retro.ready_members(team, "vote")["name"].tolist() == ["Ana", "Di"]
    assert retro.ready_members(team, "discuss").empty


def test_column_limits_are_whole_numbers_up_to_the_boards_votes_blank_for_none() -> None:
    labels = {"wind": "Wind", "anchors": "Anchors"}
    assert retro.column_limits({"wind": "2", "anchors": " "}, labels, 3) == {"wind": 2}
    with pytest.raises(ValidationError) as info:
        retro.column_limits({"anchors": "4"}, labels, 3)
    assert str(info.value) == "Anchors: must be a whole number from 1 to 3, not '4'."
    with pytest.raises(ValidationError, match="'rocks' is not a column of this board"):
        retro.column_limits({"rocks": 1}, labels, 3)


def test_a_column_limit_below_the_votes_a_member_put_there_is_refused_naming_the_column() -> None:
    board_cards = cards((1, "wind", "Demos", None), (2, "anchors", "Reviews", None), (3, "wind", "Docs", 2))
    cast = votes((1, 7), (2, 7), (3, 7), (1, 8), (1, 8))
    assert retro.column_votes_most(board_cards, cast) == {"wind": 2, "anchors": 2}
    labels = {"wind": "Wind", "anchors": "Anchors"}
    most = retro.column_votes_most(board_cards, cast)
    assert retro.column_limits({"wind": "2", "anchors": ""}, labels, 3, most_used=most) == {"wind": 2}
    with pytest.raises(ValidationError) as info:
        retro.column_limits({"anchors": "1"}, labels, 3, most_used=most)
    assert str(info.value) == ("Anchors: a member has already put 2 votes there; the limit can be no lower than 2 now.")


def test_votes_per_column_count_on_the_groups_lead_column() -> None:
    board_cards = cards((1, "wind", "Demos", None), (2, "anchors", "Reviews", None), (3, "wind", "Docs", 2))
    cast = votes((1, 7), (2, 7), (3, 7), (1, 8))  # card 3 now sits under card 2: an anchors vote
    assert retro.column_votes_used(board_cards, cast, 7) == {"wind": 1, "anchors": 2}
    assert retro.column_votes_left(board_cards, cast, 7, {"anchors": 2, "rocks": 1}) == {"anchors": 0, "rocks": 1}
    with pytest.raises(ValidationError) as info:
        check_vote_left(2, 2, column="Anchors")
    assert (
        str(info.value)
        == "You have used all 2 of your votes in Anchors; take one back there to vote for something else."
    )
    assert check_vote_left(1, 2, column="Anchors") == 0
