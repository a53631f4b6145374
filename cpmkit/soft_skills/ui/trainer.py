"""Workbook 2, the trainer's side: create a soft-skills workshop, then follow it live on a
dashboard (who joined and finished, the cohort's spread per competency, the change between
rounds), export the results and close the workshop. Entry point: ``app()``.

Nothing about a cohort shows without the workshop's trainer key, which the store checks; the
key is shown once, when the workshop is created, and never put in a link.

The counts refresh by themselves every few seconds while the dashboard is open: a task on the
kernel's event loop (a daemon thread where there is none) calls ``WorkshopDashboard.tick``,
which reads the store once; the answers are re-read only when the counts moved, or on
"Refresh now". Each refresh also says how many more participants the server can take now
(``cpmkit.serving.kernel_count``: its kernel cap and count, and the memory free).
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any, Final

import ipywidgets as W
import pandas as pd

from cpmkit.core.capacity import Capacity
from cpmkit.core.rate_limit import RateLimiter
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.serving.kernel_count import server_capacity
from cpmkit.soft_skills.bank import DEFAULT_BANK, QuestionBank, bank_named, bank_names
from cpmkit.soft_skills.scoring import MIN_GROUP, cohort_distribution
from cpmkit.soft_skills.store import AssessmentStore, TrainerAccess
from cpmkit.soft_skills.workshop import (
    EXPORT_COLUMNS,
    answers_by_round,
    cohort_change,
    distribution_table,
    export_sheets,
    export_tables,
    file_stem,
    has_figures,
    parse_rounds,
    participant_link,
    requested_workshop,
    status_table,
    trainer_link,
)
from cpmkit.ui.copy_button import CopyButton
from cpmkit.ui.download import table_downloads
from cpmkit.ui.page_header import PageHeader
from cpmkit.ui.session import open_store, page_base_url, safe_app
from cpmkit.ui.ticker import Ticker
from cpmkit.ui.widgets import (
    MessageArea,
    ask_to_confirm,
    guard,
    message_area,
    qr_html,
    replace_children,
    stylesheet,
    table_html,
)

__all__ = ["REFRESH_SECONDS", "TRAINER_KEY_TRIES", "WorkshopApp", "WorkshopDashboard", "app"]


#: How often an open dashboard re-reads the counts.
REFRESH_SECONDS: Final = 3.0
#: Wrong trainer keys (or workshop numbers) a page may try: 5 in any minute. Each check of a
#: key costs the kernel a scrypt of 16 MiB; a key is 128 random bits, so trying is hopeless
#: anyway, and this keeps a flood of tries from loading the CPU.
TRAINER_KEY_TRIES: Final = (5, 60.0)
#: The kernel's limiter of wrong trainer keys (a kernel is one page).
_TRAINER_KEYS: Final = RateLimiter(*TRAINER_KEY_TRIES)
_WRONG_KEY: Final = "wrong trainer key"  # the limiter's key: one count per kernel
#: Where the cohort chart comes from, imported on first use (Altair costs a kernel about 0.4 s).
_CHARTS_MODULE = "cpmkit.soft_skills.charts"


def app() -> W.Widget:
    """Build the trainer's workshop page on the default store; the notebook displays what this returns."""
    return safe_app(lambda: WorkshopApp(open_store()).widget)


def _section(title: str) -> W.HTML:
    return W.HTML(f'<h4 class="cpmkit-section">{html.escape(title)}</h4>')


def _join_code_html(code: str) -> str:
    return (
        '<div class="cpmkit-join-code" style="font-size:44px;font-weight:bold;letter-spacing:6px;'
        f'font-family:monospace;margin:4px 0">{html.escape(code)}</div>'
    )


def _link_html(href: str) -> str:
    escaped = html.escape(href)
    return f'<a href="{escaped}" target="_blank" class="cpmkit-workbook-link">{escaped}</a>'


