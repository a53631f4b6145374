"""Recompute stored ``name_key`` columns after ``fields.name_key`` changed, for a schema step.

Rows keep the key they were written with: a store written before names were compared by their
look-alike key (``fields.name_key``) holds keys in the older form (case and spacing folded
only), so a new name that looks like an old one is not caught by the unique index. The upgrade
step that fixes this calls ``recompute_name_keys`` once per table that has a ``name_key``::

    recompute_name_keys(conn, projects, group=func.coalesce(projects.c.owner_id, 0))
    recompute_name_keys(conn, stakeholders, group=stakeholders.c.project_id)
    recompute_name_keys(conn, pulse_rounds, group=pulse_rounds.c.project_id)
    recompute_name_keys(conn, retro_members, group=retro_members.c.board_id)

It takes the tables as arguments (it imports no schema), so ``cpmkit.db.schema`` can call it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select

from cpmkit.core.fields import name_key

__all__ = ["recompute_name_keys"]


def recompute_name_keys(conn: Connection, table: Table, *, group: Any = None) -> dict[int, str]:
    """Set each row's ``name_key`` to ``name_key(name)``, in the caller's transaction.

    Names unique by the old key may look alike by the new one (within ``group``, a column such
    as the project id, or the whole table): the first row (lowest id) keeps its name, the
    others get " (2)", " (3)"... as the version 2 upgrade did, so no row is lost and the unique
    index holds. Returns ``{id: new name}`` for the rows renamed.
    """
    columns = [table.c.id, table.c.name, table.c.name_key] + ([group] if group is not None else [])
    rows = conn.execute(select(*columns).order_by(table.c.id)).all()
    limit = getattr(table.c.name.type, "length", None)
    seen: set[tuple[Any, str]] = set()
    changed: dict[int, tuple[str, str]] = {}  # id -> (name, key)
    renamed: dict[int, str] = {}
    for row in rows:
        scope = row[3] if group is not None else None
        name, n = row.name, 1
        while (scope, name_key(name)) in seen:
            n += 1
            suffix = f" ({n})"
            name = (row.name if limit is None else row.name[: limit - len(suffix)]) + suffix
        key = name_key(name)
        seen.add((scope, key))
        if name != row.name:
            renamed[row.id] = name
        if name != row.name or key != row.name_key:
            changed[row.id] = (name, key)
    # Two passes, so that no row takes a key another still holds: first every changed row gets a
    # key no name can have (a key never holds a space), then its own.
    for row_id in changed:
        conn.execute(table.update().where(table.c.id == row_id).values(name_key=f" {row_id}"))
    for row_id, (name, key) in changed.items():
        conn.execute(table.update().where(table.c.id == row_id).values(name=name, name_key=key))
    return renamed
