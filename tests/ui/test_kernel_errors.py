"""cpmkit.ui.kernel_errors in a real IPython kernel (jupyter_client starts one per module):
once installed, errors go to the kernel's stderr file (the server's log) and no iopub message
carries a traceback or a file path.

The kernel gets VOILA_BASE_URL, as Voila's kernels do; the websocket end of the same check,
against a real Voila page, is in tests/browser/test_kernel_protocol.py.
"""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from cpmkit.ui.kernel_errors import keep_errors_in_server_log, serving_a_voila_page
from tests._kernel_client import leaks

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


class Kernel:
    """A kernel whose stderr goes to a file, and a way to run code in it."""

    def __init__(self, stderr_file: Path) -> None:
        self.stderr_file = stderr_file
        self.manager = KernelManager(kernel_name="python3")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "VOILA_BASE_URL": "/"}
        env.pop("PYTEST_CURRENT_TEST", None)  # ipykernel captures fd output only outside pytest
        self._stderr = stderr_file.open("wb")
        self.manager.start_kernel(env=env, stderr=self._stderr)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=TIMEOUT)

    def run(self, code: str) -> list[dict[str, Any]]:
        """Execute ``code``; every iopub message it caused, then the reply (last)."""
        msg_id = self.client.execute(textwrap.dedent(code))
        seen = []
        while True:
            message = self.client.get_iopub_msg(timeout=TIMEOUT)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        # Under load wait_for_ready may have asked for kernel_info more than once: skip stale replies.
        while (reply := self.client.get_shell_msg(timeout=TIMEOUT))["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(reply)
        return seen

    def server_log(self) -> str:
        self._stderr.flush()
        return self.stderr_file.read_text(errors="replace")

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        self._stderr.close()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    started = Kernel(tmp_path_factory.mktemp("kernel") / "stderr.log")
    try:
        started.run("from cpmkit.ui.kernel_errors import keep_errors_in_server_log\nassert keep_errors_in_server_log()")
        yield started
    finally:
        started.stop()


def all_leaks(messages: list[dict[str, Any]]) -> list[str]:
    return [leak for message in messages for leak in leaks(message)]


def wait_for_log(kernel: Kernel, text: str) -> str:
    """The server log once it holds ``text`` (a thread's record may come a moment later)."""
    deadline = time.monotonic() + 10
    while text not in (log := kernel.server_log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log


def test_a_bad_widget_update_from_the_page_is_logged_not_sent(kernel: Kernel) -> None:
    # What the kernel does with a crafted {"index": 999} for a Dropdown, without a websocket.
    seen = kernel.run(
        """
        import ipywidgets as W
        choice = W.Dropdown(options=["before", "after"])
        choice._handle_msg({"content": {"data": {"method": "update", "state": {"index": 999}}}, "buffers": []})
        """
    )
    assert all_leaks(seen) == []
    assert [m for m in seen if m["msg_type"] in ("error", "stream")] == []
    log = wait_for_log(kernel, "TraitError")
    assert "Traceback (most recent call last)" in log and "TraitError" in log


def test_an_error_in_a_cell_sends_no_traceback(kernel: Kernel) -> None:
    seen = kernel.run("raise ValueError('in /srv/secret/app.py')")
    outputs = [m for m in seen[:-1] if m["msg_type"] != "execute_input"]  # execute_input echoes the code
    assert all_leaks(outputs) == []
    assert [m for m in seen if m["msg_type"] == "error"] == []
    assert seen[-1]["content"]["status"] == "error" and seen[-1]["content"]["traceback"] == []
    assert "/srv/secret/app.py" in wait_for_log(kernel, "/srv/secret/app.py")


def test_a_syntax_error_sends_no_traceback(kernel: Kernel) -> None:
    seen = kernel.run("def broken(:")
    assert [m for m in seen if m["msg_type"] == "error"] == []
    assert "SyntaxError" in wait_for_log(kernel, "SyntaxError")


def test_log_records_warnings_and_thread_errors_stay_off_the_stderr_stream(kernel: Kernel) -> None:
    seen = kernel.run(
        """
        import logging, threading, warnings
        try:
            {}["missing"]
        except KeyError:
            logging.getLogger("Comm").error("Exception in comm_msg for %s", "c1", exc_info=True)
        logging.getLogger("cpmkit").exception("no exception here")
        warnings.warn("deprecated in cpmkit-test", UserWarning)
        def fail():
            raise RuntimeError("thread failed cpmkit-test")
        worker = threading.Thread(target=fail)
        worker.start()
        worker.join()
        """
    )
    assert [m for m in seen if m["msg_type"] in ("error", "stream")] == []
    log = wait_for_log(kernel, "thread failed cpmkit-test")
    for text in ["Exception in comm_msg for c1", "KeyError", "deprecated in cpmkit-test", "thread failed cpmkit-test"]:
        assert text in log


def test_plain_output_still_reaches_the_page(kernel: Kernel) -> None:
    seen = kernel.run("print('hello')")
    assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["hello\n"]


def test_only_in_a_voila_kernel() -> None:
    assert serving_a_voila_page({"VOILA_BASE_URL": "/"})
    assert not serving_a_voila_page({})
    before = threading.excepthook
    assert keep_errors_in_server_log(environ={}) is False  # JupyterLab: the author sees tracebacks
    assert threading.excepthook is before


def test_installing_twice_adds_no_second_handler(kernel: Kernel) -> None:
    seen = kernel.run(
        """
        import logging
        from cpmkit.ui.kernel_errors import HANDLER_NAME
        assert keep_errors_in_server_log()
        print(sum(h.get_name() == HANDLER_NAME for h in logging.getLogger().handlers))
        """
    )
    assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["1\n"]
