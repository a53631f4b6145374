"""The retrospective board in Voila, driven through its widgets: links, joining, cards seen by
another member after a tick, escaping, votes and their limit, the facilitator's controls
(absent for members), actions carried to the next board, finishing with the summary's downloads,
archived boards, and the PM's RetroPanel."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import ipywidgets as W
import pytest
from ipywidgets.widgets.widget import _instances
from sqlalchemy import delete

from cpmkit.db.database import Store
from cpmkit.db.schema import retro_boards
from cpmkit.errors import NotFoundError
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.retro import ui as board_ui
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.retro.ui import RetroBoard, RetroBoardApp, RetroPanel, board_link
from cpmkit.ui.widgets import NOT_SHOWN_AGAIN, SHOWN_ONCE, widget_tree
from tests._downloads import files

SCRIPT = "<script>alert(1)</script>"


BROWSER = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def made(retros: RetroStore, project: int) -> dict[str, Any]:
    return retros.create_board(project, "Sprint <3> retro", "start_stop_continue", 2)


def page_text(widget: W.Widget) -> str:
    """Every string a widget tree puts on the page (values, descriptions, options)."""
    parts: list[str] = []

    def walk(w: Any) -> None:
        for name in ("value", "description", "placeholder"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                parts.append(value)
        parts.extend(str(label) for label in getattr(w, "_options_labels", ()) or ())
        for child in getattr(w, "children", ()) or ():
            walk(child)

    walk(widget)
    return "\n".join(parts)


def html_of(widget: W.Widget) -> str:
    """The markup of every HTML widget in a tree: what the browser renders as HTML."""
    if isinstance(widget, W.HTML):
        return str(widget.value)
    return "\n".join(html_of(child) for child in getattr(widget, "children", ()) or ())


def buttons(widget: W.Widget, description: str) -> list[W.Button]:
    """The buttons in a widget tree whose description starts with ``description``."""
    found: list[W.Button] = []

    def walk(w: Any) -> None:
        if isinstance(w, W.Button) and w.description.startswith(description):
            found.append(w)
        for child in getattr(w, "children", ()) or ():
            walk(child)

    walk(widget)
    return found


def open_board(store: Store, made: dict[str, Any], name: str, *, facilitator: bool = False) -> RetroBoard:
    """Open the link as ``name`` would, join, and return the live board (no ticker: tests tick)."""
    query = f"board={made['token']}" + (f"&facilitator={made['facilitator_key']}" if facilitator else "")
    page = RetroBoardApp(store, query=query, refresh_seconds=None)
    arrive(page, browser_of(name))
    page.name.value = name
    page.join_button.click()
    assert page.view is not None, page.join_message.value
    return page.view


def browser_of(name: str) -> str:
    """The key ``name``'s own browser keeps for the board (each person has a browser of their own)."""
    return hashlib.md5(name.strip().casefold().encode()).hexdigest()


def arrive(page: RetroBoardApp, key: str) -> None:
    """What browser_key.js does once the page is shown: hand over the browser's key."""
    assert page.browser is not None
    page.browser.key = key


def add(board: RetroBoard, column: str, text: str, *, anonymous: bool = False) -> None:
    board.column.value = column
    board.text.value = text
    board.anonymous.value = anonymous
    board.add.click()


def column_html(board: RetroBoard, column: str) -> str:
    index = [c.id for c in board.format.columns].index(column)
    return html_of(board.columns.children[index])


def move(board: RetroBoard, phase: str) -> None:
    """The facilitator presses Next (or Back) until the board is in ``phase``."""
    from cpmkit.feedback.retro.rules import PHASES

    while (now := str(board.retros.board(board.board_id)["phase"])) != phase:
        (board.forward if PHASES.index(phase) > PHASES.index(now) else board.back).click()
        assert board.message.value == "", board.message.value


# -- opening a link --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "board=nope"])
def test_a_missing_or_dead_link_shows_only_a_plain_message(store: Store, made: dict[str, Any], query: str) -> None:
    page = RetroBoardApp(store, query=query, refresh_seconds=None)
    assert "link" in page.status.value and "Traceback" not in page.status.value
    assert page.join_form not in page.widget.children
    assert {"cpmkit-app", "cpmkit-ready"} <= set(page.widget._dom_classes)


def test_a_wrong_facilitator_key_is_refused(
    store: Store, retros: RetroStore, project: int, made: dict[str, Any]
) -> None:
    other = retros.create_board(project, "Other", "sailboat", 3)
    page = RetroBoardApp(
        store, query=f"board={made['token']}&facilitator={other['facilitator_key']}", refresh_seconds=None
    )
    assert "facilitator link is not valid" in page.status.value
    assert page.join_form not in page.widget.children


def test_the_heading_is_escaped_and_a_blank_name_is_refused(store: Store, made: dict[str, Any]) -> None:
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=None)
    assert "Sprint &lt;3&gt; retro" in page.heading.value and "Start, stop, continue" in page.heading.value
    arrive(page, BROWSER)
    page.name.value = "  "
    page.join_button.click()
    assert "Name: cannot be empty." in page.join_message.value and page.view is None


def test_joining_waits_for_the_browsers_key(store: Store, made: dict[str, Any]) -> None:
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=None)
    page.name.value = "Ana"
    page.join_button.click()
    assert "One moment" in page.join_message.value and page.view is None
    arrive(page, BROWSER)
    page.join_button.click()
    assert page.view is not None and page.join_message.value == ""


