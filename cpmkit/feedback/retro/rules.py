"""Workbook 4's mid-project retrospective, as pure logic: the phases a board moves through and
what each allows, cards gathered into groups with their votes, the vote limit (its cap, the
votes each member used and has left, the refusal once all are used), which cards and votes are
a member's own, the actions carried over from earlier retrospectives of the same project, and a
board's status (open, finished by its facilitator, archived by the PM) with the updates that change it.

Pure: plain values and DataFrames in, new values out; no widgets, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_whole_number, not_one_of, not_whole_number
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_STATUSES",
    "BOARD_STATUSES",
    "CARD_TEXT_LIMIT",
    "GROUP_COLUMNS",
    "MAX_VOTES",
    "OPEN_STATUSES",
    "PHASES",
    "PHASE_RULES",
    "TALLY_PHASES",
    "allows",
    "archived",
    "board_status",
    "carried_actions",
    "check_open",
    "check_phase",
    "check_vote_left",
    "closed_problem",
    "finished",
    "groups",
    "my_cards",
    "my_votes",
    "next_phase",
    "previous_phase",
    "reopened",
    "shows_tally",
    "top_groups",
    "vote_limit",
    "vote_limit_problem",
    "votes_left",
    "votes_used",
]

#: The phases of a board, in order; the facilitator moves it forward (or back) one at a time.
PHASES: Final = ("collect", "group", "vote", "discuss", "act")
#: What can be done on a board, and in which phases.
PHASE_RULES: Final[Mapping[str, tuple[str, ...]]] = {
    "add cards": ("collect", "group"),
    "change cards": ("collect", "group"),
    "group cards": ("group",),
    "vote": ("vote",),
    "add actions": ("discuss", "act"),
}
#: The phases that show each group's votes, most voted first; before them, cards keep the order
#: they were posted in (a running tally would sway the vote, and move buttons under people's cursors).
TALLY_PHASES: Final = ("discuss", "act")
#: The most votes a member may be given on one board (a new board's default is in templates/retro_formats.yaml).
MAX_VOTES: Final = 20
#: An action's life; "open" and "in progress" ones are carried into the next retrospective.
ACTION_STATUSES: Final = ("open", "in progress", "done", "dropped")
OPEN_STATUSES: Final = ("open", "in progress")
#: A board's status: running (open), closed by its facilitator (finished), put away by the PM (archived).
BOARD_STATUSES: Final = ("open", "finished", "archived")
_CLOSED: Final = {
    "finished": "This retrospective is finished: nothing on it can change now. Its summary stays here.",
    "archived": "This board is archived: nothing on it can change. The project manager can reopen it.",
}
#: The longest card, in characters: a card holds one idea.
CARD_TEXT_LIMIT: Final = 500
#: Columns of the frame ``groups`` returns.
GROUP_COLUMNS: Final = ["card_id", "column_id", "text", "member_ids", "members", "votes"]


def next_phase(phase: str) -> str | None:
    """The phase after ``phase``; None after the last."""
    index = _index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def previous_phase(phase: str) -> str | None:
    """The phase before ``phase``; None before the first."""
    index = _index(phase)
    return PHASES[index - 1] if index > 0 else None


def allows(phase: str, what: str) -> bool:
    """Whether ``what`` (a key of ``PHASE_RULES``) can be done while a board is in ``phase``."""
    return phase in PHASE_RULES[what]


def check_phase(phase: str, what: str) -> None:
    """Refuse ``what`` outside its phases with a message saying when it can be done."""
    if not allows(phase, what):
        when = " and ".join(PHASE_RULES[what])
        raise ValidationError(f"You can {what} only in the {when} phase; this board is in the {phase} phase now.")


def shows_tally(phase: str) -> bool:
    """Whether a board in ``phase`` shows each group's votes (and orders groups by them)."""
    return phase in TALLY_PHASES


def board_status(board: Mapping[str, Any]) -> str:
    """One of ``BOARD_STATUSES`` for a board row (``finished_at`` and ``archived_at`` set or missing)."""
    if _set(board.get("archived_at")):
        return "archived"
    return "finished" if _set(board.get("finished_at")) else "open"