def _room_counts_html(status: Mapping[str, Mapping[str, int]]) -> str:
    """The room's live counts, large: per round, how many joined and how many finished."""
    return "".join(
        f'<div class="cpmkit-room-counts">{html.escape(name)}: <b>{int(counts.get("joined", 0))}</b> joined · '
        f"<b>{int(counts.get('completed', 0))}</b> finished</div>"
        for name, counts in status.items()
    )


def _room_html(code: str, join: str) -> str:
    """What a projector shows the room: the join address, the code and the QR code, large."""
    return (
        f'<div class="cpmkit-room-address">{html.escape(join)}</div>'
        f'<div class="cpmkit-room-code">{html.escape(code)}</div>'
        f"{qr_html(join, css_class='cpmkit-room-qr')}"
    )


class WorkshopDashboard:
    """One workshop's live view, built on the access the store gives for the trainer key."""

    def __init__(
        self,
        trainer: TrainerAccess,
        *,
        bank: QuestionBank,
        refresh_seconds: float | None = REFRESH_SECONDS,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        capacity: Callable[[], Capacity | None] = server_capacity,
    ) -> None:
        self.trainer, self.bank, self.now, self.capacity = trainer, bank, now, capacity
        workshop = trainer.workshop
        self.workshop_id = trainer.workshop_id
        self.name = str(workshop["name"])
        self.rounds: list[str] = [str(r) for r in workshop["rounds"]]
        self.is_open = bool(workshop["is_open"])
        self.status: dict[str, dict[str, int]] | None = None
        self.still_answering: dict[str, list[str]] | None = None
        self.by_round: dict[str, dict[str, dict[str, int]]] = {name: {} for name in self.rounds}
        self.export: pd.DataFrame = pd.DataFrame(columns=EXPORT_COLUMNS)  # the answers last read
        self.people: list[dict[str, Any]] = []  # the participants last read, to pair their rounds

        code = str(workshop["join_code"])
        join = participant_link(code, page_base_url())
        self.header = W.HTML(
            f"<h3>{html.escape(self.name)}</h3>"
            f'<p class="cpmkit-help">Workshop number {self.workshop_id}. Participants join with this code:</p>'
            f"{_join_code_html(code)}"
            f"<p>or open {_link_html(join)}, or scan:</p>{qr_html(join)}"
        )
        self.header.add_class("cpmkit-workshop-header")
        self.room_button = W.Button(description="Show to the room", icon="television", layout=W.Layout(width="auto"))
        # The projector's view: how to join, who joined and finished, and the cohort once it shows.
        self.room_join = W.HTML(_room_html(code, join))
        self.room_counts = W.HTML()
        self.room_chart = W.Box()
        self.room = W.VBox(
            [self.room_join, self.room_counts, self.room_chart],
            layout=W.Layout(display="none"),
            _dom_classes=("cpmkit-room",),
        )
        self.room_button.on_click(lambda _: self.toggle_room())
        share = W.HBox([CopyButton(join, label="Copy the join link"), self.room_button])
        share.add_class("cpmkit-share")
        self.state = W.HTML()

        # Live counts.
        self.counts = W.HTML()
        self.counts.add_class("cpmkit-workshop-counts")
        self.updated = W.HTML()
        self.room_left = W.HTML()  # how many more the server can take; empty outside `cpmkit serve`
        self.room_left.add_class("cpmkit-capacity")
        self.refresh_button = W.Button(description="Refresh now", icon="refresh")
        self.live_message = message_area()

        # Cohort distribution of one round.
        self.round_choice = W.Dropdown(options=self.rounds, value=self.rounds[0], description="Round")
        self.chart: Any = None
        self.chart_box = W.Box()
        self.distribution = W.HTML()
        self.figures_message = message_area()

        # Change between two rounds.
        self.before = W.Dropdown(options=self.rounds, value=self.rounds[0], description="From")
        self.after = W.Dropdown(options=self.rounds, value=self.rounds[-1], description="To")
        self.change_kind = W.HTML()  # paired, or each round's own mean
        self.change_kind.add_class("cpmkit-change-kind")
        self.change = W.HTML()
        self.change_message = message_area()

        # Export and closing.
        self.downloads = table_downloads(
            self._export_tables,
            sheets=export_sheets(self.rounds),
            stem=file_stem(self.name, self.workshop_id),
            label="All results (XLSX)",
        )
        self.close_button = W.Button(description="Close workshop", icon="lock", button_style="danger")
        self.confirm = W.HBox()
        self.close_message = message_area()

        hidden_rule = W.HTML(
            f'<p class="cpmkit-help">No figure is shown for a group of fewer than {MIN_GROUP} participants, '
            "so nobody's answers can be singled out. Figures count only participants who have finished: everyone "
            f"who gave a name, and those who stay anonymous in groups of {MIN_GROUP} (the first {MIN_GROUP} to "
            f"finish, then the next {MIN_GROUP}...), so comparing the page before and after someone finishes "
            "singles out nobody either.</p>"
        )
        self.widget = W.VBox(
            [
                self.header,
                share,
                self.room,
                self.state,
                _section("Participants"),
                self.counts,
                W.HBox([self.refresh_button, self.updated]),
                self.room_left,
                self.live_message,
                _section("Cohort per competency"),
                hidden_rule,
                self.round_choice,
                self.figures_message,
                self.chart_box,
                self.distribution,
                _section("Change between rounds"),
                W.HTML(
                    '<p class="cpmkit-help">Someone who takes a later round from the browser they took an earlier '
                    "one in, or from their own link, is the same person in both. Once "
                    f"{MIN_GROUP} such people have finished both rounds, the change is measured within each of them "
                    f"(paired), counting them in groups of {MIN_GROUP} in the order they finished, as above; until "
                    "then it compares each round's mean. Who is paired with whom is never shown.</p>"
                ),
                W.HBox([self.before, self.after]),
                self.change_message,
                self.change_kind,
                self.change,
                _section("Export the results"),
                W.HTML(
                    '<p class="cpmkit-help">The downloads hold the answers the figures count, and nothing of a '
                    f"round of fewer than {MIN_GROUP}. Answers are labelled with the name a participant gave; "
                    'anonymous ones get a label such as "Anonymous K7PQ", drawn afresh for every download. '
                    "No link or key is ever exported.</p>"
                ),
                self.downloads,
                _section("Close the workshop"),
                W.HBox([self.close_button, self.confirm]),
                self.close_message,
            ]
        )
        self.widget.add_class("cpmkit-workshop-dashboard")

        self.refresh_button.on_click(lambda _: self.refresh())
        self.round_choice.observe(lambda _: self._show_figures(), "value")
        self.before.observe(lambda _: self._show_change(), "value")
        self.after.observe(lambda _: self._show_change(), "value")
        self.close_button.on_click(lambda _: self._ask_close())
        self.ticker = Ticker(self.tick, refresh_seconds) if refresh_seconds is not None else None
        self._show_state()
        self.refresh()
        if self.ticker is not None:
            self.ticker.start_with(self.widget)

    def toggle_room(self) -> None:
        """Show the join address, code and QR code large, for a projector; or hide them again."""
        showing = self.room.layout.display != "none"
        self.room.layout.display = "none" if showing else None
        self.room_button.description = "Show to the room" if showing else "Hide the room view"
        self._place_room_chart()

    # -- live refresh -------------------------------------------------------------------------

    def tick(self) -> None:
        """One periodic refresh: read the counts (one store read); re-read the answers only if
        someone joined or finished since the last time."""
        with guard(self.live_message):
            status, still_answering = self.trainer.live_status()
            changed = status != self.status
            self._show_status(status, still_answering)
            if changed:
                self._load_answers()

    def refresh(self) -> None:
        """Everything afresh: the counts and every answer so far ("Refresh now")."""
        with guard(self.live_message):
            self._show_status(*self.trainer.live_status())
            self._load_answers()

    def stop(self) -> None:
        """Stop the periodic refresh (the dashboard is closed or replaced)."""
        if self.ticker is not None:
            self.ticker.stop()

    def _show_status(self, status: dict[str, dict[str, int]], still_answering: dict[str, list[str]]) -> None:
        if (status, still_answering) != (self.status, self.still_answering):
            self.status, self.still_answering = status, still_answering
            self.counts.value = table_html(
                status_table(status, still_answering),
                columns={
                    "round": "Round",
                    "joined": "Joined",
                    "completed": "Completed",
                    "in_progress": "Still answering",
                    "who": "Who",
                },
                empty="This workshop has no rounds.",
            )
            self.room_counts.value = _room_counts_html(status)
        live = (
            f", refreshes every {self.ticker.seconds:g} s"
            if self.ticker is not None and not self.ticker.stopped
            else ""
        )
        self.updated.value = f'<span class="cpmkit-help">Updated {self.now():%H:%M:%S}{live}.</span>'
        server = self.capacity()
        self.room_left.value = "" if server is None else f'<p class="cpmkit-help">{html.escape(server.sentence())}</p>'

    def _load_answers(self) -> None:
        # Two reads: the pairs count only people the answers read show finished (released_pairs),
        # so a pair finished between them waits for the next refresh, never counts half-read.
        self.export, self.people = self.trainer.cohort_export(), self.trainer.people()
        self.by_round = answers_by_round(self.export, self.rounds)
        self._show_figures()
        self._show_change()

    # -- figures ------------------------------------------------------------------------------

    def _show_figures(self) -> None:
        with guard(self.figures_message):
            round_name = self.round_choice.value
            dist = cohort_distribution(self.bank, self.by_round.get(round_name, {}))
            points = [point for point, _label in self.bank.scale.points]
            labels = dict(self.bank.scale.points)
            columns = {
                "name": "Competency",
                "n": "Participants",
                "mean": "Mean",
                "min": "Min",
                "q1": "Q1",
                "median": "Median",
                "q3": "Q3",
                "max": "Max",
                **{f"n_{point}": f"{point} {labels[point]}" for point in points},
                "status": "Note",
            }
            self.distribution.value = table_html(distribution_table(dist), columns=columns)
            self._draw_chart(dist if has_figures(dist) else None)

    def _draw_chart(self, dist: pd.DataFrame | None) -> None:
        chart = _distribution_chart(dist) if dist is not None else None
        if chart is None:
            self.chart_box.children = []
        else:
            if self.chart is None:
                from cpmkit.ui.chart import VegaChart

                self.chart = VegaChart(layout=W.Layout(flex="0 0 auto", overflow="visible"))
            self.chart.draw(chart)
            self.chart_box.children = [self.chart]
        self._place_room_chart()

    def _place_room_chart(self) -> None:
        """The room view shows the dashboard's chart too (the same widget, a second view of it),
        only while the room view shows: a hidden copy would be drawn again at every refresh."""
        self.room_chart.children = self.chart_box.children if self.room.layout.display != "none" else ()

    def _show_change(self) -> None:
        if len(self.rounds) < 2:
            self.change.value = '<p class="cpmkit-help">This workshop has one round: there is nothing to compare.</p>'
            return
        self.change.value = self.change_kind.value = ""
        with guard(self.change_message):
            before, after = self.before.value, self.after.value
            kind, change = cohort_change(self.bank, self.export, self.people, before=before, after=after)
            labels = {
                "name": "Competency",
                "mean_before": f"Mean, {before}",
                "mean_after": f"Mean, {after}",
                "change": "Change",
                "pairs": "Participants in both rounds",
                "n_before": f"Participants, {before}",
                "n_after": f"Participants, {after}",
                "status": "Note",
            }
            self.change_kind.value = f'<p class="cpmkit-help">{html.escape(kind)}</p>'
            self.change.value = table_html(change, columns={k: v for k, v in labels.items() if k in change.columns})

    # -- actions ------------------------------------------------------------------------------

    def _export_tables(self) -> dict[str, pd.DataFrame]:
        """The workshop's results as exported, read now (anonymous labels drawn afresh)."""
        return export_tables(self.trainer.cohort_export(), self.bank, self.rounds)

    def _ask_close(self) -> None:
        if not self.is_open:
            return
        question = "Close the workshop? Nobody new can join; people already in can still finish."
        ask_to_confirm(self.confirm, question, yes="Yes, close it", on_yes=self._close)

    def _close(self) -> None:
        with guard(self.close_message):
            self.trainer.close()
            self.is_open = False
            replace_children(self.confirm, [])
            self._show_state()

    def _show_state(self) -> None:
        if self.is_open:
            self.state.value = '<p class="cpmkit-message-ok">Open: participants can join with the code.</p>'
        else:
            self.state.value = '<p class="cpmkit-message-error">Closed: the code no longer lets anyone join.</p>'
        self.close_button.disabled = not self.is_open


