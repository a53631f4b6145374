"""Workbook 4's team health check in Voila: the member's cards, the facilitator's results and
the PM's form and heat map. A check opens from a retrospective board's links (``retro.ui``
branches on the board's kind), so joining, links, finish, archive and reopen are the board's.

A member's page (phones first) shows each dimension as a card with what green and red look
like, three large buttons green, amber and red, a trend (better, same, worse) and an optional
note; every tap is saved at once and the card says what is saved. While the check is open
nobody sees results, not even the facilitator, whose page shows only "N of M members have voted"
(and who, on a named check) and Finish: figures that moved with each vote would tell each vote.
Once finished (for good: votes are refused from then on), everyone sees each dimension's
distribution as a stacked bar with counts, its spread in words, its trends and its notes (with
names only on a named check); nothing if fewer than ``rules.MIN_VOTERS`` voted, and nothing of
a dimension with fewer votes.
What people typed is shown escaped. Pages check the store's cheap ``version`` every few seconds
and redraw only when it changed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as W

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.health.rules import (
    COLOURS,
    MIN_VOTERS,
    TRENDS,
    CheckResults,
    DimensionResult,
    check_results,
    history,
    member_votes,
)
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.health.template import HealthChecks, HealthDimension
from cpmkit.feedback.retro import rules as retro
from cpmkit.ui.chart import VegaChart
from cpmkit.ui.live_refresh import LiveRefresh
from cpmkit.ui.ticker import Ticker
from cpmkit.ui.widgets import NAMED, ask_to_confirm, fluid, guard, message_area, replace_children

if TYPE_CHECKING:
    from cpmkit.feedback.health import charts
else:  # Altair and pandas only once the PM's heat map is drawn: a member's page never needs them
    charts = deferred_module("cpmkit.feedback.health.charts")

__all__ = [
    "ChoiceButtons",
    "DimensionCard",
    "HealthBoard",
    "HealthPanel",
    "join_help",
    "results_html",
]

_NAMED_NOTE: Final = "On this check, everyone's votes and notes are shown with their names."
_ANONYMOUS_NOTE: Final = "Your votes and notes are anonymous: nobody sees who gave which colour."
_TREND_ICONS: Final = {"better": "arrow-up", "same": "arrow-right", "worse": "arrow-down"}
_TREND_WORDS: Final = {"better": "better", "same": "the same", "worse": "worse"}


def join_help(board: Mapping[str, Any]) -> str:
    """What the join form of a health check says, before anyone joins: whether names are shown."""
    shown = (
        "Your votes and notes will be shown with your name."
        if board.get("named_votes")
        else "Your votes are anonymous: they are counted with the others'."
    )
    return (
        "<p>Join with your name: joining again in this browser under the same name brings back your answers. "
        f"{shown} Results are shown only once the check is finished, if at least {MIN_VOTERS} people have voted.</p>"
    )


class ChoiceButtons:
    """A row of buttons of which at most one is chosen (class ``cpmkit-chosen``, coloured by
    cpmkit.css after its ``cpmkit-choice-<value>`` class); a tap calls ``on_choose(value)``, and
    ``show(value)`` marks what the store saved."""

    def __init__(self, options: Sequence[str], on_choose: Callable[[str], None], *, label: str) -> None:
        self.buttons = {value: self._button(value, on_choose, label) for value in options}
        self.widget = W.HBox(list(self.buttons.values()))
        self.widget.add_class("cpmkit-health-choices")
        self.chosen: str | None = None

    def _button(self, value: str, on_choose: Callable[[str], None], label: str) -> W.Button:
        button = W.Button(
            description=value.capitalize(),
            tooltip=f"{label}: {value}",
            icon=_TREND_ICONS.get(value, ""),
            layout=W.Layout(width="auto"),
        )
        button.add_class(f"cpmkit-choice-{value}")
        button.on_click(lambda _: on_choose(value))
        return button

    def show(self, value: str | None) -> None:
        if value == self.chosen:
            return
        self.chosen = value
        for option, button in self.buttons.items():
            if option == value:
                button.add_class("cpmkit-chosen")
            else:
                button.remove_class("cpmkit-chosen")


class DimensionCard:
    """One dimension on a member's page: what green and red look like, the colour, trend and
    note, each saved as it is tapped or typed (``on_save(dimension, field, value)``)."""

    def __init__(self, dimension: HealthDimension, on_save: Callable[[str, str, Any], None]) -> None:
        self.dimension, self.on_save = dimension, on_save
        self.message = message_area()
        self.colours = ChoiceButtons(COLOURS, lambda v: self._save("colour", v), label=dimension.name)
        self.trends = ChoiceButtons(TRENDS, lambda v: self._save("trend", v), label=f"{dimension.name}, trend")
        self.trends.widget.add_class("cpmkit-health-trend")
        self.note = W.Textarea(
            placeholder="A note (optional): what would make it greener?",
            continuous_update=False,  # saved when the member leaves the box
            description=f"{dimension.name}, note",
            layout=fluid("620px", height="56px"),
        )
        self.note.add_class(NAMED)
        self._note_shown = False  # the note is drawn once from the store, then it is the member's to type
        self.note.observe(lambda change: self._save("note", change["new"]) if self._note_shown else None, "value")
        self.saved = W.HTML()
        self.saved.add_class("cpmkit-health-saved")
        about = W.HTML(
            f"<h4>{html.escape(dimension.name)}</h4>"
            f"<p class='cpmkit-health-looks'><b>Green:</b> {html.escape(dimension.green)}</p>"
            f"<p class='cpmkit-health-looks'><b>Red:</b> {html.escape(dimension.red)}</p>"
        )
        trend_label = W.HTML("<span class='cpmkit-help'>Since the last check it is getting:</span>")
        self.widget = W.VBox(
            [about, self.colours.widget, trend_label, self.trends.widget, self.note, self.saved, self.message]
        )
        self.widget.add_class("cpmkit-health-card")
        self.widget.add_class(f"cpmkit-health-card-{dimension.id}")

    def show(self, vote: Mapping[str, str | None]) -> None:
        """Mark what the store holds for this member: colour, trend, and (the first time) the note."""
        colour, trend, note = vote.get("colour"), vote.get("trend"), vote.get("note")
        self.colours.show(colour)
        self.trends.show(trend)
        if not self._note_shown:
            self.note.value = note or ""
            self._note_shown = True
        parts = [colour or "no colour yet", f"getting {_TREND_WORDS[trend]}" if trend else "", "a note" if note else ""]
        shown = " · ".join(p for p in parts if p)
        self.saved.value = f"Saved: {html.escape(shown)}" if any(vote.values()) else ""

    def _save(self, field: str, value: Any) -> None:
        with guard(self.message):
            self.on_save(self.dimension.id, field, value)


def results_html(results: CheckResults, *, named: bool) -> str:
    """A check's results: "N of M members have voted" (and who, on a named check, while it is
    open); once finished, each dimension's stacked bar, counts, spread, trends and notes
    (escaped), or why nothing is shown."""
    voted = f"{results.voters} of {results.members} members have voted"
    head = f"<p class='cpmkit-health-count' role='status'><b>{voted}</b>"
    if not results.finished:
        who = (
            f"<p class='cpmkit-health-voted'><b>Voted:</b> {html.escape(', '.join(results.voted))}</p>"
            if results.voted
            else ""
        )
        return head + (
            " <span class='cpmkit-help'>Results show when you finish the check, "
            f"if at least {MIN_VOTERS} have voted.</span></p>{who}"
        )
    if not results.shown:
        return head + (
            f" <span class='cpmkit-help'>Fewer than {MIN_VOTERS} members voted, so no results are shown: "
            "nobody's vote can be told apart.</span></p>"
        )
    how = _NAMED_NOTE if named else "Votes are anonymous."
    # A focusable region: a finished check's page has no button left, and a keyboard must still scroll it.
    return (
        head
        + f" <span class='cpmkit-help'>{how}</span></p>"
        + "<div class='cpmkit-health-list' role='region' aria-label='Results by dimension' tabindex='0'>"
        + "".join(_result_html(d) for d in results.dimensions)
        + "</div>"
    )


def _result_html(result: DimensionResult) -> str:
    if not result.shown:
        return (
            f"<div class='cpmkit-health-result' data-dimension='{html.escape(result.id)}'>"
            f"<b>{html.escape(result.name)}</b> "
            f"<span class='cpmkit-help cpmkit-health-few'>{html.escape(result.spread_label)}</span></div>"
        )
    total = result.votes
    bar = "".join(
        f"<span class='cpmkit-health-{c}' style='width:{100 * n / total:.1f}%'></span>"
        for c, n in zip(COLOURS, result.colours)
        if n
    )
    counts = ", ".join(f"{n} {c}" for c, n in zip(COLOURS, result.colours))
    trends = " · ".join(f"{n} {t}" for t, n in zip(TRENDS, result.trends))
    names = "".join(
        f"<div class='cpmkit-health-names'><b>{c.capitalize()}:</b> {html.escape(', '.join(who))}</div>"
        for c, who in zip(COLOURS, result.names)
        if who
    )
    notes = "".join(
        f"<li>{html.escape(note.text)}"
        + (f" <span class='cpmkit-retro-author'>({html.escape(note.name)})</span>" if note.name else "")
        + "</li>"
        for note in result.notes
    )
    return (
        f"<div class='cpmkit-health-result' data-dimension='{html.escape(result.id)}'>"
        f"<b>{html.escape(result.name)}</b> "
        f"<span class='cpmkit-health-spread' data-spread='{result.spread_label}'>{result.spread_label}</span>"
        f"<div class='cpmkit-health-bar' role='img' aria-label='{counts}'>{bar}</div>"
        f"<div class='cpmkit-health-counts'>{counts}</div>"
        f"<div class='cpmkit-help cpmkit-health-trends'>Trend: {trends}</div>{names}"
        + (f"<ul class='cpmkit-health-notes'>{notes}</ul>" if notes else "")
        + "</div>"
    )


def _closed(board: Mapping[str, Any]) -> str:
    """A finished (or archived) check's notice, read out as a status; "" while it is open."""
    problem = retro.closed_problem(board)
    if problem is None:
        return ""
    status = retro.board_status(board)
    return f"<p class='cpmkit-retro-closed' data-status='{status}' role='status'><b>{html.escape(problem)}</b></p>"


