"""Workbook 2, the soft-skills self-assessment, for a participant (or a colleague rating them).
Entry point: ``app()``.

What the page shows depends on its query string:

* ``?token=<token>``: a participant's own assessment, resumed at the first unanswered item;
* ``?rate=<rater token>``: a colleague rating a participant (no results for them, ever);
* ``?code=<join code>``: the start screen with the workshop code filled in; in a browser that
  joined this workshop before (its ``BrowserKey``), that participant's assessment, resumed;
* nothing: the solo self-assessment started last on this store, else the start screen.

The store keeps links' secrets only scrambled: a resume link is shown when the assessment
starts, and again whenever the page is opened with it (it is in the address); otherwise
"New link" replaces it. A colleague's rating link is shown once, when it is made.

What a page shows is drawn from one frozen state (``cpmkit.soft_skills.state``): each answer
is saved as it is given and only then enters the state; a refused save keeps its message next
to the item and the saved answer stays as it was. The report is ``cpmkit.soft_skills.report``'s.
The profile chart is a Vega-Lite spec made without Altair (``profile_chart``): a participant's
kernel imports Altair only to draw the colleagues' view, once enough of them have rated.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import ipywidgets as W
from ipywidgets.widgets.widget_string import HTMLStyle  # not exported by ipywidgets itself

from cpmkit.core import export
from cpmkit.core.addresses import page_link
from cpmkit.core.query import query_params
from cpmkit.core.rate_limit import RateLimiter
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.soft_skills.bank import Item, QuestionBank, Scale, bank_named, default_bank
from cpmkit.soft_skills.profile_chart import competency_profile_chart
from cpmkit.soft_skills.report import (
    others_html,
    others_note_html,
    own_change_html,
    personal_report_html,
    plan_html,
    report_tables,
    scored_rows,
    scores_html,
)
from cpmkit.soft_skills.scoring import MIN_GROUP, known_answers, own_change_rows, released_rows, released_table
from cpmkit.soft_skills.state import (
    AssessmentState,
    Commitment,
    answer,
    is_complete,
    next_page,
    page_view,
    previous_page,
    resume,
    show_page,
    with_commitment,
    with_plan,
    with_reflection,
)
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.workshop import PARTICIPANT_PAGE, require_open
from cpmkit.ui.browser_key import BrowserKey
from cpmkit.ui.download import DownloadButton, download_row
from cpmkit.ui.page_header import PageHeader, ParticipantHeader
from cpmkit.ui.session import open_store, page_base_url, page_owner, safe_app
from cpmkit.ui.widgets import (
    NAMED,
    SHOWN_ONCE,
    LinkShownOnce,
    MessageArea,
    copy_buttons,
    field,
    fluid,
    guard,
    link_html,
    message_area,
    named,
    qr_html,
    replace_children,
    stylesheet,
)

__all__ = [
    "JOIN_CODE_TRIES",
    "LAST_SELF_ASSESSMENT",
    "Questionnaire",
    "ResultsView",
    "SoftSkillsApp",
    "StartScreen",
    "StateCell",
    "app",
]

#: The browser's key for this notebook (localStorage): a rating link opened in a browser where
#: the rated participant opened their own assessment is refused.
BROWSER_KEY = "cpmkit-soft-skills"
#: What a rating link opened in the rated participant's own browser says.
OWN_BROWSER = (
    "This rating link is open in the browser where the person it rates takes their own "
    "assessment, so it takes no answers here. Colleague: please open it in your own browser."
)
#: What a participant who joined from this browser before is told when their assessment resumes.
WELCOME_BACK = "Welcome back: you joined from this browser before, so you continue where you left off."
#: Store setting: the participant id of the solo self-assessment an owner started last, to resume
#: without the link (one per owner, ``last_self_assessment:<owner id>``; never for a participant's
#: page). Not its token: the store keeps only the token's digest.
LAST_SELF_ASSESSMENT = "last_self_assessment"


def remembered_assessment_key() -> str | None:
    """The setting that remembers this page's owner's own solo self-assessment; None on a
    participant's page, where only the link reopens an assessment."""
    owner = page_owner()
    if owner is None:
        return None
    return LAST_SELF_ASSESSMENT if owner.id is None else f"{LAST_SELF_ASSESSMENT}:{owner.id}"


#: Wrong join codes a page may type: 5 in any minute. A code is 6 of 31 characters (about 30
#: bits), so guessing one by trying, page by page, is hopeless (the server limits how many
#: pages a client may open).
JOIN_CODE_TRIES: Final = (5, 60.0)
#: The kernel's limiter of wrong join codes: a kernel is one page, so a new start screen (or a
#: new app in the same kernel) does not start the count again.
_JOIN_CODES: Final = RateLimiter(*JOIN_CODE_TRIES)
_WRONG_CODE: Final = "wrong join code"  # the limiter's key: one count per kernel


