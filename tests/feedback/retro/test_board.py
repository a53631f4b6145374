"""Unit tests of cpmkit.feedback.retro.board, the live board as a frozen state and a pure view, without
widgets or a store: what each member sees and is offered in each phase, and the updates that keep
what a page was doing across a new read; and facilitation: cards written privately until revealed,
the phase's timer, who is ready, and vote limits per column."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback.retro.board import (
    ANONYMOUS,
    TOP_GROUPS,
    BoardState,
    CardView,
    GroupView,
    board_view,
    card_view,
    with_editing,
    with_read,
)

T0 = pd.Timestamp("2026-03-01 10:00")
ANA, BEN = 1, 2


def state(
    phase: str = "collect",
    *,
    cards: list[tuple[int, int, str, str, bool, int | None]] | None = None,
    votes: list[tuple[int, int]] | None = None,
    actions: list[tuple[int, int | None, str]] | None = None,
    limit: int = 3,
    ready: dict[int, str] | None = None,
    limits: dict[str, int] | None = None,
    facilitating: int | None = None,
    **board_values: Any,
) -> BoardState:
    """A board of project 1 in ``phase``; cards are (id, member_id, column_id, text, anonymous, group_id),
    votes (card_id, member_id), actions (id, board_id, what); ``ready`` the phase each member said
    they are ready in, ``facilitating`` the member who joined from the facilitator's link,
    ``limits`` the vote limits per column, ``board_values`` more of the board's columns."""
    board: dict[str, Any] = {
        "id": 5,
        "project_id": 1,
        "title": "Retro",
        "format": "sailboat",
        "phase": phase,
        "votes_per_member": limit,
        "created_at": T0,
        **board_values,
    }
    names = {ANA: "Ana", BEN: "Ben"}
    card_rows = [(i, m, None if anon else names[m], col, text, anon, g, T0) for i, m, col, text, anon, g in cards or []]
    action_rows = [(i, 1, b, None, what, None, None, "open", T0, T0, None) for i, b, what in actions or []]
    return BoardState(
        board,
        pd.DataFrame(
            {
                "id": [ANA, BEN],
                "name": ["Ana", "Ben"],
                "ready_phase": [(ready or {}).get(m) for m in (ANA, BEN)],
                "facilitating": [m == facilitating for m in (ANA, BEN)],
            }
        ),
        pd.DataFrame(
            card_rows, columns=["id", "member_id", "author", "column_id", "text", "anonymous", "group_id", "created_at"]
        ).astype({"member_id": "Int64", "group_id": "Int64", "anonymous": bool}),
        pd.DataFrame(votes or [], columns=["card_id", "member_id"]),
        pd.DataFrame(
            action_rows,
            columns=[
                "id",
                "project_id",
                "board_id",
                "card_id",
                "what",
                "owner",
                "due",
                "status",
                "created_at",
                "updated_at",
                "closed_at",
            ],
        ).astype({"board_id": "Int64", "card_id": "Int64"}),
        limits or {},
    )


CARDS = [
    (10, ANA, "wind", "Demos", False, None),
    (11, BEN, "anchors", "Slow reviews", False, None),
    (12, BEN, "wind", "Show the work", True, 10),
    (13, ANA, "anchors", "Flaky tests", False, None),
]
VOTES = [(13, BEN), (13, ANA), (11, BEN), (13, BEN)]  # "Flaky tests" 3, "Slow reviews" 1, "Demos" 0


def test_a_card_shows_its_author_or_anonymous() -> None:
    assert card_view({"id": 3, "text": "<b>", "anonymous": False, "author": "Ana"}) == CardView(3, "<b>", "Ana")
    assert card_view({"id": 3, "text": "x", "anonymous": True, "author": None}).author == ANONYMOUS
    assert card_view({"id": 3, "text": "x", "anonymous": False, "author": None}).author == ANONYMOUS  # author left
    assert card_view({"id": 3, "text": "x", "anonymous": False, "author": "Ana"}, mine=True).mine


def test_while_collecting_cards_keep_their_order_and_only_my_own_can_be_changed() -> None:
    view = board_view(state("collect", cards=CARDS, votes=VOTES), ANA)
    assert (view.phase, view.back_to, view.next_to, view.members) == ("collect", None, "group", ("Ana", "Ben"))
    assert view.adding and not view.acting and view.votes_left is None and view.editing is None
    assert view.columns["wind"] == (
        GroupView(
            10, "wind", (CardView(10, "Demos", "Ana", mine=True), CardView(12, "Show the work", ANONYMOUS)), None, None
        ),
    )
    assert [g.card_id for g in view.columns["anchors"]] == [11, 13]  # posting order: no tally before discuss
    assert [c.mine for g in view.columns["anchors"] for c in g.cards] == [False, True]
    ben = board_view(state("collect", cards=CARDS), BEN)
    assert [c.id for g in ben.columns["wind"] for c in g.cards if c.mine] == [12]  # his anonymous card is his