class HealthBoard(LiveRefresh):
    """A health check's live page: a joined member's cards (``member_id``), the facilitator's
    results and Finish (``facilitator_key``), and once finished the results for everyone."""

    def __init__(
        self,
        health: HealthStore,
        board: Mapping[str, Any],
        member_id: int | None,
        *,
        facilitator_key: str | None = None,
        refresh_seconds: float | None = 2.0,
    ) -> None:
        self.health, self.member_id, self.facilitator_key = health, member_id, facilitator_key
        self.board_id = int(board["id"])
        self.check = health.check(dict(board))
        self.message = message_area()
        self.live_message = message_area()
        self.notice = W.HTML()
        self.privacy = W.HTML()
        self.cards = {d.id: DimensionCard(d, self._save) for d in self.check.dimensions}
        self.card_box = W.VBox([card.widget for card in self.cards.values()] if member_id is not None else [])
        self.card_box.add_class("cpmkit-health-cards")
        self.results = W.HTML()
        self.results.add_class("cpmkit-health-results")
        self.finish = W.Button(description="Finish the check", icon="flag-checkered", button_style="primary")
        self.finish_confirm = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.finish.on_click(lambda _: self._ask_to_finish())
        controls = [W.VBox([self.finish, self.finish_confirm])] if facilitator_key is not None else []
        self.widget = W.VBox(
            [self.notice, self.privacy, self.message, self.live_message, self.card_box, self.results, *controls]
        )
        self.widget.add_class("cpmkit-health-board")
        self.ticker = Ticker(self.tick, refresh_seconds) if refresh_seconds is not None else None
        self.refresh()
        if self.ticker is not None:
            self.ticker.start_with(self.widget)

    def _version(self) -> object:
        return self.health.version(self.board_id)

    def _read(self) -> None:
        state = self.health.state(self.board_id)
        status = retro.board_status(state.board)
        self.notice.value = _closed(state.board)
        if self.member_id is not None:  # the facilitator's results say it themselves
            self.privacy.value = f"<p class='cpmkit-help'>{_NAMED_NOTE if state.named else _ANONYMOUS_NOTE}</p>"
        self.card_box.layout.display = None if status == "open" else "none"
        if self.member_id is not None:
            mine = member_votes(state.votes, self.member_id)
            for dimension, card in self.cards.items():
                card.show(mine.get(dimension, {}))
        finished = status == "finished"  # an archived check shows only that it is (reopened, it is as it was)
        if finished or (self.facilitator_key is not None and status == "open"):
            results = check_results(state.votes, len(state.members), self.check, named=state.named, finished=finished)
            self.results.value = results_html(results, named=state.named)
        else:
            self.results.value = ""
        self.finish.layout.display = None if status == "open" else "none"
        if status != "open":
            replace_children(self.finish_confirm, [])

    def _save(self, dimension: str, field: str, value: Any) -> None:
        if self.member_id is None:
            raise ValidationError("Join the check with your name to vote.")
        self.health.save(self.member_id, dimension, field, value)
        self._load()

    def _ask_to_finish(self) -> None:
        ask_to_confirm(
            self.finish_confirm,
            "Finish the health check? Nobody can vote or change a vote on it afterwards.",
            yes="Finish",
            on_yes=self._finish,
        )

    def _finish(self) -> None:
        with guard(self.message):
            replace_children(self.finish_confirm, [])
            self.health.retros.finish(self.board_id, facilitator_key=self.facilitator_key)
            self._load()