def app() -> W.Widget:
    """Build workbook 2 on the default store; the notebook displays what this returns."""
    return safe_app(lambda: SoftSkillsApp(open_store()).widget)


def _href(parameter: str, token: str) -> str:
    """The absolute address of this notebook carrying ``token``, on the address it was opened at."""
    return page_link(page_base_url(), PARTICIPANT_PAGE, {parameter: token})


# =========================================================================================
# Start screen: join a workshop, or start alone
# =========================================================================================


class StartScreen:
    """The join code (checked as soon as it is entered), an optional name and the round; or a
    solo start. ``on_started`` gets the new participant."""

    def __init__(
        self,
        assessments: AssessmentStore,
        store: Store,
        *,
        code: str,
        on_started: Callable[[dict[str, Any]], None],
        join_codes: RateLimiter = _JOIN_CODES,
        browser_key: Callable[[], str | None] = lambda: None,
    ) -> None:
        """``browser_key`` gives the browser's key (None before it arrives): a join from a browser
        that joined the same round before resumes that participant."""
        self.assessments, self.store, self.on_started = assessments, store, on_started
        self.join_codes, self.browser_key = join_codes, browser_key
        self.workshop: dict[str, Any] | None = None
        self.code = W.Text(value=code, placeholder="e.g. K7P-2QX", continuous_update=False, layout=fluid("200px"))
        self.name = W.Text(placeholder="leave blank to stay anonymous", layout=fluid("260px"))
        self.round = W.Dropdown(
            options=[("(enter the code first)", None)], value=None, disabled=True, layout=fluid("200px")
        )
        self.messages = {
            "code": MessageArea(label="Workshop code", help_text="The code your trainer shows you."),
            "display_name": MessageArea(
                label="Your name (optional)",
                help_text="Shown only to your trainer. Leave it blank to take part anonymously.",
            ),
            "round": MessageArea(label="Round", help_text="Which time you are taking the assessment in this workshop."),
        }
        self.join = W.Button(
            description="Join the workshop", icon="users", button_style="primary", layout=fluid("200px")
        )
        self.solo = W.Button(description="Start my own self-assessment", icon="user", layout=fluid("260px"))
        self.solo_message = message_area()
        self.widget = W.VBox(
            [
                W.HTML(
                    "<h3>Soft-skills self-assessment</h3><p>Rate how often you show each behaviour. "
                    "Your answers are saved as you go; you can stop and come back at any time.</p>"
                ),
                W.HTML("<b>In a workshop?</b>"),
                W.HBox(
                    [field(self.code, self.messages["code"]), field(self.round, self.messages["round"])],
                    layout=W.Layout(flex_flow="row wrap"),
                ),
                field(self.name, self.messages["display_name"]),
                self.join,
                W.HTML(
                    "<p class='cpmkit-section'><b>On your own?</b> Take the assessment for yourself: "
                    "the name above is optional here too.</p>"
                ),
                self.solo,
                self.solo_message,
            ]
        )
        self.widget.add_class("cpmkit-start")
        self.code.observe(lambda change: self.recognise(change["new"]), "value")
        self.join.on_click(lambda _: self._join())
        self.solo.on_click(lambda _: self._solo())
        if code:
            self.recognise(code)

    def recognise(self, code: str, *, blank_ok: bool = True) -> None:
        """Look the code up; fill the rounds if it names an open workshop, else say why not.
        After ``JOIN_CODE_TRIES`` wrong codes the page waits before it looks again."""
        self.workshop = None
        self.round.options = [("(enter the code first)", None)]
        self.round.value, self.round.disabled = None, True
        area = self.messages["code"]
        if blank_ok and not code.strip():
            area.say("")
            return
        with guard(area):
            with self.join_codes.failures(_WRONG_CODE, NotFoundError):
                workshop = self.assessments.workshop_by_code(code)
            require_open(workshop)
            rounds = list(workshop["rounds"])
            self.round.options = (
                [(r, r) for r in rounds] if len(rounds) == 1 else [("- choose -", None), *((r, r) for r in rounds)]
            )
            self.round.value = rounds[0] if len(rounds) == 1 else None
            self.round.disabled = False
            self.workshop = workshop
        self._say_workshop()

    def _say_workshop(self) -> None:
        if self.workshop is not None:
            self.messages["code"].say(f"Workshop: {self.workshop['name']}", ok=True)

    def _display_name(self) -> str | None:
        return str(self.name.value).strip() or None

    def _join(self) -> None:
        for area in self.messages.values():
            area.say("")
        if self.workshop is None:
            self.recognise(self.code.value, blank_ok=False)  # says what is wrong with the code
            if self.workshop is None:
                return
        participant: dict[str, Any] | None = None
        with guard(self.messages["code"]):
            try:
                if self.round.value is None:
                    raise ValidationError.for_field("round", None, "choose the round you are taking part in.")
                participant = self.assessments.join_workshop(
                    self.code.value,
                    round=self.round.value,
                    display_name=self._display_name(),
                    browser_key=self.browser_key(),
                )
            except ValidationError as exc:
                if exc.field not in ("round", "display_name"):
                    raise
                self.messages[exc.field].say(str(exc))
        if participant is not None:
            self.on_started(participant)
        elif "cpmkit-message-error" not in self.messages["code"].value:
            self._say_workshop()  # the code is fine: keep saying which workshop it is

    def _solo(self) -> None:
        participant: dict[str, Any] | None = None
        with guard(self.solo_message):
            try:
                participant = self.assessments.start_self_assessment(self._display_name())
            except ValidationError as exc:
                if exc.field != "display_name":
                    raise
                self.messages["display_name"].say(str(exc))
                return
            remember = remembered_assessment_key()
            if remember is not None:
                self.store.set_setting(remember, str(participant["id"]))
        if participant is not None:
            self.on_started(participant)


