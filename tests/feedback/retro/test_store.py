"""Unit tests of cpmkit.feedback.retro.store.RetroStore, each run on SQLite and on a real PostgreSQL
server: boards and their link secrets, joining, cards and the phases that allow them,
grouping, votes and their limit, actions, the board's version, and several kernels voting
and adding cards at once; facilitation: private writing and its reveal, the phase's timer,
members' ready signal and vote limits per column."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, event, select

from cpmkit.core.links import digest
from cpmkit.db.database import Store
from cpmkit.db.schema import projects, retro_boards, retro_cards, retro_column_limits, retro_members
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.retro import rules as retro
from cpmkit.feedback.retro.store import (
    ACTION_COLUMNS,
    BOARD_COLUMNS,
    CARD_COLUMNS,
    HISTORY_CARD_COLUMNS,
    RetroStore,
    utc_now,
)

RunInProcesses = Callable[..., dict[int, Any]]
#: The key a member's browser keeps for a board (BrowserKey); one browser throughout, unless said.
BROWSER = "0123456789abcdef0123456789abcdef"
VOTERS = 6
SLOW_SECONDS = 0.1  # the pause between counting and saving a vote, long enough for every kernel to count
DEAD_LINK = "This retrospective link is not valid (or the board was deleted). Ask your facilitator for the link again."


@pytest.fixture
def board(retros: RetroStore, project: int) -> dict[str, Any]:
    return retros.create_board(project, "Sprint 3 retrospective", "sailboat", 3)


@pytest.fixture
def ana(retros: RetroStore, board: dict[str, Any]) -> int:
    return retros.join(board["id"], "Ana", BROWSER)


@pytest.fixture
def ben(retros: RetroStore, board: dict[str, Any]) -> int:
    return retros.join(board["id"], "Ben", BROWSER)


def phase(retros: RetroStore, board: dict[str, Any], name: str) -> None:
    retros.set_phase(board["id"], name, facilitator_key=board["facilitator_key"])


# -- boards ----------------------------------------------------------------------------------


def test_a_new_board_collects_and_has_two_distinct_secrets(
    retros: RetroStore, project: int, board: dict[str, Any]
) -> None:
    assert set(board) == {"id", "token", "facilitator_key"}
    assert len(board["token"]) >= 32 and board["token"] != board["facilitator_key"]
    frame = retros.boards(project)
    assert list(frame.columns) == BOARD_COLUMNS
    row = frame.iloc[0]
    assert (row["title"], row["format"], row["phase"], row["votes_per_member"]) == (
        "Sprint 3 retrospective",
        "sailboat",
        "collect",
        3,
    )
    assert retros.board_for_token(board["token"])["id"] == board["id"]
    assert retros.board_for_facilitator(f" {board['facilitator_key']} ")["id"] == board["id"]


def test_votes_per_member_default_from_the_template(retros: RetroStore, project: int) -> None:
    made = retros.create_board(project, "Mid-project", "four_ls")
    assert retros.board(made["id"])["votes_per_member"] == retros.formats.votes_per_member == 5


@pytest.mark.parametrize(
    ("title", "format_id", "votes", "words"),
    [
        ("  ", "sailboat", 3, "Title: cannot be empty."),
        ("x" * 201, "sailboat", 3, "Title: is 201 characters long"),
        ("Retro", "starfish", 3, "Format: 'starfish' is not one of"),
        ("Retro", "sailboat", 0, "Votes per member: must be a whole number from 1 to 20"),
        ("Retro", "sailboat", "lots", "Votes per member: must be a whole number"),
    ],
)
def test_a_bad_board_is_refused(
    retros: RetroStore, project: int, title: str, format_id: str, votes: Any, words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        retros.create_board(project, title, format_id, votes)
    assert retros.boards(project).empty


def test_a_board_for_a_deleted_project_is_refused(retros: RetroStore) -> None:
    with pytest.raises(NotFoundError, match="This project no longer exists"):
        retros.create_board(999, "Retro", "sailboat", 3)


@pytest.mark.parametrize("secret", ["", "   ", "not-a-token", None])
def test_a_dead_link_gets_a_plain_message(retros: RetroStore, board: dict[str, Any], secret: Any) -> None:
    for opener in (retros.board_for_token, retros.board_for_facilitator):
        with pytest.raises(NotFoundError) as info:
            opener(secret)
        assert str(info.value) == DEAD_LINK


def test_the_members_token_does_not_open_the_facilitators_board(retros: RetroStore, board: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError):
        retros.board_for_facilitator(board["token"])


def test_the_store_keeps_only_digests_of_the_board_secrets(
    store: Store, retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    kept = store.frame(select(retro_boards.c.token, retro_boards.c.facilitator_key), ["token", "key"]).iloc[0]
    assert (kept["token"], kept["key"]) == (digest(board["token"]), digest(board["facilitator_key"]))
    assert store.frame(select(retro_members.c.browser_key), ["key"])["key"].tolist() == [digest(BROWSER)]
    for opener in (retros.board_for_token, retros.board_for_facilitator):  # a copy of the store opens nothing
        for stored in (kept["token"], kept["key"]):
            with pytest.raises(NotFoundError):
                opener(stored)
    with pytest.raises(ValidationError, match="from another browser"):
        retros.join(board["id"], "Ana", digest(BROWSER))


def test_new_secrets_replace_both_links_and_members_keep_their_place(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    new = retros.new_board_secrets(board["id"])
    assert set(new) == {"id", "token", "facilitator_key"} and new["id"] == board["id"]
    assert {new["token"], new["facilitator_key"]}.isdisjoint({board["token"], board["facilitator_key"]})
    for opener, which in ((retros.board_for_token, "token"), (retros.board_for_facilitator, "facilitator_key")):
        with pytest.raises(NotFoundError) as info:
            opener(board[which])
        assert str(info.value) == DEAD_LINK
        assert opener(new[which])["id"] == board["id"]
    assert retros.join(board["id"], "Ana", BROWSER) == ana  # members keep their place
    with pytest.raises(NotFoundError, match="no longer exists"):
        retros.new_board_secrets(board["id"] + 99)


def test_phases_are_set_one_of_the_five(retros: RetroStore, board: dict[str, Any]) -> None:
    assert retros.set_phase(board["id"], " Vote ", facilitator_key=board["facilitator_key"]) == "vote"
    assert retros.board(board["id"])["phase"] == "vote"
    with pytest.raises(ValidationError, match="Phase: 'review' is not one of"):
        retros.set_phase(board["id"], "review", facilitator_key=board["facilitator_key"])
    with pytest.raises(NotFoundError):
        retros.set_phase(999, "vote", facilitator_key=board["facilitator_key"])


def test_the_phase_moves_one_step_from_where_the_board_is(retros: RetroStore, board: dict[str, Any]) -> None:
    key = board["facilitator_key"]
    assert retros.move_phase(board["id"], forward=False, facilitator_key=key) == "collect"  # the first stays
    assert retros.move_phase(board["id"], forward=True, facilitator_key=key) == "group"
    retros.set_phase(board["id"], "act", facilitator_key=key)  # another facilitator's page moved it meanwhile
    assert retros.move_phase(board["id"], forward=True, facilitator_key=f" {key} ") == "act"  # the last stays
    assert retros.move_phase(board["id"], forward=False, facilitator_key=key) == "discuss"
    assert retros.board(board["id"])["phase"] == "discuss"
    with pytest.raises(NotFoundError, match="This retrospective no longer exists"):
        retros.move_phase(999, forward=True, facilitator_key=key)


# -- the facilitator's key -------------------------------------------------------------------

NOT_FACILITATOR = "Only the facilitator can do this, from the facilitator's link."


def test_what_only_the_facilitator_does_is_refused_without_the_boards_facilitator_key(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    """Moving the phase, grouping and agreeing actions are refused by the store itself, whatever
    page sends them: without a key, with the members' token, another board's key, the digest the
    store keeps (a copy of the store), or anything else; nothing changes."""
    a, b, c = _three_cards(retros, board, ana)
    key = board["facilitator_key"]
    retros.set_phase(board["id"], "group", facilitator_key=key)
    retros.group_card(b, a, facilitator_key=key)
    other = retros.create_board(project, "Other", "sailboat", 3)
    wrong: list[Any] = [
        None,
        "",
        "   ",
        board["token"],
        other["facilitator_key"],
        digest(key),
        key + "x",
        key[:-1],
        "x" * 300,
        42,
    ]
    attempts: list[Callable[[Any], Any]] = [
        lambda given: retros.set_phase(board["id"], "vote", facilitator_key=given),
        lambda given: retros.move_phase(board["id"], forward=True, facilitator_key=given),
        lambda given: retros.group_card(c, a, facilitator_key=given),
        lambda given: retros.ungroup(b, facilitator_key=given),
        lambda given: retros.add_action(board["id"], None, "Act", facilitator_key=given),
    ]
    for given in wrong:
        for attempt in attempts:
            with pytest.raises(ValidationError) as info:
                attempt(given)
            assert str(info.value) == NOT_FACILITATOR, given
    assert retros.board(board["id"])["phase"] == "group"
    assert _group_ids(retros, board) == [None, a, None]
    assert retros.actions(project).empty
    retros.group_card(c, a, facilitator_key=key)  # the board's own key, as its link carries it
    assert _group_ids(retros, board) == [None, a, a]


def test_new_links_retire_the_old_facilitator_key(retros: RetroStore, board: dict[str, Any]) -> None:
    new = retros.new_board_secrets(board["id"])
    with pytest.raises(ValidationError, match=NOT_FACILITATOR):
        retros.set_phase(board["id"], "vote", facilitator_key=board["facilitator_key"])
    assert retros.set_phase(board["id"], "vote", facilitator_key=new["facilitator_key"]) == "vote"


def test_the_facilitator_key_is_checked_against_the_stored_digest_in_constant_time(
    retros: RetroStore, board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpmkit.feedback.retro import store as retro_store

    compared: list[tuple[str, str]] = []
    real = retro_store.matches
    monkeypatch.setattr(retro_store, "matches", lambda given, kept: compared.append((given, kept)) or real(given, kept))
    retros.set_phase(board["id"], "vote", facilitator_key=board["facilitator_key"])
    assert compared == [(board["facilitator_key"], digest(board["facilitator_key"]))]


# -- members and cards -----------------------------------------------------------------------


def test_joining_again_under_the_same_name_is_the_same_member(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int
) -> None:
    assert retros.join(board["id"], "  ANA ", BROWSER) == ana != ben
    assert retros.state(board["id"]).members["id"].tolist() == [ana, ben]
    with pytest.raises(ValidationError, match="Name: cannot be empty"):
        retros.join(board["id"], " ", BROWSER)
    with pytest.raises(NotFoundError, match="This retrospective no longer exists"):
        retros.join(999, "Ana", BROWSER)


def test_joining_from_the_facilitators_link_marks_the_facilitator_once_the_key_is_checked(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    with pytest.raises(ValidationError, match="Only the facilitator"):
        retros.join(board["id"], "Fay", "fay's browser", facilitator_key="not the key")
    assert retros.state(board["id"]).members["name"].tolist() == ["Ana"]  # nothing saved
    fay = retros.join(board["id"], "Fay", "fay's browser", facilitator_key=board["facilitator_key"])
    members = retros.state(board["id"]).members.set_index("id")["facilitating"]
    assert members.to_dict() == {ana: False, fay: True}
    before = retros.version(board["id"])
    assert retros.join(board["id"], "Fay", "fay's browser") == fay  # by the members' link later: still facilitating
    assert retros.version(board["id"]) == before
    assert retros.state(board["id"]).members.set_index("id")["facilitating"][fay]
    assert retro.team_members(retros.state(board["id"]).members)["id"].tolist() == [ana]
    seen = retros.version(board["id"])
    retros.join(board["id"], "Ana", BROWSER, facilitator_key=board["facilitator_key"])  # Ana now runs it too
    assert retros.version(board["id"]) != seen  # every page redraws its count


#: Names that look like "Bob" on screen (tests/test_fields.py has many more).
LOOK_ALIKES_OF_BOB = ["Bоb", "Bob\u200b", "B o b", "ＢＯＢ"]  # Cyrillic о, zero-width space, spaces, fullwidth


@pytest.mark.parametrize("look_alike", LOOK_ALIKES_OF_BOB)
def test_a_look_alike_name_cannot_join_from_another_browser(
    retros: RetroStore, board: dict[str, Any], look_alike: str
) -> None:
    bob = retros.join(board["id"], "Bob", BROWSER)
    with pytest.raises(ValidationError, match="someone has already joined this board as") as caught:
        retros.join(board["id"], look_alike, "another browser's key")
    assert caught.value.field == "name"
    assert retros.state(board["id"]).members["id"].tolist() == [bob]
    assert retros.join(board["id"], look_alike, BROWSER) == bob  # Bob himself, typing it another way


def test_a_name_nothing_of_which_shows_cannot_join(retros: RetroStore, board: dict[str, Any]) -> None:
    for invisible in ("\u200b", "\u200d\u2060\ufe0f", "\u3164"):
        with pytest.raises(ValidationError, match="^Name: nothing of it shows on screen"):
            retros.join(board["id"], invisible, BROWSER)
    assert retros.state(board["id"]).members.empty


def test_a_name_is_shown_as_typed(retros: RetroStore, board: dict[str, Any]) -> None:
    retros.join(board["id"], "  Zoë Ｋ ", BROWSER)
    assert retros.state(board["id"]).members["name"].tolist() == ["Zoë Ｋ"]


def test_cards_are_saved_with_author_unless_anonymous(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int
) -> None:
    first = retros.add_card(board["id"], ana, "wind", "  Customer demos every week  ")
    second = retros.add_card(board["id"], ben, "rocks", "<script>alert(1)</script>", anonymous=True)
    cards = retros.state(board["id"]).cards
    assert list(cards.columns) == CARD_COLUMNS
    assert cards[["id", "member_id", "column_id", "text", "anonymous"]].values.tolist() == [
        [first, ana, "wind", "Customer demos every week", False],
        [second, ben, "rocks", "<script>alert(1)</script>", True],
    ]
    assert cards["author"].tolist()[0] == "Ana" and cards["author"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("column", "text", "words"),
    [
        ("wind", "   ", "Text: cannot be empty."),
        ("wind", "x" * (retro.CARD_TEXT_LIMIT + 1), f"the limit is {retro.CARD_TEXT_LIMIT}"),
        ("start", "Demos", "Column: 'start' is not a column of this board."),
    ],
)
def test_a_bad_card_is_refused(
    retros: RetroStore, board: dict[str, Any], ana: int, column: str, text: str, words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        retros.add_card(board["id"], ana, column, text)
    assert retros.state(board["id"]).cards.empty


def test_cards_are_added_while_collecting_and_grouping_only(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    phase(retros, board, "group")
    retros.add_card(board["id"], ana, "wind", "Late idea")
    phase(retros, board, "vote")
    with pytest.raises(
        ValidationError,
        match="You can add cards only in the collect and group phase; this board is in the vote phase now.",
    ):
        retros.add_card(board["id"], ana, "wind", "Too late")


def test_a_member_of_another_board_cannot_add_a_card(retros: RetroStore, project: int, board: dict[str, Any]) -> None:
    other = retros.create_board(project, "Other", "sailboat", 3)
    stranger = retros.join(other["id"], "Eve", BROWSER)
    with pytest.raises(NotFoundError, match="You are no longer on this board"):
        retros.add_card(board["id"], stranger, "wind", "Hello")
    with pytest.raises(NotFoundError):
        retros.add_card(board["id"], 999, "wind", "Hello")


def test_members_edit_and_delete_only_their_own_cards(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int
) -> None:
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    assert retros.edit_card(card, ana, " Weekly demos ") == "Weekly demos"
    with pytest.raises(ValidationError, match="only your own cards"):
        retros.edit_card(card, ben, "Mine now")
    with pytest.raises(ValidationError, match="only your own cards"):
        retros.delete_card(card, ben)
    assert retros.state(board["id"]).cards["text"].tolist() == ["Weekly demos"]
    phase(retros, board, "vote")
    with pytest.raises(ValidationError, match="change cards only in the collect and group phase"):
        retros.edit_card(card, ana, "Edit")
    phase(retros, board, "collect")
    retros.delete_card(card, ana)
    assert retros.state(board["id"]).cards.empty
    with pytest.raises(NotFoundError, match="This card no longer exists"):
        retros.delete_card(card, ana)


# -- grouping --------------------------------------------------------------------------------


def _three_cards(retros: RetroStore, board: dict[str, Any], member: int) -> list[int]:
    return [retros.add_card(board["id"], member, "wind", text) for text in ("Demos", "Show the work", "Weekly demos")]


def _group_ids(retros: RetroStore, board: dict[str, Any]) -> list[int | None]:
    return [None if pd.isna(g) else int(g) for g in retros.state(board["id"]).cards["group_id"]]


def test_grouping_stays_one_level_deep(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    a, b, c = _three_cards(retros, board, ana)
    phase(retros, board, "group")
    retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    retros.group_card(c, b, facilitator_key=board["facilitator_key"])  # under b's lead, a
    assert _group_ids(retros, board) == [None, a, a]
    with pytest.raises(ValidationError, match="already in one group"):
        retros.group_card(a, c, facilitator_key=board["facilitator_key"])  # a lead under its own member
    assert _group_ids(retros, board) == [None, a, a]


def test_grouping_a_lead_moves_its_members_too(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    a, b, c = _three_cards(retros, board, ana)
    phase(retros, board, "group")
    retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    retros.group_card(a, c, facilitator_key=board["facilitator_key"])
    assert _group_ids(retros, board) == [c, c, None]
    grouped = retro.groups(retros.state(board["id"]).cards, retros.state(board["id"]).votes)
    assert grouped[["card_id", "member_ids"]].values.tolist() == [[c, [a, b]]]


def test_ungrouping_a_member_or_breaking_up_a_group(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    a, b, c = _three_cards(retros, board, ana)
    phase(retros, board, "group")
    retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    retros.group_card(c, a, facilitator_key=board["facilitator_key"])
    retros.ungroup(b, facilitator_key=board["facilitator_key"])
    assert _group_ids(retros, board) == [None, None, a]
    retros.ungroup(a, facilitator_key=board["facilitator_key"])
    assert _group_ids(retros, board) == [None, None, None]


def test_grouping_is_refused_across_boards_outside_its_phase_and_on_itself(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    a, b, _c = _three_cards(retros, board, ana)
    with pytest.raises(ValidationError, match="group cards only in the group phase"):
        retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    phase(retros, board, "group")
    with pytest.raises(ValidationError, match="already in one group"):
        retros.group_card(a, a, facilitator_key=board["facilitator_key"])
    other = retros.create_board(project, "Other", "sailboat", 3)
    elsewhere = retros.add_card(other["id"], retros.join(other["id"], "Ana", BROWSER), "wind", "Elsewhere")
    with pytest.raises(ValidationError, match="same board"):
        retros.group_card(a, elsewhere, facilitator_key=board["facilitator_key"])
    with pytest.raises(NotFoundError):
        retros.group_card(a, 999, facilitator_key=board["facilitator_key"])


def test_a_deleted_lead_leaves_its_members_on_their_own(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    a, b, _c = _three_cards(retros, board, ana)
    phase(retros, board, "group")
    retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    retros.delete_card(a, ana)
    assert _group_ids(retros, board) == [None, None]


# -- votes -----------------------------------------------------------------------------------


def test_votes_stop_at_the_limit_with_a_plain_message(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int
) -> None:
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    phase(retros, board, "vote")
    assert [retros.vote(ana, card) for _ in range(3)] == [2, 1, 0]  # several votes on one card
    with pytest.raises(ValidationError) as info:
        retros.vote(ana, card)
    assert str(info.value).startswith("You have used all 3 of your votes")
    assert retros.vote(ben, card) == 2  # each member has their own votes
    state = retros.state(board["id"])
    assert retro.votes_left(state.votes, ana, 3) == 0 and len(state.votes) == 4


def test_a_vote_back_frees_one_vote(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    one, two = (retros.add_card(board["id"], ana, "wind", t) for t in ("Demos", "Reviews"))
    phase(retros, board, "vote")
    retros.vote(ana, one)
    retros.vote(ana, one)
    retros.unvote(ana, one)
    assert retros.state(board["id"]).votes["card_id"].tolist() == [one]
    with pytest.raises(ValidationError, match="no vote on this card"):
        retros.unvote(ana, two)


def test_a_vote_on_a_grouped_card_counts_for_its_group(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    a, b, _c = _three_cards(retros, board, ana)
    phase(retros, board, "group")
    retros.group_card(b, a, facilitator_key=board["facilitator_key"])
    phase(retros, board, "vote")
    retros.vote(ana, b)
    state = retros.state(board["id"])
    assert state.votes["card_id"].tolist() == [a]
    retros.unvote(ana, b)
    assert retros.state(board["id"]).votes.empty


def test_votes_only_in_the_vote_phase_and_on_the_members_board(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    with pytest.raises(
        ValidationError, match="You can vote only in the vote phase; this board is in the collect phase now."
    ):
        retros.vote(ana, card)
    other = retros.create_board(project, "Other", "sailboat", 3)
    retros.set_phase(other["id"], "vote", facilitator_key=other["facilitator_key"])
    with pytest.raises(NotFoundError, match="This card no longer exists"):
        retros.vote(retros.join(other["id"], "Ana", BROWSER), card)
    with pytest.raises(NotFoundError):
        retros.vote(999, card)


# -- actions ---------------------------------------------------------------------------------


def test_actions_are_agreed_in_discuss_and_act_for_the_boards_project(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    card = retros.add_card(board["id"], ana, "anchors", "Slow reviews")
    with pytest.raises(ValidationError, match="add actions only in the discuss and act phase"):
        retros.add_action(board["id"], card, "Review within a day", facilitator_key=board["facilitator_key"])
    phase(retros, board, "act")
    action = retros.add_action(
        board["id"], card, " Review within a day ", "Ana", "2026-12-01", facilitator_key=board["facilitator_key"]
    )
    loose = retros.add_action(board["id"], None, "Try a new format", facilitator_key=board["facilitator_key"])
    frame = retros.actions(project)
    assert list(frame.columns) == ACTION_COLUMNS
    shown = frame[["id", "project_id", "board_id", "card_id", "what", "owner", "due", "status"]].astype(object)
    assert shown.where(shown.notna(), None).values.tolist() == [
        [action, project, board["id"], card, "Review within a day", "Ana", dt.date(2026, 12, 1), "open"],
        [loose, project, board["id"], None, "Try a new format", None, None, "open"],
    ]


def test_a_bad_action_is_refused(retros: RetroStore, project: int, board: dict[str, Any], ana: int) -> None:
    phase(retros, board, "act")
    with pytest.raises(ValidationError, match="What: cannot be empty"):
        retros.add_action(board["id"], None, " ", facilitator_key=board["facilitator_key"])
    with pytest.raises(ValidationError, match="Due: 'soon' is not a date"):
        retros.add_action(board["id"], None, "Act", "Ana", "soon", facilitator_key=board["facilitator_key"])
    with pytest.raises(NotFoundError, match="This retrospective no longer exists"):
        retros.add_action(999, None, "Act", facilitator_key=board["facilitator_key"])
    other = retros.create_board(project, "Other", "sailboat", 3)
    with pytest.raises(NotFoundError, match="This card no longer exists"):
        retros.add_action(
            board["id"],
            retros.add_card(other["id"], retros.join(other["id"], "A", BROWSER), "wind", "x"),
            "Act",
            facilitator_key=board["facilitator_key"],
        )
    assert retros.actions(project).empty


def test_actions_are_updated_one_field_at_a_time(retros: RetroStore, project: int, board: dict[str, Any]) -> None:
    phase(retros, board, "act")
    action = retros.add_action(board["id"], None, "Review within a day", facilitator_key=board["facilitator_key"])
    assert retros.update_action(action, "status", "In Progress") == "in progress"
    assert retros.update_action(action, "owner", " Ben ") == "Ben"
    assert retros.update_action(action, "due", dt.date(2027, 1, 4)) == dt.date(2027, 1, 4)
    assert retros.update_action(action, "status", "dropped") == "dropped"
    row = retros.actions(project).iloc[0]
    assert (row["status"], row["owner"], row["due"]) == ("dropped", "Ben", dt.date(2027, 1, 4))
    with pytest.raises(ValidationError, match="Status: 'later' is not one of: open, in progress, done, dropped"):
        retros.update_action(action, "status", "later")
    with pytest.raises(ValidationError, match="Unknown action field"):
        retros.update_action(action, "project_id", 2)
    with pytest.raises(NotFoundError, match="This action no longer exists"):
        retros.update_action(999, "status", "done")


def test_the_next_board_carries_the_open_actions(retros: RetroStore, project: int, board: dict[str, Any]) -> None:
    phase(retros, board, "act")
    kept = retros.add_action(board["id"], None, "Review within a day", facilitator_key=board["facilitator_key"])
    done = retros.add_action(board["id"], None, "Fix the build", facilitator_key=board["facilitator_key"])
    retros.update_action(done, "status", "done")
    following = retros.create_board(project, "Next", "mad_sad_glad", 3)
    state = retros.state(following["id"])
    carried = retro.carried_actions(state.actions, state.board)
    assert carried["id"].tolist()[0] == kept and carried.iloc[0]["status"] == "open"


def test_a_deleted_project_takes_its_boards_and_actions(
    store: Store, retros: RetroStore, project: int, board: dict[str, Any]
) -> None:
    phase(retros, board, "act")
    retros.add_action(board["id"], None, "Act", facilitator_key=board["facilitator_key"])
    with store.write() as conn:
        conn.execute(delete(projects).where(projects.c.id == project))
    assert retros.boards(project).empty and retros.actions(project).empty
    with pytest.raises(NotFoundError):
        retros.board_for_token(board["token"])


# -- facilitation ----------------------------------------------------------------------------


def test_cards_written_privately_stay_hidden_until_the_facilitator_reveals(
    retros: RetroStore, project: int, ana: int, ben: int, board: dict[str, Any]
) -> None:
    key = board["facilitator_key"]
    assert retros.board(board["id"])["private_writing"] is False
    retros.set_private_writing(board["id"], True, facilitator_key=key)
    retros.add_card(board["id"], ana, "wind", "Demos")
    retros.add_card(board["id"], ben, "anchors", "Mine alone", anonymous=True)
    state = retros.state(board["id"])
    assert retro.hides_cards(state.board) and state.board["revealed_at"] is None
    assert retro.visible_cards(state.cards, state.board, ana)["text"].tolist() == ["Demos"]
    with pytest.raises(ValidationError, match="Only the facilitator"):
        retros.reveal(board["id"], facilitator_key=board["token"])
    retros.reveal(board["id"], facilitator_key=key)
    shown = retros.state(board["id"])
    assert isinstance(shown.board["revealed_at"], dt.datetime) and not retro.hides_cards(shown.board)
    assert shown.cards["text"].tolist() == ["Demos", "Mine alone"]
    assert pd.isna(shown.cards["author"].iloc[1])  # anonymous after the reveal too
    with pytest.raises(ValidationError, match="shown already"):
        retros.set_private_writing(board["id"], True, facilitator_key=key)
    phase(retros, board, "group")
    with pytest.raises(ValidationError, match="only in the collect phase"):
        retros.set_private_writing(board["id"], False, facilitator_key=key)


def test_unticking_private_writing_reveals_and_cards_written_in_the_open_are_never_hidden(
    retros: RetroStore, project: int, ana: int, board: dict[str, Any]
) -> None:
    key = board["facilitator_key"]
    retros.add_card(board["id"], ana, "wind", "Seen by all")
    with pytest.raises(ValidationError, match="written in the open"):
        retros.set_private_writing(board["id"], True, facilitator_key=key)
    made = retros.create_board(project, "Private", "sailboat", 3, private_writing=True)
    retros.set_private_writing(made["id"], False, facilitator_key=made["facilitator_key"])
    assert isinstance(retros.board(made["id"])["revealed_at"], dt.datetime)
    with pytest.raises(ValidationError, match="shown already"):
        retros.set_private_writing(made["id"], True, facilitator_key=made["facilitator_key"])


@pytest.mark.parametrize("mover", ["move_phase", "set_phase"])
def test_moving_on_from_collect_reveals_the_cards_for_good(
    retros: RetroStore, project: int, ana: int, mover: str
) -> None:
    made = retros.create_board(project, "Private", "sailboat", 3, private_writing=True)
    key = made["facilitator_key"]
    member = retros.join(made["id"], "Ana", BROWSER)
    retros.add_card(made["id"], member, "wind", "Demos")
    assert retro.hides_cards(retros.board(made["id"]))
    if mover == "move_phase":
        retros.move_phase(made["id"], forward=True, facilitator_key=key)
    else:
        retros.set_phase(made["id"], "vote", facilitator_key=key)
    moved = retros.board(made["id"])
    assert moved["private_writing"] is True and isinstance(moved["revealed_at"], dt.datetime)
    retros.set_phase(made["id"], "collect", facilitator_key=key)
    assert not retro.hides_cards(retros.board(made["id"]))  # back in collect, still shown
    written_openly = retros.create_board(project, "Open", "sailboat", 3)
    with pytest.raises(ValidationError, match="written in the open"):
        retros.reveal(written_openly["id"], facilitator_key=written_openly["facilitator_key"])


def test_the_facilitator_times_a_phase_and_a_new_phase_clears_the_timer(
    retros: RetroStore, board: dict[str, Any]
) -> None:
    key = board["facilitator_key"]
    before = utc_now()
    ends = retros.start_timer(board["id"], "3", facilitator_key=key)
    assert before + dt.timedelta(minutes=3) <= ends <= utc_now() + dt.timedelta(minutes=3)
    saved = retros.board(board["id"])
    assert (saved["timer_phase"], saved["timer_ends_at"]) == ("collect", ends)  # UTC, read back as saved
    assert retro.timer_end(saved) == ends
    with pytest.raises(ValidationError) as info:
        retros.start_timer(board["id"], "ten", facilitator_key=key)
    assert str(info.value) == "Minutes: must be a whole number from 1 to 60, not 'ten'."
    assert retros.board(board["id"])["timer_ends_at"] == ends  # the refused timer changed nothing
    with pytest.raises(ValidationError, match="Only the facilitator"):
        retros.stop_timer(board["id"], facilitator_key=None)
    retros.stop_timer(board["id"], facilitator_key=key)
    assert retro.timer_end(retros.board(board["id"])) is None
    retros.start_timer(board["id"], 1, facilitator_key=key)
    retros.move_phase(board["id"], forward=True, facilitator_key=key)
    moved = retros.board(board["id"])
    assert moved["timer_phase"] is None and moved["timer_ends_at"] is None


def test_members_say_they_are_ready_in_the_phase_and_it_resets_with_the_next(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int
) -> None:
    retros.set_ready(ana, True, phase="collect")
    retros.set_ready(ben, True, phase="collect")
    retros.set_ready(ben, False, phase="collect")  # taken back
    members = retros.state(board["id"]).members
    assert list(members.columns) == ["id", "name", "ready_phase", "facilitating"]
    assert retro.ready_members(members, "collect")["name"].tolist() == ["Ana"]
    phase(retros, board, "group")
    assert retro.ready_members(retros.state(board["id"]).members, "group").empty
    with pytest.raises(ValidationError, match="moved on to the group phase"):
        retros.set_ready(ana, True, phase="collect")  # a page that has not redrawn yet
    with pytest.raises(NotFoundError, match="no longer on this board"):
        retros.set_ready(999, True, phase="group")


@pytest.mark.parametrize("mover", ["move_phase", "set_phase"])
def test_a_ready_signal_does_not_come_back_when_the_board_returns_to_its_phase(
    retros: RetroStore, board: dict[str, Any], ana: int, ben: int, mover: str
) -> None:
    key = board["facilitator_key"]
    retros.set_ready(ana, True, phase="collect")
    for forward, name in ((True, "group"), (False, "collect")):
        if mover == "move_phase":
            retros.move_phase(board["id"], forward=forward, facilitator_key=key)
        else:
            retros.set_phase(board["id"], name, facilitator_key=key)
    members = retros.state(board["id"]).members
    assert members["ready_phase"].isna().all() and retro.ready_members(members, "collect").empty
    retros.set_ready(ben, True, phase="collect")
    retros.set_phase(board["id"], "collect", facilitator_key=key)  # no move: the signal stays
    assert retro.ready_members(retros.state(board["id"]).members, "collect")["name"].tolist() == ["Ben"]


def test_votes_stop_at_a_columns_limit_naming_the_column_and_the_board_total_still_applies(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    key = board["facilitator_key"]
    wind = [retros.add_card(board["id"], ana, "wind", f"Wind {i}") for i in range(2)]
    anchor = retros.add_card(board["id"], ana, "anchors", "Slow reviews")
    under = retros.add_card(board["id"], ana, "rocks", "Flaky tests")
    assert retros.set_column_limits(board["id"], {"wind": "1", "anchors": 2}, facilitator_key=key) == {
        "anchors": 2,
        "wind": 1,
    }
    with pytest.raises(ValidationError) as info:
        retros.set_column_limits(board["id"], {"rocks": 4}, facilitator_key=key)
    assert str(info.value) == "Rocks: must be a whole number from 1 to 3, not 4."
    phase(retros, board, "group")
    retros.group_card(under, anchor, facilitator_key=key)  # a rocks card in the anchors group
    phase(retros, board, "vote")
    assert retros.set_column_limits(board["id"], {"anchors": ""}, facilitator_key=key) == {"wind": 1}
    retros.set_column_limits(board["id"], {"anchors": 1}, facilitator_key=key)
    retros.vote(ana, wind[0])
    with pytest.raises(ValidationError) as info:
        retros.vote(ana, wind[1])
    assert (
        str(info.value) == "You have used all 1 of your votes in Wind; take one back there to vote for something else."
    )
    retros.vote(ana, under)  # counts in anchors, its group's column
    with pytest.raises(ValidationError, match="all 1 of your votes in Anchors"):
        retros.vote(ana, anchor)
    retros.set_column_limits(board["id"], {"anchors": 3, "wind": ""}, facilitator_key=key)
    retros.vote(ana, wind[1])
    with pytest.raises(ValidationError) as info:
        retros.vote(ana, anchor)
    assert str(info.value).startswith("You have used all 3 of your votes;")  # the board's total
    assert retros.state(board["id"]).limits == {"anchors": 3}
    phase(retros, board, "discuss")
    with pytest.raises(ValidationError, match="set vote limits only in the collect, group and vote phase"):
        retros.set_column_limits(board["id"], {"wind": 1}, facilitator_key=key)
    with pytest.raises(ValidationError, match="Only the facilitator"):
        retros.set_column_limits(board["id"], {"wind": 1}, facilitator_key=board["token"])


def test_a_column_limit_below_the_votes_already_cast_there_is_refused(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    key = board["facilitator_key"]
    wind = [retros.add_card(board["id"], ana, "wind", f"Wind {i}") for i in range(2)]
    phase(retros, board, "vote")
    for card in wind:
        retros.vote(ana, card)
    with pytest.raises(ValidationError, match="Wind: a member has already put 2 votes there"):
        retros.set_column_limits(board["id"], {"wind": 1}, facilitator_key=key)
    assert retros.set_column_limits(board["id"], {"wind": 2}, facilitator_key=key) == {"wind": 2}


def test_a_limit_on_a_column_no_longer_in_the_format_is_named_by_its_id(
    retros: RetroStore, board: dict[str, Any], ana: int
) -> None:
    with retros.store.write() as conn:  # a column since removed from templates/retro_formats.yaml
        conn.execute(retro_column_limits.insert().values(board_id=board["id"], column_id="old", votes=1))
        cards = [
            conn.execute(
                retro_cards.insert()
                .values(board_id=board["id"], member_id=ana, column_id="old", text=text)
                .returning(retro_cards.c.id)
            ).scalar_one()
            for text in ("One", "Two")
        ]
    phase(retros, board, "vote")
    retros.vote(ana, cards[0])
    with pytest.raises(ValidationError, match="all 1 of your votes in old;"):
        retros.vote(ana, cards[1])


# -- version ---------------------------------------------------------------------------------


def test_version_changes_with_every_change_to_the_board_and_only_then(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    seen = [retros.version(board["id"])]

    def changed() -> bool:
        now = retros.version(board["id"])
        fresh = now != seen[-1]
        seen.append(now)
        return fresh

    assert not changed()
    retros.join(board["id"], "Ben", BROWSER)
    assert changed()
    key = board["facilitator_key"]
    retros.set_private_writing(board["id"], True, facilitator_key=key)
    assert changed()
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    other = retros.add_card(board["id"], ana, "wind", "Reviews")
    assert changed()
    retros.edit_card(card, ana, "Domes")  # same length, other text
    assert changed()
    retros.reveal(board["id"], facilitator_key=key)
    assert changed()
    retros.start_timer(board["id"], 5, facilitator_key=key)
    assert changed()
    retros.stop_timer(board["id"], facilitator_key=key)
    assert changed()
    retros.set_ready(ana, True, phase="collect")
    assert changed()
    retros.set_ready(ana, False, phase="collect")
    assert changed()
    retros.set_column_limits(board["id"], {"wind": 2}, facilitator_key=key)
    assert changed()
    phase(retros, board, "group")
    assert changed()
    retros.group_card(other, card, facilitator_key=board["facilitator_key"])
    assert changed()
    phase(retros, board, "vote")
    retros.vote(ana, card)
    assert changed()
    retros.unvote(ana, card)
    assert changed()
    retros.vote(ana, card)  # the same count as before the vote back, but another vote
    assert changed()
    phase(retros, board, "act")
    action = retros.add_action(board["id"], card, "Demo weekly", facilitator_key=board["facilitator_key"])
    assert changed()
    retros.update_action(action, "status", "done")
    assert changed()
    assert not changed()
    with pytest.raises(NotFoundError):
        retros.version(999)


# -- finishing, archiving, reopening ----------------------------------------------------------

FINISHED = "This retrospective is finished: nothing on it can change now"
ARCHIVED = "This board is archived: nothing on it can change"


def test_the_facilitator_finishes_at_the_last_phase_and_nothing_changes_after(
    retros: RetroStore, project: int, board: dict[str, Any], ana: int
) -> None:
    key = board["facilitator_key"]
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    with pytest.raises(ValidationError, match="only in its last phase, act; it is in collect"):
        retros.finish(board["id"], facilitator_key=key)
    phase(retros, board, "act")
    with pytest.raises(ValidationError, match="Only the facilitator"):
        retros.finish(board["id"], facilitator_key=board["token"])
    action = retros.add_action(board["id"], card, "Demo weekly", facilitator_key=key)
    before = retros.version(board["id"])
    retros.finish(board["id"], facilitator_key=key)
    assert retros.version(board["id"]) != before, "every page sees it finished at its next tick"
    finished = retros.board(board["id"])
    assert retro.board_status(finished) == "finished" and isinstance(finished["finished_at"], dt.datetime)
    assert finished["archived_at"] is None and finished["phase"] == "act"
    assert retros.boards(project).iloc[0]["finished_at"] == finished["finished_at"]

    refused: list[Callable[[], Any]] = [
        lambda: retros.finish(board["id"], facilitator_key=key),
        lambda: retros.join(board["id"], "Ben", BROWSER),
        lambda: retros.join(board["id"], "Ana", BROWSER),
        lambda: retros.add_card(board["id"], ana, "wind", "Late"),
        lambda: retros.edit_card(card, ana, "Later"),
        lambda: retros.delete_card(card, ana),
        lambda: retros.vote(ana, card),
        lambda: retros.unvote(ana, card),
        lambda: retros.group_card(card, card, facilitator_key=key),
        lambda: retros.ungroup(card, facilitator_key=key),
        lambda: retros.move_phase(board["id"], forward=False, facilitator_key=key),
        lambda: retros.set_phase(board["id"], "collect", facilitator_key=key),
        lambda: retros.add_action(board["id"], None, "More", facilitator_key=key),
        lambda: retros.set_private_writing(board["id"], True, facilitator_key=key),
        lambda: retros.reveal(board["id"], facilitator_key=key),
        lambda: retros.start_timer(board["id"], 5, facilitator_key=key),
        lambda: retros.stop_timer(board["id"], facilitator_key=key),
        lambda: retros.set_ready(ana, True, phase="act"),
        lambda: retros.set_column_limits(board["id"], {"wind": 1}, facilitator_key=key),
    ]
    for write in refused:
        with pytest.raises(ValidationError, match=FINISHED):
            write()
    state = retros.state(board["id"])
    assert (len(state.members), state.cards["text"].tolist(), state.phase) == (1, ["Demos"], "act")
    retros.update_action(action, "status", "done")  # the project's actions still follow their course
    assert retros.actions(project)["status"].tolist() == ["done"]


def test_the_pm_archives_and_reopens_a_board(retros: RetroStore, project: int, board: dict[str, Any], ana: int) -> None:
    card = retros.add_card(board["id"], ana, "wind", "Demos")
    before = retros.version(board["id"])
    retros.archive(board["id"])
    assert retros.version(board["id"]) != before
    shelved = retros.board_for_token(board["token"])  # the link still opens it, to say it is archived
    assert retro.board_status(shelved) == "archived" and isinstance(shelved["archived_at"], dt.datetime)
    for write in (
        lambda: retros.add_card(board["id"], ana, "wind", "Late"),
        lambda: retros.edit_card(card, ana, "Later"),
        lambda: retros.join(board["id"], "Ben", BROWSER),
        lambda: phase(retros, board, "group"),
        lambda: retros.set_private_writing(board["id"], True, facilitator_key=board["facilitator_key"]),
        lambda: retros.start_timer(board["id"], 5, facilitator_key=board["facilitator_key"]),
        lambda: retros.stop_timer(board["id"], facilitator_key=board["facilitator_key"]),
        lambda: retros.set_ready(ana, True, phase="collect"),
        lambda: retros.set_column_limits(board["id"], {"wind": 1}, facilitator_key=board["facilitator_key"]),
    ):
        with pytest.raises(ValidationError, match=ARCHIVED):
            write()
    with pytest.raises(ValidationError, match="archived already"):
        retros.archive(board["id"])
    retros.reopen(board["id"])
    assert retro.board_status(retros.board(board["id"])) == "open"
    retros.edit_card(card, ana, "Later")
    with pytest.raises(ValidationError, match="Only an archived board can be reopened"):
        retros.reopen(board["id"])
    with pytest.raises(NotFoundError):
        retros.archive(999)


def test_a_finished_board_archived_and_reopened_is_finished_again(retros: RetroStore, board: dict[str, Any]) -> None:
    phase(retros, board, "act")
    retros.finish(board["id"], facilitator_key=board["facilitator_key"])
    finished_at = retros.board(board["id"])["finished_at"]
    retros.archive(board["id"])
    retros.reopen(board["id"])
    again = retros.board(board["id"])
    assert retro.board_status(again) == "finished" and again["finished_at"] == finished_at


# -- several kernels at once -----------------------------------------------------------------


class _UnlockedRetroStore(RetroStore):
    """A RetroStore that leaves out the member's lock: the vote is no longer atomic."""

    def _member_board(self, conn: Any, member_id: int, *, lock: bool = False) -> dict[str, Any]:  # type: ignore[override]
        return super()._member_board(conn, member_id, lock=False)


