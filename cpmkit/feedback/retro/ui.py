"""Workbook 4's mid-project retrospective board, live in Voila, and the PM's panel for it.

Team members open ``<retro board notebook>?board=<token>``, join with their name and add cards
at the same time; the facilitator's link adds ``&facilitator=<key>`` and the controls that
move the board through its phases (collect, group, vote, discuss, act), group cards and turn
the top groups into actions, and at the last phase Finish the board: every page then shows its
summary, to download as Markdown, HTML or XLSX, and nothing on it changes. Open actions of
earlier retrospectives of the project are shown first, to be reviewed before anything else.
An archived board's links show only that it is archived. Entry point: ``app()``.

Each open board reads the store's cheap ``version`` every few seconds (a Ticker) and re-reads
and redraws the board only when it changed, so everyone sees the others' cards without a
reload. While the phase's timer runs, a second ticker redraws only the countdown's small widget
once a second, from the clock and the end time already read (no store read): each tick sends
one short HTML value, and only when its text changed; without a timer it does not tick.

Facilitation: the facilitator can have cards written privately (each member's page then holds
only their own cards and a count of the others, so no hidden text reaches a browser) and
reveal them, time the phase, see who is ready ("4 of 7 ready", with names), and limit the
votes per column; each member says "I'm ready" (or takes it back) in the phase.

What people typed is shown escaped; a form being typed in is never redrawn. The board is a
frozen ``board.BoardState``; this module draws its ``board_view`` and sends what people do to
the store, which decides (phases, vote limits, the facilitator's key).

``RetroPanel`` is the PM's tab of workbook 4: create a board, hand out its two links (shown
once, when made: the store keeps them only scrambled; "New link" replaces both), see each
board's dates and status and archive or reopen it, follow the project's retro actions, and make
a lesson of a card in one click.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as W

from cpmkit.core.addresses import page_link
from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.export import MARKDOWN_MIME, XLSX_MIME, to_xlsx
from cpmkit.core.fields import shorten
from cpmkit.core.query import query_params
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.health.rules import HEALTH
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.health.ui import HealthBoard, HealthPanel, join_help
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.retro import rules as retro
from cpmkit.feedback.retro.board import (
    BoardState,
    BoardView,
    CardView,
    GroupView,
    board_view,
    card_view,
    with_editing,
    with_read,
)
from cpmkit.feedback.retro.store import RetroStore, utc_now
from cpmkit.feedback.retro.summary import (
    Summary,
    as_day,
    board_summary,
    summary_body,
    summary_html,
    summary_markdown,
    summary_stem,
    summary_tables,
    votes_text,
)
from cpmkit.feedback.retro.template import RetroColumn, RetroFormat, RetroFormats
from cpmkit.ui.browser_key import BrowserKey
from cpmkit.ui.card_drag import CardDrag
from cpmkit.ui.download import DownloadButton, download_row
from cpmkit.ui.live_refresh import LiveRefresh
from cpmkit.ui.page_header import ParticipantHeader
from cpmkit.ui.session import open_store, page_base_url, safe_app
from cpmkit.ui.ticker import Ticker
from cpmkit.ui.widgets import (
    LinkShownOnce,
    ask_to_confirm,
    fluid,
    guard,
    keep_links,
    message_area,
    named,
    replace_children,
    stylesheet,
    table_html,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "BOARD_PAGE",
    "REFRESH_SECONDS",
    "TIMER_SECONDS",
    "GroupBox",
    "RetroBoard",
    "RetroBoardApp",
    "RetroPanel",
    "SummaryBox",
    "TimerBox",
    "app",
    "board_link",
    "summary_downloads",
]

#: The board's page in ``notebooks.yaml``.
BOARD_PAGE: Final = "retro_board"
#: How often an open board checks whether anything changed.
REFRESH_SECONDS: Final = 2.0
#: How often a running timer's countdown is redrawn.
TIMER_SECONDS: Final = 1.0
_NO_LINK: Final = "This board opens from the link your facilitator sent you; that link is missing here."
_WRONG_KEY: Final = "This facilitator link is not valid for this board. Ask for the link again."
_ACTION_HEADINGS: Final = {"what": "Action", "owner": "Owner", "due": "Due", "status": "Status"}
_SHORT: Final = 40  # characters of a card's text in a dropdown or button


def app() -> W.Widget:
    """Build the board for the link's token (and facilitator key) on the default store."""
    return safe_app(lambda: RetroBoardApp(open_store(), query=os.environ.get("QUERY_STRING")).widget)


def board_link(token: str, facilitator_key: str | None = None, *, base_url: str = "") -> str:
    """The link team members join by, or with ``facilitator_key`` the facilitator's link, under
    ``base_url`` (the server's address, ``cpmkit.core.addresses``)."""
    return page_link(base_url, BOARD_PAGE, {"board": token, "facilitator": facilitator_key})


def _section(title: str) -> W.HTML:
    return W.HTML(f'<h4 class="cpmkit-section">{html.escape(title)}</h4>')


def _display(widget: W.Widget, visible: bool) -> None:
    """Show or hide a widget; hidden, it keeps its state (a half-typed card stays)."""
    widget.layout.display = None if visible else "none"


def _card_html(card: CardView, *, extra_class: str = "") -> str:
    """One card: its text and its author ("Anonymous" for an anonymous card), both escaped."""
    return (
        f'<div class="cpmkit-retro-card {extra_class}" data-card="{card.id}">'
        f'<div class="cpmkit-retro-text">{html.escape(card.text)}</div>'
        f'<div class="cpmkit-retro-author">{html.escape(card.author)}</div></div>'
    )


def _column_box(column: RetroColumn) -> W.VBox:
    """A column of the board with its heading; its groups are put under the heading on each redraw."""
    heading = W.HTML(f"<h4>{html.escape(column.label)}</h4><p class='cpmkit-help'>{html.escape(column.prompt)}</p>")
    box = W.VBox([heading], layout=W.Layout(flex="1 1 0", min_width="0"))
    box.add_class("cpmkit-retro-column")
    box.add_class(f"cpmkit-retro-column-{column.id}")
    return box


def _closed_notice(status: str, text: str) -> str:
    """What a finished or archived board's pages say of it (``text``, escaped), read out as a status."""
    return f"<p class='cpmkit-retro-closed' data-status='{status}' role='status'><b>{html.escape(text)}</b></p>"


