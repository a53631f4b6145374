"""The one store: every answer goes through here, into SQLite by default or PostgreSQL.

Many Voila kernels write to one store at once. On SQLite that works because the file is in
WAL mode (readers never block the writer), every write transaction starts with
``BEGIN IMMEDIATE`` (it takes the write lock up front, so it waits its turn under the busy
timeout instead of failing with "database is locked" when it tries to upgrade a read lock),
and each answer is one short transaction. On PostgreSQL each write is one statement in its
own transaction; schema upgrades hold an advisory lock, which a store already at the head
revision is opened without (the usual case: every kernel opens it).

A SQLite store file is readable by its owner only (``FILE_MODE``): cpmkit creates it so, with
its folder ``FOLDER_MODE`` when it creates that too, and tightens a file of the same user that
others could read when it opens it. SQLite gives the ``-wal`` and ``-shm`` files it makes the
main file's mode, so they are private too.
"""

from __future__ import annotations

import importlib
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Engine, Table, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from cpmkit.accounts.owners import LOCAL_OWNER, Owner
from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_name, name_key, required, taken
from cpmkit.db import location, migrations
from cpmkit.db.schema import meta, projects
from cpmkit.errors import NotFoundError, StoreError, ValidationError, gone

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "FILE_MODE",
    "FOLDER_MODE",
    "NO_PROJECT",
    "Store",
    "create_store_engine",
    "read_frame",
    "upsert",
]

#: How long a SQLite writer waits for another to finish before giving up.
BUSY_TIMEOUT_SECONDS: Final = 60
#: What a write into a project another window or kernel deleted says.
NO_PROJECT: Final = gone("project")
#: A SQLite store file and its side files: read and written by their owner only.
FILE_MODE: Final = 0o600
#: A folder cpmkit creates for a SQLite store: entered by its owner only.
FOLDER_MODE: Final = 0o700
#: The longest project name (as a stakeholder's: both are names people pick from a list).
_PROJECT_NAME_LIMIT: Final = 120
_MIGRATION_LOCK_ID: Final = 0x63706D6B  # "cpmk": PostgreSQL advisory lock for schema upgrades
_SIDE_FILES: Final = ("-wal", "-shm", "-journal")

