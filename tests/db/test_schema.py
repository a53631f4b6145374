"""Schema creation and upgrades: an older store is brought up to date without losing a row.

``tests/data/store_v1.sql`` is the DDL of schema version 1. Each upgrade test builds a v1
store from it with the plain driver (sqlite3 or psycopg, not cpmkit), fills it, and opens
it with ``Store.open``; each runs on SQLite and on a real PostgreSQL server. Versions 3 and 4
only added tables, so a v2 or v3 store is a filled fresh one with the later tables dropped.
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SAWarning

from cpmkit.core.links import digest
from cpmkit.db import schema
from cpmkit.db.database import Store, create_store_engine
from cpmkit.db.schema import (
    ASSESSMENT_TABLES,
    FEEDBACK_TABLES,
    GAP_TABLES,
    SCHEMA_VERSION,
    meta,
    metadata,
    participants,
    projects,
    pulse_links,
    pulse_responses,
    stakeholders,
    success_measures,
    users,
)
from cpmkit.errors import NotFoundError, StoreError, ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.stakeholders.rules import name_key
from cpmkit.stakeholders.store import StakeholderStore

V1_SQL = Path(__file__).resolve().parents[1] / "data" / "store_v1.sql"

RunInProcesses = Callable[..., dict[int, Any]]  # the conftest fixture's call signature


# -- building a version-1 store with the plain driver ---------------------------------------


class V1Store:
    """A DB-API connection to an empty database, turned into a v1 cpmkit store."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        ddl = V1_SQL.read_text()
        if self.backend == "sqlite":
            self.conn: Any = sqlite3.connect(parsed.database)
            self.placeholder = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(url)
            self.placeholder = "%s"
            ddl = ddl.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")  # the dialect note in the file
        for statement in _statements(ddl):
            self.conn.execute(statement)

    def insert(self, table: str, **values: Any) -> int:
        columns = ", ".join(values)
        marks = ", ".join([self.placeholder] * len(values))
        params = [_plain(v) for v in values.values()]
        cursor = self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", params)
        (new_id,) = cursor.fetchone()
        cursor.close()
        return int(new_id)

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _plain(value: Any) -> Any:
    """Dates as ISO text, as SQLAlchemy stores them in SQLite (and PostgreSQL casts them)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = create_store_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _rows(engine: Engine, table: Any) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        return {row.id: dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id))}


def _schema_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one()


T0 = dt.datetime(2023, 1, 2, 3, 4, 5)
T1 = dt.datetime(2023, 6, 7, 8, 9, 10)


def build_v1_store(url: str) -> dict[str, dict[int, dict[str, Any]]]:
    """Create a filled v1 store at ``url``; return what was inserted, ``{table: {id: row}}``."""
    v1 = V1Store(url)
    rows: dict[str, dict[int, dict[str, Any]]] = {"projects": {}, "stakeholders": {}, "success_measures": {}}

    def add(table: str, **values: Any) -> int:
        new_id = v1.insert(table, **values)
        rows[table][new_id] = values
        return new_id

    try:
        apollo = add("projects", name="Apollo", created_at=T0)
        add("projects", name="APOLLO", created_at=T1)  # a case-duplicate project
        gemini = add("projects", name="Gemini", created_at=T1)

        full = {
            "role": "Sponsor",
            "organisation": "Analytical Engines Ltd",
            "category": "sponsor",
            "power": 5,
            "interest": 4,
            "current_engagement": "neutral",
            "desired_engagement": "leading",
            "expected_value": "Fewer manual calculations",
            "channel": "meeting",
            "cadence": "fortnightly",
            "owner": "Charles",
            "created_at": T0,
            "updated_at": T1,
        }
        ada = add("stakeholders", project_id=apollo, name="Ada Lovelace", **full)
        ada_dup = add(
            "stakeholders", project_id=apollo, name="ada lovelace", role="Shadow", power=1, created_at=T0, updated_at=T0
        )
        add("stakeholders", project_id=apollo, name="Grace  Hopper", interest=2, created_at=T0, updated_at=T0)
        add("stakeholders", project_id=apollo, name="grace hopper", created_at=T0, updated_at=T0)  # differs by spacing
        add(
            "stakeholders",
            project_id=apollo,
            name="<img src=x onerror=alert(1)>",
            expected_value="<script>alert('x')</script> & Zoë 🚀",
            created_at=T1,
            updated_at=T1,
        )
        other = add("stakeholders", project_id=gemini, name="Ada Lovelace", created_at=T1, updated_at=T1)

        add(
            "success_measures",
            stakeholder_id=ada,
            metric="NPS",
            unit="points",
            baseline=20.0,
            target=40.0,
            latest=25.5,
            measured_on=dt.date(2024, 1, 31),
            created_at=T0,
        )
        add(
            "success_measures",
            stakeholder_id=ada_dup,
            metric="Cycle time",
            unit="days",
            baseline=10.0,
            target=5.0,
            created_at=T0,
        )
        add(
            "success_measures",
            stakeholder_id=other,
            metric="Uptime",
            unit="%",
            baseline=99.0,
            target=99.9,
            latest=99.5,
            measured_on=dt.date(2024, 2, 29),
            created_at=T1,
        )
    finally:
        v1.close()
    return rows


# -- tests ----------------------------------------------------------------------------------


def test_every_version_has_an_upgrade_step() -> None:
    assert sorted(schema._STEPS) == list(range(1, SCHEMA_VERSION))


def test_fresh_store_reports_upgraded_from_zero(open_store: Callable[..., Store]) -> None:
    store = open_store()
    assert store.upgraded_from == 0
    assert store.schema_version == SCHEMA_VERSION
    with engine_for(store.engine.url.render_as_string(hide_password=False)) as engine:
        tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_opening_an_up_to_date_store_again_is_a_no_op(open_store: Callable[..., Store]) -> None:
    first = open_store()
    pid = first.create_project("Apollo")
    StakeholderStore(first).add_stakeholder(pid, "Ada")
    first.close()
    second = open_store()
    assert second.upgraded_from == SCHEMA_VERSION
    assert second.schema_version == SCHEMA_VERSION
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


def _make_newer(url: str) -> str:
    newer = str(SCHEMA_VERSION + 1)
    with engine_for(url) as engine, engine.begin() as conn:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=newer))
    return newer


def test_newer_store_is_refused(store_url: str, open_store: Callable[..., Store]) -> None:
    store = open_store()
    store.create_project("Apollo")
    store.close()
    newer = _make_newer(store_url)

    with collect_leaked_connections():
        with pytest.raises(StoreError, match="newer cpmkit") as caught:
            Store.open(store_url)
        assert f"schema {newer}" in str(caught.value)
        del caught

    with engine_for(store_url) as engine:
        assert _schema_version(engine) == newer  # left as it was
        assert [r["name"] for r in _rows(engine, projects).values()] == ["Apollo"]


@pytest.mark.postgres
def test_refused_store_leaves_no_connection_open(postgres_url: str) -> None:
    import psycopg

    Store.open(postgres_url).close()
    _make_newer(postgres_url)
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


def test_upgrade_from_v1_keeps_every_row(store_url: str, open_store: Callable[..., Store]) -> None:
    inserted = build_v1_store(store_url)

    store = open_store()
    assert store.upgraded_from == 1
    assert store.schema_version == SCHEMA_VERSION

    with engine_for(store_url) as engine:
        assert _schema_version(engine) == str(SCHEMA_VERSION)
        inspector = inspect(engine)
        for table in (projects, stakeholders, success_measures):
            # The upgraded tables have every column a fresh store has.
            assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.c.keys())
        unique_indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("stakeholders") if i["unique"]}
        assert unique_indexes["ux_stakeholders_project_name"] == ["project_id", "name_key"]
        assert "ux_projects_owner_name" in _index_names(engine, "projects")  # names unique per owner since v6
        after = {t.name: _rows(engine, t) for t in (projects, stakeholders, success_measures)}

    renamed = {"APOLLO": "APOLLO (2)", "ada lovelace": "ada lovelace (2)", "grace hopper": "grace hopper (2)"}
    for table, rows in inserted.items():
        assert set(after[table]) == set(rows), f"{table}: rows lost or added"
        for row_id, values in rows.items():
            saved = after[table][row_id]
            for column, value in values.items():
                if column == "name":
                    value = renamed.get(value, value)
                assert saved[column] == value, f"{table} #{row_id}.{column}"
            if table in ("projects", "stakeholders"):
                assert saved["name_key"] == name_key(saved["name"])
            if table == "stakeholders":
                assert saved["last_contact"] is None and saved["next_touchpoint"] is None
                # Columns v1 left empty are still empty.
                for column in (
                    set(stakeholders.c.keys()) - set(values) - {"id", "name_key", "last_contact", "next_touchpoint"}
                ):
                    assert saved[column] is None, f"stakeholders #{row_id}.{column}"

    # Exactly the case/spacing duplicates were renamed; the same name in another project was not.
    apollo, apollo_dup, gemini = sorted(inserted["projects"])
    assert [p["name"] for p in store.list_projects()] == ["Apollo", "APOLLO (2)", "Gemini"]
    assert list(StakeholderStore(store).stakeholders(apollo)["name"]) == [
        "Ada Lovelace",
        "ada lovelace (2)",
        "Grace  Hopper",
        "grace hopper (2)",
        "<img src=x onerror=alert(1)>",
    ]
    assert list(StakeholderStore(store).stakeholders(gemini)["name"]) == ["Ada Lovelace"]
    measures = StakeholderStore(store).measures(apollo)
    assert list(zip(measures["stakeholder"], measures["metric"])) == [
        ("Ada Lovelace", "NPS"),
        ("ada lovelace (2)", "Cycle time"),
    ]

    # The case-insensitive duplicate checks now work on the upgraded store ...
    for duplicate in ("ADA LOVELACE", "Ada Lovelace (2)", "grace   HOPPER"):
        with pytest.raises(ValidationError, match="^Name:"):
            StakeholderStore(store).add_stakeholder(apollo, duplicate)
    for duplicate in ("apollo", "Apollo (2)", " GEMINI "):
        with pytest.raises(ValidationError, match="^Name:"):
            store.create_project(duplicate)
    # ... down to the unique index, which refuses what slips past the check.
    with engine_for(store_url) as engine:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                stakeholders.insert().values(project_id=apollo, name="ADA lovelace", name_key=name_key("ADA lovelace"))
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(projects.insert().values(name="GEMINI", name_key=name_key("GEMINI")))

    # ... and new rows get new ids (the v1 sequences carry on) and the new columns.
    katherine = StakeholderStore(store).add_stakeholder(apollo, "Katherine Johnson", last_contact="2024-05-01")
    assert katherine > max(inserted["stakeholders"])
    assert StakeholderStore(store).stakeholder(katherine)["last_contact"] == dt.date(2024, 5, 1)
    assert StakeholderStore(store).update_stakeholder(katherine, "next_touchpoint", "2024-06-01") == dt.date(2024, 6, 1)
    assert store.create_project("Artemis") > apollo_dup
    assert StakeholderStore(store).add_measure(katherine, "Launches") > max(inserted["success_measures"])

    again = open_store()
    assert again.upgraded_from == SCHEMA_VERSION


def test_failed_upgrade_leaves_the_store_as_it_was(
    store_url: str, open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    inserted = build_v1_store(store_url)

    def half_done(conn: Any) -> None:
        schema._v1_to_v2(conn)  # every change made ...
        raise RuntimeError("disk on fire")  # ... then the step fails

    monkeypatch.setitem(schema._STEPS, 1, half_done)
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            Store(engine)
        assert _schema_version(engine) == "1"
        inspector = inspect(engine)
        assert "name_key" not in {c["name"] for c in inspector.get_columns("stakeholders")}
        assert "last_contact" not in {c["name"] for c in inspector.get_columns("stakeholders")}
        with engine.connect() as conn:
            names = conn.exec_driver_sql("SELECT name FROM stakeholders ORDER BY id").scalars().all()
        assert names == [r["name"] for _, r in sorted(inserted["stakeholders"].items())]  # no " (2)" kept
    finally:
        engine.dispose()

    monkeypatch.undo()
    store = open_store()
    assert store.upgraded_from == 1
    assert len(StakeholderStore(store).stakeholders(min(inserted["projects"]))) == 5


def _upgrade_worker(barrier: Any, idx: int, url: str) -> Any:
    """One kernel, started right after cpmkit was upgraded, opening the old store."""
    barrier.wait()
    with closing(Store.open(url)) as store:
        return store.upgraded_from


def test_concurrent_openers_upgrade_once(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    inserted = build_v1_store(store_url)
    workers = 4
    upgraded_from = run_in_processes(_upgrade_worker, [(i, store_url) for i in range(workers)])
    assert sorted(upgraded_from.values()) == [1] + [SCHEMA_VERSION] * (workers - 1)
    store = open_store()
    apollo = min(inserted["projects"])
    assert list(StakeholderStore(store).stakeholders(apollo)["name"]).count("ada lovelace (2)") == 1
    assert len(StakeholderStore(store).measures(apollo)) == 2


# -- version 2 to 3: the self-assessment tables ----------------------------------------------

#: The tables each version from 3 on added, by version (version 1's are in ``V1_SQL``).
ADDED_IN = {3: ASSESSMENT_TABLES, 4: GAP_TABLES, 5: FEEDBACK_TABLES, 6: (users,), 8: (pulse_links,)}


#: ``projects`` as versions 2 to 5 made it: no owner, names unique store-wide.
PROJECTS_V5_SQLITE = """
CREATE TABLE projects_v5 (
    id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, name_key VARCHAR(200) NOT NULL,
    created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL
);
INSERT INTO projects_v5 (id, name, name_key, created_at) SELECT id, name, name_key, created_at FROM projects;
DROP TABLE projects;
ALTER TABLE projects_v5 RENAME TO projects;
"""


def _undo_v6(url: str) -> None:
    """Give ``projects`` back its version-5 shape: no owner, names unique store-wide. SQLite
    cannot drop a column under a foreign key, so there the table is rebuilt, with foreign
    keys off (a plain connection) so that dropping the old one cascades to nothing."""
    if make_url(url).get_backend_name() == "sqlite":
        with closing(sqlite3.connect(make_url(url).database)) as conn:
            conn.executescript(f"BEGIN; DROP INDEX ux_projects_owner_name; {PROJECTS_V5_SQLITE} COMMIT;")
    else:
        with engine_for(url) as engine, engine.begin() as conn:
            conn.execute(text("DROP INDEX ux_projects_owner_name"))
            conn.execute(text("ALTER TABLE projects DROP COLUMN owner_id"))
    with engine_for(url) as engine, engine.begin() as conn:
        conn.execute(text("CREATE UNIQUE INDEX ux_projects_name_key ON projects (name_key)"))


def build_old_store(url: str, version: int, *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """A filled store at ``url`` set back to ``version``: a fresh store, the tables later versions
    added dropped (but ``keep``), its version set back. Returns ids of what it holds."""
    store = Store.open(url)
    try:
        pid = store.create_project("Apollo")
        sid = StakeholderStore(store).add_stakeholder(pid, "Ada Lovelace", power=5, last_contact="2024-05-01")
        ids = {
            "project": pid,
            "stakeholder": sid,
            "measure": StakeholderStore(store).add_measure(sid, "NPS"),
            "workshop": None,
        }
        store.set_setting("last_project", str(pid))
        if version >= 3 or "workshops" in keep:
            assess = AssessmentStore(store)
            ids["workshop"], code, _key = assess.create_workshop("Kept", bank="soft_skills", rounds=["only"])
            joined = assess.join_workshop(code, round="only", display_name="Grace")
            ids["participant"], ids["token"] = joined["id"], joined["token"]
            assess.save_answer(ids["participant"], "listen_1", 4)
        if version >= 4:
            GapStore(store).save_rating(
                sid, "reliability", source="estimate", assessed_on=dt.date(2024, 5, 1), field="expectation", value=5
            )
    finally:
        store.close()
    later = [t for v, tables in ADDED_IN.items() if v > version for t in tables if t.name not in keep]
    if version < 6:
        _undo_v6(url)
    with engine_for(url) as engine, engine.begin() as conn:
        metadata.drop_all(conn, tables=later)
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version)))
        if ids.get("token") and participants not in later:  # before version 7 the token was kept as it is
            conn.execute(participants.update().values(token=ids["token"]))
    return ids


def _schema_shape(engine: Engine, tables: list[str]) -> dict[str, Any]:
    """Columns (name, nullable), primary key, indexes and foreign keys of ``tables``. SQLite's
    reflection skips an index on an expression (with a warning), so index names are read from
    the catalogue as well."""
    inspector = inspect(engine)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        indexes = {t: inspector.get_indexes(t) for t in tables}
    return {
        t: (
            sorted((c["name"], c["nullable"]) for c in inspector.get_columns(t)),
            sorted(inspector.get_pk_constraint(t)["constrained_columns"]),
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in indexes[t]),
            _index_names(engine, t),
            _foreign_keys(engine, inspector, t),
        )
        for t in tables
    }


def _foreign_keys(engine: Engine, inspector: Any, table: str) -> list[tuple[Any, ...]]:
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


def _index_names(engine: Engine, table: str) -> list[str]:
    catalogue = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexname NOT LIKE '%pkey'"
    )
    with engine.connect() as conn:
        return sorted(conn.execute(text(catalogue), {"t": table}).scalars())


@pytest.fixture
def second_store_url(store_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Another fresh, empty database on the same backend as ``store_url``."""
    if make_url(store_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'second.sqlite3'}"
        return
    with request.getfixturevalue("postgres_server").fresh_database() as url:
        yield url


