"""The trainer's workshop dashboard, driven by setting .value and clicking as a trainer would,
on a real SQLite store, with participants joining through the AssessmentStore."""

from __future__ import annotations

import html
import io
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as W
import openpyxl
import pandas as pd
import psutil
import pytest
from sqlalchemy import select

from cpmkit.core.links import digest
from cpmkit.core.rate_limit import RateLimiter
from cpmkit.db.database import Store
from cpmkit.db.schema import workshops
from cpmkit.errors import ValidationError
from cpmkit.serving.kernel_count import KERNEL_COUNT_ENV, KernelCountFile
from cpmkit.serving.page_access import BASE_URL_ENV
from cpmkit.soft_skills.bank import Item, default_bank
from cpmkit.soft_skills.store import AssessmentStore, TrainerAccess
from cpmkit.soft_skills.ui import trainer as workshop_ui
from cpmkit.soft_skills.ui.trainer import TRAINER_KEY_TRIES, WorkshopApp, WorkshopDashboard
from cpmkit.soft_skills.workshop import HIDDEN, PAIRED, UNPAIRED
from cpmkit.ui.copy_button import CopyButton
from tests._downloads import buttons, files
from tests._tables import read_table

HIDDEN_TEXT = "hidden: fewer than 3 participants"


@pytest.fixture
def assess(store: Store) -> AssessmentStore:
    return AssessmentStore(store)


@pytest.fixture
def app(store: Store) -> Iterator[WorkshopApp]:
    made = WorkshopApp(store, query="", refresh_seconds=None)
    yield made
    made.widget.close()


@pytest.fixture(autouse=True)
def fresh_trainer_key_count() -> None:
    """The kernel's count of wrong trainer keys starts at 0 in each test (tests share one kernel)."""
    workshop_ui._TRAINER_KEYS.reset(workshop_ui._WRONG_KEY)


