"""Survey responses: a stakeholder's comment and when they submitted their survey (workbook 3).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add survey_responses (one row per stakeholder, gone with them)."""
    op.create_table(
        "survey_responses",
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("stakeholder_id"),
    )