def test_members_get_no_facilitator_controls() -> None:
    for phase in ("group", "act"):
        view = board_view(state(phase, cards=CARDS, votes=VOTES), ANA)
        assert not view.grouping and view.grouping_cards == () and view.action_groups == ()


def test_the_facilitator_groups_in_the_group_phase_only() -> None:
    grouping = board_view(state("group", cards=CARDS), ANA, facilitator=True)
    assert grouping.grouping and grouping.adding
    assert grouping.grouping_cards == ((10, "Demos"), (11, "Slow reviews"), (12, "Show the work"), (13, "Flaky tests"))
    assert not board_view(state("collect", cards=CARDS), ANA, facilitator=True).grouping


def test_in_the_vote_phase_each_member_sees_their_own_votes_and_votes_left_not_the_tally() -> None:
    view = board_view(state("vote", cards=CARDS, votes=VOTES), BEN)
    assert not view.adding and (view.vote_limit, view.votes_left) == (3, 0)
    shown = {g.card_id: (g.tally, g.my_votes) for groups in view.columns.values() for g in groups}
    assert shown == {10: (None, 0), 11: (None, 1), 13: (None, 2)}
    assert not any(c.mine for groups in view.columns.values() for g in groups for c in g.cards)  # no changes now
    assert board_view(state("vote", cards=CARDS, votes=VOTES), ANA).votes_left == 2


def test_votes_on_a_card_grouped_later_count_for_the_member_on_its_group() -> None:
    grouped = [*CARDS[:3], (13, ANA, "anchors", "Flaky tests", False, 11)]
    view = board_view(state("vote", cards=grouped, votes=VOTES), BEN)
    assert [(g.card_id, g.my_votes) for g in view.columns["anchors"]] == [(11, 3)]


def test_once_discussed_the_tally_shows_most_voted_first() -> None:
    view = board_view(state("discuss", cards=CARDS, votes=VOTES), ANA)
    assert [(g.card_id, g.tally, g.my_votes) for g in view.columns["anchors"]] == [(13, 3, None), (11, 1, None)]
    assert view.votes_left is None and view.acting


def test_the_facilitator_turns_the_top_voted_groups_into_actions() -> None:
    view = board_view(state("act", cards=CARDS, votes=VOTES), ANA, facilitator=True)
    assert TOP_GROUPS == 3
    assert [(g.card_id, g.tally) for g in view.action_groups] == [(13, 3), (11, 1)]  # unvoted groups are not top
    assert view.next_to is None and view.back_to == "discuss"


def test_actions_are_split_into_this_boards_and_the_carried_ones() -> None:
    actions = [(1, 2, "From an earlier board"), (2, 5, "Agreed here"), (3, None, "Board deleted")]
    view = board_view(state("act", actions=actions), ANA)
    assert view.board_actions["what"].tolist() == ["Agreed here"]
    assert view.carried["what"].tolist() == ["From an earlier board", "Board deleted"]  # oldest first


def test_editing_my_card_is_kept_across_a_new_read() -> None:
    first = state("collect", cards=CARDS)
    editing = with_editing(first, 10, ANA)
    assert first.editing is None and editing.editing == 10  # a new state; the old one is unchanged
    assert board_view(editing, ANA).editing == 10
    read = state("group", cards=CARDS)
    assert with_read(editing, read).editing == 10 and with_read(editing, read).phase == "group"
    assert with_read(None, read) is read
    assert with_editing(editing, None, ANA).editing is None


def test_editing_someone_elses_card_is_refused() -> None:
    with pytest.raises(ValidationError, match="only your own cards"):
        with_editing(state("collect", cards=CARDS), 11, ANA)


def test_the_state_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        state().editing = 3  # type: ignore[misc]


def test_the_facilitator_is_offered_finish_at_the_last_phase_only() -> None:
    assert board_view(state("act"), ANA, facilitator=True).finishing
    assert not board_view(state("act"), ANA).finishing, "members cannot finish"
    assert not board_view(state("discuss"), ANA, facilitator=True).finishing


@pytest.mark.parametrize("closed", ["finished_at", "archived_at"])
@pytest.mark.parametrize("phase", ["collect", "group", "vote", "act"])
def test_a_finished_or_archived_board_offers_nothing_to_do(phase: str, closed: str) -> None:
    read = state(phase, cards=CARDS, votes=VOTES)
    read = dataclasses.replace(read, board={**read.board, closed: T0}, editing=10)
    view = board_view(read, ANA, facilitator=True)
    assert view.status == closed.removesuffix("_at") and view.closed is not None
    assert not (view.adding or view.grouping or view.acting or view.finishing)
    assert not (view.choosing_privacy or view.revealing or view.timing or view.readying or view.limiting)
    assert view.back_to is view.next_to is view.votes_left is view.editing is None
    cards = [card for groups in view.columns.values() for group in groups for card in group.cards]
    assert cards and not any(card.mine for card in cards)
    assert all(group.my_votes is None for groups in view.columns.values() for group in groups)
    assert board_view(state(phase), ANA).closed is None


# -- facilitation ----------------------------------------------------------------------------


