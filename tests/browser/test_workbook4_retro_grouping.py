"""Grouping on the retrospective board, in the browser: on a laptop (1366x900) the facilitator
drags a card onto another (outlined while the card is over it) and a member's page shows them
grouped within seconds; a grouped card dragged back onto its column's heading comes out of its
group; anywidget's front end comes from the server itself. On a phone (390x844) or a tablet
(1024x768, touch) there is nothing to drag: the grouping form's dropdowns do it. Free text stays text, the board stays
accessible (axe), and no request leaves localhost.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import expect

from cpmkit.feedback.retro.store import RetroStore
from tests.browser.test_workbook4_retro import LIVE_TIMEOUT_MS, SCRIPT, card, card_with, join, start_opening

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}  # wide as a laptop, but a finger: nothing drags
#: Starts a drag of card ``from`` that never ends (as when its card is redrawn mid-drag), then
#: drags a text (no card) over card ``to`` and drops it there: whether the dragover was let
#: through (a drop allowed) or outlined ``to``.
STALE_DRAG = """([from, to]) => {
  const at = (id) => document.querySelector(`.cpmkit-retro-column [data-card="${id}"]`);
  const fire = (node, type, data) =>
    !node.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
  fire(at(from), "dragstart", new DataTransfer());
  const text = new DataTransfer();
  text.setData("text/plain", "a note");
  const allowed = fire(at(to), "dragover", text);
  const outlined = at(to).classList.contains("cpmkit-card-drop-target");
  fire(at(to), "drop", text);
  return { allowed, outlined };
}"""
#: (column, text) of the cards on the board, posted by one member before the group phase.
CARDS = [("wind", SCRIPT), ("wind", "Weekly demos"), ("anchors", "Slow reviews"), ("anchors", "Reviews wait")]


def board_in_group_phase(retros: RetroStore, project: int) -> tuple[dict[str, Any], dict[str, int]]:
    """A sailboat board with ``CARDS`` on it, in the group phase; the cards' ids by text."""
    made = retros.create_board(project, "Grouping", "sailboat", 3)
    author = retros.join(made["id"], "Ana Lima", "a" * 32)
    ids = {text: retros.add_card(made["id"], author, column, text) for column, text in CARDS}
    retros.move_phase(made["id"], forward=True, facilitator_key=made["facilitator_key"])
    return made, ids


def group_of(retros: RetroStore, board_id: int) -> dict[str, Any]:
    """Each card's text and the id of the card it is grouped under (None: not grouped)."""
    cards = retros.state(board_id).cards
    return {str(c["text"]): None if pd.isna(c["group_id"]) else int(c["group_id"]) for c in cards.to_dict("records")}


