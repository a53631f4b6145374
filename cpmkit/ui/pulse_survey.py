"""The respondent's pulse survey of workbook 4: opened from the round's link
(``04_pulse_survey.ipynb?pulse=<token>``), it asks the questions of templates/pulse_survey.yaml.
Entry point: ``app()``.

Each answer is saved as it is given: the response is created, dated now, at the first answer,
by the stakeholder chosen under "Who is answering?" or anonymous. The browser keeps a key for
the form (``BrowserKey``), so opening the link again in the same browser, even days later,
shows the answers given so far and goes on with the same response rather than counting the
person twice; "Start a new response" is there for someone else at the same computer. A
missing or dead link, or a closed round, shows only a plain message.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from typing import Any, Final

import ipywidgets as W

from cpmkit.errors import NotFoundError
from cpmkit.pulse_store import PulseStore
from cpmkit.pulse_template import PulseQuestion, PulseSurvey
from cpmkit.query import query_params
from cpmkit.store import Store
from cpmkit.ui.browser_key import BrowserKey
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import MessageArea, field, guard, message_area, stylesheet

__all__ = ["ANONYMOUS", "PULSE_PARAMETER", "THANKS", "WELCOME_BACK", "PulseSurveyApp", "app"]

#: The query parameter of the survey link that carries the round's secret.
PULSE_PARAMETER: Final = "pulse"
ANONYMOUS: Final = "Prefer not to say (anonymous)"
THANKS: Final = "Thank you! Your answers are saved as you give them; you can close this page when you are done."
WELCOME_BACK: Final = (
    "Welcome back: your earlier answers are shown below, and any change updates them."
    " Not you? Start a new response."
)
_NO_LINK: Final = "This survey opens from the link your project manager sent you; that link is missing here."


def app() -> W.Widget:
    """Build the pulse survey for the link's round on the default store."""
    return safe_app(lambda: PulseSurveyApp(open_store(), query=os.environ.get("QUERY_STRING")).widget)


