"""Errors in a Voila kernel go to the server's log, never to the page.

Voila's ``show_tracebacks=False`` only cleans the cells it renders. Once the page is up, the
kernel still sends whatever goes wrong to the browser over the websocket:

* IPython's ``showtraceback`` publishes an iopub ``error`` message with every frame (file
  paths included). ipywidgets calls it for any error while handling a message from the page
  (``Widget._handle_msg``: a crafted ``{"index": 999}`` for a Dropdown raises a TraitError)
  and in every callback (``CallbackDispatcher``).
* The kernel's ``sys.stderr`` is an iopub ``stream``: logging with no handler of its own
  (``comm``'s "Exception opening comm", cpmkit's own ``log.exception``) writes there through
  logging's last-resort handler, and so do warnings and errors in threads.

``keep_errors_in_server_log`` sends all of those to the kernel's real stderr, which is the
Voila server's log, and nothing to the page. Users see the plain messages of the widget
guard (``cpmkit.ui.widgets.guard``) instead.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

__all__ = ["keep_errors_in_server_log", "serving_a_voila_page"]

log = logging.getLogger("cpmkit.kernel")

#: The handler's name: installing twice in one kernel (a notebook run again) adds nothing.
HANDLER_NAME = "cpmkit-server-log"
LOG_FORMAT = "[cpmkit kernel %(process)d] %(levelname)s %(name)s: %(message)s"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def serving_a_voila_page(environ: Mapping[str, str] = os.environ) -> bool:
    """True in a kernel Voila started for a page (pre-heated or not); False in JupyterLab,
    where the person who sees the traceback is the one who wrote the notebook."""
    return "VOILA_BASE_URL" in environ


def keep_errors_in_server_log(
    shell: Any = None, *, environ: Mapping[str, str] = os.environ, force: bool = False
) -> bool:
    """In a Voila kernel, route tracebacks, stray log records, warnings and thread errors to
    the server's log instead of the page; True when it did (``force`` skips the Voila check).

    ``shell`` is the running IPython shell (``get_ipython()`` by default); with none, only
    logging, warnings and threads are routed.
    """
    if not (force or serving_a_voila_page(environ)):
        return False
    _log_to_server()
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_error
    sys.unraisablehook = _log_unraisable
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None:
        shell.showtraceback = _log_traceback
        shell.showsyntaxerror = _log_syntax_error
    return True


def _server_log_stream() -> io.TextIOBase:
    """The kernel's real stderr, which Voila writes to its log.

    ipykernel points fd 2 at a pipe that it forwards to the page (``capture_fd_output``) and
    keeps the original as ``sys.stderr._original_stdstream_copy``: write to a copy of that one.
    """
    original = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(original, int):
        return io.TextIOWrapper(io.FileIO(os.dup(original), "w"), line_buffering=True)
    stream = sys.__stderr__
    if stream is None:  # no stderr at all: drop the records rather than send them anywhere
        return io.StringIO()
    return stream


def _log_to_server() -> None:
    """A root handler (warnings and up) on the server's log; with one in place, logging's
    last-resort handler, which writes to the page's stderr stream, is never used."""
    root = logging.getLogger()
    if any(handler.get_name() == HANDLER_NAME for handler in root.handlers):
        return
    handler = logging.StreamHandler(_server_log_stream())
    handler.set_name(HANDLER_NAME)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)


def _log_traceback(exc_tuple: ExcInfo | None = None, *_args: Any, **_kwargs: Any) -> None:
    """Stands in for the shell's ``showtraceback``: the error goes to the server's log, and
    no ``error`` message to the page."""
    log.error(
        "error in the kernel (not shown on the page)", exc_info=exc_tuple if exc_tuple is not None else sys.exc_info()
    )


def _log_syntax_error(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for the shell's ``showsyntaxerror`` (its first argument is a file name)."""
    log.error("syntax error in code sent to the kernel (not shown on the page)", exc_info=sys.exc_info())


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread is not None else "?"
    log.error(
        "error in thread %s", thread, exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    )


def _log_unraisable(unraisable: Any) -> None:
    exc = unraisable.exc_value or unraisable.exc_type()
    log.error(
        "%s: %r",
        unraisable.err_msg or "exception ignored in",
        unraisable.object,
        exc_info=(unraisable.exc_type, exc, unraisable.exc_traceback),
    )
