"""Workbook 4's mid-project retrospective, as pure logic: the phases a board moves through and
what each allows, cards gathered into groups with their votes, the vote limit (its cap, the
votes each member used and has left, the refusal once all are used), which cards and votes are
a member's own, the actions carried over from earlier retrospectives of the same project, and a
board's status (open, finished by its facilitator, archived by the PM) with the updates that change it.

Facilitation (issue 15): cards written privately (each member sees only their own until the
facilitator reveals them, or the board moves on from collect; once shown, never hidden again), a
timer per phase (its end in UTC, the time left worked out from a clock reading), members saying
they are ready in the phase the board is in, and vote limits per column on top of the board's
votes per member.

Pure: plain values and DataFrames in, new values out; no widgets, no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_whole_number, not_one_of, not_whole_number, required
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
    "MAX_TIMER_MINUTES",
    "MAX_VOTES",
    "OPEN_STATUSES",
    "PHASES",
    "PHASE_RULES",
    "RETRO_KIND",
    "TALLY_PHASES",
    "allows",
    "archived",
    "board_status",
    "carried_actions",
    "check_open",
    "check_phase",
    "check_vote_left",
    "closed_problem",
    "column_limits",
    "column_votes_left",
    "column_votes_most",
    "column_votes_used",
    "finished",
    "groups",
    "hides_cards",
    "moved_to",
    "my_cards",
    "my_votes",
    "next_phase",
    "previous_phase",
    "private_writing_problem",
    "ready_members",
    "reopened",
    "revealed",
    "seconds_left",
    "shows_tally",
    "team_members",
    "timer_end",
    "timer_minutes",
    "timer_started",
    "timer_stopped",
    "timer_text",
    "top_groups",
    "visible_cards",
    "vote_limit",
    "vote_limit_problem",
    "votes_left",
    "votes_used",
    "with_private_writing",
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
    "choose private writing": ("collect",),
    "set vote limits": ("collect", "group", "vote"),
}
#: The phases that show each group's votes, most voted first; before them, cards keep the order
#: they were posted in (a running tally would sway the vote, and move buttons under people's cursors).
TALLY_PHASES: Final = ("discuss", "act")
#: The most votes a member may be given on one board (a new board's default is in templates/retro_formats.yaml).
MAX_VOTES: Final = 20
#: An action's life; "open" and "in progress" ones are carried into the next retrospective.
ACTION_STATUSES: Final = ("open", "in progress", "done", "dropped")
OPEN_STATUSES: Final = ("open", "in progress")
#: ``retro_boards.kind`` of a retrospective (a team health check's is ``cpmkit.feedback.health.rules.HEALTH``).
RETRO_KIND: Final = "retro"
#: A board's status: running (open), closed by its facilitator (finished), put away by the PM (archived).
BOARD_STATUSES: Final = ("open", "finished", "archived")
_CLOSED: Final = {
    "finished": "This retrospective is finished: nothing on it can change now. Its summary stays here.",
    "archived": "This board is archived: nothing on it can change. The project manager can reopen it.",
}
#: The longest card, in characters: a card holds one idea.
CARD_TEXT_LIMIT: Final = 500
#: The longest timer the facilitator can set, in minutes (an hour: a phase longer than that needs no timer).
MAX_TIMER_MINUTES: Final = 60
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
        *first, last = PHASE_RULES[what]
        when = f"{', '.join(first)} and {last}" if first else last
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
    if board.get("kind", RETRO_KIND) == RETRO_KIND and next_phase(str(board["phase"])) is not None:
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


def hides_cards(board: Mapping[str, Any]) -> bool:
    """Whether each member sees only their own cards: written privately, not revealed yet, collecting."""
    return bool(board.get("private_writing")) and not _set(board.get("revealed_at")) and board["phase"] == "collect"


def visible_cards(cards: pd.DataFrame, board: Mapping[str, Any], member_id: int | None) -> pd.DataFrame:
    """The cards ``member_id`` may see: all of them, or while ``hides_cards(board)`` only their own
    (anonymous ones too; None: nobody's, as the PM's panel)."""
    require_columns(cards, ["member_id"], "list of cards")
    if not hides_cards(board):
        return cards
    return (
        cards[cards["member_id"].eq(member_id).fillna(False).astype(bool)] if member_id is not None else cards.head(0)
    )


def private_writing_problem(board: Mapping[str, Any], cards: int) -> str | None:
    """Why ``board`` (holding ``cards`` cards) cannot be written privately from now on (None if it
    can): hiding cards once anything was shown would take back what people have seen, so it is
    refused once the cards were revealed (by Reveal, by turning private writing off, or by the board
    leaving collect, which sets ``revealed_at``) or while cards written in the open are on it."""
    if _set(board.get("revealed_at")):
        return "The cards have been shown already: they cannot be hidden again."
    if not board.get("private_writing") and cards:
        return "Cards written in the open are on the board already: they cannot be hidden now."
    return None


def with_private_writing(board: Mapping[str, Any], private: bool, at: Any, *, cards: int) -> dict[str, Any]:
    """``board`` (holding ``cards`` cards) with cards written privately or in the open, chosen while
    collecting. Turning it off on a board that hides cards reveals them at ``at``; turning it on is
    refused once anything was shown (``private_writing_problem``), so nobody's seen card is hidden again."""
    check_open(board)
    check_phase(str(board["phase"]), "choose private writing")
    if private:
        problem = private_writing_problem(board, cards)
        if problem is not None:
            raise ValidationError(problem)
        return {**board, "private_writing": True}
    return {**board, "private_writing": False, **({"revealed_at": at} if hides_cards(board) else {})}


