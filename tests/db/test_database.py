"""Unit tests of cpmkit.db.database.Store (the plumbing, projects and settings), each run on
SQLite and on a real PostgreSQL server; workbook 1's repository is tested in
tests/stakeholders/test_store.py.

The concurrency tests start real OS processes ("spawn", like separate Voila kernels), each
with its own Store on the same database, and check that no write is lost and none fails.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from cpmkit import config
from cpmkit.accounts.store import AccountStore
from cpmkit.db import database, location
from cpmkit.db.database import FILE_MODE, FOLDER_MODE, Store, create_store_engine
from cpmkit.db.migrations import head
from cpmkit.db.schema import success_measures
from cpmkit.errors import NotFoundError, StoreError, ValidationError

# A fixture from conftest.py; the alias only documents its call signature.
RunInProcesses = Callable[..., dict[int, Any]]

# -- projects -----------------------------------------------------------------------------


def test_fresh_store_is_empty_and_current(store: Store) -> None:
    assert store.list_projects() == []
    assert store.schema_version == head()
    assert store.upgraded_from is None


def test_create_and_list_projects(store: Store) -> None:
    beta = store.create_project("  Beta  ")
    alpha = store.create_project("alpha")
    assert isinstance(beta, int) and isinstance(alpha, int) and beta != alpha
    # Listed by name, ignoring case; the name is stored trimmed.
    assert store.list_projects() == [{"id": alpha, "name": "alpha"}, {"id": beta, "name": "Beta"}]
    assert store.project(beta) == {"id": beta, "name": "Beta"}


@pytest.mark.parametrize("duplicate", ["Apollo", "apollo", "APOLLO", "  apollo ", "ApOlLo"])
def test_duplicate_project_name_refused(store: Store, duplicate: str) -> None:
    first = store.create_project("Apollo")
    with pytest.raises(ValidationError) as caught:
        store.create_project(duplicate)
    assert caught.value.field == "name"
    assert str(caught.value).startswith("Name:")
    assert store.list_projects() == [{"id": first, "name": "Apollo"}]
    # The failed insert left the store usable.
    other = store.create_project("Gemini")
    assert [p["id"] for p in store.list_projects()] == [first, other]


def test_project_names_compare_spacing_insensitively(store: Store) -> None:
    store.create_project("Moon   Landing")
    with pytest.raises(ValidationError, match="^Name:"):
        store.create_project("moon landing")


def test_empty_project_name_refused(store: Store) -> None:
    for bad in ["", "   ", None]:
        with pytest.raises(ValidationError, match="^Name: cannot be empty"):
            store.create_project(bad)  # type: ignore[arg-type]
    assert store.list_projects() == []


def test_missing_project_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="^This project no longer exists"):
        store.project(12345)


def test_a_project_is_found_by_id_or_by_name_as_a_person_types_it(store: Store) -> None:
    """``find_project`` serves ``cpmkit export --project`` and ``cpmkit.open_project``."""
    harbour = store.create_project("Harbour Bridge Refit")
    numbered = store.create_project("2027")
    assert store.find_project("Harbour Bridge Refit") == {"id": harbour, "name": "Harbour Bridge Refit"}
    assert store.find_project("  harbour bridge REFIT ")["id"] == harbour  # case and spacing aside
    assert store.find_project(harbour)["id"] == store.find_project(str(harbour))["id"] == harbour
    assert store.find_project("2027")["id"] == numbered  # no project has the id 2027
    with pytest.raises(NotFoundError, match=r"^No project called 2027\. Projects: 2027, Harbour Bridge Refit\.$"):
        store.find_project(2027)  # an int is an id only


def test_a_name_that_is_another_projects_id_finds_the_project_of_that_name(store: Store) -> None:
    first = store.create_project("Apollo")
    numbered = store.create_project(str(first))  # called as another project's id
    assert store.find_project(str(first))["id"] == numbered  # typed text is a name first
    assert store.find_project(first)["id"] == first  # an int is an id
    assert store.find_project(str(numbered))["id"] == numbered  # no project has that name: the id


def test_an_unknown_project_is_named_with_the_projects_there_are(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^No project called 'Gemini'\. Projects: none yet\.$"):
        store.find_project("Gemini")
    store.create_project("Apollo")
    with pytest.raises(NotFoundError, match=r"^No project called 'Gemini'\. Projects: Apollo\.$"):
        store.find_project("Gemini")


def test_an_owner_finds_only_their_projects_and_an_admin_is_asked_for_the_id_of_a_shared_name(
    store: Store,
) -> None:
    accounts = AccountStore(store)
    ana, ben = accounts.add_user("ana", "correct horse 1"), accounts.add_user("ben", "correct horse 2")
    mine, theirs = store.create_project("Apollo", owner=ana), store.create_project("apollo", owner=ben)
    assert store.find_project("APOLLO", owner=ana)["id"] == mine
    with pytest.raises(NotFoundError, match="Projects: Apollo"):
        store.find_project(theirs, owner=ana)
    assert store.find_project("Apollo")["id"] == mine  # the name as typed comes first
    with pytest.raises(
        ValidationError, match=rf"^Project: several projects are called 'APOLLO' \(ids {mine}, {theirs}\)"
    ):
        store.find_project("APOLLO")
    assert store.find_project(theirs)["name"] == "apollo"


# -- settings and free text ---------------------------------------------------------------


def test_settings_get_and_set(store: Store) -> None:
    assert store.get_setting("last_project") is None
    store.set_setting("last_project", "3")
    store.set_setting("theme", "dark")
    store.set_setting("last_project", "7")
    assert store.get_setting("last_project") == "7"
    assert store.get_setting("theme") == "dark"
    # Settings live beside the schema version but cannot overwrite it.
    store.set_setting("schema_version", "999")
    assert store.get_setting("schema_version") == "999"
    assert store.schema_version == head()


# -- opening the store --------------------------------------------------------------------


def test_open_defaults_to_sqlite_file_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "not yet there"
    monkeypatch.delenv(location.DB_URL_ENV, raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(data_dir))
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    store = Store.open()
    try:
        assert store.engine.dialect.name == "sqlite"
        expected = data_dir / location.DEFAULT_DB_FILENAME
        assert expected.is_file()
        assert store.url == f"sqlite:///{expected}"
        store.create_project("Persisted")
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not yet there"]
    again = Store.open(f"sqlite:///{expected}")
    try:
        assert [p["name"] for p in again.list_projects()] == ["Persisted"]
    finally:
        again.close()


def test_open_uses_db_url_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "chosen.sqlite3"
    monkeypatch.setenv(location.DB_URL_ENV, f"sqlite:///{target}")
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "unused"))
    store = Store.open()
    store.close()
    assert target.is_file()
    assert not (tmp_path / "unused").exists()


def test_db_url_makes_relative_sqlite_path_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = location.db_url({location.DB_URL_ENV: "sqlite:///relative/dir/store.sqlite3"})
    assert url == f"sqlite:///{(tmp_path / 'relative' / 'dir' / 'store.sqlite3').resolve()}"
    assert (
        location.db_url({location.DB_URL_ENV: f"sqlite:///{tmp_path}/abs.sqlite3"})
        == f"sqlite:///{tmp_path}/abs.sqlite3"
    )
    assert location.db_url({location.DB_URL_ENV: "sqlite://"}) == "sqlite://"
    pg = "postgresql://user:secret@db.example:5432/cpm"
    assert location.db_url({location.DB_URL_ENV: f"  {pg} "}) == pg
    assert (
        location.db_url({config.DATA_DIR_ENV: str(tmp_path)}) == f"sqlite:///{tmp_path / location.DEFAULT_DB_FILENAME}"
    )


# -- concurrency: separate processes, one database -----------------------------------------

WORKERS = 8
WRITES_PER_WORKER = 40


def _open_worker(barrier: Any, idx: int, url: str) -> Any:
    """One 'kernel' starting at the same moment as the others on a store nobody created yet."""
    barrier.wait()
    with closing(Store.open(url)) as store:
        pid = store.create_project(f"Project of worker {idx}")
        return (store.upgraded_from, store.schema_version, pid)


def test_concurrent_first_open_creates_store_once(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    workers = 4
    opened = run_in_processes(_open_worker, [(i, store_url) for i in range(workers)])

    upgraded_from = [payload[0] for payload in opened.values()]
    assert sorted(upgraded_from, key=str) == [head()] * (workers - 1) + [None]  # exactly one created it
    assert {payload[1] for payload in opened.values()} == {head()}
    store = open_store()
    assert store.upgraded_from == head()
    assert sorted(p["name"] for p in store.list_projects()) == sorted(f"Project of worker {i}" for i in range(workers))


def test_turning_an_old_file_to_wal_waits_for_another_writer(tmp_path: Path) -> None:
    # SQLite refuses the switch at once, without its busy handler, while another connection
    # holds the write lock: several kernels opening an old store after an upgrade hit it.
    path = tmp_path / "old.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.3, writer.execute, ["COMMIT"]).start()
    engine = create_store_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 1
    engine.dispose()
    writer.close()


def _settings_worker(barrier: Any, idx: int, url: str, keys: int) -> Any:
    """One 'kernel' remembering the same settings as every other one (e.g. the last project)."""
    with closing(Store.open(url)) as store:
        barrier.wait()
        for i in range(keys):
            store.set_setting(f"shared-{i}", f"worker {idx}")


def test_concurrent_settings_on_the_same_new_key(
    store_url: str,
    open_store: Callable[..., Store],
    run_in_processes: RunInProcesses,
) -> None:
    store = open_store()
    workers, keys = 4, 100
    run_in_processes(_settings_worker, [(i, store_url, keys) for i in range(workers)])
    for i in range(keys):
        assert store.get_setting(f"shared-{i}") in {f"worker {w}" for w in range(workers)}


def test_a_write_refused_by_a_foreign_key_names_what_is_missing_and_writes_nothing(store: Store) -> None:
    with (
        pytest.raises(NotFoundError, match="^This stakeholder is gone.$"),
        store.write(missing="This stakeholder is gone.") as conn,
    ):
        conn.execute(success_measures.insert().values(stakeholder_id=12345, metric="NPS"))
    assert store.frame(select(success_measures.c.id), ["id"]).empty
    with pytest.raises(IntegrityError), store.write() as conn:  # without ``missing`` the error is the database's
        conn.execute(success_measures.insert().values(stakeholder_id=12345, metric="NPS"))


def test_a_store_folder_that_cannot_be_created_is_a_plain_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Cannot create the folder"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'store.sqlite3'}")


# -- the store file is private -----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022): files anyone can read unless cpmkit says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_sqlite_store_and_its_folder_are_private(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "made" / "by" / "cpmkit" / "store.sqlite3"
    with closing(Store.open(f"sqlite:///{path}")) as store:
        store.create_project("Apollo")  # a write: the -wal and -shm files are there while the store is open
        side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        assert all(file.exists() for file in side)
        assert {file.name: _mode(file) for file in (path, *side)} == {file.name: FILE_MODE for file in (path, *side)} == {
            "store.sqlite3": 0o600, "store.sqlite3-wal": 0o600, "store.sqlite3-shm": 0o600,
        }  # fmt: skip
    assert _mode(path.parent) == FOLDER_MODE == 0o700
    assert _mode(path.parent.parent) == 0o755  # only the store's own folder is cpmkit's to close


def test_the_default_store_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None) -> None:
    monkeypatch.delenv(location.DB_URL_ENV, raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "data"))
    Store.open().close()
    assert _mode(tmp_path / "data" / location.DEFAULT_DB_FILENAME) == 0o600
    assert _mode(tmp_path / "data") == 0o700


def test_an_existing_folder_is_left_as_it_is(tmp_path: Path, loose_umask: None) -> None:
    tmp_path.chmod(0o755)
    Store.open(f"sqlite:///{tmp_path / 'store.sqlite3'}").close()
    assert _mode(tmp_path) == 0o755 and _mode(tmp_path / "store.sqlite3") == 0o600


def test_an_existing_store_others_can_read_is_made_private(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    with closing(Store.open(url)) as store:
        store.create_project("Apollo")
        side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        for file in (path, *side):
            file.chmod(0o644)  # as an older cpmkit left them
        with closing(Store.open(url)) as again:
            assert [p["name"] for p in again.list_projects()] == ["Apollo"]
            assert [_mode(file) for file in (path, *side)] == [0o600, 0o600, 0o600]


def test_a_store_of_another_user_is_not_changed_but_named_in_a_warning(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = tmp_path / "store.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    path.chmod(0o644)
    os.chown(path, 65534, 65534)  # nobody
    with caplog.at_level(logging.WARNING, logger="cpmkit"):
        Store.open(f"sqlite:///{path}").close()
    assert _mode(path) == 0o644
    assert f"{path} can be read by others (mode 644) and belongs to another user" in caplog.text


def test_a_current_store_opens_while_another_opener_holds_the_upgrade_lock(store_url: str) -> None:
    """Every kernel opens the store: at the head revision that takes no lock, or a room of
    kernels queues behind each other (on PostgreSQL, page ready p50 32 s for 200 arriving)."""
    Store.open(store_url).close()
    holder = create_store_engine(store_url)
    with holder.begin() as conn:  # an upgrade in progress elsewhere holds the write lock
        if holder.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": database._MIGRATION_LOCK_ID})
        started = time.monotonic()
        with closing(Store.open(store_url)) as store:
            assert store.upgraded_from == head()
        assert time.monotonic() - started < 5  # the busy timeout is 60 s
    holder.dispose()
