"""What a participant page's kernel sends back over its websocket to crafted messages: no
traceback, no file path, on any channel (Voila's show_tracebacks=False only cleans the cells
it renders); and a flood of join codes or trainer keys set straight on the widgets is cut
off after a few. A kernel-protocol client (tests/_kernel_client.py) plays a tampered browser.

The server of this module starts its kernels with an IPython startup file that calls
``keep_errors_in_server_log()`` and ``limit_kernel_memory()`` (512 MB), as ``safe_app`` does
when the workbook app starts; the errors must then be in the server's log instead.
"""

from __future__ import annotations

import json
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
from cpmkit.soft_skills.ui.assessment import JOIN_CODE_TRIES
from cpmkit.soft_skills.ui.trainer import TRAINER_KEY_TRIES
from tests._kernel_client import KernelSocket, leaks, open_page
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

PARTICIPANT = "02_soft_skills.ipynb"
TRAINER = "02_workshop_trainer.ipynb"
TOO_MANY = "Too many tries"
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


def comm_of(states: dict[str, dict[str, Any]], model: str, **state: Any) -> str:
    """The comm id of the one widget of ``model`` whose state has the values in ``state``."""
    [found] = [
        comm
        for comm, seen in states.items()
        if seen.get("_model_name") == model and all(seen.get(k) == v for k, v in state.items())
    ]
    return found


def said(messages: list[dict[str, Any]]) -> str:
    """What the kernel's widget updates among ``messages`` set (their states, as JSON text)."""
    return json.dumps([m["content"]["data"] for m in messages if m["msg_type"] == "comm_msg"])


def set_value(kernel: KernelSocket, comm: str, value: str) -> str:
    """Set a widget's value as its browser view would; what the kernel's updates said."""
    return said(kernel.comm_msg(comm, {"method": "update", "state": {"value": value}, "buffer_paths": []}))


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


def test_a_sixth_join_code_set_on_the_widget_in_one_kernel_is_too_many_tries(
    server: VoilaServer, join_code: str
) -> None:
    """The audit tried about 217 join codes a second per kernel: each wrong code looked up."""
    tries, _minute = JOIN_CODE_TRIES
    page = open_page(server.url(PARTICIPANT, code=join_code))
    with KernelSocket(page) as kernel:
        code = comm_of(kernel.widget_states(), "TextModel", placeholder="e.g. K7P-2QX")
        answers = [set_value(kernel, code, f"WRONG{n}") for n in range(tries + 1)]
        set_value(kernel, code, join_code)  # the right code is not even looked up while the page waits
        after = json.dumps(kernel.widget_states())
    assert ["No workshop has the code" in answer for answer in answers] == [True] * tries + [False]
    assert TOO_MANY in answers[tries]
    assert TOO_MANY in after and "Protocol workshop" not in after


def test_a_sixth_trainer_key_sent_to_one_kernel_is_too_many_tries(server: VoilaServer) -> None:
    """Each trainer-key check is a 16 MiB scrypt. The trainer's page is an owner's (a participant
    cannot open it), so here a signed-in PM's page is driven over its websocket."""
    tries, _minute = TRAINER_KEY_TRIES
    store = Store.open(server.store_url)
    try:
        workshop_id, _code, _key = AssessmentStore(store).create_workshop(
            "Key flood", bank="soft_skills", rounds=["before"]
        )
    finally:
        store.close()
    page = open_page(server.url(TRAINER), cookies=server.session_jar("pm", PASSWORD))
    with KernelSocket(page) as kernel:
        states = kernel.widget_states()
        key = comm_of(states, "PasswordModel", description="Trainer key")
        button = comm_of(states, "ButtonModel", description="Open dashboard")
        set_value(kernel, comm_of(states, "TextModel", placeholder="number"), str(workshop_id))
        answers = []
        for n in range(tries + 1):
            set_value(kernel, key, f"not-the-key-{n}")
            answers.append(said(kernel.comm_msg(button, {"method": "custom", "content": {"event": "click"}})))
    # The same refusal again changes nothing on the page, so only the first is sent.
    assert "not the trainer key" in answers[0] and not [answer for answer in answers[:tries] if TOO_MANY in answer]
    assert TOO_MANY in answers[tries]
