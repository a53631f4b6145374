"""``cpmkit serve --preheat N``: kernels run the notebook before anyone asks, and still open
the project named in the URL (the query string reaches them only with the request)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from cpmkit.serving.server import VoilaServer

WORKBOOK = "01_stakeholder_value.ipynb"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def voila_server(start_server) -> Iterator[VoilaServer]:
    """This module's server keeps one pre-heated kernel per notebook."""
    with start_server(preheat=1) as server:
        yield server


def test_a_preheated_kernel_opens_the_project_in_the_url(
    web, voila_server, server_store, server_stakeholders, unique, wait_until
) -> None:
    first = server_store.create_project(unique("First"))
    second = server_store.create_project(unique("Second"))
    server_stakeholders.add_stakeholder(first, "Only in the first")
    server_stakeholders.add_stakeholder(second, "Only in the second")
    wait_until(
        lambda: f"Kernel pool of {WORKBOOK} is filled" in voila_server.log_tail(400),
        timeout=120,
        what="the pre-heated kernel pool to fill",
    )
    web.open(WORKBOOK, project=second)
    expect(web.page.locator(".widget-select select option")).to_have_text(["Only in the second"])
    web.assert_clean()
