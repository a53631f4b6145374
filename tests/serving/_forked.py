"""Forked kernels for tests: a zygote started for them, a kernel forked from it with a client
on it (ipc, as ``cpmkit serve`` runs them), and what an expression evaluates to in it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from cpmkit.serving import forking
from cpmkit.serving.forking import ForkedKernel, Zygote

#: Seconds for the zygote's imports (about 2 s) on a busy CI machine.
ZYGOTE_READY_TIMEOUT = 90
REPLY_TIMEOUT = 60


def started_zygote() -> Iterator[Zygote]:
    """A zygote, once it listens; stopped when done."""
    started = Zygote()
    started.start()
    deadline = time.monotonic() + ZYGOTE_READY_TIMEOUT
    while not started.socket_path.exists():
        assert time.monotonic() < deadline, "the zygote never listened"
        assert started.process is not None and started.process.poll() is None, "the zygote died"
        time.sleep(0.1)
    yield started
    started.stop()


def fork(zygote: Zygote, folder: Path, **env: str) -> tuple[ForkedKernel, BlockingKernelClient]:
    """A kernel forked by ``zygote`` in ``folder`` with ``env`` added (and without the zygote's own
    settings), and a client started on it."""
    connection_file = str(folder / f"kernel-{len(os.listdir(folder))}.json")
    write_connection_file(connection_file, transport="ipc", ip=connection_file.removesuffix(".json") + "-ipc")
    ours = {name: value for name, value in os.environ.items() if name not in forking.ZYGOTE_ENV}
    kernel = zygote.fork(["-f", connection_file], {**ours, **env}, str(folder))
    assert isinstance(kernel, ForkedKernel), kernel
    client = BlockingKernelClient(connection_file=connection_file)
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=REPLY_TIMEOUT)
    return kernel, client


def ended(pid: int, timeout: float = REPLY_TIMEOUT, *, orphan: bool = False) -> bool:
    """Whether process ``pid`` is gone (reaped, not a zombie) within ``timeout`` seconds; an
    ``orphan`` may stay a zombie (its reaper is whatever the machine's init is)."""
    deadline = time.monotonic() + timeout
    while psutil.pid_exists(pid) and not (orphan and _zombie(pid)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def evaluate(client: BlockingKernelClient, expression: str, code: str = "") -> str:
    """What ``expression`` evaluates to in the kernel (its repr), after ``code`` ran there."""
    reply = client.execute_interactive(
        f"{code}\n_result = {expression}", user_expressions={"r": "_result"}, timeout=REPLY_TIMEOUT
    )
    return str(reply["content"]["user_expressions"]["r"]["data"]["text/plain"])
