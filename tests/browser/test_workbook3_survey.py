"""Workbook 3's stakeholder survey as a respondent meets it, on a phone (390x844) and a laptop
(1366x768): nothing scrolls sideways, every control has a name and a touch-sized target, every
scale point its anchor; Submit ends on a thank-you page saying what happens next, and the same
link, reloaded, brings the answers back to change and submit again. Nothing from the PM's side
(their estimate, gaps, weights) appears."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cpmkit.gap.store import NO_RESPONSE
from tests.browser.test_phones import assert_fits, screenshot
from tests.browser.test_workbook3 import SURVEY, choose, gap_store

pytestmark = pytest.mark.browser

#: The page and each scroll container that is wider than its box (more than 1 px of rounding),
#: as "tag.classes: overflow in px".
SIDEWAYS_SCROLL = """() => [document.documentElement, ...document.querySelectorAll('*')]
    .filter(e => e === document.documentElement
        || (['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.clientWidth > 0))
    .map(e => [e, e.scrollWidth - (e === document.documentElement ? window.innerWidth : e.clientWidth)])
    .filter(([e, over]) => over > 1)
    .map(([e, over]) => `${e.tagName}.${[...e.classList].join('.')}: ${over}`)"""


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate(SIDEWAYS_SCROLL) == []


@pytest.mark.parametrize("size", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
def test_a_respondent_answers_submits_and_comes_back_to_change(
    more_web, server_store, server_stakeholders, unique, wait_until, size: tuple[int, int]
) -> None:
    project_id = server_store.create_project(unique("Survey project"))
    acme = server_stakeholders.add_stakeholder(project_id, "Acme", category="customer")
    gaps = gap_store(server_store)
    gaps.choose_dimensions(project_id, ["reliability", "schedule"])
    for name, value in (("expectation", 3), ("perception", 1), ("importance", 97)):
        gaps.save_rating(acme, "schedule", source="estimate", assessed_on=dt.date.today(), field=name, value=value)
    token = gaps.new_survey_token(acme)

    customer = more_web("stakeholder")
    page = customer.page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    app = customer.open(SURVEY, survey=token)
    expect(app).to_contain_text("For Acme")
    no_sideways_scroll(page)

    # Every control is named, its choices are radios with their anchors, and each is touch-sized.
    schedule = page.locator(".cpmkit-dimension-schedule")
    expect(page.get_by_role("radio")).to_have_count(2 * 7 * 2 + 5)
    expect(schedule.get_by_role("radio", name="1 - very low")).to_have_count(2)
    expect(schedule.get_by_role("radio", name="7 - very high")).to_have_count(2)
    expect(page.get_by_role("radio", name="5 - fully")).to_have_count(1)
    points = schedule.get_by_role("textbox", name=re.compile(r"matter to you\? \(points of 100\)"))
    comment = page.get_by_role("textbox", name=re.compile("Anything else"))
    submit = page.get_by_role("button", name="Submit my answers")
    for target in (*page.locator(".cpmkit-survey .widget-radio-box label").all(), points, comment, submit):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 1

    # Answer (each control reached by scrolling down), with the points' running total kept in view.
    for dimension, (expectation, perception, importance) in {"reliability": (6, 5, 40), "schedule": (7, 2, 60)}.items():
        block = page.locator(f".cpmkit-dimension-{dimension}")
        choose(block.locator(".cpmkit-survey-choice").nth(0), expectation)
        choose(block.locator(".cpmkit-survey-choice").nth(1), perception)
        block.get_by_role("textbox").fill(str(importance))
    total = page.locator(".cpmkit-survey-total")
    expect(total).to_contain_text("Importance points given: 100 of 100")
    expect(total).to_be_in_viewport()
    choose(page.locator(".cpmkit-satisfaction"), 3)
    comment.fill("More demos, please.")
    no_sideways_scroll(page)
    shape = "phone" if size[0] < 600 else "laptop"
    assert_fits(customer, shape)  # also: no word broken mid-word, nothing cut short
    customer.assert_accessible()
    screenshot(customer, shape, "stakeholder_survey")
    text = app.inner_text()
    for internal in (r"gap", r"weight", r"estimate", r"\b97\b"):  # as words: a project's random name may hold "97"
        assert not re.search(internal, text.lower()), internal
    submit.click()
    expect(app).to_contain_text("Thank you. Your project manager sees your answers and will follow up")
    expect(submit).to_have_count(0)
    wait_until(
        lambda: gaps.survey_responses(project_id).get(acme, NO_RESPONSE)["submitted_at"] is not None,
        what="survey submitted",
    )
    assert gaps.survey_responses(project_id).get(acme, NO_RESPONSE)["comment"] == "More demos, please."
    no_sideways_scroll(page)

    # The same link again: the answers are there to change, and submitting again works.
    app = customer.reload()
    schedule = page.locator(".cpmkit-dimension-schedule")
    expect(schedule.get_by_role("radio", name="7 - very high").first).to_be_checked()
    expect(schedule.get_by_role("textbox")).to_have_value("60")
    expect(page.get_by_role("textbox", name=re.compile("Anything else"))).to_have_value("More demos, please.")
    choose(schedule.locator(".cpmkit-survey-choice").nth(1), 4)
    page.get_by_role("button", name="Submit my answers").click()
    expect(app).to_contain_text("Thank you.")

    def perceived() -> Any:
        figures = gaps.ratings(project_id).query("source == 'survey'").set_index("dimension")
        return figures.loc["schedule", "perception"]

    wait_until(lambda: perceived() == 4, what="changed answer saved")
    customer.assert_clean()
