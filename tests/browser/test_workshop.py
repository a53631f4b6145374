"""Workbook 2 in a workshop, driven end to end: a trainer and four participants, each in their
own browser context, on one real Voila server.

The trainer creates a workshop on ``02_workshop_trainer.ipynb`` and opens its dashboard with
the key shown on the page; three participants join the "before" round from the link
``02_soft_skills.ipynb?code=<code>`` and answer every item by clicking the answer buttons,
one competency per step; the dashboard, refreshing by itself, keeps the cohort's figures
hidden while fewer than three have scores and shows them once the third finishes. A fourth
participant with a wrong code is told so and sees no question. Every context blocks and
records requests that leave localhost, dialogs and console errors, like the ``web`` fixture.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from cpmkit.soft_skills.bank import QuestionBank, default_bank
from cpmkit.soft_skills.scoring import cohort_distribution
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.workshop import HIDDEN

pytestmark = pytest.mark.browser

PARTICIPANT = "02_soft_skills.ipynb"
TRAINER = "02_workshop_trainer.ipynb"
ROUND = "before"
#: Never a join code: "1" is not in the codes' alphabet (no 0/O, 1/I/L).
WRONG_CODE = "ZZZ-111"
#: Each participant's usual answer; it moves by competency and item (see ``planned_answers``).
PEOPLE = {"Ana Lima": 4, "Ben Okafor": 3, "Chen Wei": 5}
#: How much each competency's answers move from a participant's usual one: a varied cohort.
COMPETENCY_SHIFT = (0, 1, -1, -2, 0, 1, -1, 0, -2, 1)
#: How long the dashboard may take to show a change (it refreshes every 3 s).
DASHBOARD_TIMEOUT_MS = 20_000


def start_opening(web: Any, notebook: str, **query: Any) -> None:
    """Navigate without waiting for the app, so several kernels start at the same time."""
    web.page.goto(web.server.url(notebook, **query), wait_until="commit")


# -- the participant's page ----------------------------------------------------------------------


def planned_answers(bank: QuestionBank, base: int) -> dict[str, int]:
    """``{item id: value}``: the usual answer, shifted per competency, one lower every other item."""
    low, high = bank.scale.low, bank.scale.high
    shift = {
        competency.id: COMPETENCY_SHIFT[i % len(COMPETENCY_SHIFT)] for i, competency in enumerate(bank.competencies)
    }
    return {item.id: min(high, max(low, base + shift[item.competency] - j % 2)) for j, item in enumerate(bank.items)}


def join(page: Page, name: str, workshop_name: str, code: str) -> None:
    """The start screen opened from the workshop link: the code is filled in and recognised."""
    start = page.locator(".cpmkit-start")
    expect(start.get_by_placeholder("e.g. K7P-2QX")).to_have_value(code)
    expect(start.locator(".cpmkit-message-ok")).to_have_text(f"Workshop: {workshop_name}")
    start.get_by_placeholder("leave blank to stay anonymous").fill(name)
    rounds = start.locator("select")
    expect(rounds).to_be_enabled()
    rounds.select_option(label=ROUND)
    start.get_by_role("button", name="Join the workshop").click()
    expect(page.locator(".cpmkit-questionnaire")).to_be_visible()
    expect(page.locator(".cpmkit-app")).to_contain_text(f"Workshop {workshop_name}, round {ROUND}.")


def answer_step(page: Page, bank: QuestionBank, step: int, answers: dict[str, int], answered_before: int) -> int:
    """On step ``step`` (0-based), click each item's answer and see the progress saved."""
    competency = bank.competencies[step]
    items = bank.items_for(competency.id)
    labels = dict(bank.scale.points)
    questionnaire = page.locator(".cpmkit-questionnaire")
    expect(questionnaire.locator("h3")).to_have_text(f"{competency.name} ({step + 1} of {len(bank.competencies)})")
    rows = questionnaire.locator(".cpmkit-item")
    expect(rows.locator("b")).to_have_text([item.text for item in items])  # this step's items, in order
    for row_number, item in enumerate(items):
        row = rows.nth(row_number)
        expect(row.locator("button")).to_have_text([label for _value, label in bank.scale.points])
        button = row.get_by_role("button", name=labels[answers[item.id]], exact=True)
        button.click()
        expect(button).to_have_class(re.compile(r"\bmod-active\b"))
    answered = answered_before + len(items)
    expect(questionnaire).to_contain_text(f"{answered} of {len(bank.items)} answered")  # the kernel saved them
    return answered


