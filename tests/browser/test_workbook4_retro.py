"""Workbook 4's retrospective board end to end: a facilitator and two team members, each in
their own browser context, on one real Voila server.

The board is created through the store (the PM's panel does the same); the three open their
links at once and join by name. The two members post cards at the same time, one of them
``<script>alert(1)</script>`` posted anonymously, and every page shows every card within a
few seconds without a reload, the script as plain text. The facilitator moves the board to
the vote; the members vote until the limit refuses a vote; the facilitator moves on to act
and turns the most-voted group into an action, then finishes the board: every page shows it
finished with its summary and nothing left to do, and the summary downloads as Markdown, HTML
and XLSX, the anonymous card still anonymous. The next retrospective of the project shows
that action as open, first thing. No request leaves localhost and no dialog opens.

A second retrospective runs with its facilitator on a laptop and two members on phones (390 x
844): cards written privately reach no other browser (not a byte of their text in the
websocket frames) until the facilitator reveals them, the facilitator's timer counts down on
the phones, the facilitator sees who is ready, and a vote limit on a column refuses a vote
beyond it, naming the column; nothing on a phone is wider than the screen.
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
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cpmkit.core.content import notebook_file
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.retro.ui import BOARD_PAGE

pytestmark = pytest.mark.browser

BOARD_NOTEBOOK = notebook_file(BOARD_PAGE)

SCRIPT = "<script>alert(1)</script>"
#: (person, column label, text, anonymous): what the members post, at the same time.
CARDS = [
    ("ana", "Wind", "Weekly demos with the client", False),
    ("ben", "Rocks", SCRIPT, True),
    ("ana", "Anchors", "Slow code reviews", False),
    ("ben", "Anchors", "Reviews wait for days", False),
]
ACTION = "Review every pull request within a day"
DUE = dt.date(2026, 12, 4)
#: How long a page may take to show what another page did (boards check every 2 s).
LIVE_TIMEOUT_MS = 20_000


def start_opening(web: Any, **query: Any) -> None:
    """Navigate without waiting for the app, so several kernels start at the same time."""
    web.page.goto(web.server.url(BOARD_NOTEBOOK, **query), wait_until="commit")


def join(web: Any, name: str) -> Locator:
    web.wait_ready()
    page: Page = web.page
    page.get_by_placeholder("Your name").fill(name)
    page.get_by_role("button", name="Join the board").click()
    board = page.locator(".cpmkit-retro-board")
    expect(board).to_be_visible()
    expect(page.locator(".cpmkit-app")).to_contain_text(f"You are on the board as {name}.")
    return board


def type_card(page: Page, column: str, text: str, anonymous: bool) -> None:
    """Fill in the "Add a card" form, without posting it yet."""
    form = page.locator(".cpmkit-retro-add")
    form.locator("select").select_option(label=column)
    form.locator("textarea").fill(text)
    form.get_by_role("checkbox", name="Post anonymously").set_checked(anonymous)  # it stays as last set


def post(page: Page) -> None:
    page.locator(".cpmkit-retro-add").get_by_role("button", name="Add").click()


def card_with(page: Page, text: str) -> Locator:
    """Any card showing exactly ``text`` (as text), wherever it is looked for."""
    return page.locator(".cpmkit-retro-card").filter(
        has=page.locator(".cpmkit-retro-text").get_by_text(text, exact=True)
    )


def card(page: Page, text: str) -> Locator:
    """The card showing exactly ``text`` on the board's columns."""
    return page.locator(".cpmkit-retro-column").locator(card_with(page, text))


def group_box(page: Page, text: str) -> Locator:
    """The group (its cards and buttons) that holds the card showing ``text``."""
    return page.locator(".cpmkit-retro-group-box").filter(has=card_with(page, text))


def next_phase(page: Page, phase: str) -> None:
    """The facilitator presses "Next: <phase>" and the banner says so."""
    page.locator(".cpmkit-retro-phases").get_by_role("button", name=f"Next: {phase}").click()
    expect(page.locator(f".cpmkit-retro-phase[data-phase='{phase}']")).to_be_visible()


