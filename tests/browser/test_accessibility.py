"""Every page passes axe-core, at phone (390x844) and laptop (1366x768) size, with 0 serious or
critical violations: the PM's pages with each of their tabs, the participants' pages, and the
server's own sign-in and bad-link pages. Each page opens once, with a project that holds data
to show, and is checked at both sizes.

Rating scales (the self-assessment's and the pulse survey's) also say which choice is pressed
and what they ask; the stakeholder survey's anchors are one radio group per question.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.accounts.store import AccountStore
from cpmkit.core.content import notebook_file
from cpmkit.db.database import Store
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.soft_skills.bank import DEFAULT_BANK, default_bank
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.stakeholders.store import StakeholderStore

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
#: How long a tab's content may take to draw (a chart's first draw imports Altair in the kernel).
TAB_SETTLE_MS = 1500


def _project(store: Store, unique: Callable[[str], str]) -> int:
    """A project of the PM ``pm`` with something in every workbook: a stakeholder, ratings of the
    dimensions, a pulse round, a retrospective board and a lesson."""
    owner = AccountStore(store).sign_in("pm", PASSWORD)
    assert owner is not None
    project = store.create_project(unique("Accessible"), owner=owner[0])
    stakeholder = StakeholderStore(store).add_stakeholder(
        project, "Acme Corp", category="customer", expected_value="Faster releases"
    )
    GapStore(store).new_survey_token(stakeholder)
    PulseStore(store).create_round(project, "December pulse", dt.date(2026, 12, 1))
    RetroStore(store).create_board(project, "Sprint 9", "sailboat", 3)
    LessonStore(store).add_lesson(project, what_happened="Weekly demos caught misunderstandings early")
    return project


def _owned(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    return {"project": _project(store, unique)}


def _nothing(_store: Store, _unique: Callable[[str], str]) -> dict[str, Any]:
    return {}


def _self_assessment(store: Store, unique: Callable[[str], str], *, answered: bool) -> dict[str, Any]:
    person = AssessmentStore(store).start_self_assessment(unique("Ana"))
    if answered:
        bank = default_bank()
        for n, item in enumerate(bank.items):
            AssessmentStore(store).save_answer(int(person["id"]), item.id, bank.scale.low + n % 5)
    return {"token": person["token"]}


def _join(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    _id, code, _key = AssessmentStore(store).create_workshop(unique("Workshop"), bank=DEFAULT_BANK, rounds=["before"])
    return {"code": code}


def _rater(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    rated = AssessmentStore(store).start_self_assessment(unique("Ben"))
    return {"rate": AssessmentStore(store).create_peer_link(int(rated["id"]))}


def _pulse(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    pulses = PulseStore(store)
    return {
        "pulse": pulses.new_round_token(
            pulses.create_round(store.create_project(unique("Pulse")), "Pulse", dt.date(2026, 12, 1))
        )
    }


def _board(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    made = RetroStore(store).create_board(store.create_project(unique("Retro")), "Sprint 9", "sailboat", 3)
    return {"board": made["token"]}


def _survey(store: Store, unique: Callable[[str], str]) -> dict[str, Any]:
    project = store.create_project(unique("Survey"))
    return {"survey": GapStore(store).new_survey_token(StakeholderStore(store).add_stakeholder(project, "Acme Corp"))}


#: page id -> (notebook, who signs in (None: a participant holding a link), the query it opens with).
PAGES: dict[str, tuple[str, str | None, Callable[[Store, Callable[[str], str]], dict[str, Any]]]] = {
    "projects": ("index.ipynb", "pm", lambda s, u: {"project": _project(s, u)}),  # the cockpit, which has no tabs
    "stakeholder_value": ("01_stakeholder_value.ipynb", "pm", _owned),
    "workshop_trainer": ("02_workshop_trainer.ipynb", "pm", _nothing),
    "expectation_gap": ("03_expectation_gap.ipynb", "pm", _owned),
    "lessons_learned": ("04_lessons_learned.ipynb", "pm", _owned),
    "self_assessment_join": ("02_soft_skills.ipynb", None, _join),
    "self_assessment": ("02_soft_skills.ipynb", None, lambda s, u: _self_assessment(s, u, answered=False)),
    "self_assessment_results": ("02_soft_skills.ipynb", None, lambda s, u: _self_assessment(s, u, answered=True)),
    "peer_rating": ("02_soft_skills.ipynb", None, _rater),
    "pulse_survey": ("04_pulse_survey.ipynb", None, _pulse),
    "retro_board": ("04_retro_board.ipynb", None, _board),
    "stakeholder_survey": ("03_stakeholder_survey.ipynb", None, _survey),
}


def _tabs(web: Any) -> list[str]:
    """The labels of the page's tabs, outer and inner, that are on screen now."""
    tabs = web.page.locator(".lm-TabBar-tab:visible")
    return [tabs.nth(i).inner_text() for i in range(tabs.count())]


