"""Stores as earlier cpmkit versions wrote them, from the fixed SQL in tests/data/store_v<N>.sql
(never from today's table definitions), loaded with the plain driver (sqlite3 or psycopg); and
stores at an earlier Alembic revision: schema version 8's, migrated by the frozen revisions up
to it, with the rows of tests/data/store_rev<N>.sql in what each revision since the baseline added."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from cpmkit.db import legacy_upgrades, migrations
from cpmkit.db.database import create_store_engine

DATA = Path(__file__).resolve().parents[1] / "data"
#: The versions cpmkit wrote before Alembic, each with its tests/data/store_v<N>.sql.
VERSIONS = range(1, 9)


def store_sql(version: int) -> Path:
    """The DDL and rows of a store at schema ``version``."""
    return DATA / f"store_v{version}.sql"


def statements(sql: str) -> list[str]:
    """The statements of a fixed SQL file: comment lines dropped, split at ";"."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def run_sql(url: str, sql: list[str]) -> None:
    """Run ``sql`` on the empty database at ``url`` with the plain driver, as the fixed files
    say: "INTEGER PRIMARY KEY" becomes "SERIAL PRIMARY KEY" on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(parsed.database or "")
    else:
        import psycopg

        conn = psycopg.connect(url)
        sql = [s.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY") for s in sql]
    with closing(conn):
        for statement in sql:
            conn.execute(statement)
        conn.commit()


def load_old_store(url: str, version: int) -> None:
    """Make the empty database at ``url`` a filled store at schema ``version``."""
    run_sql(url, statements(store_sql(version).read_text()))


def load_store_at(url: str, revision: str) -> None:
    """Make the empty database at ``url`` a filled store at Alembic ``revision``, as an earlier
    cpmkit left it: schema version 8's store brought to the baseline as ``migrations.migrate``
    does, upgraded to ``revision``, with each later revision's rows from store_rev<N>.sql."""
    load_old_store(url, legacy_upgrades.LAST_VERSION)
    with engine_for(url) as engine, engine.begin() as conn:
        legacy_upgrades.upgrade(conn, legacy_upgrades.LAST_VERSION)
        command.stamp(migrations.config(conn), migrations.BASELINE)
        command.upgrade(migrations.config(conn), revision)
    since_baseline = [s.revision for s in migrations.revisions().iterate_revisions(revision, migrations.BASELINE)]
    for added in reversed(since_baseline):
        rows = DATA / f"store_rev{added}.sql"
        assert rows.exists(), f"write {rows.name}: rows in every table and column revision {added} added"
        run_sql(url, statements(rows.read_text()))


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = create_store_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the driver returns it (no table definitions involved)."""
    with engine.connect() as conn:
        return {
            table: sorted((dict(row._mapping) for row in conn.exec_driver_sql(f"SELECT * FROM {table}")), key=repr)
            for table in inspect(conn).get_table_names()
        }


def meta_value(engine: Engine, key: str) -> str | None:
    """A value in ``cpmkit_meta`` (the legacy schema version, a setting), read with plain SQL."""
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"SELECT value FROM cpmkit_meta WHERE key = '{key}'").scalar()
        return None if found is None else str(found)