class HealthPanel:
    """The PM's part of the retrospectives tab for health checks: a form to create one (anonymous
    or named votes) and the heat map of the project's checks over time. A created check's links
    are shown by the boards list (``on_created`` gets its secrets)."""

    def __init__(
        self,
        store: Store,
        *,
        on_created: Callable[[Mapping[str, Any]], None],
        checks: HealthChecks | None = None,
    ) -> None:
        self.health = HealthStore(store, checks)
        self.on_created = on_created
        self.project_id: int | None = None
        self.title = W.Text(placeholder="e.g. Health check, March", description="Title", layout=fluid("360px"))
        self.check = W.Dropdown(description="Check", layout=fluid("360px"))
        self.named = W.RadioButtons(
            options=[("Anonymous: nobody sees who voted what", False), ("Named: votes shown with names", True)],
            value=False,
            description="Votes",
        )
        self.create = W.Button(description="Create health check", icon="plus", button_style="primary")
        self.message = message_area()
        self.create.on_click(lambda _: self._create())
        self.form = W.VBox(
            [
                W.HTML("<h4 class='cpmkit-section'>New team health check</h4>"),
                W.HTML(
                    "<p class='cpmkit-help'>Each member rates every dimension green, amber or red, with a trend "
                    f"and a note. Results show when the check is finished, if at least {MIN_VOTERS} have voted. "
                    "It gets the same two links as a retrospective.</p>"
                ),
                W.HBox([self.title, self.check]),
                self.named,
                self.create,
                self.message,
            ]
        )
        self.form.add_class("cpmkit-health-new")
        with guard(self.message):  # a broken health_check.yaml: said here, the retrospectives work on
            self.check.options = [(c.name, c.id) for c in self.health.checks.checks.values()]
            self.check.value = next(iter(self.health.checks.checks), None)
        self.chart = VegaChart()
        self.chart.add_class("cpmkit-chart")
        self.empty = W.HTML()
        self.history = W.VBox([W.HTML("<h4 class='cpmkit-section'>Team health over time</h4>"), self.empty, self.chart])
        self.history.add_class("cpmkit-health-history")

    def show(self, project_id: int | None) -> None:
        """Redraw the project's heat map."""
        self.project_id = project_id
        with guard(self.message):
            found = (
                history(self.health.history_rows(project_id), self.health.checks.names)
                if project_id is not None
                else None
            )
            empty = found is None or found.empty
            self.chart.layout.display = "none" if empty else None
            self.empty.value = (
                f"<p class='cpmkit-help'>No finished health check with at least {MIN_VOTERS} voters yet.</p>"
                if empty
                else ""
            )
            if found is not None and not found.empty:
                self.chart.draw(charts.heat_map(found))

    def _create(self) -> None:
        made: dict[str, Any] | None = None
        with guard(self.message):
            if self.project_id is None:
                raise ValidationError("Choose or create a project first.")
            created = self.health.create_check(
                self.project_id, self.title.value, self.check.value, named=self.named.value
            )
            self.title.value = ""
            self.on_created(created)
            made = created
        if made is not None:
            self.message.say("Health check created: copy its two links now, from the boards list below.", ok=True)
