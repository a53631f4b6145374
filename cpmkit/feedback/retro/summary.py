"""What a finished retrospective leaves behind: its columns with their groups and votes, the
actions agreed with their owners and due dates, and who took part; as a Markdown document, an
HTML page (every text escaped) and spreadsheet tables for ``cpmkit.core.export.to_xlsx``.

An anonymous card stays anonymous here too: its author is ``board.ANONYMOUS``, whoever posted
it; the members' names are listed only as who took part.

Pure: plain values and DataFrames in, text and tables out; no widgets, no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.export import markdown_text
from cpmkit.core.fields import blank
from cpmkit.feedback.retro import rules
from cpmkit.feedback.retro.board import BoardState, card_view
from cpmkit.feedback.retro.template import RetroFormat

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "Summary",
    "SummaryAction",
    "SummaryCard",
    "SummaryColumn",
    "SummaryGroup",
    "as_day",
    "board_summary",
    "summary_body",
    "summary_html",
    "summary_markdown",
    "summary_stem",
    "summary_tables",
    "votes_text",
]

_NONE: Final = "—"


@dataclass(frozen=True)
class SummaryCard:
    """A card as the summary shows it: its text and author (``board.ANONYMOUS`` for an anonymous card)."""

    text: str
    author: str


@dataclass(frozen=True)
class SummaryGroup:
    """A group: its lead card first, then the cards grouped under it; the votes on all of them."""

    cards: tuple[SummaryCard, ...]
    votes: int


@dataclass(frozen=True)
class SummaryColumn:
    """A column of the board with its groups, most voted first."""

    label: str
    groups: tuple[SummaryGroup, ...]


@dataclass(frozen=True)
class SummaryAction:
    """An action agreed at the board; ``owner`` and ``due`` (YYYY-MM-DD) are "" when not given."""

    what: str
    owner: str
    due: str
    status: str


@dataclass(frozen=True)
class Summary:
    """A board's summary; dates as YYYY-MM-DD ("" for a board not finished)."""

    title: str
    format_name: str
    created: str
    finished: str
    columns: tuple[SummaryColumn, ...]
    actions: tuple[SummaryAction, ...]
    participants: tuple[str, ...]


def board_summary(state: BoardState, fmt: RetroFormat | None) -> Summary:
    """The summary of the board in ``state`` (laid out as ``fmt``, its format; a column the
    format no longer has comes last, named by its id)."""
    cards = {int(card["id"]): card_view(card) for card in _records(state.cards)}
    found: dict[str, list[SummaryGroup]] = {}
    for group in _records(rules.groups(state.cards, state.votes)):
        ids = [int(group["card_id"]), *(int(i) for i in group["member_ids"])]
        shown = tuple(SummaryCard(cards[i].text, cards[i].author) for i in ids)
        found.setdefault(str(group["column_id"]), []).append(SummaryGroup(shown, int(group["votes"])))
    labels = {column.id: column.label for column in fmt.columns} if fmt is not None else {}
    order = [*labels, *(column_id for column_id in found if column_id not in labels)]
    on_board = state.actions[state.actions["board_id"].eq(state.board["id"]).fillna(False).astype(bool)]
    return Summary(
        title=str(state.board["title"]),
        format_name=fmt.name if fmt is not None else str(state.board["format"]),
        created=as_day(state.board.get("created_at")),
        finished=as_day(state.board.get("finished_at")),
        columns=tuple(SummaryColumn(labels.get(c, c), tuple(found.get(c, ()))) for c in order),
        actions=tuple(
            SummaryAction(str(a["what"]), _text(a["owner"]), as_day(a["due"]), str(a["status"]))
            for a in _records(on_board)
        ),
        participants=tuple(str(name) for name in state.members["name"]),
    )


def summary_stem(summary: Summary) -> str:
    """The downloads' name without suffix: ``retro-`` and the title as letters, digits and hyphens."""
    return "retro-" + (re.sub(r"[^\w]+", "-", summary.title.casefold()).strip("-_")[:60] or "board")