def test_upgrade_from_v2_adds_the_assessment_tables_and_keeps_every_row(
    store_url: str, open_store: Callable[..., Store], second_store_url: str
) -> None:
    ids = build_old_store(store_url, 2)
    names = [t.name for t in (*ASSESSMENT_TABLES, *GAP_TABLES, *FEEDBACK_TABLES)]
    with engine_for(store_url) as engine:
        assert not set(names) & set(inspect(engine).get_table_names())

    store = open_store()
    assert store.upgraded_from == 2
    assert store.schema_version == SCHEMA_VERSION
    assert store.list_projects() == [{"id": ids["project"], "name": "Apollo"}]
    ada = StakeholderStore(store).stakeholder(ids["stakeholder"])
    assert (ada["name"], ada["power"], ada["last_contact"]) == ("Ada Lovelace", 5, dt.date(2024, 5, 1))
    assert list(StakeholderStore(store).measures(ids["project"])["id"]) == [ids["measure"]]
    assert store.get_setting("last_project") == str(ids["project"])

    # The new tables are exactly those of a fresh store: columns, keys, indexes, cascades.
    fresh = Store.open(second_store_url)
    try:
        assert fresh.upgraded_from == 0
    finally:
        fresh.close()
    with engine_for(store_url) as upgraded, engine_for(second_store_url) as created:
        assert _schema_shape(upgraded, names) == _schema_shape(created, names)

    # ... and they work.
    assess = AssessmentStore(store)
    _wid, code, _key = assess.create_workshop("Workshop", bank="soft_skills", rounds=["before", "after"])
    me = assess.join_workshop(code, round="before")["id"]
    assess.save_answer(me, "listen_1", 4)
    assess.save_answer(me, "listen_1", 5)
    assert assess.answers(me) == {"listen_1": 5}
    assert open_store().upgraded_from == SCHEMA_VERSION


