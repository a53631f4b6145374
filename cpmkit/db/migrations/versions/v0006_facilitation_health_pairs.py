"""Retrospective facilitation (private writing then reveal, a timer per phase, members' ready
signal, vote limits per column), the team health check as a second kind of board, and the same
workshop participant paired across rounds (issue 15).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns and tables; every existing board stays a retrospective written in the open."""
    op.add_column("retro_boards", sa.Column("kind", sa.String(length=20), server_default="retro", nullable=False))
    op.add_column("retro_boards", sa.Column("private_writing", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("retro_boards", sa.Column("revealed_at", sa.DateTime(), nullable=True))
    op.add_column("retro_boards", sa.Column("named_votes", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("retro_boards", sa.Column("timer_phase", sa.String(length=20), nullable=True))
    op.add_column("retro_boards", sa.Column("timer_ends_at", sa.DateTime(), nullable=True))
    op.add_column("retro_members", sa.Column("ready_phase", sa.String(length=20), nullable=True))
    op.add_column("retro_members", sa.Column("facilitating", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("participants", sa.Column("person_key", sa.String(length=64), nullable=True))
    # One participant per person and round; NULL keys (rows from before) never clash.
    op.create_index("ux_participants_person", "participants", ["workshop_id", "person_key", "round"], unique=True)
    op.create_table(
        "retro_column_limits",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.String(length=64), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["retro_boards.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("board_id", "column_id", name="pk_retro_column_limits"),
    )
    op.create_table(
        "health_votes",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=64), nullable=False),
        sa.Column("colour", sa.String(length=10), nullable=True),
        sa.Column("trend", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["retro_boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["retro_members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "dimension", name="pk_health_votes"),
    )
    op.create_index("ix_health_votes_board", "health_votes", ["board_id"])
