"""Workbook 4's live board as a state and a view, the Solara way: ``BoardState`` is the board
as read from the store at one moment plus what this page is doing (the card being edited),
frozen; pure functions return a new state (``with_read``, ``with_editing``), and
``board_view(state, member_id)`` says what one member sees and may do. The ui only draws a
view and sends what people do to the store, so no flag has to stop a redraw from acting.

The view holds only what the member may see: while cards are written privately, others' cards
are not in it at all (only how many there are), so no page can send their text to a browser.

Pure: plain values and DataFrames in, new values out; no widgets, no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.errors import ValidationError
from cpmkit.feedback.retro import rules

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ANONYMOUS",
    "TOP_GROUPS",
    "BoardState",
    "BoardView",
    "CardView",
    "GroupView",
    "board_view",
    "card_view",
    "with_editing",
    "with_read",
]

#: The author shown on an anonymous card.
ANONYMOUS: Final = "Anonymous"
#: How many of the most-voted groups the facilitator turns into actions.
TOP_GROUPS: Final = 3


@dataclass(frozen=True)
class BoardState:
    """Everything a board shows, read at one moment: the board, its members (with the phase each
    said they are ready in), cards and votes, every retro action of its project (for the
    carried-over list) and the vote limits per column (column id -> votes); and the member's card
    whose text the page's form is changing (None: the form adds a card)."""

    board: dict[str, Any]
    members: pd.DataFrame
    cards: pd.DataFrame
    votes: pd.DataFrame
    actions: pd.DataFrame
    limits: Mapping[str, int] = field(default_factory=dict)
    editing: int | None = None

    @property
    def phase(self) -> str:
        return str(self.board["phase"])


@dataclass(frozen=True)
class CardView:
    """A card as shown: its text and author (``ANONYMOUS`` for an anonymous card); ``mine`` when
    it is the member's own and can be changed now (Edit and Remove are offered)."""

    id: int
    text: str
    author: str
    mine: bool = False


@dataclass(frozen=True)
class GroupView:
    """A group as one member sees it: its lead card first, then the cards under it; its votes
    (``tally``) only in ``rules.TALLY_PHASES``; the member's own votes on it (``my_votes``) only
    in the vote phase, when Vote and Take back are offered."""

    card_id: int
    column_id: str
    cards: tuple[CardView, ...]
    tally: int | None
    my_votes: int | None


@dataclass(frozen=True)
class BoardView:
    """What one member's page shows and offers, from a ``BoardState``.

    ``status`` is one of ``rules.BOARD_STATUSES``: a board that is not open offers nothing to
    do, and ``closed`` says why (None while open). ``finishing`` offers the facilitator Finish (an open board in its last phase);
    ``back_to``/``next_to`` are the phases the facilitator's buttons move to; ``votes_left`` is
    set in the vote phase only; ``columns`` holds each column's groups in the order shown;
    ``grouping_cards`` are the (id, text) of the cards the facilitator's grouping form offers;
    ``action_groups`` the top groups the facilitator turns into actions.

    Facilitation: ``hidden_cards`` is how many cards of others are hidden while written privately
    (None when nothing is); the facilitator is offered the choice to write privately
    (``choosing_privacy``, while collecting and nothing was shown yet: see
    ``rules.private_writing_problem``) and Reveal (``revealing``).
    ``timer_ends`` is when the current phase's timer runs out (UTC; None without one), and
    ``timing`` offers the facilitator the timer's controls. ``ready_count`` of ``ready_of`` members
    of the team said they are ready in this phase (``rules.team_members``: whoever joined from the
    facilitator's link runs the phase and is in neither, on every page), ``i_am_ready`` the
    member among them, ``ready`` their names (for the facilitator only); ``readying`` offers the
    signal to a member of the team on a member's page. ``column_limits`` are the vote limits per column, ``column_votes_left`` the member's votes left in each limited
    column (vote phase only), ``limiting`` offers the facilitator the limits' form."""

    phase: str
    status: str
    closed: str | None
    finishing: bool
    members: tuple[str, ...]
    back_to: str | None
    next_to: str | None
    adding: bool
    editing: int | None
    vote_limit: int
    votes_left: int | None
    columns: Mapping[str, tuple[GroupView, ...]]
    grouping: bool
    grouping_cards: tuple[tuple[int, str], ...]
    acting: bool
    action_groups: tuple[GroupView, ...]
    carried: pd.DataFrame
    board_actions: pd.DataFrame
    hidden_cards: int | None
    private_writing: bool
    choosing_privacy: bool
    revealing: bool
    timer_ends: dt.datetime | None
    timing: bool
    ready: tuple[str, ...]
    ready_count: int
    ready_of: int
    i_am_ready: bool
    readying: bool
    column_limits: Mapping[str, int]
    column_votes_left: Mapping[str, int]
    limiting: bool