@pytest.fixture(autouse=True)
def no_chart_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the table-only page unless they install a chart module themselves (the
    participant app's chart module may or may not exist yet)."""
    monkeypatch.setitem(sys.modules, "cpmkit.soft_skills.charts", None)


# -- helpers ---------------------------------------------------------------------------------


def page_text(widget: W.Widget) -> str:
    """Every string a widget tree puts on the page (values, descriptions, titles, options)."""
    parts: list[str] = []

    def walk(w: Any) -> None:
        for name in ("value", "description", "placeholder", "tooltip"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                parts.append(value)
        for name in ("titles", "options", "_options_labels"):
            values = getattr(w, name, None)
            if isinstance(values, (tuple, list)):
                parts.extend(str(v) for v in values)
        for child in getattr(w, "children", ()) or ():
            walk(child)

    walk(widget)
    return "\n".join(parts)


def create(app: WorkshopApp, name: str = "Negotiation lab", rounds: str = "before, after") -> tuple[int, str, str]:
    """Create a workshop through the form; read the number, code and key off the page."""
    app.forms.selected_index = 0
    app.new_name.value = name
    app.new_rounds.value = rounds
    app.create_button.click()
    shown = app.created.value
    code = re.search(r'class="cpmkit-join-code"[^>]*>([^<]+)<', shown)
    key = re.search(r"<code[^>]*>([^<]+)</code>", shown)
    number = re.search(r"workshop=(\d+)", shown)
    assert code and key and number, shown
    return int(number.group(1)), code.group(1), key.group(1)


def answer_for(item: Item, score: int) -> int:
    """The answer that gives ``item`` the score ``score`` on the 1-5 scale (reverse items turned round)."""
    return 6 - score if item.reverse else score


def take_part(
    assess: AssessmentStore,
    code: str,
    round_name: str,
    score: int = 3,
    *,
    name: str | None = None,
    complete: bool = True,
    browser: str | None = None,
) -> dict[str, Any]:
    """A participant joins (from ``browser``, a browser key), answers every item so each
    competency scores ``score``, and finishes."""
    person = assess.join_workshop(code, round=round_name, display_name=name, browser_key=browser)
    for item in default_bank().items:
        assess.save_answer(person["id"], item.id, answer_for(item, score))
    if complete:
        assess.mark_completed(person["id"])
    return person


def open_dashboard(app: WorkshopApp, workshop_id: int, key: str) -> WorkshopDashboard:
    app.number.value = str(workshop_id)
    app.key.value = key
    app.open_button.click()
    assert app.dashboard is not None, app.open_message.value
    return app.dashboard


def counts(dashboard: WorkshopDashboard) -> list[list[str]]:
    """The counts table as read on the page: [round, joined, completed, still answering] rows."""
    table = read_table(dashboard.counts.value)
    return [list(row)[:4] for row in zip(*table.values())]


def workshop_with_key(assess: AssessmentStore, rounds: tuple[str, ...] = ("before", "after")) -> tuple[int, str, str]:
    return assess.create_workshop("Negotiation lab", bank="soft_skills", rounds=list(rounds))


# -- creating and opening --------------------------------------------------------------------


def test_creating_a_workshop_shows_the_code_and_the_key_once(
    app: WorkshopApp, assess: AssessmentStore, store: Store
) -> None:
    workshop_id, code, key = create(app)
    shown = app.created.value
    assert "cpmkit-join-code" in shown and code in shown
    assert f'href="/voila/render/02_soft_skills.ipynb?code={code}"' in shown
    assert f'href="/voila/render/02_workshop_trainer.ipynb?workshop={workshop_id}"' in shown
    assert "Keep this key: it is shown once" in shown
    assert all(key not in href for href in re.findall(r'href="([^"]*)"', shown)), "the key is never in a link"
    assert assess.trainer_workshop(workshop_id, key).workshop["join_code"] == code
    with store.read() as conn:
        stored = conn.execute(select(workshops)).one()._mapping
    assert key not in str(dict(stored)), "only a hash of the key is kept"
    assert app.number.value == str(workshop_id)

    # A second visit (the dashboard link) has no way to show the key again.
    again = WorkshopApp(store, query=f"workshop={workshop_id}", refresh_seconds=None)
    assert again.number.value == str(workshop_id) and again.forms.selected_index == 1
    assert key not in page_text(again.widget) and code not in page_text(again.widget)
    again.widget.close()

    # Moving on to the dashboard takes the key off the page (it may be projected) but keeps the code.
    app.open_created.click()
    assert app.dashboard is not None
    text = page_text(app.widget)
    assert key not in text
    assert code in app.dashboard.header.value and app.created.value == ""
    assert app.open_created.layout.display == "none"


@pytest.mark.parametrize(
    ("name", "rounds", "message"),
    [
        ("", "before, after", "cannot be empty"),
        ("March", " , ", "at least one round"),
        ("March", "before, Before", "listed twice"),
    ],
)
def test_creating_with_bad_input_shows_a_message_and_creates_nothing(
    app: WorkshopApp, assess: AssessmentStore, name: str, rounds: str, message: str
) -> None:
    app.new_name.value, app.new_rounds.value = name, rounds
    app.create_button.click()
    assert message in app.create_message.value
    assert app.created.value == "" and app.open_created.layout.display == "none"
    with pytest.raises(Exception, match="no workshop number 1"):
        assess.workshop(1)


def test_the_rounds_default_to_before_and_after(app: WorkshopApp, assess: AssessmentStore) -> None:
    assert app.new_rounds.value == "before, after"
    workshop_id, _code, _key = create(app, rounds=app.new_rounds.value)
    assert assess.workshop(workshop_id)["rounds"] == ["before", "after"]


def test_a_wrong_key_shows_nothing_of_the_cohort(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before")
    app.number.value, app.key.value = str(workshop_id), key + "x"
    app.open_button.click()
    assert "not the trainer key" in app.open_message.value
    assert app.dashboard is None and app.board.children == ()
    text = page_text(app.widget)
    assert code not in text and "Negotiation lab" not in text and "Completed" not in text
    assert app.key.value == "", "the key does not stay in the page"

    for number, typed, message in [
        ("999", key, "no workshop number 999"),
        ("abc", key, "Type the workshop number"),
        (str(workshop_id), "  ", "Type the trainer key"),
    ]:
        app.number.value, app.key.value = number, typed
        app.open_button.click()
        assert message in app.open_message.value
        assert app.dashboard is None and app.board.children == ()

    # A wrong key after a right one takes the open dashboard away too.
    dashboard = open_dashboard(app, workshop_id, key)
    assert dashboard.widget in app.board.children
    app.number.value, app.key.value = str(workshop_id), "guess"
    app.open_button.click()
    assert app.dashboard is None and app.board.children == ()
    assert dashboard.widget.comm is None, "the old dashboard is closed"
    assert dashboard.refresh_button.comm is None and dashboard.distribution.comm is None, "with everything in it"


def test_the_sixth_wrong_key_in_a_minute_waits_without_touching_the_store(
    store: Store, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TRAINER_KEY_TRIES == (5, 60.0)
    workshop_id, _code, key = workshop_with_key(assess)
    now = [0.0]
    app = WorkshopApp(
        store, query="", refresh_seconds=None, trainer_keys=RateLimiter(*TRAINER_KEY_TRIES, clock=lambda: now[0])
    )
    checked: list[str] = []
    real = AssessmentStore.trainer_workshop

    def spy(self: AssessmentStore, number: int, typed: str) -> TrainerAccess:
        checked.append(typed)
        return real(self, number, typed)

    monkeypatch.setattr(AssessmentStore, "trainer_workshop", spy)
    wrong = ("B" if key[0] == "A" else "A") + key[1:]  # the right shape: scrypt runs
    for number in (
        str(workshop_id),
        str(workshop_id),
        str(workshop_id),
        "999",
        str(workshop_id),
    ):  # a wrong number counts too
        app.number.value, app.key.value = number, wrong
        app.open_button.click()
        assert "Too many tries" not in app.open_message.value
        now[0] += 2
    assert len(checked) == 5
    app.number.value, app.key.value = str(workshop_id), key  # the right key, but sixth in the minute
    app.open_button.click()
    assert "Too many tries: wait 50 seconds and try again." in app.open_message.value
    assert len(checked) == 5 and app.dashboard is None and app.board.children == ()
    assert app.key.value == "", "a refused key does not stay in the page either"
    now[0] += 50  # the first wrong key is a minute old
    dashboard = open_dashboard(app, workshop_id, key)
    assert len(checked) == 6 and dashboard.workshop_id == workshop_id
    app.widget.close()


# -- the dashboard ---------------------------------------------------------------------------


def test_three_completed_participants_show_counts_and_figures(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before", 4)
    assess.join_workshop(code, round="after")
    dashboard = open_dashboard(app, workshop_id, key)
    assert counts(dashboard) == [["before", "3", "3", "0"], ["after", "1", "0", "1"]]
    assert code in dashboard.header.value and f"02_soft_skills.ipynb?code={code}" in dashboard.header.value
    assert "Open: participants can join" in dashboard.state.value
    table = read_table(dashboard.distribution.value)
    bank = default_bank()
    assert list(table["Competency"]) == [c.name for c in bank.competencies]
    assert list(table["Participants"]) == ["3"] * len(bank.competencies)
    assert list(table["Mean"]) == ["4.0"] * len(bank.competencies)
    assert list(table["4 " + dict(bank.scale.points)[4]]) == ["3"] * len(bank.competencies)
    assert HIDDEN_TEXT not in dashboard.distribution.value
    assert dashboard.chart_box.children == (), "no chart module yet: the table alone"


def test_two_participants_show_no_figures(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(2):
        take_part(assess, code, "before", 4)
    dashboard = open_dashboard(app, workshop_id, key)
    assert counts(dashboard)[0] == ["before", "2", "2", "0"]
    table = read_table(dashboard.distribution.value)
    assert list(table["Note"]) == [HIDDEN_TEXT] * len(default_bank().competencies) and HIDDEN == HIDDEN_TEXT
    assert set(table["Mean"]) == {""} and set(table["Participants"]) == {""}
    assert "no round" not in dashboard.figures_message.value
    assert HIDDEN_TEXT in dashboard.change.value


def test_the_round_selector_and_the_change_between_rounds(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before", 3)
        take_part(assess, code, "after", 4)
    dashboard = open_dashboard(app, workshop_id, key)
    n = len(default_bank().competencies)

    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["3.0"] * n
    dashboard.round_choice.value = "after"
    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["4.0"] * n

    change = read_table(dashboard.change.value)
    assert list(change["Change"]) == ["1.0"] * n
    assert list(change["Mean, before"]) == ["3.0"] * n and list(change["Mean, after"]) == ["4.0"] * n
    dashboard.before.value, dashboard.after.value = "after", "before"
    assert list(read_table(dashboard.change.value)["Change"]) == ["-1.0"] * n
    dashboard.before.value = "before"
    assert "two different rounds" in dashboard.change_message.value


def test_the_change_is_paired_once_three_took_both_rounds_and_says_which_it_shows(
    app: WorkshopApp, assess: AssessmentStore
) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    browsers = {person: person * 32 for person in "abcdef"}
    for person in "abc":
        take_part(assess, code, "before", 3, browser=browsers[person])
    for person in "ab":
        take_part(assess, code, "after", 4, browser=browsers[person])  # the same browsers: the same people
    take_part(assess, code, "after", 4)  # took only the after round
    dashboard = open_dashboard(app, workshop_id, key)
    n = len(default_bank().competencies)

    # Two pairs: each round's own mean, as before pairs existed, and the page says so.
    assert dashboard.change_kind.value == f'<p class="cpmkit-help">{html.escape(UNPAIRED)}</p>'
    change = read_table(dashboard.change.value)
    assert list(change) == ["Competency", "Mean, before", "Mean, after", "Change", "Participants, before",
                            "Participants, after", "Note"]  # fmt: skip
    assert list(change["Change"]) == ["1.0"] * n and list(change["Participants, after"]) == ["3"] * n

    # The third pair: as the 4th anonymous person of the after round, the round holds c back, and
    # so does the pairing: a pair counts only if both its rounds show its two people.
    take_part(assess, code, "after", 5, browser=browsers["c"])
    dashboard.refresh()
    assert dashboard.change_kind.value == f'<p class="cpmkit-help">{html.escape(UNPAIRED)}</p>'
    # Two more in the after round: it shows all 6, and the change is within each person, over the
    # 3 pairs (the after round's mean over its 6 would say 4.0).
    for _ in range(2):
        take_part(assess, code, "after", 3)
    dashboard.refresh()
    assert dashboard.change_kind.value == f'<p class="cpmkit-help">{html.escape(PAIRED.format(pairs=3))}</p>'
    paired = read_table(dashboard.change.value)
    assert list(paired) == ["Competency", "Mean, before", "Mean, after", "Change", "Participants in both rounds",
                            "Note"]  # fmt: skip
    assert list(paired["Mean, after"]) == ["4.33"] * n and list(paired["Change"]) == ["1.33"] * n
    assert list(paired["Participants in both rounds"]) == ["3"] * n and set(paired["Note"]) == {""}

    # A fourth pair changes nothing (its change would be the difference); a sixth does.
    take_part(assess, code, "before", 1, browser=browsers["d"])
    take_part(assess, code, "after", 5, browser=browsers["d"])
    dashboard.refresh()
    assert read_table(dashboard.change.value) == paired
    take_part(assess, code, "before", 1, browser=browsers["e"])
    take_part(assess, code, "after", 5, browser=browsers["e"])
    dashboard.refresh()
    assert read_table(dashboard.change.value) == paired  # 5 pairs: still the first 3
    take_part(assess, code, "before", 1, browser=browsers["f"])
    take_part(assess, code, "after", 5, browser=browsers["f"])
    dashboard.refresh()
    six = read_table(dashboard.change.value)
    assert list(six["Participants in both rounds"]) == ["6"] * n and list(six["Mean, before"]) == ["2.0"] * n
    assert list(six["Mean, after"]) == ["4.67"] * n and list(six["Change"]) == ["2.67"] * n
    # Nothing on the page tells who is paired with whom.
    text = page_text(dashboard.widget)
    for browser in browsers.values():
        assert digest(browser) not in text and browser not in text


def test_a_one_round_workshop_has_nothing_to_compare(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, _code, key = workshop_with_key(assess, rounds=("only",))
    dashboard = open_dashboard(app, workshop_id, key)
    assert "nothing to compare" in dashboard.change.value
    assert dashboard.change_message.value == ""


def test_downloads_hold_the_results_and_never_a_token(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    people = [take_part(assess, code, "before", 3, name=name) for name in ("Ana", None, None, None)]
    people.append(take_part(assess, code, "after", 4, name="Bo", complete=False))
    dashboard = open_dashboard(app, workshop_id, key)
    made = files(dashboard.downloads)
    assert sorted(made) == sorted(
        f"workshop-{workshop_id}-negotiation-lab{suffix}"
        for suffix in (".xlsx", "-answers.csv", "-distribution.csv", "-change.csv")
    )
    tokens = [person["token"] for person in people]
    texts = [data.decode("utf-8-sig") for name, data in made.items() if name.endswith(".csv")]
    book = openpyxl.load_workbook(io.BytesIO(made[f"workshop-{workshop_id}-negotiation-lab.xlsx"]), read_only=True)
    cells = [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    book.close()
    texts.append("\n".join(cells))
    for text in texts:
        assert not any(token in text for token in tokens)
    answers = pd.read_csv(io.BytesIO(made[f"workshop-{workshop_id}-negotiation-lab-answers.csv"]), encoding="utf-8-sig")
    # Bo is still answering: left out. The anonymous three get labels drawn for this download.
    labels = set(answers["participant"])
    assert "Ana" in labels and len(labels) == 4 and "Bo" not in labels
    assert all(re.fullmatch(r"Anonymous [A-Z2-9]{4}", label) for label in labels - {"Ana"})
    assert len(answers) == 4 * len(default_bank().items)
    again = files(dashboard.downloads)[f"workshop-{workshop_id}-negotiation-lab-answers.csv"]
    relabelled = pd.read_csv(io.BytesIO(again), encoding="utf-8-sig")
    assert not (set(relabelled["participant"]) - {"Ana"}) & (labels - {"Ana"}), "no label links two downloads"
    assert not any(token in page_text(app.widget) for token in tokens)


def test_closing_asks_first_then_refuses_later_joins(app: WorkshopApp, assess: AssessmentStore, store: Store) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)
    dashboard.close_button.click()
    assert "Nobody new can join" in page_text(dashboard.confirm)
    no = dashboard.confirm.children[2]
    no.click()
    assert dashboard.confirm.children == ()
    assess.join_workshop(code, round="before")  # still open

    dashboard.close_button.click()
    dashboard.confirm.children[1].click()
    assert "Closed" in dashboard.state.value and dashboard.close_button.disabled
    with pytest.raises(ValidationError, match="closed"):
        assess.join_workshop(code, round="after")
    reopened = WorkshopApp(store, query="", refresh_seconds=None)
    assert "Closed" in open_dashboard(reopened, workshop_id, key).state.value
    reopened.widget.close()


def test_the_refresh_tick_updates_the_counts_and_figures(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)
    assert counts(dashboard)[0] == ["before", "0", "0", "0"]
    reads: list[int] = []
    real_export = dashboard.trainer.cohort_export

    def counted_export() -> pd.DataFrame:
        reads.append(dashboard.trainer.workshop_id)
        return real_export()

    monkeypatch.setattr(dashboard.trainer, "cohort_export", counted_export)

    dashboard.tick()
    assert reads == [], "nothing moved: the tick read the counts only"
    for _ in range(3):
        take_part(assess, code, "before", 5)
    assert counts(dashboard)[0] == ["before", "0", "0", "0"], "nothing changes between ticks"
    dashboard.tick()
    assert counts(dashboard)[0] == ["before", "3", "3", "0"]
    assert reads == [workshop_id], "the counts moved: the answers were read once"
    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["5.0"] * len(default_bank().competencies)
    assert "Updated" in dashboard.updated.value


def test_the_counts_name_who_is_still_answering_and_count_the_anonymous(
    app: WorkshopApp, assess: AssessmentStore
) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)
    assess.join_workshop(code, round="before", display_name="<b>Ada</b>")
    assess.join_workshop(code, round="before")
    ben = assess.join_workshop(code, round="before", display_name="Ben")
    assess.join_workshop(code, round="after", display_name="Cy")
    dashboard.tick()
    assert read_table(dashboard.counts.value)["Who"] == ["<b>Ada</b>, Ben and 1 anonymous", "Cy"]
    assert "<b>Ada" not in dashboard.counts.value  # a name is shown as typed, never as markup
    assess.mark_completed(ben["id"])
    dashboard.tick()  # nobody joined: the counts' change is someone finishing
    assert read_table(dashboard.counts.value)["Who"] == ["<b>Ada</b> and 1 anonymous", "Cy"]


def test_refresh_now_shows_answers_saved_between_joins(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = workshop_with_key(assess)
    people = [assess.join_workshop(code, round="before") for _ in range(3)]
    dashboard = open_dashboard(app, workshop_id, key)
    for person in people:
        for item in default_bank().items:
            assess.save_answer(person["id"], item.id, answer_for(item, 2))
    dashboard.refresh_button.click()
    assert HIDDEN_TEXT in dashboard.distribution.value, "still answering: figures wait for three to finish"
    for person in people:
        assess.mark_completed(person["id"])
    dashboard.tick()
    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["2.0"] * len(default_bank().competencies)
    for item in default_bank().items:  # someone changes their answers after finishing: no count moves
        assess.save_answer(people[0]["id"], item.id, answer_for(item, 5))
    dashboard.tick()
    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["2.0"] * len(default_bank().competencies)
    dashboard.refresh_button.click()
    assert list(read_table(dashboard.distribution.value)["Mean"]) == ["3.0"] * len(default_bank().competencies)
    assert counts(dashboard)[0] == ["before", "3", "3", "0"]


def test_the_dashboard_says_how_many_more_participants_the_server_can_take(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under ``cpmkit serve`` the server names its kernel-count file in the kernel's environment;
    each refresh reads it and the memory free."""
    server = KernelCountFile(tmp_path / "kernels.json", cap=60, kernel_bytes=64 * 2**20)
    server.write(40)
    monkeypatch.setenv(KERNEL_COUNT_ENV, str(server.path))
    monkeypatch.setattr(psutil, "virtual_memory", lambda: types.SimpleNamespace(available=24 * 2**30))
    workshop_id, _code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)
    assert "cpmkit-capacity" in dashboard.room_left._dom_classes
    assert html.unescape(dashboard.room_left.value) == (
        '<p class="cpmkit-help">This server can take about 20 more participants now '
        "(40 open pages of a cap of 60; 24.0 GB free).</p>"
    )
    server.write(60)
    dashboard.tick()
    assert "This server is full now: it can take no more participants (60 open pages of a cap of 60" in (
        dashboard.room_left.value
    )


def test_outside_cpmkit_serve_the_dashboard_says_nothing_of_capacity(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KERNEL_COUNT_ENV, raising=False)
    workshop_id, _code, key = workshop_with_key(assess)
    assert open_dashboard(app, workshop_id, key).room_left.value == ""


def test_a_store_error_in_a_tick_shows_a_message_and_keeps_going(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    workshop_id, _code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)

    def broken() -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(dashboard.trainer, "live_status", broken)
    dashboard.tick()
    assert "Something went wrong" in dashboard.live_message.value
    monkeypatch.undo()
    dashboard.tick()
    assert dashboard.live_message.value == ""


def test_user_text_is_escaped(app: WorkshopApp, assess: AssessmentStore) -> None:
    workshop_id, code, key = create(app, name="<b>Evil</b> & co", rounds="<i>pre</i>, post")
    assert "<b>Evil</b>" not in app.created.value and "&lt;b&gt;Evil&lt;/b&gt; &amp; co" in app.created.value
    for n in range(3):
        take_part(assess, code, "<i>pre</i>", 3, name=f"<script>x{n}</script>")  # one name per person in a round
    dashboard = open_dashboard(app, workshop_id, key)
    assert "<b>Evil" not in dashboard.header.value and "&lt;b&gt;Evil" in dashboard.header.value
    assert "<i>pre</i>" not in dashboard.counts.value and "&lt;i&gt;pre&lt;/i&gt;" in dashboard.counts.value
    assert "<i>pre</i>" not in dashboard.change.value
    assert all("<" not in b.label + b.file()[0] for b in buttons(dashboard.downloads))


# -- the chart -------------------------------------------------------------------------------


def test_the_cohort_chart_is_drawn_when_the_chart_module_has_one(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[pd.DataFrame] = []

    def cohort_distribution_chart(dist: pd.DataFrame) -> Any:
        given.append(dist)
        return alt.Chart(dist[["name", "mean"]]).mark_bar().encode(x="mean:Q", y="name:N")

    module = types.ModuleType("cpmkit.soft_skills.charts")
    module.cohort_distribution_chart = cohort_distribution_chart  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cpmkit.soft_skills.charts", module)
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before", 3)
    dashboard = open_dashboard(app, workshop_id, key)
    assert len(dashboard.chart_box.children) == 1
    assert dashboard.chart_box.children[0].spec["mark"]["type"] == "bar"
    assert list(given[-1]["status"]) == ["shown"] * len(default_bank().competencies)
    dashboard.round_choice.value = "after"  # nobody yet: every figure hidden, so no chart
    assert dashboard.chart_box.children == ()


def test_the_participant_apps_cohort_chart_is_used(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "cpmkit.soft_skills.charts")  # undo no_chart_module: the real one
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before", 3)
    dashboard = open_dashboard(app, workshop_id, key)
    assert dashboard.figures_message.value == ""
    assert len(dashboard.chart_box.children) == 1 and dashboard.chart_box.children[0].spec["layer"]


def test_a_module_without_the_chart_function_leaves_the_table_alone(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cpmkit.soft_skills.charts", types.ModuleType("cpmkit.soft_skills.charts"))
    workshop_id, code, key = workshop_with_key(assess)
    for _ in range(3):
        take_part(assess, code, "before", 3)
    dashboard = open_dashboard(app, workshop_id, key)
    assert dashboard.chart_box.children == ()
    assert HIDDEN_TEXT not in dashboard.distribution.value and dashboard.figures_message.value == ""


# -- the periodic refresh --------------------------------------------------------------------


def test_the_dashboard_refreshes_itself_until_it_is_closed(store: Store, assess: AssessmentStore) -> None:
    workshop_id, _code, key = workshop_with_key(assess)
    page = WorkshopApp(store, query="", refresh_seconds=60)
    first = open_dashboard(page, workshop_id, key)
    assert first.ticker is not None and first.ticker.running
    assert "refreshes every 60 s" in first.updated.value
    second = open_dashboard(page, workshop_id, key)  # opening again replaces the first dashboard
    assert not first.ticker.running and second.ticker is not None and second.ticker.running
    page.widget.close()  # the page goes away
    assert not second.ticker.running
    for ticker in (first.ticker, second.ticker):
        thread = ticker._thread
        assert thread is not None
        thread.join(timeout=5)
        assert not thread.is_alive()


# -- the entry point -------------------------------------------------------------------------


def test_app_opens_the_workshop_named_in_the_url(
    store: Store, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    workshop_id, _code, _key = workshop_with_key(assess)
    monkeypatch.setattr(workshop_ui, "open_store", lambda: store)
    monkeypatch.setenv("QUERY_STRING", f"workshop={workshop_id}")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    widget = workshop_ui.app()
    assert {"cpmkit-app", "cpmkit-ready"} <= set(widget._dom_classes)
    text = page_text(widget)
    assert "Open a workshop" in text and "Create a workshop" in text
    assert str(workshop_id) in text.splitlines(), "the workshop number is filled in"
    widget.close()


def test_app_shows_a_message_if_the_store_cannot_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_store() -> Store:
        raise RuntimeError("no database")

    monkeypatch.setattr(workshop_ui, "open_store", no_store)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    widget = workshop_ui.app()
    assert "Something went wrong" in page_text(widget)


def test_the_trainer_chooses_the_question_bank(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cpmkit import config

    shipped = config.templates_dir() / "soft_skills.yaml"
    (tmp_path / "soft_skills.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "short_course.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("CPMKIT_TEMPLATES_DIR", str(tmp_path))
    app = WorkshopApp(store, query="", refresh_seconds=None)
    assert list(app.bank_choice.options) == ["short_course", "soft_skills"] and app.bank_choice.value == "soft_skills"
    app.new_name.value = "Short course"
    app.bank_choice.value = "short_course"
    app.create_button.click()
    with store.read() as conn:
        assert conn.execute(select(workshops.c.bank)).scalars().all() == ["short_course"]


def test_the_join_link_is_absolute_with_a_copy_button_a_qr_code_and_a_view_for_the_room(
    app: WorkshopApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://192.168.1.20:8866")
    workshop_id, code, key = create(app)
    join = f"http://192.168.1.20:8866/voila/render/02_soft_skills.ipynb?code={code}"
    assert f'href="{join}"' in app.created.value
    copies = [w for w in _all(app.created_links) if isinstance(w, CopyButton)]
    assert [c.text for c in copies] == [
        join,
        f"http://192.168.1.20:8866/voila/render/02_workshop_trainer.ipynb?workshop={workshop_id}",
    ]
    assert key not in " ".join(c.text for c in copies)
    dashboard = open_dashboard(app, workshop_id, key)
    assert f'href="{join}"' in dashboard.header.value and "<svg" in dashboard.header.value
    assert join in [w.text for w in _all(dashboard.widget) if isinstance(w, CopyButton)]
    assert dashboard.room.layout.display == "none"
    dashboard.room_button.click()
    assert dashboard.room.layout.display is None and dashboard.room_button.description == "Hide the room view"
    room = dashboard.room_join.value
    assert code in room and html.escape(join) in room and "cpmkit-room-qr" in room and key not in room
    dashboard.room_button.click()
    assert dashboard.room.layout.display == "none"


def test_the_room_view_shows_the_live_counts_and_the_cohort_chart_once_three_finished(
    app: WorkshopApp, assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "cpmkit.soft_skills.charts")  # undo no_chart_module: the real one
    workshop_id, code, key = workshop_with_key(assess)
    dashboard = open_dashboard(app, workshop_id, key)
    dashboard.room_button.click()
    counts_shown = lambda: re.sub(r"<[^>]+>", "", html.unescape(dashboard.room_counts.value))
    assert counts_shown() == "before: 0 joined · 0 finishedafter: 0 joined · 0 finished"
    assert dashboard.room_chart.children == ()
    for _ in range(2):
        take_part(assess, code, "before", 4)
    take_part(assess, code, "before", 4, complete=False)
    dashboard.tick()
    assert counts_shown().startswith("before: 3 joined · 2 finished")
    assert dashboard.room_chart.children == (), "fewer than 3 finished: no figure, in the room either"
    take_part(assess, code, "before", 4)
    dashboard.tick()
    assert counts_shown().startswith("before: 4 joined · 3 finished")
    assert dashboard.room_chart.children == (dashboard.chart,) == dashboard.chart_box.children
    dashboard.room_button.click()  # hidden: the chart is the dashboard's alone again
    assert dashboard.room_chart.children == () and dashboard.chart_box.children == (dashboard.chart,)


def _all(widget: W.Widget) -> list[W.Widget]:
    return [widget, *(w for child in getattr(widget, "children", ()) for w in _all(child))]