# =========================================================================================
# The questions: one competency per step
# =========================================================================================


class StateCell:
    """The page's one self-assessment state (``cpmkit.soft_skills.state``), the idea of Solara's
    ``reactive``: the questions and the results read ``value`` and put a new state in its place."""

    def __init__(self, value: AssessmentState) -> None:
        self.value = value


class _RowLook:
    """The layouts and styles all of a questionnaire's item rows share: each is a widget, and one
    per row would cost the page a message per row."""

    def __init__(self) -> None:
        self.box = W.Layout(margin="0 0 10px 0")
        self.part = W.Layout()
        self.text = HTMLStyle()
        self.buttons = W.ToggleButtonsStyle(button_width="90px")


class _ItemRow:
    """One item: its text and message line over its answer buttons, built the first time the
    item is shown and kept for it. A row is never re-labelled for another item: a page may send
    an answer clicked on a step it has not yet redrawn, and it must reach the item it was for."""

    def __init__(self, item: Item, scale: Scale, look: _RowLook, on_answer: Callable[[_ItemRow, Any], None]) -> None:
        self.item = item
        self.area = MessageArea(label=item.text, layout=look.part, style=look.text)
        # Built whole (named, and classed): a change after would cost the page a message per row.
        self.toggle = W.ToggleButtons(
            options=[(label, value) for value, label in scale.points],
            value=None,
            tooltips=[f"{value}: {label}" for value, label in scale.points],
            layout=look.part,
            style=look.buttons,
            description=item.text,
            _dom_classes=("cpmkit-scale-list", NAMED),
        )
        self.widget = W.VBox([self.area, self.toggle], layout=look.box, _dom_classes=("cpmkit-item",))
        self.toggle.observe(lambda change: on_answer(self, change["new"]), "value")


