"""Workbook 4's mid-project retrospective, as pure logic: the phases a board moves through and
what each allows, cards gathered into groups with their votes, each member's votes left, and
the actions carried over from earlier retrospectives of the same project.

Pure: plain values and DataFrames in, new values out; no widgets, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from cpmkit.core.fields import not_one_of
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError

__all__ = [
    "ACTION_STATUSES",
    "CARD_TEXT_LIMIT",
    "GROUP_COLUMNS",
    "OPEN_STATUSES",
    "PHASES",
    "PHASE_RULES",
    "allows",
    "carried_actions",
    "check_phase",
    "groups",
    "next_phase",
    "previous_phase",
    "top_groups",
    "votes_left",
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
#: An action's life; "open" and "in progress" ones are carried into the next retrospective.
ACTION_STATUSES: Final = ("open", "in progress", "done", "dropped")
OPEN_STATUSES: Final = ("open", "in progress")
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


def votes_left(votes: pd.DataFrame, member_id: int, limit: int) -> int:
    """How many of their ``limit`` votes ``member_id`` has not spent (``votes``: member_id per vote)."""
    require_columns(votes, ["member_id"], "list of votes")
    return max(0, int(limit) - int((votes["member_id"] == member_id).sum()))


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