def test_on_a_laptop_the_facilitator_groups_by_drag_and_drop(more_web, server_store, unique, wait_until) -> None:
    retros = RetroStore(server_store)
    made, ids = board_in_group_phase(retros, server_store.create_project(unique("Drag")))
    fay, ben = more_web("fay", viewport=LAPTOP), more_web("ben")
    requested: list[str] = []
    fay.page.on("request", lambda request: requested.append(request.url))
    start_opening(fay, board=made["token"], facilitator=made["facilitator_key"])
    start_opening(ben, board=made["token"])
    join(fay, "Fay Facilitator")
    join(ben, "Ben Okafor")
    page = fay.page
    expect(page.locator(".cpmkit-card-drag-hint")).to_contain_text("drag a card onto another")

    # "Weekly demos" dropped onto the script card: it goes under it, on every page.
    card(page, "Weekly demos").drag_to(card(page, SCRIPT))
    wait_until(lambda: group_of(retros, made["id"])["Weekly demos"] == ids[SCRIPT], what="the drop saved")
    for shown in (page, ben.page):
        grouped = shown.locator(".cpmkit-retro-column-wind .cpmkit-retro-group").filter(has=card_with(shown, SCRIPT))
        expect(grouped.locator(".cpmkit-retro-grouped .cpmkit-retro-text")).to_have_text(
            "Weekly demos", timeout=LIVE_TIMEOUT_MS
        )
    expect(page.locator(".cpmkit-retro-board script")).to_have_count(0)

    # Another pair, in another column: each drop is one grouping.
    # Dragged with the mouse's own moves: the card it would land on is outlined on the way.
    card(page, "Reviews wait").hover()
    page.mouse.down()
    box = card(page, "Slow reviews").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    expect(card(page, "Slow reviews")).to_have_class(re.compile(r"cpmkit-card-drop-target"))
    page.mouse.up()
    expect(page.locator(".cpmkit-card-drop-target")).to_have_count(0)
    wait_until(lambda: group_of(retros, made["id"])["Reviews wait"] == ids["Slow reviews"], what="the second drop")
    expect(card(page, "Reviews wait")).to_have_class("cpmkit-retro-card cpmkit-retro-grouped")
    # A group's lead dragged onto its own grouped card lands nowhere: no outline, no message.
    card(page, "Slow reviews").hover()
    page.mouse.down()
    box = card(page, "Reviews wait").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    expect(page.locator(".cpmkit-card-drop-target")).to_have_count(0)
    page.mouse.up()
    # A drag whose card was redrawn before its dragend (none comes) leaves nothing live: a text
    # dragged in later, from outside the board, is no card and lands nowhere.
    assert page.evaluate(STALE_DRAG, [ids[SCRIPT], ids["Slow reviews"]]) == {"allowed": False, "outlined": False}
    page.wait_for_timeout(500)
    expect(page.locator(".cpmkit-card-drop-target")).to_have_count(0)
    expect(page.locator(".cpmkit-retro-grouping .cpmkit-message-error")).to_have_count(0)
    assert group_of(retros, made["id"])[SCRIPT] is None
    fay.assert_accessible()  # the facilitator's board in the group phase, with its drag hint

    # The grouped demos card dragged back onto its column's heading comes out of its group.
    card(page, "Weekly demos").drag_to(page.locator(".cpmkit-retro-column-wind h4"))
    wait_until(lambda: group_of(retros, made["id"])["Weekly demos"] is None, what="the card out of its group")
    expect(card(ben.page, "Weekly demos")).not_to_have_class("cpmkit-retro-grouped", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".cpmkit-retro-grouping .cpmkit-message-error")).to_have_count(0)
    assert group_of(retros, made["id"]) == {
        SCRIPT: None,
        "Weekly demos": None,
        "Slow reviews": None,
        "Reviews wait": ids["Slow reviews"],
    }
    fay.screenshot("retro-grouping-laptop")
    # Grouping over, no card drags any more, even one that dragged before.
    retros.move_phase(made["id"], forward=True, facilitator_key=made["facilitator_key"])
    expect(page.locator(".cpmkit-retro-grouping")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    card(page, SCRIPT).hover()
    expect(card(page, SCRIPT)).to_have_attribute("draggable", "false")
    # anywidget's front end came from this server (Voila serves its lab extension), as everything did.
    assert any("/labextensions/anywidget/" in url for url in requested), requested
    for web in (fay, ben):
        web.assert_clean()


@pytest.mark.parametrize(
    "screen", [{"viewport": PHONE}, {"viewport": TABLET, "has_touch": True}], ids=["phone", "tablet"]
)
def test_on_a_touch_screen_the_facilitator_groups_with_the_dropdowns(
    screen, more_web, server_store, unique, wait_until
) -> None:
    retros = RetroStore(server_store)
    made, ids = board_in_group_phase(retros, server_store.create_project(unique("Touch")))
    fay = more_web("fay", **screen)
    start_opening(fay, board=made["token"], facilitator=made["facilitator_key"])
    join(fay, "Fay Facilitator")
    page = fay.page
    form = page.locator(".cpmkit-retro-grouping")
    expect(form).to_be_visible()
    expect(page.locator(".cpmkit-card-drag")).to_be_hidden()  # nothing to drag on a touch screen
    choices = form.locator("select")
    choices.nth(0).select_option(label=f"#{ids['Reviews wait']} Reviews wait")
    choices.nth(1).select_option(label=f"#{ids['Slow reviews']} Slow reviews")
    form.get_by_role("button", name=re.compile(r"Group$")).click()  # the icon is part of the name
    wait_until(lambda: group_of(retros, made["id"])["Reviews wait"] == ids["Slow reviews"], what="the grouping saved")
    expect(card(page, "Reviews wait")).to_have_class("cpmkit-retro-card cpmkit-retro-grouped")
    # A card dragged on a touch screen does nothing: the cards are not draggable there.
    card(page, "Weekly demos").hover()
    expect(card(page, "Weekly demos")).to_have_attribute("draggable", "false")
    card(page, "Weekly demos").drag_to(card(page, "Slow reviews"))
    page.wait_for_timeout(500)
    assert group_of(retros, made["id"])["Weekly demos"] is None
    fay.assert_accessible()
    fay.assert_clean()
