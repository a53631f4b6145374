"""The team health check in Voila, driven through its widgets: opened from a board link, a
member's cards saved as tapped and showing what is saved, the facilitator's page showing only
how many voted (and who, if named) until the check is finished, then the results escaped,
nothing under three votes, named checks, and the PM's form and heat map in the RetroPanel
beside the retrospectives, which keep working."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import ipywidgets as W
import pytest

from cpmkit import config
from cpmkit.db.database import Store
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.health.template import HEALTH_CHECK_FILE
from cpmkit.feedback.health.ui import HealthBoard
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.retro.ui import RetroBoard, RetroBoardApp, RetroPanel

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def made(health: HealthStore, project: int) -> dict[str, Any]:
    return health.create_check(project, "March <check>", "project_team")


def html_of(widget: W.Widget) -> str:
    if isinstance(widget, W.HTML):
        return str(widget.value)
    return "\n".join(html_of(child) for child in getattr(widget, "children", ()) or ())


def open_page(store: Store, made: dict[str, Any], *, facilitator: bool = False) -> RetroBoardApp:
    query = f"board={made['token']}" + (f"&facilitator={made['facilitator_key']}" if facilitator else "")
    return RetroBoardApp(store, query=query, refresh_seconds=None)


def join(store: Store, made: dict[str, Any], name: str) -> HealthBoard:
    page = open_page(store, made)
    assert page.browser is not None
    page.browser.key = hashlib.md5(name.encode()).hexdigest()
    page.name.value = name
    page.join_button.click()
    assert isinstance(page.view, HealthBoard), page.join_message.value
    return page.view


def vote(board: HealthBoard, dimension: str, colour: str, trend: str | None = None, note: str | None = None) -> None:
    card = board.cards[dimension]
    card.colours.buttons[colour].click()
    if trend is not None:
        card.trends.buttons[trend].click()
    if note is not None:
        card.note.value = note
    assert card.message.value == "", card.message.value


def facilitate(store: Store, made: dict[str, Any]) -> HealthBoard:
    page = open_page(store, made, facilitator=True)
    assert isinstance(page.view, HealthBoard) and page.join_form not in page.widget.children
    return page.view


def finish(board: HealthBoard) -> None:
    board.finish.click()
    [*_question, yes, _cancel] = board.finish_confirm.children
    yes.click()
    assert board.message.value == "", board.message.value


def test_a_member_joins_and_sees_a_card_per_dimension_in_the_templates_order(
    store: Store, made: dict[str, Any]
) -> None:
    page = open_page(store, made)
    assert "March &lt;check&gt;" in page.heading.value and "Project team health check" in page.heading.value
    assert "at least 3 people" in page.join_help.value and "finished" in page.join_help.value
    assert "anonymous" in page.join_help.value and "name" not in page.join_help.value.split("answers.")[1]
    board = join(store, made, "Ana")
    assert list(board.cards) == list(board.check.dimension_ids)
    card = board.cards["client_communication"]
    assert [b.description for b in card.colours.buttons.values()] == ["Green", "Amber", "Red"]
    assert [b.description for b in card.trends.buttons.values()] == ["Better", "Same", "Worse"]
    assert "Communication with the client" in html_of(card.widget) and "Red:" in html_of(card.widget)
    assert board.results.value == "" and "anonymous" in board.privacy.value


def test_each_tap_is_saved_and_the_card_shows_what_is_saved(
    store: Store, health: HealthStore, made: dict[str, Any]
) -> None:
    board = join(store, made, "Ana")
    card = board.cards["pace"]
    card.trends.buttons["worse"].click()
    assert card.saved.value == "Saved: no colour yet · getting worse"
    card.colours.buttons["amber"].click()
    assert "cpmkit-chosen" in card.colours.buttons["amber"]._dom_classes
    assert "cpmkit-chosen" not in card.colours.buttons["green"]._dom_classes
    card.note.value = SCRIPT
    assert card.saved.value == "Saved: amber · getting worse · a note"
    [row] = health.state(made["id"]).votes.to_dict("records")
    assert (row["colour"], row["trend"], row["note"]) == ("amber", "worse", SCRIPT)
    again = join(store, made, "Ana")  # the same browser, back later: everything saved comes back
    assert again.cards["pace"].colours.chosen == "amber" and again.cards["pace"].note.value == SCRIPT


def test_the_facilitator_sees_only_how_many_voted_until_the_check_is_finished_then_every_dimension_escaped(
    store: Store, made: dict[str, Any]
) -> None:
    fay = facilitate(store, made)
    assert fay.card_box.children == ()
    members = [join(store, made, name) for name in ("Ana", "Ben <b>", "Cy", "Di")]
    vote(members[0], "pace", "green", "better", SCRIPT)
    vote(members[1], "pace", "red", "worse")
    vote(members[2], "pace", "green", "same")
    vote(members[2], "fun", "red", note="only Cy")
    seen = []
    for step in (None, "red"):  # a fourth vote, one by one: nothing on the page may tell it
        if step is not None:
            vote(members[3], "pace", step)
        fay.tick()
        seen.append(fay.results.value)
        assert "Results show when you finish the check, if at least 3 have voted" in fay.results.value
        assert "cpmkit-health-result" not in fay.results.value and "green" not in fay.results.value
        assert "only Cy" not in fay.results.value and "Ben" not in fay.results.value
        assert members[3].results.value == ""  # members see no results either
    assert "3 of 4 members have voted" in seen[0] and "4 of 4 members have voted" in seen[1]
    assert seen[0].replace("3 of 4", "4 of 4") == seen[1]
    finish(fay)
    shown = fay.results.value
    assert "4 of 4 members have voted" in shown
    assert shown.count("cpmkit-health-result") == 8  # every dimension, voted on or not
    assert "2 green, 0 amber, 2 red" in shown and "data-spread='split'" in shown
    assert "Trend: 1 better · 1 same · 1 worse" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown
    assert "Ben" not in shown  # anonymous
    fun = shown.split("data-dimension='fun'")[1].split("</div>")[0]  # one vote: nothing of it
    assert "fewer than 3 votes" in fun and "red" not in fun and "only Cy" not in shown


def test_a_check_finished_with_fewer_than_three_voters_shows_nothing(store: Store, made: dict[str, Any]) -> None:
    for name in ("Ana", "Ben"):
        vote(join(store, made, name), "pace", "green", note=f"from {name}")
    fay = facilitate(store, made)
    finish(fay)
    assert "2 of 2 members have voted" in fay.results.value and "Fewer than 3 members voted" in fay.results.value
    assert "cpmkit-health-result" not in fay.results.value and "from Ana" not in fay.results.value


def test_an_archived_check_shows_no_results_and_reopened_is_as_it_was(
    store: Store, health: HealthStore, made: dict[str, Any]
) -> None:
    members = [join(store, made, name) for name in ("Ana", "Ben", "Cy")]
    for member in members:
        vote(member, "pace", "amber")
    fay = facilitate(store, made)
    health.retros.archive(made["id"])
    fay.tick()
    assert "archived" in fay.notice.value and fay.results.value == ""
    members[0].tick()
    assert "archived" in members[0].notice.value and members[0].results.value == ""
    health.retros.reopen(made["id"])  # open again: still nothing shown, votes go on
    fay.tick()
    assert "3 of 3 members have voted" in fay.results.value and "amber" not in fay.results.value


def test_a_named_check_shows_names_escaped(store: Store, health: HealthStore, project: int) -> None:
    made = health.create_check(project, "Named", "project_team", named=True)
    page = open_page(store, made)
    assert "shown with your name" in page.join_help.value and "anonymous" not in page.join_help.value
    for name, colour in [("Ana", "green"), ("Ben <b>", "amber"), ("Cy", "green")]:
        vote(join(store, made, name), "fun", colour, note=f"from {name}")
    fay = facilitate(store, made)
    waiting = fay.results.value  # open: who has voted, not what
    assert "<b>Voted:</b> Ana, Ben &lt;b&gt;, Cy" in waiting and "from Ana" not in waiting and "Green" not in waiting
    finish(fay)
    shown = fay.results.value
    assert "Ben &lt;b&gt;" in shown and "<b>Green:</b> Ana, Cy" in shown and "from Ben &lt;b&gt;" in shown
    assert "Ben <b>" not in shown and "Voted:" not in shown


def test_finishing_closes_the_check_and_shows_the_results_to_everyone(store: Store, made: dict[str, Any]) -> None:
    members = [join(store, made, name) for name in ("Ana", "Ben", "Cy")]
    for member in members:
        vote(member, "quality", "amber")
    fay = facilitate(store, made)
    finish(fay)
    assert "finished" in fay.notice.value and fay.finish.layout.display == "none"
    members[0].tick()
    assert "finished" in members[0].notice.value and members[0].card_box.layout.display == "none"
    assert "0 green, 3 amber, 0 red" in members[0].results.value
    members[0].cards["quality"].colours.buttons["red"].click()
    assert "finished" in members[0].cards["quality"].message.value
    later = open_page(store, made)  # a finished check: nothing to join, its results
    assert isinstance(later.view, HealthBoard) and later.join_form not in later.widget.children


def test_the_panel_creates_checks_beside_retrospectives_and_draws_the_heat_map(
    store: Store, health: HealthStore, project: int
) -> None:
    retros = health.retros
    panel = RetroPanel(store, base_url="http://10.0.0.5:8866")
    panel.show(project)
    assert panel.health.chart.layout.display == "none" and "No finished health check" in panel.health.empty.value
    retros.create_board(project, "Retro", "sailboat")
    panel.health.title.value = "Named <check>"
    panel.health.named.value = True
    panel.health.create.click()
    assert "Health check created" in panel.health.message.value
    [made_id] = health.retros.boards(project).query("kind == 'health'")["id"].tolist()
    board = health.retros.board(made_id)
    assert bool(board["named_votes"]) and board["format"] == "project_team"
    rows = html_of(panel.boards)
    assert "Named &lt;check&gt;</b> · Project team health check (named votes)" in rows
    assert "phase" not in rows.split("Named &lt;check&gt;")[1]
    assert "http://10.0.0.5:8866/voila/render/04_retro_board.ipynb?board=" in html_of(panel.links[made_id].widget)
    assert [label for label, _id in panel.board_choice.options] == ["Retro"]  # cards come from retrospectives only

    for title in ("March", "April", "Open"):
        check = health.create_check(project, title, "project_team")
        for name, colour in [("Ana", "green"), ("Ben", "amber"), ("Cy", "red")]:
            member = health.retros.join(check["id"], name, "0123456789abcdef0123456789abcdef")
            health.save(member, "teamwork", "colour", colour)
        if title != "Open":  # an open check's figures would move with each vote: not on the heat map
            health.retros.finish(check["id"], facilitator_key=check["facilitator_key"])
    panel.show(project)
    assert panel.health.chart.layout.display is None and panel.health.empty.value == ""
    cells = [row for data in panel.health.chart.spec["datasets"].values() for row in data]
    assert {row["check"].split(" · ")[1] for row in cells} == {"March", "April"}
    assert all(row["votes"] == 3 for row in cells)


def custom_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, health_file: str | None) -> None:
    """A CPMKIT_TEMPLATES_DIR with the packaged files but health_check.yaml (none, or ``health_file``)."""
    packaged = config.templates_dir()
    for path in packaged.glob("*.yaml"):
        if path.name != HEALTH_CHECK_FILE:
            shutil.copy(path, tmp_path / path.name)
    if health_file is not None:
        (tmp_path / HEALTH_CHECK_FILE).write_text(health_file, encoding="utf-8")
    monkeypatch.setenv("CPMKIT_TEMPLATES_DIR", str(tmp_path))


def test_a_templates_folder_from_before_health_checks_uses_the_packaged_file(
    store: Store, project: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom_templates(tmp_path, monkeypatch, None)
    panel = RetroPanel(store)
    panel.show(project)
    assert (
        panel.health.message.value == "" and ("Project team health check", "project_team") in panel.health.check.options
    )


def test_a_broken_health_file_is_said_in_the_health_form_only(
    store: Store, project: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom_templates(tmp_path, monkeypatch, "checks: 3\n")
    panel = RetroPanel(store)
    panel.show(project)
    assert HEALTH_CHECK_FILE in panel.health.message.value and panel.health.check.options == ()
    panel.title.value = "Retro"
    panel.create.click()  # the retrospectives work on
    assert "Board created" in panel.create_message.value


def test_a_retrospective_board_still_opens_as_a_board(store: Store, project: int) -> None:
    made = RetroStore(store).create_board(project, "Retro", "sailboat")
    page = open_page(store, made)
    assert page.browser is not None
    page.browser.key = "0123456789abcdef0123456789abcdef"
    page.name.value = "Ana"
    page.join_button.click()
    assert isinstance(page.view, RetroBoard) and "cards and votes" in page.join_help.value


def test_a_check_whose_template_is_gone_says_so(store: Store, health: HealthStore, made: dict[str, Any]) -> None:
    from sqlalchemy import update

    from cpmkit.db.schema import retro_boards

    with store.write() as conn:
        conn.execute(update(retro_boards).where(retro_boards.c.id == made["id"]).values(format="gone_check"))
    page = open_page(store, made)
    assert "no longer in templates/health_check.yaml" in page.status.value and page.view is None
