"""A retrospective board can be finished by its facilitator and archived (and reopened) by
the project manager; both are kept as when it happened (issue 15).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add retro_boards.finished_at and archived_at, empty: every existing board stays open."""
    op.add_column("retro_boards", sa.Column("finished_at", sa.DateTime(), nullable=True))
    op.add_column("retro_boards", sa.Column("archived_at", sa.DateTime(), nullable=True))