def test_a_name_taken_from_another_browser_is_refused(store: Store, retros: RetroStore, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    ana.text.value = "Mine, posted anonymously"
    ana.anonymous.value = True
    ana.add.click()
    impostor = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=None)
    arrive(impostor, browser_of("someone else"))
    impostor.name.value = " ana "
    impostor.join_button.click()
    assert impostor.view is None
    assert (
        "someone has already joined this board as &#x27;ana&#x27; from another browser" in impostor.join_message.value
    )
    [card] = retros.state(made["id"]).cards.to_dict("records")
    assert card["member_id"] == ana.member_id  # still Ana's, and still hers alone to edit
    assert retros.state(made["id"]).members["name"].tolist() == ["Ana"]  # the refused join changed nothing


def test_board_links_carry_the_token_and_for_the_facilitator_the_key() -> None:
    assert board_link("a b") == "/voila/render/04_retro_board.ipynb?board=a%20b"
    assert (
        board_link("t", "k", base_url="http://10.0.0.5:8866")
        == "http://10.0.0.5:8866/voila/render/04_retro_board.ipynb?board=t&facilitator=k"
    )


# -- cards -----------------------------------------------------------------------------------


def test_cards_show_escaped_with_their_author_or_anonymous(store: Store, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana <b>")
    assert [c.id for c in ana.format.columns] == ["start", "stop", "continue"]
    add(ana, "stop", SCRIPT)
    add(ana, "start", "Weekly demos", anonymous=True)
    stop, start = column_html(ana, "stop"), column_html(ana, "start")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stop and SCRIPT not in stop
    assert "Ana &lt;b&gt;" in stop
    assert "Weekly demos" in start and "Anonymous" in start and "Ana" not in start
    assert ana.text.value == "" and ana.add_message.value == ""


def test_a_blank_card_is_refused_and_the_text_stays(store: Store, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    add(ana, "start", "   ")
    assert "Text: cannot be empty." in ana.add_message.value
    assert "Anonymous" not in page_text(ana.columns)


def test_another_member_sees_the_cards_after_a_tick(
    store: Store, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, ben = open_board(store, made, "Ana"), open_board(store, made, "Ben")
    add(ana, "start", "Pair on reviews")
    assert "Pair on reviews" not in column_html(ben, "start")
    ben.tick()
    assert "Pair on reviews" in column_html(ben, "start")
    reads: list[int] = []
    real = ben.retros.state
    monkeypatch.setattr(ben.retros, "state", lambda board_id: reads.append(board_id) or real(board_id))
    ben.tick()
    assert reads == [], "nothing changed: the tick read the version only"
    add(ana, "continue", "Demos")
    ben.tick()
    assert reads == [made["id"]] and "Demos" in column_html(ben, "continue")


def test_a_half_typed_card_survives_a_redraw(store: Store, made: dict[str, Any]) -> None:
    ana, ben = open_board(store, made, "Ana"), open_board(store, made, "Ben")
    ben.text.value = "Half a thought"
    add(ana, "start", "Pair on reviews")
    ben.tick()
    assert ben.text.value == "Half a thought"


def test_members_edit_and_remove_only_their_own_cards(store: Store, made: dict[str, Any]) -> None:
    ana, ben = open_board(store, made, "Ana"), open_board(store, made, "Ben")
    add(ana, "start", "Mine")
    ben.tick()
    assert buttons(ben.columns, "Edit") == [] and buttons(ben.columns, "Remove") == []
    buttons(ana.columns, "Edit")[0].click()
    assert ana.text.value == "Mine" and ana.add.description == "Save changes" and ana.column.disabled
    ana.text.value = "Mine, <changed>"
    ana.add.click()
    assert (
        "Mine, &lt;changed&gt;" in column_html(ana, "start") and ana.add.description == "Add" and ana.text.value == ""
    )
    buttons(ana.columns, "Edit")[0].click()
    ana.cancel.click()
    assert ana.state is not None and ana.state.editing is None and ana.text.value == "" and not ana.column.disabled
    buttons(ana.columns, "Remove")[0].click()
    assert "Mine" not in column_html(ana, "start")


def test_rejoining_under_the_same_name_is_the_same_member(store: Store, made: dict[str, Any]) -> None:
    first = open_board(store, made, "Ana")
    again = open_board(store, made, " ana ")
    assert first.member_id == again.member_id


# -- the facilitator -------------------------------------------------------------------------


def test_facilitator_controls_are_absent_for_members(store: Store, made: dict[str, Any]) -> None:
    member = open_board(store, made, "Ana")
    facilitator = open_board(store, made, "Fay", facilitator=True)
    assert member.phase_bar not in member.widget.children and member.group_form not in member.widget.children
    assert (
        facilitator.phase_bar in facilitator.widget.children and facilitator.group_form in facilitator.widget.children
    )
    assert buttons(member.widget, "Next") == [] and buttons(member.widget, "Group") == []
    member.forward.click()  # a click sent to the hidden widget anyway is refused
    assert "Only the facilitator" in member.message.value
    assert member.retros.board(made["id"])["phase"] == "collect"


def test_the_facilitator_moves_the_phases_and_everyone_follows(store: Store, made: dict[str, Any]) -> None:
    member = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    assert fay.back.disabled and fay.forward.description == "Next: group"
    fay.forward.click()
    assert fay.back.description == "Back to collect"
    assert "data-phase='group'" in fay.banner.value
    member.tick()
    assert "data-phase='group'" in member.banner.value and member.add_form.layout.display is None
    move(fay, "vote")
    member.tick()
    assert member.add_form.layout.display == "none"
    move(fay, "act")
    assert fay.forward.disabled


def test_the_facilitator_groups_cards(store: Store, made: dict[str, Any]) -> None:
    fay = open_board(store, made, "Fay", facilitator=True)
    add(fay, "start", "Demos")
    add(fay, "start", "Show the work")
    move(fay, "group")
    ids = [value for _label, value in fay.card_choice.options]
    fay.card_choice.value, fay.under_choice.value = ids[1], ids[0]
    fay.group_button.click()
    assert fay.group_message.value == ""
    start = column_html(fay, "start")
    assert f'cpmkit-retro-card cpmkit-retro-grouped" data-card="{ids[1]}"' in start
    fay.card_choice.value = ids[1]
    fay.ungroup_button.click()
    assert "cpmkit-retro-grouped" not in column_html(fay, "start")
    fay.card_choice.value = None
    fay.group_button.click()
    assert "Choose a card" in fay.group_message.value


def test_the_facilitator_groups_by_dragging_a_card_onto_another(store: Store, made: dict[str, Any]) -> None:
    """The drag widget offers every card (ids only: it moves the board's own escaped cards) in
    the group phase alone, and a drop calls the store as the form does; a refusal shows there."""
    member = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    assert member.card_drag is None
    add(fay, "start", SCRIPT)
    add(fay, "stop", "Show the work")
    assert fay.card_drag is not None and fay.card_drag in fay.group_form.children
    assert fay.card_drag.cards == []  # collecting: nothing to drag
    move(fay, "group")
    ids = [value for _label, value in fay.card_choice.options]
    assert fay.card_drag.cards == ids and len(ids) == 2
    assert SCRIPT not in str(fay.card_drag.get_state())  # no text goes to the script
    fay.card_drag._handle_custom_msg({"group": [ids[1], ids[0]]}, [])  # "Show the work" dropped on the script card
    assert fay.group_message.value == ""
    assert f'cpmkit-retro-card cpmkit-retro-grouped" data-card="{ids[1]}"' in column_html(fay, "start")
    member.tick()
    assert f'cpmkit-retro-grouped" data-card="{ids[1]}"' in column_html(member, "start")
    fay.card_drag._handle_custom_msg({"group": [ids[0], ids[1]]}, [])  # the lead onto its own group
    assert "already in one group" in fay.group_message.value
    fay.card_drag._handle_custom_msg({"ungroup": ids[1]}, [])  # dragged back to its column
    assert fay.group_message.value == "" and "cpmkit-retro-grouped" not in column_html(fay, "start")
    move(fay, "vote")
    assert fay.card_drag.cards == []


def test_votes_stop_at_the_limit_with_a_plain_message(store: Store, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    add(ana, "start", "Demos")
    move(fay, "vote")
    ana.tick()
    assert "Votes left: 2 of 2" in ana.votes_info.value
    vote = buttons(ana.columns, "Vote")
    assert len(vote) == 1
    vote[0].click()
    buttons(ana.columns, "Vote")[0].click()
    assert "Votes left: 0 of 2" in ana.votes_info.value and "your votes: 2" in page_text(ana.columns)
    buttons(ana.columns, "Vote")[0].click()
    assert "You have used all 2 of your votes" in ana.message.value
    buttons(ana.columns, "Take back")[0].click()
    assert "Votes left: 1 of 2" in ana.votes_info.value and ana.message.value == ""


def test_a_card_posted_in_another_column_under_a_removed_cards_id_shows(store: Store, made: dict[str, Any]) -> None:
    """SQLite gives a new card the id of the card just removed: a card retyped in another column
    before Ben's board refreshed takes the removed card's id, and shows on his board, live."""
    ana = open_board(store, made, "Ana")
    ben = open_board(store, made, "Ben")
    add(ana, "start", "Typo")
    ben.tick()
    typo = re.findall(r'data-card="(\d+)"', column_html(ben, "start"))
    buttons(ana.columns, "Remove")[0].click()
    add(ana, "stop", "Slow reviews")
    ben.tick()
    assert re.findall(r'data-card="(\d+)"', column_html(ben, "stop")) == typo  # the same id, another column
    assert "Slow reviews" in column_html(ben, "stop") and "Typo" not in column_html(ben, "start")
    box = ben.column_boxes["stop"].children[1]
    assert box.comm is not None  # a live widget, not one closed with the start column's redraw


def add_cards(board: RetroBoard, count: int) -> None:
    """``count`` cards from ``board``'s member, spread over the three columns."""
    for n in range(count):
        add(board, ("start", "stop", "continue")[n % 3], f"Card {n}")


def test_redraws_leave_no_dead_widgets_behind(store: Store, made: dict[str, Any]) -> None:
    """Every card and vote redraws every open board: the widgets a redraw replaces are closed,
    or a long retrospective would pile thousands up in each kernel and each page."""
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    add_cards(ana, 12)
    move(fay, "vote")
    ana.refresh()
    before = len(_instances)
    for _ in range(2):  # a vote and taking it back: two redraws of Ana's board, ticks on Fay's
        buttons(ana.columns, "Vote")[0].click()
        fay.tick()
        buttons(ana.columns, "Take back")[0].click()
        fay.tick()
    assert len(_instances) == before


def test_a_redraw_updates_the_groups_in_place(store: Store, made: dict[str, Any]) -> None:
    """A redraw creates no widgets for a group already on the board: another member's vote
    changes nothing on Ana's board (the tally is hidden), and her own changes her counter."""
    ana = open_board(store, made, "Ana")
    ben = open_board(store, made, "Ben")
    fay = open_board(store, made, "Fay", facilitator=True)
    add(ana, "start", "Demos")
    add(ben, "stop", "Late reviews")
    move(fay, "vote")
    ana.tick()
    ben.tick()

    def groups() -> list[W.Widget]:
        return [box for column in ana.columns.children for box in column.children[1:]]

    before, made_before = groups(), len(_instances)
    buttons(ben.columns, "Vote")[0].click()
    ana.tick()
    buttons(ana.columns, "Vote")[0].click()  # her own vote: her counter on "Demos" changes, nothing else
    assert all(now is then for now, then in zip(groups(), before, strict=True))
    assert len(_instances) == made_before
    assert "your votes: 1" in page_text(groups()[0]) and "your votes: 0" in page_text(groups()[1])
    assert not buttons(groups()[0], "Take back")[0].disabled and buttons(groups()[1], "Take back")[0].disabled


def _model_ids(widget: W.Widget) -> set[str]:
    """The widgets a board shows: each widget, its layout and style, and all it contains."""
    return {part.model_id for part in widget_tree([widget])}


def test_a_phase_change_makes_only_the_vote_buttons(store: Store, made: dict[str, Any]) -> None:
    """The whole room's boards redraw at once on a phase change: on a board of 12 cards, the
    vote phase makes the 8 widgets of each group's Vote and Take back and nothing else, and the
    discussion after it makes none and closes those."""
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    add_cards(fay, 12)
    move(fay, "group")
    ana.tick()
    grouping = _model_ids(ana.widget)
    move(fay, "vote")
    ana.tick()
    voting = _model_ids(ana.widget)
    assert len(voting - grouping) == 12 * 8 and grouping <= voting  # an HBox, two buttons, layouts, styles
    move(fay, "discuss")
    ana.tick()
    assert _model_ids(ana.widget) == grouping
    assert not (voting - grouping) & set(_instances)  # closed, in the kernel and the page
    assert "0 votes" in page_text(ana.columns)


def test_the_top_groups_become_actions_carried_into_the_next_retrospective(
    store: Store, retros: RetroStore, project: int, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    add(ana, "stop", "Slow <reviews>")
    add(ana, "start", "Demos")
    move(fay, "vote")
    ana.tick()
    buttons(ana.columns, "Vote")[0].click()  # the first group shown: "Demos" is in the first column
    move(fay, "act")
    assert list(fay.action_forms) == [int(retros.state(made["id"]).cards.iloc[1]["id"])], "the voted group only"
    form = next(iter(fay.action_forms.values()))
    assert "Demos" in form.heading.value and "1 vote" in form.heading.value
    form.what.value, form.owner.value, form.due.value = "Demo every sprint", "Ana", dt.date(2026, 12, 4)
    form.add.click()
    assert form.message.value == "" and form.what.value == ""
    assert "Demo every sprint" in page_text(fay.board_actions.widget)
    ana.tick()
    assert ana.actions_section.layout.display is None and ana.action_forms == {}
    assert "Demo every sprint" in page_text(ana.board_actions.widget)

    following = retros.create_board(project, "Next retro", "sailboat", 3)
    member = open_board(store, following, "Ana")
    carried = page_text(member.carried.widget)
    assert "Demo every sprint" in carried and "open" in carried
    assert not [w for w in member.carried.rows.children if isinstance(w, W.HBox)], "members cannot change a status"
    facilitator = open_board(store, following, "Fay", facilitator=True)
    status = facilitator.carried.rows.children[0].children[0]
    assert isinstance(status, W.Dropdown) and status.value == "open"
    status.value = "done"
    assert retros.actions(project)["status"].tolist() == ["done"]
    member.tick()
    assert "done" in page_text(member.carried.widget), "closed during this retrospective: still shown"


def test_actions_of_a_deleted_board_are_still_carried(
    store: Store, retros: RetroStore, project: int, made: dict[str, Any]
) -> None:
    retros.set_phase(made["id"], "act", facilitator_key=made["facilitator_key"])
    retros.add_action(made["id"], None, "Keep the backlog groomed", facilitator_key=made["facilitator_key"])
    with store.write() as conn:
        conn.execute(delete(retro_boards).where(retro_boards.c.id == made["id"]))
    following = retros.create_board(project, "Next retro", "sailboat", 3)
    fay = open_board(store, following, "Fay", facilitator=True)
    move(fay, "act")
    assert "Keep the backlog groomed" in page_text(fay.carried.widget)
    assert "No actions agreed yet." in html_of(fay.board_actions.widget) and fay.live_message.value == ""


# -- live refresh and the entry point --------------------------------------------------------


def test_the_board_refreshes_itself_until_it_is_closed(store: Store, made: dict[str, Any]) -> None:
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=60)
    arrive(page, BROWSER)
    page.name.value = "Ana"
    page.join_button.click()
    first = page.view
    assert first is not None and first.ticker is not None and first.ticker.running
    page.join_button.click()  # joining again replaces the board
    second = page.view
    assert second is not first and not first.ticker.running
    assert second is not None and second.ticker is not None and second.ticker.running
    second.widget.close()  # the page goes away
    assert not second.ticker.running
    for ticker in (first.ticker, second.ticker):
        assert ticker._thread is not None
        ticker._thread.join(timeout=5)
        assert not ticker._thread.is_alive()


def test_a_store_error_in_a_tick_shows_a_message(
    store: Store, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = open_board(store, made, "Ana")
    monkeypatch.setattr(ana.retros, "version", lambda board_id: 1 / 0)
    ana.tick()
    assert "Something went wrong" in ana.live_message.value


def test_app_opens_the_board_named_in_the_url(
    store: Store, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board_ui, "open_store", lambda: store)
    monkeypatch.setenv("QUERY_STRING", f"board={made['token']}")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    widget = board_ui.app()
    assert {"cpmkit-app", "cpmkit-ready"} <= set(widget._dom_classes)
    assert "Join the board" in page_text(widget)
    widget.close()


# -- the PM's panel --------------------------------------------------------------------------


def test_the_panel_creates_a_board_and_shows_both_links_once(store: Store, retros: RetroStore, project: int) -> None:
    panel = RetroPanel(store, base_url="http://10.0.0.5:8866")
    panel.show(project)
    assert "No retrospective yet." in html_of(panel.boards)
    panel.title.value, panel.format.value, panel.votes.value = "Mid <project>", "sailboat", 4
    panel.create.click()
    assert "Board created" in panel.create_message.value
    board = retros.boards(project).iloc[0]
    assert (board["title"], board["format"], board["votes_per_member"]) == ("Mid <project>", "sailboat", 4)
    assert "Mid &lt;project&gt;" in html_of(panel.boards) and "Sailboat" in html_of(panel.boards)
    shown = panel.links[int(board["id"])]
    members, facilitator = shown.hrefs["Members' link"], shown.hrefs["Facilitator's link"]
    token = members.split("board=", 1)[1]
    assert members == f"http://10.0.0.5:8866/voila/render/04_retro_board.ipynb?board={token}"
    assert facilitator.startswith(f"{members}&facilitator=")
    key = facilitator.split("facilitator=", 1)[1]
    assert f"{members}&amp;facilitator={key}" in html_of(panel.boards) and SHOWN_ONCE in shown.text.value
    assert retros.board_for_token(token)["id"] == retros.board_for_facilitator(key)["id"] == board["id"]
    assert panel.board_choice.value == board["id"]

    # Opened again, the panel cannot show them; "New link" replaces both (the old ones stop working).
    again = RetroPanel(store, base_url="http://10.0.0.5:8866")
    again.show(project)
    later = again.links[int(board["id"])]
    assert later.hrefs == {} and NOT_SHOWN_AGAIN in html_of(again.boards) and token not in html_of(again.boards)
    later.button.click()
    later.confirm.children[1].click()  # Make a new link
    new_token = later.hrefs["Members' link"].split("board=", 1)[1]
    new_key = later.hrefs["Facilitator's link"].split("facilitator=", 1)[1]
    assert retros.board_for_token(new_token)["id"] == retros.board_for_facilitator(new_key)["id"] == board["id"]
    with pytest.raises(NotFoundError):
        retros.board_for_token(token)
    with pytest.raises(NotFoundError):
        retros.board_for_facilitator(key)


def test_a_members_browser_key_is_named_by_the_board_so_new_links_keep_their_place(
    store: Store, made: dict[str, Any]
) -> None:
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=None)
    assert page.browser is not None and page.browser.name == f"cpmkit-retro-board-{made['id']}"
    renewed = RetroStore(store).new_board_secrets(made["id"])
    later = RetroBoardApp(store, query=f"board={renewed['token']}", refresh_seconds=None)
    assert later.browser is not None and later.browser.name == page.browser.name


def test_the_panel_refuses_a_board_without_a_project_or_title(store: Store, project: int) -> None:
    panel = RetroPanel(store)
    panel.show(None)
    panel.title.value = "Retro"
    panel.create.click()
    assert "Choose or create a project first." in panel.create_message.value
    panel.show(project)
    panel.title.value = ""
    panel.create.click()
    assert "Title: cannot be empty." in panel.create_message.value


def test_the_panel_makes_a_lesson_of_a_card_and_edits_action_status(
    store: Store, retros: RetroStore, project: int, made: dict[str, Any]
) -> None:
    member = retros.join(made["id"], "Ana", BROWSER)
    card = retros.add_card(made["id"], member, "stop", SCRIPT)
    retros.set_phase(made["id"], "act", facilitator_key=made["facilitator_key"])
    retros.add_action(made["id"], card, "Review <fast>", facilitator_key=made["facilitator_key"])
    lessons: list[LessonSource] = []
    panel = RetroPanel(store, on_lesson=lessons.append)
    panel.show(project)
    shown = html_of(panel.cards)
    assert "&lt;script&gt;" in shown and SCRIPT not in shown and "Stop" in shown
    buttons(panel.cards, "Make a lesson")[0].click()
    assert lessons == [LessonSource("card", str(card), SCRIPT)]
    status = panel.actions.rows.children[0].children[0]
    assert "Review &lt;fast&gt;" in page_text(panel.actions.widget)
    status.value = "in progress"
    assert retros.actions(project)["status"].tolist() == ["in progress"]
    without = RetroPanel(store)
    without.show(project)
    assert buttons(without.cards, "Make a lesson") == []


def test_cards_keep_their_posting_order_until_the_votes_are_counted(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = retros.join(made["id"], "Ana", BROWSER)
    first = retros.add_card(made["id"], ana, "start", "Posted first")
    second = retros.add_card(made["id"], ana, "start", "Posted second")
    retros.set_phase(made["id"], "vote", facilitator_key=made["facilitator_key"])
    retros.vote(ana, second)
    board = open_board(store, made, "Ben")
    text = page_text(board.widget)
    assert text.index("Posted first") < text.index("Posted second")  # the tally stays hidden while people vote
    assert "1 vote" not in text
    retros.set_phase(made["id"], "discuss", facilitator_key=made["facilitator_key"])
    board.refresh()
    text = page_text(board.widget)
    assert text.index("Posted second") < text.index("Posted first") and "1 vote" in text
    assert first != second


# -- finishing, the summary, archiving -------------------------------------------------------


def shown(widget: W.Widget) -> bool:
    return widget.layout.display != "none"


def finish(fay: RetroBoard) -> None:
    fay.finish.click()
    buttons(fay.finish_confirm, "Finish the board")[0].click()
    assert fay.message.value == "", fay.message.value


def test_the_facilitator_finishes_and_every_page_shows_the_summary(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana")
    ben = open_board(store, made, "Ben")
    fay = open_board(store, made, "Fay", facilitator=True)
    assert not shown(fay.finish)
    add(ana, "start", "Demos <weekly>")
    add(ben, "stop", "Blame Ana", anonymous=True)
    move(fay, "discuss")
    assert not shown(fay.finish) and not fay.forward.disabled
    move(fay, "act")
    assert shown(fay.finish) and fay.forward.disabled
    form = next(iter(fay.action_forms.values()))
    form.what.value, form.owner.value, form.due.value = "Demo every sprint", "Ana", dt.date(2026, 12, 18)
    form.add.click()

    fay.finish.click()  # asks first: it cannot be undone
    assert retros.board(made["id"])["finished_at"] is None
    buttons(fay.finish_confirm, "Cancel")[0].click()
    assert fay.finish_confirm.children == ()
    finish(fay)
    assert "data-status='finished'" in fay.banner.value and not shown(fay.phase_bar)

    ana.tick()
    assert "This retrospective is finished" in ana.banner.value
    for part in (ana.add_form, ana.columns, ana.actions_section, ana.carried_section):
        assert not shown(part)
    assert shown(ana.summary.widget) and not buttons(ana.widget, "Vote") and not buttons(ana.widget, "Edit")
    body = ana.summary.body.value
    assert "Demos &lt;weekly&gt; — <span>Ana</span>" in body and "Blame Ana — <span>Anonymous</span>" in body
    assert "Demo every sprint" in body and "2026-12-18" in body and "Ana, Ben, Fay" in body
    made_files = files(ana.summary.downloads)
    assert set(made_files) == {"retro-sprint-3-retro.md", "retro-sprint-3-retro.html", "retro-sprint-3-retro.xlsx"}
    markdown = made_files["retro-sprint-3-retro.md"].decode()
    assert "Blame Ana — Anonymous" in markdown and "Ben" not in markdown.split("## Who took part")[0]
    assert "&lt;weekly&gt;" in made_files["retro-sprint-3-retro.html"].decode()
    assert made_files["retro-sprint-3-retro.xlsx"].startswith(b"PK")

    drawn = ana.summary.body
    ana.refresh()
    assert ana.summary.body is drawn and ana.summary.shown == fay.summary.shown
    ana.anonymous.value = False  # a stale page sending a card anyway is refused with the store's message
    ana.text.value = "Late"
    ana.add.click()
    assert "finished" in ana.add_message.value


def test_a_finished_boards_link_shows_its_summary_and_an_archived_ones_only_a_message(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    retros.join(made["id"], "Ana", BROWSER)
    retros.set_phase(made["id"], "act", facilitator_key=made["facilitator_key"])
    retros.finish(made["id"], facilitator_key=made["facilitator_key"])
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=None)
    assert page.join_form not in page.widget.children and page.browser is None
    text = html_of(page.widget)
    assert "This retrospective is finished" in text and "Sprint &lt;3&gt; retro" in text and "Ana" in text
    assert len(files(page.widget)) == 3

    retros.archive(made["id"])
    for query in (f"board={made['token']}", f"board={made['token']}&facilitator={made['facilitator_key']}"):
        archived = RetroBoardApp(store, query=query, refresh_seconds=None)
        assert "This board is archived" in archived.status.value
        assert "Sprint" not in html_of(archived.widget) and archived.join_form not in archived.widget.children


def test_a_board_archived_while_open_tells_its_members(store: Store, retros: RetroStore, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    retros.archive(made["id"])
    ana.tick()
    assert "data-status='archived'" in ana.banner.value and "This board is archived" in ana.banner.value
    assert not shown(ana.add_form) and not shown(ana.summary.widget) and not shown(ana.columns)


def test_the_panel_lists_boards_with_dates_and_status_and_archives_and_reopens(
    store: Store, retros: RetroStore, project: int, made: dict[str, Any]
) -> None:
    done = retros.create_board(project, "Done retro", "sailboat", 3)
    retros.set_phase(done["id"], "act", facilitator_key=done["facilitator_key"])
    retros.finish(done["id"], facilitator_key=done["facilitator_key"])
    panel = RetroPanel(store, base_url="http://10.0.0.5:8866")
    panel.show(project)
    listed = html_of(panel.boards)
    today = f"{retros.board(made['id'])['created_at']:%Y-%m-%d}"
    assert (
        f"data-status='open'>open, phase: collect</span> · <span class='cpmkit-help'>created {today}</span>" in listed
    )
    assert (
        f"data-status='finished'>finished</span> · <span class='cpmkit-help'>created {today}, finished {today}"
        in listed
    )
    for secret in (made["token"], made["facilitator_key"], done["token"], done["facilitator_key"]):
        assert secret not in listed
    assert len(files(panel.boards)) == 3, "the finished board's summary"

    buttons(panel.boards, "Archive")[0].click()  # the first board: Sprint <3> retro
    assert panel.boards_message.value == ""
    assert retro_status(retros, made["id"]) == "archived"
    first = panel.boards.children[0]
    assert "data-status='archived'" in html_of(first) and buttons(first, "Reopen")
    assert not shown(panel.links[made["id"]].widget), "an archived board's links do nothing"
    buttons(first, "Reopen")[0].click()
    assert retro_status(retros, made["id"]) == "open" and shown(panel.links[made["id"]].widget)
    assert "data-status='open'" in html_of(panel.boards.children[0])


def retro_status(retros: RetroStore, board_id: int) -> str:
    from cpmkit.feedback.retro.rules import board_status

    return board_status(retros.board(board_id))


# -- facilitation ----------------------------------------------------------------------------


@pytest.fixture
def private(retros: RetroStore, project: int) -> dict[str, Any]:
    return retros.create_board(project, "Private retro", "start_stop_continue", 3, private_writing=True)


def test_cards_written_privately_never_reach_another_page_until_revealed(
    store: Store, retros: RetroStore, private: dict[str, Any]
) -> None:
    ana = open_board(store, private, "Ana")
    ben = open_board(store, private, "Ben")
    fay = open_board(store, private, "Fay", facilitator=True)
    add(ana, "start", "Ana secret idea")
    add(ben, "stop", "Ben, anonymously", anonymous=True)
    add(ben, "stop", "Ben, by name")
    for board in (ana, ben, fay):
        board.tick()
    assert "Ana secret idea" in page_text(ana.widget)
    assert "Ben" not in page_text(ana.columns) and "Ben, by name" not in page_text(ana.widget)
    assert "2 cards from others, hidden until the facilitator reveals them." in ana.hidden_info.value
    assert "Ana secret idea" not in page_text(ben.widget) and "1 card from others" in ben.hidden_info.value
    texts = ("Ana secret idea", "Ben, anonymously", "Ben, by name")
    assert not any(text in page_text(fay.widget) for text in texts)  # nothing in a hidden dropdown either
    assert "3 cards from others" in fay.hidden_info.value
    assert shown(fay.reveal_button) and shown(fay.private_choice) and fay.private.value
    assert ana.phase_bar not in ana.widget.children  # the facilitator's controls are not on her page

    fay.reveal_button.click()
    assert fay.facilitation_message.value == ""
    for board in (ana, ben):
        board.tick()
        assert all(text in page_text(board.columns) for text in texts) and board.hidden_info.value == ""
    anonymous = next(card for card in column_html(ana, "stop").split("cpmkit-retro-card ") if "anonymously" in card)
    assert "Anonymous" in anonymous and "Ben</div>" not in anonymous  # still anonymous once revealed
    assert not shown(fay.reveal_button) and not shown(fay.private_choice)


def test_the_facilitator_chooses_private_writing_while_collecting_and_moving_on_reveals(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    assert shown(fay.private_choice) and not fay.private.value and not shown(fay.reveal_button)
    fay.private.value = True
    assert retros.board(made["id"])["private_writing"] is True and shown(fay.reveal_button)
    add(ana, "start", "Written privately")
    assert "Written privately" in page_text(ana.columns)  # her own
    fay.tick()
    assert "Written privately" not in page_text(fay.widget) and "1 card from others" in fay.hidden_info.value
    fay.private.value = False  # unticked: the cards are shown, for good
    assert retros.board(made["id"])["revealed_at"] is not None and not shown(fay.private_choice)
    assert "Written privately" in page_text(fay.columns)
    fay.private.value = True  # a stale tick is refused and the box shows the board again
    assert "shown already" in fay.facilitation_message.value and not fay.private.value
    move(fay, "group")
    assert "Written privately" in page_text(fay.columns) and not shown(fay.private_choice)


def test_the_facilitators_timer_counts_down_on_every_page_and_a_bad_entry_gets_a_message(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    assert not shown(ana.timer.widget) and shown(fay.timer_form) and not shown(fay.stop_timer_button)
    fay.minutes.value = "a while"
    buttons(fay.timer_form, "Start timer")[0].click()
    assert "Minutes: must be a whole number from 1 to 60, not &#x27;a while&#x27;." in fay.facilitation_message.value
    fay.minutes.value = "3"
    buttons(fay.timer_form, "Start timer")[0].click()
    ends = retros.board(made["id"])["timer_ends_at"]
    now = [ends - dt.timedelta(minutes=3)]
    ana.timer.clock = lambda: now[0]
    ana.tick()
    assert shown(ana.timer.widget) and "3:00 left" in ana.timer.widget.value
    now[0] += dt.timedelta(seconds=48)
    ana.timer.tick()
    assert "2:12 left" in ana.timer.widget.value
    now[0] = ends
    ana.timer.tick()
    assert "Time is up" in ana.timer.widget.value and "role='status'" in ana.timer.widget.value
    assert shown(fay.stop_timer_button)
    fay.stop_timer_button.click()
    ana.tick()
    assert not shown(ana.timer.widget) and not shown(fay.stop_timer_button)
    buttons(fay.timer_form, "Start timer")[0].click()
    move(fay, "group")  # a new phase clears it
    ana.tick()
    assert not shown(ana.timer.widget)


def test_a_timer_tick_sends_only_the_countdowns_text_and_only_when_it_changed(
    store: Store, retros: RetroStore, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board of 30 members is 30 kernels ticking each second: a tick reads nothing and sends one
    value, the countdown's own (some 80 characters), nothing of the board."""
    ana = open_board(store, made, "Ana")
    add_cards(ana, 12)
    ends = retros.start_timer(made["id"], 5, facilitator_key=made["facilitator_key"])
    now = [ends - dt.timedelta(minutes=5)]
    ana.timer.clock = lambda: now[0]
    ana.refresh()
    assert ana.live_message.value == "" and ana.timer.ends is not None and "5:00 left" in ana.timer.widget.value
    # What the page would be sent: every change of a synced property of any widget. Recorded at
    # the change, not at the comm, so the test does not hang on whether a comm is open in pytest.
    sent: list[tuple[str, str, Any]] = []
    original = W.Widget.notify_change

    def recording(widget: W.Widget, change: Any) -> None:
        if change["name"] in widget.keys:
            sent.append((widget.model_id, change["name"], change["new"]))
        original(widget, change)

    monkeypatch.setattr(W.Widget, "notify_change", recording)
    monkeypatch.setattr(retros.store, "read", lambda: pytest.fail("a timer tick read the store"))
    now[0] += dt.timedelta(seconds=1)
    ana.timer.tick()
    assert [(model, name) for model, name, _ in sent] == [(ana.timer.widget.model_id, "value")]
    assert "4:59 left" in sent[0][2] and len(sent[0][2]) < 100
    sent.clear()
    now[0] += dt.timedelta(milliseconds=400)  # the same second: nothing to send
    ana.timer.tick()
    assert sent == []


def test_the_countdown_ticks_only_while_a_timer_runs() -> None:
    ends = dt.datetime(2026, 3, 1, 10, 5)
    box = board_ui.TimerBox(live=True, clock=lambda: ends - dt.timedelta(minutes=1))
    ticker = box.ticker
    assert ticker is not None and not ticker.running  # no timer: nothing ticks
    box.show(ends)
    assert ticker.running and ticker.seconds == board_ui.TIMER_SECONDS
    box.show(ends)
    assert box.ticker is ticker and ticker.running  # the same timer read again: the same ticker
    box.show(None)
    assert not ticker.running and box.widget.layout.display == "none"
    box.show(ends - dt.timedelta(minutes=2))  # a timer already up: shown, never ticking
    assert not ticker.running and "Time is up" in box.widget.value
    watchers = len(box.widget._trait_notifiers["comm"]["change"])
    for again in (ends, None, ends + dt.timedelta(minutes=1)):  # timers started and stopped
        box.show(again)
    assert box.ticker is ticker and ticker.running  # one ticker, started again
    assert len(box.widget._trait_notifiers["comm"]["change"]) == watchers  # no close hook piles up
    box.widget.close()
    assert not ticker.running and box.ticker is None
    box.show(ends + dt.timedelta(minutes=2))
    assert not ticker.running  # closed for good


def test_closing_the_board_stops_its_countdown(store: Store, retros: RetroStore, made: dict[str, Any]) -> None:
    retros.start_timer(made["id"], 5, facilitator_key=made["facilitator_key"])
    page = RetroBoardApp(store, query=f"board={made['token']}", refresh_seconds=60)
    arrive(page, BROWSER)
    page.name.value = "Ana"
    page.join_button.click()
    board = page.view
    assert board is not None and board.ticker is not None
    countdown = board.timer.ticker
    assert countdown is not None and countdown.running
    board.widget.close()  # the page goes away: the board's box closes, not the timer's own widget
    assert not countdown.running and not board.ticker.running
    for ticker in (countdown, board.ticker):
        assert ticker._thread is not None
        ticker._thread.join(timeout=5)
        assert not ticker._thread.is_alive()


def test_members_say_they_are_ready_and_the_facilitator_sees_who(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana <i>")
    ben = open_board(store, made, "Ben")
    fay = open_board(store, made, "Fay", facilitator=True)
    ana.ready_button.click()
    assert ana.ready_button.description == "Not ready after all" and "You said you are ready." in ana.ready_info.value
    for board in (ben, fay):
        board.tick()
    assert "1 of 2 ready: Ana &lt;i&gt;" in fay.ready_info.value  # Fay runs the phase: not one of those to be ready
    assert shown(fay.ready_row) and not shown(fay.ready_button)
    assert (
        "1 of 2 ready" in ben.ready_info.value and "Ana" not in ben.ready_info.value
    )  # the same team on every page; names: the facilitator's
    assert ben.ready_button.description == "I'm ready"
    ben.ready_button.click()
    fay.tick()
    assert "2 of 2 ready: Ana &lt;i&gt;, Ben" in fay.ready_info.value
    ana.ready_button.click()  # taken back
    fay.tick()
    assert "1 of 2 ready: Ben" in fay.ready_info.value
    move(fay, "group")
    for board in (ana, ben):
        board.tick()
        assert "0 of 2 ready" in board.ready_info.value and board.ready_button.description == "I'm ready"


def test_i_am_ready_before_the_board_is_read_gets_a_plain_message(store: Store, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    ana.state = None  # as if the first read had not come back yet
    ana.ready_button.click()
    assert "The board is still loading" in ana.message.value


def test_the_facilitator_limits_votes_per_column_and_members_see_what_is_left(
    store: Store, retros: RetroStore, made: dict[str, Any]
) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    add(ana, "start", "Demos")
    add(ana, "start", "Pairing")
    add(ana, "stop", "Late reviews")
    assert shown(fay.limits_form) and list(fay.limit_fields) == ["start", "stop", "continue"]
    save = buttons(fay.limits_form, "Save vote limits")[0]
    fay.limit_fields["start"].value = "9"
    save.click()
    assert fay.facilitation_message.value.count("Start: must be a whole number from 1 to 2") == 1
    fay.refresh()  # a redraw after the refusal keeps what the facilitator typed
    assert fay.limit_fields["start"].value == "9"
    fay.limit_fields["start"].value = "1"
    save.click()
    assert fay.facilitation_message.value == "" and retros.state(made["id"]).limits == {"start": 1}
    move(fay, "vote")
    assert fay.limit_fields["start"].value == "1" and shown(fay.limits_form)
    ana.tick()
    assert "Votes left: 2 of 2" in ana.votes_info.value and "in Start: 1 of 1" in ana.votes_info.value
    buttons(ana.columns, "Vote")[0].click()
    assert "in Start: 0 of 1" in ana.votes_info.value
    buttons(ana.columns, "Vote")[1].click()
    assert "You have used all 1 of your votes in Start" in ana.message.value
    move(fay, "discuss")
    assert not shown(fay.limits_form)


def test_a_finished_board_offers_no_facilitation(store: Store, made: dict[str, Any]) -> None:
    ana = open_board(store, made, "Ana")
    fay = open_board(store, made, "Fay", facilitator=True)
    buttons(fay.timer_form, "Start timer")[0].click()
    move(fay, "act")
    finish(fay)
    ana.tick()
    for board in (ana, fay):
        assert not shown(board.ready_row) and not shown(board.timer.widget)
    assert not shown(fay.phase_bar)


def test_the_panel_creates_a_board_written_privately_and_hides_its_cards_too(
    store: Store, retros: RetroStore, project: int
) -> None:
    panel = RetroPanel(store, base_url="")
    panel.show(project)
    panel.title.value, panel.format.value, panel.private.value = "Private", "sailboat", True
    panel.create.click()
    made = retros.boards(project).iloc[0]
    assert bool(made["private_writing"]) is True
    member = retros.join(int(made["id"]), "Ana", BROWSER)
    retros.add_card(int(made["id"]), member, "wind", "Not for the PM yet")
    panel.show(project)
    assert "Not for the PM yet" not in page_text(panel.cards) and "1 card" in html_of(panel.cards)
