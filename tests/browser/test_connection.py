"""A participant's page when its kernel dies or its websocket drops, on a phone (390 x 844).

The participant's link (``02_soft_skills.ipynb?token=...``) is made in the store first, as a
trainer's workshop would. The participant answers; the test kills the page's kernel with
SIGKILL while an answer is on its way. The page must say at once that the connection is lost,
take no more answers, and after a reload show every answer the store holds.
"""

from __future__ import annotations

import re
import signal
import time
from typing import Any

import psutil
import pytest
from playwright.sync_api import Page, expect

from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.store import AssessmentStore

pytestmark = pytest.mark.browser

PARTICIPANT = "02_soft_skills.ipynb"
PHONE = {"width": 390, "height": 844}
BANNER = "Connection lost: your saved answers are safe. Reload the page to continue."
#: Seconds the banner may take after the kernel is killed: the server notices a dead kernel
#: within 3 s (jupyter_client's restarter polls every 3 s).
BANNER_WITHIN = 10
#: Console messages a killed kernel causes in Voila's own code (sends to a closed socket).
KILLED_KERNEL_NOISE = re.compile(r"Cannot send|Kernel|kernel|WebSocket|websocket|Connection", re.IGNORECASE)


def participant_token(store: Any, name: str) -> str:
    """A workshop made in the store and one participant in it: their own resume link's token."""
    assess = AssessmentStore(store)
    _workshop_id, code, _key = assess.create_workshop(name, bank="soft_skills", rounds=["before"])
    return str(assess.join_workshop(code, round="before", display_name="Ana Lima")["token"])


def page_kernel(web: Any) -> psutil.Process:
    """The kernel process of the page (its kernel id is in the page, and in the kernel's
    connection file name)."""
    kernel_id = web.page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    found = [k for k in web.server.kernels() if any(kernel_id in part for part in k.cmdline())]
    assert len(found) == 1, (kernel_id, [k.cmdline() for k in web.server.kernels()])
    return found[0]


def item_rows(page: Page) -> Any:
    return page.locator(".cpmkit-questionnaire .cpmkit-item")


def answer(page: Page, row: int, label: str) -> Any:
    """The answer button (by CSS, not role: once the app is inert it has no role to find)."""
    return item_rows(page).nth(row).locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def banner_shown(page: Page) -> bool:
    return bool(page.evaluate("() => !!document.querySelector('.cpmkit-connection-lost [role=alert]')"))


def expect_no_input_taken(page: Page, button: Any) -> None:
    """A click, a forced click and a click dispatched on the button itself change nothing."""
    expect(button).to_be_disabled()
    before = button.get_attribute("class")
    # Scrolled into view by script: the inert app (scrolled away while answering on a phone)
    # no longer scrolls for Playwright, and a forced click must still have a point to land on.
    button.evaluate("b => b.scrollIntoView({block: 'center', inline: 'center'})")
    button.click(force=True, timeout=2_000)  # lands on the overlay, which covers the app
    button.dispatch_event("click")  # straight at the button: stopped before the widget sees it
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert button.get_attribute("class") == before