def next_step(page: Page, bank: QuestionBank, step: int) -> None:
    last = step == len(bank.competencies) - 1
    # Not exact: a button's accessible name starts with its icon's glyph.
    page.locator(".cpmkit-questionnaire").get_by_role("button", name="Next: my results" if last else "Next").click()


def complete_assessment(page: Page, bank: QuestionBank, answers: dict[str, int], *, screenshot: Any = None) -> None:
    """Answer every step through the UI, then go on to the results."""
    answered = 0
    for step in range(len(bank.competencies)):
        answered = answer_step(page, bank, step, answers, answered)
        if step == 0 and screenshot is not None:
            screenshot()
        next_step(page, bank, step)
    expect(page.locator(".cpmkit-results h3").first).to_have_text("My results")


# -- the trainer's page --------------------------------------------------------------------------


def counts_row(page: Page) -> Locator:
    return page.locator(".cpmkit-workshop-counts table tbody tr").filter(has=page.locator("td", has_text=ROUND))


def distribution(page: Page) -> Locator:
    """The dashboard's cohort table (the change table has no Median column)."""
    return page.locator(".cpmkit-workshop-dashboard table.cpmkit-table").filter(
        has=page.locator("th", has_text="Median")
    )


def column(table: Locator, heading: str) -> Locator:
    """The cells of the column headed ``heading`` (1-based CSS index from the header row)."""
    headings = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    return table.locator(f"tbody tr td:nth-child({headings.index(heading) + 1})")


def cohort_chart(page: Page) -> Locator:
    return page.locator('.cpmkit-workshop-dashboard .cpmkit-chart[data-drawn="true"]')


# -- the test ------------------------------------------------------------------------------------


