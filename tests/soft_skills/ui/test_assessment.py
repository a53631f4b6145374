"""Workbook 2's widgets, driven by setting .value and clicking as a user would, checked
against a real SQLite store."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W
import pytest
from ipywidgets.widgets.widget import _instances

from cpmkit.accounts.store import AccountStore
from cpmkit.core.rate_limit import RateLimiter
from cpmkit.db.database import Store
from cpmkit.db.schema import workshops
from cpmkit.errors import StoreError
from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.soft_skills.ui import assessment as soft_skills_ui
from cpmkit.soft_skills.ui.assessment import JOIN_CODE_TRIES, LAST_SELF_ASSESSMENT, SoftSkillsApp
from cpmkit.ui.widgets import NOT_SHOWN_AGAIN, SHOWN_ONCE
from tests._downloads import files
from tests._tables import read_table

TODAY = dt.date(2026, 11, 25)
BANK = default_bank()
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def no_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUERY_STRING", raising=False)


@pytest.fixture(autouse=True)
def fresh_join_code_count() -> None:
    """The kernel's count of wrong join codes starts at 0 in each test (tests share one kernel)."""
    soft_skills_ui._JOIN_CODES.reset(soft_skills_ui._WRONG_CODE)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build(store: Store, query: str | None = None) -> SoftSkillsApp:
    return SoftSkillsApp(store, query=query, today=lambda: TODAY)


def workshop(store: Store, rounds: list[str] | None = None) -> tuple[int, str]:
    workshop_id, code, _key = AssessmentStore(store).create_workshop(
        "Leading clients", bank="soft_skills", rounds=rounds or ["before", "after"]
    )
    return workshop_id, code


def solo(store: Store, name: str = "") -> SoftSkillsApp:
    app = build(store)
    assert app.start is not None
    app.start.name.value = name
    app.start.solo.click()
    assert app.questions is not None
    return app


def answer_step(app: SoftSkillsApp, score: int) -> None:
    """Answer every item of the step shown so that each scores ``score`` (reverse items turned round)."""
    assert app.questions is not None
    items = {item.id: item for item in BANK.items}
    for item_id, toggle in app.questions.toggles.items():
        toggle.value = BANK.scale.low + BANK.scale.high - score if items[item_id].reverse else score


def answer_all(app: SoftSkillsApp, scores: dict[str, int] | None = None, default: int = 3) -> None:
    """Answer every step from the first (a score per competency id), clicking Next between steps."""
    assert app.questions is not None
    app.questions.show(0)
    for competency in BANK.competencies:
        answer_step(app, (scores or {}).get(competency.id, default))
        app.questions.next.click()


def token_in(link_html: str, parameter: str) -> str:
    found = re.findall(rf'href="/voila/render/02_soft_skills\.ipynb\?{parameter}=([^"]+)"', link_html)
    assert found, link_html
    return str(found[-1])


def shown(markup: str) -> str:
    """What a page shows for escaped ``markup`` (entities turned back into characters)."""
    return html.unescape(markup)


# -- first paint -----------------------------------------------------------------------------


