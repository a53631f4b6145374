"""Every PM page opens with a header (home, the workbooks, the page and its project, the
project switch) and a tab title saying what the page is; a participant's page carries a plain
header linking nowhere; a page's introduction folds away after the first visit; a PM page uses
a laptop's width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_phones import assert_fits
from tests.browser.test_workbook3 import SURVEY, gap_store

pytestmark = pytest.mark.browser

STAKEHOLDERS = "01_stakeholder_value.ipynb"
GAP = "03_expectation_gap.ipynb"
LAPTOP = {"width": 1366, "height": 900}


def test_the_header_links_the_workbooks_keeping_the_project_and_switches_it(web, server_store, unique) -> None:
    first, second = unique("Harbour Bridge Refit"), unique("Canal Dredge")
    first_id, second_id = server_store.create_project(first), server_store.create_project(second)
    page = web.page
    page.set_viewport_size(LAPTOP)
    web.open(STAKEHOLDERS, project=first_id)
    expect(page).to_have_title(f"Stakeholder value · {first}")
    nav = page.get_by_role("navigation", name="Workbooks")
    expect(nav.get_by_role("link", name="Stakeholder value")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("href", f"index.ipynb?project={first_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Stakeholder value {first}")
    # The work uses the laptop's width (no longer capped at 1100 px).
    assert page.locator(".cpmkit-app").bounding_box()["width"] > 1200
    web.assert_accessible()

    nav.get_by_role("link", name="Expectation gap").click()
    web.wait_ready()
    expect(page).to_have_url(re.compile(rf"{re.escape(GAP)}\?project={first_id}$"))
    expect(page).to_have_title(f"Expectation gap · {first}")

    page.locator(".cpmkit-page-header select").select_option(label=second)
    expect(page).to_have_title(f"Expectation gap · {second}")
    expect(nav.get_by_role("link", name="Lessons learned")).to_have_attribute(
        "href", f"04_lessons_learned.ipynb?project={second_id}"
    )
    web.assert_clean()


def test_the_introduction_folds_after_the_first_visit_and_opens_on_request(web, server_store, unique) -> None:
    server_store.create_project(unique("Intro project"))
    page = web.page
    page.set_viewport_size(LAPTOP)
    intro = page.locator(".cpmkit-intro-body").get_by_text("Where does what each stakeholder")
    web.open(GAP)
    expect(intro).to_be_visible()
    expect(page.locator(".celltag_cpmkit-intro")).to_be_hidden()  # the header shows it; the notebook's cell not as well
    web.assert_accessible()

    web.reload()
    toggle = page.locator("details.cpmkit-intro > summary")
    expect(toggle).to_have_text("How this works")
    expect(intro).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(intro).to_be_visible()
    web.assert_clean()


def test_a_participant_page_has_a_plain_header_naming_it_on_a_phone(
    more_web, server_store, server_stakeholders, unique
) -> None:
    name = unique("Bridge <Refit>")
    project_id = server_store.create_project(name)
    acme = server_stakeholders.add_stakeholder(project_id, "Acme", category="customer")
    gaps = gap_store(server_store)
    gaps.choose_dimensions(project_id, ["reliability"])
    gaps.save_rating(acme, "reliability", source="estimate", assessed_on=dt.date.today(), field="expectation", value=3)
    respondent = more_web("stakeholder", viewport={"width": 390, "height": 844})
    page = respondent.page
    respondent.open(SURVEY, survey=gaps.new_survey_token(acme))
    header = page.locator(".cpmkit-participant-header")
    expect(header).to_contain_text(f"{name}: how is the project doing for you?")
    expect(page).to_have_title(f"Stakeholder survey · {name}")
    expect(page.get_by_role("link")).to_have_count(0)  # the link grants this form only: nothing leads elsewhere
    expect(page.locator("details.cpmkit-intro")).to_have_count(0)
    assert_fits(respondent, "phone")
    respondent.assert_accessible()
    respondent.assert_clean()
