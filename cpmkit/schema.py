"""The store's tables and the steps that upgrade an older store to the current schema.

The schema version lives in the ``cpmkit_meta`` table. A fresh store is created at the
current version; an older one is upgraded step by step, in one transaction, keeping
every row. Add a step to ``_STEPS`` (and bump ``SCHEMA_VERSION``) for each change.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)

from cpmkit.errors import StoreError
from cpmkit.stakeholders import name_key

__all__ = ["SCHEMA_VERSION", "metadata", "migrate"]

SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "cpmkit_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_projects_name_key", "name_key", unique=True),
)

stakeholders = Table(
    "stakeholders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("role", String(200)),
    Column("organisation", String(200)),
    Column("category", String(20)),
    Column("power", Integer),
    Column("interest", Integer),
    Column("current_engagement", String(20)),
    Column("desired_engagement", String(20)),
    Column("expected_value", Text),
    Column("channel", String(20)),
    Column("cadence", String(20)),
    Column("owner", String(200)),
    Column("last_contact", Date),
    Column("next_touchpoint", Date),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_stakeholders_project_name", "project_id", "name_key", unique=True),
)

success_measures = Table(
    "success_measures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(200), nullable=False),
    Column("unit", String(40)),
    Column("baseline", Float),
    Column("target", Float),
    Column("latest", Float),
    Column("measured_on", Date),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)


def migrate(conn: Connection) -> int:
    """Bring the store behind ``conn`` to ``SCHEMA_VERSION``; return the version it had.

    Runs inside the caller's write transaction, so concurrent openers serialize and a
    failed step leaves the store as it was. A store newer than this code is refused.
    """
    if not inspect(conn).has_table(meta.name):
        metadata.create_all(conn)
        conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        return 0
    found = int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"This store was written by a newer cpmkit (schema {found}; this version knows {SCHEMA_VERSION}). "
            "Upgrade cpmkit to open it."
        )
    for version in range(found, SCHEMA_VERSION):
        _STEPS[version](conn)
    if found != SCHEMA_VERSION:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
    return found


def _v1_to_v2(conn: Connection) -> None:
    """Version 2: duplicate names are checked case-insensitively (``name_key``), and the
    communication plan records the last contact and a hand-set next touchpoint."""
    for table in ("projects", "stakeholders"):
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN name_key VARCHAR(200)"))
    conn.execute(text("ALTER TABLE stakeholders ADD COLUMN last_contact DATE"))
    conn.execute(text("ALTER TABLE stakeholders ADD COLUMN next_touchpoint DATE"))
    _backfill_name_keys(conn, projects, group=None)
    _backfill_name_keys(conn, stakeholders, group=stakeholders.c.project_id)
    conn.execute(text("CREATE UNIQUE INDEX ux_projects_name_key ON projects (name_key)"))
    conn.execute(text("CREATE UNIQUE INDEX ux_stakeholders_project_name ON stakeholders (project_id, name_key)"))


def _backfill_name_keys(conn: Connection, table: Table, *, group: Column[int] | None) -> None:
    """Fill ``name_key``; names that only differ by case get a ' (2)' suffix rather than being lost."""
    columns = [table.c.id, table.c.name] + ([group] if group is not None else [])
    seen: set[tuple[object, str]] = set()
    for row in conn.execute(select(*columns).order_by(table.c.id)):
        scope = row[2] if group is not None else None
        name, n = row.name, 1
        while (scope, name_key(name)) in seen:
            n += 1
            name = f"{row.name} ({n})"
        seen.add((scope, name_key(name)))
        conn.execute(table.update().where(table.c.id == row.id).values(name=name, name_key=name_key(name)))


_STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2}
