"""The participant-facing pages fit a phone (390x844, and 360x740) and stay as they were on a laptop (1366x768).

On each page (the retrospective board while cards are added and while they are voted on, the
pulse survey, the self-assessment's join screen, questionnaire, results and a colleague's
rating) the document is no wider than the window, every control can be scrolled to and lies
inside the window's width, no label or button text is cut short, no word is broken mid-word, and on the phone every control
is at least 44 px high (a thumb). On the board with cards and while voting, on a questionnaire
with an answer chosen and on a colleague's rating, axe-core finds no serious or critical
violation (test_accessibility checks every page as it opens). Each page leaves a screenshot at 390 and 1366 px in docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from cpmkit.core.content import notebook_file
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.retro.ui import BOARD_PAGE
from cpmkit.soft_skills.bank import DEFAULT_BANK, default_bank
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.workshop import PARTICIPANT_PAGE

pytestmark = pytest.mark.browser

#: The phone of the screenshots, the narrowest phone the pages are made for, and a laptop.
SIZES = {
    "phone": {"width": 390, "height": 844},
    "small": {"width": 360, "height": 740},
    "laptop": {"width": 1366, "height": 768},
}
PARTICIPANT_PAGE_FILE = notebook_file(PARTICIPANT_PAGE)
#: The least height of a control on a phone: a thumb's touch target.
THUMB_PX = 44
#: How long the board may take to show another page's change (it checks every 2 s).
LIVE_TIMEOUT_MS = 20_000

#: Every control on the page: scrolled to, its box (for a checkbox or radio button, its label's),
#: whether it fits the window's width, whether its text is cut short; and the document's width.
MEASURE = r"""() => {
  const controls = [...document.querySelectorAll(
    '.cpmkit-app button, .cpmkit-app input, .cpmkit-app select, .cpmkit-app textarea')]
    .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
  const found = controls.map(e => {
    const target = ['checkbox', 'radio'].includes(e.type) ? (e.closest('label') || e) : e;
    target.scrollIntoView({block: 'center', inline: 'nearest'});
    const box = target.getBoundingClientRect();
    return {
      what: (e.tagName + ' ' + (e.innerText || e.placeholder || e.type || '')).trim().slice(0, 40),
      left: box.left, right: box.right, height: box.height,
      clipped: e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1,
    };
  });
  const labels = [...document.querySelectorAll('.cpmkit-app .widget-label')]  // not names shown to screen readers only
    .filter(e => !e.parentElement.classList.contains('cpmkit-named'))
    .filter(e => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.innerText);
  // A word (between spaces, hyphens and slashes) whose letters lie on two lines was broken mid-word.
  // Addresses and link secrets (no word is over 20 characters) may break anywhere rather than widen the page.
  const broken = [];
  const range = document.createRange();
  const texts = document.createTreeWalker(document.querySelector('.cpmkit-app'), NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    if (!node.parentElement.getClientRects().length || node.parentElement.closest('.cpmkit-named > .widget-label')) continue;
    for (const word of node.data.matchAll(/[^\s\/-]+/g)) {
      if (word[0].length > 20) continue;
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(word[0]);
    }
  }
  document.querySelector('.cpmkit-app').scrollIntoView();  // back to the top, for the screenshot
  return {width: document.documentElement.scrollWidth, window: window.innerWidth, controls: found, labels, broken};
}"""


def assert_fits(web: Any, size: str) -> None:
    """The page fits the window (see the module docstring); a failure lists what does not."""
    seen = web.page.evaluate(MEASURE)
    assert seen["width"] <= seen["window"], f"the page scrolls sideways: {seen['width']} px in {seen['window']}"
    assert seen["controls"], "no control found on the page"
    outside = [c["what"] for c in seen["controls"] if c["left"] < -1 or c["right"] > seen["window"] + 1]
    assert outside == [], f"controls outside the window's width: {outside}"
    clipped = [c["what"] for c in seen["controls"] if c["clipped"]]
    assert clipped == [] and seen["labels"] == [], f"text cut short: {clipped + seen['labels']}"
    assert seen["broken"] == [], f"words broken mid-word: {seen['broken']}"
    if size != "laptop":
        small = [(c["what"], round(c["height"])) for c in seen["controls"] if c["height"] < THUMB_PX - 0.5]
        assert small == [], f"touch targets under {THUMB_PX} px high: {small}"


#: The contrast ratio (WCAG) of the chosen answer's background against an unchosen one's.
CONTRAST = """([chosen, other]) => {
  const luminance = e => {
    const [r, g, b] = getComputedStyle(e).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [luminance(chosen), luminance(other)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def assert_chosen_stands_out(chosen: Any, other: Any) -> None:
    """The chosen answer has at least 3:1 contrast with an unchosen one, and the keyboard's focus ring shows."""
    ratio = chosen.page.evaluate(CONTRAST, [chosen.element_handle(), other.element_handle()])
    assert ratio >= 3, f"the chosen answer has {ratio:.2f}:1 contrast with the others"
    chosen.page.keyboard.press("Tab")
    ring = chosen.page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.removesuffix("px")) >= 2, f"the focus ring is {ring} wide"


def screenshot(web: Any, size: str, page: str) -> None:
    """docs/screenshots/<size>_<page>.png, at the phone's and the laptop's size."""
    if size != "small":
        web.screenshot(readme=f"{size}_{page}.png")


def opened(more_web: Any, size: str, notebook: str, *, label: str = "", **query: Any) -> Any:
    """A participant's page (not signed in) at ``size``, its app built."""
    web = more_web(f"{size}{label}", viewport=SIZES[size])
    web.open(notebook, **query)
    return web


@pytest.mark.parametrize("size", SIZES)
def test_the_retrospective_board_fits(size, more_web, server_store, unique) -> None:
    retros = RetroStore(server_store)
    made = retros.create_board(server_store.create_project(unique("Phones")), "Sprint 9", "sailboat", 3)
    member = opened(more_web, size, notebook_file(BOARD_PAGE), board=made["token"])
    page = member.page
    assert_fits(member, size)
    page.get_by_placeholder("Your name").fill("Ana Lima")
    page.get_by_role("button", name="Join the board").click()
    expect(page.locator(".cpmkit-retro-board")).to_be_visible()
    form = page.locator(".cpmkit-retro-add")
    for column, text in [("Wind", "Weekly deliveries to the client"), ("Anchors", "Unreviewed deliveries pile up")]:
        form.locator("select").select_option(label=column)
        form.locator("textarea").fill(text)
        form.get_by_role("button", name="Add").click()
        expect(page.locator(".cpmkit-retro-card").filter(has_text=text)).to_have_count(1)
    assert_fits(member, size)
    member.assert_accessible()
    screenshot(member, size, "retro_board")

    retros.set_phase(made["id"], "vote", facilitator_key=made["facilitator_key"])
    vote = page.locator(".cpmkit-retro-group-box").first.get_by_role("button", name="Vote")
    vote.click(timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".cpmkit-retro-votes-left")).to_have_text("Votes left: 2 of 3")
    assert_fits(member, size)
    member.assert_accessible()
    screenshot(member, size, "retro_vote")
    member.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_the_pulse_survey_fits(size, more_web, server_store, unique) -> None:
    pulses = PulseStore(server_store)
    round_id = pulses.create_round(
        server_store.create_project(unique("Phones")), "December pulse", dt.date(2026, 12, 1)
    )
    respondent = opened(more_web, size, "04_pulse_survey.ipynb", pulse=pulses.new_round_token(round_id))
    form = respondent.page.locator(".cpmkit-app")
    scale = form.locator(".cpmkit-scale-row .widget-toggle-button")
    expect(scale).to_have_count(11)
    tops = {round(box["y"]) for box in (scale.nth(i).bounding_box() for i in range(11))}
    assert len(tops) == 1, f"the 0-10 scale wraps: its buttons start at {sorted(tops)}"
    form.get_by_role("button", name="8", exact=True).click()
    expect(form.get_by_role("button", name="8", exact=True)).to_have_class(re.compile(r"\bmod-active\b"))
    assert_chosen_stands_out(form.get_by_role("button", name="8", exact=True), scale.first)
    assert_fits(respondent, size)
    screenshot(respondent, size, "pulse_survey")
    respondent.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_the_self_assessment_fits(size, more_web, server_store, unique) -> None:
    assessments = AssessmentStore(server_store)
    bank = default_bank()
    _id, code, _key = assessments.create_workshop(unique("Phones"), bank=DEFAULT_BANK, rounds=["before"])
    joining = opened(more_web, size, PARTICIPANT_PAGE_FILE, label="-join", code=code)
    expect(joining.page.locator(".cpmkit-start .cpmkit-message-ok")).to_be_visible()
    assert_fits(joining, size)
    screenshot(joining, size, "self_assessment_join")

    fresh = assessments.start_self_assessment("Ana")
    asking = opened(more_web, size, PARTICIPANT_PAGE_FILE, label="-questions", token=fresh["token"])
    first = asking.page.locator(".cpmkit-questionnaire .cpmkit-item").first
    choices = first.locator(".widget-toggle-button")
    expect(choices).to_have_count(len(bank.scale.points))
    boxes = [choices.nth(i).bounding_box() for i in range(len(bank.scale.points))]
    rows, lefts = {round(b["y"]) for b in boxes}, {round(b["x"]) for b in boxes}
    assert len(rows) == 1 or len(lefts) == 1, f"the 5-point scale is neither one row nor one list: {boxes}"
    choices.last.click()
    expect(choices.last).to_have_class(re.compile(r"\bmod-active\b"))
    assert_chosen_stands_out(choices.last, choices.first)
    assert_fits(asking, size)
    asking.assert_accessible()
    screenshot(asking, size, "self_assessment")

    done = assessments.start_self_assessment("Ben")
    for n, item in enumerate(bank.items):
        assessments.save_answer(int(done["id"]), item.id, bank.scale.low + n % 5)
    results = opened(more_web, size, PARTICIPANT_PAGE_FILE, label="-results", token=done["token"])
    expect(results.page.locator('.cpmkit-results .cpmkit-chart[data-drawn="true"]').first).to_be_visible()
    chart = results.page.locator(".cpmkit-results .cpmkit-chart svg").first.bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= SIZES[size]["width"], f"the chart is cut off: {chart}"
    assert_fits(results, size)
    screenshot(results, size, "self_assessment_results")

    rater = opened(
        more_web, size, PARTICIPANT_PAGE_FILE, label="-rater", rate=assessments.create_peer_link(int(done["id"]))
    )
    expect(rater.page.locator(".cpmkit-questionnaire .cpmkit-item").first).to_be_visible()
    assert_fits(rater, size)
    rater.assert_accessible()
    screenshot(rater, size, "peer_rating")
    for web in (joining, asking, results, rater):
        web.assert_clean()


def test_a_participant_downloads_the_report_in_one_click_on_a_phone(more_web, server_store) -> None:
    """On a 390 px phone, "My report" and "My results" are buttons a thumb can press, side by
    side or wrapped, and one tap saves the file: an HTML page and an XLSX that opens."""
    assessments = AssessmentStore(server_store)
    bank = default_bank()
    done = assessments.start_self_assessment("Cleo")
    for n, item in enumerate(bank.items):
        assessments.save_answer(int(done["id"]), item.id, bank.scale.low + n % 5)
    results = opened(more_web, "phone", PARTICIPANT_PAGE_FILE, label="-report", token=done["token"])
    page = results.page
    report = page.get_by_role("button", name="My report (HTML)")
    book_button = page.get_by_role("button", name="My results (XLSX)")
    expect(report).to_be_visible()
    for button in (report, book_button):
        box = button.bounding_box()
        assert box["height"] >= 32 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    with page.expect_download() as downloaded:
        book_button.click()
    assert re.fullmatch(r"soft-skills-\d{4}-\d{2}-\d{2}\.xlsx", downloaded.value.suggested_filename)
    book = openpyxl.load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    assert book.sheetnames[0] == "scores" and book["scores"]["A1"].value == "Competency"
    assert book["scores"]["A1"].font.b and book["scores"].freeze_panes == "A2"
    with page.expect_download() as downloaded:
        report.click()
    assert Path(downloaded.value.path()).read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert_fits(results, "phone")
    results.assert_accessible()
    results.assert_clean()
