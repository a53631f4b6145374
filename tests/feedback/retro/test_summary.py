"""Unit tests of cpmkit.feedback.retro.summary, a finished board's summary from plain data: columns
with their groups and votes, actions with owners and due dates, who took part, anonymous cards kept
anonymous; as Markdown, escaped HTML and XLSX sheets."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pandas as pd

from cpmkit.core.export import to_xlsx
from cpmkit.feedback.retro.board import ANONYMOUS, BoardState
from cpmkit.feedback.retro.summary import (
    Summary,
    SummaryAction,
    SummaryCard,
    SummaryColumn,
    SummaryGroup,
    board_summary,
    summary_body,
    summary_html,
    summary_markdown,
    summary_stem,
    summary_tables,
)
from cpmkit.feedback.retro.template import retro_formats
from tests.feedback.retro.test_board import BEN, CARDS, T0, VOTES, state

SAILBOAT = retro_formats().format("sailboat")
SCRIPT = "<script>alert('x')</script>"


def finished_state() -> BoardState:
    """The test board finished, with two actions of its own and one of an earlier board; the
    anonymous card keeps its poster's name in the frame, as a careless read might."""
    read = state("act", cards=CARDS, votes=VOTES, actions=[(1, 5, "Fix the flaky tests"), (2, 4, "Earlier")])
    cards = read.cards.copy()
    cards.loc[cards["id"] == 12, "author"] = "Ben"
    actions = read.actions.copy()
    actions.loc[0, ["owner", "due"]] = ["Ana", pd.Timestamp("2026-03-15")]
    board = {**read.board, "finished_at": pd.Timestamp("2026-03-01 11:30")}
    return dataclasses.replace(read, board=board, cards=cards, actions=actions)


def test_the_summary_has_columns_groups_votes_actions_and_who_took_part() -> None:
    summary = board_summary(finished_state(), SAILBOAT)
    assert (summary.title, summary.format_name, summary.created, summary.finished) == (
        "Retro",
        SAILBOAT.name,
        f"{T0:%Y-%m-%d}",
        "2026-03-01",
    )
    assert [c.label for c in summary.columns] == [c.label for c in SAILBOAT.columns], "every column, in order"
    by_label = {c.label: c for c in summary.columns}
    wind, anchors = by_label["Wind"], by_label["Anchors"]
    assert wind.groups == (SummaryGroup((SummaryCard("Demos", "Ana"), SummaryCard("Show the work", ANONYMOUS)), 0),)
    assert [(g.cards[0].text, g.votes) for g in anchors.groups] == [("Flaky tests", 3), ("Slow reviews", 1)]
    assert summary.actions == (SummaryAction("Fix the flaky tests", "Ana", "2026-03-15", "open"),), "this board's only"
    assert summary.participants == ("Ana", "Ben")


def test_a_board_not_finished_and_a_column_the_format_lost_still_summarise() -> None:
    read = state("collect", cards=[(1, BEN, "gone", "Old column", False, None)])
    summary = board_summary(read, SAILBOAT)
    assert summary.finished == "" and summary.columns[-1] == SummaryColumn(
        "gone", (SummaryGroup((SummaryCard("Old column", "Ben"),), 0),)
    )
    assert board_summary(read, None).format_name == "sailboat"
    assert "finished —" in summary_markdown(summary)


def test_an_anonymous_card_never_carries_its_authors_name() -> None:
    summary = board_summary(finished_state(), SAILBOAT)
    markdown = summary_markdown(summary)
    line = next(line for line in markdown.splitlines() if "Show the work" in line)
    assert "Ben" not in line and ANONYMOUS in line
    assert f"Show the work — <span>{ANONYMOUS}</span>" in summary_html(summary)
    cards = summary_tables(summary)["Cards"]
    assert cards.loc[cards["Card"] == "Show the work", "Author"].tolist() == [ANONYMOUS]
    assert cards.loc[cards["Card"] == "Slow reviews", "Author"].tolist() == ["Ben"], "his named card keeps his name"


def escaping_summary() -> Summary:
    card = SummaryCard(SCRIPT, '=HYPERLINK("http://x")')
    return Summary(
        title=f"Sprint {SCRIPT}",
        format_name="Sailboat",
        created="2026-03-01",
        finished="2026-03-02",
        columns=(SummaryColumn("Wind & <waves>", (SummaryGroup((card, SummaryCard("[link](http://x)", "Zoë")), 2),)),),
        actions=(SummaryAction(f"Ban {SCRIPT}", "<Ana>", "", "open"),),
        participants=("<Ana>", "Zoë"),
    )


def test_html_escapes_every_text() -> None:
    page = summary_html(escaping_summary())
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Wind &amp; &lt;waves&gt;" in page and "&lt;Ana&gt;" in page and "<Ana>" not in page
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<h5>Actions</h5>" in summary_body(escaping_summary(), level=5)


def test_markdown_makes_typed_text_inert() -> None:
    markdown = summary_markdown(escaping_summary())
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "[link](http://x)" not in markdown and "\\[link\\]\\(http://x\\)" in markdown
    assert "- \\[link\\]\\(http://x\\) — Zoë" in markdown.replace("    - ", "- ")
    assert "(2 votes)" in markdown and "owner: \\<Ana\\>; due: —; open" in markdown
    assert markdown.endswith("\\<Ana\\>, Zoë\n")


def test_the_xlsx_holds_the_summary_with_formulas_kept_as_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(summary_tables(escaping_summary()))))
    assert book.sheetnames == ["Board", "Cards", "Actions", "Who took part"]
    cards = list(book["Cards"].values)
    assert cards[0] == ("Column", "Group", "Card", "Author", "Group votes")
    assert cards[1] == ("Wind & <waves>", 1, SCRIPT, '=HYPERLINK("http://x")', 2)
    assert list(book["Actions"].values)[1][:2] == (f"Ban {SCRIPT}", "<Ana>")
    assert [row[0] for row in book["Who took part"].values] == ["Name", "<Ana>", "Zoë"]
    assert list(book["Board"].values)[1] == ("Title", f"Sprint {SCRIPT}")


def test_an_empty_board_says_so_and_its_file_name_is_safe() -> None:
    summary = dataclasses.replace(escaping_summary(), columns=(SummaryColumn("Wind", ()),), actions=(), participants=())
    markdown = summary_markdown(summary)
    assert "No cards." in markdown and "No actions agreed." in markdown and "Nobody joined." in markdown
    assert "No actions agreed." in summary_html(summary)
    assert summary_stem(summary) == "retro-sprint-script-alert-x-script"
    assert summary_stem(dataclasses.replace(summary, title="!!!")) == "retro-board"
