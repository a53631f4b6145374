"""Survey responses: a stakeholder's comment and when they submitted their survey (workbook 3).

The first revision after the baseline, so it also records schema version 9: a cpmkit from before
Alembic refuses this store instead of misreading it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add survey_responses (one row per stakeholder, gone with them) and set schema_version 9."""
    op.create_table(
        "survey_responses",
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("stakeholder_id"),
    )
    meta = sa.table("cpmkit_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="9"))