def _check_every_tab(web: Any) -> list[str]:
    """axe on the page as it opened, then on each tab in turn (new inner tabs included)."""
    web.assert_accessible()
    seen: list[str] = []
    while unseen := [label for label in _tabs(web) if label not in seen]:
        seen.append(unseen[0])
        web.page.locator(".lm-TabBar-tab:visible").filter(has_text=re.compile(f"^{re.escape(unseen[0])}$")).click()
        web.page.wait_for_timeout(TAB_SETTLE_MS)
        web.assert_accessible()
    return seen


@pytest.mark.parametrize("page", PAGES)
def test_every_page_passes_axe_at_phone_and_laptop_size(page, more_web, server_store, unique) -> None:
    notebook, owner, query = PAGES[page]
    web = more_web(page, sign_in=owner, viewport=SIZES["laptop"])
    web.open(notebook, **query(server_store, unique))
    tabs = {size: (web.page.set_viewport_size(viewport), _check_every_tab(web))[1] for size, viewport in SIZES.items()}
    assert tabs["phone"] == tabs["laptop"]
    if query is _owned:
        assert tabs["laptop"], f"{notebook} shows no tabs: the check saw only its first view"
    web.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_the_servers_own_pages_pass_axe(size, more_web) -> None:
    outsider = more_web(f"outsider-{size}", viewport=SIZES[size])
    outsider.page.goto(outsider.server.base_url + "/login", wait_until="domcontentloaded")
    expect(outsider.page.get_by_role("heading", name="Sign in")).to_be_visible()
    outsider.assert_accessible()
    outsider.page.goto(outsider.server.url(notebook_file("pulse_survey"), pulse="not-a-link"))
    expect(outsider.page.get_by_role("heading", name="This link does not work")).to_be_visible()
    outsider.assert_accessible()


def test_rating_scales_say_what_they_ask_and_which_choice_is_pressed(more_web, server_store, unique) -> None:
    bank = default_bank()
    assessing = more_web("self-assessment", viewport=SIZES["phone"])
    assessing.open("02_soft_skills.ipynb", **_self_assessment(server_store, unique, answered=False))
    item = bank.items[0]
    scale = assessing.page.get_by_role("group", name=item.text, exact=True)
    low, high = bank.scale.points[0][1], bank.scale.points[-1][1]
    expect(scale.get_by_role("button", name=low, exact=True)).to_have_attribute("aria-pressed", "false")
    scale.get_by_role("button", name=high, exact=True).click()
    expect(scale.get_by_role("button", name=high, exact=True)).to_have_attribute("aria-pressed", "true")
    expect(scale.get_by_role("button", pressed=True)).to_have_count(1)

    answering = more_web("pulse", viewport=SIZES["phone"])
    form = answering.open("04_pulse_survey.ipynb", **_pulse(server_store, unique))
    score = form.locator(".cpmkit-scale-row [role=group]")
    expect(score).to_have_attribute("aria-labelledby", re.compile(r".+"))
    score.get_by_role("button", name="8", exact=True).click()
    expect(score.get_by_role("button", pressed=True)).to_have_text("8")

    responding = more_web("survey", viewport=SIZES["phone"])
    survey = responding.open("03_stakeholder_survey.ipynb", **_survey(server_store, unique))
    groups = survey.get_by_role("radiogroup")
    expect(groups.first).to_be_visible()
    for i in range(groups.count()):
        group = groups.nth(i)
        assert group.get_attribute("aria-labelledby"), f"radio group {i} has no name"
        names = {radio.get_attribute("name") for radio in group.get_by_role("radio").all()}
        assert len(names) == 1 and None not in names, f"radio group {i}'s choices are not one group: {names}"
