"""Choosing the project: the URL first, then the one last used, then the first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cpmkit.accounts.owners import LOCAL_OWNER, Owner
from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.serving.page_access import BASE_URL_ENV, IDENTITY_ENV, Identity, encode_identity
from cpmkit.ui.session import (
    ProjectBar,
    page_base_url,
    page_owner,
    requested_project,
    safe_app,
    signed_in_line,
    wait_for_voila_request,
)


@pytest.mark.parametrize(
    ("query", "expected"), [("project=3", 3), ("a=1&project=12", 12), ("project=x", None), ("", None), (None, None)]
)
def test_requested_project(query: str | None, expected: int | None) -> None:
    assert requested_project(query) == expected


def test_the_url_wins_then_the_last_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    first, second = store.create_project("A"), store.create_project("B")
    seen: list[int | None] = []
    monkeypatch.setenv("QUERY_STRING", f"project={second}")
    assert ProjectBar(store, on_change=seen.append).project_id == second
    monkeypatch.setenv("QUERY_STRING", "project=999")
    store.set_setting("last_project", str(first))
    bar = ProjectBar(store, on_change=seen.append)
    assert bar.project_id == first
    bar.choice.value = second
    assert seen == [second] and store.get_setting("last_project") == str(second)
    store.close()


def test_safe_app_shows_a_message_instead_of_a_traceback() -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    widget = safe_app(broken)  # type: ignore[arg-type]
    (area,) = widget.children
    assert "Something went wrong" in area.value and "boom" not in area.value


def test_a_preheated_kernel_waits_for_its_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import voila.utils

    calls: list[str] = []
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: calls.append("waited"))
    wait_for_voila_request({"VOILA_PREHEAT": "False"})
    assert calls == []
    wait_for_voila_request({"VOILA_PREHEAT": "True"})
    assert calls == ["waited"]


def test_page_owner_is_the_signed_in_owner_under_voila_and_the_local_user_in_jupyterlab() -> None:
    alice = Owner(3, "alice")
    assert page_owner({}) == LOCAL_OWNER
    served = {"SERVER_SOFTWARE": "voila/0.5.13"}
    assert page_owner(served) is None  # no gate header: nobody
    assert page_owner({**served, IDENTITY_ENV: "forged"}) is None
    assert page_owner({**served, IDENTITY_ENV: encode_identity(Identity(alice, "b"))}) == alice
    assert page_owner({**served, IDENTITY_ENV: encode_identity(Identity(None, "b"))}) is None


def test_an_owner_chooses_among_their_own_projects_and_another_pms_project_in_the_url_is_ignored(
    tmp_path: Path, served_as: Callable[..., None]
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    accounts = AccountStore(store)
    alice, bob = accounts.add_user("alice", "correct horse 1"), accounts.add_user("bob", "correct horse 2")
    mine, theirs = store.create_project("Mine", owner=alice), store.create_project("Theirs", owner=bob)
    served_as(alice, f"project={theirs}")
    bar = ProjectBar(store, on_change=lambda _: None)
    assert bar.project_id == mine
    assert [value for _, value in bar.choice.options] == [mine]
    bar.new_name.value = "Theirs"  # bob's name is free for alice
    bar.create.click()
    assert bar.project_id not in (mine, theirs) and store.list_projects(alice)[1]["name"] == "Theirs"
    served_as(bob)
    assert ProjectBar(store, on_change=lambda _: None).project_id == theirs  # bob sees his own project only
    store.close()


def test_an_owner_page_without_a_signed_in_owner_shows_a_message_and_no_project(
    tmp_path: Path, served_as: Callable[..., None]
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    store.create_project("Secret")
    served_as(None)
    widget = safe_app(lambda: ProjectBar(store, on_change=lambda _: None).widget)
    (area,) = widget.children
    assert "Sign in to open this workbook" in area.value and "Secret" not in area.value
    store.close()


def test_the_bar_says_who_is_signed_in_escaped_with_a_way_out() -> None:
    assert signed_in_line(LOCAL_OWNER) == ""
    line = signed_in_line(Owner(4, "<b>eve</b>", admin=True))
    assert "&lt;b&gt;eve&lt;/b&gt;" in line and "<b>eve" not in line
    assert "href='/logout'" in line and "admin" in line


def test_the_pages_base_url_is_what_the_gate_says_and_empty_outside_the_server() -> None:
    assert page_base_url({BASE_URL_ENV: "http://192.168.1.20:8866"}) == "http://192.168.1.20:8866"
    assert page_base_url({}) == ""
