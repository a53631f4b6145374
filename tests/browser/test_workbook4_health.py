"""Workbook 4's team health check end to end, on one real Voila server: the PM creates a check
in the Retrospectives tab (anonymous, the default) beside an earlier one, and hands out its two
links; three members on phones (390x844) join at once and tap a colour, a trend and a note on
their cards, each saved as tapped and shown as saved; the facilitator on a laptop sees only
"N of M members have voted" while the check is open, even once all three have voted (figures
that moved with each vote would tell it); once the facilitator finishes it, everyone sees every
dimension's distribution, spread and trends, the notes as text and no names, and the PM's heat
map shows the two checks, with n in its tooltip. No request leaves localhost and no dialog opens.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from cpmkit.feedback.health.store import HealthStore
from tests.browser.test_workbook4_retro import LIVE_TIMEOUT_MS, start_opening

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCRIPT = "<script>alert(1)</script>"
#: (person, name, colour on pace, trend, note): what the members tap, in turn.
VOTES = [
    ("ana", "Ana Lima", "Green", "Better", "Demos every Friday help"),
    ("ben", "Ben Okafor", "Red", "Worse", SCRIPT),
    ("cy", "Cy Tan", "Green", "Same", None),
]


def join(web: Any, name: str) -> Locator:
    web.wait_ready()
    page: Page = web.page
    page.get_by_placeholder("Your name").fill(name)
    page.get_by_role("button", name="Join the board").click()
    board = page.locator(".cpmkit-health-board")
    expect(board.locator(".cpmkit-health-card")).to_have_count(8)
    return board


def earlier_check(health: HealthStore, project: int) -> None:
    """A check the team ran before, with three voters: the heat map's first column."""
    made = health.create_check(project, "Health check, February", "project_team")
    for number, colour in enumerate(("amber", "amber", "red")):
        member = health.retros.join(made["id"], f"Member {number}", "0123456789abcdef0123456789abcdef")
        for dimension in health.checks.checks["project_team"].dimension_ids:
            health.save(member, dimension, "colour", colour)
    health.retros.finish(made["id"], facilitator_key=made["facilitator_key"])


