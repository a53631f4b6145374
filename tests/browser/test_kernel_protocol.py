"""What a participant page's kernel sends back over its websocket to crafted messages: no
traceback, no file path, on any channel (Voila's show_tracebacks=False only cleans the cells
it renders). A kernel-protocol client (tests/_kernel_client.py) plays a tampered browser.

The server of this module starts its kernels with an IPython startup file that calls
``keep_errors_in_server_log()`` and ``limit_kernel_memory()`` (512 MB), as ``safe_app`` does
when the workbook app starts; the errors must then be in the server's log instead.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from cpmkit.db.database import Store
from cpmkit.serving.kernel_limits import MEMORY_ENV
from cpmkit.serving.server import VoilaServer
from cpmkit.soft_skills.store import AssessmentStore
from tests._kernel_client import KernelSocket, leaks, open_page

pytestmark = pytest.mark.browser

PARTICIPANT = "02_soft_skills.ipynb"
MEMORY_MB = 512
STARTUP = textwrap.dedent(
    """
    from cpmkit.serving.kernel_limits import limit_kernel_memory
    from cpmkit.ui.kernel_errors import keep_errors_in_server_log

    limit_kernel_memory()
    keep_errors_in_server_log()
    """
)


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """A server whose kernels run the startup file above (IPYTHONDIR) with a memory limit."""
    ipython_dir = tmp_path_factory.mktemp("ipython")
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-cpmkit.py").write_text(STARTUP)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPYTHONDIR", str(ipython_dir))
        patch.setenv(MEMORY_ENV, str(MEMORY_MB))
        with start_server() as started:
            patch.undo()
            yield started


@pytest.fixture(scope="module")
def join_code(server: VoilaServer) -> str:
    store = Store.open(server.store_url)
    try:
        return AssessmentStore(store).create_workshop(
            "Protocol workshop", bank="soft_skills", rounds=["before", "after"]
        )[1]
    finally:
        store.close()


def all_leaks(messages: list[dict[str, Any]]) -> list[str]:
    return [leak for message in messages for leak in leaks(message)]


def kernel_process(server: VoilaServer, kernel_id: str) -> psutil.Process:
    return next(k for k in server.kernels() if any(kernel_id in part for part in k.cmdline()))


def test_crafted_widget_messages_get_no_traceback_and_no_path(server: VoilaServer, join_code: str) -> None:
    page = open_page(server.url(PARTICIPANT, code=join_code))
    with KernelSocket(page) as kernel:
        states = kernel.widget_states()
        rounds = [comm for comm, state in states.items() if state.get("_model_name") == "DropdownModel"]
        assert rounds, sorted({state.get("_model_name") for state in states.values()})

        # A Dropdown told to select option 999 of 2: ipywidgets raises a TraitError.
        seen = kernel.comm_msg(rounds[0], {"method": "update", "state": {"index": 999}})
        # A widget of a model that does not exist: comm's "Exception opening comm" log record.
        seen += kernel.comm_open(
            "jupyter.widget",
            {
                "state": {
                    "_model_name": "NoSuchModel",
                    "_model_module": "@jupyter-widgets/controls",
                    "_model_module_version": "2.0.0",
                },
                "buffer_paths": [],
            },
        )
        # An update whose state cannot be set at all.
        seen += kernel.comm_msg(rounds[0], {"method": "update", "state": {"options": 42, "layout": "IPY_MODEL_nope"}})

    assert all_leaks(seen) == []
    assert [
        m["msg_type"] for m in seen if m["msg_type"] == "error" or m.get("content", {}).get("name") == "stderr"
    ] == []
    log = server.log_file.read_text(errors="replace")
    assert "TraitError" in log and "Traceback (most recent call last)" in log  # the server's log has them
    assert all_leaks(kernel.received) == []  # nothing else on the socket, either


def test_the_page_runs_under_its_memory_limit(server: VoilaServer, join_code: str) -> None:
    page = open_page(server.url(PARTICIPANT, code=join_code))
    process = kernel_process(server, page.kernel_id)
    assert process.rlimit(psutil.RLIMIT_DATA) == (MEMORY_MB * 2**20, MEMORY_MB * 2**20)
    with KernelSocket(page) as kernel:
        assert any(state.get("_model_name") == "DropdownModel" for state in kernel.widget_states().values())
    status = dict(line.split(":", 1) for line in Path(f"/proc/{process.pid}/status").read_text().splitlines())
    print(
        f"kernel under a {MEMORY_MB} MB data limit: VmPeak {status['VmPeak'].strip()}, "
        f"VmData {status['VmData'].strip()}, VmRSS {status['VmRSS'].strip()}"
    )