def test_two_members_and_a_facilitator_run_a_retrospective_live(web, more_web, server_store, unique) -> None:
    retros = RetroStore(server_store)
    project = server_store.create_project(unique("Apollo"))
    made = retros.create_board(project, "Mid-project retrospective", "sailboat", 2)
    people = {"ana": more_web("ana"), "ben": more_web("ben")}
    names = {"ana": "Ana Lima", "ben": "Ben Okafor"}
    fay = web.page

    # All three open their links at once; the facilitator's link carries the key too.
    for person in people.values():
        start_opening(person, board=made["token"])
    start_opening(web, board=made["token"], facilitator=made["facilitator_key"])
    boards = {key: join(person, names[key]) for key, person in people.items()}
    join(web, "Fay Facilitator")
    expect(fay.locator(".cpmkit-retro-role")).to_have_text("(you facilitate)")
    for board in boards.values():  # the members have no facilitator's controls
        expect(board.locator(".cpmkit-retro-phases, .cpmkit-retro-grouping")).to_have_count(0)
    expect(fay.locator(".cpmkit-retro-carried")).to_contain_text("No open actions from earlier retrospectives.")

    # The members post their cards at the same time: both forms filled, then both posted.
    for round_cards in (CARDS[:2], CARDS[2:]):
        for key, column, text, anonymous in round_cards:
            type_card(people[key].page, column, text, anonymous)
        for key, *_rest in round_cards:
            post(people[key].page)

    # Every page shows every card within seconds, without a reload; the script is text.
    for page in [fay, *(p.page for p in people.values())]:
        for _key, _column, text, _anonymous in CARDS:
            expect(card(page, text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(card(page, SCRIPT).locator(".cpmkit-retro-author")).to_have_text("Anonymous")
        expect(card(page, "Slow code reviews").locator(".cpmkit-retro-author")).to_have_text(names["ana"])
        expect(card(page, "Reviews wait for days").locator(".cpmkit-retro-author")).to_have_text(names["ben"])
        expect(page.locator(".cpmkit-retro-board script")).to_have_count(0)
        expect(page.locator(".cpmkit-retro-column-anchors .cpmkit-retro-card")).to_have_count(2)
    saved = retros.state(made["id"]).cards
    assert sorted(saved["text"]) == sorted(text for *_k, text, _a in CARDS)
    assert saved.loc[saved["text"] == SCRIPT, "author"].isna().all()

    # The facilitator moves the board on to the vote: the card forms go, the votes come.
    next_phase(fay, "group")
    next_phase(fay, "vote")
    for person in people.values():
        expect(person.page.locator(".cpmkit-retro-votes-left")).to_have_text(
            "Votes left: 2 of 2", timeout=LIVE_TIMEOUT_MS
        )
        expect(person.page.locator(".cpmkit-retro-add")).to_be_hidden()

    # Ana gives both votes to the slow reviews, Ben one there and one to the demos.
    ana, ben = people["ana"].page, people["ben"].page
    for page, text in [
        (ana, "Slow code reviews"),
        (ana, "Slow code reviews"),
        (ben, "Slow code reviews"),
        (ben, "Weekly demos with the client"),
    ]:
        left = page.locator(".cpmkit-retro-votes-left").inner_text()
        group_box(page, text).get_by_role("button", name="Vote").click()
        expect(page.locator(".cpmkit-retro-votes-left")).not_to_have_text(left)
    expect(ana.locator(".cpmkit-retro-votes-left")).to_have_text("Votes left: 0 of 2")
    expect(group_box(ana, "Slow code reviews").locator(".cpmkit-retro-mine")).to_have_text("your votes: 2")
    group_box(ana, "Weekly demos with the client").get_by_role("button", name="Vote").click()
    expect(ana.locator(".cpmkit-retro-board .cpmkit-message-error")).to_contain_text(
        "You have used all 2 of your votes"
    )
    assert len(retros.state(made["id"]).votes) == 4

    # Discuss, then act: the most-voted group comes first, and becomes an action.
    next_phase(fay, "discuss")
    expect(group_box(fay, "Slow code reviews").locator(".cpmkit-retro-tally")).to_have_text("3 votes")
    next_phase(fay, "act")
    form = fay.locator(".cpmkit-retro-action-form").first
    expect(form).to_contain_text("Slow code reviews")
    expect(form).to_contain_text("3 votes")
    form.get_by_placeholder("What will we do?").fill(ACTION)
    form.get_by_placeholder("Owner").fill(names["ana"])
    form.locator("input[type=date]").fill(DUE.isoformat())
    form.get_by_role("button", name="Add action").click()
    expect(fay.locator(".cpmkit-retro-actions .cpmkit-retro-action")).to_contain_text(ACTION)
    for page in (ana, ben):
        expect(page.locator(".cpmkit-retro-actions")).to_contain_text(ACTION, timeout=LIVE_TIMEOUT_MS)
    web.screenshot("retro-board", readme="04_retro_board.png")
    web.assert_accessible()  # the facilitator's board, with groups, votes and actions
    actions = retros.actions(project)
    assert actions[["what", "owner", "due", "status"]].values.tolist() == [[ACTION, names["ana"], DUE, "open"]]
    slow = int(saved.loc[saved["text"] == "Slow code reviews", "id"].iloc[0])
    assert int(actions["card_id"].iloc[0]) == slow

    # The facilitator finishes the board (asked first): every page shows it finished, nothing to do, and its summary.
    # Not exact: an icon's glyph is part of a button's accessible name.
    fay.locator(".cpmkit-retro-phases").get_by_role("button", name=re.compile(r"Finish$")).click()
    fay.get_by_role("button", name="Finish the board").click()
    for page in (fay, ana, ben):
        expect(page.locator(".cpmkit-retro-closed[data-status='finished']")).to_contain_text(
            "This retrospective is finished", timeout=LIVE_TIMEOUT_MS
        )
        expect(page.locator(".cpmkit-retro-add")).to_be_hidden()
        expect(page.locator(".cpmkit-retro-columns")).to_be_hidden()
        expect(page.get_by_role("button", name="Vote")).to_have_count(0)
        summary = page.locator(".cpmkit-retro-summary")
        expect(summary).to_contain_text(ACTION)
        expect(summary).to_contain_text(f"{names['ana']}, {names['ben']}, Fay Facilitator")
        expect(summary).to_contain_text(f"{SCRIPT} — Anonymous")
        expect(summary.locator("script")).to_have_count(0)
    expect(fay.locator(".cpmkit-retro-phases")).to_be_hidden()
    assert retros.board(made["id"])["finished_at"] is not None

    # Ana downloads the summary in each format; Ben's anonymous card stays anonymous in all of them.
    files: dict[str, Path] = {}
    for label in ("Markdown", "HTML", "XLSX"):
        with ana.expect_download() as downloaded:
            ana.get_by_role("button", name=f"Summary ({label})").click()  # one click, no preparing
        files[downloaded.value.suggested_filename] = Path(downloaded.value.path())
    stem = "retro-mid-project-retrospective"
    assert set(files) == {f"{stem}.md", f"{stem}.html", f"{stem}.xlsx"}
    markdown = files[f"{stem}.md"].read_text(encoding="utf-8")
    script_line = next(line for line in markdown.splitlines() if "alert" in line)
    assert script_line.endswith("— Anonymous (0 votes)") and names["ben"] not in script_line
    assert ACTION in markdown and DUE.isoformat() in markdown
    page_html = files[f"{stem}.html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; — <span>Anonymous</span>" in page_html and SCRIPT not in page_html
    workbook = openpyxl.load_workbook(io.BytesIO(files[f"{stem}.xlsx"].read_bytes()))  # saved without its suffix
    sheet = list(workbook["Cards"].values)
    assert [row[3] for row in sheet if row[2] == SCRIPT] == ["Anonymous"]
    people["ana"].assert_accessible()  # a member's finished board, with its summary

    # The next retrospective of the project reviews the open action first.
    following = retros.create_board(project, "Next retrospective", "four_ls", 3)
    people["ben"].page.goto(
        people["ben"].server.url(BOARD_NOTEBOOK, board=following["token"]), wait_until="domcontentloaded"
    )
    join(people["ben"], names["ben"])
    carried = ben.locator(".cpmkit-retro-carried")
    expect(carried.locator("table tbody tr")).to_have_count(1)
    expect(carried.locator("table tbody tr td")).to_have_text([ACTION, names["ana"], DUE.isoformat(), "open"])
    expect(ben.locator(".cpmkit-retro-column")).to_have_count(4)  # liked, learned, lacked, longed for
    expect(ben.locator(".cpmkit-retro-card")).to_have_count(0)

    for person in [web, *people.values()]:
        person.assert_clean()


PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}
PRIVATE_CARDS = {"ana": ("Wind", "Ana wrote this privately"), "ben": ("Anchors", "Ben wrote this anonymously")}


#: The right edge of the widest thing shown on the board's page, in CSS pixels.
WIDEST_JS = """() => Math.max(0, ...[...document.querySelectorAll('.cpmkit-app *')]
    .map(e => e.getBoundingClientRect()).filter(r => r.width > 0).map(r => r.right))"""


def widest(page: Page) -> float:
    """The right edge of the widest thing shown on the board's page, in CSS pixels."""
    return float(page.evaluate(WIDEST_JS))


def too_wide(page: Page, width: int) -> list[str]:
    """The outermost things shown on the board's page whose right edge is past ``width`` px."""
    return list(
        page.evaluate(
            """(width) => [...document.querySelectorAll('.cpmkit-app *')]
                 .filter(e => e.getBoundingClientRect().right > width && e.getBoundingClientRect().width > 0)
                 .filter(e => !(e.parentElement && e.parentElement.getBoundingClientRect().right > width))
                 .map(e => e.outerHTML.slice(0, 160))""",
            width,
        )
    )


def facilitator_fits_a_small_phone(page: Page) -> None:
    """The facilitator's page, as it is now, is no wider than a 360 px phone once laid out again
    (the widgets follow a resize a moment later), then back to the laptop."""
    page.set_viewport_size(SMALL_PHONE)
    try:
        page.wait_for_function(f"(width) => ({WIDEST_JS})() <= width", arg=SMALL_PHONE["width"], timeout=5_000)
    except PlaywrightTimeout:
        pytest.fail(f"wider than a small phone: {too_wide(page, SMALL_PHONE['width'])}")
    finally:
        page.set_viewport_size(LAPTOP)


def test_a_facilitator_on_a_laptop_runs_private_writing_a_timer_ready_and_column_limits_with_phones(
    web, more_web, server_store, unique
) -> None:
    retros = RetroStore(server_store)
    project = server_store.create_project(unique("Gemini"))
    made = retros.create_board(project, "Private retrospective", "sailboat", 3, private_writing=True)
    people = {"ana": more_web("ana-phone", viewport=PHONE), "ben": more_web("ben-phone", viewport=PHONE)}
    names = {"ana": "Ana Lima", "ben": "Ben Okafor"}
    received: dict[str, list[str]] = {key: [] for key in people}
    for key, person in people.items():  # every frame the page's websockets receive, decoded
        person.page.on(
            "websocket",
            lambda socket, key=key: socket.on(
                "framereceived",
                lambda payload, key=key: received[key].append(
                    payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
                ),
            ),
        )
    fay = web.page
    fay.set_viewport_size(LAPTOP)
    for person in people.values():
        start_opening(person, board=made["token"])
    start_opening(web, board=made["token"], facilitator=made["facilitator_key"])
    for key, person in people.items():
        join(person, names[key])
    join(web, "Fay Facilitator")
    ana, ben = people["ana"].page, people["ben"].page

    # Each writes privately: their own card shows, the others' only as a count.
    for key, (column, text) in PRIVATE_CARDS.items():
        type_card(people[key].page, column, text, anonymous=key == "ben")
        post(people[key].page)
        expect(card(people[key].page, text)).to_have_count(1)
    for page in (ana, ben):
        expect(page.locator(".cpmkit-retro-hidden-count")).to_have_text(
            "1 card from others, hidden until the facilitator reveals them.", timeout=LIVE_TIMEOUT_MS
        )
    expect(fay.locator(".cpmkit-retro-hidden-count")).to_contain_text("2 cards from others", timeout=LIVE_TIMEOUT_MS)
    expect(fay.locator(".cpmkit-retro-card")).to_have_count(0)
    for key, other in (("ana", "ben"), ("ben", "ana")):
        assert not any(PRIVATE_CARDS[other][1] in frame for frame in received[key]), f"{key}'s browser got it"
        assert PRIVATE_CARDS[other][1] not in people[key].page.content()
    assert any(PRIVATE_CARDS["ana"][1] in frame for frame in received["ana"])  # the frames were read
    people["ana"].screenshot("retro-private-phone")

    # The facilitator times the phase: the phones count down.
    facilitation = fay.locator(".cpmkit-retro-facilitation")
    facilitation.get_by_label("Minutes").fill("2")
    facilitation.get_by_role("button", name=re.compile("Start timer")).click()
    for page in (ana, ben):
        countdown = page.locator(".cpmkit-retro-countdown")
        expect(countdown).to_have_text(re.compile(r"Timer: [12]:\d\d left"), timeout=LIVE_TIMEOUT_MS)
    before = ana.locator(".cpmkit-retro-countdown").inner_text()
    expect(ana.locator(".cpmkit-retro-countdown")).not_to_have_text(before, timeout=LIVE_TIMEOUT_MS)  # it ticks

    # Ana says she is ready: the facilitator sees who; Ben sees how many.
    ana.locator(".cpmkit-retro-ready").get_by_role("button", name=re.compile("I'm ready")).click()
    expect(ana.locator(".cpmkit-retro-ready")).to_contain_text("You said you are ready.")
    expect(fay.locator(".cpmkit-retro-ready-count")).to_have_text(
        f"1 of 2 ready: {names['ana']}", timeout=LIVE_TIMEOUT_MS
    )
    expect(ben.locator(".cpmkit-retro-ready-count")).to_have_text("1 of 2 ready", timeout=LIVE_TIMEOUT_MS)
    for key, person in people.items():
        assert widest(person.page) <= PHONE["width"], f"{key}'s phone scrolls sideways"
        person.assert_accessible()  # a phone, collecting privately, with the timer and the ready signal
    web.assert_accessible()  # the facilitator's controls
    facilitator_fits_a_small_phone(fay)  # private writing, Reveal, the timer, who is ready, the limits

    # Reveal: every card shows on every page, Ben's still anonymous.
    facilitation.get_by_role("button", name=re.compile("Reveal cards")).click()
    for page in (fay, ana, ben):
        for _column, text in PRIVATE_CARDS.values():
            expect(card(page, text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(card(page, PRIVATE_CARDS["ben"][1]).locator(".cpmkit-retro-author")).to_have_text("Anonymous")
        expect(page.locator(".cpmkit-retro-hidden-count")).to_have_count(0)

    # One vote at most in Wind; a new phase clears the timer and who was ready.
    limits = fay.locator(".cpmkit-retro-limits")
    limits.get_by_label("Wind").fill("1")
    limits.get_by_role("button", name="Save vote limits").click()
    next_phase(fay, "group")
    for page in (ana, ben):
        expect(page.locator(".cpmkit-retro-countdown")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
        expect(page.locator(".cpmkit-retro-ready-count")).to_have_text("0 of 2 ready", timeout=LIVE_TIMEOUT_MS)
    type_card(ana, "Wind", "A second wind", anonymous=False)
    post(ana)
    expect(card(ana, "A second wind")).to_have_count(1)  # saved before the vote, which takes no cards
    next_phase(fay, "vote")
    expect(ana.locator(".cpmkit-retro-votes-left")).to_have_text(
        "Votes left: 3 of 3 · in Wind: 1 of 1", timeout=LIVE_TIMEOUT_MS
    )
    group_box(ana, PRIVATE_CARDS["ana"][1]).get_by_role("button", name="Vote").click()
    expect(ana.locator(".cpmkit-retro-votes-left")).to_have_text("Votes left: 2 of 3 · in Wind: 0 of 1")
    group_box(ana, "A second wind").get_by_role("button", name="Vote").click()
    expect(ana.locator(".cpmkit-retro-board .cpmkit-message-error")).to_contain_text(
        "You have used all 1 of your votes in Wind"
    )
    group_box(ana, PRIVATE_CARDS["ben"][1]).get_by_role("button", name="Vote").click()  # Anchors has no limit
    expect(ana.locator(".cpmkit-retro-votes-left")).to_have_text("Votes left: 1 of 3 · in Wind: 0 of 1")
    assert widest(ana) <= PHONE["width"]
    people["ana"].screenshot("retro-vote-limits-phone")
    web.screenshot("retro-facilitation-laptop")
    facilitator_fits_a_small_phone(fay)
    assert len(retros.state(made["id"]).votes) == 2

    for person in [web, *people.values()]:
        person.assert_clean()
