"""Kernels forked from a warm zygote (``cpmkit serve``'s default): the server's side.

``ForkingKernelManager`` is the kernel manager of every page when kernels are forked (Voila's
multi-kernel manager makes one per kernel); it gives its kernel a ``ForkProvisioner``, a
jupyter_client kernel provisioner that asks the server's zygote (``cpmkit.serving.zygote``)
to fork the kernel instead of starting a new Python. The kernel is then the zygote's child,
not the server's: the zygote reports its exit over the request's connection, and signals go
to its process group (it runs in a session of its own).

Whenever the zygote cannot fork (still importing, gone, refusing because it has a thread),
the kernel starts the usual way, so a page never fails for want of a zygote; a zygote that
died is started again for the kernels after.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from cpmkit.serving.zygote import ZYGOTE_MODULE, read_line, resource_limits

__all__ = ["ForkProvisioner", "ForkedKernel", "ForkingKernelManager", "Zygote", "ipykernel_argv", "shared_zygote"]

#: Seconds a fork request may take: the zygote answers in milliseconds unless it is stuck.
FORK_TIMEOUT = 30
#: A zygote that has ended is started again no sooner than this many seconds after the last start.
RESTART_SECONDS = 60
#: Seconds between two looks at a kernel whose end ``ForkedKernel.wait`` waits for.
POLL_SECONDS = 0.05
#: One BLAS thread: forking needs a single-threaded zygote, and a room's kernels share two cores.
ZYGOTE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """ipykernel's arguments in a kernel command that runs ``ipykernel_launcher`` with this
    Python (what a zygote of this Python can fork); None for any other kernel."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    return cmd[3:] if os.path.realpath(cmd[0]) == os.path.realpath(sys.executable) else None


class ForkedKernel:
    """A forked kernel, seen by jupyter_client as its ``Popen``: ``poll``, ``wait`` and signals.
    Its exit code comes from the zygote over ``conn``; if the zygote is gone first, the kernel
    counts as ended when no process has its pid (it ends itself when its parent goes)."""

    stdin = stdout = stderr = None  # what LocalProvisioner.wait closes on a Popen

    def __init__(self, pid: int, conn: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._conn = conn
        self._conn.setblocking(False)
        self._received = b""
        self._zygote_gone = False

    def poll(self) -> int | None:
        """The kernel's exit code once it has ended, else None."""
        if self.returncode is None and self._zygote_gone:
            self.returncode = None if _exists(self.pid) else -signal.SIGKILL
        elif self.returncode is None:
            self._read()
        return self.returncode

    def _read(self) -> None:
        try:
            chunk = self._conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._zygote_gone = True
            self.poll()
            return
        self._received += chunk
        if self._received.endswith(b"\n"):
            self.returncode = int(json.loads(self._received)["exit"])
            self.close()

    def wait(self, timeout: float | None = None) -> int:
        """Block until the kernel has ended (jupyter_client calls it once ``poll`` said so)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(POLL_SECONDS)
        return code

    def send_signal(self, signum: int) -> None:
        """Signal the kernel, unless it has ended (its pid may be another process's by then)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """Hang up on the zygote: a kernel still running is then killed by it."""
        self._conn.close()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Zygote:
    """The server's zygote process and the socket it forks kernels on (in a 0700 folder)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cpmkit-zygote-"))
        self.socket_path = self.folder / "fork.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._started = -float(RESTART_SECONDS)
        atexit.register(self.stop)

    def start(self) -> None:
        """Start the zygote process unless it runs; it listens once its imports are done."""
        with self._lock:
            if self.process is not None:
                if self.process.poll() is None:
                    return
                assert self.process.stdin is not None
                self.process.stdin.close()  # the pipe to the zygote that ended
            self.socket_path.unlink(missing_ok=True)
            self._started = time.monotonic()
            self.process = subprocess.Popen(
                [sys.executable, "-m", ZYGOTE_MODULE, str(self.socket_path)],
                stdin=subprocess.PIPE,  # closed when this server ends, and the zygote ends then
                cwd=self.folder,
                env={**os.environ, **ZYGOTE_ENV},
                start_new_session=True,  # Ctrl+C and the server's process group are not for it
            )

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel | str:
        """Ask the zygote for a kernel running ipykernel with ``argv``; the kernel, or why
        not (then start it the usual way). A zygote that has died is started again, at most
        once every ``RESTART_SECONDS`` (one that dies while importing would otherwise cost
        every page a start)."""
        if self.process is None or self.process.poll() is not None:
            if time.monotonic() - self._started >= RESTART_SECONDS:
                self.start()
            return "the zygote is not running"
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(FORK_TIMEOUT)
        try:
            conn.connect(str(self.socket_path))
            request = {"argv": argv, "env": env, "cwd": cwd, "limits": resource_limits()}
            conn.sendall(json.dumps(request).encode() + b"\n")
            answer = json.loads(read_line(conn))
        except (OSError, ValueError) as exc:
            conn.close()  # if the zygote forked all the same, it kills that kernel
            return f"the zygote did not answer ({exc})"
        if "pid" not in answer:
            conn.close()
            return str(answer.get("refused", answer))
        return ForkedKernel(int(answer["pid"]), conn)

    def stop(self) -> None:
        """End the zygote (it ends the kernels it still has) and remove its folder."""
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@functools.cache
def shared_zygote() -> Zygote:
    """This server's zygote, started on first use."""
    zygote = Zygote()
    zygote.start()
    return zygote


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, whose kernels are forked by the zygote when it can:
    the connection file, the command and the environment are prepared as for any kernel, and
    only the launch differs (the LocalProvisioner's own, when the zygote cannot fork)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel ``cmd`` describes, or start it as LocalProvisioner does."""
        argv = ipykernel_argv(cmd)
        if argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        forked = await asyncio.get_running_loop().run_in_executor(None, shared_zygote().fork, argv, env, cwd)
        if isinstance(forked, str):
            self.log.info("Kernel %s: started without the zygote (%s)", self.kernel_id, forked)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = forked  # type: ignore[assignment]  # a Popen to LocalProvisioner's poll, wait and signals
        self.pid = self.pgid = forked.pid  # the child made itself a session and group leader
        self.cwd = cwd
        self.log.info("Kernel %s: forked by the zygote as process %d", self.kernel_id, forked.pid)
        return self.connection_info

    async def cleanup(self, restart: bool = False) -> None:
        """Hang up on the zygote too (a kernel somehow still running is then killed by it)."""
        if isinstance(self.process, ForkedKernel):
            self.process.close()
        await super().cleanup(restart=restart)


class ForkingKernelManager(ServerKernelManager):
    """The kernel manager of one page when kernels are forked: its provisioner is a ForkProvisioner."""

    async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Start the kernel through a ForkProvisioner (jupyter_client makes its default one only if none is set)."""
        if self.provisioner is None:  # a restart keeps the one it has
            self.provisioner = ForkProvisioner(
                kernel_id=kwargs.get("kernel_id") or "", kernel_spec=self.kernel_spec, parent=self
            )
        await super().start_kernel(**kwargs)