class PulseSurveyApp:
    """The form of one pulse round; answers go to one response, started at the first answer."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        survey: PulseSurvey | None = None,
    ) -> None:
        self.pulses = PulseStore(store, survey)
        self.store, self.now = store, now
        self.survey = self.pulses.survey
        self.status = message_area()
        self.heading = W.HTML(f"<h3>{html.escape(self.survey.name)}</h3>")
        self.who = W.Dropdown(options=[(ANONYMOUS, None)], index=0, layout=W.Layout(width="360px"))
        self.who_message = MessageArea(label="Who is answering?", help_text="Choose your name, or answer anonymously.")
        self.controls: dict[str, W.ValueWidget] = {}
        self.messages: dict[str, MessageArea] = {}
        self.response_id: int | None = None
        self._keyed = False  # the response is under the browser's key (not a random one)
        self.round: dict[str, Any] | None = None
        self.browser: BrowserKey | None = None
        self.restart = W.Button(description="Start a new response", icon="file-o", layout=W.Layout(display="none"))
        self.restart.on_click(lambda _: self._start_again())
        self._loading = False
        self.widget = W.VBox([stylesheet(), self.heading, self.status])
        self.widget.add_class("cpmkit-app")
        with guard(self.status):
            self._open(query_params(query).get(PULSE_PARAMETER))
        self.widget.add_class("cpmkit-ready")

    def _open(self, token: str | None) -> None:
        if token is None:
            raise NotFoundError(_NO_LINK)
        found = self.pulses.round_for_token(token)
        self.heading.value = (
            f"<h3>{html.escape(self.survey.name)}: {html.escape(str(found['project']))}</h3>"
            f"<p>{html.escape(self.survey.intro)}</p>"
        )
        if found["closed"]:
            raise NotFoundError(f"The pulse survey {found['name']!r} is closed and takes no more answers. Thank you all the same.")
        self.round = found
        people = self.store.stakeholders(int(found["project_id"]))
        self.who.options = [(ANONYMOUS, None)] + [(str(name), int(sid)) for sid, name in zip(people["id"], people["name"])]
        self.who.index = 0  # anonymous (a value of None would show no choice at all)
        self.who.observe(lambda change: self._set_respondent(change["new"]), "value")
        rows = [field(self.who, self.who_message)]
        for question in self.survey.questions:
            control = _control(question)
            area = MessageArea(label=question.text + (" *" if question.required else ""), help_text=_hint(question))
            control.observe(lambda change, q=question.id: self._answer(q, change["new"]), "value")
            self.controls[question.id], self.messages[question.id] = control, area
            rows.append(field(control, area).add_class("cpmkit-pulse-question"))
        note = W.HTML("<p class='cpmkit-help'>* please answer these. Each answer is saved as soon as you give it.</p>")
        self.browser = BrowserKey(f"cpmkit-pulse-{token}")
        self.browser.observe(lambda _: self._resume(), "key")
        self.widget.children = [*self.widget.children, self.restart, *rows, note, self.browser]

    def _answer(self, question_id: str, value: Any) -> None:
        if self._loading:
            return
        with guard(self.messages[question_id]):
            if self.response_id is None:
                assert self.round is not None and self.browser is not None
                if value is None or (isinstance(value, str) and not value.strip()):
                    return  # nothing given yet: no response to start
                self.response_id, _key = self.pulses.start_response(
                    int(self.round["round_id"]), stakeholder_id=self.who.value, submitted_at=self.now(), key=self.browser.valid_key
                )
                self._keyed = self.browser.valid_key is not None
            self.pulses.save_answer(self.response_id, question_id, value)
            self.status.say(THANKS, ok=True)

    def _set_respondent(self, stakeholder_id: int | None) -> None:
        if self._loading:
            return
        with guard(self.who_message):
            if self.response_id is not None:
                self.pulses.set_respondent(self.response_id, stakeholder_id)

    def _resume(self) -> None:
        """The browser's key has arrived: show the answers it gave before, if any; or, if an
        answer came first, put the response it started under the key, to be found next time."""
        assert self.round is not None and self.browser is not None
        key = self.browser.valid_key
        if key is None or self._keyed:
            return
        if self.response_id is not None:  # an answer came first: its response has a random key
            claimed = None
            with guard(self.status):  # a plain message if the store fails; it clears the area otherwise
                claimed = self.pulses.claim_response(self.response_id, key)
            if claimed is not None:
                self._keyed = claimed
                self.status.say(THANKS, ok=True)  # saved either way
            return
        with guard(self.status):
            found = self.pulses.form_response(int(self.round["round_id"]), key)
            if found is not None:
                self.response_id, self._keyed = int(found["id"]), True
                self._show({**found["answers"], "who": found["stakeholder_id"]})
                self.restart.layout.display = None
        if self.response_id is not None:
            self.status.say(WELCOME_BACK, ok=True)

    def _start_again(self) -> None:
        """A fresh, empty response from this browser (the earlier one stays as it was)."""
        assert self.browser is not None
        self.response_id, self._keyed = None, False
        self.browser.renew()
        self._show({"who": None})
        self.restart.layout.display = "none"
        self.status.say("")

    def _show(self, answers: dict[str, Any]) -> None:
        """Put ``answers`` (by question id, and "who") in the form without saving them again."""
        self._loading = True
        try:
            known = [v for _label, v in self.who.options]
            self.who.index = known.index(answers["who"]) if answers["who"] in known else 0
            for question_id, control in self.controls.items():
                control.value = answers.get(question_id, "" if isinstance(control, W.Textarea) else None)
        finally:
            self._loading = False


def _control(question: PulseQuestion) -> W.ValueWidget:
    """ToggleButtons for a 0-10 score, radio buttons with labels for a labelled scale, a text area for text."""
    if question.scale is None:
        return W.Textarea(placeholder="Your answer", continuous_update=False, layout=W.Layout(width="520px", height="90px"))
    scale = question.scale
    if question.kind == "recommend":
        return W.ToggleButtons(
            options=[(str(v), v) for v in scale.values],
            value=None,
            tooltips=[scale.label(v) or str(v) for v in scale.values],
            style={"button_width": "38px"},
        )
    return W.RadioButtons(options=[(f"{v} - {scale.label(v)}" if scale.label(v) else str(v), v) for v in scale.values], value=None)


def _hint(question: PulseQuestion) -> str:
    """The meaning of the ends of a 0-10 scale, which its buttons show as numbers only."""
    scale = question.scale
    if question.kind != "recommend" or scale is None:
        return ""
    return f"{scale.low} = {scale.label(scale.low)}, {scale.high} = {scale.label(scale.high)}"