def test_trainer_follows_three_participants_live_and_a_wrong_code_is_refused(
    web, more_web, server_store, unique
) -> None:
    bank = default_bank()
    assert len(bank.competencies) == 10 and len(bank.items) == 54
    assess = AssessmentStore(server_store)
    trainer = web.page
    names = list(PEOPLE)
    people = [more_web(f"participant{i + 1}") for i in range(len(names))]
    stranger = more_web("wrong-code")

    web.open(TRAINER)

    # The trainer creates the workshop through the UI: the code and the key are on the page.
    workshop_name = unique("Soft skills, March group")
    trainer.get_by_placeholder("e.g. Soft skills, March group").fill(workshop_name)
    rounds = trainer.locator(".widget-text").filter(has=trainer.locator("label", has_text="Rounds")).locator("input")
    expect(rounds).to_have_value("before, after")
    trainer.get_by_role("button", name="Create workshop").click()
    created = trainer.locator(".cpmkit-workshop-created")
    expect(created).to_contain_text(f"Workshop {workshop_name} is ready")
    code = created.locator(".cpmkit-join-code").inner_text().strip()
    key = created.locator(".cpmkit-trainer-key code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code), code
    assert len(key) >= 20, key
    workshop = assess.workshop_by_code(code)
    assert workshop["name"] == workshop_name and workshop["rounds"] == ["before", "after"] and workshop["is_open"]
    cohort = assess.trainer_workshop(workshop["id"], key)  # the key shown is the key
    assert cohort.workshop_id == workshop["id"]
    link = web.server.url(PARTICIPANT, code=code)  # absolute: on the address the trainer opened
    expect(created.get_by_role("link", name=link)).to_have_attribute("href", link)
    expect(created.get_by_role("link", name=web.server.url(TRAINER, workshop=workshop["id"]))).to_be_visible()

    # The participants open the link the trainer shows, meanwhile (their kernels start now).
    for person in people:
        start_opening(person, PARTICIPANT, code=code)

    # The trainer comes back with the number and the key, as after closing the page.
    trainer.get_by_role("tab", name="Open a workshop").click()
    opener = trainer.locator(".widget-tab-contents .widget-vbox").filter(
        has=trainer.get_by_role("button", name="Open dashboard")
    )
    expect(opener.locator("input[type=text]")).to_have_value(str(workshop["id"]))
    opener.locator("input[type=password]").fill(key)
    opener.get_by_role("button", name="Open dashboard").click()
    dashboard = trainer.locator(".cpmkit-workshop-dashboard")
    expect(dashboard.locator(".cpmkit-join-code")).to_have_text(code)
    expect(dashboard).to_contain_text("refreshes every 3 s")
    expect(dashboard.locator(".cpmkit-capacity")).to_have_text(
        re.compile(
            r"This server can take about \d+ more participants? now \(\d+ open pages? of a cap of \d+; [\d.]+ GB free\)\."
        )
    )
    expect(counts_row(trainer).locator("td")).to_have_text([ROUND, "0", "0", "0", ""])
    expect(trainer.get_by_text(key)).to_have_count(0)  # shown once: gone once the trainer moved on
    expect(opener.locator("input[type=password]")).to_have_value("")

    # The wrong code, typed at the room's short address or carried by a link: a plain answer
    # from the server, no kernel started and so no question to answer.
    before = stranger.server.kernel_pids()
    stranger.page.goto(stranger.server.base_url + "/join", wait_until="domcontentloaded")
    stranger.page.fill("input[name=code]", WRONG_CODE)
    stranger.page.get_by_role("button", name="Join").click()
    expect(stranger.page.get_by_role("alert")).to_have_text(
        "No workshop has the code 'ZZZ111'. Check the code with your trainer."
    )
    stranger.page.goto(stranger.server.url(PARTICIPANT, code=WRONG_CODE), wait_until="domcontentloaded")
    expect(stranger.page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert stranger.server.kernel_pids() <= before
    assert "Traceback" not in stranger.page.content()

    # All three join the "before" round.
    for person, name in zip(people, names):
        person.wait_ready()
        join(person.page, name, workshop_name, code)
    expect(counts_row(trainer).locator("td")).to_have_text(
        [ROUND, "3", "0", "3", f"{names[0]}, {names[1]} and {names[2]}"], timeout=DASHBOARD_TIMEOUT_MS
    )

    # The first two answer everything, step by step.
    plans = [planned_answers(bank, PEOPLE[name]) for name in names]
    complete_assessment(
        people[0].page,
        bank,
        plans[0],
        screenshot=lambda: people[0].screenshot("question-step", readme="02_soft_skills.png"),
    )
    complete_assessment(people[1].page, bank, plans[1])

    # Two have scores: the dashboard counts them but shows no figure, for any competency.
    expect(counts_row(trainer).locator("td")).to_have_text(
        [ROUND, "3", "2", "1", names[2]], timeout=DASHBOARD_TIMEOUT_MS
    )
    table = distribution(trainer)
    expect(column(table, "Note")).to_have_text([HIDDEN] * len(bank.competencies))
    expect(column(table, "Participants")).to_have_text([""] * len(bank.competencies))
    expect(cohort_chart(trainer)).to_have_count(0)
    expect(dashboard).to_contain_text("No figure is shown for a group of fewer than 3 participants")

    # The third finishes: the figures appear by themselves.
    complete_assessment(people[2].page, bank, plans[2])
    expect(counts_row(trainer).locator("td")).to_have_text([ROUND, "3", "3", "0", ""], timeout=DASHBOARD_TIMEOUT_MS)
    expect(column(table, "Note")).to_have_text([""] * len(bank.competencies), timeout=DASHBOARD_TIMEOUT_MS)
    expect(column(table, "Participants")).to_have_text(["3"] * len(bank.competencies))
    expected = cohort_distribution(bank, dict(zip(names, plans)))
    expect(column(table, "Competency")).to_have_text(list(expected["name"]))
    means = [float(text) for text in column(table, "Mean").all_inner_texts()]
    assert means == pytest.approx(list(expected["mean"]), abs=0.005)
    chart = cohort_chart(trainer).filter(has=trainer.locator("svg.marks text", has_text="Cohort: spread of scores"))
    expect(chart).to_have_count(1)
    expect(chart.locator("svg.marks")).to_be_visible()
    web.screenshot("dashboard", readme="02_workshop_trainer.png")
    web.assert_accessible()  # the dashboard's table, chart and room view, as filled by the cohort

    # The store holds what was clicked: every answer, three completions, nobody else.
    joined = {name: None for name in names}
    for participant_id in cohort.cohort(ROUND):
        person = assess.participant(participant_id)
        assert person["completed_at"] is not None, person
        joined[person["display_name"]] = assess.answers(participant_id)
    assert joined == dict(zip(names, plans))
    assert cohort.cohort_status() == {
        "before": {"joined": 3, "completed": 3},
        "after": {"joined": 0, "completed": 0},
    }

    for page in [web, *people]:
        page.assert_clean()
    assert stranger.blocked_requests == [] and stranger.dialogs == []  # its refusals answer 404 on purpose
