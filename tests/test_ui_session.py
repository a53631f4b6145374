"""Choosing the project: the URL first, then the one last used, then the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpmkit.store import Store
from cpmkit.ui.session import ProjectBar, requested_project, safe_app, wait_for_voila_request


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
