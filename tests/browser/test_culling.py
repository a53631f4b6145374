"""A closed page's kernel is shut down by the server: Voila's own shutdown on tab close is
refused (voila-dashboards/voila#1458), so ``cpmkit serve`` culls kernels left with no page.

This module's server culls after a few seconds, so the test need not wait minutes; the shared
server culls later, so that pages still loading on a busy machine are never taken for closed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cpmkit.server import VoilaServer

pytestmark = pytest.mark.browser

#: Seconds of no page connected after which this module's server shuts a kernel down.
QUICK_CULL = 5


@pytest.fixture(scope="module")
def voila_server(start_server) -> Iterator[VoilaServer]:
    with start_server(cull_after=QUICK_CULL) as server:
        yield server


def test_a_closed_page_does_not_leave_its_kernel_running(web, voila_server, server_store, unique, wait_until) -> None:
    before = voila_server.kernel_pids()
    web.open("01_stakeholder_value.ipynb", project=server_store.create_project(unique("Closing")))
    opened = voila_server.kernel_pids() - before
    assert len(opened) == 1, opened
    web.page.close()
    wait_until(lambda: not (opened & voila_server.kernel_pids()), timeout=60, what="the closed page's kernel to stop")
