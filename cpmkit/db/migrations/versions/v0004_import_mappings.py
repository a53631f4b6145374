"""The survey import remembers, per project, the column mapping and answer recodings a project
manager last used for an export with the same headings, so the next export of that form is
mapped as before in one click (issue 14).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add import_mappings (one row per project and export headings, gone with the project)."""
    op.create_table(
        "import_mappings",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("headings_digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "headings_digest", name="pk_import_mappings"),
    )