def _pause_after_counting_votes(store: Store) -> None:
    """Widen the race: every vote pauses between counting the member's votes and saving its own."""

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "count(" in statement.lower() and "retro_votes" in statement:
            time.sleep(SLOW_SECONDS)

    event.listen(store.engine, "after_cursor_execute", pause)


def _vote_worker(barrier: Any, idx: int, url: str, member_id: int, card_ids: list[int], unsafe: bool) -> Any:
    """One kernel of the same member (two tabs, a double click) voting as fast as it can."""
    with closing(Store.open(url)) as store:
        _pause_after_counting_votes(store)
        retros = _UnlockedRetroStore(store) if unsafe else RetroStore(store)
        barrier.wait()
        accepted = 0
        for card_id in card_ids:
            try:
                retros.vote(member_id, card_id)
                accepted += 1
            except ValidationError:
                pass
        return accepted


def _race_votes(
    store_url: str,
    retros: RetroStore,
    board: dict[str, Any],
    member: int,
    run: RunInProcesses,
    *,
    unsafe: bool,
    wind_limit: int | None = None,
) -> int:
    cards = [retros.add_card(board["id"], member, "wind", f"Card {i}") for i in range(3)]
    phase(retros, board, "vote")
    if wind_limit is not None:
        retros.set_column_limits(board["id"], {"wind": wind_limit}, facilitator_key=board["facilitator_key"])
    accepted = run(_vote_worker, [(i, store_url, member, cards * 2, unsafe) for i in range(VOTERS)])
    assert sum(accepted.values()) == len(retros.state(board["id"]).votes)
    return sum(accepted.values())


