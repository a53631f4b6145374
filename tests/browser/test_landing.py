"""The landing page as the project's cockpit, in a real browser at laptop size: a dissatisfied
key customer turns every light red with the reason, the overdue action comes first with its
owner and due date and its link opens the workbook where it is handled, and with several
projects the portfolio shows each with its lights."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.db.database import Store
from tests.projects.seeding import seed_troubled_project

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}


def test_the_cockpit_shows_the_all_red_banner_and_the_overdue_action_first(
    web: Any, server_store: Store, unique: Callable[[str], str]
) -> None:
    page = web.page
    page.set_viewport_size(LAPTOP)
    today = dt.date.today()
    troubled_name, calm_name = unique("Harbour refit"), unique("Canal lock")
    troubled = seed_troubled_project(server_store, troubled_name, today=today)
    server_store.create_project(calm_name)

    web.open("index.ipynb", project=troubled)
    banner = page.locator(".cpmkit-cockpit .cpmkit-all-red")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Acme <Corp>")  # escaped in the HTML, shown as written
    expect(page.locator(".cpmkit-cockpit .cpmkit-light-red")).to_have_count(4)

    first = page.locator(".cpmkit-actions tbody tr").first
    overdue_on = (today - dt.timedelta(days=5)).isoformat()
    expect(first).to_contain_text("Publish a release calendar")
    expect(first).to_contain_text(f"{overdue_on} OVERDUE by 5 day(s)")
    expect(first).to_contain_text("Dana")
    expect(page.locator(".cpmkit-touchpoints")).to_contain_text("Acme <Corp>: OVERDUE by 13 day(s)")

    more = page.get_by_role("button", name=re.compile("Show the lights of your"))
    if more.is_visible():  # the session's store has many projects by now
        more.click()
    portfolio = page.locator(".cpmkit-portfolio")
    expect(portfolio.get_by_role("row", name=re.compile(re.escape(troubled_name)))).to_contain_text("All red")
    expect(portfolio.get_by_role("row", name=re.compile(re.escape(calm_name)))).not_to_contain_text("All red")
    web.screenshot("cockpit")

    first.get_by_role("link", name="Expectation gap").click()
    page.wait_for_url(f"**/voila/render/03_expectation_gap.ipynb?project={troubled}", timeout=60_000)
    web.wait_ready()
    expect(page.locator(".cpmkit-project-bar select")).to_have_value(troubled_name)
    web.assert_clean()