class Questionnaire:
    """One competency per step with its items on the answer scale, a progress bar and Back /
    Next, drawn from the state (``page_view``). ``save(item id, value)`` stores each answer as
    it is given; only an answer the store took enters the state."""

    def __init__(
        self,
        cell: StateCell,
        *,
        save: Callable[[str, int], None],
        on_saved: Callable[[], None],
        on_finish: Callable[[], None],
        finish_label: str,
        last_label: str,
    ) -> None:
        self.cell, self.save, self.on_saved, self.on_finish = cell, save, on_saved, on_finish
        self.last_label = last_label
        #: The items of the step shown: item id -> its answer buttons, and its label and message.
        self.toggles: dict[str, W.ToggleButtons] = {}
        self.messages: dict[str, MessageArea] = {}
        self._rows: dict[str, _ItemRow] = {}  # by item id, built on first showing
        self._look = _RowLook()
        self.heading = W.HTML()
        self.items = W.VBox()
        self.progress = W.IntProgress(min=0, value=0, layout=fluid("300px"))
        self.progress_text = W.Label()
        self.back = W.Button(description="Back", icon="arrow-left")
        self.next = W.Button(description="Next", icon="arrow-right", button_style="primary")
        self.finish = W.Button(description=finish_label, icon="check", button_style="success", layout=fluid("180px"))
        self.widget = W.VBox(
            [
                W.HBox([self.progress, self.progress_text]),
                self.heading,
                self.items,
                W.HBox([self.back, self.next, self.finish]),
            ]
        )
        self.widget.add_class("cpmkit-questionnaire")
        self.back.on_click(lambda _: self.update(previous_page(self.state)))
        self.next.on_click(lambda _: self._next())
        self.finish.on_click(lambda _: self.on_finish())
        self.render()

    @property
    def state(self) -> AssessmentState:
        return self.cell.value

    @property
    def bank(self) -> QuestionBank:
        return self.state.bank

    @property
    def step(self) -> int:
        return self.state.page

    @property
    def steps(self) -> int:
        return len(self.bank.competencies)

    @property
    def complete(self) -> bool:
        return is_complete(self.state)

    def show(self, step: int) -> None:
        """Show competency number ``step`` (0-based) with its items and saved answers."""
        self.update(show_page(self.state, step))

    def update(self, state: AssessmentState) -> None:
        """Take ``state`` and draw it."""
        self.cell.value = state
        self.render()

    def render(self) -> None:
        """Draw the state: its competency, each item's answer, the progress and the buttons. An
        answer set here equals the state's, so ``_answer`` sees nothing new to save."""
        view = page_view(self.state)
        self.heading.value = (
            f"<h3>{html.escape(view.competency.name)} <small>({view.number} of {view.pages})</small></h3>"
            f'<p class="cpmkit-help">{html.escape(view.competency.description)}</p>'
        )
        shown = [self._row(item) for item, _given in view.items]
        self.toggles, self.messages = {}, {}
        for row, (item, given) in zip(shown, view.items, strict=True):
            row.toggle.value = given
            self.toggles[item.id], self.messages[item.id] = row.toggle, row.area
        self.items.children = [row.widget for row in shown]
        self.back.disabled = view.first
        self.next.description = self.last_label if view.last else "Next"
        self.progress.max, self.progress.value = view.total, view.answered
        self.progress_text.value = f"{view.answered} of {view.total} answered"
        self.finish.layout.display = "" if view.complete else "none"

    def _row(self, item: Item) -> _ItemRow:
        if item.id not in self._rows:
            self._rows[item.id] = _ItemRow(item, self.bank.scale, self._look, self._answer)
        return self._rows[item.id]

    def _answer(self, row: _ItemRow, value: Any) -> None:
        """Save an answer given on ``row`` for its item."""
        item_id = row.item.id
        if value is None or value == self.state.answers.get(item_id):
            return  # the state drawn, not a new answer
        with guard(row.area):
            try:
                answered = answer(self.state, item_id, int(value))
                self.save(item_id, int(value))
            except Exception:
                row.toggle.value = self.state.answers.get(item_id)  # show the saved answer again
                raise
            self.update(answered)
            self.on_saved()

    def _next(self) -> None:
        if page_view(self.state).last:
            self.on_finish()
        else:
            self.update(next_page(self.state))


# =========================================================================================
# Results: scores, strengths, development plan, others' view, export
# =========================================================================================


def _charts() -> Any:
    """cpmkit.soft_skills.charts, imported on first use: Altair costs a kernel about 30 MB and 0.4 s."""
    from cpmkit.soft_skills import charts as soft_skills_charts

    return soft_skills_charts


def _new_chart() -> Any:
    from cpmkit.ui.chart import VegaChart

    return VegaChart(layout=W.Layout(flex="0 1 auto", max_width="100%", overflow="visible"))


class CommitmentRow:
    """One commitment of the development plan: what, and by when; saved as entered."""

    def __init__(self, position: int, saved: Commitment, *, save: Callable[[int, str, dt.date | None], None]) -> None:
        self.position, self.save = position, save
        self.what = named(
            W.Text(value=saved.what, placeholder="What I will do", layout=fluid("460px")), f"Commitment {position}"
        )
        self.by_when = named(W.DatePicker(value=saved.by_when), f"Commitment {position}: by when")
        self.message = MessageArea(label=f"Commitment {position}")
        self.widget = W.VBox([self.message, W.HBox([self.what, W.Label("by"), self.by_when])])
        self.what.observe(lambda _: self._save(), "value")
        self.by_when.observe(lambda _: self._save(), "value")

    def _save(self) -> None:
        with guard(self.message):
            self.save(self.position, str(self.what.value), self.by_when.value)