def test_kernels_voting_for_one_member_at_once_never_exceed_the_limit(
    store_url: str, retros: RetroStore, board: dict[str, Any], ana: int, run_in_processes: RunInProcesses
) -> None:
    assert _race_votes(store_url, retros, board, ana, run_in_processes, unsafe=False) == 3  # votes_per_member


def test_kernels_voting_for_one_member_at_once_never_exceed_a_columns_limit(
    store_url: str, retros: RetroStore, board: dict[str, Any], ana: int, run_in_processes: RunInProcesses
) -> None:
    assert _race_votes(store_url, retros, board, ana, run_in_processes, unsafe=False, wind_limit=2) == 2


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_vote_race_test_catches_a_vote_without_the_lock(
    store_url: str, retros: RetroStore, board: dict[str, Any], ana: int, run_in_processes: RunInProcesses
) -> None:
    """On PostgreSQL the member's lock is what keeps the count right (SQLite's BEGIN IMMEDIATE
    makes every write take its turn, lock or not, so there is nothing to catch there)."""
    assert _race_votes(store_url, retros, board, ana, run_in_processes, unsafe=True) > 3


def _card_worker(barrier: Any, idx: int, url: str, board_id: int) -> Any:
    """One team member's kernel joining and adding cards while everyone else does."""
    with closing(Store.open(url)) as store:
        retros = RetroStore(store)
        barrier.wait()
        member = retros.join(board_id, f"Member {idx}", BROWSER)
        again = retros.join(board_id, f"member {idx}", BROWSER)
        ids = [retros.add_card(board_id, member, "wind", f"Card {idx}.{n}") for n in range(5)]
        return (member, again, ids)