def all_cards(view: Any) -> list[CardView]:
    return [card for groups in view.columns.values() for group in groups for card in group.cards]


def test_written_privately_each_member_sees_only_their_own_cards_and_a_count() -> None:
    private = state("collect", cards=CARDS, private_writing=True, revealed_at=None)
    ana = board_view(private, ANA)
    assert [c.text for c in all_cards(ana)] == ["Demos", "Flaky tests"] and ana.hidden_cards == 2
    ben = board_view(private, BEN)
    assert [(c.text, c.author, c.mine) for c in all_cards(ben)] == [
        ("Slow reviews", "Ben", True),
        ("Show the work", ANONYMOUS, True),  # his own anonymous card, alone in its column now
    ]
    assert ben.hidden_cards == 2 and not ben.revealing and not ben.choosing_privacy
    fay = board_view(private, 99, facilitator=True)  # the facilitator wrote nothing: counts, no texts
    assert all_cards(fay) == [] and fay.grouping_cards == () and fay.hidden_cards == 4
    assert fay.revealing and fay.choosing_privacy and fay.private_writing


def test_revealed_or_moved_on_every_card_shows_and_anonymous_ones_stay_anonymous() -> None:
    for read in (
        state("collect", cards=CARDS, private_writing=True, revealed_at=T0),
        state("group", cards=CARDS, private_writing=True, revealed_at=None),  # not collecting: nothing hidden
    ):
        view = board_view(read, ANA, facilitator=True)
        assert len(all_cards(view)) == 4 and view.hidden_cards is None and not view.revealing
        assert [c.author for c in all_cards(view) if c.text == "Show the work"] == [ANONYMOUS]
        assert not view.choosing_privacy
    written_openly = board_view(state("collect", cards=CARDS, private_writing=False), ANA, facilitator=True)
    assert written_openly.hidden_cards is None and not written_openly.revealing
    assert not written_openly.choosing_privacy  # their cards were seen: not offered to hide them
    assert board_view(state("collect", cards=[], private_writing=False), ANA, facilitator=True).choosing_privacy


def test_the_timer_of_the_current_phase_only_shows_on_an_open_board() -> None:
    ends = dt.datetime(2026, 3, 1, 10, 5)
    view = board_view(state("collect", timer_phase="collect", timer_ends_at=ends), ANA)
    assert view.timer_ends == ends and not view.timing
    assert board_view(state("collect", timer_phase="collect", timer_ends_at=ends), ANA, facilitator=True).timing
    assert board_view(state("group", timer_phase="collect", timer_ends_at=ends), ANA).timer_ends is None
    closed = state("act", timer_phase="act", timer_ends_at=ends, finished_at=T0)
    assert board_view(closed, ANA).timer_ends is None and not board_view(closed, ANA, facilitator=True).timing


def test_who_is_ready_counts_in_the_current_phase_and_only_the_facilitator_sees_names() -> None:
    read = state("group", ready={ANA: "group", BEN: "collect"})  # Ben's signal was for the phase before
    fay = board_view(read, 99, facilitator=True)
    assert (fay.ready_count, fay.ready_of, fay.ready) == (1, 2, ("Ana",))
    ana, ben = board_view(read, ANA), board_view(read, BEN)
    assert ana.i_am_ready and not ben.i_am_ready and ana.ready == () and ben.ready_count == 1
    assert ana.readying
    closed = board_view(state("act", ready={ANA: "act"}, archived_at=T0), ANA)
    assert not closed.readying and closed.ready_count == 0


def test_the_facilitator_is_not_counted_among_those_who_can_be_ready() -> None:
    read = state("group", ready={ANA: "group", BEN: "group"}, facilitating=BEN)  # Ben, facilitating, had said so
    ben = board_view(read, BEN, facilitator=True)
    assert not ben.readying and not ben.i_am_ready
    assert (ben.ready_count, ben.ready_of, ben.ready) == (1, 1, ("Ana",))
    ana = board_view(read, ANA)
    assert ana.readying and (ana.ready_count, ana.ready_of) == (1, 1)  # every page counts the same team
    assert not board_view(read, BEN).readying  # Ben on the members' link: still runs the board, no dead button


def test_each_member_sees_votes_left_in_each_limited_column_in_the_vote_phase() -> None:
    limits = {"anchors": 2, "wind": 1}
    view = board_view(state("vote", cards=CARDS, votes=VOTES, limits=limits), BEN)
    assert view.column_votes_left == {"anchors": 0, "wind": 1} and view.column_limits == limits
    assert board_view(state("vote", cards=CARDS, votes=VOTES, limits=limits), ANA).column_votes_left == {
        "anchors": 1,
        "wind": 1,
    }
    assert board_view(state("group", cards=CARDS, limits=limits), BEN).column_votes_left == {}
    assert board_view(state("vote", limits=limits), ANA, facilitator=True).limiting
    assert not board_view(state("vote", limits=limits), ANA).limiting
    assert not board_view(state("discuss", limits=limits), ANA, facilitator=True).limiting
