"""Workbook 2: a participant never loses their place. A participant joins a workshop from its
link, answers two questions and reloads the page (as a phone does on switching apps): the
same browser resumes the same participant at the same step with both answers, and the
trainer's dashboard still counts one person joined. On a phone, the same browser takes the
"before" round, then the "after" round its results offer, and sees its own change."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.scoring import own_change_rows
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.ui.assessment import WELCOME_BACK
from cpmkit.soft_skills.workshop import round_pairs
from tests.browser.test_phones import SIZES, assert_fits
from tests.browser.test_workshop import (
    PARTICIPANT,
    ROUND,
    TRAINER,
    answer_step,
    counts_row,
    join,
    next_step,
    planned_answers,
)

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


def _answer_all_but_the_last_step(assess: AssessmentStore, participant_id: int, answers: dict[str, int]) -> int:
    """Save every answer but the last competency's, as if given earlier on the page; how many."""
    bank = default_bank()
    last = {item.id for item in bank.items_for(bank.competencies[-1].id)}
    for item_id, value in answers.items():
        if item_id not in last:
            assess.save_answer(participant_id, item_id, value)
    return len(answers) - len(last)


def _finish_on_the_page(person: Any, answers: dict[str, int], answered: int) -> None:
    """Reload (the browser resumes its latest round at its first unanswered step), answer the
    last step by clicking, and go on to the results."""
    bank = default_bank()
    person.reload()
    last = len(bank.competencies) - 1
    answer_step(person.page, bank, last, answers, answered)
    next_step(person.page, bank, last)
    expect(person.page.locator(".cpmkit-results h3").first).to_have_text("My results")


def test_on_a_phone_the_same_browser_takes_before_and_after_and_sees_its_own_change(
    more_web, server_store, unique
) -> None:
    bank = default_bank()
    assess = AssessmentStore(server_store)
    name = unique("Pairs group")
    workshop_id, code, key = assess.create_workshop(name, bank="soft_skills", rounds=["before", "after"])
    trainer = assess.trainer_workshop(workshop_id, key)
    person = more_web("phone", viewport=SIZES["phone"])
    page = person.page
    first, then = planned_answers(bank, 2), planned_answers(bank, 4)

    person.open(PARTICIPANT, code=code)
    join(page, "", name, code)  # anonymous: the browser is what pairs the rounds
    (before_id,) = trainer.cohort("before")
    _finish_on_the_page(person, first, _answer_all_but_the_last_step(assess, before_id, first))
    expect(page.locator(".cpmkit-own-change table")).to_have_count(0)  # a first round: nothing to compare

    offer = page.locator(".cpmkit-next-round")
    expect(offer.get_by_role("button", name="Take the round 'after'")).to_be_visible()
    assert_fits(person, "phone")  # the offer too: in the window, a thumb's height
    person.assert_accessible()
    offer.get_by_role("button", name="Take the round 'after'").click()
    expect(page.locator(".cpmkit-questionnaire")).to_be_visible()
    expect(page.locator(".cpmkit-app")).to_contain_text(f"Workshop {name}, round after.")
    (after_id,) = trainer.cohort("after")
    _finish_on_the_page(person, then, _answer_all_but_the_last_step(assess, after_id, then))

    change = page.locator(".cpmkit-own-change")
    expect(change.locator("h3")).to_have_text("My change since the round 'before'")
    expected = own_change_rows(bank, first, then)
    expect(change.locator("tbody tr td:nth-child(1)")).to_have_text([row["name"] for row in expected])
    expect(change.locator("tbody tr td:nth-child(4)")).to_have_text([f"{row['change']:+.2f}" for row in expected])
    expect(offer.get_by_role("button")).to_have_count(0)  # no round after the last
    change.scroll_into_view_if_needed()
    person.screenshot("own-change")
    assert_fits(person, "phone")
    assert round_pairs(trainer.people(), before="before", after="after") == [(before_id, after_id)]
    person.assert_clean()