def closed_problem(board: Mapping[str, Any]) -> str | None:
    """Why nothing on ``board`` can change (it is finished or archived); None for an open board."""
    return _CLOSED.get(board_status(board))


def check_open(board: Mapping[str, Any]) -> None:
    """Refuse any change to a board that is finished or archived, with a message saying why."""
    problem = closed_problem(board)
    if problem is not None:
        raise ValidationError(problem)


def finished(board: Mapping[str, Any], at: Any) -> dict[str, Any]:
    """``board`` finished at ``at``: only an open board, in its last phase (actions agreed), can
    be; a team health check (``kind`` "health") has no phases, and can be finished any time."""
    check_open(board)
    if board.get("kind", "retro") == "retro" and next_phase(str(board["phase"])) is not None:
        raise ValidationError(
            f"A board can be finished only in its last phase, {PHASES[-1]}; it is in {board['phase']}."
        )
    return {**board, "finished_at": at}


def archived(board: Mapping[str, Any], at: Any) -> dict[str, Any]:
    """``board`` archived at ``at`` (open or finished alike: an abandoned board too); once only."""
    if board_status(board) == "archived":
        raise ValidationError("This board is archived already.")
    return {**board, "archived_at": at}


def reopened(board: Mapping[str, Any]) -> dict[str, Any]:
    """An archived ``board`` back as it was before: open, or finished if it had been."""
    if board_status(board) != "archived":
        raise ValidationError("Only an archived board can be reopened.")
    return {**board, "archived_at": None}


