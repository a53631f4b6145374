"""Workbook 1 (stakeholder value) driven end to end: real Voila server, headless Chromium.

Every test also checks that no request left localhost, no dialog opened and the console
stayed free of errors (``web.assert_clean()``), and leaves a full-page screenshot.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect

from cpmkit.db.database import Store
from cpmkit.stakeholders.store import StakeholderStore

pytestmark = pytest.mark.browser

WORKBOOK = "01_stakeholder_value.ipynb"
GRID_TAB = "Power / interest grid"


# -- locating things the way a user sees them ------------------------------------------------


def field_box(page: Page, label: str) -> Locator:
    """The editor's labelled field (label, help, message, input) whose label reads ``label``:
    the innermost widget box holding a label (a label widget or bold text) with that text."""
    return page.locator(
        "xpath=//div[contains(@class,'cpmkit-editor')]//div[contains(@class,'widget-vbox')]"
        "[not(.//div[contains(@class,'widget-vbox')])]"
        f"[.//*[self::b or contains(@class,'widget-label')][normalize-space()='{label}']]"
    )


def listing(page: Page) -> Locator:
    """The register's list of stakeholders (a select box)."""
    return page.locator(".widget-select select")


def add_stakeholder(page: Page, name: str) -> None:
    page.get_by_placeholder("Name of a new stakeholder").fill(name)
    page.get_by_role("button", name="Add stakeholder").click()
    # The new stakeholder is listed, selected and shown in the editor.
    expect(field_box(page, "Name").locator("input")).to_have_value(name)


def choose(page: Page, label: str, value: int) -> None:
    """Click toggle button ``value`` of the 1..5 scale ``label`` and see it pressed."""
    button = field_box(page, label).get_by_role("button", name=str(value), exact=True)
    button.click()
    expect(button).to_have_class(re.compile(r"\bmod-active\b"))


def open_tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title).click()
    expect(page.get_by_role("tab", name=title)).to_have_attribute("aria-selected", "true")


def grid_chart(page: Page) -> Locator:
    """The drawn power/interest chart (Vega adds ``svg.marks``; the widget sets data-drawn)."""
    chart = page.locator('.cpmkit-chart[data-drawn="true"]').filter(
        has=page.locator("svg.marks text", has_text=GRID_TAB)
    )
    expect(chart).to_have_count(1)
    expect(chart.locator("svg.marks")).to_be_visible()
    return chart


def expect_on_grid(chart: Locator, name: str) -> None:
    """``name`` is written next to a point on the grid."""
    expect(chart.locator("svg.marks .mark-text text").filter(has_text=name).first).to_be_visible()


def stakeholder_named(store: Store, project_id: int, name: str) -> dict[str, Any] | None:
    stakeholders = StakeholderStore(store)
    register = stakeholders.stakeholders(project_id)
    rows = register[register["name"] == name]
    return None if rows.empty else stakeholders.stakeholder(int(rows["id"].iloc[0]))


# -- the tests -------------------------------------------------------------------------------


