"""Workbook 4's retrospective boards in a :class:`~cpmkit.db.database.Store`: boards with their two
link secrets, members, cards and their groups, votes, and the actions a retrospective agrees.

Every team member's kernel writes to the board at once, each answer one short transaction
(see ``cpmkit.db.database``). A vote is counted and saved in one transaction that first locks the
member's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
takes turns), so two kernels voting for one member at once never exceed the limit.

The board's two link secrets and each member's browser key are kept only as digests
(``cpmkit.core.links``): ``create_board`` and ``new_board_secrets`` return them once, and no
read gives them back. What only the facilitator's page offers (moving the phase, grouping,
agreeing actions) takes the facilitator's key and is refused without it, whatever page sends it.

A board finished by its facilitator, or archived by the PM, refuses every change to it (joining,
cards, groups, votes, phases, actions agreed) with a plain message; its actions' statuses still
change, at later boards and in the PM's panel, since they belong to the project.

``version(board_id)`` is one cheap read that changes whenever anything on the board does: an
open board re-reads the whole board only when it moved.

Facilitation (issue 15): the facilitator chooses private writing and reveals the cards, starts
and stops a timer for the phase (its end saved in UTC, from this process's clock: ``utc_now``),
and sets vote limits per column; each member says they are ready in the phase the board is in.
A new phase clears the timer and the ready signals and reveals the cards (``rules.moved_to``). A vote
counts the member's votes in the card's column too, under the same member lock, and setting the
limits locks the board's row, so it waits for the votes in flight (which share it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, case, func, select

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import (
    ACTION_FIELDS,
    clean_action_field,
    clean_choice,
    clean_name,
    clean_text,
    name_key,
    required,
)
from cpmkit.core.links import digest, lookup_digest, matches, new_token
from cpmkit.db.database import NO_PROJECT, Store, read_frame, upsert
from cpmkit.db.schema import (
    retro_actions,
    retro_boards,
    retro_cards,
    retro_column_limits,
    retro_members,
    retro_votes,
)
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.feedback.retro.board import BoardState
from cpmkit.feedback.retro.rules import (
    ACTION_STATUSES,
    CARD_TEXT_LIMIT,
    OPEN_STATUSES,
    PHASES,
    RETRO_KIND,
    archived,
    check_open,
    check_phase,
    check_vote_left,
    column_limits,
    column_votes_most,
    column_votes_used,
    finished,
    moved_to,
    next_phase,
    previous_phase,
    reopened,
    revealed,
    timer_started,
    timer_stopped,
    vote_limit,
    with_private_writing,
)
from cpmkit.feedback.retro.template import RetroFormats, retro_formats

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_FIELDS",
    "BOARD_COLUMNS",
    "CARD_COLUMNS",
    "HISTORY_CARD_COLUMNS",
    "MEMBER_COLUMNS",
    "VOTE_COLUMNS",
    "RetroHistory",
    "RetroStore",
    "board_members",
    "utc_now",
]

BOARD_COLUMNS: Final = [
    "id",
    "project_id",
    "title",
    "format",
    "phase",
    "votes_per_member",
    "created_at",
    "finished_at",
    "archived_at",
    "private_writing",
    "revealed_at",
    "timer_phase",
    "timer_ends_at",
    "kind",  # "retro", or "health": a team health check (cpmkit.feedback.health), which shares links and status
    "named_votes",
]
#: ``ready_phase``: the phase in which the member said they are ready (None: not ready; cleared as the board changes phase).
MEMBER_COLUMNS: Final = ["id", "name", "ready_phase", "facilitating"]
#: ``author`` is the member's name, None on an anonymous card (``member_id`` stays, so its author can change it).
CARD_COLUMNS: Final = ["id", "member_id", "author", "column_id", "text", "anonymous", "group_id", "created_at"]
VOTE_COLUMNS: Final = ["card_id", "member_id"]
#: Columns of ``RetroHistory.cards``: every card of the project's retrospectives.
HISTORY_CARD_COLUMNS: Final = ["id", "board_id", "text"]
ACTION_COLUMNS: Final = [
    "id",
    "project_id",
    "board_id",
    "card_id",
    *ACTION_FIELDS,
    "created_at",
    "updated_at",
    "closed_at",
]

_TITLE_LIMIT: Final = 200
_KEY_LIMIT: Final = 64  # retro_members.browser_key
_NAME_LIMIT: Final = 80
_NO_BOARD: Final = gone("retrospective")
_DEAD_LINK: Final = (
    "This retrospective link is not valid (or the board was deleted). Ask your facilitator for the link again."
)
_NO_MEMBER: Final = "You are no longer on this board; join it again with your name."
_NO_CARD: Final = gone("card")
_NO_ACTION: Final = gone("action")
_NOT_FACILITATOR: Final = "Only the facilitator can do this, from the facilitator's link."
_TIMER_COLUMNS: Final = ("timer_phase", "timer_ends_at")


def utc_now() -> dt.datetime:
    """Now in UTC, without a time zone, as the store keeps times (a timer's end)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class RetroHistory:
    """A project's retrospectives as they stand: its boards of ``rules.RETRO_KIND``, oldest first
    (``BOARD_COLUMNS``), their cards (``HISTORY_CARD_COLUMNS``) and the project's actions
    (``ACTION_COLUMNS``): what the trends across retrospectives are drawn from."""

    boards: pd.DataFrame
    cards: pd.DataFrame
    actions: pd.DataFrame


class RetroStore:
    """Retrospective boards, members, cards, votes and actions, in a :class:`Store`."""

    def __init__(self, store: Store, formats: RetroFormats | None = None) -> None:
        self.store = store
        self.formats = formats or retro_formats()

    # -- boards -------------------------------------------------------------------------------

    def create_board(
        self,
        project_id: int,
        title: str,
        format_id: str,
        votes_per_member: Any = None,
        *,
        private_writing: bool = False,
    ) -> dict[str, Any]:
        """A new board in the collect phase: ``{"id", "token", "facilitator_key"}`` (the secrets
        of the members' link and the facilitator's link, returned only now: show them once).
        ``private_writing``: each member sees only their own cards until the facilitator reveals them."""
        return self.new_board(
            project_id,
            title,
            format=required("format", format_id, clean_choice("format", format_id, tuple(self.formats.formats))),
            votes_per_member=vote_limit(votes_per_member, self.formats.votes_per_member),
            private_writing=bool(private_writing),
        )

    def new_board(self, project_id: int, title: Any, **columns: Any) -> dict[str, Any]:
        """Save a new board of any kind (``columns``: its other columns, checked by the caller)
        with two new link secrets: ``{"id", "token", "facilitator_key"}``, returned only now."""
        token, key = new_token(), new_token()
        values = {
            **columns,
            "project_id": project_id,
            "title": required("title", title, clean_text("title", title, limit=_TITLE_LIMIT)),
            "token": digest(token),
            "facilitator_key": digest(key),
        }
        with self.store.write(missing=NO_PROJECT) as conn:
            board_id = conn.execute(retro_boards.insert().values(values).returning(retro_boards.c.id)).scalar_one()
        return {"id": int(board_id), "token": token, "facilitator_key": key}

    def boards(self, project_id: int) -> pd.DataFrame:
        """The project's boards, oldest first (``BOARD_COLUMNS``)."""
        query = select(*(retro_boards.c[c] for c in BOARD_COLUMNS)).where(retro_boards.c.project_id == project_id)
        return self.store.frame(query.order_by(retro_boards.c.id), list(BOARD_COLUMNS))

    def board(self, board_id: int) -> dict[str, Any]:
        return self._board_where(retro_boards.c.id == board_id, _NO_BOARD)

    def board_for_token(self, token: str) -> dict[str, Any]:
        """The board a member's link opens; NotFoundError with a plain message for a dead link."""
        return self._board_by_secret(retro_boards.c.token, token)

    def board_for_facilitator(self, key: str) -> dict[str, Any]:
        """The board a facilitator's link opens; NotFoundError with a plain message for a dead link."""
        return self._board_by_secret(retro_boards.c.facilitator_key, key)

    def new_board_secrets(self, board_id: int) -> dict[str, Any]:
        """New secrets for both of the board's links, ``{"id", "token", "facilitator_key"}`` as
        ``create_board`` gives them, returned only now; the earlier links stop working. Both
        change together: the facilitator's link carries the members' token too. Members who
        joined keep their cards and votes."""
        token, key = new_token(), new_token()
        with self.store.write() as conn:
            update = retro_boards.update().where(retro_boards.c.id == board_id)
            if not conn.execute(update.values(token=digest(token), facilitator_key=digest(key))).rowcount:
                raise NotFoundError(_NO_BOARD)
        return {"id": board_id, "token": token, "facilitator_key": key}

    def set_phase(self, board_id: int, phase: str, *, facilitator_key: str | None) -> str:
        """Move the board to ``phase`` (one of ``PHASES``); returns it. A new phase clears the timer
        and the members' ready signals and reveals the cards (``_move``). Facilitator only."""
        clean = required("phase", phase, clean_choice("phase", phase, PHASES))
        with self.store.write() as conn:
            _move(conn, self._facilitating(conn, board_id, facilitator_key, lock=True), clean)
        return clean

    def finish(self, board_id: int, *, facilitator_key: str | None) -> None:
        """Finish the board (open, in its last phase): from then on nothing on it changes, and
        every page shows its summary. Facilitator only."""
        with self.store.write() as conn:
            board = self._facilitating(conn, board_id, facilitator_key, lock=True)
            _save(conn, finished(board, func.current_timestamp()), "finished_at")

    def archive(self, board_id: int) -> None:
        """Archive a board (an abandoned one, or one finished long ago): its links then show only
        that it is archived. The PM's panel."""
        with self.store.write() as conn:
            _save(conn, archived(self._locked_board(conn, board_id), func.current_timestamp()), "archived_at")

    def reopen(self, board_id: int) -> None:
        """Bring an archived board back as it was before (open, or finished). The PM's panel."""
        with self.store.write() as conn:
            _save(conn, reopened(self._locked_board(conn, board_id)), "archived_at")

    def move_phase(self, board_id: int, *, forward: bool, facilitator_key: str | None) -> str:
        """Move the board one phase on (or back) from the phase it is in now, read in the same
        transaction (not the phase a page last drew); returns the phase it is in, which stays
        at either end. A new phase clears the timer and the members' ready signals and reveals the
        cards (``_move``). Facilitator only."""
        with self.store.write() as conn:
            board = self._facilitating(conn, board_id, facilitator_key, lock=True)  # two presses take turns
            phase = (next_phase if forward else previous_phase)(str(board["phase"]))
            if phase is None:
                return str(board["phase"])
            _move(conn, board, phase)
        return phase

    # -- facilitation -------------------------------------------------------------------------

    def set_private_writing(self, board_id: int, private: bool, *, facilitator_key: str | None) -> None:
        """Cards written privately (each member sees only their own) or in the open, chosen while
        collecting; turning it off reveals them, and once anything was shown it cannot be turned
        on (``rules.private_writing_problem``). The board's row is locked, so no card is added
        while the cards are counted. Facilitator only."""
        with self.store.write() as conn:
            board = self._facilitating(conn, board_id, facilitator_key, lock=True)
            cards = conn.execute(select(func.count()).where(retro_cards.c.board_id == board_id)).scalar_one()
            _save(conn, with_private_writing(board, private, utc_now(), cards=cards), "private_writing", "revealed_at")

    def reveal(self, board_id: int, *, facilitator_key: str | None) -> None:
        """Show every card written privately to everyone (moving on from collect does it too).
        Facilitator only."""
        with self.store.write() as conn:
            board = self._facilitating(conn, board_id, facilitator_key, lock=True)
            _save(conn, revealed(board, utc_now()), "revealed_at")

    def start_timer(self, board_id: int, minutes: Any, *, facilitator_key: str | None) -> dt.datetime:
        """A timer of ``minutes`` (a whole number from 1 to 60) for the phase the board is in, in
        place of any running one; returns when it runs out (UTC). Facilitator only."""
        with self.store.write() as conn:
            board = timer_started(self._facilitating(conn, board_id, facilitator_key, lock=True), minutes, utc_now())
            _save(conn, board, *_TIMER_COLUMNS)
        ends: dt.datetime = board["timer_ends_at"]
        return ends

    def stop_timer(self, board_id: int, *, facilitator_key: str | None) -> None:
        """Stop the board's timer (nothing happens without one). Facilitator only."""
        with self.store.write() as conn:
            _save(conn, timer_stopped(self._facilitating(conn, board_id, facilitator_key, lock=True)), *_TIMER_COLUMNS)

    def set_ready(self, member_id: int, ready: bool, *, phase: str) -> None:
        """Say the member is ready in ``phase`` (the phase their page shows), or take it back. Refused
        once the board has moved on to another phase: the signal is for one phase only."""
        with self.store.write(missing=_NO_MEMBER) as conn:
            board = self._member_board(conn, member_id)
            if board["phase"] != phase:
                raise ValidationError(
                    f"The board has moved on to the {board['phase']} phase; say you are ready again when you are."
                )
            conn.execute(
                retro_members.update()
                .where(retro_members.c.id == member_id)
                .values(ready_phase=board["phase"] if ready else None)
            )

    def set_column_limits(
        self, board_id: int, limits: Mapping[str, Any], *, facilitator_key: str | None
    ) -> dict[str, int]:
        """Set the most votes each member may put in a column (``limits``: column id -> a whole
        number from 1 to the board's votes per member, or blank for no limit; columns left out
        keep theirs), before or during the vote; returns the board's limits now. The board's row
        is locked, so votes in flight are counted against the limits they read. Facilitator only."""
        with self.store.write() as conn:
            board = self._facilitating(conn, board_id, facilitator_key, lock=True)
            check_phase(str(board["phase"]), "set vote limits")
            fmt = self.formats.formats.get(str(board["format"]))
            labels = {column.id: column.label for column in fmt.columns} if fmt is not None else {}
            cards = _card_columns(conn, board_id)
            votes = read_frame(
                conn,
                select(retro_votes.c.card_id, retro_votes.c.member_id)
                .join(retro_cards, retro_cards.c.id == retro_votes.c.card_id)
                .where(retro_cards.c.board_id == board_id),
                VOTE_COLUMNS,
            )
            most = column_votes_most(cards, votes)
            clean = column_limits(limits, labels, int(board["votes_per_member"]), most_used=most)
            conn.execute(
                retro_column_limits.delete().where(
                    retro_column_limits.c.board_id == board_id, retro_column_limits.c.column_id.in_(list(limits))
                )
            )
            if clean:
                conn.execute(
                    retro_column_limits.insert(),
                    [{"board_id": board_id, "column_id": column, "votes": votes} for column, votes in clean.items()],
                )
            return _limits(conn, board_id)

    # -- members and cards --------------------------------------------------------------------

    def join(self, board_id: int, name: str, browser_key: str, *, facilitator_key: str | None = None) -> int:
        """The member id for ``name`` on the board. Joining again under the same name (or one
        that looks the same: case, spaces, invisible characters and look-alike letters aside,
        see ``fields.name_key``) from the same browser (``browser_key``, the secret it keeps for the
        board) is the same member, so their cards and votes survive a reload; from another
        browser it is refused, so nobody can take over someone's votes or anonymous cards.
        ``facilitator_key``: joining from the facilitator's link (checked), as the one who runs the
        board rather than one of the team (not counted among those who say they are ready); the mark
        stays when they join again from the members' link, as only their own browser can."""
        clean = required("name", name, clean_name("name", name, limit=_NAME_LIMIT))
        secret = required("browser_key", browser_key, clean_text("browser_key", browser_key, limit=_KEY_LIMIT))
        values = {"board_id": board_id, "name": clean, "name_key": name_key(clean), "browser_key": digest(secret)}
        facilitating = {"facilitating": True} if facilitator_key is not None else {}
        keys = [retro_members.c.board_id, retro_members.c.name_key]
        stmt = upsert(
            self.store.engine, retro_members, values | facilitating, keys=keys, update=["name", *facilitating]
        )
        with self.store.write(missing=_NO_BOARD) as conn:
            if facilitator_key is not None:
                self._facilitating(conn, board_id, facilitator_key)
            else:
                check_open(_board_row(conn, retro_boards.c.id == board_id, _NO_BOARD, shared=True))
            member = conn.execute(stmt.returning(retro_members.c.id, retro_members.c.browser_key)).one()
            if not matches(secret, member.browser_key):  # rolls the upsert back
                raise ValidationError.for_field(
                    "name",
                    clean,
                    f"someone has already joined this board as {clean!r} from another browser; add something to tell you apart, such as your surname.",
                )
        return int(member.id)

    def add_card(self, board_id: int, member_id: int, column_id: str, text: str, anonymous: bool = False) -> int:
        """Add a member's card to a column (while the board collects cards); returns its id."""
        clean = _card_text(text)
        with self.store.write(missing=_NO_MEMBER) as conn:
            board = self._member_board(conn, member_id)
            if board["id"] != board_id:
                raise NotFoundError(_NO_MEMBER)
            check_phase(board["phase"], "add cards")
            columns = self.formats.format(board["format"]).column_ids if board["format"] in self.formats.formats else ()
            if column_id not in columns:
                raise ValidationError.for_field("column", column_id, f"{column_id!r} is not a column of this board.")
            stmt = retro_cards.insert().values(
                board_id=board_id, member_id=member_id, column_id=column_id, text=clean, anonymous=bool(anonymous)
            )
            return int(conn.execute(stmt.returning(retro_cards.c.id)).scalar_one())

    def edit_card(self, card_id: int, member_id: int, text: str) -> str:
        """Change the text of one of the member's own cards; returns it as stored."""
        clean = _card_text(text)
        with self.store.write() as conn:
            card = self._own_card(conn, card_id, member_id)
            check_phase(card["phase"], "change cards")
            conn.execute(retro_cards.update().where(retro_cards.c.id == card_id).values(text=clean))
        return clean

    def delete_card(self, card_id: int, member_id: int) -> None:
        """Delete one of the member's own cards (cards grouped under it then lead their own)."""
        with self.store.write() as conn:
            card = self._own_card(conn, card_id, member_id)
            check_phase(card["phase"], "change cards")
            conn.execute(retro_cards.delete().where(retro_cards.c.id == card_id))

    def group_card(self, card_id: int, under_card_id: int, *, facilitator_key: str | None) -> None:
        """Put a card, and any cards grouped under it, under another card of the same board
        (under that card's own lead if it is grouped itself): groups stay one level deep.
        Facilitator only."""
        with self.store.write() as conn:
            # Two facilitators grouping at once take turns, and each reads the cards as the other left them.
            board_id = self._card(conn, card_id, shared=False)["board_id"]  # locked for good on the next line
            self._facilitating(conn, board_id, facilitator_key, lock=True)
            card, under = self._card(conn, card_id), self._card(conn, under_card_id)
            if card["board_id"] != under["board_id"]:
                raise ValidationError("Cards can be grouped only with cards of the same board.")
            check_phase(card["phase"], "group cards")
            lead = under["group_id"] or under["id"]
            if lead == card_id:
                raise ValidationError("These cards are already in one group.")
            conn.execute(
                retro_cards.update()
                .where((retro_cards.c.id == card_id) | (retro_cards.c.group_id == card_id))
                .values(group_id=lead)
            )

    def ungroup(self, card_id: int, *, facilitator_key: str | None) -> None:
        """Take a card out of its group; for a group's lead card, break up the whole group.
        Facilitator only."""
        with self.store.write() as conn:
            card = self._card(conn, card_id)
            self._facilitating(conn, card["board_id"], facilitator_key)
            check_phase(card["phase"], "group cards")
            conn.execute(
                retro_cards.update()
                .where((retro_cards.c.id == card_id) | (retro_cards.c.group_id == card_id))
                .values(group_id=None)
            )

    # -- votes --------------------------------------------------------------------------------

    def vote(self, member_id: int, card_id: int) -> int:
        """Put one of the member's votes on a card's group; returns the votes they have left.

        Atomic across kernels: the member's row is locked before the votes are counted."""
        with self.store.write(missing=_NO_CARD) as conn:
            board = self._member_board(conn, member_id, lock=True)
            card = self._card(conn, card_id)
            if card["board_id"] != board["id"]:
                raise NotFoundError(_NO_CARD)
            check_phase(board["phase"], "vote")
            used = conn.execute(select(func.count()).where(retro_votes.c.member_id == member_id)).scalar_one()
            left = check_vote_left(used, int(board["votes_per_member"]))
            lead = card["group_id"] or card_id
            self._check_column_vote_left(conn, board, member_id, lead)
            conn.execute(retro_votes.insert().values(card_id=lead, member_id=member_id))
        return left

    def unvote(self, member_id: int, card_id: int) -> None:
        """Take back one of the member's votes on a card's group."""
        with self.store.write() as conn:
            board = self._member_board(conn, member_id, lock=True)
            card = self._card(conn, card_id)
            check_phase(board["phase"], "vote")
            lead = card["group_id"] or card_id
            in_group = select(retro_cards.c.id).where((retro_cards.c.id == lead) | (retro_cards.c.group_id == lead))
            vote_id = conn.execute(
                select(retro_votes.c.id)
                .where(retro_votes.c.member_id == member_id, retro_votes.c.card_id.in_(in_group))
                .order_by(retro_votes.c.id.desc())
                .limit(1)
            ).scalar()
            if vote_id is None:
                raise ValidationError("You have no vote on this card to take back.")
            conn.execute(retro_votes.delete().where(retro_votes.c.id == vote_id))

    # -- actions ------------------------------------------------------------------------------

    def add_action(
        self,
        board_id: int,
        card_id: int | None,
        what: str,
        owner: str | None = None,
        due: Any = None,
        *,
        facilitator_key: str | None,
    ) -> int:
        """An open action agreed at a board (on a card's group, or on none); returns its id.
        Facilitator only."""
        values = {
            "what": clean_action_field("what", what, ACTION_STATUSES),
            "owner": clean_action_field("owner", owner, ACTION_STATUSES),
            "due": clean_action_field("due", due, ACTION_STATUSES),
        }
        with self.store.write(missing=_NO_BOARD) as conn:
            board = self._facilitating(conn, board_id, facilitator_key)
            check_phase(board["phase"], "add actions")
            if card_id is not None and self._card(conn, card_id)["board_id"] != board_id:
                raise NotFoundError(_NO_CARD)
            stmt = retro_actions.insert().values(
                project_id=board["project_id"], board_id=board_id, card_id=card_id, **values
            )
            return int(conn.execute(stmt.returning(retro_actions.c.id)).scalar_one())

    def update_action(self, action_id: int, field: str, value: Any) -> Any:
        """Save one field of an action (what, owner, due, status); returns it as stored."""
        clean = clean_action_field(field, value, ACTION_STATUSES)
        values: dict[str, Any] = {field: clean, "updated_at": func.current_timestamp()}
        if field == "status":  # closed when it first leaves open / in progress; reopened, it is open again
            closed = retro_actions.c.closed_at
            values["closed_at"] = (
                None if clean in OPEN_STATUSES else case((closed.is_(None), func.current_timestamp()), else_=closed)
            )
        with self.store.write() as conn:
            changed = retro_actions.update().where(retro_actions.c.id == action_id)
            if not conn.execute(changed.values(values)).rowcount:
                raise NotFoundError(_NO_ACTION)
        return clean

    def actions(self, project_id: int) -> pd.DataFrame:
        """The project's retro actions in the order agreed (``ACTION_COLUMNS``)."""
        with self.store.read() as conn:
            return _actions(conn, project_id)

    def history(self, project_id: int) -> RetroHistory:
        """Every retrospective of the project with its cards, and the project's actions, in one
        read (one snapshot: no card without its board)."""
        retros = (retro_boards.c.project_id == project_id) & (retro_boards.c.kind == RETRO_KIND)
        with self.store.read() as conn:
            boards = read_frame(
                conn,
                select(*(retro_boards.c[c] for c in BOARD_COLUMNS)).where(retros).order_by(retro_boards.c.id),
                BOARD_COLUMNS,
            )
            cards = read_frame(
                conn,
                select(*(retro_cards.c[c] for c in HISTORY_CARD_COLUMNS))
                .join(retro_boards, retro_boards.c.id == retro_cards.c.board_id)
                .where(retros)
                .order_by(retro_cards.c.id),
                HISTORY_CARD_COLUMNS,
            )
            actions = _actions(conn, project_id)
        return RetroHistory(boards, cards, actions)

    # -- reading a board ----------------------------------------------------------------------

    def state(self, board_id: int) -> BoardState:
        """The whole board at one moment (one read transaction)."""
        with self.store.read() as conn:
            board = _board_row(conn, retro_boards.c.id == board_id, _NO_BOARD)
            members = board_members(conn, board_id)
            cards = read_frame(
                conn,
                select(
                    retro_cards.c.id,
                    retro_cards.c.member_id,
                    retro_members.c.name,
                    retro_cards.c.column_id,
                    retro_cards.c.text,
                    retro_cards.c.anonymous,
                    retro_cards.c.group_id,
                    retro_cards.c.created_at,
                )
                .select_from(retro_cards.outerjoin(retro_members, retro_members.c.id == retro_cards.c.member_id))
                .where(retro_cards.c.board_id == board_id)
                .order_by(retro_cards.c.id),
                CARD_COLUMNS,
            )
            votes = read_frame(
                conn,
                select(retro_votes.c.card_id, retro_votes.c.member_id)
                .join(retro_cards, retro_cards.c.id == retro_votes.c.card_id)
                .where(retro_cards.c.board_id == board_id)
                .order_by(retro_votes.c.id),
                VOTE_COLUMNS,
            )
            actions = _actions(conn, board["project_id"])
            limits = _limits(conn, board_id)
        cards["anonymous"] = cards["anonymous"].astype(bool)
        cards[["member_id", "group_id"]] = cards[["member_id", "group_id"]].astype("Int64")
        cards["author"] = cards["author"].where(~cards["anonymous"], None)
        return BoardState(board, members, cards, votes, actions, limits)

    def version(self, board_id: int) -> tuple[Any, ...]:
        """A small value that changes whenever the board does (phase, status, private writing and
        reveal, timer, members and who is ready, cards, groups, texts, votes and vote limits, its
        project's actions): compare it to decide whether to re-read. One short read of ids, names,
        groups and texts (a board holds tens of cards and members), hashed in this process."""
        with self.store.read() as conn:
            board = conn.execute(
                select(
                    retro_boards.c.project_id,
                    retro_boards.c.phase,
                    retro_boards.c.votes_per_member,
                    retro_boards.c.finished_at,
                    retro_boards.c.archived_at,
                    retro_boards.c.private_writing,
                    retro_boards.c.revealed_at,
                    retro_boards.c.timer_phase,
                    retro_boards.c.timer_ends_at,
                ).where(retro_boards.c.id == board_id)
            ).first()
            if board is None:
                raise NotFoundError(_NO_BOARD)
            members = conn.execute(
                select(*(retro_members.c[c] for c in MEMBER_COLUMNS))
                .where(retro_members.c.board_id == board_id)
                .order_by(retro_members.c.id)
            ).all()
            cards = conn.execute(
                select(retro_cards.c.id, retro_cards.c.group_id, retro_cards.c.anonymous, retro_cards.c.text)
                .where(retro_cards.c.board_id == board_id)
                .order_by(retro_cards.c.id)
            ).all()
            votes = conn.execute(
                select(retro_votes.c.id, retro_votes.c.card_id)
                .join(retro_cards, retro_cards.c.id == retro_votes.c.card_id)
                .where(retro_cards.c.board_id == board_id)
                .order_by(retro_votes.c.id)
            ).all()
            actions = conn.execute(
                select(*(retro_actions.c[c] for c in ("id", "card_id", *ACTION_FIELDS)))
                .where(retro_actions.c.project_id == board.project_id)
                .order_by(retro_actions.c.id)
            ).all()
            limits = tuple(_limits(conn, board_id).items())
        return (
            tuple(board),
            limits,
            *(hash(tuple(tuple(row) for row in rows)) for rows in (members, cards, votes, actions)),
        )

    # -- plumbing -----------------------------------------------------------------------------

    def _board_by_secret(self, column: Any, given: Any) -> dict[str, Any]:
        wanted = lookup_digest(given)
        if wanted is None:
            raise NotFoundError(_DEAD_LINK)
        return self._board_where(column == wanted, _DEAD_LINK)

    def _board_where(self, condition: Any, missing: str) -> dict[str, Any]:
        with self.store.read() as conn:
            return _board_row(conn, condition, missing)

    @staticmethod
    def _member_board(conn: Connection, member_id: int, *, lock: bool = False) -> dict[str, Any]:
        """The board of a member, its row shared until the transaction ends (see ``_board_row``);
        ``lock`` holds the member's row too, so the same member's other votes wait their turn
        (PostgreSQL; SQLite takes turns anyway)."""
        member = select(retro_members.c.board_id).where(retro_members.c.id == member_id)
        board_id = conn.execute(member.with_for_update() if lock else member).scalar()
        if board_id is None:
            raise NotFoundError(_NO_MEMBER)
        board = _board_row(conn, retro_boards.c.id == board_id, _NO_BOARD, shared=True)
        check_open(board)
        return board

    @staticmethod
    def _card(conn: Connection, card_id: int, *, shared: bool = True) -> dict[str, Any]:
        """A card with its board's phase; refused if the board is not open. The board's row is
        shared until the transaction ends (see ``_board_row``), unless the caller locks it next."""
        query = (
            select(
                retro_cards.c.id,
                retro_cards.c.board_id,
                retro_cards.c.member_id,
                retro_cards.c.group_id,
                retro_boards.c.phase,
                retro_boards.c.finished_at,
                retro_boards.c.archived_at,
            )
            .join(retro_boards, retro_boards.c.id == retro_cards.c.board_id)
            .where(retro_cards.c.id == card_id)
        )
        row = conn.execute(query.with_for_update(read=True, of=retro_boards) if shared else query).first()
        if row is None:
            raise NotFoundError(_NO_CARD)
        card = dict(row._mapping)
        check_open(card)
        return card

    def _own_card(self, conn: Connection, card_id: int, member_id: int) -> dict[str, Any]:
        card = self._card(conn, card_id)
        if card["member_id"] != member_id:
            raise ValidationError("You can change only your own cards.")
        return card

    @staticmethod
    def _facilitating(conn: Connection, board_id: int, key: str | None, *, lock: bool = False) -> dict[str, Any]:
        """The board, if ``key`` is its facilitator's key (compared with the stored digest in
        constant time) and the board is open; ValidationError otherwise, NotFoundError if the
        board is gone. ``lock`` holds the board's row until the transaction ends; else it is shared
        (see ``_board_row``)."""
        query = select(*(retro_boards.c[c] for c in BOARD_COLUMNS), retro_boards.c.facilitator_key).where(
            retro_boards.c.id == board_id
        )
        row = conn.execute(query.with_for_update(read=not lock)).first()
        if row is None:
            raise NotFoundError(_NO_BOARD)
        given = key.strip() if isinstance(key, str) else ""
        if lookup_digest(given) is None or not matches(given, row.facilitator_key):
            raise ValidationError(_NOT_FACILITATOR)
        board = {c: row._mapping[c] for c in BOARD_COLUMNS}
        check_open(board)
        return board

    @staticmethod
    def _locked_board(conn: Connection, board_id: int) -> dict[str, Any]:
        """The board, its row held until the transaction ends (two changes of status take turns)."""
        query = select(*(retro_boards.c[c] for c in BOARD_COLUMNS)).where(retro_boards.c.id == board_id)
        row = conn.execute(query.with_for_update()).first()
        if row is None:
            raise NotFoundError(_NO_BOARD)
        return dict(row._mapping)

    def _check_column_vote_left(self, conn: Connection, board: Mapping[str, Any], member_id: int, lead: int) -> None:
        """Refuse a vote of ``member_id`` on the group led by card ``lead`` once they used all the
        votes its column allows (nothing to check in a column without a limit). Counted as the
        pages count them (``rules.column_votes_used``), from the board's cards and the member's
        votes read under the member's lock."""
        limits = _limits(conn, board["id"])
        if not limits:
            return
        cards = _card_columns(conn, board["id"])
        (column,) = column_votes_used(cards, pd.DataFrame({"card_id": [lead], "member_id": [member_id]}), member_id)
        if column not in limits:
            return
        votes = read_frame(
            conn,
            select(retro_votes.c.card_id, retro_votes.c.member_id).where(retro_votes.c.member_id == member_id),
            VOTE_COLUMNS,
        )
        fmt = self.formats.formats.get(str(board["format"]))
        used = column_votes_used(cards, votes, member_id).get(column, 0)
        check_vote_left(used, limits[column], column=fmt.label(column) if fmt is not None else column)


def board_members(conn: Connection, board_id: int) -> pd.DataFrame:
    """A board's members (``MEMBER_COLUMNS``), in the order they joined."""
    query = select(*(retro_members.c[c] for c in MEMBER_COLUMNS)).where(retro_members.c.board_id == board_id)
    return read_frame(conn, query.order_by(retro_members.c.id), MEMBER_COLUMNS)


def _board_row(conn: Connection, condition: Any, missing: str, *, shared: bool = False) -> dict[str, Any]:
    """The board's columns. ``shared``: for a write, which then holds the row shared until the
    transaction ends, so finishing or archiving (which locks it) waits for the writes that found
    the board open, and a write that comes after sees it closed (PostgreSQL; SQLite's writes take
    turns anyway). Writes share it, so they never wait for each other."""
    query = select(*(retro_boards.c[c] for c in BOARD_COLUMNS)).where(condition)
    row = conn.execute(query.with_for_update(read=True) if shared else query).first()
    if row is None:
        raise NotFoundError(missing)
    return dict(row._mapping)


def _save(conn: Connection, board: Mapping[str, Any], *columns: str) -> None:
    """Save ``columns`` of a board as a rules update left it."""
    conn.execute(
        retro_boards.update()
        .where(retro_boards.c.id == board["id"])
        .values({column: board[column] for column in columns})
    )


def _move(conn: Connection, board: Mapping[str, Any], phase: str) -> None:
    """Save ``board`` moved to ``phase`` (``rules.moved_to``) and, if that is a new phase, clear its
    members' ready signals in the same transaction: a signal is for one stay in a phase, so a
    member ready in collect is not ready again when the board comes back to collect."""
    moved = moved_to(board, phase, utc_now())
    if moved["phase"] == board["phase"]:
        return
    _save(conn, moved, "phase", "revealed_at", *_TIMER_COLUMNS)
    conn.execute(retro_members.update().where(retro_members.c.board_id == board["id"]).values(ready_phase=None))


def _card_columns(conn: Connection, board_id: int) -> pd.DataFrame:
    """The board's cards with their columns and groups: what counting votes per column needs."""
    query = select(retro_cards.c.id, retro_cards.c.column_id, retro_cards.c.group_id)
    return read_frame(conn, query.where(retro_cards.c.board_id == board_id), ["id", "column_id", "group_id"])


def _limits(conn: Connection, board_id: int) -> dict[str, int]:
    """The board's vote limits per column (column id -> votes)."""
    query = select(retro_column_limits.c.column_id, retro_column_limits.c.votes).where(
        retro_column_limits.c.board_id == board_id
    )
    return {str(column): int(votes) for column, votes in conn.execute(query.order_by(retro_column_limits.c.column_id))}


def _actions(conn: Connection, project_id: int) -> pd.DataFrame:
    query = select(*(retro_actions.c[c] for c in ACTION_COLUMNS)).where(retro_actions.c.project_id == project_id)
    frame = read_frame(conn, query.order_by(retro_actions.c.id), ACTION_COLUMNS)
    return frame.astype({"board_id": "Int64", "card_id": "Int64"})


def _card_text(text: Any) -> str:
    return required("text", text, clean_text("text", text, limit=CARD_TEXT_LIMIT))