def test_three_members_vote_on_phones_and_the_facilitator_and_the_pm_see_the_results(
    web, more_web, server_store, unique
) -> None:
    health = HealthStore(server_store)
    project = server_store.create_project(unique("Health"))
    earlier_check(health, project)

    # The PM creates the check beside the retrospectives, anonymous by default, and copies its links.
    pm = web.page
    web.open("04_lessons_learned.ipynb", project=project)
    pm.get_by_role("tab", name="Retrospectives").click()
    new = pm.locator(".cpmkit-health-new")
    new.get_by_placeholder("e.g. Health check, March").fill("Health check, March")
    expect(new.get_by_role("radio", name=re.compile("Anonymous"))).to_be_checked()
    new.get_by_role("button", name=re.compile("Create health check")).click()
    expect(new).to_contain_text("Health check created")
    row = pm.locator(".cpmkit-retro-board-row").filter(has_text="Health check, March")
    expect(row).to_contain_text("Project team health check")
    links = row.locator("a.cpmkit-retro-link")
    expect(links).to_have_count(2)
    query = parse_qs(urlsplit(links.nth(1).get_attribute("href") or "").query)
    token, key = query["board"][0], query["facilitator"][0]

    # The facilitator (laptop) sees the count only; three members open the link on phones at once.
    people = {person: more_web(person, viewport=PHONE) for person, *_rest in VOTES}
    for person in people.values():
        start_opening(person, board=token)
    start_opening(web, board=token, facilitator=key)
    boards = {person: join(people[person], name) for person, name, *_rest in VOTES}
    web.wait_ready()
    fay = pm
    expect(fay.locator(".cpmkit-retro-role")).to_have_text("(you facilitate)")
    expect(fay.locator(".cpmkit-health-card")).to_have_count(0)  # the facilitator does not vote
    count = fay.locator(".cpmkit-health-count")
    expect(count).to_contain_text("0 of 3 members have voted", timeout=LIVE_TIMEOUT_MS)

    # A card fits the phone, with large buttons.
    card = boards["ana"].locator(".cpmkit-health-card-pace")
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    for colour in ("Green", "Amber", "Red"):
        button = card.get_by_role("button", name=colour, exact=True).bounding_box()
        assert button is not None and button["height"] >= 44 and button["width"] >= 80

    # Each member taps a colour, a trend and a note on pace, and a colour on teamwork, in turn.
    results = fay.locator(".cpmkit-health-result")
    for voted, (person, _name, colour, trend, note) in enumerate(VOTES, start=1):
        card = boards[person].locator(".cpmkit-health-card-pace")
        card.get_by_role("button", name=colour, exact=True).click()
        card.get_by_role("button", name=re.compile(trend)).click()
        expect(card.locator(".cpmkit-health-saved")).to_have_text(
            f"Saved: {colour.lower()} · getting {'the same' if trend == 'Same' else trend.lower()}"
        )
        if note is not None:
            card.locator("textarea").fill(note)
            card.locator("textarea").blur()
            expect(card.locator(".cpmkit-health-saved")).to_contain_text("a note")
        boards[person].locator(".cpmkit-health-card-teamwork").get_by_role("button", name="Amber").click()
        expect(count).to_contain_text(f"{voted} of 3 members have voted", timeout=LIVE_TIMEOUT_MS)
        # Open: nothing of the votes shows, not even one dimension, however many have voted.
        expect(results).to_have_count(0)
        expect(count).to_contain_text("Results show when you finish the check, if at least 3 have voted")
    people["ana"].screenshot("health-card", height=2400)
    people["ana"].assert_accessible()

    # The facilitator finishes it: the members' cards go, everyone's page shows the results.
    fay.get_by_role("button", name=re.compile("Finish the check")).click()
    fay.get_by_role("button", name="Finish", exact=True).click()
    for page in (fay, *(p.page for p in people.values())):
        expect(page.locator(".cpmkit-retro-closed[data-status='finished']")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(results).to_have_count(8, timeout=LIVE_TIMEOUT_MS)
    pace = fay.locator(".cpmkit-health-result[data-dimension='pace']")
    expect(pace.locator(".cpmkit-health-counts")).to_have_text("2 green, 0 amber, 1 red")
    expect(pace.locator(".cpmkit-health-spread")).to_have_text("split")
    expect(pace.locator(".cpmkit-health-trends")).to_have_text("Trend: 1 better · 1 same · 1 worse")
    expect(pace.locator(".cpmkit-health-notes li")).to_have_text([SCRIPT, "Demos every Friday help"])
    expect(pace.locator(".cpmkit-health-bar span")).to_have_count(2)
    teamwork = fay.locator(".cpmkit-health-result[data-dimension='teamwork']")
    expect(teamwork.locator(".cpmkit-health-spread")).to_have_text("agreed")
    expect(fay.locator(".cpmkit-health-results script")).to_have_count(0)
    for _person, name, *_rest in VOTES:  # anonymous: no names anywhere in the results
        expect(fay.locator(".cpmkit-health-results")).not_to_contain_text(name.split()[0])
    web.screenshot("health-results")
    web.assert_accessible()
    expect(boards["ben"].locator(".cpmkit-health-cards")).to_be_hidden()
    expect(boards["ben"].locator(".cpmkit-health-result")).to_have_count(8)
    saved = health.state(int(health.retros.board_for_token(token)["id"])).votes
    assert sorted(saved.loc[saved["dimension"] == "pace", "colour"]) == ["green", "green", "red"]

    # The PM's heat map shows both checks, with n in the tooltip.
    web.open("04_lessons_learned.ipynb", project=project)
    pm.get_by_role("tab", name="Retrospectives").click()
    chart = pm.locator(".cpmkit-health-history .cpmkit-chart svg.marks")
    expect(chart).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    for title in ("Health check, February", "Health check, March"):
        expect(chart.locator("text").filter(has_text=title)).to_have_count(1)
    expect(chart.locator(".mark-rect.role-mark path")).to_have_count(
        8 + 2
    )  # February's 8 dimensions, March's 2 voted on
    chart.locator(".mark-rect.role-mark path").first.hover()
    expect(pm.locator("#vg-tooltip-element")).to_contain_text("Votes (n)")
    web.screenshot("health-history", height=2400)

    for person in [web, *people.values()]:
        person.assert_clean()