def test_create_project_add_stakeholder_and_find_it_after_reload(
    web, server_store, server_stakeholders, unique, wait_until
) -> None:
    page = web.page
    project = unique("Harbour bridge refit")

    # The landing page: create a project through the UI.
    web.open("index.ipynb")
    page.get_by_placeholder("New project name").fill(project)
    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".cpmkit-project-bar select")).to_have_value(project)  # ipywidgets: value = label
    project_id = wait_until(
        lambda: next((p["id"] for p in server_store.list_projects() if p["name"] == project), None),
        what=f"project {project!r} in the store",
    )
    link = page.get_by_role("link", name="Workbook 1: stakeholder value")
    expect(link).to_have_attribute("href", f"{WORKBOOK}?project={project_id}")

    # Follow the link to workbook 1, which opens on that project.
    link.click()
    page.wait_for_url(f"**/voila/render/{WORKBOOK}?project={project_id}", timeout=60_000)
    web.wait_ready()
    expect(page.locator(".cpmkit-project-bar select")).to_have_value(project)

    # Add a stakeholder and answer three fields, the way a user does.
    add_stakeholder(page, "Dana Ortiz")
    choose(page, "Power (1-5)", 5)
    choose(page, "Interest (1-5)", 4)
    expected = "Fewer late deliveries, and a weekly view of progress."
    value_box = field_box(page, "Value they expect").locator("textarea")
    value_box.click()
    value_box.press_sequentially(expected)  # saves on every keystroke
    expect(value_box).to_have_value(expected)

    saved = wait_until(
        lambda: (
            (s := stakeholder_named(server_store, project_id, "Dana Ortiz"))
            and s["power"] == 5
            and s["interest"] == 4
            and s["expected_value"] == expected
            and s
        ),
        what="the stakeholder's answers in the store",
        show=lambda: stakeholder_named(server_store, project_id, "Dana Ortiz"),
    )
    assert saved["project_id"] == project_id
    expect(page.get_by_text("All changes saved")).to_be_visible()

    # A reload starts a new kernel, which reads everything back from the store.
    web.reload()
    expect(listing(page).locator("option")).to_have_text(["Dana Ortiz"])
    expect(field_box(page, "Name").locator("input")).to_have_value("Dana Ortiz")
    for label, value in (("Power (1-5)", "5"), ("Interest (1-5)", "4")):
        expect(field_box(page, label).locator("button.mod-active")).to_have_text(value)
    expect(field_box(page, "Value they expect").locator("textarea")).to_have_value(expected)
    web.screenshot("workbook-after-reload")

    # The landing page now summarises the project.
    web.open("index.ipynb", project=project_id)
    expect(page.locator(".cpmkit-summary")).to_be_visible()
    expect(page.locator(".cpmkit-summary")).not_to_contain_text("none recorded yet")
    expect(page.locator(".cpmkit-summary")).to_contain_text("1 to manage closely")
    web.screenshot("landing")

    assert len(server_stakeholders.stakeholders(project_id)) == 1
    web.assert_clean()


def test_power_interest_grid_draws_every_stakeholder(
    web, server_store, server_stakeholders, unique, wait_until
) -> None:
    page = web.page
    project_id = server_store.create_project("Clinic booking app")  # fresh store per session; shown in the README
    seeded = {
        "Clinic manager": {
            "category": "customer",
            "power": 4,
            "interest": 2,
            "current_engagement": "neutral",
            "desired_engagement": "supportive",
            "channel": "meeting",
            "cadence": "fortnightly",
            "expected_value": "Fewer no-shows; front desk spends less time on the phone.",
        },
        "Reception staff": {
            "category": "user",
            "power": 2,
            "interest": 5,
            "current_engagement": "resistant",
            "desired_engagement": "supportive",
            "channel": "chat",
            "cadence": "weekly",
            "expected_value": "One screen for bookings, no double entry.",
        },
        "IT security": {
            "category": "supplier",
            "power": 2,
            "interest": 1,
            "current_engagement": "unaware",
            "desired_engagement": "neutral",
            "channel": "email",
            "cadence": "monthly",
            "expected_value": "No patient data leaves the clinic network.",
        },
    }
    today = dt.date.today()
    ids = {
        name: server_stakeholders.add_stakeholder(project_id, name, last_contact=today, **fields)
        for name, fields in seeded.items()
    }
    measure = server_stakeholders.add_measure(ids["Clinic manager"], "No-show rate")
    for field_name, value in (("unit", "%"), ("baseline", 12), ("target", 5), ("latest", 8), ("measured_on", today)):
        server_stakeholders.update_measure(measure, field_name, value)

    web.open(WORKBOOK, project=project_id)
    expect(listing(page).locator("option")).to_have_text(list(seeded))

    # One more, rated through the UI: the grid must follow what is typed and clicked.
    add_stakeholder(page, "Board sponsor")
    choose(page, "Power (1-5)", 5)
    choose(page, "Interest (1-5)", 4)
    wait_until(
        lambda: (s := stakeholder_named(server_store, project_id, "Board sponsor")) and s["interest"] == 4,
        what="Board sponsor's power and interest in the store",
    )

    open_tab(page, GRID_TAB)
    chart = grid_chart(page)
    expect(chart.locator("svg.marks .mark-symbol path")).to_have_count(4)  # one point per occupied cell
    for name in [*seeded, "Board sponsor"]:
        expect_on_grid(chart, name)
    table = page.locator("table.cpmkit-table").filter(has_text="Strategy")
    expect(table.locator("tbody tr").first).to_contain_text("Board sponsor")  # highest power first
    expect(table).to_contain_text("manage closely")
    web.screenshot("grid", readme="01_stakeholder_value.png")

    # The landing page of this fuller project is the README's picture of it.
    web.open("index.ipynb", project=project_id)
    summary = page.locator(".cpmkit-summary")
    expect(summary).to_contain_text("4 (1 to manage closely)")
    web.screenshot("landing", readme="landing.png")
    web.assert_clean()