def test_upgrade_from_v2_creates_only_the_missing_tables(store_url: str, open_store: Callable[..., Store]) -> None:
    ids = build_old_store(store_url, 2, keep=("workshops",))
    store = open_store()
    assert store.upgraded_from == 2
    assess = AssessmentStore(store)
    assert assess.workshop(ids["workshop"])["name"] == "Kept"  # the existing table and its row survive
    with engine_for(store_url) as engine:
        assert {t.name for t in ASSESSMENT_TABLES} <= set(inspect(engine).get_table_names())
    me = assess.start_self_assessment()["id"]
    assess.save_answer(me, "listen_1", 3)
    assert assess.answers(me) == {"listen_1": 3}


# -- version 3 to 4: the expectation-gap tables ----------------------------------------------


def _dump(engine: Engine, tables: list[Table]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``, in a stable order."""
    with engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr) for t in tables}


@pytest.mark.parametrize("version", [3, 4])
def test_upgrade_adds_the_new_tables_and_keeps_every_row(
    version: int, store_url: str, open_store: Callable[..., Store], second_store_url: str
) -> None:
    later = [t for v, tables in ADDED_IN.items() if v > version for t in tables]
    ids = build_old_store(store_url, version)
    older = [t for t in metadata.sorted_tables if t not in later and t is not projects]  # projects: see the v6 test
    with engine_for(store_url) as engine:
        assert not {t.name for t in later} & set(inspect(engine).get_table_names())
        before = _dump(engine, older)
    assert before["answers"] and before["stakeholders"] and before["success_measures"]
    if version >= 4:
        assert before["gap_ratings"]

    store = open_store()
    assert store.upgraded_from == version
    assert store.schema_version == SCHEMA_VERSION
    with engine_for(store_url) as engine:
        after = _dump(engine, older)
    before["cpmkit_meta"] = [
        r if r[0] != "schema_version" else ("schema_version", str(SCHEMA_VERSION)) for r in before["cpmkit_meta"]
    ]
    at = list(participants.c.keys()).index("token")
    before["participants"] = [(*r[:at], digest(ids["token"]), *r[at + 1 :]) for r in before["participants"]]
    assert after == before  # every row of every older table, unchanged but for the token's digest (version 7)

    Store.open(second_store_url).close()
    names = [t.name for t in later]
    with engine_for(store_url) as upgraded, engine_for(second_store_url) as created:
        assert _schema_shape(upgraded, names) == _schema_shape(created, names)


def test_upgraded_v3_store_keeps_working_with_cascades(store_url: str, open_store: Callable[..., Store]) -> None:
    ids = build_old_store(store_url, 3)
    store = open_store()
    # ... and they work, cascade included.
    gaps = GapStore(store)
    gaps.choose_dimensions(ids["project"], ["reliability"])
    gaps.save_rating(
        ids["stakeholder"],
        "reliability",
        source="estimate",
        assessed_on=dt.date(2024, 6, 1),
        field="expectation",
        value=6,
    )
    assert gaps.ratings(ids["project"])["expectation"].tolist() == [6]
    assert AssessmentStore(store).answers(ids["participant"]) == {"listen_1": 4}
    StakeholderStore(store).delete_stakeholder(ids["stakeholder"])
    assert gaps.ratings(ids["project"]).empty
    assert open_store().upgraded_from == SCHEMA_VERSION


def test_concurrent_openers_upgrade_a_v3_store_once(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    ids = build_old_store(store_url, 3)
    workers = 4
    upgraded_from = run_in_processes(_upgrade_worker, [(i, store_url) for i in range(workers)])
    assert sorted(upgraded_from.values()) == [3] + [SCHEMA_VERSION] * (workers - 1)
    store = open_store()
    assert store.upgraded_from == SCHEMA_VERSION
    assert list(StakeholderStore(store).stakeholders(ids["project"])["name"]) == ["Ada Lovelace"]
    with engine_for(store_url) as engine:
        assert {t.name for t in GAP_TABLES} <= set(inspect(engine).get_table_names())


# -- version 5 to 6: owners who sign in -------------------------------------------------------


def test_upgrade_to_v6_keeps_projects_for_admins_and_makes_names_unique_per_owner(
    store_url: str, open_store: Callable[..., Store], second_store_url: str
) -> None:
    from cpmkit.accounts.store import AccountStore

    ids = build_old_store(store_url, 5)
    with engine_for(store_url) as engine:
        before = _dump(engine, [stakeholders, success_measures])
        with engine.connect() as conn:
            old_projects = conn.execute(text("SELECT id, name, name_key, created_at FROM projects")).all()
    store = open_store()
    assert store.upgraded_from == 5
    with engine_for(store_url) as engine:
        assert _dump(engine, [stakeholders, success_measures]) == before
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, name, name_key, created_at FROM projects")).all() == old_projects
            assert conn.execute(text("SELECT owner_id FROM projects")).scalars().all() == [None]

    accounts = AccountStore(store)
    admin = accounts.add_user("ada", "correct horse 1", admin=True)
    pm, other_pm = accounts.add_user("bob", "correct horse 2"), accounts.add_user("cy", "correct horse 3")
    assert [p["id"] for p in store.list_projects(admin)] == [ids["project"]]  # kept, for admins
    assert store.list_projects(pm) == []  # nobody else's
    mine, theirs = store.create_project("Apollo", owner=pm), store.create_project("Apollo", owner=other_pm)
    assert mine != theirs  # another PM's name is neither taken nor told
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("apollo", owner=pm)
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("APOLLO")  # an owner-less project's name is taken among owner-less ones
    assert [p["id"] for p in store.list_projects(pm)] == [mine]

    Store.open(second_store_url).close()
    with engine_for(store_url) as upgraded, engine_for(second_store_url) as created:
        assert _schema_shape(upgraded, ["users", "projects"]) == _schema_shape(created, ["users", "projects"])


def test_upgrade_to_v6_gives_stored_names_their_look_alike_keys(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    ids = build_old_store(store_url, 5)
    with engine_for(store_url) as engine, engine.begin() as conn:  # written by v5, keyed as v5 did (case folded)
        look_alike = conn.execute(
            projects.insert().values(name="Apоllo", name_key="apоllo").returning(projects.c.id)  # a Cyrillic о
        ).scalar_one()
    store = open_store()
    assert store.upgraded_from == 5
    assert store.project(ids["project"])["name"] == "Apollo"  # the older keeps its name
    assert store.project(look_alike)["name"] == "Apоllo (2)"  # none lost, the index holds
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("APOLLO")


# -- version 6 to 7: link secrets kept only as digests ---------------------------------------

V6_SECRETS_SQL = Path(__file__).resolve().parents[1] / "data" / "store_v6_secrets.sql"
#: The plain secrets in ``V6_SECRETS_SQL``, by what they open.
V6_SECRETS = {
    "participant": "bc0qhjDouJbsASJ6cO1OBtgPJJyhTwMV",
    "solo": "vAdqsjDdcgha8KLXyD7MwW8xajyPXrdA",
    "rater": "mtTc0wm-J5ks0TN5DKtFILrFTDRl20Bi",
    "survey": "bfK0sTruO0_5-RqmPYeBN2s05yfi57PK",
    "pulse": "Yd1rdCr334e5NZ8u2EFLcDQywlMw71FC",
    "board": "q4K2A93tkt6S3CltbXr-bsZsJKaA0AQo",
    "facilitator": "py7B_XS_A7DOs91IBecbxqSypZmBBWio",
    "member": "fedcba9876543210fedcba9876543210",
    "form": "0123456789abcdef0123456789abcdef",
}
IMPORTED_KEY = "5d41402abc4b2a76b9719d911017c592"


def build_v6_store_with_plain_secrets(url: str) -> None:
    """A store at version 6 holding ``V6_SECRETS`` in plain text: a fresh store's tables (version
    7 changed none), the rows of ``V6_SECRETS_SQL``, its version set back to 6."""
    Store.open(url).close()
    with engine_for(url) as engine, engine.begin() as conn:
        for statement in _statements(V6_SECRETS_SQL.read_text()):
            conn.exec_driver_sql(statement)
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value="6"))


def _cells(engine: Engine) -> list[str]:
    """Every value in every table of the store, as text."""
    with engine.connect() as conn:
        return [str(value) for table in metadata.sorted_tables for row in conn.execute(select(table)) for value in row]


def test_upgrade_to_v7_keeps_every_link_working_and_no_plain_secret(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    build_v6_store_with_plain_secrets(store_url)
    with engine_for(store_url) as engine:
        assert set(V6_SECRETS.values()) - {V6_SECRETS["form"]} <= set(_cells(engine))

    store = open_store()
    assert store.upgraded_from == 6
    assert store.schema_version == SCHEMA_VERSION

    # Every link already sent opens what it opened, through the public store methods.
    assess, gaps = AssessmentStore(store), GapStore(store)
    pulses, retros = PulseStore(store), RetroStore(store)
    grace = assess.participant_by_token(V6_SECRETS["participant"])
    assert (grace["id"], grace["display_name"], grace["round"]) == (1, "Grace", "before")
    assert assess.answers(grace["id"]) == {"listen_1": 4}
    assert assess.participant_by_token(V6_SECRETS["solo"])["id"] == 2
    assert assess.peer_rater(V6_SECRETS["rater"]) == {
        "subject_id": 1,
        "bank": "soft_skills",
        "answers": {"listen_1": 3},
    }
    assert gaps.survey(V6_SECRETS["survey"]) == {
        "stakeholder_id": 1,
        "stakeholder": "Ada Lovelace",
        "project_id": 1,
        "project": "Apollo",
    }
    assert pulses.round_for_token(V6_SECRETS["pulse"])["name"] == "October"
    assert retros.board_for_token(V6_SECRETS["board"])["id"] == 1
    assert retros.board_for_facilitator(V6_SECRETS["facilitator"])["id"] == 1
    # ... the browsers that answered or joined still find their response and their place ...
    assert pulses.form_response(1, V6_SECRETS["form"]) == {"id": 1, "stakeholder_id": None, "answers": {"recommend": 9}}
    assert retros.join(1, "ana", V6_SECRETS["member"]) == 1
    with pytest.raises(ValidationError, match="from another browser"):
        retros.join(1, "Ana", "0" * 32)
    # ... and the page with no link resumes the last solo self-assessment, now remembered by id.
    assert store.get_setting("last_self_assessment") == store.get_setting("last_self_assessment:1") == "2"

    # No plain secret is left anywhere; each secret column holds the digest; imports are untouched.
    with engine_for(store_url) as engine:
        cells = _cells(engine)
        assert not [c for c in cells if any(secret in c for secret in V6_SECRETS.values())]
        with engine.connect() as conn:
            keys = conn.execute(select(pulse_responses.c.response_key).order_by(pulse_responses.c.id)).scalars().all()
            for table, column in schema.SECRET_COLUMNS:
                assert all(len(v) == 64 for v in conn.execute(select(table.c[column])).scalars())
    assert keys == [digest(f"form-{V6_SECRETS['form']}"), IMPORTED_KEY]
    assert len(schema.SECRET_COLUMNS) == 7

    # A stored digest opens nothing, and upgrading again changes nothing.
    with pytest.raises(NotFoundError):
        assess.participant_by_token(digest(V6_SECRETS["participant"]))
    assert open_store().upgraded_from == SCHEMA_VERSION
    assert assess.participant_by_token(V6_SECRETS["participant"])["id"] == 1


def test_a_v7_upgrade_that_fails_half_way_leaves_every_plain_secret_as_it_was(
    store_url: str, open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_v6_store_with_plain_secrets(store_url)
    real, calls = schema._set_digests, []

    def fail_on_the_third(*args: Any) -> None:
        calls.append(args)
        real(*args)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "_set_digests", fail_on_the_third)
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            Store(engine)
        assert _schema_version(engine) == "6"
        assert set(V6_SECRETS.values()) - {V6_SECRETS["form"]} <= set(_cells(engine))
    finally:
        engine.dispose()
    monkeypatch.undo()
    store = open_store()
    assert store.upgraded_from == 6
    assert AssessmentStore(store).participant_by_token(V6_SECRETS["participant"])["id"] == 1


def test_a_forgotten_last_self_assessment_is_dropped_on_upgrade(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    build_v6_store_with_plain_secrets(store_url)
    with engine_for(store_url) as engine, engine.begin() as conn:
        conn.execute(meta.update().where(meta.c.key == "setting:last_self_assessment").values(value="no-such-token"))
    assert open_store().get_setting("last_self_assessment") is None


def test_no_plain_secret_is_left_in_an_upgraded_sqlite_file(sqlite_url: str) -> None:
    """SQLite may leave deleted bytes in the file's free space (Debian builds it with
    secure_delete on by default, other builds do not: with it off, about one token in ten of
    2,000 was left). The upgrade turns secure_delete on itself: after it and a clean close, no
    plain secret is in the file at all, even on a connection that starts with it off."""
    build_v6_store_with_plain_secrets(sqlite_url)
    path = Path(make_url(sqlite_url).database or "")
    many = [f"plain-token-{i:05d}-{'x' * 14}" for i in range(1000)]
    with closing(sqlite3.connect(path)) as conn:
        conn.executemany("INSERT INTO participants (display_name, token) VALUES (NULL, ?)", [(t,) for t in many])
        conn.commit()
    assert V6_SECRETS["participant"].encode() in path.read_bytes()  # the test would see one
    engine = create_store_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def _without_secure_delete(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete=OFF")

    Store(engine).close()
    data = path.read_bytes()
    assert not path.with_name(path.name + "-wal").exists()
    assert [name for name, secret in V6_SECRETS.items() if secret.encode() in data] == []
    assert [t for t in many if t.encode() in data] == []
    assert digest(V6_SECRETS["participant"]).encode() in data