def summary_markdown(summary: Summary) -> str:
    """The summary as a Markdown document; everything people typed goes through ``markdown_text``."""
    parts = [
        f"# Retrospective: {markdown_text(summary.title)}",
        f"{markdown_text(summary.format_name)} · {_dates(summary)}",
    ]
    for column in summary.columns:
        parts.append(f"## {markdown_text(column.label)}")
        if not column.groups:
            parts.append("No cards.")
        for group in column.groups:
            lead, *under = group.cards
            lines = [f"- {_card_markdown(lead)} ({votes_text(group.votes)})"]
            lines += [f"    - {_card_markdown(card)}" for card in under]
            parts.append("\n".join(lines))
    parts.append("## Actions")
    parts.append(
        "\n".join(
            f"- {markdown_text(a.what)} (owner: {markdown_text(a.owner)}; due: {a.due or _NONE}; {a.status})"
            for a in summary.actions
        )
        or "No actions agreed."
    )
    parts.append("## Who took part")
    parts.append(", ".join(markdown_text(name) for name in summary.participants) or "Nobody joined.")
    return "\n\n".join(parts) + "\n"


def summary_html(summary: Summary) -> str:
    """The summary as a page of its own (saved as HTML): every text escaped."""
    title = f"Retrospective: {html.escape(summary.title)}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{summary_body(summary)}</body></html>\n"
    )


def summary_body(summary: Summary, *, level: int = 2) -> str:
    """The summary as HTML to put in a page under its title, sections as ``<h{level}>``: every text escaped."""
    e = html.escape

    def heading(text: str) -> str:
        return f"<h{level}>{e(text)}</h{level}>"

    parts = [f"<p>{e(summary.format_name)} · {_dates(summary)}</p>"]
    for column in summary.columns:
        groups = "".join(_group_html(group) for group in column.groups)
        parts.append(heading(column.label) + (f"<ul>{groups}</ul>" if groups else "<p>No cards.</p>"))
    actions = "".join(
        f"<tr><td>{e(a.what)}</td><td>{e(a.owner)}</td><td>{e(a.due)}</td><td>{e(a.status)}</td></tr>"
        for a in summary.actions
    )
    parts.append(heading("Actions"))
    parts.append(
        f"<table><tr><th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr>{actions}</table>"
        if actions
        else "<p>No actions agreed.</p>"
    )
    people = ", ".join(e(name) for name in summary.participants) or "Nobody joined."
    parts.append(heading("Who took part") + f"<p>{people}</p>")
    return "".join(parts)


def summary_tables(summary: Summary) -> dict[str, pd.DataFrame]:
    """The summary as sheets: the cards (one row each, with their group's number and votes), the
    actions, who took part, and the board itself."""
    cards = [
        {
            "Column": column.label,
            "Group": number,
            "Card": card.text,
            "Author": card.author,
            "Group votes": group.votes,
        }
        for column in summary.columns
        for number, group in enumerate(column.groups, start=1)
        for card in group.cards
    ]
    return {
        "Board": pd.DataFrame(
            [
                ("Title", summary.title),
                ("Format", summary.format_name),
                ("Created", summary.created),
                ("Finished", summary.finished),
            ],
            columns=["Field", "Value"],
        ),
        "Cards": pd.DataFrame(cards, columns=["Column", "Group", "Card", "Author", "Group votes"]),
        "Actions": pd.DataFrame(
            [(a.what, a.owner, a.due, a.status) for a in summary.actions], columns=["Action", "Owner", "Due", "Status"]
        ),
        "Who took part": pd.DataFrame({"Name": list(summary.participants)}, dtype=object),
    }


def _dates(summary: Summary) -> str:
    return f"created {summary.created or _NONE} · finished {summary.finished or _NONE}"


def _card_markdown(card: SummaryCard) -> str:
    return f"{markdown_text(card.text)} — {markdown_text(card.author)}"


def _group_html(group: SummaryGroup) -> str:
    lead, *under = group.cards
    inner = "".join(f"<li>{_card_html(card)}</li>" for card in under)
    return f"<li>{_card_html(lead)} <em>({votes_text(group.votes)})</em>{f'<ul>{inner}</ul>' if inner else ''}</li>"


def _card_html(card: SummaryCard) -> str:
    return f"{html.escape(card.text)} — <span>{html.escape(card.author)}</span>"


def votes_text(count: int) -> str:
    """'1 vote', '3 votes': a group's tally as the board and its summary show it."""
    return f"{count} vote{'s' if count != 1 else ''}"


def _text(value: Any) -> str:
    return "" if blank(value) else str(value)


def as_day(value: Any) -> str:
    """A stored time as its day, YYYY-MM-DD ("" for none)."""
    return "" if blank(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return frame.to_dict("records")