class ResultsView:
    """A participant's results and development plan, drawn from the state (``refresh()`` redraws
    the scores from its answers); the plan saves as it is entered, then enters the state."""

    def __init__(
        self,
        assessments: AssessmentStore,
        participant: Mapping[str, Any],
        cell: StateCell,
        *,
        on_back: Callable[[], None],
        on_saved: Callable[[], None],
        today: Callable[[], dt.date],
    ) -> None:
        self.assessments, self.participant, self.cell = assessments, participant, cell
        self.bank = cell.value.bank
        self.id = int(participant["id"])
        self.on_saved, self.today = on_saved, today
        self.message = message_area()
        self.scores = W.HTML()
        self.chart: Any = None
        self.profile = W.HBox([self.scores], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.own_change = W.HTML(_dom_classes=("cpmkit-own-change",))  # since an earlier round of this person
        self.strengths = W.HTML()
        self.development = W.HTML()

        cell.value = with_plan(cell.value, assessments.plan(self.id))
        self.reflection = W.Textarea(value=cell.value.reflection, layout=fluid("600px", height="90px"))
        self.reflection_message = MessageArea(
            label="My reflection",
            help_text="What surprised you? What do you want to do differently with your clients?",
        )
        self.commitments = [
            CommitmentRow(position, saved, save=self._save_commitment)
            for position, saved in enumerate(cell.value.commitments, start=1)
        ]

        self.peer_button = W.Button(description="Create a link for a colleague", icon="link", layout=fluid("260px"))
        self.peer_links = W.HTML()
        self.peer_copies = W.HBox(layout=W.Layout(flex_flow="row wrap", grid_gap="6px"))
        self.peer_message = message_area()
        self.refresh_others_button = W.Button(description="Refresh others' view", icon="refresh")
        self.others_table = W.HTML()
        self.others_note = W.HTML()
        self.others_chart: Any = None
        self.others = W.HBox([self.others_table], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        self._created_links: list[str] = []  # the rating links made on this page, shown with a QR code each

        self.downloads = download_row(
            [
                DownloadButton(
                    "My report (HTML)", filename=lambda: f"{self._stem()}.html", mime="text/html", make=self.report_file
                ),
                DownloadButton(
                    "My results (XLSX)",
                    filename=lambda: f"{self._stem()}.xlsx",
                    mime=export.XLSX_MIME,
                    make=self.results_file,
                ),
            ]
        )
        self.back = W.Button(description="Back to the questions", icon="arrow-left")

        self.widget = W.VBox(
            [
                W.HTML("<h3>My results</h3>"),
                self.message,
                self.profile,
                self.own_change,
                W.HBox([self.strengths, self.development], layout=W.Layout(flex_flow="row wrap", grid_gap="24px")),
                W.HTML("<h3 class='cpmkit-section'>My development plan</h3>"),
                field(self.reflection, self.reflection_message),
                *(row.widget for row in self.commitments),
                W.HTML(
                    "<h3 class='cpmkit-section'>How others see me</h3>"
                    f"<p class='cpmkit-help'>Send each colleague their own link. Their view appears once "
                    f"{MIN_GROUP} colleagues have finished rating you, as each competency's average rounded to half "
                    f"points, and changes only when {MIN_GROUP} more have finished: you never see anyone's own "
                    f"answers, nor one new rating on its own.</p>"
                ),
                W.HBox([self.peer_button, self.refresh_others_button]),
                self.peer_links,
                self.peer_copies,
                self.peer_message,
                self.others_note,
                self.others,
                W.HTML("<h3 class='cpmkit-section'>My report</h3>"),
                self.downloads,
                self.back,
            ]
        )
        self.widget.add_class("cpmkit-results")
        self.reflection.observe(lambda change: self._save_reflection(change["new"]), "value")
        self.peer_button.on_click(lambda _: self._create_peer_link())
        self.refresh_others_button.on_click(lambda _: self.refresh_others())
        self.back.on_click(lambda _: on_back())

    # -- computing --------------------------------------------------------------------------

    def view_of_others(self) -> list[dict[str, Any]]:
        """The colleagues' view as released to this participant (soft_skills.release_peer_view's
        rule, kept by the store): the page and the report show nothing else of others."""
        release, waiting = self.assessments.release_peer_view(self.id, self.bank)
        self.others_note.value = others_note_html(len(release.raters) if release is not None else 0, waiting)
        finished = len(release.raters) if release is not None else waiting
        return released_rows(self.bank, self.cell.value.answers, release, finished=finished)

    def refresh(self) -> None:
        """Draw the scores, chart and plan from plain rows: no DataFrame until others' view shows
        or the report is prepared."""
        with guard(self.message):
            scores, strengths, development = scored_rows(self.cell.value)
            self.scores.value = scores_html(scores)
            if self.chart is None:
                self.chart = _new_chart()
                self.profile.children = [self.chart, self.scores]
            low, high = self.bank.scale.low, self.bank.scale.high
            self.chart.draw(competency_profile_chart(scores, scale=(low, high)))
            none_yet = "Answer all the items of a competency to see it here."
            self.strengths.value = plan_html("My strengths", strengths, none_yet)
            self.development.value = plan_html("To develop", development, none_yet)
            self.own_change.value = self._own_change()
        self.refresh_others()

    def _own_change(self) -> str:
        """The participant's own change since the earlier round of the workshop they took (the
        store pairs their rounds), as a table; "" when they took none."""
        earlier = self.assessments.earlier_round(self.id)
        if earlier is None:
            return ""
        before, given = earlier
        rows = own_change_rows(self.bank, known_answers(self.bank, given), self.cell.value.answers)
        return own_change_html(rows, before=before, after=str(self.participant["round"]))

    def refresh_others(self) -> None:
        with guard(self.peer_message):
            view = self.view_of_others()
            self.others_table.value = others_html(view)
            shown = any(row["status"] == "shown" for row in view)
            if shown:
                if self.others_chart is None:
                    self.others_chart = _new_chart()
                low, high = self.bank.scale.low, self.bank.scale.high
                self.others_chart.draw(_charts().self_vs_others_chart(released_table(view), scale=(low, high)))
            self.others.children = [self.others_chart, self.others_table] if shown else [self.others_table]

    # -- saving -----------------------------------------------------------------------------

    def _save_reflection(self, text: str) -> None:
        with guard(self.reflection_message):
            self.assessments.set_reflection(self.id, text)
            self.cell.value = with_reflection(self.cell.value, text)
            self.on_saved()

    def _save_commitment(self, position: int, what: str, by_when: dt.date | None) -> None:
        self.assessments.set_commitment(self.id, position, what=what, by_when=by_when)
        self.cell.value = with_commitment(self.cell.value, position, what, by_when)
        self.on_saved()

    def _create_peer_link(self) -> None:
        with guard(self.peer_message):
            token = self.assessments.create_peer_link(self.id)
            self._created_links.append(_href("rate", token))
            items = "".join(f"<li>{link_html(href)}{qr_html(href)}</li>" for href in self._created_links)
            self.peer_links.value = (
                "<p>Send this link to one colleague (a new link for each one), or let them scan its code:</p>"
                f"<ol>{items}</ol><p class='cpmkit-help cpmkit-link-note'>{html.escape(SHOWN_ONCE)}</p>"
            )
            many = len(self._created_links) > 1
            self.peer_copies.children = copy_buttons(
                {f"link {n}" if many else "": href for n, href in enumerate(self._created_links, start=1)}
            )

    def _stem(self) -> str:
        return f"soft-skills-{self.today():%Y-%m-%d}"  # the day of the download

    def report_file(self) -> bytes:
        """The personal report as a standalone HTML page, made now."""
        name = self.participant.get("display_name")
        report = personal_report_html(self.cell.value, self.view_of_others(), display_name=name, today=self.today())
        return report.encode("utf-8")

    def results_file(self) -> bytes:
        """The report's tables as an XLSX workbook, made now."""
        return export.to_xlsx(report_tables(self.cell.value, self.view_of_others()))


# =========================================================================================
# The app
# =========================================================================================


class SoftSkillsApp:
    """The whole workbook for one participant or rater; ``widget`` is what the notebook shows."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        join_codes: RateLimiter = _JOIN_CODES,
    ) -> None:
        self.store, self.today, self.join_codes = store, today, join_codes
        self.assessments = AssessmentStore(store)
        self.participant: dict[str, Any] | None = None
        self.cell: StateCell | None = None  # the assessment (or rating) shown, once there is one
        self.start: StartScreen | None = None
        self.questions: Questionnaire | None = None
        self.results: ResultsView | None = None
        self._completed = False
        self._rated: int | None = None  # on a rating link: the participant rated
        self.browser = BrowserKey(BROWSER_KEY)
        self.browser.observe(lambda _: self._browser_known(), "key")
        self.header = W.HTML()
        self.resume: LinkShownOnce | None = None  # the participant's resume link
        self.resume_box = W.VBox()
        self.status = message_area()
        self.browser_message = message_area()
        self.offer = W.VBox(_dom_classes=("cpmkit-next-round",))  # a later round of the workshop, to take
        self.new_start = W.Button(
            description="Start a new self-assessment", icon="plus", layout=W.Layout(display="none", width="240px")
        )
        self._code = ""  # the join code the page was opened with: a browser that joined with it resumes
        self.new_start.on_click(lambda _: self.show_start(self._code))
        self.body = W.VBox()
        params = query_params(os.environ.get("QUERY_STRING") if query is None else query)
        self.chrome = self._chrome(params)
        self.widget = W.VBox(
            [
                stylesheet(),
                self.chrome.widget,
                self.resume_box,
                self.new_start,
                self.status,
                self.browser_message,
                self.body,
                self.offer,
                self.browser,
            ]
        )
        self.widget.add_class("cpmkit-app")
        self._open(params)
        self.widget.add_class("cpmkit-ready")

    def _chrome(self, params: Mapping[str, str]) -> PageHeader | ParticipantHeader:
        """A PM taking their own assessment gets the PM's header; a link (a participant's, a
        rater's) gets the plain one, over ``header``, linking nowhere."""
        if page_owner() is not None and not {"token", "code", "rate"} & set(params):
            header = PageHeader(self.store, "soft_skills", on_change=lambda _: None)
            header.widget.children = [*header.widget.children, self.header]
            return header
        return ParticipantHeader(self.header, "Soft-skills self-assessment")

    # -- what the link opens --------------------------------------------------------------

    def _open(self, params: Mapping[str, str]) -> None:
        if "rate" in params:
            self.open_rater(params["rate"])
            return
        if "token" in params:
            try:
                participant = self.assessments.participant_by_token(params["token"])
            except NotFoundError as exc:
                self.show_start(params.get("code", ""))
                self.status.say(str(exc))
                return
            self.open_participant(participant, link_is_new=False)
            return
        remember = remembered_assessment_key()
        if "code" not in params and remember is not None:
            remembered = self.store.get_setting(remember)
            if remembered and remembered.isdigit():
                try:
                    participant = self.assessments.participant(int(remembered))
                except NotFoundError:
                    pass
                else:
                    self.open_participant(participant)
                    self.new_start.layout.display = ""
                    return
        self._code = params.get("code", "")
        self.show_start(self._code)
        self._browser_known()

    def show_start(self, code: str) -> None:
        self.participant, self.cell, self.questions, self.results, self._rated = None, None, None, None, None
        self.header.value = ""
        self._show_resume(None)
        replace_children(self.offer, [])
        self.new_start.layout.display = "none"
        self.status.say("")
        self.start = StartScreen(
            self.assessments,
            self.store,
            code=code,
            on_started=self.open_participant,
            join_codes=self.join_codes,
            browser_key=lambda: self.browser.valid_key,
        )
        self.body.children = [self.start.widget]

    def open_participant(self, participant: dict[str, Any], *, link_is_new: bool = True) -> None:
        """Show a participant's assessment where they left off (or their results, if done).

        Their resume link is shown if ``participant`` carries its token: just made
        (``link_is_new``, so shown once) or the one the page was opened with. A participant
        ``resumed`` by their browser is welcomed back, and may start again (another round)."""
        resumed = bool(participant.get("resumed"))
        self.new_start.layout.display = "" if resumed else "none"
        replace_children(self.offer, [])
        with guard(self.status):
            workshop_id = participant["workshop_id"]
            workshop = self.assessments.workshop(workshop_id) if workshop_id is not None else None
            bank = bank_named(workshop["bank"]) if workshop is not None else default_bank()
            pid = int(participant["id"])
            self.participant, self.results, self._rated = participant, None, None
            self._browser_known()
            self.cell = StateCell(resume(AssessmentState(bank, self.assessments.answers(pid))))
            self._completed = participant.get("completed_at") is not None
            where = ""
            if workshop is not None:
                where = f"<p>Workshop <b>{html.escape(workshop['name'])}</b>, round <b>{html.escape(str(participant['round']))}</b>.</p>"
            if isinstance(self.chrome, ParticipantHeader):
                self.chrome.show(workshop["name"] if workshop is not None else bank.name)
            self.header.value = (
                f"<h3>{html.escape(bank.name)}</h3>{where}"
                "<p>Bookmark this link to come back, or open it to continue on another device:</p>"
            )
            self._show_resume(pid)
            if self.resume is not None and participant.get("token"):
                self.resume.show(_href("token", participant["token"]), once=link_is_new)
            self.questions = Questionnaire(
                self.cell,
                save=lambda item, value: self.assessments.save_answer(pid, item, value),
                on_saved=self._saved,
                on_finish=self.show_results,
                finish_label="See my results",
                last_label="Next: my results",
            )
            if self.questions.complete:
                self._mark_completed()
                self.show_results()
            else:
                self.body.children = [self.questions.widget]
        if resumed and "cpmkit-message-error" not in self.status.value:
            self.status.say(WELCOME_BACK, ok=True)

    def open_rater(self, token: str) -> None:
        """A colleague rating a participant: the same items, no results; a returning rater finds
        their earlier answers."""
        rater: dict[str, Any] | None = None
        with guard(self.status):
            rater = self.assessments.peer_rater(token)
        if rater is None:  # a dead link: the status line says so, and there is nothing to answer
            self.body.children = []
            return
        bank = bank_named(rater["bank"]) if rater["bank"] else default_bank()
        self.cell, self._rated = StateCell(AssessmentState(bank, rater["answers"])), int(rater["subject_id"])
        self._show_resume(None)
        self.header.value = (
            "<h3>You are rating a colleague</h3>"
            "<p>A colleague asked for your view. Each statement is written as they would say it about "
            "themselves: for each one, answer <b>how often does this person do this?</b></p>"
            f"<p class='cpmkit-help'>Your colleague sees only each competency's average over at least {MIN_GROUP} "
            f"colleagues who finished, rounded, and it changes only when {MIN_GROUP} more have finished: never your "
            "answers on their own. Your rating counts once every competency is answered. Your answers are saved "
            "as you give them.</p>"
        )
        self.questions = Questionnaire(
            self.cell,
            save=lambda item, value: self._save_rating(token, item, value),
            on_saved=self._saved,
            on_finish=self._thank_rater,
            finish_label="Finish",
            last_label="Finish",
        )
        self.body.children = [self.questions.widget]
        self._browser_known()

    # -- the browser's key ------------------------------------------------------------------

    def _own_browser(self) -> bool:
        """On a rating link: whether this browser is one the rated participant opened their own
        assessment in (not known before the browser sends its key)."""
        key = self.browser.valid_key
        return self._rated is not None and key is not None and self.assessments.is_own_browser(self._rated, key)

    def _browser_known(self) -> None:
        """The browser's key arrived (or a page opened): a participant's own page remembers the
        browser; a join link opened in a browser that joined with it resumes that participant;
        a rating link opened in the rated participant's browser is refused."""
        key = self.browser.valid_key
        if key is None:
            return
        with guard(self.browser_message):
            if self.participant is not None:
                self.assessments.remember_own_browser(int(self.participant["id"]), key)
            elif self._rated is None and self._code.strip():
                known = self.assessments.browser_participant(self._code, key)
                if known is not None:
                    self.open_participant({**known, "resumed": True})
            elif self._own_browser():
                self.body.children = []
                raise ValidationError(OWN_BROWSER)

    def _save_rating(self, token: str, item_id: str, value: int) -> None:
        if self._own_browser():
            raise ValidationError(OWN_BROWSER)
        self.assessments.save_peer_answer(token, item_id, value)

    def _show_resume(self, participant_id: int | None) -> None:
        """The resume link's place: for ``participant_id`` (nothing shown until a link is), or none."""
        self.resume = None if participant_id is None else LinkShownOnce(partial(self._new_resume_link, participant_id))
        replace_children(self.resume_box, [] if self.resume is None else [self.resume.widget])

    def _new_resume_link(self, participant_id: int) -> str:
        return _href("token", self.assessments.new_resume_token(participant_id))

    # -- moving on --------------------------------------------------------------------------

    def show_results(self) -> None:
        participant, cell = self.participant, self.cell
        if participant is None or cell is None:
            return
        with guard(self.status):
            if self.results is None:
                self.results = ResultsView(
                    self.assessments,
                    participant,
                    cell,
                    on_back=self._back_to_questions,
                    on_saved=self._saved,
                    today=self.today,
                )
            self.results.refresh()
            self.body.children = [self.results.widget]
            self._offer_rounds(participant)

    def _offer_rounds(self, participant: Mapping[str, Any]) -> None:
        """Under the results: the later rounds of the open workshop this person has not taken,
        each a button that takes it as the same person (so its results show their change)."""
        rounds = self.assessments.rounds_to_take(int(participant["id"]))
        buttons: list[W.Button] = []
        for name in rounds:
            button = W.Button(description=f"Take the round {name!r}", icon="forward", layout=fluid("260px"))
            button.on_click(lambda _, name=name: self._take_round(participant, name, buttons))
            buttons.append(button)
        intro = W.HTML(
            "<h3 class='cpmkit-section'>The next round</h3><p class='cpmkit-help'>When your trainer asks you to, "
            "take the next round here (or from this link later): your results will then show how your scores "
            "changed since this round. Your trainer sees your answers under your name if you gave one; without a "
            "name, only in groups of three or more, so never your own change.</p>"
        )
        replace_children(self.offer, [intro, *buttons] if rounds else [])

    def _take_round(self, participant: Mapping[str, Any], name: str, buttons: Sequence[W.Button]) -> None:
        """Take the round once: the buttons are disabled at the first tap, and a second tap sent
        before the page knew it (a double tap) is let go; a refusal enables them again."""
        if any(button.disabled for button in buttons):
            return
        for button in buttons:
            button.disabled = True
        taken: dict[str, Any] | None = None
        with guard(self.status):
            taken = self.assessments.take_round(int(participant["id"]), name, browser_key=self.browser.valid_key)
        if taken is not None:
            self.open_participant(taken)
        else:
            for button in buttons:
                button.disabled = False

    def _back_to_questions(self) -> None:
        replace_children(self.offer, [])  # offered again with the results
        if self.questions is not None:
            self.questions.show(self.questions.steps - 1)
            self.body.children = [self.questions.widget]

    def _thank_rater(self) -> None:
        if self.questions is None:
            return
        view = page_view(self.questions.state)
        answered, total = view.answered, view.total
        back = W.Button(description="Back to the questions", icon="arrow-left")
        back.on_click(lambda _: self._back_to_rating())
        more = "" if answered == total else f" You answered {answered} of {total}; go back to add the rest if you like."
        self.body.children = [
            W.HTML(f"<h3>Thank you</h3><p>Your answers are saved.{html.escape(more)} You can close this page.</p>"),
            back,
        ]

    def _back_to_rating(self) -> None:
        if self.questions is not None:
            self.body.children = [self.questions.widget]

    def _saved(self) -> None:
        self.status.say(f"All changes saved ({dt.datetime.now():%H:%M:%S}).", ok=True)
        if self.participant is not None and self.questions is not None and self.questions.complete:
            self._mark_completed()

    def _mark_completed(self) -> None:
        if self.participant is not None and not self._completed:
            self.assessments.mark_completed(int(self.participant["id"]))
            self._completed = True
