"""What one Voila process needs to hold a room of open pages: file descriptors and ZeroMQ sockets.

Every open page holds about six ZeroMQ sockets to its kernel, all made in the kernel manager's one
shared context, and each socket holds file descriptors. A ZeroMQ context allows 1023 sockets unless
told otherwise, so one Voila stopped at about 167 pages ("Too many open files"); and Voila, unlike
jupyter_server, leaves the open-files soft limit as it found it: under a 1024 soft limit (a common
service default) a room broke at about 60 pages.
"""

from __future__ import annotations

import resource

import zmq
import zmq.asyncio

__all__ = ["raise_open_files_limit", "socket_context"]

#: The soft limit asked for when the hard limit is unlimited (the kernel refuses "unlimited").
UNLIMITED_WANTED = 2**20


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit, as jupyter_server does,
    and return the soft limit now in force. Kernels started afterwards inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED_WANTED if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):  # a system ceiling below the hard limit: keep what there is
            return soft
        return wanted
    return soft


def socket_context() -> zmq.asyncio.Context:
    """A ZeroMQ context for all kernels of one server, allowing as many sockets as the open-files
    limit allows (at most ZeroMQ's own ceiling), instead of 1023."""
    context = zmq.asyncio.Context()
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = context.get(zmq.SOCKET_LIMIT)
    context.MAX_SOCKETS = ceiling if soft == resource.RLIM_INFINITY else max(context.MAX_SOCKETS, min(soft, ceiling))
    return context
