"""Each kernel's activity (its last message, busy or idle) as jupyter_server records it, for less.

jupyter_server watches every kernel's IOPub stream to know when it was last active (the idle
cull) and whether it is busy. To read those two facts it deserializes every message in full:
it checks the signature over the whole content (a chart's 1 MB module included) and parses
every date in the headers with dateutil. In a room of participants that was a sixth of the
Voila process's CPU. This watcher reads the same facts from the headers' JSON alone. The
messages come from the server's own kernels, and the websocket relay forwards them to the
browser unchecked (in the v1 protocol Voila's front end speaks), so the check guarded nothing.
"""

from __future__ import annotations

import functools
from typing import Any

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

__all__ = ["ActivityWatch", "record_activity"]

# The frames after the identities' delimiter: signature, header, parent header, metadata, content.
_HEADER, _PARENT, _CONTENT = 1, 2, 4


class ActivityWatch(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with its activity watcher made lean (see the module)."""

    def start_watching_activity(self, kernel_id: str) -> None:
        """Watch the kernel's IOPub stream as ``MappingKernelManager`` does, through ``record_activity``."""
        kernel = self._kernels[kernel_id]
        kernel.reason = ""
        kernel.last_activity = utcnow()
        kernel._activity_stream = kernel.connect_iopub()
        kernel._activity_stream.on_recv(functools.partial(record_activity, self, kernel))


def record_activity(manager: Any, kernel: Any, msg_list: list[bytes]) -> None:
    """Record one IOPub message's arrival on ``kernel`` and, from a status message, its state:
    what ``MappingKernelManager.start_watching_activity`` records, read from the headers alone."""
    session = kernel.session
    _idents, frames = session.feed_identities(msg_list)
    msg_type = session.unpack(frames[_HEADER]).get("msg_type")
    parent_msg_type = (session.unpack(frames[_PARENT]) or {}).get("msg_type")
    if (
        manager.track_message_type(msg_type)
        or manager.track_message_type(parent_msg_type)
        or kernel.execution_state == "busy"
    ):
        manager.last_kernel_activity = kernel.last_activity = utcnow()
    if msg_type == "status":
        execution_state = session.unpack(frames[_CONTENT])["execution_state"]
        if manager.track_message_type(parent_msg_type):
            kernel.execution_state = execution_state
        elif kernel.execution_state == "starting" and execution_state != "starting":
            kernel.execution_state = "idle"  # as upstream: after starting, idle unless tracked
