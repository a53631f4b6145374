"""Workbook 3 (expectation gap) end to end: a stakeholder fills their survey in one browser
context while the PM works in another, on one real Voila server.

The PM sets the scope, schedule and budget lights; the key customer answers the survey link
(expectation, perception and importance per dimension, then satisfaction 2 of 5); the PM's
gap list shows the gaps in the order computed by hand below, and the status report turns
every light red because the key customer is dissatisfied. No request leaves localhost.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from cpmkit.gap.store import GapStore
from cpmkit.gap.template import load_gap_template

pytestmark = pytest.mark.browser

WORKBOOK = "03_expectation_gap.ipynb"
SURVEY = "03_stakeholder_survey.ipynb"
DIMENSIONS = ["reliability", "schedule", "communication"]
#: The key customer's own answers: dimension -> (expectation, perception, importance points).
ACME = {"reliability": (6, 5, 30), "schedule": (7, 3, 50), "communication": (5, 4, 20)}
#: The gap list by hand. Weighted gap = (perception - expectation) x importance / 100:
#:   Acme schedule        (3 - 7) x 50/100 = -2.0
#:   Bea reliability      (2 - 4) x 100/100 = -2.0   tie: Acme's raw gap -4 is worse than -2
#:   Acme reliability     (5 - 6) x 30/100 = -0.3
#:   Acme communication   (4 - 5) x 20/100 = -0.2
EXPECTED_ORDER = [
    ("Acme", "Schedule", "-2.0"),
    ("Bea", "Reliability", "-2.0"),
    ("Acme", "Reliability", "-0.3"),
    ("Acme", "Communication", "-0.2"),
]


def gap_store(store: Any) -> GapStore:
    t = load_gap_template()
    return GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)


def open_tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title).click()
    expect(page.get_by_role("tab", name=title)).to_have_attribute("aria-selected", "true")


def set_light(page: Page, area: str, colour: str) -> None:
    """Press the ``colour`` button of the ``area`` light on the status report."""
    box = page.locator(".cpmkit-status-report .widget-vbox").filter(has=page.locator(f"b:text-is('{area}')")).last
    button = box.get_by_role("button", name=colour, exact=True)
    button.click()
    expect(button).to_have_class(re.compile(r"\bmod-active\b"))


def choose(choices: Locator, value: int) -> None:
    """Pick ``value`` among anchored radio buttons ("3 - somewhat low")."""
    radio = choices.get_by_role("radio", name=re.compile(rf"^{value} - "))
    radio.check()
    expect(radio).to_be_checked()


def answer(page: Page, dimension: str, expectation: int, perception: int, importance: int) -> None:
    """Answer one dimension of the survey form."""
    block = page.locator(f".cpmkit-dimension-{dimension}")
    choose(block.locator(".cpmkit-survey-choice").nth(0), expectation)
    choose(block.locator(".cpmkit-survey-choice").nth(1), perception)
    points = block.get_by_role("textbox")
    points.fill(str(importance))
    points.press("Enter")


def gap_rows(page: Page) -> Locator:
    return page.locator(".cpmkit-gap-list table").first.locator("tbody tr")


def test_a_stakeholder_survey_reaches_the_pm_and_turns_every_light_red(
    web, more_web, server_store, server_stakeholders, unique, wait_until
) -> None:
    project_id = server_store.create_project(unique("Gap project"))
    acme = server_stakeholders.add_stakeholder(project_id, "Acme", category="customer", power=5)
    bea = server_stakeholders.add_stakeholder(project_id, "Bea", category="team", power=2)
    gaps = gap_store(server_store)
    gaps.choose_dimensions(project_id, DIMENSIONS)
    for name, value in (("expectation", 4), ("perception", 2), ("importance", 100)):
        gaps.save_rating(bea, "reliability", source="estimate", assessed_on=dt.date.today(), field=name, value=value)
    token = gaps.new_survey_token(acme)

    # The PM opens the workbook and sets the usual lights: nothing is red yet.
    pm = web.page
    web.open(WORKBOOK, project=project_id)
    open_tab(pm, "Status report")
    for area, colour in (("Scope", "green"), ("Schedule", "green"), ("Budget", "amber")):
        set_light(pm, area, colour)
    board = pm.locator(".cpmkit-lights")
    expect(board).to_contain_text("Budget: amber")
    expect(pm.locator(".cpmkit-all-red")).to_have_count(0)
    wait_until(
        lambda: gaps.lights(project_id) == {"scope": "green", "schedule": "green", "budget": "amber"},
        what="lights saved",
    )

    # The key customer answers their survey link in another browser.
    customer = more_web("stakeholder")
    customer.open(SURVEY, survey=token)
    form = customer.page
    expect(form.locator(".cpmkit-app")).to_contain_text("For Acme")
    for dimension, (expectation, perception, importance) in ACME.items():
        answer(form, dimension, expectation, perception, importance)
    expect(form.locator(".cpmkit-app")).to_contain_text("Importance points given: 100 of 100")
    choose(form.locator(".cpmkit-satisfaction"), 2)
    wait_until(
        lambda: len(gaps.ratings(project_id)) == 4 and len(gaps.satisfaction(project_id)) == 1, what="survey saved"
    )
    customer.screenshot(readme="03_stakeholder_survey.png")

    # The PM sees the figures and the gaps, worst first, as computed by hand.
    open_tab(pm, "Gap list")
    rows = gap_rows(pm)
    expect(rows).to_have_count(len(EXPECTED_ORDER))
    for i, (who, dimension, weighted) in enumerate(EXPECTED_ORDER):
        cells = rows.nth(i).locator("td")
        expect(cells.nth(1)).to_have_text(who)
        expect(cells.nth(2)).to_have_text(dimension)
        expect(cells.nth(7)).to_have_text(weighted)

    # Acme is a key customer at satisfaction 2 of 5: every light is red, and the report says why.
    open_tab(pm, "Status report")
    expect(pm.locator(".cpmkit-all-red")).to_contain_text("Acme")
    for area in ("Scope", "Schedule", "Budget", "Customer satisfaction"):
        expect(board).to_contain_text(f"{area}: red")
    expect(board.locator(".cpmkit-light-red")).to_have_count(4)
    web.screenshot(readme="03_expectation_gap.png")
    web.assert_clean()
    customer.assert_clean()
