"""Who sees what, in a real browser: an outsider, a participant holding one link, and a second
PM, each trying what the security audit tried (issue 10); and a closed page's kernel stops.

The PM ``pm`` (an admin, the ``web`` page) owns the project; ``pm2`` is another PM on the
same server; the participant holds only a pulse-survey link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.serving.page_access import IDENTITY_HEADER, Identity, encode_identity
from cpmkit.stakeholders.store import StakeholderStore

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PRIVATE = "Private note: renewal at risk"
UNDERNEATH = "Underneath: they want a weekly call with the sponsor"
SURVEY_COMMENT = "Survey comment: the budget worries us"
PULSE_COMMENT = "Pulse comment: the handover was rough"
LESSON = "Lesson: book the sponsor's time early"
#: Seconds within which a closed page's beacon has stopped its kernel (the shared server culls after 30).
BEACON_SECONDS = 10


def _owned_project(store: Store, owner: str, name: str) -> tuple[int, str]:
    """A project of ``owner`` with a stakeholder holding a private note, and its pulse link."""
    found = AccountStore(store).sign_in(owner, "browser tests only")
    assert found is not None
    project = store.create_project(name, owner=found[0])
    StakeholderStore(store).add_stakeholder(project, "Acme Corp", category="customer", expected_value=PRIVATE)
    pulses = PulseStore(store)
    round_id = pulses.create_round(project, "Pulse", dt.date(2026, 12, 1))
    return project, pulses.new_round_token(round_id)


def _project_with_feedback(store: Store, owner: str, name: str) -> tuple[int, list[str]]:
    """``_owned_project`` and what workbooks 3 and 4 show of it: a gap's note (the expectation
    underneath), the stakeholder's survey comment, a pulse comment, a lesson, the round's
    stakeholder links and a retrospective board with its facilitator link. Returns the project
    and every text and link secret that only ``owner`` may see."""
    project, round_token = _owned_project(store, owner, name)
    stakeholder = int(StakeholderStore(store).stakeholders(project)["id"].iloc[0])
    gaps, pulses = GapStore(store), PulseStore(store)
    gaps.save_note(stakeholder, "reliability", "underlying_expectation", UNDERNEATH)
    gaps.save_survey_comment(stakeholder, SURVEY_COMMENT)
    round_id = pulses.create_round(project, f"{name} pulse", dt.date(2026, 12, 2))
    response, _ = pulses.start_response(round_id, stakeholder_id=None, submitted_at=dt.datetime(2026, 12, 2, 9))
    pulses.save_answer(response, "comment", PULSE_COMMENT)
    LessonStore(store).add_lesson(project, what_happened=LESSON)
    board = RetroStore(store).create_board(project, f"{name} retro", "sailboat")
    secrets = [round_token, *pulses.new_stakeholder_links(round_id).values(), board["token"], board["facilitator_key"]]
    texts = [PRIVATE, UNDERNEATH, SURVEY_COMMENT, PULSE_COMMENT, LESSON, f"{name} pulse", f"{name} retro"]
    return project, texts + secrets


def test_an_outsider_on_a_phone_meets_the_sign_in_and_nothing_else(
    more_web: Any, server_store: Store, unique: Any
) -> None:
    project, _ = _owned_project(server_store, "pm", unique("Outsider"))
    outsider = more_web("outsider")
    outsider.page.set_viewport_size(PHONE)
    before = outsider.server.kernel_pids()
    for path in (
        "/voila/render/index.ipynb",
        f"/voila/render/01_stakeholder_value.ipynb?project={project}",
        "/voila/tree",
        "/",
        "/voila/render/02_soft_skills.ipynb",
    ):
        outsider.page.goto(outsider.server.base_url + path, wait_until="domcontentloaded")
        expect(outsider.page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert PRIVATE not in outsider.page.content()
    width = outsider.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the sign-in page scrolls sideways on a phone ({width} px)"
    outsider.screenshot("sign-in-phone", readme="sign_in_phone.png")
    outsider.page.goto(outsider.server.url("04_pulse_survey.ipynb", pulse="not-a-link"), wait_until="domcontentloaded")
    expect(outsider.page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert outsider.server.kernel_pids() <= before  # none of it started a kernel
    outsider.page.goto(outsider.server.base_url + "/login", wait_until="domcontentloaded")
    outsider.page.fill("input[name=username]", "pm")
    outsider.page.fill("input[name=password]", "not the password")
    outsider.page.get_by_role("button", name="Sign in").click()
    expect(outsider.page.get_by_role("alert")).to_have_text("Wrong username or password.")
    # Refusals answer 403/404 on purpose (the console notes them); nothing else may happen.
    assert outsider.blocked_requests == [] and outsider.dialogs == []


def test_a_participant_reaches_their_form_and_nothing_else(more_web: Any, server_store: Store, unique: Any) -> None:
    project, token = _owned_project(server_store, "pm", unique("Participant"))
    participant = more_web("participant")
    participant.page.set_viewport_size(PHONE)
    form = participant.open("04_pulse_survey.ipynb", pulse=token)
    expect(form).to_contain_text("pulse survey")
    assert "Acme Corp" not in form.inner_text()  # no list of names to answer as
    for notebook, query in (
        ("01_stakeholder_value.ipynb", {"project": project}),
        ("index.ipynb", {}),
        ("04_lessons_learned.ipynb", {"project": project, "pulse": token}),
    ):
        participant.page.goto(participant.server.url(notebook, **query), wait_until="domcontentloaded")
        expect(participant.page.get_by_role("heading", name="Sign in")).to_be_visible()
    participant.page.goto(
        participant.server.url("03_stakeholder_survey.ipynb", pulse=token), wait_until="domcontentloaded"
    )
    expect(participant.page.get_by_role("heading", name="This page opens from its link")).to_be_visible()
    assert participant.blocked_requests == [] and participant.dialogs == []


def test_a_second_pm_sees_only_their_own_projects(web: Any, more_web: Any, server_store: Store, unique: Any) -> None:
    name = unique("Shared name")
    project, _ = _owned_project(server_store, "pm", name)
    other = more_web("second-pm", sign_in="pm2")
    app = other.open("01_stakeholder_value.ipynb", project=project)  # the first PM's project, by number
    expect(app.locator(".cpmkit-project-bar select")).not_to_contain_text(name)
    assert PRIVATE not in other.page.content() and "Acme Corp" not in app.inner_text()
    app.get_by_placeholder("New project name").fill(name)  # the same name is free for another PM
    app.get_by_role("button", name="Create project").click()
    expect(app.locator(".cpmkit-project-bar select")).to_contain_text(name)
    other.assert_clean()
    mine = web.open("01_stakeholder_value.ipynb", project=project)  # the owner still has theirs, private note and all
    expect(mine.locator(".widget-select select option")).to_contain_text(["Acme Corp"])
    web.assert_clean()


def test_forged_identity_headers_give_nobody_another_pms_projects(
    more_web: Any, server_store: Store, unique: Any
) -> None:
    """The kernel learns who it works for from a header only the server sets: a copy sent by the
    browser (here claiming to be the admin ``pm``) is replaced, signed in or not."""
    project, _ = _owned_project(server_store, "pm", unique("Forged"))
    admin = AccountStore(server_store).sign_in("pm", "browser tests only")
    assert admin is not None
    forged = {IDENTITY_HEADER: encode_identity(Identity(admin[0], "forged-browser"))}
    outsider = more_web("forged-outsider", extra_http_headers=forged)
    outsider.page.goto(
        outsider.server.url("01_stakeholder_value.ipynb", project=project), wait_until="domcontentloaded"
    )
    expect(outsider.page.get_by_role("heading", name="Sign in")).to_be_visible()
    other = more_web("forged-second-pm", sign_in="pm2", extra_http_headers=forged)
    app = other.open("01_stakeholder_value.ipynb", project=project)
    expect(app.locator(".cpmkit-project-bar")).to_contain_text("pm2")
    assert PRIVATE not in other.page.content() and "Acme Corp" not in app.inner_text()


def test_a_second_pm_sees_nothing_of_another_pms_project_in_workbooks_3_and_4(
    web: Any, more_web: Any, server_store: Store, unique: Any
) -> None:
    name = unique("Feedback")
    project, private = _project_with_feedback(server_store, "pm", name)
    other = more_web("second-pm", sign_in="pm2")
    for workbook in ("03_expectation_gap.ipynb", "04_lessons_learned.ipynb"):
        app = other.open(workbook, project=project)  # the first PM's project, by number
        expect(app.locator(".cpmkit-project-bar select")).not_to_contain_text(name)
        shown = other.page.content()
        assert [text for text in private if text in shown] == [], workbook
    other.assert_clean()
    mine = web.open("04_lessons_learned.ipynb", project=project)  # the owner's page does show them
    expect(mine).to_contain_text(f"{name} pulse")
    mine.get_by_role("tab", name="Lessons register").click()
    expect(mine).to_contain_text(LESSON)
    web.assert_clean()


def test_a_closed_page_stops_its_kernel_at_once(
    more_web: Any, server_store: Store, unique: Any, wait_until: Any
) -> None:
    """Voila's shutdown beacon on tab close, refused before for want of an XSRF cookie
    (voila-dashboards/voila#1458), now stops the kernel: no waiting for the cull."""
    _, token = _owned_project(server_store, "pm", unique("Closing"))
    participant = more_web("closing")
    before = participant.server.kernel_pids()
    participant.open("04_pulse_survey.ipynb", pulse=token)
    opened = participant.server.kernel_pids() - before
    assert len(opened) == 1, opened
    participant.page.close(run_before_unload=True)
    wait_until(
        lambda: not (opened & participant.server.kernel_pids()),
        timeout=BEACON_SECONDS,
        what="the closed page's kernel to stop",
    )
