"""The zygote: one process per server that has imported what a workbook's kernel needs, and
forks a kernel per page from that warm state (``cpmkit serve``, unless ``--no-fork-kernels``;
the server's side is ``cpmkit.serving.forking``).

A kernel started the usual way imports ipykernel, ipywidgets, pandas and the workbook again:
about 1 CPU-second and 85-120 MB of its own memory per page. A child forked from here shares
those modules' memory with the zygote (copy-on-write) and starts in a fraction of the time.
Forking is safe only from a process with one thread and no ZeroMQ context: this process only
imports modules (never a kernel), starts OpenBLAS with one thread (the server sets
``OPENBLAS_NUM_THREADS``), and checks before each fork that it still has one thread, refusing
otherwise (the server then starts that kernel the usual way).

The protocol, over a Unix socket in a folder only the server's user can open: the server sends
one JSON line ``{"argv": [...], "env": {...}, "cwd": "...", "limits": {...}}`` (``argv``: ipykernel's
arguments, ``-f <connection file>``; ``env``: the whole environment the kernel manager would start
the kernel with; ``limits``: the server's resource limits, which a kernel would inherit); the
zygote answers ``{"pid": N}`` or ``{"refused": "why"}``, keeps the connection and writes
``{"exit": code}`` when that kernel ends. A connection the server closes
while its kernel runs kills that kernel (the server gave up on it). The zygote exits when its
standard input closes (the server is gone) and takes the kernels still running with it.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import random
import resource
import selectors
import signal
import socket
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "INHERITED_LIMITS",
    "PRELOADED",
    "ZYGOTE_MODULE",
    "KernelJob",
    "fork_refusal",
    "main",
    "read_line",
    "resource_limits",
    "workbook_modules",
]

#: What the server runs as ``python -m``; the kernels it forks have the same command line.
ZYGOTE_MODULE = "cpmkit.serving.zygote"
#: What every workbook's kernel imports, whichever page it runs (the pages' own modules are added).
PRELOADED = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.comm",
    "cpmkit.serving.page_kernel",
    # What ipykernel imports as it starts (its debugger's debugpy above all): once here, not per kernel.
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.core.logger",
    "runpy",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "tornado.platform.asyncio",
    "tornado.queues",
    "sqlite3",
    "ipywidgets",
    "anywidget",
    "pandas",
    # What a page's first store check and its results import (found by comparing sys.modules):
    # Alembic's upgrade check (with Mako, Pygments, tomllib), both stores' dialects, pandas' HTML.
    "alembic.command",
    "alembic.config",
    "alembic.autogenerate",
    "mako.template",
    "pygments.lexers",
    "pygments.formatters",
    "timeit",
    "tomllib",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "pandas.io.formats.html",
    "pandas.core.methods.to_dict",
)
#: The resource limits a kernel inherits from the server when it starts the usual way, so a
#: forked one is given the server's at the fork (open files: the server raises its own at start).
INHERITED_LIMITS = ("RLIMIT_NOFILE", "RLIMIT_DATA", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_CORE", "RLIMIT_FSIZE")
#: Seconds the zygote waits for a request's line once the server has connected.
REQUEST_SECONDS = 5
#: Longest request line: a kernel's environment is a few kilobytes.
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class KernelJob:
    """What a forked child runs: ipykernel with ``argv``, in ``cwd``, with exactly ``env`` and
    the resource ``limits`` (name: [soft, hard]) the server had when it asked."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    limits: dict[str, list[int]]


def resource_limits() -> dict[str, list[int]]:
    """This process's ``INHERITED_LIMITS``, as a ``KernelJob`` carries them."""
    return {name: list(resource.getrlimit(getattr(resource, name))) for name in INHERITED_LIMITS}


def workbook_modules() -> list[str]:
    """The modules of every page's entry point (``templates/notebooks.yaml``)."""
    from cpmkit.core.content import load_notebook_templates

    return [page.module for page in load_notebook_templates()]


def fork_refusal() -> str | None:
    """Why this process must not fork now (another thread exists: a child would inherit its
    locks held, never released), or None when forking is safe."""
    threads = len(os.listdir("/proc/self/task"))
    return None if threads == 1 else f"the zygote has {threads} threads"


