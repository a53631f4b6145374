"""A workshop participant remembers the browser they joined from (the digest of its BrowserKey),
so reopening the join link in that browser resumes them instead of adding a second participant.

The first revision after the baseline: it also records schema version 9, so a cpmkit from before
Alembic (which knows versions up to 8) refuses the store instead of misreading it.

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

#: What this revision records as cpmkit_meta.schema_version: more than any cpmkit before Alembic knows.
SCHEMA_VERSION = "9"


def upgrade() -> None:
    """Add participants.browser_key (NULL for everyone so far) with one participant per browser,
    workshop and round, and record schema version 9."""
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("browser_key", sa.String(length=64), nullable=True))
        batch.create_index("ux_participants_browser", ["workshop_id", "round", "browser_key"], unique=True)
    meta = sa.table("cpmkit_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=SCHEMA_VERSION))
