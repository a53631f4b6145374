"""The pulse rounds panel: open a round, see its link and response count, close and reopen it;
names are escaped and a clash is a plain message."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest

from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.ui.rounds import PulseRoundsPanel, survey_link
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.widgets import NOT_SHOWN_AGAIN, SHOWN_ONCE

TODAY = dt.date(2026, 11, 25)


def test_a_round_is_opened_and_listed_with_its_link(store: Store, project: int) -> None:
    panel = PulseRoundsPanel(store, base_url="https://pm.example.org", today=lambda: TODAY)
    panel.show(project)
    assert "No pulse rounds yet" in panel.listing.children[0].value
    panel.name.value = "<b>November</b>"
    panel.create.click()
    assert panel.name.value == "" and panel.create_message.value.count("cpmkit-message") == 0
    rounds = PulseStore(store).rounds(project)
    assert rounds[["name", "opened_on", "responses"]].values.tolist() == [["<b>November</b>", TODAY, 0]]
    row = panel.listing.children[0].children[0].children[0].value
    assert "&lt;b&gt;November&lt;/b&gt;" in row and "<b>November</b>" not in row
    assert "0 responses" in row and "open" in row
    shown = panel.links[int(rounds["id"][0])]
    assert shown.widget is panel.listing.children[0].children[1]
    link = str(shown.href)
    assert link.startswith("https://pm.example.org/voila/render/04_pulse_survey.ipynb?pulse=")
    assert f'href="{link}"' in shown.text.value and SHOWN_ONCE in shown.text.value  # shown once, now
    token = unquote(link.split("pulse=", 1)[1])
    assert link == survey_link(token, base_url="https://pm.example.org")
    assert PulseStore(store).round_for_token(token)["name"] == "<b>November</b>"


def test_a_rounds_link_is_not_shown_again_and_new_link_replaces_it(store: Store, project: int) -> None:
    pulses = PulseStore(store)
    round_id = pulses.create_round(project, "October", dt.date(2026, 10, 1))
    old = pulses.new_round_token(round_id)
    panel = PulseRoundsPanel(store, today=lambda: TODAY)
    panel.show(project)
    shown = panel.links[round_id]
    assert shown.href is None and NOT_SHOWN_AGAIN in shown.text.value
    shown.button.click()
    shown.confirm.children[1].click()  # Make a new link
    token = unquote(str(shown.href).split("pulse=", 1)[1])
    assert pulses.round_for_token(token)["round_id"] == round_id
    with pytest.raises(NotFoundError):
        pulses.round_for_token(old)
    panel.listing.children[0].children[0].children[1].click()  # Close: the list is redrawn ...
    assert panel.links[round_id] is shown and shown.href is not None  # ... and the link stays shown


def test_a_round_is_closed_and_reopened(store: Store, project: int) -> None:
    pulses = PulseStore(store)
    round_id = pulses.create_round(project, "October", dt.date(2026, 10, 1))
    pulses.start_response(round_id, stakeholder_id=None, submitted_at=dt.datetime(2026, 10, 2))
    panel = PulseRoundsPanel(store, today=lambda: TODAY)
    panel.show(project)
    toggle = panel.listing.children[0].children[0].children[1]
    assert "1 response<" in panel.listing.children[0].children[0].children[0].value and toggle.description == "Close"
    toggle.click()
    assert pulses.rounds(project)["closed"].tolist() == [True]
    toggle = panel.listing.children[0].children[0].children[1]
    assert toggle.description == "Reopen" and "closed" in panel.listing.children[0].children[0].children[0].value
    toggle.click()
    assert pulses.rounds(project)["closed"].tolist() == [False]


def test_a_clash_or_no_project_is_a_plain_message(store: Store, project: int) -> None:
    PulseStore(store).create_round(project, "October", dt.date(2026, 10, 1))
    panel = PulseRoundsPanel(store, today=lambda: TODAY)
    panel.show(project)
    panel.name.value = "october"
    panel.create.click()
    assert "already called" in panel.create_message.value and len(panel.listing.children) == 1
    panel.show(None)
    panel.name.value = "Later"
    panel.create.click()
    assert "Choose or create a project first" in panel.create_message.value


def test_each_stakeholder_gets_a_link_of_their_own_shown_once(
    store: Store, stakeholder_store: StakeholderStore, project: int
) -> None:
    pulses = PulseStore(store)
    round_id = pulses.create_round(project, "October", dt.date(2026, 10, 1))
    panel = PulseRoundsPanel(store, today=lambda: TODAY)
    panel.show(project)
    own = panel.own_links[round_id]
    assert own.widget in panel.listing.children[0].children and own.button.description == "Make the link"
    own.button.click()
    assert "no stakeholders yet" in own.message.value  # nothing to make them for
    stakeholder_store.add_stakeholder(project, "Acme <Corp>", category="customer")
    own.button.click()
    assert list(own.hrefs) == ["Acme <Corp>"] and "Acme &lt;Corp&gt;" in own.text.value and SHOWN_ONCE in own.text.value
    token = unquote(own.hrefs["Acme <Corp>"].split("pulse=", 1)[1])
    assert pulses.round_for_token(token)["stakeholder"] == "Acme <Corp>"
    again = PulseRoundsPanel(store, today=lambda: TODAY)
    again.show(project)
    assert again.own_links[round_id].button.description == "New link"  # made before: replacing asks first
    assert NOT_SHOWN_AGAIN in again.own_links[round_id].text.value