def groups(cards: pd.DataFrame, votes: pd.DataFrame) -> pd.DataFrame:
    """One row per group (a card and the cards grouped under it, ``GROUP_COLUMNS``): the lead
    card's id, column and text, the ids and texts of the cards under it (oldest first) and the
    votes on all of them; most votes first, then the earliest lead card.

    ``cards`` needs id, column_id, text and group_id (the lead's id, or missing for a lead);
    ``votes`` needs card_id, one row per vote. A card grouped under a card not in ``cards``
    leads its own group."""
    require_columns(cards, ["id", "column_id", "text", "group_id"], "list of cards")
    require_columns(votes, ["card_id"], "list of votes")
    by_id: dict[int, Mapping[Any, Any]] = {int(card["id"]): card for card in cards.sort_values("id").to_dict("records")}
    lead_of = {card_id: _lead(card_id, by_id) for card_id in by_id}
    counted: dict[int, int] = {}
    for voted in votes["card_id"]:
        lead = lead_of.get(int(voted))
        if lead is not None:
            counted[lead] = counted.get(lead, 0) + 1
    rows: list[dict[str, Any]] = []
    for card_id, card in by_id.items():
        if lead_of[card_id] != card_id:
            continue
        under = [other for other, lead in lead_of.items() if lead == card_id and other != card_id]
        rows.append(
            {
                "card_id": card_id,
                "column_id": str(card["column_id"]),
                "text": str(card["text"]),
                "member_ids": under,
                "members": [str(by_id[other]["text"]) for other in under],
                "votes": int(counted.get(card_id, 0)),
            }
        )
    frame = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    frame["votes"] = frame["votes"].astype(int)
    return frame.sort_values(["votes", "card_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def top_groups(grouped: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` groups of ``groups(...)`` that got a vote (all of the first ``n`` if none did)."""
    voted = grouped[grouped["votes"] > 0]
    return (voted if not voted.empty else grouped).head(max(0, n)).reset_index(drop=True)


def vote_limit_problem(value: Any) -> str | None:
    """What is wrong with ``value`` as a board's votes per member (None if nothing): a whole
    number from 1 to ``MAX_VOTES``, as a content file must give it."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VOTES:
        return not_whole_number(value, 1, MAX_VOTES)
    return None


def vote_limit(value: Any, default: int) -> int:
    """A new board's votes per member from what was entered (``"3"`` and ``3.0`` are 3), or
    ``default`` when blank; ValidationError for anything but a whole number from 1 to ``MAX_VOTES``."""
    number = clean_whole_number("votes_per_member", value, low=1, high=MAX_VOTES)
    return default if number is None else number


def votes_used(votes: pd.DataFrame, member_id: int) -> int:
    """How many votes ``member_id`` has put on the board (``votes``: member_id per vote)."""
    require_columns(votes, ["member_id"], "list of votes")
    return int((votes["member_id"] == member_id).sum())


def votes_left(votes: pd.DataFrame, member_id: int, limit: int) -> int:
    """How many of their ``limit`` votes ``member_id`` has not spent (``votes``: member_id per vote)."""
    return _left(votes_used(votes, member_id), limit)


def check_vote_left(used: int, limit: int) -> int:
    """Refuse one more vote of a member who used ``used`` of ``limit`` votes with a message saying
    how to vote again; otherwise the votes they have left after it."""
    if _left(used, limit) == 0:
        raise ValidationError(f"You have used all {limit} of your votes; take one back to vote for something else.")
    return _left(used + 1, limit)


def my_cards(cards: pd.DataFrame, member_id: int) -> frozenset[int]:
    """The ids of the cards ``member_id`` posted (anonymous ones too: their author can still change them)."""
    require_columns(cards, ["id", "member_id"], "list of cards")
    own = cards["member_id"].eq(member_id).fillna(False).astype(bool)
    return frozenset(int(card_id) for card_id in cards.loc[own, "id"])


def my_votes(votes: pd.DataFrame, member_id: int) -> dict[int, int]:
    """``member_id``'s votes by the card they were put on (a group's lead card)."""
    require_columns(votes, ["card_id", "member_id"], "list of votes")
    return dict(Counter(int(card_id) for card_id in votes.loc[votes["member_id"] == member_id, "card_id"]))


def carried_actions(actions: pd.DataFrame, board: Mapping[str, Any]) -> pd.DataFrame:
    """The actions a board reviews first: those of earlier boards of the same project (or of a
    board since deleted) that are still open or in progress, plus those closed since this board
    was created (reviewed here; a later edit of a closed action does not bring it back).
    Still-open ones first, oldest first within each.

    ``actions`` needs id, project_id, board_id, status, created_at and closed_at; ``board``
    needs id, project_id and created_at."""
    require_columns(actions, ["id", "project_id", "board_id", "status", "created_at", "closed_at"], "list of actions")
    board_ids = pd.to_numeric(actions["board_id"], errors="coerce").astype(float)
    earlier = (actions["project_id"] == board["project_id"]) & (board_ids.isna() | (board_ids < int(board["id"])))
    still_open = actions["status"].isin(OPEN_STATUSES)
    reviewed_here = pd.to_datetime(actions["closed_at"]) >= pd.Timestamp(board["created_at"])  # NaT: never closed
    found = actions[earlier & (still_open | reviewed_here)].assign(_closed=lambda f: ~f["status"].isin(OPEN_STATUSES))
    ordered: pd.DataFrame = found.sort_values(["_closed", "created_at", "id"], kind="stable")
    return ordered.drop(columns="_closed").reset_index(drop=True)


def _set(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _left(used: int, limit: int) -> int:
    return max(0, int(limit) - int(used))


def _index(phase: str) -> int:
    if phase not in PHASES:
        raise ValidationError.for_field("phase", phase, not_one_of(phase, PHASES))
    return PHASES.index(phase)


def _lead(card_id: int, by_id: Mapping[int, Mapping[Any, Any]]) -> int:
    """The card at the top of ``card_id``'s group: a chain is followed up to a card that leads
    (or whose lead is missing); in a loop, its earliest card leads."""
    path = [card_id]
    while True:
        parent = by_id[path[-1]]["group_id"]
        if parent is None or pd.isna(parent) or int(parent) not in by_id:
            return path[-1]
        if int(parent) in path:
            return min(path[path.index(int(parent)) :])
        path.append(int(parent))