def revealed(board: Mapping[str, Any], at: Any) -> dict[str, Any]:
    """``board`` with its privately written cards shown to all from ``at`` (kept if revealed already)."""
    check_open(board)
    if not board.get("private_writing"):
        raise ValidationError("Cards on this board are written in the open: there is nothing to reveal.")
    return {**board, "revealed_at": board["revealed_at"] if _set(board.get("revealed_at")) else at}


def moved_to(board: Mapping[str, Any], phase: str, at: Any) -> dict[str, Any]:
    """``board`` in ``phase`` from ``at``: a new phase clears the timer, and leaving collect reveals
    the cards (``revealed_at``, set once, whether or not they were written privately), so going
    back to collect never hides them again."""
    check_open(board)
    _index(phase)
    if phase == board["phase"]:
        return dict(board)
    moved = {**board, "phase": phase, "timer_phase": None, "timer_ends_at": None}
    if phase != "collect" and not _set(board.get("revealed_at")):
        moved["revealed_at"] = at
    return moved


def timer_minutes(value: Any) -> int:
    """The minutes of a timer as entered (``"5"`` is 5): a whole number from 1 to ``MAX_TIMER_MINUTES``."""
    return required("minutes", value, clean_whole_number("minutes", value, low=1, high=MAX_TIMER_MINUTES))


def timer_started(board: Mapping[str, Any], minutes: Any, now: dt.datetime) -> dict[str, Any]:
    """``board`` with a timer of ``minutes`` for the phase it is in, running from ``now`` (UTC)."""
    check_open(board)
    ends = now + dt.timedelta(minutes=timer_minutes(minutes))
    return {**board, "timer_phase": board["phase"], "timer_ends_at": ends}


def timer_stopped(board: Mapping[str, Any]) -> dict[str, Any]:
    """``board`` without a timer."""
    check_open(board)
    return {**board, "timer_phase": None, "timer_ends_at": None}


def timer_end(board: Mapping[str, Any]) -> dt.datetime | None:
    """When the timer of the phase ``board`` is in runs out (UTC); None without one (or with a
    timer left from another phase)."""
    ends = board.get("timer_ends_at")
    if ends is None or pd.isna(ends) or board.get("timer_phase") != board["phase"]:
        return None
    return pd.Timestamp(ends).to_pydatetime()