log = logging.getLogger("cpmkit")


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` set up for many concurrent writers (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:" and "uri" not in parsed.query:
        _private_file(Path(parsed.database))
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        _enter_wal(cursor)
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("cpmkit_read") else "BEGIN IMMEDIATE")

    return engine


def _enter_wal(cursor: Any) -> None:
    """Put the file in WAL mode, waiting out other openers as a write would.

    Turning an old (rollback-journal) store to WAL needs the file to itself, and SQLite answers
    "database is locked" at once, without its busy handler, when another opener holds a lock it
    would otherwise deadlock on: several kernels opening an old store after an upgrade do. Once
    the file is in WAL mode this returns on the first try.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _private_file(path: Path) -> None:
    """Create the store file (and its folder) readable by its owner only, before SQLite opens
    it; tighten the file and its side files if they are ours and others could read them."""
    folder = path.parent
    try:
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the folder for the cpmkit store ({folder}): {exc.strerror}.") from exc
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE
        )  # SQLite takes an empty file as an empty store
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"Cannot create the cpmkit store {path}: {exc.strerror}.") from exc
    else:
        os.close(fd)
    for file in (path, *(path.with_name(path.name + side) for side in _SIDE_FILES)):
        _tighten(file)


def _tighten(file: Path) -> None:
    """Make ``file`` FILE_MODE if others could read or write it and it is ours; warn if it is not ours."""
    try:
        found = file.stat()
    except FileNotFoundError:
        return
    if not found.st_mode & 0o077:
        return
    if found.st_uid != os.geteuid():
        log.warning(
            "The cpmkit store file %s can be read by others (mode %o) and belongs to another user; "
            "ask its owner to make it private (chmod 600).",
            file,
            stat.S_IMODE(found.st_mode),
        )
        return
    try:
        file.chmod(FILE_MODE)
    except OSError as exc:
        raise StoreError(f"Cannot make the cpmkit store {file} private: {exc.strerror}.") from exc


def upsert(engine: Engine, table: Table, values: dict[str, Any], *, keys: list[Any], update: list[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE as one statement, so two kernels writing the same
    row at once both succeed and the last write wins. SQLite's and PostgreSQL's insert() both
    offer it; only the dialect in use is imported."""
    dialect = importlib.import_module(f"sqlalchemy.dialects.{engine.dialect.name}")
    stmt = dialect.insert(table).values(**values)
    return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})


def read_frame(conn: Connection, query: Any, columns: list[str]) -> pd.DataFrame:
    """The rows of ``query`` on ``conn`` as a frame with ``columns``: for a reader of several
    queries in one transaction (one snapshot); ``Store.frame`` reads one in its own."""
    return pd.DataFrame([tuple(r) for r in conn.execute(query).all()], columns=columns)


class Store:
    """The shared database layer: the engine, transactions, upserts and frames every workbook's
    repository (``StakeholderStore``, ``GapStore``...) writes through, and the projects and
    settings they all hang off."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        with self.read() as conn:
            current = migrations.at_head(conn)
        #: The revision the store had (None: created now); see ``migrations.migrate``.
        self.upgraded_from: str | None = migrations.head() if current else self._migrate()

    def _migrate(self) -> str | None:
        """Create or upgrade the store, one opener at a time (``migrations.migrate``)."""
        with self.write() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            return migrations.migrate(conn)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (creating or upgrading as needed) the store at ``url``, default ``location.db_url()``."""
        target = url or location.db_url()
        engine = create_store_engine(target)
        try:
            return cls(engine)
        except OperationalError as exc:
            engine.dispose()
            safe = make_url(target).render_as_string(hide_password=True)
            raise StoreError(f"Cannot open the cpmkit store at {safe}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()  # a refused store (newer schema, failed upgrade) keeps no connection open
            raise

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    @property
    def schema_version(self) -> str:
        """The store's Alembic revision (``migrations.head()`` once opened)."""
        with self.read() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())

    # -- projects ---------------------------------------------------------------------------

    def create_project(self, name: str, *, owner: Owner = LOCAL_OWNER) -> int:
        """Create a project owned by ``owner`` and return its id; an owner's project names are
        unique, ignoring case."""
        clean = required("name", name, clean_name("name", name, limit=_PROJECT_NAME_LIMIT))
        with self.unique_name("project", clean), self.write() as conn:
            stmt = projects.insert().values(name=clean, name_key=name_key(clean), owner_id=owner.id)
            return int(conn.execute(stmt.returning(projects.c.id)).scalar_one())

    def list_projects(self, owner: Owner = LOCAL_OWNER) -> list[dict[str, Any]]:
        """The projects ``owner`` may see (an admin: every project) as ``{"id", "name"}``, by name."""
        query = select(projects.c.id, projects.c.name)
        if not owner.admin:
            query = query.where(projects.c.owner_id == owner.id)
        with self.read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        # By the name as read (case and spacing aside), not by name_key: a look-alike key is no
        # alphabetical order ("m" is "rn" in it).
        return sorted(rows, key=lambda row: (" ".join(row["name"].split()).casefold(), row["id"]))

    def find_project(self, name_or_id: str | int, *, owner: Owner = LOCAL_OWNER) -> dict[str, Any]:
        """The project ``owner`` may see with the id or name ``name_or_id``, as ``{"id", "name"}``:
        what a person types to name a project (``cpmkit export --project``, ``cpmkit.open_project``).
        Text is a name, as typed, else ignoring case and look-alikes (``name_key``), and only
        then an id; an int is an id. None found:
        NotFoundError listing the projects; several (an admin sees every owner's): say to use the id."""
        listed = self.list_projects(owner)
        wanted = str(name_or_id).strip()
        by_id = [p for p in listed if str(p["id"]) == wanted]
        if isinstance(name_or_id, int):
            found = by_id
        else:  # a name first: a project called "3" is not the project with id 3
            found = [p for p in listed if p["name"] == wanted] or [
                p for p in listed if name_key(p["name"]) == name_key(wanted)
            ]
            found = found or by_id
        if not found:
            names = ", ".join(p["name"] for p in listed) or "none yet"
            raise NotFoundError(f"No project called {name_or_id!r}. Projects: {names}.")
        if len(found) > 1:
            ids = ", ".join(str(p["id"]) for p in found)
            raise ValidationError.for_field(
                "project", name_or_id, f"several projects are called {wanted!r} (ids {ids}); give the id instead."
            )
        return found[0]

    def project(self, project_id: int) -> dict[str, Any]:
        """One project as ``{"id", "name"}``; NotFoundError if it is gone."""
        with self.read() as conn:
            row = conn.execute(select(projects.c.id, projects.c.name).where(projects.c.id == project_id)).first()
        if row is None:
            raise NotFoundError(NO_PROJECT)
        return dict(row._mapping)

    def get_setting(self, key: str) -> str | None:
        """A small remembered value, such as the project last worked on."""
        with self.read() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == f"setting:{key}")).scalar()

    def set_setting(self, key: str, value: str) -> None:
        """Remember a value; one upsert, so kernels setting the same new key never collide."""
        with self.write() as conn:
            conn.execute(
                upsert(
                    self.engine, meta, {"key": f"setting:{key}", "value": value}, keys=[meta.c.key], update=["value"]
                )
            )

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def write(self, *, missing: str | None = None) -> Iterator[Connection]:
        """One write transaction, committed on leaving the block, rolled back on an exception.

        On SQLite it starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so a
        writer waits its turn (up to the busy timeout) instead of failing "database is locked".
        Keep it short: other kernels' writes wait for it. Other repositories on the same
        store (such as ``AssessmentStore``) write through it too.

        With ``missing``, a write whose parent row was deleted meanwhile (perhaps in another
        window), which its foreign key refuses, raises NotFoundError(missing): nothing is written.
        """
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            if missing is None:
                raise
            raise NotFoundError(missing) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction, one consistent snapshot, that never blocks writers (plain
        ``BEGIN`` on SQLite in WAL mode; a normal transaction on PostgreSQL)."""
        with self.engine.connect().execution_options(cpmkit_read=True) as conn, conn.begin():
            yield conn

    def frame(self, query: Any, columns: list[str]) -> pd.DataFrame:
        """The rows of ``query``, read in one transaction, as a frame with ``columns``."""
        with self.read() as conn:
            return read_frame(conn, query, columns)

    @contextmanager
    def unique_name(self, what: str, name: str, *, project_id: int | None = None) -> Iterator[None]:
        """Around a write of a name unique in its table (or in ``project_id``): a unique index
        refusing it becomes "another <what> is already called <name>", and a project deleted
        by another kernel meanwhile (its foreign key refusing the row) becomes NO_PROJECT."""
        try:
            yield
        except IntegrityError as exc:
            if (
                project_id is not None
                and self.frame(select(projects.c.id).where(projects.c.id == project_id), ["id"]).empty
            ):
                raise NotFoundError(NO_PROJECT) from exc
            raise ValidationError.for_field("name", name, taken(what, name)) from exc