def with_read(state: BoardState | None, read: BoardState) -> BoardState:
    """A new read of the store in place of ``state``, keeping what the page was doing (a form
    being typed in is never reset by a redraw)."""
    return read if state is None else dataclasses.replace(read, editing=state.editing)


def with_editing(state: BoardState, card_id: int | None, member_id: int) -> BoardState:
    """The page's form changing the text of ``card_id`` (one of ``member_id``'s own cards), or
    back to adding cards with None."""
    if card_id is not None and card_id not in rules.my_cards(state.cards, member_id):
        raise ValidationError("You can change only your own cards.")
    return dataclasses.replace(state, editing=card_id)


def card_view(card: Mapping[Hashable, Any], *, mine: bool = False) -> CardView:
    """A card row (id, text, anonymous, author) as shown."""
    author = ANONYMOUS if card["anonymous"] or pd.isna(card["author"]) else str(card["author"])
    return CardView(int(card["id"]), str(card["text"]), author, mine)


def board_view(state: BoardState, member_id: int, *, facilitator: bool = False) -> BoardView:
    """What ``member_id`` sees of the board (and, with ``facilitator``, the facilitator's controls)."""
    phase = state.phase
    status = rules.board_status(state.board)
    running = status == "open"

    def allows(what: str) -> bool:
        return running and rules.allows(phase, what)

    hidden = rules.hides_cards(state.board)
    seen = rules.visible_cards(state.cards, state.board, member_id)
    grouped = rules.groups(seen, state.votes)
    changeable = rules.my_cards(seen, member_id) if allows("change cards") else frozenset()
    voting = allows("vote")
    votes = rules.my_votes(state.votes, member_id) if voting else None
    cards = {int(card["id"]): card_view(card, mine=int(card["id"]) in changeable) for card in _records(seen)}
    team = rules.team_members(state.members)
    ready = rules.ready_members(team, phase) if running else team.head(0)
    private = bool(state.board.get("private_writing"))

    def group_view(group: Mapping[Hashable, Any]) -> GroupView:
        ids = [int(group["card_id"]), *(int(i) for i in group["member_ids"])]
        return GroupView(
            ids[0],
            str(group["column_id"]),
            tuple(cards[i] for i in ids),
            int(group["votes"]) if rules.shows_tally(phase) else None,
            sum(votes.get(i, 0) for i in ids) if votes is not None else None,
        )

    shown = grouped if rules.shows_tally(phase) else grouped.sort_values("card_id", kind="stable")
    columns: dict[str, list[GroupView]] = {}
    for group in _records(shown):
        columns.setdefault(str(group["column_id"]), []).append(group_view(group))
    limit = int(state.board["votes_per_member"])
    acting = allows("add actions")
    top = rules.top_groups(grouped, TOP_GROUPS) if facilitator and acting else grouped.head(0)
    on_board = state.actions["board_id"].eq(state.board["id"]).fillna(False).astype(bool)
    return BoardView(
        phase=phase,
        status=status,
        closed=rules.closed_problem(state.board),
        finishing=facilitator and running and rules.next_phase(phase) is None,
        members=tuple(str(name) for name in state.members["name"]),
        back_to=rules.previous_phase(phase) if running else None,
        next_to=rules.next_phase(phase) if running else None,
        adding=allows("add cards"),
        editing=state.editing if running else None,
        vote_limit=limit,
        votes_left=rules.votes_left(state.votes, member_id, limit) if voting else None,
        columns={column_id: tuple(shown_groups) for column_id, shown_groups in columns.items()},
        grouping=facilitator and allows("group cards"),
        grouping_cards=tuple((card.id, card.text) for card in cards.values()) if facilitator else (),
        acting=acting,
        action_groups=tuple(group_view(group) for group in _records(top)),
        carried=rules.carried_actions(state.actions, state.board),
        board_actions=state.actions[on_board],
        hidden_cards=len(state.cards) - len(seen) if hidden else None,
        private_writing=private,
        choosing_privacy=facilitator
        and allows("choose private writing")
        and rules.private_writing_problem(state.board, len(state.cards)) is None,
        revealing=facilitator and running and hidden,
        timer_ends=rules.timer_end(state.board) if running else None,
        timing=facilitator and running,
        ready=tuple(str(name) for name in ready["name"]) if facilitator else (),
        ready_count=len(ready),
        ready_of=len(team),
        i_am_ready=bool(ready["id"].eq(member_id).any()),
        readying=running and not facilitator and bool(team["id"].eq(member_id).any()),
        column_limits=dict(state.limits),
        column_votes_left=rules.column_votes_left(state.cards, state.votes, member_id, state.limits) if voting else {},
        limiting=facilitator and allows("set vote limits"),
    )


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return frame.to_dict("records")