def _distribution_chart(dist: pd.DataFrame) -> Any:
    """The participant app's cohort chart, if that module is installed; else None (table only)."""
    try:
        charts = importlib.import_module(_CHARTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != _CHARTS_MODULE:
            raise
        return None
    make = getattr(charts, "cohort_distribution_chart", None)
    return make(dist) if callable(make) else None


class WorkshopApp:
    """The trainer's page: create or open a workshop; the dashboard once the key is accepted."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None = None,
        refresh_seconds: float | None = REFRESH_SECONDS,
        trainer_keys: RateLimiter = _TRAINER_KEYS,
    ) -> None:
        self.assess = AssessmentStore(store)
        # Workshops belong to no project: the header's project switch only points its links.
        self.header = PageHeader(store, "workshop_trainer", on_change=lambda _: None)
        self.refresh_seconds = refresh_seconds
        self.trainer_keys = trainer_keys
        self.dashboard: WorkshopDashboard | None = None
        self._created_key: tuple[int, str] | None = None
        requested = requested_workshop(os.environ.get("QUERY_STRING") if query is None else query)

        # Create a workshop.
        self.new_name = W.Text(
            placeholder="e.g. Soft skills, March group", description="Name", layout=W.Layout(width="420px")
        )
        self.new_rounds = W.Text(value="before, after", description="Rounds", layout=W.Layout(width="420px"))
        banks = bank_names() or [DEFAULT_BANK]
        self.bank_choice = W.Dropdown(
            options=banks,
            value=DEFAULT_BANK if DEFAULT_BANK in banks else banks[0],
            description="Questions",
            layout=W.Layout(width="420px"),
        )
        self.create_button = W.Button(description="Create workshop", icon="plus", button_style="primary")
        self.create_message = message_area()
        self.created = W.HTML()
        self.created.add_class("cpmkit-workshop-created")
        self.created_links = W.VBox()  # the new workshop's links with their Copy buttons
        self.open_created = W.Button(
            description="I have saved the key: open the dashboard",
            icon="check",
            layout=W.Layout(width="auto", display="none"),
        )
        create = W.VBox(
            [
                W.HTML(
                    '<p class="cpmkit-help">Rounds are the times participants answer, separated by commas, '
                    "such as: before, after. Questions: the question banks in templates/ (copy soft_skills.yaml "
                    "to make your own).</p>"
                ),
                self.new_name,
                self.new_rounds,
                self.bank_choice,
                self.create_button,
                self.create_message,
                self.created,
                self.created_links,
                self.open_created,
            ]
        )

        # Open a workshop.
        self.number = W.Text(
            value="" if requested is None else str(requested),
            description="Workshop",
            placeholder="number",
            layout=W.Layout(width="260px"),
        )
        self.key = W.Password(description="Trainer key", layout=W.Layout(width="420px"))
        self.open_button = W.Button(description="Open dashboard", icon="unlock", button_style="primary")
        self.open_message = message_area()
        opener = W.VBox(
            [
                W.HTML('<p class="cpmkit-help">The trainer key was shown once, when the workshop was created.</p>'),
                self.number,
                self.key,
                self.open_button,
                self.open_message,
            ]
        )

        self.forms = W.Tab(children=[create, opener], titles=["Create a workshop", "Open a workshop"])
        self.forms.selected_index = 1 if requested is not None else 0
        self.board = W.VBox()
        self.widget = W.VBox([stylesheet(), self.header.widget, self.forms, self.board])
        self.widget.add_class("cpmkit-app")

        self.create_button.on_click(lambda _: self._create())
        self.open_created.on_click(lambda _: self._open_created())
        self.open_button.on_click(lambda _: self._open())
        self.widget.observe(self._closed, "comm")
        self.widget.add_class("cpmkit-ready")

    def _create(self) -> None:
        self._forget_created()
        with guard(self.create_message):
            rounds = parse_rounds(self.new_rounds.value)
            bank = str(self.bank_choice.value)
            bank_named(
                bank
            )  # a bank that cannot load is refused, with its file, item and field, before anything is created
            workshop_id, code, key = self.assess.create_workshop(self.new_name.value, bank=bank, rounds=rounds)
            self._created_key = (workshop_id, key)
            self.new_name.value = ""
            self.number.value = str(workshop_id)
            join, back = participant_link(code, page_base_url()), trainer_link(workshop_id, page_base_url())
            self.created.value = (
                f"<p>Workshop <b>{html.escape(self.assess.workshop(workshop_id)['name'])}</b> is ready "
                f"(number {workshop_id}). Participants join with this code:</p>"
                f"{_join_code_html(code)}"
                f"<p>or open {_link_html(join)}</p>"
                '<div class="cpmkit-trainer-key" style="border:2px solid #a61b1b;padding:6px 10px;margin:8px 0">'
                "<p><b>Your trainer key:</b> "
                f'<code style="font-size:18px;user-select:all">{html.escape(key)}</code></p>'
                '<p class="cpmkit-message-error">Keep this key: it is shown once. Without it nobody can '
                "open the dashboard, and it cannot be recovered. Do not project it.</p></div>"
                f"<p>To come back later, open {_link_html(back)} and type the key.</p>"
            )
            replace_children(
                self.created_links,
                [
                    W.HBox(
                        [CopyButton(join, label="Copy the join link"), CopyButton(back, label="Copy the trainer link")]
                    ),
                    W.HTML(qr_html(join)),
                ],
            )
            self.open_created.layout.display = None

    def _open_created(self) -> None:
        if self._created_key is None:
            return
        workshop_id, key = self._created_key
        self._show_dashboard(workshop_id, key, self.create_message)

    def _open(self) -> None:
        key, self.key.value = self.key.value, ""  # the key does not stay on the page
        self._show_dashboard(None, key, self.open_message)

    def _show_dashboard(self, workshop_id: int | None, key: str, area: MessageArea) -> None:
        self._drop_dashboard()
        with guard(area):
            if workshop_id is None:
                number = self.number.value.strip()
                if not (number.isascii() and number.isdigit()):
                    raise ValidationError(
                        "Type the workshop number: the digits after ?workshop= in the dashboard link."
                    )
                workshop_id = int(number)
            if not key.strip():
                raise ValidationError("Type the trainer key that was shown when the workshop was created.")
            with self.trainer_keys.failures(_WRONG_KEY, ValidationError, NotFoundError):
                trainer = self.assess.trainer_workshop(workshop_id, key)
            self._forget_created()
            self.dashboard = WorkshopDashboard(
                trainer, bank=bank_named(str(trainer.workshop["bank"])), refresh_seconds=self.refresh_seconds
            )
            self.board.children = [self.dashboard.widget]

    def _drop_dashboard(self) -> None:
        if self.dashboard is not None:
            self.dashboard.stop()
            self.dashboard = None
        replace_children(self.board, [])  # closes the old dashboard's widgets, all of them

    def _forget_created(self) -> None:
        """The key was shown; once the trainer moves on, it leaves the page for good."""
        self._created_key = None
        self.created.value = ""
        replace_children(self.created_links, [])
        self.open_created.layout.display = "none"

    def _closed(self, change: dict[str, Any]) -> None:
        if change["new"] is None and self.dashboard is not None:
            self.dashboard.stop()
