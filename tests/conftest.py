"""Shared pytest fixtures.

Sections:

* ``served_as(owner, query)``: this process's environment made the one Voila gives a page's
  kernel behind the gate, for that owner (None: a participant's link page).
* Store fixtures: a fresh SQLite file per test, a real PostgreSQL server per session (a
  fresh database per test), ``store_url`` / ``store`` parametrized over both backends (and
  ``stakeholder_store``, workbook 1's repository on it),
  ``run_in_processes`` to hit one store from several OS processes at once, and
  ``project_deleted_before`` to lose a race with another kernel deleting the project.
* ``built_dists`` (session): the sdist and the wheel built from it, as a release is built.
* ``widgets_without_a_kernel`` (autouse): every test's widgets get comm's own no-kernel comm.

Every engine a fixture opens is disposed before the fixture returns, and every store a
test opens through ``open_store`` is closed at teardown: pytest runs with
``filterwarnings = error``, so a leaked connection's ResourceWarning fails the run.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import comm
import ipykernel.ipkernel  # noqa: F401  swaps in ipykernel's comm manager now, never in the middle of a test
import pytest
from sqlalchemy import event

from cpmkit.db.database import Store
from cpmkit.db.schema import projects
from cpmkit.stakeholders.store import StakeholderStore
from tests._postgres import PostgresFailed, PostgresServer, PostgresUnavailable, throwaway_postgres
from tests._repository import ROOT
from tests._workers import report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last. Playwright's sync API keeps an asyncio loop marked as
    running in the main thread for as long as the browser is open (a session fixture), which
    would break later tests that start their own loop; and the quick tests fail first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def served_as(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``served_as(owner, query="")``: the environment Voila gives a kernel behind the gate
    (see cpmkit.serving.page_access), undone after the test."""
    from cpmkit.serving.page_access import IDENTITY_ENV, Identity, encode_identity

    def serve(owner: Any, query: str = "") -> None:
        monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
        monkeypatch.setenv("QUERY_STRING", query)
        monkeypatch.setenv(IDENTITY_ENV, encode_identity(Identity(owner, "browser-1")))

    return serve


@pytest.fixture(autouse=True)
def widgets_without_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widgets made in a test get comm's stand-in comm, which "sends" every change (to nowhere),
    as a page's widgets send to the browser. Importing ``ipykernel.ipkernel`` (some tests do)
    swaps in ipykernel's comm, which with no kernel sends nothing at all, so a test recording
    what a widget sends would check nothing in whichever tests ran after that import."""
    monkeypatch.setattr(comm, "create_comm", comm._create_comm)


@pytest.fixture(scope="session")
def built_dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) of this checkout, built by PyPA's ``build`` as a release is: the sdist
    first, then the wheel from the sdist alone, so both must carry what cpmkit needs."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"building cpmkit failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


# =========================================================================================
# Store fixtures
# =========================================================================================


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a fresh, real SQLite file (not yet created) in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A Store on a fresh SQLite file, for tests (the UI's) that need one real backend only."""
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


def _missing_postgres(reason: str) -> None:
    """Fail in CI (the server must be there), skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"{reason} CI must run the PostgreSQL tests: run `make test`, which installs postgresql.",
            pytrace=False,
        )
    pytest.skip(f"{reason} Install Debian's postgresql package (or run `make test`) to run the PostgreSQL tests.")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a real PostgreSQL server for the session (initdb into /tmp, trust auth, fsync off)."""
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        _missing_postgres(str(exc))
    except PostgresFailed as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped after the test (stores opened
    through ``open_store``/``store`` depend on this fixture, so they are closed first)."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty store, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """``open_store(url=store_url)`` opens a Store and closes it (disposes its engine) at teardown."""
    opened: list[Store] = []

    def _open(url: str | None = None) -> Store:
        store = Store.open(url or store_url)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    """A fresh store on each backend, closed after the test."""
    return open_store()


@pytest.fixture
def project(store: Store) -> int:
    """A project called Apollo in ``store`` (a test module's own ``store`` fixture, if it has one)."""
    return store.create_project("Apollo")


@pytest.fixture
def stakeholder_store(store: Store) -> StakeholderStore:
    """Workbook 1's repository (stakeholders and success measures) on ``store``."""
    return StakeholderStore(store)


@contextmanager
def _project_deleted_before(store: Store, table: str, project_id: int) -> Iterator[None]:
    """Inside, another connection deletes the project just before ``store`` inserts into
    ``table``: the race PostgreSQL allows between a write's checks and its insert (SQLite's
    writers take turns, so there the other connection would only wait)."""

    def delete_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(f"INSERT INTO {table} "):
            with store.engine.connect() as other, other.begin():
                other.execute(projects.delete().where(projects.c.id == project_id))

    event.listen(store.engine, "before_cursor_execute", delete_first)
    try:
        yield
    finally:
        event.remove(store.engine, "before_cursor_execute", delete_first)


@pytest.fixture
def project_deleted_before() -> Callable[[Store, str, int], Any]:
    """``with project_deleted_before(store, "stakeholders", project):``, see ``_project_deleted_before``."""
    return _project_deleted_before


#: Seconds ``run_in_processes`` waits for all its workers before failing the test, and a
#: worker waits at the start barrier (the barrier's own timeout, so workers need not know it).
PROCESS_TIMEOUT = 120


def _run_in_processes(worker: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> dict[int, Any]:
    """Run ``worker(barrier, *a)`` in one spawned OS process per ``a``; return ``{index: what it returned}``.

    ``worker`` must be a module-level function of a test module (spawned children import it).
    Each ``a`` starts with the worker's index. The worker calls ``barrier.wait()`` (it times out
    by itself) where all must start together. The test fails with every worker's traceback if
    any raised or died.
    """
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    barrier = ctx.Barrier(len(args), timeout=PROCESS_TIMEOUT)
    procs = [ctx.Process(target=report, args=(worker, results, barrier, *a), daemon=True) for a in args]
    outcomes: list[tuple[str, int, Any]] = []
    deadline = time.monotonic() + PROCESS_TIMEOUT
    try:
        for proc in procs:
            proc.start()
        while len(outcomes) < len(procs):  # drain before joining, or a full pipe blocks the child
            try:
                outcomes.append(results.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
        for proc in procs:
            if proc.pid is not None:
                proc.join(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                proc.kill()
                proc.join()
        exitcodes = [proc.exitcode for proc in procs]
        for proc in procs:
            if proc.pid is not None:
                proc.close()
        results.close()
        results.join_thread()
    errors = [f"worker {index}:\n{payload}" for status, index, payload in outcomes if status != "ok"]
    assert not errors, "\n".join(errors)
    assert len(outcomes) == len(procs), f"{len(outcomes)} of {len(procs)} workers reported; exit codes {exitcodes}"
    assert exitcodes == [0] * len(procs), f"exit codes {exitcodes}"
    return {index: payload for _status, index, payload in outcomes}


@pytest.fixture
def run_in_processes() -> Callable[[Callable[..., None], Sequence[tuple[Any, ...]]], dict[int, Any]]:
    """``run_in_processes(worker, [(0, ...), (1, ...)])``: see ``_run_in_processes``."""
    return _run_in_processes