def test_neither_first_paint_nor_the_results_import_altair_or_pandas(tmp_path: Path) -> None:
    """Altair costs each participant's kernel about 30 MB and 0.4 s, pandas about as much: a room's
    kernels never load either, from the first question to the results and their chart (a kernel
    forked from the zygote has both, and its first DataFrame alone would copy 6 MB of it). Only
    the report's download and others' chart need them."""
    script = textwrap.dedent(
        f"""
        import sys
        from cpmkit.db.database import Store
        from cpmkit.soft_skills.bank import default_bank
        from cpmkit.soft_skills.ui.assessment import SoftSkillsApp
        store = Store.open("sqlite:///{tmp_path / "paint.sqlite3"}")
        app = SoftSkillsApp(store, query="")
        app.start.solo.click()
        assert "cpmkit-ready" in app.widget._dom_classes
        assert app.questions.toggles, "the first step is shown"
        first_paint = ["altair" in sys.modules, "pandas" in sys.modules]
        for _competency in default_bank().competencies:
            for toggle in app.questions.toggles.values():
                toggle.value = 3
            app.questions.next.click()
        assert app.results is not None and app.results.chart.spec["layer"], "the results and their chart"
        store.close()
        print(*first_paint, "altair" in sys.modules, "pandas" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False False False"


def test_the_after_rounds_results_with_the_own_change_import_neither_altair_nor_pandas(tmp_path: Path) -> None:
    """The participant's own change since their earlier round is drawn from plain rows too."""
    script = textwrap.dedent(
        f"""
        import sys
        from cpmkit.db.database import Store
        from cpmkit.soft_skills.bank import default_bank
        from cpmkit.soft_skills.store import AssessmentStore
        from cpmkit.soft_skills.ui.assessment import SoftSkillsApp
        store = Store.open("sqlite:///{tmp_path / "pairs.sqlite3"}")
        assess = AssessmentStore(store)
        _id, code, _key = assess.create_workshop("Pairs", bank="soft_skills", rounds=["before", "after"])
        before = assess.join_workshop(code, round="before")
        for item in default_bank().items:
            assess.save_answer(before["id"], item.id, 2)
        app = SoftSkillsApp(store, query="token=" + before["token"])
        app.offer.children[1].click()
        for _competency in default_bank().competencies:
            for toggle in app.questions.toggles.values():
                toggle.value = 4
            app.questions.next.click()
        assert "My change since" in app.results.own_change.value
        store.close()
        print("altair" in sys.modules, "pandas" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


# -- start screen ----------------------------------------------------------------------------


def test_join_with_the_code_from_the_link(store: Store) -> None:
    workshop_id, code = workshop(store)
    app = build(store, f"code={code.lower()}")
    start = app.start
    assert start is not None
    assert start.code.value == code.lower()
    assert "Leading clients" in start.messages["code"].value
    assert [value for _label, value in start.round.options] == [None, "before", "after"]
    start.join.click()
    assert "choose the round" in start.messages["round"].value
    assert app.participant is None
    start.round.value = "after"
    start.name.value = "  Dana  "
    start.join.click()
    assert app.participant is not None
    saved = AssessmentStore(store).participant(app.participant["id"])
    assert (saved["workshop_id"], saved["round"], saved["display_name"]) == (workshop_id, "after", "Dana")
    assert "Bookmark this link" in app.header.value
    assert app.resume is not None and app.resume.widget in app.resume_box.children
    token = token_in(app.resume.text.value, "token")  # shown once, now, with the note to copy it
    assert SHOWN_ONCE in app.resume.text.value
    assert AssessmentStore(store).participant_by_token(token)["id"] == saved["id"]
    assert app.questions is not None and app.questions.step == 0
    assert store.get_setting(LAST_SELF_ASSESSMENT) is None  # only a solo assessment is remembered


def test_a_code_typed_in_fills_the_rounds_and_a_blank_name_is_anonymous(store: Store) -> None:
    _id, code = workshop(store, ["only"])
    app = build(store)
    assert app.start is not None
    assert app.start.round.disabled
    app.start.code.value = f"{code[:3]}-{code[3:]}"
    assert app.start.round.value == "only" and not app.start.round.disabled
    app.start.join.click()
    assert app.participant is not None
    assert app.participant["display_name"] is None


def test_a_wrong_code_says_so_next_to_the_field(store: Store) -> None:
    workshop(store)
    app = build(store, "code=NOPE42")
    assert app.start is not None
    assert "No workshop has the code 'NOPE42'" in shown(app.start.messages["code"].value)
    assert app.start.round.disabled
    app.start.join.click()
    assert "No workshop has the code" in app.start.messages["code"].value
    assert app.participant is None


def test_the_sixth_wrong_code_in_a_minute_waits_without_touching_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert JOIN_CODE_TRIES == (5, 60.0)
    _id, code = workshop(store, ["only"])
    clock = FakeClock()
    app = SoftSkillsApp(store, query="", today=lambda: TODAY, join_codes=RateLimiter(*JOIN_CODE_TRIES, clock=clock))
    looked_up: list[str] = []
    real = AssessmentStore.workshop_by_code

    def spy(self: AssessmentStore, typed: str) -> dict[str, Any]:
        looked_up.append(typed)
        return real(self, typed)

    monkeypatch.setattr(AssessmentStore, "workshop_by_code", spy)
    start = app.start
    assert start is not None
    for n in range(5):
        start.code.value = f"NOPE4{n}"
        assert "No workshop has the code" in shown(start.messages["code"].value)
        clock.now += 1
    assert len(looked_up) == 5
    start.code.value = code  # the right code, but sixth in the minute: not even looked up
    assert "Too many tries: wait 55 seconds and try again." in shown(start.messages["code"].value)
    start.join.click()
    assert "Too many tries: wait 55 seconds" in shown(start.messages["code"].value)
    assert len(looked_up) == 5 and app.participant is None and start.round.disabled
    # A new start screen in the same page (kernel) keeps the count.
    app.new_start.click()
    assert app.start is not start and app.start is not None
    app.start.code.value = code
    assert "Too many tries" in shown(app.start.messages["code"].value)
    assert len(looked_up) == 5
    clock.now += 55  # the first wrong code is a minute old
    app.start.join.click()
    assert len(looked_up) == 6
    assert app.start.round.value == "only"
    app.start.join.click()
    assert app.participant is not None and app.participant["round"] == "only"


def test_right_codes_are_never_counted(store: Store) -> None:
    _id, code = workshop(store, ["only"])
    app = SoftSkillsApp(
        store, query="", today=lambda: TODAY, join_codes=RateLimiter(*JOIN_CODE_TRIES, clock=FakeClock())
    )
    start = app.start
    assert start is not None
    for typed in [code, code.lower(), f"{code[:3]}-{code[3:]}"] * 3:
        start.code.value = typed
        assert "Leading clients" in start.messages["code"].value


def test_a_look_alike_name_is_refused_next_to_the_name(store: Store) -> None:
    _id, code = workshop(store, ["only"])
    AssessmentStore(store).join_workshop(code, round="only", display_name="Bob")
    app = build(store, f"code={code}")
    assert app.start is not None
    app.start.name.value = "Bоb"  # Cyrillic о
    app.start.join.click()
    assert "someone in this round has already joined as 'Bоb'" in shown(app.start.messages["display_name"].value)
    assert app.participant is None
    app.start.name.value = "Bob K."
    app.start.join.click()
    assert app.participant is not None and app.participant["display_name"] == "Bob K."


def test_a_closed_workshop_says_so(store: Store) -> None:
    assess = AssessmentStore(store)
    workshop_id, code, key = assess.create_workshop("Leading clients", bank="soft_skills", rounds=["only"])
    assess.trainer_workshop(workshop_id, key).close()
    app = build(store)
    assert app.start is not None
    app.start.code.value = code
    assert "This workshop is closed" in app.start.messages["code"].value
    app.start.join.click()
    assert "closed" in app.start.messages["code"].value
    assert app.participant is None


JOINING_BROWSER, ANOTHER_BROWSER = "c" * 32, "d" * 32


def joined_in(store: Store, code: str, browser: str, round: str = "before") -> SoftSkillsApp:
    """The join link opened in the browser with key ``browser`` (sent once the page is drawn)."""
    app = build(store, f"code={code}")
    app.browser.key = browser
    if app.participant is None:
        assert app.start is not None
        app.start.round.value = round
        app.start.join.click()
    return app


def test_reopening_the_join_link_in_the_same_browser_resumes_the_participant(store: Store) -> None:
    _id, code = workshop(store)
    first = joined_in(store, code, JOINING_BROWSER)
    assert first.participant is not None and first.questions is not None
    answer_step(first, 4)
    first.questions.next.click()
    next(iter(first.questions.toggles.values())).value = 2  # one answer of the second step

    reload = joined_in(store, code, JOINING_BROWSER)  # the same link, the same browser: no join screen
    assert reload.participant is not None and reload.participant["id"] == first.participant["id"]
    assert reload.questions is not None and reload.questions.widget in reload.body.children
    assert reload.questions.step == 1  # the first unanswered item's step
    assert reload.questions.state.answers == first.questions.state.answers
    assert soft_skills_ui.WELCOME_BACK in reload.status.value
    # Its link to continue on another device: the first one is not shown again; a new one can be made.
    assert reload.resume is not None and NOT_SHOWN_AGAIN in reload.resume.text.value
    assert "another device" in reload.header.value
    reload.resume.renew()
    token = token_in(reload.resume.text.value, "token")
    assert AssessmentStore(store).participant_by_token(token)["id"] == first.participant["id"]

    stranger = joined_in(store, code, ANOTHER_BROWSER)  # another browser is another person
    assert stranger.participant is not None and stranger.participant["id"] != first.participant["id"]
    assert soft_skills_ui.WELCOME_BACK not in stranger.status.value


def test_a_join_made_before_the_browser_sent_its_key_is_resumed_too(store: Store) -> None:
    _id, code = workshop(store)
    first = build(store, f"code={code}")
    assert first.start is not None
    first.start.round.value = "before"
    first.start.join.click()  # the key is not there yet
    first.browser.key = JOINING_BROWSER  # ...and arrives now
    reload = joined_in(store, code, JOINING_BROWSER)
    assert first.participant is not None and reload.participant is not None
    assert reload.participant["id"] == first.participant["id"]


def test_a_resumed_participant_can_join_the_next_round_and_rejoining_resumes(store: Store) -> None:
    _id, code = workshop(store)
    before = joined_in(store, code, JOINING_BROWSER, "before")
    assert before.participant is not None
    app = build(store, f"code={code}")
    app.browser.key = JOINING_BROWSER
    assert app.participant is not None and app.new_start.layout.display == ""
    app.new_start.click()  # the start screen, with the workshop's code filled in
    assert app.start is not None and app.start.code.value == code and app.participant is None
    app.start.round.value = "before"
    app.start.join.click()  # the same round again: still the same person
    assert app.participant is not None and app.participant["id"] == before.participant["id"]
    app.new_start.click()
    app.start.round.value = "after"
    app.start.join.click()
    assert app.participant is not None and app.participant["round"] == "after"
    assert app.participant["id"] != before.participant["id"]
    assert soft_skills_ui.WELCOME_BACK not in app.status.value


def own_change(app: SoftSkillsApp) -> dict[str, list[str]]:
    """The results page's table of the participant's own change, as read on the page."""
    assert app.results is not None
    return read_table(app.results.own_change.value)


def test_the_after_round_from_the_same_browser_shows_the_participants_own_change(store: Store) -> None:
    _id, code = workshop(store)
    before = joined_in(store, code, JOINING_BROWSER, "before")
    answer_all(before, {"active_listening": 2}, default=3)
    assert before.results is not None and before.results.own_change.value == ""  # the first round: no change
    # The results offer the next round; the browser's page takes it as the same person.
    assert [button.description for button in before.offer.children[1:]] == ["Take the round 'after'"]
    assert before.results is not None
    before.results.back.click()  # back to the questions: the offer goes with the results
    assert before.offer.children == ()
    before.show_results()
    take = before.offer.children[1]
    take.click()
    assert take.disabled  # a double tap takes the round once
    take.click()  # the second tap, sent before the page knew the first
    assert before.status.value == ""
    assert before.participant is not None and before.participant["round"] == "after"
    assert before.offer.children == () and before.questions is not None
    assert before.resume is not None and SHOWN_ONCE in before.resume.text.value  # the after round's own link
    answer_all(before, {"active_listening": 4, "conflict_resolution": 2}, default=3)
    table = own_change(before)
    assert list(table) == ["Competency", "before", "after", "Change"]
    rows = dict(zip(table["Competency"], zip(table["before"], table["after"], table["Change"])))
    names = {competency.id: competency.name for competency in BANK.competencies}
    assert rows[names["active_listening"]] == ("2.00", "4.00", "+2.00")
    assert rows[names["conflict_resolution"]] == ("3.00", "2.00", "-1.00")
    assert rows[names["adaptability"]] == ("3.00", "3.00", "+0.00")
    assert "My change since the round 'before'" in shown(before.results.own_change.value)
    assert before.offer.children == ()  # no round after the last
    # Reopening the join link in that browser resumes the after round, with the change.
    again = joined_in(store, code, JOINING_BROWSER)
    assert again.participant is not None and again.participant["round"] == "after"
    assert own_change(again) == table
    # Someone else's after round shows no change: it is theirs alone.
    other = joined_in(store, code, ANOTHER_BROWSER, "after")
    answer_all(other)
    assert other.results is not None and other.results.own_change.value == ""


def test_the_before_link_takes_the_after_round_on_another_device(store: Store) -> None:
    _id, code = workshop(store)
    assess = AssessmentStore(store)
    joined = assess.join_workshop(code, round="before", display_name="Dana")  # anonymous or not: the same
    for item in BANK.items:
        assess.save_answer(joined["id"], item.id, 2 if not item.reverse else 4)
    app = build(store, f"token={joined['token']}")
    app.browser.key = ANOTHER_BROWSER  # a phone that never joined
    assert app.results is not None and app.results.own_change.value == ""
    app.offer.children[1].click()
    assert app.participant is not None and app.participant["round"] == "after"
    assert app.participant["display_name"] == "Dana"
    after_token = token_in(app.resume.text.value if app.resume is not None else "", "token")
    answer_all(app, default=4)
    assert set(own_change(app)["Change"]) == {"+2.00"}
    # The before link again: its own results, no later round to take, and never the after round.
    back = build(store, f"token={joined['token']}")
    assert back.participant is not None and back.participant["id"] == joined["id"]
    assert back.offer.children == () and back.results is not None and back.results.own_change.value == ""
    assert assess.participant_by_token(after_token)["round"] == "after"
    # The phone's browser opening the join link resumes the after round it took.
    assert joined_in(store, code, ANOTHER_BROWSER).participant["id"] == app.participant["id"]


def test_taking_a_round_that_is_refused_says_why(store: Store) -> None:
    workshop_id, code = workshop(store)
    assess = AssessmentStore(store)
    app = joined_in(store, code, JOINING_BROWSER)
    answer_all(app)
    with store.write() as conn:  # the trainer closes the workshop while the offer is on the page
        conn.execute(workshops.update().where(workshops.c.id == workshop_id).values(is_open=False))
    app.offer.children[1].click()
    assert "closed" in app.status.value and app.participant is not None and app.participant["round"] == "before"
    assert not app.offer.children[1].disabled  # refused: the button may be tried again
    assert assess.rounds_to_take(app.participant["id"]) == []


def test_a_closed_workshop_lets_a_browser_that_joined_finish(store: Store) -> None:
    assess = AssessmentStore(store)
    workshop_id, code, key = assess.create_workshop("Leading clients", bank="soft_skills", rounds=["only"])
    first = joined_in(store, code, JOINING_BROWSER, "only")
    assess.trainer_workshop(workshop_id, key).close()
    again = joined_in(store, code, JOINING_BROWSER)
    assert first.participant is not None and again.participant is not None
    assert again.participant["id"] == first.participant["id"] and again.questions is not None
    newcomer = build(store, f"code={code}")
    newcomer.browser.key = ANOTHER_BROWSER
    assert newcomer.participant is None and newcomer.start is not None
    assert "This workshop is closed" in newcomer.start.messages["code"].value


def test_a_bad_token_shows_a_message_and_the_start_screen(store: Store) -> None:
    app = build(store, "token=not-a-token")
    assert "does not open any saved self-assessment" in app.status.value
    assert app.start is not None and app.start.widget in app.body.children


# -- answering -------------------------------------------------------------------------------


def test_every_answer_is_saved_as_it_is_given(store: Store) -> None:
    app = solo(store)
    questions = app.questions
    assert questions is not None and app.participant is not None
    first = BANK.competencies[0]
    assert first.name in questions.heading.value
    items = BANK.items_for(first.id)
    toggle = questions.toggles[items[0].id]
    assert [label for label, _value in toggle.options] == ["never", "rarely", "sometimes", "often", "always"]
    toggle.value = 4
    assert AssessmentStore(store).answers(app.participant["id"]) == {items[0].id: 4}
    toggle.value = 2
    assert AssessmentStore(store).answers(app.participant["id"]) == {items[0].id: 2}
    assert questions.progress.value == 1 and questions.progress.max == len(BANK.items)
    assert questions.progress_text.value == f"1 of {len(BANK.items)} answered"
    assert "saved" in app.status.value
    assert questions.finish.layout.display == "none"


def test_a_failed_save_shows_a_message_and_keeps_the_saved_answer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = solo(store)
    assert app.questions is not None and app.participant is not None
    item = BANK.items[0].id
    app.questions.toggles[item].value = 5

    def broken(*_args: object) -> None:
        raise StoreError("The store cannot be reached.")

    monkeypatch.setattr(app.assessments, "save_answer", broken)
    app.questions.toggles[item].value = 1
    assert "The store cannot be reached." in app.questions.messages[item].value
    assert app.questions.toggles[item].value == 5
    assert AssessmentStore(store).answers(app.participant["id"]) == {item: 5}


def test_drawing_the_state_saves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page draws the state (its toggles set to the saved answers) without a guard flag: an
    answer equal to the state's is not a new one, so moving between steps saves nothing."""
    first_app = solo(store)
    assert first_app.participant is not None
    answer_step(first_app, 4)
    saves: list[tuple[Any, ...]] = []
    monkeypatch.setattr(AssessmentStore, "save_answer", lambda _self, *args: saves.append(args))
    app = build(store, f"token={first_app.participant['token']}")  # drawn with the saved answers
    assert app.questions is not None and app.questions.step == 1
    app.questions.back.click()
    assert all(toggle.value is not None for toggle in app.questions.toggles.values())
    app.questions.next.click()
    app.questions.back.click()
    app.questions.show(0)
    assert saves == [] and all(toggle.value is not None for toggle in app.questions.toggles.values())
    first = BANK.items_for(BANK.competencies[0].id)[0]
    app.questions.toggles[first.id].value = 1 if app.questions.toggles[first.id].value != 1 else 2
    assert len(saves) == 1 and app.questions.state.answers[first.id] == saves[0][2]


def test_each_item_row_is_built_once_and_every_answer_reaches_its_item(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every widget costs the kernel and the server a message, in a room answering at once: an
    item's row is built the first time it shows, three widgets (its layouts and styles shared by
    all rows), whole (no update follows), and kept for that item, so going back and forth builds
    nothing more."""
    updated: list[W.Widget] = []
    send = W.Widget._send
    monkeypatch.setattr(W.Widget, "_send", lambda widget, *a, **k: (updated.append(widget), send(widget, *a, **k))[1])
    app = solo(store)
    questions = app.questions
    assert questions is not None and app.participant is not None
    expected: dict[str, int] = {}
    for step, competency in enumerate(BANK.competencies):
        items = BANK.items_for(competency.id)
        assert [row.children[1] for row in questions.items.children] == list(questions.toggles.values())
        assert [toggle.description for toggle in questions.toggles.values()] == [item.text for item in items]
        assert [area.label for area in questions.messages.values()] == [item.text for item in items]
        assert all("cpmkit-item" in row._dom_classes for row in questions.items.children)
        assert all("cpmkit-scale-list" in toggle._dom_classes for toggle in questions.toggles.values())
        score = 1 + step % 5
        answer_step(app, score)
        expected |= {item.id: BANK.scale.low + BANK.scale.high - score if item.reverse else score for item in items}
        if step < questions.steps - 1:
            before = set(_instances)
            updated.clear()
            questions.next.click()
            new = [widget for key, widget in _instances.items() if key not in before]
            assert len(new) == 3 * len(BANK.items_for(BANK.competencies[step + 1].id))
            assert updated, "nothing was sent at all: the check below would hold whatever was built"
            assert not set(map(id, new)) & set(map(id, updated)), "a row was built, then changed"
    built = len(_instances)
    while questions.step > 0:
        questions.back.click()
    questions.show(questions.steps - 1)
    assert len(_instances) == built
    assert AssessmentStore(store).answers(app.participant["id"]) == expected == dict(questions.state.answers)


def test_an_answer_clicked_on_a_step_the_page_has_not_redrawn_reaches_its_own_item(store: Store) -> None:
    """A slow phone: Next pressed twice, then an answer tapped on the first step still shown.
    The kernel has drawn the third step by then; the answer is for the first step's item."""
    app = solo(store)
    questions = app.questions
    assert questions is not None and app.participant is not None
    first, second, third = (BANK.items_for(competency.id)[0] for competency in BANK.competencies[:3])
    left = questions.toggles[first.id]
    questions.next.click()
    questions.next.click()
    left.value = 3
    assert AssessmentStore(store).answers(app.participant["id"]) == {first.id: 3}
    assert questions.step == 2 and questions.toggles[third.id].value is None
    questions.back.click()
    assert questions.toggles[second.id].value is None


def test_an_answer_clicked_on_the_step_just_left_is_saved_for_its_own_item(store: Store) -> None:
    """The page may send an answer clicked on a step after Next, before it drew the next step."""
    app = solo(store)
    questions = app.questions
    assert questions is not None and app.participant is not None
    first, second = (BANK.items_for(competency.id)[0] for competency in BANK.competencies[:2])
    left = questions.toggles[first.id]
    questions.next.click()
    left.value = 3
    assert AssessmentStore(store).answers(app.participant["id"]) == {first.id: 3}
    assert questions.step == 1 and questions.toggles[second.id].value is None


def test_back_and_next_move_between_competencies(store: Store) -> None:
    app = solo(store)
    questions = app.questions
    assert questions is not None
    assert questions.back.disabled
    questions.next.click()
    assert questions.step == 1 and BANK.competencies[1].name in questions.heading.value
    questions.back.click()
    assert questions.step == 0


def test_coming_back_with_the_link_resumes_at_the_first_unanswered_item(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = solo(store)
    assert app.participant is not None
    answer_step(app, 4)
    assert app.questions is not None
    app.questions.next.click()
    second = BANK.items_for(BANK.competencies[1].id)
    app.questions.toggles[second[0].id].value = 2
    monkeypatch.setenv("QUERY_STRING", f"token={app.participant['token']}")
    again = SoftSkillsApp(store, today=lambda: TODAY)
    # The page opened with the link shows it (it is in the address), without the "copy it now" note.
    assert (
        again.resume is not None
        and again.resume.href == f"/voila/render/02_soft_skills.ipynb?token={app.participant['token']}"
    )
    assert SHOWN_ONCE not in again.resume.text.value
    assert again.questions is not None
    assert again.questions.step == 1
    assert again.questions.toggles[second[0].id].value == 2
    assert again.questions.toggles[second[1].id].value is None
    assert again.questions.progress.value == len(BANK.items_for(BANK.competencies[0].id)) + 1


def test_a_solo_assessment_resumes_without_the_link(store: Store) -> None:
    app = solo(store, "Dana")
    assert app.participant is not None
    assert store.get_setting(LAST_SELF_ASSESSMENT) == str(app.participant["id"])  # never the token
    again = build(store, "")
    assert again.participant is not None and again.participant["id"] == app.participant["id"]
    assert again.new_start.layout.display == ""
    # Without the link in the address the page cannot show it again; "New link" replaces it.
    assert again.resume is not None and again.resume.href is None and NOT_SHOWN_AGAIN in again.resume.text.value
    again.resume.button.click()
    again.resume.confirm.children[1].click()  # Make a new link
    token = token_in(again.resume.text.value, "token")
    assert SHOWN_ONCE in again.resume.text.value
    assert build(store, f"token={token}").participant is not None
    assert "does not open any saved self-assessment" in build(store, f"token={app.participant['token']}").status.value
    again.new_start.click()
    assert again.start is not None and again.participant is None
    # A link with a workshop code opens the start screen, not the remembered assessment.
    assert build(store, "code=ABC").participant is None


# -- results ---------------------------------------------------------------------------------


def test_a_bare_page_resumes_only_its_own_owners_solo_assessment(store: Store, served_as: Callable[..., None]) -> None:
    """Issue 10: "last self-assessment" was one setting for the whole store, so a bare page
    opened anyone's. Now it is kept per owner, and a participant's page keeps none."""
    accounts = AccountStore(store)
    alice, bob = accounts.add_user("alice", "correct horse 1"), accounts.add_user("bob", "correct horse 2")
    served_as(alice)
    hers = solo(store, "Alice")
    assert hers.participant is not None
    served_as(bob)
    bare = build(store, "")
    assert bare.participant is None and bare.start is not None  # bob gets the start screen, not alice's
    his = solo(store, "Bob")
    assert his.participant is not None and his.participant["id"] != hers.participant["id"]
    served_as(None)  # a page opened without an owner (a participant's)
    assert build(store, "").participant is None
    served_as(alice)
    again = build(store, "")
    assert again.participant is not None and again.participant["id"] == hers.participant["id"]
    served_as(bob)
    again = build(store, "")
    assert again.participant is not None and again.participant["id"] == his.participant["id"]
    assert store.get_setting(LAST_SELF_ASSESSMENT) is None  # no store-wide "last" any more


def test_results_show_incomplete_competencies_as_incomplete(store: Store) -> None:
    app = solo(store)
    answer_step(app, 4)
    assert app.questions is not None
    for _ in BANK.competencies:
        app.questions.next.click()
    results = app.results
    assert results is not None and results.widget in app.body.children
    table = results.scores.value
    assert "<td>4.00</td>" in table
    assert table.count("<td>incomplete</td>") == len(BANK.competencies) - 1
    assert results.chart is not None and results.chart.spec["layer"]
    assert app.participant is not None
    assert AssessmentStore(store).participant(app.participant["id"])["completed_at"] is None
    results.back.click()
    assert app.questions.widget in app.body.children and app.questions.step == len(BANK.competencies) - 1


def test_results_with_strengths_development_and_practices(store: Store) -> None:
    app = solo(store)
    assert app.questions is not None and app.participant is not None
    targets = {c.id: 1 + i % 5 for i, c in enumerate(BANK.competencies)}
    for competency in BANK.competencies:
        answer_step(app, targets[competency.id])
        if competency is not BANK.competencies[-1]:
            app.questions.next.click()
    assert app.questions.finish.layout.display == ""
    assert AssessmentStore(store).participant(app.participant["id"])["completed_at"] is not None
    app.questions.finish.click()
    results = app.results
    assert results is not None
    best = [c for c in BANK.competencies if targets[c.id] == 5][:3]
    worst = [c for c in BANK.competencies if targets[c.id] == 1][:3]
    assert "My strengths" in results.strengths.value and "To develop" in results.development.value
    for competency in best:
        assert competency.name in shown(results.strengths.value)
    for competency in worst:
        assert competency.name in shown(results.development.value)
        assert all(practice in shown(results.development.value) for practice in competency.practices)


def test_a_finished_assessment_reopens_on_its_results(store: Store) -> None:
    app = solo(store)
    answer_all(app)
    assert app.participant is not None
    again = build(store, f"token={app.participant['token']}")
    assert again.results is not None and again.results.widget in again.body.children


def test_reflection_and_commitments_are_saved_as_entered(store: Store) -> None:
    app = solo(store)
    answer_all(app)
    results = app.results
    assert results is not None and app.participant is not None
    pid = app.participant["id"]
    results.reflection.value = "I listen less than I thought."
    first = results.commitments[0]
    first.by_when.value = dt.date(2027, 1, 31)
    assert "say what you will do" in first.message.value
    first.what.value = "Ask every client how they want updates"
    results.commitments[2].what.value = "Run a retrospective with the client"
    plan = AssessmentStore(store).plan(pid)
    assert plan["reflection"] == "I listen less than I thought."
    assert [(c["position"], c["what"], c["by_when"]) for c in plan["commitments"]] == [
        (1, "Ask every client how they want updates", dt.date(2027, 1, 31)),
        (3, "Run a retrospective with the client", None),
    ]
    assert "cpmkit-message-error" not in first.message.value
    # The plan is shown again on the way back.
    again = build(store, f"token={app.participant['token']}")
    assert again.results is not None
    assert again.results.reflection.value == "I listen less than I thought."
    assert again.results.commitments[0].by_when.value == dt.date(2027, 1, 31)


def rate(store: Store, token: str, value: int) -> SoftSkillsApp:
    """A colleague opens the rating link and answers every item with ``value``."""
    rater = build(store, f"rate={token}")
    assert "You are rating a colleague" in rater.header.value
    assert rater.participant is None
    answer_all(rater, default=value)
    assert rater.results is None and "Thank you" in rater.body.children[0].value
    return rater


def test_each_rating_link_has_a_copy_button_and_a_qr_code(store: Store) -> None:
    app = solo(store)
    answer_all(app, default=4)
    results = app.results
    assert results is not None
    results.peer_button.click()
    assert [(c.label, c.text) for c in results.peer_copies.children] == [
        ("Copy link", html.unescape(re.findall(r'href="([^"]+)"', results.peer_links.value)[0]))
    ]
    results.peer_button.click()
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', results.peer_links.value)]
    assert [(c.label, c.text) for c in results.peer_copies.children] == [
        ("Copy link 1", hrefs[0]),
        ("Copy link 2", hrefs[1]),
    ]
    assert results.peer_links.value.count("<svg") == 2 and "QR code of" in results.peer_links.value


def test_others_view_needs_three_raters(store: Store) -> None:
    app = solo(store)
    answer_all(app, default=4)
    results = app.results
    assert results is not None and app.participant is not None
    tokens: list[str] = []
    for _ in range(3):
        results.peer_button.click()
        tokens.append(token_in(results.peer_links.value, "rate"))
    assert len(set(tokens)) == 3
    assert SHOWN_ONCE in results.peer_links.value  # the store keeps only their digests
    rate(store, tokens[0], 2)
    rater = rate(store, tokens[1], 2)
    assert rater.questions is not None
    rater.questions.show(0)
    first = BANK.items[0]
    assert first.text in shown(rater.questions.messages[first.id].value)  # the same items, as written
    results.refresh_others_button.click()
    assert "needs 1 more rater" in results.others_table.value
    assert results.others_chart is None
    rate(store, tokens[2], 2)
    results.refresh_others_button.click()
    table = results.others_table.value
    assert "needs" not in table and "3 raters" in table
    assert "<td>4.00</td><td>2.0</td><td>-2.00</td><td>3 raters</td>" in re.sub(r">\s+<", "><", table)
    assert results.others_chart is not None and results.others_chart.spec["layer"]


SUBJECT_BROWSER, OTHER_BROWSER = "a" * 32, "b" * 32


def rate_in(store: Store, token: str, scores: dict[str, int], *, browser: str) -> SoftSkillsApp:
    """A rating link opened in the browser with key ``browser``, every competency answered."""
    rater = build(store, f"rate={token}")
    rater.browser.key = browser
    if rater.questions is not None:
        answer_all(rater, scores)
    return rater


def test_a_rating_link_opened_in_the_rated_persons_browser_takes_no_answers(store: Store) -> None:
    subject = solo(store)
    subject.browser.key = SUBJECT_BROWSER  # the browser sends its key once the page is drawn
    answer_all(subject)
    assert subject.results is not None and subject.participant is not None
    subject.results.peer_button.click()
    token = token_in(subject.results.peer_links.value, "rate")
    assess = AssessmentStore(store)

    rater = build(store, f"rate={token}")  # the subject opens their own link in the same browser
    assert rater.questions is not None
    questions = rater.questions
    rater.browser.key = SUBJECT_BROWSER
    assert "open it in your own browser" in rater.browser_message.value
    assert rater.body.children == ()
    questions.toggles[BANK.items[0].id].value = 5  # a page still showing the questions saves nothing
    assert "open it in your own browser" in questions.messages[BANK.items[0].id].value
    assert assess.peer_answers(subject.participant["id"]) == []

    colleague = rate_in(store, token, {}, browser=OTHER_BROWSER)
    assert colleague.browser_message.value == "" and "Thank you" in colleague.body.children[0].value
    assert len(assess.peer_answers(subject.participant["id"])) == 1


def _others(results: Any) -> dict[str, str]:
    """Competency name -> what the page shows as others' view."""
    cells = re.findall(
        r"<tr><td>([^<]+)</td><td>[^<]*</td><td>([^<]*)</td>", re.sub(r">\s+<", "><", results.others_table.value)
    )
    return {html.unescape(name): value for name, value in cells}


def test_filling_two_links_yourself_does_not_reveal_the_third_rating(store: Store) -> None:
    """The finding, on the page and in the report: a subject fills two of their three links (in
    another browser, so they are taken), a colleague fills the third."""
    subject = solo(store)
    subject.browser.key = SUBJECT_BROWSER
    answer_all(subject)
    results = subject.results
    assert results is not None
    tokens = []
    for _ in range(5):
        results.peer_button.click()
        tokens.append(token_in(results.peer_links.value, "rate"))
    first, second = BANK.competencies[0].id, BANK.competencies[1].id
    rate_in(store, tokens[0], {first: 5, second: 5}, browser=OTHER_BROWSER)  # the subject's own fakes
    rate_in(store, tokens[1], {first: 5, second: 5}, browser=OTHER_BROWSER)
    rate_in(store, tokens[2], {first: 2, second: 4}, browser="c" * 32)  # the colleague
    results.refresh_others_button.click()
    seen = _others(results)
    # first: (5 + 5 + 2) / 3 = 4.0; second: (5 + 5 + 4) / 3 = 4.67 -> 4.5. Knowing the two fakes,
    # 4.5 only says the colleague's score is from 2.75 to under 4.25, and 4.0 from 1.25 to under 2.75.
    assert seen[BANK.competencies[0].name] == "4.0" and seen[BANK.competencies[1].name] == "4.5"
    assert "4.67" not in results.others_table.value
    assert BANK.items[0].text not in _page_text(results.widget)  # never an item of others
    assert "3 colleagues" in results.others_note.value

    # A fourth rating (the subject's again): the page does not move, so it cannot be subtracted.
    rate_in(store, tokens[3], {first: 1, second: 1}, browser=OTHER_BROWSER)
    rate_in(store, tokens[0], {first: 1, second: 1}, browser=OTHER_BROWSER)  # a fake changes its answers
    results.refresh_others_button.click()
    assert _others(results) == seen and "(1 so far)" in results.others_note.value

    # The report shows exactly what the page shows.
    made = files(results.downloads)
    report = made["soft-skills-2026-11-25.html"].decode("utf-8")
    flat = re.sub(r">\s+<", "><", report)
    assert f"<td>{BANK.competencies[1].name}</td><td>3.00</td><td>4.5</td><td>+1.50</td><td>3 raters</td>" in flat
    assert "4.67" not in report and "rounded to half points" in report
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(made["soft-skills-2026-11-25.xlsx"]))
    rows = list(book["others view"].iter_rows(values_only=True))
    book.close()
    assert rows[0] == ("Competency", "Self", "Others", "Gap", "Raters")
    assert rows[2] == (BANK.competencies[1].name, 3, 4.5, 1.5, 3)


def test_a_rater_never_sees_results(store: Store) -> None:
    app = solo(store)
    answer_all(app)
    assert app.results is not None and app.participant is not None
    app.results.peer_button.click()
    token = token_in(app.results.peer_links.value, "rate")
    rater = build(store, f"rate={token}")
    assert rater.questions is not None
    rater.questions.toggles[BANK.items[0].id].value = 5
    assert AssessmentStore(store).peer_answers(app.participant["id"]) == [{BANK.items[0].id: 5}]
    answer_all(rater)
    rater.questions.finish.click()
    assert rater.results is None
    assert "My results" not in str([getattr(w, "value", "") for w in rater.body.children])


def test_a_dead_rating_link_says_so_at_once(store: Store) -> None:
    rater = build(store, "rate=nobody")
    assert "does not work any more" in rater.status.value
    assert rater.questions is None


def test_a_returning_rater_finds_their_answers(store: Store) -> None:
    subject = solo(store)
    assert subject.participant is not None
    token = AssessmentStore(store).create_peer_link(subject.participant["id"])
    first = build(store, f"rate={token}")
    assert first.questions is not None
    item = BANK.items[0].id
    first.questions.toggles[item].value = 4
    again = build(store, f"rate={token}")
    assert again.questions is not None and again.questions.toggles[item].value == 4


# -- export ----------------------------------------------------------------------------------


def test_export_offers_an_html_report_and_an_xlsx(store: Store) -> None:
    app = solo(store, XSS)
    answer_all(app)
    results = app.results
    assert results is not None
    results.reflection.value = f"Reflection {XSS} & more"
    results.commitments[0].what.value = '<img src=x onerror="alert(2)">'
    made = files(results.downloads)
    assert set(made) == {"soft-skills-2026-11-25.html", "soft-skills-2026-11-25.xlsx"}
    report = made["soft-skills-2026-11-25.html"].decode("utf-8")
    assert "<script" not in report and "<img" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "Reflection &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in report
    assert '&lt;img src=x onerror="alert(2)"&gt;' in report  # text in a cell: quotes are harmless
    assert "My strengths" in report and "To develop" in report
    xlsx = made["soft-skills-2026-11-25.xlsx"]
    assert xlsx[:2] == b"PK"


def test_the_xlsx_has_one_sheet_per_table(store: Store, tmp_path: Path) -> None:
    import openpyxl

    app = solo(store)
    answer_all(app, default=5)
    assert app.results is not None
    app.results.commitments[0].what.value = '=HYPERLINK("x")'
    path = tmp_path / "report.xlsx"
    path.write_bytes(files(app.results.downloads)["soft-skills-2026-11-25.xlsx"])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["scores", "strengths", "to develop", "others view", "reflection", "commitments"]
    assert book["commitments"]["B2"].value == '=HYPERLINK("x")' and book["commitments"]["B2"].data_type == "s"
    book.close()


def test_names_and_headers_are_escaped_on_the_page(store: Store) -> None:
    _id, code = workshop(store, ["only"])
    app = build(store, f"code={code}")
    assert app.start is not None
    app.start.name.value = XSS
    app.start.join.click()
    assert app.participant is not None and app.participant["display_name"] == XSS
    assert "<script" not in app.header.value


def _page_text(widget: Any) -> str:
    """Every value and label a widget tree shows."""
    parts = [str(getattr(widget, attr, "")) for attr in ("value", "description", "placeholder", "options")]
    return "\n".join(parts + [_page_text(child) for child in getattr(widget, "children", ())])


def test_a_participant_never_sees_another_participants_answers(store: Store) -> None:
    _workshop_id, code = workshop(store)
    assess = AssessmentStore(store)
    first = assess.join_workshop(code, round="before", display_name="Ana")
    for item in BANK.items:
        assess.save_answer(first["id"], item.id, 5)
    assess.set_reflection(first["id"], "Ana's private reflection")
    assess.mark_completed(first["id"])
    second = build(store, f"code={code}")
    assert second.start is not None
    second.start.name.value = "Ben"
    second.start.round.value = "before"
    second.start.join.click()
    assert second.questions is not None
    page = _page_text(second.widget)
    assert "Ana" not in page and "private reflection" not in page
    assert all(toggle.value is None for toggle in second.questions.toggles.values())
