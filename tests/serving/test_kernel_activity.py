"""Unit tests of cpmkit.serving.kernel_activity: the same activity as jupyter_server records, for less."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from jupyter_client.session import Session
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from cpmkit.serving.kernel_activity import ActivityWatch

NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class FakeKernel:
    """What the watcher touches of a kernel: its session, state and IOPub stream."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.execution_state = "starting"
        self.last_activity = NEVER
        self.received: Callable[[list[bytes]], None] | None = None

    def connect_iopub(self) -> Any:
        kernel = self

        class Stream:
            def on_recv(self, callback: Callable[[list[bytes]], None]) -> None:
                kernel.received = callback

        return Stream()


def _watched(manager_class: type[AsyncMappingKernelManager], session: Session) -> tuple[Any, FakeKernel]:
    manager = manager_class()
    kernel = FakeKernel(session)
    manager._kernels["k"] = kernel
    manager.start_watching_activity("k")
    return manager, kernel


def _frames(session: Session, msg_type: str, content: dict[str, Any], parent_type: str | None) -> list[bytes]:
    parent = session.msg_header(parent_type) if parent_type else {}
    return session.serialize(session.msg(msg_type, content=content, parent=parent))


# (message type, its content, its parent's type): a page's life as its kernel reports it
LIFE = [
    ("status", {"execution_state": "starting"}, None),
    ("status", {"execution_state": "busy"}, "kernel_info_request"),
    ("status", {"execution_state": "idle"}, "kernel_info_request"),
    ("status", {"execution_state": "busy"}, "execute_request"),
    ("stream", {"name": "stdout", "text": "hi"}, "execute_request"),
    ("comm_msg", {"comm_id": "c", "data": {"method": "update"}}, "comm_msg"),  # while busy: counts
    (
        "comm_open",
        {"comm_id": "c", "target_name": "jupyter.widget", "data": {"state": {"_esm": "x" * 100_000}}},
        "execute_request",
    ),
    ("status", {"execution_state": "idle"}, "execute_request"),
    ("status", {"execution_state": "busy"}, "comm_msg"),
    ("comm_msg", {"comm_id": "c", "data": {"method": "update"}}, "comm_msg"),
    ("status", {"execution_state": "idle"}, "comm_msg"),
]


@pytest.mark.parametrize("untracked", [[], ["comm_msg", "comm_info_request", "kernel_info_request"]])
def test_every_message_leaves_the_kernel_as_jupyter_servers_watcher_does(untracked: list[str]) -> None:
    session = Session(key=b"secret")
    ours_manager, ours = _watched(ActivityWatch, session)
    theirs_manager, theirs = _watched(AsyncMappingKernelManager, session)
    for manager in (ours_manager, theirs_manager):
        manager.untracked_message_types = untracked
    for msg_type, content, parent_type in LIFE:
        frames = _frames(session, msg_type, content, parent_type)
        for kernel in (ours, theirs):
            kernel.last_activity = NEVER
            assert kernel.received is not None
            kernel.received(list(frames))
        assert ours.execution_state == theirs.execution_state, (msg_type, parent_type)
        assert (ours.last_activity == NEVER) == (theirs.last_activity == NEVER), (msg_type, parent_type)
    assert ours.execution_state == "idle"