def read_line(conn: socket.socket) -> bytes:
    """One line from ``conn`` (without its newline); OSError when it closes first or runs long."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk or len(data) > MAX_REQUEST_BYTES:
            raise OSError("the connection closed before the end of its line")
        data += chunk
    return data[:-1]


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


class _Zygote:
    """The fork server's loop: requests on ``listener``, kernels' exits, the server's end."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.watched: dict[int, socket.socket] = {}  # kernel pid -> its server connection
        self.selector = selectors.DefaultSelector()
        self.wakeup_read, self.wakeup_write = socket.socketpair()

    def serve(self) -> KernelJob | None:
        """Answer fork requests until the server is gone (None), or, in a forked child, return
        the job it is to run, with everything of the zygote's closed."""
        self.wakeup_write.setblocking(False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through the fd below
        signal.set_wakeup_fd(self.wakeup_write.fileno())
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wakeup_read, selectors.EVENT_READ)
        stdin = sys.stdin.fileno()
        self.selector.register(stdin, selectors.EVENT_READ)
        while True:
            for key, _events in self.selector.select():
                if key.fileobj is self.listener:
                    job = self._answer()
                    if job is not None:
                        self._close_in_child()
                        return job
                elif key.fileobj is self.wakeup_read:
                    self.wakeup_read.recv(4096)
                    self._reap()
                elif key.fd == stdin:
                    if not os.read(stdin, 4096):
                        self._end_kernels()
                        return None
                else:
                    self._abandoned(key.data)

    def _answer(self) -> KernelJob | None:
        """Read one request and fork its kernel; in the child, the job; in the zygote, None."""
        conn, _address = self.listener.accept()
        conn.settimeout(REQUEST_SECONDS)
        try:
            request = json.loads(read_line(conn))
            job = KernelJob(
                [str(a) for a in request["argv"]],
                dict(request["env"]),
                str(request["cwd"]),
                {str(name): [int(soft), int(hard)] for name, (soft, hard) in dict(request["limits"]).items()},
            )
        except (OSError, ValueError, KeyError, TypeError):
            conn.close()
            return None
        refusal = fork_refusal()
        if refusal is not None:
            self._say(conn, {"refused": refusal})
            conn.close()
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            conn.close()
            return job
        if not self._say(conn, {"pid": pid}):
            os.kill(pid, signal.SIGKILL)  # nobody manages it: reaped with the others
            conn.close()
            return None
        self.watched[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)
        return None

    def _say(self, conn: socket.socket, message: dict[str, Any]) -> bool:
        try:
            _send(conn, message)
        except OSError:
            return False
        return True

    def _reap(self) -> None:
        """Tell the server how each kernel that ended did, and forget it."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.watched.pop(pid, None)
            if conn is not None:
                self.selector.unregister(conn)
                self._say(conn, {"exit": os.waitstatus_to_exitcode(status)})
                conn.close()

    def _abandoned(self, pid: int) -> None:
        """The server closed a running kernel's connection (or wrote to it): it no longer manages
        that kernel, so end it."""
        conn = self.watched.pop(pid)
        self.selector.unregister(conn)
        conn.close()
        _kill_group(pid, signal.SIGKILL)

    def _end_kernels(self) -> None:
        for pid in self.watched:
            _kill_group(pid, signal.SIGTERM)

    def _close_in_child(self) -> None:
        """A forked child keeps none of the zygote's sockets, signal wiring or standard input."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.selector.close()
        for conn in [self.listener, self.wakeup_read, self.wakeup_write, *self.watched.values()]:
            conn.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, sys.stdin.fileno())
        os.close(devnull)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass  # already gone


def _become(job: KernelJob) -> None:
    """Turn this forked child into the kernel ``job`` describes: a session of its own, the server's
    resource limits, the page's environment and folder, fresh random state, then ipykernel as
    ``ipykernel_launcher`` runs it, less what a page does not use (``cpmkit.serving.page_kernel``)."""
    os.setsid()  # signals to the kernel's group (interrupt, shutdown) reach it and its children only
    for name, (soft, hard) in job.limits.items():
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (AttributeError, ValueError, OSError) as exc:  # a hard limit above the zygote's: keep the zygote's
            print(f"cpmkit zygote: kernel keeps its {name} ({exc})", file=sys.stderr)
    os.chdir(job.cwd)
    os.environ.clear()
    os.environ.update(job.env)
    # ipykernel ends when its parent, the zygote, does (the zygote ends with the server).
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    random.seed()  # from the system's entropy; cpmkit.core.links and uuid4 read it directly anyway
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    sys.argv = ["ipykernel_launcher", *job.argv]
    from cpmkit.serving.page_kernel import run_page_kernel  # imported here: the server imports this module

    run_page_kernel(job.argv)


def prepare() -> None:
    """What every kernel would do first, done once before the forks: import ``PRELOADED`` and the
    workbooks' modules, and build the tables cpmkit computes on first use that never change
    (Unicode's confusables behind ``name_key``: 0.08 CPU-s a kernel when a participant joins)."""
    for module in [*PRELOADED, *workbook_modules()]:
        try:
            importlib.import_module(module)
        except ImportError:  # that page's kernel says so; the others are forked all the same
            print(f"cpmkit zygote: could not import {module}:\n{traceback.format_exc()}", file=sys.stderr)
    from cpmkit.core.fields import name_key

    name_key("cpmkit")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cpmkit.serving.zygote SOCKET``: import, listen on SOCKET, fork kernels."""
    [path] = list(sys.argv[1:] if argv is None else argv)
    if sys.path and Path(sys.path[0] or ".").resolve() == Path.cwd():
        del sys.path[0]  # as ipykernel_launcher does: a kernel's folder is added by IPython itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is for the server
    prepare()
    gc.collect()
    gc.freeze()  # the collector never touches (so never copies) what was imported before the fork
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)  # only now: until then the server starts its kernels the usual way
        listener.listen(128)
        job = _Zygote(listener).serve()
    if job is not None:
        _become(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