def test_a_killed_kernel_stops_the_page_and_a_reload_resumes_every_saved_answer(
    web, server_store, unique, wait_until
) -> None:
    bank = default_bank()
    labels = dict(bank.scale.points)
    items = bank.items_for(bank.competencies[0].id)
    token = participant_token(server_store, unique("Connection workshop"))
    assess = AssessmentStore(server_store)
    participant = assess.participant_by_token(token)
    page = web.page
    page.set_viewport_size(PHONE)
    web.open(PARTICIPANT, token=token)

    # Four answers, confirmed by the kernel (the progress line counts what it saved).
    planned = [4, 2, 5, 3, 1]
    assert len(items) >= len(planned)
    for row in range(4):
        answer(page, row, labels[planned[row]]).click()
        expect(answer(page, row, labels[planned[row]])).to_have_class(re.compile(r"\bmod-active\b"))
    expect(page.locator(".cpmkit-questionnaire")).to_contain_text(f"4 of {len(bank.items)} answered")
    assert assess.answers(participant["id"]) == {items[row].id: planned[row] for row in range(4)}

    # A fifth answer is on its way when the kernel is killed.
    kernel = page_kernel(web)
    answer(page, 4, labels[planned[4]]).click()
    killed_at = time.monotonic()
    kernel.send_signal(signal.SIGKILL)
    deadline = killed_at + BANNER_WITHIN
    while not banner_shown(page) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    banner_after = time.monotonic() - killed_at
    reason = page.locator(".cpmkit-connection-lost").get_attribute("data-reason")
    print(f"banner shown {banner_after:.2f} s after the kernel was killed ({reason})")
    banner = page.locator(".cpmkit-connection-lost [role=alert]")
    expect(banner).to_be_visible(timeout=1)
    expect(banner.locator("p")).to_have_text(BANNER)
    assert banner_after < BANNER_WITHIN
    # The server restarts the killed kernel blank; the page learns it from the kernel's status.
    assert reason in ("kernel restarting", "kernel autorestarting"), reason

    # The banner fits the phone's width and its button is big enough for a thumb.
    box = banner.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    reload_button = banner.get_by_role("button", name="Reload the page")
    button_box = reload_button.bounding_box()
    assert button_box is not None and button_box["height"] >= 44
    page.screenshot(path=str(web.screenshot_dir / "connection-lost-phone-screen.png"))  # what the phone shows
    web.screenshot("connection-lost-phone")

    # No answer can be given any more (here: changing the first one): it would not be saved.
    expect_no_input_taken(page, answer(page, 0, labels[1]))
    expect(page.locator(".cpmkit-questionnaire input, .cpmkit-questionnaire button").first).to_be_disabled()

    # Reload (the banner's button): a new kernel reads the store; every saved answer is shown.
    reload_button.click()
    web.wait_ready()
    saved = assess.answers(participant["id"])
    assert {items[row].id: planned[row] for row in range(4)}.items() <= saved.items()
    assert set(saved) <= {items[row].id for row in range(5)}  # nothing after the kill
    questionnaire = page.locator(".cpmkit-questionnaire")
    expect(questionnaire).to_contain_text(f"{len(saved)} of {len(bank.items)} answered")
    if len(saved) == len(items):  # the fifth was saved too: the page resumes at step 2
        expect(questionnaire.locator("h3")).to_contain_text("(2 of 10)")
        questionnaire.get_by_role("button", name="Back").click()
    expect(questionnaire.locator("h3")).to_contain_text("(1 of 10)")
    for row, item in enumerate(items):
        rows = item_rows(page).nth(row)
        active = rows.locator("button.mod-active")
        if item.id in saved:
            expect(active).to_have_text([labels[saved[item.id]]])
        else:
            expect(active).to_have_count(0)
    expect(page.locator(".cpmkit-connection-lost")).to_have_count(0)
    # The page works again: a changed answer is saved.
    answer(page, 0, labels[1]).click()
    expect(answer(page, 0, labels[1])).to_have_class(re.compile(r"\bmod-active\b"))
    wait_until(lambda: assess.answers(participant["id"])[items[0].id] == 1, what="the changed answer saved")

    assert web.blocked_requests == [] and web.dialogs == []
    assert [e for e in web.console_errors if not KILLED_KERNEL_NOISE.search(e)] == []


def test_a_dropped_websocket_stops_the_page(web, server_store, unique) -> None:
    token = participant_token(server_store, unique("Dropped socket workshop"))
    page = web.page
    page.set_viewport_size(PHONE)
    web.open(PARTICIPANT, token=token)
    expect(page.locator(".cpmkit-questionnaire")).to_be_visible()
    # As when the network drops: the socket closes under the kernel connection.
    page.evaluate("window.jupyterapp.widgetManager.kernel._ws.close()")
    banner = page.locator(".cpmkit-connection-lost [role=alert]")
    expect(banner).to_be_visible(timeout=3_000)
    expect(banner.locator("p")).to_have_text(BANNER)
    assert page.locator(".cpmkit-connection-lost").get_attribute("data-reason") == "websocket connecting"
    bank = default_bank()
    expect_no_input_taken(page, answer(page, 0, dict(bank.scale.points)[3]))
    assert web.blocked_requests == [] and web.dialogs == []
