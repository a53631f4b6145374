"""A Voila server for the workbooks, run as a child process and stopped with its kernels.

``cpmkit serve`` replaces itself with Voila; this module is for programs that need a real
server beside them and must leave nothing running: the browser tests and the benchmarks.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil

from cpmkit.cli import DEFAULT_CULL_SECONDS, serve_command, voila_command
from cpmkit.db.location import DB_URL_ENV
from cpmkit.errors import CpmkitError
from cpmkit.serving.zygote import ZYGOTE_MODULE

__all__ = ["VoilaServer", "free_port", "process_kind", "running_voila", "wait_until_answers", "with_options"]

#: Seconds the zygote's imports may take while the server starts, on a busy machine.
ZYGOTE_READY_TIMEOUT = 90
#: Seconds Voila gets to answer HTTP after it is started.
START_TIMEOUT = 120


@dataclass
class VoilaServer:
    """A running Voila process, the URL it answers on and the log it writes."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_file: Path
    env: Mapping[str, str]
    _kernels: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def store_url(self) -> str:
        """The store the server's kernels write to."""
        return self.env[DB_URL_ENV]

    def url(self, notebook: str, **query: Any) -> str:
        """The page that renders ``notebook``, e.g. ``url(notebook_file("stakeholder_value"), project=3)``."""
        return f"{self.base_url}/voila/render/{notebook}" + (f"?{urlencode(query)}" if query else "")

    def add_owner(self, username: str, password: str, *, admin: bool = True) -> None:
        """Create an owner account in the server's store (the server reads accounts from it)."""
        from cpmkit.accounts.store import AccountStore
        from cpmkit.db.database import Store

        store = Store.open(self.store_url)
        try:
            AccountStore(store).add_user(username, password, admin=admin)
        finally:
            store.close()

    def session_cookies(self, username: str, password: str) -> dict[str, str]:
        """Sign in through the sign-in form, as a browser would, and return the cookies it set
        (a browser's and a session's), for any client: Playwright, urllib, httpx."""
        return {cookie.name: str(cookie.value) for cookie in self.session_jar(username, password)}

    def session_jar(self, username: str, password: str) -> http.cookiejar.CookieJar:
        """``session_cookies`` in a cookie jar, for urllib (the kernel-protocol tests' pages)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
        with opener.open(f"{self.base_url}/login", timeout=60) as form:
            xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.read().decode())
        if xsrf is None:
            raise CpmkitError(f"The sign-in page of {self.base_url} has no form.")
        fields = urlencode({"_xsrf": xsrf.group(1), "username": username, "password": password, "next": "/login"})
        try:
            opener.open(f"{self.base_url}/login", data=fields.encode(), timeout=60)
        except urllib.error.HTTPError as answer:
            if answer.code != 302:
                raise CpmkitError(f"Signing in as {username!r} was refused ({answer.code}).") from None
        return jar

    def processes(self) -> dict[str, list[psutil.Process]]:
        """Every process under the server now, by ``process_kind``: ``"kernel"``, ``"zygote"`` and
        ``"other"`` (nginx and the workers of ``--workers``, a compiler a page runs). Kernels are
        remembered, so ``stop`` can end any left over."""
        found: dict[str, list[psutil.Process]] = {"kernel": [], "zygote": [], "other": []}
        try:
            top = psutil.Process(self.process.pid)
            commands = {top.pid: top.cmdline()}  # each read once: a room's kernels share one parent
            children = top.children(recursive=True)
        except psutil.Error:
            return found
        parents: dict[int, int] = {}
        for child in children:
            try:
                commands[child.pid], parents[child.pid] = child.cmdline(), child.ppid()
            except psutil.Error:
                continue
        for child in children:
            if child.pid not in parents:
                continue  # it ended meanwhile
            kind = process_kind(commands[child.pid], commands.get(parents[child.pid], []))
            found[kind].append(child)
            if kind == "kernel":
                self._kernels.setdefault(child.pid, child)
        return found

    def kernels(self) -> list[psutil.Process]:
        """The kernel processes running now: ipykernel's, and those a zygote forked."""
        return self.processes()["kernel"]

    def zygote(self) -> psutil.Process | None:
        """The process this server forks its kernels from (``fork_kernels``; the first worker's
        with ``workers``), while it runs."""
        return next(iter(self.processes()["zygote"]), None)

    def wait_for_zygote(self, timeout: float = ZYGOTE_READY_TIMEOUT) -> psutil.Process:
        """The zygote once it listens (its imports take a few seconds; until then kernels start
        the usual way); a ``CpmkitError`` with the log's tail if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            zygote = self.zygote()
            with contextlib.suppress(psutil.Error, IndexError):
                if zygote is not None and Path(zygote.cmdline()[-1]).exists():
                    return zygote
            time.sleep(0.2)
        raise CpmkitError(f"The zygote never listened:\n{self.log_tail()}")

    def kernel_pids(self) -> set[int]:
        return {kernel.pid for kernel in self.kernels()}

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """SIGTERM Voila's process group (Voila shuts its kernels down), then end any kernel
        still alive: jupyter_client starts kernels in sessions of their own, outside the group."""
        self.kernels()
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        leftovers = [k for k in self._kernels.values() if k.is_running()]
        for kernel in leftovers:
            kernel.terminate()
        _, alive = psutil.wait_procs(leftovers, timeout=5)
        for kernel in alive:
            kernel.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 302 after signing in is the answer; following it would open a page


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_kind(cmdline: Sequence[str], parent_cmdline: Sequence[str]) -> str:
    """What a process under a server is: ``"zygote"`` (a Voila's child that forks kernels),
    ``"kernel"`` (ipykernel started by a Voila, or forked by a zygote: it keeps the zygote's
    command line, and the zygote is its parent), or ``"other"``."""
    if ZYGOTE_MODULE in cmdline:
        return "kernel" if ZYGOTE_MODULE in parent_cmdline else "zygote"
    return "kernel" if any("ipykernel" in part for part in cmdline) else "other"


def with_options(command: Sequence[str], extra: Sequence[str]) -> list[str]:
    """``command`` with the options ``extra`` added; one of ``extra`` replaces the option of the
    same name in ``command`` (traitlets refuses an option given twice)."""
    names = {option.split("=", 1)[0] for option in extra if option.startswith("--")}
    return [part for part in command if part.split("=", 1)[0] not in names] + list(extra)


@contextmanager
def running_voila(
    notebooks: Path,
    *,
    env: Mapping[str, str],
    log_file: Path,
    cull_after: int = DEFAULT_CULL_SECONDS,
    preheat: int = 0,
    max_kernels: int = 0,
    fork_kernels: bool = False,
    extra: Sequence[str] = (),
    attempts: int = 3,
    host: str = "127.0.0.1",
    workers: int = 1,
) -> Iterator[VoilaServer]:
    """Start Voila on a free port with ``env`` (see ``cli.serve_env``), wait until it answers,
    and stop it and its kernels on exit. A port taken meanwhile is retried. ``extra`` options
    go to Voila as they are (``--BoundKernelManager.unconnected_timeout=5``, say), in place of
    ``voila_command``'s of the same name (``--CpmkitVoila.max_kernels=400``). Kernels start
    as new Pythons unless ``fork_kernels`` (``cpmkit serve``'s default): a test finds a page's
    kernel by the connection file on its command line, which a forked kernel does not show. It listens
    on ``host`` (``0.0.0.0``: every interface, as ``cpmkit serve --host 0.0.0.0``) and is
    requested at 127.0.0.1 either way. With ``workers`` over 1 it is ``cpmkit serve --workers``
    itself (nginx on the port, the workers behind it; ``extra`` goes to ``serve``)."""
    for _attempt in range(attempts):
        port = free_port()
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "cull_after": cull_after,
            "preheat": preheat,
            "max_kernels": max_kernels,
            "fork_kernels": fork_kernels,
        }
        command = with_options(
            voila_command(notebooks, **options) if workers == 1 else serve_command(notebooks, workers, **options),
            extra,
        )
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                env=dict(env),
                cwd=str(log_file.parent),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = VoilaServer(process, f"http://127.0.0.1:{port}", log_file, env)
        try:
            if wait_until_answers(process, server.base_url + "/"):
                yield server
                return
        finally:
            server.stop()
    raise CpmkitError(f"Voila did not start ({' '.join(command)}):\n{server.log_tail()}")


def wait_until_answers(process: subprocess.Popen[bytes], url: str, *, timeout: float = START_TIMEOUT) -> bool:
    """Whether the server ``process`` runs answers HTTP at ``url`` (any status) within ``timeout``
    seconds; False as soon as the process has ended."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            time.sleep(0.25)
    return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