def _private_writing_choice(meaning: str) -> tuple[W.Checkbox, W.HBox]:
    """A "Write privately" checkbox with what it means beside it (a label short enough for a phone)."""
    checkbox = W.Checkbox(description="Write privately", indent=False, layout=W.Layout(width="auto"))
    about = W.HTML(f"<span class='cpmkit-help'>{html.escape(meaning)}</span>")
    return checkbox, W.HBox([checkbox, about], layout=W.Layout(align_items="center", flex_flow="row wrap"))


def _hidden_text(hidden: int | None, *, whose: str = "from others") -> str:
    """How many cards (``whose``) are hidden while written privately (their text never reaches the page)."""
    if hidden is None:
        return ""
    cards = "1 card" if hidden == 1 else f"{hidden} cards"
    return (
        f"<p class='cpmkit-retro-hidden-count' role='status'>"
        f"{cards} {whose}, hidden until the facilitator reveals them.</p>"
    )


def summary_downloads(summary: Callable[[], Summary]) -> W.HBox:
    """Buttons that download the board's summary (``summary()``, made at the click) as Markdown,
    HTML and XLSX."""

    def button(label: str, ext: str, mime: str, make: Callable[[Summary], bytes]) -> DownloadButton:
        return DownloadButton(
            f"Summary ({label})",
            filename=lambda: f"{summary_stem(summary())}.{ext}",
            mime=mime,
            make=lambda: make(summary()),
        )

    return download_row(
        [
            button("Markdown", "md", MARKDOWN_MIME, lambda s: summary_markdown(s).encode("utf-8")),
            button("HTML", "html", "text/html", lambda s: summary_html(s).encode("utf-8")),
            button("XLSX", "xlsx", XLSX_MIME, lambda s: to_xlsx(summary_tables(s))),
        ]
    )


