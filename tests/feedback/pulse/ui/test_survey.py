"""The respondent's pulse survey: a link opens it, answers are saved as given (the response is
started at the first answer, dated now); the round's link is anonymous, one response per
browser; a stakeholder's own link answers as them; dead or closed links explain."""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pytest

from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.feedback.pulse.ui.survey import THANKS, WELCOME_BACK, PulseSurveyApp, respondent_key
from cpmkit.stakeholders.store import StakeholderStore

NOW = dt.datetime(2026, 11, 25, 14, 30)


@pytest.fixture
def link(store: Store, stakeholder_store: StakeholderStore, pulses: PulseStore) -> tuple[int, str]:
    project_id = store.create_project("Apollo <One>")
    stakeholder_store.add_stakeholder(project_id, "Acme <Corp>", category="customer")
    round_id = pulses.create_round(project_id, "November", dt.date(2026, 11, 1))
    return project_id, pulses.new_round_token(round_id)


def form(store: Store, query: str, *, browser: str | None = None) -> PulseSurveyApp:
    return PulseSurveyApp(store, query=query, browser=browser, now=lambda: NOW)


def test_the_form_asks_every_question_of_the_template(store: Store, link: tuple[int, str]) -> None:
    survey = form(store, f"pulse={link[1]}")
    assert list(survey.controls) == [q.id for q in pulse_survey().questions]
    assert isinstance(survey.controls["recommend"], W.ToggleButtons)
    assert list(survey.controls["recommend"].options) == [(str(v), v) for v in range(11)]
    assert isinstance(survey.controls["progress"], W.RadioButtons)
    assert survey.controls["progress"].options[0] == ("1 - Not at all", 1)
    assert isinstance(survey.controls["comment"], W.Textarea) and not survey.controls["comment"].continuous_update
    assert "Apollo &lt;One&gt;" in survey.heading.value and pulse_survey().intro[:20] in survey.heading.value
    assert "Acme" not in repr(survey.widget.children)  # no list of names to answer as (issue 10, finding 3)
    assert "cpmkit-ready" in survey.widget._dom_classes


def test_answers_are_saved_as_given_and_anonymous(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    survey = form(store, f"pulse={token}")
    survey.controls["comment"].value = "   "  # nothing given: no response yet
    assert pulses.responses(project_id).empty
    survey.controls["recommend"].value = 9
    survey.controls["progress"].value = 4
    survey.controls["comment"].value = "<script>alert(1)</script>"
    assert THANKS in survey.status.value
    saved = pulses.responses(project_id)
    assert len(saved) == 1
    row = saved.iloc[0]
    assert (row["recommend"], row["progress"], row["comment"], row["source"]) == (
        9,
        4,
        "<script>alert(1)</script>",
        "form",
    )
    assert row["submitted_at"].to_pydatetime() == NOW and row["stakeholder"] is None
    survey.controls["comment"].value = ""
    assert pulses.responses(project_id).iloc[0]["comment"] is None


def test_a_stakeholders_own_link_answers_as_them_from_any_device(
    store: Store, pulses: PulseStore, link: tuple[int, str]
) -> None:
    project_id, _ = link
    round_id = int(pulses.rounds(project_id)["id"][0])
    own = pulses.new_stakeholder_links(round_id)["Acme <Corp>"]
    phone = form(store, f"pulse={own}", browser="phone")
    assert "You are answering as <b>Acme &lt;Corp&gt;</b>" in phone.heading.value
    phone.controls["satisfaction"].value = 5
    laptop = form(store, f"pulse={own}", browser="laptop")  # another device, the same person
    assert laptop.controls["satisfaction"].value == 5 and WELCOME_BACK in laptop.status.value
    laptop.controls["satisfaction"].value = 2
    assert pulses.responses(project_id)[["stakeholder", "satisfaction"]].values.tolist() == [["Acme <Corp>", 2]]


def test_closing_the_round_meanwhile_refuses_plainly(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    survey = form(store, f"pulse={token}")
    pulses.set_round_closed(int(pulses.rounds(project_id)["id"][0]), True)
    survey.controls["recommend"].value = 3
    assert "closed" in survey.messages["recommend"].value
    assert pulses.responses(project_id).empty


@pytest.mark.parametrize("query", ["", "pulse=nope", "pulse=%3Cscript%3E"])
def test_a_missing_or_dead_link_shows_only_a_message(store: Store, link: tuple[int, str], query: str) -> None:
    survey = form(store, query)
    assert survey.controls == {}
    assert "link" in survey.status.value and "<script>" not in survey.status.value
    assert len(survey.widget.children) == 3


def test_a_closed_round_shows_only_a_message(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    pulses.set_round_closed(int(pulses.rounds(project_id)["id"][0]), True)
    survey = form(store, f"pulse={token}")
    assert survey.controls == {} and "closed" in survey.status.value


BROWSER = "browser-id-from-the-server-cookie"


def test_the_same_browser_goes_on_with_its_response(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    first = form(store, f"pulse={token}", browser=BROWSER)
    assert first.response_id is None and first.status.value == ""  # a first visit: nothing to show
    first.controls["recommend"].value = 6
    first.controls["comment"].value = "Too few demos"

    later = form(store, f"pulse={token}", browser=BROWSER)  # the tab was closed; the link opened again days later
    assert later.response_id == first.response_id
    assert (later.controls["recommend"].value, later.controls["comment"].value) == (6, "Too few demos")
    assert later.controls["progress"].value is None and WELCOME_BACK in later.status.value
    later.controls["recommend"].value = 8
    saved = pulses.responses(project_id)
    assert len(saved) == 1 and saved["recommend"].tolist() == [8]  # one person, counted once


def test_one_page_cannot_stuff_the_ballot(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    """The audit's page sent 20 detractor responses in 10 s by renewing its browser key: the key
    is now the server's browser cookie, out of the page's reach, and there is no new-response button."""
    project_id, token = link
    for _ in range(20):
        stuffer = form(store, f"pulse={token}", browser=BROWSER)
        stuffer.controls["recommend"].value = 0
    assert pulses.responses(project_id)["recommend"].tolist() == [0]
    assert not [w for w in stuffer.widget.children if isinstance(w, W.Button)]


def test_whose_response_a_page_goes_on_with() -> None:
    assert respondent_key(7, "b") == "stakeholder-7"  # their own link, whatever the browser
    assert respondent_key(None, "b") == "browser-b"
    assert respondent_key(None, None) is None  # no gate (JupyterLab): a fresh response
