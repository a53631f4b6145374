"""``cpmkit serve`` forks kernels: a participant's page runs in a kernel forked from the server's
zygote, end to end over the real server (its page, its websocket, the store); its kernel ends
when the page closes; two forked kernels make different secrets; and without a zygote pages
start the usual way. The memory and CPU figures are benchmarks/kernel_fork.py's.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest

from cpmkit.db.database import Store
from cpmkit.serving.server import VoilaServer
from cpmkit.soft_skills.store import AssessmentStore
from tests._kernel_client import KernelPage, KernelSocket, open_page
from tests._repository import REPO_NOTEBOOKS
from tests.browser.test_kernel_protocol import comm_of, said

pytestmark = pytest.mark.browser

PARTICIPANT = "02_soft_skills.ipynb"
#: Seconds within which a closed page's kernel has ended.
CLOSED_SECONDS = 20
CLICK = {"method": "custom", "content": {"event": "click"}}


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Any]) -> Iterator[VoilaServer]:
    """A server that forks its kernels, once its zygote listens (earlier pages start the usual way)."""
    with start_server(fork_kernels=True) as started:
        started.wait_for_zygote()
        yield started


@pytest.fixture(scope="module")
def join_code(server: VoilaServer) -> str:
    store = Store.open(server.store_url)
    try:
        return AssessmentStore(store).create_workshop("Forked room", bank="soft_skills", rounds=["before"])[1]
    finally:
        store.close()


def join(server: VoilaServer, code: str) -> tuple[KernelPage, psutil.Process, str]:
    """Open the join link as a new browser and join: the page, its kernel and the resume token shown."""
    before = server.kernel_pids()
    page = open_page(server.url(PARTICIPANT, code=code))
    [pid] = server.kernel_pids() - before
    with KernelSocket(page) as kernel:
        shown = said(
            kernel.comm_msg(comm_of(kernel.widget_states(), "ButtonModel", description="Join the workshop"), CLICK)
        )
    link = re.search(r"(http[^\s\"'<>]*?)token=([\w-]+)", shown)
    assert link is not None, shown[:2000]
    # The kernel read the server's address from the header Voila passes on in its environment.
    assert link.group(1).startswith(server.base_url), link.group(0)
    return page, psutil.Process(pid), link.group(2)


def test_a_participant_page_runs_in_a_forked_kernel_end_to_end(server: VoilaServer, join_code: str) -> None:
    page, kernel, token = join(server, join_code)
    zygote = server.zygote()
    assert zygote is not None and kernel.ppid() == zygote.pid  # forked, not started
    assert kernel.cwd() == str(REPO_NOTEBOOKS)  # the notebook's folder, as Voila asks
    with KernelSocket(page) as socket:
        # All states at once, as Voila's front end asks (ipywidgets' control comm), then one by one.
        assert "ToggleButtonsModel" in {state.get("_model_name") for state in socket.all_widget_states().values()}
        scale = next(
            comm for comm, state in socket.widget_states().items() if state.get("_model_name") == "ToggleButtonsModel"
        )
        socket.comm_msg(scale, {"method": "update", "state": {"index": 3}, "buffer_paths": []})
    store = Store.open(server.store_url)
    try:
        assessments = AssessmentStore(store)
        assert list(assessments.answers(assessments.participant_by_token(token)["id"]).values()) == [4]
    finally:
        store.close()
    assert "forked by the zygote" in server.log_file.read_text(errors="replace")


def test_two_forked_kernels_make_different_secrets(server: VoilaServer, join_code: str) -> None:
    _, first, one = join(server, join_code)
    _, second, two = join(server, join_code)
    assert first.pid != second.pid and first.ppid() == second.ppid()
    assert one != two


def test_a_closed_page_ends_its_forked_kernel(
    server: VoilaServer, join_code: str, wait_until: Callable[..., Any]
) -> None:
    page, kernel, _token = join(server, join_code)
    # What the page's beforeunload sends: Voila's shutdown beacon, with the page's cookies.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(page.cookies))
    opener.open(urllib.request.Request(f"{server.base_url}/voila/api/shutdown/{page.kernel_id}", method="POST"))
    wait_until(lambda: not psutil.pid_exists(kernel.pid), timeout=CLOSED_SECONDS, what="the kernel to end")
    assert kernel.pid not in server.kernel_pids()


def test_without_a_zygote_pages_start_the_usual_way(
    server: VoilaServer, join_code: str, wait_until: Callable[..., Any]
) -> None:
    """Last in this module: it kills the server's zygote (started again a minute later)."""
    zygote = server.zygote()
    assert zygote is not None
    zygote.kill()  # the server reaps it when it next asks it for a kernel
    wait_until(
        lambda: not zygote.is_running() or zygote.status() == psutil.STATUS_ZOMBIE, timeout=10, what="the zygote to end"
    )
    _page, kernel, _token = join(server, join_code)
    assert "ipykernel_launcher" in kernel.cmdline()
    assert "started without the zygote" in server.log_file.read_text(errors="replace")