class TimerBox:
    """The phase's countdown, "3:12 left" then "Time is up", the same on every page. It holds
    the end time read with the board; while a timer runs (and ``live``), its one ticker redraws
    this one widget each second from ``clock`` (UTC), never the rest of the board and without
    reading the store; without a timer, or once time is up, it does not tick. ``close()`` (or
    closing its widget) stops it for good."""

    def __init__(self, *, live: bool, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.clock = clock
        self.ends: dt.datetime | None = None
        self.ticker: Ticker | None = Ticker(self.tick, TIMER_SECONDS) if live else None
        self.widget = W.HTML()
        self.widget.add_class("cpmkit-retro-timer")
        self.widget.observe(lambda change: self.close() if change["new"] is None else None, "comm")
        _display(self.widget, False)

    def show(self, ends: dt.datetime | None) -> None:
        """Count down to ``ends`` (None: no timer); nothing changes when it is the end shown already."""
        if ends == self.ends:
            return
        self.ends = ends
        _display(self.widget, ends is not None)
        self.tick()  # drawn at once; a timer already up never starts the ticker
        if self.ticker is not None and ends is not None and retro.seconds_left(ends, self.clock()) > 0:
            self.ticker.start()
        else:
            self.stop()

    def tick(self) -> None:
        """Redraw the countdown if its text changed; stop ticking once time is up."""
        if self.ends is None:
            return
        left = retro.seconds_left(self.ends, self.clock())
        role = "status" if left == 0 else "timer"  # "Time is up" is read out; the seconds are not
        self.widget.value = (
            f"<p class='cpmkit-retro-countdown' role='{role}'>Timer: <b>{retro.timer_text(left)}</b></p>"
        )
        if left == 0:
            self.stop()

    def stop(self) -> None:
        """Stop the countdown's ticker (the timer stopped or ran out); a new timer starts it again."""
        if self.ticker is not None:
            self.ticker.stop()

    def close(self) -> None:
        """Stop the countdown for good (its board went away): no later timer starts it again."""
        self.stop()
        self.ticker = None


class SummaryBox:
    """A finished board's summary on a page, with its downloads; drawn again only when it changed
    (an action's status, say), not on every refresh."""

    def __init__(self, fmt: RetroFormat | None) -> None:
        self.format = fmt
        self.shown: Summary | None = None
        self.downloads = W.VBox()
        self.body = W.HTML()
        self.widget = W.VBox([_section("Summary"), self.downloads, self.body])
        self.widget.add_class("cpmkit-retro-summary")

    def show(self, state: BoardState) -> None:
        summary = board_summary(state, self.format)
        if summary == self.shown:
            return
        self.shown = summary
        replace_children(self.downloads, [summary_downloads(lambda: summary)])
        self.body.value = f"<div class='cpmkit-retro-summary-body'>{summary_body(summary, level=5)}</div>"


class ActionList:
    """Actions as a table, or for the facilitator as rows whose status can be changed; drawn
    again only when the actions changed (a board redraws on every card and vote)."""

    def __init__(self, retros: RetroStore, *, editable: bool, empty: str) -> None:
        self.retros, self.editable, self.empty = retros, editable, empty
        self.message = message_area()
        self.table = W.HTML()
        self.rows = W.VBox()
        self.widget = W.VBox([self.table, self.rows, self.message])
        self._shown: list[dict[Hashable, Any]] | None = None

    def show(self, actions: pd.DataFrame) -> None:
        shown = actions.assign(due=actions["due"].map(lambda d: "" if d is None or pd.isna(d) else f"{d:%Y-%m-%d}"))
        records = shown.to_dict("records")
        if records == self._shown:
            return
        self._shown = records
        if not self.editable or shown.empty:
            self.table.value = table_html(shown, columns=_ACTION_HEADINGS, empty=self.empty)
            replace_children(self.rows, [])
            return
        self.table.value = ""
        rows: list[W.Widget] = []
        for action in records:
            status = named(
                W.Dropdown(
                    options=list(retro.ACTION_STATUSES), value=str(action["status"]), layout=W.Layout(width="130px")
                ),
                f"Status of: {action['what']}",
            )
            status.observe(lambda change, action_id=int(action["id"]): self._save(action_id, change["new"]), "value")
            owner = f" ({html.escape(str(action['owner']))})" if isinstance(action["owner"], str) else ""
            due = f", due {action['due']}" if action["due"] else ""
            text = W.HTML(
                f"<span class='cpmkit-retro-action-what'>{html.escape(str(action['what']))}</span>{owner}{html.escape(due)}"
            )
            rows.append(W.HBox([status, text], layout=W.Layout(align_items="center")).add_class("cpmkit-retro-action"))
        replace_children(self.rows, rows)

    def _save(self, action_id: int, status: str) -> None:
        self._shown = None  # redrawn next time even if the store kept the old status
        with guard(self.message):
            self.retros.update_action(action_id, "status", status)


class ActionForm:
    """The facilitator's form turning one of the top groups into an action."""

    def __init__(self, on_add: Callable[[int, str, str, Any], None], card_id: int) -> None:
        self.card_id = card_id
        self.heading = W.HTML()
        self.what = W.Text(placeholder="What will we do?", layout=fluid("320px"))
        self.owner = W.Text(placeholder="Owner", layout=W.Layout(width="150px"))
        self.due = named(W.DatePicker(layout=W.Layout(width="160px")), "Due")
        self.add = W.Button(description="Add action", icon="plus")
        self.message = message_area()
        self.add.on_click(lambda _: self._add(on_add))
        self.widget = W.VBox([self.heading, W.HBox([self.what, self.owner, self.due, self.add]), self.message])
        self.widget.add_class("cpmkit-retro-action-form")

    def show(self, group: GroupView) -> None:
        self.heading.value = (
            f"<b>{html.escape(group.cards[0].text)}</b> <span class='cpmkit-help'>{votes_text(group.tally or 0)}</span>"
        )

    def _add(self, on_add: Callable[[int, str, str, Any], None]) -> None:
        with guard(self.message):
            on_add(self.card_id, self.what.value, self.owner.value, self.due.value)
            self.what.value = self.owner.value = ""
            self.due.value = None


class GroupBox:
    """One group on a member's board: its cards (with the tally, or this member's own votes),
    Vote and Take back in the vote phase, and Edit and Remove under each of the member's own
    cards. ``show`` brings it up to a new ``GroupView`` in place: new boxes on every phase change
    (16 widgets a group in the vote phase) kept every kernel of a 60-card board busy for seconds."""

    def __init__(self, board: RetroBoard) -> None:
        self.board = board
        self.shown: GroupView | None = None
        self.cards = W.HTML()
        self.voting: W.HBox | None = None  # Vote and Take back, in the vote phase
        self.own: dict[int, W.HBox] = {}  # the member's own card id -> its Edit and Remove
        self.texts: dict[int, CardView] = {}  # the member's own cards as shown, for Edit
        self.widget = W.VBox([self.cards])
        self.widget.add_class("cpmkit-retro-group-box")

    def show(self, group: GroupView) -> None:
        """Show ``group``; nothing is sent when it is what the box shows already."""
        if group == self.shown:
            return
        self.shown = group
        lead, *under = group.cards
        inner = "".join(_card_html(card, extra_class="cpmkit-retro-grouped") for card in under)
        tally = f"<div class='cpmkit-retro-tally'>{votes_text(group.tally)}</div>" if group.tally is not None else ""
        mine = (
            f"<div class='cpmkit-retro-mine'>your votes: {group.my_votes}</div>" if group.my_votes is not None else ""
        )
        self.cards.value = f"<div class='cpmkit-retro-group'>{_card_html(lead)}{inner}{tally}{mine}</div>"
        if group.my_votes is None:
            self.voting = None
        else:
            if self.voting is None:
                self.voting = self._voting_buttons(group.card_id)
            self.voting.children[1].disabled = group.my_votes == 0
        self.texts = {card.id: card for card in group.cards if card.mine}
        self.own = {card_id: self.own.get(card_id) or self._own_buttons(card_id) for card_id in self.texts}
        for card_id, row in self.own.items():
            text = shorten(self.texts[card_id].text, _SHORT)
            row.children[0].tooltip, row.children[1].tooltip = f"Edit “{text}”", f"Remove “{text}”"
        voting = [self.voting] if self.voting is not None else []
        replace_children(self.widget, [self.cards, *voting, *self.own.values()])

    def _voting_buttons(self, card_id: int) -> W.HBox:
        vote = W.Button(description="Vote", icon="thumbs-up", layout=W.Layout(width="auto"))
        unvote = W.Button(description="Take back", layout=W.Layout(width="auto"))
        vote.on_click(lambda _: self.board._vote(card_id))
        unvote.on_click(lambda _: self.board._unvote(card_id))
        return W.HBox([vote, unvote])

    def _own_buttons(self, card_id: int) -> W.HBox:
        edit = W.Button(description="Edit", icon="pencil", layout=W.Layout(width="auto"))
        remove = W.Button(description="Remove", icon="trash", layout=W.Layout(width="auto"))
        edit.on_click(lambda _: self.board._edit_card(self.texts[card_id]))
        remove.on_click(lambda _: self.board._remove(card_id))
        return W.HBox([edit, remove]).add_class("cpmkit-retro-own")


class RetroBoard(LiveRefresh):
    """One joined member's live board; with ``facilitator`` also the controls that run it."""

    def __init__(
        self,
        retros: RetroStore,
        board: Mapping[str, Any],
        member_id: int,
        *,
        facilitator_key: str | None = None,
        refresh_seconds: float | None = REFRESH_SECONDS,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        """``facilitator_key`` (from the facilitator's link) shows the facilitator's controls;
        the store checks it again on every action they send. ``clock`` (UTC) counts the timer down."""
        self.retros, self.member_id, self.facilitator_key = retros, member_id, facilitator_key
        facilitator = self.facilitator = facilitator_key is not None
        self.board_id = int(board["id"])
        formats: RetroFormats = retros.formats
        if board["format"] not in formats.formats:
            raise ValidationError(
                f"This board's format {board['format']!r} is no longer in templates/retro_formats.yaml."
            )
        self.format: RetroFormat = formats.format(str(board["format"]))
        self.guidance = formats.phase_guidance
        self.state: BoardState | None = None

        self.message = message_area()  # answers to what this person did (a vote refused, ...)
        self.live_message = message_area()  # a refresh that failed
        self.carried = ActionList(retros, editable=facilitator, empty="No open actions from earlier retrospectives.")
        self.banner = W.HTML()
        self.banner.add_class("cpmkit-retro-banner")

        self.back = W.Button(icon="arrow-left")
        self.forward = W.Button(icon="arrow-right", button_style="primary")
        self.finish = W.Button(description="Finish", icon="flag-checkered", button_style="primary")
        self.finish_confirm = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.back.on_click(lambda _: self._move(forward=False))
        self.forward.on_click(lambda _: self._move(forward=True))
        self.finish.on_click(lambda _: self._ask_to_finish())
        self.phase_bar = W.VBox(
            [W.HBox([self.back, self.forward, self.finish]), self.finish_confirm, self._facilitation_form()]
        )
        self.phase_bar.add_class("cpmkit-retro-phases")

        self.timer = TimerBox(live=refresh_seconds is not None, clock=clock)
        self.ready_button = W.Button(icon="check", layout=W.Layout(width="auto"))
        self.ready_button.on_click(lambda _: self._ready())
        self.ready_info = W.HTML()
        self.ready_info.add_class("cpmkit-retro-ready-info")
        self.ready_row = W.HBox([self.ready_button, self.ready_info], layout=W.Layout(align_items="center"))
        self.ready_row.add_class("cpmkit-retro-ready")
        self.hidden_info = W.HTML()
        self.hidden_info.add_class("cpmkit-retro-hidden")
        self.summary = SummaryBox(self.format)

        self.column = W.Dropdown(options=[(c.label, c.id) for c in self.format.columns], description="Column")
        self.text = W.Textarea(placeholder=self.format.columns[0].prompt, layout=fluid("420px", height="64px"))
        self.anonymous = W.Checkbox(description="Post anonymously", indent=False)
        self.add = W.Button(description="Add", icon="plus", button_style="primary")
        self.cancel = W.Button(description="Cancel", layout=W.Layout(display="none"))
        self.add_message = message_area()
        self.column.observe(
            lambda change: setattr(self.text, "placeholder", self.format.column(change["new"]).prompt), "value"
        )
        self.add.on_click(lambda _: self._add_card())
        self.cancel.on_click(lambda _: self._edit(None))
        self.add_form = W.VBox(
            [
                _section("Add a card"),
                W.HBox([self.column, self.anonymous]),
                W.HBox([self.text, self.add, self.cancel]),
                self.add_message,
            ]
        )
        self.add_form.add_class("cpmkit-retro-add")

        self.votes_info = W.HTML()
        self.votes_info.add_class("cpmkit-retro-votes-left")
        self.column_boxes = {column.id: _column_box(column) for column in self.format.columns}
        self.columns = W.HBox(list(self.column_boxes.values()))
        self.columns.add_class("cpmkit-retro-columns")
        #: The group boxes on the board, by column and lead card: a redraw updates them in place,
        #: so a phase change or a vote creates no widgets but the vote phase's buttons.
        self.group_boxes: dict[tuple[str, int], GroupBox] = {}

        self.card_choice = W.Dropdown(description="Card", layout=fluid("320px"))
        self.under_choice = W.Dropdown(description="under", layout=fluid("320px"))
        self.group_button = W.Button(description="Group", icon="object-group")
        self.ungroup_button = W.Button(description="Take out of its group")
        self.group_message = message_area()
        self.group_button.on_click(lambda _: self._group(self.card_choice.value, self.under_choice.value))
        self.ungroup_button.on_click(lambda _: self._ungroup(self.card_choice.value))
        #: With a mouse, a card dragged onto another does what the form does (made for the facilitator only).
        self.card_drag = (
            CardDrag(
                scope=".cpmkit-retro-board",
                column=".cpmkit-retro-column",
                group=".cpmkit-retro-group",
                grouped=".cpmkit-retro-grouped",
                on_group=self._group,
                on_ungroup=self._ungroup,
                hint="With a mouse: drag a card onto another to put it under that card, "
                "or a grouped card onto its column's heading to take it out.",
            )
            if facilitator
            else None
        )
        self.group_form = W.VBox(
            [
                _section("Group cards"),
                W.HTML(
                    "<p class='cpmkit-help'>Put a card under another that says the same thing; its votes then count together.</p>"
                ),
                *([self.card_drag] if self.card_drag is not None else []),
                W.HBox([self.card_choice, self.under_choice, self.group_button, self.ungroup_button]),
                self.group_message,
            ]
        )
        self.group_form.add_class("cpmkit-retro-grouping")

        self.action_forms: dict[int, ActionForm] = {}
        self.action_form_box = W.VBox()
        self.board_actions = ActionList(retros, editable=facilitator, empty="No actions agreed yet.")
        self.actions_section = W.VBox(
            [_section("Actions from this retrospective"), self.action_form_box, self.board_actions.widget]
        )
        self.actions_section.add_class("cpmkit-retro-actions")

        self.carried_section = W.VBox([_section("Actions from earlier retrospectives"), self.carried.widget])
        self.carried_section.add_class("cpmkit-retro-carried")
        running = [self.phase_bar] if facilitator else []
        self.widget = W.VBox(
            [
                self.carried_section,
                self.banner,
                self.summary.widget,
                *running,
                self.timer.widget,
                self.ready_row,
                self.message,
                self.live_message,
                self.add_form,
                self.votes_info,
                self.hidden_info,
                self.columns,
                *([self.group_form] if facilitator else []),
                self.actions_section,
            ]
        )
        self.widget.add_class("cpmkit-retro-board")

        self.ticker = Ticker(self.tick, refresh_seconds) if refresh_seconds is not None else None
        self.refresh()
        if self.ticker is not None:
            self.ticker.start()
        # Closing the board (its page went away, or it was replaced) stops both tickers: closing
        # a box does not close the widgets in it, so the countdown's own widget would stay open.
        self.widget.observe(lambda change: self.stop() if change["new"] is None else None, "comm")

    def _facilitation_form(self) -> W.VBox:
        """The facilitator's private writing and Reveal, the phase's timer, and the vote limits per column."""
        self.facilitation_message = message_area()
        self.private, self.private_choice = _private_writing_choice(
            "each member sees only their own cards until you reveal them"
        )
        self.private.observe(lambda change: self._set_private(bool(change["new"])), "value")
        self.reveal_button = W.Button(description="Reveal cards", icon="eye", layout=W.Layout(width="auto"))
        self.reveal_button.on_click(lambda _: self._facilitate(self.retros.reveal))
        self.minutes = W.Text(value="5", description="Minutes", layout=fluid("160px"))
        start = W.Button(description="Start timer", icon="clock-o", layout=W.Layout(width="auto"))
        start.on_click(lambda _: self._facilitate(self.retros.start_timer, self.minutes.value))
        self.stop_timer_button = W.Button(description="Stop timer", icon="stop", layout=W.Layout(width="auto"))
        self.stop_timer_button.on_click(lambda _: self._facilitate(self.retros.stop_timer))
        self.timer_form = W.HBox([self.minutes, start, self.stop_timer_button], layout=W.Layout(align_items="center"))
        self.timer_form.add_class("cpmkit-retro-timer-form")
        self.limit_fields = {
            column.id: W.Text(placeholder="no limit", description=column.label, layout=fluid("200px"))
            for column in self.format.columns
        }
        self.limits_shown: dict[str, int] | None = None
        save = W.Button(description="Save vote limits", layout=W.Layout(width="auto"))
        save.on_click(lambda _: self._save_limits())
        self.limits_form = W.VBox(
            [
                W.HTML(
                    "<p class='cpmkit-help'>Most votes each member may put in a column (blank: no limit); "
                    "the votes each in all still apply. A limit below votes already cast there is refused; "
                    "grouping cards afterwards moves their votes with them, which can take a column over.</p>"
                ),
                W.HBox([*self.limit_fields.values(), save], layout=W.Layout(flex_flow="row wrap")),
            ]
        )
        self.limits_form.add_class("cpmkit-retro-limits")
        form = W.VBox(
            [
                W.HBox([self.private_choice, self.reveal_button], layout=W.Layout(flex_flow="row wrap")),
                self.timer_form,
                self.limits_form,
                self.facilitation_message,
            ]
        )
        form.add_class("cpmkit-retro-facilitation")
        return form

    # -- live refresh -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the periodic refresh and the countdown for good (the board is closed or replaced)."""
        super().stop()
        self.timer.close()

    def _version(self) -> object:
        return self.retros.version(self.board_id)

    def _read(self) -> None:
        self.state = with_read(self.state, self.retros.state(self.board_id))
        self._render(self._view(self.state))

    def _view(self, state: BoardState) -> BoardView:
        return board_view(state, self.member_id, facilitator=self.facilitator)

    # -- drawing ------------------------------------------------------------------------------

    def _render(self, view: BoardView) -> None:
        self._show_banner(view)
        running = view.status == "open"
        for part in (self.carried_section, self.phase_bar, self.columns):  # a closed board shows its summary only
            _display(part, running)
        _display(self.summary.widget, view.status == "finished")
        if view.status == "finished" and self.state is not None:
            self.summary.show(self.state)
        self.carried.show(view.carried)
        self.timer.show(view.timer_ends)
        self._show_ready(view)
        if self.facilitator:
            self._show_facilitation(view)
        _display(self.add_form, view.adding)
        self._show_form(view)
        self.votes_info.value = self._votes_left(view)
        self.hidden_info.value = _hidden_text(view.hidden_cards)
        drawn, self.group_boxes = self.group_boxes, {}
        for column_id, box in self.column_boxes.items():  # the heading stays, the groups are redrawn
            groups = [self._group_box(group, drawn) for group in view.columns.get(column_id, ())]
            replace_children(box, [box.children[0], *groups])
        _display(self.group_form, view.grouping)
        if self.card_drag is not None:  # made for the facilitator only
            self._fill_grouping(view.grouping_cards)
            self.card_drag.show([card_id for card_id, _text in view.grouping_cards] if view.grouping else [])
        _display(self.actions_section, view.acting)
        if view.acting:
            self._show_action_forms(view.action_groups)
        self.board_actions.show(view.board_actions)

    def _show_banner(self, view: BoardView) -> None:
        phase = view.phase
        steps = "".join(
            f"<span class='cpmkit-retro-step{' cpmkit-retro-current' if p == phase else ''}'>{i}. {p.capitalize()}</span>"
            for i, p in enumerate(retro.PHASES, start=1)
        )
        names = ", ".join(html.escape(name) for name in view.members) or "nobody yet"
        now = (
            f"<p class='cpmkit-retro-phase' data-phase='{phase}'><b>{phase.capitalize()}:</b> {html.escape(self.guidance[phase])}</p>"
            if view.closed is None
            else _closed_notice(view.status, view.closed)
        )
        self.banner.value = (
            f"<div class='cpmkit-retro-steps'>{steps}</div>{now}<p class='cpmkit-help'>On the board: {names}.</p>"
        )
        self.back.description = f"Back to {view.back_to}" if view.back_to else "Back"
        self.back.disabled = view.back_to is None
        self.forward.description = f"Next: {view.next_to}" if view.next_to else "Next"
        self.forward.disabled = view.next_to is None
        _display(self.finish, view.finishing)
        if not view.finishing:
            replace_children(self.finish_confirm, [])

    def _show_form(self, view: BoardView) -> None:
        """The card form: adding a card, or changing the text of the member's card being edited."""
        self.column.disabled = self.anonymous.disabled = view.editing is not None
        self.add.description = "Add" if view.editing is None else "Save changes"
        _display(self.cancel, view.editing is not None)

    def _votes_left(self, view: BoardView) -> str:
        """The member's votes left on the board, and in each column with a limit (vote phase only)."""
        if view.votes_left is None:
            return ""
        columns = "".join(
            f" · in {html.escape(self.format.column(column_id).label)}: {left} of {view.column_limits[column_id]}"
            for column_id, left in view.column_votes_left.items()
            if column_id in self.format.column_ids
        )
        return f"<p><b>Votes left: {view.votes_left} of {view.vote_limit}</b>{columns}</p>"

    def _show_ready(self, view: BoardView) -> None:
        """The member's "I'm ready" (or take it back), and how many are ready (with names for the
        facilitator, who is offered no signal of their own)."""
        _display(self.ready_row, view.status == "open")
        _display(self.ready_button, view.readying)
        self.ready_button.description = "Not ready after all" if view.i_am_ready else "I'm ready"
        self.ready_button.button_style = "" if view.i_am_ready else "primary"
        names = f": {', '.join(html.escape(name) for name in view.ready)}" if view.ready else ""
        mine = " You said you are ready." if view.i_am_ready else ""
        self.ready_info.value = (
            f"<span class='cpmkit-retro-ready-count'>{view.ready_count} of {view.ready_of} ready{names}</span>"
            f"<span class='cpmkit-help'>{mine}</span>"
        )

    def _show_facilitation(self, view: BoardView) -> None:
        """The facilitator's private writing and reveal, timer and vote limits, as the phase allows."""
        self.private.value = view.private_writing  # the same value sends nothing, and saves nothing
        _display(self.private_choice, view.choosing_privacy)
        _display(self.reveal_button, view.revealing)
        _display(self.timer_form, view.timing)
        _display(self.stop_timer_button, view.timer_ends is not None)
        _display(self.limits_form, view.limiting)
        if view.column_limits != self.limits_shown:  # a limit being typed stays until the limits change
            self.limits_shown = dict(view.column_limits)
            for column_id, field in self.limit_fields.items():
                field.value = str(view.column_limits.get(column_id, ""))

    def _group_box(self, group: GroupView, drawn: Mapping[tuple[str, int], GroupBox]) -> W.VBox:
        """The group's box: the one drawn before for the same lead card in the same column
        (``drawn``), brought up to date in place, else a new one. The column is part of the key:
        SQLite gives a new card the id of the card just removed, maybe in another column, and a
        box drawn in one column is closed when that column is redrawn without it."""
        key = (group.column_id, group.card_id)
        box = drawn.get(key) or GroupBox(self)
        box.show(group)
        self.group_boxes[key] = box
        return box.widget

    def _fill_grouping(self, cards: tuple[tuple[int, str], ...]) -> None:
        options = [(f"#{card_id} {shorten(text, _SHORT)}", card_id) for card_id, text in cards]
        for choice in (self.card_choice, self.under_choice):
            if list(choice.options) != options:
                kept = choice.value
                choice.options = options
                choice.value = kept if kept in [value for _label, value in options] else None

    def _show_action_forms(self, top: tuple[GroupView, ...]) -> None:
        self.action_forms = {
            group.card_id: self.action_forms.get(group.card_id) or ActionForm(self._add_action, group.card_id)
            for group in top
        }
        for group in top:
            self.action_forms[group.card_id].show(group)
        replace_children(self.action_form_box, [form.widget for form in self.action_forms.values()])

    # -- what people do -----------------------------------------------------------------------

    def _add_card(self) -> None:
        """Post the form's card, or save the text of the card being edited."""
        with guard(self.add_message):
            editing = self.state.editing if self.state is not None else None
            if editing is None:
                self.retros.add_card(
                    self.board_id, self.member_id, self.column.value, self.text.value, self.anonymous.value
                )
            else:
                self.retros.edit_card(editing, self.member_id, self.text.value)
            self._edit(None)
            self._load()

    def _edit_card(self, card: CardView) -> None:
        with guard(self.add_message):
            self._edit(card.id, card.text)

    def _edit(self, card_id: int | None, text: str = "") -> None:
        """Put one of the member's cards in the form to change its text (None: back to adding)."""
        if self.state is not None:
            self.state = with_editing(self.state, card_id, self.member_id)
            self._show_form(self._view(self.state))
        self.text.value = text

    def _remove(self, card_id: int) -> None:
        with guard(self.message):
            self.retros.delete_card(card_id, self.member_id)
            self._load()

    def _vote(self, card_id: int) -> None:
        with guard(self.message):
            self.retros.vote(self.member_id, card_id)
            self._load()

    def _unvote(self, card_id: int) -> None:
        with guard(self.message):
            self.retros.unvote(self.member_id, card_id)
            self._load()

    def _move(self, *, forward: bool) -> None:
        with guard(self.message):
            self.retros.move_phase(self.board_id, forward=forward, facilitator_key=self.facilitator_key)
            self._load()

    def _facilitate(self, action: Callable[..., Any], *args: Any) -> None:
        """Send one of the facilitator's actions on the board to the store, then redraw."""
        with guard(self.facilitation_message):
            action(self.board_id, *args, facilitator_key=self.facilitator_key)
            self._load()

    def _set_private(self, private: bool) -> None:
        """The checkbox changed: saved only when it differs from the board as drawn (a redraw sets it too);
        refused, the box shows the board's choice again."""
        if self.state is not None and private != bool(self.state.board.get("private_writing")):
            self._facilitate(self.retros.set_private_writing, private)
            self.private.value = bool(self.state.board.get("private_writing"))

    def _save_limits(self) -> None:
        """Save the limits typed; once saved they are shown again as stored (even if unchanged), and
        refused they stay as typed, with the message, until the facilitator changes them."""
        with guard(self.facilitation_message):
            given = {column_id: field.value for column_id, field in self.limit_fields.items()}
            self.retros.set_column_limits(self.board_id, given, facilitator_key=self.facilitator_key)
            self.limits_shown = None
            self._load()

    def _ready(self) -> None:
        with guard(self.message):
            if self.state is None:
                raise ValidationError("The board is still loading; press the button again in a moment.")
            ready = not self._view(self.state).i_am_ready
            self.retros.set_ready(self.member_id, ready, phase=self.state.phase)
            self._load()

    def _ask_to_finish(self) -> None:
        ask_to_confirm(
            self.finish_confirm,
            "Finish the retrospective? Nobody can add cards, vote or change anything on it afterwards.",
            yes="Finish the board",
            on_yes=self._finish,
        )

    def _finish(self) -> None:
        with guard(self.message):
            replace_children(self.finish_confirm, [])
            self.retros.finish(self.board_id, facilitator_key=self.facilitator_key)
            self._load()

    def _group(self, card_id: int | None, under_card_id: int | None) -> None:
        """Put a card under another: the grouping form's choice, or a card dragged onto another."""
        with guard(self.group_message):
            if card_id is None or under_card_id is None:
                raise ValidationError("Choose a card, and the card to put it under.")
            self.retros.group_card(card_id, under_card_id, facilitator_key=self.facilitator_key)
            self._load()

    def _ungroup(self, card_id: int | None) -> None:
        """Take a card out of its group: the form's chosen card, or one dragged onto its column."""
        with guard(self.group_message):
            if card_id is None:
                raise ValidationError("Choose the card to take out of its group.")
            self.retros.ungroup(card_id, facilitator_key=self.facilitator_key)
            self._load()

    def _add_action(self, card_id: int, what: str, owner: str, due: Any) -> None:
        self.retros.add_action(self.board_id, card_id, what, owner, due, facilitator_key=self.facilitator_key)
        self._load()


class RetroBoardApp:
    """The page a board link opens: the board's title, the join form, then the live board.
    A missing or dead link shows only a plain message."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None,
        refresh_seconds: float | None = REFRESH_SECONDS,
        formats: RetroFormats | None = None,
    ) -> None:
        self.retros = RetroStore(store, formats)
        self.refresh_seconds = refresh_seconds
        self.heading = W.HTML("<h3>Retrospective board</h3>")
        self.header = ParticipantHeader(self.heading, "Retrospective board")
        self.status = message_area()
        self.name = W.Text(placeholder="Your name", layout=fluid("260px"))
        self.join_button = W.Button(description="Join the board", button_style="primary")
        self.join_message = message_area()
        self.join_button.on_click(lambda _: self._join())
        self.join_help = W.HTML(
            "<p>Join with your name: joining again in this browser under the same name brings back your cards and votes. "
            "You can still post a card anonymously.</p>"
        )
        self.join_form = W.VBox(
            [
                self.join_help,
                W.HBox([self.name, self.join_button]),
                self.join_message,
            ]
        )
        self.join_form.add_class("cpmkit-retro-join")
        self.browser: BrowserKey | None = None
        self.board: dict[str, Any] | None = None
        self.facilitator_key: str | None = None
        self.view: RetroBoard | HealthBoard | None = None
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status])
        self.widget.add_class("cpmkit-app")
        self.widget.add_class("cpmkit-retro")
        with guard(self.status):
            self._open(query_params(query))
        self.widget.add_class("cpmkit-ready")

    def _open(self, params: Mapping[str, str]) -> None:
        token = params.get("board")
        if token is None:
            raise NotFoundError(_NO_LINK)
        board = self.retros.board_for_token(token)
        if retro.board_status(board) == "archived":  # a plain page: nothing of the board, nothing to do
            raise NotFoundError(str(retro.closed_problem(board)))
        key = params.get("facilitator")
        if key is not None and self.retros.board_for_facilitator(key)["id"] != board["id"]:
            raise NotFoundError(_WRONG_KEY)
        self.board, self.facilitator_key = board, key
        self.header.show(str(board["title"]))
        role = " <span class='cpmkit-retro-role'>(you facilitate)</span>" if key is not None else ""
        if board["kind"] == HEALTH:
            self._open_health(board, role)
            return
        fmt = self.retros.formats.formats.get(board["format"])
        intro = f"<p>{html.escape(fmt.name)}: {html.escape(fmt.intro)}</p>" if fmt is not None else ""
        self.heading.value = f"<h3>{html.escape(str(board['title']))}{role}</h3>{intro}"
        if retro.board_status(board) == "finished":  # nothing to join: its summary, to read and download
            summary = SummaryBox(fmt)
            summary.show(self.retros.state(int(board["id"])))
            note = W.HTML(_closed_notice("finished", str(retro.closed_problem(board))))
            self.widget.children = [*self.widget.children, note, summary.widget]
            return
        self._show_join(board)

    def _show_join(self, board: Mapping[str, Any]) -> None:
        # Named by the board, not its token: a member keeps their key (and place) when the links are replaced.
        self.browser = BrowserKey(f"cpmkit-retro-board-{board['id']}")
        self.widget.children = [*self.widget.children, self.join_form, self.browser]

    def _open_health(self, board: dict[str, Any], role: str) -> None:
        """A team health check: its facilitator sees the results without joining (so is no voter),
        everyone sees them once it is finished; members join by name, then vote."""
        self.health = HealthStore(self.retros.store, formats=self.retros.formats)
        check = self.health.check(board)
        self.heading.value = (
            f"<h3>{html.escape(str(board['title']))}{role}</h3>"
            f"<p>{html.escape(check.name)}: {html.escape(check.intro)}</p>"
        )
        if self.facilitator_key is None and retro.board_status(board) == "open":
            self.join_help.value = join_help(board)
            self._show_join(board)
            return
        self.view = HealthBoard(
            self.health, board, None, facilitator_key=self.facilitator_key, refresh_seconds=self.refresh_seconds
        )
        self.widget.children = [*self.widget.children, self.view.widget]

    def _join(self) -> None:
        with guard(self.join_message):
            assert self.board is not None and self.browser is not None
            if self.browser.valid_key is None:
                raise ValidationError("One moment: the page is still starting. Try again in a second.")
            member_id = self.retros.join(
                int(self.board["id"]), self.name.value, self.browser.valid_key, facilitator_key=self.facilitator_key
            )
            if self.view is not None:
                self.view.stop()
            self.view = (
                HealthBoard(self.health, self.board, member_id, refresh_seconds=self.refresh_seconds)
                if self.board["kind"] == HEALTH
                else RetroBoard(
                    self.retros,
                    self.board,
                    member_id,
                    facilitator_key=self.facilitator_key,
                    refresh_seconds=self.refresh_seconds,
                )
            )
            joined = W.HTML(
                f"<p class='cpmkit-help'>You are on the board as <b>{html.escape(' '.join(self.name.value.split()))}</b>.</p>"
            )
            self.widget.children = [*self.widget.children[:3], joined, self.view.widget, self.browser]


class RetroPanel:
    """The PM's retrospectives tab: create a board and hand out its links, follow the
    project's retro actions, and make a lesson of any card."""

    def __init__(
        self,
        store: Store,
        *,
        base_url: str | None = None,
        on_lesson: Callable[[LessonSource], None] | None = None,
        formats: RetroFormats | None = None,
    ) -> None:
        self.retros = RetroStore(store, formats)
        # Links are absolute, on the address this page was opened at (None: as the gate says).
        self.base_url, self.on_lesson = page_base_url() if base_url is None else base_url, on_lesson
        self.project_id: int | None = None
        f = self.retros.formats
        self.title = W.Text(
            placeholder="e.g. Mid-project retrospective", description="Title", layout=W.Layout(width="360px")
        )
        self.format = W.Dropdown(
            options=[(x.name, x.id) for x in f.formats.values()], description="Format", layout=W.Layout(width="360px")
        )
        self.votes = W.BoundedIntText(
            value=f.votes_per_member,
            min=1,
            max=retro.MAX_VOTES,
            description="Votes each",
            layout=W.Layout(width="180px"),
        )
        self.private, private_choice = _private_writing_choice(
            "members see only their own cards until the facilitator reveals them"
        )
        self.create = W.Button(description="Create board", icon="plus", button_style="primary")
        self.create_message = message_area()
        self.create.on_click(lambda _: self._create())
        self.boards = W.VBox()
        self.boards.add_class("cpmkit-retro-boards")
        self.boards_message = message_area()
        #: Each board's two links, by board id, kept across redraws: links shown stay shown.
        self.links: dict[int, LinkShownOnce] = {}
        self.actions = ActionList(self.retros, editable=True, empty="No actions agreed in a retrospective yet.")
        self.board_choice = W.Dropdown(description="Board", layout=W.Layout(width="360px"))
        self.board_choice.observe(lambda _: self._show_cards(), "value")
        self.cards = W.VBox()
        self.cards_message = message_area()
        self.health = HealthPanel(store, on_created=self._show_new)
        self.widget = W.VBox(
            [
                _section("New retrospective"),
                W.HTML(
                    "<p class='cpmkit-help'>Send the members' link to the team, keep the facilitator's link for "
                    "whoever runs the session. Both are shown once, when the board is made: for safety they are "
                    "stored scrambled. Open actions of earlier retrospectives are reviewed first.</p>"
                ),
                W.HBox([self.title, self.format]),
                private_choice,
                W.HBox([self.votes, self.create]),
                self.create_message,
                self.health.form,
                _section("Boards"),
                self.boards_message,
                self.boards,
                self.health.history,
                _section("Retrospective actions"),
                self.actions.widget,
                _section("Cards"),
                self.board_choice,
                self.cards_message,
                self.cards,
            ]
        )
        self.widget.add_class("cpmkit-retro-panel")

    def show(self, project_id: int | None) -> None:
        """Re-read the project's boards, actions and cards."""
        self.project_id = project_id
        with guard(self.create_message):
            self._show_project()

    def _show_project(self) -> None:
        if self.project_id is None:
            replace_children(self.boards, [W.HTML("<p class='cpmkit-help'>Choose or create a project first.</p>")])
            self.health.show(None)
            self.actions.show(pd.DataFrame(columns=["id", *_ACTION_HEADINGS]))
            self.board_choice.options = []
            return
        boards = self.retros.boards(self.project_id)
        keep_links(
            self.links, (int(i) for i in boards["id"]), self._new_links, css_class="cpmkit-link cpmkit-retro-link"
        )
        rows = [self._board_row(b) for b in boards.to_dict("records")]
        replace_children(self.boards, rows or [W.HTML("<p class='cpmkit-help'>No retrospective yet.</p>")])
        self.health.show(self.project_id)
        self.actions.show(self.retros.actions(self.project_id))
        options = [(str(b["title"]), int(b["id"])) for b in boards.to_dict("records") if b["kind"] != HEALTH][::-1]
        kept = self.board_choice.value
        self.board_choice.options = options
        self.board_choice.value = kept if kept in [v for _label, v in options] else (options[0][1] if options else None)
        self._show_cards()

    def _board_row(self, board: Mapping[Hashable, Any]) -> W.Widget:
        """A board: its name, format, dates and status (never its links' secrets); Archive or
        Reopen; its summary's downloads once finished; its links, hidden while it is archived."""
        board_id, status = int(board["id"]), retro.board_status({str(k): v for k, v in board.items()})
        health = board["kind"] == HEALTH  # a team health check: no phases, no summary to download
        fmt = None if health else self.retros.formats.formats.get(str(board["format"]))
        check = self.health.health.checks.checks.get(str(board["format"])) if health else None
        named = " (named votes)" if health and board["named_votes"] else ""
        name = check.name + named if check else fmt.name if fmt else str(board["format"])
        phase = "" if health else f", phase: {board['phase']}"
        shown = {"open": f"open{phase}", "finished": "finished", "archived": "archived"}[status]
        dates = f"created {as_day(board['created_at'])}" + (
            f", finished {as_day(board['finished_at'])}" if status != "open" and as_day(board["finished_at"]) else ""
        )
        about = W.HTML(
            f"<b>{html.escape(str(board['title']))}</b> · {html.escape(name)}"
            f" · <span class='cpmkit-retro-status' data-status='{status}'>{html.escape(shown)}</span>"
            f" · <span class='cpmkit-help'>{dates}</span>"
        )
        archived = status == "archived"
        change = W.Button(description="Reopen" if archived else "Archive", layout=W.Layout(width="auto"))
        change.on_click(lambda _: self._change_status(board_id, archive=not archived))
        parts: list[W.Widget] = [W.HBox([about, change], layout=W.Layout(align_items="center", grid_gap="8px"))]
        if status == "finished" and not health:
            parts.append(summary_downloads(lambda: board_summary(self.retros.state(board_id), fmt)))
        links = self.links[board_id].widget
        _display(links, not archived)  # kept, hidden: the same links come back on reopening
        return W.VBox([*parts, links]).add_class("cpmkit-retro-board-row")

    def _change_status(self, board_id: int, *, archive: bool) -> None:
        with guard(self.boards_message):
            (self.retros.archive if archive else self.retros.reopen)(board_id)
            self._show_project()

    def _links(self, secrets: Mapping[str, Any]) -> dict[str, str]:
        """The members' and the facilitator's link, from a board's secrets."""
        token, key = str(secrets["token"]), str(secrets["facilitator_key"])
        return {
            "Members' link": board_link(token, base_url=self.base_url),
            "Facilitator's link": board_link(token, key, base_url=self.base_url),
        }

    def _new_links(self, board_id: int) -> dict[str, str]:
        return self._links(self.retros.new_board_secrets(board_id))

    def _create(self) -> None:
        created = False
        with guard(self.create_message):
            if self.project_id is None:
                raise ValidationError("Choose or create a project first.")
            made = self.retros.create_board(
                self.project_id,
                self.title.value,
                self.format.value,
                self.votes.value,
                private_writing=self.private.value,
            )
            self.title.value = ""
            self.board_choice.value = None
            self._show_new(made)
            created = True
        if created:
            self.create_message.say(
                "Board created: copy its two links now, and send the members' link to the team.", ok=True
            )

    def _show_new(self, made: Mapping[str, Any]) -> None:
        """Redraw the boards with a new one's two links shown (once: only ``made`` has them)."""
        self._show_project()
        self.links[int(made["id"])].show(self._links(made))

    def _show_cards(self) -> None:
        with guard(self.cards_message):
            board_id = self.board_choice.value
            if board_id is None:
                replace_children(self.cards, [])
                return
            state = self.retros.state(int(board_id))
            fmt = self.retros.formats.formats.get(str(state.board["format"]))
            labels = {c.id: c.label for c in fmt.columns} if fmt is not None else {}
            rows: list[W.Widget] = []
            shown = retro.visible_cards(state.cards, state.board, None)  # written privately: not even the PM's
            for card in shown.to_dict("records"):
                column = labels.get(str(card["column_id"]), str(card["column_id"]))
                parts: list[W.Widget] = [
                    W.HTML(f"<span class='cpmkit-help'>{html.escape(column)}</span>{_card_html(card_view(card))}")
                ]
                if self.on_lesson is not None:
                    make = W.Button(description="Make a lesson", icon="lightbulb-o", layout=W.Layout(width="auto"))
                    make.on_click(lambda _, card=card: self._lesson(card))
                    parts.append(make)
                rows.append(W.HBox(parts, layout=W.Layout(align_items="center")).add_class("cpmkit-retro-panel-card"))
            none_shown = (
                _hidden_text(len(state.cards), whose="written privately")
                if retro.hides_cards(state.board) and not state.cards.empty
                else "<p class='cpmkit-help'>No cards on this board yet.</p>"
            )
            replace_children(self.cards, rows or [W.HTML(none_shown)])

    def _lesson(self, card: Mapping[Hashable, Any]) -> None:
        with guard(self.cards_message):
            assert self.on_lesson is not None
            self.on_lesson(LessonSource("card", str(int(card["id"])), str(card["text"])))
