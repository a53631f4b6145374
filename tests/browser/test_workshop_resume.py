"""Workbook 2: a participant never loses their place. A participant joins a workshop from its
link, answers two questions and reloads the page (as a phone does on switching apps): the
same browser resumes the same participant at the same step with both answers, and the
trainer's dashboard still counts one person joined."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.ui.assessment import WELCOME_BACK
from tests.browser.test_workshop import PARTICIPANT, ROUND, TRAINER, counts_row, join

pytestmark = pytest.mark.browser


def test_a_reload_resumes_the_participant_and_the_trainer_counts_one(web, more_web, server_store, unique) -> None:
    bank = default_bank()
    assess = AssessmentStore(server_store)
    name = unique("Resume group")
    workshop_id, code, key = assess.create_workshop(name, bank="soft_skills", rounds=["before", "after"])
    person = more_web("participant")
    page = person.page

    person.open(PARTICIPANT, code=code)
    join(page, "Dana Reload", name, code)
    first = bank.competencies[0]
    items = bank.items_for(first.id)[:2]
    labels = dict(bank.scale.points)
    rows = page.locator(".cpmkit-questionnaire .cpmkit-item")
    for row_number, value in enumerate((4, 2)):
        button = rows.nth(row_number).get_by_role("button", name=labels[value], exact=True)
        button.click()
        expect(button).to_have_class(re.compile(r"\bmod-active\b"))
    expect(page.locator(".cpmkit-questionnaire")).to_contain_text(f"2 of {len(bank.items)} answered")

    person.reload()  # a new kernel: only the browser's key tells who this is
    questionnaire = page.locator(".cpmkit-questionnaire")
    expect(questionnaire).to_be_visible()
    expect(page.locator(".cpmkit-start")).to_have_count(0)
    expect(page.locator(".cpmkit-app")).to_contain_text(WELCOME_BACK)
    expect(page.locator(".cpmkit-app")).to_contain_text(f"Workshop {name}, round {ROUND}.")
    expect(questionnaire.locator("h3")).to_have_text(f"{first.name} (1 of {len(bank.competencies)})")
    expect(questionnaire).to_contain_text(f"2 of {len(bank.items)} answered")
    for row_number, value in enumerate((4, 2)):
        expect(rows.nth(row_number).get_by_role("button", name=labels[value], exact=True)).to_have_class(
            re.compile(r"\bmod-active\b")
        )
    # The link to continue on another device: made on request, as the first was shown only once.
    expect(page.locator(".cpmkit-app")).to_contain_text("continue on another device")
    page.locator(".cpmkit-link-once").get_by_role("button", name="New link").click()
    page.get_by_role("button", name="Make a new link").click()
    expect(page.locator(".cpmkit-link-once a")).to_have_attribute("href", re.compile(r"\?token="))

    joined = list(assess.trainer_workshop(workshop_id, key).cohort("before"))
    assert len(joined) == 1 and assess.answers(joined[0]) == {item.id: v for item, v in zip(items, (4, 2))}

    trainer = web.page
    web.open(TRAINER, workshop=workshop_id)
    opener = trainer.locator(".widget-tab-contents .widget-vbox").filter(
        has=trainer.get_by_role("button", name="Open dashboard")
    )
    opener.locator("input[type=password]").fill(key)
    opener.get_by_role("button", name="Open dashboard").click()
    expect(counts_row(trainer).locator("td")).to_have_text(
        [ROUND, "1", "0", "1", "Dana Reload"]
    )  # one person, named once
