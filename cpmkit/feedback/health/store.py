"""Workbook 4's team health checks in a :class:`~cpmkit.db.database.Store`: a check is a board of
kind "health" (``retro_boards``), so it has the retrospective's two links, members joining by
name, and its finish, archive and reopen (``RetroStore`` does those); its votes are
``health_votes``, one row per member and dimension.

Every tap is saved as it is made: a colour, a trend and a note are each saved on their own
(``save``), so nothing chosen is lost when the page closes half way. A finished or archived
check refuses every vote with the retrospective's plain message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_choice, required
from cpmkit.db.database import Store, read_frame, upsert
from cpmkit.db.schema import health_votes, retro_boards, retro_members
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.feedback.health.rules import (
    HEALTH,
    HISTORY_ROW_COLUMNS,
    VOTE_COLUMNS,
    VOTE_FIELDS,
    HealthState,
    clean_vote_field,
)
from cpmkit.feedback.health.template import HealthCheck, HealthChecks, health_checks
from cpmkit.feedback.retro.store import RetroStore, _board_row, board_members
from cpmkit.feedback.retro.template import RetroFormats

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = ["HealthStore"]

_NO_MEMBER: Final = "You are no longer on this health check; join it again with your name."
_NO_CHECK: Final = gone("health check")
_NOT_HEALTH: Final = "This board is a retrospective, not a health check."


class HealthStore:
    """Team health checks and their votes, in a :class:`Store`; ``retros`` does what a check
    shares with a retrospective board (links, joining, finish, archive, reopen)."""

    def __init__(self, store: Store, checks: HealthChecks | None = None, formats: RetroFormats | None = None) -> None:
        self.store = store
        self._checks = checks
        self.retros = RetroStore(store, formats)

    @property
    def checks(self) -> HealthChecks:
        """The checks of templates/health_check.yaml, read when first needed: a broken file then
        troubles only what uses health checks, not the retrospectives beside them."""
        if self._checks is None:
            self._checks = health_checks()
        return self._checks

    def create_check(self, project_id: int, title: str, check_id: str, *, named: bool = False) -> dict[str, Any]:
        """A new health check of the project, its votes anonymous unless ``named``:
        ``{"id", "token", "facilitator_key"}``, the secrets of its two links, returned only now."""
        clean = required("check", check_id, clean_choice("check", check_id, tuple(self.checks.checks)))
        return self.retros.new_board(
            project_id, title, kind=HEALTH, format=clean, named_votes=bool(named), votes_per_member=0
        )

    def check(self, board: dict[str, Any]) -> HealthCheck:
        """The template check a board was made with; ValidationError if it is no health check, or
        its check is no longer in templates/health_check.yaml."""
        if board.get("kind") != HEALTH:
            raise ValidationError(_NOT_HEALTH)
        found = self.checks.checks.get(str(board["format"]))
        if found is None:
            raise ValidationError(
                f"This health check's template {board['format']!r} is no longer in templates/health_check.yaml."
            )
        return found

    def save(self, member_id: int, dimension: str, field: str, value: Any) -> str | None:
        """Save one of a member's choices on one dimension (``field``: colour, trend or note) as
        entered, keeping the others; returns it as stored. Refused on a finished or archived check."""
        clean = clean_vote_field(field, value)
        with self.store.write(missing=_NO_MEMBER) as conn:
            board = self.retros._member_board(conn, member_id)  # the retrospective's: one rule for both kinds
            if dimension not in self.check(board).dimension_ids:
                raise ValidationError.for_field("dimension", dimension, f"{dimension!r} is not on this health check.")
            values = {
                "board_id": board["id"],
                "member_id": member_id,
                "dimension": dimension,
                field: clean,
                "updated_at": func.current_timestamp(),
            }
            keys = [health_votes.c.member_id, health_votes.c.dimension]
            conn.execute(upsert(self.store.engine, health_votes, values, keys=keys, update=[field, "updated_at"]))
        return clean

    def state(self, board_id: int) -> HealthState:
        """The check at one moment: its board, members and votes (one read transaction)."""
        with self.store.read() as conn:
            board = _board_row(conn, retro_boards.c.id == board_id, _NO_CHECK)
            members = board_members(conn, board_id)
            votes = read_frame(conn, _votes_query().where(health_votes.c.board_id == board_id), VOTE_COLUMNS)
        return HealthState(board, members, votes)

    def version(self, board_id: int) -> tuple[Any, ...]:
        """A small value that changes whenever the check does (status, members and their names, any
        vote): compare it to decide whether to re-read."""
        with self.store.read() as conn:
            board = conn.execute(
                select(retro_boards.c.finished_at, retro_boards.c.archived_at).where(retro_boards.c.id == board_id)
            ).first()
            if board is None:
                raise NotFoundError(_NO_CHECK)
            members = conn.execute(  # names too: a member who joins again renamed ("ana" to "Ana") is redrawn
                select(retro_members.c.id, retro_members.c.name)
                .where(retro_members.c.board_id == board_id)
                .order_by(retro_members.c.id)
            ).all()
            votes = conn.execute(
                select(health_votes.c.member_id, health_votes.c.dimension, *(health_votes.c[f] for f in VOTE_FIELDS))
                .where(health_votes.c.board_id == board_id)
                .order_by(health_votes.c.member_id, health_votes.c.dimension)
            ).all()
        return tuple(board), hash(tuple(tuple(row) for row in members)), hash(tuple(tuple(row) for row in votes))

    def history_rows(self, project_id: int) -> pd.DataFrame:
        """Every vote of the project's finished health checks, archived ones aside
        (``HISTORY_ROW_COLUMNS``), for ``rules.history``: an open check's figures would move with
        each vote, and tell it."""
        query = (
            select(
                retro_boards.c.id,
                retro_boards.c.title,
                retro_boards.c.created_at,
                health_votes.c.member_id,
                health_votes.c.dimension,
                health_votes.c.colour,
            )
            .join(health_votes, health_votes.c.board_id == retro_boards.c.id)
            .where(
                retro_boards.c.project_id == project_id,
                retro_boards.c.kind == HEALTH,
                retro_boards.c.finished_at.is_not(None),
                retro_boards.c.archived_at.is_(None),
            )
            .order_by(retro_boards.c.id, health_votes.c.member_id, health_votes.c.dimension)
        )
        return self.store.frame(query, list(HISTORY_ROW_COLUMNS))


def _votes_query() -> Any:
    return (
        select(
            health_votes.c.member_id,
            retro_members.c.name,
            health_votes.c.dimension,
            *(health_votes.c[f] for f in VOTE_FIELDS),
        )
        .join(retro_members, retro_members.c.id == health_votes.c.member_id)
        .order_by(health_votes.c.member_id, health_votes.c.dimension)
    )
