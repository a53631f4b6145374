"""Unit tests of cpmkit.serving.open_files: one Voila process holds a room's files and sockets.
The server itself, started under a low soft limit, is checked in test_web_gate.py."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import zmq

from cpmkit.serving.open_files import raise_open_files_limit, socket_context
from cpmkit.serving.web_gate import BoundKernelManager

ROOT = Path(__file__).resolve().parents[2]
#: ZeroMQ's default, and what a room of about 167 pages ran into.
ZMQ_DEFAULT_MAX_SOCKETS = 1023


def test_the_soft_limit_on_open_files_is_raised_to_the_hard_limit() -> None:
    """In a fresh interpreter started under a 256 soft limit, as a service manager might start it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    code = """
        import json, resource
        from cpmkit.serving.open_files import raise_open_files_limit
        before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        now = raise_open_files_limit()
        print(json.dumps([before, now, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)),
    )
    expected = hard if hard != resource.RLIM_INFINITY else 2**20
    assert json.loads(result.stdout) == [256, expected, expected]


def test_raising_twice_changes_nothing() -> None:
    assert raise_open_files_limit() == raise_open_files_limit() == resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def test_the_kernels_context_takes_more_than_1023_sockets() -> None:
    context = socket_context()
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert context.MAX_SOCKETS == min(soft, context.get(zmq.SOCKET_LIMIT))
        if soft > 2 * ZMQ_DEFAULT_MAX_SOCKETS + 100:  # each socket holds a descriptor
            sockets = [context.socket(zmq.DEALER) for _ in range(ZMQ_DEFAULT_MAX_SOCKETS + 50)]
            assert len(sockets) > ZMQ_DEFAULT_MAX_SOCKETS
    finally:
        context.destroy(linger=0)


def test_the_kernel_manager_shares_that_context_with_every_kernel() -> None:
    manager = BoundKernelManager()
    try:
        assert manager.context.MAX_SOCKETS > ZMQ_DEFAULT_MAX_SOCKETS
        assert manager.kernel_manager_factory().context is manager.context
    finally:
        manager.context.destroy(linger=0)