XSS_NAME = "<img src=x onerror=alert(1)>"


def test_markup_in_a_name_is_shown_as_text_and_never_runs(web, server_store, unique, wait_until) -> None:
    page = web.page
    project_id = server_store.create_project(unique("Markup"))
    web.open(WORKBOOK, project=project_id)

    add_stakeholder(page, XSS_NAME)
    choose(page, "Power (1-5)", 3)
    choose(page, "Interest (1-5)", 3)
    value_box = field_box(page, "Value they expect").locator("textarea")
    value_box.fill('<script>alert("value")</script><b>bold?</b>')
    wait_until(
        lambda: (
            (s := stakeholder_named(server_store, project_id, XSS_NAME)) and s["expected_value"] and s["interest"] == 3
        ),
        what="the markup-named stakeholder in the store",
    )

    # Listed literally, in the list and in the editor.
    expect(listing(page).locator("option")).to_have_text([XSS_NAME])
    expect(field_box(page, "Name").locator("input")).to_have_value(XSS_NAME)

    # In the grid's table and chart, and its tooltip, the name is text.
    open_tab(page, GRID_TAB)
    expect(page.locator("table.cpmkit-table td").filter(has_text=XSS_NAME)).to_be_visible()
    chart = grid_chart(page)
    expect_on_grid(chart, XSS_NAME)
    chart.locator("svg.marks .mark-symbol path").first.hover()
    page.wait_for_timeout(300)  # give a tooltip (vega-tooltip) the chance to render HTML

    # In the communication plan, both the name and the value are text.
    open_tab(page, "Communication plan")
    plan = page.locator("table.cpmkit-table").filter(has_text="Value they expect")
    expect(plan.locator("td").filter(has_text=XSS_NAME)).to_be_visible()
    expect(plan.locator("td").filter(has_text='<script>alert("value")</script><b>bold?</b>')).to_be_visible()
    expect(plan.locator("b", has_text="bold?")).to_have_count(0)

    web.reload()  # and the same once read back from the store
    expect(listing(page).locator("option")).to_have_text([XSS_NAME])
    open_tab(page, GRID_TAB)
    expect(page.locator("table.cpmkit-table td").filter(has_text=XSS_NAME)).to_be_visible()
    web.screenshot()

    expect(page.locator('img[src="x"]')).to_have_count(0)
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"], img[onerror]').length") == 0
    assert web.dialogs == [], f"a dialog opened, so injected script ran: {web.dialogs}"
    web.assert_clean()


def test_a_duplicate_name_is_refused_next_to_the_field(
    web, server_store, server_stakeholders, unique, wait_until
) -> None:
    page = web.page
    project_id = server_store.create_project(unique("Duplicates"))
    alice = server_stakeholders.add_stakeholder(project_id, "Alice Chen")
    bob = server_stakeholders.add_stakeholder(project_id, "Bob Marsh")
    web.open(WORKBOOK, project=project_id)

    listing(page).select_option(label="Bob Marsh")
    name_box = field_box(page, "Name")
    expect(name_box.locator("input")).to_have_value("Bob Marsh")
    name_box.locator("input").fill("ALICE CHEN")
    name_box.locator("input").press("Enter")  # a name is saved when the field is left or on Enter

    message = name_box.locator(".cpmkit-message-error")
    expect(message).to_contain_text("already called")
    expect(message).to_be_visible()
    assert "Traceback" not in message.inner_text()
    web.screenshot("duplicate-refused")
    assert server_stakeholders.stakeholder(bob)["name"] == "Bob Marsh"

    # Adding a new one under an existing name (other case) is refused the same way.
    page.get_by_placeholder("Name of a new stakeholder").fill("alice chen")
    page.get_by_role("button", name="Add stakeholder").click()
    register_column = page.locator("xpath=//div[contains(@class,'widget-vbox')][div[contains(@class,'widget-select')]]")
    expect(register_column.locator(".cpmkit-message-error")).to_contain_text("already called")

    web.reload()
    expect(listing(page).locator("option")).to_have_text(["Alice Chen", "Bob Marsh"])
    listing(page).select_option(label="Bob Marsh")
    expect(field_box(page, "Name").locator("input")).to_have_value("Bob Marsh")
    assert [server_stakeholders.stakeholder(i)["name"] for i in (alice, bob)] == ["Alice Chen", "Bob Marsh"]
    assert len(server_stakeholders.stakeholders(project_id)) == 2
    web.assert_clean()


