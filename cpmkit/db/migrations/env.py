"""Alembic's entry point: migrates the connection cpmkit passes in (``config.attributes``), or,
run from the command line (README.md), the store at ``-x url=...`` or cpmkit's default store."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cpmkit.db import location
from cpmkit.db.database import create_store_engine
from cpmkit.db.schema import metadata


def _migrate(connection: Connection) -> None:
    """Run the pending revisions on ``connection``; in the caller's transaction if one is open."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters a table by copying it; batch mode writes that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Migrate the connection given by cpmkit, else open the store named on the command line."""
    given = context.config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        return
    engine = create_store_engine(context.get_x_argument(as_dictionary=True).get("url") or location.db_url())
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


main()
