"""Schema migrations by Alembic: a new store is created at the head revision, every store an
earlier cpmkit wrote (before Alembic, or at an earlier revision) upgrades keeping every row, and
the table definitions and the revisions never drift apart. Each test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from cpmkit.core.fields import name_key
from cpmkit.core.links import digest
from cpmkit.db import legacy_upgrades, migrations
from cpmkit.db.database import Store
from cpmkit.db.migrations import BASELINE, HEAD, head, legacy_revision
from cpmkit.db.schema import metadata
from cpmkit.errors import StoreError
from cpmkit.stakeholders.store import StakeholderStore
from tests.db._old_stores import VERSIONS, dump, engine_for, load_old_store, load_store_at, meta_value

#: Names version 2 found taken by another that differs only by case or spacing (store_v1.sql).
RENAMED_BY_V2 = {"APOLLO": "APOLLO (2)", "ada lovelace": "ada lovelace (2)", "grace hopper": "grace hopper (2)"}
#: The tables holding a name and its ``name_key``.
NAMED = ("projects", "stakeholders", "pulse_rounds", "retro_members")


@pytest.fixture
def second_store_url(store_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Another fresh, empty database on the same backend as ``store_url``."""
    if make_url(store_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'second.sqlite3'}"
        return
    with request.getfixturevalue("postgres_server").fresh_database() as url:
        yield url