def test_members_adding_cards_at_once_lose_none(
    store_url: str, retros: RetroStore, board: dict[str, Any], run_in_processes: RunInProcesses
) -> None:
    outcomes = run_in_processes(_card_worker, [(i, store_url, board["id"]) for i in range(6)])
    assert all(member == again for member, again, _ids in outcomes.values())
    state = retros.state(board["id"])
    assert len(state.members) == 6
    assert sorted(state.cards["text"]) == sorted(f"Card {i}.{n}" for i in range(6) for n in range(5))


def test_a_name_is_one_member_per_browser(retros: RetroStore, board: dict[str, Any], ana: int) -> None:
    assert retros.join(board["id"], "ana", BROWSER) == ana
    with pytest.raises(ValidationError, match="someone has already joined this board as 'ANA' from another browser"):
        retros.join(board["id"], "ANA", "f" * 32)
    assert retros.state(board["id"]).members["name"].tolist() == ["ana"]  # the refused join renamed no one
    with pytest.raises(ValidationError, match="Browser key: cannot be empty"):
        retros.join(board["id"], "Cleo", " ")


def test_an_action_is_closed_once_and_open_again_when_reopened(
    retros: RetroStore, project: int, board: dict[str, Any]
) -> None:
    phase(retros, board, "act")
    action = retros.add_action(board["id"], None, "Fix the build", facilitator_key=board["facilitator_key"])

    def closed_at() -> Any:
        return retros.actions(project).set_index("id").loc[action, "closed_at"]

    assert pd.isna(closed_at())
    retros.update_action(action, "status", "done")
    first = closed_at()
    assert not pd.isna(first)
    retros.update_action(action, "status", "dropped")  # still closed: closed when it first was
    retros.update_action(action, "owner", "Ben")
    assert closed_at() == first
    retros.update_action(action, "status", "in progress")
    assert pd.isna(closed_at())


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize(
    "write",
    [
        lambda r, b, m: r.add_card(b["id"], m, "wind", "Late card"),
        lambda r, b, m: r.join(b["id"], "Cy", "cy-browser"),
        lambda r, b, m: r.add_action(b["id"], None, "Late action", facilitator_key=b["facilitator_key"]),
    ],
    ids=["card", "join", "action"],
)
def test_a_write_waits_for_an_archive_in_progress_and_is_then_refused(
    retros: RetroStore, board: dict[str, Any], ana: int, write: Callable[..., Any]
) -> None:
    """On PostgreSQL a write that found the board open could land after another kernel finished
    or archived it; the shared row lock makes it wait, then find the board closed."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            write(retros, board, ana)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            outcome.append(exc)

    with retros.store.write() as conn:  # the archive, in progress in another kernel
        conn.execute(select(retro_boards.c.id).where(retro_boards.c.id == board["id"]).with_for_update())
        writer = threading.Thread(target=attempt)
        writer.start()
        writer.join(1.0)
        assert writer.is_alive(), "the write did not wait for the board's lock"
        conn.execute(
            retro_boards.update().where(retro_boards.c.id == board["id"]).values(archived_at=dt.datetime(2026, 12, 7))
        )
    writer.join(10)
    [refused] = outcome
    assert isinstance(refused, ValidationError) and "archived" in str(refused)


def test_history_reads_the_retrospectives_their_cards_and_the_actions_not_health_checks(
    retros: RetroStore, store: Store, project: int
) -> None:
    first = retros.create_board(project, "Sprint 1", "start_stop_continue", 3)
    second = retros.create_board(project, "Sprint 2", "start_stop_continue", 3)
    health = retros.create_board(project, "Health", "start_stop_continue", 3)
    other = retros.create_board(store.create_project("Zeus"), "Elsewhere", "start_stop_continue", 3)
    with store.write() as conn:  # a team health check is a board of another kind (revision 0006)
        conn.execute(retro_boards.update().where(retro_boards.c.id == health["id"]).values(kind="health"))
    cards = {}
    for board in (first, second, health, other):
        member = retros.join(board["id"], "Ada", BROWSER)
        cards[board["id"]] = retros.add_card(board["id"], member, "stop", f"Card on {board['id']}")
    for board in (first, second):
        phase(retros, board, "act")
    action = retros.add_action(first["id"], None, "Fix the build", facilitator_key=first["facilitator_key"])

    history = retros.history(project)
    assert history.boards["id"].tolist() == [first["id"], second["id"]]
    assert list(history.boards.columns) == BOARD_COLUMNS
    assert list(history.cards.columns) == HISTORY_CARD_COLUMNS
    assert history.cards[["id", "board_id", "text"]].values.tolist() == [
        [cards[first["id"]], first["id"], f"Card on {first['id']}"],
        [cards[second["id"]], second["id"], f"Card on {second['id']}"],
    ]
    assert history.actions["id"].tolist() == [action]
    assert list(history.actions.columns) == ACTION_COLUMNS
    assert retros.history(store.create_project("Empty")).boards.empty
