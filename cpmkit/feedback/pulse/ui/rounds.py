"""Workbook 4's pulse rounds: open a round, send its survey links, watch the responses come in,
close it when the round is over (or open it again).

A round has an anonymous link (one response per browser) and, on request, a link of their own
for each stakeholder (it answers as them, one response per round, from any device).

A panel of the workbook-4 app: ``PulseRoundsPanel(store).widget``, ``.show(project_id)``.

The store keeps a round's link only scrambled: the link is shown once, when the round is
opened; "New link" replaces a lost one (the old link stops working).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

import ipywidgets as W

from cpmkit.core.addresses import page_link
from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.ui.survey import PULSE_PARAMETER
from cpmkit.ui.session import page_base_url
from cpmkit.ui.widgets import (
    LinkShownOnce,
    MessageArea,
    field,
    guard,
    keep_links,
    message_area,
    named,
    replace_children,
)

__all__ = ["SURVEY_PAGE", "PulseRoundsPanel", "survey_link"]

#: The respondent's page (``notebooks.yaml``), a notebook in the same folder as the workbook.
SURVEY_PAGE: Final = "pulse_survey"
_NO_PROJECT: Final = "Choose or create a project first."


def survey_link(token: str, *, base_url: str = "") -> str:
    """The link respondents open: ``<base_url>/voila/render/<pulse survey notebook>?pulse=<token>``."""
    return page_link(base_url, SURVEY_PAGE, {PULSE_PARAMETER: token})


class PulseRoundsPanel:
    """Create rounds, list them with their response counts and links, close or reopen them."""

    def __init__(
        self, store: Store, *, base_url: str | None = None, today: Callable[[], dt.date] = dt.date.today
    ) -> None:
        self.pulses = PulseStore(store)
        # Links are absolute, on the address this page was opened at (None: as the gate says).
        self.base_url, self.today = page_base_url() if base_url is None else base_url, today
        self.project_id: int | None = None
        #: Each round's anonymous link and its stakeholders' own links, by round id, kept across
        #: redraws: a link shown stays shown.
        self.links: dict[int, LinkShownOnce] = {}
        self.own_links: dict[int, LinkShownOnce] = {}
        self.name = named(
            W.Text(placeholder="e.g. November pulse", continuous_update=False, layout=W.Layout(width="260px")),
            "Round name",
        )
        self.opened_on = named(W.DatePicker(value=today(), layout=W.Layout(width="160px")), "Opens on")
        self.create = W.Button(description="Open a round", icon="plus")
        self.create.on_click(lambda _b: self._create())
        self.create_message = MessageArea(
            label="New pulse round", help_text="Give it a name and the day it opens; then send its link."
        )
        self.message = message_area()
        self.listing = W.VBox()
        self.widget = W.VBox(
            [
                field(W.HBox([self.name, self.opened_on, self.create]), self.create_message),
                W.HTML("<h4>Pulse rounds</h4>").add_class("cpmkit-section"),
                self.message,
                self.listing,
            ]
        )
        self.widget.add_class("cpmkit-pulse-rounds")

    def show(self, project_id: int | None) -> None:
        """Read the project's rounds again."""
        self.project_id = project_id
        with guard(self.message):
            self._list()

    def _list(self) -> None:
        if self.project_id is None:
            replace_children(self.listing, [W.HTML(f"<p class='cpmkit-help'>{_NO_PROJECT}</p>")])
            return
        rounds = self.pulses.rounds(self.project_id)
        if rounds.empty:
            replace_children(
                self.listing, [W.HTML("<p class='cpmkit-help'>No pulse rounds yet: open the first one above.</p>")]
            )
            return
        ids = [int(i) for i in rounds["id"]]
        keep_links(self.links, ids, self._new_link, css_class="cpmkit-link cpmkit-pulse-link")
        made = self.pulses.rounds_with_stakeholder_links(self.project_id)
        keep_links(self.own_links, ids, self._new_own_links, made=made, css_class="cpmkit-link cpmkit-pulse-own-link")
        replace_children(self.listing, [self._row(row) for row in reversed(rounds.to_dict("records"))])

    def _row(self, row: Mapping[Hashable, Any]) -> W.Widget:
        n = int(row["responses"])
        state = "closed" if row["closed"] else "open"
        text = W.HTML(
            f"<b>{html.escape(str(row['name']))}</b> · opened {html.escape(str(row['opened_on']))} · {state} · "
            f"{n} response{'s' if n != 1 else ''}<br>"
            "Anonymous link <span class='cpmkit-help'>(anyone who has it answers, once per browser, without a name)</span>",
            layout=W.Layout(flex="1 1 auto"),
        )
        own = W.HTML(
            "Stakeholders' own links <span class='cpmkit-help'>(each answers as that stakeholder, once per round; "
            "send each person only their own)</span>"
        )
        toggle = W.Button(
            description="Reopen" if row["closed"] else "Close", icon="unlock" if row["closed"] else "lock"
        )
        toggle.on_click(lambda _b: self._set_closed(int(row["id"]), not row["closed"]))
        round_id = int(row["id"])
        return W.VBox(
            [W.HBox([text, toggle]), self.links[round_id].widget, own, self.own_links[round_id].widget]
        ).add_class("cpmkit-pulse-round")

    def _new_link(self, round_id: int) -> str:
        return survey_link(self.pulses.new_round_token(round_id), base_url=self.base_url)

    def _new_own_links(self, round_id: int) -> dict[str, str]:
        made = self.pulses.new_stakeholder_links(round_id)
        if not made:
            raise ValidationError("This project has no stakeholders yet: add them in workbook 1 first.")
        return {name: survey_link(token, base_url=self.base_url) for name, token in made.items()}

    def _create(self) -> None:
        with guard(self.create_message):
            if self.project_id is None:
                raise ValidationError(_NO_PROJECT)
            round_id = self.pulses.create_round(self.project_id, self.name.value, self.opened_on.value)
            self.name.value = ""
            self._list()
            self.links[round_id].renew()  # the link to send, shown once

    def _set_closed(self, round_id: int, closed: bool) -> None:
        with guard(self.message):
            self.pulses.set_round_closed(round_id, closed)
            self._list()
