"""A throw-away PostgreSQL server from Debian's binaries (initdb into /tmp, trust auth, fsync
off), stopped and removed on exit: the tests' session server (``postgres_server`` in
tests/conftest.py) and benchmarks/room_load.py's ``--postgres``.

    with throwaway_postgres() as server, server.fresh_database() as url:
        ...  # url: postgresql://postgres@127.0.0.1:<port>/test_<hex>
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresFailed", "PostgresServer", "PostgresUnavailable", "throwaway_postgres"]

#: The Debian/Ubuntu PostgreSQL server packages install their binaries here, one folder per major version.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: System user that runs the server when the tests run as root (initdb refuses root).
PG_SYSTEM_USER = "postgres"
#: The database superuser created by initdb (trust auth, no password).
PG_SUPERUSER = "postgres"
_PG_START_TIMEOUT = 60


class PostgresUnavailable(Exception):
    """No PostgreSQL server can run here (no binaries, or no user to run them as root)."""


class PostgresFailed(Exception):
    """The server was there but did not start (the message holds its output and log)."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throw-away PostgreSQL server, reachable over TCP on 127.0.0.1."""

    host: str
    port: int
    user: str
    bin_dir: Path
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def admin_connect(self):  # -> psycopg.Connection
        """An autocommit connection to the maintenance database (for CREATE/DROP DATABASE)."""
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True)

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """The URL of a new, empty database, dropped (forcibly) on exit: FORCE also ends any
        connection a test leaked, e.g. from a killed child process."""
        database = f"test_{uuid.uuid4().hex}"
        with self.admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        try:
            yield self.url(database)
        finally:
            with self.admin_connect() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None if no server is installed."""

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in re.findall(r"\d+", name)) or (0,)

    for candidate in sorted(glob.glob(PG_BIN_GLOB), key=version, reverse=True):
        bin_dir = Path(candidate)
        if all((bin_dir / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_isready", "postgres")):
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_pg(as_root: bool, args: list[str], *, cwd: str, timeout: float) -> subprocess.CompletedProcess[str]:
    command = (["runuser", "-u", PG_SYSTEM_USER, "--"] if as_root else []) + args
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@contextmanager
def throwaway_postgres(*, max_connections: int = 200) -> Iterator[PostgresServer]:
    """Start a real PostgreSQL server in a new folder under /tmp; stop it and remove the folder
    on exit. ``max_connections``: each kernel (and each test process) holds its own."""
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(f"No PostgreSQL server binaries under {PG_BIN_GLOB}.")
    as_root = os.geteuid() == 0
    owner: tuple[int, int] | None = None  # (uid, gid) to hand the temp dir to when running as root
    if as_root:
        import pwd

        if shutil.which("runuser") is None:
            raise PostgresUnavailable(
                "Running as root but `runuser` is missing, so initdb cannot run as the postgres user."
            )
        try:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"Running as root but there is no {PG_SYSTEM_USER!r} system user to run initdb as."
            ) from None
        owner = (entry.pw_uid, entry.pw_gid)

    # Not pytest's tmp_path_factory: /tmp/pytest-of-root is mode 0700, so the postgres user could not reach it.
    base = Path(tempfile.mkdtemp(prefix="cpmkit-pg-"))
    data_dir = base / "data"
    log_file = base / "server.log"
    started = False
    try:
        if owner is not None:
            os.chown(base, *owner)  # mkdtemp's 0700 dir, now the postgres user's; /tmp itself is traversable
        init = _run_pg(
            as_root,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "--auth=trust",
                "-U",
                PG_SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=str(base),
            timeout=120,
        )
        if init.returncode != 0:
            raise PostgresFailed(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")

        port = 0
        for _attempt in range(3):  # the free port may be taken by someone else in between; retry
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}"
            )
            start = _run_pg(
                as_root,
                [
                    str(bin_dir / "pg_ctl"),
                    "start",
                    "-D",
                    str(data_dir),
                    "-l",
                    str(log_file),
                    "-w",
                    "-t",
                    str(_PG_START_TIMEOUT),
                    "-o",
                    options,
                ],
                cwd=str(base),
                timeout=_PG_START_TIMEOUT + 30,
            )
            if start.returncode == 0:
                started = True
                break
        if not started:
            raise PostgresFailed(
                f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n--- server log ---\n{_tail(log_file)}"
            )

        deadline = time.monotonic() + _PG_START_TIMEOUT
        while True:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_SUPERUSER, "-t", "2"],
                capture_output=True,
                text=True,
                check=False,
            )
            if ready.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise PostgresFailed(f"PostgreSQL did not become ready:\n--- server log ---\n{_tail(log_file)}")
            time.sleep(0.2)

        yield PostgresServer(host="127.0.0.1", port=port, user=PG_SUPERUSER, bin_dir=bin_dir, data_dir=data_dir)
    finally:
        if started:
            _run_pg(
                as_root,
                [str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "fast", "-w"],
                cwd=str(base),
                timeout=120,
            )
        shutil.rmtree(base, ignore_errors=True)
