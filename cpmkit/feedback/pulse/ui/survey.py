"""The respondent's pulse survey of workbook 4: opened from a round's link
(``<pulse survey notebook>?pulse=<token>``), it asks the questions of templates/pulse_survey.yaml.
Entry point: ``app()``.

Each answer is saved as it is given: the response is created, dated now, at the first answer.
There is no list of names to answer as. A stakeholder's own link answers as that stakeholder:
one response per round, found again from any device. The round's anonymous link gives one
response per browser: the server's browser cookie (signed, and out of reach of the page's
script) keys it, so opening the link again in the same browser, even days later, shows the
answers given so far and goes on with the same response instead of counting the person twice,
and a page cannot start a second one. A missing or dead link, or a closed round, shows only a
plain message.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from typing import Any, Final

import ipywidgets as W

from cpmkit.core.query import query_params
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import PulseQuestion, PulseSurvey
from cpmkit.ui.page_header import ParticipantHeader
from cpmkit.ui.session import open_store, page_identity, safe_app
from cpmkit.ui.widgets import Loading, MessageArea, field, fluid, guard, message_area, stylesheet

__all__ = ["PULSE_PARAMETER", "THANKS", "WELCOME_BACK", "PulseSurveyApp", "app", "respondent_key"]

#: The query parameter of the survey link that carries the round's (or a stakeholder's) secret.
PULSE_PARAMETER: Final = "pulse"
THANKS: Final = "Thank you! Your answers are saved as you give them; you can close this page when you are done."
WELCOME_BACK: Final = "Welcome back: your earlier answers are shown below, and any change updates them."
_NO_LINK: Final = "This survey opens from the link your project manager sent you; that link is missing here."


def app() -> W.Widget:
    """Build the pulse survey for the link's round on the default store."""
    identity = page_identity()
    browser = identity.browser if identity is not None else None
    return safe_app(lambda: PulseSurveyApp(open_store(), query=os.environ.get("QUERY_STRING"), browser=browser).widget)


def respondent_key(stakeholder_id: int | None, browser: str | None) -> str | None:
    """Whose response a form page goes on with: the stakeholder's own (their link), else this
    browser's (the server's browser id); None, a fresh response, when neither is known."""
    if stakeholder_id is not None:
        return f"stakeholder-{stakeholder_id}"
    return f"browser-{browser}" if browser else None


class PulseSurveyApp:
    """The form of one pulse round; answers go to one response, started at the first answer."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None,
        browser: str | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        survey: PulseSurvey | None = None,
    ) -> None:
        self.pulses = PulseStore(store, survey)
        self.store, self.now, self.browser = store, now, browser
        self.survey = self.pulses.survey
        self.status = message_area()
        self.heading = W.HTML(f"<h3>{html.escape(self.survey.name)}</h3>")
        self.header = ParticipantHeader(self.heading, self.survey.name)
        self.controls: dict[str, W.ValueWidget] = {}
        self.messages: dict[str, MessageArea] = {}
        self.response_id: int | None = None
        self.key: str | None = None
        self.round: dict[str, Any] | None = None
        self.loading = Loading()
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status])
        self.widget.add_class("cpmkit-app")
        with guard(self.status):  # a plain message for a dead link; cleared otherwise
            self._open(query_params(query).get(PULSE_PARAMETER))
        if self.response_id is not None:
            self.status.say(WELCOME_BACK, ok=True)
        self.widget.add_class("cpmkit-ready")

    def _open(self, token: str | None) -> None:
        if token is None:
            raise NotFoundError(_NO_LINK)
        found = self.pulses.round_for_token(token)
        self.header.show(self.survey.name, str(found["project"]))
        who = f"<p class='cpmkit-pulse-who'>You are answering as <b>{html.escape(str(found['stakeholder']))}</b>.</p>"
        self.heading.value = (
            f"<h3>{html.escape(self.survey.name)}: {html.escape(str(found['project']))}</h3>"
            f"{who if found['stakeholder_id'] is not None else ''}<p>{html.escape(self.survey.intro)}</p>"
        )
        if found["closed"]:
            raise NotFoundError(
                f"The pulse survey {found['name']!r} is closed and takes no more answers. Thank you all the same."
            )
        self.round = found
        self.key = respondent_key(found["stakeholder_id"], self.browser)
        rows = []
        for question in self.survey.questions:
            control = _control(question)
            area = MessageArea(label=question.text + (" *" if question.required else ""), help_text=_hint(question))
            control.observe(lambda change, q=question.id: self._answer(q, change["new"]), "value")
            self.controls[question.id], self.messages[question.id] = control, area
            rows.append(field(control, area).add_class("cpmkit-pulse-question"))
        note = W.HTML("<p class='cpmkit-help'>* please answer these. Each answer is saved as soon as you give it.</p>")
        self.widget.children = [*self.widget.children, *rows, note]
        earlier = self.pulses.form_response(int(found["round_id"]), self.key) if self.key is not None else None
        if earlier is not None:
            self.response_id = int(earlier["id"])
            self._show(earlier["answers"])

    def _answer(self, question_id: str, value: Any) -> None:
        if self.loading:
            return
        with guard(self.messages[question_id]):
            if self.response_id is None:
                assert self.round is not None
                if value is None or (isinstance(value, str) and not value.strip()):
                    return  # nothing given yet: no response to start
                self.response_id, _key = self.pulses.start_response(
                    int(self.round["round_id"]),
                    stakeholder_id=self.round["stakeholder_id"],
                    submitted_at=self.now(),
                    key=self.key,
                )
            self.pulses.save_answer(self.response_id, question_id, value)
            self.status.say(THANKS, ok=True)

    def _show(self, answers: dict[str, Any]) -> None:
        """Put ``answers`` (by question id) in the form without saving them again."""
        with self.loading:
            for question_id, control in self.controls.items():
                control.value = answers.get(question_id, "" if isinstance(control, W.Textarea) else None)


def _control(question: PulseQuestion) -> W.ValueWidget:
    """ToggleButtons for a 0-10 score, radio buttons with labels for a labelled scale, a text area for text."""
    if question.scale is None:
        return W.Textarea(placeholder="Your answer", continuous_update=False, layout=fluid("520px", height="90px"))
    scale = question.scale
    if question.kind == "recommend":
        return W.ToggleButtons(
            options=[(str(v), v) for v in scale.values],
            value=None,
            tooltips=[scale.label(v) or str(v) for v in scale.values],
            style={"button_width": "38px"},
        ).add_class("cpmkit-scale-row")
    return W.RadioButtons(
        options=[(f"{v} - {scale.label(v)}" if scale.label(v) else str(v), v) for v in scale.values], value=None
    )


def _hint(question: PulseQuestion) -> str:
    """The meaning of the ends of a 0-10 scale, which its buttons show as numbers only."""
    scale = question.scale
    if question.kind != "recommend" or scale is None:
        return ""
    return f"{scale.low} = {scale.label(scale.low)}, {scale.high} = {scale.label(scale.high)}"