def test_the_network_guard_blocks_and_records_outside_requests(more_web, voila_server) -> None:
    """The guard the other tests rely on: it sees, stops and records what leaves localhost.
    The server's Content-Security-Policy would stop these requests first, so this page
    bypasses it: the guard must hold on its own (test_the_pages_own_policy_blocks_outside_requests)."""
    web = more_web("guard", bypass_csp=True)
    page = web.page
    page.goto(voila_server.base_url + "/login", wait_until="domcontentloaded")  # the sign-in page: no kernel
    outcome = page.evaluate(
        """async () => {
            try { await fetch('https://cdn.example.org/lib.js'); return 'fetched'; }
            catch (error) { return 'blocked'; }
        }"""
    )
    page.evaluate("() => { new WebSocket('wss://socket.example.org/channel'); }")
    page.wait_for_timeout(500)
    assert outcome == "blocked"
    assert "https://cdn.example.org/lib.js" in web.blocked_requests
    assert "wss://socket.example.org/channel" in web.blocked_requests
    local = page.evaluate(f"async () => (await fetch('{voila_server.base_url}/login')).status")
    assert local == 200
    assert web.dialogs == []


def test_the_pages_own_policy_blocks_outside_requests(web, voila_server) -> None:
    """The Content-Security-Policy every answer carries stops a request to another origin in
    the browser itself, before any network guard."""
    web.page.goto(voila_server.base_url + "/login", wait_until="domcontentloaded")
    outcome = web.page.evaluate(
        """async () => {
            try { await fetch('https://cdn.example.org/lib.js'); return 'fetched'; }
            catch (error) { return 'blocked'; }
        }"""
    )
    assert outcome == "blocked"
    assert web.blocked_requests == []  # it never reached the network
    assert any("Content Security Policy" in error for error in web.console_errors)


def test_one_click_downloads_a_formatted_xlsx(more_web, server_store, server_stakeholders, unique) -> None:
    """At a laptop's 1366 px: the Export tab's buttons download at once, and the workbook reads
    well: headings in words, bold and frozen, dates as dates, a formula-like name kept as text."""
    web = more_web("laptop", sign_in="pm", viewport={"width": 1366, "height": 900})
    page = web.page
    project_id = server_store.create_project(unique("Export"))
    server_stakeholders.add_stakeholder(
        project_id, "=1+1", category="customer", power=4, interest=5, last_contact=dt.date(2026, 11, 2)
    )
    web.open(WORKBOOK, project=project_id)
    open_tab(page, "Export")
    button = page.get_by_role("button", name="All tables (XLSX)")
    expect(button).to_be_visible()
    with page.expect_download() as downloaded:
        button.click()  # one click: nothing to prepare first
    assert downloaded.value.suggested_filename == "stakeholder-value.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    sheet = book["register"]
    headings = [cell.value for cell in sheet[1]]
    assert "Current engagement" in headings and "current_engagement" not in headings
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    contact = sheet.cell(row=2, column=headings.index("Last contact") + 1)
    assert contact.is_date and contact.value == dt.datetime(2026, 11, 2)
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Register (CSV)").click()
    assert downloaded.value.suggested_filename == "stakeholder-value-register.csv"
    web.screenshot("export")
    web.assert_clean()
