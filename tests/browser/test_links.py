"""Links that reach the room, in a real browser behind cpmkit's gate: the trainer's join link
is absolute (on the address the page was opened at), has a Copy button that works, a QR code
drawn as SVG, and a view large enough for a projector."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.serving.page_access import BASE_URL_HEADER

pytestmark = pytest.mark.browser

TRAINER = "02_workshop_trainer.ipynb"
PARTICIPANT = "02_soft_skills.ipynb"


def test_the_trainers_join_link_is_absolute_with_a_copy_button_a_qr_code_and_a_room_view(web: Any) -> None:
    trainer = web.page
    trainer.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.server.base_url)
    web.open(TRAINER)
    trainer.get_by_placeholder("e.g. Soft skills, March group").fill("Links for the room")
    trainer.get_by_role("button", name="Create workshop").click()
    created = trainer.locator(".cpmkit-workshop-created")
    expect(created).to_contain_text("is ready")
    code = created.locator(".cpmkit-join-code").inner_text().strip()
    join = web.server.url(PARTICIPANT, code=code)
    assert join.startswith("http://")
    expect(created.get_by_role("link", name=join)).to_have_attribute("href", join)

    trainer.get_by_role("button", name="I have saved the key: open the dashboard").click()
    dashboard = trainer.locator(".cpmkit-workshop-dashboard")
    header = dashboard.locator(".cpmkit-workshop-header")
    expect(header.get_by_role("link", name=join)).to_have_attribute("href", join)
    qr = header.locator("svg.cpmkit-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 100

    copy = dashboard.locator("button.cpmkit-copy").first
    expect(copy).to_have_text("Copy the join link")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert trainer.evaluate("navigator.clipboard.readText()") == join

    room = dashboard.locator(".cpmkit-room")
    expect(room).to_be_hidden()
    dashboard.get_by_role("button", name="Show to the room").click()
    expect(room).to_be_visible()
    expect(room.locator(".cpmkit-room-code")).to_have_text(code)
    expect(room.locator(".cpmkit-room-address")).to_have_text(join)
    expect(room.locator(".cpmkit-room-counts").first).to_contain_text("0 joined · 0 finished")
    big = room.locator("svg.cpmkit-qr").bounding_box()
    assert big is not None and big["width"] >= 300, big


def test_a_forged_base_url_header_is_replaced_by_the_address_the_page_was_opened_at(more_web: Any) -> None:
    """Links are built on a header only the server sets: one sent by the browser cannot point the
    room's links elsewhere."""
    forger = more_web("forged-base-url", sign_in="pm", extra_http_headers={BASE_URL_HEADER: "http://evil.example:8866"})
    forger.open(TRAINER)
    forger.page.get_by_placeholder("e.g. Soft skills, March group").fill("Forged links")
    forger.page.get_by_role("button", name="Create workshop").click()
    created = forger.page.locator(".cpmkit-workshop-created")
    code = created.locator(".cpmkit-join-code").inner_text().strip()
    join = forger.server.url(PARTICIPANT, code=code)
    expect(created.get_by_role("link", name=join)).to_have_attribute("href", join)
    assert "evil.example" not in forger.page.content()
