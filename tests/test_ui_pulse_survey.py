"""The respondent's pulse survey: a link opens it, answers are saved as given (the response is
started at the first answer, dated now), anonymous by default, and dead or closed links explain."""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pytest
from sqlalchemy import select

from cpmkit.link_secrets import digest
from cpmkit.pulse_store import PulseStore
from cpmkit.pulse_template import pulse_survey
from cpmkit.schema import pulse_responses
from cpmkit.store import Store
from cpmkit.ui.pulse_survey import ANONYMOUS, THANKS, WELCOME_BACK, PulseSurveyApp

NOW = dt.datetime(2026, 11, 25, 14, 30)


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def pulses(store: Store) -> PulseStore:
    return PulseStore(store)


@pytest.fixture
def link(store: Store, pulses: PulseStore) -> tuple[int, str]:
    project_id = store.create_project("Apollo <One>")
    store.add_stakeholder(project_id, "Acme <Corp>", category="customer")
    round_id = pulses.create_round(project_id, "November", dt.date(2026, 11, 1))
    return project_id, pulses.new_round_token(round_id)


def form(store: Store, query: str) -> PulseSurveyApp:
    return PulseSurveyApp(store, query=query, now=lambda: NOW)


def test_the_form_asks_every_question_of_the_template(store: Store, link: tuple[int, str]) -> None:
    survey = form(store, f"pulse={link[1]}")
    assert list(survey.controls) == [q.id for q in pulse_survey().questions]
    assert isinstance(survey.controls["recommend"], W.ToggleButtons)
    assert list(survey.controls["recommend"].options) == [(str(v), v) for v in range(11)]
    assert isinstance(survey.controls["progress"], W.RadioButtons)
    assert survey.controls["progress"].options[0] == ("1 - Not at all", 1)
    assert isinstance(survey.controls["comment"], W.Textarea) and not survey.controls["comment"].continuous_update
    assert "Apollo &lt;One&gt;" in survey.heading.value and pulse_survey().intro[:20] in survey.heading.value
    assert survey.who.options[0] == (ANONYMOUS, None) and survey.who.value is None
    assert survey.who.label == ANONYMOUS  # shown as chosen, not as an empty box
    assert [label for label, _ in survey.who.options[1:]] == ["Acme <Corp>"]  # a Dropdown shows text, not markup
    assert "cpmkit-ready" in survey.widget._dom_classes


def test_answers_are_saved_as_given_anonymous_by_default(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
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
    assert (row["recommend"], row["progress"], row["comment"], row["source"]) == (9, 4, "<script>alert(1)</script>", "form")
    assert row["submitted_at"].to_pydatetime() == NOW and row["stakeholder"] is None
    survey.who.value = survey.who.options[1][1]
    assert pulses.responses(project_id).iloc[0]["stakeholder"] == "Acme <Corp>"
    survey.controls["comment"].value = ""
    assert pulses.responses(project_id).iloc[0]["comment"] is None


def test_the_chosen_stakeholder_is_saved_with_the_first_answer(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    survey = form(store, f"pulse={token}")
    survey.who.value = survey.who.options[1][1]
    survey.controls["satisfaction"].value = 5
    assert pulses.responses(project_id)[["stakeholder", "satisfaction"]].values.tolist() == [["Acme <Corp>", 5]]


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


def arrive(survey: PulseSurveyApp, key: str) -> None:
    """What browser_key.js does once the page is shown: hand over the browser's key."""
    assert survey.browser is not None
    survey.browser.key = key


BROWSER = "0123456789abcdef0123456789abcdef"


def test_the_same_browser_goes_on_with_its_response(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    first = form(store, f"pulse={token}")
    arrive(first, BROWSER)  # a first visit: nothing to show
    assert first.response_id is None and first.restart.layout.display == "none"
    first.who.index = 1
    first.controls["recommend"].value = 6
    first.controls["comment"].value = "Too few demos"

    later = form(store, f"pulse={token}")  # the tab was closed; the link opened again days later
    arrive(later, BROWSER)
    assert later.response_id == first.response_id
    assert (later.who.label, later.controls["recommend"].value, later.controls["comment"].value) == ("Acme <Corp>", 6, "Too few demos")
    assert later.controls["progress"].value is None
    assert WELCOME_BACK in later.status.value and later.restart.layout.display is None
    later.controls["recommend"].value = 8
    saved = pulses.responses(project_id)
    assert len(saved) == 1 and saved["recommend"].tolist() == [8]  # one person, counted once


def test_someone_else_at_the_same_browser_starts_a_new_response(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    first = form(store, f"pulse={token}")
    arrive(first, BROWSER)
    first.controls["recommend"].value = 3
    again = form(store, f"pulse={token}")
    arrive(again, BROWSER)
    again.restart.click()
    assert again.browser is not None and again.browser.key != BROWSER and again.browser.valid_key
    assert again.controls["recommend"].value is None and again.who.value is None and again.status.value == ""
    again.controls["recommend"].value = 10
    assert sorted(pulses.responses(project_id)["recommend"].tolist()) == [3, 10]


def test_an_answer_given_before_the_key_arrives_is_found_next_time(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    """The key arrives as the page is drawn; an answer given sooner starts its response under a
    random key, which the browser's key then takes over: the next visit goes on with it."""
    project_id, token = link
    quick = form(store, f"pulse={token}")
    quick.controls["recommend"].value = 9  # before browser_key.js reported
    arrive(quick, BROWSER)
    assert THANKS in quick.status.value
    quick.controls["comment"].value = "Good start"
    later = form(store, f"pulse={token}")
    arrive(later, BROWSER)
    assert later.response_id == quick.response_id and later.controls["recommend"].value == 9
    assert WELCOME_BACK in later.status.value
    assert len(pulses.responses(project_id)) == 1


def test_a_quick_answer_in_a_browser_with_an_earlier_response_keeps_both(
    store: Store, pulses: PulseStore, link: tuple[int, str]
) -> None:
    project_id, token = link
    first = form(store, f"pulse={token}")
    arrive(first, BROWSER)
    first.controls["recommend"].value = 3
    quick = form(store, f"pulse={token}")
    quick.controls["recommend"].value = 9  # before the key: not known to be the same browser
    arrive(quick, BROWSER)
    assert THANKS in quick.status.value and quick.response_id != first.response_id
    later = form(store, f"pulse={token}")
    arrive(later, BROWSER)
    assert later.response_id == first.response_id  # the browser's own response, as before
    assert sorted(pulses.responses(project_id)["recommend"].tolist()) == [3, 9]


def test_a_key_the_browser_could_not_have_made_is_ignored(store: Store, pulses: PulseStore, link: tuple[int, str]) -> None:
    project_id, token = link
    survey = form(store, f"pulse={token}")
    arrive(survey, "<script>")
    survey.controls["recommend"].value = 7
    [key] = store.frame(select(pulse_responses.c.response_key), ["key"])["key"].tolist()
    assert len(key) == 64 and key != digest("form-<script>")  # the digest of a random key of its own