def drift(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate finds between the store and the table definitions. SQLite
    cannot reflect an index on an expression, so there that one index is checked by name."""
    with warnings.catch_warnings(), engine.connect() as conn:
        warnings.filterwarnings("ignore", "autogenerate skipping .* expression-based index", UserWarning)
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        found: list[Any] = compare_metadata(MigrationContext.configure(conn), metadata)
    return found


def test_a_new_store_is_created_at_the_head_revision(open_store: Callable[..., Store]) -> None:
    store = open_store()
    assert store.upgraded_from is None
    assert store.schema_version == head()
    with engine_for(store.engine.url.render_as_string(hide_password=False)) as engine:
        assert {t.name for t in metadata.sorted_tables} <= set(inspect(engine).get_table_names())
        # Revision 0002 records schema 9, so a cpmkit from before Alembic (up to 8) refuses it.
        assert meta_value(engine, "schema_version") == "9"


def test_tables_and_migrations_agree(store_url: str, open_store: Callable[..., Store]) -> None:
    open_store()
    with engine_for(store_url) as engine:
        assert drift(engine) == []
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                sql = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'ux_projects_owner_name'"
                ).scalar_one()
            assert sql == "CREATE UNIQUE INDEX ux_projects_owner_name ON projects (coalesce(owner_id, 0), name_key)"


def test_the_drift_test_sees_a_table_change(store_url: str, open_store: Callable[..., Store]) -> None:
    open_store()
    with engine_for(store_url) as engine:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE lessons ADD COLUMN mood VARCHAR(20)"))
        assert [(op[0], op[2]) for op in drift(engine)] == [("remove_column", "lessons")]


def test_opening_an_up_to_date_store_again_is_a_no_op(open_store: Callable[..., Store]) -> None:
    first = open_store()
    pid = first.create_project("Apollo")
    StakeholderStore(first).add_stakeholder(pid, "Ada")
    first.close()
    second = open_store()
    assert second.upgraded_from == second.schema_version == head()
    assert second.list_projects() == [{"id": pid, "name": "Apollo"}]
    assert list(StakeholderStore(second).stakeholders(pid)["name"]) == ["Ada"]


@contextmanager
def collect_leaked_connections() -> Iterator[None]:
    """Close, quietly, connections a failed ``Store.open`` left behind (see the next tests).

    Without this their ResourceWarning fires at some later garbage collection and, with
    ``filterwarnings = error``, fails whichever test happens to be running then.
    """
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def make_newer(url: str, *, legacy: bool = False) -> str:
    """Make the store at ``url`` look written by a later cpmkit: an unknown revision, or, with
    ``legacy``, no revision and a schema version after the last one before Alembic."""
    with engine_for(url) as engine, engine.begin() as conn:
        if legacy:
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("UPDATE cpmkit_meta SET value = '9' WHERE key = 'schema_version'"))
            return "schema 9"
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
        return "revision f00dcafe"


@pytest.mark.parametrize("legacy", [False, True], ids=["revision", "legacy"])
def test_newer_store_is_refused(store_url: str, open_store: Callable[..., Store], legacy: bool) -> None:
    store = open_store()
    store.create_project("Apollo")
    store.close()
    newer = make_newer(store_url, legacy=legacy)

    with collect_leaked_connections():
        with pytest.raises(StoreError, match="newer cpmkit") as caught:
            Store.open(store_url)
        assert f"({newer};" in str(caught.value)
        del caught

    with engine_for(store_url) as engine:  # left as it was
        assert "alembic_version" not in inspect(engine).get_table_names() if legacy else True
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM projects")).scalars().all() == ["Apollo"]


@pytest.mark.postgres
def test_refused_store_leaves_no_connection_open(postgres_url: str) -> None:
    import psycopg

    Store.open(postgres_url).close()
    make_newer(postgres_url)
    with collect_leaked_connections():
        with pytest.raises(StoreError):
            Store.open(postgres_url)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            deadline = time.monotonic() + 2
            while True:
                others = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()[0]
                if others == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        assert others == 0, f"{others} connection(s) still open after Store.open was refused"


def expected_after_upgrade(version: int, before: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows of a store at ``version`` as the upgrade must leave them: every one kept, with
    what the steps since changed (names version 2 found duplicated, keys, secrets' digests)."""
    secret_columns = {(table.name, column) for table, column in legacy_upgrades.SECRET_COLUMNS}
    participants = {row["token"]: row["id"] for row in before.get("participants", [])}
    expected: dict[str, list[dict[str, Any]]] = {}
    for table, rows in before.items():
        changed = []
        for row in rows:
            row = dict(row)
            if table in NAMED:
                if version < 2:
                    row["name"] = RENAMED_BY_V2.get(row["name"], row["name"])
                row["name_key"] = name_key(row["name"])  # look-alike keys since version 6
            if version < 7:  # link secrets kept as digests since version 7
                for column in row:
                    if (table, column) in secret_columns:
                        row[column] = digest(row[column])
                if table == "pulse_responses" and row["source"] == "form":
                    row["response_key"] = digest(row["response_key"])
                if table == "cpmkit_meta" and row["key"].startswith("setting:last_self_assessment"):
                    row["value"] = str(participants[row["value"]])
            if table == "cpmkit_meta" and row["key"] == "schema_version":
                row["value"] = "9"
            changed.append(row)
        expected[table] = sorted(changed, key=repr)
    return expected


@pytest.mark.parametrize("version", VERSIONS)
def test_every_earlier_store_upgrades_keeping_every_row(
    version: int, store_url: str, open_store: Callable[..., Store], second_store_url: str
) -> None:
    load_old_store(store_url, version)
    with engine_for(store_url) as engine:
        before = dump(engine)
    assert all(before.values()), f"store_v{version}.sql fills every table"

    store = open_store()
    assert store.upgraded_from == legacy_revision(version)
    assert store.schema_version == head()

    assert_upgraded(store_url, second_store_url, expected_after_upgrade(version, before))


#: A new column an upgrade fills with its default rather than leaving empty, and the values it holds then.
NEW_COLUMN_DEFAULTS: dict[tuple[str, str], set[Any]] = {
    ("retro_boards", "kind"): {"retro"},
    ("retro_boards", "private_writing"): {False},
    ("retro_boards", "named_votes"): {False},
    ("retro_members", "facilitating"): {False},
}

#: The Alembic revisions an earlier cpmkit may have left a store at, oldest first.
EARLIER_REVISIONS = [s.revision for s in reversed(list(migrations.revisions().walk_revisions())) if s.revision != HEAD]


@pytest.mark.parametrize("revision", EARLIER_REVISIONS)
def test_a_store_at_every_earlier_revision_upgrades_keeping_every_row(
    revision: str, store_url: str, open_store: Callable[..., Store], second_store_url: str
) -> None:
    load_store_at(store_url, revision)
    with engine_for(store_url) as engine:
        before = dump(engine)
    assert all(before.values()), f"store_v8.sql and store_rev*.sql up to {revision} fill every table"

    store = open_store()
    assert store.upgraded_from == revision
    assert store.schema_version == head()
    # What changes is what changes from schema version 8, the baseline: the version recorded.
    assert_upgraded(store_url, second_store_url, expected_after_upgrade(legacy_upgrades.LAST_VERSION, before))


def assert_upgraded(store_url: str, second_store_url: str, expected: dict[str, list[dict[str, Any]]]) -> None:
    """The upgraded store at ``store_url`` holds the ``expected`` rows of the tables it had
    (new columns empty), new tables empty, and every table and column of today's definitions,
    the new ones as a store created now (at ``second_store_url``) has them."""
    with engine_for(store_url) as engine:
        after = dump(engine)
    for table, rows in after.items():
        if table == "alembic_version":
            continue
        if table not in expected:
            assert rows == [], f"{table}: a new table is empty"
            continue
        columns = expected[table][0].keys()
        assert sorted(({c: row[c] for c in columns} for row in rows), key=repr) == expected[table], table
        for column in set(rows[0]) - set(columns):
            found = {row[column] for row in rows}
            assert found == NEW_COLUMN_DEFAULTS.get((table, column), {None}), f"{table}.{column}: a new column is empty"

    Store.open(second_store_url).close()
    with engine_for(store_url) as upgraded, engine_for(second_store_url) as created:
        for table in metadata.sorted_tables:
            assert {c["name"] for c in inspect(upgraded).get_columns(table.name)} == set(table.c.keys())
        added = [t.name for t in metadata.sorted_tables if t.name not in expected]
        assert schema_shape(upgraded, added) == schema_shape(created, added)
        assert index_names(upgraded, "projects") == index_names(created, "projects")


def test_a_failed_upgrade_leaves_a_legacy_store_as_it_was(
    store_url: str, open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_old_store(store_url, 8)

    def fail(*_args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(alembic_command, "upgrade", fail)  # after the stamp, in the same transaction
    with collect_leaked_connections(), pytest.raises(RuntimeError, match="disk on fire"):
        Store.open(store_url)
    with engine_for(store_url) as engine:
        assert "alembic_version" not in inspect(engine).get_table_names()
    monkeypatch.undo()
    assert open_store().upgraded_from == legacy_revision(8)
    assert open_store().schema_version == head()


def test_the_baseline_is_the_first_revision() -> None:
    script = migrations.revisions()
    assert script.get_base() == BASELINE


def schema_shape(engine: Engine, tables: list[str]) -> dict[str, Any]:
    """Columns (name, nullable), primary key, indexes and foreign keys of ``tables``."""
    inspector = inspect(engine)
    return {
        t: (
            sorted((c["name"], c["nullable"]) for c in inspector.get_columns(t)),
            sorted(inspector.get_pk_constraint(t)["constrained_columns"]),
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(t)),
            foreign_keys(engine, inspector, t),
        )
        for t in tables
    }


def foreign_keys(engine: Engine, inspector: Any, table: str) -> list[tuple[Any, ...]]:
    """(columns, referred table, ON DELETE) of each foreign key. On SQLite from the pragma:
    SQLAlchemy's reflection misses ON DELETE of a column added with ALTER TABLE ... REFERENCES."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").all()
        return sorted(((row[3],), row[2], None if row[6] == "NO ACTION" else row[6]) for row in rows)
    return sorted(
        (tuple(f["constrained_columns"]), f["referred_table"], (f.get("options") or {}).get("ondelete"))
        for f in inspector.get_foreign_keys(table)
    )


def index_names(engine: Engine, table: str) -> list[str]:
    """Index names from the catalogue: SQLite's reflection skips an index on an expression."""
    catalogue = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexname NOT LIKE '%pkey'"
    )
    with engine.connect() as conn:
        return sorted(conn.execute(text(catalogue), {"t": table}).scalars())


def test_head_is_the_newest_revision_in_versions() -> None:
    assert migrations.HEAD == head() == migrations.revisions().get_current_head()


def test_a_kernel_opening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    Store.open(url).close()  # created at the head revision
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; from cpmkit.db.database import Store; Store.open({url!r}).close(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert opened.stdout.strip() == "[]"