def seconds_left(ends: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds from ``now`` until ``ends`` (rounded up: "0:01 left" until it is up), 0 once past."""
    return max(0, math.ceil((ends - now).total_seconds()))


def timer_text(seconds: int) -> str:
    """A countdown as people read it: ``"3:12 left"``, then ``"Time is up"``."""
    if seconds <= 0:
        return "Time is up"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d} left"


def team_members(members: pd.DataFrame) -> pd.DataFrame:
    """The members who are the team (``members``: id, name, ready_phase, facilitating): all but
    those who joined from the facilitator's link, who run the board; the ready count is of these."""
    require_columns(members, ["facilitating"], "list of members")
    return members[~members["facilitating"].fillna(False).astype(bool)]


def ready_members(members: pd.DataFrame, phase: str) -> pd.DataFrame:
    """The members who said they are ready in ``phase`` (``members``: id, name, ready_phase);
    a signal given in another phase counts for nothing (and the store clears every signal when
    the board changes phase, so coming back to a phase starts with nobody ready)."""
    require_columns(members, ["id", "name", "ready_phase"], "list of members")
    return members[members["ready_phase"].eq(phase).fillna(False).astype(bool)]


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


def check_vote_left(used: int, limit: int, *, column: str | None = None) -> int:
    """Refuse one more vote of a member who used ``used`` of ``limit`` votes (on the board, or in
    the column labelled ``column``) with a message saying how to vote again; otherwise the votes
    they have left after it."""
    if _left(used, limit) == 0:
        where, there = (f" in {column}", " there") if column is not None else ("", "")
        raise ValidationError(
            f"You have used all {limit} of your votes{where}; take one back{there} to vote for something else."
        )
    return _left(used + 1, limit)


def column_limits(
    given: Mapping[str, Any],
    labels: Mapping[str, str],
    votes_per_member: int,
    *,
    most_used: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """The vote limits per column the facilitator entered (``given``: column id -> what was typed,
    blank for no limit), as whole numbers from 1 to the board's ``votes_per_member``; ``labels``
    are the board's columns (id -> label), and a message names the column that is wrong. A limit
    below ``most_used`` (``column_votes_most``: the most votes one member already put in the
    column) is refused too: it would leave that member over it."""
    limits: dict[str, int] = {}
    for column_id, value in given.items():
        if column_id not in labels:
            raise ValidationError.for_field("column", column_id, f"{column_id!r} is not a column of this board.")
        number = clean_whole_number(labels[column_id], value, low=1, high=int(votes_per_member))
        if number is None:
            continue
        used = (most_used or {}).get(column_id, 0)
        if number < used:
            raise ValidationError(
                f"{labels[column_id]}: a member has already put {used} votes there; "
                f"the limit can be no lower than {used} now."
            )
        limits[column_id] = number
    return limits


def column_votes_used(cards: pd.DataFrame, votes: pd.DataFrame, member_id: int) -> dict[str, int]:
    """``member_id``'s votes by the column of the group they are on (its lead card's column)."""
    require_columns(cards, ["id", "column_id", "group_id"], "list of cards")
    require_columns(votes, ["card_id", "member_id"], "list of votes")
    by_id: dict[int, Mapping[Any, Any]] = {int(card["id"]): card for card in cards.to_dict("records")}
    used: Counter[str] = Counter()
    for card_id in votes.loc[votes["member_id"] == member_id, "card_id"]:
        if int(card_id) in by_id:
            used[str(by_id[_lead(int(card_id), by_id)]["column_id"])] += 1
    return dict(used)


def column_votes_most(cards: pd.DataFrame, votes: pd.DataFrame) -> dict[str, int]:
    """The most votes any one member has put in each column (as ``column_votes_used`` counts them)."""
    require_columns(votes, ["member_id"], "list of votes")
    most: dict[str, int] = {}
    for member_id in votes["member_id"].unique():
        for column_id, used in column_votes_used(cards, votes, int(member_id)).items():
            most[column_id] = max(most.get(column_id, 0), used)
    return most


def column_votes_left(
    cards: pd.DataFrame, votes: pd.DataFrame, member_id: int, limits: Mapping[str, int]
) -> dict[str, int]:
    """For each column with a vote limit, how many of them ``member_id`` has not spent."""
    used = column_votes_used(cards, votes, member_id)
    return {column_id: _left(used.get(column_id, 0), limit) for column_id, limit in limits.items()}


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
