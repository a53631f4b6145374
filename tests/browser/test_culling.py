"""A closed page whose shutdown beacon never arrives (a phone's browser killed, a network
gone) has its kernel shut down after ``--cull-after`` seconds with no page connected. (With
the beacon, the kernel stops at once: tests/browser/test_access.py.)

This module's server culls after a few seconds, so the test need not wait minutes; the shared
server culls later, so that pages still loading on a busy machine are never taken for closed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cpmkit.serving.server import VoilaServer

pytestmark = pytest.mark.browser

#: Seconds of no page connected after which this module's server shuts a kernel down.
QUICK_CULL = 5


@pytest.fixture(scope="module")
def voila_server(start_server) -> Iterator[VoilaServer]:
    with start_server(cull_after=QUICK_CULL) as server:
        yield server


def test_a_page_whose_beacon_never_arrives_is_culled(web, voila_server, server_store, unique, wait_until) -> None:
    web.page.context.route("**/voila/api/shutdown/**", lambda route: route.abort())
    before = voila_server.kernel_pids()
    web.open("01_stakeholder_value.ipynb", project=server_store.create_project(unique("Lost")))
    opened = voila_server.kernel_pids() - before
    web.page.close()
    wait_until(
        lambda: not (opened & voila_server.kernel_pids()), timeout=60, what="the lost page's kernel to be culled"
    )
